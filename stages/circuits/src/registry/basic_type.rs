//! What a basic circuit type provides, and nothing else; and its type-erased form the registry holds.

use std::any::Any;

use frispool_core::{ChainBinding, CircuitType, D, F};
use frispool_rollup::ExecutedBlock;
use plonky2::iop::witness::PartialWitness;
use plonky2::plonk::circuit_builder::CircuitBuilder;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::CircuitError;

/// A basic (round 0) circuit type.
///
/// Its circuit must register the public inputs of `frispool_core::layout::basic`, in that order:
/// `type (the constant id) ‖ block ‖ instance ‖ state_in ‖ state_out`, the state being the type's running
/// chain of `layout::STATE_LEN` elements (unused elements zero). Instance `i + 1` starts where instance `i`
/// ended (the leaf and node circuits check it); the scheduler checks the block's first and last state as
/// [`BasicType::binding`] says.
pub trait BasicType: Send + Sync + 'static {
    /// What one instance proves, as the round-0 witness artifact carries it (encoded by the registry).
    type Witness: Serialize + DeserializeOwned;
    /// The circuit's input targets, as [`BasicType::construct`] made them.
    type Targets: Send + Sync + 'static;

    /// Id (the circuit's public input 0) and name (job keys, key files, wire types).
    fn circuit_type(&self) -> CircuitType;

    /// Items (transactions, signatures, …) one instance holds; the last instance of a block is padded.
    fn capacity(&self) -> usize;

    /// Which chained elements start every block at zero, and which end it equal to `main`'s.
    fn binding(&self) -> ChainBinding;

    /// The block's instances, in chain order, with their block number and instance index set. At least one:
    /// every registered type proves every block, so the tip has a proof for each of its slots.
    fn instances(&self, block: &ExecutedBlock) -> Vec<Self::Witness>;

    /// Adds the circuit's constraints to `builder` (made from `frispool_core::circuit_config()`). The same
    /// code must always give the same circuit: its digest is part of the protocol version, and loading keys
    /// runs this again to recover the targets.
    fn construct(&self, builder: &mut CircuitBuilder<F, D>) -> Self::Targets;

    /// Sets every input target from `witness`; plonky2's generators compute the rest. A witness that does
    /// not fit the circuit (too many items, a malformed path) is an error, never a panic.
    fn fill(
        &self,
        targets: &Self::Targets,
        witness: &Self::Witness,
        pw: &mut PartialWitness<F>,
    ) -> Result<(), CircuitError>;
}

type AnyTargets = Box<dyn Any + Send + Sync>;

/// [`BasicType`] with its witness as bytes and its targets as `Any`: what a registry can hold a list of.
pub(crate) trait ErasedType: Send + Sync {
    fn circuit_type(&self) -> CircuitType;
    fn capacity(&self) -> usize;
    fn binding(&self) -> ChainBinding;
    fn instances(&self, block: &ExecutedBlock) -> Result<Vec<Vec<u8>>, CircuitError>;
    fn construct(&self, builder: &mut CircuitBuilder<F, D>) -> AnyTargets;
    fn fill(&self, targets: &AnyTargets, payload: &[u8], pw: &mut PartialWitness<F>) -> Result<(), CircuitError>;
}

fn codec() -> bincode::config::Configuration {
    bincode::config::standard()
}

impl<T: BasicType> ErasedType for T {
    fn circuit_type(&self) -> CircuitType {
        BasicType::circuit_type(self)
    }

    fn capacity(&self) -> usize {
        BasicType::capacity(self)
    }

    fn binding(&self) -> ChainBinding {
        BasicType::binding(self)
    }

    fn instances(&self, block: &ExecutedBlock) -> Result<Vec<Vec<u8>>, CircuitError> {
        let ty = BasicType::circuit_type(self);
        BasicType::instances(self, block)
            .iter()
            .map(|w| {
                bincode::serde::encode_to_vec(w, codec())
                    .map_err(|e| CircuitError::Payload { circuit_type: ty, source: Box::new(e) })
            })
            .collect()
    }

    fn construct(&self, builder: &mut CircuitBuilder<F, D>) -> AnyTargets {
        Box::new(BasicType::construct(self, builder))
    }

    fn fill(&self, targets: &AnyTargets, payload: &[u8], pw: &mut PartialWitness<F>) -> Result<(), CircuitError> {
        let ty = BasicType::circuit_type(self);
        let targets = targets.downcast_ref::<T::Targets>().ok_or(CircuitError::ForeignTargets(ty))?;
        let (witness, read): (T::Witness, usize) = bincode::serde::decode_from_slice(payload, codec())
            .map_err(|e| CircuitError::Payload { circuit_type: ty, source: Box::new(e) })?;
        if read != payload.len() {
            return Err(CircuitError::Payload {
                circuit_type: ty,
                source: format!("{} bytes after the witness", payload.len() - read).into(),
            });
        }
        BasicType::fill(self, targets, &witness, pw)
    }
}
