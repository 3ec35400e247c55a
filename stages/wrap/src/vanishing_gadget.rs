//! The vanishing-polynomial check at ζ in R1CS: plonky2's `eval_vanishing_poly` (plonk/vanishing_poly.rs)
//! and the quotient identity of `verify_with_challenges` (plonk/verifier.rs).
//!
//! The terms, in plonky2's order: `L₀(ζ)·(Z_i(ζ) − 1)` for every challenge i, with
//! `L₀(x) = (xⁿ − 1) / (n·(x − 1))`; then for every challenge the partial-product checks — with
//! `f_j = w_j + β_i·k_j·ζ + γ_i` and `g_j = w_j + β_i·σ_j + γ_i` over the routed wires in chunks of
//! `quotient_degree_factor`, and the accumulators `Z(ζ), π₁, …, Z(gζ)`: `prev·∏f − next·∏g` per chunk; then
//! the gate constraints. The whole list is combined with powers of each α_i (Horner from the last term),
//! and each combination must equal `Z_H(ζ)·t_i(ζ)`, with `Z_H(ζ) = ζⁿ − 1` and `t_i(ζ) = Σ_k t_{i,k}(ζ)·ζ^{nk}`
//! rebuilt from the quotient chunks. Lookups are refused earlier ([`crate::WrapError::UnsupportedCircuit`]).

use crate::challenges_gadget::ChallengesVar;
use crate::gates_gadget::GateLayout;
use crate::goldilocks_ext_gadget::GoldilocksExtVar;
use crate::goldilocks_gadget::GoldilocksVar;
use crate::proof_var::{LastLayerCommon, OpeningsVar};
use ark_relations::gr1cs::SynthesisError;
use plonky2::field::types::PrimeField64;

/// Enforces the vanishing-polynomial identity at ζ for every challenge.
pub fn enforce_vanishing(
    common: &LastLayerCommon,
    layout: &GateLayout,
    openings: &OpeningsVar,
    challenges: &ChallengesVar,
    public_inputs_hash: &[GoldilocksVar; 4],
) -> Result<(), SynthesisError> {
    let zeta = &challenges.zeta;
    let degree_bits = common.degree_bits();
    let zeta_pow_n = zeta.exp_power_of_2(degree_bits)?;
    let one = GoldilocksExtVar::constant([1, 0]);
    let z_h = zeta_pow_n.sub(&one)?;
    // L₀(ζ) = Z_H(ζ) / (n·(ζ − 1)).
    let l0 = zeta.sub(&one)?.mul_base_const(1 << degree_bits)?.div_into(&z_h)?;

    let gate_terms = layout.evaluate(&openings.constants, &openings.wires, public_inputs_hash)?;
    let routed = common.config.num_routed_wires;
    let max_degree = common.quotient_degree_factor;
    let num_prods = common.num_partial_products;
    let mut z1_terms = Vec::new();
    let mut partial_product_terms = Vec::new();
    for i in 0..common.config.num_challenges {
        let (beta, gamma) = (&challenges.betas[i], &challenges.gammas[i]);
        z1_terms.push(l0.mul(&openings.zs[i].sub(&one)?)?);
        let gamma_ext = GoldilocksExtVar::from_base(gamma);
        let mut numerators = Vec::with_capacity(routed);
        let mut denominators = Vec::with_capacity(routed);
        for j in 0..routed {
            let wire = &openings.wires[j];
            let k_beta = beta.mul_const(common.k_is[j].to_canonical_u64())?;
            numerators.push(wire.add(&zeta.scalar_mul(&k_beta)?)?.add(&gamma_ext)?);
            denominators.push(wire.add(&openings.sigmas[j].scalar_mul(beta)?)?.add(&gamma_ext)?);
        }
        let partials = &openings.partial_products[i * num_prods..(i + 1) * num_prods];
        let accumulators: Vec<&GoldilocksExtVar> =
            std::iter::once(&openings.zs[i]).chain(partials).chain(std::iter::once(&openings.zs_next[i])).collect();
        for ((num, den), acc) in
            numerators.chunks(max_degree).zip(denominators.chunks(max_degree)).zip(accumulators.windows(2))
        {
            let num_product = product(num)?;
            let den_product = product(den)?;
            partial_product_terms.push(acc[0].mul(&num_product)?.sub(&acc[1].mul(&den_product)?)?);
        }
    }
    // One list for all challenges — every Z₁ term, every partial-product term, then the gates — reduced
    // with each α_i in turn (Horner from the last term), as plonky2's `reduce_with_powers_multi`.
    let terms: Vec<&GoldilocksExtVar> = z1_terms.iter().chain(&partial_product_terms).chain(&gate_terms).collect();
    for (i, alpha) in challenges.alphas.iter().enumerate() {
        let mut vanishing = GoldilocksExtVar::constant([0, 0]);
        for term in terms.iter().rev() {
            vanishing = vanishing.scalar_mul(alpha)?.add(term)?;
        }
        let chunk = &openings.quotient[i * max_degree..(i + 1) * max_degree];
        let mut quotient = GoldilocksExtVar::constant([0, 0]);
        for t in chunk.iter().rev() {
            quotient = quotient.mul(&zeta_pow_n)?.add(t)?;
        }
        vanishing.enforce_equal(&z_h.mul(&quotient)?)?;
    }
    Ok(())
}

fn product(xs: &[GoldilocksExtVar]) -> Result<GoldilocksExtVar, SynthesisError> {
    xs.iter().try_fold(GoldilocksExtVar::constant([1, 0]), |acc, x| acc.mul(x))
}
