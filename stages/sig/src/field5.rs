//! GF(p^5) = GF(p)[z] / (z^5 - 3), p = 2^64 - 2^32 + 1: the base field of ECgFp5.
//!
//! plonky2 already has this exact field: `QuinticExtension<GoldilocksField>` with `W = 3`, i.e. the modulus
//! z^5 - 3 that ECgFp5 is defined over (checked by `plonky2_uses_the_ecgfp5_modulus` below). We reuse it, so
//! that add, mul, square, inverse and Frobenius are plonky2's and the `sig` circuit's extension-field gadgets
//! see the same representation (five base-field limbs, low degree first). What plonky2 does not have, and
//! ECgFp5 needs for decoding, is added here: the Legendre symbol, a square root, halving, multiplication by
//! the curve constant `b`, and canonical conversion from raw limbs.

use plonky2::field::extension::quintic::QuinticExtension;
use plonky2::field::extension::Frobenius;
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::field::ops::Square;
use plonky2::field::types::{Field, Field64, PrimeField64};

use crate::error::SigError;

/// The Goldilocks prime field.
pub type F = GoldilocksField;
/// GF(p^5), plonky2's quintic extension of Goldilocks.
pub type Fp5 = QuinticExtension<F>;

/// The Goldilocks modulus p.
pub const P: u64 = F::ORDER;

/// An element of GF(p^5) from five limbs that are already canonical (`< p`); for constants.
pub const fn fp5_const(limbs: [u64; 5]) -> Fp5 {
    QuinticExtension([
        GoldilocksField(limbs[0]),
        GoldilocksField(limbs[1]),
        GoldilocksField(limbs[2]),
        GoldilocksField(limbs[3]),
        GoldilocksField(limbs[4]),
    ])
}

/// An element of GF(p^5) from five limbs, refusing any limb `>= p`: every field element has exactly one
/// accepted representation, so an encoding cannot be malleated by adding p to a limb.
pub fn fp5_from_canonical_limbs(limbs: [u64; 5]) -> Result<Fp5, SigError> {
    let mut out = [F::ZERO; 5];
    for (i, (&l, o)) in limbs.iter().zip(out.iter_mut()).enumerate() {
        if l >= P {
            return Err(SigError::NonCanonicalLimb { index: i, value: l });
        }
        *o = F::from_canonical_u64(l);
    }
    Ok(QuinticExtension(out))
}

/// The five canonical limbs of an element (low degree first).
pub fn fp5_to_limbs(x: &Fp5) -> [u64; 5] {
    x.0.map(|c| c.to_canonical_u64())
}

/// The canonical limbs as plonky2 field elements (what the circuit and the Poseidon challenge absorb).
pub fn fp5_to_fields(x: &Fp5) -> [F; 5] {
    x.0.map(|c| F::from_canonical_u64(c.to_canonical_u64()))
}

/// Multiply by a small base-field constant `k` (cheaper than a full GF(p^5) product).
pub fn mul_small(x: &Fp5, k: u64) -> Fp5 {
    let k = F::from_canonical_u64(k);
    QuinticExtension(x.0.map(|c| c * k))
}

/// Multiply by `k * z`. The curve constant is b = 263 z, so the point formulas need this often; multiplying
/// by z is a rotation of the limbs with the top one times 3 (z^5 = 3).
pub fn mul_small_z(x: &Fp5, k: u64) -> Fp5 {
    let [a0, a1, a2, a3, a4] = x.0;
    let k = F::from_canonical_u64(k);
    QuinticExtension([a4 * (k + k + k), a0 * k, a1 * k, a2 * k, a3 * k])
}

/// x / 2.
pub fn half(x: &Fp5) -> Fp5 {
    // (p + 1) / 2 is the inverse of 2 modulo p.
    mul_small(x, P.div_ceil(2))
}

/// The norm N(x) = x^(1 + p + p^2 + p^3 + p^4), an element of GF(p).
///
/// x^(p^5 - 1)/2 = N(x)^((p - 1)/2), so x is a square in GF(p^5) iff N(x) is a square in GF(p): the
/// Legendre symbol costs a few Frobenius maps (limb-wise products) and one exponentiation in GF(p), instead
/// of a 320-bit exponentiation in GF(p^5).
pub fn norm(x: &Fp5) -> F {
    let t = x.frobenius() * x.repeated_frobenius(2); // x^(p + p^2)
    let u = t * t.repeated_frobenius(2); // x^(p + p^2 + p^3 + p^4)
    let n = *x * u;
    debug_assert!(n.0[1..].iter().all(|c| c.is_zero()));
    n.0[0]
}

/// The Legendre symbol in GF(p): 0, 1 or -1.
fn legendre_base(a: F) -> i8 {
    if a.is_zero() {
        return 0;
    }
    if a.exp_u64((P - 1) / 2) == F::ONE {
        1
    } else {
        -1
    }
}

/// The Legendre symbol of x in GF(p^5): 0 for zero, 1 for a nonzero square, -1 otherwise.
pub fn legendre(x: &Fp5) -> i8 {
    legendre_base(norm(x))
}

