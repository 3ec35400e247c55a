//! The verifier side's trust root: which verifier keys a proof is accepted under.
//!
//! The proving side writes `keys/` (the spool's keys folder), so nothing that checks proofs may take a key
//! from there on the strength of a label: a key's `CommonCircuitData` (FRI rate, queries, proof-of-work bits,
//! gates, public inputs) travels in the same file and plonky2's circuit digest does not cover it. A key is
//! trusted here only when its full serialised `VerifierCircuitData` is byte-identical to what this build's
//! circuits derive (deterministically), or when its blake3 digest equals one the operator pinned.
//!
//! - The sequencer (our L1 stand-in) derives the final verifier key once per build and caches it in its own
//!   store (`<store>/trust/<source fingerprint>/final.vk`, with `trust.json` recording the key's blake3);
//!   it never reads the spool. A keys folder shown to it with `--keys` must hold the identical key, or it
//!   refuses to start.
//! - `frispool verify` checks a proof against the key on disk only after that key's bytes matched the
//!   derived ones (or the digest given with `--vk-digest`), and says which key it used.

use std::path::{Path, PathBuf};

use frispool_circuits::{
    ApiError, CircuitError, FinalVerifier, ProtocolKeys, Registry, FINAL_CIRCUIT, SOURCE_FINGERPRINT,
};
use frispool_spool::{encode_artifact, read_artifact, write_file_once, ArtifactError};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::keystore::VerifierKeyWire;
use crate::kinds;

