//! Fingerprints the source of every crate that shapes a circuit (the shared configuration and layouts, rollup
//! limits and hashes, the aggregation circuits, the basic circuits), so keys written by one build are refused by a build of other circuit code
//! even where the loaded prover data happens to fit (see `keys::SOURCE_FINGERPRINT`).

use std::fs;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn main() {
    let here = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let mut paths = Vec::new();
    for dir in [here.join("src"), here.join("../core/src"), here.join("../aggregation/src"), here.join("../rollup/src")]
    {
        println!("cargo:rerun-if-changed={}", dir.display());
        files(&dir, &mut paths);
    }
    paths.sort();
    // FNV-1a over (relative path, contents): stable, dependency-free, and enough to tell builds apart.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for p in &paths {
        let rel = p.strip_prefix(&here).unwrap_or(p);
        eat(rel.to_string_lossy().as_bytes());
        eat(&fs::read(p).unwrap_or_default());
    }
    println!("cargo:rustc-env=FRISPOOL_CIRCUIT_SOURCE={h:016x}");
}
