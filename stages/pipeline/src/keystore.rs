//! Keys on disk: `frispool keygen` writes the manifest (protocol version, every circuit's digest and size),
//! every circuit's verifier key (`<name>.vk`) and prover key (`<name>.prover`) into the spool's `keys/`
//! folder, each as a checked artifact; stages read the protocol version from it, provers and the
//! compressor load their prover keys from it ([`load_keys`]), `frispool verify` reads verifier keys from it
//! once [`crate::trust`] accepted them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use frispool_circuits::{
    digest_hex, prover_from_bytes, verifier_from_bytes, verify_with_key, ApiError, CircuitError, FinalProofWire,
    FinalVerifier, KeyManifest, LoadFailure, ProofWire, ProtocolKeys, Registry, SnarkWire, FINAL_CIRCUIT,
    MANIFEST_FORMAT, SOURCE_FINGERPRINT,
};
use frispool_core::{C, D, F};
use frispool_spool::{encode_artifact, write_file_once, ArtifactError, MappedArtifact};
use plonky2::plonk::circuit_data::CircuitData;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::kinds;
use crate::prover_key::{parse_prover_key, ProverKeyWire, RawBytes};
use crate::submission::{snark_trust, SnarkTrustError};
use crate::trust;
use crate::wrapper_keys::WRAPPER_VK;

pub const MANIFEST: &str = "manifest.json";

/// Why the keys in a folder cannot be used. Each variant names the folder; the file and the cause are in
/// the variant and its source.
#[derive(Debug, Error)]
pub enum KeyError {
    #[error("keys in {}: {} cannot be read (run `frispool keygen`)", dir.display(), file.display())]
    Missing {
        dir: PathBuf,
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("keys in {}: {} is not a key manifest", dir.display(), file.display())]
    BadManifest {
        dir: PathBuf,
        file: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("keys in {}: {} has format {found}, this build reads {MANIFEST_FORMAT}", dir.display(), file.display())]
    ManifestFormat { dir: PathBuf, file: PathBuf, found: u32 },
    #[error("keys in {} are protocol {on_disk}, this build is protocol {built}: run `frispool keygen` for this build, or use the matching binaries", dir.display())]
    WrongVersion { dir: PathBuf, on_disk: String, built: String },
    /// A key file refused for what it holds (damaged, of another circuit or protocol, undecodable).
    #[error("keys in {}: {}", dir.display(), file.display())]
    BadFile {
        dir: PathBuf,
        file: PathBuf,
        #[source]
        source: Box<KeyFileError>,
    },
    /// Prover data this build's circuits do not fit: another build wrote the keys.
    #[error("keys in {}: {}: keys of protocol {protocol} were written by another build; run `frispool keygen` with this build (into a fresh keys folder), or start with --rebuild-keys", dir.display(), file.display())]
    OtherBuild {
        dir: PathBuf,
        file: PathBuf,
        protocol: String,
        #[source]
        source: Box<CircuitError>,
    },
    #[error("keys in {}: the loaded prover keys (protocol {loaded}) disagree with {} (protocol {expected}): run `frispool keygen`", dir.display(), manifest.display())]
    Disagree { dir: PathBuf, manifest: PathBuf, loaded: String, expected: String },
    #[error("keys in {}: cannot create the folder", dir.display())]
    CreateDir {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("keys in {}: writing {}", dir.display(), file.display())]
    Write {
        dir: PathBuf,
        file: PathBuf,
        #[source]
        source: Box<ArtifactError>,
    },
    #[error("keys in {}: building this build's circuits", dir.display())]
    Build {
        dir: PathBuf,
        #[source]
        source: Box<CircuitError>,
    },
}

