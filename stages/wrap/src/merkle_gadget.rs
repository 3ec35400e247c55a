//! A plonky2 Merkle proof (trees hashed with [`PoseidonBn254Hash`]) checked in R1CS — what the wrapper does
//! for every opening of every FRI query.
//!
//! Per level: one constraint to order the pair by the index bit, and one `two_to_one` (264). The cap entry
//! is chosen by the remaining index bits with a multiplexer tree (2^cap_height − 1 constraints).
//!
//! [`PoseidonBn254Hash`]: crate::PoseidonBn254Hash

use crate::goldilocks_gadget::GoldilocksVar;
use crate::hasher_gadget::{hash_or_noop_var, two_to_one_var};
use ark_bn254::Fr;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::select::CondSelectGadget;
use ark_relations::gr1cs::SynthesisError;

/// Enforces that `leaf` sits at the index whose little-endian bits are `index_bits` (tree depth first,
/// then the cap index) in the tree whose cap is `cap`, with `siblings` from the bottom level up.
pub fn verify_merkle_proof_to_cap_var(
    leaf: &[GoldilocksVar],
    index_bits: &[Boolean<Fr>],
    cap: &[FpVar<Fr>],
    siblings: &[FpVar<Fr>],
) -> Result<(), SynthesisError> {
    let cap_bits = cap.len().trailing_zeros() as usize;
    assert!(cap.len().is_power_of_two(), "a Merkle cap has a power-of-two length");
    assert_eq!(index_bits.len(), siblings.len() + cap_bits, "one index bit per level and per cap level");

    let mut digest = hash_or_noop_var(leaf)?;
    for (bit, sibling) in index_bits.iter().zip(siblings) {
        // bit = 1: the current node is the right child. left = current + bit·(sibling − current).
        let left = FpVar::conditionally_select(bit, sibling, &digest)?;
        let right = &digest + sibling - &left;
        digest = two_to_one_var(&left, &right)?;
    }
    // ark's multiplexer reads its position big-endian.
    let position: Vec<Boolean<Fr>> = index_bits[siblings.len()..].iter().rev().cloned().collect();
    let root =
        if cap_bits == 0 { cap[0].clone() } else { FpVar::conditionally_select_power_of_two_vector(&position, cap)? };
    digest.enforce_equal(&root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plonky2_hasher::PoseidonBn254Hash;
    use ark_r1cs_std::alloc::AllocVar;
    use ark_relations::gr1cs::{ConstraintSystem, ConstraintSystemRef};
    use plonky2::field::goldilocks_field::GoldilocksField as F;
    use plonky2::field::types::{Field, PrimeField64};
    use plonky2::hash::merkle_proofs::verify_merkle_proof_to_cap;
    use plonky2::hash::merkle_tree::MerkleTree;

    const LOG_LEAVES: usize = 5;
    const CAP_HEIGHT: usize = 2;

    fn tree(leaf_len: usize) -> MerkleTree<F, PoseidonBn254Hash> {
        let leaves = (0..1u64 << LOG_LEAVES)
            .map(|i| (0..leaf_len as u64).map(|j| F::from_noncanonical_u64(i * 0x1_0000_0001 + j * 77)).collect())
            .collect();
        MerkleTree::new(leaves, CAP_HEIGHT)
    }

    /// Builds the check for `tree`'s leaf `index` with `tweak` applied to the witness; returns satisfied?
    fn check(tree: &MerkleTree<F, PoseidonBn254Hash>, index: usize, tweak: impl Fn(&mut Witness)) -> (bool, usize) {
        let proof = tree.prove(index);
        let mut w = Witness {
            leaf: tree.leaves[index].iter().map(|x| x.to_canonical_u64()).collect(),
            index,
            cap: tree.cap.0.iter().map(|h| h.to_fr()).collect(),
            siblings: proof.siblings.iter().map(|h| h.to_fr()).collect(),
        };
        tweak(&mut w);
        let cs = ConstraintSystem::<Fr>::new_ref();
        let v = |x: Fr, cs: &ConstraintSystemRef<Fr>| FpVar::new_witness(cs.clone(), || Ok(x)).unwrap();
        let leaf: Vec<_> = w.leaf.iter().map(|x| GoldilocksVar::new_witness(cs.clone(), Some(*x)).unwrap()).collect();
        let bits: Vec<_> = (0..LOG_LEAVES)
            .map(|i| Boolean::new_witness(cs.clone(), || Ok((w.index >> i) & 1 == 1)).unwrap())
            .collect();
        let cap: Vec<_> = w.cap.iter().map(|x| v(*x, &cs)).collect();
        let siblings: Vec<_> = w.siblings.iter().map(|x| v(*x, &cs)).collect();
        let before = cs.num_constraints();
        verify_merkle_proof_to_cap_var(&leaf, &bits, &cap, &siblings).unwrap();
        (cs.is_satisfied().unwrap(), cs.num_constraints() - before)
    }

    struct Witness {
        leaf: Vec<u64>,
        index: usize,
        cap: Vec<Fr>,
        siblings: Vec<Fr>,
    }

    #[test]
    fn plonky2_merkle_proofs_verify_in_r1cs() {
        for leaf_len in [2, 3, 4, 12] {
            let tree = tree(leaf_len);
            for index in [0, 5, 31] {
                let leaf = tree.leaves[index].clone();
                verify_merkle_proof_to_cap(leaf, index, &tree.cap, &tree.prove(index)).unwrap();
                let (ok, constraints) = check(&tree, index, |_| {});
                assert!(ok, "leaf_len {leaf_len} index {index}");
                if leaf_len == 12 && index == 0 {
                    eprintln!(
                        "merkle path, depth {} + cap 2^{CAP_HEIGHT}, 12-element leaf: {constraints} constraints",
                        LOG_LEAVES - CAP_HEIGHT
                    );
                }
            }
        }
    }

    #[test]
    fn a_changed_leaf_sibling_index_or_cap_is_unsatisfiable() {
        let tree = tree(12);
        let index = 9;
        assert!(check(&tree, index, |_| {}).0);
        assert!(!check(&tree, index, |w| w.leaf[4] += 1).0, "changed leaf");
        assert!(!check(&tree, index, |w| w.siblings[1] += Fr::from(1u64)).0, "changed sibling");
        assert!(!check(&tree, index, |w| w.index ^= 1).0, "neighbouring index");
        assert!(!check(&tree, index, |w| w.index ^= 1 << (LOG_LEAVES - 1)).0, "other cap entry");
        assert!(!check(&tree, index, |w| w.cap.swap(1, 2)).0, "changed cap");
    }
}
