//! The artifact kinds of the pipeline: what each artifact of a block, and each key file, holds. The number is
//! in every artifact's header, on disk: never reuse one. The sequencer's store declares its own kinds
//! (`frispool_sequencer::SEQUENCER_STATE`, and [`BLOCK_INPUT`], which it serves and the gateway stores), the
//! spool its synthetic stage's ([`frispool_spool::SYNTHETIC`], number 100).

use frispool_spool::ArtifactKind;

/// A block as the sequencer hands it out (`GET /proof_generation_data`), stored as the block's input.
pub const BLOCK_INPUT: ArtifactKind = ArtifactKind::new(1, "block-input");
/// The witness of one basic (round 0) instance.
pub const BASIC_WITNESS: ArtifactKind = ArtifactKind::new(2, "basic-witness");
/// The witness of one aggregation proof: its inner proofs.
pub const AGGREGATION_WITNESS: ArtifactKind = ArtifactKind::new(3, "aggregation-witness");
/// A proof of any round 0–4.
pub const PROOF: ArtifactKind = ArtifactKind::new(4, "proof");
/// A block's aggregation plan.
pub const AGGREGATION_PLAN: ArtifactKind = ArtifactKind::new(5, "aggregation-plan");
/// The compressed final proof the sequencer checks.
pub const FINAL_PROOF: ArtifactKind = ArtifactKind::new(6, "final-proof");
/// Reserved for the witness-vector generator (`wvg` queue) of the GPU prover.
pub const WITNESS_VECTOR: ArtifactKind = ArtifactKind::new(7, "witness-vector");
/// A circuit's verifier key (`keys/<circuit>.vk`, and the sequencer's trust root).
pub const VERIFIER_KEY: ArtifactKind = ArtifactKind::new(8, "verifier-key");
/// A circuit's prover key (`keys/<circuit>.prover`).
pub const PROVER_KEY: ArtifactKind = ArtifactKind::new(10, "prover-key");

/// The BN254 SNARK (Groth16) of a block's final proof (`final.snark`), written when the wrapper keys exist.
pub const FINAL_SNARK: ArtifactKind = ArtifactKind::new(11, "final-snark");
/// The wrapper's Groth16 proving key (`keys/wrapper.pk`).
pub const WRAPPER_PROVING_KEY: ArtifactKind = ArtifactKind::new(12, "wrapper-proving-key");
/// The wrapper's Groth16 verifying key (`keys/wrapper.vk`).
pub const WRAPPER_VERIFYING_KEY: ArtifactKind = ArtifactKind::new(13, "wrapper-verifying-key");

/// Every pipeline kind (number 9 is the sequencer's state).
pub const KINDS: [ArtifactKind; 12] = [
    BLOCK_INPUT,
    BASIC_WITNESS,
    AGGREGATION_WITNESS,
    PROOF,
    AGGREGATION_PLAN,
    FINAL_PROOF,
    WITNESS_VECTOR,
    VERIFIER_KEY,
    PROVER_KEY,
    FINAL_SNARK,
    WRAPPER_PROVING_KEY,
    WRAPPER_VERIFYING_KEY,
];
