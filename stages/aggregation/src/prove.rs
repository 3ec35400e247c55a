//! How an aggregation circuit proves: its witness filled and proven through `frispool_core::prove` (the
//! one place every frispool circuit proves), with a panic while filling the witness turned into an error
//! as well (plonky2 panics on an inner proof of another shape), so a bad job fails instead of crashing.

use std::panic::{catch_unwind, AssertUnwindSafe};

use frispool_core::{Proof, ProveError, ProvingBackend, C, D, F};
use plonky2::iop::witness::PartialWitness;
use plonky2::plonk::circuit_data::CircuitData;

use crate::error::{AggError, Result};

/// Fill the witness with `witness` and prove on `backend`.
pub(crate) fn prove(
    circuit: &'static str,
    backend: &dyn ProvingBackend,
    data: &CircuitData<F, C, D>,
    witness: impl FnOnce() -> Result<PartialWitness<F>>,
) -> Result<Proof> {
    let failed = |e: ProveError| AggError::Prove { circuit, source: Box::new(e) };
    let pw = match catch_unwind(AssertUnwindSafe(witness)) {
        Ok(filled) => filled?,
        Err(panic) => return Err(failed(ProveError::from_panic(panic))),
    };
    frispool_core::prove(backend, data, pw).map_err(failed)
}
