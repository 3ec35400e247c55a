//! The crate's one error type: every fallible step says which step failed and keeps its cause.

use std::path::PathBuf;

/// What went wrong while setting up, proving, generating, compiling or running a verifier.
#[derive(Debug, thiserror::Error)]
pub enum WrapError {
    /// The constraint system refused a witness or could not be built (ark-relations' error).
    #[error("constraint synthesis failed: {0}")]
    Synthesis(#[from] ark_relations::gr1cs::SynthesisError),

    /// The verifying key has a different number of public inputs than the caller gave.
    #[error("the verifying key takes {expected} public inputs, {actual} were given")]
    PublicInputCount { expected: usize, actual: usize },

    /// A serialized proof or key did not decode (not a point, not canonical, truncated).
    #[error("decoding a Groth16 proof or key failed: {0}")]
    Encoding(#[from] ark_serialize::SerializationError),

    /// solcjs could not be found where this crate looks for it.
    #[error(
        "solcjs not found at {path}: run stages/wrap/tools/install-solc.sh (npm) or set FRISPOOL_SOLCJS to solc.js"
    )]
    SolcMissing { path: PathBuf },

    /// node could not run solcjs at all.
    #[error("running solcjs ({program}) failed")]
    SolcSpawn {
        program: String,
        #[source]
        source: std::io::Error,
    },

    /// solcjs ran but reported errors, or its output was not the JSON we asked for.
    #[error("solc rejected the contract {contract}: {message}")]
    SolcFailed { contract: String, message: String },

    /// The EVM refused the transaction itself (not a revert inside it): nonce, gas, and the like.
    #[error("the EVM refused the transaction: {0}")]
    EvmTransaction(String),

    /// The verifier contract could not be deployed.
    #[error("deploying the verifier failed: {0}")]
    EvmDeploy(String),

    /// The contract returned something that is not an ABI-encoded bool.
    #[error("the verifier returned {len} bytes, not an ABI bool")]
    EvmOutput { len: usize },

    /// The plonky2 circuit uses a feature the wrapper does not verify yet (a gate type, lookups, hiding).
    #[error("the wrapper cannot verify this plonky2 circuit: {0}")]
    UnsupportedCircuit(String),

    /// The plonky2 proof's shape does not match its circuit's common data (lengths of caps, openings,
    /// query rounds, Merkle paths).
    #[error("the plonky2 proof does not have its circuit's shape: {0}")]
    ProofShape(String),
}
