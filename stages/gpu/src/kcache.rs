//! Compiled kernels cached on disk, so that a prover pays NVRTC (~28 s for the prover set on an H100)
//! once per kernel source and device architecture, not once per process.
//!
//! NVRTC compiles the source straight to a CUBIN for the device's `sm_XY` (ptxas runs inside NVRTC),
//! which the driver loads without a JIT. The file is named by a 64-bit FNV-1a hash of the source, the
//! architecture and NVRTC's version: a changed kernel text is a new file, never a stale hit.
//! Directory: `$FRISPOOL_GPU_CACHE`, else `$XDG_CACHE_HOME/frispool-gpu`, else `~/.cache/frispool-gpu`;
//! `FRISPOOL_GPU_CACHE=off` disables it. A cache that cannot be read or written is skipped (the
//! kernels are compiled as before); a CUBIN that NVRTC cannot make or the driver refuses falls back
//! to PTX for the virtual architecture, JIT-compiled by the driver (the original path).

use std::ffi::{c_char, c_int, CString};
use std::path::PathBuf;

use cudarc::nvrtc::{result, sys};

use crate::error::GpuError;

/// What happened to the compiled kernels of this process.
#[derive(Clone, Debug)]
pub enum KernelCache {
    /// Loaded from this file: no compilation.
    Hit(PathBuf),
    /// Compiled to a CUBIN and written to this file.
    Stored(PathBuf),
    /// Compiled to a CUBIN; not written (no cache directory, or it failed).
    NotStored(String),
    /// Compiled to PTX for the driver's JIT (the CUBIN path failed, for this reason).
    PtxFallback(String),
}

/// 64-bit FNV-1a.
pub fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in *p {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The cache directory, or None when disabled or unknown.
pub fn cache_dir() -> Option<PathBuf> {
    match std::env::var_os("FRISPOOL_GPU_CACHE") {
        Some(v) if v == "off" => return None,
        Some(v) if !v.is_empty() => return Some(PathBuf::from(v)),
        _ => {}
    }
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(x).join("frispool-gpu"));
    }
    std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".cache").join("frispool-gpu"))
}

/// NVRTC's version, (major, minor).
pub fn nvrtc_version() -> (i32, i32) {
    let (mut major, mut minor): (c_int, c_int) = (0, 0);
    let ok = unsafe { sys::nvrtcVersion(&mut major, &mut minor) }.result().is_ok();
    if ok {
        (major, minor)
    } else {
        (0, 0)
    }
}

/// The cache file of `src` for compute capability `cc`.
pub fn cache_file(src: &str, cc: (i32, i32)) -> Option<PathBuf> {
    let (ma, mi) = nvrtc_version();
    let key =
        fnv1a(&[src.as_bytes(), format!("sm_{}{}", cc.0, cc.1).as_bytes(), format!("nvrtc {ma}.{mi}").as_bytes()]);
    cache_dir().map(|d| d.join(format!("kernels-sm{}{}-{key:016x}.cubin", cc.0, cc.1)))
}

/// NVRTC: `src` to a CUBIN for `sm_XY`.
pub fn compile_cubin(src: &str, cc: (i32, i32)) -> Result<Vec<u8>, GpuError> {
    let c_src = CString::new(src).map_err(|e| GpuError::Compile(e.to_string()))?;
    let name = CString::new("frispool_gpu.cu").unwrap();
    let prog = result::create_program(&c_src, Some(&name)).map_err(|e| GpuError::Compile(format!("{e:?}")))?;
    let out = (|| {
        let opts = [format!("--gpu-architecture=sm_{}{}", cc.0, cc.1)];
        if let Err(e) = unsafe { result::compile_program(prog, &opts) } {
            let log = unsafe { result::get_program_log(prog) }
                .map(|l| l.iter().take_while(|&&c| c != 0).map(|&c| c as u8 as char).collect::<String>())
                .unwrap_or_default();
            return Err(GpuError::Compile(format!("{e:?}: {log}")));
        }
        let mut size = 0usize;
        unsafe { sys::nvrtcGetCUBINSize(prog, &mut size) }
            .result()
            .map_err(|e| GpuError::Compile(format!("CUBIN size: {e:?}")))?;
        if size == 0 {
            return Err(GpuError::Compile("NVRTC made an empty CUBIN".into()));
        }
        let mut cubin = vec![0u8; size];
        unsafe { sys::nvrtcGetCUBIN(prog, cubin.as_mut_ptr() as *mut c_char) }
            .result()
            .map_err(|e| GpuError::Compile(format!("CUBIN: {e:?}")))?;
        Ok(cubin)
    })();
    let _ = unsafe { result::destroy_program(prog) };
    out
}

/// Write `data` to `path` atomically (temporary file in the same directory, then rename).
pub fn store(path: &std::path::Path, data: &[u8]) -> Result<(), String> {
    let dir = path.parent().ok_or("no parent directory")?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let tmp = dir.join(format!(".{}.{}", path.file_name().unwrap().to_string_lossy(), std::process::id()));
    std::fs::write(&tmp, data).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_follows_every_part() {
        let a = fnv1a(&[b"src", b"sm_90", b"nvrtc 13.0"]);
        assert_ne!(a, fnv1a(&[b"src ", b"sm_90", b"nvrtc 13.0"]));
        assert_ne!(a, fnv1a(&[b"src", b"sm_80", b"nvrtc 13.0"]));
        assert_ne!(a, fnv1a(&[b"sr", b"csm_90", b"nvrtc 13.0"]), "part boundaries count");
        assert_eq!(a, fnv1a(&[b"src", b"sm_90", b"nvrtc 13.0"]));
    }

    #[test]
    fn store_writes_atomically() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sub").join("k.cubin");
        store(&p, b"abc").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"abc");
        assert_eq!(std::fs::read_dir(p.parent().unwrap()).unwrap().count(), 1, "no temporary file left");
    }
}
