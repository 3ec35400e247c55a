//! `main` as a registered basic type: the registry's view of [`super::MainCircuit`]'s construction and
//! witness, so keygen and the provers build and fill exactly the circuit the `main` tests build.

use frispool_core::{ChainBinding, CircuitType, D, F};
use frispool_rollup::ExecutedBlock;
use plonky2::iop::witness::PartialWitness;
use plonky2::plonk::circuit_builder::CircuitBuilder;

use super::circuit::MainTargets;
use super::{main_chunks, MainChunkWitness, MAIN_TXS_PER_INSTANCE};
use crate::error::CircuitError;
use crate::registry::BasicType;

pub(crate) struct MainType;

impl BasicType for MainType {
    type Witness = MainChunkWitness;
    type Targets = MainTargets;

    fn circuit_type(&self) -> CircuitType {
        CircuitType::MAIN
    }

    fn capacity(&self) -> usize {
        MAIN_TXS_PER_INSTANCE
    }

    fn binding(&self) -> ChainBinding {
        ChainBinding::main()
    }

    fn instances(&self, block: &ExecutedBlock) -> Vec<MainChunkWitness> {
        main_chunks(block)
    }

    fn construct(&self, builder: &mut CircuitBuilder<F, D>) -> MainTargets {
        MainTargets::define(builder, MAIN_TXS_PER_INSTANCE)
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
