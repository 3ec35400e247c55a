//! Recursion tip (round 3): the top proof of every circuit type of a block.
//!
//! One slot per type, in the order given at build time. A slot's top proof is a leaf (the type had at most
//! `LEAF_ARITY` instances) or a node; its verifier data is chosen between two constants by a witnessed
//! flag, and a node must carry the vk commitment of exactly this protocol version's leaf and node keys.
//! Adding a circuit type is one more `(type, leaf key)` pair.

use frispool_core::layout::{self, agg, DIGEST_LEN, STATE_LEN};
use frispool_core::{circuit_config, cpu_backend, CircuitType, Proof, SharedBackend, C, D, F};
use plonky2::field::types::Field;
use plonky2::hash::hash_types::HashOut;
use plonky2::iop::target::BoolTarget;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::{CircuitData, CommonCircuitData, VerifierOnlyCircuitData};
use plonky2::plonk::proof::ProofWithPublicInputsTarget;

use crate::error::{witness_err, AggError, Result};
use crate::shape;
use crate::vk;

const NAME: &str = "recursion tip";

/// A circuit type and the verifier data of its leaf circuit.
#[derive(Clone, Copy)]
pub struct TipSlot<'a> {
    pub circuit_type: CircuitType,
    pub leaf: &'a VerifierOnlyCircuitData<C, D>,
}

pub struct TipCircuit {
    pub types: Vec<CircuitType>,
    pub data: CircuitData<F, C, D>,
    commits: Vec<HashOut<F>>,
    proofs: Vec<ProofWithPublicInputsTarget<D>>,
    is_node: Vec<BoolTarget>,
    backend: SharedBackend,
}

/// Everything of a [`TipCircuit`] but its circuit data: what the construction yields.
struct TipParts {
    types: Vec<CircuitType>,
    commits: Vec<HashOut<F>>,
    proofs: Vec<ProofWithPublicInputsTarget<D>>,
    is_node: Vec<BoolTarget>,
}

impl TipParts {
    fn with(self, data: CircuitData<F, C, D>) -> TipCircuit {
        TipCircuit {
            types: self.types,
            data,
            commits: self.commits,
            proofs: self.proofs,
            is_node: self.is_node,
            backend: cpu_backend(),
        }
    }
}

impl TipCircuit {
    /// `common` is the shape leaf and node proofs share; `node` is the node circuit's verifier data.
    pub fn build(
        slots: &[TipSlot],
        node: &VerifierOnlyCircuitData<C, D>,
        common: &CommonCircuitData<F, D>,
    ) -> Result<Self> {
        let (builder, parts) = Self::construct(slots, node, common)?;
        let data = builder.build::<C>();
        debug_assert_eq!(data.common.num_public_inputs, layout::tip::len(slots.len()));
        Ok(parts.with(data))
    }

    /// The tip around prover data loaded from disk (made by [`Self::build`] with the same arguments and
    /// code): only the construction runs, to recover the witness targets; `build` is skipped.
    pub fn from_data(
        slots: &[TipSlot],
        node: &VerifierOnlyCircuitData<C, D>,
        common: &CommonCircuitData<F, D>,
        data: CircuitData<F, C, D>,
    ) -> Result<Self> {
        let (builder, parts) = Self::construct(slots, node, common)?;
        shape::check_construction(NAME, builder, &data)?;
        Ok(parts.with(data))
    }

