//! Issue 15 part 1: specialised workers. A worker started with `--rounds`/`--types` claims only the jobs
//! that match, in the usual claim order; the others stay queued until a worker that takes them comes.

use std::collections::BTreeMap;

use frispool_pipeline::PROVE;
use frispool_spool::State;

use crate::spool::*;

/// `key attempt pid` lines of a journal, grouped: pid → keys in the order they ran.
fn runs_by_pid(journal: &std::path::Path) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in std::fs::read_to_string(journal).unwrap_or_default().lines() {
        let f: Vec<&str> = line.split(' ').collect();
        m.entry(f[2].to_string()).or_default().push(f[0].to_string());
    }
    m
}

#[test]
fn filtered_workers_take_only_their_rounds_and_types() {
    let s = TestSpool::new();
    // Two circuit types of three-round chains: synth (blocks 1) and synth-big (block 2).
    s.seed(3, &["--rounds", "3"]);
    s.seed(2, &["--rounds", "3", "--circuit", "synth-big", "--first-block", "2"]);
    let journal = s.path().join("journal.log");
    let j = journal.to_str().unwrap();
    let work = |extra: &[&str]| {
        let mut a = vec!["work", "--once", "--threads", "1", "--iterations", "16", "--journal", j];
        a.extend_from_slice(extra);
        s.synth_cmd(&a).expect_success()
    };
    // Nothing of round 1 exists yet: a round-1 worker finds nothing and leaves round 0 alone.
    work(&["--rounds", "1,2"]);
    assert_eq!(s.count(&PROVE, State::Done), 0, "{}", s.tree());
    // A round-0 worker of type synth-big takes exactly the two synth-big round-0 jobs.
    work(&["--rounds", "0", "--types", "synth-big"]);
    let runs: Vec<Vec<String>> = runs_by_pid(&journal).into_values().collect();
    assert_eq!(runs, vec![vec!["b00000002.r0.synth-big.d0.g0000", "b00000002.r0.synth-big.d0.g0001"]]);
    // Rounds 1 and 2 of any type: the two synth-big chains, later rounds first (a job's follow-up runs
    // before the next round-1 job), never a round-0 job.
    work(&["--rounds", "1,2"]);
    let by_pid = runs_by_pid(&journal);
    assert_eq!(by_pid.len(), 2);
    let second = by_pid.values().find(|v| v[0].contains(".r1.")).expect("the round 1-2 worker ran");
    assert_eq!(
        second,
        &[
            "b00000002.r1.synth-big.d0.g0000",
            "b00000002.r2.synth-big.d0.g0000",
            "b00000002.r1.synth-big.d0.g0001",
            "b00000002.r2.synth-big.d0.g0001"
        ]
    );
    let states = s.states(&PROVE);
    let queued: Vec<&String> = states.iter().filter(|(_, v)| v == &&vec![State::Queued]).map(|(k, _)| k).collect();
    assert_eq!(queued, ["b00000001.r0.synth.d0.g0000", "b00000001.r0.synth.d0.g0001", "b00000001.r0.synth.d0.g0002"]);
    // An unfiltered worker drains the rest: nothing starves once the fleet covers every round and type.
    work(&[]);
    assert_eq!(s.count(&PROVE, State::Done), 15, "{}", s.tree());
}

#[test]
fn a_bad_filter_is_a_usage_error() {
    let s = TestSpool::new();
    let out = s.synth_cmd(&["work", "--once", "--rounds", "leaf"]).expect_code(2);
    assert!(text(&out).contains("not a round number"), "{}", text(&out));
    let out = s.synth_cmd(&["work", "--once", "--types", "Main"]).expect_code(2);
    assert!(text(&out).contains("--types"), "{}", text(&out));
}
