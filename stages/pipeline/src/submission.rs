//! What a verifier of submitted proofs (the sequencer) accepts: a final proof (FRI) under the final key of
//! its own trust root ([`crate::sequencer_trust`]), or a SNARK (Groth16 over BN254) under the wrapper key the
//! operator pinned — never under a key because a file in the spool says so.
//!
//! A Groth16 verifying key cannot be re-derived from the circuits (it comes out of a setup), so the SNARK's
//! trust root is an explicit pin: the key file given to the verifier (`--snark-vk FILE`, as `frispool keygen
//! --wrapper` wrote it, or a ceremony's imported through it) whose blake3 must equal the digest the operator
//! gives (`--snark-vk-digest HEX`). Without both, SNARKs are refused. A SNARK is checked with the commitment
//! to `block ‖ commitment(header)` recomputed from the verifier's own block header as its public input.

use std::path::{Path, PathBuf};

use frispool_circuits::{FinalProofWire, FinalVerifier, SnarkVerifier, SnarkWire};
use frispool_rollup::BlockHeader;
use frispool_spool::{check_artifact, decode_artifact};
use thiserror::Error;

use crate::kinds;
use crate::trust::key_digest;
use crate::wrapper_keys::{read_wrapper_vk, WrapperKeyError};

/// Why the SNARK trust root cannot be set up.
#[derive(Debug, Error)]
pub enum SnarkTrustError {
    #[error("{}: a wrapper verifying key is trusted only with its pinned blake3: give --snark-vk-digest too", file.display())]
    Unpinned { file: PathBuf },
    #[error("--snark-vk-digest {pin} needs the key itself: give --snark-vk FILE (keys/wrapper.vk as keygen wrote it)")]
    NoKey { pin: String },
    #[error(transparent)]
    Read(#[from] WrapperKeyError),
    #[error("{}: the wrapper verifying key has blake3 {presented}, the pinned digest is {pinned}; refusing it", file.display())]
    PinMismatch { file: PathBuf, presented: String, pinned: String },
    #[error("{}: not a wrapper verifying key: {reason}", file.display())]
    Invalid { file: PathBuf, reason: String },
}

/// The pinned wrapper key.
pub struct SnarkTrust {
    pub verifier: SnarkVerifier,
    /// blake3 of the verifying key's bytes (the pin).
    pub digest: String,
    pub file: PathBuf,
}

/// The SNARK trust root from the operator's `--snark-vk FILE` and `--snark-vk-digest HEX`: `None` when
/// neither is given (SNARKs are then refused), an error when only one is.
pub fn snark_trust(vk_file: Option<&Path>, pinned: Option<&str>) -> Result<Option<SnarkTrust>, SnarkTrustError> {
    let (file, pin) = match (vk_file, pinned) {
        (None, None) => return Ok(None),
        (Some(file), None) => return Err(SnarkTrustError::Unpinned { file: file.to_path_buf() }),
        (None, Some(pin)) => return Err(SnarkTrustError::NoKey { pin: pin.to_string() }),
        (Some(file), Some(pin)) => (file, pin),
    };
    let wire = read_wrapper_vk(file)?;
    let digest = key_digest(&wire.bytes);
    if !pin.eq_ignore_ascii_case(&digest) {
        return Err(SnarkTrustError::PinMismatch { file: file.to_path_buf(), presented: digest, pinned: pin.into() });
    }
    let verifier = SnarkVerifier::from_bytes(&wire.bytes)
        .map_err(|e| SnarkTrustError::Invalid { file: file.to_path_buf(), reason: e.to_string() })?;
    Ok(Some(SnarkTrust { verifier, digest, file: file.to_path_buf() }))
}

/// Checks a submitted body (a spool artifact) as the proof of `header`'s block: a `final-proof` under
/// `final_verifier`, a `final-snark` under `snark` (refused when no wrapper key is pinned). The reason of a
/// refusal is one line.
pub fn check_submission(
    final_verifier: &FinalVerifier,
    snark: Option<&SnarkTrust>,
    header: &BlockHeader,
    body: &[u8],
) -> Result<(), String> {
    let what = Path::new("request body");
    let kind = check_artifact(what, body).map_err(|e| e.to_string())?.kind;
    if kind == kinds::FINAL_SNARK.number() {
        let Some(trust) = snark else {
            return Err("a SNARK, but this verifier has no pinned wrapper key (--snark-vk, --snark-vk-digest)".into());
        };
        let wire: SnarkWire = decode_artifact(what, body, kinds::FINAL_SNARK).map_err(|e| e.to_string())?;
        return trust.verifier.verify(&wire, header).map_err(|e| e.to_string());
    }
    let wire: FinalProofWire = decode_artifact(what, body, kinds::FINAL_PROOF).map_err(|e| e.to_string())?;
    if wire.block != header.number {
        return Err(format!("the proof is labelled for block {}", wire.block));
    }
    final_verifier.verify(&wire, header).map_err(|e| e.to_string())
}
