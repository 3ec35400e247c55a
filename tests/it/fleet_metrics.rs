//! Issue 15 part 4: the per round and circuit type metrics of `frispool status --prometheus`, written by the
//! node_exporter textfile script (scripts/metrics/frispool-textfile.sh), checked against the tickets.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use frispool_pipeline::PROVE;

use crate::spool::*;

#[test]
fn the_textfile_script_writes_job_metrics_per_round_and_type() {
    let s = TestSpool::new();
    // Block 1: four two-round chains, g0 failing its first attempt; then one job of block 5 left queued.
    s.seed(4, &["--rounds", "2", "--fail-every", "4", "--fail-attempts", "1"]);
    s.synth_cmd(&["work", "--once", "--threads", "1", "--iterations", "16"]).expect_code(1);
    s.seed(1, &["--first-block", "5", "--circuit", "synth-big"]);
    let queued = s.spool.queued_path(&PROVE, &"b00000005.r0.synth-big.d0.g0000".parse().unwrap());
    std::fs::File::options()
        .write(true)
        .open(&queued)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(90))
        .unwrap();

    let textfile = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/metrics/frispool-textfile.sh");
    let out = Command::new(&script)
        .env("FRISPOOL_SPOOL", s.path())
        .env("FRISPOOL_BIN", Path::new(ADMIN).parent().unwrap())
        .env("TEXTFILE_DIR", textfile.path())
        .env("NAME", "spool-a")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let prom = std::fs::read_to_string(textfile.path().join("spool-a.prom")).unwrap();
    let value = |metric: &str, round: u8, ty: &str| -> f64 {
        let head = format!("{metric}{{queue=\"prove\",round=\"{round}\",type=\"{ty}\"");
        let line = prom
            .lines()
            .find(|l| l.starts_with(&head) && !l.contains("le="))
            .unwrap_or_else(|| panic!("{head} in\n{prom}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    for round in [0, 1] {
        assert_eq!(value("frispool_job_duration_seconds_count", round, "synth"), 4.0);
        let inf = format!(
            "frispool_job_duration_seconds_bucket{{queue=\"prove\",round=\"{round}\",type=\"synth\",le=\"+Inf\"}} 4"
        );
        assert!(prom.contains(&inf), "{inf} in\n{prom}");
        assert!(value("frispool_job_duration_seconds_sum", round, "synth") < 60.0);
        assert_eq!(value("frispool_job_memory_deaths_total", round, "synth"), 0.0);
    }
    // g0 took two attempts, the other three one each; one attempt failed; round 1 ran once each.
    assert_eq!(value("frispool_job_attempts_total", 0, "synth"), 5.0);
    assert_eq!(value("frispool_job_failed_attempts_total", 0, "synth"), 1.0);
    assert_eq!(value("frispool_job_attempts_total", 1, "synth"), 4.0);
    assert_eq!(value("frispool_job_failed_attempts_total", 1, "synth"), 0.0);
    assert_eq!(value("frispool_job_oldest_queued_seconds", 0, "synth"), 0.0);
    let age = value("frispool_job_oldest_queued_seconds", 0, "synth-big");
    assert!((89.0..200.0).contains(&age), "the queued job waited 90 s: {age}");
    assert!(prom.contains("# TYPE frispool_job_duration_seconds histogram"), "{prom}");
    // The old metrics stay.
    assert!(prom.contains("frispool_jobs{queue=\"prove\",state=\"done\"} 8"), "{prom}");
}
