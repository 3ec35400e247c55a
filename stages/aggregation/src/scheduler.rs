//! Scheduler (round 4): verifies the recursion tip and binds the block into one commitment.
//!
//! Its only inner key is the tip's, a constant; the tip's own keys are constants too and the node tree
//! below is bound through the vk commitment, so the scheduler's verification key is one constant whatever
//! the number of instances or the depth of the tree.

use frispool_core::layout::{main_state, tip, DIGEST_LEN, STATE_LEN};
use frispool_core::{circuit_config, cpu_backend, ChainBinding, CircuitType, Proof, SharedBackend, C, D, F};
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
    /// `bindings` are the tip's types' chain bindings, in its slot order.
    pub fn build(tip_circuit: &TipCircuit, bindings: &[ChainBinding]) -> Result<Self> {
        let (builder, tip_proof) = Self::construct(tip_circuit, bindings)?;
        let data = builder.build::<C>();
        Ok(SchedulerCircuit { data, tip_proof, backend: cpu_backend() })
    }

    /// The scheduler around prover data loaded from disk (made by [`Self::build`] over the same tip, bindings
    /// and code): only the construction runs, to recover the witness target; `build` is skipped.
    pub fn from_data(tip_circuit: &TipCircuit, bindings: &[ChainBinding], data: CircuitData<F, C, D>) -> Result<Self> {
        let (builder, tip_proof) = Self::construct(tip_circuit, bindings)?;
        crate::shape::check_construction(NAME, builder, &data)?;
        Ok(SchedulerCircuit { data, tip_proof, backend: cpu_backend() })
    }

    fn construct(
        tip_circuit: &TipCircuit,
        bindings: &[ChainBinding],
    ) -> Result<(CircuitBuilder<F, D>, ProofWithPublicInputsTarget<D>)> {
        if bindings.len() != tip_circuit.types.len() {
            return Err(AggError::BindingCount { types: tip_circuit.types.len(), bindings: bindings.len() });
        }
        check_bindings(tip_circuit.types.iter().copied().zip(bindings))?;
        let main_slot = tip_circuit.slot_of(CircuitType::MAIN).ok_or(AggError::MainMissing)?;
        let mut builder = CircuitBuilder::<F, D>::new(circuit_config());
        let vd = builder.constant_verifier_data(&tip_circuit.data.verifier_only);
        let p = builder.add_virtual_proof_with_pis(&tip_circuit.data.common);
        builder.verify_proof::<C>(&p, &vd, &tip_circuit.data.common);
        let pis = &p.public_inputs;
        let outputs: Vec<TypeOutputs> = (0..tip_circuit.types.len())
            .map(|k| {
                let at = tip::slot(k);
                TypeOutputs {
                    last: pis[at + tip::SLOT_LAST],
                    state_in: std::array::from_fn(|i| pis[at + tip::SLOT_STATE_IN + i]),
                    state_out: std::array::from_fn(|i| pis[at + tip::SLOT_STATE_OUT + i]),
                }
            })
            .collect();
        bind_types(&mut builder, &outputs, bindings, main_slot);

        let block = pis[tip::BLOCK];
        let commitment = commitment_target(&mut builder, block, &outputs[main_slot]);
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

/// Where circuit types are checked against each other, from their [`ChainBinding`]s alone: each type's
/// fresh elements start the block at zero, and each type other than `main` ends the block agreeing with
/// `main` where its binding says. `main`'s constraints come first, so a protocol of `main` alone has the
/// scheduler it had before types were declared by a registry (the same key).
fn bind_types(
    builder: &mut CircuitBuilder<F, D>,
    outputs: &[TypeOutputs],
    bindings: &[ChainBinding],
    main_slot: usize,
) {
    let main = &outputs[main_slot];
    for i in bindings[main_slot].fresh.clone() {
        builder.assert_zero(main.state_in[i]);
    }
    for (k, (o, binding)) in outputs.iter().zip(bindings).enumerate() {
        if k == main_slot {
            continue;
        }
        for i in binding.fresh.clone() {
            builder.assert_zero(o.state_in[i]);
        }
        for &(own, main_at) in &binding.agrees_with_main {
            builder.connect(o.state_out[own], main.state_out[main_at]);
        }
    }
}

/// Whether a scheduler can be built over these types (cheap: called before building anything else): ids
/// and names distinct, `main` among them, every binding inside a chained state, and every other type agreeing
/// with `main` on something — a type bound to nothing would be accepted unchecked.
pub(crate) fn check_bindings<'a>(types: impl IntoIterator<Item = (CircuitType, &'a ChainBinding)>) -> Result<()> {
    let mut seen: Vec<CircuitType> = Vec::new();
    for (ty, binding) in types {
        if seen.iter().any(|o| o.id() == ty.id() || o.name() == ty.name()) {
            return Err(AggError::DuplicateType(ty));
        }
        seen.push(ty);
        if !binding.in_bounds() {
            return Err(AggError::BindingOutOfBounds(ty));
        }
        if ty != CircuitType::MAIN && binding.agrees_with_main.is_empty() {
            return Err(AggError::CrossTypeCheckMissing(ty));
        }
    }
    if seen.contains(&CircuitType::MAIN) {
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
