//! `frispool-synthetic`: a real stage that hashes instead of proving, for tests, demos and
//! benchmarks. `seed` writes N input artifacts and enqueues their jobs; `work` drains them.

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use frispool_pipeline::{queue_named, QUEUES};
use frispool_spool::{exit, run_stage, seed_synthetic, Queue, RunnerArgs, SeedOptions, Spool, Synthetic};

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
        #[arg(long, default_value = "prove", value_parser = queue_named)]
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
        /// Circuit type of the jobs: synth or synth-<name> (for workers filtered with --types).
        #[arg(long, default_value = frispool_spool::SYNTHETIC_CIRCUIT)]
        circuit: String,
        /// Each round-0 job allocates and touches this many MiB (to show memory deaths).
        #[arg(long, default_value_t = 0, value_name = "MIB")]
        alloc_mb: u64,
    },
    /// Run the stage.
    Work {
        #[command(flatten)]
        runner: RunnerArgs,
        #[arg(long, default_value = "prove", value_parser = queue_named)]
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
    cli::main("frispool-synthetic", exit::TEMPFAIL, || match Cli::parse().cmd {
        Cmd::Seed {
            spool,
            jobs,
            rounds,
            bytes,
            queue,
            first_block,
            protocol,
            max_attempts,
            fail_every,
            fail_attempts,
            circuit,
            alloc_mb,
        } => {
            let o = SeedOptions {
                queue,
                jobs,
                rounds,
                bytes,
                first_block,
                per_block: 1000,
                protocol,
                max_attempts,
                fail_every,
                fail_attempts,
                circuit,
                alloc_mb,
            };
            let n = seed_synthetic(&Spool::open(&spool, &QUEUES)?, &o)?;
            println!("enqueued {n} synthetic jobs in {}", o.queue);
            Ok(exit::OK)
        }
        Cmd::Work { runner: args, queue, iterations, work_ms, journal } => {
            let spool = Spool::open(&args.spool, &QUEUES)?;
            let stage = Synthetic { queue, iterations, work: Duration::from_millis(work_ms), journal };
            let summary = run_stage(&spool, &args, &stage)?;
            summary.log();
            Ok(summary.exit_code())
        }
    })
}
