//! The Poseidon-BN254 permutation as R1CS (ark-r1cs-std `FpVar`), the same rounds as [`poseidon_permute`].
//!
//! Cost: x⁵ is three multiplications (x², x⁴, x⁴·x); round constants and the MDS matrix are linear, so
//! free in R1CS. 8 full rounds × 4 S-boxes + 56 partial rounds × 1 = 88 S-boxes = 264 constraints.
//!
//! [`poseidon_permute`]: crate::poseidon_permute

use crate::poseidon_params::{params, FULL_ROUNDS, PARTIAL_ROUNDS, WIDTH};
use ark_bn254::Fr;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::SynthesisError;

/// The permutation's state in a circuit.
pub type PoseidonStateVar = [FpVar<Fr>; WIDTH];

/// Constraints one permutation adds (three per S-box).
pub const POSEIDON_CONSTRAINTS: usize = 3 * (FULL_ROUNDS * WIDTH + PARTIAL_ROUNDS);

/// The permutation of `state`, constrained.
pub fn poseidon_permute_var(state: &PoseidonStateVar) -> Result<PoseidonStateVar, SynthesisError> {
    let p = params();
    let half = FULL_ROUNDS / 2;
    let mut state = state.clone();
    for (round, constants) in p.round_constants.iter().enumerate() {
        for (s, c) in state.iter_mut().zip(constants) {
            *s += *c;
        }
        if round < half || round >= half + PARTIAL_ROUNDS {
            for s in state.iter_mut() {
                *s = pow5(s)?;
            }
        } else {
            state[0] = pow5(&state[0])?;
        }
        state = std::array::from_fn(|i| p.mds[i].iter().zip(&state).fold(FpVar::zero(), |acc, (m, s)| acc + s * *m));
    }
    Ok(state)
}

fn pow5(x: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    let x2 = x.square()?;
    let x4 = x2.square()?;
    Ok(x4 * x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::poseidon::poseidon_permute;
    use ark_ff::UniformRand;
    use ark_r1cs_std::alloc::AllocVar;
    use ark_r1cs_std::eq::EqGadget;
    use ark_r1cs_std::GR1CSVar;
    use ark_relations::gr1cs::ConstraintSystem;
    use ark_std::rand::SeedableRng;

    fn witness_state(cs: &ark_relations::gr1cs::ConstraintSystemRef<Fr>, v: &[Fr; WIDTH]) -> PoseidonStateVar {
        std::array::from_fn(|i| FpVar::new_witness(cs.clone(), || Ok(v[i])).unwrap())
    }

    #[test]
    fn agrees_with_the_native_permutation_on_random_states() {
        let mut rng = ark_std::rand::rngs::StdRng::seed_from_u64(4);
        for trial in 0..4 {
            let input: [Fr; WIDTH] = std::array::from_fn(|_| Fr::rand(&mut rng));
            let cs = ConstraintSystem::<Fr>::new_ref();
            let out = poseidon_permute_var(&witness_state(&cs, &input)).unwrap();
            let mut native = input;
            poseidon_permute(&mut native);
            for (o, n) in out.iter().zip(&native) {
                assert_eq!(o.value().unwrap(), *n, "trial {trial}");
            }
            assert!(cs.is_satisfied().unwrap());
            assert_eq!(cs.num_constraints(), POSEIDON_CONSTRAINTS);
        }
        assert_eq!(POSEIDON_CONSTRAINTS, 264);
    }

    #[test]
    fn a_wrong_claimed_output_is_unsatisfiable() {
        let mut rng = ark_std::rand::rngs::StdRng::seed_from_u64(5);
        let input: [Fr; WIDTH] = std::array::from_fn(|_| Fr::rand(&mut rng));
        let mut native = input;
        poseidon_permute(&mut native);
        for wrong_lane in 0..WIDTH {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let out = poseidon_permute_var(&witness_state(&cs, &input)).unwrap();
            let mut claimed = native;
            claimed[wrong_lane] += Fr::from(1u64);
            for (o, c) in out.iter().zip(&claimed) {
                o.enforce_equal(&FpVar::new_input(cs.clone(), || Ok(*c)).unwrap()).unwrap();
            }
            assert!(!cs.is_satisfied().unwrap(), "lane {wrong_lane}");
        }
    }
}
