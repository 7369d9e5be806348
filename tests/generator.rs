//! End-to-end tests of the Trifeatures generator: the library API and the `gen-trifeature`
//! binary on small recipes.

use rusbench::data::trifeatures::attributes::{COLORS, to_u8};
use rusbench::data::trifeatures::{Dataset, GenerateOptions, Outcome, Recipe, generate};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_gen-trifeature");

/// A small recipe: 48 px canvas, one render per train combination.
fn small(seed: u64) -> Recipe {
    Recipe {
        name: "tiny".into(),
        seed,
        canvas: 48,
        template: 28,
        texture_period: 6,
        max_angle: 45,
        renders_per_train_combination: 1,
        train_fraction: 0.8,
        pairs: Default::default(),
    }
}

fn gen_at(recipe: &Recipe, out: &Path, threads: Option<usize>) -> Outcome {
    let opts = GenerateOptions {
        out: out.to_path_buf(),
        threads,
        ..Default::default()
    };
    generate(recipe, &opts).unwrap()
}

fn write_recipe(dir: &Path, r: &Recipe) -> PathBuf {
    let p = dir.join(format!("{}-{}.toml", r.name, r.canvas));
    std::fs::write(&p, toml::to_string(r).unwrap()).unwrap();
    p
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn same_bytes_at_one_and_two_threads_and_across_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let r = small(42);
    let a = gen_at(&r, &tmp.path().join("a"), Some(1));
    let b = gen_at(&r, &tmp.path().join("b"), Some(2));
    let c = gen_at(&r, &tmp.path().join("c"), None);
    assert!(matches!(a, Outcome::Generated(_)));
    // The hash covers every byte of every image and CSV.
    assert_eq!(a.manifest().sha256, b.manifest().sha256);
    assert_eq!(a.manifest().sha256, c.manifest().sha256);
    // And the manifests themselves are byte-identical.
    let read = |d: &str| std::fs::read(tmp.path().join(d).join("manifest.json")).unwrap();
    assert_eq!(read("a"), read("b"));
    // Spot-check raw bytes too, independently of the hash code.
    let f = &Dataset::open(&tmp.path().join("a")).unwrap().train[17].file;
    assert_eq!(
        std::fs::read(tmp.path().join("a").join(f)).unwrap(),
        std::fs::read(tmp.path().join("b").join(f)).unwrap()
    );

    let d = gen_at(&small(43), &tmp.path().join("d"), Some(2));
    assert_ne!(a.manifest().sha256, d.manifest().sha256);
}

#[test]
fn split_counts_and_files_on_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let mut r = small(7);
    r.renders_per_train_combination = 2;
    gen_at(&r, &tmp.path().join("ds"), None);
    let ds = Dataset::open(&tmp.path().join("ds")).unwrap();
    ds.verify().unwrap();
    assert_eq!((ds.train.len(), ds.test.len()), (1600, 200));
    let combo = |a: [u8; 3]| a[0] as usize * 100 + a[1] as usize * 10 + a[2] as usize;
    let train: std::collections::HashSet<usize> = ds.train.iter().map(|i| combo(i.attrs)).collect();
    assert_eq!(train.len(), 800);
    assert!(ds.test.iter().all(|i| !train.contains(&combo(i.attrs))));
    for a in 0..3 {
        for v in 0..10u8 {
            assert!(
                ds.train.iter().any(|i| i.attrs[a] == v) && ds.test.iter().any(|i| i.attrs[a] == v)
            );
        }
    }
    // File names carry the labels as the reference's.
    let names = rusbench::data::trifeatures::attributes::TEXTURES;
    for i in &ds.train {
        assert!(
            i.file.starts_with("train/")
                && i.file
                    .contains(&format!("_{}_", names[i.attrs[1] as usize]))
        );
    }
    assert!(
        ds.test
            .iter()
            .all(|i| i.file.starts_with("test/") && !i.file.ends_with("_0.png"))
    );
}

