//! The prover gateway: the only stage that speaks HTTP as a client. It pulls blocks from the sequencer's
//! `GET /proof_generation_data` into the spool (input artifact + round-0 job) and, as the `submit` stage,
//! posts final proofs to `POST /submit_proof/{block}`, retrying with back-off while the sequencer is down.
//!
//! The HTTP bodies are spool artifacts (header, checksum, bincode payload) in both directions, so a body
//! torn on the way is caught by the same check that guards the spool.

use std::path::Path;
use std::time::{Duration, Instant};

use frispool_core::AggregationRound::{Basic, Submit};
use frispool_rollup::BlockWitness;
use frispool_spool::{
    decode_artifact, exit, ArtifactError, Handler, JobContext, JobError, JobKey, Queue, Spool, SpoolError, Ticket,
};
use thiserror::Error;

use crate::routing::route;
use crate::unblock::artifact_rel;
use crate::{jobs, kinds};

#[derive(Debug, Error)]
pub enum GatewayError {
    /// The sequencer could not be reached, or the answer broke off: try again later.
    #[error("sequencer {url}")]
    Unreachable {
        url: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The sequencer answered with an error status: try again later.
    #[error("sequencer {url}: HTTP {code}: {body}")]
    Status { url: String, code: u16, body: String },
    /// The sequencer answered something that is not a block: a bug or a foreign server.
    #[error("sequencer {url} sent a bad block")]
    BadBlock {
        url: String,
        #[source]
        source: ArtifactError,
    },
    #[error(transparent)]
    Spool(#[from] SpoolError),
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
}

impl GatewayError {
    /// The exit code a gateway run ends with when this error stops it.
    pub fn exit_code(&self) -> u8 {
        match self {
            GatewayError::Unreachable { .. } | GatewayError::Status { .. } => exit::TEMPFAIL,
            GatewayError::BadBlock { .. } => exit::JOB_FAILED,
            GatewayError::Spool(e) => e.exit_code(),
            GatewayError::Artifact(a) if a.is_permanent() => exit::JOB_FAILED,
            GatewayError::Artifact(_) => exit::TEMPFAIL,
        }
    }
}

/// The longest a connection attempt to the sequencer may take, whatever the overall timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP client of both stages. ureq's `timeout` is one deadline for the whole request (writing the
/// body, waiting for and reading the answer); the connect has its own limit (ureq's default is 30 s, which
/// would outlast a shorter overall timeout), so it gets the smaller of the two.
fn http_agent(timeout: Duration) -> ureq::Agent {
    ureq::AgentBuilder::new().timeout_connect(timeout.min(CONNECT_TIMEOUT)).timeout(timeout).build()
}

pub struct Gateway {
    pub base_url: String,
    pub protocol: String,
    pub max_attempts: u32,
    agent: ureq::Agent,
}

impl Gateway {
    pub fn new(base_url: &str, protocol: &str, max_attempts: u32, timeout: Duration) -> Gateway {
        Gateway {
            base_url: base_url.trim_end_matches('/').to_string(),
            protocol: protocol.to_string(),
            max_attempts,
            agent: http_agent(timeout),
        }
    }

    /// Pulls blocks until the sequencer has none due; returns the numbers of the blocks enqueued.
    pub fn pull(&self, spool: &Spool) -> Result<Vec<u64>, GatewayError> {
        let mut got = Vec::new();
        while let Some(n) = self.pull_one(spool)? {
            got.push(n);
        }
        Ok(got)
    }

    /// One `GET /proof_generation_data`: `None` when the sequencer has nothing due (204).
    pub fn pull_one(&self, spool: &Spool) -> Result<Option<u64>, GatewayError> {
        let url = format!("{}/proof_generation_data", self.base_url);
        let unreachable =
            |source: Box<dyn std::error::Error + Send + Sync>| GatewayError::Unreachable { url: url.clone(), source };
        let response = match self.agent.get(&url).call() {
            Ok(r) => r,
            Err(ureq::Error::Status(code, r)) => {
                let body = r.into_string().unwrap_or_default().trim().to_string();
                return Err(GatewayError::Status { url: url.clone(), code, body });
            }
            Err(e) => return Err(unreachable(Box::new(e))),
        };
        if response.status() == 204 {
            return Ok(None);
        }
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut response.into_reader(), &mut bytes).map_err(|e| unreachable(Box::new(e)))?;
        let block: BlockWitness = decode_artifact(Path::new(&url), &bytes, kinds::BLOCK_INPUT)
            .map_err(|source| GatewayError::BadBlock { url: url.clone(), source })?;
        let number = block.header.number;
        let rel = artifact_rel(number, jobs::INPUT);
        spool.publish_raw(&rel, kinds::BLOCK_INPUT, &bytes)?;
        let ticket = Ticket::new(
            route(Basic).queue.clone(),
            jobs::block_key(number, Basic),
            &self.protocol,
            vec![rel],
            self.max_attempts,
        );
        spool.enqueue(&ticket)?;
        Ok(Some(number))
    }
}

/// The `submit` stage: posts a final proof to the sequencer.
pub struct SubmitStage {
    pub base_url: String,
    /// How long to keep retrying an unreachable sequencer within one attempt.
    pub retry_for: Duration,
    agent: ureq::Agent,
}

impl SubmitStage {
    pub fn new(base_url: &str, retry_for: Duration, timeout: Duration) -> SubmitStage {
        SubmitStage { base_url: base_url.trim_end_matches('/').to_string(), retry_for, agent: http_agent(timeout) }
    }
}

impl Handler for SubmitStage {
    fn queue(&self) -> Queue {
        route(Submit).queue.clone()
    }

