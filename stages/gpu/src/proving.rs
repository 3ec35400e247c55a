//! The GPU as a frispool proving backend: [`GpuProver`] implements `frispool_core::ProvingBackend` with this
//! crate's step-by-step prover over the device commitments, so `frispool-prover --backend gpu` proves every
//! circuit (basic, aggregation, compression) here, from a partial witness or from a witness vector made by
//! `frispool-wvg`. Its proofs are plonky2 proofs with the CPU backend's bytes for the same partition witness
//! (`tests/prover_cpu.rs`, and on the device `examples/gpu_prove.rs`).
//!
//! Several proofs may be in flight on one GPU at once (a prover's `--workers`, the witness-vector server's slots).
//! Each device step (a commitment, the device quotient, FRI's commit phase) takes a free lane of the card for
//! its length (`Gpu::lane`: its own stream and staging buffers), so the proofs' device steps run side by side
//! too, not only their host work. `FRISPOOL_GPU_LANES=N` caps the lanes (1: every step takes turns on one
//! stream, as before lanes; the A/B of NOTES.md run 24).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Result;
use frispool_core::{BackendError, Proof, ProvingBackend, WitnessVector, C, D, F};
use plonky2::field::polynomial::{PolynomialCoeffs, PolynomialValues};
use plonky2::field::types::PrimeField64;
use plonky2::fri::oracle::PolynomialBatch;
use plonky2::hash::merkle_tree::MerkleTree;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::witness::PartialWitness;
use plonky2::plonk::circuit_data::{CommonCircuitData, ProverOnlyCircuitData};

use crate::prover::{QuotientInputs, WitnessInput};
use crate::{prove_timed, CommitBackend, DeviceCommit, Gpu, GpuError, ProveTimes};

/// One GPU, shared by every proof of a process.
pub struct GpuProver {
    /// The card as opened (its default stream): lanes are made from it, and it runs nothing itself.
    gpu: Gpu,
    lanes: Lanes<Gpu>,
    ordinal: usize,
    /// Nanoseconds the device was held (commitments), summed over every proof.
    busy_ns: AtomicU64,
    /// Proofs made and their step times summed: which host steps bound a prover (`step_summary`).
    steps: Mutex<(u64, ProveTimes)>,
}

impl GpuProver {
    /// Opens device `ordinal` for a process of `workers` job loops and loads the kernels (from the on-disk
    /// kernel cache when it has them). A machine without a usable GPU gets the typed reason.
    pub fn open(ordinal: usize, workers: usize) -> Result<GpuProver, GpuError> {
        Ok(GpuProver {
            gpu: Gpu::for_workers(ordinal, workers)?,
            lanes: Lanes::new(lanes_wanted()),
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
        let (proof, times) = prove_timed(prover, common, witness, &OnLanes(self))?;
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

    fn holds_setup(&self, circuit_digest: &plonky2::hash::hash_types::HashOut<F>) -> bool {
        self.gpu.holds_setup(circuit_digest.elements.map(|e| e.to_canonical_u64()))
    }

    fn step_summary(&self) -> Option<String> {
        let (proofs, times) = self.steps.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let steps: Vec<String> = times.steps().iter().map(|(name, ms)| format!("{name} {:.2}", ms / 1e3)).collect();
        let pool = match self.gpu.pool_high_water() {
            Ok(Some((reserved, used))) => {
                format!("; device pool high water {:.2} GiB reserved, {:.2} GiB in use", gib(reserved), gib(used))
            }
            Ok(None) => String::new(),
            Err(e) => format!("; device pool unread ({e})"),
        };
        Some(format!("steps of {proofs} proofs, seconds summed: {}{pool}", steps.join(", ")))
    }
}

fn gib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

/// The device's steps, each on a lane of its own for its length: a commitment is a whole upload → kernels →
/// download sequence on one stream.
struct OnLanes<'a>(&'a GpuProver);

impl OnLanes<'_> {
    fn with<T>(&self, f: impl FnOnce(&DeviceCommit<'_>) -> Result<T>) -> Result<T> {
        let gpu = &self.0.gpu;
        let lane =
            self.0.lanes.take(|| gpu.lane().map_err(|e| anyhow::Error::new(e).context("a new stream on the GPU")))?;
        // Given back however the step ends: a panic (caught further up as a failed proof) must not cost a lane.
        let lane = Taken { lanes: &self.0.lanes, lane: Some(lane) };
        let held = Instant::now();
        let out = f(&DeviceCommit::new(lane.lane.as_ref().expect("held until dropped")));
        self.0.busy_ns.fetch_add(held.elapsed().as_nanos() as u64, Ordering::Relaxed);
        out
    }
}

/// A lane taken for one step, put back when dropped.
struct Taken<'a, T> {
    lanes: &'a Lanes<T>,
    lane: Option<T>,
}

impl<T> Drop for Taken<'_, T> {
    fn drop(&mut self) {
        if let Some(lane) = self.lane.take() {
            self.lanes.put(lane);
        }
    }
}

