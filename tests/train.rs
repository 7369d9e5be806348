//! Smoke tests of a CoMM training run: epochs CSV, checkpoint + resume, probe output, rerun
//! determinism, bad presets. Tiny sizes only.

use rusbench::augment::Augmentation;
use rusbench::losses::CommVariant;
use rusbench::methods::MethodKind;
use rusbench::train::{TrainConfig, run};
use std::path::Path;

mod common;
use common::tiny_dataset;

fn tiny_config(epochs: usize) -> TrainConfig {
    TrainConfig {
        name: "smoke".into(),
        method: MethodKind::Comm,
        model: rusbench::models::ModelScale::Small,
        pairs: "train_unbiased".into(),
        max_pairs: 36, // 4 batches of 8 and a last one of 4 (drop_last = False)
        epochs,
        batch_size: 8,
        lr: 3e-4,
        weight_decay: 1e-4,
        temperature: 0.1,
        loss: CommVariant::Full,
        augment: [Augmentation::ALL, Augmentation::ALL],
        seed: 3,
        probe_max_pairs: 120,
        probe_every: 1,
        fusion: rusbench::train::FusionChoice::Transformer,
        factorcl_metric_swap: false,
        fusion_dim: None,
        device: rusbench::device::Backend::Cpu,
        schedule: Default::default(),
        warmup_epochs: 0,
    }
}

fn epochs_csv(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("epochs.csv")).unwrap()
}

