//! Integers modulo n, the prime order of the ECgFp5 group (n is just below 2^319).
//!
//! Five 64-bit little-endian limbs, always fully reduced (`< n`), so equality is limb equality and the
//! encoding is unique. Multiplication is Montgomery's (R = 2^320); the limbs stay in plain form, since
//! signing does one product and decoding / encoding is what the signature format and the circuit see.
//! Add, sub and mul are branch-free (masked conditional subtraction).

use core::ops::{Add, Mul, Neg, Sub};

use crate::error::SigError;

/// The group order n (little-endian limbs), as published with ECgFp5: a 319-bit prime, n ~ p^5 / 2.
pub(crate) const N: [u64; 5] =
    [0xE80FD996948BFFE1, 0xE8885C39D724A09C, 0x7FFFFFE6CFB80639, 0x7FFFFFF100000016, 0x7FFFFFFD80000007];

/// -1/n mod 2^64, for Montgomery reduction (computed at compile time by Newton's iteration).
const N0_INV_NEG: u64 = {
    let mut inv: u64 = 1;
    let mut i = 0;
    // Each step doubles the number of correct low bits: 1, 2, 4, ..., 64.
    while i < 6 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(N[0].wrapping_mul(inv)));
        i += 1;
    }
    inv.wrapping_neg()
};

/// 2^k mod n for a compile-time k, by k modular doublings (values stay below 2n < 2^320, so no overflow).
const fn pow2_mod_n(k: u32) -> [u64; 5] {
    let mut r = [1u64, 0, 0, 0, 0];
    let mut i = 0;
    while i < k {
        let mut d = [0u64; 5];
        let mut j = 0;
        while j < 5 {
            d[j] = (r[j] << 1) | if j > 0 { r[j - 1] >> 63 } else { 0 };
            j += 1;
        }
        r = if geq(&d, &N) { sub_limbs(&d, &N).0 } else { d };
        i += 1;
    }
    r
}

/// 2^640 mod n: Montgomery-multiplying by it moves a value into Montgomery form.
const R2: [u64; 5] = pow2_mod_n(640);
/// 2^384 mod n: Montgomery-multiplying by it multiplies by 2^64 (used to reduce long inputs limb by limb).
const R_64: [u64; 5] = pow2_mod_n(384);

const fn geq(a: &[u64; 5], b: &[u64; 5]) -> bool {
    let mut i = 5;
    while i > 0 {
        i -= 1;
        if a[i] != b[i] {
            return a[i] > b[i];
        }
    }
    true
}

/// a - b with the final borrow (0 or 1).
const fn sub_limbs(a: &[u64; 5], b: &[u64; 5]) -> ([u64; 5], u64) {
    let mut r = [0u64; 5];
    let mut borrow = 0u64;
    let mut i = 0;
    while i < 5 {
        let (d1, b1) = a[i].overflowing_sub(b[i]);
        let (d2, b2) = d1.overflowing_sub(borrow);
        r[i] = d2;
        borrow = (b1 | b2) as u64;
        i += 1;
    }
    (r, borrow)
}

fn add_limbs(a: &[u64; 5], b: &[u64; 5]) -> [u64; 5] {
    let mut r = [0u64; 5];
    let mut carry = 0u64;
    for i in 0..5 {
        let (s1, c1) = a[i].overflowing_add(b[i]);
        let (s2, c2) = s1.overflowing_add(carry);
        r[i] = s2;
        carry = (c1 | c2) as u64;
    }
    // Inputs are below n < 2^319, so the sum fits in 320 bits: no carry out.
    r
}

/// `if mask == !0 { a } else { b }`, limb-wise, without a branch.
fn select(mask: u64, a: &[u64; 5], b: &[u64; 5]) -> [u64; 5] {
    core::array::from_fn(|i| (a[i] & mask) | (b[i] & !mask))
}

/// v mod n for v < 2n: subtract n unless that borrows.
fn reduce_once(v: &[u64; 5]) -> [u64; 5] {
    let (d, borrow) = sub_limbs(v, &N);
    select(borrow.wrapping_neg(), v, &d)
}

