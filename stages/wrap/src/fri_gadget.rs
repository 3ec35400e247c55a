//! plonky2's FRI verifier (fri/verifier.rs) in R1CS, for the last layer's four oracles.
//!
//! Per query, with the index's bits `b` (LSB first, `degree_bits + rate_bits` of them):
//! 1. each initial tree's leaf against its cap (the constants/sigmas cap is a circuit constant);
//! 2. `x = g·ω^{rev(b)}`, a product of constant-or-one factors, one per bit;
//! 3. the combined opening `α^{n₁}·(Σα^k·f_k(x) − r₀)/(x − ζ) + (Σα^k·z_k(x) − r₁)/(x − gζ)`, where the
//!    α powers are computed once and each `f_k(x)·α^k` is a lazy product (one constraint per coordinate);
//! 4. each folding step: the coset's entry at the index's low bits equals the previous value; the coset is
//!    interpolated at the step's β on its points `s·gᵢ`, `s = x·g^{−rev(low bits)}`, by the barycentric form
//!    `(βⁿ − xⁿ)/(n·xⁿ) · Σᵢ yᵢ·s gⁱ/(β − s gⁱ)` (`sⁿ = xⁿ`), and the coset is checked against the step's
//!    cap at the remaining bits;
//! 5. the final polynomial at `x^(product of arities)` equals the last folded value.

use crate::challenges_gadget::ChallengesVar;
use crate::goldilocks_ext_gadget::GoldilocksExtVar;
use crate::goldilocks_gadget::GoldilocksVar;
use crate::merkle_gadget::verify_merkle_proof_to_cap_var;
use crate::proof_var::{FriProofVar, LastLayerCommon, OpeningsVar, QueryRoundVar};
use ark_bn254::Fr;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::select::CondSelectGadget;
use ark_relations::gr1cs::SynthesisError;
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::field::types::{Field, PrimeField64};

type F = GoldilocksField;

/// What every query shares: α powers, the reduced openings, ζ and gζ, each step's βⁿ.
struct Shared {
    /// α⁰, α¹, …: enough for the larger batch.
    alpha_powers: Vec<GoldilocksExtVar>,
    alpha_pow_next_batch: GoldilocksExtVar,
    reduced: [GoldilocksExtVar; 2],
    points: [GoldilocksExtVar; 2],
    beta_pow_arity: Vec<GoldilocksExtVar>,
}

/// Verifies the FRI proof: every query round and the final polynomial (the proof of work is checked with
/// the challenges). `initial_caps` are the four oracles' caps in plonky2's order.
pub fn verify_fri_var(
    common: &LastLayerCommon,
    openings: &OpeningsVar,
    challenges: &ChallengesVar,
    initial_caps: &[Vec<FpVar<Fr>>; 4],
    fri: &FriProofVar,
) -> Result<(), SynthesisError> {
    let alpha = &challenges.fri_alpha;
    let batch0 = openings.zeta_batch();
    let mut alpha_powers = vec![GoldilocksExtVar::constant([1, 0])];
    for _ in 1..batch0.len().max(openings.zs_next.len() + 1) {
        let next = alpha_powers.last().expect("starts non-empty").mul(alpha)?;
        alpha_powers.push(next);
    }
    let g = F::primitive_root_of_unity(common.degree_bits()).to_canonical_u64();
    let shared = Shared {
        alpha_pow_next_batch: alpha_powers[openings.zs_next.len()].clone(),
        reduced: [reduce_ext(&batch0, &alpha_powers)?, reduce_ext(&openings.zs_next, &alpha_powers)?],
        points: [challenges.zeta.clone(), challenges.zeta.mul_base_const(g)?.reduce()?],
        beta_pow_arity: challenges
            .fri_betas
            .iter()
            .zip(&common.fri_params.reduction_arity_bits)
            .map(|(beta, &bits)| beta.exp_power_of_2(bits))
            .collect::<Result<_, _>>()?,
        alpha_powers,
    };
    for (round, bits) in fri.queries.iter().zip(&challenges.query_index_bits) {
        verify_query(common, challenges, initial_caps, fri, &shared, round, bits)?;
    }
    Ok(())
}

/// `Σ_k α^k·v_k` with the precomputed powers: lazy products, one reduction per coordinate.
fn reduce_ext(values: &[GoldilocksExtVar], powers: &[GoldilocksExtVar]) -> Result<GoldilocksExtVar, SynthesisError> {
    let mut acc = GoldilocksExtVar::constant([0, 0]);
    for (v, p) in values.iter().zip(powers) {
        acc = acc.add(&v.mul(p)?)?;
    }
    acc.reduce()
}

/// `Σ_k α^k·e_k` for base-field values: two lazy products per term, reduced once.
fn reduce_base(values: &[GoldilocksVar], powers: &[GoldilocksExtVar]) -> Result<GoldilocksExtVar, SynthesisError> {
    let mut acc = [GoldilocksVar::constant(0), GoldilocksVar::constant(0)];
    for (v, p) in values.iter().zip(powers) {
        for (a, c) in acc.iter_mut().zip(&p.0) {
            *a = a.add(&v.mul_lazy(c)?)?;
        }
    }
    GoldilocksExtVar(acc).reduce()
}

/// `∏_j (bit_j ? c_j : 1)` times `start`, canonical: each factor is linear in its bit.
fn select_product(start: u64, factors: &[(Boolean<Fr>, u64)]) -> Result<GoldilocksVar, SynthesisError> {
    let mut acc = GoldilocksVar::constant(start);
    for (bit, c) in factors {
        let factor = FpVar::from(bit.clone()) * Fr::from(c.wrapping_sub(1)) + FpVar::one();
        acc = acc.mul(&GoldilocksVar::from_bounded(factor, (*c).max(1)))?;
    }
    Ok(acc)
}