#[test]
fn train_resume_and_probe() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    tiny_dataset(&data);

    // Two epochs straight.
    let straight = tmp.path().join("straight");
    let probe = run(&tiny_config(2), &data, &straight, false, false).unwrap();
    assert_eq!(probe.len(), 4);
    for r in &probe {
        assert!((0.0..=1.0).contains(&r.balanced_accuracy), "{r:?}");
    }
    let csv = epochs_csv(&straight);
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(straight.join("run.json").exists() && straight.join("probe.csv").exists());
    // Online probing every epoch: 4 tasks x 2 epochs, the last equal to the final probe.
    let curve = std::fs::read_to_string(straight.join("probe_curve.csv")).unwrap();
    assert_eq!(curve.lines().count(), 1 + 8, "{curve}");
    let last: Vec<&str> = curve.lines().last().unwrap().split(',').collect();
    assert_eq!((last[0], last[2]), ("2", "synergy"));
    assert!((last[3].parse::<f64>().unwrap() - probe[3].balanced_accuracy).abs() < 1e-12);
    let run_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(straight.join("run.json")).unwrap()).unwrap();
    assert_eq!(run_json["seed"], 3);

    // Training ends with the probe estimator's PID of its representation, from the final
    // probe's forward passes; `pid model` recomputing it from the checkpoint agrees.
    use rusbench::train::model_pid::{ModelPidRow, PidEstimator, model_pid, model_pid_cached};
    let read_pid = |dir: &Path| -> Vec<ModelPidRow> {
        csv::Reader::from_path(dir.join("pid.csv"))
            .unwrap()
            .deserialize()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let trained_pid = read_pid(&straight);
    assert_eq!(trained_pid.len(), 4);
    let fresh = model_pid(&straight, PidEstimator::Probe, 0).unwrap();
    for (a, b) in trained_pid.iter().zip(&fresh) {
        assert_eq!(
            (&a.task, &a.joint, a.n_fit, a.n_eval),
            (&b.task, &b.joint, b.n_fit, b.n_eval)
        );
        assert_eq!(a.probe_balanced_accuracy, b.probe_balanced_accuracy);
        for (x, y) in [(a.r, b.r), (a.u1, b.u1), (a.u2, b.u2), (a.s, b.s)] {
            assert!((x - y).abs() < 1e-3, "{a:?} vs {b:?}");
        }
    }

    // The PID of the trained representation (k-means + BROJA, then the probe estimator),
    // beside the probe.
    let pid = model_pid(&straight, PidEstimator::Kmeans(4), 100).unwrap();
    assert_eq!(pid.len(), 4);
    for (row, pr) in pid.iter().zip(&probe) {
        assert_eq!(row.task, pr.task);
        assert_eq!(row.probe_balanced_accuracy, Some(pr.balanced_accuracy));
        assert!(row.n_fit == 100 && row.k == 4 && row.estimator == "kmeans");
        for v in [row.r, row.u1, row.u2, row.s] {
            assert!(
                v.is_finite() && v > -1e-4 && v <= 4f64.log2() * 2.0 + 1e-6,
                "{row:?}"
            );
        }
    }
    assert!(straight.join("pid.csv").exists());
    // The cached estimate is reused only for the estimator that made it.
    let probe_pid = model_pid_cached(&straight, PidEstimator::Probe).unwrap();
    assert!(
        probe_pid
            .iter()
            .all(|r| r.estimator == "probe" && r.joint == "fused" && r.n_eval > 0)
    );
    for (row, truth_h) in probe_pid.iter().zip([10f64, 10.0, 10.0, 2.0]) {
        let total = row.r + row.u1 + row.u2 + row.s;
        assert!(total >= 0.0 && total <= truth_h.log2() + 1e-6, "{row:?}");
    }
    assert_eq!(
        model_pid_cached(&straight, PidEstimator::Probe).unwrap(),
        probe_pid
    );
    let e = format!(
        "{:#}",
        model_pid(&data, PidEstimator::Probe, 100).unwrap_err()
    );
    assert!(e.contains("not a finished run"), "{e}");

    // One epoch, then resume to two: the same epochs CSV as the straight run.
    let resumed = tmp.path().join("resumed");
    run(&tiny_config(1), &data, &resumed, false, false).unwrap();
    let e = run(&tiny_config(1), &data, &resumed, false, false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("--resume"), "{e}");
    // An estimate of the one-epoch model must not survive the run's extension.
    model_pid(&resumed, PidEstimator::Kmeans(4), 100).unwrap();
    run(&tiny_config(2), &data, &resumed, true, false).unwrap();
    let resumed_pid = read_pid(&resumed);
    assert!(
        resumed_pid.iter().all(|r| r.estimator == "probe"),
        "a stale PID estimate survived retraining"
    );
    assert_eq!(resumed_pid, trained_pid, "resume changed the PID estimate");
    let strip = |s: String| {
        s.lines()
            .map(|l| l.rsplitn(3, ',').nth(2).unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        strip(epochs_csv(&straight)),
        strip(epochs_csv(&resumed)),
        "resume changed the losses"
    );
    // Resuming with another config is refused.
    let mut other = tiny_config(3);
    other.lr = 1e-3;
    let e = run(&other, &data, &resumed, true, false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("another config"), "{e}");

    // Rerun from scratch: identical numbers (CPU training is deterministic).
    let again = tmp.path().join("again");
    run(&tiny_config(2), &data, &again, false, false).unwrap();
    assert_eq!(
        strip(epochs_csv(&straight)),
        strip(epochs_csv(&again)),
        "loss columns differ between reruns"
    );
}

#[test]
fn bad_presets_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("p.toml");
    let good = toml::to_string(&tiny_config(1)).unwrap();
    for (text, want) in [
        (
            good.replace("method = \"comm\"", "method = \"byol\""),
            "unknown variant `byol`",
        ),
        (
            good.replace("batch_size = 8", "batch_size = 1"),
            "batch_size",
        ),
        (format!("{good}\nfoo = 1\n"), "malformed preset"),
        // Every number finite and in range, named in the message.
        (good.replace("lr = 0.0003", "lr = inf"), "lr = inf"),
        (good.replace("lr = 0.0003", "lr = -1.0"), "lr = -1"),
        (
            good.replace("temperature = 0.1", "temperature = inf"),
            "temperature = inf",
        ),
        (
            good.replace("temperature = 0.1", "temperature = 0.0"),
            "temperature = 0",
        ),
        (
            good.replace("weight_decay = 0.0001", "weight_decay = inf"),
            "weight_decay = inf",
        ),
        (
            good.replace("weight_decay = 0.0001", "weight_decay = nan"),
            "weight_decay = NaN",
        ),
        (good.replace("epochs = 1", "epochs = 0"), "epochs = 0"),
        (
            good.replace("probe_max_pairs = 120", "probe_max_pairs = 1"),
            "probe_max_pairs = 1 is too few",
        ),
        (
            format!("{good}\nwarmup_epochs = 1\n"),
            "warmup_epochs = 1 needs",
        ),
        (
            format!("{good}\nschedule = \"cosine\"\nwarmup_epochs = 1\n"),
            "fewer warm-up epochs than epochs",
        ),
        (
            format!("{good}\nschedule = \"linear\"\n"),
            "malformed preset",
        ),
        (
            good.replace(
                "augment = [\"all\", \"all\"]",
                "augment = [\"all\", \"jitter\"]",
            ),
            "malformed preset",
        ),
        // The small scale has 4 heads: 130 is not a multiple of 4.
        (format!("{good}\nfusion_dim = 130\n"), "fusion_dim = 130"),
        (
            format!("{good}\ndevice = \"tpu\"\n"),
            "unknown device \"tpu\"",
        ),
    ] {
        std::fs::write(&p, text).unwrap();
        let e = TrainConfig::load(&p).unwrap_err().to_string();
        assert!(e.contains(want), "{e}");
    }
    let e = run(
        &tiny_config(1),
        &tmp.path().join("nope"),
        &tmp.path().join("out"),
        false,
        false,
    )
    .unwrap_err();
    assert!(format!("{e:#}").contains("gen-trifeature"), "{e:#}");
}