/// What is wrong with one key file.
#[derive(Debug, Error)]
pub enum KeyFileError {
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    #[error("payload is not a prover key")]
    NotAProverKey,
    #[error("the manifest lists no circuit {0}: keys of another build")]
    NotInManifest(String),
    #[error("holds circuit {found} with digest {found_digest}, the manifest has {circuit} with digest {digest}")]
    OtherCircuit { circuit: String, digest: String, found: String, found_digest: String },
    #[error("is of protocol {found}, the manifest's is {expected}")]
    OtherProtocol { found: String, expected: String },
    #[error("decodes to a circuit of another digest than {0}")]
    OtherDigest(String),
    #[error(transparent)]
    Circuit(#[from] CircuitError),
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

/// Writes the manifest and every verifier key of `keys` into `dir` (write-once files: a second keygen of
/// the same build finds them identical; a different build must use a fresh keys folder).
pub fn write_keys(dir: &Path, built: &ProtocolKeys) -> Result<KeyManifest, KeyError> {
    let write_err = |file: PathBuf| {
        move |source: ArtifactError| KeyError::Write { dir: dir.to_path_buf(), file, source: Box::new(source) }
    };
    std::fs::create_dir_all(dir).map_err(|source| KeyError::CreateDir { dir: dir.to_path_buf(), source })?;
    let manifest = built.manifest();
    if let Ok(existing) = read_manifest(dir) {
        // Key files are write-once: another build's keys (even of the same protocol, from other circuit
        // source) need a fresh folder, and the error says so before anything is written.
        if existing != manifest {
            return Err(KeyError::WrongVersion {
                dir: dir.to_path_buf(),
                on_disk: format!("{} (circuit source {})", existing.protocol, existing.source),
                built: format!(
                    "{} (circuit source {}); move the old keys folder away first",
                    manifest.protocol, manifest.source
                ),
            });
        }
    }
    let serialised = |e: CircuitError| KeyError::Build { dir: dir.to_path_buf(), source: Box::new(e) };
    for c in &manifest.circuits {
        let wire = VerifierKeyWire {
            protocol: manifest.protocol.clone(),
            circuit: c.name.clone(),
            bytes: built.verifier_bytes(&c.name).map_err(serialised)?,
        };
        let path = dir.join(vk_file(&c.name));
        let bytes = encode_artifact(&path, kinds::VERIFIER_KEY, &wire).map_err(write_err(path.clone()))?;
        write_file_once(&path, &bytes).map_err(write_err(path.clone()))?;
    }
    for c in &manifest.circuits {
        // One circuit at a time: its plonky2 bytes and the artifact that wraps them are the only copies
        // alive (tens to hundreds of MB each).
        let data = built.prover_bytes(&c.name).map_err(serialised)?;
        let wire =
            ProverKeyWire { protocol: &manifest.protocol, circuit: &c.name, digest: &c.digest, data: RawBytes(&data) };
        let path = dir.join(prover_file(&c.name));
        let bytes = encode_artifact(&path, kinds::PROVER_KEY, &wire).map_err(write_err(path.clone()))?;
        drop(data);
        write_file_once(&path, &bytes).map_err(write_err(path.clone()))?;
    }
    // The manifest last: its presence says the keys are complete.
    let mut json = serde_json::to_vec_pretty(&manifest).expect("manifest serialises");
    json.push(b'\n');
    let path = dir.join(MANIFEST);
    write_file_once(&path, &json).map_err(write_err(path.clone()))?;
    Ok(manifest)
}

pub fn read_manifest(dir: &Path) -> Result<KeyManifest, KeyError> {
    let file = dir.join(MANIFEST);
    let bytes = match std::fs::read(&file) {
        Ok(b) => b,
        Err(source) => return Err(KeyError::Missing { dir: dir.to_path_buf(), file, source }),
    };
    let m: KeyManifest = match serde_json::from_slice(&bytes) {
        Ok(m) => m,
        Err(source) => return Err(KeyError::BadManifest { dir: dir.to_path_buf(), file, source }),
    };
    if m.format != MANIFEST_FORMAT {
        return Err(KeyError::ManifestFormat { dir: dir.to_path_buf(), file, found: m.format });
    }
    Ok(m)
}

/// The protocol version the keys in `dir` are for.
pub fn keys_protocol(dir: &Path) -> Result<String, KeyError> {
    Ok(read_manifest(dir)?.protocol)
}

/// Loads every circuit's prover key from `dir` (memory-mapped; header, kind, length and blake3 checked
/// first), checks that each is of the manifest's protocol and circuit, deserialises it, recovers the
/// witness targets from the circuit's construction (no `build`), and checks every loaded circuit's digest,
/// size and the resulting protocol version against the manifest. A file of another protocol, a damaged
/// file or keys that do not fit this build's circuits are refused with an error naming the file.
pub fn load_keys(dir: &Path) -> Result<ProtocolKeys, KeyError> {
    let manifest = read_manifest(dir)?;
    if manifest.source != SOURCE_FINGERPRINT {
        return Err(KeyError::WrongVersion {
            dir: dir.to_path_buf(),
            on_disk: format!("{} (written by circuit source {})", manifest.protocol, manifest.source),
            built: format!("unknown until built (circuit source {SOURCE_FINGERPRINT})"),
        });
    }
    // Every prover key is read and decoded before the circuits are put together, each on its own thread: the
    // files are independent, and one after another they would leave all but one core idle while a process
    // starts (a GPU host runs a few prover processes of several workers). FRISPOOL_KEY_LOAD=serial reads them in
    // turn.
    let read = |name: &str| read_prover_key(dir, &manifest, name);
    let mut decoded: HashMap<String, Result<CircuitData<F, C, D>, KeyFileError>> =
        if std::env::var("FRISPOOL_KEY_LOAD").is_ok_and(|v| v == "serial") {
            HashMap::new()
        } else {
            std::thread::scope(|s| {
                let threads: Vec<_> =
                    manifest.circuits.iter().map(|c| (c.name.clone(), s.spawn(|| read(&c.name)))).collect();
                threads
                    .into_iter()
                    .map(|(name, t)| (name, t.join().unwrap_or_else(|p| std::panic::resume_unwind(p))))
                    .collect()
            })
        };
    let loaded = ProtocolKeys::load(&Registry::default(), |name| decoded.remove(name).unwrap_or_else(|| read(name)));
    let loaded = match loaded {
        Ok(k) => k,
        Err(e) => {
            let file = dir.join(prover_file(&e.circuit));
            return Err(match e.source {
                LoadFailure::Read(KeyFileError::OtherProtocol { found, .. }) => KeyError::WrongVersion {
                    dir: dir.to_path_buf(),
                    on_disk: format!("{found} in {}", file.display()),
                    built: format!("{} (the manifest's)", manifest.protocol),
                },
                LoadFailure::Read(source) => {
                    KeyError::BadFile { dir: dir.to_path_buf(), file, source: Box::new(source) }
                }
                // A construction that does not fit: the binary is not the build that wrote the keys.
                LoadFailure::Circuit(source @ CircuitError::DoesNotFit(_)) => KeyError::OtherBuild {
                    dir: dir.to_path_buf(),
                    file,
                    protocol: manifest.protocol.clone(),
                    source: Box::new(source),
                },
                LoadFailure::Circuit(source) => {
                    KeyError::BadFile { dir: dir.to_path_buf(), file, source: Box::new(source.into()) }
                }
            });
        }
    };
    let got = loaded.manifest();
    if got != manifest {
        return Err(KeyError::Disagree {
            dir: dir.to_path_buf(),
            manifest: dir.join(MANIFEST),
            loaded: got.protocol,
            expected: manifest.protocol,
        });
    }
    Ok(loaded)
}

/// Circuit `name`'s prover key from `dir`: memory-mapped and checked (header, kind, length, blake3), of the
/// manifest's protocol and circuit, decoded, and of the manifest's digest.
fn read_prover_key(dir: &Path, manifest: &KeyManifest, name: &str) -> Result<CircuitData<F, C, D>, KeyFileError> {
    let entry = manifest
        .circuits
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| KeyFileError::NotInManifest(name.to_string()))?;
    let mapped = MappedArtifact::open(&dir.join(prover_file(name)))?;
    mapped.expect_kind(kinds::PROVER_KEY)?;
    let key = parse_prover_key(mapped.payload()).ok_or(KeyFileError::NotAProverKey)?;
    if key.protocol != manifest.protocol {
        return Err(KeyFileError::OtherProtocol {
            found: key.protocol.to_string(),
            expected: manifest.protocol.clone(),
        });
    }
    if key.circuit != name || key.digest != entry.digest {
        return Err(KeyFileError::OtherCircuit {
            circuit: name.to_string(),
            digest: entry.digest.clone(),
            found: key.circuit.to_string(),
            found_digest: key.digest.to_string(),
        });
    }
    let data = prover_from_bytes(name, key.data)?;
    if digest_hex(&data.verifier_only.circuit_digest) != entry.digest {
        return Err(KeyFileError::OtherDigest(entry.digest.clone()));
    }
    Ok(data)
}

/// Builds this binary's keys and checks them against the keys on disk: a prover never proves for keys it
/// does not match. Slow (every circuit is built); [`load_keys`] is the normal path, this one serves
/// `--rebuild-keys` (keys folders without prover keys, or to check that this build matches them).
pub fn build_checked(dir: &Path) -> Result<ProtocolKeys, KeyError> {
    let on_disk = keys_protocol(dir)?;
    let built = ProtocolKeys::build(&Registry::default())
        .map_err(|e| KeyError::Build { dir: dir.to_path_buf(), source: Box::new(e) })?;
    if built.version() != on_disk {
        return Err(KeyError::WrongVersion { dir: dir.to_path_buf(), on_disk, built: built.version().to_string() });
    }
    Ok(built)
}

/// Why `frispool verify` refused a proof.
#[derive(Debug, Error)]
pub enum VerifyError {
    #[error(transparent)]
    Trust(#[from] trust::TrustError),
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    #[error("{}: a {kind} artifact, not a proof", file.display())]
    NotAProof { file: PathBuf, kind: String },
    #[error("{}: the proof is of protocol {proof}, the trusted key of protocol {key}", file.display())]
    OtherProtocol { file: PathBuf, proof: String, key: String },
    #[error("{}: the trusted verifier key does not decode", file.display())]
    Key {
        file: PathBuf,
        #[source]
        source: CircuitError,
    },
    #[error("{}: a SNARK's key cannot be derived from the circuits (it comes out of a setup): give the wrapper verifying key's blake3 with --vk-digest", file.display())]
    SnarkUnpinned { file: PathBuf },
    #[error("{}", file.display())]
    SnarkKey {
        file: PathBuf,
        #[source]
        source: Box<SnarkTrustError>,
    },
    #[error("{}", file.display())]
    Rejected {
        file: PathBuf,
        #[source]
        source: ApiError,
    },
}

/// `frispool verify FILE`: checks a proof or final-proof artifact with the verifier key on disk, once
/// [`trust::trusted_key`] accepted that key's bytes (identical to what this build derives, or to a pinned
/// digest). Returns a one-line summary naming the key it was checked against.
pub fn verify_file(dir: &Path, file: &Path, how: &trust::VerifyTrust) -> Result<String, VerifyError> {
    let rejected = |source| VerifyError::Rejected { file: file.to_path_buf(), source };
    let mapped = MappedArtifact::open(file)?;
    match mapped.kind_in(&kinds::KINDS) {
        Ok(kinds::PROOF) => {
            let wire: ProofWire = mapped.decode(kinds::PROOF)?;
            let key = trust::trusted_key(dir, &wire.circuit, how)?;
            if wire.protocol != key.protocol {
                return Err(VerifyError::OtherProtocol {
                    file: file.to_path_buf(),
                    proof: wire.protocol,
                    key: key.protocol,
                });
            }
            let vd = verifier_from_bytes(&wire.circuit, &key.bytes)
                .map_err(|source| VerifyError::Key { file: file.to_path_buf(), source })?;
            verify_with_key(&vd, &wire).map_err(rejected)?;
            Ok(format!(
                "{}: valid {} proof of block {} (protocol {}), checked against {}",
                file.display(),
                wire.circuit,
                wire.block,
                wire.protocol,
                key.described
            ))
        }
        Ok(kinds::FINAL_PROOF) => {
            let wire: FinalProofWire = mapped.decode(kinds::FINAL_PROOF)?;
            let key = trust::trusted_key(dir, FINAL_CIRCUIT, how)?;
            let verifier = FinalVerifier::from_bytes(&key.protocol, &key.bytes).map_err(rejected)?;
            if wire.protocol != verifier.protocol {
                return Err(VerifyError::OtherProtocol {
                    file: file.to_path_buf(),
                    proof: wire.protocol,
                    key: verifier.protocol,
                });
            }
            let (block, c) = verifier.verify_standalone(&wire).map_err(rejected)?;
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
        Ok(kinds::FINAL_SNARK) => verify_snark(dir, file, &mapped.decode(kinds::FINAL_SNARK)?, how),
        Ok(kind) => Err(VerifyError::NotAProof { file: file.to_path_buf(), kind: kind.to_string() }),
        Err(e) => Err(e.into()),
    }
}

/// `frispool verify final.snark`: the Groth16 proof under `dir/wrapper.vk`, trusted only with the pinned
/// digest; checked for the block and commitment it is labelled with (no header at hand: the sequencer checks
/// them against its own).
fn verify_snark(dir: &Path, file: &Path, wire: &SnarkWire, how: &trust::VerifyTrust) -> Result<String, VerifyError> {
    let trust::VerifyTrust::Digest(pin) = how else {
        return Err(VerifyError::SnarkUnpinned { file: file.to_path_buf() });
    };
    let key_file = dir.join(WRAPPER_VK);
    let trusted = snark_trust(Some(&key_file), Some(pin))
        .map_err(|source| VerifyError::SnarkKey { file: file.to_path_buf(), source: Box::new(source) })?
        .expect("a key and a pin were given");
    trusted
        .verifier
        .verify_inputs(wire, &wire.public_inputs())
        .map_err(|source| VerifyError::Rejected { file: file.to_path_buf(), source })?;
    let c = wire.commitment;
    Ok(format!(
        "{}: valid SNARK of block {} and commitment {:016x}{:016x}{:016x}{:016x} (protocol {}), checked against {} (blake3 {}, matches the pinned digest)",
        file.display(),
        wire.block,
        c[0],
        c[1],
        c[2],
        c[3],
        wire.protocol,
        key_file.display(),
        trusted.digest
    ))
}

/// The protocol version a pipeline stage serves: `--protocol` when given, else the keys' version.
pub fn serve_protocol(keys_dir: &Path, requested: &str) -> Result<String, KeyError> {
    let on_disk = keys_protocol(keys_dir)?;
    if requested != frispool_spool::DEFAULT_PROTOCOL && requested != on_disk {
        return Err(KeyError::WrongVersion { dir: keys_dir.to_path_buf(), on_disk, built: requested.to_string() });
    }
    Ok(on_disk)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::OnceLock;
    use std::time::Instant;

    use frispool_circuits::{basic_witnesses, BasicWitnessWire};
    use frispool_core::CircuitType;
    use frispool_rollup::{BlockGenerator, State};

    use super::*;

    /// One build and one keygen for every test here (building takes seconds).
    pub(crate) fn keygen() -> &'static (ProtocolKeys, tempfile::TempDir) {
        static KEYS: OnceLock<(ProtocolKeys, tempfile::TempDir)> = OnceLock::new();
        KEYS.get_or_init(|| {
            let started = Instant::now();
            let built = ProtocolKeys::build(&Registry::default()).unwrap();
            let build_time = started.elapsed();
            let dir = tempfile::tempdir().unwrap();
            write_keys(dir.path(), &built).unwrap();
            let mut sizes = Vec::new();
            for c in built.manifest().circuits {
                let len = std::fs::metadata(dir.path().join(prover_file(&c.name))).unwrap().len();
                sizes.push(format!("{} {:.1} MB", c.name, len as f64 / 1e6));
            }
            eprintln!("built in {build_time:.2?}; prover keys: {}", sizes.join(", "));
            (built, dir)
        })
    }

    /// The one `main` instance of an empty block.
    fn empty_chunk() -> BasicWitnessWire {
        let mut state = State::new();
        let block = state.apply_block(BlockGenerator::new(1).next_block(&state, 0)).unwrap();
        basic_witnesses(&Registry::default(), &block).unwrap().0.remove(0)
    }

    #[test]
    fn keygen_then_load_gives_the_same_keys_and_interchangeable_proofs() {
        let (built, dir) = keygen();
        let started = Instant::now();
        let loaded = load_keys(dir.path()).unwrap();
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
        let (built_main, loaded_main) =
            (built.basic(CircuitType::MAIN).unwrap(), loaded.basic(CircuitType::MAIN).unwrap());
        let p_loaded = loaded_main.prove(&w.payload).unwrap();
        built_main.data.verify(p_loaded).unwrap();
        let p_built = built_main.prove(&w.payload).unwrap();
        loaded_main.data.verify(p_built.clone()).unwrap();
        // An aggregation circuit too: a leaf over the main proof, proved with loaded keys, checked by built.
        let leaf = loaded.agg.prove_leaf(CircuitType::MAIN, &[p_built]).unwrap();
        built.agg.leaf(CircuitType::MAIN).unwrap().data.verify(leaf).unwrap();
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
        // The whole chain, as a worker reports it: the folder and file on top, the cause below.
        let e = match load_keys(copy.path()) {
            Ok(_) => panic!("{file} with {needle} loaded"),
            Err(e) => frispool_spool::error_chain(&e),
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
        let mapped = MappedArtifact::open(&dir.path().join("main.prover")).unwrap();
        let key = parse_prover_key(mapped.payload()).unwrap();
        assert_eq!(main.len(), frispool_spool::HEADER_LEN + mapped.payload().len());
        let wire = ProverKeyWire {
            protocol: "0123456789abcdef",
            circuit: key.circuit,
            digest: key.digest,
            data: RawBytes(key.data),
        };
        let other = encode_artifact(Path::new("main.prover"), kinds::PROVER_KEY, &wire).unwrap();
        refused("main.prover", &other, "are protocol 0123456789abcdef");

        // Another circuit's key under this circuit's name.
        let tip = std::fs::read(dir.path().join("tip.prover")).unwrap();
        refused("node.prover", &tip, "holds circuit tip");
    }
}
