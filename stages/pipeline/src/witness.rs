//! The witness generator: round 0 re-executes a block and cuts it into basic witnesses (one prove job
//! each) plus the block's aggregation plan; rounds 1–4 bundle the finished inner proofs of one group into
//! one witness, so every prove job reads exactly one input and can be replayed alone.

use frispool_aggregation::plan::{ProofId, Round};
use frispool_circuits::api::{self, WitnessWire};
use frispool_circuits::ProofWire;
use frispool_rollup::BlockWitness;
use frispool_spool::{ArtifactKind, Handler, JobContext, JobError, Queue, UnblockSweep};

use crate::jobs;
use crate::unblock::PlanSweep;

/// Which round a witness worker serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WitnessRound {
    Basic,
    Leaf,
    Node,
    Tip,
    Scheduler,
}

impl WitnessRound {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "basic" => Self::Basic,
            "leaf" => Self::Leaf,
            "node" => Self::Node,
            "tip" => Self::Tip,
            "scheduler" => Self::Scheduler,
            _ => return None,
        })
    }

    pub fn queue(self) -> Queue {
        match self {
            Self::Basic => Queue::WitnessBasic,
            Self::Leaf => Queue::WitnessLeaf,
            Self::Node => Queue::WitnessNode,
            Self::Tip => Queue::WitnessTip,
            Self::Scheduler => Queue::WitnessScheduler,
        }
    }
}

pub struct WitnessStage {
    pub round: WitnessRound,
    pub protocol: String,
    pub max_attempts: u32,
}

impl Handler for WitnessStage {
    fn queue(&self) -> Queue {
        self.round.queue()
    }

    fn handle(&self, job: &mut JobContext<'_>) -> Result<(), JobError> {
        match self.round {
            WitnessRound::Basic => basic(job),
            _ => aggregation(job, self.round),
        }
    }

    fn sweeps(&self) -> Vec<Box<dyn UnblockSweep>> {
        vec![Box::new(PlanSweep { protocol: self.protocol.clone(), max_attempts: self.max_attempts })]
    }
}

fn basic(job: &mut JobContext<'_>) -> Result<(), JobError> {
    let key = job.key().clone();
    let block: BlockWitness = job.read_input(0, ArtifactKind::BlockInput)?;
    if block.header.number != key.block {
        return Err(JobError::permanent(
            &key,
            format!("input {} holds block {}, the job is for block {}", job.ticket().inputs[0], block.header.number, key.block),
        ));
    }
    // A block that does not re-execute is bad input: no retry makes it good.
    let (chunks, plan) = api::execute(&block).map_err(|e| JobError::permanent(&key, "block refused").because(e))?;
    let mut prove_jobs = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        let id = ProofId::Basic { circuit_type: frispool_aggregation::layout::CircuitType::Main, instance: chunk.instance };
        let pkey = jobs::proof_key(key.block, &id);
        let out = job.write_output(&jobs::witness_name(&pkey), ArtifactKind::BasicWitness, &WitnessWire::Main(chunk))?;
        prove_jobs.push((pkey, out.path));
    }
    // The plan after the witnesses: a plan names only proofs whose witnesses exist.
    job.write_output(jobs::PLAN, ArtifactKind::AggregationPlan, &plan)?;
    for (pkey, path) in prove_jobs {
        job.follow_up(Queue::Prove, pkey, vec![path]);
    }
    Ok(())
}

fn aggregation(job: &mut JobContext<'_>, round: WitnessRound) -> Result<(), JobError> {
    let key = job.key().clone();
    let id = jobs::proof_id(&key)
        .ok_or_else(|| JobError::permanent(&key, "the job key names no aggregation proof"))?;
    let expected_round = match round {
        WitnessRound::Leaf => Round::Leaf,
        WitnessRound::Node => Round::Node,
        WitnessRound::Tip => Round::Tip,
        WitnessRound::Scheduler => Round::Scheduler,
        WitnessRound::Basic => unreachable!("round 0 is handled by basic()"),
    };
    if id.round() != expected_round {
        return Err(JobError::permanent(&key, format!("a {:?} job in the {:?} witness queue", id.round(), expected_round)));
    }
    let inputs: Vec<ProofWire> = (0..job.ticket().inputs.len())
        .map(|i| job.read_input::<ProofWire>(i, ArtifactKind::Proof))
        .collect::<Result<_, _>>()?;
    if let Some(p) = inputs.iter().find(|p| p.block != key.block) {
        return Err(JobError::permanent(&key, format!("an input proof of {} is for block {}", p.circuit, p.block)));
    }
    let witness = match id {
        ProofId::Leaf { circuit_type, .. } => WitnessWire::Leaf { circuit_type: circuit_type.name().into(), inputs },
        ProofId::Node { circuit_type, .. } => WitnessWire::Node { circuit_type: circuit_type.name().into(), inputs },
        ProofId::Tip => WitnessWire::Tip { inputs },
        ProofId::Scheduler => {
            let mut inputs = inputs;
            if inputs.len() != 1 {
                return Err(JobError::permanent(&key, format!("the scheduler takes 1 proof, the ticket lists {}", inputs.len())));
            }
            WitnessWire::Scheduler { input: inputs.remove(0) }
        }
        ProofId::Basic { .. } => unreachable!("checked above"),
    };
    let out = job.write_output(&jobs::witness_name(&key), ArtifactKind::AggregationWitness, &witness)?;
    job.follow_up(Queue::Prove, key, vec![out.path]);
    Ok(())
}
