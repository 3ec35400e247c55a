//! Block headers, the chained state, and the witness a block travels with.

use plonky2::field::types::Field;
use serde::{Deserialize, Serialize};

use frispool_core::block_commitment;
use frispool_core::layout::{DIGEST_LEN, STATE_LEN};

use crate::account::Account;
use crate::hashes::zero_digest;
use crate::tx::SignedTx;
use crate::{Digest, F};

/// What `main` chains from one transaction (and one instance) to the next: the layout's chained state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainState {
    pub root: Digest,
    pub tx_hash: Digest,
    pub withdrawals_hash: Digest,
    /// The running hash of (sender key, signed message) over the transfers and withdrawals
    /// (`frispool_sig::running_hash`): what the `sig` circuit type chains and the scheduler compares.
    pub sig_hash: Digest,
}

impl ChainState {
    /// The state at the start of a block: its previous root and the running hashes at zero.
    pub fn start(prev_root: Digest) -> Self {
        Self { root: prev_root, tx_hash: zero_digest(), withdrawals_hash: zero_digest(), sig_hash: zero_digest() }
    }

    /// `root ‖ tx hash ‖ withdrawals hash ‖ sig hash`, as in the public inputs (`layout::basic::STATE_IN`,
    /// `layout::main_state`).
    pub fn to_fields(&self) -> [F; STATE_LEN] {
        let mut out = [F::ZERO; STATE_LEN];
        for (i, d) in [self.root, self.tx_hash, self.withdrawals_hash, self.sig_hash].iter().enumerate() {
            out[i * DIGEST_LEN..(i + 1) * DIGEST_LEN].copy_from_slice(&d.elements);
        }
        out
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockHeader {
    pub number: u64,
    pub prev_root: Digest,
    pub new_root: Digest,
    pub tx_hash: Digest,
    pub withdrawals_hash: Digest,
    /// Transactions in the block, padding included: it fixes how many `main` instances prove it.
    pub tx_count: u64,
}

impl BlockHeader {
    /// The scheduler's output: `layout::block_commitment` of this header.
    pub fn commitment(&self) -> Digest {
        block_commitment(self.number, self.prev_root, self.new_root, self.tx_hash, self.withdrawals_hash)
    }

    /// Whether `end` (a re-executed block's last state) ends where this header says; the header does not
    /// carry the signed-pairs hash, which follows from the transactions the tx hash already commits to.
    pub fn ends_at(&self, end: &ChainState) -> bool {
        (end.root, end.tx_hash, end.withdrawals_hash) == (self.new_root, self.tx_hash, self.withdrawals_hash)
    }
}

/// A touched account before the transaction touched it, and its path in the tree at that moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountWitness {
    pub index: u32,
    pub account: Account,
    /// [`crate::limits::TREE_DEPTH`] sibling digests, bottom-up.
    pub siblings: Vec<Digest>,
}

/// The Merkle witnesses of one transaction: the sender's on the root before it, then the receiver's on the
/// root after the sender's update.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TxWitness {
    pub sender: Option<AccountWitness>,
    pub receiver: Option<AccountWitness>,
}

/// What the sequencer hands out per block (`GET /proof_generation_data`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockWitness {
    pub header: BlockHeader,
    pub transactions: Vec<SignedTx>,
    /// One per transaction, in order.
    pub witnesses: Vec<TxWitness>,
}
