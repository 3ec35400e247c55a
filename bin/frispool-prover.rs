//! `frispool-prover --backend cpu`: proves jobs of every round (later rounds first) with the prover keys
//! loaded once from keys/.

mod cli;

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use frispool_pipeline::{serve_with_keys, ProverStage, ProvingArgs};
use frispool_spool::{exit, run_stage, RunnerArgs};

#[derive(Parser)]
#[command(
    name = "frispool-prover",
    about = "FRI prover: proves one job of any round at a time, then unblocks the next round"
)]
struct Cli {
    #[command(flatten)]
    proving: ProvingArgs,
    #[command(flatten)]
    runner: RunnerArgs,
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    cli::main("frispool-prover", exit::TEMPFAIL, || {
        let started = Instant::now();
        let (spool, keys) = serve_with_keys(&mut cli.runner, &cli.proving)?;
        if cli.runner.verbose {
            eprintln!("frispool-prover: keys of protocol {} ready in {:.1?}", keys.version(), started.elapsed());
        }
        let stage = ProverStage { keys, max_attempts: cli.runner.max_attempts };
        let summary = run_stage(&spool, &cli.runner, &stage)?;
        summary.log();
        Ok(summary.exit_code())
    })
}
