//! Node circuit (round 2): up to [`NODE_ARITY`] consecutive leaf or node proofs of one circuit type.
//!
//! Children's verifier data is a witness, so one node circuit serves every circuit type and every tree
//! depth. What keeps it from accepting any proof at all: each child's digest is recomputed from its cap
//! ([`vk::bind_digest_to_cap`]) and must be the witnessed leaf digest or the witnessed node digest, a node
//! child must carry this node's own commitment, and the node exposes
//! `vk_commit = Poseidon(leaf digest ‖ node digest)`, which the recursion tip compares with the constants
//! of the protocol version. A node whose witnessed digests are not the real ones thus proves fine but is
//! refused at the tip.

use frispool_core::layout::{agg, DIGEST_LEN};
use frispool_core::{circuit_config, cpu_backend, Proof, SharedBackend, C, D, F};
use plonky2::hash::hash_types::{HashOut, HashOutTarget};
use plonky2::iop::target::BoolTarget;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::{CircuitData, CommonCircuitData, VerifierCircuitTarget, VerifierOnlyCircuitData};
use plonky2::plonk::proof::ProofWithPublicInputsTarget;

use crate::chain::{self, Link, NativeLink};
use crate::error::{witness_err, AggError, Result};
use crate::shape::{self, Shape};
use crate::vk;

/// Children per node. A child verification (2^14-row inner proof, digest binding, selects) costs about
/// 4.3k rows: three fit the 2^14 rows a leaf of four basic proofs needs, a fourth would double the shape of
/// every leaf and node to 2^15.
pub const NODE_ARITY: usize = 3;

const NAME: &str = "node";

/// One child of a node: its proof and the verifier data it was made with (a leaf's or a node's).
#[derive(Clone, Copy)]
pub struct Child<'a> {
    pub proof: &'a Proof,
    pub verifier: &'a VerifierOnlyCircuitData<C, D>,
}

pub struct NodeCircuit {
    pub data: CircuitData<F, C, D>,
    targets: Targets,
    backend: SharedBackend,
}

struct Targets {
    children: Vec<ProofWithPublicInputsTarget<D>>,
    verifiers: Vec<VerifierCircuitTarget>,
    is_node: Vec<BoolTarget>,
    enabled: Vec<BoolTarget>,
    leaf_digest: HashOutTarget,
    node_digest: HashOutTarget,
}

fn define(common: &CommonCircuitData<F, D>) -> (CircuitBuilder<F, D>, Targets) {
    let config = circuit_config();
    let cap_height = config.fri_config.cap_height;
    let mut builder = CircuitBuilder::<F, D>::new(config);
    let leaf_digest = builder.add_virtual_hash();
    let node_digest = builder.add_virtual_hash();
    let commit = vk::vk_commit_target(&mut builder, leaf_digest, node_digest);
    let enabled = chain::enabled_flags(&mut builder, NODE_ARITY);
    let mut t = Targets { children: vec![], verifiers: vec![], is_node: vec![], enabled, leaf_digest, node_digest };
    let mut links = vec![];
    for _ in 0..NODE_ARITY {
        let p = builder.add_virtual_proof_with_pis(common);
        let vd = builder.add_virtual_verifier_data(cap_height);
        let is_node = builder.add_virtual_bool_target_safe();
        builder.verify_proof::<C>(&p, &vd, common);
        vk::bind_digest_to_cap(&mut builder, &vd, common.degree_bits());
        let accepted = vk::select_hash(&mut builder, is_node, node_digest, leaf_digest);
        builder.connect_hashes(vd.circuit_digest, accepted);
        for j in 0..DIGEST_LEN {
            builder.conditional_assert_eq(is_node.target, p.public_inputs[agg::VK_COMMIT + j], commit.elements[j]);
        }
        links.push(Link::of_agg(&p.public_inputs));
        t.children.push(p);
        t.verifiers.push(vd);
        t.is_node.push(is_node);
    }
    let out = chain::chain(&mut builder, &links, &t.enabled);
    out.register(&mut builder);
    builder.register_public_inputs(&commit.elements);
    (builder, t)
}

impl NodeCircuit {
    /// The node's common data for children of shape `common`, padded to `shape`, without committing.
    pub(crate) fn mock_common(common: &CommonCircuitData<F, D>, shape: &Shape) -> CommonCircuitData<F, D> {
        let (mut builder, _) = define(common);
        shape.pad(&mut builder);
        builder.mock_build::<C>().common
    }

