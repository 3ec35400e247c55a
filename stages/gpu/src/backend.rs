//! The kernel launches, as a trait: CUDA implements it ([`crate::Gpu`]); the tests implement it
//! with a CPU emulation of the same CUDA source.

use std::sync::Arc;

use plonky2::field::types::Field;

use crate::error::GpuError;
use crate::plan::NttPass;
use crate::F;

/// Which Poseidon permutation kernel (both compute plonky2's permutation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoseidonVariant {
    /// Fast partial rounds (plonky2's `Poseidon::poseidon`), delayed reduction of dot products.
    Fast,
    /// `Fast` with a 32-bit carry-chain 64x64 product, fused multiply-adds, 96-bit MDS reduction.
    Fast2,
    /// `Fast2` on lazily reduced representatives, canonical at the end (the Merkle kernels').
    Fast3,
    /// `Fast3` compiled with `__launch_bounds__(128, 4)` (at most 128 registers).
    Fast3Lb,
    /// `Fast3` with its arithmetic as 32-bit PTX carry chains and the round constants folded in.
    Fast4,
    /// Every partial round with its full constant layer and MDS (plonky2's `poseidon_naive`).
    Naive,
}

impl PoseidonVariant {
    /// Every variant, in the order the benchmarks report them.
    pub const ALL: [PoseidonVariant; 6] = [
        PoseidonVariant::Fast,
        PoseidonVariant::Fast2,
        PoseidonVariant::Fast3,
        PoseidonVariant::Fast3Lb,
        PoseidonVariant::Fast4,
        PoseidonVariant::Naive,
    ];
}

/// Launches of the kernels in [`crate::source`], on buffers of canonical Goldilocks elements.
/// Column-major buffers hold column c at `c << log_len`.
pub trait Backend {
    type Buf;

    fn alloc(&self, len: usize) -> Result<Self::Buf, GpuError>;
    /// Upload `len` elements written by `fill` (a staging buffer on CUDA).
    fn upload_with(&self, len: usize, fill: &dyn Fn(&mut [u64])) -> Result<Self::Buf, GpuError>;
    /// Download `buf` and hand the host copy to `read`.
    fn download_with<R>(&self, buf: &Self::Buf, read: impl FnOnce(&[u64]) -> R) -> Result<R, GpuError>;
    /// Overwrite `data.len()` elements of `buf` starting at `offset`.
    fn write_at(&self, buf: &mut Self::Buf, offset: usize, data: &[u64]) -> Result<(), GpuError>;

    fn ntt_pass(
        &self,
        data: &mut Self::Buf,
        tw: &Self::Buf,
        ncols: u32,
        log_len: u32,
        pass: NttPass,
    ) -> Result<(), GpuError>;
    #[allow(clippy::too_many_arguments)]
    fn lde_expand(
        &self,
        coeffs_br: &Self::Buf,
        scale: &Self::Buf,
        n_inv: u64,
        coeffs: &mut Self::Buf,
        out: &mut Self::Buf,
        ncols: u32,
        log_n: u32,
        rate_bits: u32,
    ) -> Result<(), GpuError>;
    fn merkle_leaves(
        &self,
        lde: &Self::Buf,
        ncols: u32,
        log_n: u32,
        sub_log: u32,
        digests: &mut Self::Buf,
        cap: &mut Self::Buf,
    ) -> Result<(), GpuError>;
    fn merkle_layer(
        &self,
        digests: &mut Self::Buf,
        cap: &mut Self::Buf,
        log_n: u32,
        sub_log: u32,
        layer: u32,
    ) -> Result<(), GpuError>;
    fn transpose(&self, input: &Self::Buf, out: &mut Self::Buf, ncols: u32, len: u64) -> Result<(), GpuError>;
    /// The proof-of-work search over candidates `start..start + count` (the `pow_search` kernel): the smallest
    /// witness among them, or `u64::MAX` when none is.
    fn pow_search(&self, state: &[u64; 12], pos: u32, start: u64, count: u32, min_zeros: u32) -> Result<u64, GpuError>;
    fn poseidon_batch(
        &self,
        states: &Self::Buf,
        out: &mut Self::Buf,
        count: u32,
        variant: PoseidonVariant,
    ) -> Result<(), GpuError>;

