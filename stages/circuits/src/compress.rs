//! Compression (round 5): from the scheduler proof to the final proof an L1 verifier checks.
//!
//! Each layer is a circuit that verifies the previous proof (its verifier key a constant) and re-exposes
//! its public inputs unchanged, so the final proof carries `block ‖ commitment` like the scheduler's.
//! The scheduler is already the minimal recursive-verifier shape (2^13 rows with three challenges), so one
//! layer suffices: a high-rate configuration (FRI rate 1/16, 21 queries, 16 proof-of-work bits: 4·21 + 16 = 100 bits of
//! conjectured security, the same as the inner layers) whose proof has fewer queries and so is smaller.
//! A scheduler that grows (more circuit types) gets a standard-configuration layer in front.
//!
//! The final proof is stored FRI-compressed (plonky2's `CompressedProofWithPublicInputs`, shared Merkle
//! paths deduplicated). The BN254 SNARK wrap comes after this as its own layer: it verifies the final proof
//! of this module, so nothing here changes when it lands.

use frispool_core::{circuit_config, cpu_backend, ProveError, SharedBackend, C, D, F};
use plonky2::fri::reduction_strategies::FriReductionStrategy;
use plonky2::fri::FriConfig;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::{CircuitConfig, CircuitData, CommonCircuitData, VerifierOnlyCircuitData};
use plonky2::plonk::proof::{CompressedProofWithPublicInputs, ProofWithPublicInputs, ProofWithPublicInputsTarget};

use crate::error::CircuitError;

/// FRI parameters of the final layer; see the module comment for the security arithmetic.
pub const FINAL_RATE_BITS: usize = 4;
pub const FINAL_QUERY_ROUNDS: usize = 21;
pub const FINAL_POW_BITS: u32 = 16;

/// Degree bits of the smallest circuit that verifies one standard-configuration proof: 2^13 since every
/// argument draws three challenges (issue 7; 2^12 with two). A front layer over a scheduler of this size
/// would itself be 2^13 and buy no smaller final circuit, only one more proof per block, so a scheduler gets
/// one only when it is larger (more circuit types).
const MINIMAL_DEGREE_BITS: usize = 13;

/// The configuration of the final compression layer.
pub fn final_config() -> CircuitConfig {
    CircuitConfig {
        fri_config: FriConfig {
            rate_bits: FINAL_RATE_BITS,
            cap_height: 4,
            proof_of_work_bits: FINAL_POW_BITS,
            reduction_strategy: FriReductionStrategy::ConstantArityBits(4, 5),
            num_query_rounds: FINAL_QUERY_ROUNDS,
        },
        ..circuit_config()
    }
}

/// One compression layer: a circuit that verifies a proof of the layer below.
struct Layer {
    data: CircuitData<F, C, D>,
    proof: ProofWithPublicInputsTarget<D>,
}

impl Layer {
    fn build(
        config: CircuitConfig,
        inner_common: &CommonCircuitData<F, D>,
        inner_verifier: &VerifierOnlyCircuitData<C, D>,
    ) -> Layer {
        let (b, proof) = Self::construct(config, inner_common, inner_verifier);
        Layer { data: b.build::<C>(), proof }
    }

    /// The layer around prover data loaded from disk: the construction only, checked to fit the data.
    fn from_data(
        config: CircuitConfig,
        inner_common: &CommonCircuitData<F, D>,
        inner_verifier: &VerifierOnlyCircuitData<C, D>,
        data: CircuitData<F, C, D>,
    ) -> Result<Layer, CircuitError> {
        let (b, proof) = Self::construct(config, inner_common, inner_verifier);
        frispool_aggregation::check_construction("compression layer", b, &data).map_err(CircuitError::from_loading)?;
        Ok(Layer { data, proof })
    }

    fn construct(
        config: CircuitConfig,
        inner_common: &CommonCircuitData<F, D>,
        inner_verifier: &VerifierOnlyCircuitData<C, D>,
    ) -> (CircuitBuilder<F, D>, ProofWithPublicInputsTarget<D>) {
        let mut b = CircuitBuilder::<F, D>::new(config);
        let proof = b.add_virtual_proof_with_pis(inner_common);
        let vd = b.constant_verifier_data(inner_verifier);
        b.verify_proof::<C>(&proof, &vd, inner_common);
        b.register_public_inputs(&proof.public_inputs);
        (b, proof)
    }

