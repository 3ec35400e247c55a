//! The wrapper's public input: one BN254 element committing to the block's final public inputs
//! (plonky2 Goldilocks elements), so that the L1 verifier takes one input whatever their number.
//!
//! The commitment is [`PoseidonBn254Hash`]'s `hash_no_pad` of the public inputs — the last layer's own hash,
//! with its packing (three Goldilocks elements per lane) — computed natively by [`commit_public_inputs`]
//! and in R1CS by [`commit_public_inputs_var`]. [`CommitmentCircuit`] is the part of the wrapper circuit
//! that exposes it; the plonky2 verifier will sit beside it, sharing the public-input variables.

use crate::goldilocks_gadget::GoldilocksVar;
use crate::hasher_gadget::hash_no_pad_var;
use crate::plonky2_hasher::PoseidonBn254Hash;
use ark_bn254::Fr;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::field::types::{Field, PrimeField64};
use plonky2::plonk::config::Hasher;

/// The commitment to `public_inputs`, natively.
pub fn commit_public_inputs(public_inputs: &[GoldilocksField]) -> Fr {
    <PoseidonBn254Hash as Hasher<GoldilocksField>>::hash_no_pad(public_inputs).to_fr()
}

/// The commitment in R1CS: `hash_no_pad` of the (range-checked) inputs.
pub fn commit_public_inputs_var(public_inputs: &[GoldilocksVar]) -> Result<FpVar<Fr>, SynthesisError> {
    hash_no_pad_var(public_inputs)
}

/// The statement "the block's final public inputs are `public_inputs`, committed to as the one public input".
/// Their number fixes the circuit's shape.
#[derive(Clone, Debug)]
pub struct CommitmentCircuit {
    pub public_inputs: Vec<GoldilocksField>,
}

impl CommitmentCircuit {
    /// What the verifier is given: the commitment.
    pub fn snark_inputs(&self) -> Vec<Fr> {
        vec![commit_public_inputs(&self.public_inputs)]
    }
}

impl ConstraintSynthesizer<Fr> for CommitmentCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let commitment = FpVar::new_input(cs.clone(), || Ok(commit_public_inputs(&self.public_inputs)))?;
        let inputs = self
            .public_inputs
            .iter()
            .map(|x| GoldilocksVar::new_witness(cs.clone(), Some(x.to_canonical_u64())))
            .collect::<Result<Vec<_>, _>>()?;
        commit_public_inputs_var(&inputs)?.enforce_equal(&commitment)
    }
}

/// Final public inputs of a sample block: what the scheduler's proof would expose, here derived from the
/// block number so that two blocks differ.
pub fn sample_public_inputs(block: u64, len: usize) -> Vec<GoldilocksField> {
    (0..len as u64)
        .map(|i| GoldilocksField::from_noncanonical_u64(block.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (i * 0x1_0001)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_relations::gr1cs::ConstraintSystem;

    #[test]
    fn circuit_and_native_commitments_agree() {
        for len in [1, 3, 9, 10, 20] {
            let circuit = CommitmentCircuit { public_inputs: sample_public_inputs(7, len) };
            let cs = ConstraintSystem::<Fr>::new_ref();
            circuit.clone().generate_constraints(cs.clone()).unwrap();
            assert!(cs.is_satisfied().unwrap(), "len {len}");
            // 65 per range-checked input, 264 per permutation, 1 for the equality — less the first round's
            // S-boxes on lanes that are still constants (lane 0, and lanes the first chunk leaves empty).
            let permutations = len.div_ceil(9);
            let constant_lanes = 1 + 3 - len.min(9).div_ceil(3);
            let expected = 65 * len + 264 * permutations + 1 - 3 * constant_lanes;
            assert_eq!(cs.num_constraints(), expected, "len {len}");
        }
    }

    #[test]
    fn a_commitment_to_other_inputs_is_unsatisfiable() {
        let inputs = sample_public_inputs(7, 12);
        let cs = ConstraintSystem::<Fr>::new_ref();
        let vars: Vec<_> = inputs
            .iter()
            .map(|x| GoldilocksVar::new_witness(cs.clone(), Some(x.to_canonical_u64())).unwrap())
            .collect();
        let mut other = inputs.clone();
        other[11] += GoldilocksField::ONE;
        let claimed = FpVar::new_input(cs.clone(), || Ok(commit_public_inputs(&other))).unwrap();
        commit_public_inputs_var(&vars).unwrap().enforce_equal(&claimed).unwrap();
        assert!(!cs.is_satisfied().unwrap());
    }
}
