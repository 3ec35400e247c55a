//! `frispool-synthetic`: a real stage that hashes instead of proving, for tests, demos and
//! benchmarks. `seed` writes N input artifacts and enqueues their jobs; `work` drains them.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use clap::{Parser, Subcommand};
use frispool_spool::runner::{self, RunnerArgs};
use frispool_spool::synthetic::{seed, SeedOptions, Synthetic};
use frispool_spool::{exit, Queue, Spool, SpoolError};

#[derive(Parser)]
#[command(name = "frispool-synthetic", about = "A synthetic stage: hashing work through the real spool protocol")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write input artifacts and enqueue N round-0 jobs.
    Seed {
        #[arg(long, env = "FRISPOOL_SPOOL", default_value = "./spool")]
        spool: PathBuf,
        #[arg(long, default_value_t = 100)]
        jobs: u64,
        /// Rounds per chain (round r enqueues round r+1 when done).
        #[arg(long, default_value_t = 1)]
        rounds: u8,
        #[arg(long, default_value_t = 256)]
        bytes: usize,
        #[arg(long, default_value = "prove")]
        queue: Queue,
        #[arg(long, default_value_t = 1)]
        first_block: u64,
        #[arg(long, env = "FRISPOOL_PROTOCOL", default_value = frispool_spool::DEFAULT_PROTOCOL)]
        protocol: String,
        #[arg(long, default_value_t = 3)]
        max_attempts: u32,
        /// Every n-th job fails its first --fail-attempts attempts.
        #[arg(long, default_value_t = 0)]
        fail_every: u64,
        #[arg(long, default_value_t = 1)]
        fail_attempts: u32,
    },
    /// Run the stage.
    Work {
        #[command(flatten)]
        runner: RunnerArgs,
        #[arg(long, default_value = "prove")]
        queue: Queue,
        /// Chained hashes per job (part of the output).
        #[arg(long, default_value_t = 1000)]
        iterations: u64,
        /// Extra busy milliseconds per job.
        #[arg(long, default_value_t = 0)]
        work_ms: u64,
        /// Append `key attempt pid` per handled job to this file.
        #[arg(long)]
        journal: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    match Cli::parse().cmd {
        Cmd::Seed { spool, jobs, rounds, bytes, queue, first_block, protocol, max_attempts, fail_every, fail_attempts } => {
            let o = SeedOptions { queue, jobs, rounds, bytes, first_block, per_block: 1000, protocol, max_attempts, fail_every, fail_attempts };
            let r: Result<usize> = Spool::open(&spool).map_err(Into::into).and_then(|s| Ok(seed(&s, &o)?));
            match r {
                Ok(n) => {
                    println!("enqueued {n} synthetic jobs in {queue}");
                    ExitCode::from(exit::OK)
                }
                Err(e) => {
                    eprintln!("frispool-synthetic: error: {e:#}");
                    ExitCode::from(e.downcast_ref::<SpoolError>().map(SpoolError::exit_code).unwrap_or(exit::TEMPFAIL))
                }
            }
        }
        Cmd::Work { runner: args, queue, iterations, work_ms, journal } => {
            let stage = Synthetic { queue, iterations, work: Duration::from_millis(work_ms), journal };
            ExitCode::from(runner::exit_code(&runner::run(&args, &stage)))
        }
    }
}
