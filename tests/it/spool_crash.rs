//! A worker is SIGKILLed at random moments, over a hundred times. After each kill and a
//! `frispool recover`, every job is in exactly one state and every done job has a complete,
//! checksummed output; at the end all jobs finish.

use std::process::{Command, Stdio};
use std::time::Duration;

use frispool_pipeline::PROVE;
use frispool_spool::{to_hex, MappedArtifact, State};
use rand::{Rng, SeedableRng};

use crate::spool::*;

fn check(s: &TestSpool, round: usize) {
    for (k, st) in s.states(&PROVE) {
        assert_eq!(st.len(), 1, "after kill {round}: job {k} is in {st:?}");
        assert_ne!(st[0], State::InProgress, "after kill {round}: recover left {k} in_progress");
        if st[0] == State::Failed {
            let err = std::fs::read_to_string(s.spool.state_dir(&PROVE, State::Failed).join(format!("{k}.err")))
                .unwrap_or_default();
            panic!("after kill {round}: {k} failed:\n{err}");
        }
        if st[0] == State::Done {
            let t = s.done_ticket(&k);
            let d = t.done.as_ref().expect("done ticket has its record");
            assert_eq!(d.outputs.len(), 1, "{k}");
            for o in &d.outputs {
                let a = MappedArtifact::open(&s.spool.resolve(&o.path).unwrap())
                    .unwrap_or_else(|e| panic!("after kill {round}: {k}: {e}"));
                assert_eq!(to_hex(&a.header.blake3), o.blake3, "{k}: recorded checksum differs");
            }
            // A done round-0 job's follow-up must exist (recover's sweep redoes missed unblocks).
            if t.key.round == 0 {
                let next = format!("b{:08}.r1.synth.d0.g{:04}", t.key.block, t.key.group);
                assert!(
                    s.states(&PROVE).contains_key(&next),
                    "after kill {round}: follow-up {next} of done {k} is missing"
                );
            }
        }
    }
}

#[test]
fn sigkill_at_random_moments_loses_nothing() {
    let s = TestSpool::new();
    s.seed(150, &["--rounds", "2", "--max-attempts", "1000"]);
    let mut rng =
        rand::rngs::StdRng::seed_from_u64(std::env::var("CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(7));
    let mut kills = 0;
    while kills < 110 {
        let mut child = Command::new(SYNTH)
            .args([
                "work",
                "--once",
                "--threads",
                "1",
                "--iterations",
                "64",
                "--work-ms",
                "4",
                "--max-attempts",
                "1000",
            ])
            .env("FRISPOOL_SPOOL", s.path())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.gen_range(500..25_000)));
        // SAFETY: plain kill(2) of our own child.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGKILL) };
        let status = child.wait().unwrap();
        if status.success() {
            break; // it drained everything before the kill landed
        }
        kills += 1;
        s.admin_cmd(&["recover"]).expect_success();
        check(&s, kills);
    }
    s.synth_cmd(&["work", "--once", "--iterations", "64", "--max-attempts", "1000"]).expect_success();
    let states = s.states(&PROVE);
    assert_eq!(states.len(), 300, "every chain has both rounds");
    assert!(states.values().all(|st| st == &vec![State::Done]), "not all done: {states:?}");
    check(&s, kills + 1);
    assert!(kills >= 100, "only {kills} kills landed before the queue drained; slow the worker down");
}
