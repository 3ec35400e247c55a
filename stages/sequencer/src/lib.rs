//! The sequencer: the operator's side of frispool.
//!
//! It keeps the rollup state in its own small on-disk store ([`Store`]), produces blocks, and serves the
//! HTTP API of [`serve`]: `GET /proof_generation_data`, `POST /submit_proof/{block}`, `GET /blocks/{n}`,
//! `GET /openapi.json` — the contract, published as [`OPENAPI`] and routed by [`ENDPOINTS`].
//! It checks a submitted proof the way an L1 contract would, through a [`ProofCheck`] the binary gives it
//! (the circuits' final verifier), so this crate knows nothing of plonky2.
//!
//! Architecture invariant: the sequencer never reads the spool; it meets the provers only over HTTP.

mod api;
mod routes;
mod server;
mod store;

use frispool_rollup::BlockHeader;

/// Checks a final proof against the header of the block it claims to prove. `Err` carries the reason that
/// goes back to the client in a 400 answer.
pub type ProofCheck = Box<dyn Fn(&BlockHeader, &[u8]) -> Result<(), String> + Send + Sync>;

pub use api::{Endpoint, ENDPOINTS, FORMAT_VERSION_HEADER, OPENAPI, PROOF_GENERATION_DATA_VERSION};
pub use server::{serve, BlockEncoder, ServerConfig, ServerHandle};
pub use store::{BlockRecord, BlockStatus, Store, StoreError, BLOCK_INPUT, SEQUENCER_STATE, STORE_KINDS};
