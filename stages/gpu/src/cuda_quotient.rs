//! The quotient on the device: one circuit's generated kernel ([`crate::quotient_source`]), compiled once
//! per process (and cached on disk by [`crate::kcache`]), and the circuit's constants/σ rows kept resident
//! on the device across proofs, keyed by the circuit digest (Era's provers keep setup data loaded). Per
//! proof, the wires and Z/partial-products rows go up, the values on the coset come down (n·2^q × the
//! challenges), and the host does the coset IFFT.
//!
//! The wires and Z/partial-products rows of a proof were on the device already: their commitments keep them
//! (`Backend::keep_rows`, named by the Merkle cap, at most [`KEPT_ROWS`] commitments), and the quotient reads them
//! from there; one that is not kept (evicted, or a commitment made elsewhere) is uploaded from the host's leaves.
//! The kept rows are also the leaves the proof's FRI queries open (`Backend::fetch_rows`): a commitment made
//! with its rows kept downloads no leaves at all, and the proof releases its rows when it is done.
//!
//! `FRISPOOL_GPU_QUOTIENT=off` leaves every quotient to the host's threads, `FRISPOOL_GPU_KEEP_ROWS=off` uploads
//! every commitment's rows again, `FRISPOOL_GPU_KEEP_LEAVES=off` downloads every commitment's leaves (while still
//! keeping its rows for the quotient): the benchmark's A/B switches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cudarc::driver::{CudaFunction, CudaModule, CudaSlice, LaunchConfig, PushKernelArg};
use plonky2::field::types::{Field, PrimeField64};
use plonky2::fri::oracle::PolynomialBatch;
use plonky2::hash::merkle_tree::MerkleCap;
use plonky2::hash::poseidon::PoseidonHash;

use crate::backend::Backend;
use crate::cuda::load_kernels;
use crate::error::{DriverContext, GpuError};
use crate::prover::QuotientInputs;
use crate::quotient_source::{quotient_params, QuotientKernel};
use crate::source::quotient_module_source;
use crate::{Gpu, F};

type Digest = [u64; 4];

pub(crate) struct QuotientModule {
    _module: Arc<CudaModule>,
    func: CudaFunction,
    kernel: QuotientKernel,
}

/// Commitments whose rows stay on the device until their proof releases them: three a proof (wires,
/// Z/partial products, quotient), for as many proofs as a process has in flight (`--workers`, vector slots).
/// Every proof releases its rows when it ends, error or not, so the bound is only a backstop; past it the
/// oldest go first, and a proof whose rows went fails with a message that says so. At 32 (a few proofs in
/// flight) a process of 16 workers evicted rows still in use (NOTES.md run 24).
pub(crate) const KEPT_ROWS: usize = 3 * 256;

#[derive(Default)]
pub(crate) struct QuotientCache {
    kernels: Mutex<HashMap<Digest, Option<Arc<QuotientModule>>>>,
    /// The commitments' rows on the device, named by their caps.
    kept: KeptList<Arc<CudaSlice<u64>>>,
}

/// Kept commitments, oldest first, by cap. Two proofs of one witness in flight at once (a retried job, a
/// check that proves a vector from many threads) make commitments of one cap and the same rows: each keeps its
/// own entry and each release takes away one, so neither proof loses the rows the other still reads.
pub(crate) struct KeptList<T> {
    list: Mutex<std::collections::VecDeque<(Vec<u64>, T)>>,
    bound: usize,
}

impl<T> Default for KeptList<T> {
    fn default() -> Self {
        KeptList { list: Mutex::new(Default::default()), bound: KEPT_ROWS }
    }
}

impl<T: Clone> KeptList<T> {
    fn keep(&self, key: Vec<u64>, rows: T) {
        let mut list = self.list.lock().unwrap_or_else(|p| p.into_inner());
        if list.len() >= self.bound {
            list.pop_front();
        }
        list.push_back((key, rows));
    }

    fn get(&self, key: &[u64]) -> Option<T> {
        self.list.lock().unwrap_or_else(|p| p.into_inner()).iter().find(|(k, _)| k == key).map(|(_, r)| r.clone())
    }

    /// Takes away one entry of `key` (the newest).
    fn release(&self, key: &[u64]) {
        let mut list = self.list.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = list.iter().rposition(|(k, _)| k == key) {
            list.remove(i);
        }
    }
}

fn cap_key(cap: &MerkleCap<F, PoseidonHash>) -> Vec<u64> {
    cap.0.iter().flat_map(|h| h.elements.map(|e| e.to_canonical_u64())).collect()
}

/// An A/B switch: on unless the variable says `off`, read once per process.
pub(crate) fn switch(var: &str, cell: &'static std::sync::OnceLock<bool>) -> bool {
    *cell.get_or_init(|| std::env::var(var).map_or(true, |v| v != "off"))
}

