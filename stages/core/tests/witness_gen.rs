//! `generate_witness` (a replayed generator order) gives plonky2's `generate_partial_witness` witness, target
//! for target: on the recording run, on replays with other inputs, level by level on several threads, and
//! after a wrong order or wrong levels (the fallbacks).

use frispool_core::{circuit_config, generate_witness, schedule_levels, set_schedule, C, D, F};
use plonky2::field::types::{Field, PrimeField64};
use plonky2::hash::merkle_proofs::MerkleProofTarget;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::generator::generate_partial_witness;
use plonky2::iop::target::Target;
use plonky2::iop::witness::{PartialWitness, PartitionWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::CircuitData;
use plonky2::util::serialization::{Buffer, Read};

/// Generators that become ready in many rounds: a hash chain, products, a bit split, a random access, an
/// exponentiation, a division, and public inputs (whose gate gets plonky2's random wires); and a level wider than
/// the replay's parallel minimum (independent hashes of one input). Schedules are kept per circuit and the tests
/// run at once, so each test builds its own circuit (`tag` changes its constants, hence its digest).
fn circuit(tag: u64) -> (CircuitData<F, C, D>, [Target; 3]) {
    let mut b = CircuitBuilder::<F, D>::new(circuit_config());
    let [x, y, z] = [b.add_virtual_target(), b.add_virtual_target(), b.add_virtual_target()];
    for k in 0..100 {
        let c = b.constant(F::from_canonical_u64(k + 1000 * tag));
        let h = b.hash_n_to_hash_no_pad::<PoseidonHash>(vec![x, c]);
        b.register_public_input(h.elements[k as usize % 4]);
    }
    let mut h = b.hash_n_to_hash_no_pad::<PoseidonHash>(vec![x, y]);
    for _ in 0..6 {
        let prod = b.mul(h.elements[0], z);
        h = b.hash_n_to_hash_no_pad::<PoseidonHash>(vec![prod, h.elements[1], h.elements[2], x]);
    }
    let bits = b.split_le(y, 64);
    // A Merkle path whose two levels swap and do not (index bits b and !b): the replay's own Poseidon rows
    // (`poseidon_row.rs`) must set the deltas and the swapped state as plonky2's generator does.
    let flipped = b.not(bits[1]);
    let sibling = b.hash_n_to_hash_no_pad::<PoseidonHash>(vec![z, y]);
    let root = b.add_virtual_hash();
    let path = MerkleProofTarget { siblings: vec![h, sibling] };
    b.verify_merkle_proof::<PoseidonHash>(vec![x, z], &[bits[1], flipped], root, &path);
    b.register_public_inputs(&root.elements);
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
    let (data, t) = circuit(1);
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

/// Runs `f` on a pool of four threads, so the replay goes level by level whatever this machine's cores.
fn on_four_threads<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new().num_threads(4).build().unwrap().install(f)
}

#[test]
fn levelled_replays_equal_plonky2s_and_stay_levelled() {
    let (data, t) = circuit(2);
    let (prover, common) = (&data.prover_only, &data.common);
    on_four_threads(|| {
        for seed in 10..14 {
            let ours = generate_witness(inputs(t, seed), prover, common).unwrap();
            let theirs = generate_partial_witness(inputs(t, seed), prover, common).unwrap();
            assert_eq!(values(&data, ours), values(&data, theirs), "input {seed}");
        }
    });
    // No replay fell back: the levels are still in use, every generator is in one, and they are many and wide.
    let levels = schedule_levels(prover).expect("the levelled replay never failed");
    let mut all: Vec<u32> = levels.iter().flatten().copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..prover.generators.len() as u32).collect::<Vec<_>>());
    assert!(levels.len() > 8, "{} levels", levels.len());
    assert!(levels.iter().any(|l| l.len() >= 100), "widest level {:?}", levels.iter().map(Vec::len).max());
}

#[test]
fn wrong_levels_fall_back_to_the_recorded_order() {
    let (data, t) = circuit(3);
    let (prover, common) = (&data.prover_only, &data.common);
    let n = prover.generators.len() as u32;
    let order: Vec<u32> = on_four_threads(|| {
        generate_witness(inputs(t, 1), prover, common).unwrap();
        schedule_levels(prover).unwrap().concat()
    });
    // Every generator in one level (most find their inputs missing), the levels reversed, and a level missing.
    let reversed: Vec<Vec<u32>> = schedule_levels(prover).unwrap().into_iter().rev().collect();
    for levels in [vec![(0..n).collect()], reversed, vec![(0..n - 1).collect()]] {
        set_schedule(prover, order.clone(), Some(levels));
        let ours = on_four_threads(|| generate_witness(inputs(t, 5), prover, common).unwrap());
        let theirs = generate_partial_witness(inputs(t, 5), prover, common).unwrap();
        assert_eq!(values(&data, ours), values(&data, theirs));
        assert!(schedule_levels(prover).is_none(), "a failed levelled replay turns the levels off");
    }
}

#[test]
fn a_wrong_order_falls_back_to_plonky2s_search() {
    let (data, t) = circuit(4);
    let (prover, common) = (&data.prover_only, &data.common);
    let n = prover.generators.len() as u32;
    // Reversed (a generator runs before its inputs exist), too short, and out of range.
    for order in [(0..n).rev().collect(), (0..n - 1).collect(), vec![n; n as usize]] {
        set_schedule(prover, order, None);
        let ours = generate_witness(inputs(t, 3), prover, common).unwrap();
        let theirs = generate_partial_witness(inputs(t, 3), prover, common).unwrap();
        assert_eq!(values(&data, ours), values(&data, theirs));
    }
}

#[test]
fn conflicting_inputs_are_plonky2s_error_on_replay_too() {
    let (data, t) = circuit(5);
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
