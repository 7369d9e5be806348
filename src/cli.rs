//! Command-line front ends shared by the `rusbench` and `gen-trifeature` binaries. Binaries only
//! parse arguments and call these.

use crate::data::trifeatures::{Dataset, GenerateOptions, Outcome, Recipe, generate};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

/// Default recipe of `gen-trifeature` (the reference dataset).
pub const REFERENCE_RECIPE: &str = "generators/trifeature.toml";
/// Recipe of the default CPU preset.
pub const CPU_RECIPE: &str = "generators/trifeature-64.toml";

#[derive(Args, Debug, Clone)]
pub struct GenArgs {
    /// Dataset recipe (TOML, see generators/).
    #[arg(long, default_value = REFERENCE_RECIPE)]
    pub recipe: PathBuf,
    /// Output directory [default: data/<recipe name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override the recipe's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Also write preview.png, a labelled contact sheet of the dataset.
    #[arg(long)]
    pub preview: bool,
    /// Delete and regenerate a rusbench dataset of a different recipe or seed found at --out.
    /// Only a directory with a rusbench manifest is ever deleted: one holding anything else is
    /// refused, and an empty one is used without --force.
    #[arg(long)]
    pub force: bool,
    /// Write a dataset larger than 17.2 GB of raw pixels (the limit that catches a typo such
    /// as canvas = 2048 with 1000 renders before it fills the disk).
    #[arg(long)]
    pub allow_large: bool,
    /// Worker threads (the output is identical for any count).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Check the dataset at --out against its manifest instead of generating (re-hashes every
    /// file and names the first that changed; needs no recipe when --out is given).
    #[arg(long)]
    pub verify: bool,
}

/// Run `gen-trifeature`: generate (or verify) a dataset and print a summary.
pub fn run_gen(args: &GenArgs) -> Result<()> {
    let default_out = |r: &Recipe| PathBuf::from("data").join(&r.name);
    if args.verify {
        // A dataset carries its recipe in its manifest: the recipe file only names the default
        // --out.
        let out = match &args.out {
            Some(out) => out.clone(),
            None => default_out(&Recipe::load(&args.recipe)?),
        };
        let ds = Dataset::open(&out)?;
        ds.verify()?;
        println!(
            "{}: {} files match manifest hash {}",
            out.display(),
            ds.manifest.files,
            ds.manifest.sha256
        );
        return Ok(());
    }
    let mut recipe = Recipe::load(&args.recipe)?;
    if let Some(seed) = args.seed {
        recipe.seed = seed;
    }
    let out = args.out.clone().unwrap_or_else(|| default_out(&recipe));
    let opts = GenerateOptions {
        out: out.clone(),
        force: args.force,
        preview: args.preview,
        threads: args.threads,
        progress: true,
        allow_large: args.allow_large,
    };
    let t0 = std::time::Instant::now();
    let outcome = generate(&recipe, &opts)?;
    let m = outcome.manifest();
    match &outcome {
        Outcome::AlreadyPresent(_) => println!(
            "{} already holds this recipe's dataset ({:?}, seed {}): nothing to do",
            out.display(),
            recipe.name,
            recipe.seed
        ),
        Outcome::Generated(_) => {
            let n = m.counts.train_images + m.counts.test_images;
            let secs = t0.elapsed().as_secs_f64();
            println!(
                "wrote {}: {} train + {} test images ({} px) in {secs:.2} s ({:.0} images/s), seed {}",
                out.display(),
                m.counts.train_images,
                m.counts.test_images,
                recipe.canvas,
                n as f64 / secs,
                recipe.seed
            );
        }
    }
    for s in &m.pair_sets {
        println!(
            "  pairs {:<15} {:>6} used of {:>7} allowed, {:>4} self-pairs, synergy-positive {:>5} ({:.1} %)",
            s.set,
            s.used_pairs,
            s.allowed_pairs,
            s.self_pairs,
            s.synergy_positive,
            100.0 * s.synergy_positive as f64 / s.used_pairs.max(1) as f64
        );
    }
    if args.preview {
        println!("  preview: {}", out.join("preview.png").display());
    }
    Ok(())
}

