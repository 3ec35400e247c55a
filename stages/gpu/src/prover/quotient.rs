//! Step 6: the quotient polynomials (plonky2's private `compute_quotient_polys` and
//! `eval_vanishing_poly_base_batch`).
//!
//! On the coset g·K, |K| = n·2^q (q = log2 ⌈quotient_degree_factor⌉), at every point x the
//! vanishing terms are, in plonky2's order:
//! - L_0(x)·(Z_c(x) − 1) for each challenge c;
//! - for each c, the partial-product checks prev·Π f − next·Π g over each chunk of routed wires,
//!   with accumulators Z_c(x), the partial products, Z_c(ωx);
//! - every gate constraint, filtered by its selector (plonky2's public `Gate::eval_filtered_base_batch`,
//!   summed over the gates).
//!
//! Their combination Σ_k term_k·α_c^k, divided by Z_H(x), is the quotient's value; a coset IFFT
//! gives its coefficients, cut into `quotient_degree_factor` chunks of degree n. The LDE values
//! are read from the commitments' leaves with stride 2^(rate_bits − q), as plonky2 does.

use std::ops::Range;

use anyhow::{anyhow, ensure, Result};
use plonky2::field::polynomial::{PolynomialCoeffs, PolynomialValues};
use plonky2::field::types::Field;
use plonky2::field::zero_poly_coset::ZeroPolyOnCoset;
use plonky2::fri::oracle::PolynomialBatch;
use plonky2::hash::hash_types::HashOut;
use plonky2::plonk::circuit_data::CommonCircuitData;
use plonky2::plonk::vars::EvaluationVarsBaseBatch;
use plonky2::util::log2_ceil;
use plonky2::util::serialization::{Buffer, Read, Write};
use rayon::prelude::*;

use super::{CommitBackend, C, D};
use crate::F;

/// Points per gate-evaluation batch (plonky2's `BATCH_SIZE`).
const BATCH: usize = 32;

/// Everything one proof's quotient reads: the three committed LDEs, the public-inputs hash and the
/// challenges so far. The circuit digest names the circuit (a device keeps its setup rows by it).
pub struct QuotientInputs<'a> {
    pub common: &'a CommonCircuitData<F, D>,
    pub circuit_digest: HashOut<F>,
    pub constants_sigmas: &'a PolynomialBatch<F, C, D>,
    pub wires: &'a PolynomialBatch<F, C, D>,
    pub zs: &'a PolynomialBatch<F, C, D>,
    pub pi_hash: &'a HashOut<F>,
    pub betas: &'a [F],
    pub gammas: &'a [F],
    pub alphas: &'a [F],
}

/// Which selector polynomial filters each gate, and the gate range of each selector. plonky2 keeps
/// `SelectorsInfo`'s fields crate-private; its public serializer writes them, so they are read
/// back from there.
pub(crate) struct Selectors {
    pub indices: Vec<usize>,
    pub groups: Vec<Range<usize>>,
}

impl Selectors {
    pub fn of(common: &CommonCircuitData<F, D>) -> Result<Self> {
        let err = |_| anyhow!("could not read the circuit's selector information");
        let mut bytes = Vec::new();
        bytes.write_selectors_info(&common.selectors_info).map_err(err)?;
        let mut buf = Buffer::new(&bytes);
        let indices = buf.read_usize_vec().map_err(err)?;
        let count = buf.read_usize().map_err(err)?;
        let mut groups = Vec::with_capacity(count);
        for _ in 0..count {
            let start = buf.read_usize().map_err(err)?;
            let end = buf.read_usize().map_err(err)?;
            groups.push(start..end);
        }
        ensure!(indices.len() == common.gates.len(), "a selector index per gate");
        ensure!(groups.len() == common.selectors_info.num_selectors(), "selector groups");
        ensure!(indices.iter().all(|&i| i < groups.len()), "selector index out of range");
        Ok(Selectors { indices, groups })
    }
}

struct Ctx<'a> {
    q: &'a QuotientInputs<'a>,
    selectors: Selectors,
    z_h: ZeroPolyOnCoset<F>,
    step: usize,
    next_step: usize,
    lde_size: usize,
}

