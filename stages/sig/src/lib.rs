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
//! What the `sig` circuit needs from it: the same challenge (`PoseidonHash::hash_no_pad` over
//! [`CHALLENGE_INPUT_LEN`] elements, its four outputs as the 256 low bits of e), the point formulas of
//! `curve.rs` over plonky2's quintic-extension gadgets (complete, so no branches), decoding of the public key
//! (a square root of the discriminant supplied as a witness and squared in-circuit, plus the non-square test
//! on the chosen root, or simply the public key's decoded x as a witness checked against the curve equation),
//! s as 319 bits with a range check s < n, and the final comparison encode(s G - e PK) = r, i.e.
//! r U = T on the result (no inversion). [`Point::GENERATOR`]'s per-digit tables become circuit constants.
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
