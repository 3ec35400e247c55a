//! ECgFp5 and Schnorr signatures, natively: the arithmetic that the `sig` circuit type will check in-circuit.
//!
//! What is here:
//! - GF(p^5) = GF(p)[z]/(z^5 - 3) over the Goldilocks prime: plonky2's `QuinticExtension<GoldilocksField>`
//!   ([`Fp5`]) plus the Legendre symbol, square root and canonical limb conversion ECgFp5 needs;
//! - the ECgFp5 group (T. Pornin, 2022; y^2 = x (x^2 + 2 x + 263 z), prime order n ~ 2^319): [`Point`] with the
//!   complete (x, u) formulas, scalar multiplication, the encoding w = y/x and validating decoding;
//! - [`Scalar`]: integers modulo n;
//! - Schnorr signatures ([`SecretKey`], [`PublicKey`], [`Signature`], [`verify`]) with the challenge
//!   e = Poseidon(r ‖ encode(PK) ‖ m) ([`challenge`]) over a fixed-length [`Message`] of [`MESSAGE_LEN`]
//!   Goldilocks elements.
//!
//! What the `sig` circuit needs from it, to check the same statement:
//! - the challenge: `PoseidonHash::hash_no_pad` over [`CHALLENGE_INPUT_LEN`] elements (r ‖ pk ‖ m); its four
//!   outputs, each split into 64 bits, are the 256 bits of e (e < p^4 < n, never reduced);
//! - s as 319 bits with a range check s < n (a signature's s is canonical, [`Signature::from_parts`]);
//! - the group law of `curve.rs` (complete: no branch, no special case for the neutral or P + P) over plonky2's
//!   quintic-extension arithmetic; s G from constant per-digit tables of G, e PK by double-and-add;
//! - the public key as a point: its encoding w plus a witness x, checked on the curve in (x, u = 1/w) form,
//!   x = u^2 (x^2 + a x + b), instead of a square root; w = 0 refused (the neutral key);
//! - the final comparison encode(s G - e PK) = r without an inversion: r U = T on the result (which also refuses
//!   a neutral result, as [`verify`] does).
//!
//! No dependency on any other frispool crate, so both the rollup model and the circuits can use it.

mod curve;
mod encoding;
mod error;
mod field5;
mod scalar;
mod schnorr;

pub use curve::{Point, CURVE_A, CURVE_B_Z};
pub use encoding::ENCODED_POINT_BYTES;
pub use error::SigError;
pub use field5::{fp5_from_canonical_limbs, fp5_to_fields, fp5_to_limbs, legendre, sqrt, Fp5, F, P};
pub use scalar::Scalar;
pub use schnorr::{challenge, verify, Message, PublicKey, SecretKey, Signature, CHALLENGE_INPUT_LEN, MESSAGE_LEN};
