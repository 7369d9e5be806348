//! Checkpoints are atomic as a whole: a run killed at any point of writing a checkpoint resumes
//! to exactly the numbers of the uninterrupted run. The kill is `RUSBENCH_FAULT`, which aborts
//! the process (SIGABRT, no cleanup) at a named point of an epoch's checkpoint.

mod common;

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_rusbench");

const PRESET: &str = r#"
name = "ckpt"
method = "factorcl"
model = "small"
pairs = "train_unbiased"
max_pairs = 20
epochs = 2
batch_size = 8
lr = 3e-4
weight_decay = 0.0
temperature = 0.1
loss = "full"
augment = ["all", "all"]
seed = 5
probe_max_pairs = 60
probe_every = 1
"#;

fn train(root: &Path, out: &str, resume: bool, fault: Option<&str>) -> std::process::Output {
    let mut c = Command::new(BIN);
    c.args(["train", "--preset"]).arg(root.join("p.toml"));
    c.arg("--dataset")
        .arg(root.join("data"))
        .arg("--out")
        .arg(root.join(out));
    if resume {
        c.arg("--resume");
    }
    if let Some(f) = fault {
        c.env("RUSBENCH_FAULT", f);
    }
    c.output().unwrap()
}

/// epochs.csv without its timing columns, probe.csv and probe_curve.csv.
fn numbers(dir: &Path) -> (Vec<String>, String, String) {
    let epochs = std::fs::read_to_string(dir.join("epochs.csv")).unwrap();
    let rows = epochs
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            f[..f.len() - 2].join(",")
        })
        .collect();
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    (rows, read("probe.csv"), read("probe_curve.csv"))
}

#[test]
fn a_kill_at_any_checkpoint_point_resumes_to_the_same_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    common::tiny_dataset(&root.join("data"));
    std::fs::write(root.join("p.toml"), PRESET).unwrap();
    let o = train(root, "straight", false, None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let want = numbers(&root.join("straight"));
    assert_eq!(want.0.len(), 3, "{:?}", want.0);

    for (epoch, point) in [(1, "model"), (1, "optim"), (2, "state"), (2, "cleanup")] {
        let out = format!("killed-{epoch}-{point}");
        let fault = format!("checkpoint:{epoch}:{point}");
        let o = train(root, &out, false, Some(&fault));
        assert!(!o.status.success(), "{fault}: the fault did not fire");
        let o = train(root, &out, true, None);
        assert!(
            o.status.success(),
            "{fault}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(
            numbers(&root.join(&out)),
            want,
            "{fault}: resumed numbers differ"
        );
        // One epoch directory is left, the one state.json names.
        let dirs: Vec<String> = std::fs::read_dir(root.join(&out).join("checkpoint"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n.starts_with("epoch-"))
            .collect();
        assert_eq!(dirs, vec!["epoch-2".to_string()], "{fault}");
    }
}

#[test]
fn a_malformed_state_is_an_error_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    common::tiny_dataset(&root.join("data"));
    std::fs::write(
        root.join("p.toml"),
        PRESET.replace("epochs = 2", "epochs = 1"),
    )
    .unwrap();
    assert!(train(root, "run", false, None).status.success());
    let state = root.join("run/checkpoint/state.json");
    let text = std::fs::read_to_string(&state).unwrap();
    std::fs::write(&state, text.replace("\"epoch\": 1", "\"epoch\": \"1\"")).unwrap();
    let o = train(root, "run", true, None);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success(),
        "a wrong-typed epoch must not restart the run"
    );
    assert!(
        err.contains("state.json") && err.contains("malformed") && err.lines().count() == 1,
        "{err}"
    );
}
