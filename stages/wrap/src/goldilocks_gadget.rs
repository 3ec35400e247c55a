//! Goldilocks (p = 2⁶⁴ − 2³² + 1) emulated in BN254's R1CS, with lazy reduction.
//!
//! A [`GoldilocksVar`] is one BN254 variable whose integer value is congruent to the Goldilocks element and
//! at most a bound the gadget tracks exactly (`max`). Sums and products only grow the bound — a product of
//! two canonical elements is one constraint and stays far below BN254's 254 bits — and
//! [`GoldilocksVar::reduce`] brings a value back below p once per expression, not once per operation: it
//! witnesses `value = q·p + r` and range-checks q (as many bits as `max / p` has) and r (64 bits and
//! r < p). Both sides stay below 2²⁵², so the equation over BN254 is the equation over the integers.
//!
//! Costs (R1CS constraints): a canonical witness 65; a product of two canonical elements reduced at once
//! ([`GoldilocksVar::mul`]) 130 (q: 64 bits, r: 65); an addition 0 until it is reduced.
//!
//! Range checks are bit decompositions (one booleanity constraint per bit): R1CS has no lookups.

use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, BigInteger, PrimeField};
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::GR1CSVar;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use num_bigint::BigUint;

/// The Goldilocks modulus.
pub const GOLDILOCKS_P: u64 = 0xffff_ffff_0000_0001;

/// The widest bound a lazy value may reach before it must be reduced: keeps `q·p + r` below BN254's r.
const MAX_BITS: u64 = 250;

/// A Goldilocks element in a BN254 circuit: congruent to the element, an integer in `0..=max`.
#[derive(Clone, Debug)]
pub struct GoldilocksVar {
    value: FpVar<Fr>,
    max: BigUint,
    canonical: bool,
}

impl GoldilocksVar {
    /// A witness, range-checked to be canonical (below p): 66 constraints. A value ≥ p makes the system
    /// unsatisfiable.
    pub fn new_witness(cs: ConstraintSystemRef<Fr>, value: Option<u64>) -> Result<Self, SynthesisError> {
        let value = canonical_bits(cs, value.map(Fr::from))?;
        Ok(GoldilocksVar { value, max: p_minus_one(), canonical: true })
    }

    /// A constant (reduced mod p here, where that is free).
    pub fn constant(value: u64) -> Self {
        GoldilocksVar { value: FpVar::constant(Fr::from(value % GOLDILOCKS_P)), max: p_minus_one(), canonical: true }
    }

    /// A value the caller has already bounded by `max` (say, a linear combination of that many booleans):
    /// no constraint. Reduced later like any lazy value; canonical at once if `max < p`.
    pub(crate) fn from_bounded(value: FpVar<Fr>, max: u64) -> Self {
        GoldilocksVar { value, max: BigUint::from(max), canonical: max < GOLDILOCKS_P }
    }

    /// The element, when the circuit has values.
    pub fn value(&self) -> Result<u64, SynthesisError> {
        let v = biguint(&self.value.value()?) % BigUint::from(GOLDILOCKS_P);
        Ok(v.to_u64_digits().first().copied().unwrap_or(0))
    }

    /// The constraint system this value lives in (`None` for a constant).
    pub fn cs(&self) -> ConstraintSystemRef<Fr> {
        self.value.cs()
    }

    /// The canonical value as a BN254 variable (reducing first if needed): what packing builds on.
    pub fn canonical_fp(&self) -> Result<FpVar<Fr>, SynthesisError> {
        Ok(self.reduce()?.value)
    }

    /// Whether the value is known to be below p.
    pub fn is_canonical(&self) -> bool {
        self.canonical
    }

    /// `self + other`, unreduced: no constraint.
    pub fn add(&self, other: &Self) -> Result<Self, SynthesisError> {
        let (a, b) = fit(self, other, |a, b| a + b)?;
        Ok(lazy(&a.value + &b.value, &a.max + &b.max))
    }

    /// `self − other`, unreduced: adds the least multiple of p that is ≥ `other`'s bound, so the integer
    /// stays ≥ 0.
    pub fn sub(&self, other: &Self) -> Result<Self, SynthesisError> {
        let offset = |b: &BigUint| (b / GOLDILOCKS_P + 1u8) * GOLDILOCKS_P;
        let (a, b) = fit(self, other, |a, b| a + offset(b))?;
        let k_p = offset(&b.max);
        Ok(lazy(&a.value + Fr::from(k_p.clone()) - &b.value, &a.max + k_p))
    }

