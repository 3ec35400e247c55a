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

use plonky2::iop::witness::PartialWitness;
use plonky2::plonk::circuit_data::{CircuitData, CommonCircuitData, ProverOnlyCircuitData};
use plonky2::util::timing::TimingTree;

use crate::{Proof, WitnessVector, C, D, F};

/// What a backend's failure is: plonky2's own errors arrive as `anyhow::Error`, a GPU backend's as its own
/// type; boxed, either stays a real `source()`.
pub type BackendError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A proving backend: from a circuit's prover data and a partial witness to a proof that plonky2's verifier
/// accepts under the circuit's verifier key.
///
/// The backend computes the full witness itself (plonky2's `generate_partial_witness`, step 1 of
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
    ) -> Result<Proof, BackendError>;

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
}

/// A backend shared by every circuit of a process.
pub type SharedBackend = Arc<dyn ProvingBackend>;

/// plonky2's prover on the CPU (rayon: the caller's thread pool).
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuProver;

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
        plonky2::plonk::prover::prove::<F, C, D>(prover, common, witness, &mut TimingTree::default())
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
