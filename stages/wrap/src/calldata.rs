//! ark-groth16's proof and public inputs as the EVM verifier reads them: 32-byte big-endian words.
//!
//! The one trap is G2: arkworks writes an Fq2 element as `c0 + c1·u`, while the pairing precompile
//! (EIP-197) wants the imaginary part first, `(x.c1, x.c0, y.c1, y.c0)`. Swapping them gives a different
//! point, which the precompile rejects as off the curve or which fails the pairing.

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::Proof;

/// One EVM word, big-endian.
pub type Word = [u8; 32];

/// A Groth16 proof in the verifier's ABI order: `[A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SolidityProof(pub [Word; 8]);

impl SolidityProof {
    /// Encodes ark-groth16's proof. The point at infinity is (0, 0), as EIP-196/197 encode it.
    pub fn from_ark(proof: &Proof<Bn254>) -> Self {
        let [ax, ay] = g1_words(&proof.a);
        let [bx1, bx0, by1, by0] = g2_words(&proof.b);
        let [cx, cy] = g1_words(&proof.c);
        SolidityProof([ax, ay, bx1, bx0, by1, by0, cx, cy])
    }

    /// The 256 bytes the proof takes in calldata.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.concat()
    }
}

/// A field element of either BN254 field as a big-endian word.
pub fn field_word<F: PrimeField>(x: &F) -> Word {
    let be = x.into_bigint().to_bytes_be();
    let mut word = [0u8; 32];
    word[32 - be.len()..].copy_from_slice(&be);
    word
}

/// A G1 point as `(x, y)`; infinity as `(0, 0)`.
pub fn g1_words(p: &G1Affine) -> [Word; 2] {
    match p.xy() {
        Some((x, y)) => [field_word(&x), field_word(&y)],
        None => [[0; 32]; 2],
    }
}

/// A G2 point as `(x.c1, x.c0, y.c1, y.c0)`, the precompile's order; infinity as zeros.
pub fn g2_words(p: &G2Affine) -> [Word; 4] {
    match p.xy() {
        Some((x, y)) => {
            let (x, y): (Fq2, Fq2) = (x, y);
            [field_word::<Fq>(&x.c1), field_word(&x.c0), field_word(&y.c1), field_word(&y.c0)]
        }
        None => [[0; 32]; 4],
    }
}

/// Calldata for `verifyProof(uint256[8],uint256[N])`: both arrays are static, so they follow the
/// selector inline, without offsets.
pub fn verify_calldata(selector: [u8; 4], proof: &SolidityProof, inputs: &[Word]) -> Vec<u8> {
    let mut data = Vec::with_capacity(4 + 32 * (8 + inputs.len()));
    data.extend_from_slice(&selector);
    data.extend_from_slice(&proof.to_bytes());
    for input in inputs {
        data.extend_from_slice(input);
    }
    data
}

/// Public inputs as words.
pub fn input_words(inputs: &[Fr]) -> Vec<Word> {
    inputs.iter().map(field_word).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;

    #[test]
    fn field_words_are_big_endian_and_padded() {
        let w = field_word(&Fr::from(0x0102u64));
        assert_eq!(&w[..30], &[0u8; 30]);
        assert_eq!(&w[30..], &[1, 2]);
        // r - 1 round-trips through the word.
        let minus_one = -Fr::from(1u64);
        assert_eq!(Fr::from_be_bytes_mod_order(&field_word(&minus_one)), minus_one);
    }

    #[test]
    fn g2_words_put_the_imaginary_part_first() {
        let mut rng = ark_std::test_rng();
        let p = (G2Affine::generator() * Fr::rand(&mut rng)).into();
        let words = g2_words(&p);
        let G2Affine { x, y, .. } = p;
        assert_eq!(words[0], field_word(&x.c1));
        assert_eq!(words[1], field_word(&x.c0));
        assert_eq!(words[2], field_word(&y.c1));
        assert_eq!(words[3], field_word(&y.c0));
        assert_ne!(words[0], words[1]);
    }
}
