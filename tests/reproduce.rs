//! `reproduce`: cache keys, resuming an interrupted experiment without redoing finished runs,
//! `--from-csv` figures (byte-identical PNG), and the CLI's errors. Tiny sizes only.

mod common;

use rusbench::reproduce::experiments::{Experiment, plan};
use rusbench::reproduce::{ReproduceOptions, from_csv, load_preset, reproduce, run_key};
use rusbench::train::TrainConfig;
use sha2::{Digest, Sha256};
use std::path::Path;

fn tiny_preset() -> TrainConfig {
    let mut c = load_preset("quick").unwrap();
    c.name = "tiny".into();
    c.model = rusbench::models::ModelScale::Tiny;
    c.max_pairs = 16;
    c.epochs = 1;
    c.batch_size = 8;
    c.probe_max_pairs = 60;
    c
}

#[test]
fn cache_key_changes_with_every_config_value() {
    let base = tiny_preset();
    let k0 = run_key(&base, "sha").unwrap();
    assert_eq!(k0, run_key(&base.clone(), "sha").unwrap());
    let edits: Vec<Box<dyn Fn(&mut TrainConfig)>> = vec![
        Box::new(|c| c.name = "other".into()),
        Box::new(|c| c.method = rusbench::methods::MethodKind::Cross),
        Box::new(|c| c.model = rusbench::models::ModelScale::Small),
        Box::new(|c| c.pairs = "train_biased".into()),
        Box::new(|c| c.max_pairs = 17),
        Box::new(|c| c.epochs = 2),
        Box::new(|c| c.batch_size = 9),
        Box::new(|c| c.lr = 2e-4),
        Box::new(|c| c.weight_decay = 0.0),
        Box::new(|c| c.temperature = 0.2),
        Box::new(|c| c.loss = rusbench::losses::CommVariant::UnimodalOnly),
        Box::new(|c| c.augment[1] = rusbench::augment::Augmentation::Weak),
        Box::new(|c| c.seed = 1),
        Box::new(|c| c.probe_max_pairs = 61),
        Box::new(|c| c.probe_every = 1),
        Box::new(|c| c.fusion = rusbench::train::FusionChoice::Mlp),
        Box::new(|c| c.factorcl_metric_swap = true),
        Box::new(|c| c.fusion_dim = Some(128)),
        Box::new(|c| c.device = rusbench::device::Backend::Cuda),
    ];
    let mut keys = vec![k0.clone()];
    for e in &edits {
        let mut c = base.clone();
        e(&mut c);
        keys.push(run_key(&c, "sha").unwrap());
    }
    keys.push(run_key(&base, "another dataset").unwrap());
    // An unset fusion_dim is left out of the hashed TOML, so runs cached before the field
    // existed keep their keys.
    assert!(!toml::to_string(&base).unwrap().contains("fusion_dim"));
    // Likewise the default cpu backend.
    assert!(!toml::to_string(&base).unwrap().contains("device"));
    let mut uniq = keys.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), keys.len(), "{keys:?}");
}

#[test]
fn plans_cover_the_paper() {
    let base = tiny_preset();
    let fig4 = plan(Experiment::Fig4, &base, 3);
    assert_eq!(fig4.len(), 4 * 2 * 3);
    let fcl = fig4.iter().find(|r| r.variant == "FactorCL").unwrap();
    assert!((fcl.config.lr - base.lr / 3.0).abs() < 1e-12 && fcl.config.weight_decay == 0.0);
    let fig5 = plan(Experiment::Fig5, &base, 1);
    assert_eq!(fig5.len(), 6);
    assert!(fig5.iter().all(|r| r.config.probe_every >= 1));
    assert_eq!(plan(Experiment::Fusion, &base, 1).len(), 6);
    assert_eq!(plan(Experiment::Augment, &base, 2).len(), 20);
}

fn options(root: &Path, preset: &Path) -> ReproduceOptions {
    ReproduceOptions {
        experiments: vec![Experiment::Fig4],
        preset: preset.to_str().unwrap().into(),
        seeds: 1,
        first_seed: None,
        results: root.join("results"),
        cache: root.join("cache"),
        dataset: Some(root.join("data")),
        device: None,
        progress: false,
        jobs: 1,
        plan: None,
    }
}

