//! The synthetic stage: a real stage that hashes instead of proving. Tests, the demo and the
//! benchmark drive the spool through it; each job reads one input artifact, does a set amount of
//! hashing, writes one output, and may enqueue its follow-up in the next round.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::artifact::ArtifactKind;
use crate::error::{io_err, Result};
use crate::fsx;
use crate::job::{Handler, JobContext, JobError};
use crate::key::JobKey;
use crate::layout::Spool;
use crate::protocol::Enqueued;
use crate::queue::{Queue, State};
use crate::recover::UnblockSweep;
use crate::ticket::Ticket;

/// The synthetic stage's circuit type; seeding may name others that start with `synth-` (`synth-big`), so
/// fleet tests can filter on types. Only these are the synthetic sweep's (a queue may hold pipeline jobs).
pub const SYNTHETIC_CIRCUIT: &str = "synth";

fn is_synthetic(circuit: &str) -> bool {
    circuit == SYNTHETIC_CIRCUIT || circuit.starts_with("synth-")
}
/// The kind of the synthetic stage's artifacts (its own: no pipeline kind has this number).
pub const SYNTHETIC: ArtifactKind = ArtifactKind::new(100, "synthetic");
/// Fixed lane count so the digest does not depend on `--threads`.
const LANES: u64 = 8;

/// Wire type of synthetic artifacts (kind `synthetic`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyntheticPayload {
    pub key: String,
    pub round: u8,
    pub digest: [u8; 32],
    pub filler: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct SeedOptions {
    pub queue: Queue,
    pub jobs: u64,
    /// Rounds per chain: each job of round r < rounds-1 enqueues round r+1.
    pub rounds: u8,
    /// Filler bytes per artifact.
    pub bytes: usize,
    pub first_block: u64,
    pub per_block: u32,
    pub protocol: String,
    pub max_attempts: u32,
    /// Every n-th job fails its first `fail_attempts` attempts (0: none), to exercise retries.
    pub fail_every: u64,
    pub fail_attempts: u32,
    /// Circuit type of the jobs: `synth` or `synth-<name>`.
    pub circuit: String,
    /// Ticket param `alloc_mb`: each job allocates (and touches) this much memory (0: none), to show
    /// memory deaths.
    pub alloc_mb: u64,
}

impl SeedOptions {
    pub fn new(queue: Queue, jobs: u64) -> SeedOptions {
        SeedOptions {
            queue,
            jobs,
            rounds: 1,
            bytes: 256,
            first_block: 1,
            per_block: 1000,
            protocol: crate::DEFAULT_PROTOCOL.into(),
            max_attempts: 3,
            fail_every: 0,
            fail_attempts: 0,
            circuit: SYNTHETIC_CIRCUIT.into(),
            alloc_mb: 0,
        }
    }
}

fn output_name(key: &JobKey) -> String {
    format!("synth.r{}.g{:04}.out", key.round, key.group)
}

/// Writes one input artifact per block (shared by its round-0 jobs: seeding thousands of jobs
/// should not cost thousands of artifact fsyncs), then enqueues the tickets in batches — inputs
/// first, so a ticket never points at an artifact that is not durable. Returns how many were new.
pub fn seed_synthetic(spool: &Spool, o: &SeedOptions) -> Result<usize> {
    if !is_synthetic(&o.circuit) {
        return Err(crate::SpoolError::Config(format!(
            "synthetic circuit `{}`: want synth or synth-<name>",
            o.circuit
        )));
    }
    let mut tickets = Vec::new();
    let mut new = 0;
    let mut input: Option<(u64, String)> = None;
    for i in 0..o.jobs {
        let key =
            JobKey::new(o.first_block + i / o.per_block as u64, 0, &o.circuit, 0, (i % o.per_block as u64) as u32)?;
        if input.as_ref().is_none_or(|(b, _)| *b != key.block) {
            let rel = Spool::block_dir_rel(key.block).join("synth.input").to_string_lossy().into_owned();
            let seed = format!("synthetic block {}", key.block);
            let payload = SyntheticPayload {
                key: seed.clone(),
                round: 0,
                digest: *blake3::hash(seed.as_bytes()).as_bytes(),
                filler: vec![0x5a; o.bytes],
            };
            spool.publish(&rel, SYNTHETIC, &payload)?;
            input = Some((key.block, rel));
        }
        let rel = input.as_ref().expect("set above").1.clone();
        let mut t =
            Ticket::new(o.queue.clone(), key, &o.protocol, vec![rel], o.max_attempts).with_param("rounds", o.rounds);
        if o.alloc_mb > 0 {
            t = t.with_param("alloc_mb", o.alloc_mb);
        }
        if o.fail_every > 0 && i % o.fail_every == 0 {
            t = t.with_param("fail_attempts", o.fail_attempts);
        }
        tickets.push(t);
        if tickets.len() == 512 || i + 1 == o.jobs {
            new += spool.enqueue_many(&tickets)?.iter().filter(|e| **e == Enqueued::New).count();
            tickets.clear();
        }
    }
    Ok(new)
}

/// The hashing work: `iterations` chained blake3 rounds split over fixed lanes on the pool.
pub fn digest(pool: &rayon::ThreadPool, seed: &[u8; 32], iterations: u64) -> [u8; 32] {
    let per_lane = iterations.div_ceil(LANES);
    let lanes: Vec<[u8; 32]> = pool.install(|| {
        (0..LANES)
            .into_par_iter()
            .map(|lane| {
                let mut h = *blake3::keyed_hash(seed, &lane.to_le_bytes()).as_bytes();
                for _ in 0..per_lane {
                    h = *blake3::hash(&h).as_bytes();
                }
                h
            })
            .collect()
    });
    let mut all = blake3::Hasher::new();
    lanes.iter().for_each(|l| {
        all.update(l);
    });
    *all.finalize().as_bytes()
}

