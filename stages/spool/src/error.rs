//! The spool's error type and the exit codes of README.md that every binary maps errors to.

use std::io;
use std::path::{Path, PathBuf};

use crate::artifact::ArtifactError;
use crate::key::KeyParseError;

/// Exit codes shared by every frispool binary.
pub mod exit {
    /// Done, or nothing to do.
    pub const OK: u8 = 0;
    /// At least one job failed.
    pub const JOB_FAILED: u8 = 1;
    /// Usage or configuration error: retrying will not help.
    pub const USAGE: u8 = 2;
    /// Temporary failure (filesystem or network): retry later (sysexits EX_TEMPFAIL).
    pub const TEMPFAIL: u8 = 75;
}

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("{op} {}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("spool {} is missing folder {} (run `frispool init`)", root.display(), missing.display())]
    MissingFolder { root: PathBuf, missing: PathBuf },
    #[error("ticket {}{}: {reason}", path.display(), key.as_ref().map(|k| format!(" (job {k})")).unwrap_or_default())]
    BadTicket { path: PathBuf, key: Option<String>, reason: String },
    #[error(transparent)]
    Key(#[from] KeyParseError),
    #[error("job {key}: lease lost: {} was taken away (recovered as stale?)", path.display())]
    LeaseLost { key: String, path: PathBuf },
    #[error("job {key} not found{}", queue.as_ref().map(|q| format!(" in queue {q}")).unwrap_or_default())]
    NotFound { key: String, queue: Option<crate::Queue> },
    #[error("job {key} is in several queues ({queues}): name one with --queue")]
    Ambiguous { key: String, queues: String },
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    #[error("configuration: {0}")]
    Config(String),
    #[error("unblock sweep {name}")]
    Sweep {
        name: String,
        #[source]
        source: Box<SpoolError>,
    },
}

pub type Result<T, E = SpoolError> = std::result::Result<T, E>;

impl SpoolError {
    /// The exit code a binary should end with when this error stops it.
    pub fn exit_code(&self) -> u8 {
        match self {
            SpoolError::MissingFolder { .. }
            | SpoolError::Config(_)
            | SpoolError::Key(_)
            | SpoolError::NotFound { .. }
            | SpoolError::Ambiguous { .. } => exit::USAGE,
            SpoolError::BadTicket { .. } => exit::JOB_FAILED,
            SpoolError::Artifact(a) if a.is_permanent() => exit::JOB_FAILED,
            SpoolError::Sweep { source, .. } => source.exit_code(),
            _ => exit::TEMPFAIL,
        }
    }

    /// The infrastructure fault behind this error, if any (typed: the errno in the chain).
    pub fn infra(&self) -> Option<crate::fault::InfraFault> {
        crate::fault::InfraFault::in_chain(self)
    }
}

/// `map_err` helper that names the operation and the file.
pub(crate) fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> SpoolError + 'a {
    move |source| SpoolError::Io { op, path: path.to_path_buf(), source }
}

/// The whole chain of an error, one cause per line, as `.err` files and logs show it.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        out.push_str("\n  caused by: ");
        out.push_str(&e.to_string());
        cur = e.source();
    }
    out
}
