//! Shared helpers of the spool tests: a fresh temp spool that prints its whole tree when a test
//! fails, and runners for the real binaries.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use frispool_spool::{JobKey, Queue, Spool, State, Ticket};

pub const SYNTH: &str = env!("CARGO_BIN_EXE_frispool-synthetic");
pub const ADMIN: &str = env!("CARGO_BIN_EXE_frispool");

pub struct TestSpool {
    pub dir: tempfile::TempDir,
    pub spool: Spool,
}

impl TestSpool {
    pub fn new() -> TestSpool {
        let dir = tempfile::Builder::new().prefix("spool-test-").tempdir().expect("temp dir");
        let out = Command::new(ADMIN).arg("--spool").arg(dir.path()).arg("init").output().unwrap();
        assert!(out.status.success(), "init: {}", String::from_utf8_lossy(&out.stderr));
        let spool = Spool::open(dir.path()).unwrap();
        TestSpool { dir, spool }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn synth(&self, args: &[&str]) -> Output {
        run(SYNTH, args, self.path())
    }

    pub fn admin(&self, args: &[&str]) -> Output {
        let mut full = vec!["--spool", self.path().to_str().unwrap()];
        full.extend_from_slice(args);
        run(ADMIN, &full, Path::new("."))
    }

    pub fn seed(&self, jobs: u64, extra: &[&str]) {
        let mut a = vec!["seed", "--jobs"];
        let j = jobs.to_string();
        a.push(&j);
        a.extend_from_slice(extra);
        let out = self.synth(&a);
        assert!(out.status.success(), "seed: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Every job key found in `queue`, with every state it is in (a healthy spool has one each).
    pub fn states(&self, queue: Queue) -> BTreeMap<String, Vec<State>> {
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

    pub fn count(&self, queue: Queue, state: State) -> usize {
        self.states(queue).values().filter(|v| v.contains(&state)).count()
    }

    pub fn done_ticket(&self, key: &str) -> Ticket {
        Ticket::read(&self.spool.state_dir(Queue::Prove, State::Done).join(key)).unwrap()
    }

    /// The whole spool, one line per file with its size.
    pub fn tree(&self) -> String {
        fn walk(root: &Path, dir: &Path, out: &mut String) {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
            entries.sort();
            for p in entries {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                if p.is_dir() {
                    out.push_str(&format!("{rel}/\n"));
                    walk(root, &p, out);
                } else {
                    let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
                    out.push_str(&format!("{rel} ({len} B)\n"));
                }
            }
        }
        let mut out = String::new();
        walk(self.path(), self.path(), &mut out);
        out
    }
}

impl Drop for TestSpool {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("---- spool tree of the failed test ({}) ----\n{}", self.path().display(), self.tree());
        }
    }
}

pub fn run(bin: &str, args: &[&str], spool: &Path) -> Output {
    Command::new(bin).args(args).env("FRISPOOL_SPOOL", spool).output().unwrap()
}

pub fn key(s: &str) -> JobKey {
    s.parse().unwrap()
}

pub fn text(out: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}
