//! Witness generation of one full `main` chunk: plonky2's `generate_partial_witness` against
//! `frispool_core::generate_witness` (the replayed order) on one thread, and against its levelled replay on
//! rayon's global pool (every core, or RAYON_NUM_THREADS), interleaved; then how many levels and how wide.
//! `cargo run --release -p frispool-circuits --example witness_gen [REPS]`

use std::time::Instant;

use frispool_circuits::{main_chunks, MainCircuit};
use frispool_rollup::{execute_block, BlockGenerator, State};
use plonky2::iop::generator::generate_partial_witness;

fn main() {
    let reps: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    let circuit = MainCircuit::build();
    let mut state = State::new();
    let txs = BlockGenerator::new(1).next_block(&state, circuit.capacity());
    let block = state.apply_block(txs).unwrap();
    let chunk = &main_chunks(&execute_block(&block).unwrap())[0];
    let (prover, common) = (&circuit.data.prover_only, &circuit.data.common);
    println!("main, 2^{} rows, {} generators", common.degree_bits(), prover.generators.len());
    frispool_core::generate_witness(circuit.witness(chunk).unwrap(), prover, common).unwrap(); // records
                                                                                               // One thread: the replay goes generator by generator (levels need a second thread).
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let (mut plonky2_s, mut replay_s, mut levelled_s) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..reps {
        let pw = circuit.witness(chunk).unwrap();
        let t = Instant::now();
        generate_partial_witness(pw, prover, common).unwrap();
        plonky2_s.push(t.elapsed().as_secs_f64());
        let pw = circuit.witness(chunk).unwrap();
        let t = Instant::now();
        one.install(|| frispool_core::generate_witness(pw, prover, common).unwrap());
        replay_s.push(t.elapsed().as_secs_f64());
        let pw = circuit.witness(chunk).unwrap();
        let t = Instant::now();
        frispool_core::generate_witness(pw, prover, common).unwrap();
        levelled_s.push(t.elapsed().as_secs_f64());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (a, b, c) = (median(&mut plonky2_s), median(&mut replay_s), median(&mut levelled_s));
    println!(
        "median of {reps}: plonky2 {:.1} ms, replayed {:.1} ms ({:.2}x), levelled on {} threads {:.1} ms ({:.2}x)",
        a * 1e3,
        b * 1e3,
        a / b,
        rayon::current_num_threads(),
        c * 1e3,
        a / c
    );
    match frispool_core::schedule_levels(prover) {
        Some(levels) => {
            let wide = levels.iter().filter(|l| l.len() >= 64).map(Vec::len).sum::<usize>();
            println!(
                "{} levels, widest {}, {:.0}% of the generators in levels of 64 or more",
                levels.len(),
                levels.iter().map(Vec::len).max().unwrap_or(0),
                100.0 * wide as f64 / prover.generators.len() as f64
            );
        }
        None => println!("the levelled replay fell back to the recorded order"),
    }
    // Reading every wire out of the partition witness (what a prover does next).
    let pw = frispool_core::generate_witness(circuit.witness(chunk).unwrap(), prover, common).unwrap();
    let mut read_s: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(frispool_core::WitnessVector::of_partition(prover, common, &pw));
            t.elapsed().as_secs_f64()
        })
        .collect();
    println!("reading the wire columns: {:.1} ms", median(&mut read_s) * 1e3);
}
