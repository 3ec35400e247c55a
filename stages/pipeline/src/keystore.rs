//! Keys on disk: `frispool keygen` writes the manifest (protocol version, every circuit's digest and size)
//! and every circuit's verifier key into the spool's `keys/` folder, each as a checked artifact; stages read
//! the protocol version from it, provers check the keys they build against it, the sequencer and
//! `frispool verify` load verifier keys from it.

use std::path::{Path, PathBuf};

use frispool_circuits::keys::{self, KeyManifest, MANIFEST_FORMAT};
use frispool_circuits::{FinalVerifier, ProtocolKeys};
use frispool_spool::artifact::{self, ArtifactKind};
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub const MANIFEST: &str = "manifest.json";

#[derive(Debug, Error)]
pub enum KeyError {
    #[error("keys in {dir}: {reason} (run `frispool keygen`)")]
    Missing { dir: PathBuf, reason: String },
    #[error("keys in {dir} are protocol {on_disk}, this build is protocol {built}: run `frispool keygen` for this build, or use the matching binaries")]
    WrongVersion { dir: PathBuf, on_disk: String, built: String },
    #[error("keys in {dir}: {reason}")]
    Bad { dir: PathBuf, reason: String },
}

/// A verifier key as stored: which circuit, which protocol, plonky2's bytes.
#[derive(Serialize, Deserialize)]
pub struct VerifierKeyWire {
    pub protocol: String,
    pub circuit: String,
    pub bytes: Vec<u8>,
}

fn vk_file(name: &str) -> String {
    format!("{name}.vk")
}

/// Writes the manifest and every verifier key of `keys` into `dir` (write-once files: a second keygen of
/// the same build finds them identical; a different build must use a fresh keys folder).
pub fn write(dir: &Path, built: &ProtocolKeys) -> Result<KeyManifest, KeyError> {
    let bad = |reason: String| KeyError::Bad { dir: dir.to_path_buf(), reason };
    std::fs::create_dir_all(dir).map_err(|e| bad(e.to_string()))?;
    let manifest = built.manifest();
    if let Ok(existing) = read_manifest(dir) {
        if existing.protocol != manifest.protocol {
            return Err(KeyError::WrongVersion {
                dir: dir.to_path_buf(),
                on_disk: existing.protocol,
                built: manifest.protocol,
            });
        }
    }
    for c in &manifest.circuits {
        let wire = VerifierKeyWire {
            protocol: manifest.protocol.clone(),
            circuit: c.name.clone(),
            bytes: built.verifier_bytes(&c.name).map_err(|e| bad(e.to_string()))?,
        };
        let path = dir.join(vk_file(&c.name));
        let bytes = artifact::encode(&path, ArtifactKind::VerifierKey, &wire).map_err(|e| bad(e.to_string()))?;
        artifact::write_file_once(&path, &bytes).map_err(|e| bad(e.to_string()))?;
    }
    // The manifest last: its presence says the keys are complete.
    let mut json = serde_json::to_vec_pretty(&manifest).expect("manifest serialises");
    json.push(b'\n');
    artifact::write_file_once(&dir.join(MANIFEST), &json).map_err(|e| bad(e.to_string()))?;
    Ok(manifest)
}

pub fn read_manifest(dir: &Path) -> Result<KeyManifest, KeyError> {
    let path = dir.join(MANIFEST);
    let bytes = std::fs::read(&path)
        .map_err(|e| KeyError::Missing { dir: dir.to_path_buf(), reason: format!("{}: {e}", path.display()) })?;
    let m: KeyManifest = serde_json::from_slice(&bytes)
        .map_err(|e| KeyError::Bad { dir: dir.to_path_buf(), reason: format!("{}: {e}", path.display()) })?;
    if m.format != MANIFEST_FORMAT {
        return Err(KeyError::Bad {
            dir: dir.to_path_buf(),
            reason: format!("{} has format {}, this build reads {MANIFEST_FORMAT}", path.display(), m.format),
        });
    }
    Ok(m)
}

/// The protocol version the keys in `dir` are for.
pub fn protocol(dir: &Path) -> Result<String, KeyError> {
    Ok(read_manifest(dir)?.protocol)
}

