//! The ECgFp5 group: its constants, the group law and scalar multiplication.
//!
//! The curve is y^2 = x (x^2 + a x + b) over GF(p^5), a = 2, b = 263 z (T. Pornin, "EcGFp5: a Specialized
//! Elliptic Curve", 2022). It has order 2n with n prime, and a point N = (0, 0) of order 2. The group used
//! for cryptography has prime order n; its elements, as the formulas below handle them, are named by
//! u = x / y (u = 0 for the neutral), and the encoding is w = 1 / u = y / x (`encoding.rs`). A given u is
//! also shared by a second curve point (the other root of decoding's quadratic), which the formulas do *not*
//! treat as the same element (`encoding.rs`'s test `the_other_root_is_not_the_same_group_element`): decoding
//! keeps the non-square root, and the `sig` circuit proves that choice.
//!
//! Points are held in fractional (x, u) coordinates x = X / Z, u = U / T: the paper's formulas for this
//! representation are complete (no exceptional case, including P + P and P + neutral), which keeps both this
//! code and the `sig` circuit free of branches. Equality is U1 T2 = U2 T1.

use std::sync::OnceLock;

use plonky2::field::extension::quintic::QuinticExtension;
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::field::ops::Square;
use plonky2::field::types::Field;

use crate::field5::{fp5_const, mul_small, mul_small_z, Fp5};
use crate::scalar::Scalar;

/// The curve constant a = 2.
pub const CURVE_A: u64 = 2;
/// The curve constant b = 263 z; the formulas only ever multiply by it, via `mul_small_z(_, 263)`.
pub const CURVE_B_Z: u64 = 263;

/// An element of the ECgFp5 group, in fractional (x, u) coordinates.
#[derive(Clone, Copy, Debug)]
pub struct Point {
    pub(crate) x: Fp5,
    pub(crate) z: Fp5,
    pub(crate) u: Fp5,
    pub(crate) t: Fp5,
}

impl Point {
    /// The neutral element (the class {O, N}): u = 0.
    pub const NEUTRAL: Point = Point { x: Fp5::ZERO, z: Fp5::ONE, u: Fp5::ZERO, t: Fp5::ONE };

    /// The conventional generator: the element whose encoding is w = 4, i.e. u = 1/4 (held as U : T = 1 : 4),
    /// with the x coordinate published with the curve (the root that decoding w = 4 picks; a test checks it).
    pub const GENERATOR: Point = Point {
        x: fp5_const([
            12883135586176881569,
            4356519642755055268,
            5248930565894896907,
            2165973894480315022,
            2448410071095648785,
        ]),
        z: Fp5::ONE,
        u: Fp5::ONE,
        t: fp5_const([4, 0, 0, 0, 0]),
    };

    /// The point with affine coordinates (x, u).
    pub(crate) fn from_affine(x: Fp5, u: Fp5) -> Point {
        Point { x, z: Fp5::ONE, u, t: Fp5::ONE }
    }

    pub fn is_neutral(&self) -> bool {
        self.u.is_zero()
    }

    /// The group law (complete formulas, 10 multiplications).
    pub fn add(&self, rhs: &Point) -> Point {
        let (x1, z1, u1, t1) = (self.x, self.z, self.u, self.t);
        let (x2, z2, u2, t2) = (rhs.x, rhs.z, rhs.u, rhs.t);
        let xx = x1 * x2;
        let zz = z1 * z2;
        let uu = u1 * u2;
        let tt = t1 * t2;
        // Karatsuba-style cross terms: x1 z2 + x2 z1 and u1 t2 + u2 t1 with one product each.
        let xz = (x1 + z1) * (x2 + z2) - xx - zz;
        let ut = (u1 + t1) * (u2 + t2) - uu - tt;
        let k = xx + mul_small_z(&zz, CURVE_B_Z); // x1 x2 + b z1 z2
        let m = tt * k;
        let q = uu * (mul_small_z(&xz, 2 * CURVE_B_Z) + k.double()); // uu (2 b xz + 2 k)
        let r = (tt + mul_small(&uu, CURVE_A)) * (xz + k);
        Point { x: mul_small_z(&(r - m), CURVE_B_Z), z: m - q, u: ut * (mul_small_z(&zz, CURVE_B_Z) - xx), t: m + q }
    }

    /// 2P, with the specialised doubling formulas (4 multiplications and 5 squarings).
    pub fn double(&self) -> Point {
        let (x, z, u, t) = (self.x, self.z, self.u, self.t);
        let zt = z * t;
        let ztt = zt * t;
        let ztt2 = ztt.square();
        let ztu = zt * u;
        let w1 = ztt - (x + z).double() * u.square();
        let ztu2 = ztu.square();
        let z_out = w1.square();
        Point {
            x: mul_small_z(&ztu2, 4 * CURVE_B_Z),
            z: z_out,
            u: (w1 + ztu).square() - ztu2 - z_out,
            t: ztt2.double() - mul_small(&ztu2, 4) - z_out,
        }
    }

    /// -P: (x, u) -> (x, -u).
    pub fn neg(&self) -> Point {
        Point { u: -self.u, ..*self }
    }

    pub fn sub(&self, rhs: &Point) -> Point {
        self.add(&rhs.neg())
    }

