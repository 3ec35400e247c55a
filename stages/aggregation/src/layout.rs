//! The public-input layouts every frispool circuit agrees on.
//!
//! This module is the contract between the basic circuits (round 0, crate `frispool-circuits`) and the
//! aggregation circuits (rounds 1–4, this crate). It holds no circuit logic: only positions, sizes and the
//! native form of the values the scheduler commits to, so that the sequencer can recompute them.
//!
//! A *chained state* is [`STATE_LEN`] field elements that every instance of one circuit type takes in and
//! gives out; instance `i + 1` must start where instance `i` ended. For `main` it is
//! `root (4) ‖ transactions hash (4) ‖ withdrawals hash (4)`; a type that needs fewer values pads with zeros.

use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::field::types::{Field, Field64};
use plonky2::hash::hash_types::HashOut;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::plonk::config::Hasher;

/// The field of every frispool circuit.
pub type F = GoldilocksField;
/// The hash configuration of every frispool circuit (Poseidon over Goldilocks).
pub type C = plonky2::plonk::config::PoseidonGoldilocksConfig;
/// Degree of the extension field used by FRI.
pub const D: usize = 2;

/// Independent repetitions of the permutation and constraint-combination challenges (β, γ, α, each drawn
/// from the 64-bit base field). plonky2's default of 2 gives the permutation argument only
/// 2·(64 − log2(rows · 80 routed wires)) ≈ 87–89 bits at frispool's sizes; 3 gives ≈ 131 bits, so FRI's
/// 100 bits is the whole protocol's level (`frispool_circuits::security`, CIRCUITS.md).
pub const NUM_CHALLENGES: usize = 3;

/// The circuit configuration of every frispool circuit: plonky2's standard recursion configuration
/// (135 wires, 80 routed; FRI rate 1/8, 28 queries, 16 proof-of-work bits: 100 bits of conjectured
/// security) with [`NUM_CHALLENGES`] challenges. One configuration everywhere keeps recursion simple.
pub fn circuit_config() -> plonky2::plonk::circuit_data::CircuitConfig {
    plonky2::plonk::circuit_data::CircuitConfig {
        num_challenges: NUM_CHALLENGES,
        ..plonky2::plonk::circuit_data::CircuitConfig::standard_recursion_config()
    }
}

/// Field elements in one chained state.
pub const STATE_LEN: usize = 12;
/// Field elements in a hash digest (plonky2's `HashOut`).
pub const DIGEST_LEN: usize = 4;

/// Circuit types of round 0. The number is what the circuit exposes as public input 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CircuitType {
    /// Transactions in order: balances, nonces, Merkle updates.
    Main = 1,
    /// Signatures of a chunk (its own issue; the number is reserved).
    Sig = 2,
}

impl CircuitType {
    pub fn id(self) -> u64 {
        self as u64
    }
    /// The short name used in job keys (`b00000042.r0.main.d0.g0003`).
    pub fn name(self) -> &'static str {
        match self {
            CircuitType::Main => "main",
            CircuitType::Sig => "sig",
        }
    }
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "main" => Some(CircuitType::Main),
            "sig" => Some(CircuitType::Sig),
            _ => None,
        }
    }
    pub fn from_id(id: u64) -> Option<Self> {
        match id {
            1 => Some(CircuitType::Main),
            2 => Some(CircuitType::Sig),
            _ => None,
        }
    }
}

/// Public inputs of a basic (round 0) proof:
/// `type ‖ block ‖ instance ‖ state_in (12) ‖ state_out (12)`.
pub mod basic {
    use super::STATE_LEN;
    pub const TYPE: usize = 0;
    pub const BLOCK: usize = 1;
    pub const INSTANCE: usize = 2;
    pub const STATE_IN: usize = 3;
    pub const STATE_OUT: usize = STATE_IN + STATE_LEN;
    pub const LEN: usize = STATE_OUT + STATE_LEN;
}

/// Public inputs of a leaf (round 1) or node (round 2) proof — one layout for both:
/// `type ‖ block ‖ first instance ‖ last instance ‖ state_in (12) ‖ state_out (12) ‖ vk commitment (4)`.
///
/// The vk commitment is `Poseidon(leaf vk digest ‖ node vk digest)`: the verifier keys this proof accepted
/// for its children. The recursion tip checks it against the constants of the protocol version.
pub mod agg {
    use super::{DIGEST_LEN, STATE_LEN};
    pub const TYPE: usize = 0;
    pub const BLOCK: usize = 1;
    pub const FIRST: usize = 2;
    pub const LAST: usize = 3;
    pub const STATE_IN: usize = 4;
    pub const STATE_OUT: usize = STATE_IN + STATE_LEN;
    pub const VK_COMMIT: usize = STATE_OUT + STATE_LEN;
    pub const LEN: usize = VK_COMMIT + DIGEST_LEN;
}

/// Where `main` keeps its values inside a chained state: `root (4) ‖ transactions hash (4) ‖ withdrawals hash (4)`.
pub mod main_state {
    pub const ROOT: usize = 0;
    pub const TX_HASH: usize = 4;
    pub const WITHDRAWALS_HASH: usize = 8;
}

/// Public inputs of the recursion tip (round 3) proof: `block ‖ slot 0 ‖ slot 1 ‖ …`, one slot per circuit
/// type in the order the tip was built with, each slot `last instance ‖ state_in (12) ‖ state_out (12)`.
/// The types themselves are constants of the tip circuit, so they are not repeated here.
pub mod tip {
    use super::STATE_LEN;
    pub const BLOCK: usize = 0;
    /// Offsets inside one slot.
    pub const SLOT_LAST: usize = 0;
    pub const SLOT_STATE_IN: usize = 1;
    pub const SLOT_STATE_OUT: usize = SLOT_STATE_IN + STATE_LEN;
    pub const SLOT_LEN: usize = SLOT_STATE_OUT + STATE_LEN;
    /// Index of the first public input of slot `k`.
    pub const fn slot(k: usize) -> usize {
        1 + k * SLOT_LEN
    }
    /// Number of public inputs of a tip over `types` circuit types.
    pub const fn len(types: usize) -> usize {
        slot(types)
    }
}

/// Public inputs of the scheduler (round 4) proof, and so of the final proof:
/// `block ‖ commitment (4)`, the commitment being [`block_commitment`].
pub mod scheduler {
    use super::DIGEST_LEN;
    pub const BLOCK: usize = 0;
    pub const COMMITMENT: usize = 1;
    pub const LEN: usize = COMMITMENT + DIGEST_LEN;
}

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
