//! `frispool-compressor`: scheduler proof → compression layers → final proof → submit job.

use std::process::ExitCode;

use clap::Parser;
use frispool_pipeline::compressor::CompressorStage;
use frispool_pipeline::setup::{self, KeyArgs};
use frispool_spool::runner::{self, RunnerArgs};

#[derive(Parser)]
#[command(name = "frispool-compressor", about = "Compressor: turns scheduler proofs into final proofs and enqueues their submission")]
struct Cli {
    #[command(flatten)]
    keys: KeyArgs,
    #[command(flatten)]
    runner: RunnerArgs,
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    let keys = match setup::serve_with_keys(&mut cli.runner, &cli.keys) {
        Ok((_, keys)) => keys,
        Err(e) => {
            eprintln!("frispool-compressor: error: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    let stage = CompressorStage { keys };
    ExitCode::from(runner::exit_code(&runner::run(&cli.runner, &stage)))
}
