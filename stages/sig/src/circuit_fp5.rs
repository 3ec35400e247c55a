//! GF(p^5) in a plonky2 circuit: an element is five Goldilocks targets (low degree first, the limbs of
//! `field5.rs`), and every operation is a sum of base-field terms laid on plonky2's `ArithmeticGate`.
//!
//! Why an expression builder ([`Fp5Expr`]) rather than one gadget per operation: an `ArithmeticGate` operation
//! computes `c0 x y + c1 z`, one product *and* one addend, and costs the same (1/20 of a row with the standard
//! configuration) whether it multiplies or only adds. A GF(p^5) product is 25 base products per element and a
//! square 15; the additions, subtractions and small-constant scalings around them would cost 5 operations
//! each if emitted on their own. Collecting every term of a limb first and emitting one accumulation chain
//! (`acc = c x y + acc`) makes each linear term ride along for one operation, a term with coefficient 1 free
//! as the chain's start, and terms with a constant operand fold into constants. Every operation uses
//! `c1 = 1`, so the gates are shared by few constant pairs (one `ArithmeticGate` per pair is left part-full).
//!
//! Inverse-free: nothing here inverts in the circuit. A division or a non-zero test is a witnessed value and
//! a product check ([`Fp5Expr::assert_zero`] on `a b - 1`).

use plonky2::field::extension::quintic::QuinticExtension;
use plonky2::field::types::Field;
use plonky2::iop::target::Target;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;

use crate::error::SigError;
use crate::field5::{Fp5, F};

/// The circuit builder every gadget of this crate works on (Goldilocks, quadratic extension for FRI).
pub type Builder = CircuitBuilder<F, 2>;

/// z^5 = 3 in GF(p)[z]/(z^5 - 3): a product term that wraps past z^4 is multiplied by this.
const W: u64 = 3;

/// An element of GF(p^5) in the circuit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fp5Target(pub [Target; 5]);

impl Fp5Target {
    /// Five fresh witness targets (no constraint: the caller constrains them).
    pub fn new_virtual(builder: &mut Builder) -> Self {
        Fp5Target(core::array::from_fn(|_| builder.add_virtual_target()))
    }

    pub fn constant(builder: &mut Builder, c: Fp5) -> Self {
        Fp5Target(c.0.map(|l| builder.constant(l)))
    }

    pub fn zero(builder: &mut Builder) -> Self {
        Self::constant(builder, Fp5::ZERO)
    }

    pub fn set(&self, pw: &mut PartialWitness<F>, value: &Fp5) -> Result<(), SigError> {
        for (t, v) in self.0.iter().zip(value.0) {
            pw.set_target(*t, v).map_err(witness_error)?;
        }
        Ok(())
    }

    pub fn add(&self, builder: &mut Builder, rhs: &Self) -> Self {
        Fp5Expr::new().lin(self, F::ONE).lin(rhs, F::ONE).emit(builder)
    }

    pub fn sub(&self, builder: &mut Builder, rhs: &Self) -> Self {
        Fp5Expr::new().lin(self, F::ONE).lin(rhs, F::NEG_ONE).emit(builder)
    }

    pub fn neg(&self, builder: &mut Builder) -> Self {
        Fp5Expr::new().lin(self, F::NEG_ONE).emit(builder)
    }

    pub fn mul(&self, builder: &mut Builder, rhs: &Self) -> Self {
        Fp5Expr::new().mul(self, rhs, F::ONE).emit(builder)
    }

    pub fn square(&self, builder: &mut Builder) -> Self {
        Fp5Expr::new().square(self, F::ONE).emit(builder)
    }

    /// Multiplication by a constant of GF(p^5) (25 products folded to at most 25 linear terms, fewer for a
    /// constant with zero limbs, e.g. the curve's b = 263 z).
    pub fn mul_const(&self, builder: &mut Builder, c: &Fp5) -> Self {
        let c = Fp5Target::constant(builder, *c);
        self.mul(builder, &c)
    }

