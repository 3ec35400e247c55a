//! Every aggregation circuit of one protocol version, built together.
//!
//! Building order matters: the leaf and node circuits must first agree on one shape (see [`common_shape`]),
//! the tip needs the leaf and node keys as constants, the scheduler the tip's.

use frispool_core::layout::agg;
use frispool_core::{ChainBinding, CircuitType, Proof, SharedBackend, C, D, F};
use plonky2::hash::hash_types::HashOut;
use plonky2::plonk::circuit_data::{CircuitData, CommonCircuitData, VerifierOnlyCircuitData};

use crate::error::{AggError, AggKey, KeyLoadError, Result};
use crate::leaf::LeafCircuit;
use crate::node::{Child, NodeCircuit};
use crate::scheduler::SchedulerCircuit;
use crate::shape::{self, Shape};
use crate::tip::{TipCircuit, TipSlot};
use crate::vk;

/// A basic circuit to aggregate: its type, how the scheduler binds its chain, and its keys.
#[derive(Clone, Copy)]
pub struct BasicKey<'a> {
    pub circuit_type: CircuitType,
    pub binding: &'a ChainBinding,
    pub common: &'a CommonCircuitData<F, D>,
    pub verifier: &'a VerifierOnlyCircuitData<C, D>,
}

pub struct AggregationKeys {
    /// The shape every leaf and node proof has.
    pub common: CommonCircuitData<F, D>,
    /// One leaf per basic circuit type, in the order given (which is also the tip's slot order).
    pub leaves: Vec<LeafCircuit>,
    pub node: NodeCircuit,
    pub tip: TipCircuit,
    pub scheduler: SchedulerCircuit,
}

/// Rounds of growing the shape before giving up; in practice it settles in two or three.
const SHAPE_ROUNDS: usize = 6;

/// Find the one `CommonCircuitData` that every leaf and the node circuit reach when padded to it.
///
/// The node's size depends on the shape of the proofs it verifies, which is its own shape: a fixed point.
/// Start from the leaves' natural shape, build the node for it, grow the shape to hold both, and repeat
/// until leaf and node come out identical. Mock builds (no commitment) keep this cheap.
pub fn common_shape(basics: &[BasicKey]) -> Result<CommonCircuitData<F, D>> {
    if basics.is_empty() {
        return Err(AggError::NoTypes);
    }
    let mut shape = Shape::default();
    for _ in 0..SHAPE_ROUNDS {
        let leaves = basics
            .iter()
            .map(|b| LeafCircuit::mock_common(b.circuit_type, b.common, b.verifier, &shape))
            .collect::<Result<Vec<_>>>()?;
        let node = NodeCircuit::mock_common(&leaves[0], &shape);
        if leaves.iter().all(|l| *l == node) {
            return Ok(node);
        }
        for c in leaves.iter().chain([&node]) {
            shape.include(c);
        }
    }
    Err(AggError::ShapeNotConverged(SHAPE_ROUNDS))
}

/// The basic circuit types must be distinct and of a combination the scheduler can check.
fn check_basics(basics: &[BasicKey]) -> Result<()> {
    crate::scheduler::check_bindings(basics.iter().map(|b| (b.circuit_type, b.binding)))
}

/// The chain bindings in the tip's slot order (the leaves', which is the basics').
fn bindings(basics: &[BasicKey]) -> Vec<ChainBinding> {
    basics.iter().map(|b| b.binding.clone()).collect()
}

/// One tip slot per leaf, in the leaves' order.
fn tip_slots(leaves: &[LeafCircuit]) -> Vec<TipSlot<'_>> {
    leaves.iter().map(|l| TipSlot { circuit_type: l.circuit_type, leaf: &l.data.verifier_only }).collect()
}

impl AggregationKeys {
    /// Build every aggregation circuit for `basics` (deterministic: the same basic keys give the same
    /// aggregation keys).
    pub fn build(basics: &[BasicKey]) -> Result<Self> {
        check_basics(basics)?;
        let common = common_shape(basics)?;
        let target = Shape::of(&common);
        let leaves = basics
            .iter()
            .map(|b| {
                let leaf = LeafCircuit::build(b.circuit_type, b.common, b.verifier, &target)?;
                shape::check("leaf", &leaf.data.common, &common)?;
                Ok(leaf)
            })
            .collect::<Result<Vec<_>>>()?;
        let node = NodeCircuit::build(&common)?;
        let slots = tip_slots(&leaves);
        let tip = TipCircuit::build(&slots, &node.data.verifier_only, &common)?;
        let scheduler = SchedulerCircuit::build(&tip, &bindings(basics))?;
        Ok(AggregationKeys { common, leaves, node, tip, scheduler })
    }

