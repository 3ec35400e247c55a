//! Rows of the `sig` circuit per signature and the prove time of one instance:
//! `cargo run --release -p frispool-sig --example sig_rows -- [CAPACITY...]`.

use std::time::Instant;

use frispool_sig::{build_sig_circuit, Builder, SecretKey, SigCircuit, SigInstance, SigSlot, F};
use plonky2::field::types::Field;
use plonky2::hash::hash_types::HashOut;
use plonky2::plonk::circuit_data::CircuitConfig;

fn main() {
    let capacities: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("a capacity")).collect::<Vec<_>>();
    let capacities = if capacities.is_empty() { vec![1, 2] } else { capacities };
    for &k in &capacities {
        let mut builder = Builder::new(CircuitConfig::standard_recursion_config());
        build_sig_circuit(&mut builder, k);
        let rows = builder.num_gates();
        let t = Instant::now();
        let circuit = SigCircuit::build(CircuitConfig::standard_recursion_config(), k);
        let build_s = t.elapsed().as_secs_f64();
        let slots: Vec<SigSlot> = (0..k)
            .map(|i| {
                let key = SecretKey::from_seed([i as u8 + 1; 32]);
                let msg = [F::from_canonical_u64(i as u64 + 7); 6];
                SigSlot::new(key.public_key(), &msg, &key.sign(&msg))
            })
            .collect();
        let instance = SigInstance::new(HashOut::ZERO, slots);
        let t = Instant::now();
        let proof = circuit.prove(&instance).expect("prove");
        let prove_s = t.elapsed().as_secs_f64();
        circuit.verify(&proof).expect("verify");
        let per_signature = rows as f64 / k as f64;
        let bits = circuit.data().common.degree_bits();
        println!(
            "capacity {k}: {rows} gates before padding ({per_signature:.0} per signature), degree bits {bits}, \
             build {build_s:.1} s, prove {prove_s:.1} s"
        );
    }
}
