//! A small real statement to wrap while the real wrapper circuit does not exist yet:
//! "I know the payload of block `number` whose digest is `digest`".
//!
//! Public inputs `[number, digest]`, as the wrapper's will be a block number and a commitment. The digest is
//! a chain `h ← (h + xᵢ + i + 1)⁵` from `h = number`: x ↦ x⁵ is a permutation of the BN254 scalar field
//! (gcd(5, r − 1) = 1), so it needs real multiplication constraints, and a different block gives a
//! different statement. It is not a hash to rely on; it only has to make the Groth16 path honest.

use ark_bn254::Fr;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

/// One block's statement and its witness.
#[derive(Clone, Debug)]
pub struct ToyBlock {
    /// The block number (public).
    pub number: u64,
    /// The block's payload (the witness); its length fixes the circuit's shape.
    pub payload: Vec<Fr>,
}

impl ToyBlock {
    /// A block whose payload is derived from its number, so two numbers give two different blocks.
    pub fn sample(number: u64, payload_len: usize) -> Self {
        let payload = (0..payload_len as u64).map(|i| Fr::from(number * 1_000_003 + i * 7 + 1)).collect();
        ToyBlock { number, payload }
    }

    /// The digest the circuit recomputes.
    pub fn digest(&self) -> Fr {
        let mut h = Fr::from(self.number);
        for (i, x) in self.payload.iter().enumerate() {
            let t = h + x + Fr::from(i as u64 + 1);
            let t2 = t * t;
            h = t2 * t2 * t;
        }
        h
    }

    /// `[number, digest]`: what the verifier is given.
    pub fn public_inputs(&self) -> Vec<Fr> {
        vec![Fr::from(self.number), self.digest()]
    }
}

impl ConstraintSynthesizer<Fr> for ToyBlock {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let digest = self.digest();
        let number = FpVar::new_input(cs.clone(), || Ok(Fr::from(self.number)))?;
        let claimed = FpVar::new_input(cs.clone(), || Ok(digest))?;
        let mut h = number;
        for (i, x) in self.payload.iter().enumerate() {
            let x = FpVar::new_witness(cs.clone(), || Ok(*x))?;
            let t = h + x + Fr::from(i as u64 + 1);
            let t2 = t.square()?;
            h = t2.square()? * t;
        }
        h.enforce_equal(&claimed)
    }
}
