//! s G - e Q in a plonky2 circuit: the one scalar multiplication a Schnorr verification needs.
//!
//! Why one joint double-and-add (Straus/Shamir) rather than a fixed-base s G from constant per-digit tables
//! plus a separate e Q: the two would share nothing, and the fixed-base one pays per table entry in constants
//! (plonky2's `ConstantGate` holds two per row; a 4-bit table of affine points is 160 constants per digit)
//! and an addition per digit anyway. Here both scalars are read two bits at a time from the top: per window,
//! two doublings and one addition of T[i][j] = i G - j Q, with i the window of s and j the window of e (absent
//! above e's 256 bits, where the table is constant). That is 160 additions for 320 bits instead of 320
//! with one-bit digits, for a 16-entry selection and a table built once. A step (two doublings and the
//! addition) is one `WindowStepGate` row (`gate_window.rs`); the selection is plonky2's `random_access` on each
//! of the entry's ten limbs, indexed by a0 + 2 a1 + 4 b0 + 8 b1.
//!
//! Every table entry is affine (Z = T = 1): the constants i G are normalised natively, and each computed
//! entry is replaced by a witnessed affine hint constrained to be the same point (X = x Z, U = u T, with
//! Z, T != 0 for complete formulas). The addition's products with the addend's Z and T then fold away, and
//! only x and u are selected. The hints are values the prover computes ([`table_hints`]); a wrong one fails
//! its constraint.

use plonky2::field::types::Field;
use plonky2::iop::target::{BoolTarget, Target};
use plonky2::iop::witness::PartialWitness;

use crate::circuit_fp5::{Builder, Fp5Expr, Fp5Target};
use crate::circuit_point::PointTarget;
use crate::curve::Point;
use crate::error::SigError;
use crate::field5::{Fp5, F};
use crate::gate_window::window_step;

/// Affine hints of the table: -2Q, -3Q, then i G - j Q for i, j in 1..=3 (row-major in i).
pub const TABLE_HINTS: usize = 11;

/// An affine point (x, u): the point (x : 1 : u : 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AffineTarget {
    pub x: Fp5Target,
    pub u: Fp5Target,
}

impl AffineTarget {
    pub fn new_virtual(builder: &mut Builder) -> Self {
        AffineTarget { x: Fp5Target::new_virtual(builder), u: Fp5Target::new_virtual(builder) }
    }

    pub fn set(&self, pw: &mut PartialWitness<F>, (x, u): &(Fp5, Fp5)) -> Result<(), SigError> {
        self.x.set(pw, x)?;
        self.u.set(pw, u)
    }

    fn point(&self, builder: &mut Builder) -> PointTarget {
        let one = Fp5Target::constant(builder, Fp5::ONE);
        PointTarget { x: self.x, z: one, u: self.u, t: one }
    }

    /// Constrain this to be `p`: X = x Z and U = u T.
    fn assert_is(&self, builder: &mut Builder, p: &PointTarget) {
        Fp5Expr::new().mul(&self.x, &p.z, F::ONE).lin(&p.x, -F::ONE).assert_zero(builder);
        Fp5Expr::new().mul(&self.u, &p.t, F::ONE).lin(&p.u, -F::ONE).assert_zero(builder);
    }
}

/// (X / Z, U / T), or zeros where a coordinate cannot be normalised (only for inputs that are no point,
/// whose witness must fail anyway).
fn affine(p: &Point) -> (Fp5, Fp5) {
    let div = |a: Fp5, b: Fp5| if b == Fp5::ZERO { Fp5::ZERO } else { a / b };
    (div(p.x, p.z), div(p.u, p.t))
}

/// [G, 2G, 3G] in affine form: the circuit's constants.
fn generator_multiples() -> [Point; 3] {
    let g = Point::GENERATOR;
    let to_point = |(x, u): (Fp5, Fp5)| Point::from_affine(x, u);
    let g1 = to_point(affine(&g));
    let g2 = to_point(affine(&g1.double()));
    let g3 = to_point(affine(&g2.add(&g1)));
    [g1, g2, g3]
}

/// The hint values for Q = (x, 1/w) given as `q_x` and `q_w_inv`: the same formulas on the same affine
/// inputs as the circuit, so each hint is the affine form of exactly the representative the circuit computes
/// (a point and its P + N partner share u but not x).
pub fn table_hints(q_x: &Fp5, q_w_inv: &Fp5) -> [(Fp5, Fp5); TABLE_HINTS] {
    let neg_q = Point::from_affine(*q_x, -*q_w_inv);
    let h2 = affine(&neg_q.double());
    let q2 = Point::from_affine(h2.0, h2.1);
    let h3 = affine(&q2.add(&neg_q));
    let q3 = Point::from_affine(h3.0, h3.1);
    let mut out = [(Fp5::ZERO, Fp5::ZERO); TABLE_HINTS];
    out[0] = h2;
    out[1] = h3;
    let negs = [neg_q, q2, q3];
    for (i, g) in generator_multiples().iter().enumerate() {
        for (j, nq) in negs.iter().enumerate() {
            out[2 + 3 * i + j] = affine(&g.add(nq));
        }
    }
    out
}

