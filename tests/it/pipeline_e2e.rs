//! Issue 4, end to end with the real binaries: one block goes in at the sequencer, every stage runs as its
//! own process in watch mode on a fresh spool, and the sequencer accepts the final proof. Then, with that
//! proven block and the real verifier, the sequencer's HTTP API refuses every bad submission (wrong block,
//! forged proof, malformed, too large, bad paths and methods) with the right 4xx and keeps serving.
//!
//! One test function: the pipeline run takes about a minute and the rejection checks need its proof.

use std::path::Path;

use frispool_circuits::FinalProofWire;
use frispool_pipeline::{kinds, COMPRESS, PROVE, QUEUES, SUBMIT, WITNESS_BASIC};
use frispool_spool::{decode_artifact, encode_artifact, Queue, HEADER_LEN};

use crate::pipeline::*;
use crate::spool::text;

#[test]
fn one_block_from_sequencer_to_accepted_proof_then_bad_submissions_are_refused() {
    let mut p = Pipeline::new();
    let blocks = p.produce(1, 64, 11);
    let n = blocks[0];
    let (url, _) = p.start_all(1, &[]);
    let record = p.wait_proven(&url, n);
    assert_eq!(record["handouts"], 1, "the block was handed out once: {record}");

    // Every stage stops cleanly on SIGTERM (nothing left half done); the sequencer goes too, and comes
    // back below on the same store.
    let stages: Vec<String> = p.names().into_iter().filter(|n| n != "sequencer").collect();
    for (name, status) in p.stop(&stages.iter().map(String::as_str).collect::<Vec<_>>()) {
        assert!(status.success(), "{name} exited with {status} on SIGTERM:\n{}", p.log_of(&name));
    }
    p.stop(&["sequencer"]);

    let final_rel = format!("artifacts/b{n:08}/final.proof");
    let final_path = p.spool_path().join(&final_rel);
    let out = p.admin_cmd(&["verify", final_path.to_str().unwrap()]).expect_success();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("valid final proof of block {n}")),
        "{}",
        text(&out)
    );
    let proof_bytes = std::fs::read(&final_path).unwrap();
    assert_eq!(
        record["proof_blake3"].as_str(),
        Some(blake3::hash(&proof_bytes).to_hex().as_str()),
        "the sequencer accepted exactly the spool's final proof"
    );

    // The spool after the run: every job of every queue done once, nothing failed or left in flight, and
    // the status report says so for every queue.
    let done = p.assert_every_job_done_once();
    for (q, want) in [(WITNESS_BASIC, 1), (COMPRESS, 1), (SUBMIT, 1)] {
        assert_eq!(done[&q].len(), want, "{q} done tickets");
    }
    assert!(done[&PROVE].len() >= 3, "basic, tip and scheduler proofs at least: {:?}", done[&PROVE].len());
    assert_lists_every_queue(&p.admin(&["status"]));
    let out = p.admin_cmd(&["status", "--json"]).expect_success();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed: Vec<&str> = report["queues"].as_array().unwrap().iter().map(|q| q["queue"].as_str().unwrap()).collect();
    assert_eq!(listed, QUEUES.iter().map(Queue::name).collect::<Vec<_>>(), "status --json lists every queue");
    for q in report["queues"].as_array().unwrap() {
        for state in ["queued", "in_progress", "failed"] {
            assert_eq!(q[state]["count"], 0, "{} {state} after the run: {q}", q["queue"]);
        }
    }

    // `frispool inspect` reads every file the run left, in the spool and in the sequencer's store.
    p.assert_inspects_every_file(p.spool_path());
    p.assert_inspects_every_file(p.store_path());

    sequencer_refuses_bad_submissions(&mut p, n, &proof_bytes);
}

