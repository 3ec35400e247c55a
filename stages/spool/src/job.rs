//! What a stage plugs into the runner: a [`Handler`], the [`JobContext`] it sees of its job, and the
//! [`JobError`] it returns, whose [`Disposition`] is all the runner needs to choose between done, retry,
//! failed and handing the job back.

use std::error::Error as StdError;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::artifact::{ArtifactError, ArtifactKind, MappedArtifact, OutputBatch};
use crate::fault::InfraFault;
use crate::key::JobKey;
use crate::layout::Spool;
use crate::protocol::{ClaimPreference, Claimed};
use crate::queue::Queue;
use crate::recover::UnblockSweep;
use crate::runner::RunnerArgs;
use crate::ticket::{OutputRef, Ticket};

/// What the runner does with a job whose handler failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Back to `queued/` while attempts are left; the attempt is spent.
    Retry,
    /// Straight to `failed/`: the same input fails the same way on every attempt (bad input, wrong kind).
    Permanent,
    /// Handed back unchanged, no attempt spent: shutdown was asked for.
    Interrupted,
    /// Handed back unchanged, no attempt spent: the filesystem or the network failed, not the job.
    Infrastructure(InfraFault),
}

/// Why a job failed, and what to do about it. Display names the job; the source chain says the rest.
#[derive(Debug)]
pub struct JobError {
    pub key: String,
    pub what: String,
    pub disposition: Disposition,
    pub source: Option<Box<dyn StdError + Send + Sync>>,
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job {}: {}", self.key, self.what)
    }
}

impl StdError for JobError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

impl JobError {
    fn new(key: &JobKey, what: impl Into<String>, disposition: Disposition) -> JobError {
        JobError { key: key.to_string(), what: what.into(), disposition, source: None }
    }

    pub fn retryable(key: &JobKey, what: impl Into<String>) -> JobError {
        JobError::new(key, what, Disposition::Retry)
    }

    pub fn permanent(key: &JobKey, what: impl Into<String>) -> JobError {
        JobError::new(key, what, Disposition::Permanent)
    }

    /// Attaches the cause. An infrastructure fault anywhere in its chain (the errno, never the text)
    /// makes the error one: a write that failed on a full disk says nothing about the job.
    pub fn because(mut self, source: impl StdError + Send + Sync + 'static) -> JobError {
        if let (Disposition::Retry | Disposition::Permanent, Some(f)) =
            (self.disposition, InfraFault::in_chain(&source))
        {
            self.disposition = Disposition::Infrastructure(f);
        }
        self.source = Some(Box::new(source));
        self
    }

    /// A fault of the filesystem or network, not of the job: handed back without spending an attempt.
    pub fn infrastructure(key: &JobKey, what: impl Into<String>, fault: InfraFault) -> JobError {
        JobError::new(key, what, Disposition::Infrastructure(fault))
    }

    /// An artifact problem: permanent unless it was an I/O error (an infrastructure fault if
    /// its errno says so).
    pub fn artifact(key: &JobKey, what: impl Into<String>, e: ArtifactError) -> JobError {
        let disposition = if e.is_permanent() { Disposition::Permanent } else { Disposition::Retry };
        JobError::new(key, what, disposition).because(e)
    }

    pub fn interrupted(key: &JobKey) -> JobError {
        JobError::new(key, "interrupted by shutdown", Disposition::Interrupted)
    }
}

