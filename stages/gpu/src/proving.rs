//! The GPU as a frispool proving backend: [`GpuProver`] implements `frispool_core::ProvingBackend` with this
//! crate's step-by-step prover over the device commitments, so `frispool-prover --backend gpu` proves every
//! circuit (basic, aggregation, compression) here. Its proofs are plonky2 proofs with the CPU backend's bytes
//! for the same partition witness (`tests/prover_cpu.rs`, and on the device `examples/gpu_prove.rs`).

use std::sync::Mutex;

use frispool_core::{BackendError, Proof, ProvingBackend, C, D, F};
use plonky2::iop::witness::PartialWitness;
use plonky2::plonk::circuit_data::{CommonCircuitData, ProverOnlyCircuitData};

use crate::{prove, DeviceCommit, Gpu, GpuError};

/// One GPU, proving one circuit at a time (a prover process runs one job at a time; the lock only keeps
/// two threads of one process from interleaving launches on the device's one stream).
pub struct GpuProver {
    gpu: Mutex<Gpu>,
    ordinal: usize,
}

impl GpuProver {
    /// Opens device `ordinal` and loads the kernels (from the on-disk kernel cache when it has them). A
    /// machine without a usable GPU gets the typed reason.
    pub fn open(ordinal: usize) -> Result<GpuProver, GpuError> {
        Ok(GpuProver { gpu: Mutex::new(Gpu::new(ordinal)?), ordinal })
    }

    pub fn ordinal(&self) -> usize {
        self.ordinal
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
        let gpu = self.gpu.lock().unwrap_or_else(|p| p.into_inner());
        prove(prover, common, witness, &DeviceCommit::new(&*gpu)).map_err(Into::into)
    }
}