/// Parse the command line; a bad argument gets clap's message, tip and possible values on one
/// line (exit 2) instead of its usage block, as every other error here. Help and version print as
/// clap prints them.
pub fn parse_or_exit<P: clap::Parser>() -> P {
    use clap::error::ErrorKind;
    match P::try_parse() {
        Ok(p) => p,
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            e.exit()
        }
        Err(e) => {
            eprintln!("{}", clap_one_line(&e.render().to_string()));
            std::process::exit(e.exit_code());
        }
    }
}

/// clap's rendered error without its usage block, its lines joined.
fn clap_one_line(text: &str) -> String {
    let kept: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .collect();
    format!("{}; see --help", kept.join("; "))
}

/// Print an error chain on one line and exit non-zero.
pub fn exit_on_error(r: Result<()>) {
    if let Err(e) = r {
        eprintln!("error: {}", one_line(&e));
        std::process::exit(1);
    }
}

/// An error and its causes on one line, each cause once: many messages already quote their
/// source (`cannot read X: <io error>`), and printing the chain again would repeat it.
pub fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string().replace('\n', " ");
        let text = text.trim();
        if text.is_empty() || line.contains(text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(text);
    }
    line
}

/// `rusbench pid ...`
#[derive(clap::Subcommand, Debug, Clone)]
pub enum PidCommand {
    /// Decompose every case of a pmf file (the format of pid_reference.json) with BROJA, WB and
    /// MMI; CSV to standard output.
    Pmf {
        /// JSON file: {"cases": [{"name": ..., "pmf_dense": [[[p(x1,x2,y)]]]}]}.
        file: PathBuf,
        /// Stop BROJA once its certified duality gap is below this many bits.
        #[arg(long, default_value_t = 1e-9)]
        tol: f64,
        /// Stop BROJA after this many iterations (the row then says converged = no, with the
        /// gap reached).
        #[arg(long, default_value_t = 200_000)]
        max_iter: usize,
        /// BROJA algorithm: auto (alternating up to 5,000 support cells, interior point above),
        /// alternating, or ipm (interior point; --max-iter then counts Newton steps).
        #[arg(long, value_enum, default_value = "auto")]
        solver: crate::pid::broja::BrojaSolver,
    },
    /// The PID of every task of a generated dataset (empirical, population, ideal, closed form);
    /// written to the dataset's manifest and to --out.
    Tasks {
        /// Dataset directory (made by gen-trifeature).
        #[arg(long)]
        dataset: PathBuf,
        /// CSV to write (rows of this dataset replace earlier ones of the same dataset and seed).
        #[arg(long, default_value = "results/pid/tasks.csv")]
        out: PathBuf,
    },
    /// Estimate the PID a trained run's representation holds about each task, beside its probe
    /// accuracies and the true PID; writes RUN/pid.csv. Default estimator: held-out linear
    /// probes (fitted on the run's unbiased training pairs, read on the test pairs); baseline:
    /// k-means per modality + BROJA.
    Model {
        /// A finished run directory (made by rusbench train or reproduce).
        #[arg(long)]
        run: PathBuf,
        /// probe (default) or kmeans (Liang et al.'s estimator; biased by bits, see the README).
        #[arg(long, value_enum, default_value = "probe")]
        estimator: EstimatorArg,
        /// Clusters per modality of the k-means estimator.
        #[arg(long, default_value_t = crate::pid::estimate::DEFAULT_CLUSTERS)]
        clusters: usize,
        /// Fit on this many unbiased training pairs (0: 4,000, or fewer if the run's probe used fewer).
        #[arg(long, default_value_t = 0)]
        max_pairs: usize,
    },
    /// Embeddings with a known PID (noisy copies, mixtures, corrupted copies, the biased joint),
    /// every estimator's estimate and its error; CSV
    /// `estimator,n,k,task,atom,truth,estimate,error_bits,seed` and a summary on stdout.
    Simulate {
        /// Sample sizes, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
        n: Vec<usize>,
        /// Seeds 0..N per sample size (for the estimators' variance).
        #[arg(long, default_value_t = 3)]
        seeds: u64,
        /// Clusters per modality of the k-means baseline.
        #[arg(long, default_value_t = crate::pid::estimate::DEFAULT_CLUSTERS)]
        clusters: usize,
        /// CSV to write.
        #[arg(long, default_value = "results/pid/simulate.csv")]
        out: PathBuf,
    },
}

