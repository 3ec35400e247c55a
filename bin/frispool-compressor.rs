//! `frispool-compressor`: scheduler proof → compression layers → final proof → submit job.

mod cli;

use std::process::ExitCode;

use clap::Parser;
use frispool_pipeline::{serve_with_keys, CompressorStage, ProvingArgs};
use frispool_spool::{exit, run_stage, RunnerArgs};

#[derive(Parser)]
#[command(
    name = "frispool-compressor",
    about = "Compressor: turns scheduler proofs into final proofs and enqueues their submission"
)]
struct Cli {
    #[command(flatten)]
    proving: ProvingArgs,
    #[command(flatten)]
    runner: RunnerArgs,
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    cli::main("frispool-compressor", exit::TEMPFAIL, || {
        let (spool, keys) = serve_with_keys(&mut cli.runner, &cli.proving)?;
        let summary = run_stage(&spool, &cli.runner, &CompressorStage { keys })?;
        summary.log();
        Ok(summary.exit_code())
    })
}
