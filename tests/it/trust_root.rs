//! The verifier side owns its trust root (issue 7), with the real binaries: whoever can write the spool can
//! put any key in `keys/`, so a rogue final key — a circuit with free public inputs, one FRI query and no
//! proof of work, whose "proof" of any block costs nothing — must get nowhere. The sequencer refuses to
//! start when shown it, refuses a proof made under it with 400 and a reason, and `frispool verify` refuses
//! to use it.

use std::path::Path;
use std::process::Command;

use frispool_circuits::{FinalProofWire, WIRE_FORMAT};
use frispool_core::{C, D, F};
use frispool_pipeline::{keys_protocol, kinds, VerifierKeyWire};
use frispool_spool::{encode_artifact, read_artifact};
use plonky2::field::types::Field;
use plonky2::fri::FriConfig;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::CircuitConfig;
use plonky2::util::serialization::DefaultGateSerializer;

use crate::pipeline::*;
use crate::spool::{text, ADMIN};

/// The attack: a circuit that constrains nothing, with 5 public inputs (block ‖ commitment) the prover
/// picks, 1 FRI query and 0 proof-of-work bits. Returns its verifier key bytes and a final proof of
/// `block` with `commitment`, labelled with `protocol`.
fn rogue(block: u64, commitment: [u64; 4], protocol: &str) -> (Vec<u8>, FinalProofWire) {
    let standard = CircuitConfig::standard_recursion_config();
    let config = CircuitConfig {
        fri_config: FriConfig { num_query_rounds: 1, proof_of_work_bits: 0, ..standard.fri_config.clone() },
        // plonky2 asserts its target at build time; the rogue simply claims 3 bits.
        security_bits: 3,
        ..standard
    };
    let mut b = CircuitBuilder::<F, D>::new(config);
    let pis: Vec<_> = (0..5).map(|_| b.add_virtual_public_input()).collect();
    let data = b.build::<C>();
    let mut pw = PartialWitness::new();
    pw.set_target(pis[0], F::from_canonical_u64(block)).unwrap();
    for (t, c) in pis[1..].iter().zip(commitment) {
        pw.set_target(*t, F::from_canonical_u64(c)).unwrap();
    }
    let proof = data.prove(pw).unwrap();
    data.verify(proof.clone()).expect("the rogue proof verifies under the rogue key");
    let compressed = proof.compress(&data.verifier_only.circuit_digest, &data.common).unwrap();
    let vk = data.verifier_data().to_bytes(&DefaultGateSerializer).unwrap();
    let wire = FinalProofWire {
        format: WIRE_FORMAT,
        protocol: protocol.to_string(),
        block,
        commitment,
        proof: compressed.to_bytes(),
    };
    (vk, wire)
}

/// A keys folder: the real one copied, `final.vk` replaced by `vk` and the manifest relabelled "rogue".
fn rogue_keys(real: &Path, into: &Path, vk: Vec<u8>) {
    std::fs::create_dir_all(into).unwrap();
    for e in std::fs::read_dir(real).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".prover") {
            continue; // not needed to verify; half a gigabyte
        }
        std::fs::copy(e.path(), into.join(&name)).unwrap();
    }
    let manifest = std::fs::read_to_string(real.join("manifest.json")).unwrap();
    let protocol =
        serde_json::from_str::<serde_json::Value>(&manifest).unwrap()["protocol"].as_str().unwrap().to_string();
    std::fs::write(into.join("manifest.json"), manifest.replace(&protocol, "rogue")).unwrap();
    let path = into.join("final.vk");
    let wire = VerifierKeyWire { protocol: "rogue".into(), circuit: "final".into(), bytes: vk };
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, encode_artifact(&path, kinds::VERIFIER_KEY, &wire).unwrap()).unwrap();
}