#[derive(Debug, Error)]
pub enum TrustError {
    #[error("{file}: verifier key of {circuit} differs from {trusted}: presented blake3 {presented_digest}, trusted {trusted_digest}; refusing it")]
    KeyDiffers { file: PathBuf, circuit: String, trusted: String, presented_digest: String, trusted_digest: String },
    #[error("{file}: cannot read the presented verifier key")]
    Unreadable {
        file: PathBuf,
        #[source]
        source: ArtifactError,
    },
    #[error("{file}: the presented verifier key is labelled as circuit {label}, not {circuit}")]
    Mislabelled { file: PathBuf, label: String, circuit: String },
    #[error("the trust root in {dir} is damaged; remove that folder to derive it again")]
    Damaged {
        dir: PathBuf,
        #[source]
        source: DamagedTrust,
    },
    #[error("cannot write the trust root in {dir}")]
    Write {
        dir: PathBuf,
        #[source]
        source: ArtifactError,
    },
    #[error("the derived final verifier key has blake3 {derived}, but {pinned} was pinned (--final-vk-digest): this build's circuits are not the pinned protocol")]
    PinMismatch { derived: String, pinned: String },
    #[error("cannot derive the verifier keys from this build's circuits")]
    Derive(#[source] CircuitError),
    #[error("trust root in {dir}: {source}")]
    Io { dir: PathBuf, source: std::io::Error },
}

/// What is wrong with a cached trust root.
#[derive(Debug, Error)]
pub enum DamagedTrust {
    #[error("{RECORD} does not parse")]
    Record(#[source] serde_json::Error),
    #[error("{RECORD} is not this build's record of the final key")]
    NotThisBuild,
    #[error(transparent)]
    Key(#[from] ArtifactError),
    #[error("{} does not match {RECORD}", .0.display())]
    Mismatch(PathBuf),
    #[error("the cached key does not decode")]
    Verifier(#[source] ApiError),
}

/// The blake3 digest (hex) of a verifier key's serialised bytes: what `--final-vk-digest` and
/// `--vk-digest` pin, and what `frispool keygen` prints.
pub fn key_digest(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Where a trusted key came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Built from this binary's circuits just now.
    Derived,
    /// Read back from the verifier's own cache of an earlier derivation by the same build.
    Cached(PathBuf),
    /// Matched a digest the operator gave on the command line.
    Pinned,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Derived => write!(f, "derived from this build's circuits"),
            Origin::Cached(p) => write!(f, "derived by this build earlier, cached in {}", p.display()),
            Origin::Pinned => write!(f, "matches the pinned digest"),
        }
    }
}

/// The final verifier key the sequencer accepts proofs under.
pub struct SequencerTrust {
    pub verifier: FinalVerifier,
    /// blake3 of the serialised `VerifierCircuitData` (common data included).
    pub digest: String,
    bytes: Vec<u8>,
    pub origin: Origin,
}

/// `trust.json` beside the cached key: readable with `cat`.
#[derive(Serialize, Deserialize, PartialEq, Eq, Debug)]
struct TrustRecord {
    format: u32,
    /// [`SOURCE_FINGERPRINT`] of the build that derived the key.
    source: String,
    protocol: String,
    circuit: String,
    blake3: String,
}

const RECORD_FORMAT: u32 = 1;
const RECORD: &str = "trust.json";

fn final_vk_file() -> String {
    format!("{}.vk", FINAL_CIRCUIT)
}

/// The sequencer's trust root in its own store `store_dir`: the cached key of this build if there is one
/// (its blake3 checked against the record), else derived from the circuits (every circuit is built, seconds)
/// and cached. `pinned` (a blake3 hex digest) must then match, or nothing is trusted. `progress` hears what is
/// being done (deriving takes a while).
pub fn sequencer_trust(
    store_dir: &Path,
    pinned: Option<&str>,
    progress: &dyn Fn(&str),
) -> Result<SequencerTrust, TrustError> {
    let dir = store_dir.join("trust").join(SOURCE_FINGERPRINT);
    let (protocol, bytes, origin) = match read_cache(&dir)? {
        Some((protocol, bytes)) => (protocol, bytes, Origin::Cached(dir.join(final_vk_file()))),
        None => {
            progress(
                "deriving the final verifier key from this build's circuits (once per build; every circuit is built)",
            );
            let built = ProtocolKeys::build(&Registry::default()).map_err(TrustError::Derive)?;
            let bytes = built.verifier_bytes(FINAL_CIRCUIT).map_err(TrustError::Derive)?;
            let protocol = built.version().to_string();
            drop(built);
            write_cache(&dir, &protocol, &bytes)?;
            (protocol, bytes, Origin::Derived)
        }
    };
    let digest = key_digest(&bytes);
    if let Some(pin) = pinned {
        if !pin.eq_ignore_ascii_case(&digest) {
            return Err(TrustError::PinMismatch { derived: digest, pinned: pin.to_string() });
        }
    }
    let verifier = FinalVerifier::from_bytes(&protocol, &bytes)
        .map_err(|e| TrustError::Damaged { dir: dir.clone(), source: DamagedTrust::Verifier(e) })?;
    Ok(SequencerTrust { verifier, digest, bytes, origin })
}

impl SequencerTrust {
    /// Refuses a keys folder whose final verifier key is not byte-identical to the trusted one.
    pub fn check_presented(&self, keys_dir: &Path) -> Result<(), TrustError> {
        let file = keys_dir.join(final_vk_file());
        let (_, presented) = read_presented(&file, FINAL_CIRCUIT)?;
        if presented != self.bytes {
            return Err(TrustError::KeyDiffers {
                file,
                circuit: FINAL_CIRCUIT.to_string(),
                trusted: format!("the sequencer's trust root ({})", self.origin),
                presented_digest: key_digest(&presented),
                trusted_digest: self.digest.clone(),
            });
        }
        Ok(())
    }
}

/// The protocol label and plonky2 bytes of a verifier key file written by `frispool keygen` (header and
/// checksum checked; the labels inside are not trusted).
fn read_presented(file: &Path, circuit: &str) -> Result<(String, Vec<u8>), TrustError> {
    let wire: VerifierKeyWire = read_artifact(file, kinds::VERIFIER_KEY)
        .map_err(|source| TrustError::Unreadable { file: file.to_path_buf(), source })?;
    if wire.circuit != circuit {
        return Err(TrustError::Mislabelled {
            file: file.to_path_buf(),
            label: wire.circuit,
            circuit: circuit.to_string(),
        });
    }
    Ok((wire.protocol, wire.bytes))
}

fn read_cache(dir: &Path) -> Result<Option<(String, Vec<u8>)>, TrustError> {
    let damaged = |source: DamagedTrust| TrustError::Damaged { dir: dir.to_path_buf(), source };
    let record = match std::fs::read(dir.join(RECORD)) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(TrustError::Io { dir: dir.to_path_buf(), source: e }),
    };
    let record: TrustRecord = serde_json::from_slice(&record).map_err(|e| damaged(DamagedTrust::Record(e)))?;
    if record.format != RECORD_FORMAT || record.source != SOURCE_FINGERPRINT || record.circuit != FINAL_CIRCUIT {
        return Err(damaged(DamagedTrust::NotThisBuild));
    }
    let file = dir.join(final_vk_file());
    let wire: VerifierKeyWire = read_artifact(&file, kinds::VERIFIER_KEY).map_err(|e| damaged(e.into()))?;
    if key_digest(&wire.bytes) != record.blake3 || wire.protocol != record.protocol {
        return Err(damaged(DamagedTrust::Mismatch(file)));
    }
    Ok(Some((record.protocol, wire.bytes)))
}

/// Key first, record last: the record's presence says the cache is complete. Both are write-once.
fn write_cache(dir: &Path, protocol: &str, bytes: &[u8]) -> Result<(), TrustError> {
    std::fs::create_dir_all(dir).map_err(|e| TrustError::Io { dir: dir.to_path_buf(), source: e })?;
    let write_err = |source| TrustError::Write { dir: dir.to_path_buf(), source };
    let file = dir.join(final_vk_file());
    let wire =
        VerifierKeyWire { protocol: protocol.to_string(), circuit: FINAL_CIRCUIT.to_string(), bytes: bytes.to_vec() };
    let encoded = encode_artifact(&file, kinds::VERIFIER_KEY, &wire).map_err(write_err)?;
    write_file_once(&file, &encoded).map_err(write_err)?;
    let record = TrustRecord {
        format: RECORD_FORMAT,
        source: SOURCE_FINGERPRINT.to_string(),
        protocol: protocol.to_string(),
        circuit: FINAL_CIRCUIT.to_string(),
        blake3: key_digest(bytes),
    };
    let mut json = serde_json::to_vec_pretty(&record).expect("record serialises");
    json.push(b'\n');
    write_file_once(&dir.join(RECORD), &json).map_err(write_err)
}

/// How `frispool verify` decides that the key on disk may be used.
pub enum VerifyTrust<'a> {
    /// Build this binary's circuits and require identical bytes.
    Derive,
    /// Require the key's blake3 to be this digest.
    Digest(&'a str),
}

/// A verifier key accepted by [`trusted_key`].
pub struct TrustedKey {
    /// plonky2's serialised `VerifierCircuitData`.
    pub bytes: Vec<u8>,
    /// The protocol version: derived, or the key file's label when a pinned digest vouches for the bytes.
    pub protocol: String,
    /// Which file, its digest, and why it is trusted (for the line `frispool verify` prints).
    pub described: String,
}

/// A verifier key from `keys_dir`, accepted under `how`.
pub fn trusted_key(keys_dir: &Path, circuit: &str, how: &VerifyTrust) -> Result<TrustedKey, TrustError> {
    let file = keys_dir.join(format!("{circuit}.vk"));
    let (label, presented) = read_presented(&file, circuit)?;
    let digest = key_digest(&presented);
    match how {
        VerifyTrust::Digest(pin) => {
            if !pin.eq_ignore_ascii_case(&digest) {
                return Err(TrustError::KeyDiffers {
                    file,
                    circuit: circuit.to_string(),
                    trusted: "the digest given with --vk-digest".into(),
                    presented_digest: digest,
                    trusted_digest: pin.to_string(),
                });
            }
            let described = format!("{} (blake3 {digest}, {})", file.display(), Origin::Pinned);
            Ok(TrustedKey { bytes: presented, protocol: label, described })
        }
        VerifyTrust::Derive => {
            let built = ProtocolKeys::build(&Registry::default()).map_err(TrustError::Derive)?;
            let derived = built.verifier_bytes(circuit).map_err(TrustError::Derive)?;
            if derived != presented {
                return Err(TrustError::KeyDiffers {
                    file,
                    circuit: circuit.to_string(),
                    trusted: "the key this build derives".into(),
                    presented_digest: digest,
                    trusted_digest: key_digest(&derived),
                });
            }
            let described = format!("{} (blake3 {digest}, identical to the key this build derives)", file.display());
            Ok(TrustedKey { bytes: presented, protocol: built.version().to_string(), described })
        }
    }
}

#[cfg(test)]
mod tests {
    use frispool_core::{C, D, F};
    use plonky2::plonk::circuit_data::VerifierCircuitData;
    use plonky2::util::serialization::DefaultGateSerializer;