/// A stage's job handler. Keep it small: read inputs through the context, write outputs through
/// it, and ask it for follow-up jobs; the runner does every spool step.
pub trait Handler: Send + Sync {
    /// The queue this stage serves.
    fn queue(&self) -> Queue;
    fn handle(&self, job: &mut JobContext<'_>) -> Result<(), JobError>;
    /// Hooks that redo missed unblocks; run by recover at start and by `frispool recover`.
    fn sweeps(&self) -> Vec<Box<dyn UnblockSweep>> {
        Vec::new()
    }
    /// Which queued jobs this stage would rather take next (see [`ClaimPreference`]); `None`: claim order alone.
    fn claim_preference(&self) -> Option<ClaimPreference> {
        None
    }
}

/// What a handler sees of its job.
pub struct JobContext<'a> {
    pub(crate) spool: &'a Spool,
    pub(crate) claimed: &'a Claimed,
    pub(crate) pool: &'a rayon::ThreadPool,
    pub(crate) stop: &'a AtomicBool,
    pub(crate) args: &'a RunnerArgs,
    pub(crate) outputs: OutputBatch<'a>,
    pub(crate) follow_ups: Vec<Ticket>,
}

impl<'a> JobContext<'a> {
    pub fn key(&self) -> &JobKey {
        self.claimed.key()
    }
    pub fn ticket(&self) -> &Ticket {
        &self.claimed.ticket
    }
    pub fn attempt(&self) -> u32 {
        self.claimed.attempt
    }
    pub fn spool(&self) -> &Spool {
        self.spool
    }
    /// The `--threads` pool: run parallel work with `pool().install(..)`.
    pub fn pool(&self) -> &rayon::ThreadPool {
        self.pool
    }
    /// True once SIGTERM/SIGINT arrived: long handlers should return `JobError::interrupted`.
    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
    pub fn param(&self, name: &str) -> Option<&str> {
        self.ticket().params.get(name).map(String::as_str)
    }

    /// Maps input `i` of the ticket with its header and checksum checked.
    pub fn input(&self, i: usize) -> Result<MappedArtifact, JobError> {
        let rel = self.ticket().inputs.get(i).ok_or_else(|| {
            JobError::permanent(
                self.key(),
                format!("ticket lists {} inputs, the stage wants input #{i}", self.ticket().inputs.len()),
            )
        })?;
        let path =
            self.spool.resolve(rel).map_err(|e| JobError::permanent(self.key(), format!("input #{i}")).because(e))?;
        MappedArtifact::open(&path).map_err(|e| JobError::artifact(self.key(), format!("input #{i} {rel} refused"), e))
    }

    pub fn read_input<T: DeserializeOwned>(&self, i: usize, kind: ArtifactKind) -> Result<T, JobError> {
        let a = self.input(i)?;
        a.decode(kind)
            .map_err(|e| JobError::artifact(self.key(), format!("input #{i} {} refused", self.ticket().inputs[i]), e))
    }

    /// `artifacts/b<block>/<name>`, relative to the spool.
    pub fn artifact_path(&self, name: &str) -> String {
        Spool::block_dir_rel(self.key().block).join(name).to_string_lossy().into_owned()
    }

    /// Publishes an output write-once and records it for the done ticket. When this returns the
    /// artifact is visible with its content durable, and every earlier output of this job is
    /// durable; the fsync of its folder is left to the runner, which does it (with the tickets'
    /// fsyncs) before it enqueues a follow-up or marks the job done (`OutputBatch`,
    /// `Spool::complete_batch`), so no ticket of this job points at it before it is durable.
    pub fn write_output<T: Serialize>(
        &mut self,
        name: &str,
        kind: ArtifactKind,
        value: &T,
    ) -> Result<OutputRef, JobError> {
        let rel = self.artifact_path(name);
        let key = self.claimed.key();
        self.outputs.write(&rel, kind, value).map_err(|e| JobError::artifact(key, format!("output {rel}"), e))
    }

    /// Asks for a follow-up job, enqueued after the outputs are durable and before this job is
    /// marked done (a crash in between re-runs this job; enqueue is idempotent).
    pub fn follow_up(&mut self, queue: Queue, key: JobKey, inputs: Vec<String>) -> &mut Ticket {
        self.follow_ups.push(Ticket::new(queue, key, &self.args.protocol, inputs, self.args.max_attempts));
        self.follow_ups.last_mut().expect("just pushed")
    }
}
