//! `rusbench`: the suite's command line. With no subcommand it runs the main job on the default
//! CPU preset: `reproduce synergy --preset demo --seeds 1` (generating the data if missing).
use clap::{Parser, Subcommand};
use rusbench::cli::{
    GenArgs, PidCommand, ReproduceArgs, RunKeyArgs, TrainArgs, exit_on_error, parse_or_exit,
    run_gen, run_pid, run_reproduce, run_run_key, run_train,
};

#[derive(Parser)]
#[command(
    version,
    about = "Multimodal contrastive learning benchmark on bimodal Trifeatures",
    long_about = "Multimodal contrastive learning benchmark on bimodal Trifeatures.\n\n\
                  With no command it runs the main job: `reproduce synergy --preset demo --seeds 1` \
                  (generates data/trifeature-64 if missing, trains Cross and CoMM on the biased \
                  pairs into runs/cache, writes results/synergy-demo/)."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Reproduce a figure or ablation: fig4, fig5, fusion, augment, all, or the synergy contrast
    /// (fig4 and synergy add each run's PID in bits beside its accuracies).
    Reproduce(ReproduceArgs),
    /// Generate a Trifeatures dataset (same as the gen-trifeature binary).
    Gen(GenArgs),
    /// Partial information decomposition: of any pmf, of a dataset's tasks, of a trained run's
    /// representation, and the estimators' error on embeddings of known PID.
    #[command(subcommand)]
    Pid(PidCommand),
    /// Train one method from a preset and probe it.
    Train(TrainArgs),
    /// Train one run that `reproduce` planned in the cache, by its key (resumes it; refuses while
    /// another process holds its lock; a finished run is left alone).
    RunKey(RunKeyArgs),
}

fn main() {
    rusbench::device::prepare_process();
    let cli: Cli = parse_or_exit();
    exit_on_error(match cli.command {
        Some(Command::Reproduce(r)) => run_reproduce(&r),
        Some(Command::Gen(a)) => run_gen(&a),
        Some(Command::Pid(p)) => run_pid(&p),
        Some(Command::Train(t)) => run_train(&t),
        Some(Command::RunKey(k)) => run_run_key(&k),
        None => run_reproduce(&ReproduceArgs::default()),
    });
}
