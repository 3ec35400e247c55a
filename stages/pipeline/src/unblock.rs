//! When a finished proof completes its aggregation group, and the sweep that redoes missed unblocks.
//!
//! A prover that has just published a proof asks [`after_proof`]: if every input of the group that consumes
//! it now exists, the group's witness job is enqueued (by its deterministic key, so two provers racing to
//! the last input enqueue it once). Directory views on NFS can be stale, so both racers may miss it:
//! [`PlanSweep`], run by `recover`, re-checks every group of every planned block.

use frispool_aggregation::plan::{BlockPlan, ProofId};
use frispool_circuits::PlanWire;
use frispool_spool::{ArtifactKind, JobKey, Queue, Spool, SpoolError, Ticket, UnblockSweep};

use crate::jobs;

/// A job to enqueue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowUp {
    pub queue: Queue,
    pub key: JobKey,
    pub inputs: Vec<String>,
}

/// `artifacts/bNNNNNNNN/<name>`, relative to the spool.
pub fn artifact_rel(block: u64, name: &str) -> String {
    Spool::block_dir_rel(block).join(name).to_string_lossy().into_owned()
}

pub fn proof_rel(block: u64, proof: &ProofId) -> String {
    artifact_rel(block, &jobs::proof_name(&jobs::proof_key(block, proof)))
}

/// Reads a block's stored plan.
pub fn read_plan(spool: &Spool, block: u64) -> Result<BlockPlan, SpoolError> {
    let rel = artifact_rel(block, jobs::PLAN);
    let path = spool.resolve(&rel)?;
    let wire: PlanWire = frispool_spool::artifact::read(&path, ArtifactKind::AggregationPlan)?;
    wire.plan().map_err(|e| SpoolError::Config(format!("{}: {e}", path.display())))
}

/// What the existence of `finished` (already published) unblocks, if anything.
pub fn after_proof(spool: &Spool, block: u64, plan: &BlockPlan, finished: &ProofId) -> Option<FollowUp> {
    if *finished == ProofId::Scheduler {
        return Some(FollowUp {
            queue: Queue::Compress,
            key: jobs::compress_key(block),
            inputs: vec![proof_rel(block, finished)],
        });
    }
    let group = plan.consumer_of(finished)?;
    let inputs: Vec<String> = group.inputs.iter().map(|p| proof_rel(block, p)).collect();
    if !inputs.iter().all(|rel| spool.artifact_exists(rel)) {
        return None;
    }
    Some(FollowUp { queue: jobs::witness_queue(&group.output), key: jobs::proof_key(block, &group.output), inputs })
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
            out.push(FollowUp { queue: jobs::witness_queue(&group.output), key: jobs::proof_key(block, &group.output), inputs });
        }
    }
    let final_rel = artifact_rel(block, jobs::FINAL);
    if spool.artifact_exists(&final_rel) {
        out.push(FollowUp { queue: Queue::Submit, key: jobs::submit_key(block), inputs: vec![final_rel] });
    } else if spool.artifact_exists(&proof_rel(block, &ProofId::Scheduler)) {
        out.push(after_proof(spool, block, plan, &ProofId::Scheduler).expect("the scheduler always unblocks compression"));
    }
    out
}

/// Redoes missed unblocks of every planned block (run by `recover`).
pub struct PlanSweep {
    pub protocol: String,
    pub max_attempts: u32,
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
            if spool.locate(Queue::Submit, &jobs::submit_key(block))? == Some(frispool_spool::State::Done) {
                continue;
            }
            let plan = read_plan(spool, block)?;
            for f in owed(spool, block, &plan) {
                tickets.push(Ticket::new(f.queue, f.key, &self.protocol, f.inputs, self.max_attempts));
            }
        }
        let enqueued = spool.enqueue_many(&tickets)?;
        Ok(enqueued.iter().filter(|e| matches!(e, frispool_spool::Enqueued::New)).count())
    }
}