    /// Constrain `self == rhs` limb by limb (copy constraints: no gate).
    pub fn connect(&self, builder: &mut Builder, rhs: &Self) {
        for (a, b) in self.0.iter().zip(rhs.0.iter()) {
            builder.connect(*a, *b);
        }
    }

    /// Constrain `self * rhs == expected` (the inverse-free form of a division: witness the quotient,
    /// check the product).
    pub fn assert_product(&self, builder: &mut Builder, rhs: &Self, expected: &Self) {
        Fp5Expr::new().mul(self, rhs, F::ONE).lin(expected, F::NEG_ONE).assert_zero(builder);
    }

    /// Constrain `self != 0` given a witnessed `inverse`: `self * inverse == 1` has no solution for zero.
    pub fn assert_nonzero(&self, builder: &mut Builder, inverse: &Self) {
        Fp5Expr::new().mul(self, inverse, F::ONE).constant(&-Fp5::ONE).assert_zero(builder);
    }
}

/// One base-field term: `c a b`, or `c a` when `b` is `None`.
#[derive(Clone, Copy, Debug)]
struct Term {
    c: F,
    a: Target,
    b: Option<Target>,
}

/// A GF(p^5) value as a sum of terms per limb, emitted into the circuit at once by [`Fp5Expr::emit`].
///
/// Each method adds `coefficient × (something)` to the sum; the coefficient is a base-field constant, and
/// the `_z` variants multiply by z as well (a limb rotation with the wrapped limb times 3), which is how the
/// curve constant b = 263 z enters without a product.
#[derive(Clone, Debug, Default)]
pub struct Fp5Expr {
    limbs: [Vec<Term>; 5],
    constant: [F; 5],
}

impl Fp5Expr {
    pub fn new() -> Self {
        Self::default()
    }

    /// `+ c a b` (25 base products).
    pub fn mul(self, a: &Fp5Target, b: &Fp5Target, c: F) -> Self {
        self.mul_shifted(a, b, c, 0)
    }

    /// `+ c z a b`.
    pub fn mul_z(self, a: &Fp5Target, b: &Fp5Target, c: F) -> Self {
        self.mul_shifted(a, b, c, 1)
    }

    fn mul_shifted(mut self, a: &Fp5Target, b: &Fp5Target, c: F, shift: usize) -> Self {
        for i in 0..5 {
            for j in 0..5 {
                let k = i + j + shift;
                let (limb, c) = if k < 5 { (k, c) } else { (k - 5, c * F::from_canonical_u64(W)) };
                self.limbs[limb].push(Term { c, a: a.0[i], b: Some(b.0[j]) });
            }
        }
        self
    }

    /// `+ c a^2` (15 base products: the cross terms a_i a_j and a_j a_i are one product with coefficient 2).
    pub fn square(mut self, a: &Fp5Target, c: F) -> Self {
        for i in 0..5 {
            for j in i..5 {
                let k = i + j;
                let c = if i == j { c } else { c + c };
                let (limb, c) = if k < 5 { (k, c) } else { (k - 5, c * F::from_canonical_u64(W)) };
                self.limbs[limb].push(Term { c, a: a.0[i], b: Some(a.0[j]) });
            }
        }
        self
    }

    /// `+ c a`.
    pub fn lin(mut self, a: &Fp5Target, c: F) -> Self {
        for (limb, t) in self.limbs.iter_mut().zip(a.0) {
            limb.push(Term { c, a: t, b: None });
        }
        self
    }

    /// `+ c z a`.
    pub fn lin_z(mut self, a: &Fp5Target, c: F) -> Self {
        for i in 0..5 {
            let (limb, c) = if i + 1 < 5 { (i + 1, c) } else { (0, c * F::from_canonical_u64(W)) };
            self.limbs[limb].push(Term { c, a: a.0[i], b: None });
        }
        self
    }

    /// `+ c s a` for a base-field target `s` (e.g. a selector bit) and a GF(p^5) value `a`.
    pub fn scale(mut self, s: Target, a: &Fp5Target, c: F) -> Self {
        for (limb, t) in self.limbs.iter_mut().zip(a.0) {
            limb.push(Term { c, a: s, b: Some(t) });
        }
        self
    }

