//! The circuit of one registered basic type, built or loaded, proving payloads of its witnesses.

use std::any::Any;
use std::sync::Arc;

use frispool_core::layout::basic;
use frispool_core::{circuit_config, cpu_backend, CircuitType, Proof, SharedBackend, C, D, F};
use plonky2::iop::witness::PartialWitness;
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::CircuitData;

use super::ErasedType;
use crate::error::CircuitError;

pub struct BasicCircuit {
    pub circuit_type: CircuitType,
    pub data: CircuitData<F, C, D>,
    kind: Arc<dyn ErasedType>,
    targets: Box<dyn Any + Send + Sync>,
    backend: SharedBackend,
}

/// The type's construction on a builder of the one configuration, its public inputs checked against the
/// layout every aggregation circuit reads.
fn construct(kind: &dyn ErasedType) -> Result<(CircuitBuilder<F, D>, Box<dyn Any + Send + Sync>), CircuitError> {
    let mut builder = CircuitBuilder::<F, D>::new(circuit_config());
    let targets = kind.construct(&mut builder);
    let got = builder.num_public_inputs();
    if got != basic::LEN {
        return Err(CircuitError::BasicLayout { circuit_type: kind.circuit_type(), got, expected: basic::LEN });
    }
    Ok((builder, targets))
}

impl BasicCircuit {
    pub(crate) fn build(kind: Arc<dyn ErasedType>) -> Result<Self, CircuitError> {
        let (builder, targets) = construct(&*kind)?;
        let data = builder.build::<C>();
        Ok(Self { circuit_type: kind.circuit_type(), data, kind, targets, backend: cpu_backend() })
    }

    /// Around prover data loaded from disk: only the construction runs, to recover the targets, and it must
    /// fit the data.
    pub(crate) fn from_data(kind: Arc<dyn ErasedType>, data: CircuitData<F, C, D>) -> Result<Self, CircuitError> {
        let (builder, targets) = construct(&*kind)?;
        frispool_aggregation::check_construction(kind.circuit_type().name(), builder, &data)
            .map_err(CircuitError::from_loading)?;
        Ok(Self { circuit_type: kind.circuit_type(), data, kind, targets, backend: cpu_backend() })
    }

    /// Proves on `backend` from now on (every circuit starts on the CPU).
    pub fn use_backend(&mut self, backend: SharedBackend) {
        self.backend = backend;
    }

    /// The partial witness [`Self::prove`] proves: every input target set from `payload`.
    pub fn witness(&self, payload: &[u8]) -> Result<PartialWitness<F>, CircuitError> {
        let mut pw = PartialWitness::new();
        self.kind.fill(&self.targets, payload, &mut pw)?;
        Ok(pw)
    }

    /// Proves one instance from its witness payload (as [`crate::Registry::instances`] encoded it).
    pub fn prove(&self, payload: &[u8]) -> Result<Proof, CircuitError> {
        let pw = self.witness(payload)?;
        frispool_core::prove(&*self.backend, &self.data, pw).map_err(CircuitError::Prove)
    }
}
