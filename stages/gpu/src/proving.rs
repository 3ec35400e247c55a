//! The GPU as a frispool proving backend: [`GpuProver`] implements `frispool_core::ProvingBackend` with this
//! crate's step-by-step prover over the device commitments, so `frispool-prover --backend gpu` proves every
//! circuit (basic, aggregation, compression) here, from a partial witness or from a witness vector made by
//! `frispool-wvg`. Its proofs are plonky2 proofs with the CPU backend's bytes for the same partition witness
//! (`tests/prover_cpu.rs`, and on the device `examples/gpu_prove.rs`).
//!
//! Several proofs may be in flight on one GPU at once (the witness-vector server proves one per slot): the
//! device is locked per commitment, not per proof, so one proof's host work (partial products, quotient,
//! openings, FRI queries) overlaps another's device work.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Result;
use frispool_core::{BackendError, Proof, ProvingBackend, WitnessVector, C, D, F};
use plonky2::field::polynomial::{PolynomialCoeffs, PolynomialValues};
use plonky2::fri::oracle::PolynomialBatch;
use plonky2::hash::merkle_tree::MerkleTree;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::witness::PartialWitness;
use plonky2::plonk::circuit_data::{CommonCircuitData, ProverOnlyCircuitData};

use crate::prover::{QuotientInputs, WitnessInput};
use crate::{prove_timed, CommitBackend, DeviceCommit, Gpu, GpuError, ProveTimes};

/// One GPU, shared by every proof of a process.
pub struct GpuProver {
    gpu: Mutex<Gpu>,
    ordinal: usize,
    /// Nanoseconds the device was held (commitments), summed over every proof.
    busy_ns: AtomicU64,
    /// Proofs made and their step times summed: which host steps bound a prover (`step_summary`).
    steps: Mutex<(u64, ProveTimes)>,
}

impl GpuProver {
    /// Opens device `ordinal` and loads the kernels (from the on-disk kernel cache when it has them). A
    /// machine without a usable GPU gets the typed reason.
    pub fn open(ordinal: usize) -> Result<GpuProver, GpuError> {
        Ok(GpuProver {
            gpu: Mutex::new(Gpu::new(ordinal)?),
            ordinal,
            busy_ns: AtomicU64::new(0),
            steps: Mutex::new((0, ProveTimes::default())),
        })
    }

    pub fn ordinal(&self) -> usize {
        self.ordinal
    }

    fn prove_input<'a>(
        &self,
        prover: &'a ProverOnlyCircuitData<F, C, D>,
        common: &'a CommonCircuitData<F, D>,
        witness: WitnessInput<'a>,
    ) -> Result<Proof, BackendError> {
        let (proof, times) = prove_timed(prover, common, witness, &LockedDevice(self))?;
        let mut steps = self.steps.lock().unwrap_or_else(|p| p.into_inner());
        steps.0 += 1;
        steps.1 += &times;
        Ok(proof)
    }
}

impl ProvingBackend for GpuProver {
    fn name(&self) -> &'static str {
        "gpu"
    }

    fn prove(
        &self,
        prover: &ProverOnlyCircuitData<F, C, D>,
        common: &CommonCircuitData<F, D>,
        witness: PartialWitness<F>,
    ) -> Result<Proof, BackendError> {
        self.prove_input(prover, common, WitnessInput::Partial(witness))
    }

    fn prove_vector(
        &self,
        prover: &ProverOnlyCircuitData<F, C, D>,
        common: &CommonCircuitData<F, D>,
        vector: &WitnessVector,
    ) -> Result<Proof, BackendError> {
        self.prove_input(prover, common, WitnessInput::Vector(vector))
    }

    fn device_busy(&self) -> Option<Duration> {
        Some(Duration::from_nanos(self.busy_ns.load(Ordering::Relaxed)))
    }

    fn step_summary(&self) -> Option<String> {
        let (proofs, times) = self.steps.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let steps: Vec<String> = times.steps().iter().map(|(name, ms)| format!("{name} {:.2}", ms / 1e3)).collect();
        Some(format!("steps of {proofs} proofs, seconds summed: {}", steps.join(", ")))
    }
}

/// The device's commitments, the device locked for each one: the GPU has one stream, and every commitment
/// is a whole upload → kernels → download sequence.
struct LockedDevice<'a>(&'a GpuProver);

impl LockedDevice<'_> {
    fn with<T>(&self, f: impl FnOnce(&DeviceCommit<'_>) -> T) -> T {
        let gpu = self.0.gpu.lock().unwrap_or_else(|p| p.into_inner());
        let held = Instant::now();
        let out = f(&DeviceCommit::new(&*gpu));
        self.0.busy_ns.fetch_add(held.elapsed().as_nanos() as u64, Ordering::Relaxed);
        out
    }
}

impl CommitBackend for LockedDevice<'_> {
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
        self.with(|d| d.commit_values(values, rate_bits, blinding, cap_height))
    }

    fn commit_coeffs(
        &self,
        coeffs: Vec<PolynomialCoeffs<F>>,
        rate_bits: usize,
        blinding: bool,
        cap_height: usize,
    ) -> Result<PolynomialBatch<F, C, D>> {
        self.with(|d| d.commit_coeffs(coeffs, rate_bits, blinding, cap_height))
    }

    fn merkle_tree(&self, leaves: Vec<Vec<F>>, cap_height: usize) -> Result<MerkleTree<F, PoseidonHash>> {
        self.with(|d| d.merkle_tree(leaves, cap_height))
    }

    fn quotient_values(&self, q: &QuotientInputs<'_>) -> Result<Option<Vec<F>>> {
        self.with(|d| d.quotient_values(q))
    }

    fn zs_partial_products(
        &self,
        wires: &[PolynomialValues<F>],
        betas: &[F],
        gammas: &[F],
        prover: &ProverOnlyCircuitData<F, C, D>,
        common: &CommonCircuitData<F, D>,
    ) -> Result<Option<Vec<PolynomialValues<F>>>> {
        self.with(|d| d.zs_partial_products(wires, betas, gammas, prover, common))
    }

    fn fri_commit_phase(
        &self,
        f: &crate::fri_device::FriCommitInputs<'_>,
        ch: &mut plonky2::iop::challenger::Challenger<F, PoseidonHash>,
    ) -> Result<Option<crate::fri_device::CommitPhase>> {
        self.with(|d| d.fri_commit_phase(f, ch))
    }

    fn leaves(&self, batch: &PolynomialBatch<F, C, D>, indices: &[usize]) -> Result<Vec<Vec<F>>> {
        self.with(|d| d.leaves(batch, indices))
    }

    fn release(&self, cap: &plonky2::hash::merkle_tree::MerkleCap<F, PoseidonHash>) {
        self.with(|d| d.release(cap))
    }

    fn pow_witness(&self, state: &[F; 12], pos: usize, min_zeros: u32) -> Result<Option<u64>> {
        self.with(|d| d.pow_witness(state, pos, min_zeros))
    }
}