/// The 16 affine entries i G - j Q (index i + 4 j), one `Vec` of targets per limb of x and of u, for
/// plonky2's `random_access` (one `RandomAccessGate` copy per limb and step: 2.5 rows for the ten limbs).
struct Table {
    limbs: [Vec<Target>; 10],
}

impl Table {
    fn new(builder: &mut Builder, q_x: &Fp5Target, q_w_inv: &Fp5Target, hints: &[AffineTarget; TABLE_HINTS]) -> Self {
        let neg_q = AffineTarget { x: *q_x, u: q_w_inv.neg(builder) };
        let neg_q_point = neg_q.point(builder);
        let q2 = neg_q_point.double(builder);
        hints[0].assert_is(builder, &q2);
        let q2_point = hints[0].point(builder);
        let q3 = q2_point.add(builder, &neg_q_point);
        hints[1].assert_is(builder, &q3);
        let negs = [neg_q, hints[0], hints[1]];

        // entries[i + 4 j] = i G - j Q, affine, as (x, u).
        let gs = generator_multiples();
        let zero = Fp5Target::zero(builder);
        let mut entries = [AffineTarget { x: zero, u: zero }; 16];
        for (i, g) in gs.iter().enumerate() {
            entries[i + 1] =
                AffineTarget { x: Fp5Target::constant(builder, g.x), u: Fp5Target::constant(builder, g.u) };
            let g_point = PointTarget::constant(builder, g);
            for (j, nq) in negs.iter().enumerate() {
                let hint = &hints[2 + 3 * i + j];
                let sum = {
                    let nq_point = nq.point(builder);
                    g_point.add(builder, &nq_point)
                };
                hint.assert_is(builder, &sum);
                entries[(i + 1) + 4 * (j + 1)] = *hint;
            }
        }
        for (j, nq) in negs.iter().enumerate() {
            entries[4 * (j + 1)] = *nq;
        }
        // The neutral (0 : 1 : 0 : 1) is entries[0] = (0, 0).
        let limbs =
            core::array::from_fn(|l| entries.iter().map(|e| if l < 5 { e.x.0[l] } else { e.u.0[l - 5] }).collect());
        Table { limbs }
    }

    /// The affine entry for the window bits [a0, a1, b0, b1] (b's absent above e's bits: index below 4).
    fn select(&self, builder: &mut Builder, a: [BoolTarget; 2], b: Option<[BoolTarget; 2]>) -> AffineTarget {
        let mut index = builder.mul_const_add(F::TWO, a[1].target, a[0].target);
        if let Some(b) = b {
            index = builder.mul_const_add(F::from_canonical_u64(4), b[0].target, index);
            index = builder.mul_const_add(F::from_canonical_u64(8), b[1].target, index);
        }
        let limbs: [Target; 10] = core::array::from_fn(|l| builder.random_access(index, self.limbs[l].clone()));
        AffineTarget {
            x: Fp5Target(core::array::from_fn(|l| limbs[l])),
            u: Fp5Target(core::array::from_fn(|l| limbs[5 + l])),
        }
    }
}

/// s G - e Q for little-endian bits of s and e (even lengths, `e_bits.len() <= s_bits.len()`), Q the point
/// (x, u = 1/w) given by `q_x` and `q_w_inv`, with the table's affine `hints` ([`table_hints`]).
pub fn generator_mul_minus(
    builder: &mut Builder,
    s_bits: &[BoolTarget],
    e_bits: &[BoolTarget],
    q_x: &Fp5Target,
    q_w_inv: &Fp5Target,
    hints: &[AffineTarget; TABLE_HINTS],
) -> PointTarget {
    assert!(
        !s_bits.is_empty()
            && s_bits.len().is_multiple_of(2)
            && e_bits.len().is_multiple_of(2)
            && e_bits.len() <= s_bits.len()
    );
    let table = Table::new(builder, q_x, q_w_inv, hints);
    let window = |w: usize| {
        let a = [s_bits[2 * w], s_bits[2 * w + 1]];
        let b = (2 * w < e_bits.len()).then(|| [e_bits[2 * w], e_bits[2 * w + 1]]);
        (a, b)
    };
    let top = s_bits.len() / 2 - 1;
    let (a, b) = window(top);
    let mut acc = table.select(builder, a, b).point(builder);
    for w in (0..top).rev() {
        let (a, b) = window(w);
        let addend = table.select(builder, a, b);
        acc = window_step(builder, &acc, &addend);
    }
    acc
}

