//! Step 4 of a proof on the device: the permutation argument's Z polynomials and partial products, the values
//! `prover/permutation.rs` computes on the host (plonky2's private `all_wires_permutation_partial_products` and
//! `wires_permutation_partial_products_and_zs`), generic over a [`Backend`].
//!
//! Launch sequence:
//! 1. the routed wire columns go up (column-major); the circuit's σ columns are resident
//!    ([`Backend::resident`], uploaded on the circuit's first proof);
//! 2. `pp_quotients`: one thread per (challenge, row) computes the row's chunk quotients, one field inversion each;
//! 3. `pp_scan`: one block per challenge turns them into Z and the partial products (a product scan down the rows);
//! 4. the columns come down in plonky2's commitment order.
//!
//! Every value is a product of the same field elements as the host's, so the columns are equal element for
//! element, and the commitment and proof that follow are the same bytes.

use plonky2::field::polynomial::PolynomialValues;
use plonky2::field::types::{Field, PrimeField64};
use plonky2::plonk::circuit_data::{CommonCircuitData, ProverOnlyCircuitData};
use rayon::prelude::*;

use crate::backend::Backend;
use crate::error::GpuError;
use crate::permutation_source::{PP_MAX_CHUNKS, PP_SCAN_THREADS};
use crate::prover::{C, D};
use crate::F;

/// The columns of plonky2's Z/partial-products commitment (Z of challenge 0 … nc−1, then the partial products of
/// challenge 0, of challenge 1, …), computed on `b` from the wire columns `wires` and the challenges.
pub fn zs_and_partial_products<B: Backend>(
    b: &B,
    wires: &[PolynomialValues<F>],
    betas: &[F],
    gammas: &[F],
    prover: &ProverOnlyCircuitData<F, C, D>,
    common: &CommonCircuitData<F, D>,
) -> Result<Vec<PolynomialValues<F>>, GpuError> {
    let nc = betas.len();
    let n = common.degree();
    let log_n = common.degree_bits() as u32;
    let routed = common.config.num_routed_wires;
    let chunk = common.quotient_degree_factor;
    let nchunks = routed.div_ceil(chunk);
    let m = common.num_partial_products;
    if nchunks != m + 1 || nchunks > PP_MAX_CHUNKS || gammas.len() != nc || nc == 0 {
        return Err(GpuError::Unsupported(format!(
            "permutation argument of {routed} routed wires in chunks of {chunk} ({m} partial products, {nc} \
             challenges): the kernel takes at most {PP_MAX_CHUNKS} chunks"
        )));
    }
    if wires.len() < routed || wires.iter().take(routed).any(|w| w.len() != n) || prover.sigmas.len() != n {
        return Err(GpuError::Unsupported(format!(
            "wire columns or σ rows of another shape than the circuit's ({routed} routed wires × {n} rows)"
        )));
    }

    // 1. Routed wires up; σ columns resident (transposed from plonky2's row-major `sigmas`).
    let dev_wires = b.upload_with(routed * n, &|dst: &mut [u64]| {
        dst.par_chunks_mut(n).zip(wires.par_iter()).for_each(|(d, w)| {
            for (x, v) in d.iter_mut().zip(&w.values) {
                *x = v.to_canonical_u64();
            }
        })
    })?;
    let digest = prover.circuit_digest.elements.map(|e| e.to_canonical_u64());
    let sigmas = b.resident(digest, "sigma columns", routed * n, &|dst: &mut [u64]| {
        dst.par_chunks_mut(n).enumerate().for_each(|(j, d)| {
            for (x, row) in d.iter_mut().zip(&prover.sigmas) {
                *x = row[j].to_canonical_u64();
            }
        })
    })?;
    let mut params: Vec<u64> = common.k_is[..routed].iter().map(|k| k.to_canonical_u64()).collect();
    params.extend(betas.iter().chain(gammas).map(|x| x.to_canonical_u64()));
    params.push(F::primitive_root_of_unity(log_n as usize).to_canonical_u64());
    let params_buf = b.upload_with(params.len(), &|d| d.copy_from_slice(&params))?;

    // 2. Chunk quotients; 3. Z and partial products.
    let mut q = b.alloc(nc * nchunks * n)?;
    b.pp_quotients(
        &dev_wires,
        &sigmas,
        &params_buf,
        &mut q,
        log_n,
        routed as u32,
        nc as u32,
        chunk as u32,
        nchunks as u32,
    )?;
    drop(dev_wires);
    let columns = nc * nchunks;
    let mut out = b.alloc(columns * n)?;
    b.pp_scan(&q, &mut out, log_n, nc as u32, nchunks as u32)?;

    // 4. Down, in commitment order.
    b.download_with(&out, |d| {
        d[..columns * n]
            .par_chunks_exact(n)
            .map(|c| PolynomialValues::new(c.iter().map(|&x| F::from_canonical_u64(x)).collect()))
            .collect()
    })
}

/// Threads of `pp_scan`'s block for 2^log_n rows: every thread takes the same number of rows.
pub fn scan_threads(log_n: u32) -> u32 {
    PP_SCAN_THREADS.min(1u32 << log_n.min(31))
}

/// The self-check of the two kernels and their launch sequence (the tests' and `gpu_check`'s): a circuit of `muls`
/// multiplications with `routed` routed wires and `num_challenges` challenges, random wires and challenges, the
/// device's columns against the host's. Returns (a label of the shape, elements that differ, elements compared).
pub fn check_against_host<B: Backend>(
    b: &B,
    routed: usize,
    num_challenges: usize,
    muls: usize,
) -> Result<(String, usize, usize), GpuError> {
    use plonky2::field::types::Sample;
    use plonky2::plonk::circuit_builder::CircuitBuilder;
    use plonky2::plonk::circuit_data::CircuitConfig;

    let config =
        CircuitConfig { num_routed_wires: routed, num_challenges, ..CircuitConfig::standard_recursion_config() };
    let mut builder = CircuitBuilder::<F, D>::new(config);
    let xs: Vec<_> = (0..muls).map(|_| builder.add_virtual_target()).collect();
    let p = builder.mul_many(xs);
    builder.register_public_input(p);
    let data = builder.build::<C>();
    let common = &data.common;
    let n = common.degree();
    let columns: Vec<PolynomialValues<F>> =
        (0..common.config.num_wires).map(|_| PolynomialValues::new(F::rand_vec(n))).collect();
    let (betas, gammas) = (F::rand_vec(num_challenges), F::rand_vec(num_challenges));
    let want = crate::prover::host_zs_and_partial_products(&columns, &betas, &gammas, &data.prover_only, common);
    let got = zs_and_partial_products(b, &columns, &betas, &gammas, &data.prover_only, common)?;
    let differ = want.iter().zip(&got).map(|(w, g)| w.values.iter().zip(&g.values).filter(|(a, b)| a != b).count());
    let differ = differ.sum::<usize>() + n * want.len().abs_diff(got.len());
    let label = format!("{routed} routed, {num_challenges} ch., 2^{} rows", common.degree_bits());
    Ok((label, differ, n * want.len()))
}