    /// Posts the SNARK when the compressor wrote one (input 1), then the final proof (input 0): the
    /// sequencer checks each under its own key (a SNARK only under a pinned wrapper key) and marks the block
    /// proven at the first it accepts, so with a SNARK that is the SNARK. Input 0 is always read: a ticket
    /// without inputs fails naming it.
    fn handle(&self, job: &mut JobContext<'_>) -> Result<(), JobError> {
        let key = job.key().clone();
        let count = job.ticket().inputs.len();
        for (i, kind) in [(1, kinds::FINAL_SNARK), (0, kinds::FINAL_PROOF)] {
            if i > 0 && i >= count {
                continue;
            }
            let input = job.input(i)?;
            input.expect_kind(kind).map_err(|e| JobError::artifact(&key, format!("input #{i} refused"), e))?;
            let bytes = std::fs::read(&input.path)
                .map_err(|e| JobError::retryable(&key, format!("reading {}", input.path.display())).because(e))?;
            drop(input);
            self.post(job, &key, &bytes, kind.name())?;
        }
        Ok(())
    }
}

impl SubmitStage {
    fn post(&self, job: &JobContext<'_>, key: &JobKey, bytes: &[u8], what: &str) -> Result<(), JobError> {
        let url = format!("{}/submit_proof/{}", self.base_url, key.block);
        let started = Instant::now();
        let mut pause = Duration::from_millis(200);
        loop {
            match self.agent.post(&url).set("Content-Type", "application/octet-stream").send_bytes(bytes) {
                Ok(_) => return Ok(()),
                // 408 (our upload was too slow) and 429 say "not now", not "never": retried below.
                Err(ureq::Error::Status(code, r)) if (400..500).contains(&code) && code != 408 && code != 429 => {
                    let body = r.into_string().unwrap_or_default();
                    return Err(JobError::permanent(
                        key,
                        format!("sequencer refused the {what}: HTTP {code}: {}", body.trim()),
                    ));
                }
                Err(e) => {
                    if started.elapsed() >= self.retry_for {
                        // The cause as text, not as a source: a network error on the way to the sequencer
                        // is not the spool's, and must not read as an infrastructure fault (which spends
                        // no attempt): after --max-attempts the job fails, as a down sequencer should.
                        return Err(JobError::retryable(key, format!("sequencer {url} unreachable: {e}")));
                    }
                    if job.stop_requested() {
                        return Err(JobError::interrupted(key));
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_secs(10));
                }
            }
        }
    }
}
