//! Algebraic properties of the group and of the signatures, on random inputs.

use frispool_sig::{
    challenge, fp5_from_canonical_limbs, legendre, verify, Fp5, Message, Point, PublicKey, Scalar, SecretKey, SigError,
    Signature, F, P,
};
use plonky2::field::types::Field;
use proptest::prelude::*;

fn scalar() -> impl Strategy<Value = Scalar> {
    any::<[u64; 8]>().prop_map(|l| Scalar::from_limbs_reduce(&l))
}

fn message() -> impl Strategy<Value = Message> {
    any::<[u64; 6]>().prop_map(|l| l.map(F::from_noncanonical_u64))
}

fn n_minus_one() -> Scalar {
    let mut l = Scalar::MODULUS;
    l[0] -= 1;
    Scalar::from_canonical_limbs(l).unwrap()
}

#[test]
fn the_group_order_kills_the_generator() {
    // n G = (n - 1) G + G; both scalar multiplications see every digit of n - 1.
    let g = Point::GENERATOR;
    assert!(Point::mul_generator(&n_minus_one()).add(&g).is_neutral());
    assert!(g.mul(&n_minus_one()).add(&g).is_neutral());
    assert_eq!(g.mul(&n_minus_one()), g.neg());
    // And nothing smaller than n that is easy to hit: G is not of order 1 or 2.
    assert!(!g.double().is_neutral());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn scalar_multiplication_is_a_homomorphism(a in scalar(), b in scalar()) {
        let g = Point::GENERATOR;
        let (ag, bg) = (Point::mul_generator(&a), Point::mul_generator(&b));
        prop_assert_eq!(Point::mul_generator(&(a + b)), ag.add(&bg));
        prop_assert_eq!(g.mul(&a), ag);
        prop_assert_eq!(g.mul_vartime(&a), ag);
        prop_assert_eq!(ag.mul(&b), Point::mul_generator(&(a * b)));
        prop_assert!(Point::mul_generator(&a).add(&Point::mul_generator(&(-a))).is_neutral());
    }

    #[test]
    fn encode_then_decode_is_the_identity(a in scalar()) {
        let p = Point::mul_generator(&a);
        let w = p.encode();
        prop_assert!(Point::is_encoding(&w));
        let q = Point::decode(&w).unwrap();
        prop_assert_eq!(q, p);
        prop_assert_eq!(q.encode(), w);
        prop_assert_eq!(Point::decode_bytes(&p.encode_bytes()).unwrap(), p);
    }

    #[test]
    fn a_random_field_element_decodes_iff_its_discriminant_is_a_square(l in any::<[u64; 5]>()) {
        let w = fp5_from_canonical_limbs(l.map(|x| x % P)).unwrap();
        let e = w * w - Fp5::from_canonical_u64(2);
        let delta = e * e - fp5_from_canonical_limbs([0, 4 * 263, 0, 0, 0]).unwrap();
        match Point::decode(&w) {
            Ok(p) => {
                prop_assert!(w.is_zero() || legendre(&delta) == 1);
                prop_assert_eq!(p.encode(), w);
            }
            Err(err) => {
                prop_assert_eq!(err, SigError::NotAPoint);
                prop_assert_eq!(legendre(&delta), -1);
            }
        }
    }

    #[test]
    fn signatures_verify_and_any_change_breaks_them(seed in any::<[u8; 32]>(), other in any::<[u8; 32]>(),
                                                     m in message(), i in 0usize..6, delta in 1u64..1000) {
        let key = SecretKey::from_seed(seed);
        let sig = key.sign(&m);
        prop_assert_eq!(verify(key.public_key(), &m, &sig), Ok(()));
        // Deterministic.
        prop_assert_eq!(key.sign(&m), sig);

        // Another message.
        let mut m2 = m;
        m2[i] += F::from_canonical_u64(delta);
        prop_assert_eq!(verify(key.public_key(), &m2, &sig), Err(SigError::BadSignature));
        prop_assert_ne!(key.sign(&m2).r(), sig.r());

        // Another key.
        prop_assume!(seed != other);
        let key2 = SecretKey::from_seed(other);
        prop_assert_eq!(verify(key2.public_key(), &m, &sig), Err(SigError::BadSignature));

        // Another s, another r.
        let (r, s) = sig.to_parts();
        let s2 = (sig.s() + Scalar::ONE).to_limbs();
        prop_assert_eq!(verify(key.public_key(), &m, &Signature::from_parts(r, s2).unwrap()),
                        Err(SigError::BadSignature));
        let mut r2 = r;
        r2[i % 5] = (r2[i % 5] + delta) % P;
        prop_assert_eq!(verify(key.public_key(), &m, &Signature::from_parts(r2, s).unwrap()),
                        Err(SigError::BadSignature));

        prop_assert_eq!(Signature::from_field_parts(sig.r(), s).unwrap(), sig);

        // The encoded key round-trips.
        let pk = PublicKey::from_encoding(key.public_key().encoding()).unwrap();
        prop_assert_eq!(&pk, key.public_key());
        prop_assert_eq!(verify(&pk, &m, &sig), Ok(()));
    }
}

