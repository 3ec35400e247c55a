//! Recover (protocol step 9): stale leases back to queued/ or failed/, stale tmp files removed,
//! queued duplicates of finished jobs removed, and the stages' missed unblocks redone.

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::error::{io_err, Result};
use crate::fsx;
use crate::layout::{mtime, Spool};
use crate::memory::{is_evidence, memory_death};
use crate::protocol::Holder;
use crate::queue::{Queue, State};
use crate::ticket::Ticket;

/// A stage's hook for unblocks that racing workers may both have missed (protocol step 10):
/// re-check complete groups and enqueue what is missing (idempotently). Returns how many jobs it
/// enqueued.
pub trait UnblockSweep: Send + Sync {
    fn name(&self) -> &str;
    fn sweep(&self, spool: &Spool) -> Result<usize>;
}

#[derive(Clone, Debug)]
pub struct RecoverOptions {
    /// A lease whose heartbeat is older than this (by the filesystem's clock) is dead.
    pub lease: Duration,
    /// tmp/ files older than this are abandoned.
    pub tmp_age: Duration,
    /// Also treat leases and tmp files of processes that no longer exist on this host as dead
    /// right away (pids are checked only for our own hostname).
    pub check_local_pids: bool,
}

impl Default for RecoverOptions {
    fn default() -> Self {
        RecoverOptions { lease: Duration::from_secs(60), tmp_age: Duration::from_secs(3600), check_local_pids: true }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RecoverReport {
    pub requeued: usize,
    pub failed: usize,
    pub duplicates_removed: usize,
    pub stale_tmp_removed: usize,
    pub unblocked: usize,
    pub unparseable_in_progress: usize,
    /// Dead leases whose worker died of memory: requeued for a larger memory class, no attempt spent.
    pub memory_deaths: usize,
}

fn older(now: SystemTime, then: SystemTime, age: Duration) -> bool {
    now.duration_since(then).map(|d| d > age).unwrap_or(false)
}

fn dead_local(host: &str, pid: u32, opts: &RecoverOptions) -> bool {
    opts.check_local_pids && host == fsx::hostname() && pid != std::process::id() && !fsx::pid_alive(pid)
}

pub fn recover(spool: &Spool, opts: &RecoverOptions, sweeps: &[&dyn UnblockSweep]) -> Result<RecoverReport> {
    let now = spool.fs_now()?;
    let mut r = RecoverReport::default();
    for q in spool.queues() {
        recover_leases(spool, q, now, opts, &mut r)?;
        remove_stale_tmp(&spool.tmp_dir(q), Some(&spool.state_dir(q, State::InProgress)), now, opts, &mut r)?;
        remove_done_duplicates(spool, q, &mut r)?;
    }
    remove_stale_tmp(&spool.artifact_tmp_dir(), None, now, opts, &mut r)?;
    for s in sweeps {
        r.unblocked +=
            s.sweep(spool).map_err(|e| crate::SpoolError::Sweep { name: s.name().to_string(), source: Box::new(e) })?;
    }
    Ok(r)
}

fn recover_leases(
    spool: &Spool,
    q: &Queue,
    now: SystemTime,
    opts: &RecoverOptions,
    r: &mut RecoverReport,
) -> Result<()> {
    let dir = spool.state_dir(q, State::InProgress);
    for (name, _) in fsx::list(&dir).map_err(io_err("listing", &dir))? {
        let held = dir.join(&name);
        let Some(h) = Holder::parse(&name) else {
            r.unparseable_in_progress += 1;
            continue;
        };
        let beat = match mtime(&held) {
            Ok(t) => t,
            Err(e) if fsx::is_not_found(&e) => continue,
            Err(e) => return Err(io_err("stat", &held)(e)),
        };
        if !(older(now, beat, opts.lease) || dead_local(&h.host, h.pid, opts)) {
            continue;
        }
        let name_key = h.key.to_string();
        let death = memory_death(&spool.tmp_dir(q), &name, h.host == fsx::hostname());
        if spool.state_dir(q, State::Done).join(&name_key).exists() {
            // It finished elsewhere (a duplicate run): drop the stale copy.
            let _ = fs::remove_file(&held);
            r.duplicates_removed += 1;
            continue;
        }
        let mut t = match Ticket::read(&held) {
            Ok(t) => t,
            Err(crate::SpoolError::Io { source, .. }) if fsx::is_not_found(&source) => continue,
            Err(e) => {
                // Unreadable content: keep the bytes, but out of the way and explained.
                let failed = spool.state_dir(q, State::Failed);
                let err_path = failed.join(format!("{name_key}.err"));
                let text = format!(
                    "stale in_progress ticket {} is unreadable:\n{}\n",
                    held.display(),
                    crate::error::error_chain(&e)
                );
                // Through tmp/ like every other write: a full disk must not leave a torn `.err`.
                let tmp = spool.tmp_dir(q).join(fsx::unique_name());
                fsx::write_new_synced(&tmp, text.as_bytes()).map_err(io_err("writing error file", &tmp))?;
                if let Err(e) = fs::rename(&tmp, &err_path) {
                    let _ = fs::remove_file(&tmp);
                    return Err(io_err("writing error file", &err_path)(e));
                }
                fs::rename(&held, failed.join(&name_key)).map_err(io_err("moving", &held))?;
                r.failed += 1;
                continue;
            }
        };
        if let Some(d) = death {
            // Not the job's fault and not worth retrying on a worker as small: no attempt spent, but it
            // waits for a worker of a larger class than the one that died (`--memory-class`).
            t.memory_deaths += 1;
            t.memory_class = t.memory_class.max(d.class + 1);
            t.errors.push(format!(
                "worker {}.{} (memory class {}) died of memory on attempt {}: {}; now needs memory class {}",
                h.host, h.pid, d.class, h.attempt, d.how, t.memory_class
            ));
            r.memory_deaths += 1;
            r.requeued += 1;
            match spool.rewrite_and_move(q, &held, &t, &spool.queued_path(q, &t.key)) {
                Err(crate::SpoolError::LeaseLost { .. }) => {}
                Err(crate::SpoolError::Io { source, .. }) if fsx::is_not_found(&source) => {}
                other => other?,
            }
            continue;
        }
        t.attempt = h.attempt.max(t.attempt + 1);
        let why = format!("lease of {}.{} expired on attempt {} (worker died or hung)", h.host, h.pid, h.attempt);
        t.errors.push(why.clone());
        let res = if t.attempt < t.max_attempts {
            r.requeued += 1;
            spool.rewrite_and_move(q, &held, &t, &spool.queued_path(q, &t.key))
        } else {
            r.failed += 1;
            let text = format!(
                "job {} in queue {q} failed on attempt {} of {} (out of attempts)\n{why}\n",
                t.key, t.attempt, t.max_attempts
            );
            spool.move_to_failed(q, &held, &t, &text)
        };
        match res {
            // Another recover or the worker itself moved it meanwhile.
            Err(crate::SpoolError::LeaseLost { .. }) => {}
            Err(crate::SpoolError::Io { source, .. }) if fsx::is_not_found(&source) => {}
            other => other?,
        }
    }
    Ok(())
}

/// `in_progress`: the queue's, whose live leases keep their memory evidence (`memory.rs`) however old.
fn remove_stale_tmp(
    dir: &Path,
    in_progress: Option<&Path>,
    now: SystemTime,
    opts: &RecoverOptions,
    r: &mut RecoverReport,
) -> Result<()> {
    for (name, _) in fsx::list(dir).map_err(io_err("listing", dir))? {
        let p = dir.join(&name);
        if let Some(held) = in_progress.filter(|_| is_evidence(&name)) {
            let lease = held.join(name.trim_end_matches(".oom").trim_end_matches(".mem"));
            if !lease.exists() && fs::remove_file(&p).is_ok() {
                r.stale_tmp_removed += 1;
            }
            continue;
        }
        let dead_writer = fsx::writer_of(&name).is_some_and(|(host, pid)| dead_local(&host, pid, opts));
        let old = mtime(&p).map(|t| older(now, t, opts.tmp_age)).unwrap_or(false);
        if (dead_writer || old) && fs::remove_file(&p).is_ok() {
            r.stale_tmp_removed += 1;
        }
    }
    Ok(())
}

fn remove_done_duplicates(spool: &Spool, q: &Queue, r: &mut RecoverReport) -> Result<()> {
    let queued = spool.state_dir(q, State::Queued);
    let done = spool.state_dir(q, State::Done);
    for (name, _) in fsx::list(&queued).map_err(io_err("listing", &queued))? {
        if done.join(&name).exists() && fs::remove_file(queued.join(&name)).is_ok() {
            r.duplicates_removed += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Claimer;

    const PROVE: Queue = Queue::named("prove");
    static QUEUES: [Queue; 1] = [PROVE];

    #[test]
    fn stale_leases_go_back_spending_the_attempt() {
        let d = tempfile::tempdir().unwrap();
        let s = Spool::init(d.path(), &QUEUES).unwrap();
        for g in 0..2 {
            s.enqueue(&Ticket::new(PROVE, format!("b00000001.r0.main.d0.g000{g}").parse().unwrap(), "v1", vec![], 2))
                .unwrap();
        }
        let mut c = Claimer::new(PROVE, "v1");
        let a = c.next(&s).unwrap().unwrap();
        let _b = c.next(&s).unwrap().unwrap();
        // Make one lease look old to the filesystem's clock, and leave a tmp file of a dead writer.
        let old = std::time::SystemTime::now() - Duration::from_secs(600);
        fs::File::options().write(true).open(&a.path).unwrap().set_modified(old).unwrap();
        fs::write(s.tmp_dir(&PROVE).join(format!("{}.999999999.1.2", fsx::hostname())), "x").unwrap();
        let opts = RecoverOptions { lease: Duration::from_secs(60), ..Default::default() };
        let rep = recover(&s, &opts, &[]).unwrap();
        assert_eq!(rep.requeued, 1);
        assert_eq!(rep.stale_tmp_removed, 1);
        let t = Ticket::read(&s.queued_path(&PROVE, a.key())).unwrap();
        assert_eq!(t.attempt, 1);
        assert!(t.errors[0].contains("lease"), "{:?}", t.errors);
        assert_eq!(s.holders(&PROVE).unwrap().len(), 1, "the live lease stays");
    }

    /// Issue 8 part 2: a job that waited in the queue longer than the lease, claimed just now,
    /// is a live lease: the claim itself starts it (the queued ticket is touched before the rename).
    #[test]
    fn a_lease_starts_at_the_claim_not_when_the_ticket_was_queued() {
        let d = tempfile::tempdir().unwrap();
        let s = Spool::init(d.path(), &QUEUES).unwrap();
        let key = "b00000001.r0.main.d0.g0000";
        s.enqueue(&Ticket::new(PROVE, key.parse().unwrap(), "v1", vec![], 3)).unwrap();
        let queued = s.queued_path(&PROVE, &key.parse().unwrap());
        let old = std::time::SystemTime::now() - Duration::from_secs(30);
        fs::File::options().write(true).open(&queued).unwrap().set_modified(old).unwrap();
        let job = Claimer::new(PROVE, "v1").next(&s).unwrap().unwrap();
        let opts = RecoverOptions { lease: Duration::from_secs(6), ..Default::default() };
        let rep = recover(&s, &opts, &[]).unwrap();
        assert_eq!(rep.requeued, 0, "a job claimed just now was judged stale: {rep:?}");
        assert!(job.path.exists(), "the live job must stay in progress");
        assert_eq!(Ticket::read(&job.path).unwrap().attempt, 0, "no attempt spent");
        s.complete(&job, vec![]).unwrap();
        assert_eq!(s.locate(&PROVE, &key.parse().unwrap()).unwrap(), Some(State::Done));
    }
}
