//! plonky2 circuits of frispool: the basic (round 0) circuit `main`, compression, protocol keys, and the stages' API; see CIRCUITS.md (repository root) for the rule →
//! constraint → negative test table. No I/O: the stages call these functions.

pub mod basic;
pub mod error;

pub use basic::main::{main_chunks, LeafWitness, MainChunkWitness, MainCircuit, SlotWitness, MAIN_TXS_PER_INSTANCE};
pub use error::CircuitError;
pub mod compress;
pub mod keys;
pub mod api;
pub mod security;

pub use api::{ApiError, FinalProofWire, FinalVerifier, PlanWire, ProofWire, WitnessWire};
pub use keys::{KeyManifest, ProtocolKeys};
