//! Training runs: a preset (TOML) -> a run directory with the resolved config, a per-epoch CSV,
//! checkpoints (resumable), and the final linear-probe results on the four tasks.
//!
//! Methods: CoMM (with its `full`, `multimodal-only` and `unimodal-only` losses), Cross (CLIP),
//! Cross+Self and SimCLR. Every random draw
//! is keyed: batches by (seed, epoch), views by (seed, epoch, pair, view, modality), weights by
//! the seed.

pub mod batch;
pub mod checkpoint;
pub mod model_pid;
pub mod schedule;

use crate::augment::{AugmentKey, Augmentation};
use crate::data::trifeatures::Dataset;
use crate::data::trifeatures::dataset::write_atomic;
use crate::device::Backend;
use crate::losses::CommVariant;
use crate::methods::comm::Comm;
use crate::methods::cross::Cross;
use crate::methods::cross_self::CrossSelf;
use crate::methods::factorcl::FactorCl;
use crate::methods::optim::adamw;
use crate::methods::simclr::SimClr;
use crate::methods::supervised::Supervised;
use crate::methods::{Method, MethodKind, MethodSettings};
use crate::models::ModelScale;
use crate::models::vector_fusion::FusionKind;
use crate::probe::{Features, ProbeConfig, linear_probe};
use crate::rng::{Stream, item_rng};
use anyhow::{Context, Result, anyhow, bail};
use batch::{ImageStore, ViewFeed, view_batch};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor};
use rand::RngExt;
use schedule::LrSchedule;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

/// The version of what a run computes from its config: bumped when a fix changes training or
/// probe numbers, so that cached runs (keyed by config, data and this) are not reused across it.
/// 2: crop-resize taps stay inside the crop box; the probe scores all test pairs.
pub const TRAINING_VERSION: u32 = 2;

/// Runs in one process take turns: burn's seed can be global to the backend and its autodiff
/// state is process-wide, and two runs training concurrently in one process were measured to
/// change each other's numbers. Separate processes (any thread count) give identical results.
static RUN_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A training preset (`presets/*.toml`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    pub name: String,
    /// comm, cross or cross-self.
    pub method: MethodKind,
    /// tiny or small (64 px trunks) or paper (224 px).
    pub model: ModelScale,
    /// Pre-training pair set: "train_unbiased" (R/U) or "train_biased" (S).
    pub pairs: String,
    /// Use at most this many pre-training pairs (0: all).
    pub max_pairs: usize,
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub weight_decay: f64,
    pub temperature: f64,
    pub loss: CommVariant,
    /// Per modality.
    pub augment: [Augmentation; 2],
    pub seed: u64,
    /// Probe on at most this many pairs of each probe set (0: all, as the reference).
    pub probe_max_pairs: usize,
    /// Probe every this many epochs into `probe_curve.csv` (0: only after the last epoch).
    #[serde(default)]
    pub probe_every: usize,
    /// CoMM's fusion: transformer (default), linear or mlp (the fusion ablation).
    #[serde(default = "default_fusion")]
    pub fusion: FusionChoice,
    /// FactorCL only: report the reference's swapped-argument metric (macro precision,
    /// REFERENCE §9.4) instead of balanced accuracy. Off by default (the bug, kept for comparison).
    #[serde(default)]
    pub factorcl_metric_swap: bool,
    /// CoMM/supervised only: fusion width overriding the model scale's (tokens, transformer,
    /// MLP 4x, head d-d-d-d/2). Omitted when unset, so presets without it keep their run keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fusion_dim: Option<usize>,
    /// Backend to train on: cpu (flex; default, bit-reproducible), cuda, wgpu, vulkan or tch
    /// (libtorch on the CPU); each but cpu needs its cargo feature. Omitted when cpu, so CPU runs
    /// keep their run keys; another backend's run gets its own key, since its numbers differ in
    /// the last bits.
    #[serde(default, skip_serializing_if = "Backend::is_cpu")]
    pub device: Backend,
    /// lr schedule: constant (the reference; omitted when so) or cosine (warm-up, then decay).
    #[serde(default, skip_serializing_if = "LrSchedule::is_constant")]
    pub schedule: LrSchedule,
    /// Linear warm-up epochs of the cosine schedule (omitted when 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub warmup_epochs: usize,
}

