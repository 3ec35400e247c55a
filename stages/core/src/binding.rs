//! How the scheduler ties one circuit type's chained state into its block.
//!
//! Every basic type chains a state of [`STATE_LEN`] elements from instance to instance (`layout::basic`);
//! the recursion tip exposes each type's first `state_in` and last `state_out`. A type's proofs say something
//! about *this block* only if the scheduler connects its chain to `main`'s, the anchor: this declaration is
//! what it connects. It is data, not code, so the scheduler's constraints follow from the registry alone.

use std::ops::Range;

use crate::layout::{main_state, STATE_LEN};

/// The scheduler's view of one type's chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBinding {
    /// State elements every block starts at zero: running values over the block (hashes, sums). The
    /// scheduler asserts them zero in the type's first `state_in`.
    pub fresh: Range<usize>,
    /// `(own element, main's element)` pairs equal at the end of the block, in the type's last `state_out`
    /// and `main`'s: e.g. a running hash over the block's transactions that `main` computes too. Empty only
    /// for `main` itself; any other type without one would prove nothing about the block, and is refused.
    pub agrees_with_main: Vec<(usize, usize)>,
}

impl ChainBinding {
    /// `main`'s: the root carries over from the block before, the transaction, withdrawal and signed-pairs
    /// hashes start empty; it agrees with itself.
    pub fn main() -> Self {
        ChainBinding { fresh: main_state::TX_HASH..STATE_LEN, agrees_with_main: Vec::new() }
    }

    /// Whether every index is inside a chained state.
    pub fn in_bounds(&self) -> bool {
        self.fresh.end <= STATE_LEN
            && self.agrees_with_main.iter().all(|&(own, main)| own < STATE_LEN && main < STATE_LEN)
    }
}