#[test]
fn labels_agree_with_rendered_colours() {
    let tmp = tempfile::tempdir().unwrap();
    gen_at(&small(3), &tmp.path().join("ds"), None);
    let ds = Dataset::open(&tmp.path().join("ds")).unwrap();
    for rec in ds.train.iter().chain(&ds.test) {
        let img = image::open(ds.root.join(&rec.file)).unwrap().to_rgb8();
        // Corners are background grey 127.
        for (x, y) in [(0, 0), (47, 0), (0, 47), (47, 47)] {
            assert_eq!(img.get_pixel(x, y).0, [127; 3], "{}", rec.file);
        }
        // The pixel farthest from grey is (within bilinear truncation) the labelled colour, and
        // the nearest palette colour to it is the label.
        let far = img
            .pixels()
            .max_by_key(|p| p.0.iter().map(|&c| (c as i32 - 127).pow(2)).sum::<i32>())
            .unwrap()
            .0;
        let palette: Vec<[u8; 3]> = COLORS.iter().map(|c| c.map(to_u8)).collect();
        let nearest = (0..10)
            .min_by_key(|&k| {
                (0..3)
                    .map(|c| (far[c] as i32 - palette[k][c] as i32).pow(2))
                    .sum::<i32>()
            })
            .unwrap();
        assert_eq!(
            nearest, rec.attrs[2] as usize,
            "{}: pixel {far:?}",
            rec.file
        );
        let want = palette[rec.attrs[2] as usize];
        assert!(
            (0..3).all(|c| (far[c] as i32 - want[c] as i32).abs() <= 2),
            "{}: {far:?}",
            rec.file
        );
    }
}

#[test]
fn pair_csvs_agree_with_images_and_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let mut r = small(11);
    r.pairs.max_size = 6000; // below the ~64,000 allowed train pairs, above the ~4,100 test pairs
    gen_at(&r, &tmp.path().join("ds"), None);
    let ds = Dataset::open(&tmp.path().join("ds")).unwrap();
    let mapping = ds.mapping().unwrap();
    for s in &ds.manifest.pair_sets {
        let train = s.set.starts_with("train");
        let imgs = ds.images(train);
        let pairs = ds.pairs(&s.set).unwrap();
        assert_eq!(pairs.len(), s.used_pairs);
        let mut pos = 0;
        for p in &pairs {
            assert_eq!(p.attrs1, imgs[p.index1].attrs);
            assert_eq!(p.attrs2, imgs[p.index2].attrs);
            assert_eq!(p.attrs1[0], p.attrs2[0], "pairs share the shape");
            let syn = (mapping[p.attrs1[1] as usize] == p.attrs2[2]) as u8;
            assert_eq!(p.labels, [p.attrs1[0], p.attrs1[1], p.attrs2[1], syn]);
            pos += syn as usize;
        }
        assert_eq!(pos, s.synergy_positive);
        if s.set.ends_with("biased") && !s.set.ends_with("unbiased") {
            assert_eq!(pos, pairs.len());
        }
    }
    let test_unbiased = ds
        .manifest
        .pair_sets
        .iter()
        .find(|s| s.set == "test_unbiased")
        .unwrap();
    assert_eq!(test_unbiased.used_pairs, test_unbiased.allowed_pairs);
    assert_eq!(test_unbiased.self_pairs, 200);
}

#[test]
fn mapping_and_pairs_do_not_depend_on_rendering() {
    // Same seed, different rendering (canvas, template, period): identical pair sets and mapping.
    let tmp = tempfile::tempdir().unwrap();
    let a = small(5);
    let mut b = small(5);
    b.canvas = 64;
    b.template = 40;
    b.texture_period = 8;
    gen_at(&a, &tmp.path().join("a"), None);
    gen_at(&b, &tmp.path().join("b"), None);
    let (da, db) = (
        Dataset::open(&tmp.path().join("a")).unwrap(),
        Dataset::open(&tmp.path().join("b")).unwrap(),
    );
    assert_eq!(da.manifest.synergy_mapping, db.manifest.synergy_mapping);
    for set in [
        "train_unbiased",
        "train_biased",
        "test_unbiased",
        "test_biased",
    ] {
        let f = format!("pairs/{set}.csv");
        assert_eq!(
            std::fs::read(da.root.join(&f)).unwrap(),
            std::fs::read(db.root.join(&f)).unwrap()
        );
    }
    assert_ne!(da.manifest.sha256, db.manifest.sha256);
}

