//! Hand-offs per second through the real spool protocol, fsync on, on the local disk of the target
//! folder, building only this crate. A hand-off is one job enqueued, claimed and completed the way the
//! runner does it (`OutputBatch::write` + `Spool::complete_batch`): with no output, with one 256-byte
//! output artifact, or with that output plus a follow-up job.
//!
//! Each row runs group commit off (every directory fsync its own, as before issue 13) and on (ARCHITECTURE.md
//! step 11: the threads of the process share directory fsyncs), interleaved (off on off on ...) so the
//! load of a shared machine hits both alike; it reports medians and their ratio.
//!
//! `cargo bench -p frispool-spool --bench handoff [-- --jobs N --reps R --threads 1,2,4,8 --shapes none,out,follow]`;
//! `HANDOFF_DIR` puts the spools on another disk.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use frispool_spool::{Claimer, JobKey, OutputBatch, Queue, Spool, Ticket, SYNTHETIC};

const PROVE: Queue = Queue::named("prove");
const NEXT: Queue = Queue::named("next");
static QUEUES: [Queue; 2] = [PROVE, NEXT];

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
            Shape::Output => "256 B output",
            Shape::OutputFollowUp => "256 B + follow-up",
        }
    }
    fn parse(s: &str) -> Option<Shape> {
        match s {
            "none" => Some(Shape::NoOutput),
            "out" => Some(Shape::Output),
            "follow" => Some(Shape::OutputFollowUp),
            _ => None,
        }
    }
}

/// Where the spools go: `$HANDOFF_DIR` (e.g. a disk of another machine, where this binary is carried), else
/// cargo's temporary folder of the target directory.
fn spool_base() -> PathBuf {
    std::env::var_os("HANDOFF_DIR").map_or_else(|| env!("CARGO_TARGET_TMPDIR").into(), Into::into)
}

/// Enqueue `jobs` tickets from `threads` threads (one enqueue each), then drain them with `threads`
/// claimers. Returns (enqueue time, drain time).
fn run(jobs: u64, threads: u64, shape: Shape, group_commit: bool) -> (Duration, Duration) {
    let base = spool_base();
    let base = base.as_path();
    let dir = tempfile::Builder::new().prefix("handoff-").tempdir_in(base).expect("temp spool");
    let spool = Arc::new(Spool::init(dir.path(), &QUEUES).expect("init spool").with_group_commit(group_commit));
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
                    let rel = Spool::block_dir_rel(k.block).join(format!("out.g{:04}", k.group));
                    let rel = rel.to_string_lossy().into_owned();
                    let mut outs = OutputBatch::new(&spool);
                    if shape != Shape::NoOutput {
                        outs.write(&rel, SYNTHETIC, &[7u8; 256].to_vec()).unwrap();
                    }
                    // Follow-ups go to a queue nobody drains here.
                    let follow = match shape {
                        Shape::OutputFollowUp => {
                            vec![Ticket::new(NEXT, JobKey { round: 1, ..k.clone() }, "dev", vec![rel], 3)]
                        }
                        _ => vec![],
                    };
                    spool.complete_batch(&job, outs, &follow).unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    assert_eq!(done.load(Ordering::Relaxed), jobs, "every job completed once");
    (enq, t1.elapsed())
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
    let shapes: Vec<Shape> =
        arg(&args, "--shapes").unwrap_or("none,out,follow").split(',').filter_map(Shape::parse).collect();
    // `--only on|off`: one mode, for strace/perf.
    let modes: Vec<bool> = match arg(&args, "--only") {
        Some("on") => vec![true],
        Some("off") => vec![false],
        _ => vec![false, true],
    };
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!(
        "spool hand-offs, fsync on, {jobs} jobs x {reps} interleaved runs (medians), {cores} cores, spool under {}",
        spool_base().display()
    );
    println!();
    println!("| workers | per job | enqueue/s off | on | claim+complete/s off | on | hand-offs/s off | on | ratio |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for &t in &threads {
        for &shape in &shapes {
            let (mut enq, mut cc, mut ho) = ([vec![], vec![]], [vec![], vec![]], [vec![], vec![]]);
            for _ in 0..reps {
                for &on in &modes {
                    let (e, d) = run(jobs, t, shape, on);
                    let i = on as usize;
                    enq[i].push(rate(jobs, e));
                    cc[i].push(rate(jobs, d));
                    ho[i].push(rate(jobs, e + d));
                }
            }
            let m = |v: &Vec<f64>| if v.is_empty() { f64::NAN } else { median(v.clone()) };
            let (h0, h1) = (m(&ho[0]), m(&ho[1]));
            println!(
                "| {t} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {h0:.0} | {h1:.0} | {:.2}x |",
                shape.label(),
                m(&enq[0]),
                m(&enq[1]),
                m(&cc[0]),
                m(&cc[1]),
                h1 / h0
            );
        }
    }
}
