//! Typed errors of the circuits crate.

use frispool_aggregation::AggError;
use frispool_core::{CircuitType, ProveError};
use thiserror::Error;

/// plonky2 reports witness and verifier failures as `anyhow::Error`; boxed so they stay a real `source()`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, Error)]
pub enum CircuitError {
    #[error("chunk has {got} slots, the circuit takes at most {capacity}")]
    TooManySlots { got: usize, capacity: usize },
    #[error("slot {slot}: {role} path has {got} siblings, expected {expected}")]
    PathLength { slot: usize, role: &'static str, got: usize, expected: usize },
    #[error("could not assign the witness: {0:#}")]
    Witness(#[source] BoxError),
    #[error("proving failed: {0:#}")]
    Prove(#[source] ProveError),
    #[error("proof rejected: {0:#}")]
    Verify(#[source] BoxError),
    /// Prover data read from disk that this build's construction of the circuit does not fit: another
    /// build (other circuit code) wrote it.
    #[error(transparent)]
    DoesNotFit(AggError),
    /// Building or assembling the aggregation circuits failed.
    #[error(transparent)]
    Aggregation(AggError),
    #[error("no circuit named {0}")]
    NoSuchCircuit(String),
    /// plonky2 could not serialise a key (`key`: verifier or prover); its errors carry nothing but `detail`.
    #[error("cannot serialise the {key} key of {circuit}: {detail}")]
    Encode { key: &'static str, circuit: String, detail: String },
    #[error("{key} key {circuit} does not decode: {detail}")]
    Decode { key: &'static str, circuit: String, detail: String },
    /// A type's instance witness would not encode, or a payload is not one of its witnesses.
    #[error("witness payload of circuit type {circuit_type}")]
    Payload {
        circuit_type: CircuitType,
        #[source]
        source: BoxError,
    },
    /// A basic circuit was handed targets another type's construction made: a bug of the registry's, kept an
    /// error so a prover fails the job instead of crashing.
    #[error("the targets of circuit type {0} are of another type")]
    ForeignTargets(CircuitType),
    /// A `sig` witness item whose key is no curve point or whose signature is malformed (limbs not canonical,
    /// s >= n): no valid signature, so it cannot be proven.
    #[error("sig slot {slot}")]
    SigItem {
        slot: usize,
        #[source]
        source: frispool_sig::SigError,
    },
    #[error("circuit type {circuit_type} registered {got} public inputs, layout::basic has {expected}")]
    BasicLayout { circuit_type: CircuitType, got: usize, expected: usize },
}

impl CircuitError {
    /// An aggregation error met while loading keys: a construction that does not fit the loaded data is
    /// told apart (the keys come from another build), everything else is an aggregation error.
    pub fn from_loading(e: AggError) -> CircuitError {
        match e {
            AggError::KeyMismatch { .. } => CircuitError::DoesNotFit(e),
            other => CircuitError::Aggregation(other),
        }
    }
}
