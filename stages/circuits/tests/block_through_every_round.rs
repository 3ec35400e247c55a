//! A whole block through every round: execute → main proofs → leaves → node → tip → scheduler → final,
//! checked by the final verifier against the block header, as the sequencer does.

mod support;

use std::sync::OnceLock;

use frispool_circuits::{basic_witnesses, FinalVerifier, ProtocolKeys, Registry, WitnessWire};
use frispool_rollup::{BlockGenerator, BlockWitness, State};

fn keys() -> &'static ProtocolKeys {
    static KEYS: OnceLock<ProtocolKeys> = OnceLock::new();
    KEYS.get_or_init(|| ProtocolKeys::build(&Registry::default()).expect("keys build"))
}

fn prove_block(block: &BlockWitness) -> frispool_circuits::FinalProofWire {
    support::prove_block(keys(), block).1
}

#[test]
fn a_block_with_a_node_level_is_proven_through_every_round_and_accepted() {
    let mut state = State::new();
    let mut gen = BlockGenerator::new(42);
    // 5 main instances: two leaves under one node, so every round runs.
    let n = 4 * frispool_circuits::MAIN_TXS_PER_INSTANCE + 3;
    let block = state.apply_block(gen.next_block(&state, n)).unwrap();
    let final_proof = prove_block(&block);
    let verifier = keys().final_verifier();
    verifier.verify(&final_proof, &block.header).expect("the sequencer accepts the final proof");

    // Through bytes, as the sequencer holds it.
    let vk_bytes = keys().verifier_bytes(frispool_circuits::FINAL_CIRCUIT).unwrap();
    let from_disk = FinalVerifier::from_bytes(keys().version(), &vk_bytes).unwrap();
    from_disk.verify(&final_proof, &block.header).expect("the key read back accepts it too");

    // The same proof does not pass for another header.
    let mut other = block.header;
    other.number += 1;
    assert!(verifier.verify(&final_proof, &other).is_err(), "a proof for another block must be refused");
    let mut forged_root = block.header;
    forged_root.new_root.elements[0] += plonky2::field::types::Field::ONE;
    assert!(verifier.verify(&final_proof, &forged_root).is_err(), "a proof of another state must be refused");

    // Flipped proof bytes are refused, never a panic.
    let mut forged = final_proof.clone();
    let mid = forged.proof.len() / 2;
    forged.proof[mid] ^= 0x40;
    assert!(verifier.verify(&forged, &block.header).is_err(), "a forged proof must be refused");
    let mut truncated = final_proof.clone();
    truncated.proof.truncate(100);
    assert!(verifier.verify(&truncated, &block.header).is_err(), "a truncated proof must be refused");
}

#[test]
fn keys_are_deterministic_and_name_their_version() {
    let keys = keys();
    let manifest = keys.manifest();
    assert_eq!(manifest.protocol, keys.version());
    assert_eq!(keys.version().len(), 16);
    let names: Vec<_> = manifest.circuits.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["main", "sig", "leaf-main", "leaf-sig", "node", "tip", "scheduler", "final"]);
    for c in &manifest.circuits {
        assert!(c.security_bits >= 100, "{} has {} bits of conjectured security", c.name, c.security_bits);
    }
    // Every verifier key round-trips through bytes.
    for c in &manifest.circuits {
        let bytes = keys.verifier_bytes(&c.name).unwrap();
        frispool_circuits::verifier_from_bytes(&c.name, &bytes).unwrap();
    }
}

#[test]
fn a_proof_of_another_protocol_version_is_refused() {
    let keys = keys();
    let mut state = State::new();
    let mut gen = BlockGenerator::new(5);
    let block = state.apply_block(gen.next_block(&state, 3)).unwrap();
    let (chunks, _) = basic_witnesses(keys.registry(), &block).unwrap();
    let mut p = keys.prove(&WitnessWire::Basic(chunks[0].clone())).unwrap();
    p.protocol = "0000000000000000".into();
    let err = keys.verify(&p).unwrap_err().to_string();
    assert!(err.contains("protocol"), "{err}");
    let err = keys.prove(&WitnessWire::Leaf { circuit_type: "main".into(), inputs: vec![p] }).unwrap_err().to_string();
    assert!(err.contains("protocol"), "{err}");
}
