//! The full-size wrap end to end (`FRISPOOL_WRAP_E2E=1`; about 15 minutes and 8 GB on the 2-core VM): a real
//! block through every round to its final proof, the wrap-ready layer over the protocol's final circuit, the
//! wrapper's Groth16 setup (seeded: a test key) and proof, the SNARK checked as the sequencer checks it and by
//! the generated Solidity verifier in revm (gas measured), a SNARK of this block refused for another.

mod support;

use std::time::Instant;

use ark_std::rand::SeedableRng;
use frispool_circuits::{
    final_public_inputs, snark_input, verifying_key_bytes, ProtocolKeys, Registry, SnarkProver, SnarkVerifier,
    WrapLayer, Wrapper,
};
use frispool_rollup::{BlockGenerator, State};
use frispool_wrap::{input_words, DeployedVerifier, EvmVerdict, SolidityProof};

#[test]
fn a_real_final_proof_is_wrapped_and_verified_in_rust_and_on_the_evm() {
    if std::env::var("FRISPOOL_WRAP_E2E").is_err() {
        eprintln!("skipped: FRISPOOL_WRAP_E2E=1 wraps a real final proof (minutes; the demo's WRAP=1 does too)");
        return;
    }
    let keys = ProtocolKeys::build(&Registry::default()).unwrap();
    let mut state = State::new();
    let mut generator = BlockGenerator::new(3);
    let block = state.apply_block(generator.next_block(&state, 8)).unwrap();
    let other = state.apply_block(generator.next_block(&state, 8)).unwrap();
    let (_, final_proof) = support::prove_block(&keys, &block);

    let fin = keys.compressor.final_circuit();
    let layer = WrapLayer::build(&fin.common, &fin.verifier_only);
    let wrapper = Wrapper::of(&layer);
    let started = Instant::now();
    let shape = layer.shape_proof().unwrap();
    let mut rng = ark_std::rand::rngs::StdRng::seed_from_u64(1);
    let groth16 = wrapper.setup(shape, &mut rng).unwrap();
    eprintln!("full-size wrapper: shape proof and setup {:.1?}", started.elapsed());
    eprintln!("verifying key: {} bytes", verifying_key_bytes(&groth16.verifying_key).len());
    let prover = SnarkProver::new(&fin.common, &fin.verifier_only, groth16.proving_key.clone(), "test key".into());
    let started = Instant::now();
    let snark = prover.prove(&final_proof).unwrap();
    eprintln!("full-size SNARK: wrap-ready layer and Groth16 proved in {:.1?}", started.elapsed());

    let verifier = SnarkVerifier { key: groth16.verifying_key.clone() };
    verifier.verify(&snark, &block.header).unwrap();
    assert!(verifier.verify(&snark, &other.header).is_err(), "a SNARK of another block accepted");

    let mut chain = DeployedVerifier::deploy(&groth16.verifying_key).unwrap();
    let proof = SolidityProof::from_ark(&frispool_wrap::proof_from_bytes(&snark.proof).unwrap());
    let ok = chain.check(&proof, &input_words(&[snark_input(&final_public_inputs(&block.header))])).unwrap();
    eprintln!("full-size SNARK on the EVM: {:?}, {} gas, proof {} bytes", ok.verdict, ok.gas_used, snark.proof.len());
    assert_eq!(ok.verdict, EvmVerdict::Accepted);
    let wrong = input_words(&[snark_input(&final_public_inputs(&other.header))]);
    assert_eq!(chain.check(&proof, &wrong).unwrap().verdict, EvmVerdict::Rejected);
}
