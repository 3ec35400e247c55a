//! Unit tests of the protocol's steps.

use std::fs;

use super::*;
use crate::artifact::OutputBatch;
use crate::error::SpoolError;

const PROVE: Queue = Queue::named("prove");
const WVG: Queue = Queue::named("wvg");
static QUEUES: [Queue; 2] = [PROVE, WVG];

fn setup() -> (tempfile::TempDir, Spool) {
    let d = tempfile::tempdir().unwrap();
    let s = Spool::init(d.path(), &QUEUES).unwrap();
    (d, s)
}

fn ticket(k: &str, proto: &str, max: u32) -> Ticket {
    Ticket::new(PROVE, k.parse().unwrap(), proto, vec![], max)
}

#[test]
fn holder_names_round_trip_with_dotted_hosts() {
    let h = Holder {
        key: "b00000001.r0.main.d0.g0000".parse().unwrap(),
        host: "node1.cluster.local".into(),
        pid: 42,
        attempt: 3,
    };
    assert_eq!(Holder::parse(&h.file_name()), Some(h));
    assert_eq!(Holder::parse("b00000001.r0.main.d0.g0000"), None);
}

#[test]
fn enqueue_is_idempotent_and_claims_follow_order() {
    let (_d, s) = setup();
    let keys = ["b00000002.r0.main.d0.g0000", "b00000001.r0.main.d0.g0001", "b00000009.r1.main.d0.g0000"];
    for k in keys {
        assert_eq!(s.enqueue(&ticket(k, "v1", 3)).unwrap(), Enqueued::New);
    }
    assert_eq!(s.enqueue(&ticket(keys[0], "v1", 3)).unwrap(), Enqueued::Already(State::Queued));
    let mut c = Claimer::new(PROVE, "v1");
    let got: Vec<String> = std::iter::from_fn(|| c.next(&s).unwrap())
        .map(|j| {
            assert_eq!(s.enqueue(&j.ticket).unwrap(), Enqueued::Already(State::InProgress));
            let k = j.key().to_string();
            s.complete(&j, vec![]).unwrap();
            k
        })
        .collect();
    assert_eq!(got, vec![keys[2], keys[1], keys[0]]);
    assert_eq!(s.enqueue(&ticket(keys[0], "v1", 3)).unwrap(), Enqueued::Already(State::Done));
    let done = Ticket::read(&s.state_dir(&PROVE, State::Done).join(keys[0])).unwrap();
    assert_eq!(done.done.unwrap().attempt, 1);
}

