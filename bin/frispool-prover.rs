//! `frispool-prover --backend cpu|gpu`: proves jobs of every round (later rounds first) with the prover keys
//! loaded once from keys/. With `--serve-vectors ADDR` it claims no jobs: it announces itself in the spool
//! and proves the witness vectors `frispool-wvg` streams to it (the GPU side of the seed's split).

mod cli;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use frispool_pipeline::vectors::{self, ServeOptions};
use frispool_pipeline::{serve_with_backend, ProverStage, ProvingArgs};
use frispool_spool::{exit, run_stage, RunnerArgs};

#[derive(Parser)]
#[command(
    name = "frispool-prover",
    about = "FRI prover: proves one job of any round at a time, then unblocks the next round; or, with \
             --serve-vectors, proves the witness vectors frispool-wvg sends"
)]
struct Cli {
    #[command(flatten)]
    proving: ProvingArgs,
    /// Serve witness vectors on this address (e.g. 0.0.0.0:7700, port 0 for any) instead of claiming jobs;
    /// the address is announced under the spool's provers/.
    #[arg(long, value_name = "ADDR")]
    serve_vectors: Option<SocketAddr>,
    /// Witness vectors proven at once with --serve-vectors (one proof's host work overlaps another's device
    /// work).
    #[arg(long, default_value_t = 3, value_name = "N")]
    vector_slots: usize,
    /// With --serve-vectors: stop after this many vectors.
    #[arg(long, value_name = "N")]
    max_vectors: Option<u64>,
    /// With --serve-vectors: seconds between heartbeats of the announcement.
    #[arg(long, default_value_t = 2.0, value_name = "SECS")]
    heartbeat_secs: f64,
    #[command(flatten)]
    runner: RunnerArgs,
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    cli::main("frispool-prover", exit::TEMPFAIL, || {
        if cli.serve_vectors.is_some() && cli.runner.workers > 1 {
            // A vector server claims no jobs: its concurrency is --vector-slots.
            eprintln!("frispool-prover: --workers is for claiming jobs; with --serve-vectors use --vector-slots");
            return Ok(exit::USAGE);
        }
        let started = Instant::now();
        let (spool, keys, backend) = serve_with_backend(&mut cli.runner, &cli.proving)?;
        if cli.runner.verbose {
            eprintln!("frispool-prover: keys of protocol {} ready in {:.1?}", keys.version(), started.elapsed());
        }
        if let Some(listen) = cli.serve_vectors {
            let opts = ServeOptions {
                listen,
                slots: cli.vector_slots.max(1),
                heartbeat: Duration::from_secs_f64(cli.heartbeat_secs.max(0.1)),
                max_vectors: cli.max_vectors,
                verbose: cli.runner.verbose,
            };
            let report = vectors::serve(&spool, &keys, backend.clone(), cli.proving.device, &opts)?;
            report.log();
            if let Some(steps) = backend.step_summary() {
                eprintln!("frispool-prover: {steps}");
            }
            return Ok(exit::OK);
        }
        let stage = ProverStage { keys, max_attempts: cli.runner.max_attempts, backend: Some(backend.clone()) };
        let summary = run_stage(&spool, &cli.runner, &stage)?;
        summary.log();
        if let Some(busy) = backend.device_busy() {
            let wall = started.elapsed().as_secs_f64();
            eprintln!(
                "frispool-prover: device busy {:.1} s of {wall:.1} s ({:.0} %)",
                busy.as_secs_f64(),
                100.0 * busy.as_secs_f64() / wall
            );
        }
        if let Some(steps) = backend.step_summary() {
            eprintln!("frispool-prover: {steps}");
        }
        Ok(summary.exit_code())
    })
}
