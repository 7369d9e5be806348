//! `gen-trifeature`: generate a bimodal Trifeatures dataset from a recipe.
use clap::Parser;
use rusbench::cli::{GenArgs, exit_on_error, parse_or_exit, run_gen};

/// Generate a Trifeatures dataset (images, pair sets with R/U/S labels, manifest).
#[derive(Parser)]
#[command(
    name = "gen-trifeature",
    version,
    about = "Generate a bimodal Trifeatures dataset from a recipe: images, pair sets with R/U/S \
             labels, a manifest and SHA256SUMS (or check one with --verify)"
)]
struct Cli {
    #[command(flatten)]
    gen_args: GenArgs,
}

fn main() {
    let cli: Cli = parse_or_exit();
    exit_on_error(run_gen(&cli.gen_args));
}
