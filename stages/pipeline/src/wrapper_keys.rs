//! The BN254 wrapper's Groth16 keys on disk, beside the protocol's: `keys/wrapper.pk` (the proving key) and
//! `keys/wrapper.vk` (the verifying key), each a checked artifact. Optional: without them the compressor
//! writes no SNARK.
//!
//! `frispool keygen --wrapper` runs a local setup, **for testing only**: its toxic waste passed through this
//! machine's memory, so whoever controlled the machine then can forge SNARKs. A ceremony's output (a phase-2
//! MPC over this circuit, converted to arkworks' encodings) plugs in instead with `frispool keygen
//! --wrapper-import PK VK`, which writes the same two files; verifiers then pin the verifying key's blake3
//! (`frispool-sequencer --snark-vk-digest`), which keygen prints.
//!
//! The proving key is hundreds of megabytes: it is stored uncompressed and read from its memory map without
//! the curve checks (a wrong proving key can only make proofs the verifier refuses), while its verifying key
//! must equal `wrapper.vk`'s.

use std::path::{Path, PathBuf};

use ark_bn254::Bn254;
use ark_groth16::ProvingKey;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use frispool_circuits::{
    digest_hex, verifying_key_bytes, ApiError, ProtocolKeys, SnarkProver, SnarkVerifier, WrapLayer, Wrapper, WRAPPER,
};
use frispool_spool::{encode_artifact, read_artifact, write_file_once, ArtifactError, MappedArtifact};
use frispool_wrap::Groth16Keys;
use frispool_wrap::WrapperCounts;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::kinds;
use crate::prover_key::{parse_prover_key, ProverKeyWire, RawBytes};
use crate::trust::key_digest;

pub const WRAPPER_PK: &str = "wrapper.pk";
pub const WRAPPER_VK: &str = "wrapper.vk";