#[allow(clippy::too_many_arguments)]
fn verify_query(
    common: &LastLayerCommon,
    challenges: &ChallengesVar,
    initial_caps: &[Vec<FpVar<Fr>>; 4],
    fri: &FriProofVar,
    shared: &Shared,
    round: &QueryRoundVar,
    bits: &[Boolean<Fr>],
) -> Result<(), SynthesisError> {
    for (opening, cap) in round.initial.iter().zip(initial_caps) {
        verify_merkle_proof_to_cap_var(&opening.leaf, bits, cap, &opening.siblings)?;
    }
    // x = g·ω^{rev(index)}: bit j of the reversed index is bit (log_n − 1 − j) of the index.
    let log_n = bits.len();
    let omega = F::primitive_root_of_unity(log_n);
    let factors: Vec<_> =
        (0..log_n).map(|j| (bits[log_n - 1 - j].clone(), omega.exp_power_of_2(j).to_canonical_u64())).collect();
    let mut x = select_product(F::MULTIPLICATIVE_GROUP_GENERATOR.to_canonical_u64(), &factors)?;

    // The combined initial opening at x.
    let leaves: Vec<GoldilocksVar> = round.initial.iter().flat_map(|o| o.leaf.iter().cloned()).collect();
    let num_next = common.config.num_challenges;
    let zs_leaf = &round.initial[2].leaf[..num_next];
    let x_ext = GoldilocksExtVar::from_base(&x);
    let mut eval = GoldilocksExtVar::constant([0, 0]);
    for (k, (values, point)) in [&leaves[..], zs_leaf].into_iter().zip(&shared.points).enumerate() {
        let numerator = reduce_base(values, &shared.alpha_powers)?.sub(&shared.reduced[k])?;
        let quotient = x_ext.sub(point)?.div_into(&numerator)?;
        eval = if k == 0 { quotient } else { eval.mul(&shared.alpha_pow_next_batch)?.add(&quotient)? };
    }

    let mut index_bits = bits.to_vec();
    for (i, &arity_bits) in common.fri_params.reduction_arity_bits.iter().enumerate() {
        let step = &round.steps[i];
        let (low, high) = index_bits.split_at(arity_bits);
        // The coset's entry at the low bits is the value folded so far (ark's mux reads big-endian).
        let position: Vec<Boolean<Fr>> = low.iter().rev().cloned().collect();
        let current = eval.reduce()?;
        for c in 0..2 {
            let column = step.leaf.iter().map(|e| e.0[c].canonical_fp()).collect::<Result<Vec<_>, _>>()?;
            FpVar::conditionally_select_power_of_two_vector(&position, &column)?
                .enforce_equal(&current.0[c].canonical_fp()?)?;
        }
        let next_x = (0..arity_bits).try_fold(x.clone(), |y, _| y.mul(&y))?;
        eval = interpolate_coset(&x, &next_x, low, &step.leaf, &challenges.fri_betas[i], &shared.beta_pow_arity[i])?;
        let flat: Vec<GoldilocksVar> = step.leaf.iter().flat_map(|e| e.0.iter().cloned()).collect();
        verify_merkle_proof_to_cap_var(&flat, high, &fri.commit_caps[i], &step.siblings)?;
        x = next_x;
        index_bits = high.to_vec();
    }
    // The final polynomial at x, Horner from the top coefficient.
    let mut final_eval = GoldilocksExtVar::constant([0, 0]);
    for c in fri.final_poly.iter().rev() {
        final_eval = final_eval.scalar_mul(&x)?.add(c)?;
    }
    final_eval.enforce_equal(&eval)
}

/// The folded value: the coset `{s·gⁱ}` (`s = x·g^{−rev(low)}`, g of order `arity`) with values
/// `yᵢ = evals[rev(i)]` interpolated at β (plonky2's `compute_evaluation`), in barycentric form.
fn interpolate_coset(
    x: &GoldilocksVar,
    x_pow_arity: &GoldilocksVar,
    low: &[Boolean<Fr>],
    evals: &[GoldilocksExtVar],
    beta: &GoldilocksExtVar,
    beta_pow_arity: &GoldilocksExtVar,
) -> Result<GoldilocksExtVar, SynthesisError> {
    let k = low.len();
    let arity = 1usize << k;
    let g = F::primitive_root_of_unity(k);
    let g_inv = g.inverse();
    // g^{−rev(low)}: bit j of rev(low) is low[k − 1 − j].
    let factors: Vec<_> =
        (0..k).map(|j| (low[k - 1 - j].clone(), g_inv.exp_power_of_2(j).to_canonical_u64())).collect();
    let s = x.mul(&select_product(1, &factors)?)?;
    let mut sum = GoldilocksExtVar::constant([0, 0]);
    for i in 0..arity {
        let point = GoldilocksExtVar::from_base(&s.mul_const(g.exp_u64(i as u64).to_canonical_u64())?.reduce()?);
        let weight = beta.sub(&point)?.div_into(&point)?;
        let y = &evals[reverse_bits(i, k)];
        sum = sum.add(&y.mul(&weight)?)?;
    }
    let xn = GoldilocksExtVar::from_base(x_pow_arity);
    let factor = xn.mul_base_const(arity as u64)?.div_into(&beta_pow_arity.sub(&xn)?)?;
    factor.mul(&sum)
}

fn reverse_bits(i: usize, bits: usize) -> usize {
    if bits == 0 {
        0
    } else {
        i.reverse_bits() >> (usize::BITS as usize - bits)
    }
}