pub struct Synthetic {
    pub queue: Queue,
    pub iterations: u64,
    /// Extra busy time per job (hashing), not part of the output, so re-runs publish identical bytes.
    pub work: Duration,
    /// Appends `key attempt pid thread` per finished handler run: tests count executions with it (the thread
    /// tells a process's `--workers` apart).
    pub journal: Option<PathBuf>,
}

impl Handler for Synthetic {
    fn queue(&self) -> Queue {
        self.queue.clone()
    }

    fn handle(&self, ctx: &mut JobContext<'_>) -> Result<(), JobError> {
        let key = ctx.key().clone();
        let input: SyntheticPayload = ctx.read_input(0, SYNTHETIC)?;
        let fail_attempts: u32 = ctx.param("fail_attempts").and_then(|v| v.parse().ok()).unwrap_or(0);
        if ctx.attempt() <= fail_attempts {
            let cause =
                std::io::Error::other(format!("synthetic fault injected for the first {fail_attempts} attempts"));
            return Err(
                JobError::retryable(&key, format!("injected failure on attempt {}", ctx.attempt())).because(cause)
            );
        }
        let alloc_mb: usize = ctx.param("alloc_mb").and_then(|v| v.parse().ok()).unwrap_or(0);
        if alloc_mb > 0 {
            // Written page by page so the memory is really resident (the OOM killer counts resident
            // pages; under `ulimit -v` the allocation itself fails first).
            let mut big = vec![0u8; alloc_mb << 20];
            big.iter_mut().step_by(4096).for_each(|b| *b = 1);
            std::hint::black_box(&big);
        }
        // The job's own key is mixed in: round-0 jobs of a block share one input.
        let mut seed = blake3::Hasher::new();
        seed.update(&input.digest).update(key.to_string().as_bytes());
        let d = digest(ctx.pool(), seed.finalize().as_bytes(), self.iterations);
        let until = Instant::now() + self.work;
        let mut spin = d;
        while Instant::now() < until {
            if ctx.stop_requested() {
                return Err(JobError::interrupted(&key));
            }
            for _ in 0..256 {
                spin = *blake3::hash(&spin).as_bytes();
            }
        }
        std::hint::black_box(spin);
        let out = SyntheticPayload { key: key.to_string(), round: key.round, digest: d, filler: input.filler };
        let written = ctx.write_output(&output_name(&key), SYNTHETIC, &out)?;
        let rounds: u8 = ctx.param("rounds").and_then(|v| v.parse().ok()).unwrap_or(1);
        if key.round + 1 < rounds {
            let next = JobKey { round: key.round + 1, ..key.clone() };
            ctx.follow_up(self.queue.clone(), next, vec![written.path])
                .params
                .insert("rounds".into(), rounds.to_string());
        }
        if let Some(j) = &self.journal {
            let thread = std::thread::current().name().unwrap_or("main").to_string();
            let line = format!("{key} {} {} {thread}\n", ctx.attempt(), std::process::id());
            let appended =
                OpenOptions::new().create(true).append(true).open(j).and_then(|mut f| f.write_all(line.as_bytes()));
            appended.map_err(|e| JobError::retryable(&key, format!("journal {}", j.display())).because(e))?;
        }
        Ok(())
    }

    fn sweeps(&self) -> Vec<Box<dyn UnblockSweep>> {
        vec![Box::new(SyntheticSweep { queue: self.queue.clone() })]
    }
}

/// Redoes missed unblocks: every done job of round r < rounds-1 must have its round r+1 job in
/// some state.
pub struct SyntheticSweep {
    pub queue: Queue,
}

impl UnblockSweep for SyntheticSweep {
    fn name(&self) -> &str {
        "synthetic"
    }

    fn sweep(&self, spool: &Spool) -> Result<usize> {
        let q = &self.queue;
        let mut present: HashSet<JobKey> = HashSet::new();
        for s in State::ALL {
            let dir = spool.state_dir(q, s);
            for (name, _) in fsx::list(&dir).map_err(io_err("listing", &dir))? {
                if let Ok(k) = name.split('@').next().unwrap_or("").parse::<JobKey>() {
                    present.insert(k);
                }
            }
        }
        let done_dir = spool.state_dir(q, State::Done);
        let mut missing = Vec::new();
        for k in present.iter().filter(|k| is_synthetic(&k.circuit)) {
            let p = done_dir.join(k.to_string());
            if !p.exists() {
                continue;
            }
            let t = Ticket::read(&p)?;
            let rounds: u8 = t.params.get("rounds").and_then(|v| v.parse().ok()).unwrap_or(1);
            let next = JobKey { round: k.round + 1, ..k.clone() };
            if k.round + 1 >= rounds || present.contains(&next) {
                continue;
            }
            let Some(out) = t.done.as_ref().and_then(|d| d.outputs.first()) else { continue };
            let nt = Ticket::new(q.clone(), next, &t.protocol, vec![out.path.clone()], t.max_attempts)
                .with_param("rounds", rounds);
            missing.push(nt);
        }
        Ok(spool.enqueue_many(&missing)?.iter().filter(|e| **e == Enqueued::New).count())
    }
}
