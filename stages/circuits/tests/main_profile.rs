//! The larger-instance keygen profile (`FRISPOOL_MAIN_DEGREE_BITS`): `main` instances of 2^14 rows hold
//! twice the transactions, and a block of them goes through every round to a final proof the verifier
//! accepts.

mod support;

use frispool_circuits::{
    basic_witnesses, main_profile, MainCircuit, ProtocolKeys, Registry, RegistryError, MAIN_TXS_PER_INSTANCE,
    MAX_MAIN_DEGREE_BITS, MIN_MAIN_DEGREE_BITS,
};
use frispool_core::CircuitType;
use frispool_rollup::{BlockGenerator, State};

#[test]
fn capacity_fills_the_rows_of_each_degree() {
    assert_eq!(MainCircuit::capacity_for(13), MAIN_TXS_PER_INSTANCE, "the protocol's 2^13 instance");
    for bits in [14, 16] {
        let n = MainCircuit::capacity_for(bits);
        assert!(MainCircuit::gate_count(n) < 1 << bits, "{n} slots fit 2^{bits}");
        assert!(MainCircuit::gate_count(n + 1) + 32 > 1 << bits, "one more slot than {n} would not fit 2^{bits}");
        assert!(n >= (2 << (bits - 13)) * MAIN_TXS_PER_INSTANCE / 2, "2^{bits} holds at least 2^{} × 54", bits - 13);
    }
    // Outside the profile's range: a clear refusal, never a silently different circuit.
    for bits in [MIN_MAIN_DEGREE_BITS - 1, MAX_MAIN_DEGREE_BITS + 1] {
        assert!(matches!(Registry::main_of_degree(bits), Err(RegistryError::BadMainProfile(_))), "2^{bits}");
    }
    // Unset in this test binary: the protocol's 2^13.
    assert_eq!(main_profile().unwrap(), MIN_MAIN_DEGREE_BITS);
}

#[test]
fn a_block_of_2_14_row_main_instances_is_proven_through_every_round() {
    let registry = Registry::main_of_degree(14).unwrap();
    let capacity = registry.capacities()[0].1;
    assert_eq!(capacity, MainCircuit::capacity_for(14));
    let keys = ProtocolKeys::build(&registry).expect("keys build");
    let main = keys.circuit("main").unwrap();
    assert_eq!(main.common.degree_bits(), 14, "the profile's main is 2^14 rows");

    let mut state = State::new();
    let mut gen = BlockGenerator::new(14);
    // Two instances (the second one partly padding) under one leaf.
    let block = state.apply_block(gen.next_block(&state, capacity + 5)).unwrap();
    let (chunks, _) = basic_witnesses(keys.registry(), &block).unwrap();
    assert_eq!(chunks.len(), 2, "{} transactions in instances of {capacity}", capacity + 5);
    assert!(chunks.iter().all(|c| c.circuit_type == CircuitType::MAIN.name()));

    let (_, final_proof) = support::prove_block(&keys, &block);
    keys.final_verifier().verify(&final_proof, &block.header).expect("the final proof is accepted");
    let mut other = block.header;
    other.number += 1;
    assert!(keys.final_verifier().verify(&final_proof, &other).is_err(), "not for another block");
}
