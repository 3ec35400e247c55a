//! `frispool-witness --round basic|leaf|node|tip|scheduler`: the witness generator of one round.

use std::process::ExitCode;

use clap::Parser;
use frispool_pipeline::setup;
use frispool_pipeline::witness::{WitnessRound, WitnessStage};
use frispool_spool::runner::{self, RunnerArgs};

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
    if let Err(e) = setup::serve(&mut cli.runner) {
        eprintln!("frispool-witness: error: {e}");
        return ExitCode::from(e.exit_code());
    }
    let stage = WitnessStage { round: cli.round, protocol: cli.runner.protocol.clone(), max_attempts: cli.runner.max_attempts };
    ExitCode::from(runner::exit_code(&runner::run(&cli.runner, &stage)))
}