/// The fewest training pairs a probe may be fitted on (`probe_max_pairs`, 0: all): two per class
/// of the 10-class tasks, one for each side of the probe's 60/40 split.
const MIN_PROBE_PAIRS: usize = 20;

fn is_zero(v: &usize) -> bool {
    *v == 0
}

/// The fusion ablation's choices, as written in presets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FusionChoice {
    Transformer,
    Linear,
    Mlp,
}

fn default_fusion() -> FusionChoice {
    FusionChoice::Transformer
}

impl TrainConfig {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read preset {}", path.display()))?;
        let c: TrainConfig = toml::from_str(&text).map_err(|e| {
            anyhow!(
                "malformed preset {}: {}; see presets/quick.toml",
                path.display(),
                e.message().trim()
            )
        })?;
        c.validate()?;
        Ok(c)
    }

    pub fn validate(&self) -> Result<()> {
        if !["train_unbiased", "train_biased"].contains(&self.pairs.as_str()) {
            bail!(
                "pairs = {:?}; use train_unbiased or train_biased",
                self.pairs
            );
        }
        // Every number finite and in a range that can train, named in the error with the fix.
        let ints = [
            ("epochs", self.epochs, 1, 100_000),
            ("batch_size", self.batch_size, 2, 65_536),
        ];
        for (key, v, lo, hi) in ints {
            if !(lo..=hi).contains(&v) {
                bail!(
                    "{key} = {v} is out of range; use {lo}..={hi} (contrastive batches need 2 pairs)"
                );
            }
        }
        let floats = [
            ("lr", self.lr, f64::MIN_POSITIVE, 1.0),
            ("temperature", self.temperature, f64::MIN_POSITIVE, 100.0),
            ("weight_decay", self.weight_decay, 0.0, 1.0),
        ];
        for (key, v, lo, hi) in floats {
            if !(v.is_finite() && v >= lo && v <= hi) {
                bail!(
                    "{key} = {v} is out of range; use a finite value in [{lo:e}, {hi}] (positive for lr and temperature)"
                );
            }
        }
        // Fewer probe pairs than two per class of the 10-class tasks leaves classes off one side
        // of the probe's stratified 60/40 split: it fitted 1 pair and reported chance with exit 0.
        if self.probe_max_pairs != 0 && self.probe_max_pairs < MIN_PROBE_PAIRS {
            bail!(
                "probe_max_pairs = {} is too few for a 10-class probe; use 0 (all pairs) or at least {MIN_PROBE_PAIRS}",
                self.probe_max_pairs
            );
        }
        if self.warmup_epochs > 0
            && (self.schedule.is_constant() || self.warmup_epochs >= self.epochs)
        {
            bail!(
                "warmup_epochs = {} needs schedule = \"cosine\" and fewer warm-up epochs than epochs ({})",
                self.warmup_epochs,
                self.epochs
            );
        }
        if let Some(d) = self.fusion_dim {
            let heads = crate::methods::comm::CommConfig::at(self.model)
                .fusion
                .heads;
            if d == 0 || d % heads != 0 || d % 2 != 0 {
                bail!(
                    "fusion_dim = {d}: must be a positive multiple of the {heads} attention heads and even; e.g. {}",
                    heads.max(2) * 32
                );
            }
        }
        Ok(())
    }

    pub fn settings(&self) -> MethodSettings {
        MethodSettings {
            model: self.model,
            temperature: self.temperature,
            comm_loss: self.loss,
            augment: self.augment,
            fusion: match self.fusion {
                FusionChoice::Transformer => FusionKind::Transformer,
                FusionChoice::Linear => FusionKind::Linear,
                FusionChoice::Mlp => FusionKind::Mlp,
            },
            fusion_dim: self.fusion_dim,
        }
    }
}

/// One row of `epochs.csv`: epoch, loss, the method's terms, seconds, pairs/s.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochRow {
    pub epoch: usize,
    pub loss: f64,
    pub terms: Vec<f64>,
    pub seconds: f64,
    pub pairs_per_s: f64,
}

/// One row of `probe_curve.csv` (online probing).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CurveRow {
    pub epoch: usize,
    pub step: usize,
    pub task: String,
    pub balanced_accuracy: f64,
    pub accuracy: f64,
    pub roc_auc: Option<f64>,
}