/// The quotient polynomials' degree-n chunks, in plonky2's order (challenge-major): the values on the
/// coset from `commit` when it computes them (a device), else from the CPU.
pub(crate) fn quotient_chunks(q: &QuotientInputs<'_>, commit: &dyn CommitBackend) -> Result<Vec<PolynomialCoeffs<F>>> {
    let values = match commit.quotient_values(q)? {
        Some(v) => v,
        None if q.wires.merkle_tree.leaves.is_empty() || q.zs.merkle_tree.leaves.is_empty() => {
            // The commitments left their leaves on the device, and it has no kernel for this circuit: the
            // host's threads need them all.
            let (wires, zs) = (with_host_leaves(q.wires, commit)?, with_host_leaves(q.zs, commit)?);
            cpu_values(&QuotientInputs { wires: &wires, zs: &zs, ..*q })?
        }
        None => cpu_values(q)?,
    };
    chunks_from_values(q.common, &values)
}

/// `batch` with every leaf on the host (fetched through `commit` where it kept them).
fn with_host_leaves(batch: &PolynomialBatch<F, C, D>, commit: &dyn CommitBackend) -> Result<PolynomialBatch<F, C, D>> {
    let count = 1usize << (batch.degree_log + batch.rate_bits);
    let all: Vec<usize> = (0..count).collect();
    Ok(PolynomialBatch {
        polynomials: batch.polynomials.clone(),
        merkle_tree: plonky2::hash::merkle_tree::MerkleTree {
            leaves: commit.leaves(batch, &all)?,
            digests: batch.merkle_tree.digests.clone(),
            cap: batch.merkle_tree.cap.clone(),
        },
        degree_log: batch.degree_log,
        rate_bits: batch.rate_bits,
        blinding: batch.blinding,
    })
}

/// The quotient's values at every point of the coset g·K, point-major (`values[i * nc + c]`: quotient
/// c at point i), computed on the host's threads.
pub fn cpu_values(q: &QuotientInputs<'_>) -> Result<Vec<F>> {
    let common = q.common;
    let nc = common.config.num_challenges;
    let rate_bits = common.config.fri_config.rate_bits;
    let q_bits = log2_ceil(common.quotient_degree_factor);
    ensure!(q_bits <= rate_bits, "constraint degree above the rate is not supported (as in plonky2)");
    let degree_bits = common.degree_bits();
    let ctx = Ctx {
        q,
        selectors: Selectors::of(common)?,
        z_h: ZeroPolyOnCoset::new(degree_bits, q_bits),
        step: 1 << (rate_bits - q_bits),
        next_step: 1 << q_bits,
        lde_size: 1 << (degree_bits + q_bits),
    };
    let points = F::two_adic_subgroup(degree_bits + q_bits);
    let mut values = vec![F::ZERO; ctx.lde_size * nc];
    values
        .par_chunks_mut(BATCH * nc)
        .zip(points.par_chunks(BATCH))
        .enumerate()
        .for_each(|(b, (out, xs))| eval_batch(&ctx, b * BATCH, xs, out));
    Ok(values)
}

/// From the values on the coset: a coset IFFT per challenge, the check that the degree fell below
/// `quotient_degree` (Z_H divided the vanishing polynomial), the degree-n chunks.
fn chunks_from_values(common: &CommonCircuitData<F, D>, values: &[F]) -> Result<Vec<PolynomialCoeffs<F>>> {
    let nc = common.config.num_challenges;
    let q_bits = log2_ceil(common.quotient_degree_factor);
    ensure!(values.len() == nc << (common.degree_bits() + q_bits), "quotient values of another shape");
    let quotient_degree = common.quotient_degree();
    let degree = common.degree();
    let mut chunks = Vec::with_capacity(nc * common.quotient_degree_factor);
    let polys: Vec<PolynomialCoeffs<F>> = (0..nc)
        .into_par_iter()
        .map(|c| {
            let col: Vec<F> = values.iter().skip(c).step_by(nc).copied().collect();
            PolynomialValues::new(col).coset_ifft(F::coset_shift())
        })
        .collect();
    for mut p in polys {
        p.trim_to_len(quotient_degree)
            .map_err(|_| anyhow!("Quotient has failed, the vanishing polynomial is not divisible by Z_H"))?;
        chunks.extend(p.chunks(degree));
    }
    Ok(chunks)
}

