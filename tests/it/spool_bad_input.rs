//! Bad inputs give a clear error naming the file and the job, the worker keeps going, and nothing
//! is lost. Also: retries, requeue, clean shutdown, status and inspect of the admin CLI.

use std::fs;
use std::process::{Command, Stdio};
use std::time::Duration;

use frispool_pipeline::PROVE;
use frispool_spool::{State, HEADER_LEN};

use crate::spool::*;

/// Seeds 5 jobs in blocks 1..=5 (one input artifact each), damages block 3's input with `damage`,
/// runs one worker, and checks that only job 3 failed, with `needle` in its .err.
fn damaged_input(damage: impl Fn(&mut Vec<u8>), needle: &str) {
    let s = TestSpool::new();
    for b in 1..=5 {
        s.seed(1, &["--first-block", &b.to_string()]);
    }
    let input = s.path().join("artifacts/b00000003/synth.input");
    let mut bytes = fs::read(&input).unwrap();
    damage(&mut bytes);
    fs::remove_file(&input).unwrap();
    fs::write(&input, &bytes).unwrap();
    let out = s.synth_cmd(&["work", "--once"]).expect_code(1);
    let bad = "b00000003.r0.synth.d0.g0000";
    let states = s.states(&PROVE);
    assert_eq!(states.len(), 5, "nothing lost");
    assert_eq!(states[bad], vec![State::Failed]);
    assert_eq!(states.values().filter(|v| **v == vec![State::Done]).count(), 4, "the worker kept going");
    let err = fs::read_to_string(s.spool.state_dir(&PROVE, State::Failed).join(format!("{bad}.err"))).unwrap();
    for want in [bad, "artifacts/b00000003/synth.input", needle, "permanent"] {
        assert!(err.contains(want), "missing `{want}` in .err:\n{err}");
    }
    assert!(text(&out).contains(needle), "the log says why too: {}", text(&out));
}

#[test]
fn truncated_artifact_fails_its_job_only() {
    damaged_input(|b| b.truncate(b.len() - 10), "truncated");
}

#[test]
fn bit_flipped_artifact_fails_its_job_only() {
    damaged_input(|b| b[HEADER_LEN + 3] ^= 0x10, "payload checksum mismatch");
}

#[test]
fn foreign_magic_artifact_fails_its_job_only() {
    damaged_input(|b| b[..8].copy_from_slice(b"GIF89a\0\0"), "not a frispool artifact");
}

#[test]
fn future_version_artifact_fails_its_job_only() {
    damaged_input(|b| b[8..10].copy_from_slice(&9u16.to_le_bytes()), "format version 9 is newer");
}

#[test]
fn malformed_tickets_are_quarantined_with_a_reason() {
    let s = TestSpool::new();
    s.seed(3, &[]);
    let queued = s.spool.state_dir(&PROVE, State::Queued);
    fs::write(queued.join("b00000001.r0.synth.d0.g0001"), "{\"key\": 42").unwrap();
    fs::write(queued.join("README"), "not a ticket").unwrap();
    s.synth_cmd(&["work", "--once"]).expect_code(1);
    let failed = s.spool.state_dir(&PROVE, State::Failed);
    let err = fs::read_to_string(failed.join("b00000001.r0.synth.d0.g0001.err")).unwrap();
    assert!(err.contains("malformed ticket JSON") && err.contains("b00000001.r0.synth.d0.g0001"), "{err}");
    let err = fs::read_to_string(failed.join("README.err")).unwrap();
    assert!(err.contains("bad job key `README`"), "{err}");
    assert_eq!(fs::read_to_string(failed.join("README")).unwrap(), "not a ticket", "the bytes are kept");
    assert_eq!(s.count(&PROVE, State::Done), 2);
}

#[test]
fn missing_folder_is_a_config_error_and_loses_nothing() {
    let s = TestSpool::new();
    s.seed(3, &[]);
    fs::remove_dir(s.spool.state_dir(&PROVE, State::Done)).unwrap();
    let out = s.synth_cmd(&["work", "--once"]).expect_code(2);
    assert!(text(&out).contains("missing folder prove/done"), "{}", text(&out));
    s.admin_cmd(&["status"]).expect_code(2);
    assert_eq!(fs::read_dir(s.spool.state_dir(&PROVE, State::Queued)).unwrap().count(), 3, "nothing lost");
    assert!(s.admin(&["init"]).status.success());
    assert!(s.synth(&["work", "--once"]).status.success());
}

