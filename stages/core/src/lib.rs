//! The vocabulary every frispool crate shares, and nothing else: the field and the one circuit
//! configuration, the public-input layouts every circuit agrees on ([`layout`]), the identity of a round-0
//! circuit type and how the scheduler binds its chain ([`ChainBinding`]), the aggregation rounds a block goes
//! through, the block commitment the scheduler proves and the verifier recomputes, the seam where a proving
//! backend plugs in ([`ProvingBackend`]), and the witness vector a witness-vector generator hands to a prover
//! on another machine ([`WitnessVector`]).
//!
//! Architecture invariant: no circuits and no I/O here. The native model (`frispool-rollup`) depends on
//! this crate for the field and the commitment, so it must stay free of any circuit: circuits live in
//! `frispool-aggregation` and `frispool-circuits`, above it.

mod binding;
mod circuit_type;
mod commitment;
mod config;
pub mod layout;
mod poseidon_row;
mod prover;
mod round;
mod wire_columns;
mod witness_gen;
mod witness_vector;

pub use binding::ChainBinding;
pub use circuit_type::CircuitType;
pub use commitment::block_commitment;
pub use config::{circuit_config, Proof, C, D, F, NUM_CHALLENGES};
pub use prover::{
    cpu_backend, current_job, prove, reproducible_witness, with_job, BackendError, CpuProver, ProveError,
    ProvingBackend, SharedBackend,
};
pub use round::{AggregationRound, UnknownRound};
pub use wire_columns::{wire_columns, WIRE_COLUMNS_SWITCH_VAR};
pub use witness_gen::{generate_witness, WitnessGenError};
#[doc(hidden)]
pub use witness_gen::{schedule_levels, set_schedule};
pub use witness_vector::{WitnessVector, WitnessVectorError, ENCODING_FORMAT as WITNESS_VECTOR_FORMAT};
