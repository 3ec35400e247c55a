//! The BN254 SNARK of a final proof: the wrap-ready layer ([`WrapLayer`]) proves that the final proof
//! verifies, then Groth16 proves the wrapper's R1CS (`frispool-wrap`'s plonky2 verifier) over that layer's
//! proof. Its one public input is the Poseidon-BN254 commitment to the block's final public inputs
//! (`block ‖ commitment`), so a verifier recomputes it from its own block header and never takes it from the
//! proof.
//!
//! Split so that a small circuit can stand in for the wrap-ready layer in tests (the wrapper of the real
//! layer is millions of constraints): [`Wrapper`] is the R1CS and Groth16 over any last-layer circuit, and
//! [`SnarkProver`] chains the real wrap-ready layer in front of it.

use ark_bn254::{Bn254, Fr};
use ark_groth16::{ProvingKey, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use frispool_core::{layout, C, D, F};
use frispool_rollup::BlockHeader;
use frispool_wrap::{commit_public_inputs, Groth16Keys, Plonky2VerifierCircuit, WrapperCounts};
use plonky2::field::types::{Field, PrimeField64};
use plonky2::plonk::circuit_data::{CommonCircuitData, VerifierOnlyCircuitData};
use plonky2::plonk::proof::CompressedProofWithPublicInputs;
use serde::{Deserialize, Serialize};

use crate::api::{ApiError, FinalProofWire};
use crate::error::BoxError;
use crate::keys::FINAL;
use crate::wrap_layer::{WrapC, WrapLayer, WrapProof};

/// Version of [`SnarkWire`]; a reader refuses another.
pub const SNARK_FORMAT: u32 = 1;
/// Name of the wrapper circuit in errors and key files.
pub const WRAPPER: &str = "wrapper";

/// The SNARK of a block's final proof, as stored in `final.snark` and posted to the sequencer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnarkWire {
    pub format: u32,
    /// The protocol version of the final proof it wraps (a label: the verifier's pinned key decides).
    pub protocol: String,
    pub block: u64,
    pub commitment: [u64; 4],
    /// blake3 of the wrapper verifying key the prover used (a label, for a clear refusal).
    pub vk_digest: String,
    /// The Groth16 proof, arkworks' compressed encoding (A, B, C: 128 bytes).
    pub proof: Vec<u8>,
}

impl SnarkWire {
    /// The final public inputs this SNARK claims: `block ‖ commitment`.
    pub fn public_inputs(&self) -> Vec<F> {
        let mut pis = vec![F::from_canonical_u64(self.block)];
        pis.extend(self.commitment.iter().map(|&c| F::from_canonical_u64(c)));
        pis
    }
}

/// The final public inputs of `header`'s block: what its final proof and its SNARK must carry.
pub fn final_public_inputs(header: &BlockHeader) -> Vec<F> {
    let mut expected = vec![F::from_canonical_u64(header.number)];
    expected.extend_from_slice(&header.commitment().elements);
    expected
}

/// The Groth16 public input for final public inputs `pis`: their Poseidon-BN254 commitment, as a 32-byte
/// big-endian word (what the EVM verifier takes).
pub fn snark_input(pis: &[F]) -> Fr {
    commit_public_inputs(pis)
}

/// The wrapper over one last-layer circuit (under [`WrapC`]): its R1CS, its Groth16 setup and proofs.
#[derive(Clone)]
pub struct Wrapper {
    common: CommonCircuitData<F, D>,
    verifier: VerifierOnlyCircuitData<WrapC, D>,
}

fn prove_err(e: impl Into<BoxError>) -> ApiError {
    ApiError::Prove { circuit: WRAPPER.into(), source: e.into() }
}

impl Wrapper {
    pub fn new(common: CommonCircuitData<F, D>, verifier: VerifierOnlyCircuitData<WrapC, D>) -> Self {
        Wrapper { common, verifier }
    }

    /// The wrapper of the wrap-ready layer `layer`.
    pub fn of(layer: &WrapLayer) -> Self {
        Wrapper::new(layer.circuit().common.clone(), layer.circuit().verifier_only.clone())
    }

