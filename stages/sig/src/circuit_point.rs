//! ECgFp5 points in a plonky2 circuit: the complete (x, u) group law of `curve.rs`, the on-curve check of an
//! encoded point, and the one scalar multiplication a Schnorr verification needs, s G - e Q.
//!
//! The formulas are `curve.rs`'s, term for term, so a circuit sum or double has exactly the native
//! fractional coordinates (the tests compare X, Z, U, T, not only the group element). Being complete, they
//! need no branch for the neutral, for P + P or for P - P, which is what lets a fixed circuit handle every
//! input.
//!
//! Why one joint double-and-add (Straus/Shamir) for s G - e Q instead of a fixed-base s G from constant
//! per-digit tables plus a separate e Q: both would share nothing, and the fixed-base one pays per table
//! entry in constants (plonky2's `ConstantGate` holds two per row; a 4-bit table of affine points is 160
//! constants per digit) and a full addition per digit. Processing both scalars' bits together from the top
//! costs one doubling and one addition per bit of the longer scalar (320), the addend picked from
//! {O, G, -Q, G - Q} by the two bits, with G a constant and G - Q computed once: about 9 000 rows against an
//! estimated 12 000+ for the separate multiplications (see the crate doc for the measured count).

use plonky2::field::types::Field;
use plonky2::iop::target::BoolTarget;
use plonky2::iop::witness::PartialWitness;

use crate::circuit_fp5::{Builder, Fp5Expr, Fp5Target};
use crate::curve::{Point, CURVE_A, CURVE_B_Z};
use crate::error::SigError;
use crate::field5::{fp5_const, Fp5, F};

/// A point in fractional (x, u) coordinates x = X / Z, u = U / T, as in `curve.rs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PointTarget {
    pub x: Fp5Target,
    pub z: Fp5Target,
    pub u: Fp5Target,
    pub t: Fp5Target,
}

fn k(v: u64) -> F {
    F::from_canonical_u64(v)
}

impl PointTarget {
    /// Four fresh GF(p^5) witnesses, unconstrained (for tests of the group law on given points).
    pub fn new_virtual(builder: &mut Builder) -> Self {
        PointTarget {
            x: Fp5Target::new_virtual(builder),
            z: Fp5Target::new_virtual(builder),
            u: Fp5Target::new_virtual(builder),
            t: Fp5Target::new_virtual(builder),
        }
    }

    /// A constant point, with exactly the coordinates given.
    pub fn constant(builder: &mut Builder, p: &Point) -> Self {
        PointTarget {
            x: Fp5Target::constant(builder, p.x),
            z: Fp5Target::constant(builder, p.z),
            u: Fp5Target::constant(builder, p.u),
            t: Fp5Target::constant(builder, p.t),
        }
    }

    pub fn set(&self, pw: &mut PartialWitness<F>, p: &Point) -> Result<(), SigError> {
        self.x.set(pw, &p.x)?;
        self.z.set(pw, &p.z)?;
        self.u.set(pw, &p.u)?;
        self.t.set(pw, &p.t)
    }