fn keep_rows_on() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    switch("FRISPOOL_GPU_KEEP_ROWS", &ON)
}

/// Whether the FRI queries' rows are gathered on the device and fetched in one copy (`FRISPOOL_GPU_ROW_GATHER=off`:
/// one small pageable copy per row, the A/B of NOTES.md run 25).
fn row_gather_on() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    switch("FRISPOOL_GPU_ROW_GATHER", &ON)
}

fn keep_leaves_on() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    switch("FRISPOOL_GPU_KEEP_LEAVES", &ON)
}

fn quotient_on_device() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    switch("FRISPOOL_GPU_QUOTIENT", &ON)
}

/// Whether commitments' rows stay on the device: not when nobody would read them there (the quotient on the
/// host, whose leaves must come down anyway), or with the switch off.
fn rows_kept() -> bool {
    keep_rows_on() && quotient_on_device()
}

fn digest(q: &QuotientInputs<'_>) -> Digest {
    q.circuit_digest.elements.map(|e| e.to_canonical_u64())
}

impl Gpu {
    /// The quotient's values of one proof on the device, or `None` for a circuit outside the kernel.
    pub(crate) fn device_quotient(&self, q: &QuotientInputs<'_>) -> Result<Option<Vec<F>>, GpuError> {
        if !quotient_on_device() {
            return Ok(None);
        }
        let Some(m) = self.quotient_module(q)? else {
            return Ok(None);
        };
        let shape = m.kernel.shape;
        let cs = self.setup_rows(digest(q), q.constants_sigmas, shape.cs_width)?;
        let wires = self.rows_of(q.wires, shape.wires_width)?;
        let zs = self.rows_of(q.zs, shape.zs_width)?;
        let params = quotient_params(q.common, &shape, q.pi_hash, q.betas, q.gammas, q.alphas);
        let params = self.upload_with(params.len(), &|d| d.copy_from_slice(&params))?;
        let mut out = self.alloc(shape.lde_size * shape.num_challenges)?;
        let threads = 128u32;
        let cfg = LaunchConfig {
            grid_dim: ((shape.lde_size as u64).div_ceil(threads as u64) as u32, 1, 1),
            block_dim: (threads, 1, 1),
            shared_mem_bytes: 0,
        };
        unsafe {
            self.stream.launch_builder(&m.func).arg(&*cs).arg(&*wires).arg(&*zs).arg(&params).arg(&mut out).launch(cfg)
        }
        .ctx("launch quotient_values")?;
        let values = self.download_with(&out, |d| d.iter().map(|&x| F::from_canonical_u64(x)).collect())?;
        Ok(Some(values))
    }

    fn quotient_module(&self, q: &QuotientInputs<'_>) -> Result<Option<Arc<QuotientModule>>, GpuError> {
        let key = digest(q);
        if let Some(m) = self.quotient.kernels.lock().unwrap().get(&key) {
            return Ok(m.clone());
        }
        let module = match QuotientKernel::for_circuit(q.common) {
            None => None,
            Some(kernel) => {
                let src = quotient_module_source(&kernel).map_err(GpuError::Compile)?;
                let (module, _) = load_kernels(&self.ctx, &src, self.info().compute_capability)?;
                let func = module.load_function("quotient_values").ctx("load function quotient_values")?;
                Some(Arc::new(QuotientModule { _module: module, func, kernel }))
            }
        };
        self.quotient.kernels.lock().unwrap().insert(key, module.clone());
        Ok(module)
    }

    /// The circuit's constants/σ rows on the device (named by its digest `key`), resident from its first proof
    /// ([`Backend::resident`]): the quotient and FRI's commit phase both read them.
    fn setup_rows(
        &self,
        key: Digest,
        batch: &PolynomialBatch<F, crate::prover::C, 2>,
        width: usize,
    ) -> Result<Arc<CudaSlice<u64>>, GpuError> {
        if batch.polynomials.len() != width {
            return Err(GpuError::Unsupported(format!(
                "a constants/σ commitment of {} polynomials where {width} were expected",
                batch.polynomials.len()
            )));
        }
        let len = crate::backend::leaves_len(batch)?;
        self.resident(key, "constants/σ rows", len, &|d| crate::backend::write_leaves(batch, d))
    }

    /// Whether commitments may leave their leaves on the device (`Backend::keeps_rows`): not when their rows
    /// are not kept, or with the switch off.
    pub(crate) fn keeps_commitment_rows(&self) -> bool {
        rows_kept() && keep_leaves_on()
    }

    pub(crate) fn keep_commitment_rows(&self, cap: &MerkleCap<F, PoseidonHash>, rows: CudaSlice<u64>) {
        if !rows_kept() {
            return;
        }
        self.quotient.kept.keep(cap_key(cap), Arc::new(rows));
    }