    /// `+ v` for a constant of GF(p^5).
    pub fn constant(mut self, v: &Fp5) -> Self {
        for (acc, l) in self.constant.iter_mut().zip(v.0) {
            *acc += l;
        }
        self
    }

    /// The value as five targets.
    pub fn emit(self, builder: &mut Builder) -> Fp5Target {
        let Fp5Expr { limbs, constant } = self;
        let mut out = [builder.zero(); 5];
        for ((o, terms), k) in out.iter_mut().zip(limbs).zip(constant) {
            *o = emit_limb(builder, terms, k);
        }
        Fp5Target(out)
    }

    /// Constrain the value to be zero. Each limb is copy-constrained to the zero constant, so a violated
    /// constraint already fails witness generation (two values for one wire), before any proving work.
    pub fn assert_zero(self, builder: &mut Builder) {
        let v = self.emit(builder);
        for l in v.0 {
            builder.assert_zero(l);
        }
    }
}

/// One limb: fold constant operands, then one `ArithmeticGate` chain `acc = c x y + acc`.
fn emit_limb(builder: &mut Builder, terms: Vec<Term>, mut constant: F) -> Target {
    let one = builder.one();
    // Products with a constant factor become linear terms, constant terms join `constant`.
    let mut products: Vec<(F, Target, Target)> = Vec::with_capacity(terms.len());
    let mut linear: Vec<(F, Target)> = Vec::new();
    for Term { c, a, b } in terms {
        let ka = builder.target_as_constant(a);
        let b = b.map(|b| (b, builder.target_as_constant(b)));
        match (ka, b) {
            (Some(x), None) => constant += c * x,
            (None, None) => linear.push((c, a)),
            (Some(x), Some((_, Some(y)))) => constant += c * x * y,
            (Some(x), Some((b, None))) => linear.push((c * x, b)),
            (None, Some((_, Some(y)))) => linear.push((c * y, a)),
            (None, Some((b, None))) => products.push((c, a, b)),
        }
    }
    linear.retain(|(c, _)| !c.is_zero());
    products.retain(|(c, _, _)| !c.is_zero());

    // Start the chain with a term that costs nothing: a linear term of coefficient 1, else the constant.
    let mut acc = match linear.iter().position(|(c, _)| *c == F::ONE) {
        Some(i) => {
            let (_, t) = linear.swap_remove(i);
            if constant.is_zero() {
                t
            } else {
                // t + constant in one operation.
                let k = builder.constant(constant);
                constant = F::ZERO;
                builder.arithmetic(F::ONE, F::ONE, t, one, k)
            }
        }
        None => {
            let k = builder.constant(constant);
            constant = F::ZERO;
            k
        }
    };
    debug_assert!(constant.is_zero());
    for (c, x, y) in products {
        acc = builder.arithmetic(c, F::ONE, x, y, acc);
    }
    for (c, x) in linear {
        acc = builder.arithmetic(c, F::ONE, x, one, acc);
    }
    acc
}

/// plonky2's witness errors (a target set twice to different values) as this crate's error.
pub(crate) fn witness_error(e: impl core::fmt::Display) -> SigError {
    SigError::Witness(e.to_string())
}

/// The value of an `Fp5` as field elements, for tests and witnesses.
pub(crate) fn fp5_from_fields(limbs: [F; 5]) -> Fp5 {
    QuinticExtension(limbs)
}

#[cfg(test)]
mod tests {
    use plonky2::field::types::Sample;
    use plonky2::plonk::circuit_data::CircuitConfig;
    use plonky2::plonk::config::PoseidonGoldilocksConfig;
    use rand::SeedableRng;

    use super::*;
    use crate::field5::mul_small_z;

    type C = PoseidonGoldilocksConfig;