/// Every shipped preset (presets/ and presets/calibration/) parses and validates, so a preset the
/// README tells people to run cannot rot when a key is renamed.
#[test]
fn shipped_presets_load() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("presets");
    let mut n = 0;
    for dir in [root.clone(), root.join("calibration")] {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "toml") {
                let c = TrainConfig::load(&p).unwrap_or_else(|e| panic!("{e:#}"));
                let stem = p.file_stem().unwrap().to_str().unwrap();
                assert!(c.name.ends_with(stem), "{}: name {:?}", p.display(), c.name);
                n += 1;
            }
        }
    }
    assert!(n >= 8, "found only {n} presets");
}

#[test]
fn other_methods_train_and_probe() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    tiny_dataset(&data);
    for (kind, terms) in [
        (MethodKind::Cross, "clip"),
        (MethodKind::CrossSelf, "cross,self1,self2"),
        (
            MethodKind::Factorcl,
            "nce_x1x2,club_x1x2,nce_x1y,nce_x2y,nce_x1x2_cond,club_x1x2_cond",
        ),
    ] {
        let mut cfg = tiny_config(1);
        cfg.method = kind;
        let out = tmp.path().join(kind.name());
        let probe = run(&cfg, &data, &out, false, false).unwrap();
        assert_eq!(probe.len(), 4);
        let csv = epochs_csv(&out);
        assert!(
            csv.starts_with(&format!("epoch,loss,{terms},seconds")),
            "{csv}"
        );
        let loss: f64 = csv
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        // FactorCL's loss is a sum of negated lower bounds and can be negative.
        assert!(loss.is_finite() && loss != 0.0);
    }
}

/// FactorCL's second optimiser (CLUB critics) is checkpointed: 1 epoch + resume = 2 epochs.
#[test]
fn factorcl_resumes_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    tiny_dataset(&data);
    let cfg = |epochs| {
        let mut c = tiny_config(epochs);
        c.method = MethodKind::Factorcl;
        c.model = rusbench::models::ModelScale::Tiny;
        c.probe_every = 0;
        c
    };
    let straight = tmp.path().join("straight");
    run(&cfg(2), &data, &straight, false, false).unwrap();
    let resumed = tmp.path().join("resumed");
    run(&cfg(1), &data, &resumed, false, false).unwrap();
    run(&cfg(2), &data, &resumed, true, false).unwrap();
    let strip = |s: String| {
        s.lines()
            .map(|l| l.rsplitn(3, ',').nth(2).unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(epochs_csv(&straight)), strip(epochs_csv(&resumed)));
}