/// One row of `probe.csv`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ProbeRow {
    pub task: String,
    pub balanced_accuracy: f64,
    pub accuracy: f64,
    pub roc_auc: Option<f64>,
    pub best_c: f64,
}

/// The value of a one-element tensor (NaN if it cannot be read).
pub(crate) fn scalar(x: Tensor<1>) -> f64 {
    x.into_data()
        .convert::<f64>()
        .try_into_vec::<f64>()
        .map(|v| v[0])
        .unwrap_or(f64::NAN)
}

/// Train (or resume) a run in `out` and probe it. Returns the probe rows.
pub fn run(
    cfg: &TrainConfig,
    dataset: &Path,
    out: &Path,
    resume: bool,
    progress: bool,
) -> Result<Vec<ProbeRow>> {
    match cfg.method {
        MethodKind::Comm => run_method::<Comm>(cfg, dataset, out, resume, progress),
        MethodKind::Cross => run_method::<Cross>(cfg, dataset, out, resume, progress),
        MethodKind::CrossSelf => run_method::<CrossSelf>(cfg, dataset, out, resume, progress),
        MethodKind::Simclr => run_method::<SimClr>(cfg, dataset, out, resume, progress),
        MethodKind::Supervised => run_method::<Supervised>(cfg, dataset, out, resume, progress),
        MethodKind::Factorcl => run_method::<FactorCl>(cfg, dataset, out, resume, progress),
    }
}

