//! Circuit benchmark: per circuit its rows, prove time and proof size; rows per transaction slot of `main`;
//! a block of 256 transactions proven through every round; the FRI security of each configuration.
//!
//! `cargo bench -p frispool-circuits --bench circuits` (env `TXS` for another block size). Prints a Markdown
//! table for BENCHMARKS.md. Proving is sequential here (one proof at a time, all cores to it), as one prover
//! process does it.

use std::collections::BTreeMap;
use std::time::Instant;

use frispool_aggregation::ProofId;
use frispool_circuits::{basic_witnesses, WitnessWire};
use frispool_circuits::{MainCircuit, ProofWire, ProtocolKeys, Registry};
use frispool_rollup::{BlockGenerator, State};

#[derive(Default)]
struct Row {
    proofs: usize,
    total_s: f64,
    bytes: usize,
}

fn main() {
    let txs: usize = std::env::var("TXS").ok().and_then(|s| s.parse().ok()).unwrap_or(256);
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);

    let t = Instant::now();
    let keys = ProtocolKeys::build(&Registry::default()).expect("keys");
    let keygen_s = t.elapsed().as_secs_f64();

    let one = MainCircuit::gate_count(1);
    let two = MainCircuit::gate_count(2);
    let rows_per_slot = two - one;

    let mut state = State::new();
    // Warm-up block: deposits create the accounts, so the measured block is mostly transfers.
    let warm = state.apply_block(BlockGenerator::new(1).next_block(&state, 64)).unwrap();
    drop(warm);
    let block = state.apply_block(BlockGenerator::new(2).next_block(&state, txs)).unwrap();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &block.transactions {
        *kinds.entry(format!("{:?}", t.tx.kind()).leak()).or_default() += 1;
    }

    let started = Instant::now();
    let (chunks, plan_wire) = basic_witnesses(keys.registry(), &block).unwrap();
    let plan = plan_wire.plan(keys.registry()).unwrap();
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    let mut proofs: BTreeMap<ProofId, ProofWire> = BTreeMap::new();
    let mut record = |p: &ProofWire, s: f64| {
        let r = rows.entry(p.circuit.clone()).or_default();
        r.proofs += 1;
        r.total_s += s;
        r.bytes = p.proof.len();
    };
    for chunk in chunks {
        let t = Instant::now();
        let id = ProofId::Basic {
            circuit_type: keys.registry().type_named(&chunk.circuit_type).unwrap(),
            instance: chunk.instance,
        };
        let p = keys.prove(&WitnessWire::Basic(chunk)).unwrap();
        record(&p, t.elapsed().as_secs_f64());
        proofs.insert(id, p);
    }
    for g in plan.groups() {
        let inputs: Vec<ProofWire> = g.inputs.iter().map(|id| proofs[id].clone()).collect();
        let w = WitnessWire::aggregation(g.output, inputs).unwrap();
        let t = Instant::now();
        let p = keys.prove(&w).unwrap();
        record(&p, t.elapsed().as_secs_f64());
        proofs.insert(g.output, p);
    }
    let t = Instant::now();
    let fin = keys.compress(&proofs[&ProofId::Scheduler]).unwrap();
    let compress_s = t.elapsed().as_secs_f64();
    let total_s = started.elapsed().as_secs_f64();
    keys.final_verifier().verify(&fin, &block.header).expect("final proof verifies");

    println!("## Circuits ({cores} cores, {txs}-transaction block: {kinds:?})\n");
    println!("keys built in {keygen_s:.1} s; protocol {}\n", keys.version());
    println!(
        "| circuit | rows | FRI security (bits, conjectured) | proofs in the block | mean prove time | proof size |"
    );
    println!("|---|---|---|---|---|---|");
    let manifest = keys.manifest();
    for c in &manifest.circuits {
        let (n, mean, size) = match rows.get(&c.name) {
            Some(r) => (
                r.proofs.to_string(),
                format!("{:.2} s", r.total_s / r.proofs as f64),
                format!("{} KiB", r.bytes / 1024),
            ),
            None if c.name == "final" => {
                ("1".into(), format!("{compress_s:.2} s"), format!("{} KiB (FRI-compressed)", fin.proof.len() / 1024))
            }
            None => ("0".into(), "-".into(), "-".into()),
        };
        println!("| {} | 2^{} | {} | {n} | {mean} | {size} |", c.name, c.degree_bits, c.security_bits);
    }
    println!();
    println!("rows per `main` transaction slot (any kind, transfer included): {rows_per_slot} (gates of 2 slots − gates of 1)");
    println!("transactions per `main` instance: {}", frispool_circuits::MAIN_TXS_PER_INSTANCE);
    println!(
        "whole block through every round, one proof at a time: {total_s:.1} s = {:.1} transactions/s (execution, {} proofs, compression)",
        txs as f64 / total_s,
        rows.values().map(|r| r.proofs).sum::<usize>() + 1
    );
}
