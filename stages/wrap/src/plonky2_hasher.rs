//! plonky2's `Hasher` and `GenericConfig` for the last compression layer: Merkle trees and transcript hashed
//! with Poseidon over BN254, so the wrapper circuit hashes in its own field.
//!
//! Conventions (the wrapper circuit must mirror them exactly):
//! - **Packing**: three Goldilocks elements per BN254 element, `e₀ + e₁·2⁶⁴ + e₂·2¹²⁸` (192 bits, so
//!   injective, and free in R1CS: a linear combination of range-checked limbs).
//! - **hash_no_pad**: state `[0, 0, 0, 0]`; each chunk of up to 9 elements is packed into lanes 1..=3
//!   (overwrite mode, as gnark-plonky2-verifier's `HashNoPad`), then permuted; the digest is lane 0.
//! - **hash_or_noop**: up to 3 elements are packed into the digest itself (no permutation); plonky2's
//!   default would pack 4 (256 bits), which can exceed the BN254 modulus and so alias in the circuit.
//! - **two_to_one**: `[0, 0, left, right]` permuted, lane 0 (gnark's `TwoToOne`).
//! - **Digest to Goldilocks** (`to_vec`, what the transcript observes): five 56-bit chunks, each below p.
//! - **Challenger permutation**: plonky2's 12-element sponge state packed into the 4 lanes, permuted, and
//!   each lane's low 192 bits read back as three 64-bit limbs reduced mod p. Not a bijection (254 → 192
//!   bits per lane) — like plonky2's Keccak pseudo-permutation, it only has to behave as a random oracle.

use crate::poseidon::{poseidon_permute, PoseidonState};
use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use plonky2::field::extension::quadratic::QuadraticExtension;
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::hash::hash_types::RichField;
use plonky2::hash::hashing::PlonkyPermutation;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::plonk::config::{GenericConfig, GenericHashOut, Hasher};
use serde::{Deserialize, Serialize};

/// plonky2's sponge: 8 rate + 4 capacity elements.
const SPONGE_RATE: usize = 8;
const SPONGE_WIDTH: usize = 12;
/// Goldilocks elements absorbed per permutation of hash_no_pad: 3 lanes × 3 elements.
const ELEMENTS_PER_CHUNK: usize = 9;
/// Bits per chunk when a digest is read as Goldilocks elements: below 2⁶³, so always canonical.
const DIGEST_CHUNK_BITS: usize = 56;

/// A digest: one BN254 scalar, 32 bytes little-endian (canonical: below the BN254 modulus).
#[derive(Copy, Clone, Debug, Default, Eq, PartialEq, Hash, Serialize, Deserialize)]
pub struct Bn254HashOut(pub [u8; 32]);

impl Bn254HashOut {
    /// The digest of a field element.
    pub fn from_fr(x: Fr) -> Self {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&x.into_bigint().to_bytes_le());
        Bn254HashOut(bytes)
    }

    /// The field element (reduced, should the bytes not be canonical).
    pub fn to_fr(self) -> Fr {
        Fr::from_le_bytes_mod_order(&self.0)
    }
}

impl<F: RichField> GenericHashOut<F> for Bn254HashOut {
    fn to_bytes(&self) -> Vec<u8> {
        self.0.to_vec()
    }

    fn from_bytes(bytes: &[u8]) -> Self {
        let mut out = [0u8; 32];
        out.copy_from_slice(&bytes[..32]);
        Bn254HashOut(out)
    }

    fn to_vec(&self) -> Vec<F> {
        let bits = self.to_fr().into_bigint().to_bits_le();
        bits[..Fr::MODULUS_BIT_SIZE as usize]
            .chunks(DIGEST_CHUNK_BITS)
            .map(|chunk| F::from_canonical_u64(chunk.iter().rev().fold(0u64, |acc, b| acc << 1 | *b as u64)))
            .collect()
    }
}

/// `e₀ + e₁·2⁶⁴ + e₂·2¹²⁸` for up to three elements.
fn pack<F: RichField>(elements: &[F]) -> Fr {
    debug_assert!(elements.len() <= 3);
    let mut bytes = [0u8; 24];
    for (i, e) in elements.iter().enumerate() {
        bytes[8 * i..8 * i + 8].copy_from_slice(&e.to_canonical_u64().to_le_bytes());
    }
    Fr::from_le_bytes_mod_order(&bytes)
}

