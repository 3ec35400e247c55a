//! Schnorr verification in a plonky2 circuit: the statement of native [`crate::verify`], bit for bit.
//!
//! Native `verify(pk, m, (r, s))` accepts iff pk decodes to a non-neutral point, s < n (a [`Signature`] never
//! holds another s), e = Poseidon(r ‖ pk ‖ m) read as 256 bits, and encode(s G - e PK) = r with the result
//! not neutral. The circuit constrains exactly that:
//! - the public key: its encoding w and hints x, 1/w and sqrt(7 x), checked by `assert_encoded_on_curve`
//!   (w != 0, (x, 1/w) on the curve, x the non-square root that native decoding keeps) instead of a square
//!   root;
//! - e: the same `hash_no_pad` over the same 16 elements, each of its 4 outputs split into 64 bits with the
//!   split proven canonical (a 64-bit split of a field element is unique only below p; without the check an
//!   output h < 2^32 - 1 would also split as h + p, a different e);
//! - s: ten 32-bit halves of its 5 limbs, so 320 bits, and a comparison with the constant n (s < n), so
//!   s + n, which multiplies G to the same point, is refused as native `Signature::from_parts` refuses it;
//! - the result: r U = T on s G - e PK, which is encode(.) = r and refuses a neutral result (U = 0, T != 0).

use plonky2::field::types::Field;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::target::{BoolTarget, Target};
use plonky2::iop::witness::{PartialWitness, WitnessWrite};

use crate::circuit_fp5::{witness_error, Builder, Fp5Target};
use crate::circuit_msm::{generator_mul_minus, table_hints, AffineTarget, TABLE_HINTS};
use crate::circuit_point::{assert_encoded_on_curve, non_square_hint};
use crate::error::SigError;
use crate::field5::{Fp5, F};
use crate::schnorr::{PublicKey, Signature, MESSAGE_LEN};

/// Bits of s in the circuit: five 64-bit limbs. n < 2^319, so every s < n fits and s + n does too, which
/// lets the range check, and nothing else, be what refuses it.
pub const S_BITS: usize = 320;
/// Bits of e: the four 64-bit outputs of the challenge hash.
pub const E_BITS: usize = 256;

/// The group order n, little-endian limbs: `scalar.rs`'s constant itself.
const N_LIMBS: [u64; 5] = crate::scalar::N;

/// A public key in the circuit: its encoding `w` (what is hashed and chained), the hints `x`, `1/w` and
/// `x_root` that make it native decoding's point without a square root in the circuit, and the affine hints
/// of the scalar multiplication's table of i G - j PK (`circuit_msm.rs`), all computed from w and x when the
/// witness is filled.
#[derive(Clone, Copy, Debug)]
pub struct PublicKeyTarget {
    pub w: Fp5Target,
    pub x: Fp5Target,
    pub w_inv: Fp5Target,
    /// A square root of 7 x: proves x is the non-square root, the one native decoding keeps.
    pub x_root: Fp5Target,
    pub table: [AffineTarget; TABLE_HINTS],
}

impl PublicKeyTarget {
    pub fn new_virtual(builder: &mut Builder) -> Self {
        PublicKeyTarget {
            w: Fp5Target::new_virtual(builder),
            x: Fp5Target::new_virtual(builder),
            w_inv: Fp5Target::new_virtual(builder),
            x_root: Fp5Target::new_virtual(builder),
            table: core::array::from_fn(|_| AffineTarget::new_virtual(builder)),
        }
    }

    /// The witness of a native key: its encoding, the x that native decoding picks, and 1/w.
    pub fn set(&self, pw: &mut PartialWitness<F>, pk: &PublicKey) -> Result<(), SigError> {
        let p = pk.point();
        // Decoded keys are held with Z = U = 1 (x affine, T = w); `from_encoding` is the only constructor.
        let w = crate::circuit_fp5::fp5_from_fields(pk.encoding());
        self.set_raw(pw, &w, &(p.x / p.z))
    }