    /// k P, constant time in structure: 80 rounds of four doublings and one addition, each adding an entry
    /// of a 16-entry table read by a full masked scan, whatever the digits. The field arithmetic underneath
    /// is plonky2's, which is not audited for constant time (nor is GF(p^5) inversion), so this is
    /// constant-time *style*, not a guarantee against a timing attacker on the same machine.
    pub fn mul(&self, k: &Scalar) -> Point {
        let table = window_table(self);
        let mut acc = Point::NEUTRAL;
        for i in (0..80).rev() {
            acc = acc.double().double().double().double();
            acc = acc.add(&lookup(&table, k.nibble(i)));
        }
        acc
    }

    /// k P for public k (signature verification): skips the leading zero digits and reads the table by index.
    /// Not constant time.
    pub fn mul_vartime(&self, k: &Scalar) -> Point {
        let Some(top) = (0..80).rev().find(|&i| k.nibble(i) != 0) else {
            return Point::NEUTRAL;
        };
        let table = window_table(self);
        let mut acc = table[k.nibble(top)];
        for i in (0..top).rev() {
            acc = acc.double().double().double().double();
            let d = k.nibble(i);
            if d != 0 {
                acc = acc.add(&table[d]);
            }
        }
        acc
    }

    /// k G for the conventional generator, from per-digit tables (16^i j G): 80 additions, no doublings.
    /// Same constant-time style as [`Point::mul`].
    pub fn mul_generator(k: &Scalar) -> Point {
        let tables = generator_tables();
        let mut acc = Point::NEUTRAL;
        for (i, table) in tables.iter().enumerate() {
            acc = acc.add(&lookup(table, k.nibble(i)));
        }
        acc
    }
}

impl PartialEq for Point {
    fn eq(&self, other: &Point) -> bool {
        // u1 = u2 (both may be 0, the neutral), cross-multiplied.
        self.u * other.t == other.u * self.t
    }
}
impl Eq for Point {}

/// [0 P, 1 P, ..., 15 P].
fn window_table(p: &Point) -> [Point; 16] {
    let mut table = [Point::NEUTRAL; 16];
    table[1] = *p;
    for j in 2..16 {
        // Even entries by doubling (cheaper than an addition), odd ones by adding P.
        table[j] = if j % 2 == 0 { table[j / 2].double() } else { table[j - 1].add(p) };
    }
    table
}

/// tables[i][j] = j 16^i G, for the 80 digits of a scalar.
fn generator_tables() -> &'static [[Point; 16]; 80] {
    static TABLES: OnceLock<Box<[[Point; 16]; 80]>> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut tables = Box::new([[Point::NEUTRAL; 16]; 80]);
        let mut base = Point::GENERATOR;
        for table in tables.iter_mut() {
            *table = normalized(&window_table(&base));
            base = table[8].double(); // 16 16^i G
        }
        tables
    })
}

/// Points rescaled to Z = T = 1 (one inversion each; only for the table built once).
fn normalized(points: &[Point; 16]) -> [Point; 16] {
    points.map(|p| {
        let zt_inv = (p.z * p.t).inverse();
        Point::from_affine(p.x * p.t * zt_inv, p.u * p.z * zt_inv)
    })
}

/// table[d], reading every entry and keeping one by mask, so the memory access pattern does not depend on d.
fn lookup(table: &[Point; 16], d: usize) -> Point {
    let mut out = [[0u64; 5]; 4];
    for (j, p) in table.iter().enumerate() {
        let mask = ((j == d) as u64).wrapping_neg();
        for (o, c) in out.iter_mut().zip([&p.x, &p.z, &p.u, &p.t]) {
            for (ol, cl) in o.iter_mut().zip(c.0.iter()) {
                *ol |= cl.0 & mask;
            }
        }
    }
    let fp5 = |l: [u64; 5]| QuinticExtension(l.map(GoldilocksField));
    Point { x: fp5(out[0]), z: fp5(out[1]), u: fp5(out[2]), t: fp5(out[3]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn affine(p: &Point) -> (Fp5, Fp5) {
        (p.x / p.z, p.u / p.t)
    }

    /// The curve equation in (x, u) form: with y = x / u, y^2 = x (x^2 + a x + b) becomes
    /// x = u^2 (x^2 + a x + b) for every point but the two with u = 0.
    fn on_curve(p: &Point) -> bool {
        let (x, u) = affine(p);
        let b = fp5_const([0, CURVE_B_Z, 0, 0, 0]);
        u.is_zero() || x == u.square() * (x.square() + mul_small(&x, CURVE_A) + b)
    }

    #[test]
    fn the_generator_is_on_the_curve_and_not_neutral() {
        assert!(on_curve(&Point::GENERATOR));
        assert!(!Point::GENERATOR.is_neutral());
    }

    #[test]
    fn group_law_stays_on_the_curve_and_agrees_with_doubling() {
        let g = Point::GENERATOR;
        let mut p = g;
        for _ in 0..20 {
            assert!(on_curve(&p));
            assert_eq!(p.add(&p), p.double());
            assert_eq!(p.add(&Point::NEUTRAL), p);
            assert!(p.sub(&p).is_neutral());
            p = p.double().add(&g);
        }
        assert!(Point::NEUTRAL.double().is_neutral());
    }

    #[test]
    fn the_table_lookup_returns_the_indexed_entry() {
        let table = window_table(&Point::GENERATOR);
        for (d, entry) in table.iter().enumerate() {
            let got = lookup(&table, d);
            assert_eq!((got.x, got.z, got.u, got.t), (entry.x, entry.z, entry.u, entry.t));
        }
    }
}