/// `FRISPOOL_GPU_LANES`: the most lanes (streams) a process drives its card with; default [`MAX_LANES`].
fn lanes_wanted() -> usize {
    std::env::var("FRISPOOL_GPU_LANES").ok().and_then(|v| v.parse().ok()).unwrap_or(MAX_LANES).clamp(1, MAX_LANES)
}

/// Enough for one lane per core of the largest hosts lent (a lane is a stream and its pinned staging buffers).
const MAX_LANES: usize = 256;

/// The card's lanes: idle ones wait here, a step takes one (made on first need, up to `max`) and gives it back.
struct Lanes<T> {
    pool: Mutex<LanePool<T>>,
    freed: std::sync::Condvar,
    max: usize,
}

/// The lanes not in use, and how many were made (in use or not).
struct LanePool<T> {
    idle: Vec<T>,
    made: usize,
}

impl<T> Lanes<T> {
    fn new(max: usize) -> Lanes<T> {
        Lanes { pool: Mutex::new(LanePool { idle: Vec::new(), made: 0 }), freed: std::sync::Condvar::new(), max }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LanePool<T>> {
        self.pool.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn take(&self, make: impl FnOnce() -> Result<T>) -> Result<T> {
        let mut pool = self.lock();
        loop {
            if let Some(lane) = pool.idle.pop() {
                return Ok(lane);
            }
            if pool.made < self.max {
                pool.made += 1;
                drop(pool);
                // Made outside the lock (a new stream); one that fails is not counted.
                return make().inspect_err(|_| self.lock().made -= 1);
            }
            pool = self.freed.wait(pool).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn put(&self, lane: T) {
        self.lock().idle.push(lane);
        self.freed.notify_one();
    }
}

impl CommitBackend for OnLanes<'_> {
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
        // Kept rows are the card's, not a lane's: no stream is needed to let them go.
        DeviceCommit::new(&self.0.gpu).release(cap)
    }

    fn pow_witness(&self, state: &[F; 12], pos: usize, min_zeros: u32) -> Result<Option<u64>> {
        self.with(|d| d.pow_witness(state, pos, min_zeros))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    #[test]
    fn lanes_are_made_on_need_up_to_the_cap_and_a_step_past_it_waits_for_one() {
        let lanes = Lanes::new(2);
        let made = AtomicUsize::new(0);
        let make = || Ok(made.fetch_add(1, Ordering::SeqCst));
        let (a, b) = (lanes.take(make).unwrap(), lanes.take(make).unwrap());
        assert_eq!((a, b), (0, 1));
        std::thread::scope(|s| {
            let third = s.spawn(|| lanes.take(make).unwrap());
            std::thread::sleep(Duration::from_millis(50));
            assert!(!third.is_finished(), "a third step waits: the cap is two lanes");
            lanes.put(b);
            assert_eq!(third.join().unwrap(), 1, "it gets the lane given back, no new one");
        });
        assert_eq!(made.load(Ordering::SeqCst), 2);
        // A lane that cannot be made is not counted: the next step tries again.
        let lanes = Lanes::<usize>::new(1);
        assert!(lanes.take(|| anyhow::bail!("no stream")).is_err());
        assert_eq!(lanes.take(|| Ok(7)).unwrap(), 7);
    }

    #[test]
    fn a_step_that_panics_gives_its_lane_back() {
        let lanes = Lanes::new(1);
        let lane = lanes.take(|| Ok(5)).unwrap();
        let step = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _taken = Taken { lanes: &lanes, lane: Some(lane) };
            panic!("a device step failed");
        }));
        assert!(step.is_err());
        assert_eq!(lanes.take(|| anyhow::bail!("no new lane: the cap is one")).unwrap(), 5);
    }
}