    /// Any w and x (for adversarial tests: a non-point, a wrong x); 1/w (0 for w = 0, which the circuit
    /// then refuses) and the table hints are derived from them.
    pub fn set_raw(&self, pw: &mut PartialWitness<F>, w: &Fp5, x: &Fp5) -> Result<(), SigError> {
        let w_inv = if *w == Fp5::ZERO { Fp5::ZERO } else { w.inverse() };
        self.w.set(pw, w)?;
        self.x.set(pw, x)?;
        self.w_inv.set(pw, &w_inv)?;
        self.x_root.set(pw, &non_square_hint(x))?;
        for (t, v) in self.table.iter().zip(table_hints(x, &w_inv)) {
            t.set(pw, &v)?;
        }
        Ok(())
    }
}

/// A signature in the circuit: r (5 elements) and s as ten 32-bit halves of its limbs, low first.
#[derive(Clone, Copy, Debug)]
pub struct SignatureTarget {
    pub r: Fp5Target,
    pub s_halves: [Target; 10],
}

impl SignatureTarget {
    pub fn new_virtual(builder: &mut Builder) -> Self {
        SignatureTarget {
            r: Fp5Target::new_virtual(builder),
            s_halves: core::array::from_fn(|_| builder.add_virtual_target()),
        }
    }

    pub fn set(&self, pw: &mut PartialWitness<F>, sig: &Signature) -> Result<(), SigError> {
        let (r, s) = sig.to_parts();
        self.set_raw(pw, r.map(F::from_canonical_u64), s)
    }

    /// Any r and s limbs (s may be >= n here: the circuit, not this setter, must refuse it).
    pub fn set_raw(&self, pw: &mut PartialWitness<F>, r: [F; 5], s_limbs: [u64; 5]) -> Result<(), SigError> {
        let w = witness_error;
        for (t, v) in self.r.0.iter().zip(r) {
            pw.set_target(*t, v).map_err(w)?;
        }
        for (i, l) in s_limbs.iter().enumerate() {
            pw.set_target(self.s_halves[2 * i], F::from_canonical_u64(l & 0xFFFF_FFFF)).map_err(w)?;
            pw.set_target(self.s_halves[2 * i + 1], F::from_canonical_u64(l >> 32)).map_err(w)?;
        }
        Ok(())
    }
}

/// Constrain that native `verify(pk, msg, sig)` accepts. `pk` is checked as a point here; the caller may
/// hash or chain `pk.w` and `msg` as it needs.
pub fn verify_schnorr_circuit(
    builder: &mut Builder,
    pk: &PublicKeyTarget,
    msg: &[Target; MESSAGE_LEN],
    sig: &SignatureTarget,
) {
    assert_encoded_on_curve(builder, &pk.w, &pk.w_inv, &pk.x, &pk.x_root);
    let e_bits = challenge_bits(builder, &sig.r, &pk.w, msg);
    let s_bits = scalar_bits(builder, &sig.s_halves);
    assert_below_n(builder, &s_bits);
    let commitment = generator_mul_minus(builder, &s_bits, &e_bits, &pk.x, &pk.w_inv, &pk.table);
    commitment.assert_encodes_to(builder, &sig.r);
}

/// e = Poseidon(r ‖ pk ‖ m), as 256 little-endian bits (`schnorr::challenge`).
pub fn challenge_bits(
    builder: &mut Builder,
    r: &Fp5Target,
    pk_w: &Fp5Target,
    msg: &[Target; MESSAGE_LEN],
) -> Vec<BoolTarget> {
    let input: Vec<Target> = r.0.iter().chain(&pk_w.0).chain(msg).copied().collect();
    let h = builder.hash_n_to_hash_no_pad::<PoseidonHash>(input);
    h.elements.iter().flat_map(|&x| canonical_bits_64(builder, x)).collect()
}