#[test]
fn retries_then_failed_with_whole_chain_then_requeue() {
    let s = TestSpool::new();
    // Job g0000 fails its first attempt (then succeeds); g0002 fails 5 times with 3 allowed.
    s.seed(1, &["--fail-every", "1", "--fail-attempts", "1"]);
    s.seed(3, &["--first-block", "2", "--fail-every", "2", "--fail-attempts", "5"]);
    s.synth_cmd(&["work", "--once"]).expect_code(1);
    let retried = s.done_ticket("b00000001.r0.synth.d0.g0000");
    assert_eq!(retried.done.as_ref().unwrap().attempt, 2);
    assert!(retried.errors[0].contains("injected failure on attempt 1"), "{:?}", retried.errors);
    let failed = "b00000002.r0.synth.d0.g0002";
    assert_eq!(s.states(&PROVE)[failed], vec![State::Failed]);
    let err = fs::read_to_string(s.spool.state_dir(&PROVE, State::Failed).join(format!("{failed}.err"))).unwrap();
    assert!(err.contains("attempt 3 of 3") && err.contains("caused by: synthetic fault injected"), "{err}");
    s.admin_cmd(&["requeue", failed]).expect_success();
    assert_eq!(s.states(&PROVE)[failed], vec![State::Queued]);
    s.admin_cmd(&["requeue", "b00000009.r0.synth.d0.g0000"]).expect_code(2);
    s.admin_cmd(&["requeue", "not-a-key"]).expect_code(2);
}

#[test]
fn sigterm_returns_the_claimed_job_without_spending_an_attempt() {
    let s = TestSpool::new();
    s.seed(2, &[]);
    let child = Command::new(SYNTH)
        .args(["work", "--work-ms", "20000"])
        .env("FRISPOOL_SPOOL", s.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let inprog = s.spool.state_dir(&PROVE, State::InProgress);
    let t0 = std::time::Instant::now();
    while fs::read_dir(&inprog).unwrap().count() == 0 {
        assert!(t0.elapsed() < Duration::from_secs(20), "worker never claimed");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: plain kill(2) of our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let states = s.states(&PROVE);
    assert!(states.values().all(|v| *v == vec![State::Queued]), "{states:?}");
    let t = frispool_spool::Ticket::read(&s.spool.state_dir(&PROVE, State::Queued).join("b00000001.r0.synth.d0.g0000"))
        .unwrap();
    assert_eq!(t.attempt, 0, "the attempt was given back");
}

#[test]
fn other_protocol_versions_are_left_queued() {
    let s = TestSpool::new();
    s.seed(2, &["--protocol", "v2"]);
    s.seed(2, &["--first-block", "7"]);
    s.synth_cmd(&["work", "--once"]).expect_success();
    assert_eq!(s.count(&PROVE, State::Queued), 2);
    assert_eq!(s.count(&PROVE, State::Done), 2);
    s.synth_cmd(&["work", "--once", "--protocol", "v2"]).expect_success();
    assert_eq!(s.count(&PROVE, State::Done), 4);
}

#[test]
fn status_json_prometheus_and_inspect() {
    let s = TestSpool::new();
    s.seed(4, &["--rounds", "2"]);
    s.synth_cmd(&["work", "--once", "--max-jobs", "2"]).expect_success();
    let prom = s.path().join("frispool.prom");
    let out = s.admin_cmd(&["status", "--json", "--prometheus", prom.to_str().unwrap()]).expect_success();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let prove = v["queues"].as_array().unwrap().iter().find(|q| q["queue"] == "prove").unwrap();
    assert_eq!(prove["done"]["count"], 2);
    // Later rounds first: the follow-up of the first job ran before the next round-0 job.
    assert_eq!(prove["queued"]["count"], 3, "{v}");
    assert_eq!(s.done_ticket("b00000001.r1.synth.d0.g0000").done.unwrap().attempt, 1);
    let metrics = fs::read_to_string(&prom).unwrap();
    assert!(metrics.contains("frispool_jobs{queue=\"prove\",state=\"done\"} 2"), "{metrics}");
    let out = s.admin(&["status"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("prove"), "{}", text(&out));

    let done = s.spool.state_dir(&PROVE, State::Done).join("b00000001.r0.synth.d0.g0000");
    let out = s.admin(&["inspect", done.to_str().unwrap()]);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("\"outputs\""), "{}", text(&out));
    let art = s.path().join("artifacts/b00000001/synth.r0.g0000.out");
    let out = s.admin(&["inspect", art.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("kind     synthetic") && stdout.contains("verified"),
        "{}",
        text(&out)
    );
    let mut bytes = fs::read(&art).unwrap();
    bytes.pop();
    let cut = s.path().join("cut");
    fs::write(&cut, bytes).unwrap();
    let out = s.admin(&["inspect", cut.to_str().unwrap()]);
    assert_ne!(out.status.code(), Some(0));
    assert!(text(&out).contains("truncated") && text(&out).contains("cut"), "{}", text(&out));
}
