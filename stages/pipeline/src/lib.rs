//! The stages of frispool, each a job handler over the spool runner (`frispool_spool::runner`):
//!
//! - [`gateway`]: pulls blocks from the sequencer into the spool; posts final proofs back.
//! - [`witness`]: round 0 re-executes a block and cuts it into basic witnesses; rounds 1–4 bundle the
//!   inner proofs of one aggregation group into one witness.
//! - [`prover`]: proves one witness of any round, then unblocks the next round.
//! - [`compressor`]: compresses the scheduler proof into the final proof and enqueues its submission.
//!
//! They share only [`jobs`] (how a proof of the aggregation plan is named in the spool), [`unblock`]
//! (when a group is complete, and the recover sweep that redoes missed unblocks) and [`keystore`] (keys on
//! disk).
//!
//! Architecture invariant: the stage modules never import each other; they meet only through tickets and
//! artifacts.

pub mod compressor;
pub mod gateway;
pub mod inspect;
pub mod jobs;
pub mod keystore;
pub mod prover;
pub mod report;
pub mod setup;
pub mod trust;
pub mod unblock;
pub mod witness;