#[test]
fn verification_is_the_schnorr_equation() {
    // s G = R + e PK, recomputed here from the parts, independently of `verify`'s encoding comparison.
    let key = SecretKey::from_seed([1; 32]);
    let m: Message = core::array::from_fn(|i| F::from_canonical_u64(i as u64 * 31 + 5));
    let sig = key.sign(&m);
    let (r, _) = sig.to_parts();
    let big_r = Point::decode_limbs(r).unwrap();
    let e = challenge(&sig.r(), &key.public_key().encoding(), &m);
    assert_eq!(Point::mul_generator(&sig.s()), big_r.add(&key.public_key().point().mul(&e)));
    assert_eq!(*key.public_key().point(), Point::mul_generator(key.scalar()));
    // The challenge is below 2^256 (four field elements), so the circuit may take only 256 bits of it.
    assert!(e.to_limbs()[4] == 0);
}

#[test]
fn malformed_keys_and_signatures_are_refused() {
    assert_eq!(PublicKey::from_limbs([0; 5]), Err(SigError::NeutralPublicKey));
    assert_eq!(PublicKey::from_limbs([P, 0, 0, 0, 0]), Err(SigError::NonCanonicalLimb { index: 0, value: P }));
    // Small encodings: from_limbs must agree with is_encoding, and some of them must be refused.
    let mut refused = 0;
    for w in 1..40u64 {
        let ok = Point::is_encoding(&Fp5::from_canonical_u64(w));
        assert_eq!(PublicKey::from_limbs([w, 0, 0, 0, 0]).is_ok(), ok, "w = {w}");
        refused += usize::from(!ok);
    }
    assert!((5..35).contains(&refused), "{refused} of 39 small encodings refused");
    assert_eq!(Signature::from_parts([4, 0, 0, 0, 0], Scalar::MODULUS), Err(SigError::NonCanonicalScalar));
    assert!(Signature::from_parts([u64::MAX, 0, 0, 0, 0], [0; 5]).is_err());
    assert_eq!(SecretKey::from_scalar(Scalar::ZERO).unwrap_err(), SigError::ZeroSecretKey);
    // A neutral commitment is refused even when the Schnorr equation holds: s = e sk makes s G - e PK = O.
    let key = SecretKey::from_seed([3; 32]);
    let m = [F::ONE; 6];
    let e = challenge(&[F::ZERO; 5], &key.public_key().encoding(), &m);
    let forged = Signature::from_parts([0; 5], (e * *key.scalar()).to_limbs()).unwrap();
    assert!(Point::mul_generator(&forged.s()).sub(&key.public_key().point().mul(&e)).is_neutral());
    assert_eq!(verify(key.public_key(), &m, &forged), Err(SigError::BadSignature));
    // Signing with the key whose public key is G: the signature must verify against G's encoding.
    let one = SecretKey::from_scalar(Scalar::ONE).unwrap();
    assert_eq!(one.public_key().encoding(), [F::from_canonical_u64(4), F::ZERO, F::ZERO, F::ZERO, F::ZERO]);
}
