//! Per-job statistics read from the tickets themselves, by queue, round and circuit type: what a fleet
//! is sized and watched by (`frispool scale`, `frispool status` and its Prometheus metrics). Unlike the
//! counts of `status`, which only list folders, this reads every ticket: seconds for tens of thousands.

use std::collections::BTreeMap;
use std::fs;
use std::time::SystemTime;

use serde::Serialize;

use crate::error::{io_err, Result};
use crate::fsx;
use crate::key::JobKey;
use crate::layout::Spool;
use crate::queue::{Queue, State};
use crate::ticket::Ticket;

/// Upper bounds (seconds) of the job-time histogram buckets (Prometheus `le`); +Inf is implied.
pub const TIME_BUCKETS: [f64; 12] = [0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0];

/// What the tickets of one (queue, round, circuit type) say.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct JobStats {
    pub queued: usize,
    pub in_progress: usize,
    pub done: usize,
    pub failed: usize,
    /// Age of the oldest queued ticket by the filesystem's clock (its mtime: enqueue or last hand-back).
    pub oldest_queued_secs: Option<f64>,
    /// Done jobs' claim-to-done times: sum and count (the mean is what `scale` sizes by).
    pub time_sum_secs: f64,
    /// Cumulative counts of done jobs at most `TIME_BUCKETS[i]` seconds.
    pub time_buckets: Vec<u64>,
    /// Attempts made by finished jobs (done: the attempt that finished; failed: every attempt spent).
    pub attempts: u64,
    /// Attempts that failed (one error line each), of jobs in any state.
    pub failed_attempts: u64,
    /// Attempts lost to memory (the worker OOM-killed or out of memory), of jobs in any state.
    pub memory_deaths: u64,
    /// Jobs moved to a larger memory class, in any state.
    pub memory_moved: usize,
    /// Of those, waiting in queued/ for a worker of their class.
    pub memory_waiting: usize,
}

impl JobStats {
    /// Mean claim-to-done seconds of the done jobs, if any.
    pub fn mean_secs(&self) -> Option<f64> {
        (self.done > 0).then(|| self.time_sum_secs / self.done as f64)
    }

    fn add_ticket(&mut self, t: &Ticket, state: State) {
        self.failed_attempts += t.errors.len() as u64 - u64::from(t.memory_deaths).min(t.errors.len() as u64);
        self.memory_deaths += u64::from(t.memory_deaths);
        if t.memory_class > 0 {
            self.memory_moved += 1;
            self.memory_waiting += usize::from(state == State::Queued);
        }
        match state {
            State::Done => {
                if let Some(d) = &t.done {
                    let secs = d.end_unix_ms.saturating_sub(d.start_unix_ms) as f64 / 1e3;
                    self.time_sum_secs += secs;
                    if self.time_buckets.is_empty() {
                        self.time_buckets = vec![0; TIME_BUCKETS.len()];
                    }
                    for (b, le) in self.time_buckets.iter_mut().zip(TIME_BUCKETS) {
                        *b += u64::from(secs <= le);
                    }
                    self.attempts += u64::from(d.attempt);
                }
            }
            State::Failed => self.attempts += u64::from(t.attempt),
            State::Queued | State::InProgress => {}
        }
    }
}

/// (queue, round, circuit type) → statistics, over every ticket of the spool.
pub type StatsByJob = BTreeMap<(Queue, u8, String), JobStats>;

/// Reads every ticket of every queue. `now` is the filesystem's clock (ages of queued tickets).
pub fn job_stats(spool: &Spool, now: SystemTime) -> Result<StatsByJob> {
    let mut out = StatsByJob::new();
    for q in spool.queues() {
        for state in State::ALL {
            let dir = spool.state_dir(q, state);
            for (name, _) in fsx::list(&dir).map_err(io_err("listing", &dir))? {
                if name.ends_with(".err") {
                    continue;
                }
                let Ok(key) = name.split('@').next().unwrap_or("").parse::<JobKey>() else { continue };
                let path = dir.join(&name);
                // A ticket that moved on meanwhile, or does not parse, is counted by its name only.
                let ticket = Ticket::read(&path).ok();
                let s = out.entry((q.clone(), key.round, key.circuit.clone())).or_default();
                match state {
                    State::Queued => {
                        s.queued += 1;
                        if let Ok(mt) = fs::metadata(&path).and_then(|m| m.modified()) {
                            let age = now.duration_since(mt).map(|d| d.as_secs_f64()).unwrap_or(0.0);
                            s.oldest_queued_secs = Some(s.oldest_queued_secs.map_or(age, |o: f64| o.max(age)));
                        }
                    }
                    State::InProgress => s.in_progress += 1,
                    State::Done => s.done += 1,
                    State::Failed => s.failed += 1,
                }
                if let Some(t) = ticket {
                    s.add_ticket(&t, state);
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROVE: Queue = Queue::named("prove");
    static QUEUES: [Queue; 1] = [PROVE];

    #[test]
    fn counts_times_attempts_and_memory_moves() {
        let d = tempfile::tempdir().unwrap();
        let s = Spool::init(d.path(), &QUEUES).unwrap();
        let mut moved = Ticket::new(PROVE, "b00000001.r0.main.d0.g0001".parse().unwrap(), "v1", vec![], 3);
        moved.memory_class = 1;
        moved.memory_deaths = 1;
        moved.errors.push("died of memory".into());
        s.enqueue(&moved).unwrap();
        s.enqueue(&Ticket::new(PROVE, "b00000001.r0.main.d0.g0000".parse().unwrap(), "v1", vec![], 3)).unwrap();
        let mut c = crate::Claimer::new(PROVE, "v1");
        let job = c.next(&s).unwrap().unwrap();
        assert_eq!(job.key().group, 0);
        s.complete(&job, vec![]).unwrap();
        let stats = job_stats(&s, SystemTime::now()).unwrap();
        let st = &stats[&(PROVE, 0, "main".to_string())];
        assert_eq!((st.queued, st.done, st.attempts), (1, 1, 1));
        assert_eq!((st.memory_deaths, st.memory_moved, st.memory_waiting, st.failed_attempts), (1, 1, 1, 0));
        assert_eq!(st.time_buckets.last(), Some(&1));
        assert!(st.mean_secs().unwrap() < 60.0);
        assert!(st.oldest_queued_secs.is_some());
    }
}