#[test]
fn a_rogue_final_key_and_its_proofs_are_refused_by_the_real_sequencer_and_verify() {
    let mut p = Pipeline::new();
    let n = p.produce(1, 8, 21)[0];
    let real_keys = p.spool_path().join("keys");
    let protocol = keys_protocol(&real_keys).unwrap();

    // The sequencer, started as usual, derives its key (it reads nothing of the spool).
    let url = p.start_sequencer("sequencer", &[]);
    let (code, record) = get(&format!("{url}/blocks/{n}"));
    assert_eq!(code, 200, "{record}");
    let record: serde_json::Value = serde_json::from_str(&record).unwrap();
    let commitment: [u64; 4] = std::array::from_fn(|i| record["commitment"][i].as_u64().unwrap());

    // A proof of block n with its exact commitment — what the real final circuit would expose — under the
    // rogue key, labelled with the real protocol or with the rogue one: 400 with a reason, either way.
    for label in [protocol.as_str(), "rogue"] {
        let (_, wire) = rogue(n, commitment, label);
        let body = encode_artifact(Path::new("rogue.proof"), kinds::FINAL_PROOF, &wire).unwrap();
        let (code, answer) = post(&format!("{url}/submit_proof/{n}"), &body);
        assert_eq!(code, 400, "rogue proof labelled {label}: HTTP {code}: {answer}");
        assert!(answer.contains("proof rejected"), "{answer}");
    }
    let (_, record) = get(&format!("{url}/blocks/{n}"));
    assert!(!record.contains("\"proven\""), "the block stays unproven: {record}");
    p.stop(&["sequencer"]);

    // Shown the rogue keys folder, the sequencer will not start at all.
    let (vk, wire) = rogue(n, commitment, "rogue");
    let rogue_spool = tempfile::tempdir().unwrap();
    let init = Command::new(ADMIN).arg("--spool").arg(rogue_spool.path()).arg("init").output().unwrap();
    assert!(init.status.success(), "{}", text(&init));
    let rogue_dir = rogue_spool.path().join("keys");
    rogue_keys(&real_keys, &rogue_dir, vk);
    let out = Command::new(SEQUENCER)
        .arg("--store")
        .arg(p.store_path())
        .args(["serve", "--listen", "127.0.0.1:0", "--keys"])
        .arg(&rogue_dir)
        .output()
        .unwrap();
    assert!(!out.status.success(), "the sequencer started with a rogue final key: {}", text(&out));
    let said = text(&out);
    assert!(said.contains("refused") && said.contains(&rogue_dir.join("final.vk").display().to_string()), "{said}");
    // The real keys folder is accepted (the same bytes the sequencer derived).
    let good = p.start_sequencer("sequencer-2", &["--keys", real_keys.to_str().unwrap()]);
    assert!(good.starts_with("http://"));
    p.stop(&["sequencer-2"]);

    // `frispool verify` will not check the rogue proof against the rogue key: derived or pinned, the key's
    // bytes are not the trusted ones.
    let proof_path = rogue_spool.path().join("rogue.proof");
    std::fs::write(&proof_path, encode_artifact(&proof_path, kinds::FINAL_PROOF, &wire).unwrap()).unwrap();
    let verify = |extra: &[&str]| {
        Command::new(ADMIN)
            .arg("--spool")
            .arg(rogue_spool.path())
            .arg("verify")
            .arg(&proof_path)
            .args(extra)
            .output()
            .unwrap()
    };
    let out = verify(&[]);
    assert!(!out.status.success(), "verify accepted the rogue proof: {}", text(&out));
    assert!(text(&out).contains("differs from the key this build derives"), "{}", text(&out));
    let real_digest = blake3::hash(
        &read_artifact::<VerifierKeyWire>(&real_keys.join("final.vk"), kinds::VERIFIER_KEY).unwrap().bytes,
    )
    .to_hex()
    .to_string();
    let out = verify(&["--vk-digest", &real_digest]);
    assert!(!out.status.success(), "verify accepted the rogue proof under a pin: {}", text(&out));
    assert!(text(&out).contains("differs from the digest given with --vk-digest"), "{}", text(&out));
}