/// `--estimator` of `pid model`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EstimatorArg {
    Probe,
    Kmeans,
}

pub fn run_pid(cmd: &PidCommand) -> Result<()> {
    match cmd {
        PidCommand::Pmf {
            file,
            tol,
            max_iter,
            solver,
        } => pid_pmf(file, *tol, *max_iter, *solver),
        PidCommand::Tasks { dataset, out } => pid_tasks(dataset, out),
        PidCommand::Simulate {
            n,
            seeds,
            clusters,
            out,
        } => pid_simulate(n, *seeds, *clusters, out),
        PidCommand::Model {
            run,
            estimator,
            clusters,
            max_pairs,
        } => pid_model(run, *estimator, *clusters, *max_pairs),
    }
}

fn pid_model(
    run: &std::path::Path,
    estimator: EstimatorArg,
    clusters: usize,
    max_pairs: usize,
) -> Result<()> {
    use crate::train::model_pid::{PidEstimator, model_pid};
    let est = match estimator {
        EstimatorArg::Probe => PidEstimator::Probe,
        EstimatorArg::Kmeans => PidEstimator::Kmeans(clusters),
    };
    let rows = model_pid(run, est, max_pairs)?;
    println!(
        "{:<8} {:>7} {:>7} {:>7} {:>7}  probe   (bits; estimator {}, joint view {}; truth in brackets)",
        "task", "R", "U1", "U2", "S", rows[0].estimator, rows[0].joint
    );
    for r in &rows {
        println!(
            "{:<8} {:>7.3} {:>7.3} {:>7.3} {:>7.3}  {}  [{:.3} {:.3} {:.3} {:.3}]",
            r.task,
            r.r,
            r.u1,
            r.u2,
            r.s,
            r.probe_balanced_accuracy
                .map(|a| format!("{a:.3}"))
                .unwrap_or_else(|| "  -  ".into()),
            r.true_r,
            r.true_u1,
            r.true_u2,
            r.true_s
        );
    }
    println!(
        "wrote {}",
        run.join(crate::train::model_pid::PID_CSV).display()
    );
    Ok(())
}

fn pid_pmf(
    file: &std::path::Path,
    tol: f64,
    max_iter: usize,
    solver: crate::pid::broja::BrojaSolver,
) -> Result<()> {
    use crate::pid::{broja, cases, mmi, wb};
    use anyhow::Context;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let cases =
        cases::parse_cases(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    if cases.is_empty() {
        anyhow::bail!(
            "{} holds no cases; add at least one {{\"name\", \"pmf_dense\"}} to its \"cases\"",
            file.display()
        );
    }
    if !(tol.is_finite() && tol > 0.0) {
        anyhow::bail!(
            "--tol {tol}: the target gap must be a finite number of bits above 0 (e.g. 1e-9)"
        );
    }
    if max_iter == 0 {
        anyhow::bail!("--max-iter 0: BROJA needs at least 1 iteration");
    }
    let opts = broja::BrojaOptions {
        tol_bits: tol,
        max_iter,
        solver,
        progress: true,
        ..Default::default()
    };
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    out.write_record([
        "name",
        "measure",
        "R",
        "U1",
        "U2",
        "S",
        "gap_bits",
        "converged",
    ])?;
    let mut failed = Vec::new();
    for case in cases {
        let pmf = match case.pmf {
            Ok(p) => p,
            Err(e) => {
                failed.push(format!("case {:?} ({e})", case.name));
                continue;
            }
        };
        let b = match broja::broja(&pmf, &opts) {
            Ok(b) => b,
            Err(e) => {
                failed.push(format!("case {:?} ({e})", case.name));
                continue;
            }
        };
        if !b.converged {
            eprintln!(
                "warning: case {:?}: BROJA stopped after {} iterations with a gap of {:.3e} bits \
                 (target {tol:.0e}); its atoms are exact only to that gap: raise --max-iter or --tol",
                case.name, b.iterations, b.gap_bits
            );
        }
        let f = |v: f64| format!("{v:.10}");
        let yes_no = |c: bool| if c { "yes" } else { "no" }.to_string();
        for (m, d, gap, conv) in [
            ("BROJA", b.pid, Some(b.gap_bits), Some(b.converged)),
            ("WB", wb::wb(&pmf), None, None),
            ("MMI", mmi::mmi(&pmf), None, None),
        ] {
            out.write_record([
                case.name.clone(),
                m.to_string(),
                f(d.r),
                f(d.u1),
                f(d.u2),
                f(d.s),
                gap.map(|g| format!("{g:.3e}")).unwrap_or_default(),
                conv.map(yes_no).unwrap_or_default(),
            ])?;
        }
        out.flush()?;
    }
    if !failed.is_empty() {
        // One line for all failed cases (the valid ones are on standard output).
        anyhow::bail!(
            "{} of the cases could not be decomposed: {}; fix their pmf_dense",
            failed.len(),
            failed.join(", ")
        );
    }
    Ok(())
}

/// Create the directory an output file goes into, with a one-line error naming it.
fn create_parent(out: &std::path::Path) -> Result<()> {
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| {
            anyhow::anyhow!(
                "cannot create {} ({e}); choose a writable --out",
                parent.display()
            )
        })?;
    }
    Ok(())
}

