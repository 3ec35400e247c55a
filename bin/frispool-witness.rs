//! `frispool-witness --round basic|leaf|node|tip|scheduler`: the witness generator of one round.

use std::process::ExitCode;

use clap::Parser;
use frispool_pipeline::keystore;
use frispool_pipeline::witness::{WitnessRound, WitnessStage};
use frispool_spool::runner::{self, RunnerArgs};
use frispool_spool::{exit, Spool};

#[derive(Parser)]
#[command(
    name = "frispool-witness",
    about = "Witness generator: round basic re-executes blocks into basic witnesses; leaf|node|tip|scheduler bundle inner proofs"
)]
struct Cli {
    /// basic, leaf, node, tip or scheduler.
    #[arg(long, value_parser = parse_round)]
    round: WitnessRound,
    #[command(flatten)]
    runner: RunnerArgs,
}

fn parse_round(s: &str) -> Result<WitnessRound, String> {
    WitnessRound::parse(s).ok_or_else(|| format!("unknown round {s:?}: want basic, leaf, node, tip or scheduler"))
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    let keys_dir = match Spool::open(&cli.runner.spool) {
        Ok(s) => s.keys_dir(),
        Err(e) => {
            eprintln!("frispool-witness: error: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    match keystore::serve_protocol(&keys_dir, &cli.runner.protocol) {
        Ok(p) => cli.runner.protocol = p,
        Err(e) => {
            eprintln!("frispool-witness: error: {e}");
            return ExitCode::from(exit::USAGE);
        }
    }
    let stage = WitnessStage { round: cli.round, protocol: cli.runner.protocol.clone(), max_attempts: cli.runner.max_attempts };
    ExitCode::from(runner::exit_code(&runner::run(&cli.runner, &stage)))
}
