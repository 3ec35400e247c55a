//! The typed errors of every entry point.

/// Why a GPU operation could not run. Everything that needs a GPU starts from [`crate::Gpu::new`],
/// which returns one of the first four variants on a machine without a usable GPU.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// libcuda (the driver library) could not be loaded: no NVIDIA driver on this machine.
    #[error("no usable GPU: the CUDA driver library (libcuda.so) could not be loaded on this machine")]
    NoDriver,
    /// The driver loaded but offers no device (or not the one asked for).
    #[error("no usable GPU: {0}")]
    NoDevice(String),
    /// libnvrtc could not be loaded; the kernels are compiled at run time and need it.
    #[error("no usable GPU: NVRTC (libnvrtc.so) could not be loaded; the kernels are compiled at run time with it (add the CUDA toolkit's lib64 to LD_LIBRARY_PATH)")]
    NoNvrtc,
    /// NVRTC refused the kernel source (the log is attached).
    #[error("NVRTC could not compile the kernels: {0}")]
    Compile(String),
    /// A CUDA driver call failed.
    #[error("CUDA driver call failed ({what}): {source}")]
    Driver {
        what: &'static str,
        #[source]
        source: cudarc::driver::DriverError,
    },
    /// The input is outside what the kernels support (the message says what).
    #[error("unsupported input: {0}")]
    Unsupported(String),
    /// A backend other than CUDA (the CPU emulation in tests) failed.
    #[error("backend failure: {0}")]
    Backend(String),
}

impl GpuError {
    /// True for the variants that mean "this machine has no usable GPU".
    pub fn is_no_gpu(&self) -> bool {
        matches!(self, GpuError::NoDriver | GpuError::NoDevice(_) | GpuError::NoNvrtc)
    }
}

pub(crate) trait DriverContext<T> {
    fn ctx(self, what: &'static str) -> Result<T, GpuError>;
}

impl<T> DriverContext<T> for Result<T, cudarc::driver::DriverError> {
    fn ctx(self, what: &'static str) -> Result<T, GpuError> {
        self.map_err(|source| GpuError::Driver { what, source })
    }
}