fn pid_simulate(ns: &[usize], seeds: u64, clusters: usize, out: &std::path::Path) -> Result<()> {
    use crate::pid::simulate::{Estimator, SimOptions, canonical_rules, simulate, summary_lines};
    if ns.iter().any(|&n| n < 20) || seeds == 0 || clusters < 2 {
        anyhow::bail!(
            "pid simulate needs --n of at least 20, --seeds of at least 1 and --clusters of at least 2"
        );
    }
    let opts = SimOptions {
        ns: ns.to_vec(),
        seeds: (0..seeds).collect(),
        estimators: vec![Estimator::Probe, Estimator::Kmeans(clusters)],
        ..SimOptions::default()
    };
    create_parent(out)?;
    let bar = indicatif::ProgressBar::new((opts.scenarios.len() * ns.len()) as u64 * seeds);
    let rows = simulate(&opts, &canonical_rules(), || bar.inc(1))?;
    bar.finish_and_clear();
    crate::train::write_csv(out, &rows)?;
    for line in summary_lines(&rows) {
        println!("{line}");
    }
    println!("wrote {}", out.display());
    Ok(())
}

fn pid_tasks(dataset: &std::path::Path, out: &std::path::Path) -> Result<()> {
    use crate::data::trifeatures::dataset::{MANIFEST, write_atomic};
    use crate::pid::tasks::{TaskPidRow, dataset_task_pid};
    use anyhow::Context;
    let ds = Dataset::open(dataset)?;
    let rows = dataset_task_pid(&ds, true)?;

    // Merge into the CSV: keep other datasets' rows.
    let mut all: Vec<TaskPidRow> = Vec::new();
    if out.exists() {
        let mut rdr = csv::Reader::from_path(out)
            .with_context(|| format!("cannot read {}", out.display()))?;
        for r in rdr.deserialize::<TaskPidRow>() {
            let r = r.with_context(|| {
                format!("{} is not a task-PID CSV; move it away", out.display())
            })?;
            if !(r.dataset == ds.manifest.recipe.name && r.seed == ds.manifest.seed) {
                all.push(r);
            }
        }
    }
    all.extend(rows.iter().cloned());
    let mut buf = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut buf);
        for r in &all {
            w.serialize(r)?;
        }
        w.flush()?;
    }
    create_parent(out)?;
    write_atomic(out, &buf)?;

    crate::pid::tasks::attach_to_manifest(&ds, dataset, &rows)?;

    println!(
        "{:<15} {:<8} {:<11} {:>7} {:>7} {:>7} {:>7}  (BROJA, bits; closed form in brackets)",
        "set", "task", "source", "R", "U1", "U2", "S"
    );
    for r in rows.iter().filter(|r| r.measure == "BROJA") {
        let cf = rows
            .iter()
            .find(|c| c.source == "closed_form" && c.set == r.set && c.task == r.task);
        let cf = cf
            .map(|c| format!("[{:.3} {:.3} {:.3} {:.3}]", c.r, c.u1, c.u2, c.s))
            .unwrap_or_default();
        println!(
            "{:<15} {:<8} {:<11} {:>7.3} {:>7.3} {:>7.3} {:>7.3}  {cf}",
            r.set, r.task, r.source, r.r, r.u1, r.u2, r.s
        );
    }
    println!(
        "wrote {} and the task_pid of {}",
        out.display(),
        dataset.join(MANIFEST).display()
    );
    Ok(())
}

