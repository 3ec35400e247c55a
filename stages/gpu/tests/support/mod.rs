//! frispool's `main` and leaf circuits rebuilt from their crates' public parts, with witness filling
//! (`MainCircuit`'s and `LeafCircuit`'s own are private): the same construction code gives the same
//! circuit, which `shape::check_construction` and the proofs' public inputs confirm. Shared by the
//! tests and `examples/gpu_prove.rs`.
#![allow(dead_code)]

use frispool_aggregation::chain::{self, Link};
use frispool_aggregation::layout::{self, CircuitType, C, D, F};
use frispool_aggregation::shape::{self, Shape};
use frispool_aggregation::{LeafCircuit, LEAF_ARITY};
use frispool_circuits::basic::main::{ChainTargets, SlotTargets};
use frispool_circuits::{main_chunks, MainChunkWitness, MainCircuit, SlotWitness, MAIN_TXS_PER_INSTANCE};
use frispool_rollup::{execute_block, BlockGenerator, State};
use plonky2::field::types::Field;
use plonky2::iop::target::{BoolTarget, Target};
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::CircuitData;
use plonky2::plonk::proof::{ProofWithPublicInputs, ProofWithPublicInputsTarget};

pub struct MainParts {
    block: Target,
    instance: Target,
    state_in: ChainTargets,
    slots: Vec<SlotTargets>,
}

/// `MainCircuit::construct`.
pub fn construct_main() -> (CircuitBuilder<F, D>, MainParts) {
    let mut b = CircuitBuilder::<F, D>::new(layout::circuit_config());
    let ty = b.constant(F::from_canonical_u64(CircuitType::Main.id()));
    b.register_public_input(ty);
    let block = b.add_virtual_public_input();
    let instance = b.add_virtual_public_input();
    let state_in = ChainTargets {
        root: b.add_virtual_hash_public_input(),
        tx_hash: b.add_virtual_hash_public_input(),
        withdrawals_hash: b.add_virtual_hash_public_input(),
    };
    let mut chain = state_in;
    let mut slots = Vec::with_capacity(MAIN_TXS_PER_INSTANCE);
    for _ in 0..MAIN_TXS_PER_INSTANCE {
        let (slot, next) = SlotTargets::build(&mut b, chain);
        slots.push(slot);
        chain = next;
    }
    for h in [chain.root, chain.tx_hash, chain.withdrawals_hash] {
        b.register_public_inputs(&h.elements);
    }
    (b, MainParts { block, instance, state_in, slots })
}

/// `MainCircuit::fill`.
pub fn main_witness(parts: &MainParts, w: &MainChunkWitness) -> PartialWitness<F> {
    let mut pw = PartialWitness::new();
    pw.set_target(parts.block, F::from_noncanonical_u64(w.block)).unwrap();
    pw.set_target(parts.instance, F::from_noncanonical_u64(w.instance)).unwrap();
    pw.set_hash_target(parts.state_in.root, w.state_in.root).unwrap();
    pw.set_hash_target(parts.state_in.tx_hash, w.state_in.tx_hash).unwrap();
    pw.set_hash_target(parts.state_in.withdrawals_hash, w.state_in.withdrawals_hash).unwrap();
    let noop = SlotWitness::noop();
    for (i, t) in parts.slots.iter().enumerate() {
        t.set(&mut pw, w.slots.get(i).unwrap_or(&noop)).unwrap();
    }
    pw
}

/// The protocol's `main` circuit, its targets, and the first chunk of a generated block.
pub fn main_setup(seed: u64) -> (MainCircuit, MainParts, MainChunkWitness) {
    let circuit = MainCircuit::build();
    let (b, parts) = construct_main();
    shape::check_construction("main", b, &circuit.data).expect("the construction is main's");
    let mut state = State::new();
    let txs = BlockGenerator::new(seed).next_block(&state, MAIN_TXS_PER_INSTANCE - 3);
    let block = state.apply_block(txs).unwrap();
    let chunk = main_chunks(&execute_block(&block).unwrap()).remove(0);
    (circuit, parts, chunk)
}

pub struct LeafParts {
    proofs: Vec<ProofWithPublicInputsTarget<D>>,
    enabled: Vec<BoolTarget>,
}

/// `LeafCircuit`'s `define` for a leaf over `basic`.
pub fn construct_leaf(basic: &CircuitData<F, C, D>) -> (CircuitBuilder<F, D>, LeafParts) {
    let mut b = CircuitBuilder::<F, D>::new(layout::circuit_config());
    let vd = b.constant_verifier_data(&basic.verifier_only);
    let ty = b.constant(F::from_canonical_u64(CircuitType::Main.id()));
    let enabled = chain::enabled_flags(&mut b, LEAF_ARITY);
    let mut proofs = Vec::new();
    let mut links = Vec::new();
    for _ in 0..LEAF_ARITY {
        let p = b.add_virtual_proof_with_pis(&basic.common);
        b.verify_proof::<C>(&p, &vd, &basic.common);
        let link = Link::of_basic(&p.public_inputs);
        b.connect(link.ty, ty);
        links.push(link);
        proofs.push(p);
    }
    let out = chain::chain(&mut b, &links, &enabled);
    out.register(&mut b);
    b.register_public_inputs(&vd.circuit_digest.elements);
    (b, LeafParts { proofs, enabled })
}

/// A leaf over `main` proofs (unpadded shape) and its targets.
pub fn leaf_setup(basic: &CircuitData<F, C, D>) -> (LeafCircuit, LeafParts) {
    let leaf = LeafCircuit::build(CircuitType::Main, &basic.common, &basic.verifier_only, &Shape::default()).unwrap();
    let (mut b, parts) = construct_leaf(basic);
    Shape::default().pad(&mut b);
    shape::check_construction("leaf", b, &leaf.data).expect("the construction is the leaf's");
    (leaf, parts)
}

/// One real proof, the other slots repeat it disabled (`LeafCircuit::prove_unchecked`'s witness).
pub fn leaf_witness(parts: &LeafParts, inner: &ProofWithPublicInputs<F, C, D>) -> PartialWitness<F> {
    let mut pw = PartialWitness::new();
    for (i, t) in parts.proofs.iter().enumerate() {
        pw.set_proof_with_pis_target(t, inner).unwrap();
        if i > 0 {
            pw.set_bool_target(parts.enabled[i], false).unwrap();
        }
    }
    pw
}