#[test]
fn same_losses_at_one_and_two_threads() {
    // Separate processes, RAYON_NUM_THREADS = 1 and 2: identical loss columns.
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    tiny_dataset(&data);
    let preset = tmp.path().join("p.toml");
    std::fs::write(&preset, toml::to_string(&tiny_config(1)).unwrap()).unwrap();
    let losses = |threads: &str| {
        let out = tmp.path().join(format!("run{threads}"));
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_rusbench"))
            .args([
                "train",
                "--preset",
                preset.to_str().unwrap(),
                "--dataset",
                data.to_str().unwrap(),
            ])
            .args(["--out", out.to_str().unwrap()])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        epochs_csv(&out)
            .lines()
            .map(|l| l.split(',').take(5).collect::<Vec<_>>().join(","))
            .collect::<Vec<_>>()
    };
    assert_eq!(losses("1"), losses("2"));
}

/// Asking for a GPU backend the binary was built without is a one-line error naming the cargo
/// feature, with a non-zero exit and nothing written (CI builds the CPU backend only).
#[test]
fn a_backend_not_built_in_is_refused_before_anything_is_written() {
    if cfg!(feature = "cuda") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let preset = tmp.path().join("p.toml");
    std::fs::write(&preset, toml::to_string(&tiny_config(1)).unwrap()).unwrap();
    let (out, results) = (tmp.path().join("run"), tmp.path().join("results"));
    let data = tmp.path().join("data");
    for args in [
        vec!["train", "--out", out.to_str().unwrap()],
        vec!["reproduce", "fig4", "--results", results.to_str().unwrap()],
    ] {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_rusbench"))
            .args(&args)
            .args(["--preset", preset.to_str().unwrap()])
            .args(["--dataset", data.to_str().unwrap(), "--device", "cuda"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?}");
        assert!(err.contains("--features cuda"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    assert!(!out.exists() && !results.exists() && !data.exists());
}

/// The view thread hands out exactly the views the training step would make in line, batch by
/// batch, and an epoch abandoned half-way (an error) does not leave it hanging.
#[test]
fn the_view_feed_makes_the_same_views_as_in_line() {
    use rusbench::augment::AugmentKey;
    use rusbench::data::trifeatures::Dataset;
    use rusbench::methods::ViewSpec;
    use rusbench::train::batch::{ImageStore, ViewFeed, view_batch};
    use std::sync::Arc;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    tiny_dataset(&data);
    let ds = Dataset::open(&data).unwrap();
    let store = Arc::new(ImageStore::load(&ds).unwrap());
    let pairs = Arc::new(ds.pairs("train_unbiased").unwrap());
    let specs = vec![
        ViewSpec {
            modality: 0,
            augmentation: Augmentation::ALL,
        },
        ViewSpec {
            modality: 1,
            augmentation: Augmentation::Weak,
        },
    ];
    let batches: Vec<Vec<usize>> = vec![vec![3, 1, 4, 1, 5], vec![9, 2, 6], vec![5, 3]];
    let device = burn::tensor::Device::flex();
    let (seed, epoch) = (7, 2);
    let mut feed = ViewFeed::start(
        store.clone(),
        pairs.clone(),
        specs.clone(),
        seed,
        epoch,
        batches.clone(),
    );
    for idx in &batches {
        let got = feed.next(&device).unwrap();
        assert_eq!(got.len(), specs.len());
        for (v, (spec, t)) in specs.iter().zip(got).enumerate() {
            let key = |i: usize| AugmentKey {
                seed,
                epoch,
                index: idx[i] as u64,
                view: v as u64,
                modality: spec.modality as u64,
            };
            let want = view_batch(
                &store,
                &pairs,
                true,
                idx,
                spec.modality,
                spec.augmentation,
                &key,
                &device,
            );
            assert_eq!(t.dims(), [idx.len(), 3, 64, 64]);
            assert_eq!(t.into_data(), want.into_data(), "batch {idx:?} view {v}");
        }
    }
    assert!(feed.next(&device).is_err(), "a fourth batch out of three");
    // Abandoned after one batch of many: dropping the feed returns.
    let mut early = ViewFeed::start(store, pairs, specs, seed, epoch, vec![vec![0, 1]; 50]);
    early.next(&device).unwrap();
    drop(early);
}
