//! The basic circuit `main`: transactions in order — balances, nonces, keys, Merkle updates — chaining
//! `root ‖ tx hash ‖ withdrawals hash ‖ sig hash` from one instance to the next.

mod circuit;
mod kind;
mod slot;
mod witness;

pub use circuit::{expected_public_inputs, MainCircuit};
pub(crate) use kind::MainType;
pub use slot::{ChainTargets, SlotField, SlotTargets};
pub use witness::{main_chunks, main_chunks_of, LeafWitness, MainChunkWitness, SlotWitness};

/// Transaction slots per `main` instance (the last chunk of a block is padded). A slot is 151 rows (137 of
/// them Poseidon; the signed-pairs hash added 3 to the 148 before it): 54 slots are 8139 gates, the most
/// that fit 2^13 rows with plonky2's own gates (55 were 8158 before).
pub const MAIN_TXS_PER_INSTANCE: usize = 54;
