//! The compressor: the scheduler proof through the compression layers to the final proof, then — when the
//! wrapper keys exist (`frispool keygen --wrapper`) — the BN254 SNARK of the final proof (the wrap-ready
//! layer, then Groth16), then the submission job (the routing table's next round), whose inputs are the
//! final proof and the SNARK.

use frispool_circuits::{FinalProofWire, ProofWire, ProtocolKeys, SnarkProver, SnarkVerifier};
use frispool_core::AggregationRound::Compress;
use frispool_spool::{read_artifact, Handler, JobContext, JobError, Queue};

use crate::routing::route;
use crate::unblock::next_block_job;
use crate::{jobs, kinds};

pub struct CompressorStage {
    pub keys: ProtocolKeys,
    /// The SNARK prover, when the wrapper keys are in the keys folder.
    pub snark: Option<SnarkProver>,
}

impl Handler for CompressorStage {
    fn queue(&self) -> Queue {
        route(Compress).queue.clone()
    }

    fn handle(&self, job: &mut JobContext<'_>) -> Result<(), JobError> {
        let key = job.key().clone();
        let out_rel = job.artifact_path(jobs::FINAL);
        let mut final_proof: Option<FinalProofWire> = None;
        if !job.spool().artifact_exists(&out_rel) {
            let scheduler: ProofWire = job.read_input(0, kinds::PROOF)?;
            if scheduler.block != key.block {
                return Err(JobError::permanent(&key, format!("the scheduler proof is for block {}", scheduler.block)));
            }
            let compressed = job
                .pool()
                .install(|| self.keys.compress(&scheduler))
                .map_err(|e| JobError::permanent(&key, "compression refused").because(e))?;
            job.write_output(jobs::FINAL, kinds::FINAL_PROOF, &compressed)?;
            final_proof = Some(compressed);
        }
        let mut inputs = vec![out_rel.clone()];
        if let Some(snark) = &self.snark {
            let snark_rel = job.artifact_path(jobs::SNARK);
            if !job.spool().artifact_exists(&snark_rel) {
                let final_proof = match final_proof {
                    Some(p) => p,
                    None => {
                        let path = job
                            .spool()
                            .resolve(&out_rel)
                            .map_err(|e| JobError::permanent(&key, format!("{out_rel} for the SNARK")).because(e))?;
                        read_artifact(&path, kinds::FINAL_PROOF)
                            .map_err(|e| JobError::artifact(&key, format!("{out_rel} refused for the SNARK"), e))?
                    }
                };
                let wire = job
                    .pool()
                    .install(|| snark.prove(&final_proof))
                    .map_err(|e| JobError::permanent(&key, format!("the SNARK of {out_rel}")).because(e))?;
                // Checked before it is published: an imported key that is not this wrapper's shows here.
                let verifier = SnarkVerifier { key: snark.proving_key.vk.clone() };
                verifier.verify_inputs(&wire, &wire.public_inputs()).map_err(|e| {
                    JobError::permanent(&key, format!("the SNARK of {out_rel} does not verify")).because(e)
                })?;
                job.write_output(jobs::SNARK, kinds::FINAL_SNARK, &wire)?;
            }
            inputs.push(snark_rel);
        }
        if let Some(mut f) = next_block_job(key.block, Compress, out_rel) {
            f.inputs = inputs;
            job.follow_up(f.queue, f.key, f.inputs);
        }
        Ok(())
    }
}
