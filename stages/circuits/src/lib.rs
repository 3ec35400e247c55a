//! plonky2 circuits of frispool: basic (round 0) circuit types as one trait and one registry ([`BasicType`],
//! [`Registry`]; the protocol's is `main`, then `sig` under the keygen profile), compression, protocol keys,
//! and the API the stages call; see CIRCUITS.md (repository root) for the rule → constraint → negative test
//! table.
//!
//! Architecture invariant: no I/O; every value crossing the API is plain serde data. A stage moves wire
//! types between artifacts and calls one function per step ([`basic_witnesses`], [`ProtocolKeys::prove`],
//! [`ProtocolKeys::compress`], [`FinalVerifier::verify`]) without knowing plonky2.

mod api;
// Public only for `stages/gpu`'s tests (`basic::main::{ChainTargets, SlotTargets}` rebuild `main`'s parts);
// everything else imports the façade below.
#[doc(hidden)]
pub mod basic;
mod compress;
mod error;
mod keys;
mod registry;
mod security;
mod snark;
mod wrap_layer;

pub use api::{
    basic_witnesses, verify_with_key, ApiError, BasicWitnessWire, FinalProofWire, FinalVerifier, PlanWire, ProofWire,
    WitnessWire, WIRE_FORMAT,
};
pub use basic::main::{
    expected_public_inputs, main_chunks, main_chunks_of, LeafWitness, MainChunkWitness, MainCircuit, SlotField,
    SlotWitness, MAIN_TXS_PER_INSTANCE,
};
pub use basic::sig::{SigItem, SigType, SigWitness, SIG, SIGS_PER_INSTANCE};
pub use compress::Compressor;
pub use error::{BoxError, CircuitError};
pub use keys::{
    digest_hex, leaf_name, prover_from_bytes, verifier_from_bytes, CircuitEntry, KeyManifest, LoadError, LoadFailure,
    ProtocolKeys, FINAL as FINAL_CIRCUIT, MANIFEST_FORMAT, SOURCE_FINGERPRINT,
};
pub use registry::{
    main_profile, sig_profile, BasicCircuit, BasicType, Registry, RegistryError, TypeInstances, MAIN_PROFILE_VAR,
    MAX_MAIN_DEGREE_BITS, MAX_SIGS_PER_INSTANCE, MIN_MAIN_DEGREE_BITS, SIG_PROFILE_VAR,
};
pub use security::SecurityLevel;
pub use snark::{
    final_public_inputs, snark_input, verifying_key_bytes, SnarkProver, SnarkVerifier, SnarkWire, Wrapper,
    SNARK_FORMAT, WRAPPER,
};
pub use wrap_layer::{wrap_config, WrapC, WrapLayer, WrapProof, WRAP_POW_BITS, WRAP_QUERY_ROUNDS, WRAP_RATE_BITS};
