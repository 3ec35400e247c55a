//! A fresh temp spool per test that prints its whole tree when the test fails, and the lock that keeps a
//! whole pipeline alone on the machine.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use frispool_pipeline::{PROVE, QUEUES};
use frispool_spool::{Queue, Spool, State, Ticket};

pub use crate::command::{text, tree, TestCommand, ADMIN, SYNTH};

/// Tests of the spool alone share the machine; a test that starts a whole pipeline (a dozen processes,
/// proving) takes it for itself, as when each ran in its own test binary: their timings (leases, kills,
/// the pipeline's time limits) stay what they were written for.
static MACHINE: RwLock<()> = RwLock::new(());

pub enum MachineLock {
    Shared(#[allow(dead_code)] RwLockReadGuard<'static, ()>),
    Exclusive(#[allow(dead_code)] RwLockWriteGuard<'static, ()>),
}

impl MachineLock {
    pub fn shared() -> MachineLock {
        MachineLock::Shared(MACHINE.read().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn exclusive() -> MachineLock {
        MachineLock::Exclusive(MACHINE.write().unwrap_or_else(|e| e.into_inner()))
    }
}

pub struct TestSpool {
    pub dir: tempfile::TempDir,
    pub spool: Spool,
    /// Held for the whole test; `None` when the caller holds it (a pipeline).
    _machine: Option<MachineLock>,
}

impl TestSpool {
    /// A fresh spool made by `frispool init`, sharing the machine with other spool tests.
    pub fn new() -> TestSpool {
        TestSpool::init(Some(MachineLock::shared()))
    }

    /// A fresh spool for a caller that holds the machine lock itself.
    pub fn unlocked() -> TestSpool {
        TestSpool::init(None)
    }

    fn init(machine: Option<MachineLock>) -> TestSpool {
        let dir = tempfile::Builder::new().prefix("spool-test-").tempdir().expect("temp dir");
        TestCommand::new(ADMIN, dir.path()).arg("--spool").arg(dir.path()).arg("init").expect_success();
        let spool = Spool::open(dir.path(), &QUEUES).unwrap();
        TestSpool { dir, spool, _machine: machine }
    }

    /// A spool at `dir`, made by the caller (a tmpfs mount, say).
    pub fn at(dir: tempfile::TempDir, spool: Spool) -> TestSpool {
        TestSpool { dir, spool, _machine: Some(MachineLock::shared()) }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `frispool-synthetic ARGS` on this spool.
    pub fn synth_cmd(&self, args: &[&str]) -> TestCommand {
        let mut c = TestCommand::new(SYNTH, self.path());
        c.args(args);
        c
    }

    /// `frispool --spool SPOOL ARGS`.
    pub fn admin_cmd(&self, args: &[&str]) -> TestCommand {
        let mut c = TestCommand::new(ADMIN, self.path());
        c.arg("--spool").arg(self.path()).args(args);
        c
    }

    pub fn synth(&self, args: &[&str]) -> Output {
        self.synth_cmd(args).output()
    }

    pub fn admin(&self, args: &[&str]) -> Output {
        self.admin_cmd(args).output()
    }

    /// `frispool-synthetic seed --jobs JOBS EXTRA`, which must succeed.
    pub fn seed(&self, jobs: u64, extra: &[&str]) {
        let j = jobs.to_string();
        let mut a = vec!["seed", "--jobs", &j];
        a.extend_from_slice(extra);
        self.synth_cmd(&a).expect_success();
    }

    /// Every job key found in `queue`, with every state it is in (a healthy spool has one each).
    pub fn states(&self, queue: &Queue) -> BTreeMap<String, Vec<State>> {
        let mut m: BTreeMap<String, Vec<State>> = BTreeMap::new();
        for s in State::ALL {
            for e in std::fs::read_dir(self.spool.state_dir(queue, s)).unwrap() {
                let name = e.unwrap().file_name().into_string().unwrap();
                if name.ends_with(".err") {
                    continue;
                }
                m.entry(name.split('@').next().unwrap().to_string()).or_default().push(s);
            }
        }
        m
    }

    pub fn count(&self, queue: &Queue, state: State) -> usize {
        self.states(queue).values().filter(|v| v.contains(&state)).count()
    }

    pub fn done_ticket(&self, key: &str) -> Ticket {
        Ticket::read(&self.spool.state_dir(&PROVE, State::Done).join(key)).unwrap()
    }

    /// The whole spool, one line per file with its size.
    pub fn tree(&self) -> String {
        tree(self.path())
    }
}

impl Drop for TestSpool {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("---- spool tree of the failed test ({}) ----\n{}", self.path().display(), self.tree());
        }
    }
}
