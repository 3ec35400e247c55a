//! The wrapper end to end, off by default (`FRISPOOL_WRAP_E2E=1`; minutes on the 2-core VM): Groth16 setup
//! and proof of the plonky2 verifier circuit for the small inner circuit with public inputs, the proof
//! checked in Rust and in revm through the Solidity verifier generated from its key, a wrong public input
//! refused by both.

use crate::calldata::{input_words, SolidityProof};
use crate::evm_verifier::{DeployedVerifier, EvmVerdict};
use crate::groth16::{local_setup, prove, verify};
use crate::wrapper_circuit::Plonky2VerifierCircuit;
use crate::wrapper_tests::inner_with_public_inputs;
use ark_bn254::Fr;
use ark_std::rand::SeedableRng;
use std::time::Instant;

#[test]
fn groth16_of_the_wrapper_verifies_on_the_evm() {
    if std::env::var("FRISPOOL_WRAP_E2E").is_err() {
        eprintln!("skipped: set FRISPOOL_WRAP_E2E=1 to prove the wrapper with Groth16 and verify it in revm");
        return;
    }
    let inner = inner_with_public_inputs();
    let circuit = Plonky2VerifierCircuit::new(inner.common, inner.key, inner.proof).unwrap();
    let inputs = circuit.snark_inputs();
    let start = Instant::now();
    let keys = local_setup(circuit.clone(), 5).unwrap();
    let setup = start.elapsed();
    let mut rng = ark_std::rand::rngs::StdRng::seed_from_u64(9);
    let start = Instant::now();
    let proof = prove(&keys.proving_key, circuit, &mut rng).unwrap();
    let proving = start.elapsed();
    eprintln!("wrapper Groth16: setup {setup:.1?}, prove {proving:.1?}");
    assert!(verify(&keys.verifying_key, &inputs, &proof).unwrap());
    let mut wrong = inputs.clone();
    wrong[0] += Fr::from(1u64);
    assert!(!verify(&keys.verifying_key, &wrong, &proof).unwrap());

    let mut chain = DeployedVerifier::deploy(&keys.verifying_key).unwrap();
    let sol = SolidityProof::from_ark(&proof);
    let ok = chain.check(&sol, &input_words(&inputs)).unwrap();
    eprintln!("wrapper proof on the EVM: {:?}, {} gas", ok.verdict, ok.gas_used);
    assert_eq!(ok.verdict, EvmVerdict::Accepted);
    assert_eq!(chain.check(&sol, &input_words(&wrong)).unwrap().verdict, EvmVerdict::Rejected);
}
