//! The Poseidon-BN254 hasher inside plonky2: its conventions, and a real proof under it.

use crate::plonky2_hasher::{Bn254HashOut, PoseidonBn254GoldilocksConfig, PoseidonBn254Hash};
use crate::poseidon::poseidon_permute;
use ark_bn254::Fr;
use plonky2::field::goldilocks_field::GoldilocksField as F;
use plonky2::field::types::{Field, PrimeField64};
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::CircuitConfig;
use plonky2::plonk::config::{GenericConfig, GenericHashOut, Hasher, PoseidonGoldilocksConfig};
use std::time::Instant;

type H = PoseidonBn254Hash;

fn elements(n: usize, seed: u64) -> Vec<F> {
    (0..n as u64).map(|i| F::from_noncanonical_u64(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (i << 17 | i))).collect()
}

#[test]
fn hash_no_pad_packs_three_elements_per_lane_nine_per_permutation() {
    let input = elements(11, 3);
    // The same sponge, written out: lanes 1..=3 overwritten with packed triples, then permuted.
    let pack = |part: &[F]| {
        let mut x = Fr::from(0u64);
        for (i, e) in part.iter().enumerate() {
            x += Fr::from(e.to_canonical_u64()) * ark_ff::Field::pow(&Fr::from(2u64), [64 * i as u64]);
        }
        x
    };
    let mut state = [Fr::from(0u64); 4];
    state[1] = pack(&input[0..3]);
    state[2] = pack(&input[3..6]);
    state[3] = pack(&input[6..9]);
    poseidon_permute(&mut state);
    state[1] = pack(&input[9..11]);
    poseidon_permute(&mut state);
    assert_eq!(<H as Hasher<F>>::hash_no_pad(&input).to_fr(), state[0]);

    // Any change to any element changes the digest.
    for i in 0..input.len() {
        let mut changed = input.clone();
        changed[i] += F::ONE;
        assert_ne!(<H as Hasher<F>>::hash_no_pad(&changed), <H as Hasher<F>>::hash_no_pad(&input), "element {i}");
    }
}

#[test]
fn short_leaves_are_packed_not_hashed_and_never_alias() {
    let three = [F::NEG_ONE, F::NEG_ONE, F::NEG_ONE];
    let digest = <H as Hasher<F>>::hash_or_noop(&three);
    // (p−1)(1 + 2⁶⁴ + 2¹²⁸) < 2¹⁹²: the bytes are the canonical encoding, no reduction happened.
    assert_eq!(Bn254HashOut::from_fr(digest.to_fr()), digest);
    assert_eq!(&digest.0[24..], &[0u8; 8]);
    // Four elements are hashed.
    let four = elements(4, 9);
    assert_eq!(<H as Hasher<F>>::hash_or_noop(&four), <H as Hasher<F>>::hash_no_pad(&four));
}

#[test]
fn two_to_one_is_ordered_and_digests_read_as_canonical_goldilocks() {
    let (a, b) = (<H as Hasher<F>>::hash_no_pad(&elements(5, 1)), <H as Hasher<F>>::hash_no_pad(&elements(5, 2)));
    assert_ne!(<H as Hasher<F>>::two_to_one(a, b), <H as Hasher<F>>::two_to_one(b, a));
    let limbs: Vec<F> = GenericHashOut::<F>::to_vec(&a);
    assert_eq!(limbs.len(), 5);
    assert!(limbs.iter().all(|l| l.to_canonical_u64() < 1 << 56));
    // The limbs put back together are the digest.
    let mut x = Fr::from(0u64);
    for (i, l) in limbs.iter().enumerate() {
        x += Fr::from(l.to_canonical_u64()) * ark_ff::Field::pow(&Fr::from(2u64), [56 * i as u64]);
    }
    assert_eq!(x, a.to_fr());
    assert_eq!(<Bn254HashOut as GenericHashOut<F>>::from_bytes(&GenericHashOut::<F>::to_bytes(&a)), a);
}

/// A small circuit (x ↦ x² + x, 2⁹ times) proved under `C`; returns the prove time.
fn prove_and_verify<C: GenericConfig<2, F = F>>(tamper: bool) -> std::time::Duration {
    let mut builder = CircuitBuilder::<F, 2>::new(CircuitConfig::standard_recursion_config());
    let x = builder.add_virtual_target();
    let mut acc = x;
    for _ in 0..512 {
        acc = builder.mul_add(acc, acc, x);
    }
    builder.register_public_input(x);
    builder.register_public_input(acc);
    let data = builder.build::<C>();
    let mut pw = PartialWitness::new();
    pw.set_target(x, F::from_canonical_u64(3)).unwrap();
    let start = Instant::now();
    let proof = data.prove(pw).unwrap();
    let elapsed = start.elapsed();
    data.verify(proof.clone()).unwrap();
    if tamper {
        let mut wrong_input = proof.clone();
        wrong_input.public_inputs[1] += F::ONE;
        assert!(data.verify(wrong_input).is_err(), "a wrong public input verified");
        let mut wrong_cap = proof.clone();
        wrong_cap.proof.wires_cap.0[0] = wrong_cap.proof.plonk_zs_partial_products_cap.0[0];
        assert!(data.verify(wrong_cap).is_err(), "a swapped Merkle cap verified");
    }
    elapsed
}

#[test]
fn a_plonky2_proof_under_poseidon_bn254_verifies_and_tampering_fails() {
    let bn254 = prove_and_verify::<PoseidonBn254GoldilocksConfig>(true);
    let goldilocks = prove_and_verify::<PoseidonGoldilocksConfig>(false);
    eprintln!(
        "plonky2 prove, 2^9 mul_add circuit: Poseidon-BN254 {:.0?}, Poseidon-Goldilocks {:.0?} ({:.1}x)",
        bn254,
        goldilocks,
        bn254.as_secs_f64() / goldilocks.as_secs_f64()
    );
}
