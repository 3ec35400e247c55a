//! Group commit of directory fsyncs (ARCHITECTURE.md, durability protocol step 11): the worker threads of
//! one process share the fsync of a directory they all changed (`done/`, `queued/`, a block folder). Per
//! directory, one thread at a time is the leader: it fsyncs the directory for every thread that joined
//! before it started; threads that arrive while that fsync runs join the next generation and wait for it.
//! N threads that finish at once pay one fsync of `done/` per generation instead of N.
//!
//! Only directories: a file's fsync covers that file alone (no other thread needs it), and on this
//! project's disk (ext4 without a journal) concurrent fsyncs do not share a commit, so a leader syncing
//! other threads' files would only make them wait for each other (measured: BENCHMARKS.md, issue 13).
//! Different directories never wait for each other.
//!
//! Why durability is unchanged: a thread joins only after its link or rename returned, and a leader takes
//! a generation (under the same mutex) only after every member joined it, so the fsync the leader starts
//! is issued after each member's change — as the member's own fsync would have been. A member returns only
//! once that fsync has returned, and gets its error (same errno, so `fault` still tells a full disk or EIO
//! from a job error).

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

use crate::fsx;

/// What a failed fsync returned, kept so every member of the generation gets the same error.
#[derive(Clone, Debug)]
struct Failure {
    raw: Option<i32>,
    kind: io::ErrorKind,
    text: String,
}

impl Failure {
    fn of(e: &io::Error) -> Failure {
        Failure { raw: e.raw_os_error(), kind: e.kind(), text: e.to_string() }
    }

    fn to_error(&self) -> io::Error {
        match self.raw {
            Some(code) => io::Error::from_raw_os_error(code),
            None => io::Error::new(self.kind, self.text.clone()),
        }
    }
}

/// One generation of one directory: set by its leader once its fsync has returned.
#[derive(Default)]
struct Generation {
    outcome: OnceLock<Option<Failure>>,
}

/// A directory's committer: whether its fsync is running, and the generation newcomers join.
#[derive(Default)]
struct DirState {
    syncing: bool,
    next: Arc<Generation>,
}

/// The process's committer. One per process (not per `Spool` handle), so threads that opened the spool
/// separately still share fsyncs.
pub(crate) struct GroupCommit {
    dirs: Mutex<HashMap<PathBuf, DirState>>,
    done: Condvar,
}

impl GroupCommit {
    fn new() -> GroupCommit {
        GroupCommit { dirs: Mutex::new(HashMap::new()), done: Condvar::new() }
    }

    pub(crate) fn global() -> &'static GroupCommit {
        static GLOBAL: OnceLock<GroupCommit> = OnceLock::new();
        GLOBAL.get_or_init(GroupCommit::new)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<PathBuf, DirState>> {
        // A panicking leader leaves no half-updated state behind (see `Leading`), so a poisoned lock is usable.
        self.dirs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Returns once every directory of `dirs` is durable: fsynced by this thread or by the leader of a
    /// generation it joined after its changes. Distinct directories are synced side by side.
    pub(crate) fn sync_dirs(&self, dirs: &[PathBuf]) -> Result<(), (PathBuf, io::Error)> {
        let mut unique: Vec<&PathBuf> = dirs.iter().collect();
        unique.sort();
        unique.dedup();
        match unique.as_slice() {
            [] => Ok(()),
            [one] => self.sync_dir(one).map_err(|e| (one.to_path_buf(), e)),
            many => std::thread::scope(|s| {
                let handles: Vec<_> =
                    many.iter().map(|d| s.spawn(move || self.sync_dir(d).map_err(|e| (d.to_path_buf(), e)))).collect();
                handles.into_iter().try_for_each(|h| h.join().expect("fsync thread panicked"))
            }),
        }
    }

    /// One directory (step 11): join its open generation; lead it if no fsync of it is running.
    pub(crate) fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut st = self.lock();
        // Joining under the lock: no leader has taken this generation yet, so its fsync starts after now.
        let joined = st.entry(dir.to_path_buf()).or_default().next.clone();
        loop {
            if let Some(outcome) = joined.outcome.get() {
                return outcome.as_ref().map_or(Ok(()), |f| Err(f.to_error()));
            }
            let d = st.get_mut(dir).expect("a directory with members stays in the map");
            if d.syncing {
                st = self.done.wait(st).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            // Nobody syncs this directory: lead its open generation (ours, or a later one if ours is done,
            // which the check above sees next time round).
            d.syncing = true;
            let generation = std::mem::take(&mut d.next);
            drop(st);
            let leading = Leading { gc: self, dir, generation: &generation };
            let outcome = fsx::fsync_dir(dir).err().map(|e| Failure::of(&e));
            let _ = generation.outcome.set(outcome);
            drop(leading);
            st = self.lock();
        }
    }
}

/// Ends a leader's turn, also when the fsync panics: the generation gets an outcome and the waiters are
/// woken, so no member waits forever. A directory nobody waits on is dropped from the map (block folders
/// come and go).
struct Leading<'a> {
    gc: &'a GroupCommit,
    dir: &'a Path,
    generation: &'a Generation,
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        let panicked = || Some(Failure { raw: None, kind: io::ErrorKind::Other, text: "fsync leader panicked".into() });
        let _ = self.generation.outcome.get_or_init(panicked);
        let mut st = self.gc.lock();
        if let Some(d) = st.get_mut(self.dir) {
            d.syncing = false;
            if Arc::strong_count(&d.next) == 1 {
                st.remove(self.dir);
            }
        }
        drop(st);
        self.gc.done.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_members_all_return_and_the_map_empties() {
        let gc = GroupCommit::new();
        let root = tempfile::tempdir().unwrap();
        let dirs: Vec<PathBuf> = (0..3).map(|i| root.path().join(format!("d{i}"))).collect();
        dirs.iter().for_each(|d| std::fs::create_dir(d).unwrap());
        std::thread::scope(|s| {
            for t in 0..8 {
                let (gc, dirs) = (&gc, &dirs);
                s.spawn(move || {
                    for i in 0..20 {
                        std::fs::write(dirs[t % 3].join(format!("f{t}.{i}")), b"x").unwrap();
                        gc.sync_dirs(&dirs[t % 3..]).unwrap();
                    }
                });
            }
        });
        assert!(gc.lock().is_empty(), "directories nobody waits on are dropped");
    }

    #[test]
    fn a_failed_directory_fails_its_members_with_the_errno() {
        let gc = GroupCommit::new();
        let root = tempfile::tempdir().unwrap();
        let gone = root.path().join("gone");
        let e = gc.sync_dirs(&[gone.clone(), root.path().to_path_buf()]).unwrap_err();
        assert_eq!(e.0, gone);
        assert_eq!(e.1.raw_os_error(), Some(libc::ENOENT));
        gc.sync_dirs(&[root.path().to_path_buf()]).unwrap();
    }
}
