//! Hand-offs per second through the real spool protocol, fsync on, on the local disk of the
//! target folder. A hand-off is one job enqueued, claimed and completed, with no output, with one
//! 256-byte output artifact, or with that output plus a follow-up job it enqueues.
//!
//! Each row runs two ways of completing, interleaved (A B A B ...) so that the load of a shared
//! machine hits both alike, and reports medians and their ratio:
//! - `per-step`: `Spool::publish` each output (file fsync, folder fsync), `enqueue_many` the
//!   follow-ups (ticket fsync, folder fsync), `Spool::complete` (ticket fsync, folder fsync);
//! - `batched`: what the runner does: `OutputBatch::write` (each output durable when written) +
//!   `Spool::complete_batch` (protocol steps 5–6: follow-up and done tickets fsynced in one batch).
//!
//! `cargo bench --bench spool_handoff [-- --jobs N --reps R --threads 1,2,4,8 --baseline-synthetic PATH]`
//! `--baseline-synthetic` adds process rows for an older `frispool-synthetic` build, interleaved
//! with this build's.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use frispool_pipeline::{PROVE, QUEUES, WVG};
use frispool_spool::{seed_synthetic, Claimer, JobKey, OutputBatch, SeedOptions, Spool, State, Ticket, SYNTHETIC};

fn fresh_spool(tag: &str) -> (tempfile::TempDir, Spool) {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = tempfile::Builder::new().prefix(tag).tempdir_in(base).expect("temp spool");
    let spool = Spool::init(dir.path(), &QUEUES).expect("init spool");
    (dir, spool)
}

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    NoOutput,
    Output,
    OutputFollowUp,
}

