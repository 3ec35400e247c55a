//! Issue 4, the fault test with the real binaries: two provers share one spool; one is SIGKILLed while it
//! holds a prove job; a new prover is started, and its start-up recover returns the dead prover's lease
//! at once (the lease itself is far longer than the test). The block is still proven, every job of every
//! queue is done exactly once, nothing failed, the block's proofs are exactly its plan's, and the prove
//! jobs were shared between provers.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use frispool_pipeline::{proof_key, read_plan, COMPRESS, PROVE, SUBMIT, WITNESS_BASIC};
use frispool_spool::{to_hex, MappedArtifact, State};

use crate::pipeline::*;
use crate::spool::text;

/// Longer than the whole test may run: a lease can only come back through the dead-pid check.
const LEASE: &str = "3600";

#[test]
fn prover_killed_mid_proof_block_still_proven_nothing_done_twice() {
    let mut p = Pipeline::new();
    // 64 transactions: two basic instances, then leaf, tip and scheduler: five prove jobs for two provers.
    let n = p.produce(1, 64, 21)[0];
    let (url, provers) = p.start_all(2, &["--lease-secs", LEASE]);
    let spool = p.spool.spool.clone();
    let in_progress = spool.state_dir(&PROVE, State::InProgress);

    // Wait for a prover that has finished a prove job and holds another one: killing it then both
    // interrupts a proof and leaves its pid on a done ticket, so the block's proofs must come from at
    // least two provers. Five jobs over two provers: one of them does a second job, so this comes.
    let started = Instant::now();
    let (victim, victim_job) = 'found: loop {
        p.assert_all_running();
        assert!(
            started.elapsed() < PROVE_TIMEOUT,
            "no prover held a second prove job in time\n{}",
            text(&p.admin(&["status"]))
        );
        let done_pids = pids(&spool.done_tickets(&PROVE).unwrap());
        for (key, pid) in holders(&in_progress) {
            if !(provers.contains(&pid) && done_pids.contains(&pid)) {
                continue;
            }
            // Freeze it, then look again: if it still holds the job, it is killed holding it.
            p.signal(pid, libc::SIGSTOP);
            if holders(&in_progress).contains(&(key.clone(), pid)) {
                p.signal(pid, libc::SIGKILL);
                break 'found (pid, key);
            }
            p.signal(pid, libc::SIGCONT);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    eprintln!("killed prover pid {victim} holding {victim_job} after {:.1?}", started.elapsed());

    // Its ticket stays in in_progress/ under the dead pid: the surviving prover does not take it over.
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        holders(&in_progress).contains(&(victim_job.clone(), victim)),
        "the dead prover's lease vanished by itself"
    );

    // A new prover: its start-up recover sees that the lease's pid is dead and requeues the job.
    let restarted = Instant::now();
    let fresh = p.start_prover("prover-3", &["--lease-secs", LEASE]);
    let record = p.wait_proven(&url, n);
    eprintln!("block {n} proven {:.1?} after the restart", restarted.elapsed());
    let log = p.log_of("prover-3");
    assert!(
        log.contains("recover at start") && log.contains("requeued: 1"),
        "prover-3's start-up recover returned no lease:\n{log}"
    );
    assert_eq!(record["handouts"], 1, "the block was handed out once: {record}");
    let names = p.names();
    p.stop(&names.iter().map(String::as_str).collect::<Vec<_>>());

    // Every job of every queue in exactly one state, done, nothing failed, no tmp leftovers.
    let done = p.assert_every_job_done_once();
    for (q, want) in [(WITNESS_BASIC, 1), (COMPRESS, 1), (SUBMIT, 1)] {
        assert_eq!(done[&q].len(), want, "{q} done tickets");
    }

    // The block's prove jobs and artifacts are exactly its plan's: one proof and one witness per key.
    let plan = read_plan(&spool, n, &frispool_circuits::Registry::default()).unwrap();
    let mut plan_keys = BTreeSet::new();
    for g in plan.groups() {
        for id in g.inputs.iter().chain(std::iter::once(&g.output)) {
            plan_keys.insert(proof_key(n, id).to_string());
        }
    }
    assert!(plan_keys.len() >= 5, "two basic instances, a leaf, the tip and the scheduler at least: {plan_keys:?}");
    let prove_done: BTreeSet<String> = done[&PROVE].iter().map(|t| t.key.to_string()).collect();
    assert_eq!(prove_done, plan_keys, "prove jobs done vs the plan");
    let mut want_files: BTreeSet<String> = ["input.block", "plan", "final.proof"].map(String::from).into();
    for k in &plan_keys {
        want_files.insert(format!("{k}.proof"));
        want_files.insert(format!("{k}.witness"));
    }
    let block_dir = p.spool_path().join(format!("artifacts/b{n:08}"));
    let have_files: BTreeSet<String> = names_in(&block_dir).into_iter().collect();
    assert_eq!(have_files, want_files, "the block's artifacts");
    for t in &done[&PROVE] {
        let d = t.done.as_ref().unwrap();
        assert_eq!(d.outputs.len(), 1, "{}: one proof", t.key);
        let a = MappedArtifact::open(&spool.resolve(&d.outputs[0].path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", t.key));
        assert_eq!(
            to_hex(&a.header.blake3),
            d.outputs[0].blake3,
            "{}: the proof on disk is the one its done ticket recorded",
            t.key
        );
    }

    // The interrupted job was finished by another prover, on a later attempt.
    let redone = done[&PROVE].iter().find(|t| t.key.to_string() == victim_job).unwrap();
    let d = redone.done.as_ref().unwrap();
    assert_ne!(d.pid, victim, "{victim_job} finished by the prover that was killed?");
    assert!(d.attempt >= 2, "{victim_job}: the killed attempt is counted: {redone:?}");

    // Several provers shared the block: the dead one's done ticket and at least one other's.
    let shared = pids(&done[&PROVE]);
    assert!(shared.len() >= 2, "prove jobs all done by one prover: {shared:?}");
    assert!(shared.contains(&victim), "the killed prover's earlier proof is in done/: {shared:?}");
    assert!(shared.iter().all(|pid| provers.contains(pid) || *pid == fresh), "done by an unknown pid: {shared:?}");

    // And the result: the final proof verifies; every file left can be inspected.
    let final_path = block_dir.join("final.proof");
    p.admin_cmd(&["verify", final_path.to_str().unwrap()]).expect_success();
    p.assert_inspects_every_file(p.spool_path());
    p.assert_inspects_every_file(p.store_path());
}
