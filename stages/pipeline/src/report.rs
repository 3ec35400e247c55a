//! Per-round timings of finished jobs, from the done tickets (`frispool timings`): what the demo prints
//! and what the pipeline benchmark compares against wall time.

use std::collections::BTreeMap;

use frispool_spool::{Queue, Spool, SpoolError, Ticket};

/// One row of the report: a queue and round, over the blocks asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoundTiming {
    pub jobs: usize,
    /// Sum of job durations (claim to done), ms.
    pub busy_ms: u64,
    pub max_ms: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Timings {
    /// (queue, round) → timing.
    pub rounds: BTreeMap<(String, u8), RoundTiming>,
    /// First job start to last job end over the blocks, ms.
    pub wall_ms: u64,
    /// Sum of the prove and compress jobs' durations, ms.
    pub proving_ms: u64,
    /// Sum of every job's duration, ms.
    pub busy_ms: u64,
}

const QUEUES: [Queue; 9] = [
    Queue::WitnessBasic,
    Queue::Prove,
    Queue::WitnessLeaf,
    Queue::WitnessNode,
    Queue::WitnessTip,
    Queue::WitnessScheduler,
    Queue::Wvg,
    Queue::Compress,
    Queue::Submit,
];

/// Timings of the finished jobs of `blocks` (all blocks when empty).
pub fn timings(spool: &Spool, blocks: &[u64]) -> Result<Timings, SpoolError> {
    let mut t = Timings::default();
    let (mut first, mut last) = (u64::MAX, 0u64);
    for q in QUEUES {
        for ticket in spool.done_tickets(q)? {
            let Ticket { key, done: Some(d), .. } = ticket else { continue };
            if !blocks.is_empty() && !blocks.contains(&key.block) {
                continue;
            }
            let ms = d.end_unix_ms.saturating_sub(d.start_unix_ms);
            let row = t.rounds.entry((q.name().to_string(), key.round)).or_default();
            row.jobs += 1;
            row.busy_ms += ms;
            row.max_ms = row.max_ms.max(ms);
            t.busy_ms += ms;
            if matches!(q, Queue::Prove | Queue::Compress) {
                t.proving_ms += ms;
            }
            first = first.min(d.start_unix_ms);
            last = last.max(d.end_unix_ms);
        }
    }
    t.wall_ms = last.saturating_sub(first.min(last));
    Ok(t)
}

impl Timings {
    pub fn render(&self) -> String {
        let mut out = format!("{:<18} {:>5} {:>6} {:>10} {:>9}\n", "queue", "round", "jobs", "busy s", "max s");
        for ((q, r), row) in &self.rounds {
            out.push_str(&format!(
                "{:<18} {:>5} {:>6} {:>10.2} {:>9.2}\n",
                q,
                r,
                row.jobs,
                row.busy_ms as f64 / 1e3,
                row.max_ms as f64 / 1e3
            ));
        }
        out.push_str(&format!(
            "wall {:.2} s, proving (prove + compress jobs) {:.2} s, all jobs {:.2} s\n",
            self.wall_ms as f64 / 1e3,
            self.proving_ms as f64 / 1e3,
            self.busy_ms as f64 / 1e3
        ));
        out
    }
}