#[cfg(test)]
mod tests {
    use plonky2::field::types::Sample;
    use plonky2::iop::witness::WitnessWrite;
    use plonky2::plonk::circuit_data::CircuitConfig;
    use plonky2::plonk::config::PoseidonGoldilocksConfig;
    use rand::SeedableRng;

    use super::*;
    use crate::circuit_point::tests::{read_point, register};
    use crate::scalar::Scalar;

    type C = PoseidonGoldilocksConfig;

    /// s G - e Q in the circuit is the native group element, for random scalars, e = 0 and s = 0.
    #[test]
    fn joint_multiplication_matches_the_native_one() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(22);
        let q = Point::mul_generator(&Scalar::from_limbs_reduce(&[F::sample(&mut rng).0, 7, 9]));
        let w = q.encode();
        let x = Point::decode(&w).unwrap().x;
        // Few bits keep the test fast; the loop is the same for 320 and 256.
        let (s_len, e_len) = (24, 16);
        let cases = [(0xA5_5A17u64, 0xBEEFu64, x), (0, 0x1234, x), (0x80_0001, 0, x), (1, 1, x)];
        let mut builder = Builder::new(CircuitConfig::standard_recursion_config());
        let mut inputs = vec![];
        for _ in cases {
            let s_bits: Vec<BoolTarget> = (0..s_len).map(|_| builder.add_virtual_bool_target_safe()).collect();
            let e_bits: Vec<BoolTarget> = (0..e_len).map(|_| builder.add_virtual_bool_target_safe()).collect();
            let (xt, wi) = (Fp5Target::new_virtual(&mut builder), Fp5Target::new_virtual(&mut builder));
            let hints: [AffineTarget; TABLE_HINTS] = core::array::from_fn(|_| AffineTarget::new_virtual(&mut builder));
            let r = generator_mul_minus(&mut builder, &s_bits, &e_bits, &xt, &wi, &hints);
            register(&mut builder, &r);
            inputs.push((s_bits, e_bits, xt, wi, hints));
        }
        let data = builder.build::<C>();
        let mut pw = PartialWitness::new();
        for ((s, e, qx), (sb, eb, xt, wi, hints)) in cases.iter().zip(&inputs) {
            for (i, b) in sb.iter().enumerate() {
                pw.set_bool_target(*b, (s >> i) & 1 == 1).unwrap();
            }
            for (i, b) in eb.iter().enumerate() {
                pw.set_bool_target(*b, (e >> i) & 1 == 1).unwrap();
            }
            xt.set(&mut pw, qx).unwrap();
            wi.set(&mut pw, &w.inverse()).unwrap();
            for (h, v) in hints.iter().zip(table_hints(qx, &w.inverse())) {
                h.set(&mut pw, &v).unwrap();
            }
        }
        let proof = data.prove(pw).unwrap();
        data.verify(proof.clone()).unwrap();
        for (i, (s, e, _)) in cases.iter().enumerate() {
            let got = read_point(&proof.public_inputs[20 * i..]);
            let expected = Point::mul_generator(&Scalar::from_limbs_reduce(&[*s]))
                .sub(&q.mul_vartime(&Scalar::from_limbs_reduce(&[*e])));
            assert_eq!(got, expected, "case {i}");
        }
    }

    /// A wrong table hint fails its constraint.
    #[test]
    fn a_wrong_table_hint_is_refused() {
        let q = Point::GENERATOR.double().double();
        let w = q.encode();
        let x = Point::decode(&w).unwrap().x;
        let mut builder = Builder::new(CircuitConfig::standard_recursion_config());
        let bits: Vec<BoolTarget> = (0..2).map(|_| builder.add_virtual_bool_target_safe()).collect();
        let (xt, wi) = (Fp5Target::new_virtual(&mut builder), Fp5Target::new_virtual(&mut builder));
        let hints: [AffineTarget; TABLE_HINTS] = core::array::from_fn(|_| AffineTarget::new_virtual(&mut builder));
        generator_mul_minus(&mut builder, &bits, &bits, &xt, &wi, &hints);
        let data = builder.build::<C>();
        for wrong in [None, Some(0), Some(5), Some(TABLE_HINTS - 1)] {
            let mut pw = PartialWitness::new();
            for b in &bits {
                pw.set_bool_target(*b, true).unwrap();
            }
            xt.set(&mut pw, &x).unwrap();
            wi.set(&mut pw, &w.inverse()).unwrap();
            for (i, (h, mut v)) in hints.iter().zip(table_hints(&x, &w.inverse())).enumerate() {
                if Some(i) == wrong {
                    v.1 += Fp5::ONE;
                }
                h.set(&mut pw, &v).unwrap();
            }
            let result = data.prove(pw).and_then(|p| data.verify(p));
            assert_eq!(result.is_ok(), wrong.is_none(), "hint {wrong:?}");
        }
    }
}
