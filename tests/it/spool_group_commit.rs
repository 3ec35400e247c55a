//! Group commit (ARCHITECTURE.md step 11) across a kill: a child process with 8 worker threads claims and
//! completes jobs concurrently — each with an output and, in round 0, a follow-up — so their fsyncs of
//! `done/`, `queued/` and the block folder are shared; it is SIGKILLed at random moments. After each kill
//! and a `frispool recover`, every job is in exactly one state, every done job has its checksummed output
//! and (round 0) its follow-up; at the end all jobs finish. The child is this test binary itself, run as
//! the ignored `group_commit_child` test with the spool in `FRISPOOL_GC_CHILD`.

use std::process::{Command, Stdio};
use std::time::Duration;

use frispool_pipeline::{PROVE, QUEUES};
use frispool_spool::{to_hex, Claimer, JobKey, MappedArtifact, OutputBatch, Spool, State, Ticket, SYNTHETIC};
use rand::{Rng, SeedableRng};

use crate::spool::*;

const CHILD_ENV: &str = "FRISPOOL_GC_CHILD";
const THREADS: usize = 8;

fn check(s: &TestSpool, round: usize) {
    for (k, st) in s.states(&PROVE) {
        assert_eq!(st.len(), 1, "after kill {round}: job {k} is in {st:?}");
        assert_ne!(st[0], State::InProgress, "after kill {round}: recover left {k} in_progress");
        assert_ne!(st[0], State::Failed, "after kill {round}: {k} failed");
        if st[0] == State::Done {
            let t = s.done_ticket(&k);
            let d = t.done.as_ref().expect("done ticket has its record");
            assert_eq!(d.outputs.len(), 1, "{k}");
            let o = &d.outputs[0];
            let a = MappedArtifact::open(&s.spool.resolve(&o.path).unwrap())
                .unwrap_or_else(|e| panic!("after kill {round}: {k}: {e}"));
            assert_eq!(to_hex(&a.header.blake3), o.blake3, "{k}: recorded checksum differs");
            if t.key.round == 0 {
                let next = JobKey { round: 1, ..t.key.clone() }.to_string();
                assert!(
                    s.states(&PROVE).contains_key(&next),
                    "after kill {round}: follow-up {next} of done {k} is missing"
                );
            }
        }
    }
}

/// The child: 8 threads of one process draining the queue through the library, group commit on.
#[test]
#[ignore = "run by group_commit_threads_survive_sigkill as its child process"]
fn group_commit_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else { return };
    let spool = Spool::open(dir, &QUEUES).unwrap().with_group_commit(true);
    std::thread::scope(|sc| {
        for _ in 0..THREADS {
            sc.spawn(|| {
                let mut c = Claimer::new(PROVE, "dev");
                while let Some(job) = c.next(&spool).unwrap() {
                    let k = job.key().clone();
                    let rel = Spool::block_dir_rel(k.block).join(format!("gc.r{}.g{:04}.out", k.round, k.group));
                    let rel = rel.to_string_lossy().into_owned();
                    let mut outs = OutputBatch::new(&spool);
                    outs.write(&rel, SYNTHETIC, &k.to_string()).unwrap();
                    let follow = if k.round == 0 {
                        vec![Ticket::new(PROVE, JobKey { round: 1, ..k.clone() }, "dev", vec![rel], 1000)]
                    } else {
                        vec![]
                    };
                    spool.complete_batch(&job, outs, &follow).unwrap();
                }
            });
        }
    });
}

/// 100 round-0 jobs of block `block`.
fn batch(block: u64) -> Vec<Ticket> {
    (0..100u32).map(|g| Ticket::new(PROVE, JobKey::new(block, 0, "gc", 0, g).unwrap(), "dev", vec![], 1000)).collect()
}

#[test]
fn group_commit_threads_survive_sigkill() {
    let s = TestSpool::new();
    let mut blocks = 1u64;
    s.spool.enqueue_many(&batch(blocks)).unwrap();
    let mut rng =
        rand::rngs::StdRng::seed_from_u64(std::env::var("CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(13));
    let me = std::env::current_exe().unwrap();
    let mut kills = 0;
    while kills < 20 {
        let mut child = Command::new(&me)
            .args(["--exact", "spool_group_commit::group_commit_child", "--ignored", "--test-threads", "1"])
            .env(CHILD_ENV, s.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.gen_range(2_000..40_000)));
        // SAFETY: plain kill(2) of our own child.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGKILL) };
        let status = child.wait().unwrap();
        if status.success() {
            // It drained everything before the kill landed (a fast machine): more work, so that the next
            // kills land mid-flight. The number of kills never depends on the machine's speed.
            blocks += 1;
            s.spool.enqueue_many(&batch(blocks)).unwrap();
            continue;
        }
        kills += 1;
        s.admin_cmd(&["recover"]).expect_success();
        check(&s, kills);
    }
    let status = Command::new(&me)
        .args(["--exact", "spool_group_commit::group_commit_child", "--ignored", "--test-threads", "1"])
        .env(CHILD_ENV, s.path())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let states = s.states(&PROVE);
    assert_eq!(states.len() as u64, 200 * blocks, "every job of {blocks} blocks has both rounds");
    assert!(states.values().all(|st| st == &vec![State::Done]), "not all done: {states:?}");
    check(&s, kills + 1);
}
