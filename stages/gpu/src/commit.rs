//! The launch sequences: NTT, coset LDE, Merkle tree, a whole commitment, and plonky2's public
//! `PolynomialBatch` / `MerkleTree` built from the device results. Generic over [`Backend`].

use plonky2::field::polynomial::{PolynomialCoeffs, PolynomialValues};
use plonky2::field::types::{Field, PrimeField64, Sample};
use plonky2::fri::oracle::{PolynomialBatch, SALT_SIZE};
use plonky2::hash::hash_types::HashOut;
use plonky2::hash::merkle_tree::{MerkleCap, MerkleTree};
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::plonk::config::GenericConfig;
use rayon::prelude::*;

use crate::backend::Backend;
use crate::error::GpuError;
use crate::plan::{ntt_plan, num_digests};
use crate::F;

/// Largest log2 of the LDE length the kernels take (32-bit bit reversal, plonky2's 2-adicity 32).
pub const MAX_LOG_LDE: u32 = 30;

/// In-place DIF NTT of `ncols` columns of 2^log_len: natural order in, bit-reversed order out.
/// `inverse` uses the inverse root and does not scale by n^-1.
pub fn ntt<B: Backend>(b: &B, data: &mut B::Buf, ncols: u32, log_len: u32, inverse: bool) -> Result<(), GpuError> {
    if log_len == 0 || ncols == 0 {
        return Ok(());
    }
    let tw = b.twiddles(log_len, inverse)?;
    for pass in ntt_plan(log_len) {
        b.ntt_pass(data, &tw, ncols, log_len, pass)?;
    }
    Ok(())
}

/// Coset LDE of `ncols` columns of values (2^log_n each; `values` is overwritten): returns
/// (the LDE, column-major with `ncols + extra_cols` columns of 2^(log_n + rate_bits) in plonky2's
/// leaf order, i.e. bit-reversed; the coefficients, column-major, natural order). The extra
/// columns are left for the caller (salt).
pub fn lde<B: Backend>(
    b: &B,
    values: &mut B::Buf,
    ncols: u32,
    log_n: u32,
    rate_bits: u32,
    extra_cols: u32,
) -> Result<(B::Buf, B::Buf), GpuError> {
    ntt(b, values, ncols, log_n, true)?;
    expand_and_ntt(b, values, ncols, log_n, rate_bits, extra_cols)
}

/// The second half of [`lde`]: from bit-reversed n·coefficients (what the inverse NTT leaves) to
/// (the LDE in leaf order with `extra_cols` spare columns, the natural-order coefficients).
fn expand_and_ntt<B: Backend>(
    b: &B,
    coeffs_br: &B::Buf,
    ncols: u32,
    log_n: u32,
    rate_bits: u32,
    extra_cols: u32,
) -> Result<(B::Buf, B::Buf), GpuError> {
    let n = 1usize << log_n;
    let big = n << rate_bits;
    let mut coeffs = b.alloc(ncols as usize * n)?;
    let mut out = b.alloc((ncols + extra_cols) as usize * big)?;
    let scale = b.lde_scale(log_n)?;
    let n_inv = F::from_canonical_u64(n as u64).inverse().to_canonical_u64();
    b.lde_expand(coeffs_br, &scale, n_inv, &mut coeffs, &mut out, ncols, log_n, rate_bits)?;
    ntt(b, &mut out, ncols, log_n + rate_bits, false)?;
    Ok((out, coeffs))
}

/// A Merkle tree on the device, in plonky2's layout: `digests` holds 4 elements per digest in
/// `MerkleTree::digests` order, `cap` 4 per cap entry.
pub struct DeviceTree<Buf> {
    pub digests: Buf,
    pub cap: Buf,
    pub log_leaves: u32,
    pub cap_height: u32,
}

impl<Buf> DeviceTree<Buf> {
    pub fn num_digests(&self) -> usize {
        num_digests(self.log_leaves, self.cap_height) as usize
    }
}