fn run_method<M: Method>(
    cfg: &TrainConfig,
    dataset: &Path,
    out: &Path,
    resume: bool,
    progress: bool,
) -> Result<Vec<ProbeRow>> {
    cfg.validate()?;
    // Before anything is written: a backend that is not compiled in is a one-line error.
    let device = cfg.device.device()?.autodiff();
    let _turn = RUN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let settings = cfg.settings();
    let specs = M::views(&settings);
    let names = M::term_names();
    let ds = Dataset::open(dataset)?;
    let canvas = ds.manifest.recipe.canvas;
    let want = cfg.model.canvas();
    if canvas != want {
        bail!(
            "model {:?} needs a {want} px dataset, {} is {canvas} px; generate the matching recipe",
            cfg.model,
            dataset.display()
        );
    }
    let store = Arc::new(ImageStore::load(&ds)?);
    let mut pairs = ds.pairs(&cfg.pairs)?;
    if cfg.max_pairs > 0 {
        pairs.truncate(cfg.max_pairs);
    }
    let pairs = Arc::new(pairs);
    // Only now that the data has loaded and checked out: a failed start leaves nothing behind.
    std::fs::create_dir_all(out).with_context(|| {
        format!(
            "cannot create run directory {}; choose a writable --out",
            out.display()
        )
    })?;
    // A PID estimate of an earlier state of this run directory no longer describes the model.
    let _ = std::fs::remove_file(out.join(model_pid::PID_CSV));
    let config_text = toml::to_string(cfg)?;
    // A constant-lr run can be extended to more epochs: everything but `epochs` must match to
    // resume. A scheduled lr depends on the epoch count, so there it must match too.
    let resume_key = toml::to_string(&TrainConfig {
        epochs: if cfg.schedule.is_constant() {
            0
        } else {
            cfg.epochs
        },
        ..cfg.clone()
    })?;
    let ckpt = out.join("checkpoint");
    let state_path = ckpt.join(checkpoint::STATE);

    device.seed(cfg.seed);
    let mut model = M::init(&settings, &device);
    let mut optim = adamw(cfg.weight_decay);
    // FactorCL's CLUB critics: their own Adam, no decay (REFERENCE §9.3).
    let mut aux_optim = adamw(0.0);
    let mut start = 0;
    let mut rows: Vec<EpochRow> = Vec::new();
    let mut curve: Vec<CurveRow> = Vec::new();
    let state = if resume {
        checkpoint::read_state(&ckpt)?
    } else {
        None
    };
    if let Some(state) = &state {
        if state.resume_key != resume_key {
            bail!(
                "{} was made with another config; resume with the same preset or choose another --out",
                out.display()
            );
        }
        start = state.epoch;
        // Files of an epoch a kill interrupted before state.json named it.
        checkpoint::prune(&ckpt, state);
        let files = state.files(&ckpt);
        let corrupt = |what: &str, e: String| {
            anyhow!(
                "corrupt {what} in {} ({e}); delete the run directory to restart",
                files.display()
            )
        };
        model = model
            .try_load_file(files.join("model.bpk"))
            .map_err(|e| corrupt("model checkpoint", format!("{e:?}")))?;
        optim = optim
            .load(files.join("optim.bpk"))
            .map_err(|e| corrupt("optimizer checkpoint", format!("{e:?}")))?;
        if M::AUX {
            aux_optim = aux_optim
                .load(files.join("optim_aux.bpk"))
                .map_err(|e| corrupt("optimizer checkpoint", format!("{e:?}")))?;
        }
        rows = read_rows(&out.join("epochs.csv"), names.len())?;
        rows.truncate(start);
        let curve_path = out.join("probe_curve.csv");
        if curve_path.exists() {
            let mut rdr = csv::Reader::from_path(&curve_path)?;
            curve = rdr
                .deserialize::<CurveRow>()
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| {
                    anyhow!(
                        "{} is corrupt ({e}); delete the run directory to restart",
                        curve_path.display()
                    )
                })?;
            curve.retain(|r| r.epoch <= start);
        }
    } else if state_path.exists() && !resume {
        bail!(
            "{} already holds a run; pass --resume to continue it or choose another --out",
            out.display()
        );
    }

    // drop_last = False, as the reference (10,000 pairs: 156 full batches and one of 16); a final
    // batch of one pair has no negatives and is skipped.
    let steps = if pairs.len() % cfg.batch_size == 1 {
        pairs.len() / cfg.batch_size
    } else {
        pairs.len().div_ceil(cfg.batch_size)
    };
    if steps == 0 {
        bail!(
            "{} has {} pairs in {}; a contrastive batch needs at least 2",
            dataset.display(),
            pairs.len(),
            cfg.pairs
        );
    }
    let bar = if progress {
        indicatif::ProgressBar::new(((cfg.epochs - start.min(cfg.epochs)) * steps) as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut last_probe: Option<(Vec<ProbeRow>, Vec<model_pid::ModelPidRow>)> = None;
    for epoch in start..cfg.epochs {
        let t0 = std::time::Instant::now();
        // Keyed shuffle of the pair order for this epoch.
        let mut order: Vec<usize> = (0..pairs.len()).collect();
        let mut rng = item_rng(cfg.seed, Stream::Pairs, &[0x7472, epoch as u64]);
        for i in (1..order.len()).rev() {
            order.swap(i, rng.random_range(0..=i));
        }
        let batch = |step: usize| {
            &order[step * cfg.batch_size..((step + 1) * cfg.batch_size).min(order.len())]
        };
        let mut feed = ViewFeed::start(
            store.clone(),
            pairs.clone(),
            specs.clone(),
            cfg.seed,
            epoch as u64,
            (0..steps).map(|s| batch(s).to_vec()).collect(),
        );
        let mut sums = vec![0.0f64; 1 + names.len()];
        for step in 0..steps {
            let idx = batch(step);
            let views = feed.next(&device)?;
            let labels: Vec<[u8; 4]> = idx.iter().map(|&i| pairs[i].labels).collect();
            let aux_views = M::AUX.then(|| views.clone());
            let out_loss = model.loss(views, &labels, &settings);
            let loss_v = scalar(out_loss.loss.clone());
            if !loss_v.is_finite() {
                bail!(
                    "loss became {loss_v} at epoch {} step {} of {steps}; lower lr (now {}) or check the data",
                    epoch + 1,
                    step + 1,
                    cfg.lr
                );
            }
            sums[0] += loss_v;
            for (acc, t) in sums[1..].iter_mut().zip(out_loss.terms) {
                *acc += scalar(t);
            }
            let lr = cfg.schedule.lr(
                cfg.lr,
                epoch * steps + step,
                cfg.epochs * steps,
                cfg.warmup_epochs * steps,
            );
            let grads = model.main_grads(out_loss.loss);
            model = optim.step(lr, model, grads).after_step();
            if let Some(aux) = aux_views.and_then(|v| model.aux_loss(v)) {
                let grads = GradientsParams::from_grads(aux.backward(), &model);
                model = aux_optim.step(lr, model, grads);
            }
            bar.inc(1);
        }
        let secs = t0.elapsed().as_secs_f64();
        let n = steps as f64;
        rows.push(EpochRow {
            epoch: epoch + 1,
            loss: sums[0] / n,
            terms: sums[1..].iter().map(|s| s / n).collect(),
            seconds: secs,
            pairs_per_s: (steps * cfg.batch_size).min(pairs.len()) as f64 / secs,
        });
        write_rows(&out.join("epochs.csv"), &names, &rows)?;
        if cfg.probe_every > 0 && (epoch + 1) % cfg.probe_every == 0 {
            let probe = if epoch + 1 == cfg.epochs {
                // The final probe (same model, same crops), done here once with its PID.
                let last = final_probe(&model.valid(), &ds, &store, cfg)?;
                last_probe = Some(last.clone());
                last.0
            } else {
                probe_model(&model.valid(), &ds, &store, cfg, epoch as u64 + 1)?
            };
            curve.extend(probe.into_iter().map(|r| CurveRow {
                epoch: epoch + 1,
                step: (epoch + 1) * steps,
                task: r.task,
                balanced_accuracy: r.balanced_accuracy,
                accuracy: r.accuracy,
                roc_auc: r.roc_auc,
            }));
            write_csv(&out.join("probe_curve.csv"), &curve)?;
        }
        // Checkpoint: this epoch's files in a directory of their own, then the state that
        // names it (atomic as a whole: see `checkpoint`).
        std::fs::create_dir_all(&ckpt)?;
        let state = checkpoint::State {
            epoch: epoch + 1,
            config: config_text.clone(),
            resume_key: resume_key.clone(),
            dir: None,
        };
        checkpoint::save(&ckpt, &state, &model, &optim, M::AUX.then_some(&aux_optim))?;
    }
    bar.finish_and_clear();

    let (probe, pid) = match last_probe {
        Some(p) => p,
        None => final_probe(&model.valid(), &ds, &store, cfg)?,
    };
    write_csv(&out.join("probe.csv"), &probe)?;
    write_csv(&out.join(model_pid::PID_CSV), &pid)?;
    let manifest = serde_json::json!({
        "seed": cfg.seed,
        "config": cfg,
        "dataset": dataset.display().to_string(),
        "dataset_sha256": ds.manifest.sha256,
        "crate_version": env!("CARGO_PKG_VERSION"),
        "training_version": TRAINING_VERSION,
        "cpu": crate::device::cpu_model(),
        "cpu_kernels": cfg.device.is_cpu().then_some(crate::device::CPU_KERNELS),
        "device": match cfg.device {
            Backend::Cpu => "cpu (burn flex)".to_string(),
            b => format!("{b} (burn {b})"),
        },
        "probe": probe,
    });
    write_atomic(
        &out.join("run.json"),
        serde_json::to_string_pretty(&manifest)?.as_bytes(),
    )?;
    write_atomic(&out.join("config.toml"), config_text.as_bytes())?;
    Ok(probe)
}

/// Serialize `rows` to a CSV at `path`, atomically.
pub fn write_csv<T: Serialize>(path: &Path, rows: &[T]) -> Result<()> {
    let mut buf = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut buf);
        for r in rows {
            w.serialize(r)?;
        }
        w.flush()?;
    }
    write_atomic(path, &buf)
}

