//! The challenge schedule of plonky2's `get_challenges` (plonk/get_challenges.rs, fri/challenges.rs) in R1CS:
//! the same observations in the same order, so the wrapper draws exactly the β, γ, α, ζ, FRI α, folding βs,
//! proof-of-work response and query indices the last layer's prover drew.
//!
//! Order: the FRI parameters (constants), the circuit digest (a constant), the public-inputs hash, the wires
//! cap → β, γ (num_challenges each); the Z/partial-products cap → α; the quotient cap → ζ; every opening
//! (ζ batch, then gζ batch) → FRI α; each commit-phase cap → its β; the final polynomial; the pow witness →
//! pow response; then one challenge per query, its index being the low bits of the canonical value.
//!
//! Constant observations cost nothing but the duplexings they share with witnesses: ark folds constant
//! lanes through the permutation.

use crate::challenger_gadget::ChallengerVar;
use crate::goldilocks_ext_gadget::GoldilocksExtVar;
use crate::goldilocks_gadget::GoldilocksVar;
use crate::proof_var::{LastLayerCommon, ProofVar};
use ark_bn254::Fr;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::GR1CSVar;
use ark_relations::gr1cs::SynthesisError;
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::field::types::PrimeField64;

/// Every challenge of one proof.
#[derive(Clone, Debug)]
pub struct ChallengesVar {
    pub betas: Vec<GoldilocksVar>,
    pub gammas: Vec<GoldilocksVar>,
    pub alphas: Vec<GoldilocksVar>,
    pub zeta: GoldilocksExtVar,
    pub fri_alpha: GoldilocksExtVar,
    pub fri_betas: Vec<GoldilocksExtVar>,
    /// The proof-of-work response's 64 bits, little-endian (its leading zeros are what is checked).
    pub pow_response_bits: Vec<Boolean<Fr>>,
    /// Each query's index in the LDE, as its `degree_bits + rate_bits` little-endian bits.
    pub query_index_bits: Vec<Vec<Boolean<Fr>>>,
}

/// The FRI parameters as plonky2's `FriParams::observe` feeds them to the challenger.
fn fri_params_elements(common: &LastLayerCommon) -> Vec<u64> {
    let params = &common.fri_params;
    let config = &params.config;
    let mut out = vec![config.rate_bits as u64, config.cap_height as u64, config.proof_of_work_bits as u64];
    out.extend(config.reduction_strategy.serialize::<GoldilocksField>().iter().map(|x| x.to_canonical_u64()));
    out.push(config.num_query_rounds as u64);
    out.push(params.hiding as u64);
    out.push(params.degree_bits as u64);
    out.extend(params.reduction_arity_bits.iter().map(|&b| b as u64));
    out
}

/// Draws the challenges for `proof`. `circuit_digest` is the verifier key's digest (a circuit constant);
/// `public_inputs_hash` is plonky2's inner (Goldilocks Poseidon) hash of the public inputs.
pub fn get_challenges_var(
    proof: &ProofVar,
    public_inputs_hash: &[GoldilocksVar; 4],
    circuit_digest: Fr,
    common: &LastLayerCommon,
) -> Result<ChallengesVar, SynthesisError> {
    let n = common.config.num_challenges;
    let mut ch = ChallengerVar::new();
    let constants: Vec<GoldilocksVar> = fri_params_elements(common).into_iter().map(GoldilocksVar::constant).collect();
    ch.observe_elements(&constants)?;
    ch.observe_hash(&FpVar::constant(circuit_digest))?;
    ch.observe_elements(public_inputs_hash)?;

    let observe_cap = |ch: &mut ChallengerVar, cap: &[FpVar<Fr>]| cap.iter().try_for_each(|h| ch.observe_hash(h));
    let draw = |ch: &mut ChallengerVar| (0..n).map(|_| ch.get_challenge()).collect::<Result<Vec<_>, _>>();
    observe_cap(&mut ch, &proof.wires_cap)?;
    let betas = draw(&mut ch)?;
    let gammas = draw(&mut ch)?;
    observe_cap(&mut ch, &proof.zs_cap)?;
    let alphas = draw(&mut ch)?;
    observe_cap(&mut ch, &proof.quotient_cap)?;
    let zeta = ch.get_extension_challenge()?;

    for v in proof.openings.zeta_batch().iter().chain(&proof.openings.zs_next) {
        ch.observe_extension_element(v)?;
    }
    let fri_alpha = ch.get_extension_challenge()?;
    let mut fri_betas = Vec::new();
    for cap in &proof.fri.commit_caps {
        observe_cap(&mut ch, cap)?;
        fri_betas.push(ch.get_extension_challenge()?);
    }
    for c in &proof.fri.final_poly {
        ch.observe_extension_element(c)?;
    }
    ch.observe_element(&proof.fri.pow_witness)?;
    let pow_response_bits = bits64(&ch.get_challenge()?)?;
    let lde_bits = common.degree_bits() + common.config.fri_config.rate_bits;
    let query_index_bits = (0..common.config.fri_config.num_query_rounds)
        .map(|_| Ok(bits64(&ch.get_challenge()?)?[..lde_bits].to_vec()))
        .collect::<Result<_, SynthesisError>>()?;
    Ok(ChallengesVar { betas, gammas, alphas, zeta, fri_alpha, fri_betas, pow_response_bits, query_index_bits })
}

/// The 64 little-endian bits of a canonical element (65 constraints). The sum of 64 bits is below BN254's
/// modulus, so the decomposition is the integer's own and unique.
pub fn bits64(x: &GoldilocksVar) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    let fp = x.canonical_fp()?;
    let value = x.value().ok();
    let cs = fp.cs();
    let bits = (0..64)
        .map(|i| {
            Boolean::new_witness(cs.clone(), || value.map(|v| v >> i & 1 == 1).ok_or(SynthesisError::AssignmentMissing))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut sum = FpVar::zero();
    let mut coeff = Fr::from(1u64);
    for b in &bits {
        sum += FpVar::from(b.clone()) * coeff;
        coeff += coeff;
    }
    sum.enforce_equal(&fp)?;
    Ok(bits)
}

/// plonky2's proof-of-work rule: the response's top `pow_bits` bits are zero (Goldilocks is 64 bits, so
/// plonky2's `64 − order_bits` term is zero).
pub fn enforce_pow(challenges: &ChallengesVar, pow_bits: u32) -> Result<(), SynthesisError> {
    let bits = &challenges.pow_response_bits;
    bits[64 - pow_bits as usize..].iter().try_for_each(|b| b.enforce_equal(&Boolean::FALSE))
}
