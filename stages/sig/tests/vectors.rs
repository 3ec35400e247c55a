//! Published test vectors of ECgFp5: the unit tests of Thomas Pornin's reference implementation
//! (github.com/pornin/ecgfp5, `rust/src/curve.rs`, tests `ecgfp5_ops` and `ecgfp5_mul`; generated with Sage),
//! and the generator's encoding w = 4 (`Point::GENERATOR` there). Values are five little-endian limbs of
//! GF(p^5) elements (low degree first).

use frispool_sig::{fp5_from_canonical_limbs, Fp5, Point, Scalar, SigError};

fn fp5(limbs: [u64; 5]) -> Fp5 {
    fp5_from_canonical_limbs(limbs).expect("published vectors are canonical")
}

fn decode(limbs: [u64; 5]) -> Point {
    Point::decode(&fp5(limbs)).expect("published point decodes")
}

// P0 = neutral, P1 random, P2 = e P1, P3 = P1 + P2, P4 = 2 P1, P5 = 2 P2, P6 = 2 P1 + P2, P7 = P1 + 2 P2.
const W0: [u64; 5] = [0, 0, 0, 0, 0];
const W1: [u64; 5] =
    [12539254003028696409, 15524144070600887654, 15092036948424041984, 11398871370327264211, 10958391180505708567];
const W2: [u64; 5] =
    [11001943240060308920, 17075173755187928434, 3940989555384655766, 15017795574860011099, 5548543797011402287];
const W3: [u64; 5] =
    [246872606398642312, 4900963247917836450, 7327006728177203977, 13945036888436667069, 3062018119121328861];
const W4: [u64; 5] =
    [8058035104653144162, 16041715455419993830, 7448530016070824199, 11253639182222911208, 6228757819849640866];
const W5: [u64; 5] =
    [10523134687509281194, 11148711503117769087, 9056499921957594891, 13016664454465495026, 16494247923890248266];
const W6: [u64; 5] =
    [12173306542237620, 6587231965341539782, 17027985748515888117, 17194831817613584995, 10056734072351459010];
const W7: [u64; 5] =
    [9420857400785992333, 4695934009314206363, 14471922162341187302, 13395190104221781928, 16359223219913018041];

/// Field elements that are not the encoding of any point.
const NOT_POINTS: [[u64; 5]; 6] = [
    [13557832913345268708, 15669280705791538619, 8534654657267986396, 12533218303838131749, 5058070698878426028],
    [135036726621282077, 17283229938160287622, 13113167081889323961, 1653240450380825271, 520025869628727862],
    [6727960962624180771, 17240764188796091916, 3954717247028503753, 1002781561619501488, 4295357288570643789],
    [4578929270179684956, 3866930513245945042, 7662265318638150701, 9503686272550423634, 12241691520798116285],
    [16890297404904119082, 6169724643582733633, 9725973298012340311, 5977049210035183790, 11379332130141664883],
    [13777379982711219130, 14715168412651470168, 17942199593791635585, 6188824164976547520, 15461469634034461986],
];

#[test]
fn published_points_decode_and_reencode_to_themselves() {
    for (i, w) in [W0, W1, W2, W3, W4, W5, W6, W7].into_iter().enumerate() {
        assert!(Point::is_encoding(&fp5(w)), "w{i}");
        let p = decode(w);
        assert_eq!(p.is_neutral(), i == 0, "w{i}");
        assert_eq!(p.encode_limbs(), w, "w{i}");
    }
    assert_ne!(decode(W1), decode(W2));
    assert_ne!(decode(W0), decode(W1));
}

#[test]
fn published_non_points_are_refused() {
    for (i, w) in NOT_POINTS.into_iter().enumerate() {
        assert!(!Point::is_encoding(&fp5(w)), "bad w{i}");
        assert_eq!(Point::decode(&fp5(w)), Err(SigError::NotAPoint), "bad w{i}");
    }
}

#[test]
fn published_sums_and_doublings() {
    let (p0, p1, p2) = (decode(W0), decode(W1), decode(W2));
    assert_eq!(p1.add(&p2).encode_limbs(), W3);
    assert_eq!(p1.add(&p1).encode_limbs(), W4);
    assert_eq!(p1.double().encode_limbs(), W4);
    assert_eq!(p2.double().encode_limbs(), W5);
    assert_eq!(p1.double().add(&p2).encode_limbs(), W6);
    assert_eq!(p1.add(&p2).add(&p2).encode_limbs(), W7);
    assert_eq!(p0.double().encode_limbs(), W0);
    assert_eq!(p0.add(&p0).encode_limbs(), W0);
    assert_eq!(p0.add(&p1).encode_limbs(), W1);
    assert_eq!(p1.add(&p0).encode_limbs(), W1);
}

#[test]
fn published_scalar_multiplication() {
    // P2 = e P1, e given as 40 little-endian bytes.
    let w1 = [7534507442095725921, 16658460051907528927, 12417574136563175256, 2750788641759288856, 620002843272906439];
    let e_bytes: [u8; 40] = [
        0x1B, 0x18, 0x51, 0xC8, 0x1D, 0x22, 0xD4, 0x0D, 0x6D, 0x36, 0xEC, 0xCE, 0x54, 0x27, 0x41, 0x66, 0x08, 0x14,
        0x2F, 0x8F, 0xFF, 0x64, 0xB4, 0x76, 0x28, 0xCD, 0x3F, 0xF8, 0xAA, 0x25, 0x16, 0xD4, 0xBA, 0xD0, 0xCC, 0x02,
        0x1A, 0x44, 0x7C, 0x03,
    ];
    let w2 =
        [9486104512504676657, 14312981644741144668, 5159846406177847664, 15978863787033795628, 3249948839313771192];
    let e = Scalar::from_canonical_bytes(&e_bytes).expect("published scalar is below n");
    let (p1, p2) = (decode(w1), decode(w2));
    assert_eq!(p1.mul(&e), p2);
    assert_eq!(p1.mul(&e).encode_limbs(), w2);
    assert_eq!(p1.mul_vartime(&e).encode_limbs(), w2);
}

#[test]
fn the_generator_is_published_as_w_equal_four() {
    assert_eq!(Point::GENERATOR.encode_limbs(), [4, 0, 0, 0, 0]);
    assert_eq!(decode([4, 0, 0, 0, 0]), Point::GENERATOR);
}
