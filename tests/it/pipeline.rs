//! Shared helpers of the pipeline tests: a fresh spool with keys and a sequencer store, the real stage
//! binaries started as child processes (all killed when the test ends, also on a failure), HTTP calls to
//! the sequencer, and the checks every pipeline test makes. On a failure the tail of every stage's log,
//! the sequencer store and the whole spool tree are printed. Which processes a pipeline has is
//! `frispool_pipeline::stages`, the one place it is written.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use frispool_pipeline::{stages, StageProcess, QUEUES};
use frispool_spool::{Queue, State, Ticket};

use crate::command::binary;
pub use crate::command::SEQUENCER;
use crate::spool::{text, MachineLock, TestCommand, TestSpool};

/// Stages rescan often so a test does not wait on the default 2 s periods.
pub const FAST: [&str; 2] = ["--rescan-secs", "0.5"];

/// Bound on one block's trip through the pipeline (it takes about a minute on 2 cores).
pub const PROVE_TIMEOUT: Duration = Duration::from_secs(8 * 60);

struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
    /// Stopped or killed on purpose: no longer expected to run.
    ended: bool,
}

/// One pipeline: a spool (with keys), a sequencer store, a log folder, and the child processes.
/// Dropping it kills every child still running.
pub struct Pipeline {
    procs: Vec<Proc>,
    pub store: tempfile::TempDir,
    pub logs: tempfile::TempDir,
    /// Dropped after the processes and logs: its Drop prints the spool tree of a failed test.
    pub spool: TestSpool,
    /// Environment variables set in this process for the pipeline's life (`with_env`), removed on drop.
    env: Vec<String>,
    /// The machine is this pipeline's alone (see `MachineLock`) until everything above is gone.
    _machine: MachineLock,
}

impl Pipeline {
    /// A fresh spool with keys written by `frispool keygen` (about 10 s) and an empty sequencer store.
    pub fn new() -> Pipeline {
        Pipeline::with_env(&[])
    }

    /// [`Pipeline::new`] with `vars` in the environment of every process it starts (keygen, sequencer, stages,
    /// admin commands): a keygen profile such as `FRISPOOL_SIG_PER_INSTANCE`. They are set in this test process
    /// once the machine lock is held exclusively — no other test that starts processes runs meanwhile (they
    /// hold it shared) — and removed before it is released.
    pub fn with_env(vars: &[(&str, &str)]) -> Pipeline {
        let machine = MachineLock::exclusive();
        for (k, v) in vars {
            std::env::set_var(k, v);
        }
        let env = vars.iter().map(|(k, _)| k.to_string()).collect();
        let spool = TestSpool::unlocked();
        let store = tempfile::Builder::new().prefix("sequencer-test-").tempdir().expect("temp dir");
        let logs = tempfile::Builder::new().prefix("pipeline-logs-").tempdir().expect("temp dir");
        let p = Pipeline { _machine: machine, env, procs: Vec::new(), store, logs, spool };
        p.admin_cmd(&["keygen"]).expect_success();
        p
    }

    pub fn spool_path(&self) -> &Path {
        self.spool.path()
    }

    pub fn store_path(&self) -> &Path {
        self.store.path()
    }

    pub fn admin(&self, args: &[&str]) -> Output {
        self.spool.admin(args)
    }

    pub fn admin_cmd(&self, args: &[&str]) -> TestCommand {
        self.spool.admin_cmd(args)
    }