    /// `self · c` for a constant `c`, unreduced: no constraint.
    pub fn mul_const(&self, c: u64) -> Result<Self, SynthesisError> {
        let a = if bit_len(&(&self.max * c)) > MAX_BITS { self.reduce()? } else { self.clone() };
        Ok(lazy(&a.value * Fr::from(c), &a.max * c))
    }

    /// `self · other`, unreduced: one constraint.
    pub fn mul_lazy(&self, other: &Self) -> Result<Self, SynthesisError> {
        let (a, b) = fit(self, other, |a, b| a * b)?;
        Ok(lazy(&a.value * &b.value, &a.max * &b.max))
    }

    /// `self · other mod p`, canonical. The product is checked inside the reduction's one equation
    /// (`a · b = q·p + r`), so it costs no constraint of its own.
    pub fn mul(&self, other: &Self) -> Result<Self, SynthesisError> {
        let (a, b) = fit(self, other, |a, b| a * b)?;
        let cs = a.value.cs().or(b.value.cs());
        if cs.is_none() {
            // Two constants: the product is a constant too.
            let v = (a.value()? as u128 * b.value()? as u128 % GOLDILOCKS_P as u128) as u64;
            return Ok(GoldilocksVar::constant(v));
        }
        let product = a.value.value().and_then(|x| Ok(x * b.value.value()?));
        let (q, r) = split_witness(&cs, product.ok(), &(&a.max * &b.max))?;
        a.value.mul_equals(&b.value, &(q * Fr::from(GOLDILOCKS_P) + &r))?;
        Ok(GoldilocksVar { value: r, max: p_minus_one(), canonical: true })
    }

    /// The canonical representative (below p). Free if already canonical.
    pub fn reduce(&self) -> Result<Self, SynthesisError> {
        if self.canonical {
            return Ok(self.clone());
        }
        if self.value.cs().is_none() {
            // A constant (say `0 − 0` in an extension's zero coordinate): reduced natively, for free.
            return Ok(GoldilocksVar::constant(self.value()?));
        }
        let (q, r) = split_witness(&self.value.cs(), self.value.value().ok(), &self.max)?;
        self.value.enforce_equal(&(q * Fr::from(GOLDILOCKS_P) + &r))?;
        Ok(GoldilocksVar { value: r, max: p_minus_one(), canonical: true })
    }

    /// The inverse: a witness w with `self · w ≡ 1`. Zero has none, and the system is then unsatisfiable
    /// (plonky2's `inverse` panics on zero likewise).
    pub fn inverse(&self) -> Result<Self, SynthesisError> {
        let cs = self.value.cs();
        if cs.is_none() {
            let v = self.value()?;
            return inverse_u64(v).map(GoldilocksVar::constant).ok_or(SynthesisError::Unsatisfiable);
        }
        let inv = self.value().ok().map(|v| inverse_u64(v).unwrap_or(0));
        let w = GoldilocksVar::new_witness(cs, inv)?;
        self.mul(&w)?.value.enforce_equal(&FpVar::one())?;
        Ok(w)
    }

    /// Enforces `self ≡ other (mod p)`.
    pub fn enforce_equal(&self, other: &Self) -> Result<(), SynthesisError> {
        self.reduce()?.value.enforce_equal(&other.reduce()?.value)
    }

    /// For tests of the reduction itself: `value = q·p + r` with the caller's q and r.
    #[cfg(test)]
    pub(crate) fn reduce_with(&self, q: BigUint, r: BigUint) -> Result<Self, SynthesisError> {
        let cs = self.value.cs();
        let q = range_bits(cs.clone(), Some(Fr::from(q)), quotient_bits(&self.max))?.0;
        let r = canonical_bits(cs, Some(Fr::from(r)))?;
        self.value.enforce_equal(&(q * Fr::from(GOLDILOCKS_P) + &r))?;
        Ok(GoldilocksVar { value: r, max: p_minus_one(), canonical: true })
    }
}

fn lazy(value: FpVar<Fr>, max: BigUint) -> GoldilocksVar {
    GoldilocksVar { value, max, canonical: false }
}

fn p_minus_one() -> BigUint {
    BigUint::from(GOLDILOCKS_P - 1)
}

fn bit_len(x: &BigUint) -> u64 {
    x.bits()
}

