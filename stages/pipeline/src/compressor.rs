//! The compressor: the scheduler proof through the compression layers to the final proof, then the
//! submission job. The BN254 wrap lands here as one more step after `ProtocolKeys::compress`.

use frispool_circuits::{ProofWire, ProtocolKeys};
use frispool_spool::{ArtifactKind, Handler, JobContext, JobError, Queue};

use crate::jobs;

pub struct CompressorStage {
    pub keys: ProtocolKeys,
}

impl Handler for CompressorStage {
    fn queue(&self) -> Queue {
        Queue::Compress
    }

    fn handle(&self, job: &mut JobContext<'_>) -> Result<(), JobError> {
        let key = job.key().clone();
        let out_rel = job.artifact_path(jobs::FINAL);
        if !job.spool().artifact_exists(&out_rel) {
            let scheduler: ProofWire = job.read_input(0, ArtifactKind::Proof)?;
            if scheduler.block != key.block {
                return Err(JobError::permanent(&key, format!("the scheduler proof is for block {}", scheduler.block)));
            }
            let final_proof = job
                .pool()
                .install(|| self.keys.compress(&scheduler))
                .map_err(|e| JobError::permanent(&key, "compression refused").because(e))?;
            job.write_output(jobs::FINAL, ArtifactKind::FinalProof, &final_proof)?;
        }
        job.follow_up(Queue::Submit, jobs::submit_key(key.block), vec![out_rel]);
        Ok(())
    }
}
