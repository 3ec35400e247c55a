//! `frispool-witness --round basic|leaf|node|tip|scheduler`: the witness generator of one round.

mod cli;

use std::process::ExitCode;

use clap::Parser;
use frispool_circuits::Registry;
use frispool_core::AggregationRound;
use frispool_pipeline::{parse_witness_round, serve, WitnessStage};
use frispool_spool::{exit, run_stage, RunnerArgs};

#[derive(Parser)]
#[command(
    name = "frispool-witness",
    about = "Witness generator: round basic re-executes blocks into basic witnesses; leaf|node|tip|scheduler bundle inner proofs"
)]
struct Cli {
    /// basic, leaf, node, tip or scheduler.
    #[arg(long, value_parser = parse_witness_round)]
    round: AggregationRound,
    #[command(flatten)]
    runner: RunnerArgs,
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    cli::main("frispool-witness", exit::TEMPFAIL, || {
        let spool = serve(&mut cli.runner)?;
        let stage = WitnessStage {
            round: cli.round,
            protocol: cli.runner.protocol.clone(),
            max_attempts: cli.runner.max_attempts,
            registry: Registry::default(),
        };
        let summary = run_stage(&spool, &cli.runner, &stage)?;
        summary.log();
        Ok(summary.exit_code())
    })
}