/// `rusbench train`
#[derive(Args, Debug, Clone)]
pub struct TrainArgs {
    /// Training preset (TOML, see presets/).
    #[arg(long, default_value = "presets/quick.toml")]
    pub preset: PathBuf,
    /// Dataset directory [default: data/trifeature-64 for the small model, data/trifeature for paper].
    #[arg(long)]
    pub dataset: Option<PathBuf>,
    /// Run directory [default: runs/<preset name>-<method>-seed<seed>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override the preset's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override the preset's method.
    #[arg(long, value_enum)]
    pub method: Option<crate::methods::MethodKind>,
    /// Continue the run in --out from its last checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Override the preset's backend: cpu, cuda, wgpu, vulkan (GPU) or tch (libtorch on the CPU); all but cpu need their cargo feature.
    #[arg(long)]
    pub device: Option<crate::device::Backend>,
}

pub fn run_train(args: &TrainArgs) -> Result<()> {
    let mut cfg = crate::train::TrainConfig::load(&args.preset)?;
    if let Some(s) = args.seed {
        cfg.seed = s;
    }
    if let Some(m) = args.method {
        cfg.method = m;
    }
    if let Some(d) = args.device {
        cfg.device = d;
    }
    // Fail before the dataset or the run directory are touched.
    cfg.device.device()?;
    let dataset = args.dataset.clone().unwrap_or_else(|| {
        PathBuf::from(if cfg.model == crate::models::ModelScale::Paper {
            "data/trifeature"
        } else {
            "data/trifeature-64"
        })
    });
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("runs").join(format!(
            "{}-{}-seed{}",
            cfg.name,
            cfg.method.name(),
            cfg.seed
        ))
    });
    let rows = crate::train::run(&cfg, &dataset, &out, args.resume, true)?;
    println!("run {} (seed {}):", out.display(), cfg.seed);
    for r in rows {
        println!(
            "  {:<8} balanced accuracy {:.3}  accuracy {:.3}  C {}",
            r.task, r.balanced_accuracy, r.accuracy, r.best_c
        );
    }
    Ok(())
}

/// `rusbench reproduce ...`
#[derive(Args, Debug, Clone)]
pub struct ReproduceArgs {
    /// fig4, fig5, fusion, augment, all (the four), or synergy (fig4's Cross and CoMM runs on the
    /// biased pairs alone: the main job).
    #[arg(default_value = "fig4")]
    pub experiment: String,
    /// demo, quick, cpu, paper, or a preset TOML path.
    #[arg(long, default_value = "quick")]
    pub preset: String,
    /// Seeds per run (the preset's seed, +1, ...).
    #[arg(long, default_value_t = 1)]
    pub seeds: usize,
    /// First seed [default: the preset's]: `--first-seed 1 --seeds 1` trains seed 1 alone (the
    /// same cache entries as `--seeds 2`); join folders of different seeds with --from-csv.
    #[arg(long)]
    pub first_seed: Option<u64>,
    /// Results root: outputs go to <results>/<experiment>-<preset>/.
    #[arg(long, default_value = "results")]
    pub results: PathBuf,
    /// Cache of run directories, one per config hash (finished runs are reused).
    #[arg(long, default_value = "runs/cache")]
    pub cache: PathBuf,
    /// Dataset directory [default: data/trifeature-64, or data/trifeature for the paper preset;
    /// generated if missing].
    #[arg(long)]
    pub dataset: Option<PathBuf>,
    /// Redraw summary and figure from this runs.csv without training. Given more than once (seeds
    /// trained apart), the files are joined (runs.csv, bits.csv, config.toml) into --out.
    #[arg(long)]
    pub from_csv: Vec<PathBuf>,
    /// With --from-csv: output folder [default: beside the CSV; required to join several].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override the preset's backend: cpu, cuda, wgpu, vulkan (GPU) or tch (libtorch on the CPU); all but cpu need their cargo feature.
    #[arg(long)]
    pub device: Option<crate::device::Backend>,
    /// Train unfinished runs in N worker processes (`rusbench run-key`), each logging to
    /// CACHE/KEY/train.log; 1 trains them one after another in this process. Same numbers
    /// either way. [default: the cores / 1.6, rounded up: a CPU run keeps ~1.6 cores busy, so 2
    /// on 2 cores]
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Write the plan of every unfinished run to this folder instead of training: runs.txt (one
    /// key per line), run.sh (a loop over `rusbench run-key`) and collect.sh (this command
    /// without --plan); see --plan-format.
    #[arg(long)]
    pub plan: Option<PathBuf>,
    /// With --plan: `shell`, or `slurm` (adds a job array, array.sbatch, and a collect job that
    /// waits for it, collect.sbatch; submit both with submit.sh).
    #[arg(long, value_enum, default_value = "shell")]
    pub plan_format: crate::reproduce::plan_files::PlanFormat,
}

impl Default for ReproduceArgs {
    fn default() -> Self {
        ReproduceArgs {
            experiment: "synergy".into(),
            preset: "demo".into(),
            seeds: 1,
            first_seed: None,
            results: "results".into(),
            cache: "runs/cache".into(),
            dataset: None,
            from_csv: Vec::new(),
            out: None,
            device: None,
            jobs: None,
            plan: None,
            plan_format: crate::reproduce::plan_files::PlanFormat::Shell,
        }
    }
}

/// Worker processes for `reproduce`: one training process keeps ~1.6 cores busy (measured on 2
/// cores: 1.6 over a quick fig4), so ceil(cores / 1.6); 2 workers on 2 cores trained a quick fig4
/// in 456 s against 540 s for one process, with identical results.
fn default_jobs() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores as f64 / 1.6).ceil().max(1.0) as usize
}

