//! Goldilocks' quadratic extension F_p[X]/(X² − 7) — plonky2's `QuadraticExtension` — in BN254's R1CS.
//!
//! Multiplication uses the lazy reduction of [`GoldilocksVar`]: each coordinate of
//! `(a₀ + a₁X)(b₀ + b₁X) = (a₀b₀ + 7a₁b₁) + (a₀b₁ + a₁b₀)X` is summed unreduced (below 2¹³¹) and reduced once,
//! so a product costs two reductions instead of four.

use crate::goldilocks_gadget::GoldilocksVar;
use ark_bn254::Fr;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

/// X² = W in the extension (plonky2's `Extendable<2>::W` for Goldilocks).
pub const EXT_W: u64 = 7;

/// An element `c₀ + c₁X` of the quadratic extension.
#[derive(Clone, Debug)]
pub struct GoldilocksExtVar(pub [GoldilocksVar; 2]);

impl GoldilocksExtVar {
    /// A canonical witness.
    pub fn new_witness(cs: ConstraintSystemRef<Fr>, value: Option<[u64; 2]>) -> Result<Self, SynthesisError> {
        Ok(GoldilocksExtVar([
            GoldilocksVar::new_witness(cs.clone(), value.map(|v| v[0]))?,
            GoldilocksVar::new_witness(cs, value.map(|v| v[1]))?,
        ]))
    }

    /// A constant.
    pub fn constant(value: [u64; 2]) -> Self {
        GoldilocksExtVar(value.map(GoldilocksVar::constant))
    }

    /// The coordinates, reduced.
    pub fn value(&self) -> Result<[u64; 2], SynthesisError> {
        Ok([self.0[0].value()?, self.0[1].value()?])
    }

    /// Coordinate-wise sum, unreduced.
    pub fn add(&self, other: &Self) -> Result<Self, SynthesisError> {
        Ok(GoldilocksExtVar([self.0[0].add(&other.0[0])?, self.0[1].add(&other.0[1])?]))
    }

    /// Coordinate-wise difference, unreduced.
    pub fn sub(&self, other: &Self) -> Result<Self, SynthesisError> {
        Ok(GoldilocksExtVar([self.0[0].sub(&other.0[0])?, self.0[1].sub(&other.0[1])?]))
    }

    /// The product, canonical.
    pub fn mul(&self, other: &Self) -> Result<Self, SynthesisError> {
        let (a, b) = (self.reduce()?, other.reduce()?);
        let [a0, a1] = &a.0;
        let [b0, b1] = &b.0;
        let c0 = a0.mul_lazy(b0)?.add(&a1.mul_lazy(b1)?.mul_const(EXT_W)?)?;
        let c1 = a0.mul_lazy(b1)?.add(&a1.mul_lazy(b0)?)?;
        Ok(GoldilocksExtVar([c0.reduce()?, c1.reduce()?]))
    }

    /// The product by a base-field element, canonical.
    pub fn scalar_mul(&self, s: &GoldilocksVar) -> Result<Self, SynthesisError> {
        Ok(GoldilocksExtVar([self.0[0].mul(s)?, self.0[1].mul(s)?]))
    }

    /// The inverse: a witness w with `self · w = 1`; unsatisfiable for zero.
    pub fn inverse(&self) -> Result<Self, SynthesisError> {
        let cs = self.0[0].cs().or(self.0[1].cs());
        let inv = self.value().ok().map(|v| ext_inverse(v).unwrap_or([0, 0]));
        let w = if cs.is_none() {
            GoldilocksExtVar::constant(
                inv.and_then(|v| (v != [0, 0]).then_some(v)).ok_or(SynthesisError::Unsatisfiable)?,
            )
        } else {
            GoldilocksExtVar::new_witness(cs, inv)?
        };
        self.mul(&w)?.enforce_equal(&GoldilocksExtVar::constant([1, 0]))?;
        Ok(w)
    }

    /// Both coordinates canonical.
    pub fn reduce(&self) -> Result<Self, SynthesisError> {
        Ok(GoldilocksExtVar([self.0[0].reduce()?, self.0[1].reduce()?]))
    }

    /// Enforces equality in the extension.
    pub fn enforce_equal(&self, other: &Self) -> Result<(), SynthesisError> {
        self.0[0].enforce_equal(&other.0[0])?;
        self.0[1].enforce_equal(&other.0[1])
    }
}

/// The inverse natively: `(a₀ − a₁X) / (a₀² − 7a₁²)`; `None` for zero.
fn ext_inverse([a0, a1]: [u64; 2]) -> Option<[u64; 2]> {
    use crate::goldilocks_gadget::{inverse_u64, GOLDILOCKS_P};
    let p = GOLDILOCKS_P as u128;
    let mul = |x: u64, y: u64| (x as u128 * y as u128 % p) as u64;
    let norm = (mul(a0, a0) as u128 + p - mul(EXT_W, mul(a1, a1)) as u128) % p;
    let n_inv = inverse_u64(norm as u64)?;
    Some([mul(a0, n_inv), mul(((p - a1 as u128 % p) % p) as u64, n_inv)])
}

impl GoldilocksExtVar {
    /// A base-field element embedded in the extension: `(x, 0)`, no constraint.
    pub fn from_base(x: &GoldilocksVar) -> Self {
        GoldilocksExtVar([x.clone(), GoldilocksVar::constant(0)])
    }

    /// The product by a base-field constant, unreduced: no constraint.
    pub fn mul_base_const(&self, c: u64) -> Result<Self, SynthesisError> {
        Ok(GoldilocksExtVar([self.0[0].mul_const(c)?, self.0[1].mul_const(c)?]))
    }

    /// `self^(2^k)` by k squarings.
    pub fn exp_power_of_2(&self, k: usize) -> Result<Self, SynthesisError> {
        (0..k).try_fold(self.reduce()?, |x, _| x.mul(&x))
    }

    /// `num / self`: a witness q with `q · self = num`. Unsatisfiable when self is zero and num is not
    /// (plonky2 divides by such denominators only where they vanish with negligible probability).
    pub fn div_into(&self, num: &Self) -> Result<Self, SynthesisError> {
        let cs = self.0[0].cs().or(self.0[1].cs()).or(num.0[0].cs()).or(num.0[1].cs());
        let q = self.value().ok().zip(num.value().ok()).map(|(d, n)| ext_mul(ext_inverse(d).unwrap_or([0, 0]), n));
        let q = if cs.is_none() {
            GoldilocksExtVar::constant(q.ok_or(SynthesisError::AssignmentMissing)?)
        } else {
            GoldilocksExtVar::new_witness(cs, q)?
        };
        q.mul(self)?.enforce_equal(num)?;
        Ok(q)
    }
}

/// The product natively.
fn ext_mul([a0, a1]: [u64; 2], [b0, b1]: [u64; 2]) -> [u64; 2] {
    use crate::goldilocks_gadget::GOLDILOCKS_P;
    let p = GOLDILOCKS_P as u128;
    let mul = |x: u64, y: u64| x as u128 * y as u128 % p;
    [((mul(a0, b0) + mul(EXT_W, mul(a1, b1) as u64)) % p) as u64, ((mul(a0, b1) + mul(a1, b0)) % p) as u64]
}