    fn circuit(&self, proof: WrapProof) -> Result<Plonky2VerifierCircuit, ApiError> {
        Plonky2VerifierCircuit::new(self.common.clone(), self.verifier.clone(), proof).map_err(prove_err)
    }

    /// The circuit-specific Groth16 setup, randomness from `rng`, on the R1CS of `shape`'s shape (any proof
    /// of the circuit: [`WrapLayer::shape_proof`]). For tests: the toxic waste passes through this process.
    pub fn setup<R: ark_std::rand::RngCore + ark_std::rand::CryptoRng>(
        &self,
        shape: WrapProof,
        rng: &mut R,
    ) -> Result<Groth16Keys, ApiError> {
        frispool_wrap::setup_with_rng(self.circuit(shape)?, rng).map_err(prove_err)
    }

    /// Constraint counts of the wrapper's R1CS for `proof`'s shape, per component.
    pub fn count(&self, proof: WrapProof) -> Result<WrapperCounts, ApiError> {
        let cs = ark_relations::gr1cs::ConstraintSystem::<Fr>::new_ref();
        self.circuit(proof)?.synthesize(cs).map_err(prove_err)
    }

    /// The Groth16 proof that `proof` (of the last layer) verifies, as a [`SnarkWire`] labelled with
    /// `protocol` and `vk_digest`. The proof's public inputs must be `block ‖ commitment`.
    pub fn prove(
        &self,
        pk: &ProvingKey<Bn254>,
        proof: WrapProof,
        protocol: &str,
        vk_digest: &str,
    ) -> Result<SnarkWire, ApiError> {
        let pis: Vec<u64> = proof.public_inputs.iter().map(|f| f.to_canonical_u64()).collect();
        if pis.len() != layout::scheduler::LEN {
            return Err(ApiError::Shape(format!(
                "the last layer exposes {} public inputs, a final proof has {}",
                pis.len(),
                layout::scheduler::LEN
            )));
        }
        let circuit = self.circuit(proof)?;
        let mut rng = rand::rngs::OsRng;
        let groth16 = frispool_wrap::prove(pk, circuit, &mut rng).map_err(prove_err)?;
        let mut commitment = [0u64; 4];
        commitment.copy_from_slice(&pis[layout::scheduler::COMMITMENT..layout::scheduler::COMMITMENT + 4]);
        Ok(SnarkWire {
            format: SNARK_FORMAT,
            protocol: protocol.to_string(),
            block: pis[layout::scheduler::BLOCK],
            commitment,
            vk_digest: vk_digest.to_string(),
            proof: frispool_wrap::proof_to_bytes(&groth16),
        })
    }
}

/// What the compressor holds to write SNARKs: the wrap-ready layer over the protocol's final circuit and the
/// wrapper's proving key.
pub struct SnarkProver {
    pub layer: WrapLayer,
    pub wrapper: Wrapper,
    pub proving_key: ProvingKey<Bn254>,
    /// blake3 of the verifying key (labels the SNARKs).
    pub vk_digest: String,
    final_common: CommonCircuitData<F, D>,
    final_verifier: VerifierOnlyCircuitData<C, D>,
}

impl SnarkProver {
    /// The SNARK prover over the final circuit `final_common`/`final_verifier` (the wrap-ready layer is built
    /// here: tens of seconds of BN254 hashing) with the wrapper's proving key.
    pub fn new(
        final_common: &CommonCircuitData<F, D>,
        final_verifier: &VerifierOnlyCircuitData<C, D>,
        proving_key: ProvingKey<Bn254>,
        vk_digest: String,
    ) -> Self {
        let layer = WrapLayer::build(final_common, final_verifier);
        let wrapper = Wrapper::of(&layer);
        SnarkProver {
            layer,
            wrapper,
            proving_key,
            vk_digest,
            final_common: final_common.clone(),
            final_verifier: final_verifier.clone(),
        }
    }