/// Poseidon over BN254 as a plonky2 hasher.
#[derive(Copy, Clone, Debug, Eq, PartialEq)]
pub struct PoseidonBn254Hash;

impl<F: RichField> Hasher<F> for PoseidonBn254Hash {
    const HASH_SIZE: usize = 32;
    type Hash = Bn254HashOut;
    type Permutation = PoseidonBn254Permutation<F>;

    fn hash_no_pad(input: &[F]) -> Self::Hash {
        let mut state: PoseidonState = [Fr::from(0u64); 4];
        for chunk in input.chunks(ELEMENTS_PER_CHUNK) {
            for (lane, part) in chunk.chunks(3).enumerate() {
                state[lane + 1] = pack(part);
            }
            poseidon_permute(&mut state);
        }
        Bn254HashOut::from_fr(state[0])
    }

    fn hash_or_noop(input: &[F]) -> Self::Hash {
        if input.len() <= 3 {
            Bn254HashOut::from_fr(pack(input))
        } else {
            Self::hash_no_pad(input)
        }
    }

    fn two_to_one(left: Self::Hash, right: Self::Hash) -> Self::Hash {
        let mut state: PoseidonState = [Fr::from(0u64), Fr::from(0u64), left.to_fr(), right.to_fr()];
        poseidon_permute(&mut state);
        Bn254HashOut::from_fr(state[0])
    }
}

/// The challenger's sponge state over Goldilocks, permuted through Poseidon-BN254 (see the module doc).
#[derive(Copy, Clone, Debug, Default, Eq, PartialEq)]
pub struct PoseidonBn254Permutation<F: RichField> {
    state: [F; SPONGE_WIDTH],
}

impl<F: RichField> AsRef<[F]> for PoseidonBn254Permutation<F> {
    fn as_ref(&self) -> &[F] {
        &self.state
    }
}

impl<F: RichField> PlonkyPermutation<F> for PoseidonBn254Permutation<F> {
    const RATE: usize = SPONGE_RATE;
    const WIDTH: usize = SPONGE_WIDTH;

    fn new<I: IntoIterator<Item = F>>(elts: I) -> Self {
        let mut perm = Self { state: [F::ZERO; SPONGE_WIDTH] };
        perm.set_from_iter(elts, 0);
        perm
    }

    fn set_elt(&mut self, elt: F, idx: usize) {
        self.state[idx] = elt;
    }

    fn set_from_iter<I: IntoIterator<Item = F>>(&mut self, elts: I, start_idx: usize) {
        for (s, e) in self.state[start_idx..].iter_mut().zip(elts) {
            *s = e;
        }
    }

    fn set_from_slice(&mut self, elts: &[F], start_idx: usize) {
        self.state[start_idx..start_idx + elts.len()].copy_from_slice(elts);
    }

    fn permute(&mut self) {
        let mut lanes: PoseidonState = std::array::from_fn(|i| pack(&self.state[3 * i..3 * i + 3]));
        poseidon_permute(&mut lanes);
        for (i, lane) in lanes.iter().enumerate() {
            let limbs = lane.into_bigint().0;
            for (slot, limb) in self.state[3 * i..3 * i + 3].iter_mut().zip(limbs) {
                *slot = F::from_noncanonical_u64(limb);
            }
        }
    }

    fn squeeze(&self) -> &[F] {
        &self.state[..SPONGE_RATE]
    }
}

/// The last compression layer's configuration: Goldilocks and its quadratic extension as usual, Merkle
/// trees and transcript with Poseidon-BN254, in-circuit hashing (which this layer does not need, being
/// the last) with plonky2's Goldilocks Poseidon.
#[derive(Copy, Clone, Debug, Default, Eq, PartialEq, Serialize)]
pub struct PoseidonBn254GoldilocksConfig;

impl GenericConfig<2> for PoseidonBn254GoldilocksConfig {
    type F = GoldilocksField;
    type FE = QuadraticExtension<GoldilocksField>;
    type Hasher = PoseidonBn254Hash;
    type InnerHasher = PoseidonHash;
}
