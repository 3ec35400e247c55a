//! The emulated kernels' build: the CUDA shim, generated kernel source, the drivers' file I/O and a driver,
//! compiled by the host's g++ for the CPU (shared by `emulated.rs` and `quotient_emulated.rs`).

use std::path::{Path, PathBuf};
use std::process::Command;

pub const SHIM: &str = include_str!("cuda_shim.h");
const EMU_IO: &str = include_str!("emu_io.h");
const FLAGS: [&str; 6] =
    ["-O2", "-std=c++17", "-Wall", "-Wno-unknown-pragmas", "-Wno-unused-function", "-Wno-unused-variable"];

/// g++ is on this machine.
pub fn have_gxx() -> bool {
    Command::new("g++").arg("--version").output().is_ok()
}

/// `kernels` (generated CUDA C) and `driver` (a C++ `main`) compiled in `dir` as `name`. Panics with g++'s
/// output if they do not compile, or compile with a warning.
pub fn compile(dir: &Path, name: &str, kernels: &str, driver: &str) -> PathBuf {
    let cpp = dir.join(format!("{name}.cpp"));
    std::fs::write(&cpp, format!("{SHIM}\n{kernels}\n{EMU_IO}\n{driver}")).unwrap();
    let exe = dir.join(name);
    let out = Command::new("g++").args(FLAGS).arg("-o").arg(&exe).arg(&cpp).output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{name}: the kernel source does not compile as C++:\n{log}");
    assert!(!log.contains("warning"), "{name}: C++ warnings in the kernel source:\n{log}");
    exe
}