/// `rusbench run-key`
#[derive(Args, Debug, Clone)]
pub struct RunKeyArgs {
    /// The run's key (its directory name in the cache).
    pub key: String,
    /// Cache holding the planned run (written by `reproduce`).
    #[arg(long, default_value = "runs/cache")]
    pub cache: PathBuf,
}

/// Train one planned run of the cache (resuming it); a finished run is left as it is.
pub fn run_run_key(args: &RunKeyArgs) -> Result<()> {
    crate::reproduce::worker::train_key(&args.cache, &args.key, true)?;
    println!("run {} finished", args.cache.join(&args.key).display());
    Ok(())
}

pub fn run_reproduce(args: &ReproduceArgs) -> Result<()> {
    use crate::reproduce::experiments::Experiment;
    let print = |r: &crate::reproduce::Report| {
        println!("{}", r.summary_md);
        println!(
            "{}: {} runs trained, {} from the cache; figure {}",
            r.dir.display(),
            r.trained,
            r.cached,
            r.figure.display()
        );
    };
    if !args.from_csv.is_empty() {
        let r = crate::reproduce::from_csv(&args.from_csv, args.out.as_deref())?;
        print(&r);
        return Ok(());
    }
    let experiments = if args.experiment == "all" {
        Experiment::ALL.to_vec()
    } else {
        vec![Experiment::parse(&args.experiment).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown experiment {:?}; use fig4, fig5, fusion, augment, all or synergy",
                args.experiment
            )
        })?]
    };
    let reports = crate::reproduce::reproduce(&crate::reproduce::ReproduceOptions {
        experiments,
        preset: args.preset.clone(),
        seeds: args.seeds,
        first_seed: args.first_seed,
        results: args.results.clone(),
        cache: args.cache.clone(),
        dataset: args.dataset.clone(),
        device: args.device,
        progress: true,
        jobs: args.jobs.unwrap_or_else(default_jobs),
        plan: args.plan.clone().map(|p| (p, args.plan_format)),
    })?;
    for r in &reports {
        print(r);
        if r.experiment == Experiment::Synergy {
            println!(
                "The synergy contrast alone, at a short preset. The whole Fig. 4 (R, U and S of four methods): \
                 results/fig4-cpu/summary.md (committed; rerun with `rusbench reproduce fig4 --preset cpu`)."
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_chain_names_each_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file");
        let e = anyhow::Error::new(crate::data::trifeatures::recipe::RecipeError::Read {
            path: "x.toml".into(),
            source: io,
        });
        let line = one_line(&e);
        assert_eq!(line.matches("No such file").count(), 1, "{line}");
        let e = anyhow::anyhow!("inner cause").context("outer step");
        assert_eq!(one_line(&e), "outer step: inner cause");
    }
}
