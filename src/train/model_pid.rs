//! `rusbench pid model --run DIR`: the PID a trained model's representation holds about each task
//! (k-means per modality, then BROJA on (cluster 1, cluster 2, label); Liang et al. 2023), beside
//! the run's probe accuracies and the task's true PID.

use super::batch::ImageStore;
use super::{FeatureKind, ProbeRow, TrainConfig, extract_features};
use crate::data::trifeatures::Dataset;
use crate::data::trifeatures::dataset::write_atomic;
use crate::methods::comm::Comm;
use crate::methods::cross::Cross;
use crate::methods::cross_self::CrossSelf;
use crate::methods::factorcl::FactorCl;
use crate::methods::simclr::SimClr;
use crate::methods::supervised::Supervised;
use crate::methods::{Method, MethodKind};
use crate::pid::estimate::{clustered_pid, kmeans};
use crate::pid::tasks::closed_form;
use anyhow::{Context, Result, anyhow, bail};
use burn::tensor::Device;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ModelPidRow {
    pub task: String,
    pub clusters: usize,
    pub n_pairs: usize,
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

/// Estimate the PID of a finished run's representation on its unbiased training pairs.
pub fn model_pid(run: &Path, clusters: usize, max_pairs: usize) -> Result<Vec<ModelPidRow>> {
    let run_json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run.join("run.json")).with_context(|| {
            format!(
                "{} is not a finished run (no run.json); train it with rusbench train",
                run.display()
            )
        })?,
    )
    .with_context(|| format!("{}/run.json is corrupt", run.display()))?;
    let cfg: TrainConfig = serde_json::from_value(run_json["config"].clone())
        .with_context(|| format!("{}/run.json has no valid config", run.display()))?;
    let dataset = PathBuf::from(
        run_json["dataset"]
            .as_str()
            .ok_or_else(|| anyhow!("{}/run.json names no dataset", run.display()))?,
    );
    match cfg.method {
        MethodKind::Comm => estimate::<Comm>(run, &cfg, &dataset, clusters, max_pairs),
        MethodKind::Cross => estimate::<Cross>(run, &cfg, &dataset, clusters, max_pairs),
        MethodKind::CrossSelf => estimate::<CrossSelf>(run, &cfg, &dataset, clusters, max_pairs),
        MethodKind::Simclr => estimate::<SimClr>(run, &cfg, &dataset, clusters, max_pairs),
        MethodKind::Supervised => estimate::<Supervised>(run, &cfg, &dataset, clusters, max_pairs),
        MethodKind::Factorcl => estimate::<FactorCl>(run, &cfg, &dataset, clusters, max_pairs),
    }
}

fn estimate<M: Method>(
    run: &Path,
    cfg: &TrainConfig,
    dataset: &Path,
    clusters: usize,
    max_pairs: usize,
) -> Result<Vec<ModelPidRow>> {
    if clusters < 2 {
        bail!("--clusters must be at least 2");
    }
    let device = Device::flex();
    let model = M::init(&cfg.settings(), &device)
        .try_load_file(run.join("checkpoint").join("model.bpk"))
        .map_err(|e| {
            anyhow!(
                "cannot load {}/checkpoint/model.bpk ({e:?}); the run is incomplete or corrupt",
                run.display()
            )
        })?;
    let ds = Dataset::open(dataset)?;
    let store = ImageStore::load(&ds)?;
    let (x, dims, labels) = extract_features(
        &model,
        &ds,
        &store,
        "train_unbiased",
        cfg.seed,
        u64::MAX / 2,
        max_pairs,
        FeatureKind::PerModality,
        &device,
    )?;
    let c1 = kmeans(&x[0], dims[0], clusters, cfg.seed, 100);
    let c2 = kmeans(&x[1], dims[1], clusters, cfg.seed.wrapping_add(1), 100);
    let probe: Vec<ProbeRow> = csv::Reader::from_path(run.join("probe.csv"))
        .ok()
        .map(|mut r| r.deserialize().filter_map(|x| x.ok()).collect())
        .unwrap_or_default();
    let mut rows = Vec::new();
    for (t, task) in ["share", "unique1", "unique2", "synergy"]
        .iter()
        .enumerate()
    {
        let ny = if t == 3 { 2 } else { 10 };
        let y: Vec<u32> = labels.iter().map(|l| l[t] as u32).collect();
        let b = clustered_pid(&c1, &c2, &y, clusters, ny)?;
        let truth = closed_form(t, 10, 0.1);
        rows.push(ModelPidRow {
            task: task.to_string(),
            clusters,
            n_pairs: labels.len(),
            r: b.pid.r,
            u1: b.pid.u1,
            u2: b.pid.u2,
            s: b.pid.s,
            gap_bits: b.gap_bits,
            probe_balanced_accuracy: probe
                .iter()
                .find(|p| p.task == *task)
                .map(|p| p.balanced_accuracy),
            true_r: truth.r,
            true_u1: truth.u1,
            true_u2: truth.u2,
            true_s: truth.s,
        });
    }
    let mut buf = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut buf);
        for r in &rows {
            w.serialize(r)?;
        }
        w.flush()?;
    }
    write_atomic(&run.join("pid.csv"), &buf)?;
    Ok(rows)
}
