//! What a finished job unblocks, by the routing table, and the sweep that redoes missed unblocks.
//!
//! A prover that has just published a proof asks [`after_proof`]: if every input of the group that consumes
//! it now exists, the group's witness job is enqueued (by its deterministic key, so two provers racing to
//! the last input enqueue it once). Directory views on NFS can be stale, so both racers may miss it:
//! [`PlanSweep`], run by `recover`, re-checks every group of every planned block (protocol step 10).

use std::path::PathBuf;

use frispool_aggregation::{BlockPlan, ProofId};
use frispool_circuits::{ApiError, PlanWire, Registry};
use frispool_core::AggregationRound::{self, Submit};
use frispool_spool::{
    error_chain, read_artifact, ArtifactError, Enqueued, JobKey, Queue, Spool, SpoolError, State, Ticket, UnblockSweep,
};
use thiserror::Error;

use crate::routing::{route, Next};
use crate::{jobs, kinds};

/// A job to enqueue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowUp {
    pub queue: Queue,
    pub key: JobKey,
    pub inputs: Vec<String>,
}

/// A block's plan that cannot be read: that block's artifact is missing or damaged. It stops only that
/// block, never a sweep over every block.
#[derive(Debug, Error)]
pub enum PlanError {
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    #[error("{}: not a plan of a block", path.display())]
    Invalid {
        path: PathBuf,
        #[source]
        source: ApiError,
    },
}

/// `artifacts/bNNNNNNNN/<name>`, relative to the spool.
pub fn artifact_rel(block: u64, name: &str) -> String {
    Spool::block_dir_rel(block).join(name).to_string_lossy().into_owned()
}

pub fn proof_rel(block: u64, proof: &ProofId) -> String {
    artifact_rel(block, &jobs::proof_name(&jobs::proof_key(block, proof)))
}

/// Reads a block's stored plan, its circuit types resolved in `registry`.
pub fn read_plan(spool: &Spool, block: u64, registry: &Registry) -> Result<BlockPlan, PlanError> {
    let path = spool.root().join(artifact_rel(block, jobs::PLAN));
    let wire: PlanWire = read_artifact(&path, kinds::AGGREGATION_PLAN)?;
    wire.plan(registry).map_err(|source| PlanError::Invalid { path, source })
}

/// The block's job that a finished job of round `after` leads to when the routing table names a round
/// (scheduler → compress → submit); `input` is what the finished job made.
pub fn next_block_job(block: u64, after: AggregationRound, input: String) -> Option<FollowUp> {
    match route(after).next {
        Next::Round(next) => {
            Some(FollowUp { queue: route(next).queue.clone(), key: jobs::block_key(block, next), inputs: vec![input] })
        }
        Next::Plan | Next::Done => None,
    }
}

/// What the existence of `finished` (already published) unblocks, if anything.
pub fn after_proof(spool: &Spool, block: u64, plan: &BlockPlan, finished: &ProofId) -> Option<FollowUp> {
    if route(finished.round()).next != Next::Plan {
        return next_block_job(block, finished.round(), proof_rel(block, finished));
    }
    let group = plan.consumer_of(finished)?;
    let inputs: Vec<String> = group.inputs.iter().map(|p| proof_rel(block, p)).collect();
    if !inputs.iter().all(|rel| spool.artifact_exists(rel)) {
        return None;
    }
    Some(FollowUp {
        queue: route(group.output.round()).queue.clone(),
        key: jobs::proof_key(block, &group.output),
        inputs,
    })
}

/// Every follow-up a block is owed given the artifacts that exist: used by the sweep.
pub fn owed(spool: &Spool, block: u64, plan: &BlockPlan) -> Vec<FollowUp> {
    let mut out = Vec::new();
    for group in plan.groups() {
        if spool.artifact_exists(&proof_rel(block, &group.output)) {
            continue;
        }
        let inputs: Vec<String> = group.inputs.iter().map(|p| proof_rel(block, p)).collect();
        if inputs.iter().all(|rel| spool.artifact_exists(rel)) {
            out.push(FollowUp {
                queue: route(group.output.round()).queue.clone(),
                key: jobs::proof_key(block, &group.output),
                inputs,
            });
        }
    }
    let final_rel = artifact_rel(block, jobs::FINAL);
    if spool.artifact_exists(&final_rel) {
        out.extend(next_block_job(block, AggregationRound::Compress, final_rel));
    } else if spool.artifact_exists(&proof_rel(block, &ProofId::Scheduler)) {
        out.push(
            after_proof(spool, block, plan, &ProofId::Scheduler).expect("the scheduler always unblocks compression"),
        );
    }
    out
}

/// Redoes missed unblocks of every planned block (run by `recover`).
pub struct PlanSweep {
    pub protocol: String,
    pub max_attempts: u32,
    /// The protocol's circuit types, to read the plans with.
    pub registry: Registry,
}

impl UnblockSweep for PlanSweep {
    fn name(&self) -> &str {
        "aggregation-plan"
    }

    fn sweep(&self, spool: &Spool) -> Result<usize, SpoolError> {
        let mut tickets = Vec::new();
        for block in spool.artifact_blocks()? {
            if !spool.artifact_exists(&artifact_rel(block, jobs::PLAN)) {
                continue;
            }
            // A submitted block owes nothing: skipping it keeps the sweep's cost to the blocks in flight.
            if spool.locate(&route(Submit).queue, &jobs::block_key(block, Submit))? == Some(State::Done) {
                continue;
            }
            let plan = match read_plan(spool, block, &self.registry) {
                Ok(plan) => plan,
                // An infrastructure fault is the spool's, not the block's: the sweep stops, to be redone.
                Err(PlanError::Artifact(e)) if !e.is_permanent() => return Err(e.into()),
                // A damaged plan is that block's problem (its jobs fail on it too): the other blocks are
                // still owed their unblocks.
                Err(e) => {
                    eprintln!("frispool: unblock sweep: block {block} skipped: {}", error_chain(&e));
                    continue;
                }
            };
            for f in owed(spool, block, &plan) {
                tickets.push(Ticket::new(f.queue, f.key, &self.protocol, f.inputs, self.max_attempts));
            }
        }
        let enqueued = spool.enqueue_many(&tickets)?;
        Ok(enqueued.iter().filter(|e| matches!(e, Enqueued::New)).count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheduler_leads_to_compression_and_compression_to_submission() {
        let f = next_block_job(7, AggregationRound::Scheduler, "x".into()).unwrap();
        assert_eq!((f.queue.name(), f.key.to_string()), ("compress", "b00000007.r5.all.d0.g0000".to_string()));
        let f = next_block_job(7, AggregationRound::Compress, "y".into()).unwrap();
        assert_eq!((f.queue.name(), f.key.to_string()), ("submit", "b00000007.r6.all.d0.g0000".to_string()));
        assert_eq!(next_block_job(7, Submit, "z".into()), None);
    }
}