/// a b / 2^320 mod n, for a, b < n (CIOS Montgomery multiplication).
fn mont_mul(a: &[u64; 5], b: &[u64; 5]) -> [u64; 5] {
    // t holds the running value, below 2n < 2^320 between rounds; two extra limbs absorb the carries.
    let mut t = [0u64; 7];
    for &bi in b {
        let mut carry = 0u128;
        for j in 0..5 {
            let z = t[j] as u128 + (a[j] as u128) * (bi as u128) + carry;
            t[j] = z as u64;
            carry = z >> 64;
        }
        let z = t[5] as u128 + carry;
        t[5] = z as u64;
        t[6] = (z >> 64) as u64;

        // Add m n, with m chosen so that the low limb cancels, then shift down one limb.
        let m = t[0].wrapping_mul(N0_INV_NEG);
        let z = t[0] as u128 + (m as u128) * (N[0] as u128);
        let mut carry = z >> 64;
        for j in 1..5 {
            let z = t[j] as u128 + (m as u128) * (N[j] as u128) + carry;
            t[j - 1] = z as u64;
            carry = z >> 64;
        }
        let z = t[5] as u128 + carry;
        t[4] = z as u64;
        t[5] = t[6] + (z >> 64) as u64;
        t[6] = 0;
    }
    debug_assert_eq!(t[5], 0);
    reduce_once(&[t[0], t[1], t[2], t[3], t[4]])
}

/// An integer modulo n, the order of the ECgFp5 group.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Scalar([u64; 5]);

impl core::fmt::Debug for Scalar {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Scalar(0x")?;
        for l in self.0.iter().rev() {
            write!(f, "{l:016x}")?;
        }
        write!(f, ")")
    }
}

impl Scalar {
    pub const ZERO: Self = Self([0; 5]);
    pub const ONE: Self = Self([1, 0, 0, 0, 0]);
    /// The group order n itself, as limbs (not a valid `Scalar`).
    pub const MODULUS: [u64; 5] = N;

    /// The scalar with these little-endian limbs; refused unless the value is below n (one encoding per
    /// scalar: a signature's `s` cannot be malleated into `s + n`).
    pub fn from_canonical_limbs(limbs: [u64; 5]) -> Result<Self, SigError> {
        if geq(&limbs, &N) {
            return Err(SigError::NonCanonicalScalar);
        }
        Ok(Self(limbs))
    }

    /// The scalar encoded in 40 little-endian bytes, refused unless below n.
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<Self, SigError> {
        if bytes.len() != 40 {
            return Err(SigError::WrongLength { expected: 40, got: bytes.len() });
        }
        Self::from_canonical_limbs(core::array::from_fn(|i| {
            u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().expect("8 bytes"))
        }))
    }

    /// Any number of little-endian 64-bit limbs, reduced modulo n (Horner's rule, one limb at a time).
    /// From 512 bits of uniform input the result is within 2^-193 of uniform modulo n.
    pub fn from_limbs_reduce(limbs: &[u64]) -> Self {
        let mut acc = [0u64; 5];
        for &l in limbs.iter().rev() {
            // acc <- acc 2^64 + l mod n; the limb l < 2^64 < n, so one conditional subtraction reduces the sum.
            acc = mont_mul(&acc, &R_64);
            acc = reduce_once(&add_limbs(&acc, &[l, 0, 0, 0, 0]));
        }
        Self(acc)
    }

    /// Little-endian bytes of any length, reduced modulo n.
    pub fn from_bytes_reduce(bytes: &[u8]) -> Self {
        let limbs: Vec<u64> = bytes
            .chunks(8)
            .map(|c| {
                let mut b = [0u8; 8];
                b[..c.len()].copy_from_slice(c);
                u64::from_le_bytes(b)
            })
            .collect();
        Self::from_limbs_reduce(&limbs)
    }

    /// The little-endian limbs (always `< n`).
    pub fn to_limbs(&self) -> [u64; 5] {
        self.0
    }

    /// The 40-byte little-endian encoding.
    pub fn to_bytes(&self) -> [u8; 40] {
        let mut out = [0u8; 40];
        for (i, l) in self.0.iter().enumerate() {
            out[8 * i..8 * i + 8].copy_from_slice(&l.to_le_bytes());
        }
        out
    }

    pub fn is_zero(&self) -> bool {
        self.0 == [0; 5]
    }

    /// Bit `i` (little-endian), 0 past the top.
    pub fn bit(&self, i: usize) -> bool {
        i < 320 && (self.0[i / 64] >> (i % 64)) & 1 == 1
    }

    /// The 4-bit digit `i` (bits 4i .. 4i + 3); 80 digits cover all 320 bits.
    pub(crate) fn nibble(&self, i: usize) -> usize {
        ((self.0[i / 16] >> (4 * (i % 16))) & 0xF) as usize
    }
}

impl Add for Scalar {
    type Output = Scalar;
    fn add(self, rhs: Scalar) -> Scalar {
        Scalar(reduce_once(&add_limbs(&self.0, &rhs.0)))
    }
}