/// Hash every row of the column-major `leaves` (ncols columns of 2^log_leaves) with
/// `hash_or_noop` and build the tree up to the cap.
pub fn merkle<B: Backend>(
    b: &B,
    leaves: &B::Buf,
    ncols: u32,
    log_leaves: u32,
    cap_height: u32,
) -> Result<DeviceTree<B::Buf>, GpuError> {
    if cap_height > log_leaves {
        return Err(GpuError::Unsupported(format!(
            "cap height {cap_height} above log2 of the leaf count {log_leaves}"
        )));
    }
    let sub_log = log_leaves - cap_height;
    let nd = num_digests(log_leaves, cap_height) as usize;
    let mut digests = b.alloc((nd * 4).max(4))?;
    let mut cap = b.alloc(4usize << cap_height)?;
    b.merkle_leaves(leaves, ncols, log_leaves, sub_log, &mut digests, &mut cap)?;
    for layer in 0..sub_log {
        b.merkle_layer(&mut digests, &mut cap, log_leaves, sub_log, layer)?;
    }
    Ok(DeviceTree { digests, cap, log_leaves, cap_height })
}

/// A commitment held on the device: the LDE (leaf order), the coefficients and the tree.
pub struct DeviceCommitment<Buf> {
    pub lde: Buf,
    pub coeffs: Buf,
    pub tree: DeviceTree<Buf>,
    /// Polynomials (data columns).
    pub ncols: u32,
    /// Elements per leaf: ncols, plus SALT_SIZE when blinding.
    pub leaf_width: u32,
    pub log_n: u32,
    pub rate_bits: u32,
    pub blinding: bool,
}

/// Checks a batch of `lens.len()` polynomials of `lens[i]` values/coefficients; returns log2 n.
fn check_shape(lens: &[usize], rate_bits: u32, blinding: bool, cap_height: u32) -> Result<u32, GpuError> {
    let Some(&n) = lens.first() else {
        return Err(GpuError::Unsupported("no polynomials to commit to".into()));
    };
    if n == 0 || !n.is_power_of_two() {
        return Err(GpuError::Unsupported(format!("polynomial length {n} is not a power of two")));
    }
    if let Some(bad) = lens.iter().position(|&l| l != n) {
        return Err(GpuError::Unsupported(format!("polynomial {bad} has {} entries, polynomial 0 has {n}", lens[bad])));
    }
    let log_n = n.trailing_zeros();
    if log_n + rate_bits > MAX_LOG_LDE {
        return Err(GpuError::Unsupported(format!("LDE of 2^{} points is above 2^{MAX_LOG_LDE}", log_n + rate_bits)));
    }
    let width = lens.len() + if blinding { SALT_SIZE } else { 0 };
    if width > 65_535 {
        return Err(GpuError::Unsupported(format!("{width} columns: at most 65535")));
    }
    if cap_height > log_n + rate_bits {
        return Err(GpuError::Unsupported(format!(
            "cap height {cap_height} above log2 of the leaf count {}",
            log_n + rate_bits
        )));
    }
    Ok(log_n)
}

/// What `PolynomialBatch::from_values(values, rate_bits, blinding, cap_height, ..)` computes, on
/// the device: IFFT, coset shift, LDE, bit-reversed leaves, Merkle tree. With blinding, SALT_SIZE
/// random columns (drawn on the host like plonky2's) are appended to every leaf.
pub fn commit_values<B: Backend>(
    b: &B,
    values: &[PolynomialValues<F>],
    rate_bits: u32,
    blinding: bool,
    cap_height: u32,
) -> Result<DeviceCommitment<B::Buf>, GpuError> {
    let lens: Vec<usize> = values.iter().map(|v| v.len()).collect();
    let log_n = check_shape(&lens, rate_bits, blinding, cap_height)?;
    let n = 1usize << log_n;
    let ncols = values.len() as u32;
    let salt = if blinding { SALT_SIZE as u32 } else { 0 };
    let mut dev_values = b.upload_with(ncols as usize * n, &|dst: &mut [u64]| {
        dst.par_chunks_mut(n).zip(values.par_iter()).for_each(|(d, v)| {
            for (x, y) in d.iter_mut().zip(&v.values) {
                *x = y.to_canonical_u64();
            }
        })
    })?;
    let (lde_buf, coeffs) = lde(b, &mut dev_values, ncols, log_n, rate_bits, salt)?;
    drop(dev_values);
    finish_commitment(b, lde_buf, coeffs, ncols, log_n, rate_bits, blinding, cap_height)
}