    /// The complete addition of `curve.rs` (`Point::add`). The cross terms are taken as x1 z2 + x2 z1 rather
    /// than Karatsuba's (x1 + z1)(x2 + z2) - xx - zz: the same field element, and when one point has a
    /// constant Z or T (the table's affine entries) its products fold to linear terms.
    pub fn add(&self, builder: &mut Builder, rhs: &Self) -> Self {
        let (p, q) = (self, rhs);
        let one = F::ONE;
        let b = k(CURVE_B_Z);
        let xx = Fp5Expr::new().mul(&p.x, &q.x, one).emit(builder);
        let zz = Fp5Expr::new().mul(&p.z, &q.z, one).emit(builder);
        let uu = Fp5Expr::new().mul(&p.u, &q.u, one).emit(builder);
        let tt = Fp5Expr::new().mul(&p.t, &q.t, one).emit(builder);
        let xz = Fp5Expr::new().mul(&p.x, &q.z, one).mul(&q.x, &p.z, one).emit(builder);
        let ut = Fp5Expr::new().mul(&p.u, &q.t, one).mul(&q.u, &p.t, one).emit(builder);
        // k = x1 x2 + b z1 z2
        let kk = Fp5Expr::new().lin(&xx, one).lin_z(&zz, b).emit(builder);
        let m = Fp5Expr::new().mul(&tt, &kk, one).emit(builder);
        // q = uu (2 b xz + 2 k)
        let q_in = Fp5Expr::new().lin_z(&xz, b + b).lin(&kk, F::TWO).emit(builder);
        let qq = Fp5Expr::new().mul(&uu, &q_in, one).emit(builder);
        // r = (tt + a uu) (xz + k)
        let r1 = Fp5Expr::new().lin(&tt, one).lin(&uu, k(CURVE_A)).emit(builder);
        let r2 = Fp5Expr::new().lin(&xz, one).lin(&kk, one).emit(builder);
        let r = Fp5Expr::new().mul(&r1, &r2, one).emit(builder);
        let u_in = Fp5Expr::new().lin_z(&zz, b).lin(&xx, -one).emit(builder);
        PointTarget {
            x: Fp5Expr::new().lin_z(&r, b).lin_z(&m, -b).emit(builder),
            z: Fp5Expr::new().lin(&m, one).lin(&qq, -one).emit(builder),
            u: Fp5Expr::new().mul(&ut, &u_in, one).emit(builder),
            t: Fp5Expr::new().lin(&m, one).lin(&qq, one).emit(builder),
        }
    }

    /// The doubling of `curve.rs` (`Point::double`). Its U is (w1 + ztu)^2 - ztu^2 - w1^2, written here as
    /// the equal 2 w1 ztu: one product instead of a square and two subtractions.
    pub fn double(&self, builder: &mut Builder) -> Self {
        let one = F::ONE;
        let zt = Fp5Expr::new().mul(&self.z, &self.t, one).emit(builder);
        let ztt = Fp5Expr::new().mul(&zt, &self.t, one).emit(builder);
        let ztu = Fp5Expr::new().mul(&zt, &self.u, one).emit(builder);
        let u2 = Fp5Expr::new().square(&self.u, one).emit(builder);
        let x_plus_z = Fp5Expr::new().lin(&self.x, one).lin(&self.z, one).emit(builder);
        // w1 = ztt - 2 (x + z) u^2
        let w1 = Fp5Expr::new().lin(&ztt, one).mul(&x_plus_z, &u2, -F::TWO).emit(builder);
        let ztu2 = Fp5Expr::new().square(&ztu, one).emit(builder);
        let z_out = Fp5Expr::new().square(&w1, one).emit(builder);
        PointTarget {
            x: Fp5Expr::new().lin_z(&ztu2, k(4 * CURVE_B_Z)).emit(builder),
            u: Fp5Expr::new().mul(&w1, &ztu, F::TWO).emit(builder),
            // T = 2 ztt^2 - 4 ztu^2 - Z
            t: Fp5Expr::new().square(&ztt, F::TWO).lin(&ztu2, -k(4)).lin(&z_out, -one).emit(builder),
            z: z_out,
        }
    }

    /// Constrain `encode(self) == w`, i.e. T = w U. For a neutral `self` (U = 0) this demands T = 0, which
    /// the complete formulas never produce from valid inputs: like native `verify`, a neutral result is
    /// refused whatever `w` is.
    pub fn assert_encodes_to(&self, builder: &mut Builder, w: &Fp5Target) {
        Fp5Expr::new().mul(w, &self.u, F::ONE).lin(&self.t, -F::ONE).assert_zero(builder);
    }
}