/// An interrupted reproduce (one run left with a checkpoint but no result, as a kill leaves it)
/// resumes: the finished runs are not redone and the results are the same bytes.
#[test]
fn interrupted_reproduce_resumes_without_redoing_finished_runs() {
    let tmp = tempfile::tempdir().unwrap();
    common::tiny_dataset(&tmp.path().join("data"));
    let preset = tmp.path().join("tiny.toml");
    std::fs::write(&preset, toml::to_string(&tiny_preset()).unwrap()).unwrap();
    let opts = options(tmp.path(), &preset);
    let first = reproduce(&opts).unwrap();
    assert_eq!((first[0].trained, first[0].cached), (8, 0));
    let out = tmp.path().join("results/fig4-tiny");
    let runs_csv = std::fs::read(out.join("runs.csv")).unwrap();
    let bits_csv = std::fs::read(out.join("bits.csv")).unwrap();
    for f in [
        "config.toml",
        "summary.csv",
        "summary.md",
        "fig4.png",
        "fig4.svg",
        "fig4_bits.png",
        "fig4_bits.svg",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    // 8 runs x 4 tasks.
    assert_eq!(String::from_utf8_lossy(&runs_csv).lines().count(), 1 + 32);
    // Bits: 4 methods x (R, U1, U2 from the unbiased run + S from the biased run), each with
    // the joint view it read (CoMM fused, the others concatenated).
    let bits = String::from_utf8_lossy(&bits_csv).to_string();
    assert_eq!(bits.lines().count(), 1 + 16, "{bits}");
    assert!(
        bits.lines()
            .any(|l| l.starts_with("fig4,CoMM,comm,biased,0,S,synergy,")
                && l.contains(",probe,fused,")),
        "{bits}"
    );
    assert!(
        bits.lines()
            .any(|l| l.starts_with("fig4,Cross,cross,unbiased,0,R,share,")
                && l.contains(",probe,concat,")),
        "{bits}"
    );
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("R bits (of 3.32)") && md.contains("S bits (of 0.47)"),
        "{md}"
    );

    // "Kill" the CoMM biased run after its checkpoint: drop its results.
    let cache = tmp.path().join("cache");
    let mut dirs: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    let victim = dirs
        .iter()
        .find(|d| {
            let j = std::fs::read_to_string(d.join("run.json")).unwrap();
            j.contains("\"method\": \"comm\"") && j.contains("train_biased")
        })
        .unwrap()
        .clone();
    std::fs::remove_file(victim.join("run.json")).unwrap();
    std::fs::remove_file(victim.join("probe.csv")).unwrap();
    let stamp = |d: &Path| {
        std::fs::metadata(d.join("run.json"))
            .unwrap()
            .modified()
            .unwrap()
    };
    let before: Vec<_> = dirs
        .iter()
        .filter(|d| **d != victim)
        .map(|d| stamp(d))
        .collect();

    let second = reproduce(&opts).unwrap();
    assert_eq!((second[0].trained, second[0].cached), (1, 7));
    let after: Vec<_> = dirs
        .iter()
        .filter(|d| **d != victim)
        .map(|d| stamp(d))
        .collect();
    assert_eq!(before, after, "a finished run was redone");
    assert_eq!(
        std::fs::read(out.join("runs.csv")).unwrap(),
        runs_csv,
        "resumed results differ"
    );
    assert_eq!(
        std::fs::read(out.join("bits.csv")).unwrap(),
        bits_csv,
        "resumed bits differ"
    );
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The fixture's PNG hash. The image was checked by eye when this constant was recorded; the
/// font is embedded and the encoder deterministic, so any change here is a rendering change.
const FIXTURE_FIG4_PNG_SHA256: &str =
    "8e4ca1f822dcb34851da8bacbcd5984f39b6aa7fcaeeb182561f03b19f6a32a3";

#[test]
fn from_csv_gives_a_known_png() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fig4_runs.csv");
    let out = tmp.path().join("fig4-fixture");
    let r = from_csv(std::slice::from_ref(&csv), Some(&out)).unwrap();
    let png = std::fs::read(&r.figure).unwrap();
    assert_eq!(sha(&png), FIXTURE_FIG4_PNG_SHA256);
    // Twice: the same bytes; the SVG carries the labels as text.
    let again = tmp.path().join("b/fig4-fixture");
    let r2 = from_csv(std::slice::from_ref(&csv), Some(&again)).unwrap();
    assert_eq!(sha(&std::fs::read(&r2.figure).unwrap()), sha(&png));
    let svg = std::fs::read_to_string(out.join("fig4.svg")).unwrap();
    assert!(svg.contains(">CoMM</text>") && svg.contains(">S</text>"));
    assert!(r.summary_md.contains("| CoMM | 3 |"), "{}", r.summary_md);
}

/// The fixture's rows of `keep` seeds, as a results folder's runs.csv under `dir`.
fn fixture_seeds(dir: &Path, keep: &[u64]) -> std::path::PathBuf {
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fig4_runs.csv");
    let rows = rusbench::reproduce::read_runs_csv(&csv).unwrap();
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| keep.contains(&r.seed))
        .collect();
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("runs.csv");
    rusbench::train::write_csv(&path, &rows).unwrap();
    path
}

