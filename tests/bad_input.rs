//! A corpus of bad inputs to the `rusbench` binary, one per class (presets, datasets, resumed
//! runs, drawn CSVs, pmf files, arguments). Each must end with a non-zero exit, exactly one line
//! on stderr that starts with `error:` and names the problem, no panic, and nothing under the
//! output name. (gen-trifeature's corpus is in `tests/generator.rs`.)

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_rusbench");
const QUICK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/presets/quick.toml");

struct Case {
    name: &'static str,
    args: Vec<String>,
    /// Text the one error line must contain.
    want: &'static str,
    /// The output that must not exist afterwards.
    out: Option<PathBuf>,
}

fn fails_cleanly(cwd: &Path, c: &Case) {
    let o = Command::new(BIN)
        .args(&c.args)
        .current_dir(cwd)
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    let name = c.name;
    assert!(!o.status.success(), "{name}: exit 0");
    assert!(!e.contains("panicked"), "{name}: {e}");
    assert_eq!(e.trim_end().lines().count(), 1, "{name}: {e}");
    assert!(
        e.starts_with("error: ") && e.contains(c.want),
        "{name}: {e}"
    );
    if let Some(out) = &c.out {
        assert!(!out.exists(), "{name}: {} was written", out.display());
    }
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// The quick preset with `from` replaced by `to`.
fn preset(dir: &Path, name: &str, from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/presets/quick.toml"))
        .unwrap();
    assert!(text.contains(from), "{from}");
    let p = dir.join(format!("{name}.toml"));
    std::fs::write(&p, text.replace(from, to)).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn every_class_of_bad_input_gets_one_line_and_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let data = root.join("data");
    common::tiny_dataset(&data);
    let ds = data.to_str().unwrap();
    let run_out = root.join("run");
    let ro = run_out.to_str().unwrap();
    let train = |p: String| s(&["train", "--preset", &p, "--dataset", ds, "--out", ro]);
    let mut cases = vec![
        Case {
            name: "preset lr out of range",
            args: train(preset(root, "lr", "lr = 1e-3", "lr = 5.0")),
            want: "lr = 5",
            out: Some(run_out.clone()),
        },
        Case {
            name: "preset temperature not finite",
            args: train(preset(root, "t", "temperature = 0.1", "temperature = nan")),
            want: "temperature = NaN",
            out: Some(run_out.clone()),
        },
        Case {
            name: "preset unknown key",
            args: train(preset(root, "k", "seed = 0", "seed = 0\nlearning_rate = 1")),
            want: "learning_rate",
            out: Some(run_out.clone()),
        },
        Case {
            name: "missing dataset",
            args: s(&[
                "train",
                "--preset",
                QUICK,
                "--dataset",
                "nowhere",
                "--out",
                ro,
            ]),
            want: "gen-trifeature",
            out: Some(run_out.clone()),
        },
    ];
    // A dataset whose pair file names a label out of range (line 2, synergy column).
    let bad_ds = root.join("bad-data");
    common::tiny_dataset(&bad_ds);
    let pairs = bad_ds.join("pairs/train_unbiased.csv");
    let text = std::fs::read_to_string(&pairs).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut f: Vec<&str> = lines[1].split(',').collect();
    f[13] = "7";
    lines[1] = f.join(",");
    std::fs::write(&pairs, lines.join("\n") + "\n").unwrap();
    cases.push(Case {
        name: "pair label out of range",
        args: s(&[
            "train",
            "--preset",
            QUICK,
            "--dataset",
            bad_ds.to_str().unwrap(),
            "--out",
            ro,
        ]),
        want: "pairs/train_unbiased.csv changed",
        out: Some(run_out.clone()),
    });
    // A resumed run whose state.json has a field of the wrong type.
    let resumed = root.join("resumed");
    std::fs::create_dir_all(resumed.join("checkpoint")).unwrap();
    std::fs::write(resumed.join("checkpoint/state.json"), r#"{"epoch": "two"}"#).unwrap();
    cases.push(Case {
        name: "malformed state.json",
        args: s(&[
            "train",
            "--preset",
            QUICK,
            "--dataset",
            ds,
            "--out",
            resumed.to_str().unwrap(),
            "--resume",
        ]),
        want: "state.json",
        out: None,
    });
    // runs.csv drawn with --from-csv: a value of 750 %, and a file cut at a row boundary.
    let good = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/fig4_runs.csv"
    ))
    .unwrap();
    let rows: Vec<&str> = good.lines().collect();
    let csv = |name: &str, text: String| {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("runs.csv"), text).unwrap();
        dir
    };
    let wild = csv("wild", good.replacen(",share,0.98,", ",share,7.5,", 1));
    let cut = csv("cut", rows[..rows.len() - 4].join("\n") + "\n");
    for (name, dir, want) in [
        ("drawn value of 750 %", wild, "outside [0, 1]"),
        ("runs.csv cut short", cut, "incomplete"),
    ] {
        let out = dir.join("drawn");
        cases.push(Case {
            name,
            args: s(&[
                "reproduce",
                "--from-csv",
                dir.join("runs.csv").to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ]),
            want,
            out: Some(out),
        });
    }
    // A 4-D pmf.
    let pmf = root.join("p4.json");
    std::fs::write(
        &pmf,
        r#"{"cases":[{"name":"a","pmf_dense":[[[[0.5,0.5]]]]}]}"#,
    )
    .unwrap();
    cases.push(Case {
        name: "4-D pmf",
        args: s(&["pid", "pmf", pmf.to_str().unwrap()]),
        want: "3-D",
        out: None,
    });
    // reproduce: seeds that would wrap past 2^64 - 1, and no jobs at all. Both refused before
    // anything is generated or trained.
    let rep_out = root.join("rep");
    let rep = |extra: &[&str]| {
        let mut a = s(&[
            "reproduce",
            "synergy",
            "--preset",
            "quick",
            "--dataset",
            root.join("rep-data").to_str().unwrap(),
            "--cache",
            rep_out.join("cache").to_str().unwrap(),
            "--results",
            rep_out.to_str().unwrap(),
        ]);
        a.extend(s(extra));
        a
    };
    for (name, args, want) in [
        (
            "seeds past 2^64 - 1",
            rep(&["--first-seed", "18446744073709551615", "--seeds", "2"]),
            "largest seed",
        ),
        ("--jobs 0", rep(&["--jobs", "0"]), "--jobs 0"),
    ] {
        cases.push(Case {
            name,
            args,
            want,
            out: Some(rep_out.clone()),
        });
    }
    // Arguments the parser refuses: one line too, with clap's tip where it has one.
    for (name, args, want) in [
        ("unknown flag", s(&["reproduce", "--bogus"]), "'--bogus'"),
        ("negative seed", s(&["train", "--seed", "-3"]), "'-3'"),
        (
            "unknown plan format",
            s(&["reproduce", "--plan", "p", "--plan-format", "xml"]),
            "possible values: shell, slurm",
        ),
    ] {
        cases.push(Case {
            name,
            args,
            want,
            out: None,
        });
    }
    // No cases at all, and a target gap that is no number of bits.
    let none = root.join("none.json");
    std::fs::write(&none, r#"{"cases":[]}"#).unwrap();
    let one = root.join("one.json");
    std::fs::write(
        &one,
        r#"{"cases":[{"name":"a","pmf_dense":[[[0.25,0.25]],[[0.25,0.25]]]}]}"#,
    )
    .unwrap();
    for (name, args, want) in [
        (
            "pmf file without cases",
            s(&["pid", "pmf", none.to_str().unwrap()]),
            "no cases",
        ),
        (
            "infinite --tol",
            s(&["pid", "pmf", one.to_str().unwrap(), "--tol", "inf"]),
            "finite",
        ),
        (
            "--max-iter 0",
            s(&["pid", "pmf", one.to_str().unwrap(), "--max-iter", "0"]),
            "at least 1",
        ),
    ] {
        cases.push(Case {
            name,
            args,
            want,
            out: None,
        });
    }
    // A file that is not there, read by each reading command.
    for (name, args) in [
        ("missing pmf file", s(&["pid", "pmf", "nope.json"])),
        (
            "missing run for pid model",
            s(&["pid", "model", "--run", "nope"]),
        ),
        (
            "missing runs.csv",
            s(&["reproduce", "--from-csv", "nope.csv"]),
        ),
    ] {
        cases.push(Case {
            name,
            args,
            want: "nope",
            out: None,
        });
    }
    for c in &cases {
        fails_cleanly(root, c);
    }
    assert!(
        !root.join("rep-data").exists(),
        "a refused reproduce generated data"
    );
}