#[test]
fn verify_detects_a_changed_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ds");
    gen_at(&small(2), &out, None);
    let ds = Dataset::open(&out).unwrap();
    let f = out.join(&ds.test[0].file);
    let mut bytes = std::fs::read(&f).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 1;
    std::fs::write(&f, bytes).unwrap();
    let e = ds.verify().unwrap_err().to_string();
    assert!(e.contains(&format!("{} changed", ds.test[0].file)), "{e}");
    // --verify reads the dataset's own manifest: no recipe file needed, the file is named.
    let o = run(&[
        "--verify",
        "--out",
        out.to_str().unwrap(),
        "--recipe",
        "no-such-recipe.toml",
    ]);
    let msg = stderr(&o);
    assert!(
        !o.status.success() && msg.contains(&ds.test[0].file) && msg.lines().count() == 1,
        "{msg}"
    );
    std::fs::remove_file(&f).unwrap();
    let e = format!("{:#}", Dataset::open(&out).unwrap_err());
    assert!(e.contains("corrupt") && e.contains("test/"), "{e}");
}

#[test]
fn force_never_deletes_what_the_tool_did_not_make() {
    let tmp = tempfile::tempdir().unwrap();
    let a = write_recipe(tmp.path(), &small(42));
    let a_s = a.to_str().unwrap();
    // A directory of someone's files: refused, with or without --force, and left as it was.
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("main.rs"), "fn main() {}").unwrap();
    for force in [false, true] {
        let mut args = vec!["--recipe", a_s, "--out", src.to_str().unwrap()];
        if force {
            args.push("--force");
        }
        let o = run(&args);
        let e = stderr(&o);
        assert!(
            !o.status.success() && e.lines().count() == 1 && e.contains("not a rusbench dataset"),
            "{e}"
        );
        assert_eq!(
            std::fs::read_to_string(src.join("main.rs")).unwrap(),
            "fn main() {}"
        );
    }
    // An empty directory holds nothing to lose: it is filled without --force.
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = run(&["--recipe", a_s, "--out", empty.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(Dataset::open(&empty).is_ok());
}

#[test]
fn cli_is_idempotent_refuses_other_recipes_and_forces() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ds");
    let out_s = out.to_str().unwrap();
    let a = write_recipe(tmp.path(), &small(42));
    let a_s = a.to_str().unwrap();

    let o = run(&["--recipe", a_s, "--out", out_s, "--preview"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("wrote"));
    let png = image::open(out.join("preview.png")).unwrap();
    assert!(png.width() > 10 * 48 && png.height() > 5 * 48);
    let hash = Dataset::open(&out).unwrap().manifest.sha256;

    let o = run(&["--recipe", a_s, "--out", out_s]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("nothing to do"));

    // A different seed is a different recipe: refused without --force, output untouched.
    let o = run(&["--recipe", a_s, "--out", out_s, "--seed", "9"]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("--force") && e.lines().count() == 1, "{e}");
    assert_eq!(Dataset::open(&out).unwrap().manifest.sha256, hash);

    let o = run(&["--recipe", a_s, "--out", out_s, "--seed", "9", "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m = Dataset::open(&out).unwrap().manifest;
    assert_eq!(m.seed, 9);
    assert_ne!(m.sha256, hash);
    let o = run(&["--recipe", a_s, "--out", out_s, "--seed", "9", "--verify"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // No temporary directories are left beside the output.
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn bad_input_gets_one_line_and_no_output() {
    let tmp = tempfile::tempdir().unwrap();
    let good = toml::to_string(&small(1)).unwrap();
    let blocker = tmp.path().join("a-file");
    std::fs::write(&blocker, "x").unwrap();
    let cases: Vec<(&str, String, Option<PathBuf>, &str)> = vec![
        (
            "malformed",
            good.replace("[pairs]", "[pairs"),
            None,
            "malformed recipe",
        ),
        (
            "unknown",
            format!("colour_depth = 8\n{good}"),
            None,
            "unknown field",
        ),
        (
            "zero",
            good.replace("canvas = 48", "canvas = 0"),
            None,
            "canvas = 0",
        ),
        (
            "absurd",
            good.replace("canvas = 48", "canvas = 99999"),
            None,
            "canvas = 99999",
        ),
        (
            "absurd-renders",
            good.replace(
                "renders_per_train_combination = 1",
                "renders_per_train_combination = 1000000",
            ),
            None,
            "renders",
        ),
        (
            // 800 x 1000 + 200 images of 2048 px: ~10 TB, refused before anything is written.
            "too-large",
            good.replace("canvas = 48", "canvas = 2048").replace(
                "renders_per_train_combination = 1",
                "renders_per_train_combination = 1000",
            ),
            None,
            "--allow-large",
        ),
        (
            "template",
            good.replace("template = 28", "template = 40"),
            None,
            "larger than the canvas",
        ),
        (
            "unwritable",
            good.clone(),
            Some(blocker.join("sub").join("ds")),
            "cannot create output directory",
        ),
    ];
    for (name, text, out, want) in cases {
        let recipe = tmp.path().join(format!("{name}.toml"));
        std::fs::write(&recipe, text).unwrap();
        let out = out.unwrap_or_else(|| tmp.path().join(format!("out-{name}")));
        let o = run(&[
            "--recipe",
            recipe.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        let e = stderr(&o);
        assert!(!o.status.success(), "{name}: succeeded");
        assert!(e.starts_with("error: ") && e.contains(want), "{name}: {e}");
        assert_eq!(e.trim_end().lines().count(), 1, "{name}: {e}");
        assert!(!e.contains("panicked"), "{name}: {e}");
        assert!(!out.exists(), "{name}: output written");
    }
    let o = run(&[
        "--recipe",
        tmp.path().join("missing.toml").to_str().unwrap(),
    ]);
    let e = stderr(&o);
    assert!(
        !o.status.success() && e.contains("cannot read recipe"),
        "{e}"
    );
    // The OS error is named once, not once per layer of the error chain.
    assert_eq!(e.matches("os error").count(), 1, "{e}");
    // A corrupt dataset is reported by --verify.
    let out = tmp.path().join("ds");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("manifest.json"), "{").unwrap();
    let r = write_recipe(tmp.path(), &small(1));
    let o = run(&[
        "--recipe",
        r.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--verify",
    ]);
    assert!(
        !o.status.success() && stderr(&o).contains("corrupt"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn killed_run_leaves_no_dataset_under_the_final_name() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ref");
    let reference = concat!(env!("CARGO_MANIFEST_DIR"), "/generators/trifeature.toml");
    // The full 224 px dataset on one thread takes well over the 150 ms we wait.
    let mut child = Command::new(BIN)
        .args([
            "--recipe",
            reference,
            "--out",
            out.to_str().unwrap(),
            "--threads",
            "1",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(150));
    let finished_early = child.try_wait().unwrap().is_some();
    child.kill().ok();
    child.wait().unwrap();
    if finished_early {
        // Too fast to interrupt on this machine: then the dataset must be complete.
        Dataset::open(&out).unwrap().verify().unwrap();
        return;
    }
    assert!(
        !out.exists(),
        "a half dataset was left under the final name"
    );
    let partials: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        partials.len(),
        1,
        "the killed run's work is kept only under a hidden partial name"
    );

    // The next run cleans up the stale partial directory and completes.
    let r = write_recipe(
        tmp.path(),
        &Recipe {
            name: "ref".into(),
            ..small(1)
        },
    );
    let o = run(&[
        "--recipe",
        r.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains("partial")), "{names:?}");
}

#[test]
fn cpu_recipe_reproduces_the_canonical_hash() {
    // results/trifeature/trifeature-64.manifest.json was written by `cargo run --release`; the
    // same recipe and seed must give the same bytes on any machine and at any thread count.
    let root = env!("CARGO_MANIFEST_DIR");
    let canonical: rusbench::data::trifeatures::Manifest = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{root}/results/trifeature/trifeature-64.manifest.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let recipe = Recipe::load(Path::new(&format!("{root}/generators/trifeature-64.toml"))).unwrap();
    assert_eq!(
        recipe, canonical.recipe,
        "the shipped recipe changed: regenerate the canonical manifest"
    );
    let tmp = tempfile::tempdir().unwrap();
    let got = gen_at(&recipe, &tmp.path().join("ds"), Some(2));
    assert_eq!(got.manifest(), &canonical);
}
