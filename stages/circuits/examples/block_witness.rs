//! What the round-0 witness generator (`frispool-witness --round basic`) spends on one block: re-execution
//! (every signature checked, checks_ahead.rs) and the cut into basic witnesses, under the protocol's default
//! registry. Once on a one-thread pool, once on rayon's global pool (every core, or RAYON_NUM_THREADS),
//! interleaved; the medians.
//! `cargo run --release -p frispool-circuits --example block_witness -- [TXS] [REPS]` (defaults 1024 and 5).

use std::time::Instant;

use frispool_circuits::{basic_witnesses, Registry, SigType, SIGS_PER_INSTANCE};
use frispool_rollup::{execute_block, BlockGenerator, State};

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("TXS and REPS are numbers")).collect();
    let txs = args.first().copied().unwrap_or(1024);
    let reps = args.get(1).copied().unwrap_or(5);
    let mut state = State::new();
    let block = state.apply_block(BlockGenerator::new(7).next_block(&state, txs)).unwrap();
    let signed = block.transactions.iter().filter(|t| t.signature.is_some()).count();
    let registry = Registry::main_only().with(SigType::new(SIGS_PER_INSTANCE)).unwrap();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let (mut exec, mut cut) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
    for _ in 0..reps {
        for (i, pool) in [Some(&one), None].into_iter().enumerate() {
            let run = |f: &(dyn Fn() + Sync)| match pool {
                Some(p) => p.install(f),
                None => f(),
            };
            let t = Instant::now();
            run(&|| {
                execute_block(&block).unwrap();
            });
            exec[i].push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            run(&|| {
                basic_witnesses(&registry, &block).unwrap();
            });
            cut[i].push(t.elapsed().as_secs_f64());
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2] * 1e3
    };
    println!("block of {txs} transactions, {signed} signed; median of {reps}");
    for (i, name) in ["one thread", &format!("{} threads", rayon::current_num_threads())].iter().enumerate() {
        println!(
            "{name}: execute_block {:.1} ms, basic_witnesses (execution and the cut) {:.1} ms",
            median(&mut exec[i]),
            median(&mut cut[i])
        );
    }
}