fn write_rows(path: &Path, names: &[&str], rows: &[EpochRow]) -> Result<()> {
    let mut buf = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut buf);
        let mut header = vec!["epoch", "loss"];
        header.extend_from_slice(names);
        header.extend(["seconds", "pairs_per_s"]);
        w.write_record(&header)?;
        for r in rows {
            let mut rec = vec![r.epoch.to_string(), r.loss.to_string()];
            rec.extend(r.terms.iter().map(|t| t.to_string()));
            rec.extend([r.seconds.to_string(), r.pairs_per_s.to_string()]);
            w.write_record(&rec)?;
        }
        w.flush()?;
    }
    write_atomic(path, &buf)
}

fn read_rows(path: &Path, n_terms: usize) -> Result<Vec<EpochRow>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let corrupt = || {
        anyhow!(
            "{} is corrupt; delete the run directory to restart",
            path.display()
        )
    };
    let mut rdr = csv::Reader::from_path(path)?;
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|_| corrupt())?;
        let v: Vec<f64> = rec
            .iter()
            .map(|x| x.parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| corrupt())?;
        if v.len() != 4 + n_terms {
            return Err(corrupt());
        }
        rows.push(EpochRow {
            epoch: v[0] as usize,
            loss: v[1],
            terms: v[2..2 + n_terms].to_vec(),
            seconds: v[2 + n_terms],
            pairs_per_s: v[3 + n_terms],
        });
    }
    Ok(rows)
}

