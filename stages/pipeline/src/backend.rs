//! `--backend cpu|gpu`: which proving backend the stages that prove (prover, compressor) run every circuit
//! on. The seam itself is `frispool_core::ProvingBackend`, behind `frispool_core::prove`, the one place
//! every circuit proves.

use std::sync::Arc;

use frispool_core::{cpu_backend, SharedBackend};
use frispool_gpu::{GpuError, GpuProver};
use thiserror::Error;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// plonky2 on the CPU (rayon, --threads).
    Cpu,
    /// The GPU prover of `stages/gpu` (CUDA and NVRTC loaded at run time; `--device` picks the card).
    Gpu,
}

#[derive(Debug, Error)]
pub enum BackendError {
    /// No usable GPU here: no driver, no such device, no NVRTC, or the kernels do not compile.
    #[error("--backend gpu: GPU {device} is not usable on this machine: {source}; use --backend cpu")]
    Gpu { device: usize, source: GpuError },
}

impl Backend {
    /// The backend to hand to `ProtocolKeys::use_backend`; `device` is the GPU's ordinal and `workers` the job
    /// loops that will share it (both ignored on the CPU).
    pub fn select(self, device: usize, workers: usize) -> Result<SharedBackend, BackendError> {
        match self {
            Backend::Cpu => Ok(cpu_backend()),
            Backend::Gpu => {
                let gpu = GpuProver::open(device, workers).map_err(|source| BackendError::Gpu { device, source })?;
                Ok(Arc::new(gpu))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gpu_backend_names_the_device_and_the_way_out_when_there_is_no_gpu() {
        match Backend::Gpu.select(3, 1) {
            // A machine with a usable GPU 3 (never CI's): nothing to refuse.
            Ok(b) => assert_eq!(b.name(), "gpu"),
            Err(e) => {
                let text = e.to_string();
                assert!(text.contains("GPU 3 is not usable") && text.contains("--backend cpu"), "{text}");
            }
        }
        assert_eq!(Backend::Cpu.select(3, 1).unwrap().name(), "cpu");
    }
}