    /// `frispool-sequencer produce`: returns the numbers of the blocks produced.
    pub fn produce(&self, blocks: u32, txs: usize, seed: u64) -> Vec<u64> {
        let out = Command::new(SEQUENCER)
            .arg("--store")
            .arg(self.store_path())
            .args(["produce", "--blocks", &blocks.to_string(), "--txs", &txs.to_string(), "--seed", &seed.to_string()])
            .output()
            .unwrap();
        assert!(out.status.success(), "produce: {}", text(&out));
        let numbers: Vec<u64> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("produced block ")?.split(' ').next()?.parse().ok())
            .collect();
        assert_eq!(numbers.len(), blocks as usize, "produce: {}", text(&out));
        numbers
    }

    fn log_file(&self, name: &str) -> (PathBuf, File) {
        let path = self.logs.path().join(format!("{name}.log"));
        let f = File::options().create(true).append(true).open(&path).unwrap();
        (path, f)
    }

    /// Starts `bin args` on this spool, stdout and stderr into `<logs>/<name>.log`; returns its pid.
    pub fn start(&mut self, name: &str, bin: &str, args: &[&str]) -> u32 {
        let (log, f) = self.log_file(name);
        let child = Command::new(bin)
            .args(args)
            .env("FRISPOOL_SPOOL", self.spool_path())
            .stdin(Stdio::null())
            .stdout(f.try_clone().unwrap())
            .stderr(f)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name} ({bin}): {e}"));
        let pid = child.id();
        self.procs.push(Proc { name: name.to_string(), child, log, ended: false });
        pid
    }

    /// Starts `frispool-sequencer serve` on 127.0.0.1 port 0 and returns its base URL, parsed from the line
    /// it prints once it listens. It reads nothing of the spool: its final verifier key is derived from its
    /// own circuits (the first start on a store builds them) and cached in its store.
    pub fn start_sequencer(&mut self, name: &str, extra: &[&str]) -> String {
        let (log, f) = self.log_file(name);
        let mut child = Command::new(SEQUENCER)
            .arg("--store")
            .arg(self.store_path())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(f.try_clone().unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        self.procs.push(Proc { name: name.to_string(), child, log, ended: false });
        // Copy its stdout into the log (the pipe must stay drained) and hand the first lines to us.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut f = f;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = writeln!(f, "{line}");
                let _ = tx.send(line);
            }
        });
        // The first start on a store derives the trust root: every circuit is built (seconds, more on a
        // loaded machine).
        let deadline = Instant::now() + Duration::from_secs(240);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(url) = line.strip_prefix("frispool-sequencer: listening on ") {
                        return url.trim().to_string();
                    }
                }
                Err(_) => panic!("{name} printed no `listening on` line within 240 s"),
            }
        }
    }

    /// The sequencer, then every stage of `frispool_pipeline::stages` with `provers` provers, each in watch
    /// mode with `stage_extra` added to its flags. Returns the sequencer URL and the provers' pids.
    pub fn start_all(&mut self, provers: usize, stage_extra: &[&str]) -> (String, Vec<u32>) {
        self.start_all_with(provers, 0, stage_extra)
    }

    /// [`Self::start_all`] with `generators` witness-vector generators feeding the provers.
    pub fn start_all_with(&mut self, provers: usize, generators: usize, stage_extra: &[&str]) -> (String, Vec<u32>) {
        let url = self.start_sequencer("sequencer", &[]);
        let mut pids = Vec::new();
        for stage in stages(&url, 0.5, provers, generators) {
            let pid = self.start_stage(&stage, stage_extra);
            if stage.binary == "frispool-prover" {
                pids.push(pid);
            }
        }
        (url, pids)
    }

    /// One more prover, as `stages` makes them.
    pub fn start_prover(&mut self, name: &str, extra: &[&str]) -> u32 {
        self.start_stage(&StageProcess::prover(name), extra)
    }

    fn start_stage(&mut self, stage: &StageProcess, extra: &[&str]) -> u32 {
        let args: Vec<&str> = stage.args.iter().map(String::as_str).chain(FAST).chain(extra.iter().copied()).collect();
        self.start(&stage.name, binary(stage.binary), &args)
    }

    /// Panics (with its log) if any child not stopped on purpose has exited: every stage runs in watch mode and must keep running.
    pub fn assert_all_running(&mut self) {
        for p in self.procs.iter_mut().filter(|p| !p.ended) {
            if let Some(status) = p.child.try_wait().unwrap() {
                panic!("{} exited early with {status}; its log:\n{}", p.name, tail(&p.log, 60));
            }
        }
    }

    pub fn pid_of(&self, name: &str) -> u32 {
        self.procs.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no process {name}")).child.id()
    }

    pub fn log_of(&self, name: &str) -> String {
        let p = self.procs.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no process {name}"));
        std::fs::read_to_string(&p.log).unwrap_or_default()
    }

    /// Sends `sig` to the child with this pid; for SIGKILL also reaps it, so that nobody (recover's
    /// dead-pid check included) sees a zombie as alive. Returns its name.
    pub fn signal(&mut self, pid: u32, sig: libc::c_int) -> String {
        let p =
            self.procs.iter_mut().find(|p| p.child.id() == pid).unwrap_or_else(|| panic!("no child with pid {pid}"));
        // SAFETY: kill(2) of our own child, which has not been reaped yet (reaping happens only below).
        unsafe { libc::kill(pid as libc::pid_t, sig) };
        if sig == libc::SIGKILL {
            p.ended = true;
            p.child.wait().unwrap();
        }
        p.name.clone()
    }

    /// SIGTERM to every process named in `names`, then waits (bounded) for each: the statuses, by name.
    pub fn stop(&mut self, names: &[&str]) -> BTreeMap<String, ExitStatus> {
        let mut out = BTreeMap::new();
        for p in self.procs.iter_mut().filter(|p| names.contains(&p.name.as_str())) {
            p.ended = true;
            if p.child.try_wait().unwrap().is_none() {
                // SAFETY: kill(2) of our own, not yet reaped child.
                unsafe { libc::kill(p.child.id() as libc::pid_t, libc::SIGTERM) };
            }
        }
        for p in self.procs.iter_mut().filter(|p| names.contains(&p.name.as_str())) {
            let deadline = Instant::now() + Duration::from_secs(30);
            let status = loop {
                if let Some(s) = p.child.try_wait().unwrap() {
                    break s;
                }
                if Instant::now() > deadline {
                    let _ = p.child.kill();
                    panic!("{} did not stop within 30 s of SIGTERM; its log:\n{}", p.name, tail(&p.log, 40));
                }
                std::thread::sleep(Duration::from_millis(50));
            };
            out.insert(p.name.clone(), status);
        }
        out
    }

    pub fn names(&self) -> Vec<String> {
        self.procs.iter().map(|p| p.name.clone()).collect()
    }

    /// Waits until the sequencer says `block` is proven, failing fast when a stage dies or a job fails.
    /// While the block is in flight it also checks that `frispool status` lists every queue. Returns the
    /// sequencer's record of the block.
    pub fn wait_proven(&mut self, url: &str, block: u64) -> serde_json::Value {
        let started = Instant::now();
        let mut status_checked = false;
        loop {
            let (code, body) = get(&format!("{url}/blocks/{block}"));
            assert_eq!(code, 200, "GET /blocks/{block}: {body}");
            let record: serde_json::Value =
                serde_json::from_str(&body).unwrap_or_else(|e| panic!("block record is not JSON ({e}): {body}"));
            if record["status"] == "proven" {
                return record;
            }
            self.assert_all_running();
            if !status_checked {
                // `frispool status` during the run: every queue is listed, busy or not.
                assert_lists_every_queue(&self.admin(&["status"]));
                status_checked = true;
            }
            let failed: Vec<String> =
                QUEUES.iter().flat_map(|q| names_in(&self.spool.spool.state_dir(q, State::Failed))).collect();
            assert!(
                failed.is_empty(),
                "jobs failed while proving block {block}: {failed:?}\n{}",
                self.failure_reasons()
            );
            assert!(
                started.elapsed() < PROVE_TIMEOUT,
                "block {block} not proven after {PROVE_TIMEOUT:?}; record {record}\n{}",
                text(&self.admin(&["status"]))
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// The .err files of every failed/ folder.
    pub fn failure_reasons(&self) -> String {
        let mut out = String::new();
        for q in &QUEUES {
            let dir = self.spool.spool.state_dir(q, State::Failed);
            for n in names_in(&dir).into_iter().filter(|n| n.ends_with(".err")) {
                out.push_str(&format!(
                    "{q}/failed/{n}:\n{}\n",
                    std::fs::read_to_string(dir.join(&n)).unwrap_or_default()
                ));
            }
        }
        out
    }

    /// `frispool inspect` exits 0 on every file under `root`.
    pub fn assert_inspects_every_file(&self, root: &Path) {
        let mut files = Vec::new();
        walk_files(root, &mut files);
        assert!(!files.is_empty(), "nothing to inspect under {}", root.display());
        let bad: Vec<String> = files
            .iter()
            .filter_map(|f| {
                let out = self.admin(&["inspect", f.to_str().unwrap()]);
                (!out.status.success() || out.stdout.is_empty())
                    .then(|| format!("{} ({}): {}", f.display(), out.status, text(&out)))
            })
            .collect();
        assert!(
            bad.is_empty(),
            "`frispool inspect` refused {} of {} files:\n{}",
            bad.len(),
            files.len(),
            bad.join("\n")
        );
    }

    /// Every queue's job keys are each in exactly one state, that state is done/, and nothing failed.
    /// Returns the done tickets of every queue.
    pub fn assert_every_job_done_once(&self) -> BTreeMap<Queue, Vec<Ticket>> {
        let mut done = BTreeMap::new();
        for q in &QUEUES {
            for (key, states) in self.spool.states(q) {
                assert_eq!(states, vec![State::Done], "{q}: job {key} is in {states:?}\n{}", self.failure_reasons());
            }
            let tickets = self.spool.spool.done_tickets(q).unwrap();
            for t in &tickets {
                assert!(t.done.is_some(), "{q}: done ticket {} has no done record", t.key);
            }
            assert_eq!(names_in(&self.spool.spool.tmp_dir(q)), Vec::<String>::new(), "{q}/tmp/ left behind");
            done.insert(q.clone(), tickets);
        }
        done
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        for p in &mut self.procs {
            let _ = p.child.kill();
            let _ = p.child.wait();
        }
        for k in &self.env {
            std::env::remove_var(k);
        }
        if std::thread::panicking() {
            for p in &self.procs {
                eprintln!("---- log of {} ----\n{}", p.name, tail(&p.log, 40));
            }
            let mut files = Vec::new();
            walk_files(self.store.path(), &mut files);
            eprintln!("---- sequencer store {} ----", self.store.path().display());
            for f in files {
                eprintln!("{}", f.display());
            }
        }
    }
}

pub fn tail(path: &Path, lines: usize) -> String {
    let s = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = s.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// File names in `dir`, sorted (empty when it does not exist).
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|r| r.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

pub fn walk_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// `frispool status` (text) names every queue, busy or empty.
pub fn assert_lists_every_queue(out: &Output) {
    assert!(out.status.success(), "frispool status: {}", text(out));
    let shown = String::from_utf8_lossy(&out.stdout);
    for q in &QUEUES {
        assert!(
            shown.split(|c: char| c.is_whitespace() || c == ':' || c == ')' || c == '(').any(|w| w == q.name()),
            "frispool status does not list queue {q}:\n{shown}"
        );
    }
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build()
}

fn answer(r: Result<ureq::Response, ureq::Error>, what: &str) -> (u16, String) {
    match r {
        Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
        Err(e) => panic!("{what}: no HTTP answer: {e}"),
    }
}

pub fn get(url: &str) -> (u16, String) {
    answer(agent().get(url).call(), &format!("GET {url}"))
}

pub fn post(url: &str, body: &[u8]) -> (u16, String) {
    answer(agent().post(url).set("Content-Type", "application/octet-stream").send_bytes(body), &format!("POST {url}"))
}

/// A POST whose body goes chunked (no Content-Length): the server learns its size only by reading it.
pub fn post_chunked(url: &str, body: &[u8]) -> (u16, String) {
    answer(
        agent().post(url).set("Content-Type", "application/octet-stream").send(body),
        &format!("POST (chunked) {url}"),
    )
}

/// Any method, for the 405 checks.
pub fn request(method: &str, url: &str) -> (u16, String) {
    answer(agent().request(method, url).call(), &format!("{method} {url}"))
}

/// The job keys (`key@host.pid.attempt` names) held in `dir`, with the pid of each holder.
pub fn holders(dir: &Path) -> Vec<(String, u32)> {
    names_in(dir)
        .into_iter()
        .filter_map(|n| {
            let (key, holder) = n.split_once('@')?;
            let mut parts = holder.rsplitn(3, '.');
            let _attempt = parts.next()?;
            let pid = parts.next()?.parse().ok()?;
            Some((key.to_string(), pid))
        })
        .collect()
}

/// The distinct pids recorded in done tickets.
pub fn pids(tickets: &[Ticket]) -> BTreeSet<u32> {
    tickets.iter().filter_map(|t| t.done.as_ref().map(|d| d.pid)).collect()
}
