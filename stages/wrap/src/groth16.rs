//! Groth16 over BN254 (ark-groth16): a circuit-specific setup, proving, verifying, proof bytes.
//!
//! Groth16 because its proof is three points (128 bytes compressed) and its EVM check is four pairings —
//! the smallest and cheapest L1 verifier there is — and arkworks is the maintained Rust implementation. The
//! price is a setup per circuit, which a ceremony must replace (see [`local_setup`]).

use crate::error::WrapError;
use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, Proof, ProvingKey, VerifyingKey};
use ark_relations::gr1cs::ConstraintSynthesizer;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_snark::SNARK;
use ark_std::rand::{CryptoRng, RngCore, SeedableRng};

/// The two keys of a circuit-specific setup.
#[derive(Clone, Debug)]
pub struct Groth16Keys {
    pub proving_key: ProvingKey<Bn254>,
    pub verifying_key: VerifyingKey<Bn254>,
}

/// A setup run here from a seed: whoever knows the seed knows the toxic waste and can forge proofs.
/// For tests only. A production key comes from a ceremony (a phase-2 MPC over this circuit), whose output
/// takes the place of [`Groth16Keys`]; nothing else in this crate changes.
pub fn local_setup<C: ConstraintSynthesizer<Fr>>(circuit: C, seed: u64) -> Result<Groth16Keys, WrapError> {
    let mut rng = ark_std::rand::rngs::StdRng::seed_from_u64(seed);
    let (proving_key, verifying_key) = Groth16::<Bn254>::circuit_specific_setup(circuit, &mut rng)?;
    Ok(Groth16Keys { proving_key, verifying_key })
}

/// A setup with randomness from `rng` (the OS's, for `frispool keygen --wrapper`): the toxic waste lives only
/// in this process's memory while it runs, so the key is still a test key — whoever controlled this machine
/// then could have kept it. A production key comes from a ceremony, as for [`local_setup`].
pub fn setup_with_rng<C, R>(circuit: C, rng: &mut R) -> Result<Groth16Keys, WrapError>
where
    C: ConstraintSynthesizer<Fr>,
    R: RngCore + CryptoRng,
{
    let (proving_key, verifying_key) = Groth16::<Bn254>::circuit_specific_setup(circuit, rng)?;
    Ok(Groth16Keys { proving_key, verifying_key })
}

/// Proves `circuit` (which carries its witness) under `pk`. The randomness makes the proof zero-knowledge.
pub fn prove<C, R>(pk: &ProvingKey<Bn254>, circuit: C, rng: &mut R) -> Result<Proof<Bn254>, WrapError>
where
    C: ConstraintSynthesizer<Fr>,
    R: RngCore + CryptoRng,
{
    Ok(Groth16::<Bn254>::prove(pk, circuit, rng)?)
}

/// Whether `proof` proves `inputs` under `vk`. A wrong number of inputs is an error, not a `false`:
/// it means the caller holds the wrong key, not that the prover lied.
pub fn verify(vk: &VerifyingKey<Bn254>, inputs: &[Fr], proof: &Proof<Bn254>) -> Result<bool, WrapError> {
    let expected = vk.gamma_abc_g1.len() - 1;
    if inputs.len() != expected {
        return Err(WrapError::PublicInputCount { expected, actual: inputs.len() });
    }
    Ok(Groth16::<Bn254>::verify(vk, inputs, proof)?)
}

/// The proof in arkworks' compressed form: 128 bytes (A and C 32 each, B 64).
pub fn proof_to_bytes(proof: &Proof<Bn254>) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(proof.compressed_size());
    proof.serialize_compressed(&mut bytes).expect("writing to a Vec cannot fail");
    bytes
}

/// Reads a compressed proof, checking that every point is on its curve and in the prime-order subgroup.
pub fn proof_from_bytes(bytes: &[u8]) -> Result<Proof<Bn254>, WrapError> {
    Ok(Proof::deserialize_compressed(bytes)?)
}
