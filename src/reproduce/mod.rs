//! `rusbench reproduce`: the paper's experiments from one command. Each experiment expands a
//! preset into training runs ([`experiments::plan`]); every run lives in a cache directory named
//! by the hash of its resolved config and the dataset, so finished runs are skipped and an
//! interrupted one resumes from its checkpoint. The results folder gets the resolved config, the
//! tidy `runs.csv`, `summary.csv`/`summary.md` and the figure (PNG + SVG).

pub mod bits;
pub mod check;
pub mod experiments;
pub mod merge;
pub mod plan_files;
pub mod summary;
pub mod worker;

use crate::data::trifeatures::dataset::write_atomic;
use crate::data::trifeatures::{Dataset, GenerateOptions, Recipe, generate};
use crate::models::ModelScale;
use crate::train::{CurveRow, ProbeRow, TrainConfig, write_csv};
use anyhow::{Context, Result, anyhow, bail};
use experiments::{Experiment, RunSpec, plan};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use summary::{TidyRow, bar_figure, curve_figure, markdown, summarize};

/// The per-run PID estimates of an experiment (fig4), beside `runs.csv`.
pub const BITS_CSV: &str = "bits.csv";

/// The presets shipped with the crate (also usable by name from any directory).
pub const PRESETS: [(&str, &str); 4] = [
    ("demo", include_str!("../../presets/demo.toml")),
    ("quick", include_str!("../../presets/quick.toml")),
    ("cpu", include_str!("../../presets/cpu.toml")),
    ("paper", include_str!("../../presets/paper.toml")),
];

/// A preset by name (demo, quick, cpu, paper) or TOML path.
pub fn load_preset(name_or_path: &str) -> Result<TrainConfig> {
    if let Some((_, text)) = PRESETS.iter().find(|(n, _)| *n == name_or_path) {
        let c: TrainConfig = toml::from_str(text)
            .map_err(|e| anyhow!("built-in preset {name_or_path} is malformed: {e}"))?;
        c.validate()?;
        return Ok(c);
    }
    let p = Path::new(name_or_path);
    if !p.exists() {
        bail!("unknown preset {name_or_path:?}; use demo, quick, cpu, paper or a TOML path");
    }
    TrainConfig::load(p)
}

/// Cache key of a run: SHA-256 of its resolved config (TOML) and the dataset's hash, 16 hex
/// digits. Any config value that changes changes the key.
pub fn run_key(cfg: &TrainConfig, dataset_sha256: &str) -> Result<String> {
    let mut h = Sha256::new();
    h.update(toml::to_string(cfg)?.as_bytes());
    h.update(b"\0");
    h.update(dataset_sha256.as_bytes());
    h.update(format!("\0v{}", crate::train::TRAINING_VERSION).as_bytes());
    let d = h.finalize();
    Ok(d.iter().take(8).map(|b| format!("{b:02x}")).collect())
}

/// The recipe (embedded) and default directory of a model scale's dataset.
fn dataset_for(scale: ModelScale) -> (&'static str, &'static str) {
    match scale {
        ModelScale::Paper => (
            "data/trifeature",
            include_str!("../../generators/trifeature.toml"),
        ),
        _ => (
            "data/trifeature-64",
            include_str!("../../generators/trifeature-64.toml"),
        ),
    }
}

/// Open the dataset at `dir`, generating it from the scale's recipe if it is missing.
pub fn ensure_dataset(scale: ModelScale, dir: Option<&Path>) -> Result<(PathBuf, Dataset)> {
    let (default_dir, recipe_text) = dataset_for(scale);
    let dir = dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| default_dir.into());
    if !dir.join("manifest.json").exists() {
        let recipe = Recipe::from_toml(recipe_text, "built-in recipe")?;
        eprintln!(
            "generating {} (recipe {:?}, seed {})",
            dir.display(),
            recipe.name,
            recipe.seed
        );
        generate(
            &recipe,
            &GenerateOptions {
                out: dir.clone(),
                force: false,
                preview: false,
                threads: None,
                progress: true,
                // The built-in recipes are far below the limit.
                allow_large: false,
            },
        )?;
    }
    let ds = Dataset::open(&dir)?;
    Ok((dir, ds))
}

