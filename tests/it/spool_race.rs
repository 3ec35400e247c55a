//! Several worker processes drain one spool: every job is done exactly once, none is lost, none
//! is in two states.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use frispool_pipeline::{PROVE, QUEUES};
use frispool_spool::State;

use crate::spool::*;

#[test]
fn four_workers_drain_2000_jobs_each_exactly_once() {
    let s = TestSpool::new();
    s.seed(2000, &[]);
    let journal = s.path().join("journal.log");
    let workers: Vec<_> = (0..4)
        .map(|_| {
            Command::new(SYNTH)
                .args(["work", "--once", "--threads", "1", "--iterations", "16", "--journal"])
                .arg(&journal)
                .env("FRISPOOL_SPOOL", s.path())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut per_worker = Vec::new();
    for w in workers {
        let out = w.wait_with_output().unwrap();
        assert!(out.status.success(), "worker: {}", text(&out));
        per_worker.push(String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("").to_string());
    }
    let states = s.states(&PROVE);
    assert_eq!(states.len(), 2000, "jobs lost or invented");
    for (k, st) in &states {
        assert_eq!(st, &vec![State::Done], "job {k} is in {st:?}");
    }
    let mut runs: BTreeMap<String, usize> = BTreeMap::new();
    let mut pids = std::collections::BTreeSet::new();
    for line in std::fs::read_to_string(&journal).unwrap().lines() {
        let mut f = line.split(' ');
        *runs.entry(f.next().unwrap().to_string()).or_default() += 1;
        f.next();
        pids.insert(f.next().unwrap().to_string());
    }
    assert_eq!(runs.len(), 2000);
    let twice: Vec<_> = runs.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "jobs handled more than once: {twice:?}");
    assert!(pids.len() >= 2, "the work was not shared between workers: {per_worker:?}");
    for q in &QUEUES {
        assert_eq!(std::fs::read_dir(s.spool.tmp_dir(q)).unwrap().count(), 0, "{q}/tmp left behind");
    }
}

/// `key attempt pid thread` journal lines: how often each job ran, and which (pid, thread) ran them.
fn journal_runs(journal: &std::path::Path) -> (BTreeMap<String, usize>, std::collections::BTreeSet<(String, String)>) {
    let mut runs: BTreeMap<String, usize> = BTreeMap::new();
    let mut who = std::collections::BTreeSet::new();
    for line in std::fs::read_to_string(journal).unwrap_or_default().lines() {
        let f: Vec<&str> = line.split(' ').collect();
        *runs.entry(f[0].to_string()).or_default() += 1;
        who.insert((f[2].to_string(), f[3].to_string()));
    }
    (runs, who)
}

#[test]
fn one_process_with_four_workers_drains_three_round_chains_each_job_exactly_once() {
    let s = TestSpool::new();
    // 300 chains of three rounds: follow-ups are enqueued by one loop while the others claim.
    s.seed(300, &["--rounds", "3"]);
    let journal = s.path().join("journal.log");
    let j = journal.to_str().unwrap();
    let out = s
        .synth_cmd(&["work", "--once", "--workers", "4", "--threads", "1", "--iterations", "16", "--journal", j])
        .expect_success();
    let states = s.states(&PROVE);
    assert_eq!(states.len(), 900, "jobs lost or invented");
    for (k, st) in &states {
        assert_eq!(st, &vec![State::Done], "job {k} is in {st:?}");
    }
    let (runs, who) = journal_runs(&journal);
    assert_eq!(runs.len(), 900);
    let twice: Vec<_> = runs.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "jobs handled more than once: {twice:?}");
    let pids: std::collections::BTreeSet<_> = who.iter().map(|(p, _)| p).collect();
    assert_eq!(pids.len(), 1, "one process: {who:?}");
    assert!(who.len() >= 2, "the jobs were not shared between the process's workers: {who:?}");
    assert!(who.iter().all(|(_, t)| t.starts_with("worker-")), "{who:?}");
    // The process's one summary line counts every loop's jobs.
    assert!(text(&out).contains("frispool: 900 done, 0 failed"), "{}", text(&out));
    for q in &QUEUES {
        assert_eq!(std::fs::read_dir(s.spool.tmp_dir(q)).unwrap().count(), 0, "{q}/tmp left behind");
    }
}

#[test]
fn max_jobs_bounds_all_workers_of_a_process_together() {
    let s = TestSpool::new();
    s.seed(40, &[]);
    let journal = s.path().join("journal.log");
    let j = journal.to_str().unwrap();
    let out = s
        .synth_cmd(&["work", "--once", "--workers", "4", "--max-jobs", "7", "--threads", "1", "--journal", j])
        .expect_success();
    assert!(text(&out).contains("frispool: 7 done"), "{}", text(&out));
    let (runs, _) = journal_runs(&journal);
    assert_eq!(runs.len(), 7);
    let done = s.states(&PROVE).values().filter(|st| st == &&vec![State::Done]).count();
    assert_eq!(done, 7, "done tickets");
}
