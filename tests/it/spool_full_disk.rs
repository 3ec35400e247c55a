//! Issue 8 part 3: the spool's filesystem fills up in the middle of a batch. Nothing is torn,
//! no attempt is spent on the disk, `--once` exits 75 (retry later), a watching worker backs off,
//! `frispool status` says FULL — and once space is freed every job finishes with no `requeue`.
//!
//! The spool lives on a small tmpfs (mounting needs root, as on CI; elsewhere the tests skip with
//! a printed reason). A ballast file takes all but a little of the space.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use frispool_pipeline::{PROVE, QUEUES};
use frispool_spool::{exit, to_hex, FsSpace, MappedArtifact, Spool, State, Ticket};

use crate::spool::*;

const PAGE: u64 = 4096;
/// Filler per artifact: each output is 16 pages of payload plus the header (17 pages on tmpfs).
const FILLER: &str = "65536";

/// A spool on its own tmpfs, unmounted when dropped.
struct TmpfsSpool {
    s: TestSpool,
    ballast: PathBuf,
    /// Logs and journals live outside the tmpfs so they never take its space.
    outside: tempfile::TempDir,
}

impl TmpfsSpool {
    fn new(size: &str) -> Option<TmpfsSpool> {
        let dir = tempfile::Builder::new().prefix("spool-tmpfs-").tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => {}
            Ok(o) => {
                eprintln!(
                    "SKIPPED: cannot mount a tmpfs here (needs root): {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                return None;
            }
            Err(e) => {
                eprintln!("SKIPPED: cannot run mount: {e}");
                return None;
            }
        }
        let spool = Spool::init(dir.path(), &QUEUES).unwrap();
        let ballast = dir.path().join("ballast");
        Some(TmpfsSpool { s: TestSpool::at(dir, spool), ballast, outside: tempfile::tempdir().unwrap() })
    }

    fn avail(&self) -> u64 {
        FsSpace::of(self.s.path()).unwrap().avail_bytes
    }

    /// Fills the filesystem but `room` bytes.
    fn fill_leaving(&self, room: u64) {
        let _ = std::fs::remove_file(&self.ballast);
        let size = self.avail().checked_sub(room).expect("less space than the room asked for");
        std::fs::write(&self.ballast, vec![0u8; size as usize]).unwrap();
        assert_eq!(self.avail(), room, "tmpfs accounting is by page");
    }

    fn free(&self) {
        std::fs::remove_file(&self.ballast).unwrap();
    }

    fn work_once(&self) -> Output {
        let journal = self.outside.path().join("journal.log");
        let j = journal.to_str().unwrap();
        self.s.synth(&["work", "--once", "--threads", "1", "--iterations", "16", "--journal", j])
    }

    /// Every ticket of the prove queue, by state, read back.
    fn tickets(&self, state: State) -> Vec<Ticket> {
        let dir = self.s.spool.state_dir(&PROVE, state);
        std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| !p.to_string_lossy().ends_with(".err"))
            .map(|p| Ticket::read(&p).unwrap())
            .collect()
    }

    /// What must hold after every run, full disk or not: nothing torn, nothing spent, nothing failed.
    fn check_clean(&self, when: &str) {
        let s = &self.s;
        for (k, st) in s.states(&PROVE) {
            assert_eq!(st.len(), 1, "{when}: job {k} is in {st:?}");
        }
        assert_eq!(s.count(&PROVE, State::Failed), 0, "{when}: a job failed");
        assert_eq!(s.count(&PROVE, State::InProgress), 0, "{when}: a ticket was left in progress");
        let failed = s.spool.state_dir(&PROVE, State::Failed);
        assert_eq!(std::fs::read_dir(&failed).unwrap().count(), 0, "{when}: stray files in failed/");
        for q in &QUEUES {
            assert_eq!(std::fs::read_dir(s.spool.tmp_dir(q)).unwrap().count(), 0, "{when}: {q}/tmp left behind");
        }
        assert_eq!(
            std::fs::read_dir(s.spool.artifact_tmp_dir()).unwrap().count(),
            0,
            "{when}: artifacts/tmp left behind"
        );
        for t in self.tickets(State::Queued) {
            assert_eq!(t.attempt, 0, "{when}: {} spent an attempt on the disk: {:?}", t.key, t.errors);
            assert!(t.errors.is_empty(), "{when}: {}: {:?}", t.key, t.errors);
        }
        for t in self.tickets(State::Done) {
            let d = t.done.as_ref().unwrap();
            assert_eq!(d.attempt, 1, "{when}: {} took attempt {}: {:?}", t.key, d.attempt, t.errors);
            assert!(t.errors.is_empty(), "{when}: {}: {:?}", t.key, t.errors);
            for o in &d.outputs {
                let a = MappedArtifact::open(&s.spool.resolve(&o.path).unwrap())
                    .unwrap_or_else(|e| panic!("{when}: {}: {e}", t.key));
                assert_eq!(to_hex(&a.header.blake3), o.blake3, "{when}: {}", t.key);
            }
        }
        // Every published artifact, recorded or not (a job cut off before its done ticket), is whole.
        for b in s.spool.artifact_blocks().unwrap() {
            let dir = s.path().join(Spool::block_dir_rel(b));
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                MappedArtifact::open(&p).unwrap_or_else(|e| panic!("{when}: torn artifact: {e}"));
            }
        }
    }

    fn status(&self) -> (String, serde_json::Value) {
        let table = self.s.admin_cmd(&["status"]).expect_success();
        let json = self.s.admin_cmd(&["status", "--json"]).expect_success();
        (String::from_utf8_lossy(&table.stdout).into_owned(), serde_json::from_slice(&json.stdout).unwrap())
    }
}

