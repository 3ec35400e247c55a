//! Poseidon over the BN254 scalar field, natively: width 4, rate 3, 8 full + 56 partial rounds, x⁵.
//!
//! The hash of the last plonky2 layer before the wrap (plonky2x's and gnark-plonky2-verifier's choice):
//! the wrapper circuit computes it in its own field, so each permutation costs a few hundred R1CS
//! constraints instead of the tens of thousands that Goldilocks Poseidon emulated in BN254 would.
//! The textbook round structure (add constants, S-box, MDS) with circomlib's constants, which give the
//! same permutation as circomlib's and gnark's optimised forms — the tests check that on their vectors.

use crate::poseidon_params::{params, FULL_ROUNDS, PARTIAL_ROUNDS, WIDTH};
use ark_bn254::Fr;

/// The permutation's state.
pub type PoseidonState = [Fr; WIDTH];

/// Applies the permutation in place.
pub fn poseidon_permute(state: &mut PoseidonState) {
    let p = params();
    let half = FULL_ROUNDS / 2;
    for (round, constants) in p.round_constants.iter().enumerate() {
        for (s, c) in state.iter_mut().zip(constants) {
            *s += c;
        }
        if round < half || round >= half + PARTIAL_ROUNDS {
            state.iter_mut().for_each(|s| *s = pow5(*s));
        } else {
            state[0] = pow5(state[0]);
        }
        *state = mds(&p.mds, state);
    }
}

fn pow5(x: Fr) -> Fr {
    let x2 = x * x;
    x2 * x2 * x
}

fn mds(m: &[[Fr; WIDTH]; WIDTH], state: &PoseidonState) -> PoseidonState {
    std::array::from_fn(|i| m[i].iter().zip(state).map(|(a, b)| *a * b).sum())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn fr(s: &str) -> Fr {
        Fr::from_str(s).unwrap()
    }

    fn permuted(input: [&str; 4]) -> [Fr; 4] {
        let mut state = input.map(fr);
        poseidon_permute(&mut state);
        state
    }

    // The published vectors of gnark-plonky2-verifier's poseidon/bn254_test.go (which takes its
    // constants from iden3's circomlib); the second is also circomlib's poseidon([1, 2, 3]).
    #[test]
    fn matches_the_published_vectors() {
        assert_eq!(
            permuted(["0", "0", "0", "0"]),
            [
                "5317387130258456662214331362918410991734007599705406860481038345552731150762",
                "17768273200467269691696191901389126520069745877826494955630904743826040320364",
                "19413739268543925182080121099097652227979760828059217876810647045303340666757",
                "3717738800218482999400886888123026296874264026760636028937972004600663725187",
            ]
            .map(fr)
        );
        assert_eq!(
            permuted(["0", "1", "2", "3"]),
            [
                "6542985608222806190361240322586112750744169038454362455181422643027100751666",
                "3478427836468552423396868478117894008061261013954248157992395910462939736589",
                "1904980799580062506738911865015687096398867595589699208837816975692422464009",
                "11971464497515232077059236682405357499403220967704831154657374522418385384151",
            ]
            .map(fr)
        );
        let minus_one = "21888242871839275222246405745257275088548364400416034343698204186575808495616";
        assert_eq!(
            permuted([minus_one; 4]),
            [
                "13055670547682322550638362580666986963569035646873545133474324633020685301274",
                "19087936485076376314486368416882351797015004625427655501762827988254486144933",
                "10391468779200270580383536396630001155994223659670674913170907401637624483385",
                "17202557688472898583549180366140168198092766974201433936205272956998081177816",
            ]
            .map(fr)
        );
    }
}
