//! A plonky2 proof of the last layer ([`PoseidonBn254GoldilocksConfig`]) as R1CS witnesses: what the wrapper
//! circuit verifies.
//!
//! Goldilocks values (openings, leaves, final polynomial, proof-of-work witness, public inputs) are
//! allocated canonical (65 constraints each), so that every later packing and hashing sees the one
//! representative plonky2 hashed. Digests are BN254 elements and cost nothing to allocate; a digest that is
//! wrong makes the hash chain above it fail.
//!
//! The shape (how many openings, rounds, levels) comes from the circuit's common data, not from the proof:
//! the R1CS must be the same for every proof of a circuit, so a proof of another shape is refused before any
//! constraint is built.
//!
//! [`PoseidonBn254GoldilocksConfig`]: crate::PoseidonBn254GoldilocksConfig

use crate::error::WrapError;
use crate::goldilocks_ext_gadget::GoldilocksExtVar;
use crate::goldilocks_gadget::GoldilocksVar;
use crate::plonky2_hasher::{Bn254HashOut, PoseidonBn254GoldilocksConfig, PoseidonBn254Hash};
use ark_bn254::Fr;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use plonky2::field::extension::quadratic::QuadraticExtension;
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::field::types::PrimeField64;
use plonky2::hash::merkle_tree::MerkleCap;
use plonky2::plonk::circuit_data::CommonCircuitData;
use plonky2::plonk::proof::ProofWithPublicInputs;

/// The inner proof type the wrapper verifies.
pub type LastLayerProof = ProofWithPublicInputs<GoldilocksField, PoseidonBn254GoldilocksConfig, 2>;
/// Its circuit's common data.
pub type LastLayerCommon = CommonCircuitData<GoldilocksField, 2>;

/// The opened values at ζ (and the Z polynomials at gζ).
#[derive(Clone, Debug)]
pub struct OpeningsVar {
    pub constants: Vec<GoldilocksExtVar>,
    pub sigmas: Vec<GoldilocksExtVar>,
    pub wires: Vec<GoldilocksExtVar>,
    pub zs: Vec<GoldilocksExtVar>,
    pub zs_next: Vec<GoldilocksExtVar>,
    pub partial_products: Vec<GoldilocksExtVar>,
    pub quotient: Vec<GoldilocksExtVar>,
}

impl OpeningsVar {
    /// The values FRI opens at ζ, in plonky2's batch order (which is also the oracles' order).
    pub fn zeta_batch(&self) -> Vec<GoldilocksExtVar> {
        [&self.constants, &self.sigmas, &self.wires, &self.zs, &self.partial_products, &self.quotient]
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }
}

/// One leaf and its Merkle path (siblings from the bottom up).
#[derive(Clone, Debug)]
pub struct MerkleOpeningVar<T> {
    pub leaf: Vec<T>,
    pub siblings: Vec<FpVar<Fr>>,
}

/// One FRI query: the four initial trees' openings, then each folding step's coset.
#[derive(Clone, Debug)]
pub struct QueryRoundVar {
    pub initial: Vec<MerkleOpeningVar<GoldilocksVar>>,
    pub steps: Vec<MerkleOpeningVar<GoldilocksExtVar>>,
}

/// The FRI proof.
#[derive(Clone, Debug)]
pub struct FriProofVar {
    pub commit_caps: Vec<Vec<FpVar<Fr>>>,
    pub queries: Vec<QueryRoundVar>,
    pub final_poly: Vec<GoldilocksExtVar>,
    pub pow_witness: GoldilocksVar,
}

/// A whole proof with its public inputs.
#[derive(Clone, Debug)]
pub struct ProofVar {
    pub public_inputs: Vec<GoldilocksVar>,
    pub wires_cap: Vec<FpVar<Fr>>,
    pub zs_cap: Vec<FpVar<Fr>>,
    pub quotient_cap: Vec<FpVar<Fr>>,
    pub openings: OpeningsVar,
    pub fri: FriProofVar,
}

