//! The wrapper circuit: plonky2's verifier for one last-layer circuit as an R1CS over BN254, satisfied iff
//! plonky2's `verify` accepts the proof (up to the soundness of the Fiat–Shamir challenges both share).
//!
//! The verifier key is baked in: the constants/sigmas cap and the circuit digest are R1CS constants, and the
//! common data fixes the shape, the gates and the selectors. Everything from the proof is a witness.
//!
//! Order, as plonky2's `verify` / `verify_with_challenges`: the challenges ([`get_challenges_var`]), the
//! proof of work, the vanishing identity at ζ ([`enforce_vanishing`]), then FRI ([`verify_fri_var`]).
//!
//! Public inputs: the wrapper's one Groth16 input is the Poseidon-BN254 commitment to the inner proof's
//! public inputs ([`crate::commit_public_inputs`]); inside, they are hashed with Goldilocks Poseidon as
//! plonky2 does (the config's inner hasher), and that hash enters the transcript and the public-input gate.
//!
//! [`get_challenges_var`]: crate::challenges_gadget::get_challenges_var
//! [`enforce_vanishing`]: crate::vanishing_gadget::enforce_vanishing
//! [`verify_fri_var`]: crate::fri_gadget::verify_fri_var

use crate::challenges_gadget::{enforce_pow, get_challenges_var};
use crate::commitment::{commit_public_inputs, commit_public_inputs_var};
use crate::error::WrapError;
use crate::fri_gadget::verify_fri_var;
use crate::gates_gadget::GateLayout;
use crate::goldilocks_poseidon_gadget::poseidon_hash_no_pad_var;
use crate::plonky2_hasher::PoseidonBn254GoldilocksConfig;
use crate::proof_var::{check_shape, LastLayerCommon, LastLayerProof, ProofVar};
use crate::vanishing_gadget::enforce_vanishing;
use ark_bn254::Fr;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use plonky2::plonk::circuit_data::VerifierOnlyCircuitData;

/// The last layer's verifier key.
pub type LastLayerVerifierKey = VerifierOnlyCircuitData<PoseidonBn254GoldilocksConfig, 2>;

/// Constraint counts of one synthesis, per component (for the crate doc and the notes).
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct WrapperCounts {
    pub allocation: usize,
    pub transcript: usize,
    pub vanishing: usize,
    pub fri: usize,
    pub total: usize,
}

/// The wrapper for one plonky2 circuit and one proof of it.
#[derive(Clone, Debug)]
pub struct Plonky2VerifierCircuit {
    common: LastLayerCommon,
    verifier_key: LastLayerVerifierKey,
    layout: GateLayout,
    proof: LastLayerProof,
}

impl Plonky2VerifierCircuit {
    /// The wrapper for `common`/`verifier_key`, with `proof` as its witness. Fails if the circuit uses
    /// something not verified in R1CS yet, or if the proof's shape is not the circuit's. (For a Groth16
    /// setup any proof of the circuit serves: only its shape is read.)
    pub fn new(
        common: LastLayerCommon,
        verifier_key: LastLayerVerifierKey,
        proof: LastLayerProof,
    ) -> Result<Self, WrapError> {
        let unsupported = |what: &str| Err(WrapError::UnsupportedCircuit(what.into()));
        if common.num_lookup_polys != 0 || common.num_lookup_selectors != 0 {
            return unsupported("lookups");
        }
        if common.fri_params.hiding || common.config.zero_knowledge {
            return unsupported("zero knowledge (salted leaves)");
        }
        let layout = GateLayout::new(&common)?;
        check_shape(&proof, &common)?;
        Ok(Plonky2VerifierCircuit { common, verifier_key, layout, proof })
    }

    /// The Groth16 public inputs of this wrapper: the commitment to the inner proof's public inputs.
    pub fn snark_inputs(&self) -> Vec<Fr> {
        vec![commit_public_inputs(&self.proof.public_inputs)]
    }

    /// Builds the constraints into `cs` and returns their counts per component.
    pub fn synthesize(&self, cs: ConstraintSystemRef<Fr>) -> Result<WrapperCounts, SynthesisError> {
        let common = &self.common;
        let mut counts = WrapperCounts::default();
        let mark = |slot: &mut usize, cs: &ConstraintSystemRef<Fr>, last: &mut usize| {
            *slot = cs.num_constraints() - *last;
            *last = cs.num_constraints();
        };
        let mut last = cs.num_constraints();
        let proof = ProofVar::new_witness(cs.clone(), &self.proof)?;
        mark(&mut counts.allocation, &cs, &mut last);

        // The wrapper's one public input: the Poseidon-BN254 commitment to the inner public inputs.
        let commitment = FpVar::new_input(cs.clone(), || Ok(commit_public_inputs(&self.proof.public_inputs)))?;
        commit_public_inputs_var(&proof.public_inputs)?.enforce_equal(&commitment)?;
        // plonky2 binds them through their Goldilocks-Poseidon hash, which the transcript observes and the
        // public-input gate pins.
        let public_inputs_hash = poseidon_hash_no_pad_var(&proof.public_inputs)?;
        let challenges =
            get_challenges_var(&proof, &public_inputs_hash, self.verifier_key.circuit_digest.to_fr(), common)?;
        enforce_pow(&challenges, common.config.fri_config.proof_of_work_bits)?;
        mark(&mut counts.transcript, &cs, &mut last);

        enforce_vanishing(common, &self.layout, &proof.openings, &challenges, &public_inputs_hash)?;
        mark(&mut counts.vanishing, &cs, &mut last);

        let constants_cap: Vec<FpVar<Fr>> =
            self.verifier_key.constants_sigmas_cap.0.iter().map(|h| FpVar::constant(h.to_fr())).collect();
        let caps = [constants_cap, proof.wires_cap.clone(), proof.zs_cap.clone(), proof.quotient_cap.clone()];
        verify_fri_var(common, &proof.openings, &challenges, &caps, &proof.fri)?;
        mark(&mut counts.fri, &cs, &mut last);
        counts.total = cs.num_constraints();
        Ok(counts)
    }
}

impl ConstraintSynthesizer<Fr> for Plonky2VerifierCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        self.synthesize(cs).map(|_| ())
    }
}
