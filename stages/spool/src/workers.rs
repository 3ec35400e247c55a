//! `--workers N`: several job loops in one process. Each loop claims, runs and records its own jobs
//! exactly as a worker process would (the hand-off protocol does not know threads from processes: a claim is
//! a rename, whoever wins it holds the job); what they share is what the stage loaded before its runner
//! started. For a GPU prover that is the point: one process per card loads the keys and opens the CUDA
//! context once, where N processes loaded them N times and time-sliced N contexts.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::error::Result;
use crate::runner::RunSummary;

/// A worker thread's stack: a handler runs on it (decoding, witness generation outside the `--threads`
/// pool), as it runs on the main thread's 8 MiB in a one-worker process.
const WORKER_STACK: usize = 16 << 20;

/// `--max-jobs` shared by a process's loops, and the word that makes them all stop.
pub(crate) struct JobBudget {
    /// Jobs not yet taken; `None`: no limit.
    left: Option<AtomicU64>,
    halted: AtomicBool,
}

impl JobBudget {
    pub(crate) fn new(max_jobs: Option<u64>) -> JobBudget {
        JobBudget { left: max_jobs.map(AtomicU64::new), halted: AtomicBool::new(false) }
    }

    /// Takes one job's slot before a claim; false when `--max-jobs` are all taken.
    pub(crate) fn take(&self) -> bool {
        match &self.left {
            None => true,
            Some(left) => left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok(),
        }
    }

    /// Returns a slot whose claim found nothing, or whose job ended without counting (handed back on a
    /// fault, its lease lost).
    pub(crate) fn give_back(&self) {
        if let Some(left) = &self.left {
            left.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// One loop ended for the whole process (an error, or `--once` deferring on a fault).
    pub(crate) fn halt(&self) {
        self.halted.store(true, Ordering::SeqCst);
    }

    pub(crate) fn halted(&self) -> bool {
        self.halted.load(Ordering::SeqCst)
    }
}

/// Runs `workers` loops (`run(i)` for i in 0..workers) and adds up their summaries. One worker runs on the
/// calling thread, as before `--workers` existed. The first error wins; a panic outside a handler (a handler's
/// own is a failed attempt) ends the process as it would with one loop.
pub(crate) fn run_workers(workers: u16, run: impl Fn(usize) -> Result<RunSummary> + Sync) -> Result<RunSummary> {
    if workers <= 1 {
        return run(0);
    }
    let results: Vec<Result<RunSummary>> = std::thread::scope(|scope| {
        let run = &run;
        let handles: Vec<_> = (0..usize::from(workers))
            .map(|i| {
                std::thread::Builder::new()
                    .name(format!("worker-{i}"))
                    .stack_size(WORKER_STACK)
                    .spawn_scoped(scope, move || run(i))
                    .expect("spawning a worker thread")
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    });
    let mut total = RunSummary::default();
    for r in results {
        total.add(&r?);
    }
    Ok(total)
}

impl RunSummary {
    /// Adds another loop's counts: a process's summary is its loops' sum.
    pub(crate) fn add(&mut self, other: &RunSummary) {
        self.done += other.done;
        self.failed += other.failed;
        self.retried += other.retried;
        self.lost_leases += other.lost_leases;
        self.quarantined += other.quarantined;
        self.infra_faults += other.infra_faults;
        self.interrupted |= other.interrupted;
        self.deferred = self.deferred.or(other.deferred);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::SpoolError;
    use crate::fault::InfraFault;

    #[test]
    fn the_budget_hands_out_exactly_max_jobs_across_threads() {
        let budget = JobBudget::new(Some(1000));
        let taken = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    while budget.take() {
                        taken.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(taken.load(Ordering::SeqCst), 1000);
        assert!(!budget.take());
        budget.give_back();
        assert!(budget.take(), "a slot given back is taken again");
        assert!(!budget.take());
        let unlimited = JobBudget::new(None);
        assert!((0..10_000).all(|_| unlimited.take()));
    }

    #[test]
    fn summaries_add_up_and_the_first_error_wins() {
        let total = run_workers(3, |i| {
            Ok(RunSummary {
                done: i as u64 + 1,
                failed: 1,
                interrupted: i == 2,
                deferred: (i == 1).then_some(InfraFault::NoSpace),
                ..RunSummary::default()
            })
        })
        .unwrap();
        assert_eq!((total.done, total.failed), (6, 3));
        assert!(total.interrupted);
        assert_eq!(total.deferred, Some(InfraFault::NoSpace));
        let names = std::sync::Mutex::new(Vec::new());
        let err = run_workers(4, |i| {
            names.lock().unwrap().push(std::thread::current().name().unwrap_or("").to_string());
            if i == 3 {
                Err(SpoolError::Config("worker 3".into()))
            } else {
                Ok(RunSummary::default())
            }
        });
        assert!(matches!(err, Err(SpoolError::Config(m)) if m == "worker 3"));
        let mut names = names.into_inner().unwrap();
        names.sort();
        assert_eq!(names, ["worker-0", "worker-1", "worker-2", "worker-3"]);
    }

    #[test]
    fn one_worker_runs_on_the_calling_thread() {
        let caller = std::thread::current().id();
        run_workers(1, |_| {
            assert_eq!(std::thread::current().id(), caller);
            Ok(RunSummary::default())
        })
        .unwrap();
    }
}