    /// The permutation argument's chunk quotients (the `pp_quotients` kernel, see
    /// [`crate::partial_products`] for the layouts).
    #[allow(clippy::too_many_arguments)]
    fn pp_quotients(
        &self,
        wires: &Self::Buf,
        sigmas: &Self::Buf,
        params: &Self::Buf,
        q: &mut Self::Buf,
        log_n: u32,
        routed: u32,
        nc: u32,
        chunk: u32,
        nchunks: u32,
    ) -> Result<(), GpuError>;
    /// Z and the partial products from the chunk quotients (the `pp_scan` kernel).
    fn pp_scan(&self, q: &Self::Buf, out: &mut Self::Buf, log_n: u32, nc: u32, nchunks: u32) -> Result<(), GpuError>;

    /// FRI's composition polynomial on the LDE coset from the four oracles' rows (the `fri_combine` kernel, see
    /// [`crate::fri_source`]).
    #[allow(clippy::too_many_arguments)]
    fn fri_combine(
        &self,
        rows: [&Self::Buf; 4],
        widths: [u32; 4],
        nc: u32,
        params: &Self::Buf,
        out: &mut Self::Buf,
        log_len: u32,
        arity_bits: u32,
    ) -> Result<(), GpuError>;
    /// One FRI fold of a layer (the `fri_fold` kernel).
    fn fri_fold(
        &self,
        input: &Self::Buf,
        out: &mut Self::Buf,
        params: &Self::Buf,
        log_len: u32,
        arity_bits: u32,
        out_bits: u32,
    ) -> Result<(), GpuError>;
    /// A commitment's LDE rows on the device (row-major, plonky2's leaf order, `polynomials.len()` wide): rows this
    /// backend kept, the circuit's resident setup rows (`setup`: the circuit's digest, for its constants/σ
    /// commitment), or else uploaded from the batch's leaves.
    fn batch_rows(
        &self,
        batch: &plonky2::fri::oracle::PolynomialBatch<F, crate::prover::C, 2>,
        _setup: Option<[u64; 4]>,
    ) -> Result<Arc<Self::Buf>, GpuError> {
        Ok(Arc::new(upload_leaves(self, batch)?))
    }

    /// A buffer of a circuit's setup data, named by the circuit's digest and `what`: uploaded (written by `fill`)
    /// the first time. Backends may keep it across proofs (Era's provers keep setup data loaded); the default
    /// uploads it every time.
    fn resident(
        &self,
        _circuit: [u64; 4],
        _what: &'static str,
        len: usize,
        fill: &dyn Fn(&mut [u64]),
    ) -> Result<Arc<Self::Buf>, GpuError> {
        Ok(Arc::new(self.upload_with(len, fill)?))
    }

    /// Twiddles w^e, e < 2^(log_len - 1), w = plonky2's primitive 2^log_len-th root (inverted for the
    /// inverse transform). Backends may cache them.
    fn twiddles(&self, log_len: u32, inverse: bool) -> Result<Arc<Self::Buf>, GpuError> {
        let t = twiddle_table(log_len, inverse);
        Ok(Arc::new(self.upload_with(t.len(), &|d| d.copy_from_slice(&t))?))
    }
    /// n^-1 * shift^j, j < n = 2^log_n, shift = plonky2's coset shift. Backends may cache them.
    fn lde_scale(&self, log_n: u32) -> Result<Arc<Self::Buf>, GpuError> {
        let t = lde_scale_table(log_n);
        Ok(Arc::new(self.upload_with(t.len(), &|d| d.copy_from_slice(&t))?))
    }
    /// A commitment's LDE rows (row-major, plonky2's leaf order), named by its Merkle cap, that a later step of
    /// the same proof may read again ([`Backend::quotient_values`]). Backends may keep them; the default drops them.
    fn keep_rows(
        &self,
        _cap: &plonky2::hash::merkle_tree::MerkleCap<F, plonky2::hash::poseidon::PoseidonHash>,
        _rows: Self::Buf,
    ) {
    }
    /// Whether [`Backend::keep_rows`] keeps a commitment's rows until [`Backend::release_rows`]: then a
    /// commitment may leave its LDE leaves on the device instead of downloading them all, and a proof fetches
    /// the few its FRI queries open ([`Backend::fetch_rows`]).
    fn keeps_rows(&self) -> bool {
        false
    }
    /// Rows `indices` (leaf order, `width` elements each) of the kept commitment named by `cap`, or `None` when
    /// this backend does not hold it.
    fn fetch_rows(
        &self,
        _cap: &plonky2::hash::merkle_tree::MerkleCap<F, plonky2::hash::poseidon::PoseidonHash>,
        _width: usize,
        _indices: &[usize],
    ) -> Result<Option<Vec<Vec<F>>>, GpuError> {
        Ok(None)
    }
    /// Drops the kept rows of the commitment named by `cap` (its proof reads them no more).
    fn release_rows(&self, _cap: &plonky2::hash::merkle_tree::MerkleCap<F, plonky2::hash::poseidon::PoseidonHash>) {}
    /// The quotient's values on the coset (see [`crate::prover::quotient::cpu_values`]), or `None` where
    /// this backend has no quotient kernel for the circuit (the host computes them).
    fn quotient_values(&self, _q: &crate::prover::QuotientInputs<'_>) -> Result<Option<Vec<F>>, GpuError> {
        Ok(None)
    }
}

