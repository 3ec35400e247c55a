//! `main → run` for every binary: the one place where an error becomes one of README's exit codes.
//!
//! Below the binaries every error is typed; here, at the edge, `anyhow` carries them with their context,
//! and [`exit_code`] reads the first typed error of the chain. Exit codes: 0 done or nothing to do, 1 a job
//! failed, 2 usage or configuration, 75 temporary (retry later).

use std::process::ExitCode;

use frispool_pipeline::{GatewayError, SetupError};
use frispool_spool::{OomMarking, SpoolError};

/// The system allocator, leaving a mark for the held job when an allocation fails (the worker then
/// aborts): `frispool recover` reads it as a memory death and the job waits for a larger `--memory-class`.
#[global_allocator]
static ALLOCATOR: OomMarking = OomMarking;

/// Runs `run` and ends the process with the code it returns, or with its error's: printed with its whole
/// chain, mapped by [`exit_code`], `unexplained` when no typed error in the chain says.
pub fn main(bin: &str, unexplained: u8, run: impl FnOnce() -> anyhow::Result<u8>) -> ExitCode {
    match run() {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{bin}: error: {e:#}");
            ExitCode::from(exit_code(&e).unwrap_or(unexplained))
        }
    }
}

/// The exit code the first typed error of `e`'s chain stands for.
pub fn exit_code(e: &anyhow::Error) -> Option<u8> {
    e.chain().find_map(|cause| {
        if let Some(e) = cause.downcast_ref::<SetupError>() {
            Some(e.exit_code())
        } else if let Some(e) = cause.downcast_ref::<GatewayError>() {
            Some(e.exit_code())
        } else {
            cause.downcast_ref::<SpoolError>().map(SpoolError::exit_code)
        }
    })
}
