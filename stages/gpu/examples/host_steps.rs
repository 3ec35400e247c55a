//! The prover's steps on the host alone (the CPU commitment backend), medians of 7 proofs of one `main`
//! witness: the A/B of host levers without a GPU, e.g. `FRISPOOL_WIRE_COLUMNS=off` against the default,
//! under `RAYON_NUM_THREADS=1` like the pipeline's provers. A lever that wins here can still lose on
//! another CPU (NOTES.md run 20): confirm it in the pipeline.
//! The FRI step includes the proof of work, whose length follows the witness (random in every run).
//!
//! `cargo run --release -p frispool-gpu --example host_steps`

#[path = "../tests/support/mod.rs"]
mod support;
use frispool_gpu::prover::{prove_timed, CpuCommit};
use plonky2::iop::generator::generate_partial_witness;

fn main() {
    let (circuit, chunk) = support::main_setup(7);
    let data = &circuit.data;
    let pw = support::main_witness(&circuit, &chunk);
    let part = generate_partial_witness(pw, &data.prover_only, &data.common).unwrap();
    let mut all: Vec<Vec<f64>> = vec![];
    for _ in 0..7 {
        let (_, t) = prove_timed(&data.prover_only, &data.common, part.clone(), &CpuCommit).unwrap();
        all.push(t.steps().iter().map(|s| s.1).collect());
    }
    let names: Vec<_> = frispool_gpu::prover::ProveTimes::default().steps().iter().map(|s| s.0).collect();
    for (i, n) in names.iter().enumerate() {
        println!("{n:<18} {:8.2} ms", support::median(all.iter().map(|r| r[i]).collect()));
    }
}
