//! Tickets: the small, `cat`-readable JSON job files that move between the state folders.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Result, SpoolError};
use crate::key::JobKey;
use crate::queue::Queue;

/// Wire format version of tickets; bump on an incompatible change.
pub const TICKET_FORMAT: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub format: u32,
    pub key: JobKey,
    pub queue: Queue,
    /// Protocol version (a hash over the verification keys): workers serve one and leave the rest.
    pub protocol: String,
    /// Input artifacts, relative to the spool root.
    pub inputs: Vec<String>,
    /// Attempts spent so far. A claim starts attempt `attempt + 1` (the in_progress name carries
    /// it); failing or losing the lease spends it; a clean shutdown gives it back.
    pub attempt: u32,
    pub max_attempts: u32,
    pub enqueued_unix_ms: u64,
    /// Stage-specific parameters (strings, to stay readable and stable on disk).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// One line per spent attempt that failed: why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// The least memory class (`--memory-class`) a worker must have to claim this job: raised past the
    /// class of a worker that died of memory on it, so it waits for a bigger one.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub memory_class: u32,
    /// Attempts lost to memory (the worker was OOM-killed or an allocation failed).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub memory_deaths: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<DoneRecord>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DoneRecord {
    pub host: String,
    pub pid: u32,
    pub attempt: u32,
    pub start_unix_ms: u64,
    pub end_unix_ms: u64,
    pub start: String,
    pub end: String,
    pub outputs: Vec<OutputRef>,
}

/// One published output artifact, as a done ticket records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputRef {
    /// Relative to the spool root.
    pub path: String,
    pub kind: String,
    pub bytes: u64,
    /// blake3 of the payload, hex: the same value the artifact header carries.
    pub blake3: String,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Ticket {
    pub fn new(queue: Queue, key: JobKey, protocol: &str, inputs: Vec<String>, max_attempts: u32) -> Ticket {
        Ticket {
            format: TICKET_FORMAT,
            key,
            queue,
            protocol: protocol.to_string(),
            inputs,
            attempt: 0,
            max_attempts: max_attempts.max(1),
            enqueued_unix_ms: crate::clock::now_unix_ms(),
            params: BTreeMap::new(),
            errors: Vec::new(),
            memory_class: 0,
            memory_deaths: 0,
            done: None,
        }
    }

    pub fn with_param(mut self, k: &str, v: impl ToString) -> Ticket {
        self.params.insert(k.to_string(), v.to_string());
        self
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("tickets always serialise");
        v.push(b'\n');
        v
    }

    /// Parses a ticket read from `path`; the error names the file and, when the name is a key, the job.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Ticket> {
        let key_of_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| n.split('@').next().unwrap_or(n).trim_end_matches(".err").to_string());
        let bad = |reason: String| SpoolError::BadTicket { path: path.to_path_buf(), key: key_of_name.clone(), reason };
        let t: Ticket = serde_json::from_slice(bytes).map_err(|e| bad(format!("malformed ticket JSON: {e}")))?;
        if t.format > TICKET_FORMAT {
            return Err(bad(format!("ticket format {} is newer than this build's {TICKET_FORMAT}", t.format)));
        }
        Ok(t)
    }

    pub fn read(path: &Path) -> Result<Ticket> {
        let bytes = std::fs::read(path).map_err(crate::error::io_err("reading ticket", path))?;
        Ticket::parse(path, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reads_like_the_design_says() {
        let t = Ticket::new(
            Queue::named("prove"),
            "b00000042.r1.main.d0.g0003".parse().unwrap(),
            "v1",
            vec!["artifacts/b00000042/x".into()],
            3,
        );
        let text = String::from_utf8(t.to_bytes()).unwrap();
        assert!(text.contains("\"key\": \"b00000042.r1.main.d0.g0003\""), "{text}");
        assert!(text.contains("\"queue\": \"prove\""), "{text}");
        assert_eq!(Ticket::parse(Path::new("x"), text.as_bytes()).unwrap(), t);
    }

    #[test]
    fn malformed_names_file_and_job() {
        let e = Ticket::parse(Path::new("/s/prove/queued/b00000001.r0.main.d0.g0000"), b"{not json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("/s/prove/queued/b00000001.r0.main.d0.g0000"), "{e}");
        assert!(e.contains("job b00000001.r0.main.d0.g0000"), "{e}");
        assert!(e.contains("malformed"), "{e}");
    }
}
