//! Step 4: the permutation argument's Z polynomials and partial products (plonky2's private
//! `all_wires_permutation_partial_products` and `wires_permutation_partial_products_and_zs`).
//!
//! For challenge (β, γ), row i with subgroup point x and routed wire j:
//! f_j = w_j + β·k_j·x + γ, g_j = w_j + β·σ_j + γ, q_j = f_j / g_j.
//! The q_j are cut into chunks of `quotient_degree_factor`; their products P_0 … P_m (m =
//! `num_partial_products`) give, with Z(row 0) = 1:
//! partial product k at row i = Z(i)·P_0⋯P_k (k < m) and Z(i + 1) = Z(i)·P_0⋯P_m.

use plonky2::field::polynomial::PolynomialValues;
use plonky2::field::types::Field;
use plonky2::plonk::circuit_data::{CommonCircuitData, ProverOnlyCircuitData};
use rayon::prelude::*;

use super::{C, D};
use crate::F;

/// The columns in the order of plonky2's Z/partial-products commitment: Z of challenge 0 … nc−1,
/// then the `num_partial_products` partial products of challenge 0, of challenge 1, …
pub fn zs_and_partial_products(
    wires: &[PolynomialValues<F>],
    betas: &[F],
    gammas: &[F],
    prover: &ProverOnlyCircuitData<F, C, D>,
    common: &CommonCircuitData<F, D>,
) -> Vec<PolynomialValues<F>> {
    let nc = betas.len();
    let n = common.degree();
    let routed = common.config.num_routed_wires;
    let chunk = common.quotient_degree_factor;
    let num_prods = common.num_partial_products;
    assert_eq!(routed.div_ceil(chunk), num_prods + 1, "partial product count");

    // Chunk products of every row, for every challenge: row-major, (num_prods + 1) per challenge. A chunk's
    // product of quotients is the product of its numerators over the product of its denominators, so a row
    // needs no inverse per wire: the chunk denominators of ROWS rows are inverted together (one field
    // inversion per batch instead of one per row and challenge, and a quarter of the multiplications).
    const ROWS: usize = 64;
    let per_row = nc * (num_prods + 1);
    let mut products = vec![F::ZERO; n * per_row];
    products.par_chunks_mut(per_row * ROWS).enumerate().for_each(|(batch, out)| {
        let mut dens = vec![F::ZERO; out.len()];
        for (i, (out, dens)) in out.chunks_mut(per_row).zip(dens.chunks_mut(per_row)).enumerate() {
            let row = batch * ROWS + i;
            let x = prover.subgroup[row];
            let sigmas = &prover.sigmas[row];
            for c in 0..nc {
                let (beta_x, gamma) = (betas[c] * x, gammas[c]);
                for k in 0..=num_prods {
                    let (mut num, mut den) = (F::ONE, F::ONE);
                    for j in k * chunk..((k + 1) * chunk).min(routed) {
                        let w = wires[j].values[row] + gamma;
                        num *= w + beta_x * common.k_is[j];
                        den *= w + betas[c] * sigmas[j];
                    }
                    out[c * (num_prods + 1) + k] = num;
                    dens[c * (num_prods + 1) + k] = den;
                }
            }
        }
        for (o, inv) in out.iter_mut().zip(F::batch_multiplicative_inverse(&dens)) {
            *o *= inv;
        }
    });

    // Running products down the rows (sequential in the row, parallel over challenges).
    let columns: Vec<(Vec<F>, Vec<Vec<F>>)> = (0..nc)
        .into_par_iter()
        .map(|c| {
            let mut z = vec![F::ZERO; n];
            let mut partials = vec![vec![F::ZERO; n]; num_prods];
            let mut z_x = F::ONE;
            for row in 0..n {
                let p = &products[row * per_row + c * (num_prods + 1)..][..num_prods + 1];
                z[row] = z_x;
                let mut acc = z_x;
                for (k, &pk) in p.iter().enumerate() {
                    acc *= pk;
                    if k < num_prods {
                        partials[k][row] = acc;
                    }
                }
                z_x = acc;
            }
            (z, partials)
        })
        .collect();

    let mut out = Vec::with_capacity(nc * (num_prods + 1));
    let mut partials_all = Vec::with_capacity(nc * num_prods);
    for (z, partials) in columns {
        out.push(PolynomialValues::new(z));
        partials_all.extend(partials.into_iter().map(PolynomialValues::new));
    }
    out.extend(partials_all);
    out
}
