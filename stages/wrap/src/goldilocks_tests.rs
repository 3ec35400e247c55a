//! Goldilocks emulation against plonky2's own field arithmetic, and the negative tests of its range checks.

use crate::goldilocks_ext_gadget::{GoldilocksExtVar, EXT_W};
use crate::goldilocks_gadget::{GoldilocksVar, GOLDILOCKS_P};
use ark_bn254::Fr;
use ark_relations::gr1cs::{ConstraintSystem, ConstraintSystemRef};
use ark_std::rand::{Rng, SeedableRng};
use num_bigint::BigUint;
use plonky2::field::extension::quadratic::QuadraticExtension;
use plonky2::field::extension::{Extendable, FieldExtension};
use plonky2::field::goldilocks_field::GoldilocksField as F;
use plonky2::field::types::{Field, PrimeField64};

type E = QuadraticExtension<F>;

const EDGES: [u64; 9] = [
    0,
    1,
    2,
    GOLDILOCKS_P - 1,
    GOLDILOCKS_P - 2,
    (GOLDILOCKS_P - 1) / 2,
    1 << 32,
    (1 << 32) - 1,
    0xffff_fffe_ffff_ffff,
];

fn samples(seed: u64, n: usize) -> Vec<u64> {
    let mut rng = ark_std::rand::rngs::StdRng::seed_from_u64(seed);
    EDGES.iter().copied().chain((0..n).map(|_| rng.gen_range(0..GOLDILOCKS_P))).collect()
}

fn new_cs() -> ConstraintSystemRef<Fr> {
    ConstraintSystem::<Fr>::new_ref()
}

fn f(x: u64) -> F {
    F::from_canonical_u64(x)
}

#[test]
fn base_field_ops_match_plonky2() {
    let xs = samples(1, 8);
    let ys = samples(2, 8);
    let cs = new_cs();
    for &x in &xs {
        for &y in &ys {
            let a = GoldilocksVar::new_witness(cs.clone(), Some(x)).unwrap();
            let b = GoldilocksVar::new_witness(cs.clone(), Some(y)).unwrap();
            let sum = a.add(&b).unwrap().reduce().unwrap();
            let diff = a.sub(&b).unwrap().reduce().unwrap();
            let prod = a.mul(&b).unwrap();
            assert_eq!(sum.value().unwrap(), (f(x) + f(y)).to_canonical_u64(), "{x} + {y}");
            assert_eq!(diff.value().unwrap(), (f(x) - f(y)).to_canonical_u64(), "{x} - {y}");
            assert_eq!(prod.value().unwrap(), (f(x) * f(y)).to_canonical_u64(), "{x} * {y}");
            // A lazy expression, reduced once: x·y + 3x − y.
            let expr = a.mul_lazy(&b).unwrap().add(&a.mul_const(3).unwrap()).unwrap().sub(&b).unwrap();
            let expected = f(x) * f(y) + f(3) * f(x) - f(y);
            assert_eq!(expr.reduce().unwrap().value().unwrap(), expected.to_canonical_u64());
            assert!(sum.is_canonical() && prod.is_canonical());
        }
        if x != 0 {
            let a = GoldilocksVar::new_witness(cs.clone(), Some(x)).unwrap();
            assert_eq!(a.inverse().unwrap().value().unwrap(), f(x).inverse().to_canonical_u64());
        }
    }
    assert!(cs.is_satisfied().unwrap());
}

#[test]
fn long_lazy_chains_stay_sound() {
    // Repeated squaring without explicit reduction: the gadget reduces by itself before 250 bits.
    let cs = new_cs();
    let x = GOLDILOCKS_P - 3;
    let a = GoldilocksVar::new_witness(cs.clone(), Some(x)).unwrap();
    let (mut acc, mut native) = (a.clone(), f(x));
    for _ in 0..10 {
        acc = acc.mul_lazy(&acc).unwrap().add(&a).unwrap();
        native = native * native + f(x);
    }
    assert_eq!(acc.reduce().unwrap().value().unwrap(), native.to_canonical_u64());
    assert!(cs.is_satisfied().unwrap());
}

