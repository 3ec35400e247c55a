//! Scheduler (round 4): verifies the recursion tip and binds the block into one commitment.
//!
//! Its only inner key is the tip's, a constant; the tip's own keys are constants too and the node tree
//! below is bound through the vk commitment, so the scheduler's verification key is one constant whatever
//! the number of instances or the depth of the tree.

use frispool_core::layout::{main_state, tip, DIGEST_LEN, STATE_LEN};
use frispool_core::{circuit_config, cpu_backend, CircuitType, Proof, SharedBackend, C, D, F};
use plonky2::hash::hash_types::HashOutTarget;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::target::Target;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::CircuitData;
use plonky2::plonk::proof::ProofWithPublicInputsTarget;

use crate::error::{witness_err, AggError, Result};
use crate::tip::TipCircuit;

const NAME: &str = "scheduler";

/// The chained values of one circuit type as the tip exposes them.
#[derive(Clone, Debug)]
pub struct TypeOutputs {
    pub last: Target,
    pub state_in: [Target; STATE_LEN],
    pub state_out: [Target; STATE_LEN],
}

pub struct SchedulerCircuit {
    pub data: CircuitData<F, C, D>,
    tip_proof: ProofWithPublicInputsTarget<D>,
    backend: SharedBackend,
}

impl SchedulerCircuit {
    pub fn build(tip_circuit: &TipCircuit) -> Result<Self> {
        let (builder, tip_proof) = Self::construct(tip_circuit)?;
        let data = builder.build::<C>();
        Ok(SchedulerCircuit { data, tip_proof, backend: cpu_backend() })
    }

    /// The scheduler around prover data loaded from disk (made by [`Self::build`] over the same tip and
    /// code): only the construction runs, to recover the witness target; `build` is skipped.
    pub fn from_data(tip_circuit: &TipCircuit, data: CircuitData<F, C, D>) -> Result<Self> {
        let (builder, tip_proof) = Self::construct(tip_circuit)?;
        crate::shape::check_construction(NAME, builder, &data)?;
        Ok(SchedulerCircuit { data, tip_proof, backend: cpu_backend() })
    }

    fn construct(tip_circuit: &TipCircuit) -> Result<(CircuitBuilder<F, D>, ProofWithPublicInputsTarget<D>)> {
        let main_slot = tip_circuit.slot_of(CircuitType::Main).ok_or(AggError::MainMissing)?;
        let mut builder = CircuitBuilder::<F, D>::new(circuit_config());
        let vd = builder.constant_verifier_data(&tip_circuit.data.verifier_only);
        let p = builder.add_virtual_proof_with_pis(&tip_circuit.data.common);
        builder.verify_proof::<C>(&p, &vd, &tip_circuit.data.common);
        let pis = &p.public_inputs;
        let outputs: Vec<(CircuitType, TypeOutputs)> = tip_circuit
            .types
            .iter()
            .enumerate()
            .map(|(k, ty)| {
                let at = tip::slot(k);
                let o = TypeOutputs {
                    last: pis[at + tip::SLOT_LAST],
                    state_in: std::array::from_fn(|i| pis[at + tip::SLOT_STATE_IN + i]),
                    state_out: std::array::from_fn(|i| pis[at + tip::SLOT_STATE_OUT + i]),
                };
                (*ty, o)
            })
            .collect();
        let main = &outputs[main_slot].1;

        // The block's running hashes start empty; only the root carries over from the previous block.
        for i in main_state::TX_HASH..STATE_LEN {
            builder.assert_zero(main.state_in[i]);
        }
        bind_types(&mut builder, &outputs)?;

        let block = pis[tip::BLOCK];
        let commitment = commitment_target(&mut builder, block, main);
        builder.register_public_input(block);
        builder.register_public_inputs(&commitment.elements);
        Ok((builder, p))
    }

    /// Proves on `backend` from now on (every circuit starts on the CPU).
    pub fn use_backend(&mut self, backend: SharedBackend) {
        self.backend = backend;
    }

    pub fn prove(&self, tip_proof: &Proof) -> Result<Proof> {
        crate::prove::prove(NAME, &*self.backend, &self.data, || {
            let mut pw = PartialWitness::new();
            pw.set_proof_with_pis_target(&self.tip_proof, tip_proof).map_err(witness_err(NAME))?;
            Ok(pw)
        })
    }
}

/// The seam where circuit types are checked against each other. Today only `main` exists, so there is
/// nothing to compare; a type this function does not know how to check is refused rather than accepted
/// unchecked. When `sig` lands, compare here its running hash of signed messages with the one `main`
/// exposes (both are in `outputs`), and equal instance coverage if the chunking is shared.
pub fn bind_types(_builder: &mut CircuitBuilder<F, D>, outputs: &[(CircuitType, TypeOutputs)]) -> Result<()> {
    check_types(outputs.iter().map(|(ty, _)| *ty))
}

/// Whether a scheduler can be built over these types (cheap: call it before building anything else).
pub fn check_types(types: impl IntoIterator<Item = CircuitType>) -> Result<()> {
    let mut main = false;
    for ty in types {
        match ty {
            CircuitType::Main => main = true,
            other => return Err(AggError::CrossTypeCheckMissing(other)),
        }
    }
    if main {
        Ok(())
    } else {
        Err(AggError::MainMissing)
    }
}

/// In-circuit [`frispool_core::block_commitment`] over main's chained state.
pub fn commitment_target(builder: &mut CircuitBuilder<F, D>, block: Target, main: &TypeOutputs) -> HashOutTarget {
    let digest = |s: &[Target; STATE_LEN], at: usize| -> Vec<Target> { s[at..at + DIGEST_LEN].to_vec() };
    let mut input = vec![block];
    input.extend(digest(&main.state_in, main_state::ROOT));
    input.extend(digest(&main.state_out, main_state::ROOT));
    input.extend(digest(&main.state_out, main_state::TX_HASH));
    input.extend(digest(&main.state_out, main_state::WITHDRAWALS_HASH));
    builder.hash_n_to_hash_no_pad::<PoseidonHash>(input)
}
