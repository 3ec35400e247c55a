//! The public-input layouts every frispool circuit agrees on.
//!
//! This module is the contract between the basic circuits (round 0, crate `frispool-circuits`) and the
//! aggregation circuits (rounds 1–4, crate `frispool-aggregation`). It holds no circuit logic: only positions
//! and sizes, so that the native model and the verifier can read and recompute what the circuits expose.
//!
//! A *chained state* is [`STATE_LEN`] field elements that every instance of one circuit type takes in and
//! gives out; instance `i + 1` must start where instance `i` ended. For `main` it is
//! `root (4) ‖ transactions hash (4) ‖ withdrawals hash (4) ‖ signed-pairs hash (4)`; a type that needs fewer
//! values pads with zeros.

/// Field elements in one chained state.
pub const STATE_LEN: usize = 16;
/// Field elements in a hash digest (plonky2's `HashOut`).
pub const DIGEST_LEN: usize = 4;

/// Public inputs of a basic (round 0) proof:
/// `type ‖ block ‖ instance ‖ state_in (16) ‖ state_out (16)`.
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
/// `type ‖ block ‖ first instance ‖ last instance ‖ state_in (16) ‖ state_out (16) ‖ vk commitment (4)`.
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

/// Where `main` keeps its values inside a chained state: `root (4) ‖ transactions hash (4) ‖ withdrawals hash (4)
/// ‖ signed-pairs hash (4)`. The last is the running hash of (sender key, signed message) over the block's
/// transfers and withdrawals, the one the `sig` type chains too: the scheduler ties the two together.
pub mod main_state {
    pub const ROOT: usize = 0;
    pub const TX_HASH: usize = 4;
    pub const WITHDRAWALS_HASH: usize = 8;
    pub const SIG_HASH: usize = 12;
}

/// Public inputs of the recursion tip (round 3) proof: `block ‖ slot 0 ‖ slot 1 ‖ …`, one slot per circuit
/// type in the order the tip was built with, each slot `last instance ‖ state_in (16) ‖ state_out (16)`.
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
/// `block ‖ commitment (4)`, the commitment being [`crate::block_commitment`].
pub mod scheduler {
    use super::DIGEST_LEN;
    pub const BLOCK: usize = 0;
    pub const COMMITMENT: usize = 1;
    pub const LEN: usize = COMMITMENT + DIGEST_LEN;
}
