//! The arithmetic a custom gate's formulas are written in, once for every place that evaluates them.
//!
//! plonky2 evaluates a gate's constraints three ways: over the extension field (`eval_unfiltered`, the verifier),
//! over the base field (`eval_unfiltered_base_one`, the prover's quotient) and as circuit targets
//! (`eval_unfiltered_circuit`, the recursive verifier), and the witness generator computes the same values
//! natively. Four hand-written copies of a point formula would drift; here a formula is written once against
//! [`Ring`] and GF(p^5) = GF(p)[z]/(z^5 - 3) is built on top ([`Fp5`]), so the constraints come out in the same
//! order in all three evaluations by construction.

use core::marker::PhantomData;

use plonky2::field::extension::Extendable;
use plonky2::field::types::Field;
use plonky2::hash::hash_types::RichField;
use plonky2::iop::ext_target::ExtensionTarget;
use plonky2::plonk::circuit_builder::CircuitBuilder;

/// A commutative ring with small non-negative integer constants: what the formulas need. Public so that a
/// backend outside plonky2 (the GPU prover's quotient kernel, which emits the constraints as CUDA) can
/// evaluate [`crate::window_step_constraints`] over its own ring.
pub trait Ring {
    type E: Copy;
    fn zero(&mut self) -> Self::E;
    fn add(&mut self, a: Self::E, b: Self::E) -> Self::E;
    fn sub(&mut self, a: Self::E, b: Self::E) -> Self::E;
    /// k a b + c: one `ArithmeticExtensionGate` operation in the recursive verifier.
    fn mul_add(&mut self, k: u64, a: Self::E, b: Self::E, c: Self::E) -> Self::E;
    /// k a.
    fn scale(&mut self, k: u64, a: Self::E) -> Self::E;
}

/// Values of a field: the base field for the generator and the prover, its extension for the verifier.
pub(crate) struct Native<T>(PhantomData<T>);

impl<T> Native<T> {
    pub(crate) fn new() -> Self {
        Native(PhantomData)
    }
}

impl<T: Field> Ring for Native<T> {
    type E = T;
    fn zero(&mut self) -> T {
        T::ZERO
    }
    fn add(&mut self, a: T, b: T) -> T {
        a + b
    }
    fn sub(&mut self, a: T, b: T) -> T {
        a - b
    }
    fn mul_add(&mut self, k: u64, a: T, b: T, c: T) -> T {
        if k == 1 {
            a * b + c
        } else {
            T::from_canonical_u64(k) * a * b + c
        }
    }
    fn scale(&mut self, k: u64, a: T) -> T {
        T::from_canonical_u64(k) * a
    }
}

/// Targets of the recursive verifier's circuit.
pub(crate) struct InCircuit<'a, F: RichField + Extendable<D>, const D: usize>(pub(crate) &'a mut CircuitBuilder<F, D>);

impl<F: RichField + Extendable<D>, const D: usize> Ring for InCircuit<'_, F, D> {
    type E = ExtensionTarget<D>;
    fn zero(&mut self) -> Self::E {
        self.0.zero_extension()
    }
    fn add(&mut self, a: Self::E, b: Self::E) -> Self::E {
        self.0.add_extension(a, b)
    }
    fn sub(&mut self, a: Self::E, b: Self::E) -> Self::E {
        self.0.sub_extension(a, b)
    }
    fn mul_add(&mut self, k: u64, a: Self::E, b: Self::E, c: Self::E) -> Self::E {
        self.0.arithmetic_extension(F::from_canonical_u64(k), F::ONE, a, b, c)
    }
    fn scale(&mut self, k: u64, a: Self::E) -> Self::E {
        self.0.mul_const_extension(F::from_canonical_u64(k), a)
    }
}

/// z^5 = 3: a product term that wraps past z^4 is multiplied by this.
const W: u64 = 3;

/// An element of GF(p^5) over a [`Ring`]: five limbs, low degree first (`field5.rs`'s order).
pub(crate) type Fp5<E> = [E; 5];

pub(crate) fn add5<R: Ring>(r: &mut R, a: Fp5<R::E>, b: Fp5<R::E>) -> Fp5<R::E> {
    core::array::from_fn(|i| r.add(a[i], b[i]))
}

pub(crate) fn sub5<R: Ring>(r: &mut R, a: Fp5<R::E>, b: Fp5<R::E>) -> Fp5<R::E> {
    core::array::from_fn(|i| r.sub(a[i], b[i]))
}

/// k a for a small integer k.
pub(crate) fn scale5<R: Ring>(r: &mut R, k: u64, a: Fp5<R::E>) -> Fp5<R::E> {
    a.map(|l| r.scale(k, l))
}

/// k z a: a rotation of the limbs, the top one times 3 (how the curve's b = 263 z is multiplied in).
pub(crate) fn scale_z5<R: Ring>(r: &mut R, k: u64, a: Fp5<R::E>) -> Fp5<R::E> {
    [r.scale(k * W, a[4]), r.scale(k, a[0]), r.scale(k, a[1]), r.scale(k, a[2]), r.scale(k, a[3])]
}

/// k a b: 25 base products, those of degree 5 and more folded back with z^5 = 3.
pub(crate) fn mul5<R: Ring>(r: &mut R, k: u64, a: Fp5<R::E>, b: Fp5<R::E>) -> Fp5<R::E> {
    core::array::from_fn(|i| {
        let mut acc = r.zero();
        for (j, &aj) in a.iter().enumerate() {
            let l = (i + 5 - j) % 5;
            let factor = if j + l >= 5 { k * W } else { k };
            acc = r.mul_add(factor, aj, b[l], acc);
        }
        acc
    })
}

#[cfg(test)]
mod tests {
    use plonky2::field::extension::quintic::QuinticExtension;
    use plonky2::field::ops::Square;
    use plonky2::field::types::Sample;

    use super::*;
    use crate::field5::{mul_small, mul_small_z, Fp5 as NativeFp5, F};

    fn limbs(x: &NativeFp5) -> [F; 5] {
        x.0
    }

    /// The ring formulas are `field5.rs`'s arithmetic, limb for limb, on random elements.
    #[test]
    fn formulas_match_the_native_field() {
        let mut r = Native::<F>::new();
        for _ in 0..20 {
            let (a, b) = (NativeFp5::rand(), NativeFp5::rand());
            assert_eq!(mul5(&mut r, 1, limbs(&a), limbs(&b)), limbs(&(a * b)));
            assert_eq!(mul5(&mut r, 7, limbs(&a), limbs(&b)), limbs(&mul_small(&(a * b), 7)));
            assert_eq!(add5(&mut r, limbs(&a), limbs(&b)), limbs(&(a + b)));
            assert_eq!(sub5(&mut r, limbs(&a), limbs(&b)), limbs(&(a - b)));
            assert_eq!(scale5(&mut r, 4, limbs(&a)), limbs(&mul_small(&a, 4)));
            assert_eq!(scale_z5(&mut r, 263, limbs(&a)), limbs(&mul_small_z(&a, 263)));
            assert_eq!(QuinticExtension(mul5(&mut r, 1, limbs(&a), limbs(&a))), a.square());
        }
    }
}