    fn kept_rows(&self, cap: &MerkleCap<F, PoseidonHash>) -> Option<Arc<CudaSlice<u64>>> {
        let key = cap_key(cap);
        self.quotient.kept.get(&key)
    }

    /// Rows `indices` of a kept commitment. A proof opens a few dozen: they are gathered on the device
    /// (a copy each, queued on the stream) and come down in one copy through pinned memory, so the host waits
    /// for the card once per commitment, where a small pageable copy per row waited once per row.
    pub(crate) fn fetch_kept_rows(
        &self,
        cap: &MerkleCap<F, PoseidonHash>,
        width: usize,
        indices: &[usize],
    ) -> Result<Option<Vec<Vec<F>>>, GpuError> {
        let Some(rows) = self.kept_rows(cap) else {
            return Ok(None);
        };
        if let Some(&i) = indices.iter().find(|&&i| (i + 1) * width > rows.len()) {
            return Err(GpuError::Unsupported(format!(
                "row {i} of width {width} is outside the kept rows ({} elements)",
                rows.len()
            )));
        }
        if indices.is_empty() || width == 0 {
            return Ok(Some(vec![Vec::new(); indices.len()]));
        }
        if !row_gather_on() {
            let mut out = Vec::with_capacity(indices.len());
            for &i in indices {
                let row = self.stream.clone_dtoh(&rows.slice(i * width..(i + 1) * width)).ctx("fetch rows")?;
                out.push(row.into_iter().map(F::from_canonical_u64).collect());
            }
            return Ok(Some(out));
        }
        let mut gathered = self.alloc(indices.len() * width)?;
        for (k, &i) in indices.iter().enumerate() {
            let mut dst = gathered.slice_mut(k * width..(k + 1) * width);
            self.stream.memcpy_dtod(&rows.slice(i * width..(i + 1) * width), &mut dst).ctx("gather rows")?;
        }
        let rows = self.download_with(&gathered, |flat| {
            flat.chunks_exact(width).map(|row| row.iter().map(|&v| F::from_canonical_u64(v)).collect()).collect()
        })?;
        Ok(Some(rows))
    }

    pub(crate) fn release_kept_rows(&self, cap: &MerkleCap<F, PoseidonHash>) {
        let key = cap_key(cap);
        self.quotient.kept.release(&key);
    }

    /// A commitment's rows on the device: the kept ones if its commitment left them there, else uploaded.
    fn rows_of(
        &self,
        batch: &PolynomialBatch<F, crate::prover::C, 2>,
        width: usize,
    ) -> Result<Arc<CudaSlice<u64>>, GpuError> {
        let len = (1usize << (batch.degree_log + batch.rate_bits)) * width;
        match self.kept_rows(&batch.merkle_tree.cap) {
            Some(rows) if rows.len() == len => Ok(rows),
            _ => Ok(Arc::new(self.upload_rows(batch, width)?)),
        }
    }

    /// A commitment's LDE leaves (bit-reversed rows, as plonky2's tree holds them), canonical, row-major.
    fn upload_rows(
        &self,
        batch: &PolynomialBatch<F, crate::prover::C, 2>,
        width: usize,
    ) -> Result<CudaSlice<u64>, GpuError> {
        if batch.polynomials.len() != width {
            return Err(GpuError::Unsupported(format!(
                "a commitment of {} polynomials where {width} were expected",
                batch.polynomials.len()
            )));
        }
        crate::backend::upload_leaves(self, batch)
    }

    /// A commitment's rows for FRI ([`Backend::batch_rows`]): the circuit's resident setup rows (`setup`: its
    /// digest), kept rows, or uploaded.
    pub(crate) fn rows_for_fri(
        &self,
        batch: &PolynomialBatch<F, crate::prover::C, 2>,
        setup: Option<Digest>,
    ) -> Result<Arc<CudaSlice<u64>>, GpuError> {
        let width = batch.polynomials.len();
        match setup {
            Some(key) => self.setup_rows(key, batch, width),
            None => self.rows_of(batch, width),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_proofs_of_one_cap_each_release_their_own_entry() {
        let kept = KeptList::<u32>::default();
        let cap = vec![1, 2, 3, 4];
        kept.keep(cap.clone(), 7);
        kept.keep(cap.clone(), 7);
        kept.release(&cap);
        assert_eq!(kept.get(&cap), Some(7), "the other proof still reads its rows");
        kept.release(&cap);
        assert_eq!(kept.get(&cap), None);
        kept.release(&cap); // nothing left: no effect
    }

    #[test]
    fn past_the_bound_the_oldest_go_first() {
        let kept = KeptList::<usize> { list: Mutex::new(Default::default()), bound: 3 };
        for i in 0..4 {
            kept.keep(vec![i as u64], i);
        }
        assert_eq!(kept.get(&[0]), None);
        assert_eq!((kept.get(&[1]), kept.get(&[3])), (Some(1), Some(3)));
    }
}
