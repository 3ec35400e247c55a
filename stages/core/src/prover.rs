//! The one place every frispool circuit proves, and the seam where a proving backend plugs in.
//!
//! Basic circuits, aggregation circuits and compression layers all prove through [`prove`], which hands
//! the witness to a [`ProvingBackend`]. The CPU backend is plonky2's own prover; a GPU backend
//! (`stages/gpu`, whose `frispool_gpu::prove` commits through a `CommitBackend`) implements the same trait
//! and is chosen with `--backend` (`frispool_pipeline::Backend`). Every circuit starts on
//! [`cpu_backend`]; `ProtocolKeys::use_backend` switches all of them at once.
//!
//! plonky2 reports some unsatisfiable witnesses as errors (conflicting copy constraints) but panics on
//! others (a bit decomposition inside an in-circuit verifier whose inner proof does not verify). A worker
//! must turn a bad job into a failed ticket, never a crash, so [`prove`] turns both into [`ProveError`].

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use plonky2::field::types::Field;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::witness::{PartialWitness, PartitionWitness, Witness};
use plonky2::plonk::circuit_data::{CircuitData, CommonCircuitData, ProverOnlyCircuitData};
use plonky2::plonk::config::Hasher;
use plonky2::util::serialization::{Buffer, Read};
use plonky2::util::timing::TimingTree;

use crate::{Proof, WitnessVector, C, D, F};

/// What a backend's failure is: plonky2's own errors arrive as `anyhow::Error`, a GPU backend's as its own
/// type; boxed, either stays a real `source()`.
pub type BackendError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A proving backend: from a circuit's prover data and a partial witness to a proof that plonky2's verifier
/// accepts under the circuit's verifier key.
///
/// The backend computes the full witness itself ([`crate::generate_witness`]: plonky2's `generate_partial_witness`, step 1 of
/// `prove_with_partition_witness`), so a backend that runs the witness-vector generator elsewhere can take
/// it from there. With zero knowledge off (frispool's configuration) a correct backend yields the CPU
/// backend's bytes exactly: both feed the challenger the same values.
pub trait ProvingBackend: Send + Sync {
    /// `cpu`, `gpu`: for logs and error messages.
    fn name(&self) -> &'static str;

    fn prove(
        &self,
        prover: &ProverOnlyCircuitData<F, C, D>,
        common: &CommonCircuitData<F, D>,
        witness: PartialWitness<F>,
    ) -> Result<Proof, BackendError> {
        // A backend that only proves vectors: the witness is computed here, then proven as a vector.
        let vector = WitnessVector::generate(prover, common, witness)?;
        self.prove_vector(prover, common, &vector)
    }

    /// Proves from a witness vector computed elsewhere (a witness-vector generator): the same proof as
    /// [`Self::prove`] on the inputs the vector was generated from. The vector is checked against the
    /// circuit first.
    fn prove_vector(
        &self,
        prover: &ProverOnlyCircuitData<F, C, D>,
        common: &CommonCircuitData<F, D>,
        vector: &WitnessVector,
    ) -> Result<Proof, BackendError>;

    /// How long a device was held by this backend's work so far (for utilisation reports); `None` for a
    /// backend without a device.
    fn device_busy(&self) -> Option<std::time::Duration> {
        None
    }

    /// Where this backend's proving time went so far, step by step, summed over its proofs (one line for a
    /// process's exit report); `None` for a backend that does not time its steps.
    fn step_summary(&self) -> Option<String> {
        None
    }

    /// Whether this backend holds the setup data of the circuit of `circuit_digest` already (a GPU: its
    /// constants/σ rows on the device), so a job of that circuit starts without uploading them: the prover
    /// stage prefers such jobs when it claims. `false` for a backend with nothing to hold.
    fn holds_setup(&self, _circuit_digest: &plonky2::hash::hash_types::HashOut<F>) -> bool {
        false
    }
}

/// A backend shared by every circuit of a process.
pub type SharedBackend = Arc<dyn ProvingBackend>;

/// plonky2's prover on the CPU (rayon: the caller's thread pool), with a reproducible witness: on one
/// thread, one witness always gives the same proof bytes (see [`fix_random_wires`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuProver;

/// plonky2 fills the unused wires of the public-input gate from the OS's random source
/// (`RandomValueGenerator`, so that a rare division by zero in the permutation argument is not the same on a
/// retry), which makes two proofs of one witness differ in every byte. With zero knowledge off they hide
/// nothing, and any value satisfies the circuit (no constraint reads them), so they are set here to a hash of
/// the public inputs and the wire's index instead: proofs become a function of the witness. Together with a
/// one-thread rayon pool (plonky2's proof of work keeps whichever thread finds a nonce first) that makes
/// `make prove` reproducible byte for byte. The division-by-zero chance (about degree / 2^64 per proof)
/// stays what it was; only a retry of the same witness would meet it again.
fn fix_random_wires(
    prover: &ProverOnlyCircuitData<F, C, D>,
    common: &CommonCircuitData<F, D>,
    witness: &mut PartitionWitness<'_, F>,
) -> Result<(), BackendError> {
    let public: Vec<F> = prover.public_inputs.iter().map(|t| witness.get_target(*t)).collect();
    for generator in &prover.generators {
        if generator.0.id() != "RandomValueGenerator" {
            continue;
        }
        // Its one target is what it serialises (plonky2 gives no other way to ask).
        let mut bytes = Vec::new();
        generator.0.serialize(&mut bytes, common).map_err(|e| format!("RandomValueGenerator: {e:?}"))?;
        let target = Buffer::new(&bytes).read_target().map_err(|e| format!("RandomValueGenerator: {e:?}"))?;
        let index = target.index(witness.num_wires, witness.degree);
        let mut input = public.clone();
        input.push(F::from_canonical_u64(index as u64));
        let value = PoseidonHash::hash_no_pad(&input).elements[0];
        let rep = witness.representative_map[index];
        witness.values[rep] = Some(value);
    }
    Ok(())
}

