//! `rusbench pid model --run DIR`: the PID a trained model's representation holds about each
//! task, beside the run's probe accuracies and the task's true PID. Default estimator: held-out
//! linear probes ([`crate::pid::probe_estimate`]), fitted on the unbiased training pairs the
//! run's probe used and read on the unbiased test pairs, with the final probe's crops; baseline:
//! k-means per modality + BROJA (Liang et al. 2023) on the training pairs.

use super::batch::ImageStore;
use super::{Extracted, FeatureKind, ProbeRow, TrainConfig, extract_features};
use crate::data::pairs::Task;
use crate::data::trifeatures::Dataset;
use crate::methods::comm::Comm;
use crate::methods::cross::Cross;
use crate::methods::cross_self::CrossSelf;
use crate::methods::factorcl::FactorCl;
use crate::methods::simclr::SimClr;
use crate::methods::supervised::Supervised;
use crate::methods::{Method, MethodKind};
use crate::pid::Decomposition;
use crate::pid::estimate::{clustered_pid, kmeans};
use crate::pid::probe_estimate::{Matrix, ProbePidConfig, ViewSet, probe_pid};
use crate::pid::tasks::closed_form;
use anyhow::{Context, Result, anyhow, bail};
use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The file a run's estimate is written to.
pub const PID_CSV: &str = "pid.csv";

/// Training pairs the estimate is fitted on unless `--max-pairs` says otherwise (at most the
/// run's probe pairs): feature extraction dominates the cost (three forward passes per pair for
/// CoMM), and 4,000 pairs keep a separate estimate (`pid model`) of one fig4 run within about half a
/// minute on 2 cores; at the end of training it reuses the final probe's features (seconds).
pub const DEFAULT_FIT_PAIRS: usize = 4_000;

/// The fitting pairs of a run's default estimate: [`DEFAULT_FIT_PAIRS`], or fewer if the run's
/// probe used fewer.
pub fn fit_pairs(cfg: &TrainConfig) -> usize {
    match cfg.probe_max_pairs {
        0 => DEFAULT_FIT_PAIRS,
        p => p.min(DEFAULT_FIT_PAIRS),
    }
}

/// Which representation-PID estimator to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PidEstimator {
    /// Held-out linear probes (the default).
    Probe,
    /// k-means with this many clusters per modality, then BROJA.
    Kmeans(usize),
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ModelPidRow {
    pub task: String,
    /// probe | kmeans
    pub estimator: String,
    /// [`crate::pid::probe_estimate::VERSION`] (probe) or 0 (k-means).
    pub version: u32,
    /// fused | concat (the joint view the probe estimator read) | - (k-means: sources only).
    pub joint: String,
    /// Values per discretised source (task classes, or clusters).
    pub k: usize,
    /// Pairs the probes (or k-means) were fitted on, and pairs the estimate was read on.
    pub n_fit: usize,
    pub n_eval: usize,
    #[serde(rename = "R")]
    pub r: f64,
    #[serde(rename = "U1")]
    pub u1: f64,
    #[serde(rename = "U2")]
    pub u2: f64,
    #[serde(rename = "S")]
    pub s: f64,
    pub gap_bits: f64,
    /// The run's final probe (balanced accuracy), for comparison.
    pub probe_balanced_accuracy: Option<f64>,
    /// The task's true PID on unbiased pairs (closed form, bits).
    pub true_r: f64,
    pub true_u1: f64,
    pub true_u2: f64,
    pub true_s: f64,
}

