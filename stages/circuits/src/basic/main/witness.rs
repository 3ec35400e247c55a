//! What one `main` instance proves: the chained state before a chunk of transactions, and per slot the
//! transaction and the old leaves and paths of the accounts it touches. Everything else — new leaves, new
//! roots, running hashes, the state after — the circuit computes itself.

use frispool_rollup::limits::TREE_DEPTH;
use frispool_rollup::TxFields;
use frispool_rollup::NO_KEY;
use frispool_rollup::{Account, AccountWitness, ChainState, Digest, ExecutedBlock, ExecutedTx, PubKey, Tx, TxKind};
use plonky2::hash::hash_types::HashOut;
use serde::{Deserialize, Serialize};

use super::MAIN_TXS_PER_INSTANCE;

/// A touched account before the update, and its sibling path on the root at that moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeafWitness {
    pub account: Account,
    pub siblings: Vec<Digest>,
}

impl LeafWitness {
    /// What an untouched role holds: the circuit checks nothing about it.
    pub fn unused() -> Self {
        Self { account: Account::EMPTY, siblings: vec![HashOut::ZERO; TREE_DEPTH] }
    }

    fn from_account_witness(w: Option<&AccountWitness>) -> Self {
        w.map(|w| Self { account: w.account, siblings: w.siblings.clone() }).unwrap_or_else(Self::unused)
    }
}

/// One transaction slot of the circuit. `sender` is walked on the root before the slot, `receiver` on the
/// root after the sender's update.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotWitness {
    pub tx: TxFields,
    /// The deposit's key, or the sender's key for a transfer or withdrawal (what the tx hash absorbs).
    pub key: PubKey,
    pub sender: LeafWitness,
    pub receiver: LeafWitness,
}

impl SlotWitness {
    /// A padding slot: changes none of the chained values.
    pub fn noop() -> Self {
        Self { tx: Tx::Noop.fields(), key: NO_KEY, sender: LeafWitness::unused(), receiver: LeafWitness::unused() }
    }

    pub fn from_executed(tx: &ExecutedTx) -> Self {
        Self {
            tx: tx.tx.tx.fields(),
            key: tx.key,
            sender: LeafWitness::from_account_witness(tx.sender.as_ref()),
            receiver: LeafWitness::from_account_witness(tx.receiver.as_ref()),
        }
    }

    pub fn is_noop(&self) -> bool {
        self.tx.kind == TxKind::Noop
    }
}

/// The witness of one `main` instance (a round 0 witness artifact's payload).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MainChunkWitness {
    pub block: u64,
    /// Index of this chunk in the block (public input `INSTANCE`).
    pub instance: u64,
    pub state_in: ChainState,
    /// The block's transactions `instance * capacity ..`; at most [`MAIN_TXS_PER_INSTANCE`], padded by the
    /// circuit.
    pub slots: Vec<SlotWitness>,
    /// The state the native execution reached after this chunk. The circuit does not read it: it is what the
    /// proof's `state_out` must equal, for the witness stage's and the aggregation plan's use.
    pub expected_out: ChainState,
}

/// Cuts an executed block into `main` instances of [`MAIN_TXS_PER_INSTANCE`] transactions. An empty block
/// still gets one (all-padding) instance, so every block has a `main` proof chaining its roots.
pub fn main_chunks(block: &ExecutedBlock) -> Vec<MainChunkWitness> {
    main_chunks_of(block, MAIN_TXS_PER_INSTANCE)
}

/// [`main_chunks`] for a `main` of `capacity` slots (the larger-instance keygen profile).
pub fn main_chunks_of(block: &ExecutedBlock, capacity: usize) -> Vec<MainChunkWitness> {
    assert!(capacity > 0, "a main instance holds at least one transaction");
    let start = ChainState::start(block.header.prev_root);
    if block.txs.is_empty() {
        return vec![MainChunkWitness {
            block: block.header.number,
            instance: 0,
            state_in: start,
            slots: Vec::new(),
            expected_out: start,
        }];
    }
    block
        .txs
        .chunks(capacity)
        .enumerate()
        .map(|(i, txs)| MainChunkWitness {
            block: block.header.number,
            instance: i as u64,
            state_in: txs[0].before,
            slots: txs.iter().map(SlotWitness::from_executed).collect(),
            expected_out: txs[txs.len() - 1].after,
        })
        .collect()
}