    /// Every aggregation circuit around prover data loaded from disk (made by [`Self::build`] of the same
    /// code for the same `basics`), without building any: `leaves` in the order of `basics`. The common
    /// shape is the loaded node's own common data (so no mock build runs either); every leaf must have it.
    /// An error names the key that did not fit.
    pub fn from_data(
        basics: &[BasicKey],
        leaves: Vec<CircuitData<F, C, D>>,
        node: CircuitData<F, C, D>,
        tip: CircuitData<F, C, D>,
        scheduler: CircuitData<F, C, D>,
    ) -> std::result::Result<Self, KeyLoadError> {
        let at = |key: AggKey| move |source: AggError| KeyLoadError { key: Some(key), source };
        check_basics(basics).map_err(|source| KeyLoadError { key: None, source })?;
        if leaves.len() != basics.len() {
            let source = AggError::KeyMismatch {
                circuit: "leaf",
                detail: format!("{} leaf keys for {} circuit types", leaves.len(), basics.len()),
            };
            return Err(at(AggKey::Leaf(basics[0].circuit_type))(source));
        }
        let common = node.common.clone();
        let node = NodeCircuit::from_data(node).map_err(at(AggKey::Node))?;
        let leaves = basics
            .iter()
            .zip(leaves)
            .map(|(b, data)| {
                shape::check("leaf", &data.common, &common)
                    .and_then(|()| LeafCircuit::from_data(b.circuit_type, b.common, b.verifier, data))
                    .map_err(at(AggKey::Leaf(b.circuit_type)))
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let slots = tip_slots(&leaves);
        let tip = TipCircuit::from_data(&slots, &node.data.verifier_only, &common, tip).map_err(at(AggKey::Tip))?;
        let scheduler =
            SchedulerCircuit::from_data(&tip, &bindings(basics), scheduler).map_err(at(AggKey::Scheduler))?;
        Ok(AggregationKeys { common, leaves, node, tip, scheduler })
    }

    /// Every aggregation circuit proves on `backend` from now on.
    pub fn use_backend(&mut self, backend: &SharedBackend) {
        self.leaves.iter_mut().for_each(|l| l.use_backend(backend.clone()));
        self.node.use_backend(backend.clone());
        self.tip.use_backend(backend.clone());
        self.scheduler.use_backend(backend.clone());
    }

    pub fn leaf(&self, ty: CircuitType) -> Result<&LeafCircuit> {
        self.leaves.iter().find(|l| l.circuit_type == ty).ok_or(AggError::UnknownType(ty))
    }

    /// What a node of `ty` exposes as its vk commitment in this protocol version.
    pub fn vk_commit(&self, ty: CircuitType) -> Result<HashOut<F>> {
        Ok(vk::vk_commit(self.leaf(ty)?.digest(), self.node.digest()))
    }

    pub fn prove_leaf(&self, ty: CircuitType, basic: &[Proof]) -> Result<Proof> {
        self.leaf(ty)?.prove(basic)
    }

    /// Prove a node over leaf or node proofs of `ty`; which is which is read from their vk commitment.
    pub fn prove_node(&self, ty: CircuitType, children: &[Proof]) -> Result<Proof> {
        let leaf = self.leaf(ty)?;
        let commit = self.vk_commit(ty)?;
        let children: Vec<Child> = children
            .iter()
            .map(|proof| {
                let is_node = proof.public_inputs.len() == agg::LEN
                    && vk::digest_at(&proof.public_inputs, agg::VK_COMMIT) == commit;
                let verifier = if is_node { &self.node.data.verifier_only } else { &leaf.data.verifier_only };
                Child { proof, verifier }
            })
            .collect();
        self.node.prove(leaf.digest(), &children)
    }

    /// Prove the tip over the top proof of every type, in the order the keys were built with.
    pub fn prove_tip(&self, tops: &[&Proof]) -> Result<Proof> {
        self.tip.prove(tops)
    }

    pub fn prove_scheduler(&self, tip_proof: &Proof) -> Result<Proof> {
        self.scheduler.prove(tip_proof)
    }
}