/// Estimate the PID of a finished run's representation; writes `RUN/pid.csv`. `max_pairs`
/// caps the fitting pairs (0: [`DEFAULT_FIT_PAIRS`], or fewer if the run's probe used fewer).
pub fn model_pid(
    run: &Path,
    estimator: PidEstimator,
    max_pairs: usize,
) -> Result<Vec<ModelPidRow>> {
    let (cfg, dataset) = read_run(run)?;
    let go = match cfg.method {
        MethodKind::Comm => estimate::<Comm>,
        MethodKind::Cross => estimate::<Cross>,
        MethodKind::CrossSelf => estimate::<CrossSelf>,
        MethodKind::Simclr => estimate::<SimClr>,
        MethodKind::Supervised => estimate::<Supervised>,
        MethodKind::Factorcl => estimate::<FactorCl>,
    };
    go(run, &cfg, &dataset, estimator, max_pairs)
}

/// The estimate in `RUN/pid.csv` if it was made by `estimator`, else a fresh one.
pub fn model_pid_cached(run: &Path, estimator: PidEstimator) -> Result<Vec<ModelPidRow>> {
    match cached_estimate(run, estimator) {
        Some(rows) => Ok(rows),
        None => model_pid(run, estimator, 0),
    }
}

/// The estimate in `RUN/pid.csv`, if there is one of all tasks by `estimator` (for the probe
/// estimator: its current version).
pub fn cached_estimate(run: &Path, estimator: PidEstimator) -> Option<Vec<ModelPidRow>> {
    let mut r = csv::Reader::from_path(run.join(PID_CSV)).ok()?;
    let rows: Vec<ModelPidRow> = r.deserialize().collect::<Result<_, _>>().ok()?;
    let want = match estimator {
        PidEstimator::Probe => ("probe", 0, crate::pid::probe_estimate::VERSION),
        PidEstimator::Kmeans(k) => ("kmeans", k, 0),
    };
    let same = |r: &ModelPidRow| {
        r.estimator == want.0 && (want.1 == 0 || r.k == want.1) && r.version == want.2
    };
    (rows.len() == Task::ALL.len() && rows.iter().all(same)).then_some(rows)
}

/// The probe estimator's rows for the four tasks, from the PID views of the fitting pairs (already
/// cut to the fitting budget) and of the evaluation pairs; `probe` gives the accuracies beside.
pub fn probe_pid_rows(
    fit: &Extracted,
    eval: &Extracted,
    probe: &[ProbeRow],
) -> Result<Vec<ModelPidRow>> {
    let mut rows = Vec::new();
    for t in 0..Task::ALL.len() {
        let ny = Task::ALL[t].n_classes();
        let (yf, ye) = (task_labels(&fit.2, t), task_labels(&eval.2, t));
        let e = probe_pid(
            &views(fit, &yf),
            &views(eval, &ye),
            ny,
            &ProbePidConfig::default(),
        )?;
        let n = (yf.len(), ye.len());
        rows.push(pid_row(
            t,
            "probe",
            e.joint.name(),
            ny,
            n,
            e.pid,
            e.gap_bits,
            probe,
        ));
    }
    Ok(rows)
}

/// One row of `pid.csv`: task `t`'s estimate beside its probe accuracy and its true PID.
#[allow(clippy::too_many_arguments)]
fn pid_row(
    t: usize,
    estimator: &str,
    joint: &str,
    k: usize,
    n: (usize, usize),
    d: Decomposition,
    gap: f64,
    probe: &[ProbeRow],
) -> ModelPidRow {
    let truth = closed_form(t, 10, 0.1);
    ModelPidRow {
        task: Task::ALL[t].name().into(),
        estimator: estimator.into(),
        version: if estimator == "probe" {
            crate::pid::probe_estimate::VERSION
        } else {
            0
        },
        joint: joint.into(),
        k,
        n_fit: n.0,
        n_eval: n.1,
        r: d.r,
        u1: d.u1,
        u2: d.u2,
        s: d.s,
        gap_bits: gap,
        probe_balanced_accuracy: probe
            .iter()
            .find(|p| p.task == Task::ALL[t].name())
            .map(|p| p.balanced_accuracy),
        true_r: truth.r,
        true_u1: truth.u1,
        true_u2: truth.u2,
        true_s: truth.s,
    }
}

