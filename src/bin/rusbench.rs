//! `rusbench`: the suite's command line. With no subcommand it runs the main job on the default
//! CPU preset (for now: generate the CPU dataset).
use clap::{Parser, Subcommand};
use rusbench::cli::{CPU_RECIPE, GenArgs, exit_on_error, run_gen};

#[derive(Parser)]
#[command(
    version,
    about = "Multimodal contrastive learning benchmark on bimodal Trifeatures"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a Trifeatures dataset (same as the gen-trifeature binary).
    Gen(GenArgs),
}

fn main() {
    let cli = Cli::parse();
    let args = match cli.command {
        Some(Command::Gen(a)) => a,
        None => GenArgs {
            recipe: CPU_RECIPE.into(),
            out: None,
            seed: None,
            preview: true,
            force: false,
            threads: None,
            verify: false,
        },
    };
    exit_on_error(run_gen(&args));
}
