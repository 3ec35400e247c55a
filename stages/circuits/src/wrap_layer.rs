//! The wrap-ready layer: one more plonky2 layer after the final proof, whose Merkle trees and transcript use
//! Poseidon over BN254 ([`PoseidonBn254GoldilocksConfig`]) so that the BN254 wrapper (`frispool-wrap`'s R1CS
//! verifier, then Groth16) hashes natively.
//!
//! It verifies the final proof (under the Goldilocks configuration `C`; that proof stays the pipeline's
//! `final.proof`) with the final circuit's verifier key as a constant, and re-exposes its public inputs
//! unchanged (`block ‖ commitment`). It is not part of [`crate::ProtocolKeys`] (nor of the protocol version):
//! it is derived from the final circuit whenever the wrapper is used, so keygen without `--wrapper` stays as
//! fast as before.
//!
//! Tuned for the wrapper, whose cost is per query and per opened value:
//! - **FRI**: rate 2^-[`WRAP_RATE_BITS`], [`WRAP_QUERY_ROUNDS`] queries, [`WRAP_POW_BITS`] proof-of-work bits:
//!   4·21 + 16 = **100 conjectured bits**, the level of every other circuit (CIRCUITS.md). A higher rate saves
//!   queries in R1CS (rate 2^-6 needs 14) but multiplies the native BN254 hashing of the LDE (2^(12 + rate)
//!   leaves per tree), which dominates this layer's proving time: at rate 2^-6 building the layer alone took
//!   114 s on the 2-core VM (its constants/sigmas tree), its dummy proof more than 4 minutes.
//! - **Cap height 4**: each Merkle path is 4 hashes shorter, for 16 cap digests observed once.
//! - **3 challenges**, as every circuit (the permutation argument at n = 2^12 with 80 routed wires gives
//!   45.7 bits per challenge: 137 with three).
//! - **Gates**: plonky2's recursion gates, every one of which the wrapper verifies (its crate doc lists them).

use frispool_core::{ProveError, C, D, F};
use frispool_wrap::PoseidonBn254GoldilocksConfig;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::{CircuitConfig, CircuitData, CommonCircuitData, VerifierOnlyCircuitData};
use plonky2::plonk::proof::{ProofWithPublicInputs, ProofWithPublicInputsTarget};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::CircuitError;

/// The wrap-ready layer's hash configuration.
pub type WrapC = PoseidonBn254GoldilocksConfig;
/// A proof of the wrap-ready layer.
pub type WrapProof = ProofWithPublicInputs<F, WrapC, D>;

// The final layer's FRI parameters: the same 100-bit trade-off (module comment), one definition.
pub const WRAP_RATE_BITS: usize = crate::compress::FINAL_RATE_BITS;
pub const WRAP_QUERY_ROUNDS: usize = crate::compress::FINAL_QUERY_ROUNDS;
pub const WRAP_POW_BITS: u32 = crate::compress::FINAL_POW_BITS;

/// The configuration of the wrap-ready layer (see the module comment): the final layer's.
pub fn wrap_config() -> CircuitConfig {
    crate::compress::final_config()
}

/// The wrap-ready circuit over one inner circuit (the protocol's final circuit, or a test's).
pub struct WrapLayer {
    data: CircuitData<F, WrapC, D>,
    proof: ProofWithPublicInputsTarget<D>,
}

impl WrapLayer {
    /// Builds the layer over `inner` (deterministic: its verifier key is a function of `inner`'s).
    pub fn build(inner_common: &CommonCircuitData<F, D>, inner_verifier: &VerifierOnlyCircuitData<C, D>) -> Self {
        Self::build_with(wrap_config(), inner_common, inner_verifier)
    }

    /// As [`Self::build`] with another configuration: tests use a smaller one (fewer queries) to keep the
    /// wrapper's R1CS small enough for CI.
    pub fn build_with(
        config: CircuitConfig,
        inner_common: &CommonCircuitData<F, D>,
        inner_verifier: &VerifierOnlyCircuitData<C, D>,
    ) -> Self {
        let mut b = CircuitBuilder::<F, D>::new(config);
        let proof = b.add_virtual_proof_with_pis(inner_common);
        let vd = b.constant_verifier_data(inner_verifier);
        b.verify_proof::<C>(&proof, &vd, inner_common);
        b.register_public_inputs(&proof.public_inputs);
        WrapLayer { data: b.build::<WrapC>(), proof }
    }

    /// The layer's circuit: its common data and verifier key are what the wrapper bakes in.
    pub fn circuit(&self) -> &CircuitData<F, WrapC, D> {
        &self.data
    }

    /// Proves that `inner` verifies (a panic of plonky2's on an unsatisfiable witness becomes an error), and
    /// checks the proof before returning it: the Groth16 prover after it would only fail later and less
    /// clearly.
    pub fn prove(&self, inner: &ProofWithPublicInputs<F, C, D>) -> Result<WrapProof, CircuitError> {
        let mut pw = PartialWitness::new();
        pw.set_proof_with_pis_target(&self.proof, inner).map_err(|e| CircuitError::Witness(e.into()))?;
        let proof = match catch_unwind(AssertUnwindSafe(|| self.data.prove(pw))) {
            Ok(proved) => proved.map_err(|e| CircuitError::Prove(ProveError::Backend(e.into())))?,
            Err(panic) => return Err(CircuitError::Prove(ProveError::from_panic(panic))),
        };
        self.data.verify(proof.clone()).map_err(|e| CircuitError::Verify(e.into()))?;
        Ok(proof)
    }

    /// A proof with this circuit's shape (of plonky2's dummy circuit with the same common data): what a
    /// Groth16 setup reads, since the R1CS depends on the shape only.
    pub fn shape_proof(&self) -> Result<WrapProof, CircuitError> {
        let common = &self.data.common;
        let dummy = catch_unwind(AssertUnwindSafe(|| {
            let circuit = plonky2::recursion::dummy_circuit::dummy_circuit::<F, WrapC, D>(common);
            plonky2::recursion::dummy_circuit::dummy_proof::<F, WrapC, D>(&circuit, Default::default())
        }));
        match dummy {
            Ok(proved) => proved.map_err(|e| CircuitError::Prove(ProveError::Backend(e.into()))),
            Err(panic) => Err(CircuitError::Prove(ProveError::from_panic(panic))),
        }
    }
}