/// Constrain (x, u = 1/w) to be on the curve, with `w_inv` the witnessed 1/w: w w_inv = 1 (so w != 0: the
/// neutral is refused) and, the curve equation x = u^2 (x^2 + a x + b) multiplied by w^2,
/// x w^2 = x^2 + a x + b. No square root: the prover supplies x (either root of the quadratic: both are the
/// same group element, P and P + N).
pub fn assert_encoded_on_curve(builder: &mut Builder, w: &Fp5Target, w_inv: &Fp5Target, x: &Fp5Target) {
    w.assert_nonzero(builder, w_inv);
    let w2 = w.square(builder);
    let b = fp5_const([0, CURVE_B_Z, 0, 0, 0]);
    Fp5Expr::new().mul(x, &w2, F::ONE).square(x, -F::ONE).lin(x, -k(CURVE_A)).constant(&-b).assert_zero(builder);
}

/// The generator with Z = T = 1 (u = 1/4): affine, so the addition's products with its Z and T fold.
fn generator_affine() -> Point {
    Point::from_affine(Point::GENERATOR.x, Fp5::from_canonical_u64(4).inverse())
}

/// The table {O, G, -Q, G - Q} as T0 + a D1 + b D2 + ab D3 per coordinate, so one selection costs three
/// products per limb, with T0 and D1 constants.
struct Table {
    t0: [Fp5; 4],
    d1: [Fp5Target; 4],
    d2: [Fp5Target; 4],
    d3: [Fp5Target; 4],
}

fn coords(p: &PointTarget) -> [Fp5Target; 4] {
    [p.x, p.z, p.u, p.t]
}

impl Table {
    fn new(builder: &mut Builder, neg_q: &PointTarget) -> Self {
        let (o, g) = (Point::NEUTRAL, generator_affine());
        let g_t = PointTarget::constant(builder, &g);
        let g_minus_q = g_t.add(builder, neg_q);
        let t0 = [o.x, o.z, o.u, o.t];
        let t1 = [g.x, g.z, g.u, g.t];
        let (t2, t3) = (coords(neg_q), coords(&g_minus_q));
        let d1 = core::array::from_fn(|c| Fp5Target::constant(builder, t1[c] - t0[c]));
        let d2 = core::array::from_fn(|c| Fp5Expr::new().lin(&t2[c], F::ONE).constant(&-t0[c]).emit(builder));
        let d3 = core::array::from_fn(|c| {
            Fp5Expr::new().lin(&t3[c], F::ONE).lin(&t2[c], -F::ONE).constant(&(t0[c] - t1[c])).emit(builder)
        });
        Table { t0, d1, d2, d3 }
    }

    /// The entry for bits (a of s, b of e), b absent above e's 256 bits.
    fn select(&self, builder: &mut Builder, a: BoolTarget, b: Option<BoolTarget>) -> PointTarget {
        let ab = b.map(|b| builder.mul(a.target, b.target));
        let c: [Fp5Target; 4] = core::array::from_fn(|c| {
            let mut e = Fp5Expr::new().constant(&self.t0[c]).scale(a.target, &self.d1[c], F::ONE);
            if let (Some(b), Some(ab)) = (b, ab) {
                e = e.scale(b.target, &self.d2[c], F::ONE).scale(ab, &self.d3[c], F::ONE);
            }
            e.emit(builder)
        });
        PointTarget { x: c[0], z: c[1], u: c[2], t: c[3] }
    }
}