#[test]
fn seeds_trained_apart_join_into_the_folder_of_all_seeds() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = fixture_seeds(&tmp.path().join("whole/fig4-x"), &[0, 1, 2]);
    let a = fixture_seeds(&tmp.path().join("a/fig4-x"), &[0, 2]);
    let b = fixture_seeds(&tmp.path().join("b/fig4-x"), &[1]);
    let all = from_csv(std::slice::from_ref(&whole), None).unwrap();
    let out = tmp.path().join("joined/fig4-x");
    let joined = from_csv(&[a.clone(), b.clone()], Some(&out)).unwrap();
    // The same summary as the folder trained at once; the rows are all there.
    assert_eq!(joined.summary_md, all.summary_md);
    let read = |p: &Path| std::fs::read(p).unwrap();
    assert_eq!(
        read(&out.join("summary.csv")),
        read(&whole.with_file_name("summary.csv"))
    );
    assert_eq!(read(&out.join("runs.csv")), read(&whole));
    assert_eq!(
        read(&out.join("fig4.png")),
        read(&whole.with_file_name("fig4.png"))
    );
    // A seed in both files, a missing --out, a file named twice: refused, nothing drawn.
    let dup = fixture_seeds(&tmp.path().join("c/fig4-x"), &[1, 2]);
    let bad = tmp.path().join("bad/fig4-x");
    let e = from_csv(&[a.clone(), dup], Some(&bad))
        .unwrap_err()
        .to_string();
    assert!(e.contains("seed 2 of") && e.contains("in both"), "{e}");
    assert!(!bad.join("summary.md").exists());
    let e = from_csv(&[a.clone(), b.clone()], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("--out"), "{e}");
    let e = from_csv(&[a.clone(), a.clone()], Some(&bad))
        .unwrap_err()
        .to_string();
    assert!(e.contains("twice"), "{e}");
}

#[test]
fn seeds_of_different_configs_are_not_joined() {
    let tmp = tempfile::tempdir().unwrap();
    let a = fixture_seeds(&tmp.path().join("a/fig4-x"), &[0]);
    let b = fixture_seeds(&tmp.path().join("b/fig4-x"), &[1]);
    let config = |seed: u64, lr: f64, cpu: &str| {
        format!(
            "experiment = \"fig4\"\npreset = \"x\"\nseeds = 1\ndataset_sha256 = \"d\"\nmachines = [\"{cpu}\"]\n\n\
             [base]\nlr = {lr}\nseed = {seed}\n\n[[runs]]\nvariant = \"CoMM\"\nseed = {seed}\nkey = \"k{seed}\"\n"
        )
    };
    std::fs::write(a.with_file_name("config.toml"), config(0, 0.001, "A")).unwrap();
    std::fs::write(b.with_file_name("config.toml"), config(1, 0.001, "B")).unwrap();
    let out = tmp.path().join("joined/fig4-x");
    let r = from_csv(&[a.clone(), b.clone()], Some(&out)).unwrap();
    let joined: toml::Table =
        toml::from_str(&std::fs::read_to_string(out.join("config.toml")).unwrap()).unwrap();
    assert_eq!(joined["seeds"].as_integer(), Some(2));
    assert_eq!(joined["runs"].as_array().unwrap().len(), 2);
    assert_eq!(joined["base"]["seed"].as_integer(), Some(0));
    assert!(
        r.summary_md.contains("Trained on: A; B."),
        "{}",
        r.summary_md
    );
    // Another lr: not seeds of one preset.
    std::fs::write(b.with_file_name("config.toml"), config(1, 0.002, "B")).unwrap();
    let bad = tmp.path().join("bad/fig4-x");
    let e = from_csv(&[a, b], Some(&bad)).unwrap_err().to_string();
    assert!(e.contains("differ in `base`"), "{e}");
    assert!(!bad.join("summary.md").exists());
}

#[test]
fn cli_errors_are_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_rusbench");
    let run = |args: &[&str]| {
        let o = std::process::Command::new(bin)
            .args(args)
            .current_dir(tmp.path())
            .output()
            .unwrap();
        assert!(!o.status.success());
        let e = String::from_utf8_lossy(&o.stderr).to_string();
        assert_eq!(e.trim().lines().count(), 1, "{e}");
        e
    };
    assert!(run(&["reproduce", "fig9"]).contains("unknown experiment"));
    assert!(run(&["reproduce", "fig4", "--preset", "huge"]).contains("unknown preset"));
    let bad = tmp.path().join("bad.csv");
    std::fs::write(&bad, "a,b\n1,2\n").unwrap();
    assert!(run(&["reproduce", "--from-csv", bad.to_str().unwrap()]).contains("not a runs.csv"));
}

