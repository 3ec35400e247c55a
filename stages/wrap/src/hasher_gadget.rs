//! [`PoseidonBn254Hash`]'s hashing in R1CS: the same packing, sponge and compression, so that a digest the
//! last plonky2 layer computed natively is recomputed inside the wrapper.
//!
//! Every Goldilocks input is reduced to canonical form before it is packed: a non-canonical representative
//! would pack to another lane value, so to another digest, for the same elements.
//!
//! [`PoseidonBn254Hash`]: crate::PoseidonBn254Hash

use crate::goldilocks_gadget::GoldilocksVar;
use crate::poseidon_gadget::{poseidon_permute_var, PoseidonStateVar};
use ark_bn254::Fr;
use ark_ff::Field;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::SynthesisError;

/// `e₀ + e₁·2⁶⁴ + e₂·2¹²⁸` for up to three canonical elements: linear, so free once they are canonical.
pub fn pack_var(elements: &[GoldilocksVar]) -> Result<FpVar<Fr>, SynthesisError> {
    debug_assert!(elements.len() <= 3);
    let two64 = Fr::from(2u64).pow([64]);
    let mut packed = FpVar::zero();
    let mut coeff = Fr::from(1u64);
    for e in elements {
        packed += e.canonical_fp()? * coeff;
        coeff *= two64;
    }
    Ok(packed)
}

/// `hash_no_pad`: lanes 1..=3 overwritten with 9 packed elements per permutation; the digest is lane 0.
pub fn hash_no_pad_var(input: &[GoldilocksVar]) -> Result<FpVar<Fr>, SynthesisError> {
    let mut state: PoseidonStateVar = std::array::from_fn(|_| FpVar::zero());
    for chunk in input.chunks(9) {
        for (lane, part) in chunk.chunks(3).enumerate() {
            state[lane + 1] = pack_var(part)?;
        }
        state = poseidon_permute_var(&state)?;
    }
    Ok(state[0].clone())
}

/// `hash_or_noop`: up to three elements are packed, more are hashed.
pub fn hash_or_noop_var(input: &[GoldilocksVar]) -> Result<FpVar<Fr>, SynthesisError> {
    if input.len() <= 3 {
        pack_var(input)
    } else {
        hash_no_pad_var(input)
    }
}

/// `two_to_one`: `[0, 0, left, right]` permuted, lane 0.
pub fn two_to_one_var(left: &FpVar<Fr>, right: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    let state = [FpVar::zero(), FpVar::zero(), left.clone(), right.clone()];
    Ok(poseidon_permute_var(&state)?[0].clone())
}