fn read_run(run: &Path) -> Result<(TrainConfig, PathBuf)> {
    let path = run.join("run.json");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{} is not a finished run (no run.json); train it with rusbench train",
            run.display()
        )
    })?;
    let json: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is corrupt", path.display()))?;
    let cfg: TrainConfig = serde_json::from_value(json["config"].clone())
        .with_context(|| format!("{} has no valid config", path.display()))?;
    let dataset = json["dataset"]
        .as_str()
        .ok_or_else(|| anyhow!("{} names no dataset", path.display()))?;
    Ok((cfg, PathBuf::from(dataset)))
}

/// Per-task labels of extracted pairs.
fn task_labels(labels: &[[u8; 4]], t: usize) -> Vec<u32> {
    labels.iter().map(|l| l[t] as u32).collect()
}

fn views<'a>(e: &'a Extracted, y: &'a [u32]) -> ViewSet<'a> {
    let m = |i: usize| Matrix {
        x: &e.0[i],
        d: e.1[i],
    };
    ViewSet {
        z1: m(0),
        z2: m(1),
        z12: (e.0.len() == 3).then(|| m(2)),
        y,
    }
}

fn estimate<M: Method>(
    run: &Path,
    cfg: &TrainConfig,
    dataset: &Path,
    estimator: PidEstimator,
    max_pairs: usize,
) -> Result<Vec<ModelPidRow>> {
    if let PidEstimator::Kmeans(k) = estimator
        && k < 2
    {
        bail!("--clusters must be at least 2");
    }
    let device = Device::flex();
    let ckpt = run.join("checkpoint");
    let files = super::checkpoint::read_state(&ckpt)?
        .ok_or_else(|| anyhow!("{} has no checkpoint; the run is incomplete", run.display()))?
        .files(&ckpt);
    let model = M::init(&cfg.settings(), &device)
        .try_load_file(files.join("model.bpk"))
        .map_err(|e| {
            anyhow!(
                "cannot load {}/model.bpk ({e:?}); the run is incomplete or corrupt",
                files.display()
            )
        })?;
    let ds = Dataset::open(dataset)?;
    let store = ImageStore::load(&ds)?;
    let cap = match max_pairs {
        0 => fit_pairs(cfg),
        m => m,
    };
    // The final probe's crops (keyed by the last epoch), so bits and accuracies read the same views.
    let extract = |set: &str, cap: usize, kind: FeatureKind| {
        extract_features(
            &model,
            &ds,
            &store,
            set,
            cfg.seed,
            cfg.epochs as u64,
            cap,
            kind,
            &device,
        )
    };
    let probe: Vec<ProbeRow> = csv::Reader::from_path(run.join("probe.csv"))
        .ok()
        .map(|mut r| r.deserialize().filter_map(|x| x.ok()).collect())
        .unwrap_or_default();
    let rows = match estimator {
        PidEstimator::Probe => {
            let fit = extract("train_unbiased", cap, FeatureKind::PidViews)?;
            let eval = extract("test_unbiased", 0, FeatureKind::PidViews)?;
            probe_pid_rows(&fit, &eval, &probe)?
        }
        PidEstimator::Kmeans(k) => {
            let (x, dims, labels) = extract("train_unbiased", cap, FeatureKind::PerModality)?;
            let c1 = kmeans(&x[0], dims[0], k, cfg.seed, 100);
            let c2 = kmeans(&x[1], dims[1], k, cfg.seed.wrapping_add(1), 100);
            let mut rows = Vec::new();
            for t in 0..Task::ALL.len() {
                let ny = Task::ALL[t].n_classes();
                let b = clustered_pid(&c1, &c2, &task_labels(&labels, t), k, ny)?;
                let n = (labels.len(), labels.len());
                rows.push(pid_row(t, "kmeans", "-", k, n, b.pid, b.gap_bits, &probe));
            }
            rows
        }
    };
    super::write_csv(&run.join(PID_CSV), &rows)?;
    Ok(rows)
}
