//! Running plonky2's prover so that a bad input is an error, never a crash.
//!
//! plonky2 reports some unsatisfiable witnesses as errors (conflicting copy constraints) but panics on
//! others (e.g. a bit decomposition inside the in-circuit verifier when an inner proof does not verify
//! under the key it is checked with). A worker must turn a bad job into a failed ticket, so both become
//! [`AggError::Prove`].

use std::panic::{catch_unwind, AssertUnwindSafe};

use plonky2::iop::witness::PartialWitness;
use plonky2::plonk::circuit_data::CircuitData;

use crate::error::{AggError, Result};
use crate::layout::{C, D, F};
use crate::Proof;

#[derive(Debug, thiserror::Error)]
#[error("the prover panicked: {0}")]
pub struct ProverPanicked(pub String);

/// Fill the witness with `witness` (which may panic too, on an inner proof of another shape) and prove.
pub fn prove(
    circuit: &'static str,
    data: &CircuitData<F, C, D>,
    witness: impl FnOnce() -> Result<PartialWitness<F>>,
) -> Result<Proof> {
    let run = || {
        witness().and_then(|pw| {
            data.prove(pw).map_err(|e| AggError::Prove {
                circuit,
                source: e.into(),
            })
        })
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(result) => result,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "non-string panic payload".to_string());
            Err(AggError::Prove {
                circuit,
                source: Box::new(ProverPanicked(msg)),
            })
        }
    }
}