/// s G - e Q for bits of s and e (little-endian, `e_bits.len() <= s_bits.len()`), Q the point (x, u) with
/// u = 1/w given as `w_inv`, i.e. -Q = (x, -w_inv) in affine form.
pub fn generator_mul_minus(
    builder: &mut Builder,
    s_bits: &[BoolTarget],
    e_bits: &[BoolTarget],
    q_x: &Fp5Target,
    q_w_inv: &Fp5Target,
) -> PointTarget {
    assert!(!s_bits.is_empty() && e_bits.len() <= s_bits.len());
    let one = Fp5Target::constant(builder, Fp5::ONE);
    let neg_q = PointTarget { x: *q_x, z: one, u: q_w_inv.neg(builder), t: one };
    let table = Table::new(builder, &neg_q);
    let top = s_bits.len() - 1;
    let mut acc = table.select(builder, s_bits[top], e_bits.get(top).copied());
    for i in (0..top).rev() {
        acc = acc.double(builder);
        let addend = table.select(builder, s_bits[i], e_bits.get(i).copied());
        acc = acc.add(builder, &addend);
    }
    acc
}

#[cfg(test)]
mod tests {
    use plonky2::field::types::Sample;
    use plonky2::plonk::circuit_data::CircuitConfig;
    use plonky2::plonk::config::PoseidonGoldilocksConfig;
    use rand::SeedableRng;

    use super::*;
    use crate::circuit_fp5::fp5_from_fields;
    use crate::scalar::Scalar;

    type C = PoseidonGoldilocksConfig;

    fn read_point(pi: &[F]) -> Point {
        let f = |i: usize| fp5_from_fields(pi[5 * i..5 * i + 5].try_into().unwrap());
        Point { x: f(0), z: f(1), u: f(2), t: f(3) }
    }

    fn register(builder: &mut Builder, p: &PointTarget) {
        for c in coords(p) {
            builder.register_public_inputs(&c.0);
        }
    }

    /// The circuit's add and double give exactly `curve.rs`'s coordinates, on random multiples of G in
    /// fractional form and on the special cases the complete formulas must handle (P + P, P - P, P + O).
    #[test]
    fn add_and_double_match_curve_rs_coordinate_for_coordinate() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(21);
        let scalar = |rng: &mut rand_chacha::ChaCha8Rng| {
            Scalar::from_limbs_reduce(&core::array::from_fn::<u64, 5, _>(|_| F::sample(rng).0))
        };
        let p = Point::mul_generator(&scalar(&mut rng)).double(); // Z, T != 1
        let q = Point::mul_generator(&scalar(&mut rng)).add(&Point::GENERATOR);
        let pairs = [(p, q), (p, p), (p, p.neg()), (p, Point::NEUTRAL), (Point::NEUTRAL, Point::NEUTRAL)];

