//! The native rollup model of frispool: accounts in a Poseidon sparse Merkle tree, deposit / transfer /
//! withdrawal transactions, block execution that enforces every rule and yields the Merkle witnesses of the
//! touched accounts, and a seeded generator of valid blocks.
//!
//! No I/O: the sequencer keeps a [`State`], the witness generator re-executes a [`BlockWitness`] with
//! [`execute_block`] and trusts nothing it was given. The circuits (`frispool-circuits`) enforce the same rules
//! as [`rules`]; every constant that both sides must agree on lives in [`limits`] and [`hashes`].

mod account;
mod block;
mod checks_ahead;
mod execute;
mod generator;
mod hashes;
pub mod limits;
mod rules;
mod state;
mod tree;
mod tx;

pub use account::{Account, PubKey, NO_KEY, PUBKEY_LEN};
pub use block::{AccountWitness, BlockHeader, BlockWitness, ChainState, TxWitness};
pub use execute::{execute_block, ExecuteError, ExecutedBlock, ExecutedTx, Role};
use frispool_core::F;
pub use generator::{generated_key, BlockGenerator};
pub use hashes::zero_digest;
pub use rules::{check_signature, RuleError};
pub use state::{BlockError, State, StateSnapshot};
pub use tree::{empty_root, StateTree};
pub use tx::{Signature, SignedTx, Tx, TxFields, TxKind, SIGNED_MESSAGE_DOMAIN};

/// A Poseidon digest over the rollup's field.
pub type Digest = plonky2::hash::hash_types::HashOut<F>;
