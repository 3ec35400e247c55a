//! The stages of frispool, each a job handler over the spool's runner (`frispool_spool::run_stage`):
//!
//! - [`Gateway`] pulls blocks from the sequencer into the spool; [`SubmitStage`] posts final proofs back.
//! - [`WitnessStage`]: round 0 re-executes a block and cuts it into basic witnesses; rounds 1–4 bundle
//!   the inner proofs of one aggregation group into one witness.
//! - [`ProverStage`] proves one witness of any round, then unblocks the next round.
//! - [`vectors`]: `frispool-wvg`, the witness-vector generator, and the GPU prover's vector server.
//! - [`CompressorStage`] compresses the scheduler proof into the final proof and enqueues its submission.
//!
//! Where a block goes is one table, [`ROUTES`] (round → queue → next round); the stages share only it,
//! the job and artifact names of `jobs` and [`kinds`], the unblocking of `unblock` and the keys on disk.
//!
//! Architecture invariant: the stage modules never import each other; they meet only through tickets and
//! artifacts.

mod backend;
mod compressor;
pub mod fleet;
mod gateway;
mod inspect;
mod jobs;
mod keystore;
pub mod kinds;
mod prover;
mod prover_key;
mod report;
mod routing;
mod setup;
mod submission;
mod topology;
mod trust;
mod unblock;
pub mod vectors;
mod witness;
mod wrapper_keys;

pub use backend::{Backend, BackendError};
pub use compressor::CompressorStage;
pub use gateway::{Gateway, GatewayError, SubmitStage};
pub use inspect::describe_artifact;
pub use jobs::{block_key, proof_id, proof_key, proof_name, witness_name, FINAL, INPUT, PLAN, SNARK};
pub use keystore::{
    build_checked, keys_protocol, load_keys, read_manifest, serve_protocol, verify_file, write_keys, KeyError,
    KeyFileError, VerifierKeyWire, VerifyError, MANIFEST,
};
pub use prover::ProverStage;
pub use report::{timings, RoundTiming, Timings};
pub use routing::{
    parse_witness_round, queue_named, route, witness_rounds, Next, Route, UnknownQueue, COMPRESS, PROVE, QUEUES,
    ROUTES, SUBMIT, WITNESS_BASIC, WITNESS_LEAF, WITNESS_NODE, WITNESS_SCHEDULER, WITNESS_TIP, WVG,
};
pub use setup::{load as load_serving_keys, serve, serve_with_backend, serve_with_keys, ProvingArgs, SetupError};
pub use submission::{check_submission, snark_trust, SnarkTrust, SnarkTrustError};
pub use topology::{stages, stages_with_basic_witness, StageProcess};
pub use trust::{
    key_digest, sequencer_trust, trusted_key, DamagedTrust, Origin, SequencerTrust, TrustError, TrustedKey, VerifyTrust,
};
pub use unblock::{
    after_proof, artifact_rel, next_block_job, owed, proof_rel, read_plan, FollowUp, PlanError, PlanSweep,
};
pub use witness::WitnessStage;
pub use wrapper_keys::{
    has_wrapper_keys, import_wrapper_keys, load_snark_prover, read_wrapper_vk, wrapper_setup, write_wrapper_keys,
    WrapperKeyError, WrapperVkWire, WRAPPER_PK, WRAPPER_VK,
};