/// The sequencer's answers to bad requests, with the real verifier. `n` is proven and `proof` is its final
/// proof; another block is produced (and never proven) to submit to.
fn sequencer_refuses_bad_submissions(p: &mut Pipeline, n: u64, proof: &[u8]) {
    let m = p.produce(1, 8, 12)[0];
    assert_ne!(m, n);
    // Room for a real proof, not for much more: the 413 checks need not send megabytes.
    let max_body = proof.len() + 4096;
    let url = p.start_sequencer("sequencer-2", &["--max-body", &max_body.to_string()]);
    let submit = |b: u64| format!("{url}/submit_proof/{b}");

    // A positive control: the very request that must work, so the refusals below are the server's doing.
    let (code, body) = post(&submit(n), proof);
    assert_eq!(code, 200, "re-submitting block {n}'s own proof: {body}");

    let rejected = |what: &str, (code, body): (u16, String), want_code: u16, needle: &str| {
        assert_eq!(code, want_code, "{what}: HTTP {code}: {body}");
        assert!(body.contains(needle), "{what}: the answer should say `{needle}`: {body}");
    };

    // The proof of block n, posted for block m: refused by its label and, relabelled, by the verifier
    // (its public inputs are block n's commitment, not m's).
    rejected(
        "block n's proof posted for block m",
        post(&submit(m), proof),
        400,
        &format!("proof rejected for block {m}"),
    );
    let wire: FinalProofWire = decode_artifact(Path::new("final.proof"), proof, kinds::FINAL_PROOF).unwrap();
    let relabelled = FinalProofWire { block: m, ..wire.clone() };
    let relabelled = encode_artifact(Path::new("relabelled"), kinds::FINAL_PROOF, &relabelled).unwrap();
    rejected(
        "block n's proof relabelled as block m",
        post(&submit(m), &relabelled),
        400,
        &format!("proof rejected for block {m}"),
    );

    // Forged proofs: one byte of plonky2's proof bytes flipped, in a well-framed artifact (the header and
    // checksum are right, so only the verifier can refuse it). Several places: openings, FRI, the end.
    let len = wire.proof.len();
    for at in [0, len / 7, len / 3, len / 2, 2 * len / 3, len - 1] {
        let mut forged = wire.clone();
        forged.proof[at] ^= 0x01;
        let bytes = encode_artifact(Path::new("forged"), kinds::FINAL_PROOF, &forged).unwrap();
        let back: FinalProofWire = decode_artifact(Path::new("forged"), &bytes, kinds::FINAL_PROOF).unwrap();
        assert_eq!(back.proof[at], wire.proof[at] ^ 0x01, "the forgery is well framed");
        rejected(
            &format!("proof byte {at} of {len} flipped"),
            post(&submit(n), &bytes),
            400,
            &format!("proof rejected for block {n}"),
        );
    }

    // Malformed bodies.
    rejected("garbage body", post(&submit(n), b"this is not a proof at all"), 400, "proof rejected");
    rejected("empty body", post(&submit(n), b""), 400, "proof rejected");
    rejected("truncated artifact", post(&submit(n), &proof[..proof.len() - 100]), 400, "proof rejected");
    rejected("header only", post(&submit(n), &proof[..HEADER_LEN]), 400, "proof rejected");
    let mut flipped = proof.to_vec();
    flipped[HEADER_LEN + 10] ^= 0x40;
    rejected("payload not matching its checksum", post(&submit(n), &flipped), 400, "proof rejected");
    let wrong_kind = encode_artifact(Path::new("x"), kinds::AGGREGATION_PLAN, &wire).unwrap();
    rejected("an artifact of another kind", post(&submit(n), &wrong_kind), 400, "proof rejected");

    // Too large, announced by Content-Length and sent chunked (the server must count what it reads).
    // Bodies well beyond the socket buffers, sent more than once: a server that stopped reading after
    // the limit and closed would give the client a broken pipe instead of the answer.
    let big = vec![7u8; max_body * 8];
    for _ in 0..3 {
        rejected("body over --max-body", post(&submit(n), &big), 413, "larger than");
        rejected("chunked body over --max-body", post_chunked(&submit(n), &big), 413, "larger than");
    }

    // Paths, methods, block numbers.
    rejected("unknown path", get(&format!("{url}/no/such/thing")), 404, "no such endpoint");
    rejected("extra path segment", get(&format!("{url}/blocks/{n}/extra")), 404, "no such endpoint");
    rejected("GET on submit_proof", request("GET", &submit(n)), 405, "not allowed");
    rejected("POST on blocks", request("POST", &format!("{url}/blocks/{n}")), 405, "not allowed");
    rejected(
        "DELETE on proof_generation_data",
        request("DELETE", &format!("{url}/proof_generation_data")),
        405,
        "not allowed",
    );
    rejected("non-numeric block to submit", post(&format!("{url}/submit_proof/abc"), proof), 400, "not a block number");
    rejected("non-numeric block status", get(&format!("{url}/blocks/abc")), 400, "not a block number");
    rejected("negative block status", get(&format!("{url}/blocks/-1")), 400, "not a block number");
    rejected("unknown block status", get(&format!("{url}/blocks/999")), 404, "not known");
    rejected("proof for an unknown block", post(&submit(999), proof), 404, "not known");

    // The server is still up and nothing above changed a record.
    p.assert_all_running();
    let (code, body) = get(&format!("{url}/blocks/{n}"));
    assert_eq!(code, 200, "GET /blocks/{n} after the bad requests: {body}");
    let rec: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(rec["status"], "proven", "{rec}");
    assert_eq!(rec["proof_blake3"].as_str(), Some(blake3::hash(proof).to_hex().as_str()), "{rec}");
    let (code, body) = get(&format!("{url}/blocks/{m}"));
    assert_eq!(code, 200, "GET /blocks/{m}: {body}");
    let rec: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(rec["status"], "produced", "no refused submission may mark block {m}: {rec}");
    assert!(rec["proof_blake3"].is_null(), "{rec}");
}
