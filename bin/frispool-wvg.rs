//! `frispool-wvg`: the seed's witness-vector generator. It claims prove jobs like `frispool-prover`,
//! computes each job's witness vector here on the CPU, streams it to a GPU prover that announced itself
//! in the spool (`frispool-prover --backend gpu --serve-vectors ADDR`), checks the proof it gets back
//! under the circuit's own data, and saves it. Run several per GPU: each keeps one vector in flight.

mod cli;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use frispool_pipeline::vectors::RemoteProver;
use frispool_pipeline::{load_serving_keys, serve, ProverStage};
use frispool_spool::{exit, run_stage, RunnerArgs, Spool};

#[derive(Parser)]
#[command(
    name = "frispool-wvg",
    about = "Witness-vector generator: computes prove jobs' witnesses on the CPU and has an announced GPU prover \
             prove them"
)]
struct Cli {
    /// Send vectors only to these provers (repeatable) instead of the ones announced under provers/.
    #[arg(long = "prover", value_name = "ADDR")]
    provers: Vec<SocketAddr>,
    /// An announcement whose heartbeat is older than this is ignored (the prover is gone).
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    stale_secs: f64,
    /// How long to wait for a live prover before giving the job back to the queue.
    #[arg(long, default_value_t = 300.0, value_name = "SECS")]
    wait_secs: f64,
    /// Build every circuit instead of loading the prover keys from keys/ (slow).
    #[arg(long)]
    rebuild_keys: bool,
    #[command(flatten)]
    runner: RunnerArgs,
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    cli::main("frispool-wvg", exit::TEMPFAIL, || {
        let started = Instant::now();
        let spool = serve(&mut cli.runner)?;
        let mut keys = load_serving_keys(&spool, cli.rebuild_keys)?;
        let mut remote = RemoteProver::new(Spool::open(spool.root(), spool.queues())?, keys.version(), cli.provers);
        remote.stale = Duration::from_secs_f64(cli.stale_secs.max(0.1));
        remote.wait = Duration::from_secs_f64(cli.wait_secs.max(0.0));
        keys.use_backend(Arc::new(remote));
        if cli.runner.verbose {
            eprintln!("frispool-wvg: keys of protocol {} ready in {:.1?}", keys.version(), started.elapsed());
        }
        let stage = ProverStage { keys, max_attempts: cli.runner.max_attempts, backend: None };
        let summary = run_stage(&spool, &cli.runner, &stage)?;
        summary.log();
        Ok(summary.exit_code())
    })
}
