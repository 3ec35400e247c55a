//! The witness generator: round 0 re-executes a block and cuts it into basic witnesses (one prove job
//! each) plus the block's aggregation plan; rounds 1–4 bundle the finished inner proofs of one group into
//! one witness, so every prove job reads exactly one input and can be replayed alone.

use frispool_aggregation::ProofId;
use frispool_circuits::{basic_witnesses, ProofWire, Registry, WitnessWire};
use frispool_core::AggregationRound;
use frispool_rollup::BlockWitness;
use frispool_spool::{Handler, JobContext, JobError, Queue, UnblockSweep};

use crate::routing::{route, PROVE};
use crate::unblock::PlanSweep;
use crate::{jobs, kinds};

/// The witness generator of one round (basic … scheduler: `routing::witness_rounds`).
pub struct WitnessStage {
    pub round: AggregationRound,
    pub protocol: String,
    pub max_attempts: u32,
    /// The protocol's circuit types: which instances a block is cut into, how job keys name them.
    pub registry: Registry,
}

impl Handler for WitnessStage {
    fn queue(&self) -> Queue {
        route(self.round).queue.clone()
    }

    fn handle(&self, job: &mut JobContext<'_>) -> Result<(), JobError> {
        match self.round {
            AggregationRound::Basic => basic(job, &self.registry),
            round => aggregation(job, round, &self.registry),
        }
    }

    fn sweeps(&self) -> Vec<Box<dyn UnblockSweep>> {
        vec![Box::new(PlanSweep {
            protocol: self.protocol.clone(),
            max_attempts: self.max_attempts,
            registry: self.registry.clone(),
        })]
    }
}

fn basic(job: &mut JobContext<'_>, registry: &Registry) -> Result<(), JobError> {
    let key = job.key().clone();
    let block: BlockWitness = job.read_input(0, kinds::BLOCK_INPUT)?;
    if block.header.number != key.block {
        return Err(JobError::permanent(
            &key,
            format!(
                "input {} holds block {}, the job is for block {}",
                job.ticket().inputs[0],
                block.header.number,
                key.block
            ),
        ));
    }
    // A block that does not re-execute is bad input: no retry makes it good. The reason names the input file;
    // its chain names the block and the transaction (an unsigned transfer, a bad signature, a broken rule).
    let input = &job.ticket().inputs[0];
    let (witnesses, plan) = basic_witnesses(registry, &block)
        .map_err(|e| JobError::permanent(&key, format!("block in {input} refused")).because(e))?;
    let mut prove_jobs = Vec::with_capacity(witnesses.len());
    for w in witnesses {
        let circuit_type = registry.type_named(&w.circuit_type).ok_or_else(|| {
            JobError::permanent(&key, format!("the registry cut an instance of unknown type {:?}", w.circuit_type))
        })?;
        let id = ProofId::Basic { circuit_type, instance: w.instance };
        let pkey = jobs::proof_key(key.block, &id);
        let out = job.write_output(&jobs::witness_name(&pkey), kinds::BASIC_WITNESS, &WitnessWire::Basic(w))?;
        prove_jobs.push((pkey, out.path));
    }
    // The plan after the witnesses: a plan names only proofs whose witnesses exist.
    job.write_output(jobs::PLAN, kinds::AGGREGATION_PLAN, &plan)?;
    for (pkey, path) in prove_jobs {
        job.follow_up(PROVE, pkey, vec![path]);
    }
    Ok(())
}

fn aggregation(job: &mut JobContext<'_>, round: AggregationRound, registry: &Registry) -> Result<(), JobError> {
    let key = job.key().clone();
    let id = jobs::proof_id(&key, registry)
        .ok_or_else(|| JobError::permanent(&key, "the job key names no aggregation proof"))?;
    if id.round() != round {
        return Err(JobError::permanent(&key, format!("a {:?} job in the {:?} witness queue", id.round(), round)));
    }
    let inputs: Vec<ProofWire> = (0..job.ticket().inputs.len())
        .map(|i| job.read_input::<ProofWire>(i, kinds::PROOF))
        .collect::<Result<_, _>>()?;
    if let Some(p) = inputs.iter().find(|p| p.block != key.block) {
        return Err(JobError::permanent(&key, format!("an input proof of {} is for block {}", p.circuit, p.block)));
    }
    let witness = WitnessWire::aggregation(id, inputs).map_err(|e| JobError::permanent(&key, e.to_string()))?;
    let out = job.write_output(&jobs::witness_name(&key), kinds::AGGREGATION_WITNESS, &witness)?;
    job.follow_up(PROVE, key, vec![out.path]);
    Ok(())
}