/// The quotient values of the points `start .. start + xs.len()` (`xs`: the subgroup points, not
/// yet shifted onto the coset) into `out` (point-major, one value per challenge).
fn eval_batch(ctx: &Ctx<'_>, start: usize, xs: &[F], out: &mut [F]) {
    let q = ctx.q;
    let common = q.common;
    let bs = xs.len();
    let nc = common.config.num_challenges;
    let n_const = common.num_constants;
    let n_wires = common.config.num_wires;
    let routed = common.config.num_routed_wires;
    let chunk = common.quotient_degree_factor;
    let num_prods = common.num_partial_products;
    let n_gc = common.num_gate_constraints;
    let sigmas_range = common.sigmas_range();
    let pp_range = common.partial_products_range();
    let cs_commit = q.constants_sigmas;

    // Gate constraints of the whole batch (column-major: constraint k of point j at k·bs + j).
    let mut consts = vec![F::ZERO; n_const * bs];
    let mut wires = vec![F::ZERO; n_wires * bs];
    for j in 0..bs {
        let cs = cs_commit.get_lde_values(start + j, ctx.step);
        for (k, &v) in cs[..n_const].iter().enumerate() {
            consts[k * bs + j] = v;
        }
        let w = q.wires.get_lde_values(start + j, ctx.step);
        for (k, &v) in w.iter().enumerate() {
            wires[k * bs + j] = v;
        }
    }
    let vars = EvaluationVarsBaseBatch::new(bs, &consts, &wires, q.pi_hash);
    let mut constraints = vec![F::ZERO; n_gc * bs];
    let sel = &ctx.selectors;
    for (g, gate) in common.gates.iter().enumerate() {
        let s = sel.indices[g];
        let r = gate.0.eval_filtered_base_batch(
            vars,
            g,
            s,
            sel.groups[s].clone(),
            sel.groups.len(),
            common.num_lookup_selectors,
        );
        debug_assert!(r.len() <= constraints.len(), "num_constraints() too low");
        for (a, b) in constraints.iter_mut().zip(r) {
            *a += b;
        }
    }

    let mut terms = Vec::with_capacity(nc * (2 + num_prods) + n_gc);
    let mut num = vec![F::ZERO; routed];
    let mut den = vec![F::ZERO; routed];
    for (j, &x0) in xs.iter().enumerate() {
        let i = start + j;
        let x = F::coset_shift() * x0;
        let sigmas = &cs_commit.get_lde_values(i, ctx.step)[sigmas_range.clone()];
        let local_wires = &wires; // column-major batch
        let local_zs = q.zs.get_lde_values(i, ctx.step);
        let next_zs = q.zs.get_lde_values((i + ctx.next_step) % ctx.lde_size, ctx.step);
        let partials = &local_zs[pp_range.clone()];

        terms.clear();
        let l0 = ctx.z_h.eval_l_0(i, x);
        for &z in &local_zs[..nc] {
            terms.push(l0 * (z - F::ONE));
        }
        for c in 0..nc {
            let (beta, gamma) = (q.betas[c], q.gammas[c]);
            for k in 0..routed {
                let w = local_wires[k * bs + j];
                num[k] = w + beta * (common.k_is[k] * x) + gamma;
                den[k] = w + beta * sigmas[k] + gamma;
            }
            let pp = &partials[c * num_prods..(c + 1) * num_prods];
            for k in 0..=num_prods {
                let prev = if k == 0 { local_zs[c] } else { pp[k - 1] };
                let next = if k == num_prods { next_zs[c] } else { pp[k] };
                let range = k * chunk..((k + 1) * chunk).min(routed);
                let num_prod: F = num[range.clone()].iter().copied().product();
                let den_prod: F = den[range].iter().copied().product();
                terms.push(prev * num_prod - next * den_prod);
            }
        }
        terms.extend((0..n_gc).map(|k| constraints[k * bs + j]));

        let z_h_inv = ctx.z_h.eval_inverse(i);
        for (c, &alpha) in q.alphas.iter().enumerate() {
            let acc = terms.iter().rev().fold(F::ZERO, |acc, &t| acc * alpha + t);
            out[j * nc + c] = acc * z_h_inv;
        }
    }
}
