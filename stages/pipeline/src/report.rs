//! Per-round timings of finished jobs, from the done tickets (`frispool timings`, `--json`): what the demo
//! prints and what the pipeline benchmark compares against wall time.

use std::collections::BTreeMap;

use frispool_spool::{Spool, SpoolError, Ticket};
use serde::Serialize;

use crate::routing::{COMPRESS, PROVE, QUEUES};

/// One row of the report: a queue and round, over the blocks asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
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

/// Timings of the finished jobs of `blocks` (all blocks when empty).
pub fn timings(spool: &Spool, blocks: &[u64]) -> Result<Timings, SpoolError> {
    let mut t = Timings::default();
    let (mut first, mut last) = (u64::MAX, 0u64);
    for q in &QUEUES {
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
            if *q == PROVE || *q == COMPRESS {
                t.proving_ms += ms;
            }
            first = first.min(d.start_unix_ms);
            last = last.max(d.end_unix_ms);
        }
    }
    t.wall_ms = last.saturating_sub(first.min(last));
    Ok(t)
}

/// [`Timings`] as `frispool timings --json` prints it.
#[derive(Serialize)]
struct TimingsJson<'a> {
    rounds: Vec<RoundRow<'a>>,
    wall_ms: u64,
    proving_ms: u64,
    busy_ms: u64,
}

#[derive(Serialize)]
struct RoundRow<'a> {
    queue: &'a str,
    round: u8,
    #[serde(flatten)]
    timing: &'a RoundTiming,
}

impl Timings {
    /// The report as JSON: one object per (queue, round) row, then the totals (milliseconds).
    pub fn json(&self) -> String {
        let rounds =
            self.rounds.iter().map(|((queue, round), timing)| RoundRow { queue, round: *round, timing }).collect();
        let json = TimingsJson { rounds, wall_ms: self.wall_ms, proving_ms: self.proving_ms, busy_ms: self.busy_ms };
        serde_json::to_string_pretty(&json).expect("timings serialise")
    }

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
