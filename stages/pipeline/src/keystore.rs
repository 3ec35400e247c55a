//! Keys on disk: `frispool keygen` writes the manifest (protocol version, every circuit's digest and size),
//! every circuit's verifier key (`<name>.vk`) and prover key (`<name>.prover`) into the spool's `keys/`
//! folder, each as a checked artifact; stages read the protocol version from it, provers and the
//! compressor load their prover keys from it ([`load`]), the sequencer and `frispool verify` load verifier
//! keys from it.

use std::path::{Path, PathBuf};

use frispool_circuits::keys::{self, KeyManifest, MANIFEST_FORMAT};
use frispool_circuits::{CircuitError, FinalVerifier, ProtocolKeys};

use crate::trust;
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

fn prover_file(name: &str) -> String {
    format!("{name}.prover")
}

/// A prover key as stored (artifact kind `prover-key`): which protocol and circuit, the circuit digest
/// (hex, as in the manifest), then plonky2's serialised `CircuitData`. The payload is this struct in
/// bincode-2 standard layout, which [`parse_prover_key`] reads in place so the large `data` stays in the
/// memory map instead of being copied out.
#[derive(Serialize)]
struct ProverKeyWire<'a> {
    protocol: &'a str,
    circuit: &'a str,
    digest: &'a str,
    data: RawBytes<'a>,
}

/// Bytes serialised as one length-prefixed run (serde's `serialize_bytes`), not element by element.
struct RawBytes<'a>(&'a [u8]);

impl Serialize for RawBytes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

/// The fields of a prover key payload, `data` borrowed from it.
#[derive(Debug)]
pub struct ProverKeyRef<'a> {
    pub protocol: &'a str,
    pub circuit: &'a str,
    pub digest: &'a str,
    pub data: &'a [u8],
}

/// Reads bincode-2's standard varint: one byte up to 250, else a marker (251/252/253) and a little-endian
/// u16/u32/u64.
fn take_varint(p: &mut &[u8]) -> Option<u64> {
    let (&first, rest) = p.split_first()?;
    let width = match first {
        0..=250 => {
            *p = rest;
            return Some(first as u64);
        }
        251 => 2,
        252 => 4,
        253 => 8,
        _ => return None,
    };
    let bytes = rest.get(..width)?;
    let mut le = [0u8; 8];
    le[..width].copy_from_slice(bytes);
    *p = &rest[width..];
    Some(u64::from_le_bytes(le))
}

fn take_bytes<'a>(p: &mut &'a [u8]) -> Option<&'a [u8]> {
    let n = usize::try_from(take_varint(p)?).ok()?;
    let (head, rest) = (p.get(..n)?, &p[n..]);
    *p = rest;
    Some(head)
}

/// Splits a prover key payload (see [`ProverKeyWire`]) without copying; `None` if it is not one.
pub fn parse_prover_key(payload: &[u8]) -> Option<ProverKeyRef<'_>> {
    let mut p = payload;
    let protocol = std::str::from_utf8(take_bytes(&mut p)?).ok()?;
    let circuit = std::str::from_utf8(take_bytes(&mut p)?).ok()?;
    let digest = std::str::from_utf8(take_bytes(&mut p)?).ok()?;
    let data = take_bytes(&mut p)?;
    p.is_empty().then_some(ProverKeyRef { protocol, circuit, digest, data })
}

