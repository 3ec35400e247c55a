//! Issue 15 part 6: an upgrade. Jobs of two protocol versions share one spool (the old version's blocks
//! still in flight, the new version's arriving); a worker of each version drains its own side by side —
//! both watching the queue at once — and never touches the other's, follow-ups included.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};

use frispool_pipeline::PROVE;
use frispool_spool::State;

use crate::spool::*;

#[test]
fn two_protocol_versions_drain_one_spool_side_by_side() {
    let s = TestSpool::new();
    // Block 1 of version v1 and block 2 of v2: six two-round chains each, interleaved in claim order.
    s.seed(6, &["--rounds", "2", "--protocol", "v1"]);
    s.seed(6, &["--rounds", "2", "--protocol", "v2", "--first-block", "2"]);
    let workers: Vec<_> = ["v1", "v2"]
        .into_iter()
        .map(|v| {
            let journal = s.path().join(format!("journal-{v}.log"));
            // Watching (not --once), so both are live at once; each stops after its own twelve jobs.
            let child = Command::new(SYNTH)
                .args(["work", "--threads", "1", "--iterations", "16", "--work-ms", "20", "--rescan-secs", "0.2"])
                .args(["--protocol", v, "--max-jobs", "12", "--journal"])
                .arg(&journal)
                .env("FRISPOOL_SPOOL", s.path())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (v, journal, child)
        })
        .collect();
    for (v, journal, child) in workers {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "worker {v}: {}", text(&out));
        let keys: BTreeSet<String> = std::fs::read_to_string(&journal)
            .unwrap()
            .lines()
            .map(|l| l.split(' ').next().unwrap().to_string())
            .collect();
        let block = if v == "v1" { "b00000001." } else { "b00000002." };
        assert_eq!(keys.len(), 12, "worker {v} ran {keys:?}");
        assert!(keys.iter().all(|k| k.starts_with(block)), "worker {v} took another version's job: {keys:?}");
        for k in &keys {
            let t = s.done_ticket(k);
            assert_eq!(t.protocol, v, "{k}: a follow-up keeps its version");
        }
    }
    assert_eq!(s.count(&PROVE, State::Done), 24, "{}", s.tree());
    assert_eq!(s.count(&PROVE, State::Queued), 0);
}
