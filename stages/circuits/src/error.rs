use thiserror::Error;

#[derive(Debug, Error)]
pub enum CircuitError {
    #[error("chunk has {got} slots, the circuit takes at most {capacity}")]
    TooManySlots { got: usize, capacity: usize },
    #[error("slot {slot}: {role} path has {got} siblings, expected {expected}")]
    PathLength { slot: usize, role: &'static str, got: usize, expected: usize },
    #[error("could not assign the witness: {0:#}")]
    Witness(#[source] anyhow::Error),
    #[error("proving failed: {0:#}")]
    Prove(#[source] anyhow::Error),
    #[error("keys: {0}")]
    Keys(String),
    #[error("proof rejected: {0:#}")]
    Verify(#[source] anyhow::Error),
}
