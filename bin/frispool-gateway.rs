//! `frispool-gateway`: pulls blocks from the sequencer into the spool and posts final proofs back.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use frispool_pipeline::gateway::{Gateway, SubmitStage};
use frispool_pipeline::setup;
use frispool_spool::runner::{self, RunnerArgs};

#[derive(Parser)]
#[command(name = "frispool-gateway", about = "Prover gateway: sequencer → spool (blocks) and spool → sequencer (final proofs)")]
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
    let spool = match setup::serve(&mut cli.runner) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("frispool-gateway: error: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    let timeout = Duration::from_secs(cli.http_timeout_secs);
    let gateway = Gateway::new(&cli.sequencer, &cli.runner.protocol, cli.runner.max_attempts, timeout);
    let submit = SubmitStage::new(&cli.sequencer, Duration::from_secs(cli.submit_retry_secs), timeout);

    if cli.runner.once {
        let pulled = match gateway.pull(&spool) {
            Ok(blocks) => blocks,
            Err(e) => {
                eprintln!("frispool-gateway: error: {e}");
                return ExitCode::from(e.exit_code());
            }
        };
        if !pulled.is_empty() {
            eprintln!("frispool-gateway: enqueued blocks {pulled:?}");
        }
        return ExitCode::from(runner::exit_code(&runner::run(&cli.runner, &submit)));
    }

    // Watch mode: a puller thread beside the submit runner; the runner owns signal handling.
    let stop = Arc::new(AtomicBool::new(false));
    let puller = {
        let stop = Arc::clone(&stop);
        let pause = Duration::from_secs_f64(cli.pull_secs.max(0.05));
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match gateway.pull(&spool) {
                    Ok(blocks) if !blocks.is_empty() => eprintln!("frispool-gateway: enqueued blocks {blocks:?}"),
                    Ok(_) => {}
                    Err(e) => eprintln!("frispool-gateway: {e} (retrying in {pause:?})"),
                }
                let mut slept = Duration::ZERO;
                while slept < pause && !stop.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(50));
                    slept += Duration::from_millis(50);
                }
            }
        })
    };
    let result = runner::run(&cli.runner, &submit);
    stop.store(true, Ordering::SeqCst);
    let _ = puller.join();
    ExitCode::from(runner::exit_code(&result))
}
