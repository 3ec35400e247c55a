//! plonky2's Fiat–Shamir challenger under [`PoseidonBn254Hash`], in R1CS: the wrapper must draw the same
//! challenges (β, γ, α, ζ, FRI folding, query indices) the last layer's prover drew.
//!
//! It mirrors `plonky2::iop::challenger::Challenger` step by step — an input buffer that duplexes when full
//! (8 elements), an output buffer that `get_challenge` pops from the end — over the
//! [`PoseidonBn254Permutation`]: 12 Goldilocks elements packed into 4 lanes, Poseidon-BN254, and each lane's
//! low 192 bits read back as three 64-bit limbs reduced mod p.
//!
//! Reading a lane's bits uses ark's canonical decomposition (bits below the BN254 modulus): with a
//! non-unique one, a prover could pick `lane + r`'s bits and steer every challenge.
//!
//! [`PoseidonBn254Hash`]: crate::PoseidonBn254Hash
//! [`PoseidonBn254Permutation`]: crate::PoseidonBn254Permutation

use crate::goldilocks_ext_gadget::GoldilocksExtVar;
use crate::goldilocks_gadget::GoldilocksVar;
use crate::hasher_gadget::pack_var;
use crate::poseidon_gadget::poseidon_permute_var;
use ark_bn254::Fr;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::convert::ToBitsGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::SynthesisError;

const RATE: usize = 8;
const WIDTH: usize = 12;
/// A digest is observed as five 56-bit limbs (`Bn254HashOut::to_vec`).
const DIGEST_LIMB_BITS: usize = 56;

/// The challenger's state in a circuit.
#[derive(Clone, Debug)]
pub struct ChallengerVar {
    state: Vec<GoldilocksVar>,
    input: Vec<GoldilocksVar>,
    output: Vec<GoldilocksVar>,
}

impl Default for ChallengerVar {
    fn default() -> Self {
        Self::new()
    }
}

impl ChallengerVar {
    /// The empty transcript: an all-zero state.
    pub fn new() -> Self {
        ChallengerVar { state: vec![GoldilocksVar::constant(0); WIDTH], input: Vec::new(), output: Vec::new() }
    }

    /// Absorbs one element.
    pub fn observe_element(&mut self, element: &GoldilocksVar) -> Result<(), SynthesisError> {
        self.output.clear();
        self.input.push(element.clone());
        if self.input.len() == RATE {
            self.duplex()?;
        }
        Ok(())
    }

    /// Absorbs elements in order.
    pub fn observe_elements(&mut self, elements: &[GoldilocksVar]) -> Result<(), SynthesisError> {
        elements.iter().try_for_each(|e| self.observe_element(e))
    }

    /// Absorbs an extension element as its two coordinates.
    pub fn observe_extension_element(&mut self, element: &GoldilocksExtVar) -> Result<(), SynthesisError> {
        self.observe_elements(&element.0)
    }

    /// Absorbs a Poseidon-BN254 digest as its five 56-bit limbs.
    pub fn observe_hash(&mut self, digest: &FpVar<Fr>) -> Result<(), SynthesisError> {
        let bits = digest.to_bits_le()?;
        let limbs: Vec<GoldilocksVar> = bits
            .chunks(DIGEST_LIMB_BITS)
            .map(|chunk| GoldilocksVar::from_bounded(recompose(chunk), (1u64 << chunk.len()) - 1))
            .collect();
        self.observe_elements(&limbs)
    }

    /// One challenge.
    pub fn get_challenge(&mut self) -> Result<GoldilocksVar, SynthesisError> {
        if !self.input.is_empty() || self.output.is_empty() {
            self.duplex()?;
        }
        Ok(self.output.pop().expect("a duplexing fills the output buffer"))
    }

    /// One challenge in the extension: two base-field challenges, in order.
    pub fn get_extension_challenge(&mut self) -> Result<GoldilocksExtVar, SynthesisError> {
        Ok(GoldilocksExtVar([self.get_challenge()?, self.get_challenge()?]))
    }

    fn duplex(&mut self) -> Result<(), SynthesisError> {
        for (slot, e) in self.state.iter_mut().zip(self.input.drain(..)) {
            *slot = e;
        }
        let lanes = [0, 1, 2, 3].map(|i| pack_var(&self.state[3 * i..3 * i + 3]));
        let [l0, l1, l2, l3] = lanes;
        let permuted = poseidon_permute_var(&[l0?, l1?, l2?, l3?])?;
        let mut state = Vec::with_capacity(WIDTH);
        for lane in &permuted {
            let bits = lane.to_bits_le()?;
            for limb in bits[..192].chunks(64) {
                // A 64-bit limb may be ≥ p: reduced, as `from_noncanonical_u64` does natively.
                state.push(GoldilocksVar::from_bounded(recompose(limb), u64::MAX).reduce()?);
            }
        }
        self.state = state;
        self.output = self.state[..RATE].to_vec();
        Ok(())
    }
}

