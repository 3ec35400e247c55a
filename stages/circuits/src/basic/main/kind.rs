//! `main` as a registered basic type: the registry's view of [`super::MainCircuit`]'s construction and
//! witness, so keygen and the provers build and fill exactly the circuit the `main` tests build.

use frispool_core::{ChainBinding, CircuitType, D, F};
use frispool_rollup::ExecutedBlock;
use plonky2::iop::witness::PartialWitness;
use plonky2::plonk::circuit_builder::CircuitBuilder;

use super::circuit::MainTargets;
use super::{main_chunks_of, MainChunkWitness, MAIN_TXS_PER_INSTANCE};
use crate::error::CircuitError;
use crate::registry::BasicType;

/// `main` with `capacity` transaction slots an instance: [`MAIN_TXS_PER_INSTANCE`] (2^13 rows) unless the
/// keygen profile asks for larger instances ([`MainType::with_degree_bits`]).
pub(crate) struct MainType {
    capacity: usize,
}

impl MainType {
    /// The protocol's default: 2^13 rows.
    pub(crate) fn standard() -> Self {
        MainType { capacity: MAIN_TXS_PER_INSTANCE }
    }

    /// As many slots as fit `2^bits` rows.
    pub(crate) fn with_degree_bits(bits: usize) -> Self {
        MainType { capacity: super::MainCircuit::capacity_for(bits) }
    }
}

impl BasicType for MainType {
    type Witness = MainChunkWitness;
    type Targets = MainTargets;

    fn circuit_type(&self) -> CircuitType {
        CircuitType::MAIN
    }

    fn capacity(&self) -> usize {
        self.capacity
    }

    fn binding(&self) -> ChainBinding {
        ChainBinding::main()
    }

    fn instances(&self, block: &ExecutedBlock) -> Vec<MainChunkWitness> {
        main_chunks_of(block, self.capacity)
    }

    fn construct(&self, builder: &mut CircuitBuilder<F, D>) -> MainTargets {
        MainTargets::define(builder, self.capacity)
    }

    fn fill(
        &self,
        targets: &MainTargets,
        witness: &MainChunkWitness,
        pw: &mut PartialWitness<F>,
    ) -> Result<(), CircuitError> {
        targets.fill_checked(pw, witness)
    }
}