/// Feature matrices (row-major), their widths, and the pairs' labels.
pub type Extracted = (Vec<Vec<f32>>, Vec<usize>, Vec<[u8; 4]>);

/// Which features to extract from a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeatureKind {
    /// The method's probe feature (REFERENCE §7).
    Joint,
    /// One feature per modality ([`Method::modality_features`]), for the PID estimator.
    PerModality,
    /// The PID estimator's views ([`Method::pid_views`]): two per-modality features, and a third,
    /// fused one for methods that fuse the modalities.
    PidViews,
}

/// Features of the pairs of `set` (at most `max_pairs`, 0: all) from fresh weak crops keyed by
/// `key_epoch`; returns one row-major matrix per output (1 joint, 2 per-modality, or 2-3 PID
/// views), their
/// widths, and the pairs' labels.
#[allow(clippy::too_many_arguments)]
pub fn extract_features<M: Method>(
    model: &M,
    ds: &Dataset,
    store: &ImageStore,
    set: &str,
    seed: u64,
    key_epoch: u64,
    max_pairs: usize,
    kind: FeatureKind,
    device: &Device,
) -> Result<Extracted> {
    let mut pairs = ds.pairs(set)?;
    if max_pairs > 0 {
        pairs.truncate(max_pairs);
    }
    let train = set.starts_with("train");
    let mut x: Vec<Vec<f32>> = Vec::new();
    let mut dims = Vec::new();
    let to_vec = |z: Tensor<2>| {
        z.into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .map_err(|e| anyhow!("{e:?}"))
    };
    for chunk in (0..pairs.len()).collect::<Vec<_>>().chunks(256) {
        let key = |m: u64| {
            move |i: usize| AugmentKey {
                seed,
                epoch: u64::MAX - key_epoch,
                index: chunk[i] as u64,
                view: 0,
                modality: m,
            }
        };
        let x1 = view_batch(
            store,
            &pairs,
            train,
            chunk,
            0,
            Augmentation::Weak,
            &key(0),
            device,
        );
        let x2 = view_batch(
            store,
            &pairs,
            train,
            chunk,
            1,
            Augmentation::Weak,
            &key(1),
            device,
        );
        let zs = match kind {
            FeatureKind::Joint => vec![model.features(x1, x2)],
            FeatureKind::PerModality => {
                let (a, b) = model.modality_features(x1, x2);
                vec![a, b]
            }
            FeatureKind::PidViews => {
                let (a, b, z) = model.pid_views(x1, x2);
                [Some(a), Some(b), z].into_iter().flatten().collect()
            }
        };
        x.resize(zs.len(), Vec::new());
        dims.resize(zs.len(), 0);
        for (k, z) in zs.into_iter().enumerate() {
            dims[k] = z.dims()[1];
            x[k].extend(to_vec(z)?);
        }
    }
    Ok((x, dims, pairs.iter().map(|p| p.labels).collect()))
}

/// Probe features (fresh weak crops at every extraction, keyed by `probe_epoch`, as the
/// reference) on the unbiased train and test pairs, then the reference protocol on the four tasks.
pub fn probe_model<M: Method>(
    model: &M,
    ds: &Dataset,
    store: &ImageStore,
    cfg: &TrainConfig,
    probe_epoch: u64,
) -> Result<Vec<ProbeRow>> {
    let (train, test) = probe_sets(model, ds, store, cfg, probe_epoch, FeatureKind::Joint)?;
    Ok(probe_tasks(&train, &test, cfg))
}