/// What `PolynomialBatch::from_coeffs(coeffs, rate_bits, blinding, cap_height, ..)` computes, on the
/// device: coset LDE of the coefficients, bit-reversed leaves, Merkle tree (salt as in
/// [`commit_values`]). The coefficients go up as the inverse NTT would have left them
/// (bit-reversed, times n), so the expand kernel of [`lde`] serves both paths.
pub fn commit_coeffs<B: Backend>(
    b: &B,
    coeffs: &[PolynomialCoeffs<F>],
    rate_bits: u32,
    blinding: bool,
    cap_height: u32,
) -> Result<DeviceCommitment<B::Buf>, GpuError> {
    let lens: Vec<usize> = coeffs.iter().map(|c| c.len()).collect();
    let log_n = check_shape(&lens, rate_bits, blinding, cap_height)?;
    let n = 1usize << log_n;
    let ncols = coeffs.len() as u32;
    let salt = if blinding { SALT_SIZE as u32 } else { 0 };
    let n_f = F::from_canonical_u64(n as u64);
    let dev_br = b.upload_with(ncols as usize * n, &|dst: &mut [u64]| {
        dst.par_chunks_mut(n).zip(coeffs.par_iter()).for_each(|(d, p)| {
            for (i, x) in d.iter_mut().enumerate() {
                *x = (p.coeffs[rev(i, log_n)] * n_f).to_canonical_u64();
            }
        })
    })?;
    let (lde_buf, dev_coeffs) = expand_and_ntt(b, &dev_br, ncols, log_n, rate_bits, salt)?;
    drop(dev_br);
    finish_commitment(b, lde_buf, dev_coeffs, ncols, log_n, rate_bits, blinding, cap_height)
}

/// Salt columns (when blinding) and the Merkle tree over an LDE.
#[allow(clippy::too_many_arguments)]
fn finish_commitment<B: Backend>(
    b: &B,
    mut lde_buf: B::Buf,
    coeffs: B::Buf,
    ncols: u32,
    log_n: u32,
    rate_bits: u32,
    blinding: bool,
    cap_height: u32,
) -> Result<DeviceCommitment<B::Buf>, GpuError> {
    let salt = if blinding { SALT_SIZE as u32 } else { 0 };
    let big = 1usize << (log_n + rate_bits);
    for s in 0..salt as usize {
        let col: Vec<u64> = F::rand_vec(big).iter().map(|x| x.to_canonical_u64()).collect();
        b.write_at(&mut lde_buf, (ncols as usize + s) * big, &col)?;
    }
    let tree = merkle(b, &lde_buf, ncols + salt, log_n + rate_bits, cap_height)?;
    Ok(DeviceCommitment { lde: lde_buf, coeffs, tree, ncols, leaf_width: ncols + salt, log_n, rate_bits, blinding })
}

/// plonky2's `MerkleTree::new(leaves, cap_height)` on the device (`hash_or_noop` of every leaf, the
/// tree in plonky2's digest layout). Every leaf must have the same length, the count a power of two.
pub fn merkle_tree_from_leaves<B: Backend>(
    b: &B,
    leaves: Vec<Vec<F>>,
    cap_height: usize,
) -> Result<MerkleTree<F, PoseidonHash>, GpuError> {
    let count = leaves.len();
    if count == 0 || !count.is_power_of_two() {
        return Err(GpuError::Unsupported(format!("{count} leaves: not a power of two")));
    }
    let width = leaves[0].len();
    if width == 0 || width > 65_535 || leaves.iter().any(|l| l.len() != width) {
        return Err(GpuError::Unsupported("leaves of unequal, zero or too large width".into()));
    }
    let log = count.trailing_zeros();
    if cap_height as u32 > log || log > MAX_LOG_LDE {
        return Err(GpuError::Unsupported(format!("cap height {cap_height} with 2^{log} leaves")));
    }
    let buf = b.upload_with(width * count, &|dst: &mut [u64]| {
        dst.par_chunks_mut(count).enumerate().for_each(|(c, d)| {
            for (x, leaf) in d.iter_mut().zip(&leaves) {
                *x = leaf[c].to_canonical_u64();
            }
        })
    })?;
    let tree = merkle(b, &buf, width as u32, log, cap_height as u32)?;
    drop(buf);
    let (digests, cap) = download_tree(b, &tree)?;
    Ok(MerkleTree { leaves, digests, cap })
}

