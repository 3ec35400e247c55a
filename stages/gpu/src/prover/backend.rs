//! Where a proof's commitments are computed: [`CpuCommit`] (plonky2's own `PolynomialBatch` and
//! `MerkleTree`) or [`DeviceCommit`] (this crate's kernels, on CUDA or on any [`Backend`]).

use anyhow::Result;
use plonky2::field::polynomial::{PolynomialCoeffs, PolynomialValues};
use plonky2::fri::oracle::PolynomialBatch;
use plonky2::hash::merkle_tree::{MerkleCap, MerkleTree};
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::challenger::Challenger;
use plonky2::plonk::circuit_data::{CommonCircuitData, ProverOnlyCircuitData};
use plonky2::util::timing::TimingTree;

use super::{backend_err, QuotientInputs, C, D};
use crate::backend::Backend;
use crate::{commit, Gpu, F};

/// The commitments of one proof: the wires and Z/partial products (from values), the quotient
/// chunks (from coefficients) and the FRI commit phase's trees. Every implementation must return
/// exactly what plonky2 computes for the same inputs (salt aside when `blinding`).
pub trait CommitBackend {
    /// For logs and benchmark tables.
    fn name(&self) -> String;
    /// `PolynomialBatch::from_values(values, rate_bits, blinding, cap_height, ..)`.
    fn commit_values(
        &self,
        values: &[PolynomialValues<F>],
        rate_bits: usize,
        blinding: bool,
        cap_height: usize,
    ) -> Result<PolynomialBatch<F, C, D>>;
    /// `PolynomialBatch::from_coeffs(coeffs, rate_bits, blinding, cap_height, ..)`.
    fn commit_coeffs(
        &self,
        coeffs: Vec<PolynomialCoeffs<F>>,
        rate_bits: usize,
        blinding: bool,
        cap_height: usize,
    ) -> Result<PolynomialBatch<F, C, D>>;
    /// `MerkleTree::new(leaves, cap_height)`.
    fn merkle_tree(&self, leaves: Vec<Vec<F>>, cap_height: usize) -> Result<MerkleTree<F, PoseidonHash>>;
    /// The quotient's values on the coset, point-major (see [`super::quotient::cpu_values`]), or `None` to
    /// leave them to the host's threads.
    fn quotient_values(&self, _q: &QuotientInputs<'_>) -> Result<Option<Vec<F>>> {
        Ok(None)
    }
    /// Step 4's columns, Z and the partial products (what [`super::permutation`] computes on the host), from the
    /// wire columns and the challenges; `None` leaves them to the host's threads.
    fn zs_partial_products(
        &self,
        _wires: &[PolynomialValues<F>],
        _betas: &[F],
        _gammas: &[F],
        _prover: &ProverOnlyCircuitData<F, C, D>,
        _common: &CommonCircuitData<F, D>,
    ) -> Result<Option<Vec<PolynomialValues<F>>>> {
        Ok(None)
    }
    /// FRI's commit phase (the composition polynomial, one tree per folding, the final polynomial; see
    /// [`crate::fri_device`]), with `ch` observing each cap and drawing each β; `None` leaves it to the host.
    fn fri_commit_phase(
        &self,
        _f: &crate::fri_device::FriCommitInputs<'_>,
        _ch: &mut Challenger<F, PoseidonHash>,
    ) -> Result<Option<crate::fri_device::CommitPhase>> {
        Ok(None)
    }
    /// Leaves `indices` of a commitment this backend made: the batch's own `leaves`, or, where the
    /// backend left them on the device (`leaves` empty), fetched from there.
    fn leaves(&self, batch: &PolynomialBatch<F, C, D>, indices: &[usize]) -> Result<Vec<Vec<F>>> {
        host_leaves(batch, indices)
    }
    /// The proof that made the commitment named by `cap` reads it no more: a backend may free what it kept
    /// for it.
    fn release(&self, _cap: &MerkleCap<F, PoseidonHash>) {}
    /// The smallest proof-of-work witness for the duplex state `state` (see [`super::fri`]'s `grind`): the
    /// witness goes in element `pos`, and the response is element 7 after one permutation, with at least
    /// `min_zeros` leading zeros. `None` leaves the search to the host's threads.
    fn pow_witness(&self, _state: &[F; 12], _pos: usize, _min_zeros: u32) -> Result<Option<u64>> {
        Ok(None)
    }
}

