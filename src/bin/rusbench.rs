//! `rusbench`: the suite's command line. With no subcommand it runs the main job on the default
//! CPU preset (for now: generate the CPU dataset).
use clap::{Parser, Subcommand};
use rusbench::cli::{
    CPU_RECIPE, GenArgs, PidCommand, TrainArgs, exit_on_error, run_gen, run_pid, run_train,
};

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
    /// Partial information decomposition: of any pmf, or of a dataset's tasks.
    #[command(subcommand)]
    Pid(PidCommand),
    /// Train a method from a preset and probe it (CoMM so far).
    Train(TrainArgs),
}

fn main() {
    let cli = Cli::parse();
    let args = match cli.command {
        Some(Command::Gen(a)) => a,
        Some(Command::Pid(p)) => return exit_on_error(run_pid(&p)),
        Some(Command::Train(t)) => return exit_on_error(run_train(&t)),
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
