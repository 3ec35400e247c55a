//! Where a proof's commitments are computed: [`CpuCommit`] (plonky2's own `PolynomialBatch` and
//! `MerkleTree`) or [`DeviceCommit`] (this crate's kernels, on CUDA or on any [`Backend`]).

use anyhow::Result;
use plonky2::field::polynomial::{PolynomialCoeffs, PolynomialValues};
use plonky2::fri::oracle::PolynomialBatch;
use plonky2::hash::merkle_tree::MerkleTree;
use plonky2::hash::poseidon::PoseidonHash;
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
/// plonky2's public `PolynomialBatch` / `MerkleTree` built from the downloaded results.
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
        commit::polynomial_batch_from_values::<B, C>(self.dev, values, rate_bits, blinding, cap_height)
            .map_err(|e| backend_err("device commitment from values", e))
    }

    fn commit_coeffs(
        &self,
        coeffs: Vec<PolynomialCoeffs<F>>,
        rate_bits: usize,
        blinding: bool,
        cap_height: usize,
    ) -> Result<PolynomialBatch<F, C, D>> {
        commit::polynomial_batch_from_coeffs::<B, C>(self.dev, coeffs, rate_bits, blinding, cap_height)
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
}
