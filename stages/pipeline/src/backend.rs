//! `--backend cpu|gpu`: which proving backend the stages that prove (prover, compressor) run every circuit
//! on. The seam itself is `frispool_core::ProvingBackend`, behind `frispool_core::prove`, the one place
//! every circuit proves.

use frispool_core::{cpu_backend, SharedBackend};
use thiserror::Error;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// plonky2 on the CPU (rayon, --threads).
    Cpu,
    /// The GPU prover of `stages/gpu` (not built into this binary yet).
    Gpu,
}

#[derive(Debug, Error)]
pub enum BackendError {
    /// The GPU crate (`frispool_gpu::prove` over a `CommitBackend`) is not wired in yet: its issue fills
    /// this arm with a `ProvingBackend` that calls it.
    #[error("the gpu backend is not built into this binary yet (stages/gpu is not wired into the provers); use --backend cpu")]
    GpuNotBuilt,
}

impl Backend {
    /// The backend to hand to `ProtocolKeys::use_backend`.
    pub fn select(self) -> Result<SharedBackend, BackendError> {
        match self {
            Backend::Cpu => Ok(cpu_backend()),
            Backend::Gpu => Err(BackendError::GpuNotBuilt),
        }
    }
}