#[derive(Clone, Debug)]
pub struct ReproduceOptions {
    pub experiments: Vec<Experiment>,
    /// quick, cpu, paper or a preset path.
    pub preset: String,
    pub seeds: usize,
    /// The first seed (then +1, ...) [default: the preset's]: seeds trained apart are joined
    /// with `--from-csv A --from-csv B --out DIR`.
    pub first_seed: Option<u64>,
    /// Results go to `<results>/<experiment>-<preset name>/`.
    pub results: PathBuf,
    /// Run directories (one per config hash).
    pub cache: PathBuf,
    pub dataset: Option<PathBuf>,
    /// Overrides the preset's backend for every run.
    pub device: Option<crate::device::Backend>,
    pub progress: bool,
    /// Train unfinished runs in this many worker processes (1: in this process).
    pub jobs: usize,
    /// Write the plan of the unfinished runs to this folder instead of training.
    pub plan: Option<(PathBuf, plan_files::PlanFormat)>,
}

/// What one experiment produced.
#[derive(Clone, Debug)]
pub struct Report {
    pub experiment: Experiment,
    pub dir: PathBuf,
    pub summary_md: String,
    pub figure: PathBuf,
    /// Runs trained (or resumed) now, and runs taken from the cache.
    pub trained: usize,
    pub cached: usize,
}

#[derive(Serialize)]
struct ResolvedRun {
    variant: String,
    pretraining: String,
    seed: u64,
    key: String,
    method: String,
    cpu: String,
}

#[derive(Serialize)]
struct Resolved<'a> {
    experiment: &'a str,
    preset: &'a str,
    seeds: usize,
    dataset: String,
    dataset_sha256: &'a str,
    cache: String,
    base: &'a TrainConfig,
    /// The CPU models the runs were trained on (from each run.json).
    machines: Vec<String>,
    runs: Vec<ResolvedRun>,
}