    use super::*;
    use crate::keystore::tests::{keygen, keys_with};

    /// The real final key with its common data changed by `edit`, as a `final.vk` artifact.
    fn edited_final_vk(edit: impl FnOnce(&mut VerifierCircuitData<F, C, D>)) -> Vec<u8> {
        let (built, _) = keygen();
        let bytes = built.verifier_bytes(FINAL_CIRCUIT).unwrap();
        let mut vd = frispool_circuits::verifier_from_bytes(FINAL_CIRCUIT, &bytes).unwrap();
        edit(&mut vd);
        let edited = vd.to_bytes(&DefaultGateSerializer).unwrap();
        assert_ne!(edited, bytes);
        let wire =
            VerifierKeyWire { protocol: built.version().to_string(), circuit: FINAL_CIRCUIT.into(), bytes: edited };
        encode_artifact(Path::new("final.vk"), kinds::VERIFIER_KEY, &wire).unwrap()
    }

    /// Every weakened copy of the final key that must be refused, by name.
    fn weakened_keys() -> Vec<(&'static str, Vec<u8>)> {
        vec![
            (
                "1 query round",
                edited_final_vk(|vd| {
                    vd.common.config.fri_config.num_query_rounds = 1;
                    vd.common.fri_params.config.num_query_rounds = 1;
                }),
            ),
            (
                "0 proof-of-work bits",
                edited_final_vk(|vd| {
                    vd.common.config.fri_config.proof_of_work_bits = 0;
                    vd.common.fri_params.config.proof_of_work_bits = 0;
                }),
            ),
        ]
    }