/// Host computation of the twiddle table (see [`Backend::twiddles`]): the plain powers w^e,
/// e < 2^(log_len-1) (the v1 pass kernel), then stage-major: for each stage s, w^(k << s) for
/// k < 2^(log_len-s-1) (the v3 pass kernel), 2^log_len - 1 entries.
pub fn twiddle_table(log_len: u32, inverse: bool) -> Vec<u64> {
    let mut w = F::primitive_root_of_unity(log_len as usize);
    if inverse {
        w = w.inverse();
    }
    let half = if log_len == 0 { 1 } else { 1usize << (log_len - 1) };
    let mut t: Vec<u64> = w.powers().take(half).map(|x| x.to_canonical_u64_()).collect();
    for s in 0..log_len {
        for k in 0..(1usize << (log_len - s - 1)) {
            let v = t[k << s];
            t.push(v);
        }
    }
    t
}

/// Host computation of the LDE scale table (see [`Backend::lde_scale`]).
pub fn lde_scale_table(log_n: u32) -> Vec<u64> {
    let n_inv = F::from_canonical_u64(1u64 << log_n).inverse();
    F::coset_shift().powers().take(1usize << log_n).map(|x| (x * n_inv).to_canonical_u64_()).collect()
}

pub(crate) trait Canon {
    fn to_canonical_u64_(&self) -> u64;
}
impl Canon for F {
    fn to_canonical_u64_(&self) -> u64 {
        use plonky2::field::types::PrimeField64;
        self.to_canonical_u64()
    }
}

/// A batch's leaves (host), uploaded row-major and canonical: its LDE rows for a backend that did not keep them.
pub fn upload_leaves<B: Backend + ?Sized>(
    b: &B,
    batch: &plonky2::fri::oracle::PolynomialBatch<F, crate::prover::C, 2>,
) -> Result<B::Buf, GpuError> {
    let len = leaves_len(batch)?;
    b.upload_with(len, &|d| write_leaves(batch, d))
}

/// The element count of a batch's leaves on the host, all `polynomials.len()` wide (no salt), or why not.
pub(crate) fn leaves_len(
    batch: &plonky2::fri::oracle::PolynomialBatch<F, crate::prover::C, 2>,
) -> Result<usize, GpuError> {
    let width = batch.polynomials.len();
    let leaves = &batch.merkle_tree.leaves;
    if leaves.is_empty() {
        return Err(GpuError::Unsupported("a commitment whose leaves are neither on the host nor kept here".into()));
    }
    if leaves.iter().any(|l| l.len() != width) {
        return Err(GpuError::Unsupported(format!("LDE rows of width other than {width} (blinding salt?)")));
    }
    Ok(leaves.len() * width)
}

/// A batch's leaves, canonical, row-major into `dst` ([`leaves_len`] elements).
pub(crate) fn write_leaves(batch: &plonky2::fri::oracle::PolynomialBatch<F, crate::prover::C, 2>, dst: &mut [u64]) {
    use plonky2::field::types::PrimeField64;
    use rayon::prelude::*;
    let width = batch.polynomials.len();
    dst.par_chunks_mut(width).zip(batch.merkle_tree.leaves.par_iter()).for_each(|(dst, leaf)| {
        for (x, v) in dst.iter_mut().zip(leaf) {
            *x = v.to_canonical_u64();
        }
    })
}
