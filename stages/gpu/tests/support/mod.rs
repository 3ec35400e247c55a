//! frispool's `main` and leaf circuits with a witness each, through their own public API
//! (`MainCircuit::witness`, `LeafCircuit::witness_slots`). Shared by the tests and
//! `examples/gpu_prove.rs`.
#![allow(dead_code)]

use frispool_aggregation::{LeafCircuit, Shape};
use frispool_circuits::{main_chunks, MainChunkWitness, MainCircuit, MAIN_TXS_PER_INSTANCE};
use frispool_core::{CircuitType, C, D, F};
use frispool_rollup::{execute_block, BlockGenerator, State};
use plonky2::iop::witness::PartialWitness;
use plonky2::plonk::circuit_data::CircuitData;
use plonky2::plonk::proof::ProofWithPublicInputs;

/// The protocol's `main` circuit and the first chunk of a generated block.
pub fn main_setup(seed: u64) -> (MainCircuit, MainChunkWitness) {
    let circuit = MainCircuit::build();
    let mut state = State::new();
    let txs = BlockGenerator::new(seed).next_block(&state, MAIN_TXS_PER_INSTANCE - 3);
    let block = state.apply_block(txs).unwrap();
    let chunk = main_chunks(&execute_block(&block).unwrap()).remove(0);
    (circuit, chunk)
}

/// `main`'s partial witness for `chunk`.
pub fn main_witness(circuit: &MainCircuit, chunk: &MainChunkWitness) -> PartialWitness<F> {
    circuit.witness(chunk).expect("a generated chunk fits main")
}

/// A leaf over `main` proofs (unpadded shape).
pub fn leaf_setup(basic: &CircuitData<F, C, D>) -> LeafCircuit {
    LeafCircuit::build(CircuitType::MAIN, &basic.common, &basic.verifier_only, &Shape::default()).unwrap()
}

/// One real proof, the other slots repeat it disabled (`LeafCircuit::prove_unchecked`'s witness).
pub fn leaf_witness(leaf: &LeafCircuit, inner: &ProofWithPublicInputs<F, C, D>) -> PartialWitness<F> {
    let slots: Vec<_> = (0..frispool_aggregation::LEAF_ARITY).map(|i| (inner, i == 0)).collect();
    leaf.witness_slots(&slots).unwrap()
}

/// The median of timings (the upper one of an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}
