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
    /// Replace an existing dataset of a different recipe at --out.
    #[arg(long)]
    pub force: bool,
    /// Worker threads (the output is identical for any count).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Recompute every file's hash of an existing dataset at --out and compare it with its manifest.
    #[arg(long)]
    pub verify: bool,
}

/// Run `gen-trifeature`: generate (or verify) a dataset and print a summary.
pub fn run_gen(args: &GenArgs) -> Result<()> {
    let mut recipe = Recipe::load(&args.recipe)?;
    if let Some(seed) = args.seed {
        recipe.seed = seed;
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("data").join(&recipe.name));
    if args.verify {
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
    let opts = GenerateOptions {
        out: out.clone(),
        force: args.force,
        preview: args.preview,
        threads: args.threads,
        progress: true,
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

/// Print an error chain on one line and exit non-zero.
pub fn exit_on_error(r: Result<()>) {
    if let Err(e) = r {
        eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
        std::process::exit(1);
    }
}
