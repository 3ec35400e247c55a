//! Leaf circuit (round 1): up to [`LEAF_ARITY`] consecutive basic proofs of one circuit type.
//!
//! The basic circuit's verifier data is a constant of the leaf, so a leaf accepts proofs of exactly one
//! basic circuit. Its public inputs follow [`frispool_core::layout::agg`]; its vk commitment slot carries the basic
//! circuit's digest (the key it accepted), which the leaf's own key already pins.

use frispool_core::layout::basic;
use frispool_core::{circuit_config, cpu_backend, CircuitType, Proof, SharedBackend, C, D, F};
use plonky2::field::types::Field;
use plonky2::hash::hash_types::HashOut;
use plonky2::iop::target::BoolTarget;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::{CircuitData, CommonCircuitData, VerifierOnlyCircuitData};
use plonky2::plonk::proof::ProofWithPublicInputsTarget;

use crate::chain::{self, Link, NativeLink};
use crate::error::{witness_err, AggError, Result};
use crate::shape::{self, Shape};

/// Basic proofs per leaf. A verification of a standard-recursion proof of 2^12 rows costs about 3.6k rows, so
/// four fill the 2^14 rows that a node of [`crate::NODE_ARITY`] children needs anyway (leaf and node share one
/// shape). A larger basic circuit makes each verification dearer and may push the shared shape to 2^15.
pub const LEAF_ARITY: usize = 4;

const NAME: &str = "leaf";

pub struct LeafCircuit {
    pub circuit_type: CircuitType,
    pub data: CircuitData<F, C, D>,
    basic_common: CommonCircuitData<F, D>,
    basic_digest: HashOut<F>,
    proofs: Vec<ProofWithPublicInputsTarget<D>>,
    enabled: Vec<BoolTarget>,
    backend: SharedBackend,
}

struct Targets {
    proofs: Vec<ProofWithPublicInputsTarget<D>>,
    enabled: Vec<BoolTarget>,
}

fn define(
    ty: CircuitType,
    basic_common: &CommonCircuitData<F, D>,
    basic_verifier: &VerifierOnlyCircuitData<C, D>,
) -> Result<(CircuitBuilder<F, D>, Targets)> {
    if basic_common.num_public_inputs != basic::LEN {
        return Err(AggError::PublicInputs {
            circuit: NAME,
            expected: basic::LEN,
            got: basic_common.num_public_inputs,
        });
    }
    let mut builder = CircuitBuilder::<F, D>::new(circuit_config());
    let vd = builder.constant_verifier_data(basic_verifier);
    let ty_const = builder.constant(F::from_canonical_u64(ty.id()));
    let enabled = chain::enabled_flags(&mut builder, LEAF_ARITY);
    let mut proofs = Vec::with_capacity(LEAF_ARITY);
    let mut links = Vec::with_capacity(LEAF_ARITY);
    for _ in 0..LEAF_ARITY {
        let p = builder.add_virtual_proof_with_pis(basic_common);
        builder.verify_proof::<C>(&p, &vd, basic_common);
        let link = Link::of_basic(&p.public_inputs);
        // Unconditional: padding slots repeat a real proof, which has this type too.
        builder.connect(link.ty, ty_const);
        links.push(link);
        proofs.push(p);
    }
    let out = chain::chain(&mut builder, &links, &enabled);
    out.register(&mut builder);
    builder.register_public_inputs(&vd.circuit_digest.elements);
    Ok((builder, Targets { proofs, enabled }))
}

impl LeafCircuit {
    /// The leaf's common data when padded to `shape`, without committing to it (cheap): used to find the
    /// shape that leaf and node share.
    pub(crate) fn mock_common(
        ty: CircuitType,
        basic_common: &CommonCircuitData<F, D>,
        basic_verifier: &VerifierOnlyCircuitData<C, D>,
        shape: &Shape,
    ) -> Result<CommonCircuitData<F, D>> {
        let (mut builder, _) = define(ty, basic_common, basic_verifier)?;
        shape.pad(&mut builder);
        Ok(builder.mock_build::<C>().common)
    }

    /// Build the leaf of `ty`, padded to `shape` (see [`crate::AggregationKeys`] for the shape).
    pub fn build(
        ty: CircuitType,
        basic_common: &CommonCircuitData<F, D>,
        basic_verifier: &VerifierOnlyCircuitData<C, D>,
        shape: &Shape,
    ) -> Result<Self> {
        let (mut builder, t) = define(ty, basic_common, basic_verifier)?;
        shape.pad(&mut builder);
        let data = builder.build::<C>();
        Ok(Self::assemble(ty, basic_common, basic_verifier, data, t))
    }

