//! The constants of Poseidon over the BN254 scalar field, width 4: round constants and MDS matrix,
//! derived here with the reference generator's Grain LFSR instead of pasted in.
//!
//! The reference (`generate_parameters_grain.sage` of the Poseidon paper's authors, which circomlib's and
//! therefore gnark-plonky2-verifier's and plonky2x's constants come from) seeds an 80-bit LFSR with the
//! parameters — prime field, x^α S-box, 254-bit field, t = 4, R_F = 8, R_P = 56 — discards 160 bits, then
//! self-shrinks: of every pair of bits (a, b) it outputs b when a = 1. Round constants are 254-bit draws
//! below r (rejection sampling); the MDS matrix is the Cauchy matrix 1/(xᵢ + yⱼ) over 2t further draws
//! (reduced mod r). Deriving them keeps 256 magic numbers out of the source; the published permutation
//! test vectors (poseidon.rs's tests) pin the result.

use ark_bn254::Fr;
use ark_ff::{BigInteger, Field, PrimeField};
use std::sync::OnceLock;

/// State width: rate 3 + capacity 1.
pub const WIDTH: usize = 4;
/// Full rounds, half before and half after the partial ones.
pub const FULL_ROUNDS: usize = 8;
/// Partial rounds (S-box on the first element only).
pub const PARTIAL_ROUNDS: usize = 56;
/// All rounds.
pub const ROUNDS: usize = FULL_ROUNDS + PARTIAL_ROUNDS;

/// Round constants (one row of WIDTH per round) and the MDS matrix.
#[derive(Debug)]
pub struct PoseidonParams {
    pub round_constants: Vec<[Fr; WIDTH]>,
    pub mds: [[Fr; WIDTH]; WIDTH],
}

/// The parameters, derived once per process (about a millisecond).
pub fn params() -> &'static PoseidonParams {
    static PARAMS: OnceLock<PoseidonParams> = OnceLock::new();
    PARAMS.get_or_init(derive)
}

fn derive() -> PoseidonParams {
    let bits = Fr::MODULUS_BIT_SIZE as u64;
    let mut grain = Grain::new(1, 0, bits, WIDTH as u64, FULL_ROUNDS as u64, PARTIAL_ROUNDS as u64);
    let round_constants = (0..ROUNDS)
        .map(|_| {
            std::array::from_fn(|_| loop {
                if let Some(x) = grain.next_element(bits as usize, false) {
                    return x;
                }
            })
        })
        .collect();
    // The reference redraws the 2t values if two coincide or some xᵢ + yⱼ = 0; with 254-bit draws that
    // does not happen, and the assertion says so rather than silently diverging from the reference.
    let draws: Vec<Fr> =
        (0..2 * WIDTH).map(|_| grain.next_element(bits as usize, true).expect("reduced draws never fail")).collect();
    let (xs, ys) = draws.split_at(WIDTH);
    let mds = std::array::from_fn(|i| {
        std::array::from_fn(|j| (xs[i] + ys[j]).inverse().expect("the reference's Cauchy points never collide"))
    });
    PoseidonParams { round_constants, mds }
}

/// The reference's LFSR, one bit per entry, oldest first.
struct Grain {
    bits: std::collections::VecDeque<bool>,
}

impl Grain {
    fn new(field: u64, sbox: u64, field_bits: u64, width: u64, full: u64, partial: u64) -> Self {
        let mut bits = std::collections::VecDeque::with_capacity(80);
        for (value, len) in [(field, 2), (sbox, 4), (field_bits, 12), (width, 12), (full, 10), (partial, 10)] {
            bits.extend((0..len).rev().map(|i| (value >> i) & 1 == 1));
        }
        bits.extend(std::iter::repeat_n(true, 30));
        let mut grain = Grain { bits };
        for _ in 0..160 {
            grain.step();
        }
        grain
    }

    fn step(&mut self) -> bool {
        let b = &self.bits;
        let new = b[62] ^ b[51] ^ b[38] ^ b[23] ^ b[13] ^ b[0];
        self.bits.pop_front();
        self.bits.push_back(new);
        new
    }

    /// The self-shrinking output: of each pair (a, b), b when a is set.
    fn next_bit(&mut self) -> bool {
        loop {
            let keep = self.step();
            let bit = self.step();
            if keep {
                return bit;
            }
        }
    }

    /// `len` bits, most significant first, as a field element: `None` if ≥ r and `reduce` is off.
    fn next_element(&mut self, len: usize, reduce: bool) -> Option<Fr> {
        let bits: Vec<bool> = (0..len).map(|_| self.next_bit()).collect();
        let mut bytes = vec![0u8; len.div_ceil(8)];
        for (i, bit) in bits.iter().rev().enumerate() {
            if *bit {
                bytes[i / 8] |= 1 << (i % 8);
            }
        }
        let reduced = Fr::from_le_bytes_mod_order(&bytes);
        // Rejection sampling: the draw is taken only if it was already below r.
        let canonical = reduced.into_bigint().to_bytes_le()[..bytes.len()] == bytes[..];
        (reduce || canonical).then_some(reduced)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::Zero;

    #[test]
    fn shapes_and_distinctness() {
        let p = params();
        assert_eq!(p.round_constants.len(), ROUNDS);
        let mut all: Vec<Fr> = p.round_constants.iter().flatten().copied().collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), ROUNDS * WIDTH, "round constants repeat");
        // Every entry of a Cauchy matrix is non-zero, and its rows differ.
        assert!(p.mds.iter().flatten().all(|m| !m.is_zero()));
        assert_ne!(p.mds[0], p.mds[1]);
    }
}