/// Bits of the quotient `value / p` for a value of at most `max` (at least one, so a range check exists).
fn quotient_bits(max: &BigUint) -> usize {
    bit_len(&(max / GOLDILOCKS_P)).max(1) as usize
}

/// The operands of a binary operation whose result bound is `bound(a, b)`, reduced (the wider first) until
/// that bound fits [`MAX_BITS`].
fn fit(
    a: &GoldilocksVar,
    b: &GoldilocksVar,
    bound: impl Fn(&BigUint, &BigUint) -> BigUint,
) -> Result<(GoldilocksVar, GoldilocksVar), SynthesisError> {
    let (mut a, mut b) = (a.clone(), b.clone());
    while bit_len(&bound(&a.max, &b.max)) > MAX_BITS {
        // Reduce the wider operand that can still shrink; two canonical operands always fit.
        if !a.canonical && (a.max >= b.max || b.canonical) {
            a = a.reduce()?;
        } else {
            b = b.reduce()?;
        }
    }
    Ok((a, b))
}

/// Witnesses q and r with `value = q·p + r` for a value of at most `max`; range-checks both.
fn split_witness(
    cs: &ConstraintSystemRef<Fr>,
    value: Option<Fr>,
    max: &BigUint,
) -> Result<(FpVar<Fr>, FpVar<Fr>), SynthesisError> {
    let p = BigUint::from(GOLDILOCKS_P);
    let (q, r) = match value {
        Some(v) => {
            let v = biguint(&v);
            (Some(Fr::from(&v / &p)), Some(Fr::from(&v % &p)))
        }
        None => (None, None),
    };
    let q = range_bits(cs.clone(), q, quotient_bits(max))?.0;
    let r = canonical_bits(cs.clone(), r)?;
    Ok((q, r))
}

/// A 64-bit witness that is below p: 64 booleans, and one constraint for "high half all ones ⇒ low half
/// zero" (p = 2⁶⁴ − 2³² + 1, so those are exactly the 64-bit values ≥ p): 65 constraints.
fn canonical_bits(cs: ConstraintSystemRef<Fr>, value: Option<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    let (x, bits) = range_bits(cs.clone(), value, 64)?;
    let lo = recompose(&bits[..32]);
    let hi = recompose(&bits[32..]);
    // d = (2³² − 1) − hi is zero exactly when the high half is all ones; then d·w = lo forces lo = 0.
    let d = FpVar::constant(Fr::from(u32::MAX)) - hi;
    let w = FpVar::new_witness(cs, || {
        let (d, lo) = (d.value()?, lo.value()?);
        Ok(ark_ff::Field::inverse(&d).map(|inv| lo * inv).unwrap_or_default())
    })?;
    d.mul_equals(&w, &lo)?;
    Ok(x)
}

/// A witness below `2^n` as its little-endian bits (n booleanity constraints); the value is their sum.
fn range_bits(
    cs: ConstraintSystemRef<Fr>,
    value: Option<Fr>,
    n: usize,
) -> Result<(FpVar<Fr>, Vec<Boolean<Fr>>), SynthesisError> {
    let le = value.map(|v| v.into_bigint().to_bits_le());
    let bits = (0..n)
        .map(|i| {
            Boolean::new_witness(cs.clone(), || le.as_ref().map(|b| b[i]).ok_or(SynthesisError::AssignmentMissing))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // A value of more than n bits is not what the bits add up to; the caller's equation then fails.
    Ok((recompose(&bits), bits))
}

fn recompose(bits: &[Boolean<Fr>]) -> FpVar<Fr> {
    let mut acc = FpVar::zero();
    let mut coeff = Fr::from(1u64);
    for bit in bits {
        acc += FpVar::from(bit.clone()) * coeff;
        coeff.double_in_place();
    }
    acc
}

fn biguint(x: &Fr) -> BigUint {
    x.into_bigint().into()
}

/// The Goldilocks inverse by Fermat (x^(p−2)); `None` for zero.
pub(crate) fn inverse_u64(x: u64) -> Option<u64> {
    if x.is_multiple_of(GOLDILOCKS_P) {
        return None;
    }
    let p = GOLDILOCKS_P as u128;
    let (mut base, mut exp, mut acc) = (x as u128 % p, GOLDILOCKS_P - 2, 1u128);
    while exp > 0 {
        if exp & 1 == 1 {
            acc = acc * base % p;
        }
        base = base * base % p;
        exp >>= 1;
    }
    Some(acc as u64)
}
