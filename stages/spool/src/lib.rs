//! The spool: the only place in frispool that knows the directory layout and the hand-off protocol
//! (DESIGN.md §2). Stages meet only through tickets (JSON job files) and artifacts (checksummed,
//! write-once, bincode payloads) that this crate reads and writes.

pub mod artifact;
mod claim;
pub mod clock;
pub mod error;
pub mod fault;
mod fsx;
pub mod key;
pub mod layout;
pub mod protocol;
pub mod queue;
pub mod recover;
pub mod runner;
pub mod status;
pub mod synthetic;
pub mod ticket;
pub mod watch;

pub use artifact::{ArtifactError, ArtifactKind, ArtifactProblem, Header, MappedArtifact, OutputBatch};
pub use error::{exit, SpoolError};
pub use fault::{FsSpace, InfraFault};
pub use key::{JobKey, KeyParseError};
pub use layout::Spool;
pub use protocol::{Claimed, Claimer, Enqueued, FailOutcome};
pub use queue::{Queue, State};
pub use recover::{RecoverOptions, RecoverReport, UnblockSweep};
pub use runner::{Handler, JobContext, JobError, RunSummary, RunnerArgs};
pub use ticket::{DoneRecord, OutputRef, Ticket};

/// The protocol version a worker serves when none is given (later: a hash over all verification keys).
pub const DEFAULT_PROTOCOL: &str = "dev";