/// Leaves `indices` of a batch that holds its leaves on the host.
pub(crate) fn host_leaves(batch: &PolynomialBatch<F, C, D>, indices: &[usize]) -> Result<Vec<Vec<F>>> {
    let leaves = &batch.merkle_tree.leaves;
    indices
        .iter()
        .map(|&i| {
            leaves.get(i).cloned().ok_or_else(|| {
                anyhow::anyhow!(
                    "leaf {i} of a commitment with {} leaves on the host (none: kept elsewhere)",
                    leaves.len()
                )
            })
        })
        .collect()
}

/// plonky2's own commitments on the host (rayon's thread pool).
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuCommit;

impl CommitBackend for CpuCommit {
    fn name(&self) -> String {
        "cpu".into()
    }

    fn commit_values(
        &self,
        values: &[PolynomialValues<F>],
        rate_bits: usize,
        blinding: bool,
        cap_height: usize,
    ) -> Result<PolynomialBatch<F, C, D>> {
        Ok(PolynomialBatch::from_values(
            values.to_vec(),
            rate_bits,
            blinding,
            cap_height,
            &mut TimingTree::default(),
            None,
        ))
    }

    fn commit_coeffs(
        &self,
        coeffs: Vec<PolynomialCoeffs<F>>,
        rate_bits: usize,
        blinding: bool,
        cap_height: usize,
    ) -> Result<PolynomialBatch<F, C, D>> {
        Ok(PolynomialBatch::from_coeffs(coeffs, rate_bits, blinding, cap_height, &mut TimingTree::default(), None))
    }

    fn merkle_tree(&self, leaves: Vec<Vec<F>>, cap_height: usize) -> Result<MerkleTree<F, PoseidonHash>> {
        Ok(MerkleTree::new(leaves, cap_height))
    }
}

/// The crate's device commitments ([`commit`]): NTT/LDE and Merkle tree on the device, then
/// plonky2's public `PolynomialBatch` / `MerkleTree` built from the downloaded results. Where the
/// backend keeps rows ([`Backend::keeps_rows`]) and without blinding, the leaves stay on the device
/// ([`commit::Leaves::Keep`]) and the queries fetch theirs ([`CommitBackend::leaves`]).
pub struct DeviceCommit<'a, B: Backend = Gpu> {
    dev: &'a B,
    /// FRI trees with fewer leaves than this are built on the host (a device tree costs a few
    /// launches and round trips per layer, more than hashing a few hundred leaves).
    pub min_device_tree_leaves: usize,
}

impl<'a, B: Backend> DeviceCommit<'a, B> {
    /// Every commitment on `dev`.
    pub fn new(dev: &'a B) -> Self {
        DeviceCommit { dev, min_device_tree_leaves: 0 }
    }

    fn leaves_policy(&self, blinding: bool) -> commit::Leaves {
        if self.dev.keeps_rows() && !blinding {
            commit::Leaves::Keep
        } else {
            commit::Leaves::Download
        }
    }

    /// FRI trees of fewer than `leaves` leaves on the host.
    pub fn with_min_device_tree_leaves(mut self, leaves: usize) -> Self {
        self.min_device_tree_leaves = leaves;
        self
    }
}