/// The full witness of `inputs` with the public-input gate's random wires fixed ([`fix_random_wires`]): what
/// every backend proves from a partial witness, and what a witness vector is made of, so that one job gives one
/// proof whichever backend or machine proves it and however often (a duplicate or retried job then writes the
/// bytes already there instead of a conflicting artifact).
pub fn reproducible_witness<'a>(
    inputs: PartialWitness<F>,
    prover: &'a ProverOnlyCircuitData<F, C, D>,
    common: &'a CommonCircuitData<F, D>,
) -> Result<PartitionWitness<'a, F>, BackendError> {
    let mut pw = crate::generate_witness(inputs, prover, common)?;
    fix_random_wires(prover, common, &mut pw)?;
    Ok(pw)
}

impl ProvingBackend for CpuProver {
    fn name(&self) -> &'static str {
        "cpu"
    }

    fn prove(
        &self,
        prover: &ProverOnlyCircuitData<F, C, D>,
        common: &CommonCircuitData<F, D>,
        witness: PartialWitness<F>,
    ) -> Result<Proof, BackendError> {
        // plonky2's `prove`, with the random wires fixed between its two steps.
        let pw = reproducible_witness(witness, prover, common)?;
        plonky2::plonk::prover::prove_with_partition_witness::<F, C, D>(prover, common, pw, &mut TimingTree::default())
            .map_err(Into::into)
    }

    fn prove_vector(
        &self,
        prover: &ProverOnlyCircuitData<F, C, D>,
        common: &CommonCircuitData<F, D>,
        vector: &WitnessVector,
    ) -> Result<Proof, BackendError> {
        vector.check_circuit(prover, common)?;
        let pw = vector.to_partition_witness(prover)?;
        plonky2::plonk::prover::prove_with_partition_witness::<F, C, D>(prover, common, pw, &mut TimingTree::default())
            .map_err(Into::into)
    }
}

/// The backend every circuit starts with.
pub fn cpu_backend() -> SharedBackend {
    Arc::new(CpuProver)
}

/// Why proving failed.
#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    /// The backend refused: plonky2 found the witness unsatisfiable, or the device failed.
    #[error(transparent)]
    Backend(BackendError),
    /// plonky2 panicked (an unsatisfiable witness it does not report as an error).
    #[error("the prover panicked: {0}")]
    Panicked(String),
}

impl ProveError {
    /// The panic of a prover (or of filling its witness), as an error.
    pub fn from_panic(payload: Box<dyn Any + Send>) -> ProveError {
        let text = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "non-string panic payload".to_string());
        ProveError::Panicked(text)
    }
}

/// Proves `witness` for the circuit `data` on `backend`, a panic turned into [`ProveError::Panicked`].
pub fn prove(
    backend: &dyn ProvingBackend,
    data: &CircuitData<F, C, D>,
    witness: PartialWitness<F>,
) -> Result<Proof, ProveError> {
    match catch_unwind(AssertUnwindSafe(|| backend.prove(&data.prover_only, &data.common, witness))) {
        Ok(proved) => proved.map_err(ProveError::Backend),
        Err(panic) => Err(ProveError::from_panic(panic)),
    }
}

thread_local! {
    static JOB: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with `job` as this thread's current job: a backend that hands work to another machine (the
/// witness-vector generator's) names what it sends by it, so the job key appears in every name and log.
pub fn with_job<T>(job: &str, f: impl FnOnce() -> T) -> T {
    let previous = JOB.with(|j| j.replace(Some(job.to_string())));
    let out = f();
    JOB.with(|j| *j.borrow_mut() = previous);
    out
}

/// The job [`with_job`] set on this thread, if any.
pub fn current_job() -> Option<String> {
    JOB.with(|j| j.borrow().clone())
}

#[cfg(test)]
mod tests {
    use plonky2::iop::witness::WitnessWrite;
    use plonky2::plonk::circuit_builder::CircuitBuilder;

    use super::*;
    use crate::circuit_config;

    #[test]
    fn one_witness_on_one_thread_gives_one_proof() {
        let mut builder = CircuitBuilder::<F, D>::new(circuit_config());
        let x = builder.add_virtual_target();
        let y = builder.mul(x, x);
        builder.register_public_input(y);
        let data = builder.build::<C>();
        let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let proofs: Vec<Vec<u8>> = (0..2)
            .map(|_| {
                let mut pw = PartialWitness::new();
                pw.set_target(x, F::from_canonical_u64(7)).unwrap();
                let proof = one_thread.install(|| prove(&CpuProver, &data, pw)).unwrap();
                data.verify(proof.clone()).unwrap();
                proof.to_bytes()
            })
            .collect();
        // Without `fix_random_wires` the public-input gate's unused wires differ (OS randomness), and so
        // does every commitment after them.
        assert!(proofs[0] == proofs[1], "two proofs of one witness differ");
    }
}
