//! Schnorr signatures over ECgFp5 with a Poseidon challenge.
//!
//! - keys: a secret scalar `sk` in [1, n), the public key `PK = sk G`, published as its encoding (5 field
//!   elements);
//! - sign: `k` = nonce(sk, PK, m), `R = k G`, `r = encode(R)`, `e = challenge(r, PK, m)`, `s = k + e sk mod n`;
//! - verify: `encode(s G - e PK) == r`.
//!
//! The challenge is e = Poseidon(r ‖ encode(PK) ‖ m) over 5 + 5 + [`MESSAGE_LEN`] = 16 Goldilocks elements
//! (plonky2's `PoseidonHash::hash_no_pad`: two permutations), its four output elements read as a 256-bit
//! integer. That integer is below p^4 < n, so no reduction is needed and the circuit can use the hash
//! output's bits directly as the scalar for e PK. Comparing encodings instead of decoding `r` spares a square
//! root natively and in the circuit.

use plonky2::field::types::{Field, PrimeField64};
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::plonk::config::Hasher;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::curve::Point;
use crate::error::SigError;
use crate::field5::{fp5_from_canonical_limbs, fp5_to_fields, F};
use crate::scalar::Scalar;

/// Field elements of a signed message: a transaction's fields, in the layout of `frispool-rollup`'s
/// `Tx::signed_message` (domain ‖ kind ‖ from ‖ to ‖ amount ‖ nonce). Fixed, because the circuit hashes a
/// fixed number of elements.
pub const MESSAGE_LEN: usize = 6;
/// A signed message.
pub type Message = [F; MESSAGE_LEN];
/// Field elements the challenge hash absorbs: r (5) ‖ public key (5) ‖ message.
pub const CHALLENGE_INPUT_LEN: usize = 10 + MESSAGE_LEN;

/// blake3 key-derivation context of the nonce; changing it changes every signature.
const NONCE_CONTEXT: &str = "frispool-sig 2026 ECgFp5 Schnorr deterministic nonce v1";

/// A public key: a group element other than the neutral, with its encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey {
    point: Point,
    encoding: [F; 5],
}

impl PublicKey {
    /// The key with this encoding, refusing non-points and the neutral (the key of the secret 0).
    pub fn from_encoding(encoding: [F; 5]) -> Result<Self, SigError> {
        Self::from_limbs(encoding.map(|c| c.to_canonical_u64()))
    }

    /// The key from five raw limbs, refusing non-canonical limbs too.
    pub fn from_limbs(limbs: [u64; 5]) -> Result<Self, SigError> {
        let w = fp5_from_canonical_limbs(limbs)?;
        let point = Point::decode(&w)?;
        if point.is_neutral() {
            return Err(SigError::NeutralPublicKey);
        }
        Ok(Self { point, encoding: fp5_to_fields(&w) })
    }

    fn from_point(point: Point) -> Self {
        Self { point, encoding: fp5_to_fields(&point.encode()) }
    }

    /// The five field elements that are hashed and stored in an account leaf.
    pub fn encoding(&self) -> [F; 5] {
        self.encoding
    }

    pub fn point(&self) -> &Point {
        &self.point
    }
}

/// A secret key. `Debug` does not print the scalar.
#[derive(Clone)]
pub struct SecretKey {
    scalar: Scalar,
    public: PublicKey,
}

impl core::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SecretKey").field("public", &self.public).finish_non_exhaustive()
    }
}