/// Writes the manifest and every verifier key of `keys` into `dir` (write-once files: a second keygen of
/// the same build finds them identical; a different build must use a fresh keys folder).
pub fn write(dir: &Path, built: &ProtocolKeys) -> Result<KeyManifest, KeyError> {
    let bad = |reason: String| KeyError::Bad { dir: dir.to_path_buf(), reason };
    std::fs::create_dir_all(dir).map_err(|e| bad(e.to_string()))?;
    let manifest = built.manifest();
    if let Ok(existing) = read_manifest(dir) {
        // Key files are write-once: another build's keys (even of the same protocol, from other circuit
        // source) need a fresh folder, and the error says so before anything is written.
        if existing != manifest {
            return Err(KeyError::WrongVersion {
                dir: dir.to_path_buf(),
                on_disk: format!("{} (circuit source {})", existing.protocol, existing.source),
                built: format!("{} (circuit source {}); move the old keys folder away first", manifest.protocol, manifest.source),
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
    for c in &manifest.circuits {
        // One circuit at a time: its plonky2 bytes and the artifact that wraps them are the only copies
        // alive (tens to hundreds of MB each).
        let data = built.prover_bytes(&c.name).map_err(|e| bad(e.to_string()))?;
        let wire = ProverKeyWire { protocol: &manifest.protocol, circuit: &c.name, digest: &c.digest, data: RawBytes(&data) };
        let path = dir.join(prover_file(&c.name));
        let bytes = artifact::encode(&path, ArtifactKind::ProverKey, &wire).map_err(|e| bad(e.to_string()))?;
        drop(data);
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

/// Loads every circuit's prover key from `dir` (memory-mapped; header, kind, length and blake3 checked
/// first), checks that each is of the manifest's protocol and circuit, deserialises it, recovers the
/// witness targets from the circuit's construction (no `build`), and checks every loaded circuit's digest,
/// size and the resulting protocol version against the manifest. A file of another protocol, a damaged
/// file or keys that do not fit this build's circuits are refused with an error naming the file.
pub fn load(dir: &Path) -> Result<ProtocolKeys, KeyError> {
    let manifest = read_manifest(dir)?;
    if manifest.source != keys::SOURCE_FINGERPRINT {
        return Err(KeyError::WrongVersion {
            dir: dir.to_path_buf(),
            on_disk: format!("{} (written by circuit source {})", manifest.protocol, manifest.source),
            built: format!("unknown until built (circuit source {})", keys::SOURCE_FINGERPRINT),
        });
    }
    let file_err = |name: &str, reason: String| KeyError::Bad {
        dir: dir.to_path_buf(),
        reason: format!("{}: {reason}", dir.join(prover_file(name)).display()),
    };
    let mut wrong_version: Option<KeyError> = None;
    let loaded = ProtocolKeys::load(|name| {
        let path = dir.join(prover_file(name));
        let entry = manifest.circuits.iter().find(|c| c.name == name).ok_or_else(|| {
            CircuitError::Keys(format!("the manifest lists no circuit {name}: keys of another build"))
        })?;
        let mapped = artifact::MappedArtifact::open(&path).map_err(|e| CircuitError::Keys(e.to_string()))?;
        mapped.expect_kind(ArtifactKind::ProverKey).map_err(|e| CircuitError::Keys(e.to_string()))?;
        let key = parse_prover_key(mapped.payload())
            .ok_or_else(|| CircuitError::Keys("payload is not a prover key".to_string()))?;
        if key.protocol != manifest.protocol {
            let e = KeyError::WrongVersion {
                dir: dir.to_path_buf(),
                on_disk: format!("{} in {}", key.protocol, path.display()),
                built: format!("{} (the manifest's)", manifest.protocol),
            };
            let msg = e.to_string();
            wrong_version = Some(e);
            return Err(CircuitError::Keys(msg));
        }
        if key.circuit != name || key.digest != entry.digest {
            return Err(CircuitError::Keys(format!(
                "holds circuit {} with digest {}, the manifest has {name} with digest {}",
                key.circuit, key.digest, entry.digest
            )));
        }
        let data = keys::prover_from_bytes(name, key.data)?;
        if keys::digest_hex(&data.verifier_only.circuit_digest) != entry.digest {
            return Err(CircuitError::Keys(format!("decodes to a circuit of another digest than {}", entry.digest)));
        }
        Ok(data)
    });
    let loaded = match loaded {
        Ok(k) => k,
        Err(_) if wrong_version.is_some() => return Err(wrong_version.expect("checked")),
        Err(e) => {
            let reason = match &e.source {
                // A construction that does not fit: the binary is not the build that wrote the keys.
                CircuitError::Keys(r) if r.contains("does not fit") => format!(
                    "{r}: keys of protocol {} were written by another build; run `frispool keygen` with this build (into a fresh keys folder), or start with --rebuild-keys",
                    manifest.protocol
                ),
                other => other.to_string(),
            };
            return Err(file_err(&e.circuit, reason));
        }
    };
    let got = loaded.manifest();
    if got != manifest {
        return Err(KeyError::Bad {
            dir: dir.to_path_buf(),
            reason: format!(
                "the loaded prover keys (protocol {}) disagree with {} (protocol {}): run `frispool keygen`",
                got.protocol,
                dir.join(MANIFEST).display(),
                manifest.protocol
            ),
        });
    }
    Ok(loaded)
}

/// Builds this binary's keys and checks them against the keys on disk: a prover never proves for keys it
/// does not match. Slow (every circuit is built); [`load`] is the normal path, this one serves
/// `--rebuild-keys` (keys folders without prover keys, or to check that this build matches them).
pub fn build_checked(dir: &Path) -> Result<ProtocolKeys, KeyError> {
    let on_disk = protocol(dir)?;
    let built = ProtocolKeys::build().map_err(|e| KeyError::Bad { dir: dir.to_path_buf(), reason: e.to_string() })?;
    if built.version() != on_disk {
        return Err(KeyError::WrongVersion { dir: dir.to_path_buf(), on_disk, built: built.version().to_string() });
    }
    Ok(built)
}

/// `frispool verify FILE`: checks a proof or final-proof artifact with the verifier key on disk, once
/// [`trust::trusted_key`] accepted that key's bytes (identical to what this build derives, or to a pinned
/// digest). Returns a one-line summary naming the key it was checked against.
pub fn verify_file(dir: &Path, file: &Path, how: &trust::VerifyTrust) -> Result<String, VerifyError> {
    let bad = |reason: String| VerifyError::Proof { file: file.to_path_buf(), reason };
    let mapped = artifact::MappedArtifact::open(file).map_err(|e| bad(e.to_string()))?;
    match mapped.header.kind {
        ArtifactKind::Proof => {
            let wire: frispool_circuits::ProofWire = mapped.decode(ArtifactKind::Proof).map_err(|e| bad(e.to_string()))?;
            let key = trust::trusted_key(dir, &wire.circuit, how)?;
            if wire.protocol != key.protocol {
                return Err(bad(format!("the proof is of protocol {}, the trusted key of protocol {}", wire.protocol, key.protocol)));
            }
            let vd = keys::verifier_from_bytes(&wire.circuit, &key.bytes).map_err(|e| bad(e.to_string()))?;
            frispool_circuits::api::verify_with_key(&vd, &wire).map_err(|e| bad(e.to_string()))?;
            Ok(format!(
                "{}: valid {} proof of block {} (protocol {}), checked against {}",
                file.display(),
                wire.circuit,
                wire.block,
                wire.protocol,
                key.described
            ))
        }
        ArtifactKind::FinalProof => {
            let wire: frispool_circuits::FinalProofWire =
                mapped.decode(ArtifactKind::FinalProof).map_err(|e| bad(e.to_string()))?;
            let key = trust::trusted_key(dir, keys::FINAL, how)?;
            let verifier = FinalVerifier::from_bytes(&key.protocol, &key.bytes).map_err(|e| bad(e.to_string()))?;
            if wire.protocol != verifier.protocol {
                return Err(bad(format!("the proof is of protocol {}, the trusted key of protocol {}", wire.protocol, verifier.protocol)));
            }
            let (block, c) = verifier.verify_standalone(&wire).map_err(|e| bad(e.to_string()))?;
            Ok(format!(
                "{}: valid final proof of block {block}, commitment {:016x}{:016x}{:016x}{:016x} (protocol {}), checked against {}",
                file.display(),
                c[0],
                c[1],
                c[2],
                c[3],
                wire.protocol,
                key.described
            ))
        }
        other => Err(bad(format!("a {other} artifact, not a proof"))),
    }
}

/// Why `frispool verify` refused.
#[derive(Debug, Error)]
pub enum VerifyError {
    #[error(transparent)]
    Trust(#[from] trust::TrustError),
    #[error("{file}: {reason}")]
    Proof { file: PathBuf, reason: String },
}

/// The protocol version a pipeline stage serves: `--protocol` when given, else the keys' version.
pub fn serve_protocol(keys_dir: &Path, requested: &str) -> Result<String, KeyError> {
    let on_disk = protocol(keys_dir)?;
    if requested != frispool_spool::DEFAULT_PROTOCOL && requested != on_disk {
        return Err(KeyError::WrongVersion { dir: keys_dir.to_path_buf(), on_disk, built: requested.to_string() });
    }
    Ok(on_disk)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::OnceLock;
    use std::time::Instant;

    use frispool_aggregation::layout::CircuitType;
    use frispool_circuits::MainChunkWitness;
    use frispool_rollup::{ChainState, State};

    use super::*;

    /// One build and one keygen for every test here (building takes seconds).
    pub(crate) fn keygen() -> &'static (ProtocolKeys, tempfile::TempDir) {
        static KEYS: OnceLock<(ProtocolKeys, tempfile::TempDir)> = OnceLock::new();
        KEYS.get_or_init(|| {
            let started = Instant::now();
            let built = ProtocolKeys::build().unwrap();
            let build_time = started.elapsed();
            let dir = tempfile::tempdir().unwrap();
            write(dir.path(), &built).unwrap();
            let mut sizes = Vec::new();
            for c in built.manifest().circuits {
                let len = std::fs::metadata(dir.path().join(prover_file(&c.name))).unwrap().len();
                sizes.push(format!("{} {:.1} MB", c.name, len as f64 / 1e6));
            }
            eprintln!("built in {build_time:.2?}; prover keys: {}", sizes.join(", "));
            (built, dir)
        })
    }

    fn empty_chunk() -> MainChunkWitness {
        let start = ChainState::start(State::new().root());
        MainChunkWitness { block: 1, instance: 0, state_in: start, slots: vec![], expected_out: start }
    }

    #[test]
    fn keygen_then_load_gives_the_same_keys_and_interchangeable_proofs() {
        let (built, dir) = keygen();
        let started = Instant::now();
        let loaded = load(dir.path()).unwrap();
        eprintln!("loaded in {:.2?}", started.elapsed());
        assert_eq!(loaded.version(), built.version());
        assert_eq!(loaded.manifest(), built.manifest());
        for (name, _) in built.circuits() {
            assert_eq!(loaded.verifier_bytes(&name).unwrap(), built.verifier_bytes(&name).unwrap(), "{name}");
            // Serialisation round-trips: the loaded data writes back the very bytes it was read from.
            assert_eq!(loaded.prover_bytes(&name).unwrap(), built.prover_bytes(&name).unwrap(), "{name}");
        }
        // Witness targets recovered from the construction line up with the loaded data, both ways.
        let w = empty_chunk();
        let p_loaded = loaded.main.prove(&w).unwrap();
        built.main.verify(&p_loaded).unwrap();
        let p_built = built.main.prove(&w).unwrap();
        loaded.main.verify(&p_built).unwrap();
        // An aggregation circuit too: a leaf over the main proof, proved with loaded keys, checked by built.
        let leaf = loaded.agg.prove_leaf(CircuitType::Main, &[p_built]).unwrap();
        built.agg.leaf(CircuitType::Main).unwrap().data.verify(leaf).unwrap();
    }

    /// A copy of the keys folder with `file` replaced by `bytes`.
    pub(crate) fn keys_with(file: &str, bytes: &[u8]) -> tempfile::TempDir {
        let (_, dir) = keygen();
        let copy = tempfile::tempdir().unwrap();
        for e in std::fs::read_dir(dir.path()).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), copy.path().join(e.file_name())).unwrap();
        }
        let path = copy.path().join(file);
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, bytes).unwrap();
        copy
    }

    fn refused(file: &str, bytes: &[u8], needle: &str) {
        let copy = keys_with(file, bytes);
        let e = match load(copy.path()) {
            Ok(_) => panic!("{file} with {needle} loaded"),
            Err(e) => e.to_string(),
        };
        assert!(e.contains(&copy.path().join(file).display().to_string()), "error does not name {file}: {e}");
        assert!(e.contains(needle), "want {needle}: {e}");
    }

    #[test]
    fn damaged_or_foreign_prover_keys_are_refused_naming_the_file() {
        let (_, dir) = keygen();
        let node = std::fs::read(dir.path().join("node.prover")).unwrap();
        refused("node.prover", &node[..node.len() / 2], "truncated");
        let mut flipped = node.clone();
        let at = flipped.len() - 1000;
        flipped[at] ^= 0x10;
        refused("node.prover", &flipped, "checksum mismatch");
        let vk = std::fs::read(dir.path().join("main.vk")).unwrap();
        refused("main.prover", &vk, "expected prover-key");

        // A well-formed key of another protocol version.
        let main = std::fs::read(dir.path().join("main.prover")).unwrap();
        let mapped = artifact::MappedArtifact::open(&dir.path().join("main.prover")).unwrap();
        let key = parse_prover_key(mapped.payload()).unwrap();
        assert_eq!(main.len(), artifact::HEADER_LEN + mapped.payload().len());
        let wire = ProverKeyWire { protocol: "0123456789abcdef", circuit: key.circuit, digest: key.digest, data: RawBytes(key.data) };
        let other = artifact::encode(Path::new("main.prover"), ArtifactKind::ProverKey, &wire).unwrap();
        refused("main.prover", &other, "are protocol 0123456789abcdef");

        // Another circuit's key under this circuit's name.
        let tip = std::fs::read(dir.path().join("tip.prover")).unwrap();
        refused("node.prover", &tip, "holds circuit tip");
    }
}