    /// The leaf of `ty` around prover data loaded from disk (made by [`Self::build`] of the same code):
    /// only the construction runs, to recover the witness targets; `build` is skipped.
    pub fn from_data(
        ty: CircuitType,
        basic_common: &CommonCircuitData<F, D>,
        basic_verifier: &VerifierOnlyCircuitData<C, D>,
        data: CircuitData<F, C, D>,
    ) -> Result<Self> {
        let (mut builder, t) = define(ty, basic_common, basic_verifier)?;
        Shape::of(&data.common).pad(&mut builder);
        shape::check_construction(NAME, builder, &data)?;
        Ok(Self::assemble(ty, basic_common, basic_verifier, data, t))
    }

    fn assemble(
        ty: CircuitType,
        basic_common: &CommonCircuitData<F, D>,
        basic_verifier: &VerifierOnlyCircuitData<C, D>,
        data: CircuitData<F, C, D>,
        t: Targets,
    ) -> Self {
        LeafCircuit {
            circuit_type: ty,
            data,
            basic_common: basic_common.clone(),
            basic_digest: basic_verifier.circuit_digest,
            proofs: t.proofs,
            enabled: t.enabled,
            backend: cpu_backend(),
        }
    }

    /// Proves on `backend` from now on (every circuit starts on the CPU).
    pub fn use_backend(&mut self, backend: SharedBackend) {
        self.backend = backend;
    }

    /// Prove a leaf over `proofs` (1..=LEAF_ARITY consecutive basic proofs of this leaf's type), after
    /// checking natively that they chain.
    pub fn prove(&self, proofs: &[Proof]) -> Result<Proof> {
        self.check_arity(proofs)?;
        let links: Vec<_> = proofs.iter().map(|p| NativeLink::of_basic(&p.public_inputs)).collect();
        if let Some((i, l)) = links.iter().enumerate().find(|(_, l)| l.ty != self.circuit_type.id()) {
            return Err(AggError::Chain {
                circuit: NAME,
                reason: format!("slot {i} is of type {}, this leaf takes {:?}", l.ty, self.circuit_type),
            });
        }
        chain::check_native(NAME, &links)?;
        self.prove_unchecked(proofs)
    }

    /// Prove without the native checks, leaving every rule to the circuit. For tests that show the circuit
    /// itself rejects a bad group.
    pub fn prove_unchecked(&self, proofs: &[Proof]) -> Result<Proof> {
        self.check_arity(proofs)?;
        let last = proofs.last().expect("arity checked");
        let slots: Vec<(&Proof, bool)> =
            (0..LEAF_ARITY).map(|i| (proofs.get(i).unwrap_or(last), i < proofs.len())).collect();
        self.prove_slots(&slots)
    }

    /// Prove with every slot's proof and enabled flag given (slot 0's flag is the constant true and is
    /// ignored): the witness a cheating prover controls. For negative tests of the flags' own rules.
    pub fn prove_slots(&self, slots: &[(&Proof, bool)]) -> Result<Proof> {
        if slots.len() != LEAF_ARITY {
            return Err(AggError::Arity { circuit: NAME, max: LEAF_ARITY, got: slots.len() });
        }
        crate::prove::prove(NAME, &*self.backend, &self.data, || self.witness_slots(slots))
    }

    /// The partial witness [`Self::prove_slots`] proves (`slots` as there). For backends and tests that
    /// prove it themselves.
    pub fn witness_slots(&self, slots: &[(&Proof, bool)]) -> Result<PartialWitness<F>> {
        if slots.len() != LEAF_ARITY {
            return Err(AggError::Arity { circuit: NAME, max: LEAF_ARITY, got: slots.len() });
        }
        let mut pw = PartialWitness::new();
        for (i, (p, on)) in slots.iter().enumerate() {
            pw.set_proof_with_pis_target(&self.proofs[i], p).map_err(witness_err(NAME))?;
            if i > 0 {
                pw.set_bool_target(self.enabled[i], *on).map_err(witness_err(NAME))?;
            }
        }
        Ok(pw)
    }

    fn check_arity(&self, proofs: &[Proof]) -> Result<()> {
        if proofs.is_empty() || proofs.len() > LEAF_ARITY {
            return Err(AggError::Arity { circuit: NAME, max: LEAF_ARITY, got: proofs.len() });
        }
        if let Some(p) = proofs.iter().find(|p| p.public_inputs.len() != self.basic_common.num_public_inputs) {
            return Err(AggError::PublicInputs {
                circuit: NAME,
                expected: self.basic_common.num_public_inputs,
                got: p.public_inputs.len(),
            });
        }
        Ok(())
    }

    /// Digest of the basic circuit this leaf accepts (what its vk-commitment public inputs carry).
    pub fn basic_digest(&self) -> HashOut<F> {
        self.basic_digest
    }

    pub fn digest(&self) -> HashOut<F> {
        self.data.verifier_only.circuit_digest
    }
}
