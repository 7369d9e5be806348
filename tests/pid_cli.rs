//! The `rusbench pid` command line.

use rusbench::data::trifeatures::{Dataset, GenerateOptions, Recipe, generate};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_rusbench");

#[test]
fn pid_pmf_writes_csv_and_names_bad_cases() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("cases.json");
    std::fs::write(
        &file,
        r#"{"cases": [
            {"name": "XOR", "pmf_dense": [[[0.25, 0.0], [0.0, 0.25]], [[0.0, 0.25], [0.25, 0.0]]], "extra": 1},
            {"name": "NEG", "pmf_dense": [[[1.25, -0.25]]]},
            {"name": "RDN", "pmf_dense": [[[0.5, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.5]]]},
            {"name": "SHORT", "pmf_dense": [[[0.5, 0.4]]]}
        ]}"#,
    )
    .unwrap();
    let o = Command::new(BIN)
        .args(["pid", "pmf", file.to_str().unwrap()])
        .output()
        .unwrap();
    let out = String::from_utf8(o.stdout).unwrap();
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        !o.status.success(),
        "invalid cases make the exit code non-zero"
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "name,measure,R,U1,U2,S,gap_bits,converged");
    assert!(lines[1].ends_with(",yes"), "{}", lines[1]);
    assert_eq!(lines.len(), 1 + 2 * 3, "{out}");
    let xor_broja: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(&xor_broja[..2], &["XOR", "BROJA"]);
    assert!((xor_broja[5].parse::<f64>().unwrap() - 1.0).abs() < 1e-9);
    assert!(lines.iter().any(|l| l.starts_with("RDN,WB,1.0000000000,")));
    assert!(lines[2].ends_with(','), "WB has no gap: {}", lines[2]);
    assert!(
        err.contains("case \"NEG\"") && err.contains("negative"),
        "{err}"
    );
    assert!(
        err.contains("case \"SHORT\"") && err.contains("sums to"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    // An iteration cap that stops BROJA early: the row says so, and stderr warns once.
    std::fs::write(
        &file,
        r#"{"cases": [{"name": "AND", "pmf_dense": [[[0.25, 0.0], [0.25, 0.0]], [[0.25, 0.0], [0.0, 0.25]]]}]}"#,
    )
    .unwrap();
    let o = Command::new(BIN)
        .args(["pid", "pmf", file.to_str().unwrap(), "--max-iter", "1"])
        .output()
        .unwrap();
    let (out, err) = (
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    );
    assert!(o.status.success(), "{err}");
    let broja_row = out.lines().nth(1).unwrap();
    assert!(
        broja_row.starts_with("AND,BROJA,") && broja_row.ends_with(",no"),
        "{out}"
    );
    assert!(
        err.contains("warning") && err.contains("--max-iter"),
        "{err}"
    );

    std::fs::write(&file, "{not json").unwrap();
    let o = Command::new(BIN)
        .args(["pid", "pmf", file.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        !o.status.success() && err.starts_with("error: ") && err.trim_end().lines().count() == 1,
        "{err}"
    );
}

#[test]
fn pid_tasks_writes_csv_and_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let mut recipe = Recipe::reference();
    recipe.name = "tiny".into();
    recipe.canvas = 48;
    recipe.template = 28;
    recipe.texture_period = 6;
    recipe.renders_per_train_combination = 1;
    recipe.pairs.max_size = 300;
    let ds_dir = tmp.path().join("ds");
    generate(
        &recipe,
        &GenerateOptions {
            out: ds_dir.clone(),
            ..Default::default()
        },
    )
    .unwrap();
    let csv_path = tmp.path().join("pid").join("tasks.csv");
    let o = Command::new(BIN)
        .args([
            "pid",
            "tasks",
            "--dataset",
            ds_dir.to_str().unwrap(),
            "--out",
            csv_path.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let mut rdr = csv::Reader::from_path(&csv_path).unwrap();
    let rows: Vec<rusbench::pid::tasks::TaskPidRow> =
        rdr.deserialize().map(|r| r.unwrap()).collect();
    // 4 sets x 4 tasks x (3 sources x 3 measures + closed form).
    assert_eq!(rows.len(), 4 * 4 * 10);
    let ideal_syn = rows
        .iter()
        .find(|r| {
            r.set == "train_unbiased"
                && r.task == "synergy"
                && r.source == "ideal"
                && r.measure == "BROJA"
        })
        .unwrap();
    assert!((ideal_syn.s - 0.468996).abs() < 1e-5, "{ideal_syn:?}");
    for r in &rows {
        let sum = r.r + r.u1 + r.u2 + r.s;
        assert!(sum.is_finite() && r.seed == 42 && r.dataset == "tiny");
        if r.measure == "BROJA" {
            assert!(r.gap_bits.is_some());
        }
    }
    // The manifest carries the rows, read back through the analysis layer.
    let ds = Dataset::open(&ds_dir).unwrap();
    // (serde_json parses floats to within an ulp, not always bit for bit.)
    let back = rusbench::pid::tasks::from_manifest(&ds).unwrap();
    assert_eq!(back.len(), rows.len());
    for (a, b) in back.iter().zip(&rows) {
        assert_eq!(
            (&a.set, &a.task, &a.source, &a.measure),
            (&b.set, &b.task, &b.source, &b.measure)
        );
        assert!(
            (a.r - b.r).abs() < 1e-12 && (a.s - b.s).abs() < 1e-12,
            "{a:?} vs {b:?}"
        );
    }
    // The manifest change does not break the dataset's integrity check.
    Dataset::open(&ds_dir).unwrap().verify().unwrap();

    // A missing dataset is a one-line error.
    let o = Command::new(BIN)
        .args([
            "pid",
            "tasks",
            "--dataset",
            tmp.path().join("nope").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        !o.status.success()
            && err.contains("gen-trifeature")
            && err.trim_end().lines().count() == 1,
        "{err}"
    );
}

#[test]
fn pid_simulate_writes_every_estimator_scenario_task_and_atom() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sub/sim.csv");
    let o = Command::new(BIN)
        .args(["pid", "simulate", "--n", "400", "--seeds", "1", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "estimator,n,k,task,atom,truth,estimate,error_bits,seed"
    );
    // 2 estimators x 4 scenarios x 4 tasks x 4 atoms.
    assert_eq!(lines.len(), 1 + 128);
    for l in &lines[1..] {
        let f: Vec<&str> = l.split(',').collect();
        let (truth, est, err): (f64, f64, f64) = (
            f[5].parse().unwrap(),
            f[6].parse().unwrap(),
            f[7].parse().unwrap(),
        );
        assert!((est - truth - err).abs() < 1e-9, "{l}");
    }
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("| probe | 400 |") && stdout.contains("| kmeans | 400 |"),
        "{stdout}"
    );

    let bad = Command::new(BIN)
        .args(["pid", "simulate", "--n", "5"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        !bad.status.success() && err.lines().count() == 1 && err.contains("--n"),
        "{err}"
    );
}

/// `pid pmf --solver ipm` and `--solver alternating` give the same atoms on a dense random pmf,
/// each row certified (converged = yes).
#[test]
fn pid_pmf_solvers_agree() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("random.json");
    let mut h = 5u64;
    let mut w = vec![vec![vec![0.0f64; 3]; 4]; 4];
    for row in w.iter_mut().flatten() {
        for v in row.iter_mut() {
            h = rusbench::rng::mix64(h.wrapping_add(1));
            *v = (h % 1000) as f64 + 1.0;
        }
    }
    let total: f64 = w.iter().flatten().flatten().sum();
    let dense: Vec<Vec<Vec<f64>>> = w
        .iter()
        .map(|a| {
            a.iter()
                .map(|b| b.iter().map(|v| v / total).collect())
                .collect()
        })
        .collect();
    let json = serde_json::json!({"cases": [{"name": "RAND", "pmf_dense": dense}]});
    std::fs::write(&file, json.to_string()).unwrap();
    let atoms = |solver: &str| -> Vec<f64> {
        let o = Command::new(BIN)
            .args([
                "pid",
                "pmf",
                file.to_str().unwrap(),
                "--tol",
                "1e-8",
                "--solver",
                solver,
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let out = String::from_utf8(o.stdout).unwrap();
        let row = out
            .lines()
            .find(|l| l.starts_with("RAND,BROJA,"))
            .unwrap()
            .to_string();
        assert!(row.ends_with(",yes"), "{solver}: {row}");
        row.split(',')
            .skip(2)
            .take(4)
            .map(|v| v.parse().unwrap())
            .collect()
    };
    let (a, b) = (atoms("alternating"), atoms("ipm"));
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() < 2e-8, "{a:?} vs {b:?}");
    }
}
