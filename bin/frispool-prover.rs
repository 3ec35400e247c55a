//! `frispool-prover --backend cpu`: proves jobs of every round (later rounds first) with the prover keys loaded once from keys/.

use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use frispool_pipeline::setup::{self, KeyArgs};
use frispool_pipeline::prover::{Backend, ProverStage};
use frispool_spool::runner::{self, RunnerArgs};

#[derive(Clone, Copy, ValueEnum)]
enum BackendArg {
    /// plonky2 on the CPU (rayon, --threads).
    Cpu,
}

#[derive(Parser)]
#[command(name = "frispool-prover", about = "FRI prover: proves one job of any round at a time, then unblocks the next round")]
struct Cli {
    #[arg(long, value_enum, default_value = "cpu")]
    backend: BackendArg,
    #[command(flatten)]
    keys: KeyArgs,
    #[command(flatten)]
    runner: RunnerArgs,
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    let started = Instant::now();
    let keys = match setup::serve_with_keys(&mut cli.runner, &cli.keys) {
        Ok((_, keys)) => keys,
        Err(e) => {
            eprintln!("frispool-prover: error: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    if cli.runner.verbose {
        eprintln!("frispool-prover: keys of protocol {} ready in {:.1?}", keys.version(), started.elapsed());
    }
    let backend = match cli.backend {
        BackendArg::Cpu => Backend::Cpu,
    };
    let stage = ProverStage { keys, backend, max_attempts: cli.runner.max_attempts };
    ExitCode::from(runner::exit_code(&runner::run(&cli.runner, &stage)))
}
