//! `generate_witness` (a replayed generator order) gives plonky2's `generate_partial_witness` witness, target
//! for target: on the recording run, on replays with other inputs, and after a wrong order (the fallback).

use frispool_core::{circuit_config, generate_witness, set_schedule, C, D, F};
use plonky2::field::types::{Field, PrimeField64};
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::generator::generate_partial_witness;
use plonky2::iop::target::Target;
use plonky2::iop::witness::{PartialWitness, PartitionWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::CircuitData;
use plonky2::util::serialization::{Buffer, Read};

/// Generators that become ready in many rounds: a hash chain, products, a bit split, a random access, an
/// exponentiation, a division, and public inputs (whose gate gets plonky2's random wires).
fn circuit() -> (CircuitData<F, C, D>, [Target; 3]) {
    let mut b = CircuitBuilder::<F, D>::new(circuit_config());
    let [x, y, z] = [b.add_virtual_target(), b.add_virtual_target(), b.add_virtual_target()];
    let mut h = b.hash_n_to_hash_no_pad::<PoseidonHash>(vec![x, y]);
    for _ in 0..6 {
        let prod = b.mul(h.elements[0], z);
        h = b.hash_n_to_hash_no_pad::<PoseidonHash>(vec![prod, h.elements[1], h.elements[2], x]);
    }
    let bits = b.split_le(y, 64);
    let picked = b.random_access(bits[0].target, vec![x, z]);
    let e = b.exp_u64(picked, 12345);
    let q = b.div(e, z);
    b.register_public_input(q);
    b.register_public_inputs(&h.elements);
    (b.build::<C>(), [x, y, z])
}

fn inputs(t: [Target; 3], seed: u64) -> PartialWitness<F> {
    let mut pw = PartialWitness::new();
    for (i, target) in t.into_iter().enumerate() {
        pw.set_target(target, F::from_canonical_u64(seed * 7919 + i as u64 + 1)).unwrap();
    }
    pw
}

/// Every target's value, with the public-input gate's random wires zeroed (they differ on every run of
/// either function; nothing reads them).
fn values(data: &CircuitData<F, C, D>, mut w: PartitionWitness<'_, F>) -> Vec<Option<u64>> {
    for g in &data.prover_only.generators {
        if g.0.id() == "RandomValueGenerator" {
            let mut bytes = Vec::new();
            g.0.serialize(&mut bytes, &data.common).unwrap();
            let t = Buffer::new(&bytes).read_target().unwrap();
            let rep = w.representative_map[t.index(w.num_wires, w.degree)];
            w.values[rep] = Some(F::ZERO);
        }
    }
    w.values.iter().map(|v| v.map(|f| f.to_canonical_u64())).collect()
}

#[test]
fn replayed_witnesses_equal_plonky2s_for_every_input() {
    let (data, t) = circuit();
    let (prover, common) = (&data.prover_only, &data.common);
    for seed in 0..4 {
        let ours = generate_witness(inputs(t, seed), prover, common).unwrap();
        let theirs = generate_partial_witness(inputs(t, seed), prover, common).unwrap();
        assert_eq!(values(&data, ours), values(&data, theirs), "input {seed}");
    }
    // The witness proves, and the proof verifies.
    let pw = generate_witness(inputs(t, 9), prover, common).unwrap();
    let proof = plonky2::plonk::prover::prove_with_partition_witness::<F, C, D>(
        prover,
        common,
        pw,
        &mut plonky2::util::timing::TimingTree::default(),
    )
    .unwrap();
    data.verify(proof).unwrap();
}

#[test]
fn a_wrong_order_falls_back_to_plonky2s_search() {
    let (data, t) = circuit();
    let (prover, common) = (&data.prover_only, &data.common);
    let n = prover.generators.len() as u32;
    // Reversed (a generator runs before its inputs exist), too short, and out of range.
    for order in [(0..n).rev().collect(), (0..n - 1).collect(), vec![n; n as usize]] {
        set_schedule(prover, order);
        let ours = generate_witness(inputs(t, 3), prover, common).unwrap();
        let theirs = generate_partial_witness(inputs(t, 3), prover, common).unwrap();
        assert_eq!(values(&data, ours), values(&data, theirs));
    }
}

#[test]
fn conflicting_inputs_are_plonky2s_error_on_replay_too() {
    let (data, t) = circuit();
    let (prover, common) = (&data.prover_only, &data.common);
    generate_witness(inputs(t, 1), prover, common).unwrap();
    // The division's output set to a wrong value: its generator computes another one.
    let mut bad = inputs(t, 1);
    let q = prover.public_inputs[0];
    let right = generate_witness(inputs(t, 1), prover, common).unwrap().values
        [prover.representative_map[q.index(common.config.num_wires, common.degree())]]
    .unwrap();
    bad.set_target(q, right + F::ONE).unwrap();
    let err = generate_witness(bad.clone(), prover, common).unwrap_err();
    let theirs = generate_partial_witness(bad, prover, common).unwrap_err();
    assert_eq!(err.to_string(), format!("{theirs:#}"));
}
