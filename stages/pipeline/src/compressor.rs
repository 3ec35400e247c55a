//! The compressor: the scheduler proof through the compression layers to the final proof, then the
//! submission job (the routing table's next round). The BN254 wrap lands here as one more step after
//! `ProtocolKeys::compress`.

use frispool_circuits::{ProofWire, ProtocolKeys};
use frispool_core::AggregationRound::Compress;
use frispool_spool::{Handler, JobContext, JobError, Queue};

use crate::routing::route;
use crate::unblock::next_block_job;
use crate::{jobs, kinds};

pub struct CompressorStage {
    pub keys: ProtocolKeys,
}

impl Handler for CompressorStage {
    fn queue(&self) -> Queue {
        route(Compress).queue.clone()
    }

    fn handle(&self, job: &mut JobContext<'_>) -> Result<(), JobError> {
        let key = job.key().clone();
        let out_rel = job.artifact_path(jobs::FINAL);
        if !job.spool().artifact_exists(&out_rel) {
            let scheduler: ProofWire = job.read_input(0, kinds::PROOF)?;
            if scheduler.block != key.block {
                return Err(JobError::permanent(&key, format!("the scheduler proof is for block {}", scheduler.block)));
            }
            let final_proof = job
                .pool()
                .install(|| self.keys.compress(&scheduler))
                .map_err(|e| JobError::permanent(&key, "compression refused").because(e))?;
            job.write_output(jobs::FINAL, kinds::FINAL_PROOF, &final_proof)?;
        }
        if let Some(f) = next_block_job(key.block, Compress, out_rel) {
            job.follow_up(f.queue, f.key, f.inputs);
        }
        Ok(())
    }
}
