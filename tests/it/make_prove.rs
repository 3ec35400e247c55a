//! Issue 16: `make prove`, the make-driven batch. A sequencer produces two small blocks; `make prove` proves
//! them on one spool, and `make -j4 prove` proves the very same blocks (the sequencer's store as it was
//! before the first batch) on another, with four provers at once. The sequencer accepts every final proof,
//! every queue ends empty with every job done once, and the two batches' final proofs (plonky2's bytes) are
//! identical: every stage runs single-threaded (scripts/make-prove.sh says why) and the CPU prover fixes the
//! wires plonky2 fills at random (`frispool_core::prover`). Last, a batch that finds a job in `failed/` exits
//! non-zero.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use frispool_circuits::FinalProofWire;
use frispool_pipeline::{kinds, QUEUES};
use frispool_spool::{read_artifact, State};

use crate::command::ADMIN;
use crate::pipeline::{get, Pipeline};
use crate::spool::{text, TestSpool};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `make [-jN] prove` on `spool` against the sequencer at `url`, with the binaries cargo built for the tests.
fn make_prove(jobs: Option<u32>, spool: &Path, url: &str, scratch: &Path) -> std::process::Output {
    let bin = Path::new(ADMIN).parent().unwrap();
    let mut make = Command::new("make");
    make.arg("-C").arg(repo()).arg("--no-print-directory");
    if let Some(j) = jobs {
        make.arg(format!("-j{j}"));
    }
    make.arg("prove")
        .arg(format!("BIN={}", bin.display()))
        .arg(format!("SPOOL={}", spool.display()))
        .arg(format!("SEQUENCER={url}"))
        .arg(format!("PROVE_LOGS={}", scratch.join("logs").display()))
        .arg(format!("PROVE_MK={}", scratch.join("prove.mk").display()))
        // The tests' own MAKEFLAGS (cargo run under make) must not leak into the batch's job count.
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS");
    make.output().expect("run make")
}

fn copy_dir(from: &Path, to: &Path, link: bool) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&src, &dst, link);
        } else if link {
            std::fs::hard_link(&src, &dst).unwrap();
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// The block's final proof as the compressor wrote it.
fn final_proof(spool: &Path, block: u64) -> FinalProofWire {
    let path = spool.join("artifacts").join(format!("b{block:08}")).join("final.proof");
    read_artifact(&path, kinds::FINAL_PROOF).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Which of the block's round proofs the two spools agree on.
fn compare_proofs(a: &Path, b: &Path, block: u64) -> String {
    let dir = |s: &Path| s.join("artifacts").join(format!("b{block:08}"));
    let mut out = Vec::new();
    for name in crate::pipeline::names_in(&dir(a)) {
        if name.ends_with(".proof") && name != "final.proof" {
            let read = |s: &Path| -> frispool_circuits::ProofWire {
                read_artifact(&dir(s).join(&name), kinds::PROOF).unwrap()
            };
            let same = read(a) == read(b);
            out.push(format!("{name} {}", if same { "same" } else { "DIFFERS" }));
        }
    }
    out.join(", ")
}

/// Every queue of the spool has nothing queued, in progress or failed.
fn assert_drained(spool: &TestSpool) {
    for q in &QUEUES {
        for s in [State::Queued, State::InProgress, State::Failed] {
            assert_eq!(spool.count(q, s), 0, "{q}/{s:?} not empty after the batch:\n{}", spool.tree());
        }
    }
}

/// The sequencer verified and accepted a final proof of every block.
fn assert_proven(url: &str, blocks: &[u64]) {
    for b in blocks {
        let (code, body) = get(&format!("{url}/blocks/{b}"));
        assert_eq!(code, 200, "GET /blocks/{b}: {body}");
        let record: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(record["status"], "proven", "block {b} after the batch: {record}");
    }
}

#[test]
fn make_prove_and_make_j4_prove_give_byte_identical_final_proofs() {
    let mut p = Pipeline::new();
    let blocks = p.produce(2, 16, 16);
    let scratch = tempfile::Builder::new().prefix("make-prove-").tempdir().unwrap();
    // The store as the sequencer's first start leaves it (trust root cached, nothing handed out yet), kept
    // to hand the same blocks out again to the second batch.
    let url = p.start_sequencer("sequencer-1", &[]);
    let pristine = scratch.path().join("store");
    copy_dir(p.store_path(), &pristine, false);

    let started = Instant::now();
    let out = make_prove(None, p.spool_path(), &url, &scratch.path().join("1"));
    let sequential = started.elapsed();
    assert!(out.status.success(), "make prove: {}\n{}", text(&out), p.spool.tree());
    eprintln!("{}", text(&out));
    assert_proven(&url, &blocks);
    assert_drained(&p.spool);
    p.assert_every_job_done_once();
    p.stop(&["sequencer-1"]);

    // The same blocks again: the pristine store back in place, a fresh spool with the same keys.
    std::fs::remove_dir_all(p.store_path()).unwrap();
    copy_dir(&pristine, p.store_path(), false);
    let url = p.start_sequencer("sequencer-2", &[]);
    let spool_2 = TestSpool::unlocked();
    copy_dir(&p.spool_path().join("keys"), &spool_2.path().join("keys"), true);
    let started = Instant::now();
    let out = make_prove(Some(4), spool_2.path(), &url, &scratch.path().join("2"));
    let parallel = started.elapsed();
    assert!(out.status.success(), "make -j4 prove: {}\n{}", text(&out), spool_2.tree());
    let log = text(&out);
    eprintln!("{log}");
    assert!(log.contains("4 prover(s) per round"), "make -j4 prove ran another number of provers:\n{log}");
    assert_proven(&url, &blocks);
    assert_drained(&spool_2);
    eprintln!("make prove {:.1} s, make -j4 prove {:.1} s", sequential.as_secs_f64(), parallel.as_secs_f64());

    // A proof artifact is a function of its witness alone (no timings in it), so the final proofs are the same
    // files, byte for byte, whichever way make ran the stages.
    for b in &blocks {
        let path = |s: &Path| s.join("artifacts").join(format!("b{b:08}")).join("final.proof");
        let (one, two) = (final_proof(p.spool_path(), *b), final_proof(spool_2.path(), *b));
        assert_eq!((one.block, one.commitment, &one.protocol), (two.block, two.commitment, &two.protocol));
        assert!(
            std::fs::read(path(p.spool_path())).unwrap() == std::fs::read(path(spool_2.path())).unwrap(),
            "block {b}: the final.proof files of make prove and make -j4 prove differ; the rounds' proofs: {}",
            compare_proofs(p.spool_path(), spool_2.path(), *b)
        );
    }

    // A batch that finds a failed job exits non-zero (nothing else to do: the sequencer has nothing due).
    let done = spool_2.spool.state_dir(&frispool_pipeline::PROVE, State::Done);
    let failed = spool_2.spool.state_dir(&frispool_pipeline::PROVE, State::Failed);
    let key = crate::pipeline::names_in(&done).into_iter().next().expect("a done prove job");
    std::fs::copy(done.join(&key), failed.join(&key)).unwrap();
    std::fs::write(failed.join(format!("{key}.err")), "placed by the test\n").unwrap();
    let out = make_prove(None, spool_2.path(), &url, &scratch.path().join("3"));
    assert!(!out.status.success(), "make prove with a job in failed/ exited 0: {}", text(&out));
    assert!(text(&out).contains("1 job(s) in failed/"), "{}", text(&out));
}