impl Shape {
    fn label(self) -> &'static str {
        match self {
            Shape::NoOutput => "none",
            Shape::Output => "256 B",
            Shape::OutputFollowUp => "256 B + follow-up",
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Path_ {
    PerStep,
    Batched,
}

/// Enqueue `jobs` tickets from `threads` threads (one fsync'd enqueue each), then drain them with
/// `threads` claimers. Returns (enqueue time, drain time).
fn in_process(jobs: u64, threads: u64, shape: Shape, how: Path_) -> (Duration, Duration) {
    let (_dir, spool) = fresh_spool("bench-");
    let spool = Arc::new(spool);
    // The block folders exist before timing starts (creating one costs an extra fsync once).
    for b in 1..=1 + jobs / 1000 {
        std::fs::create_dir_all(spool.root().join(Spool::block_dir_rel(b))).unwrap();
    }
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let spool = spool.clone();
            s.spawn(move || {
                for i in (t..jobs).step_by(threads as usize) {
                    let key = JobKey::new(1 + i / 1000, 0, "bench", 0, (i % 1000) as u32).unwrap();
                    spool.enqueue(&Ticket::new(PROVE, key, "dev", vec![], 3)).unwrap();
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
                let mut c = Claimer::new(PROVE, "dev");
                while let Some(job) = c.next(&spool).unwrap() {
                    let k = job.key().clone();
                    let rel = Spool::block_dir_rel(k.block)
                        .join(format!("out.g{:04}", k.group))
                        .to_string_lossy()
                        .into_owned();
                    let payload = [7u8; 256].to_vec();
                    // Follow-ups go to a queue nobody drains here.
                    let follow = |out: &str| {
                        vec![Ticket::new(WVG, JobKey { round: 1, ..k.clone() }, "dev", vec![out.to_string()], 3)]
                    };
                    match how {
                        Path_::PerStep => {
                            let mut outs = Vec::new();
                            if shape != Shape::NoOutput {
                                outs.push(spool.publish(&rel, SYNTHETIC, &payload).unwrap());
                            }
                            if shape == Shape::OutputFollowUp {
                                spool.enqueue_many(&follow(&rel)).unwrap();
                            }
                            spool.complete(&job, outs).unwrap();
                        }
                        Path_::Batched => {
                            let mut outs = OutputBatch::new(&spool);
                            if shape != Shape::NoOutput {
                                outs.write(&rel, SYNTHETIC, &payload).unwrap();
                            }
                            let f = if shape == Shape::OutputFollowUp { follow(&rel) } else { vec![] };
                            spool.complete_batch(&job, outs, &f).unwrap();
                        }
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    assert_eq!(done.load(Ordering::Relaxed), jobs, "every job completed once");
    (enq, t1.elapsed())
}

/// `procs` real worker processes (`frispool-synthetic work --once`) draining `jobs` seeded jobs.
fn processes(bin: &Path, jobs: u64, procs: usize) -> Duration {
    let (dir, spool) = fresh_spool("bench-proc-");
    seed_synthetic(&spool, &SeedOptions::new(PROVE, jobs)).unwrap();
    let t = Instant::now();
    let children: Vec<_> = (0..procs)
        .map(|_| {
            Command::new(bin)
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
    let done = std::fs::read_dir(spool.state_dir(&PROVE, State::Done)).unwrap().count() as u64;
    assert_eq!(done, jobs);
    took
}

fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn arg<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let jobs: u64 = arg(&args, "--jobs").and_then(|v| v.parse().ok()).unwrap_or(2000);
    let reps: usize = arg(&args, "--reps").and_then(|v| v.parse().ok()).unwrap_or(3).max(1);
    let threads: Vec<u64> =
        arg(&args, "--threads").unwrap_or("1,2,4,8").split(',').filter_map(|t| t.parse().ok()).collect();
    let baseline: Option<PathBuf> = arg(&args, "--baseline-synthetic").map(PathBuf::from);
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    println!(
        "spool hand-offs, fsync on, {jobs} jobs x {reps} interleaved runs (medians), {cores} cores, host {}, spool under {}",
        host.trim(),
        env!("CARGO_TARGET_TMPDIR")
    );
    println!();
    println!("| workers | per job | enqueue/s | claim+complete/s per-step | claim+complete/s batched | ratio | hand-offs/s per-step | hand-offs/s batched | ratio |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for &t in &threads {
        for shape in [Shape::NoOutput, Shape::Output, Shape::OutputFollowUp] {
            let (mut enq, mut cc, mut ho) = (Vec::new(), [Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
            for _ in 0..reps {
                for (i, how) in [Path_::PerStep, Path_::Batched].into_iter().enumerate() {
                    let (e, d) = in_process(jobs, t, shape, how);
                    enq.push(rate(jobs, e));
                    cc[i].push(rate(jobs, d));
                    ho[i].push(rate(jobs, e + d));
                }
            }
            let [c0, c1] = cc.map(median);
            let [h0, h1] = ho.map(median);
            println!(
                "| {t} threads | {} | {:.0} | {c0:.0} | {c1:.0} | {:.2}x | {h0:.0} | {h1:.0} | {:.2}x |",
                shape.label(),
                median(enq),
                c1 / c0,
                h1 / h0
            );
        }
    }
    println!();
    println!("Real worker processes (`frispool-synthetic work --once`, 256 B output each, jobs seeded beforehand):");
    println!();
    let this = PathBuf::from(env!("CARGO_BIN_EXE_frispool-synthetic"));
    match &baseline {
        Some(_) => {
            println!("| processes | claim+complete/s baseline build | claim+complete/s this build | ratio |");
            println!("|---|---:|---:|---:|");
        }
        None => {
            println!("| processes | claim+complete/s |");
            println!("|---|---:|");
        }
    }
    for procs in [1usize, 4] {
        let (mut old, mut new) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            if let Some(b) = &baseline {
                old.push(rate(jobs, processes(b, jobs, procs)));
            }
            new.push(rate(jobs, processes(&this, jobs, procs)));
        }
        match &baseline {
            Some(_) => {
                let (o, n) = (median(old), median(new));
                println!("| {procs} | {o:.0} | {n:.0} | {:.2}x |", n / o);
            }
            None => println!("| {procs} | {:.0} |", median(new)),
        }
    }
}