/// Check that `dir` can be written before any run starts.
fn writable_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| {
        format!(
            "cannot create {}; choose a writable --results/--cache",
            dir.display()
        )
    })?;
    let probe = dir.join(format!(".write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").with_context(|| {
        format!(
            "{} is not writable; choose a writable --results/--cache",
            dir.display()
        )
    })?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// Run (or take from the cache) every run of the requested experiments and write their results.
pub fn reproduce(opts: &ReproduceOptions) -> Result<Vec<Report>> {
    if opts.seeds == 0 {
        bail!("--seeds must be at least 1");
    }
    if opts.jobs == 0 {
        bail!("--jobs 0: use 1 to train in this process, or N >= 2 worker processes");
    }
    let mut base = load_preset(&opts.preset)?;
    if let Some(s) = opts.first_seed {
        base.seed = s;
    }
    // Seeds first..first + seeds - 1 must all exist (a release build would wrap past 2^64 - 1
    // to seed 0 without a word).
    if base.seed.checked_add(opts.seeds as u64 - 1).is_none() {
        bail!(
            "seeds {} + {} run past the largest seed, {}; use a smaller --first-seed",
            base.seed,
            opts.seeds,
            u64::MAX
        );
    }
    if let Some(d) = opts.device {
        base.device = d;
    }
    // Fail before any data is generated or any run starts.
    base.device.device()?;
    let (data_dir, ds) = ensure_dataset(base.model, opts.dataset.as_deref())?;
    writable_dir(&opts.cache)?;
    if let Some((dir, format)) = &opts.plan {
        let keys = plan_only(&base, &data_dir, &ds, opts)?;
        let spec = plan_files::PlanSpec {
            dir,
            format: *format,
            exe: std::env::current_exe()?,
            cache: std::path::absolute(&opts.cache)?,
            keys: &keys,
            collect: collect_command(&data_dir, opts)?,
            base: &base,
            pairs: max_pairs(&base, &ds)?,
        };
        let files = plan_files::write_plan(&spec)?;
        let names: Vec<String> = files
            .iter()
            .filter(|f| f.parent().and_then(|p| p.file_name()) != Some("configs".as_ref()))
            .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        eprintln!(
            "planned {} unfinished runs in {}: {}, configs/ (one resolved config per run)",
            keys.len(),
            dir.display(),
            names.join(", ")
        );
        return Ok(Vec::new());
    }
    let mut reports = Vec::new();
    for &exp in &opts.experiments {
        let out = opts.results.join(format!("{}-{}", exp.name(), base.name));
        writable_dir(&out)?;
        let runs = plan(exp, &base, opts.seeds);
        let keys = keys_of(&runs, &ds)?;
        let (trained, cached) = train_runs(exp, &runs, &keys, &data_dir, &ds, opts)?;
        let mut rows = Vec::new();
        let mut bits_rows = Vec::new();
        let mut resolved = Vec::new();
        for (i, (spec, key)) in runs.iter().zip(keys).enumerate() {
            let dir = opts.cache.join(&key);
            let n_pairs = ds.pairs(spec.config.pairs.as_str())?.len();
            rows.extend(tidy_rows(spec, &key, &dir, n_pairs)?);
            if exp.has_bits() {
                // Training writes the estimate (pid.csv); a run cached before that, or by an
                // older estimator, is estimated here (~15-30 s): say what is going on.
                if !pid_is_current(&dir) {
                    eprintln!("{}: PID in bits", label(exp, i, runs.len(), spec));
                }
                bits_rows.extend(bits::run_bits(spec, &key, &dir)?);
            }
            resolved.push(ResolvedRun {
                variant: spec.variant.clone(),
                pretraining: spec.pretraining.name().into(),
                seed: spec.seed,
                key,
                method: spec.config.method.name().into(),
                cpu: run_cpu(&dir),
            });
        }
        let mut machines: Vec<String> = resolved.iter().map(|r| r.cpu.clone()).collect();
        machines.sort();
        machines.dedup();
        let config = Resolved {
            experiment: exp.name(),
            preset: &base.name,
            seeds: opts.seeds,
            dataset: data_dir.display().to_string(),
            dataset_sha256: &ds.manifest.sha256,
            cache: opts.cache.display().to_string(),
            base: &base,
            machines: machines.clone(),
            runs: resolved,
        };
        write_atomic(
            &out.join("config.toml"),
            toml::to_string(&config)?.as_bytes(),
        )?;
        write_csv(&out.join("runs.csv"), &rows)?;
        if exp.has_bits() {
            write_csv(&out.join(BITS_CSV), &bits_rows)?;
        }
        let mut report = write_outputs(exp, &base.name, &rows, &bits_rows, &machines, &out)?;
        report.trained = trained;
        report.cached = cached;
        reports.push(report);
    }
    Ok(reports)
}

/// Whether a run's `pid.csv` holds the current probe estimate (training writes one).
fn pid_is_current(dir: &Path) -> bool {
    crate::train::model_pid::cached_estimate(dir, crate::train::model_pid::PidEstimator::Probe)
        .is_some()
}

/// The cache key of every run of `runs` on `ds`.
fn keys_of(runs: &[RunSpec], ds: &Dataset) -> Result<Vec<String>> {
    runs.iter()
        .map(|spec| run_key(&spec.config, &ds.manifest.sha256))
        .collect()
}

/// How progress lines name run `i` of `n`: `[i/n] fig4 CoMM biased seed 0`.
fn label(exp: Experiment, i: usize, n: usize, spec: &RunSpec) -> String {
    format!(
        "[{}/{n}] {} {} {} seed {}",
        i + 1,
        exp.name(),
        spec.variant,
        spec.pretraining.name(),
        spec.seed
    )
}

/// Store the plan of every unfinished run of `runs` under its key; returns (key, label) of those.
fn plan_unfinished(
    exp: Experiment,
    runs: &[RunSpec],
    keys: &[String],
    data_dir: &Path,
    ds: &Dataset,
    cache: &Path,
) -> Result<Vec<(String, String)>> {
    let mut todo = Vec::new();
    for (i, (spec, key)) in runs.iter().zip(keys).enumerate() {
        let dir = cache.join(key);
        let label = label(exp, i, runs.len(), spec);
        if dir.join("run.json").exists() {
            eprintln!("{label}: cached ({})", dir.display());
            continue;
        }
        worker::plan_run(
            cache,
            &worker::PlannedRun {
                key: key.clone(),
                dataset: std::path::absolute(data_dir)?,
                dataset_sha256: ds.manifest.sha256.clone(),
                config: spec.config.clone(),
            },
        )?;
        todo.push((key.clone(), label));
    }
    Ok(todo)
}

/// Train every unfinished run of `runs` (in this process, or in `opts.jobs` workers), after
/// storing each one's plan under its key. Returns (trained, cached).
fn train_runs(
    exp: Experiment,
    runs: &[RunSpec],
    keys: &[String],
    data_dir: &Path,
    ds: &Dataset,
    opts: &ReproduceOptions,
) -> Result<(usize, usize)> {
    let todo = plan_unfinished(exp, runs, keys, data_dir, ds, &opts.cache)?;
    if opts.jobs > 1 && todo.len() > 1 {
        worker::train_in_workers(&opts.cache, &todo, opts.jobs)?;
    } else {
        for (key, label) in &todo {
            let dir = opts.cache.join(key);
            let how = if dir.join("checkpoint/state.json").exists() {
                "resuming"
            } else {
                "training"
            };
            eprintln!("{label}: {how} ({})", dir.display());
            worker::train_key(&opts.cache, key, opts.progress)?;
        }
    }
    Ok((todo.len(), runs.len() - todo.len()))
}

/// Plan the unfinished runs of every requested experiment; their keys, without repeats.
fn plan_only(
    base: &TrainConfig,
    data_dir: &Path,
    ds: &Dataset,
    opts: &ReproduceOptions,
) -> Result<Vec<String>> {
    let mut keys: Vec<String> = Vec::new();
    for &exp in &opts.experiments {
        let runs = plan(exp, base, opts.seeds);
        let exp_keys = keys_of(&runs, ds)?;
        for (key, _) in plan_unfinished(exp, &runs, &exp_keys, data_dir, ds, &opts.cache)? {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    Ok(keys)
}

/// The `reproduce` command line that collects what a plan trains (absolute paths).
fn collect_command(data_dir: &Path, opts: &ReproduceOptions) -> Result<String> {
    let exps = if opts.experiments.len() > 1 {
        "all".to_string()
    } else {
        opts.experiments[0].name().to_string()
    };
    let preset = if Path::new(&opts.preset).exists() {
        std::path::absolute(&opts.preset)?.display().to_string()
    } else {
        opts.preset.clone()
    };
    let mut cmd = format!(
        "{} reproduce {exps} --preset {preset} --seeds {} --results {} --cache {} --dataset {}",
        std::env::current_exe()?.display(),
        opts.seeds,
        std::path::absolute(&opts.results)?.display(),
        std::path::absolute(&opts.cache)?.display(),
        std::path::absolute(data_dir)?.display()
    );
    if let Some(s) = opts.first_seed {
        cmd.push_str(&format!(" --first-seed {s}"));
    }
    if let Some(d) = opts.device {
        cmd.push_str(&format!(" --device {}", String::from(d)));
    }
    Ok(cmd)
}

/// Training pairs of a run of `base` (its pair set, cut to `max_pairs`).
fn max_pairs(base: &TrainConfig, ds: &Dataset) -> Result<usize> {
    let n = ds.pairs(&base.pairs)?.len();
    Ok(if base.max_pairs > 0 {
        n.min(base.max_pairs)
    } else {
        n
    })
}

/// Redraw an experiment's summary and figure from its `runs.csv`, without training. Outputs go
/// beside the CSV unless `out` is given. Several CSVs (seeds trained apart) are joined first
/// ([`merge`]) and the joined `runs.csv`, `bits.csv` and `config.toml` written to `out`, which a
/// merge requires.
pub fn from_csv(csv_paths: &[PathBuf], out: Option<&Path>) -> Result<Report> {
    let (first_path, merged) = match csv_paths {
        [] => bail!("--from-csv needs a runs.csv"),
        [one] => (one.as_path(), None),
        [first, ..] => {
            if out.is_none() {
                bail!(
                    "merging {} runs.csv files needs --out DIR for the joined folder",
                    csv_paths.len()
                );
            }
            let mut seen = csv_paths.to_vec();
            seen.sort();
            seen.dedup();
            if seen.len() < csv_paths.len() {
                bail!("a runs.csv is given twice to --from-csv; name each file once");
            }
            (first.as_path(), Some(merge::merge(csv_paths)?))
        }
    };
    let rows = match &merged {
        Some(m) => m.rows.clone(),
        None => read_runs_csv(first_path)?,
    };
    let first = rows.first().ok_or_else(|| {
        anyhow!(
            "{} has no rows; rerun reproduce to regenerate it",
            first_path.display()
        )
    })?;
    let exp = Experiment::parse(&first.experiment).ok_or_else(|| {
        anyhow!(
            "{} names an unknown experiment {:?}",
            first_path.display(),
            first.experiment
        )
    })?;
    let check_path = if merged.is_some() {
        Path::new("the joined runs.csv")
    } else {
        first_path
    };
    check::check_rows(exp, &rows, check_path)?;
    let dir = out
        .map(Path::to_path_buf)
        .or_else(|| first_path.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."));
    writable_dir(&dir)?;
    // The preset's name is the folder suffix (<experiment>-<preset>), else "csv".
    let preset = dir
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix(&format!("{}-", exp.name())))
        .unwrap_or("csv")
        .to_string();
    let Some(m) = merged else {
        // The PID bits beside the accuracies, when the results folder has them.
        let bits_path = first_path.with_file_name(BITS_CSV);
        let bits_rows = if bits_path.exists() {
            bits::read_bits_csv(&bits_path)?
        } else {
            Vec::new()
        };
        return write_outputs(exp, &preset, &rows, &bits_rows, &[], &dir);
    };
    write_csv(&dir.join("runs.csv"), &m.rows)?;
    if !m.bits.is_empty() {
        write_csv(&dir.join(BITS_CSV), &m.bits)?;
    }
    if let Some(c) = &m.config {
        write_atomic(&dir.join("config.toml"), toml::to_string(c)?.as_bytes())?;
    }
    write_outputs(exp, &preset, &m.rows, &m.bits, &m.machines, &dir)
}

/// The CPU model a finished run recorded, with its kernel revision where it recorded one
/// (`device::CPU_KERNELS`; runs from before either field: "not recorded", revision 1).
fn run_cpu(dir: &Path) -> String {
    let json = std::fs::read_to_string(dir.join("run.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
    let Some(cpu) = json.as_ref().and_then(|j| j["cpu"].as_str()) else {
        return "not recorded".into();
    };
    match json.as_ref().and_then(|j| j["cpu_kernels"].as_u64()) {
        Some(k) => format!("{cpu}, kernels {k}"),
        None => cpu.to_string(),
    }
}

pub fn read_runs_csv(path: &Path) -> Result<Vec<TidyRow>> {
    let mut rdr = csv::Reader::from_path(path).with_context(|| {
        format!(
            "cannot read {}; pass the runs.csv of a results folder",
            path.display()
        )
    })?;
    rdr.deserialize::<TidyRow>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            anyhow!(
                "{} is not a runs.csv ({e}); pass the runs.csv of a results folder",
                path.display()
            )
        })
}

fn write_outputs(
    exp: Experiment,
    preset: &str,
    rows: &[TidyRow],
    bits_rows: &[bits::BitsRow],
    machines: &[String],
    out: &Path,
) -> Result<Report> {
    let mut summary = summarize(exp, rows);
    let mut md = markdown(exp, preset, &summary);
    if !machines.is_empty() {
        md += &format!(
            "\nTrained on: {}. Training numbers are bit-identical only on the same CPU model; compare machines by seeds.\n",
            machines.join("; ")
        );
    }
    if !bits_rows.is_empty() {
        let b = bits::summarize_bits(bits_rows);
        md += &bits::bits_markdown(&summary, &b);
        crate::figures::save(
            &bits::bits_figure(exp.name(), preset, rows, &b),
            out,
            &format!("{}_bits", exp.name()),
        )?;
        summary.extend(b);
    }
    write_csv(&out.join("summary.csv"), &summary)?;
    write_atomic(&out.join("summary.md"), md.as_bytes())?;
    let stem = exp.name();
    let canvas = match exp {
        Experiment::Fig5 => curve_figure(exp, preset, rows),
        _ => bar_figure(exp, preset, rows),
    };
    crate::figures::save(&canvas, out, stem)?;
    Ok(Report {
        experiment: exp,
        dir: out.to_path_buf(),
        summary_md: md,
        figure: out.join(format!("{stem}.png")),
        trained: 0,
        cached: 0,
    })
}

/// The tidy rows of a finished run: its online probes (if any) and its final probe, each with the
/// epoch's losses.
fn tidy_rows(spec: &RunSpec, key: &str, dir: &Path, n_pairs: usize) -> Result<Vec<TidyRow>> {
    let bad = |what: &str| {
        anyhow!(
            "{} has a corrupt {what}; delete the directory to retrain it",
            dir.display()
        )
    };
    // epochs.csv: epoch, loss, terms..., seconds, pairs_per_s.
    let mut rdr = csv::Reader::from_path(dir.join("epochs.csv")).map_err(|_| bad("epochs.csv"))?;
    let header: Vec<String> = rdr
        .headers()
        .map_err(|_| bad("epochs.csv"))?
        .iter()
        .map(String::from)
        .collect();
    let mut losses: Vec<(usize, f64, String)> = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|_| bad("epochs.csv"))?;
        let n = rec.len();
        let epoch: usize = rec[0].parse().map_err(|_| bad("epochs.csv"))?;
        let loss: f64 = rec[1].parse().map_err(|_| bad("epochs.csv"))?;
        let terms = (2..n.saturating_sub(2))
            .map(|i| format!("{}={}", header[i], &rec[i]))
            .collect::<Vec<_>>()
            .join(";");
        losses.push((epoch, loss, terms));
    }
    // As the training loop: drop_last = False, a last batch of one pair skipped.
    let steps_per_epoch = {
        let n = if spec.config.max_pairs > 0 {
            spec.config.max_pairs.min(n_pairs)
        } else {
            n_pairs
        };
        let b = spec.config.batch_size;
        if n % b == 1 { n / b } else { n.div_ceil(b) }
    };
    let mut probes: Vec<CurveRow> = Vec::new();
    let curve = dir.join("probe_curve.csv");
    if curve.exists() {
        let mut r = csv::Reader::from_path(&curve).map_err(|_| bad("probe_curve.csv"))?;
        probes = r
            .deserialize()
            .collect::<Result<_, _>>()
            .map_err(|_| bad("probe_curve.csv"))?;
    }
    let last = spec.config.epochs;
    if !probes.iter().any(|p| p.epoch == last) {
        let mut r = csv::Reader::from_path(dir.join("probe.csv")).map_err(|_| bad("probe.csv"))?;
        let finals: Vec<ProbeRow> = r
            .deserialize()
            .collect::<Result<_, _>>()
            .map_err(|_| bad("probe.csv"))?;
        let step = steps_per_epoch * last;
        probes.extend(finals.into_iter().map(|f| CurveRow {
            epoch: last,
            step,
            task: f.task,
            balanced_accuracy: f.balanced_accuracy,
            accuracy: f.accuracy,
            roc_auc: f.roc_auc,
        }));
    }
    Ok(probes
        .into_iter()
        .map(|p| {
            let l = losses.iter().find(|l| l.0 == p.epoch);
            TidyRow {
                experiment: spec.experiment.name().into(),
                variant: spec.variant.clone(),
                method: spec.config.method.name().into(),
                pretraining: spec.pretraining.name().into(),
                seed: spec.seed,
                epoch: p.epoch,
                step: p.step,
                task: p.task,
                balanced_accuracy: p.balanced_accuracy,
                accuracy: p.accuracy,
                roc_auc: p.roc_auc,
                loss: l.map(|l| l.1),
                loss_terms: l.map(|l| l.2.clone()).unwrap_or_default(),
                run: key.into(),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A results folder lists each run's machine with its kernel revision, so runs of two
    /// revisions are told apart; runs from before the fields keep their old labels.
    #[test]
    fn a_runs_machine_names_its_kernel_revision_when_recorded() {
        let tmp = tempfile::tempdir().unwrap();
        let label = |json: &str| {
            std::fs::write(tmp.path().join("run.json"), json).unwrap();
            run_cpu(tmp.path())
        };
        assert_eq!(
            label(r#"{"cpu": "X (AVX-512)", "cpu_kernels": 2}"#),
            "X (AVX-512), kernels 2"
        );
        assert_eq!(
            label(r#"{"cpu": "X (AVX-512)", "cpu_kernels": null}"#),
            "X (AVX-512)"
        );
        assert_eq!(label(r#"{"cpu": "X (AVX2+FMA)"}"#), "X (AVX2+FMA)");
        assert_eq!(label("{}"), "not recorded");
    }
}
