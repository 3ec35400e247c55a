//! The hand-off protocol: the numbered steps of ARCHITECTURE.md, "The durability protocol" (the one text of
//! it; comments here cite its step numbers). Every rename of a ticket happens in this module (and in
//! `recover`, which uses the same helpers):
//!
//! - [`enqueue`](self::enqueue): step 1, and the follow-ups of step 5–6;
//! - [`claim`](self::claim) and [`Claimer`]: step 2, and which job to claim next ([`ClaimFilter`]: which
//!   jobs a specialised worker may take);
//! - [`Heartbeat`]: step 3;
//! - [`finish`](self::finish): steps 5–8 (complete, fail, release) and the operator's requeue.
//!
//! A "round trip" is one wait for the disk; fsyncs listed together run side by side and cost one.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{io_err, Result};
use crate::fsx;
use crate::key::JobKey;
use crate::layout::Spool;
use crate::queue::{Queue, State};
use crate::ticket::Ticket;

mod claim;
mod claimer;
mod enqueue;
mod filter;
mod finish;
mod heartbeat;

pub use claimer::{ClaimPreference, Claimer, PREFERENCE_WINDOW};
pub use filter::ClaimFilter;
pub use heartbeat::Heartbeat;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enqueued {
    /// Newly linked into `queued/`.
    New,
    /// Already there, or already claimed, done or failed: enqueue is idempotent.
    Already(State),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOutcome {
    /// Back in `queued/`, this many attempts spent.
    Requeued(u32),
    /// Out of attempts (or a permanent error): in `failed/` beside `<key>.err`.
    Failed,
}

/// `key@host.pid.attempt`: who holds an in_progress ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub key: JobKey,
    pub host: String,
    pub pid: u32,
    pub attempt: u32,
}

impl Holder {
    pub fn file_name(&self) -> String {
        format!("{}@{}.{}.{}", self.key, self.host, self.pid, self.attempt)
    }

    pub fn parse(name: &str) -> Option<Holder> {
        let (key, rest) = name.split_once('@')?;
        let (rest, attempt) = rest.rsplit_once('.')?;
        let (host, pid) = rest.rsplit_once('.')?;
        Some(Holder {
            key: key.parse().ok()?,
            host: host.to_string(),
            pid: pid.parse().ok()?,
            attempt: attempt.parse().ok()?,
        })
    }
}

/// A ticket this process holds in `in_progress/`.
#[derive(Debug)]
pub struct Claimed {
    pub queue: Queue,
    pub ticket: Ticket,
    /// The attempt being made now (counted at claim).
    pub attempt: u32,
    pub path: PathBuf,
    pub start_unix_ms: u64,
    queued_path: PathBuf,
}

impl Claimed {
    pub fn key(&self) -> &JobKey {
        &self.ticket.key
    }
}

/// Jobs this process holds or is claiming. Threads of one process share host and pid, so the NFS
/// "ENOENT but the target exists" rule alone would let two of them both believe they won.
/// Keyed by the job's queued/ path, which names the spool, the queue and the key.
static HELD: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

fn hold(queued: &Path) -> bool {
    HELD.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert_with(HashSet::new).insert(queued.to_path_buf())
}

fn unhold(queued: &Path) {
    if let Some(set) = HELD.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
        set.remove(queued);
    }
}

impl Drop for Claimed {
    fn drop(&mut self) {
        unhold(&self.queued_path);
    }
}

impl Spool {
    pub fn queued_path(&self, q: &Queue, key: &JobKey) -> PathBuf {
        self.state_dir(q, State::Queued).join(key.to_string())
    }

    /// In which state `key` is, if any (in_progress by listing: holders are in the name).
    pub fn locate(&self, q: &Queue, key: &JobKey) -> Result<Option<State>> {
        let name = key.to_string();
        for s in [State::Done, State::Failed, State::Queued] {
            if self.state_dir(q, s).join(&name).exists() {
                return Ok(Some(s));
            }
        }
        if self.holders(q)?.iter().any(|(h, _)| h.key == *key) {
            return Ok(Some(State::InProgress));
        }
        Ok(None)
    }

    /// Parsed holders of `in_progress/` (names that do not parse are skipped; recover reports them).
    pub fn holders(&self, q: &Queue) -> Result<Vec<(Holder, String)>> {
        let dir = self.state_dir(q, State::InProgress);
        let names = fsx::list(&dir).map_err(io_err("listing", &dir))?;
        Ok(names.into_iter().filter_map(|(n, _)| Holder::parse(&n).map(|h| (h, n))).collect())
    }
}

#[cfg(test)]
mod tests;
