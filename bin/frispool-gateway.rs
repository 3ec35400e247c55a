//! `frispool-gateway`: pulls blocks from the sequencer into the spool and posts final proofs back.

mod cli;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use frispool_pipeline::{serve, Gateway, SubmitStage};
use frispool_spool::{exit, run_stage, RunSummary, RunnerArgs};

#[derive(Parser)]
#[command(
    name = "frispool-gateway",
    about = "Prover gateway: sequencer → spool (blocks) and spool → sequencer (final proofs)"
)]
struct Cli {
    /// Base URL of the sequencer.
    #[arg(long, env = "FRISPOOL_SEQUENCER", default_value = "http://127.0.0.1:3320")]
    sequencer: String,
    /// Seconds between polls of the sequencer in watch mode.
    #[arg(long, default_value_t = 2.0)]
    pull_secs: f64,
    /// Seconds one submit attempt keeps retrying an unreachable sequencer (with back-off).
    #[arg(long, default_value_t = 60)]
    submit_retry_secs: u64,
    /// Timeout of one HTTP request, in seconds.
    #[arg(long, default_value_t = 60)]
    http_timeout_secs: u64,
    #[command(flatten)]
    runner: RunnerArgs,
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    cli::main("frispool-gateway", exit::TEMPFAIL, || {
        let spool = serve(&mut cli.runner)?;
        let timeout = Duration::from_secs(cli.http_timeout_secs);
        let gateway = Gateway::new(&cli.sequencer, &cli.runner.protocol, cli.runner.max_attempts, timeout);
        let submit = SubmitStage::new(&cli.sequencer, Duration::from_secs(cli.submit_retry_secs), timeout);
        let summary = if cli.runner.once {
            let pulled = gateway.pull(&spool)?;
            if !pulled.is_empty() {
                eprintln!("frispool-gateway: enqueued blocks {pulled:?}");
            }
            run_stage(&spool, &cli.runner, &submit)?
        } else {
            watch(&cli, gateway, &submit, &spool)?
        };
        summary.log();
        Ok(summary.exit_code())
    })
}

/// Watch mode: a puller thread beside the submit runner; the runner owns signal handling.
fn watch(
    cli: &Cli,
    gateway: Gateway,
    submit: &SubmitStage,
    spool: &frispool_spool::Spool,
) -> anyhow::Result<RunSummary> {
    let stop = Arc::new(AtomicBool::new(false));
    let puller = {
        let stop = Arc::clone(&stop);
        let spool = spool.clone();
        let pause = Duration::from_secs_f64(cli.pull_secs.max(0.05));
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match gateway.pull(&spool) {
                    Ok(blocks) if !blocks.is_empty() => eprintln!("frispool-gateway: enqueued blocks {blocks:?}"),
                    Ok(_) => {}
                    Err(e) => eprintln!("frispool-gateway: {:#} (retrying in {pause:?})", anyhow::Error::from(e)),
                }
                let mut slept = Duration::ZERO;
                while slept < pause && !stop.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(50));
                    slept += Duration::from_millis(50);
                }
            }
        })
    };
    let result = run_stage(spool, &cli.runner, submit);
    stop.store(true, Ordering::SeqCst);
    let _ = puller.join();
    Ok(result?)
}