    #[test]
    fn the_sequencer_derives_its_key_caches_it_and_refuses_any_other() {
        let (built, dir) = keygen();
        let want = key_digest(&built.verifier_bytes(FINAL_CIRCUIT).unwrap());
        let store = tempfile::tempdir().unwrap();
        let first = sequencer_trust(store.path(), None, &|_| {}).unwrap();
        assert_eq!(first.origin, Origin::Derived);
        assert_eq!(first.digest, want);
        assert_eq!(first.verifier.protocol, built.version());
        let again = sequencer_trust(store.path(), Some(&want.to_uppercase()), &|_| {}).unwrap();
        assert!(matches!(again.origin, Origin::Cached(_)), "{}", again.origin);
        let e = sequencer_trust(store.path(), Some(&"0".repeat(64)), &|_| {}).err().expect("a wrong pin is refused");
        assert!(matches!(e, TrustError::PinMismatch { .. }), "{e}");

        // The keys folder keygen wrote holds the same key; weakened copies of it do not.
        first.check_presented(dir.path()).unwrap();
        for (what, bytes) in weakened_keys() {
            let copy = keys_with("final.vk", &bytes);
            let e = first.check_presented(copy.path()).err().unwrap_or_else(|| panic!("final.vk with {what} accepted"));
            assert!(matches!(e, TrustError::KeyDiffers { .. }), "{what}: {e}");
            assert!(e.to_string().contains(&copy.path().join("final.vk").display().to_string()), "{e}");
        }

        // A cache tampered with after the fact is not trusted either.
        let cached = store.path().join("trust").join(SOURCE_FINGERPRINT).join("final.vk");
        let (_, weak) = &weakened_keys()[0];
        std::fs::remove_file(&cached).unwrap();
        std::fs::write(&cached, weak).unwrap();
        let e = sequencer_trust(store.path(), None, &|_| {}).err().expect("a tampered cache is refused");
        assert!(matches!(e, TrustError::Damaged { .. }), "{e}");
    }

    #[test]
    fn verify_trusts_a_key_on_disk_only_when_derived_or_pinned() {
        let (built, dir) = keygen();
        let want = key_digest(&built.verifier_bytes(FINAL_CIRCUIT).unwrap());
        let ok = trusted_key(dir.path(), FINAL_CIRCUIT, &VerifyTrust::Derive).unwrap();
        assert!(ok.described.contains("identical to the key this build derives"), "{}", ok.described);
        assert_eq!(ok.protocol, built.version());
        trusted_key(dir.path(), FINAL_CIRCUIT, &VerifyTrust::Digest(&want)).unwrap();
        for (what, bytes) in weakened_keys() {
            let copy = keys_with("final.vk", &bytes);
            for how in [VerifyTrust::Derive, VerifyTrust::Digest(&want)] {
                let e = trusted_key(copy.path(), FINAL_CIRCUIT, &how).err().unwrap_or_else(|| panic!("{what} trusted"));
                assert!(matches!(e, TrustError::KeyDiffers { .. }), "{what}: {e}");
            }
        }
    }
}
