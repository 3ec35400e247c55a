//! Needs a GPU: skips (with the reason) where `Gpu::new` finds none, as on CI.

use frispool_gpu::{commit, Gpu, F};
use plonky2::field::polynomial::PolynomialValues;
use plonky2::field::types::Sample;
use plonky2::fri::oracle::PolynomialBatch;
use plonky2::plonk::config::PoseidonGoldilocksConfig;
use plonky2::util::timing::TimingTree;

type C = PoseidonGoldilocksConfig;

#[test]
fn gpu_commitment_equals_plonky2() {
    let gpu = match Gpu::new(0) {
        Ok(g) => g,
        Err(e) if e.is_no_gpu() => {
            eprintln!("skipping gpu_commitment_equals_plonky2: {e}");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    for (log_n, ncols, rate_bits, cap) in [(10usize, 7usize, 3usize, 4usize), (12, 135, 3, 4)] {
        let values: Vec<PolynomialValues<F>> =
            (0..ncols).map(|_| PolynomialValues::new(F::rand_vec(1 << log_n))).collect();
        let cpu = PolynomialBatch::<F, C, 2>::from_values(
            values.clone(),
            rate_bits,
            false,
            cap,
            &mut TimingTree::default(),
            None,
        );
        let g = commit::polynomial_batch_from_values::<_, C>(&gpu, &values, rate_bits, false, cap).unwrap();
        assert!(g == cpu, "2^{log_n} x {ncols}");
    }
}

#[test]
fn no_gpu_is_a_typed_error() {
    match Gpu::new(0) {
        Ok(_) => eprintln!("skipping no_gpu_is_a_typed_error: this machine has a usable GPU"),
        Err(e) => {
            assert!(e.is_no_gpu(), "unexpected error kind: {e}");
            assert!(e.to_string().contains("no usable GPU"));
        }
    }
}
