//! s G - e Q in a plonky2 circuit: the one scalar multiplication a Schnorr verification needs.
//!
//! Why one joint double-and-add (Straus/Shamir) rather than a fixed-base s G from constant per-digit tables
//! plus a separate e Q: the two would share nothing, and the fixed-base one pays per table entry in constants
//! (plonky2's `ConstantGate` holds two per row; a 4-bit table of affine points is 160 constants per digit)
//! and an addition per digit anyway. Here both scalars are read two bits at a time from the top: per window,
//! two doublings and one addition of T[i][j] = i G - j Q, with i the window of s and j the window of e (absent
//! above e's 256 bits, where the table is constant). That is 160 additions for 320 bits instead of 320
//! with one-bit digits, for a 16-entry selection (one multilinear polynomial in the 4 bits per limb, 15
//! products) and a table built once.
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

/// The table as a multilinear polynomial in the window's bits (a0, a1 of s; b0, b1 of e), per coordinate:
/// `coeffs[c][S]` for the monomial of the bit set S (bit 0: a0, 1: a1, 2: b0, 3: b1).
struct Table {
    coeffs: [[Fp5Target; 16]; 2],
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
        let mut entries = [(zero, zero); 16];
        for (i, g) in gs.iter().enumerate() {
            entries[i + 1] = (Fp5Target::constant(builder, g.x), Fp5Target::constant(builder, g.u));
            let g_point = PointTarget::constant(builder, g);
            for (j, nq) in negs.iter().enumerate() {
                let hint = &hints[2 + 3 * i + j];
                let sum = {
                    let nq_point = nq.point(builder);
                    g_point.add(builder, &nq_point)
                };
                hint.assert_is(builder, &sum);
                entries[(i + 1) + 4 * (j + 1)] = (hint.x, hint.u);
            }
        }
        for (j, nq) in negs.iter().enumerate() {
            entries[4 * (j + 1)] = (nq.x, nq.u);
        }
        // The neutral (0 : 1 : 0 : 1) is entries[0] = (0, 0).

        // Möbius transform: coeff[S] = sum over R ⊆ S of (-1)^{|S| - |R|} f(R), where f(R) is the entry whose
        // index has exactly the bits of R (bit 0 of the index = a0, 1 = a1, 2 = b0, 3 = b1, as i + 4 j is).
        let coeffs = [0, 1].map(|c| {
            core::array::from_fn(|s: usize| {
                let mut e = Fp5Expr::new();
                for (r, entry) in entries.iter().enumerate() {
                    if r & !s == 0 {
                        let even = (s.count_ones() - r.count_ones()).is_multiple_of(2);
                        let sign = if even { F::ONE } else { F::NEG_ONE };
                        e = e.lin(if c == 0 { &entry.0 } else { &entry.1 }, sign);
                    }
                }
                e.emit(builder)
            })
        });
        Table { coeffs }
    }

    /// The affine entry for the window bits [a0, a1, b0, b1] (b's absent above e's bits).
    fn select(&self, builder: &mut Builder, a: [BoolTarget; 2], b: Option<[BoolTarget; 2]>) -> PointTarget {
        let one = builder.one();
        let bits = [Some(a[0]), Some(a[1]), b.map(|b| b[0]), b.map(|b| b[1])];
        // monomials[S] = product of the bits in S; None where S has an absent bit.
        let mut monomials: [Option<Target>; 16] = [None; 16];
        monomials[0] = Some(one);
        for s in 1..16usize {
            let low = s.trailing_zeros() as usize;
            let rest = s & (s - 1);
            monomials[s] = if rest == 0 {
                bits[low].map(|b| b.target)
            } else {
                match (bits[low], monomials[rest]) {
                    (Some(bit), Some(m)) => Some(builder.mul(bit.target, m)),
                    _ => None,
                }
            };
        }
        let [x, u] = self.coeffs.each_ref().map(|coeffs| {
            let mut e = Fp5Expr::new();
            for (m, c) in monomials.iter().zip(coeffs) {
                if let Some(m) = m {
                    e = e.scale(*m, c, F::ONE);
                }
            }
            e.emit(builder)
        });
        let one5 = Fp5Target::constant(builder, Fp5::ONE);
        PointTarget { x, z: one5, u, t: one5 }
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
    let mut acc = table.select(builder, a, b);
    for w in (0..top).rev() {
        acc = acc.double(builder).double(builder);
        let (a, b) = window(w);
        let addend = table.select(builder, a, b);
        acc = acc.add(builder, &addend);
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
