//! The prover: proves one witness of any round with the keys loaded once per process (on the backend
//! `--backend` chose), publishes the proof, and unblocks the next round (idempotently: by the group's
//! deterministic key).

use frispool_circuits::{ApiError, ProtocolKeys, WitnessWire};
use std::sync::Arc;

use frispool_spool::{ClaimPreference, Handler, JobContext, JobError, JobKey, Queue, UnblockSweep};
use plonky2::hash::hash_types::HashOut;

use crate::routing::PROVE;
use crate::unblock::{self, PlanSweep};
use crate::vectors::NoProver;
use crate::{jobs, kinds};
use frispool_core::{ProveError, SharedBackend, F};

pub struct ProverStage {
    pub keys: ProtocolKeys,
    pub max_attempts: u32,
    /// The backend the keys prove on, when it may hold circuits' setup data (a GPU): the stage then prefers
    /// the jobs of circuits it holds when it claims (`Handler::claim_preference`).
    pub backend: Option<SharedBackend>,
}

/// Jobs whose circuit's setup data `backend` holds.
fn prefer_held(keys: &ProtocolKeys, backend: SharedBackend) -> ClaimPreference {
    let circuits = job_circuits(keys);
    Arc::new(move |key: &JobKey| {
        circuits
            .iter()
            .find(|(round, name, _)| *round == key.round && *name == key.circuit)
            .is_some_and(|(_, _, digest)| backend.holds_setup(digest))
    })
}

/// Every job shape the stage proves, as (round, circuit in the job key), with the digest of the circuit that
/// proves it.
fn job_circuits(keys: &ProtocolKeys) -> Vec<(u8, String, HashOut<F>)> {
    let mut names: Vec<String> = keys.registry().types().map(|t| t.name().to_string()).collect();
    names.push(jobs::ALL.to_string());
    let mut out = Vec::new();
    for round in 0..=4u8 {
        for name in &names {
            let Ok(key) = JobKey::new(0, round, name, 0, 0) else { continue };
            let data = jobs::proof_id(&key, keys.registry()).and_then(|id| keys.circuit_proving(&id));
            if let Some(data) = data {
                out.push((round, name.clone(), data.prover_only.circuit_digest));
            }
        }
    }
    out
}

impl Handler for ProverStage {
    fn queue(&self) -> Queue {
        PROVE
    }

    fn handle(&self, job: &mut JobContext<'_>) -> Result<(), JobError> {
        let key = job.key().clone();
        let id = jobs::proof_id(&key, self.keys.registry())
            .ok_or_else(|| JobError::permanent(&key, "the job key names no proof of the plan"))?;
        let out_name = jobs::proof_name(&key);
        let out_rel = job.artifact_path(&out_name);
        // A replayed job whose proof already exists (a crash after publishing): only the unblock is owed.
        let proof_exists = job.spool().artifact_exists(&out_rel);
        if !proof_exists {
            let input = job.input(0)?;
            let kind = [kinds::BASIC_WITNESS, kinds::AGGREGATION_WITNESS]
                .into_iter()
                .find(|k| k.number() == input.header.kind);
            let Some(kind) = kind else {
                let named = input
                    .kind_in(&kinds::KINDS)
                    .map(|k| k.to_string())
                    .unwrap_or_else(|_| format!("kind number {}", input.header.kind));
                return Err(JobError::permanent(
                    &key,
                    format!("input {} is a {named}, not a witness", input.path.display()),
                ));
            };
            let witness: WitnessWire = input
                .decode(kind)
                .map_err(|e| JobError::artifact(&key, format!("input {} refused", job.ticket().inputs[0]), e))?;
            drop(input);
            let label = key.to_string();
            let proof = job
                .pool()
                .install(|| frispool_core::with_job(&label, || self.keys.prove(&witness)))
                .map_err(|e| api_error(&key, e))?;
            if proof.block != key.block {
                return Err(JobError::permanent(
                    &key,
                    format!("the witness proves block {}, not {}", proof.block, key.block),
                ));
            }
            job.write_output(&out_name, kinds::PROOF, &proof)?;
        }
        let plan = unblock::read_plan(job.spool(), key.block, self.keys.registry())
            .map_err(|e| JobError::retryable(&key, "cannot read the block's plan").because(e))?;
        if let Some(f) = unblock::after_proof(job.spool(), key.block, &plan, &id) {
            job.follow_up(f.queue, f.key, f.inputs);
        }
        Ok(())
    }