impl<B: Backend> CommitBackend for DeviceCommit<'_, B> {
    fn name(&self) -> String {
        "gpu".into()
    }

    fn commit_values(
        &self,
        values: &[PolynomialValues<F>],
        rate_bits: usize,
        blinding: bool,
        cap_height: usize,
    ) -> Result<PolynomialBatch<F, C, D>> {
        let leaves = self.leaves_policy(blinding);
        commit::polynomial_batch_from_values_with::<B, C>(self.dev, values, rate_bits, blinding, cap_height, leaves)
            .map_err(|e| backend_err("device commitment from values", e))
    }

    fn commit_coeffs(
        &self,
        coeffs: Vec<PolynomialCoeffs<F>>,
        rate_bits: usize,
        blinding: bool,
        cap_height: usize,
    ) -> Result<PolynomialBatch<F, C, D>> {
        let leaves = self.leaves_policy(blinding);
        commit::polynomial_batch_from_coeffs_with::<B, C>(self.dev, coeffs, rate_bits, blinding, cap_height, leaves)
            .map_err(|e| backend_err("device commitment from coefficients", e))
    }

    fn merkle_tree(&self, leaves: Vec<Vec<F>>, cap_height: usize) -> Result<MerkleTree<F, PoseidonHash>> {
        if leaves.len() < self.min_device_tree_leaves {
            return Ok(MerkleTree::new(leaves, cap_height));
        }
        commit::merkle_tree_from_leaves(self.dev, leaves, cap_height).map_err(|e| backend_err("device Merkle tree", e))
    }

    fn quotient_values(&self, q: &QuotientInputs<'_>) -> Result<Option<Vec<F>>> {
        self.dev.quotient_values(q).map_err(|e| backend_err("device quotient", e))
    }

    fn zs_partial_products(
        &self,
        wires: &[PolynomialValues<F>],
        betas: &[F],
        gammas: &[F],
        prover: &ProverOnlyCircuitData<F, C, D>,
        common: &CommonCircuitData<F, D>,
    ) -> Result<Option<Vec<PolynomialValues<F>>>> {
        // The benchmark's A/B switch: FRISPOOL_GPU_PARTIAL_PRODUCTS=off leaves them to the host's threads.
        static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        if !crate::cuda_quotient::switch("FRISPOOL_GPU_PARTIAL_PRODUCTS", &ON) {
            return Ok(None);
        }
        crate::partial_products::zs_and_partial_products(self.dev, wires, betas, gammas, prover, common)
            .map(Some)
            .map_err(|e| backend_err("device permutation argument", e))
    }

    fn fri_commit_phase(
        &self,
        f: &crate::fri_device::FriCommitInputs<'_>,
        ch: &mut Challenger<F, PoseidonHash>,
    ) -> Result<Option<crate::fri_device::CommitPhase>> {
        // The benchmark's A/B switch: FRISPOOL_GPU_FRI=off leaves the commit phase to the host's threads. So does a
        // backend that did not keep the commitments' rows: they would all go up again, where the host has them.
        static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        if !crate::cuda_quotient::switch("FRISPOOL_GPU_FRI", &ON)
            || !self.dev.keeps_rows()
            || !crate::fri_device::supports(f)
        {
            return Ok(None);
        }
        crate::fri_device::commit_phase(self.dev, f, ch)
            .map(Some)
            .map_err(|e| backend_err("device FRI commit phase", e))
    }

    fn leaves(&self, batch: &PolynomialBatch<F, C, D>, indices: &[usize]) -> Result<Vec<Vec<F>>> {
        if !batch.merkle_tree.leaves.is_empty() {
            return host_leaves(batch, indices);
        }
        let width = batch.polynomials.len();
        self.dev
            .fetch_rows(&batch.merkle_tree.cap, width, indices)
            .map_err(|e| backend_err("leaves kept on the device", e))?
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "the device no longer holds the leaves of a commitment of this proof ({width} columns): \
                     more proofs in flight than it keeps rows for"
                )
            })
    }

    fn release(&self, cap: &MerkleCap<F, PoseidonHash>) {
        self.dev.release_rows(cap)
    }

    fn pow_witness(&self, state: &[F; 12], pos: usize, min_zeros: u32) -> Result<Option<u64>> {
        // The benchmark's A/B switch: FRISPOOL_GPU_POW=off leaves the search to the host's threads.
        static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        if !crate::cuda_quotient::switch("FRISPOOL_GPU_POW", &ON) {
            return Ok(None);
        }
        // One launch covers 2^18 candidates: the smallest witness of a 16-bit search is below 2^18 with
        // probability 1 − e^−4, and each launch is a fraction of a millisecond of the card.
        const BATCH: u32 = 1 << 18;
        let st = state.map(|x| plonky2::field::types::PrimeField64::to_canonical_u64(&x));
        let mut start = 0u64;
        while start < <F as plonky2::field::types::Field64>::ORDER - BATCH as u64 {
            let w = self
                .dev
                .pow_search(&st, pos as u32, start, BATCH, min_zeros)
                .map_err(|e| backend_err("device proof-of-work search", e))?;
            if w != u64::MAX {
                return Ok(Some(w));
            }
            start += BATCH as u64;
        }
        Err(anyhow::anyhow!("no proof-of-work witness below the field's order (highly unlikely)"))
    }
}