impl Sub for Scalar {
    type Output = Scalar;
    fn sub(self, rhs: Scalar) -> Scalar {
        let (d, borrow) = sub_limbs(&self.0, &rhs.0);
        // On a borrow, d wrapped around 2^320: adding n (mod 2^320) gives a - b + n.
        let fixed = add_limbs_wrapping(&d, &N);
        Scalar(select(borrow.wrapping_neg(), &fixed, &d))
    }
}

fn add_limbs_wrapping(a: &[u64; 5], b: &[u64; 5]) -> [u64; 5] {
    let mut r = [0u64; 5];
    let mut carry = 0u64;
    for i in 0..5 {
        let (s1, c1) = a[i].overflowing_add(b[i]);
        let (s2, c2) = s1.overflowing_add(carry);
        r[i] = s2;
        carry = (c1 | c2) as u64;
    }
    r
}

impl Neg for Scalar {
    type Output = Scalar;
    fn neg(self) -> Scalar {
        Scalar::ZERO - self
    }
}

impl Mul for Scalar {
    type Output = Scalar;
    fn mul(self, rhs: Scalar) -> Scalar {
        // (a R^2 / R) b / R = a b.
        Scalar(mont_mul(&mont_mul(&self.0, &R2), &rhs.0))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Reference arithmetic on plain integers (u128 pairs would not do: n has 319 bits), via schoolbook
    /// long division on little-endian u64 limbs. Slow and simple: a second opinion on Montgomery.
    fn reference_mod_n(limbs: &[u64]) -> [u64; 5] {
        // Bit-serial: r <- 2 r + bit, subtract n when r >= n.
        let mut r = [0u64; 5];
        for &l in limbs.iter().rev() {
            for b in (0..64).rev() {
                let mut d = [0u64; 5];
                for j in 0..5 {
                    d[j] = (r[j] << 1) | if j > 0 { r[j - 1] >> 63 } else { 0 };
                }
                d[0] |= (l >> b) & 1;
                r = if geq(&d, &N) { sub_limbs(&d, &N).0 } else { d };
            }
        }
        r
    }

    fn full_product(a: &[u64; 5], b: &[u64; 5]) -> [u64; 10] {
        let mut t = [0u64; 10];
        for i in 0..5 {
            let mut carry = 0u128;
            for j in 0..5 {
                let z = t[i + j] as u128 + (a[i] as u128) * (b[j] as u128) + carry;
                t[i + j] = z as u64;
                carry = z >> 64;
            }
            t[i + 5] = carry as u64;
        }
        t
    }

    fn scalar() -> impl Strategy<Value = Scalar> {
        any::<[u64; 8]>().prop_map(|l| Scalar::from_limbs_reduce(&l))
    }

    #[test]
    fn constants_are_consistent() {
        assert_eq!(N[0].wrapping_mul(N0_INV_NEG), u64::MAX); // n * (-1/n) = -1 mod 2^64
        let mut two_640 = [0u64; 11];
        two_640[10] = 1;
        assert_eq!(R2, reference_mod_n(&two_640));
        assert!(Scalar::from_canonical_limbs(N).is_err());
        let mut n_minus_1 = N;
        n_minus_1[0] -= 1;
        assert_eq!(Scalar::from_canonical_limbs(n_minus_1).unwrap() + Scalar::ONE, Scalar::ZERO);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn reduction_matches_the_reference(l in any::<[u64; 8]>()) {
            prop_assert_eq!(Scalar::from_limbs_reduce(&l).0, reference_mod_n(&l));
        }

        #[test]
        fn mul_matches_the_reference(a in scalar(), b in scalar()) {
            prop_assert_eq!((a * b).0, reference_mod_n(&full_product(&a.0, &b.0)));
        }

        #[test]
        fn ring_laws(a in scalar(), b in scalar(), c in scalar()) {
            prop_assert_eq!(a + b, b + a);
            prop_assert_eq!((a + b) - b, a);
            prop_assert_eq!(a + (-a), Scalar::ZERO);
            prop_assert_eq!(a * (b + c), a * b + a * c);
            prop_assert_eq!(a * Scalar::ONE, a);
        }

        #[test]
        fn bytes_round_trip(a in scalar()) {
            prop_assert_eq!(Scalar::from_canonical_bytes(&a.to_bytes()).unwrap(), a);
            prop_assert_eq!(Scalar::from_bytes_reduce(&a.to_bytes()), a);
            let bits: Vec<bool> = (0..320).map(|i| a.bit(i)).collect();
            for i in 0..80 {
                let nib = (0..4).map(|k| (bits[4 * i + k] as usize) << k).sum::<usize>();
                prop_assert_eq!(a.nibble(i), nib);
            }
        }
    }
}
