//! Issue 15 part 5: `frispool report` draws every finished job of a block — one bar per job in its worker's
//! lane, coloured by round, outlined and marked ×N when it took N attempts — and summarises them in text.
//! The picture is checked against the done tickets: one bar per ticket in the round's colour, the retried
//! job marked.

use frispool_pipeline::PROVE;
use frispool_spool::State;

use crate::spool::*;

#[test]
fn report_draws_one_bar_per_finished_job_of_the_block() {
    let s = TestSpool::new();
    // Block 1: three two-round chains, g0 failing its first attempt; block 2 is not asked for.
    s.seed(3, &["--rounds", "2", "--fail-every", "3", "--fail-attempts", "1"]);
    s.seed(1, &["--first-block", "2"]);
    let out =
        s.synth_cmd(&["work", "--once", "--threads", "1", "--iterations", "16", "--work-ms", "300"]).expect_code(1);
    assert_eq!(s.count(&PROVE, State::Done), 7, "{}", text(&out));
    let svg = s.path().join("timeline.svg");
    let out = s.admin_cmd(&["report", "1", "--out", svg.to_str().unwrap()]).expect_success();
    let summary = String::from_utf8(out.stdout).unwrap();
    let done = s.done_ticket("b00000001.r0.synth.d0.g0000");
    let worker = format!("worker {} pid {}: 6 jobs", done.done.as_ref().unwrap().host, done.done.as_ref().unwrap().pid);
    for want in ["6 finished jobs", "block 1: 6 jobs", &worker, &format!("timeline: {}", svg.display())] {
        assert!(summary.contains(want), "{want:?} not in:\n{summary}");
    }
    let row = summary.lines().find(|l| l.starts_with("prove") && l.contains("basic")).unwrap();
    assert_eq!(row.split_whitespace().collect::<Vec<_>>()[3], "3", "{row}");
    assert!(row.ends_with(" 1"), "one basic job retried: {row}");

    let picture = std::fs::read_to_string(&svg).unwrap();
    let bars = |colour: &str| picture.matches(&format!("opacity=\"0.85\" fill=\"{colour}\"")).count();
    assert_eq!(bars("#1F77B4"), 3, "three round-0 bars:\n{picture}");
    assert_eq!(bars("#FF7F0E"), 3, "three round-1 bars");
    assert_eq!(picture.matches("fill=\"none\" stroke=\"#000000\"").count(), 2, "one bar outlined twice");
    assert!(picture.contains("b1 synth g0 ×2"), "the retried job is marked:\n{picture}");
    assert!(picture.contains("r0 basic") && picture.contains("r1 leaf"), "the legend");
    assert!(!picture.contains("b2 "), "block 2 was not asked for");
}
