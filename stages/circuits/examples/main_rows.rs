//! Measures the `main` circuit: rows per slot, degree bits, prove time and proof size of one full chunk.
//! `cargo run --release -p frispool-circuits --example main_rows`

use std::time::Instant;

use frispool_circuits::{main_chunks, MainCircuit};
use frispool_rollup::{execute_block, BlockGenerator, State};

fn main() {
    let (g1, g2) = (MainCircuit::gate_count(1), MainCircuit::gate_count(2));
    println!("rows per slot: {} (constraints of 1 slot: {g1} rows, of 2 slots: {g2})", g2 - g1);
    let t = Instant::now();
    let circuit = MainCircuit::build();
    let cap = circuit.capacity();
    println!(
        "build: {:?}; capacity {cap}; gates before padding {}; degree bits {}",
        t.elapsed(),
        MainCircuit::gate_count(cap),
        circuit.data.common.degree_bits()
    );
    let mut state = State::new();
    let txs = BlockGenerator::new(1).next_block(&state, cap);
    let block = state.apply_block(txs).unwrap();
    let chunk = &main_chunks(&execute_block(&block).unwrap())[0];
    for _ in 0..2 {
        let t = Instant::now();
        let proof = circuit.prove(chunk).unwrap();
        println!("prove one chunk: {:?}", t.elapsed());
        let t = Instant::now();
        circuit.verify(&proof).unwrap();
        println!("verify: {:?}; proof size: {} bytes", t.elapsed(), proof.to_bytes().len());
    }
}
