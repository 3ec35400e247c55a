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
