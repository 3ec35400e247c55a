//! Measures what `sig` costs a block: the `sig` circuit's rows and one instance's prove time, and one block
//! proven through every round (basic, leaf, node, tip, scheduler, compression; one process, in order) under
//! `[main]` and under `[main, sig (K)]`.
//! `cargo run --release -p frispool-circuits --example sig_block -- [TXS] [K]` (defaults 16 and the protocol's
//! `SIGS_PER_INSTANCE`, 10).

use std::time::Instant;

use frispool_aggregation::ProofId;
use frispool_circuits::{basic_witnesses, ProofWire, ProtocolKeys, Registry, SigType, WitnessWire, SIG};
use frispool_rollup::{BlockGenerator, BlockWitness, State};

/// Every proof of `block` in the stages' order; returns the seconds it took.
fn prove_block(keys: &ProtocolKeys, block: &BlockWitness) -> f64 {
    let started = Instant::now();
    let registry = keys.registry();
    let (witnesses, plan) = basic_witnesses(registry, block).expect("block re-executes");
    let plan = plan.plan(registry).unwrap();
    let mut proofs = std::collections::HashMap::<ProofId, ProofWire>::new();
    for w in witnesses {
        let id = ProofId::Basic { circuit_type: registry.type_named(&w.circuit_type).unwrap(), instance: w.instance };
        proofs.insert(id, keys.prove(&WitnessWire::Basic(w)).expect("basic proves"));
    }
    for group in plan.groups() {
        let inputs: Vec<ProofWire> = group.inputs.iter().map(|id| proofs[id].clone()).collect();
        let p = keys.prove(&WitnessWire::aggregation(group.output, inputs).unwrap()).expect("aggregation proves");
        proofs.insert(group.output, p);
    }
    let final_proof = keys.compress(&proofs[&ProofId::Scheduler]).expect("compresses");
    keys.final_verifier().verify(&final_proof, &block.header).expect("accepted");
    started.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("TXS and K are numbers")).collect();
    let txs = args.first().copied().unwrap_or(16);
    let k = args.get(1).copied().unwrap_or(frispool_circuits::SIGS_PER_INSTANCE);
    let mut state = State::new();
    let block = state.apply_block(BlockGenerator::new(7).next_block(&state, txs)).unwrap();
    let signed = block.transactions.iter().filter(|t| t.signature.is_some()).count();
    println!("block: {txs} transactions, {signed} signed; sig: {k} per instance");

    for registry in [Registry::main_only(), Registry::main_only().with(SigType::new(k)).unwrap()] {
        let names: Vec<&str> = registry.types().map(|t| t.name()).collect();
        let t = Instant::now();
        let keys = ProtocolKeys::build(&registry).expect("keys");
        println!("[{}] keygen: {:.1} s", names.join(", "), t.elapsed().as_secs_f64());
        if names.contains(&SIG.name()) {
            let sig = keys.basic(SIG).expect("sig circuit");
            println!("sig circuit: 2^{} rows", sig.data.common.degree_bits());
            let (witnesses, _) = basic_witnesses(&registry, &block).unwrap();
            let w = witnesses.into_iter().find(|w| w.circuit_type == SIG.name()).unwrap();
            for _ in 0..2 {
                let t = Instant::now();
                keys.prove(&WitnessWire::Basic(w.clone())).expect("sig proves");
                let s = t.elapsed().as_secs_f64();
                println!("one sig instance: {s:.2} s ({:.3} signatures per second per core)", k as f64 / s);
            }
        }
        let secs = prove_block(&keys, &block);
        println!("[{}] block through every round: {secs:.1} s, {:.3} tx/s", names.join(", "), txs as f64 / secs);
    }
}