/// i with its low `bits` bits reversed.
fn rev(i: usize, bits: u32) -> usize {
    if bits == 0 {
        0
    } else {
        i.reverse_bits() >> (usize::BITS - bits)
    }
}

fn hash_out(chunk: &[u64]) -> HashOut<F> {
    HashOut { elements: [0, 1, 2, 3].map(|i| F::from_canonical_u64(chunk[i])) }
}

/// A tree's digests (plonky2's `MerkleTree::digests` order) and cap, on the host.
pub type HostTree = (Vec<HashOut<F>>, MerkleCap<F, PoseidonHash>);

/// The digests and the cap, downloaded.
pub fn download_tree<B: Backend>(b: &B, t: &DeviceTree<B::Buf>) -> Result<HostTree, GpuError> {
    let nd = t.num_digests();
    let digests = if nd == 0 {
        Vec::new()
    } else {
        b.download_with(&t.digests, |d| d[..nd * 4].par_chunks_exact(4).map(hash_out).collect())?
    };
    let cap = b.download_with(&t.cap, |d| d.chunks_exact(4).map(hash_out).collect())?;
    Ok((digests, MerkleCap(cap)))
}

/// Where a commitment's LDE leaves go once its tree is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leaves {
    /// Downloaded into plonky2's `MerkleTree::leaves`: the `PolynomialBatch` plonky2 itself would hold.
    Download,
    /// Left on the device ([`Backend::keep_rows`]): the batch's `leaves` are empty and its proof fetches the
    /// rows its queries open ([`Backend::fetch_rows`]). A proof reads a few dozen of the 2^16–2^17 leaves, so
    /// this saves the whole download (70 MB for `main`'s wires) and the host's copy of it. Only for a backend
    /// that keeps rows, without blinding (the salt columns are drawn on the host).
    Keep,
}

/// plonky2's public `PolynomialBatch` (coefficients, `MerkleTree { leaves, digests, cap }`) from a
/// device commitment: the leaves are transposed on the device and downloaded.
pub fn to_polynomial_batch<B: Backend, C>(
    b: &B,
    dc: &DeviceCommitment<B::Buf>,
) -> Result<PolynomialBatch<F, C, 2>, GpuError>
where
    C: GenericConfig<2, F = F, Hasher = PoseidonHash>,
{
    to_polynomial_batch_with(b, dc, None, Leaves::Download)
}

