//! Step 8: the openings, plonky2's `OpeningSet::new` with each point's powers computed once.
//!
//! plonky2 evaluates every committed polynomial at ζ (and the Z batch at gζ too) as
//! `p.to_extension().eval(z)`. That allocates each polynomial again in the extension field, then runs
//! Horner's rule with an extension-field product for every coefficient. In the GPU pipeline's provers,
//! with one thread each, this step was 12 % of all proving time (BENCHMARKS.md, "One H100 with the v4
//! permutation").
//!
//! All of a proof's polynomials have the circuit's degree n, so here the powers z^0..z^(n-1) are computed
//! once per point. Each evaluation is then sum_i c_i z^i: two base-field products per coefficient,
//! summed in u128 with the overflows counted and one reduction at the end. The value is the same field
//! element, and the proof bytes stay plonky2's: `tests` compares the two on random batches, and every
//! GPU proof is still compared with plonky2's (`gpu_rounds`).

use plonky2::field::extension::FieldExtension;
use plonky2::field::polynomial::PolynomialCoeffs;
use plonky2::field::types::{Field, PrimeField64};
use plonky2::fri::oracle::PolynomialBatch;
use plonky2::plonk::circuit_data::CommonCircuitData;
use plonky2::plonk::proof::OpeningSet;
use rayon::prelude::*;

use super::{Ext, C, D};
use crate::F;

/// z^0 .. z^(n-1), as the two base-field coordinates of each power.
fn powers(z: Ext, n: usize) -> Vec<[u64; 2]> {
    let mut out = Vec::with_capacity(n);
    let mut p = Ext::ONE;
    for _ in 0..n {
        out.push(p.0.map(|c| c.to_canonical_u64()));
        p *= z;
    }
    out
}

/// sum_i c_i a_i as one field element: u128 sums of the 128-bit products, each wrap worth
/// 2^128 = -2^32 (mod p), one reduction at the end.
fn dot(coeffs: &[F], a: impl Iterator<Item = u64>) -> F {
    let (mut sum, mut wraps) = (0u128, 0u64);
    for (c, x) in coeffs.iter().zip(a) {
        let (s, o) = sum.overflowing_add(c.to_noncanonical_u64() as u128 * x as u128);
        sum = s;
        wraps += o as u64;
    }
    F::from_noncanonical_u128(sum) - F::from_canonical_u64(wraps) * F::from_canonical_u64(1 << 32)
}

fn eval(p: &PolynomialCoeffs<F>, pw: &[[u64; 2]]) -> Ext {
    assert!(p.len() <= pw.len(), "a polynomial of {} coefficients against {} powers", p.len(), pw.len());
    let c = &p.coeffs;
    Ext::from_basefield_array([dot(c, pw.iter().map(|x| x[0])), dot(c, pw.iter().map(|x| x[1]))])
}

fn eval_batch(batch: &PolynomialBatch<F, C, D>, pw: &[[u64; 2]]) -> Vec<Ext> {
    batch.polynomials.par_iter().map(|p| eval(p, pw)).collect()
}

/// What `OpeningSet::new(zeta, g, ..)` returns, the same field elements (module comment).
pub(crate) fn opening_set(
    zeta: Ext,
    g: Ext,
    constants_sigmas: &PolynomialBatch<F, C, D>,
    wires: &PolynomialBatch<F, C, D>,
    zs: &PolynomialBatch<F, C, D>,
    quotient: &PolynomialBatch<F, C, D>,
    common: &CommonCircuitData<F, D>,
) -> OpeningSet<F, D> {
    let n = [constants_sigmas, wires, zs, quotient]
        .iter()
        .flat_map(|b| b.polynomials.iter().map(|p| p.len()))
        .max()
        .unwrap_or(0);
    let (at_zeta, at_next) = rayon::join(|| powers(zeta, n), || powers(g * zeta, n));
    let constants_sigmas = eval_batch(constants_sigmas, &at_zeta);
    let zs_now = eval_batch(zs, &at_zeta);
    let zs_next = eval_batch(zs, &at_next);
    OpeningSet {
        constants: constants_sigmas[common.constants_range()].to_vec(),
        plonk_sigmas: constants_sigmas[common.sigmas_range()].to_vec(),
        wires: eval_batch(wires, &at_zeta),
        plonk_zs: zs_now[common.zs_range()].to_vec(),
        plonk_zs_next: zs_next[common.zs_range()].to_vec(),
        partial_products: zs_now[common.partial_products_range()].to_vec(),
        quotient_polys: eval_batch(quotient, &at_zeta),
        lookup_zs: zs_now[common.lookup_range()].to_vec(),
        lookup_zs_next: zs_next[common.lookup_range()].to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plonky2::field::types::Sample;

    #[test]
    fn the_dot_product_with_counted_wraps_is_the_field_sum() {
        for n in [0usize, 1, 7, 300, 5000] {
            let c: Vec<F> = (0..n).map(|i| if i % 3 == 0 { F::NEG_ONE } else { F::rand() }).collect();
            let a: Vec<F> = (0..n).map(|i| if i % 5 == 0 { F::NEG_ONE } else { F::rand() }).collect();
            let want = c.iter().zip(&a).fold(F::ZERO, |s, (x, y)| s + *x * *y);
            assert_eq!(dot(&c, a.iter().map(|x| x.to_canonical_u64())), want, "n = {n}");
        }
    }

    #[test]
    fn evaluation_equals_plonky2s_extension_horner() {
        let pw = powers(Ext::rand(), 64);
        for len in [1usize, 2, 63, 64] {
            let p = PolynomialCoeffs::new(F::rand_vec(len));
            let z = Ext::from_basefield_array([F::from_canonical_u64(pw[1][0]), F::from_canonical_u64(pw[1][1])]);
            assert_eq!(eval(&p, &pw), p.to_extension::<D>().eval(z), "len {len}");
        }
    }
}