/// Why the wrapper's keys cannot be written or used; every variant names the file.
#[derive(Debug, Error)]
pub enum WrapperKeyError {
    #[error("{}: cannot read the wrapper key", file.display())]
    Read {
        file: PathBuf,
        #[source]
        source: ArtifactError,
    },
    #[error("{}: cannot write the wrapper key", file.display())]
    Write {
        file: PathBuf,
        #[source]
        source: ArtifactError,
    },
    #[error("{}: {reason}", file.display())]
    Invalid { file: PathBuf, reason: String },
    #[error("the wrapper's local Groth16 setup failed")]
    Setup(#[source] ApiError),
    #[error("{}: cannot read the imported key", file.display())]
    Import {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// `keys/wrapper.vk`: the verifying key (arkworks, compressed) and what it wraps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrapperVkWire {
    pub protocol: String,
    /// The final circuit's digest (hex): the wrap-ready layer, and so the wrapper's R1CS, bakes its key in.
    pub final_digest: String,
    /// How the key was made: `local setup (test key: ...)` or `imported from ...`.
    pub origin: String,
    pub bytes: Vec<u8>,
}

/// Writes `keys` as `dir/wrapper.pk` and `dir/wrapper.vk` for the final circuit of `built`; returns the
/// verifying key's blake3 (what verifiers pin).
pub fn write_wrapper_keys(
    dir: &Path,
    built: &ProtocolKeys,
    keys: &Groth16Keys,
    origin: &str,
) -> Result<String, WrapperKeyError> {
    let final_digest = digest_hex(&built.compressor.final_circuit().verifier_only.circuit_digest);
    let vk_bytes = verifying_key_bytes(&keys.verifying_key);
    let vk_file = dir.join(WRAPPER_VK);
    let wire = WrapperVkWire {
        protocol: built.version().to_string(),
        final_digest: final_digest.clone(),
        origin: origin.to_string(),
        bytes: vk_bytes.clone(),
    };
    let write = |file: &Path, bytes: Result<Vec<u8>, ArtifactError>| {
        bytes
            .and_then(|b| write_file_once(file, &b))
            .map_err(|source| WrapperKeyError::Write { file: file.to_path_buf(), source })
    };
    let mut pk = Vec::new();
    keys.proving_key.serialize_uncompressed(&mut pk).expect("writing to a Vec cannot fail");
    let pk_file = dir.join(WRAPPER_PK);
    let pk_wire =
        ProverKeyWire { protocol: built.version(), circuit: WRAPPER, digest: &final_digest, data: RawBytes(&pk) };
    write(&pk_file, encode_artifact(&pk_file, kinds::WRAPPER_PROVING_KEY, &pk_wire))?;
    write(&vk_file, encode_artifact(&vk_file, kinds::WRAPPER_VERIFYING_KEY, &wire))?;
    Ok(key_digest(&vk_bytes))
}

/// Reads `dir/wrapper.vk` (header and checksum checked; nothing in it is trusted by a verifier unless its
/// bytes hash to a pinned digest).
pub fn read_wrapper_vk(file: &Path) -> Result<WrapperVkWire, WrapperKeyError> {
    read_artifact(file, kinds::WRAPPER_VERIFYING_KEY)
        .map_err(|source| WrapperKeyError::Read { file: file.to_path_buf(), source })
}

/// Whether `dir` holds a wrapper proving key (the compressor then writes SNARKs).
pub fn has_wrapper_keys(dir: &Path) -> bool {
    dir.join(WRAPPER_PK).exists()
}

/// The compressor's SNARK prover from `dir`'s wrapper keys, for the final circuit of `built`: both files
/// must be of `built`'s protocol and final circuit, and the proving key's verifying key must be
/// `wrapper.vk`'s. Builds the wrap-ready layer (tens of seconds).
pub fn load_snark_prover(dir: &Path, built: &ProtocolKeys) -> Result<SnarkProver, WrapperKeyError> {
    let final_circuit = built.compressor.final_circuit();
    let final_digest = digest_hex(&final_circuit.verifier_only.circuit_digest);
    let vk_file = dir.join(WRAPPER_VK);
    let vk = read_wrapper_vk(&vk_file)?;
    let invalid = |file: &Path, reason: String| WrapperKeyError::Invalid { file: file.to_path_buf(), reason };
    if vk.protocol != built.version() || vk.final_digest != final_digest {
        return Err(invalid(
            &vk_file,
            format!(
                "wraps final circuit {} of protocol {}, these keys' final circuit is {final_digest} of protocol {}: run `frispool keygen --wrapper` again",
                vk.final_digest, vk.protocol, built.version()
            ),
        ));
    }
    let pk_file = dir.join(WRAPPER_PK);
    let mapped =
        MappedArtifact::open(&pk_file).map_err(|source| WrapperKeyError::Read { file: pk_file.clone(), source })?;
    mapped
        .expect_kind(kinds::WRAPPER_PROVING_KEY)
        .map_err(|source| WrapperKeyError::Read { file: pk_file.clone(), source })?;
    let key = parse_prover_key(mapped.payload()).ok_or_else(|| invalid(&pk_file, "not a proving key".into()))?;
    if key.protocol != built.version() || key.circuit != WRAPPER || key.digest != final_digest {
        return Err(invalid(
            &pk_file,
            format!(
                "is the {} key of final circuit {} of protocol {}, not this protocol's",
                key.circuit, key.digest, key.protocol
            ),
        ));
    }
    let proving_key = ProvingKey::<Bn254>::deserialize_uncompressed_unchecked(key.data)
        .map_err(|e| invalid(&pk_file, format!("does not decode: {e}")))?;
    if verifying_key_bytes(&proving_key.vk) != vk.bytes {
        return Err(invalid(&pk_file, format!("its verifying key is not the one in {}", vk_file.display())));
    }
    drop(mapped);
    Ok(SnarkProver::new(&final_circuit.common, &final_circuit.verifier_only, proving_key, key_digest(&vk.bytes)))
}

/// A ceremony's output, converted to arkworks' encodings: the proving key uncompressed (`PK`), the
/// verifying key compressed (`VK`). Checked to be one key pair of one public input.
pub fn import_wrapper_keys(pk_file: &Path, vk_file: &Path) -> Result<Groth16Keys, WrapperKeyError> {
    let read = |file: &Path| {
        std::fs::read(file).map_err(|source| WrapperKeyError::Import { file: file.to_path_buf(), source })
    };
    let invalid = |file: &Path, reason: String| WrapperKeyError::Invalid { file: file.to_path_buf(), reason };
    let vk_bytes = read(vk_file)?;
    let verifier = SnarkVerifier::from_bytes(&vk_bytes).map_err(|e| invalid(vk_file, e.to_string()))?;
    let proving_key = ProvingKey::<Bn254>::deserialize_uncompressed_unchecked(&read(pk_file)?[..])
        .map_err(|e| invalid(pk_file, format!("does not decode: {e}")))?;
    if proving_key.vk != verifier.key {
        return Err(invalid(pk_file, format!("its verifying key is not {}", vk_file.display())));
    }
    Ok(Groth16Keys { proving_key, verifying_key: verifier.key })
}

/// The wrapper's circuit-specific Groth16 setup over `built`'s final circuit, run here with the OS's
/// randomness: **a test key** (see the module comment). Builds the wrap-ready layer and a proof of its shape,
/// then the setup over the wrapper's R1CS; `progress` hears each step (minutes in all). Returns the keys and
/// the R1CS's constraint counts.
pub fn wrapper_setup(
    built: &ProtocolKeys,
    progress: &dyn Fn(&str),
) -> Result<(Groth16Keys, WrapperCounts), WrapperKeyError> {
    let final_circuit = built.compressor.final_circuit();
    let started = std::time::Instant::now();
    progress("building the wrap-ready layer (plonky2, Poseidon over BN254)");
    let layer = WrapLayer::build(&final_circuit.common, &final_circuit.verifier_only);
    progress(&format!("built in {:.1?}; proving a proof of its shape (what the setup reads)", started.elapsed()));
    let started = std::time::Instant::now();
    let shape = layer
        .shape_proof()
        .map_err(|e| WrapperKeyError::Setup(ApiError::Prove { circuit: "wrap".into(), source: e.into() }))?;
    let wrapper = Wrapper::of(&layer);
    let counts = wrapper.count(shape.clone()).map_err(WrapperKeyError::Setup)?;
    progress(&format!("shape proof in {:.1?}; Groth16 setup over {} constraints", started.elapsed(), counts.total));
    let started = std::time::Instant::now();
    let keys = wrapper.setup(shape, &mut rand::rngs::OsRng).map_err(WrapperKeyError::Setup)?;
    progress(&format!("Groth16 setup in {:.1?}", started.elapsed()));
    Ok((keys, counts))
}
