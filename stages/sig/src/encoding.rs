//! Point encoding w = 1/u = y/x (one GF(p^5) element) and decoding with validation.
//!
//! Every group element has exactly one encoding (the neutral's is w = 0), and decoding refuses everything
//! that is not one: a limb `>= p` (non-canonical), or a w for which no point exists. This is what makes an
//! encoded public key or commitment safe to hash and compare as five field elements, which is how the `sig`
//! circuit will handle them.

use plonky2::field::ops::Square;
use plonky2::field::types::Field;

use crate::curve::{Point, CURVE_A, CURVE_B_Z};
use crate::error::SigError;
use crate::field5::{fp5_const, fp5_from_canonical_limbs, fp5_to_limbs, half, legendre, sqrt, Fp5};

/// Bytes of the byte form of an encoding: five little-endian 64-bit limbs.
pub const ENCODED_POINT_BYTES: usize = 40;

impl Point {
    /// The encoding w = T / U (0 for the neutral). plonky2's inverse of 0 would panic, hence the branch; the
    /// neutral is never secret.
    pub fn encode(&self) -> Fp5 {
        if self.u.is_zero() {
            Fp5::ZERO
        } else {
            self.t / self.u
        }
    }

    /// The encoding as five canonical limbs.
    pub fn encode_limbs(&self) -> [u64; 5] {
        fp5_to_limbs(&self.encode())
    }

    /// The encoding as 40 little-endian bytes.
    pub fn encode_bytes(&self) -> [u8; ENCODED_POINT_BYTES] {
        let mut out = [0u8; ENCODED_POINT_BYTES];
        for (i, l) in self.encode_limbs().iter().enumerate() {
            out[8 * i..8 * i + 8].copy_from_slice(&l.to_le_bytes());
        }
        out
    }

    /// Whether `w` is the encoding of a group element: w = 0, or (w^2 - a)^2 - 4 b is a square.
    pub fn is_encoding(w: &Fp5) -> bool {
        w.is_zero() || legendre(&discriminant(w).1) == 1
    }

    /// The group element encoded by `w`, or [`SigError::NotAPoint`].
    ///
    /// With y = w x, the curve equation divided by x becomes x^2 - (w^2 - a) x + b = 0. Its discriminant
    /// delta = (w^2 - a)^2 - 4 b is a nonzero square exactly when w encodes an element (for w = 0, delta is a
    /// non-square and w = 0 is the neutral by convention). The two roots (product b, a non-square, so
    /// exactly one of them is a square) are not interchangeable: like the reference implementation we keep the
    /// one that is not a square, which is the point the (x, u) formulas treat as this group element (the
    /// other root, fed to the scalar multiplication, gives a different result; the `sig` circuit therefore
    /// proves x a non-square, `assert_encoded_on_curve`).
    pub fn decode(w: &Fp5) -> Result<Point, SigError> {
        if w.is_zero() {
            return Ok(Point::NEUTRAL);
        }
        let (e, delta) = discriminant(w);
        // A zero delta would give a double root; b is not a square, so (w^2 - a)^2 = 4b never holds, and
        // refusing it costs nothing.
        if delta.is_zero() {
            return Err(SigError::NotAPoint);
        }
        let r = sqrt(&delta).ok_or(SigError::NotAPoint)?;
        let x1 = half(&(e + r));
        let x = if legendre(&x1) == 1 { half(&(e - r)) } else { x1 };
        // u = x / y = 1 / w.
        Ok(Point { x, z: Fp5::ONE, u: Fp5::ONE, t: *w })
    }

    /// Decode from five limbs, refusing non-canonical limbs first.
    pub fn decode_limbs(limbs: [u64; 5]) -> Result<Point, SigError> {
        Point::decode(&fp5_from_canonical_limbs(limbs)?)
    }

    /// Decode from the 40-byte form.
    pub fn decode_bytes(bytes: &[u8]) -> Result<Point, SigError> {
        if bytes.len() != ENCODED_POINT_BYTES {
            return Err(SigError::WrongLength { expected: ENCODED_POINT_BYTES, got: bytes.len() });
        }
        Point::decode_limbs(core::array::from_fn(|i| {
            u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().expect("8 bytes"))
        }))
    }
}

/// (e, delta) with e = w^2 - a and delta = e^2 - 4 b.
fn discriminant(w: &Fp5) -> (Fp5, Fp5) {
    let e = w.square() - Fp5::from_canonical_u64(CURVE_A);
    (e, e.square() - fp5_const([0, 4 * CURVE_B_Z, 0, 0, 0]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field5::P;

    #[test]
    fn the_generator_is_the_point_encoded_by_four() {
        let g = Point::decode(&Fp5::from_canonical_u64(4)).unwrap();
        assert_eq!(g, Point::GENERATOR);
        // Same root as the published coordinates, not just the same group element.
        assert_eq!(g.x / g.z, Point::GENERATOR.x);
        assert_eq!(Point::GENERATOR.encode(), Fp5::from_canonical_u64(4));
    }

    /// The two roots of a valid w are not interchangeable. Both points have the same u (so the same
    /// encoding), but the group law treats the other root differently: doubling it gives -2P, adding G gives
    /// P - G. Only the kept root is the element w encodes, which is why the `sig` circuit must pin the root.
    #[test]
    fn the_other_root_is_not_the_same_group_element() {
        let w = Point::GENERATOR.double().add(&Point::GENERATOR).encode();
        let p = Point::decode(&w).unwrap();
        let other = Point { x: fp5_const([0, CURVE_B_Z, 0, 0, 0]) / p.x, ..p };
        assert_eq!(other.encode(), w);
        assert!(other.double() != p.double());
        assert!(other.double() == p.double().neg());
        let g = Point::GENERATOR;
        assert!(other.add(&g) != p.add(&g));
        assert!(other.add(&g) == p.sub(&g));
    }

    #[test]
    fn the_neutral_encodes_as_zero_and_back() {
        assert_eq!(Point::NEUTRAL.encode(), Fp5::ZERO);
        assert!(Point::decode(&Fp5::ZERO).unwrap().is_neutral());
        assert!(Point::is_encoding(&Fp5::ZERO));
    }

    #[test]
    fn non_canonical_and_short_inputs_are_refused() {
        let mut limbs = Point::GENERATOR.encode_limbs();
        limbs[0] += P; // 4 + p: the same field element, written non-canonically
        assert!(matches!(Point::decode_limbs(limbs), Err(SigError::NonCanonicalLimb { index: 0, .. })));
        assert!(matches!(Point::decode_bytes(&[0u8; 39]), Err(SigError::WrongLength { .. })));
        let bytes = Point::GENERATOR.encode_bytes();
        assert_eq!(Point::decode_bytes(&bytes).unwrap(), Point::GENERATOR);
    }
}