fn recompose(bits: &[Boolean<Fr>]) -> FpVar<Fr> {
    let mut acc = FpVar::zero();
    let mut coeff = Fr::from(1u64);
    for bit in bits {
        acc += FpVar::from(bit.clone()) * coeff;
        coeff = coeff + coeff;
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plonky2_hasher::PoseidonBn254Hash;
    use ark_r1cs_std::alloc::AllocVar;
    use ark_relations::gr1cs::{ConstraintSystem, ConstraintSystemRef};
    use plonky2::field::extension::quadratic::QuadraticExtension;
    use plonky2::field::goldilocks_field::GoldilocksField as F;
    use plonky2::field::types::{Field, PrimeField64};
    use plonky2::iop::challenger::Challenger;
    use plonky2::plonk::config::Hasher;

    fn gl(cs: &ConstraintSystemRef<Fr>, x: F) -> GoldilocksVar {
        GoldilocksVar::new_witness(cs.clone(), Some(x.to_canonical_u64())).unwrap()
    }

    /// The same transcript natively and in R1CS; returns the R1CS system and the challenges of both.
    fn transcript(cs: &ConstraintSystemRef<Fr>) -> (Vec<F>, Vec<GoldilocksVar>) {
        let mut native = Challenger::<F, PoseidonBn254Hash>::new();
        let mut circuit = ChallengerVar::new();
        let (mut expected, mut got) = (Vec::new(), Vec::new());
        let elements: Vec<F> = (0..11u64).map(|i| F::from_noncanonical_u64(u64::MAX - i * 0x1234_5678_9abc)).collect();
        let digest = <PoseidonBn254Hash as Hasher<F>>::hash_no_pad(&elements);

        native.observe_elements(&elements);
        let vars: Vec<_> = elements.iter().map(|e| gl(cs, *e)).collect();
        circuit.observe_elements(&vars).unwrap();
        native.observe_hash::<PoseidonBn254Hash>(digest);
        circuit.observe_hash(&FpVar::new_witness(cs.clone(), || Ok(digest.to_fr())).unwrap()).unwrap();
        for _ in 0..3 {
            expected.push(native.get_challenge());
            got.push(circuit.get_challenge().unwrap());
        }
        let ext: QuadraticExtension<F> = native.get_extension_challenge::<2>();
        expected.extend(ext.0);
        got.extend(circuit.get_extension_challenge().unwrap().0);
        // More than a rate's worth of challenges in a row: the output buffer empties and refills.
        for _ in 0..10 {
            expected.push(native.get_challenge());
            got.push(circuit.get_challenge().unwrap());
        }
        native.observe_element(F::NEG_ONE);
        circuit.observe_element(&gl(cs, F::NEG_ONE)).unwrap();
        expected.push(native.get_challenge());
        got.push(circuit.get_challenge().unwrap());
        (expected, got)
    }

    #[test]
    fn draws_plonky2s_challenges() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let (expected, got) = transcript(&cs);
        for (i, (e, g)) in expected.iter().zip(&got).enumerate() {
            assert_eq!(g.value().unwrap(), e.to_canonical_u64(), "challenge {i}");
        }
        assert!(cs.is_satisfied().unwrap());
        // One duplexing on its own: 4 lanes decomposed, 12 limbs reduced, one permutation.
        let cs1 = ConstraintSystem::<Fr>::new_ref();
        let mut one = ChallengerVar::new();
        one.observe_element(&gl(&cs1, F::ONE)).unwrap();
        let before = cs1.num_constraints();
        one.get_challenge().unwrap();
        eprintln!("challenger duplexing: {} constraints", cs1.num_constraints() - before);
        eprintln!(
            "challenger transcript (11 elements, a digest, 16 challenges; 4 duplexings): {} constraints",
            cs.num_constraints()
        );
    }

    #[test]
    fn claiming_another_challenge_is_unsatisfiable() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let (expected, got) = transcript(&cs);
        let claimed = gl(&cs, expected[2] + F::ONE);
        got[2].enforce_equal(&claimed).unwrap();
        assert!(!cs.is_satisfied().unwrap());
    }
}
