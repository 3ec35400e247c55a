//! `frispool scale`: how many workers of each kind would drain the backlog within a target time, from the
//! queue depths and the job times measured in done tickets (Era's autoscaler, for a batch cluster).
//!
//! A kind is a queue and round (`frispool-witness --round leaf`, `frispool-prover --rounds basic`, the
//! compressor). Its work is Σ over circuit types of (queued + running) × that type's mean job time; a type
//! with no done job yet takes the mean of its round's other types, else `--default-secs`. Workers =
//! ⌈work / target⌉. The backlog is what is enqueued now: the later rounds a block will still need are
//! not in it (they are small beside round 0, and the next `scale` sees them).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use frispool_core::AggregationRound;
use frispool_spool::StatsByJob;
use serde::Serialize;

use crate::routing::{route, COMPRESS, PROVE};

/// One kind of worker and what it should number.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScaleRow {
    pub queue: String,
    pub round: u8,
    /// The binary and flags of this kind of worker.
    pub binary: &'static str,
    pub args: Vec<String>,
    /// Jobs queued or running.
    pub backlog: usize,
    /// Mean job time the work was reckoned with (None: no done job and no default).
    pub mean_secs: Option<f64>,
    pub work_secs: f64,
    pub workers: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScaleAdvice {
    pub target_secs: f64,
    pub rows: Vec<ScaleRow>,
}

/// The advice for `stats` (every ticket's, `frispool_spool::job_stats`), to drain within `target_secs`.
pub fn scale(stats: &StatsByJob, target_secs: f64, default_secs: Option<f64>) -> ScaleAdvice {
    let target = target_secs.max(1e-3);
    // (queue, round) → its types' rows.
    let mut kinds: BTreeMap<(String, u8), Vec<&frispool_spool::JobStats>> = BTreeMap::new();
    for ((q, round, _), s) in stats {
        kinds.entry((q.name().to_string(), *round)).or_default().push(s);
    }
    let mut rows = Vec::new();
    for ((queue, round), types) in kinds {
        let Some((binary, args)) = worker_of(&queue, round) else { continue };
        let (sum, done) = types.iter().fold((0.0, 0), |(t, n), s| (t + s.time_sum_secs, n + s.done));
        let round_mean = (done > 0).then(|| sum / done as f64).or(default_secs);
        let (mut backlog, mut work, mut unknown) = (0, 0.0, false);
        for s in &types {
            let n = s.queued + s.in_progress;
            backlog += n;
            match s.mean_secs().or(round_mean) {
                Some(m) => work += n as f64 * m,
                None => unknown |= n > 0,
            }
        }
        if backlog == 0 {
            continue;
        }
        // With no job time at all, one worker: it measures the first ones.
        let workers = if unknown && work == 0.0 { 1 } else { ((work / target).ceil() as usize).max(1) };
        let mean_secs = (backlog > 0 && !unknown).then(|| work / backlog as f64);
        rows.push(ScaleRow { queue, round, binary, args, backlog, mean_secs, work_secs: work, workers });
    }
    ScaleAdvice { target_secs: target, rows }
}

fn round_name(round: u8) -> String {
    AggregationRound::from_number(round).map(|r| r.name().to_string()).unwrap_or_else(|| round.to_string())
}

/// The worker that drains `queue`'s jobs of `round`; None for the gateway's submit queue and `wvg`.
fn worker_of(queue: &str, round: u8) -> Option<(&'static str, Vec<String>)> {
    if queue == PROVE.name() {
        return Some(("frispool-prover", vec!["--rounds".into(), round_name(round)]));
    }
    if queue == COMPRESS.name() {
        return Some(("frispool-compressor", vec![]));
    }
    let r = AggregationRound::from_number(round)?;
    (route(r).proves && route(r).queue.name() == queue)
        .then(|| ("frispool-witness", vec!["--round".into(), r.name().to_string()]))
}

impl ScaleAdvice {
    pub fn render(&self) -> String {
        let mut out = format!(
            "to drain the backlog within {:.0} s:\n{:<18} {:<10} {:>8} {:>9} {:>10} {:>8}  worker\n",
            self.target_secs, "queue", "round", "backlog", "mean s", "work s", "workers"
        );
        for r in &self.rows {
            let mean = r.mean_secs.map(|m| format!("{m:.2}")).unwrap_or_else(|| "?".into());
            let _ = writeln!(
                out,
                "{:<18} {:<10} {:>8} {:>9} {:>10.1} {:>8}  {} {}",
                r.queue,
                round_name(r.round),
                r.backlog,
                mean,
                r.work_secs,
                r.workers,
                r.binary,
                r.args.join(" ")
            );
        }
        if self.rows.is_empty() {
            out.push_str("nothing queued\n");
        }
        out
    }

    /// One `sbatch --array` line per kind, for scripts/slurm (provers.sbatch takes extra flags in
    /// FRISPOOL_PROVER_ARGS; stage.sbatch takes the binary and flags as arguments).
    pub fn slurm(&self) -> String {
        let mut out = String::new();
        for r in &self.rows {
            let name = format!("{}-{}", r.binary, round_name(r.round));
            let line = if r.binary == "frispool-prover" {
                format!(
                    "FRISPOOL_PROVER_ARGS='{}' sbatch --job-name={name} --array=1-{} scripts/slurm/provers.sbatch",
                    r.args.join(" "),
                    r.workers
                )
            } else {
                format!(
                    "sbatch --job-name={name} --array=1-{} scripts/slurm/stage.sbatch {} {}",
                    r.workers,
                    r.binary,
                    r.args.join(" ")
                )
            };
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out
    }
}