/// A square root of x in GF(p^5), or `None` if x is not a square. Which of the two roots is returned is
/// unspecified (ECgFp5's decoding does not depend on it: it picks between the two solutions by another test).
///
/// With r = 1 + p + p^2 + p^3 + p^4 (odd) and d = x^((r - 1)/2), we have d^2 x = x^r = N(x) in GF(p). If
/// s^2 = N(x) in GF(p), then y = d x / s satisfies y^2 = d^2 x^2 / N(x) = x. (r - 1)/2 = p (p + 1)/2 (1 + p^2),
/// so d = f * frob^2(f) with f = frob(x^((p + 1)/2)): one 64-bit exponentiation, Frobenius maps, and a square
/// root and an inverse in GF(p) only.
pub fn sqrt(x: &Fp5) -> Option<Fp5> {
    if x.is_zero() {
        return Some(Fp5::ZERO);
    }
    let f = (x.exp_u64((P - 1) / 2) * *x).frobenius();
    let d = f * f.repeated_frobenius(2);
    let dx = d * *x;
    let n = d * dx;
    debug_assert!(n.0[1..].iter().all(|c| c.is_zero()));
    let s = sqrt_base(n.0[0])?;
    Some(mul_base(&dx, s.inverse()))
}

fn mul_base(x: &Fp5, k: F) -> Fp5 {
    QuinticExtension(x.0.map(|c| c * k))
}

/// A square root in GF(p) (Tonelli-Shanks, p - 1 = 2^32 q), or `None` for a non-square.
fn sqrt_base(a: F) -> Option<F> {
    if a.is_zero() {
        return Some(a);
    }
    if legendre_base(a) != 1 {
        return None;
    }
    const Q: u64 = (P - 1) >> 32;
    // 7 is a non-square modulo p, so 7^q generates the 2^32-th roots of unity.
    let mut c = F::from_canonical_u64(7).exp_u64(Q);
    let mut m = 32u32;
    let mut t = a.exp_u64(Q);
    let mut r = a.exp_u64(Q.div_ceil(2));
    while t != F::ONE {
        // Least i with t^(2^i) = 1; i < m because t is in the subgroup of order 2^(m-1) after each step.
        let mut i = 0u32;
        let mut t2 = t;
        while t2 != F::ONE {
            t2 = t2.square();
            i += 1;
        }
        let mut b = c;
        for _ in 0..(m - i - 1) {
            b = b.square();
        }
        m = i;
        c = b.square();
        t *= c;
        r *= b;
    }
    Some(r)
}

#[cfg(test)]
mod tests {
    use plonky2::field::extension::Extendable;
    use plonky2::field::types::Sample;
    use proptest::prelude::*;

    use super::*;

    fn fp5(limbs: [u64; 5]) -> Fp5 {
        QuinticExtension(limbs.map(F::from_noncanonical_u64))
    }

    #[test]
    fn plonky2_uses_the_ecgfp5_modulus() {
        // ECgFp5 is defined over GF(p)[z]/(z^5 - 3).
        assert_eq!(<F as Extendable<5>>::W, F::from_canonical_u64(3));
        let z = fp5_const([0, 1, 0, 0, 0]);
        assert_eq!(z.exp_u64(5), Fp5::from_canonical_u64(3));
    }

    #[test]
    fn non_canonical_limbs_are_refused() {
        assert!(fp5_from_canonical_limbs([0, 0, 0, 0, P - 1]).is_ok());
        assert!(matches!(
            fp5_from_canonical_limbs([0, 0, P, 0, 0]),
            Err(SigError::NonCanonicalLimb { index: 2, value: P })
        ));
        assert!(fp5_from_canonical_limbs([u64::MAX, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn a_known_non_square_has_no_root() {
        // Over GF(p^5) with odd extension degree, a base-field non-square stays a non-square (its norm is
        // its fifth power), so 7 has no root and -1 does not either (p = 1 mod 4 makes -1 a square in GF(p)).
        assert_eq!(legendre(&Fp5::from_canonical_u64(7)), -1);
        assert!(sqrt(&Fp5::from_canonical_u64(7)).is_none());
        assert_eq!(legendre(&Fp5::NEG_ONE), 1);
        assert_eq!(legendre(&Fp5::ZERO), 0);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn squares_have_roots_and_legendre_agrees(l in any::<[u64; 5]>()) {
            let x = fp5(l);
            let sq = x.square();
            let r = sqrt(&sq).expect("a square has a root");
            prop_assert_eq!(r.square(), sq);
            prop_assert_eq!(legendre(&sq), if x.is_zero() { 0 } else { 1 });
            // Exactly half of the nonzero elements are squares: multiplying by a non-square flips the symbol.
            let nsq = sq * Fp5::from_canonical_u64(7);
            if !x.is_zero() {
                prop_assert_eq!(legendre(&nsq), -1);
                prop_assert!(sqrt(&nsq).is_none());
            }
        }

        #[test]
        fn legendre_matches_euler_criterion(l in any::<[u64; 5]>()) {
            let x = fp5(l);
            // x^((p^5 - 1)/2) = N(x)^((p - 1)/2): compare with the direct formula on the norm.
            let n = norm(&x);
            prop_assert_eq!(Fp5::from(n), x * x.frobenius() * x.repeated_frobenius(2)
                * x.repeated_frobenius(3) * x.repeated_frobenius(4));
        }

        #[test]
        fn small_multipliers_match_full_products(l in any::<[u64; 5]>(), k in 0u64..1_000_000) {
            let x = fp5(l);
            prop_assert_eq!(mul_small(&x, k), x * Fp5::from_canonical_u64(k));
            prop_assert_eq!(mul_small_z(&x, k), x * fp5_const([0, k, 0, 0, 0]));
            prop_assert_eq!(half(&x).double(), x);
            prop_assert_eq!(fp5_from_canonical_limbs(fp5_to_limbs(&x)).unwrap(), x);
        }
    }

    #[test]
    fn random_elements_split_evenly_between_squares_and_non_squares() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let squares = (0..200).filter(|_| legendre(&Fp5::sample(&mut rng)) == 1).count();
        // Binomial(200, 1/2): outside [60, 140] with probability < 1e-8.
        assert!((60..=140).contains(&squares), "{squares} squares out of 200");
    }
}