/// [`to_polynomial_batch`], with the coefficients taken from `polynomials` when the host has them
/// (a commitment from coefficients) instead of downloaded, and the leaves where `leaves` says.
pub fn to_polynomial_batch_with<B: Backend, C>(
    b: &B,
    dc: &DeviceCommitment<B::Buf>,
    polynomials: Option<Vec<PolynomialCoeffs<F>>>,
    leaves: Leaves,
) -> Result<PolynomialBatch<F, C, 2>, GpuError>
where
    C: GenericConfig<2, F = F, Hasher = PoseidonHash>,
{
    if leaves == Leaves::Keep && (dc.blinding || !b.keeps_rows()) {
        return Err(GpuError::Unsupported("leaves kept on a device that does not keep rows, or with blinding".into()));
    }
    let n = 1usize << dc.log_n;
    let big = n << dc.rate_bits;
    let w = dc.leaf_width as usize;
    let from_values = polynomials.is_none();
    let polynomials: Vec<PolynomialCoeffs<F>> = match polynomials {
        Some(p) => p,
        None => b.download_with(&dc.coeffs, |d| {
            d[..dc.ncols as usize * n]
                .par_chunks_exact(n)
                .map(|c| PolynomialCoeffs::new(c.iter().map(|&x| F::from_canonical_u64(x)).collect()))
                .collect()
        })?,
    };
    let mut rows = b.alloc(w * big)?;
    b.transpose(&dc.lde, &mut rows, dc.leaf_width, big as u64)?;
    let (digests, cap) = download_tree(b, &dc.tree)?;
    let leaves: Vec<Vec<F>> = match leaves {
        Leaves::Keep => {
            b.keep_rows(&cap, rows);
            Vec::new()
        }
        Leaves::Download => {
            let leaves = b.download_with(&rows, |d| {
                d[..w * big]
                    .par_chunks_exact(w)
                    .map(|r| r.iter().map(|&x| F::from_canonical_u64(x)).collect())
                    .collect()
            })?;
            // A commitment from values (a proof's wires, its Z/partial products) is what the quotient reads
            // next: the backend may keep its rows on the device for it instead of receiving them again.
            if from_values {
                b.keep_rows(&cap, rows);
            }
            leaves
        }
    };
    Ok(PolynomialBatch {
        polynomials,
        merkle_tree: MerkleTree { leaves, digests, cap },
        degree_log: dc.log_n as usize,
        rate_bits: dc.rate_bits as usize,
        blinding: dc.blinding,
    })
}

/// The GPU twin of `PolynomialBatch::<F, C, 2>::from_values(values, rate_bits, blinding,
/// cap_height, ..)`: equal to it (bit for bit without blinding).
pub fn polynomial_batch_from_values<B: Backend, C>(
    b: &B,
    values: &[PolynomialValues<F>],
    rate_bits: usize,
    blinding: bool,
    cap_height: usize,
) -> Result<PolynomialBatch<F, C, 2>, GpuError>
where
    C: GenericConfig<2, F = F, Hasher = PoseidonHash>,
{
    polynomial_batch_from_values_with(b, values, rate_bits, blinding, cap_height, Leaves::Download)
}

/// [`polynomial_batch_from_values`] with the leaves where `leaves` says.
pub fn polynomial_batch_from_values_with<B: Backend, C>(
    b: &B,
    values: &[PolynomialValues<F>],
    rate_bits: usize,
    blinding: bool,
    cap_height: usize,
    leaves: Leaves,
) -> Result<PolynomialBatch<F, C, 2>, GpuError>
where
    C: GenericConfig<2, F = F, Hasher = PoseidonHash>,
{
    let dc = commit_values(b, values, rate_bits as u32, blinding, cap_height as u32)?;
    to_polynomial_batch_with(b, &dc, None, leaves)
}

/// The GPU twin of `PolynomialBatch::<F, C, 2>::from_coeffs(coeffs, rate_bits, blinding,
/// cap_height, ..)`: equal to it (bit for bit without blinding).
pub fn polynomial_batch_from_coeffs<B: Backend, C>(
    b: &B,
    coeffs: Vec<PolynomialCoeffs<F>>,
    rate_bits: usize,
    blinding: bool,
    cap_height: usize,
) -> Result<PolynomialBatch<F, C, 2>, GpuError>
where
    C: GenericConfig<2, F = F, Hasher = PoseidonHash>,
{
    polynomial_batch_from_coeffs_with(b, coeffs, rate_bits, blinding, cap_height, Leaves::Download)
}

/// [`polynomial_batch_from_coeffs`] with the leaves where `leaves` says.
pub fn polynomial_batch_from_coeffs_with<B: Backend, C>(
    b: &B,
    coeffs: Vec<PolynomialCoeffs<F>>,
    rate_bits: usize,
    blinding: bool,
    cap_height: usize,
    leaves: Leaves,
) -> Result<PolynomialBatch<F, C, 2>, GpuError>
where
    C: GenericConfig<2, F = F, Hasher = PoseidonHash>,
{
    let dc = commit_coeffs(b, &coeffs, rate_bits as u32, blinding, cap_height as u32)?;
    to_polynomial_batch_with(b, &dc, Some(coeffs), leaves)
}