    /// Build the node over children of the common aggregation shape `common`; it must come out with that
    /// very shape itself, or it could not verify its own proofs.
    pub fn build(common: &CommonCircuitData<F, D>) -> Result<Self> {
        let (mut builder, targets) = define(common);
        Shape::of(common).pad(&mut builder);
        let data = builder.build::<C>();
        shape::check(NAME, &data.common, common)?;
        Ok(NodeCircuit { data, targets, backend: cpu_backend() })
    }

    /// The node around prover data loaded from disk (made by [`Self::build`] of the same code): its
    /// children's shape is its own common data; only the construction runs, `build` is skipped.
    pub fn from_data(data: CircuitData<F, C, D>) -> Result<Self> {
        let (mut builder, targets) = define(&data.common);
        Shape::of(&data.common).pad(&mut builder);
        shape::check_construction(NAME, builder, &data)?;
        Ok(NodeCircuit { data, targets, backend: cpu_backend() })
    }

    /// Proves on `backend` from now on (every circuit starts on the CPU).
    pub fn use_backend(&mut self, backend: SharedBackend) {
        self.backend = backend;
    }

    /// Prove a node over `children` (1..=NODE_ARITY consecutive leaf or node proofs of one type).
    /// `leaf_digest` is the digest of the leaf circuit of the children's type.
    pub fn prove(&self, leaf_digest: HashOut<F>, children: &[Child]) -> Result<Proof> {
        self.check_arity(children)?;
        let commit = vk::vk_commit(leaf_digest, self.digest());
        let mut links = vec![];
        for (i, c) in children.iter().enumerate() {
            let d = c.verifier.circuit_digest;
            if d != leaf_digest && d != self.digest() {
                return Err(AggError::Chain {
                    circuit: NAME,
                    reason: format!("child {i} is neither this type's leaf nor a node"),
                });
            }
            if d == self.digest() && vk::digest_at(&c.proof.public_inputs, agg::VK_COMMIT) != commit {
                return Err(AggError::Chain {
                    circuit: NAME,
                    reason: format!("child {i} is a node that accepted other keys"),
                });
            }
            links.push(NativeLink::of_agg(&c.proof.public_inputs));
        }
        chain::check_native(NAME, &links)?;
        self.prove_unchecked(leaf_digest, self.digest(), children)
    }

    /// Prove with any claimed digests and without native checks, leaving every rule to the circuit (and to
    /// the tip). For tests that show forged groups are refused.
    pub fn prove_unchecked(
        &self,
        leaf_digest: HashOut<F>,
        node_digest: HashOut<F>,
        children: &[Child],
    ) -> Result<Proof> {
        self.check_arity(children)?;
        let t = &self.targets;
        crate::prove::prove(NAME, &*self.backend, &self.data, || {
            let mut pw = PartialWitness::new();
            let w = witness_err(NAME);
            pw.set_hash_target(t.leaf_digest, leaf_digest).map_err(w)?;
            pw.set_hash_target(t.node_digest, node_digest).map_err(witness_err(NAME))?;
            let last = children.last().expect("arity checked");
            for i in 0..NODE_ARITY {
                let c = children.get(i).unwrap_or(last);
                pw.set_proof_with_pis_target(&t.children[i], c.proof).map_err(witness_err(NAME))?;
                pw.set_verifier_data_target(&t.verifiers[i], c.verifier).map_err(witness_err(NAME))?;
                let is_node = c.verifier.circuit_digest == node_digest;
                pw.set_bool_target(t.is_node[i], is_node).map_err(witness_err(NAME))?;
                if i > 0 {
                    pw.set_bool_target(t.enabled[i], i < children.len()).map_err(witness_err(NAME))?;
                }
            }
            Ok(pw)
        })
    }

    fn check_arity(&self, children: &[Child]) -> Result<()> {
        if children.is_empty() || children.len() > NODE_ARITY {
            return Err(AggError::Arity { circuit: NAME, max: NODE_ARITY, got: children.len() });
        }
        if let Some(c) = children.iter().find(|c| c.proof.public_inputs.len() != agg::LEN) {
            return Err(AggError::PublicInputs { circuit: NAME, expected: agg::LEN, got: c.proof.public_inputs.len() });
        }
        Ok(())
    }

    pub fn digest(&self) -> HashOut<F> {
        self.data.verifier_only.circuit_digest
    }
}