    /// The SNARK of a final proof: decompress, prove the wrap-ready layer, prove the wrapper.
    pub fn prove(&self, final_proof: &FinalProofWire) -> Result<SnarkWire, ApiError> {
        let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            CompressedProofWithPublicInputs::<F, C, D>::from_bytes(final_proof.proof.clone(), &self.final_common)
        }));
        let compressed = match decoded {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => return Err(ApiError::Decode { circuit: FINAL.into(), reason: e.to_string() }),
            Err(_) => return Err(ApiError::Decode { circuit: FINAL.into(), reason: "malformed proof bytes".into() }),
        };
        let inner = compressed
            .decompress(&self.final_verifier.circuit_digest, &self.final_common)
            .map_err(|e| ApiError::Decode { circuit: FINAL.into(), reason: e.to_string() })?;
        let wrapped =
            self.layer.prove(&inner).map_err(|e| ApiError::Prove { circuit: "wrap".into(), source: e.into() })?;
        self.wrapper.prove(&self.proving_key, wrapped, &final_proof.protocol, &self.vk_digest)
    }
}

/// What a verifier of SNARKs holds: the wrapper's verifying key (from an operator's pin, never from a file
/// because it is there: see `frispool_pipeline`'s trust root).
#[derive(Clone, Debug)]
pub struct SnarkVerifier {
    pub key: VerifyingKey<Bn254>,
}

/// A verifying key's bytes (arkworks, compressed): what is stored, pinned by blake3 and shown to verifiers.
pub fn verifying_key_bytes(vk: &VerifyingKey<Bn254>) -> Vec<u8> {
    let mut bytes = Vec::new();
    vk.serialize_compressed(&mut bytes).expect("writing to a Vec cannot fail");
    bytes
}

impl SnarkVerifier {
    /// The verifying key from its bytes ([`verifying_key_bytes`]); points are checked on their curves and
    /// in their subgroups. A key with other than one public input is not a wrapper key.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ApiError> {
        let key = VerifyingKey::<Bn254>::deserialize_compressed(bytes)
            .map_err(|e| ApiError::Decode { circuit: format!("{WRAPPER} verifying key"), reason: e.to_string() })?;
        if key.gamma_abc_g1.len() != 2 {
            return Err(ApiError::Shape(format!(
                "the {WRAPPER} verifying key takes {} public inputs, the wrapper has 1",
                key.gamma_abc_g1.len().saturating_sub(1)
            )));
        }
        Ok(SnarkVerifier { key })
    }

    /// Checks `snark` as the proof of `header`'s block: its labels name that block and state, and the
    /// Groth16 proof verifies with the commitment recomputed from the header (not from the SNARK) as input.
    pub fn verify(&self, snark: &SnarkWire, header: &BlockHeader) -> Result<(), ApiError> {
        let rejected = |reason: String| ApiError::Rejected { circuit: WRAPPER.into(), reason };
        if snark.format != SNARK_FORMAT {
            return Err(ApiError::Format { what: "SNARK".into(), found: snark.format });
        }
        let expected = final_public_inputs(header);
        if snark.public_inputs() != expected {
            return Err(rejected(format!(
                "the SNARK is labelled for block {} and another commitment: not a proof of block {} and its state",
                snark.block, header.number
            )));
        }
        self.verify_inputs(snark, &expected)
    }

    /// Checks the Groth16 proof of `snark` against final public inputs `pis` (no header at hand: `frispool
    /// verify` passes the SNARK's own labels, and says so).
    pub fn verify_inputs(&self, snark: &SnarkWire, pis: &[F]) -> Result<(), ApiError> {
        let rejected = |reason: String| ApiError::Rejected { circuit: WRAPPER.into(), reason };
        let proof = frispool_wrap::proof_from_bytes(&snark.proof)
            .map_err(|e| ApiError::Decode { circuit: WRAPPER.into(), reason: e.to_string() })?;
        match frispool_wrap::verify(&self.key, &[snark_input(pis)], &proof) {
            Ok(true) => Ok(()),
            Ok(false) => Err(rejected("the Groth16 proof does not verify for these public inputs".into())),
            Err(e) => Err(rejected(e.to_string())),
        }
    }
}