    fn claim_preference(&self) -> Option<ClaimPreference> {
        Some(prefer_held(&self.keys, self.backend.clone()?))
    }

    fn sweeps(&self) -> Vec<Box<dyn UnblockSweep>> {
        vec![Box::new(PlanSweep {
            protocol: self.keys.version().to_string(),
            max_attempts: self.max_attempts,
            registry: self.keys.registry().clone(),
        })]
    }
}

/// Bad witnesses and foreign proofs never prove on a retry: they fail at once, with the reason. A witness
/// vector no GPU prover took (`frispool-wvg` with every prover gone) is not the job's fault: it is retried.
fn api_error(key: &JobKey, e: ApiError) -> JobError {
    if no_prover_in(&e) {
        return JobError::retryable(key, "no GPU prover took the witness vector").because(e);
    }
    JobError::permanent(key, "proving refused").because(e)
}

/// Whether a [`NoProver`] is in `e`'s chain. A backend's error sits inside `ProveError::Backend`, whose
/// `source()` is transparent, so the backend error itself is looked at there.
fn no_prover_in(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if e.is::<NoProver>() {
            return true;
        }
        if let Some(ProveError::Backend(inner)) = e.downcast_ref::<ProveError>() {
            if inner.is::<NoProver>() {
                return true;
            }
        }
        next = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A backend that holds one circuit's setup and proves nothing.
    struct Holds(HashOut<F>);

    impl frispool_core::ProvingBackend for Holds {
        fn name(&self) -> &'static str {
            "holds"
        }
        fn prove_vector(
            &self,
            _: &plonky2::plonk::circuit_data::ProverOnlyCircuitData<F, frispool_core::C, { frispool_core::D }>,
            _: &plonky2::plonk::circuit_data::CommonCircuitData<F, { frispool_core::D }>,
            _: &frispool_core::WitnessVector,
        ) -> Result<frispool_core::Proof, frispool_core::BackendError> {
            Err("proves nothing".into())
        }
        fn holds_setup(&self, digest: &HashOut<F>) -> bool {
            *digest == self.0
        }
    }

    #[test]
    fn the_stage_prefers_the_jobs_of_circuits_whose_setup_its_backend_holds() {
        let (keys, _) = crate::keystore::tests::keygen();
        let digest = |name: &str| keys.circuit(name).unwrap().prover_only.circuit_digest;
        let shapes = job_circuits(keys);
        // Every round's jobs, for every type and for the whole block, each with the circuit that proves it.
        let want = [
            (0, "main", digest("main")),
            (1, "main", digest("leaf-main")),
            (2, "main", digest("node")),
            (3, "all", digest("tip")),
            (4, "all", digest("scheduler")),
        ];
        for (round, name, d) in want {
            assert!(shapes.contains(&(round, name.to_string(), d)), "round {round} {name}: {shapes:?}");
        }
        let prefer = prefer_held(keys, Arc::new(Holds(digest("leaf-main"))));
        let key = |k: &str| k.parse::<JobKey>().unwrap();
        assert!(prefer(&key("b00000007.r1.main.d0.g0003")));
        assert!(!prefer(&key("b00000007.r0.main.d0.g0003")));
        assert!(!prefer(&key("b00000007.r3.all.d0.g0000")));
        assert!(!prefer(&key("b00000007.r1.nosuch.d0.g0000")), "a circuit type the keys do not know");
    }
    use frispool_aggregation::AggError;
    use frispool_spool::Disposition;

    fn proving_failed(backend: frispool_core::BackendError) -> ApiError {
        let inner = AggError::Prove { circuit: "leaf", source: Box::new(ProveError::Backend(backend)) };
        ApiError::Prove { circuit: "leaf-main".into(), source: Box::new(inner) }
    }

    #[test]
    fn no_gpu_prover_is_a_retry_and_a_refused_vector_a_failure() {
        let key: JobKey = "b00000001.r1.main.d0.g0000".parse().unwrap();
        let gone = NoProver { job: key.to_string(), waited: std::time::Duration::from_secs(1), last: None };
        assert_eq!(api_error(&key, proving_failed(Box::new(gone))).disposition, Disposition::Retry);
        let refused = crate::vectors::VectorRefused { job: key.to_string(), reason: "bad vector".into() };
        assert_eq!(api_error(&key, proving_failed(Box::new(refused))).disposition, Disposition::Permanent);
    }
}