#[test]
fn threads_of_one_process_never_claim_the_same_job() {
    let (_d, s) = setup();
    let tickets: Vec<Ticket> = (0..200).map(|g| ticket(&format!("b00000001.r0.main.d0.g{g:04}"), "v1", 3)).collect();
    s.enqueue_many(&tickets).unwrap();
    let claimed = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|sc| {
        for _ in 0..4 {
            sc.spawn(|| {
                let mut c = Claimer::new(PROVE, "v1");
                while let Some(j) = c.next(&s).unwrap() {
                    s.complete(&j, vec![]).unwrap();
                    claimed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
    });
    assert_eq!(claimed.into_inner(), 200);
}

#[test]
fn complete_batch_publishes_outputs_enqueues_follow_ups_then_marks_done() {
    let (_d, s) = setup();
    let k = "b00000001.r0.main.d0.g0000";
    s.enqueue(&ticket(k, "v1", 3)).unwrap();
    let mut c = Claimer::new(PROVE, "v1");
    let j = c.next(&s).unwrap().unwrap();
    let mut outs = OutputBatch::new(&s);
    let a = outs.write("artifacts/b00000001/a", crate::SYNTHETIC, &1u64).unwrap();
    // Visible as soon as write returns (a handler may check for its own output).
    assert!(s.artifact_exists(&a.path));
    let b = outs.write("artifacts/b00000002/b", crate::SYNTHETIC, &2u64).unwrap();
    let next = Ticket::new(WVG, "b00000001.r1.main.d0.g0000".parse().unwrap(), "v1", vec![b.path.clone()], 3);
    let again = Ticket::new(PROVE, k.parse().unwrap(), "v1", vec![], 3);
    let got = s.complete_batch(&j, outs, &[next.clone(), again]).unwrap();
    assert_eq!(got, vec![Enqueued::New, Enqueued::Already(State::InProgress)]);
    assert!(s.queued_path(&WVG, &next.key).exists());
    let done = Ticket::read(&s.state_dir(&PROVE, State::Done).join(k)).unwrap();
    assert_eq!(done.done.unwrap().outputs, vec![a, b]);
    assert!(s.holders(&PROVE).unwrap().is_empty());
    for q in [&PROVE, &WVG] {
        assert_eq!(fs::read_dir(s.tmp_dir(q)).unwrap().count(), 0, "{q}/tmp left behind");
    }
    assert_eq!(fs::read_dir(s.artifact_tmp_dir()).unwrap().count(), 0);
}

#[test]
fn complete_batch_after_a_lost_lease_records_nothing_and_leaves_no_tmp() {
    let (_d, s) = setup();
    let k = "b00000001.r0.main.d0.g0000";
    s.enqueue(&ticket(k, "v1", 3)).unwrap();
    let mut c = Claimer::new(PROVE, "v1");
    let j = c.next(&s).unwrap().unwrap();
    // A recover took the ticket away meanwhile.
    fs::rename(&j.path, s.queued_path(&PROVE, j.key())).unwrap();
    let e = s.complete_batch(&j, OutputBatch::new(&s), &[]).unwrap_err();
    assert!(matches!(e, SpoolError::LeaseLost { .. }), "{e}");
    assert!(!s.state_dir(&PROVE, State::Done).join(k).exists());
    assert_eq!(fs::read_dir(s.tmp_dir(&PROVE)).unwrap().count(), 0);
}

#[test]
fn fail_counts_attempts_then_fails_with_err_file_and_release_spends_nothing() {
    let (_d, s) = setup();
    let k = "b00000001.r0.main.d0.g0000";
    s.enqueue(&ticket(k, "v1", 2)).unwrap();
    let mut c = Claimer::new(PROVE, "v1");
    let j = c.next(&s).unwrap().unwrap();
    assert!(j.path.to_string_lossy().ends_with(".1"));
    s.release(&j).unwrap();
    c.invalidate();
    let j = c.next(&s).unwrap().unwrap();
    assert_eq!(j.attempt, 1, "release must not spend an attempt");
    assert_eq!(s.fail(&j, "boom\n  caused by: disk", false).unwrap(), FailOutcome::Requeued(1));
    c.invalidate();
    let j = c.next(&s).unwrap().unwrap();
    assert_eq!(j.attempt, 2);
    assert_eq!(s.fail(&j, "boom again\n  caused by: disk", false).unwrap(), FailOutcome::Failed);
    let err = fs::read_to_string(s.state_dir(&PROVE, State::Failed).join(format!("{k}.err"))).unwrap();
    assert!(err.contains("attempt 2 of 2") && err.contains("caused by: disk"), "{err}");
    let (q, from) = s.requeue(&k.parse().unwrap(), None).unwrap();
    assert_eq!((q, from), (PROVE, State::Failed));
    c.invalidate();
    assert_eq!(c.next(&s).unwrap().unwrap().attempt, 1);
}

#[test]
fn other_protocol_versions_are_left_alone_and_junk_is_quarantined() {
    let (_d, s) = setup();
    s.enqueue(&ticket("b00000001.r0.main.d0.g0000", "v2", 3)).unwrap();
    fs::write(s.state_dir(&PROVE, State::Queued).join("notes.txt"), "hi").unwrap();
    fs::write(s.state_dir(&PROVE, State::Queued).join("b00000003.r0.main.d0.g0000"), "{oops").unwrap();
    let mut c = Claimer::new(PROVE, "v1");
    assert!(c.next(&s).unwrap().is_none());
    assert_eq!(c.quarantined, 2);
    assert!(s.queued_path(&PROVE, &"b00000001.r0.main.d0.g0000".parse().unwrap()).exists());
    let err = fs::read_to_string(s.state_dir(&PROVE, State::Failed).join("b00000003.r0.main.d0.g0000.err")).unwrap();
    assert!(err.contains("malformed ticket JSON"), "{err}");
    assert!(s.state_dir(&PROVE, State::Failed).join("notes.txt").exists());
}

/// Issue 15: a specialised claimer takes only the jobs its filter admits, in claim order (later rounds
/// first), and leaves the others queued for the rest of the fleet.
#[test]
fn a_filtered_claimer_takes_only_its_jobs_in_claim_order() {
    let (_d, s) = setup();
    let keys = [
        "b00000001.r0.main.d0.g0000",
        "b00000001.r0.sig.d0.g0000",
        "b00000001.r1.main.d0.g0000",
        "b00000001.r2.main.d0.g0000",
        "b00000002.r1.main.d0.g0000",
    ];
    for k in keys {
        s.enqueue(&ticket(k, "v1", 3)).unwrap();
    }
    let mut c = Claimer::new(PROVE, "v1");
    c.filter =
        ClaimFilter { rounds: Some([0, 1].into()), circuits: Some(["main".to_string()].into()), memory_class: 0 };
    // A hint of a job outside the filter (a follow-up of our own) is ignored as well.
    c.hint("b00000001.r2.main.d0.g0000".parse().unwrap());
    let got: Vec<String> = std::iter::from_fn(|| c.next(&s).unwrap())
        .map(|j| {
            let k = j.key().to_string();
            s.complete(&j, vec![]).unwrap();
            k
        })
        .collect();
    assert_eq!(got, vec![keys[2], keys[4], keys[0]]);
    for k in [keys[1], keys[3]] {
        assert_eq!(s.locate(&PROVE, &k.parse().unwrap()).unwrap(), Some(State::Queued), "{k}");
    }
    // An open claimer takes the rest.
    let mut all = Claimer::new(PROVE, "v1");
    let rest: Vec<String> = std::iter::from_fn(|| all.next(&s).unwrap()).map(|j| j.key().to_string()).collect();
    assert_eq!(rest, vec![keys[3], keys[1]]);
}

/// A preference reorders only the head of the queue's round and block: the preferred jobs of that round and
/// block go first, claim order decides the rest, and nothing of another round or block jumps ahead.
#[test]
fn a_preference_picks_among_the_heads_round_and_block_only() {
    let (_d, s) = setup();
    let keys = [
        "b00000001.r1.main.d0.g0000",
        "b00000001.r1.sig.d0.g0000",
        "b00000001.r0.main.d0.g0000",
        "b00000001.r0.sig.d0.g0000",
        "b00000001.r0.sig.d0.g0001",
        "b00000002.r1.sig.d0.g0000",
    ];
    for k in keys {
        s.enqueue(&ticket(k, "v1", 3)).unwrap();
    }
    let mut c = Claimer::new(PROVE, "v1");
    c.prefer = Some(std::sync::Arc::new(|k: &crate::key::JobKey| k.circuit == "sig"));
    let got: Vec<String> = std::iter::from_fn(|| c.next(&s).unwrap())
        .map(|j| {
            let k = j.key().to_string();
            s.complete(&j, vec![]).unwrap();
            k
        })
        .collect();
    // Round 1 of block 1 first (sig before main), then block 2's round 1 (a later block: not pulled ahead of
    // block 1's main), then round 0 with its sig jobs first.
    let want = [keys[1], keys[0], keys[5], keys[3], keys[4], keys[2]];
    assert_eq!(got, want);
}