#[test]
fn extension_ops_match_plonky2() {
    assert_eq!(<F as Extendable<2>>::W, f(EXT_W));
    let xs = samples(3, 6);
    let cs = new_cs();
    for w in xs.windows(4) {
        let (x, y) = ([w[0], w[1]], [w[2], w[3]]);
        let (ex, ey) = (E::from_basefield_array([f(x[0]), f(x[1])]), E::from_basefield_array([f(y[0]), f(y[1])]));
        let a = GoldilocksExtVar::new_witness(cs.clone(), Some(x)).unwrap();
        let b = GoldilocksExtVar::new_witness(cs.clone(), Some(y)).unwrap();
        let canon = |e: E| e.0.map(|c| c.to_canonical_u64());
        assert_eq!(a.mul(&b).unwrap().value().unwrap(), canon(ex * ey));
        assert_eq!(a.add(&b).unwrap().reduce().unwrap().value().unwrap(), canon(ex + ey));
        assert_eq!(a.sub(&b).unwrap().reduce().unwrap().value().unwrap(), canon(ex - ey));
        if x != [0, 0] {
            assert_eq!(a.inverse().unwrap().value().unwrap(), canon(ex.inverse()));
        }
        let s = GoldilocksVar::new_witness(cs.clone(), Some(y[0])).unwrap();
        assert_eq!(a.scalar_mul(&s).unwrap().value().unwrap(), canon(ex * E::from(f(y[0]))));
    }
    assert!(cs.is_satisfied().unwrap());
}

#[test]
fn values_at_or_above_p_are_rejected() {
    for bad in [GOLDILOCKS_P, GOLDILOCKS_P + 1, u64::MAX, 0xffff_ffff_0000_1000] {
        let cs = new_cs();
        GoldilocksVar::new_witness(cs.clone(), Some(bad)).unwrap();
        assert!(!cs.is_satisfied().unwrap(), "{bad:#x} accepted as canonical");
    }
    // The largest canonical value passes: the check is not simply too strict.
    let cs = new_cs();
    GoldilocksVar::new_witness(cs.clone(), Some(GOLDILOCKS_P - 1)).unwrap();
    assert!(cs.is_satisfied().unwrap());
}

#[test]
fn a_wrong_or_unreduced_remainder_is_rejected() {
    let (x, y) = (GOLDILOCKS_P - 5, 0x1234_5678_9abc_def0);
    let product = BigUint::from(x) * BigUint::from(y);
    let p = BigUint::from(GOLDILOCKS_P);
    let (q, r) = (&product / &p, &product % &p);
    let attempt = |q: BigUint, r: BigUint| {
        let cs = new_cs();
        let a = GoldilocksVar::new_witness(cs.clone(), Some(x)).unwrap();
        let b = GoldilocksVar::new_witness(cs.clone(), Some(y)).unwrap();
        a.mul_lazy(&b).unwrap().reduce_with(q, r).unwrap();
        cs.is_satisfied().unwrap()
    };
    assert!(attempt(q.clone(), r.clone()), "the honest split must pass");
    assert!(!attempt(q.clone(), &r + 1u8), "a wrong remainder passed");
    assert!(!attempt(&q - 1u8, &r + &p), "an unreduced remainder (r + p) passed");
    assert!(!attempt(&q + 1u8, r.clone()), "a wrong quotient passed");
}

#[test]
fn zero_has_no_inverse() {
    let cs = new_cs();
    GoldilocksVar::new_witness(cs.clone(), Some(0)).unwrap().inverse().unwrap();
    assert!(!cs.is_satisfied().unwrap());
    let cs = new_cs();
    GoldilocksExtVar::new_witness(cs.clone(), Some([0, 0])).unwrap().inverse().unwrap();
    assert!(!cs.is_satisfied().unwrap());
}

#[test]
fn constraint_counts() {
    let count = |build: &dyn Fn(ConstraintSystemRef<Fr>)| {
        let cs = new_cs();
        build(cs.clone());
        cs.num_constraints()
    };
    let witness = count(&|cs| {
        GoldilocksVar::new_witness(cs, Some(5)).unwrap();
    });
    let mul = count(&|cs| {
        let a = GoldilocksVar::new_witness(cs.clone(), Some(5)).unwrap();
        let b = GoldilocksVar::new_witness(cs, Some(7)).unwrap();
        a.mul(&b).unwrap();
    }) - 2 * witness;
    let ext_mul = count(&|cs| {
        let a = GoldilocksExtVar::new_witness(cs.clone(), Some([5, 6])).unwrap();
        let b = GoldilocksExtVar::new_witness(cs, Some([7, 8])).unwrap();
        a.mul(&b).unwrap();
    }) - 4 * witness;
    eprintln!("goldilocks constraints: canonical witness {witness}, mul {mul}, extension mul {ext_mul}");
    assert_eq!(witness, 65);
    assert_eq!(mul, 130);
    assert!(ext_mul < 4 * mul, "lazy reduction should beat four reduced products: {ext_mul}");
}