/// Checks `proof` against the shape `common` prescribes (everything the allocation reads).
pub fn check_shape(proof: &LastLayerProof, common: &LastLayerCommon) -> Result<(), WrapError> {
    let shape = |what: &str, got: usize, want: usize| {
        if got == want {
            Ok(())
        } else {
            Err(WrapError::ProofShape(format!("{what}: {got}, the circuit has {want}")))
        }
    };
    let p = &proof.proof;
    let o = &p.openings;
    let config = &common.config;
    let cap_len = 1 << config.fri_config.cap_height;
    shape("public inputs", proof.public_inputs.len(), common.num_public_inputs)?;
    for (what, cap) in [("wires cap", &p.wires_cap), ("zs cap", &p.plonk_zs_partial_products_cap)] {
        shape(what, cap.0.len(), cap_len)?;
    }
    shape("quotient cap", p.quotient_polys_cap.0.len(), cap_len)?;
    shape("constants", o.constants.len(), common.num_constants)?;
    shape("sigmas", o.plonk_sigmas.len(), config.num_routed_wires)?;
    shape("wires", o.wires.len(), config.num_wires)?;
    shape("zs", o.plonk_zs.len(), config.num_challenges)?;
    shape("zs next", o.plonk_zs_next.len(), config.num_challenges)?;
    shape("partial products", o.partial_products.len(), config.num_challenges * common.num_partial_products)?;
    shape("quotient", o.quotient_polys.len(), config.num_challenges * common.quotient_degree_factor)?;
    let fri = &p.opening_proof;
    let params = &common.fri_params;
    shape("commit-phase caps", fri.commit_phase_merkle_caps.len(), params.reduction_arity_bits.len())?;
    for cap in &fri.commit_phase_merkle_caps {
        shape("commit-phase cap", cap.0.len(), cap_len)?;
    }
    shape("final poly", fri.final_poly.coeffs.len(), params.final_poly_len())?;
    shape("query rounds", fri.query_round_proofs.len(), config.fri_config.num_query_rounds)?;
    let oracle_sizes = [
        common.num_constants + config.num_routed_wires,
        config.num_wires,
        config.num_challenges * (1 + common.num_partial_products),
        config.num_challenges * common.quotient_degree_factor,
    ];
    let lde_bits = common.degree_bits() + config.fri_config.rate_bits;
    for q in &fri.query_round_proofs {
        shape("initial trees", q.initial_trees_proof.evals_proofs.len(), oracle_sizes.len())?;
        for ((leaf, path), size) in q.initial_trees_proof.evals_proofs.iter().zip(oracle_sizes) {
            shape("initial leaf", leaf.len(), size)?;
            shape("initial path", path.siblings.len(), lde_bits - config.fri_config.cap_height)?;
        }
        shape("query steps", q.steps.len(), params.reduction_arity_bits.len())?;
        let mut bits = lde_bits;
        for (step, arity_bits) in q.steps.iter().zip(&params.reduction_arity_bits) {
            bits -= arity_bits;
            shape("coset", step.evals.len(), 1 << arity_bits)?;
            shape("step path", step.merkle_proof.siblings.len(), bits - config.fri_config.cap_height)?;
        }
    }
    Ok(())
}

impl ProofVar {
    /// Allocates every value of `proof` as a witness (shape checked by [`check_shape`] first).
    pub fn new_witness(cs: ConstraintSystemRef<Fr>, proof: &LastLayerProof) -> Result<Self, SynthesisError> {
        let gl = |x: &GoldilocksField| GoldilocksVar::new_witness(cs.clone(), Some(x.to_canonical_u64()));
        let ext = |x: &QuadraticExtension<GoldilocksField>| {
            GoldilocksExtVar::new_witness(cs.clone(), Some([x.0[0].to_canonical_u64(), x.0[1].to_canonical_u64()]))
        };
        let exts = |xs: &[QuadraticExtension<GoldilocksField>]| xs.iter().map(ext).collect::<Result<Vec<_>, _>>();
        let digest = |h: &Bn254HashOut| FpVar::new_witness(cs.clone(), || Ok(h.to_fr()));
        let digests = |hs: &[Bn254HashOut]| hs.iter().map(digest).collect::<Result<Vec<_>, _>>();
        let cap = |c: &MerkleCap<GoldilocksField, PoseidonBn254Hash>| digests(&c.0);

        let p = &proof.proof;
        let o = &p.openings;
        let openings = OpeningsVar {
            constants: exts(&o.constants)?,
            sigmas: exts(&o.plonk_sigmas)?,
            wires: exts(&o.wires)?,
            zs: exts(&o.plonk_zs)?,
            zs_next: exts(&o.plonk_zs_next)?,
            partial_products: exts(&o.partial_products)?,
            quotient: exts(&o.quotient_polys)?,
        };
        let fri = &p.opening_proof;
        let queries = fri
            .query_round_proofs
            .iter()
            .map(|q| {
                let initial = q
                    .initial_trees_proof
                    .evals_proofs
                    .iter()
                    .map(|(leaf, path)| {
                        Ok(MerkleOpeningVar {
                            leaf: leaf.iter().map(gl).collect::<Result<_, _>>()?,
                            siblings: digests(&path.siblings)?,
                        })
                    })
                    .collect::<Result<_, SynthesisError>>()?;
                let steps = q
                    .steps
                    .iter()
                    .map(|s| {
                        Ok(MerkleOpeningVar { leaf: exts(&s.evals)?, siblings: digests(&s.merkle_proof.siblings)? })
                    })
                    .collect::<Result<_, SynthesisError>>()?;
                Ok(QueryRoundVar { initial, steps })
            })
            .collect::<Result<_, SynthesisError>>()?;
        Ok(ProofVar {
            public_inputs: proof.public_inputs.iter().map(gl).collect::<Result<_, _>>()?,
            wires_cap: cap(&p.wires_cap)?,
            zs_cap: cap(&p.plonk_zs_partial_products_cap)?,
            quotient_cap: cap(&p.quotient_polys_cap)?,
            openings,
            fri: FriProofVar {
                commit_caps: fri.commit_phase_merkle_caps.iter().map(cap).collect::<Result<_, _>>()?,
                queries,
                final_poly: exts(&fri.final_poly.coeffs)?,
                pow_witness: gl(&fri.pow_witness)?,
            },
        })
    }
}
