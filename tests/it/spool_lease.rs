//! Issue 8 part 2: a job that waited in the queue longer than the lease is claimed by a worker,
//! and `frispool recover --lease-secs 6` runs right after the claim, before the first heartbeat.
//! The lease starts at the claim, so the live job stays in progress, runs once, and spends no
//! attempt on the recover.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use frispool_pipeline::PROVE;
use frispool_spool::State;

use crate::spool::*;

const KEY: &str = "b00000001.r0.synth.d0.g0000";

#[test]
fn recover_right_after_a_claim_leaves_the_live_job_alone() {
    let s = TestSpool::new();
    s.seed(1, &[]);
    let queued = s.spool.state_dir(&PROVE, State::Queued).join(KEY);
    let waited = SystemTime::now() - Duration::from_secs(30);
    std::fs::File::options().write(true).open(&queued).unwrap().set_modified(waited).unwrap();
    let journal = s.path().join("journal.log");
    // A 60 s lease heartbeats every 20 s: nothing touches the ticket during this 3 s job.
    let worker = Command::new(SYNTH)
        .args([
            "work",
            "--once",
            "--threads",
            "1",
            "--iterations",
            "16",
            "--work-ms",
            "3000",
            "--lease-secs",
            "60",
            "--journal",
        ])
        .arg(&journal)
        .env("FRISPOOL_SPOOL", s.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let in_progress = s.spool.state_dir(&PROVE, State::InProgress);
    let t0 = Instant::now();
    let held = loop {
        let names: Vec<String> =
            std::fs::read_dir(&in_progress).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        if let Some(n) = names.into_iter().next() {
            break n;
        }
        assert!(t0.elapsed() < Duration::from_secs(20), "the worker never claimed the job");
        std::thread::sleep(Duration::from_millis(2));
    };
    let out = s.admin_cmd(&["recover", "--lease-secs", "6"]).expect_success();
    assert_eq!(
        s.states(&PROVE).get(KEY),
        Some(&vec![State::InProgress]),
        "recover took the live job away: {}",
        text(&out)
    );
    assert!(in_progress.join(&held).exists(), "the holder's name changed under it: {held}");
    let ticket = frispool_spool::Ticket::read(&in_progress.join(&held)).unwrap();
    assert_eq!(ticket.attempt, 0, "recover spent an attempt of a live job: {:?}", ticket.errors);

    let out = worker.wait_with_output().unwrap();
    assert!(out.status.success(), "worker: {}", text(&out));
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(!log.contains("lease lost"), "the worker lost its lease: {log}");
    let done = s.done_ticket(KEY);
    assert_eq!(done.done.as_ref().unwrap().attempt, 1, "{done:?}");
    assert!(done.errors.is_empty(), "{:?}", done.errors);
    let runs = std::fs::read_to_string(&journal).unwrap();
    assert_eq!(runs.lines().count(), 1, "the job ran more than once:\n{runs}");
}
