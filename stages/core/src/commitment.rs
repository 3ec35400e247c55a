//! The block commitment: what the scheduler proves and an L1 verifier recomputes from a block header.

use plonky2::field::types::{Field, Field64};
use plonky2::hash::hash_types::HashOut;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::plonk::config::Hasher;

use crate::layout::DIGEST_LEN;
use crate::F;

/// What an L1 verifier checks a block against: one Poseidon digest of
/// `block number ‖ previous root ‖ new root ‖ transactions hash ‖ withdrawals hash`.
/// The scheduler circuit computes exactly this from the chained state of `main`.
pub fn block_commitment(
    block_number: u64,
    prev_root: HashOut<F>,
    new_root: HashOut<F>,
    tx_hash: HashOut<F>,
    withdrawals_hash: HashOut<F>,
) -> HashOut<F> {
    let mut input = Vec::with_capacity(1 + 4 * DIGEST_LEN);
    assert!(block_number < F::ORDER, "block number {block_number} is not a Goldilocks element");
    input.push(F::from_canonical_u64(block_number));
    for h in [prev_root, new_root, tx_hash, withdrawals_hash] {
        input.extend_from_slice(&h.elements);
    }
    PoseidonHash::hash_no_pad(&input)
}