    fn prove(
        &self,
        backend: &SharedBackend,
        inner: &ProofWithPublicInputs<F, C, D>,
    ) -> Result<ProofWithPublicInputs<F, C, D>, CircuitError> {
        let mut pw = PartialWitness::new();
        pw.set_proof_with_pis_target(&self.proof, inner).map_err(|e| CircuitError::Witness(e.into()))?;
        frispool_core::prove(&**backend, &self.data, pw).map_err(CircuitError::Prove)
    }
}

/// The compression layers over one scheduler circuit.
pub struct Compressor {
    layers: Vec<Layer>,
    backend: SharedBackend,
}

impl Compressor {
    /// Builds the layers over the scheduler's circuit. Deterministic: the final verifier key is a constant
    /// of the protocol version.
    pub fn build(
        scheduler_common: &CommonCircuitData<F, D>,
        scheduler_verifier: &VerifierOnlyCircuitData<C, D>,
    ) -> Self {
        let built = Self::assemble(scheduler_common, scheduler_verifier, |_, config, common, verifier| {
            Ok::<_, CircuitError>(Layer::build(config, common, verifier))
        });
        built.expect("building a layer cannot fail")
    }

    /// How many layers a scheduler of this shape gets (the last one is the final circuit).
    pub fn layer_count(scheduler_common: &CommonCircuitData<F, D>) -> usize {
        if scheduler_common.degree_bits() > MINIMAL_DEGREE_BITS {
            2
        } else {
            1
        }
    }

    /// The layers around prover data loaded from disk: `data(i)` gives layer `i`'s (innermost first, of
    /// [`Self::layer_count`]); only the constructions run, `build` is skipped.
    pub fn from_data(
        scheduler_common: &CommonCircuitData<F, D>,
        scheduler_verifier: &VerifierOnlyCircuitData<C, D>,
        mut data: impl FnMut(usize) -> Result<CircuitData<F, C, D>, CircuitError>,
    ) -> Result<Self, CircuitError> {
        Self::assemble(scheduler_common, scheduler_verifier, |i, config, common, verifier| {
            Layer::from_data(config, common, verifier, data(i)?)
        })
    }

    /// The layer sequence, each made by `layer(index, config, inner common, inner verifier)`: one place
    /// decides how many layers and which configuration, for building and loading alike.
    fn assemble(
        scheduler_common: &CommonCircuitData<F, D>,
        scheduler_verifier: &VerifierOnlyCircuitData<C, D>,
        mut layer: impl FnMut(
            usize,
            CircuitConfig,
            &CommonCircuitData<F, D>,
            &VerifierOnlyCircuitData<C, D>,
        ) -> Result<Layer, CircuitError>,
    ) -> Result<Self, CircuitError> {
        let mut layers = Vec::new();
        if Self::layer_count(scheduler_common) > 1 {
            layers.push(layer(0, circuit_config(), scheduler_common, scheduler_verifier)?);
        }
        let (common, verifier) = match layers.last() {
            Some(l) => (&l.data.common, &l.data.verifier_only),
            None => (scheduler_common, scheduler_verifier),
        };
        let last = layer(layers.len(), final_config(), common, verifier)?;
        layers.push(last);
        Ok(Compressor { layers, backend: cpu_backend() })
    }

    /// The final circuit: its verifier data is what an L1 verifier holds.
    pub fn final_circuit(&self) -> &CircuitData<F, C, D> {
        &self.layers.last().expect("at least one layer").data
    }

    /// Every layer proves on `backend` from now on (the compressor starts on the CPU).
    pub fn use_backend(&mut self, backend: SharedBackend) {
        self.backend = backend;
    }

    /// Compresses a scheduler proof into the final proof.
    pub fn compress(
        &self,
        scheduler_proof: &ProofWithPublicInputs<F, C, D>,
    ) -> Result<CompressedProofWithPublicInputs<F, C, D>, CircuitError> {
        let mut proof = scheduler_proof.clone();
        for layer in &self.layers {
            proof = layer.prove(&self.backend, &proof)?;
        }
        let last = self.final_circuit();
        proof
            .compress(&last.verifier_only.circuit_digest, &last.common)
            .map_err(|e| CircuitError::Prove(ProveError::Backend(e.into())))
    }

    /// Every layer's circuit, innermost first; the last is the final circuit.
    pub fn layers(&self) -> Vec<&CircuitData<F, C, D>> {
        self.layers.iter().map(|l| &l.data).collect()
    }

    /// Degree bits of every layer, innermost first.
    pub fn degree_bits(&self) -> Vec<usize> {
        self.layers.iter().map(|l| l.data.common.degree_bits()).collect()
    }
}