/// The 64 bits of x's canonical value. `split_le` only proves sum(bits) = x mod p, which holds for x + p
/// too when x < 2^32 - 1; [`assert_canonical_64`] leaves the one canonical split.
fn canonical_bits_64(builder: &mut Builder, x: Target) -> Vec<BoolTarget> {
    let bits = builder.split_le(x, 64);
    assert_canonical_64(builder, &bits);
    bits
}

/// Constrain 64 little-endian bits to be a value below p = 2^64 - 2^32 + 1: a value >= p has its high half all
/// ones and a nonzero low half, so refusing exactly that (high = 2^32 - 1 implies low = 0) is the whole check.
fn assert_canonical_64(builder: &mut Builder, bits: &[BoolTarget]) {
    assert_eq!(bits.len(), 64);
    let lo = builder.le_sum(bits[..32].iter());
    let hi = builder.le_sum(bits[32..].iter());
    let max_hi = builder.constant(F::from_canonical_u64(0xFFFF_FFFF));
    let hi_is_max = builder.is_equal(hi, max_hi);
    let bad = builder.mul(hi_is_max.target, lo);
    builder.assert_zero(bad);
}

/// The 320 bits of s from its ten 32-bit halves (each split proves the half below 2^32).
fn scalar_bits(builder: &mut Builder, halves: &[Target; 10]) -> Vec<BoolTarget> {
    halves.iter().flat_map(|&h| builder.split_le(h, 32)).collect()
}

/// Constrain the little-endian `bits` (320 of them) to be a number below n. Scanning from the low bit, g
/// says "the bits so far are >= n's bits so far": where n has a 1, g' = s_i g (s_i = 0 makes it smaller);
/// where n has a 0, g' = s_i + g - s_i g (s_i = 1 makes it larger). Equal counts as >=, so g starts at 1
/// and s < n is g = 0 at the end.
fn assert_below_n(builder: &mut Builder, bits: &[BoolTarget]) {
    assert_eq!(bits.len(), S_BITS);
    let mut g = builder.one();
    for (i, b) in bits.iter().enumerate() {
        let n_bit = (N_LIMBS[i / 64] >> (i % 64)) & 1 == 1;
        g = if n_bit {
            builder.mul(b.target, g)
        } else {
            // s_i + g - s_i g = (-1) s_i g + (s_i + g)
            let sum = builder.add(b.target, g);
            builder.arithmetic(-F::ONE, F::ONE, b.target, g, sum)
        };
    }
    builder.assert_zero(g);
}

#[cfg(test)]
mod tests {
    use plonky2::plonk::circuit_data::CircuitConfig;
    use plonky2::plonk::config::PoseidonGoldilocksConfig;

    use super::*;
    use crate::field5::P;

    /// The canonical-split check on given bits: every value below p passes (the edges included), and the
    /// non-canonical splits x + p of small x, which `split_le` alone would accept, fail.
    #[test]
    fn only_canonical_64_bit_splits_pass() {
        let mut builder = Builder::new(CircuitConfig::standard_recursion_config());
        let bits: Vec<BoolTarget> = (0..64).map(|_| builder.add_virtual_bool_target_safe()).collect();
        assert_canonical_64(&mut builder, &bits);
        let data = builder.build::<PoseidonGoldilocksConfig>();
        let attempt = |v: u64| {
            let mut pw = PartialWitness::new();
            for (i, b) in bits.iter().enumerate() {
                pw.set_bool_target(*b, (v >> i) & 1 == 1).unwrap();
            }
            data.prove(pw).and_then(|proof| data.verify(proof)).is_ok()
        };
        for v in [0, 1, 0xFFFF_FFFF, 1 << 32, 0xFFFF_FFFE_FFFF_FFFF, P - 1] {
            assert!(attempt(v), "{v:#x} is canonical");
        }
        for x in [0, 1, 0xFFFF_FFFE] {
            assert!(!attempt(x + P), "{:#x} = {x:#x} + p is not canonical", x + P);
        }
    }
}