impl Drop for TmpfsSpool {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("---- tmpfs spool of the failed test ----\n{}", self.s.tree());
        }
        let _ = Command::new("umount").arg(self.s.path()).status();
    }
}

/// A watching worker, killed if the test ends early (it would never stop by itself).
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// Twenty jobs; the disk fills after a few. `--once` stops with 75 and the job it was on back in
/// queued/ unspent; again while full: 75, nothing changes; freed: every job done on attempt 1.
#[test]
fn once_exits_75_on_a_full_disk_and_finishes_after_it_is_freed() {
    let Some(t) = TmpfsSpool::new("8m") else { return };
    t.s.seed(20, &["--bytes", FILLER]);
    t.fill_leaving(5 * 19 * PAGE);
    let out = t.work_once();
    assert_eq!(code(&out), exit::TEMPFAIL as i32, "worker on a full disk: {}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("infrastructure fault: no space left"), "{}", text(&out));
    let done = t.s.count(&PROVE, State::Done);
    assert!((1..20).contains(&done), "the disk should fill mid-batch, {done} done");
    t.check_clean("full disk");
    let (table, json) = t.status();
    assert!(table.contains("FULL"), "status does not say the disk is full:\n{table}");
    assert!(table.contains("last infrastructure fault: no space left") && table.contains("NOT cleared"), "{table}");
    assert_eq!(json["space"], "full", "{json}");
    assert_eq!(json["last_infra_fault"]["fault"], "no-space", "{json}");
    assert_eq!(json["last_infra_fault"]["errno"], libc::ENOSPC, "{json}");
    let brief = t.s.admin(&["status", "--brief"]);
    assert!(String::from_utf8_lossy(&brief.stdout).starts_with("FULL disk"), "{}", text(&brief));

    let again = t.work_once();
    assert_eq!(code(&again), exit::TEMPFAIL as i32, "still full: {}", text(&again));
    assert_eq!(t.s.count(&PROVE, State::Done), done, "nothing can finish while full");
    t.check_clean("still full");

    t.free();
    let out = t.work_once();
    assert_eq!(code(&out), exit::OK as i32, "after freeing: {}", text(&out));
    assert_eq!(t.s.count(&PROVE, State::Done), 20, "not all done: {}", text(&out));
    t.check_clean("freed");
    let (table, json) = t.status();
    assert!(!table.contains("FULL"), "{table}");
    assert_eq!(json["space"], "ok", "{json}");
    assert!(json["last_infra_fault"]["cleared_unix_ms"].is_u64(), "the fault is over: {json}");
}

/// Every place a two-round chain can meet the full disk, one page of room at a time: round 0's
/// output (17 pages), its follow-up ticket (1), its done ticket (1, which then replaces the
/// claimed ticket's page); round 1's output (17), its done ticket (1). Each time the run stops with
/// 75 exactly where the space ran out (or, with room for all 36 pages, finishes), leaves nothing
/// torn, and after the space comes back the chain finishes on attempt 1 everywhere.
#[test]
fn every_fill_point_of_a_job_hands_it_back_unspent() {
    let Some(t) = TmpfsSpool::new("16m") else { return };
    let mut outcomes = Vec::new();
    let rooms: Vec<u64> = (0..=20).chain(33..=36).collect();
    for (i, &pages) in rooms.iter().enumerate() {
        let block = (i + 1).to_string();
        t.s.seed(1, &["--bytes", FILLER, "--rounds", "2", "--first-block", &block]);
        t.fill_leaving(pages * PAGE);
        let out = t.work_once();
        let c = code(&out);
        assert!(c == exit::TEMPFAIL as i32 || c == exit::OK as i32, "{pages} pages of room: {}", text(&out));
        t.check_clean(&format!("{pages} pages of room"));
        outcomes.push((pages, c, t.s.count(&PROVE, State::Done) - 2 * i));
        t.free();
        let out = t.work_once();
        assert_eq!(code(&out), exit::OK as i32, "{pages} pages of room, then freed: {}", text(&out));
        t.check_clean(&format!("{pages} pages of room, then freed"));
        assert_eq!(t.s.count(&PROVE, State::Done), 2 * (i + 1), "{pages} pages: {}", text(&out));
    }
    eprintln!("(room in pages, exit code, jobs done while full): {outcomes:?}");
    for &(pages, c, done) in &outcomes {
        let want = if pages < 19 {
            0
        } else if pages < 36 {
            1
        } else {
            2
        };
        let want_code = if want == 2 { exit::OK } else { exit::TEMPFAIL } as i32;
        assert_eq!((c, done), (want_code, want), "{pages} pages of room: {outcomes:?}");
    }
}

/// A watching worker meets the full disk, hands the job back, backs off and retries on its own;
/// once the space is freed it finishes the batch. No attempt is spent, nothing fails.
#[test]
fn a_watching_worker_backs_off_and_resumes_when_space_returns() {
    let Some(t) = TmpfsSpool::new("8m") else { return };
    t.s.seed(20, &["--bytes", FILLER]);
    t.fill_leaving(5 * 19 * PAGE);
    let log = t.outside.path().join("worker.log");
    let mut worker = Reaped(
        Command::new(SYNTH)
            .args(["work", "--threads", "1", "--iterations", "16", "--rescan-secs", "0.2"])
            .args(["--fault-backoff-secs", "0.1", "--fault-backoff-max-secs", "0.4"])
            .env("FRISPOOL_SPOOL", t.s.path())
            .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
            .spawn()
            .unwrap(),
    );
    let read_log = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    let until = |what: &str, f: &dyn Fn() -> bool| {
        let t0 = Instant::now();
        while !f() {
            assert!(t0.elapsed() < Duration::from_secs(60), "timed out waiting for {what}:\n{}", read_log(&log));
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    until("several faults in a row", &|| read_log(&log).matches("infrastructure fault:").count() >= 4);
    let (table, _) = t.status();
    assert!(table.contains("FULL") && table.contains("NOT cleared"), "{table}");
    let done = t.s.count(&PROVE, State::Done);
    assert!((1..20).contains(&done), "the disk should fill mid-batch, {done} done");
    for tk in t.tickets(State::Queued) {
        assert_eq!(tk.attempt, 0, "{} spent an attempt on the disk", tk.key);
    }
    assert_eq!(t.s.count(&PROVE, State::Failed), 0);

    t.free();
    until("the batch to finish", &|| t.s.count(&PROVE, State::Done) == 20);
    // SAFETY: plain kill(2) of our own child.
    unsafe { libc::kill(worker.0.id() as libc::pid_t, libc::SIGTERM) };
    let status = worker.0.wait().unwrap();
    let text = read_log(&log);
    assert!(status.success(), "worker: {status:?}\n{text}");
    assert!(text.contains("infrastructure fault cleared"), "{text}");
    t.check_clean("after the watch");
    let (table, _) = t.status();
    assert!(table.contains("; cleared ") && !table.contains("FULL"), "{table}");
}