impl SecretKey {
    /// The key derived from a 32-byte seed: ChaCha20 seeded with it yields 64 bytes, reduced modulo n (within
    /// 2^-193 of uniform). Deterministic, so a test, the generator or the demo can recreate an account's key
    /// from its seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let mut rng = ChaCha20Rng::from_seed(seed);
        loop {
            let mut wide = [0u8; 64];
            rng.fill_bytes(&mut wide);
            // Zero has probability 2^-318; drawing again keeps the function total.
            if let Ok(key) = Self::from_scalar(Scalar::from_bytes_reduce(&wide)) {
                return key;
            }
        }
    }

    pub fn from_scalar(scalar: Scalar) -> Result<Self, SigError> {
        if scalar.is_zero() {
            return Err(SigError::ZeroSecretKey);
        }
        Ok(Self { scalar, public: PublicKey::from_point(Point::mul_generator(&scalar)) })
    }

    pub fn scalar(&self) -> &Scalar {
        &self.scalar
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Sign `message`. Deterministic: the same key and message give the same signature.
    pub fn sign(&self, message: &Message) -> Signature {
        let k = self.nonce(message);
        let r = fp5_to_fields(&Point::mul_generator(&k).encode());
        let e = challenge(&r, &self.public.encoding, message);
        Signature { r, s: k + e * self.scalar }
    }

    /// The nonce k = blake3-XOF(derive_key(NONCE_CONTEXT), sk ‖ PK ‖ m) as 64 bytes reduced modulo n: a PRF of
    /// the message keyed by the secret, like RFC 6979 in spirit (no randomness to fail, a fresh nonce per
    /// message).
    ///
    /// Why blake3 and not Poseidon: the nonce is never computed in a circuit, so nothing gains from an
    /// arithmetic hash, and a nonce must be uniform modulo n. Poseidon's output is 4 field elements (< 2^256),
    /// while n is ~2^319: nonces confined to [0, 2^256) leak 63 bits each, and a handful of such signatures
    /// give the secret key away to a lattice (hidden number problem) attack. blake3's XOF gives 512 bits,
    /// whose reduction modulo n is within 2^-193 of uniform.
    fn nonce(&self, message: &Message) -> Scalar {
        let mut hasher = blake3::Hasher::new_derive_key(NONCE_CONTEXT);
        hasher.update(&self.scalar.to_bytes());
        for c in self.public.encoding.iter().chain(message) {
            hasher.update(&c.to_canonical_u64().to_le_bytes());
        }
        let mut reader = hasher.finalize_xof();
        loop {
            let mut wide = [0u8; 64];
            reader.fill(&mut wide);
            // A zero nonce (probability 2^-318) would reveal sk = -s / e; read the next 64 bytes instead.
            let k = Scalar::from_bytes_reduce(&wide);
            if !k.is_zero() {
                return k;
            }
        }
    }
}

/// A signature: `r` the encoding of the commitment R, `s` the response scalar. Same shape as
/// `frispool_rollup::Signature` (r: 5 field elements, s: 5 little-endian u64 limbs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    r: [F; 5],
    s: Scalar,
}

impl Signature {
    /// A signature from its parts, refusing non-canonical limbs of `r` and `s >= n` (so a valid signature has
    /// exactly one accepted form).
    pub fn from_parts(r: [u64; 5], s: [u64; 5]) -> Result<Self, SigError> {
        Ok(Self { r: fp5_to_fields(&fp5_from_canonical_limbs(r)?), s: Scalar::from_canonical_limbs(s)? })
    }

    /// The same from the rollup's form (`frispool_rollup::Signature`: r as field elements, s as limbs).
    pub fn from_field_parts(r: [F; 5], s: [u64; 5]) -> Result<Self, SigError> {
        Self::from_parts(r.map(|c| c.to_canonical_u64()), s)
    }

    pub fn r(&self) -> [F; 5] {
        self.r
    }

    pub fn s(&self) -> Scalar {
        self.s
    }

    /// (r as canonical limbs, s as limbs).
    pub fn to_parts(&self) -> ([u64; 5], [u64; 5]) {
        (self.r.map(|c| c.to_canonical_u64()), self.s.to_limbs())
    }
}

/// The challenge e = Poseidon(r ‖ pk ‖ m), its four output elements read as a little-endian 256-bit integer.
pub fn challenge(r: &[F; 5], public_key: &[F; 5], message: &Message) -> Scalar {
    let mut input = [F::ZERO; CHALLENGE_INPUT_LEN];
    input[..5].copy_from_slice(r);
    input[5..10].copy_from_slice(public_key);
    input[10..].copy_from_slice(message);
    let h = PoseidonHash::hash_no_pad(&input);
    // Each element is < p, so the integer is < p^4 < n: already reduced.
    Scalar::from_limbs_reduce(&h.elements.map(|c| c.to_canonical_u64()))
}

/// Check `signature` on `message` under `public_key`: encode(s G - e PK) = r, with s G - e PK not the neutral.
/// Not constant time (all inputs are public).
pub fn verify(public_key: &PublicKey, message: &Message, signature: &Signature) -> Result<(), SigError> {
    let e = challenge(&signature.r, &public_key.encoding, message);
    let commitment = Point::mul_generator(&signature.s).sub(&public_key.point.mul_vartime(&e));
    // A neutral commitment (r = 0) is refused: signing never makes one (k != 0), and the circuit's
    // inversion-free comparison r U = T cannot accept it either (U = 0, T != 0), so both sides agree.
    if !commitment.is_neutral() && fp5_to_fields(&commitment.encode()) == signature.r {
        Ok(())
    } else {
        Err(SigError::BadSignature)
    }
}
