//! The spool: the only place in frispool that knows the directory layout and the hand-off protocol (the
//! numbered steps of ARCHITECTURE.md, "The durability protocol"). Stages meet only through tickets (JSON
//! job files) and artifacts (checksummed, write-once, bincode payloads) that this crate reads and writes.
//!
//! Architecture invariant: the spool knows no queue and no artifact kind by name. A stage brings its queues
//! when it opens a spool ([`Spool::open`]) and declares its own [`ArtifactKind`]s; the spool owns only the
//! protocol (and the synthetic stage it is tested with).

mod artifact;
mod clock;
mod commit;
mod error;
mod fault;
mod fsx;
mod job;
mod jobstats;
mod key;
mod layout;
mod memory;
mod protocol;
mod queue;
mod recover;
mod runner;
mod status;
mod synthetic;
mod ticket;
mod watch;
mod workers;

pub use artifact::{
    check_artifact, decode_artifact, encode_artifact, read_artifact, to_hex, write_file_once, ArtifactError,
    ArtifactKind, ArtifactProblem, Header, MappedArtifact, OutputBatch, HEADER_LEN,
};
pub use clock::{now_unix_ms, rfc3339};
pub use error::{error_chain, exit, SpoolError};
pub use fault::{FaultRecord, FsSpace, InfraFault, SpaceLevel, FAULT_RECORD};
pub use job::{Disposition, Handler, JobContext, JobError};
pub use jobstats::{job_stats, JobStats, StatsByJob, TIME_BUCKETS};
pub use key::{JobKey, KeyParseError};
pub use layout::{Spool, CLOCK_PROBE};
pub use memory::{MemoryDeath, OomMarking};
pub use protocol::{
    ClaimFilter, ClaimPreference, Claimed, Claimer, Enqueued, FailOutcome, Heartbeat, Holder, PREFERENCE_WINDOW,
};
pub use queue::{BadQueueName, Queue, State};
pub use recover::{recover, RecoverOptions, RecoverReport, UnblockSweep};
pub use runner::{parse_memory_class, run_stage, RunSummary, RunnerArgs};
pub use status::{status, write_atomic, JobRow, QueueStatus, StateCount, StatusReport};
pub use synthetic::{
    seed_synthetic, SeedOptions, Synthetic, SyntheticPayload, SyntheticSweep, SYNTHETIC, SYNTHETIC_CIRCUIT,
};
pub use ticket::{DoneRecord, OutputRef, Ticket, TICKET_FORMAT};

/// The protocol version a worker serves when none is given (later: a hash over all verification keys).
pub const DEFAULT_PROTOCOL: &str = "dev";