    /// Every operation on random inputs, its output a public input, compared with `field5.rs`; the proof is
    /// checked with plonky2's verifier.
    #[test]
    fn operations_match_the_native_field() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        for _ in 0..3 {
            let (a, b, k) = (Fp5::sample(&mut rng), Fp5::sample(&mut rng), Fp5::sample(&mut rng));
            let mut builder = Builder::new(CircuitConfig::standard_recursion_config());
            let (ta, tb) = (Fp5Target::new_virtual(&mut builder), Fp5Target::new_virtual(&mut builder));
            let outs = [
                ta.add(&mut builder, &tb),
                ta.sub(&mut builder, &tb),
                ta.neg(&mut builder),
                ta.mul(&mut builder, &tb),
                ta.square(&mut builder),
                ta.mul_const(&mut builder, &k),
                // a mixed expression: 3 a b - 2 z a^2 + 5 z b + k
                Fp5Expr::new()
                    .mul(&ta, &tb, F::from_canonical_u64(3))
                    .mul_z(&ta, &ta, -F::TWO)
                    .lin_z(&tb, F::from_canonical_u64(5))
                    .constant(&k)
                    .emit(&mut builder),
            ];
            for o in &outs {
                builder.register_public_inputs(&o.0);
            }
            let prod = Fp5Target::new_virtual(&mut builder);
            ta.assert_product(&mut builder, &tb, &prod);
            let inv = Fp5Target::new_virtual(&mut builder);
            ta.assert_nonzero(&mut builder, &inv);
            let data = builder.build::<C>();

            let mut pw = PartialWitness::new();
            ta.set(&mut pw, &a).unwrap();
            tb.set(&mut pw, &b).unwrap();
            prod.set(&mut pw, &(a * b)).unwrap();
            inv.set(&mut pw, &a.inverse()).unwrap();
            let proof = data.prove(pw).unwrap();
            data.verify(proof.clone()).unwrap();
            let z = crate::field5::fp5_const([0, 1, 0, 0, 0]);
            let expected = [
                a + b,
                a - b,
                -a,
                a * b,
                a * a,
                a * k,
                a * b * Fp5::from_canonical_u64(3) - z * a * a * Fp5::TWO + mul_small_z(&b, 5) + k,
            ];
            for (i, e) in expected.iter().enumerate() {
                let got = fp5_from_fields(proof.public_inputs[5 * i..5 * i + 5].try_into().unwrap());
                assert_eq!(got, *e, "output {i}");
            }
        }
    }

    /// The inverse-free checks refuse a wrong product and a zero "inverse" claim, at witness generation.
    #[test]
    fn product_and_nonzero_checks_refuse_wrong_witnesses() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(13);
        let (a, b) = (Fp5::sample(&mut rng), Fp5::sample(&mut rng));
        let mut builder = Builder::new(CircuitConfig::standard_recursion_config());
        let (ta, tb, prod) = (
            Fp5Target::new_virtual(&mut builder),
            Fp5Target::new_virtual(&mut builder),
            Fp5Target::new_virtual(&mut builder),
        );
        ta.assert_product(&mut builder, &tb, &prod);
        let data = builder.build::<C>();
        let attempt = |p: Fp5| {
            let mut pw = PartialWitness::new();
            ta.set(&mut pw, &a).unwrap();
            tb.set(&mut pw, &b).unwrap();
            prod.set(&mut pw, &p).unwrap();
            data.prove(pw).and_then(|proof| data.verify(proof))
        };
        assert!(attempt(a * b).is_ok());
        assert!(attempt(a * b + Fp5::ONE).is_err());

        let mut builder = Builder::new(CircuitConfig::standard_recursion_config());
        let (tz, inv) = (Fp5Target::new_virtual(&mut builder), Fp5Target::new_virtual(&mut builder));
        tz.assert_nonzero(&mut builder, &inv);
        let data = builder.build::<C>();
        let mut pw = PartialWitness::new();
        tz.set(&mut pw, &Fp5::ZERO).unwrap();
        inv.set(&mut pw, &a).unwrap();
        assert!(data.prove(pw).and_then(|proof| data.verify(proof)).is_err());
    }
}