        let mut builder = Builder::new(CircuitConfig::standard_recursion_config());
        let inputs: Vec<(PointTarget, PointTarget)> = pairs
            .iter()
            .map(|_| (PointTarget::new_virtual(&mut builder), PointTarget::new_virtual(&mut builder)))
            .collect();
        for (a, b) in &inputs {
            let sum = a.add(&mut builder, b);
            register(&mut builder, &sum);
            let dbl = a.double(&mut builder);
            register(&mut builder, &dbl);
        }
        let data = builder.build::<C>();
        let mut pw = PartialWitness::new();
        for ((a, b), (pa, pb)) in inputs.iter().zip(&pairs) {
            a.set(&mut pw, pa).unwrap();
            b.set(&mut pw, pb).unwrap();
        }
        let proof = data.prove(pw).unwrap();
        data.verify(proof.clone()).unwrap();
        for (i, (pa, pb)) in pairs.iter().enumerate() {
            let (sum, dbl) =
                (read_point(&proof.public_inputs[40 * i..]), read_point(&proof.public_inputs[40 * i + 20..]));
            let (ns, nd) = (pa.add(pb), pa.double());
            assert_eq!((sum.x, sum.z, sum.u, sum.t), (ns.x, ns.z, ns.u, ns.t), "sum {i}");
            assert_eq!((dbl.x, dbl.z, dbl.u, dbl.t), (nd.x, nd.z, nd.u, nd.t), "double {i}");
        }
    }

    /// s G - e Q in the circuit is the native group element, for random scalars and for e = 0 / s = 0.
    #[test]
    fn joint_multiplication_matches_the_native_one() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(22);
        let q = Point::mul_generator(&Scalar::from_limbs_reduce(&[F::sample(&mut rng).0, 7, 9]));
        let w = q.encode();
        let dq = Point::decode(&w).unwrap();
        // Few bits keep the test fast; the loop is the same for 320 and 256.
        let (s_len, e_len) = (24, 16);
        let cases = [(0xA5_5A17u64, 0xBEEFu64), (0, 0x1234), (0x80_0001, 0), (1, 1)];
        let mut builder = Builder::new(CircuitConfig::standard_recursion_config());
        let (xt, wi) = (Fp5Target::new_virtual(&mut builder), Fp5Target::new_virtual(&mut builder));
        let mut bit_targets = vec![];
        for _ in cases {
            let s_bits: Vec<BoolTarget> = (0..s_len).map(|_| builder.add_virtual_bool_target_safe()).collect();
            let e_bits: Vec<BoolTarget> = (0..e_len).map(|_| builder.add_virtual_bool_target_safe()).collect();
            let r = generator_mul_minus(&mut builder, &s_bits, &e_bits, &xt, &wi);
            register(&mut builder, &r);
            bit_targets.push((s_bits, e_bits));
        }
        let data = builder.build::<C>();
        let mut pw = PartialWitness::new();
        xt.set(&mut pw, &dq.x).unwrap();
        wi.set(&mut pw, &w.inverse()).unwrap();
        for ((s, e), (sb, eb)) in cases.iter().zip(&bit_targets) {
            for (i, b) in sb.iter().enumerate() {
                plonky2::iop::witness::WitnessWrite::set_bool_target(&mut pw, *b, (s >> i) & 1 == 1).unwrap();
            }
            for (i, b) in eb.iter().enumerate() {
                plonky2::iop::witness::WitnessWrite::set_bool_target(&mut pw, *b, (e >> i) & 1 == 1).unwrap();
            }
        }
        let proof = data.prove(pw).unwrap();
        data.verify(proof.clone()).unwrap();
        for (i, (s, e)) in cases.iter().enumerate() {
            let got = read_point(&proof.public_inputs[20 * i..]);
            let expected = Point::mul_generator(&Scalar::from_limbs_reduce(&[*s]))
                .sub(&q.mul_vartime(&Scalar::from_limbs_reduce(&[*e])));
            assert_eq!(got, expected, "case {i}");
        }
    }

    /// The on-curve check accepts both roots of a valid encoding and refuses a wrong x and w = 0.
    #[test]
    fn the_on_curve_check_accepts_both_roots_only() {
        let w = Point::GENERATOR.double().encode();
        let p = Point::decode(&w).unwrap();
        // The other root of x^2 - (w^2 - a) x + b: their product is b.
        let other = fp5_const([0, CURVE_B_Z, 0, 0, 0]) / p.x;
        let mut builder = Builder::new(CircuitConfig::standard_recursion_config());
        let (wt, wi, xt) = (
            Fp5Target::new_virtual(&mut builder),
            Fp5Target::new_virtual(&mut builder),
            Fp5Target::new_virtual(&mut builder),
        );
        assert_encoded_on_curve(&mut builder, &wt, &wi, &xt);
        let data = builder.build::<C>();
        let attempt = |w: Fp5, w_inv: Fp5, x: Fp5| {
            let mut pw = PartialWitness::new();
            wt.set(&mut pw, &w).unwrap();
            wi.set(&mut pw, &w_inv).unwrap();
            xt.set(&mut pw, &x).unwrap();
            data.prove(pw).and_then(|proof| data.verify(proof))
        };
        assert!(attempt(w, w.inverse(), p.x).is_ok());
        assert!(attempt(w, w.inverse(), other).is_ok());
        assert!(attempt(w, w.inverse(), p.x + Fp5::ONE).is_err());
        assert!(attempt(Fp5::ZERO, Fp5::ONE, p.x).is_err());
    }
}