/// Builds this binary's keys and checks them against the keys on disk: a prover never proves for keys it
/// does not match.
pub fn build_checked(dir: &Path) -> Result<ProtocolKeys, KeyError> {
    let on_disk = protocol(dir)?;
    let built = ProtocolKeys::build().map_err(|e| KeyError::Bad { dir: dir.to_path_buf(), reason: e.to_string() })?;
    if built.version() != on_disk {
        return Err(KeyError::WrongVersion { dir: dir.to_path_buf(), on_disk, built: built.version().to_string() });
    }
    Ok(built)
}

/// Reads a verifier key written by [`write`], refusing a key of another protocol version.
pub fn read_verifier(dir: &Path, circuit: &str) -> Result<VerifierKeyWire, KeyError> {
    let manifest = read_manifest(dir)?;
    let path = dir.join(vk_file(circuit));
    let wire: VerifierKeyWire = artifact::read(&path, ArtifactKind::VerifierKey)
        .map_err(|e| KeyError::Bad { dir: dir.to_path_buf(), reason: e.to_string() })?;
    if wire.protocol != manifest.protocol || wire.circuit != circuit {
        return Err(KeyError::WrongVersion { dir: dir.to_path_buf(), on_disk: wire.protocol, built: manifest.protocol });
    }
    Ok(wire)
}

/// The final verifier, as the sequencer holds it.
pub fn final_verifier(dir: &Path) -> Result<FinalVerifier, KeyError> {
    let wire = read_verifier(dir, keys::FINAL)?;
    FinalVerifier::from_bytes(&wire.protocol, &wire.bytes)
        .map_err(|e| KeyError::Bad { dir: dir.to_path_buf(), reason: e.to_string() })
}

/// `frispool verify FILE`: checks a proof or final-proof artifact with the verifier key on disk.
/// Returns a one-line summary.
pub fn verify_file(dir: &Path, file: &Path) -> Result<String, KeyError> {
    let bad = |reason: String| KeyError::Bad { dir: dir.to_path_buf(), reason };
    let mapped = artifact::MappedArtifact::open(file).map_err(|e| bad(e.to_string()))?;
    match mapped.header.kind {
        ArtifactKind::Proof => {
            let wire: frispool_circuits::ProofWire = mapped.decode(ArtifactKind::Proof).map_err(|e| bad(e.to_string()))?;
            let vk = read_verifier(dir, &wire.circuit)?;
            if wire.protocol != vk.protocol {
                return Err(KeyError::WrongVersion { dir: dir.to_path_buf(), on_disk: vk.protocol, built: wire.protocol });
            }
            let vd = keys::verifier_from_bytes(&wire.circuit, &vk.bytes).map_err(|e| bad(e.to_string()))?;
            frispool_circuits::api::verify_with_key(&vd, &wire).map_err(|e| bad(format!("{}: {e}", file.display())))?;
            Ok(format!("{}: valid {} proof of block {} (protocol {})", file.display(), wire.circuit, wire.block, wire.protocol))
        }
        ArtifactKind::FinalProof => {
            let wire: frispool_circuits::FinalProofWire =
                mapped.decode(ArtifactKind::FinalProof).map_err(|e| bad(e.to_string()))?;
            let verifier = final_verifier(dir)?;
            if wire.protocol != verifier.protocol {
                return Err(KeyError::WrongVersion { dir: dir.to_path_buf(), on_disk: verifier.protocol, built: wire.protocol });
            }
            let (block, c) = verifier.verify_standalone(&wire).map_err(|e| bad(format!("{}: {e}", file.display())))?;
            Ok(format!(
                "{}: valid final proof of block {block}, commitment {:016x}{:016x}{:016x}{:016x} (protocol {})",
                file.display(),
                c[0],
                c[1],
                c[2],
                c[3],
                wire.protocol
            ))
        }
        other => Err(bad(format!("{} is a {other} artifact, not a proof", file.display()))),
    }
}

/// The protocol version a pipeline stage serves: `--protocol` when given, else the keys' version.
pub fn serve_protocol(keys_dir: &Path, requested: &str) -> Result<String, KeyError> {
    let on_disk = protocol(keys_dir)?;
    if requested != frispool_spool::DEFAULT_PROTOCOL && requested != on_disk {
        return Err(KeyError::WrongVersion { dir: keys_dir.to_path_buf(), on_disk, built: requested.to_string() });
    }
    Ok(on_disk)
}