    fn construct(
        slots: &[TipSlot],
        node: &VerifierOnlyCircuitData<C, D>,
        common: &CommonCircuitData<F, D>,
    ) -> Result<(CircuitBuilder<F, D>, TipParts)> {
        for (i, s) in slots.iter().enumerate() {
            if slots[..i].iter().any(|o| o.circuit_type == s.circuit_type) {
                return Err(AggError::DuplicateType(s.circuit_type));
            }
        }
        if slots.is_empty() {
            return Err(AggError::NoTypes);
        }
        let mut builder = CircuitBuilder::<F, D>::new(circuit_config());
        let node_vd = builder.constant_verifier_data(node);
        let zero = builder.zero();
        let mut proofs = vec![];
        let mut is_node = vec![];
        let mut commits = vec![];
        let mut block = None;
        let mut outputs = vec![];
        for s in slots {
            let p = builder.add_virtual_proof_with_pis(common);
            let b = builder.add_virtual_bool_target_safe();
            let leaf_vd = builder.constant_verifier_data(s.leaf);
            let vd = builder.select_verifier_data(b, &node_vd, &leaf_vd);
            builder.verify_proof::<C>(&p, &vd, common);

            let commit = vk::vk_commit(s.leaf.circuit_digest, node.circuit_digest);
            for j in 0..DIGEST_LEN {
                let c = builder.constant(commit.elements[j]);
                builder.conditional_assert_eq(b.target, p.public_inputs[agg::VK_COMMIT + j], c);
            }
            let ty = builder.constant(F::from_canonical_u64(s.circuit_type.id()));
            builder.connect(p.public_inputs[agg::TYPE], ty);
            builder.connect(p.public_inputs[agg::FIRST], zero);
            let blk = p.public_inputs[agg::BLOCK];
            match block {
                None => block = Some(blk),
                Some(b0) => builder.connect(blk, b0),
            }
            outputs.push(p.public_inputs[agg::LAST]);
            outputs.extend_from_slice(&p.public_inputs[agg::STATE_IN..agg::STATE_IN + STATE_LEN]);
            outputs.extend_from_slice(&p.public_inputs[agg::STATE_OUT..agg::STATE_OUT + STATE_LEN]);
            proofs.push(p);
            is_node.push(b);
            commits.push(commit);
        }
        builder.register_public_input(block.expect("at least one slot"));
        builder.register_public_inputs(&outputs);
        let parts = TipParts { types: slots.iter().map(|s| s.circuit_type).collect(), commits, proofs, is_node };
        Ok((builder, parts))
    }

    /// Proves on `backend` from now on (every circuit starts on the CPU).
    pub fn use_backend(&mut self, backend: SharedBackend) {
        self.backend = backend;
    }

    /// Prove the tip over the top proof of every type, in the order of [`Self::types`]. Whether a top
    /// proof is a node is read from its vk commitment (a leaf's carries its basic circuit's digest).
    pub fn prove(&self, tops: &[&Proof]) -> Result<Proof> {
        let flagged: Vec<_> = tops
            .iter()
            .zip(&self.commits)
            .map(|(p, c)| {
                let is_node =
                    p.public_inputs.len() == agg::LEN && vk::digest_at(&p.public_inputs, agg::VK_COMMIT) == *c;
                (*p, is_node)
            })
            .collect();
        self.prove_flagged(tops.len(), &flagged)
    }

    /// Prove with explicit leaf/node flags. For tests that try to pass a proof off as the other kind.
    pub fn prove_with_flags(&self, tops: &[(&Proof, bool)]) -> Result<Proof> {
        self.prove_flagged(tops.len(), tops)
    }

    fn prove_flagged(&self, n: usize, tops: &[(&Proof, bool)]) -> Result<Proof> {
        if n != self.types.len() {
            return Err(AggError::Arity { circuit: NAME, max: self.types.len(), got: n });
        }
        if let Some((p, _)) = tops.iter().find(|(p, _)| p.public_inputs.len() != agg::LEN) {
            return Err(AggError::PublicInputs { circuit: NAME, expected: agg::LEN, got: p.public_inputs.len() });
        }
        crate::prove::prove(NAME, &*self.backend, &self.data, || {
            let mut pw = PartialWitness::new();
            for (i, (p, is_node)) in tops.iter().enumerate() {
                pw.set_proof_with_pis_target(&self.proofs[i], p).map_err(witness_err(NAME))?;
                pw.set_bool_target(self.is_node[i], *is_node).map_err(witness_err(NAME))?;
            }
            Ok(pw)
        })
    }

    /// Position of `ty` among the tip's slots.
    pub fn slot_of(&self, ty: CircuitType) -> Option<usize> {
        self.types.iter().position(|t| *t == ty)
    }
}