/// The committed results name their runs by cache key (`results/*/config.toml`, the `run` column
/// of `runs.csv`). A new config field must not change the keys of existing presets, or a rerun
/// would no longer reproduce those files: recompute every committed key from the shipped preset.
#[test]
fn committed_results_keep_their_run_keys() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("results");
    let mut checked = 0;
    for exp in Experiment::ALL.into_iter().chain([Experiment::Synergy]) {
        for preset in ["demo", "quick", "cpu"] {
            let p = root.join(format!("{}-{preset}/config.toml", exp.name()));
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            let v: toml::Value = toml::from_str(&text).unwrap();
            let seeds = v["seeds"].as_integer().unwrap() as usize;
            let sha = v["dataset_sha256"].as_str().unwrap();
            let committed: Vec<&str> = v["runs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["key"].as_str().unwrap())
                .collect();
            let ours: Vec<String> = plan(exp, &load_preset(preset).unwrap(), seeds)
                .iter()
                .map(|r| run_key(&r.config, sha).unwrap())
                .collect();
            assert_eq!(ours, committed, "{}", p.display());
            checked += committed.len();
        }
    }
    // At least the main job's (results/synergy-demo: Cross and CoMM).
    assert!(checked >= 2, "only {checked} committed keys found");
}

/// `--jobs 2` trains the runs in worker processes (`rusbench run-key`): the same results, byte
/// for byte, as one process; a run whose lock a live process holds is refused, a lock file whose
/// holder is gone is no lock, and a finished run is left alone.
#[test]
fn workers_give_the_same_results_as_one_process_and_respect_locks() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    common::tiny_dataset(&root.join("data"));
    let preset = root.join("tiny.toml");
    std::fs::write(&preset, toml::to_string(&tiny_preset()).unwrap()).unwrap();
    reproduce(&options(root, &preset)).unwrap();
    let bin = env!("CARGO_BIN_EXE_rusbench");
    let cli = |args: &[&str]| std::process::Command::new(bin).args(args).output().unwrap();
    let (results2, cache2) = (root.join("results2"), root.join("cache2"));
    let o = cli(&[
        "reproduce",
        "fig4",
        "--preset",
        preset.to_str().unwrap(),
        "--dataset",
        root.join("data").to_str().unwrap(),
        "--results",
        results2.to_str().unwrap(),
        "--cache",
        cache2.to_str().unwrap(),
        "--jobs",
        "2",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert_eq!(err.matches("training in a worker").count(), 8, "{err}");
    for f in ["runs.csv", "bits.csv"] {
        assert_eq!(
            std::fs::read(root.join("results/fig4-tiny").join(f)).unwrap(),
            std::fs::read(results2.join("fig4-tiny").join(f)).unwrap(),
            "{f} differs between one process and two workers"
        );
    }

    // Locks: make one run unfinished again, then hold its lock as a live process (this one).
    let key = std::fs::read_dir(&cache2)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .find(|k| k.len() == 16)
        .unwrap();
    let dir = cache2.join(&key);
    let probe = std::fs::read(dir.join("probe.csv")).unwrap();
    std::fs::remove_file(dir.join("run.json")).unwrap();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let lock = dir.join("lock");
    std::fs::write(&lock, format!("{} {}", host.trim(), std::process::id())).unwrap();
    let held = std::fs::File::open(&lock).unwrap();
    held.lock().unwrap();
    let args = ["run-key", key.as_str(), "--cache", cache2.to_str().unwrap()];
    let refused = |o: std::process::Output| {
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(
            !o.status.success() && err.contains("is being trained by") && err.lines().count() == 1,
            "{err}"
        );
        err
    };
    let err = refused(cli(&args));
    assert!(err.contains(&std::process::id().to_string()), "{err}");
    // What counts is the held lock, not what the file says: a file naming a process that is gone
    // (as one that a worker has just opened and not yet written looks) still refuses while held.
    std::fs::write(&lock, format!("{} 4294967", host.trim())).unwrap();
    refused(cli(&args));
    // The holder gone (its lock released, as when a process is killed) and its file left behind:
    // no lock; the run resumes and finishes the same.
    drop(held);
    let o = cli(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!lock.exists());
    assert_eq!(std::fs::read(dir.join("probe.csv")).unwrap(), probe);
    // Finished: a second start is a no-op.
    let stamp = std::fs::metadata(dir.join("run.json"))
        .unwrap()
        .modified()
        .unwrap();
    assert!(cli(&args).status.success());
    assert_eq!(
        std::fs::metadata(dir.join("run.json"))
            .unwrap()
            .modified()
            .unwrap(),
        stamp
    );
}
