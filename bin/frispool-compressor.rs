//! `frispool-compressor`: scheduler proof → compression layers → final proof → submit job.

use std::process::ExitCode;

use clap::Parser;
use frispool_pipeline::compressor::CompressorStage;
use frispool_pipeline::keystore;
use frispool_spool::runner::{self, RunnerArgs};
use frispool_spool::{exit, Spool};

#[derive(Parser)]
#[command(name = "frispool-compressor", about = "Compressor: turns scheduler proofs into final proofs and enqueues their submission")]
struct Cli {
    /// Build every circuit instead of loading the prover keys from the spool's keys/ (slow; for keys folders
    /// written before prover keys existed). The built protocol must still equal the keys' manifest.
    #[arg(long)]
    rebuild_keys: bool,
    #[command(flatten)]
    runner: RunnerArgs,
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    let keys_dir = match Spool::open(&cli.runner.spool) {
        Ok(s) => s.keys_dir(),
        Err(e) => {
            eprintln!("frispool-compressor: error: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    let keys = match keystore::serve_protocol(&keys_dir, &cli.runner.protocol).and_then(|_| {
        if cli.rebuild_keys {
            keystore::build_checked(&keys_dir)
        } else {
            keystore::load(&keys_dir)
        }
    }) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("frispool-compressor: error: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    cli.runner.protocol = keys.version().to_string();
    let stage = CompressorStage { keys };
    ExitCode::from(runner::exit_code(&runner::run(&cli.runner, &stage)))
}
