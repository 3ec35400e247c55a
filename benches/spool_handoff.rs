//! Hand-offs per second through the real spool protocol, fsync on, on the local disk of the
//! target folder. A hand-off is one job enqueued, claimed and completed (with or without one
//! 256-byte output artifact). Prints a Markdown table for BENCHMARKS.md.
//!
//! `cargo bench --bench spool_handoff [-- --jobs N]`

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use frispool_spool::synthetic::{seed, SeedOptions};
use frispool_spool::{ArtifactKind, Claimer, JobKey, Queue, Spool, Ticket};

fn fresh_spool(tag: &str) -> (tempfile::TempDir, Spool) {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = tempfile::Builder::new().prefix(tag).tempdir_in(base).expect("temp spool");
    let spool = Spool::init(dir.path()).expect("init spool");
    (dir, spool)
}

/// Enqueue `jobs` tickets from `threads` threads (one fsync'd enqueue each), then drain them with
/// `threads` claimers. Returns (enqueue time, drain time).
fn in_process(jobs: u64, threads: u64, with_output: bool) -> (Duration, Duration) {
    let (_dir, spool) = fresh_spool("bench-");
    let spool = Arc::new(spool);
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let spool = spool.clone();
            s.spawn(move || {
                for i in (t..jobs).step_by(threads as usize) {
                    let key = JobKey::new(1 + i / 1000, 0, "bench", 0, (i % 1000) as u32).unwrap();
                    spool.enqueue(&Ticket::new(Queue::Prove, key, "dev", vec![], 3)).unwrap();
                }
            });
        }
    });
    let enq = t0.elapsed();
    let done = AtomicU64::new(0);
    let t1 = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (spool, done) = (spool.clone(), &done);
            s.spawn(move || {
                let mut c = Claimer::new(Queue::Prove, "dev");
                while let Some(job) = c.next(&spool).unwrap() {
                    let mut outs = Vec::new();
                    if with_output {
                        let k = job.key();
                        let rel = Spool::block_dir_rel(k.block).join(format!("out.g{:04}", k.group));
                        outs.push(spool.publish(&rel.to_string_lossy(), ArtifactKind::Synthetic, &[7u8; 256].to_vec()).unwrap());
                    }
                    spool.complete(&job, outs).unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    assert_eq!(done.load(Ordering::Relaxed), jobs, "every job completed once");
    (enq, t1.elapsed())
}

/// `procs` real worker processes (`frispool-synthetic work --once`) draining `jobs` seeded jobs.
fn processes(jobs: u64, procs: usize) -> Duration {
    let (dir, spool) = fresh_spool("bench-proc-");
    seed(&spool, &SeedOptions::new(jobs)).unwrap();
    let t = Instant::now();
    let children: Vec<_> = (0..procs)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_frispool-synthetic"))
                .args(["work", "--once", "--iterations", "0", "--threads", "1", "--no-recover", "--spool"])
                .arg(dir.path())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let took = t.elapsed();
    let done = std::fs::read_dir(spool.state_dir(Queue::Prove, frispool_spool::State::Done)).unwrap().count() as u64;
    assert_eq!(done, jobs);
    took
}

fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let jobs: u64 = args.iter().position(|a| a == "--jobs").and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(2000);
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("spool hand-offs, fsync on, {jobs} jobs, {cores} cores, spool under {}", env!("CARGO_TARGET_TMPDIR"));
    println!();
    println!("| workers | output artifact | enqueue/s | claim+complete/s | hand-offs/s (enqueue+claim+complete) |");
    println!("|---|---|---:|---:|---:|");
    for threads in [1u64, 2, 4, 8] {
        for with_output in [false, true] {
            let (e, d) = in_process(jobs, threads, with_output);
            println!(
                "| {threads} threads | {} | {:.0} | {:.0} | {:.0} |",
                if with_output { "256 B" } else { "none" },
                rate(jobs, e),
                rate(jobs, d),
                rate(jobs, e + d)
            );
        }
    }
    for procs in [1usize, 4] {
        let d = processes(jobs, procs);
        println!("| {procs} processes (frispool-synthetic) | 256 B | (seeded) | {:.0} | - |", rate(jobs, d));
    }
}