/// The final probe and, from the same forward passes, the PID estimate of the representation
/// (`pid model`'s default estimator, fitted on the first [`model_pid::fit_pairs`] training
/// pairs): the probe feature is the fused PID view, or the concatenation of the two
/// per-modality ones (`Method::pid_views`).
pub fn final_probe<M: Method>(
    model: &M,
    ds: &Dataset,
    store: &ImageStore,
    cfg: &TrainConfig,
) -> Result<(Vec<ProbeRow>, Vec<model_pid::ModelPidRow>)> {
    let epoch = cfg.epochs as u64;
    let (train, test) = probe_sets(model, ds, store, cfg, epoch, FeatureKind::PidViews)?;
    let probe = probe_tasks(&joint_of(&train), &joint_of(&test), cfg);
    let fit = first_rows(train, model_pid::fit_pairs(cfg));
    let pid = model_pid::probe_pid_rows(&fit, &test, &probe)?;
    Ok((probe, pid))
}

/// Features of `kind` of the unbiased training pairs (at most `probe_max_pairs`: it cuts the
/// probe's training pairs only) and of every unbiased test pair, as the reference.
fn probe_sets<M: Method>(
    model: &M,
    ds: &Dataset,
    store: &ImageStore,
    cfg: &TrainConfig,
    probe_epoch: u64,
    kind: FeatureKind,
) -> Result<(Extracted, Extracted)> {
    // The inference device of the model's backend (the model comes from `.valid()`).
    let device = cfg.device.device()?;
    let feats = |set: &str, cap: usize| {
        extract_features(
            model,
            ds,
            store,
            set,
            cfg.seed,
            probe_epoch,
            cap,
            kind,
            &device,
        )
    };
    Ok((
        feats("train_unbiased", cfg.probe_max_pairs)?,
        feats("test_unbiased", 0)?,
    ))
}

/// The probe feature from PID views: the fused view if there is one, else the two per-modality
/// views side by side (what `Method::features` computes; tested in `methods`).
fn joint_of(e: &Extracted) -> Extracted {
    let (x, dims, labels) = e;
    let joint = if x.len() == 3 {
        (x[2].clone(), dims[2])
    } else {
        let (a, b, n) = (dims[0], dims[1], labels.len());
        let mut z = Vec::with_capacity(n * (a + b));
        for i in 0..n {
            z.extend_from_slice(&x[0][i * a..(i + 1) * a]);
            z.extend_from_slice(&x[1][i * b..(i + 1) * b]);
        }
        (z, a + b)
    };
    (vec![joint.0], vec![joint.1], labels.clone())
}

/// The first `n` pairs of extracted features.
fn first_rows(mut e: Extracted, n: usize) -> Extracted {
    let n = n.min(e.2.len());
    for (x, d) in e.0.iter_mut().zip(&e.1) {
        x.truncate(n * d);
    }
    e.2.truncate(n);
    e
}

/// The reference protocol on the four tasks, from joint features of the probe's train and test
/// pairs. One set of weak crops serves the four tasks (the reference draws fresh crops per task:
/// the same distribution, a negligible difference).
fn probe_tasks(train: &Extracted, test: &Extracted, cfg: &TrainConfig) -> Vec<ProbeRow> {
    let (xa, d, la) = (&train.0[0], train.1[0], &train.2);
    let (xb, lb) = (&test.0[0], &test.2);
    let mut rows = Vec::new();
    for (t, task) in ["share", "unique1", "unique2", "synergy"]
        .iter()
        .enumerate()
    {
        let ya: Vec<u32> = la.iter().map(|l| l[t] as u32).collect();
        let yb: Vec<u32> = lb.iter().map(|l| l[t] as u32).collect();
        let r = linear_probe(
            &Features { x: xa, d, y: &ya },
            &Features { x: xb, d, y: &yb },
            &ProbeConfig::default(),
        );
        let swap = cfg.factorcl_metric_swap && cfg.method == MethodKind::Factorcl;
        rows.push(ProbeRow {
            task: task.to_string(),
            balanced_accuracy: if swap {
                r.swapped_macro
            } else {
                r.balanced_accuracy
            },
            accuracy: r.accuracy,
            roc_auc: r.roc_auc,
            best_c: r.best_c,
        });
    }
    rows
}
