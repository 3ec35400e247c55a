//! Sign and verify on one core: `cargo bench -p frispool-sig --bench schnorr`.
//! Signatures per second per core = 1 / the reported time per iteration.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use frispool_sig::{verify, Message, Point, Scalar, SecretKey, F};
use plonky2::field::types::Field;

fn message(i: u64) -> Message {
    [F::from_canonical_u64(7), F::TWO, F::from_canonical_u64(i), F::ONE, F::from_canonical_u64(1000 + i), F::ZERO]
}

fn bench(c: &mut Criterion) {
    let key = SecretKey::from_seed([9; 32]);
    let msg = message(1);
    let sig = key.sign(&msg);
    // The first use builds the generator's tables; keep it out of the timings.
    verify(key.public_key(), &msg, &sig).expect("valid");

    let mut g = c.benchmark_group("ecgfp5");
    g.bench_function("sign", |b| b.iter(|| key.sign(black_box(&msg))));
    g.bench_function("verify", |b| b.iter(|| verify(key.public_key(), black_box(&msg), black_box(&sig))));
    let k = Scalar::from_limbs_reduce(&[u64::MAX; 8]);
    g.bench_function("mul_generator", |b| b.iter(|| Point::mul_generator(black_box(&k))));
    g.bench_function("mul", |b| b.iter(|| black_box(Point::GENERATOR).mul(black_box(&k))));
    g.bench_function("decode", |b| {
        let w = key.public_key().point().encode();
        b.iter(|| Point::decode(black_box(&w)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
