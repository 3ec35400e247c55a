//! Measures the wrap-ready layer over the protocol's final circuit and the wrapper's R1CS for it
//! (`FRISPOOL_WRAP_MEASURE=1`; minutes).
use std::time::Instant;

use ark_relations::gr1cs::ConstraintSystem;
use frispool_circuits::{ProtocolKeys, Registry, SecurityLevel, WrapLayer};

#[test]
fn measure_the_wrap_layer_and_its_wrapper() {
    if std::env::var("FRISPOOL_WRAP_MEASURE").is_err() {
        eprintln!("skipped: FRISPOOL_WRAP_MEASURE=1 measures the wrap-ready layer");
        return;
    }
    let t = Instant::now();
    let keys = ProtocolKeys::build(&Registry::default()).unwrap();
    eprintln!("protocol keys built in {:.1?}", t.elapsed());
    let fin = keys.compressor.final_circuit();
    let t = Instant::now();
    let layer = WrapLayer::build(&fin.common, &fin.verifier_only);
    let common = &layer.circuit().common;
    eprintln!(
        "wrap layer built in {:.1?}: degree 2^{}, gates {:?}, security {}",
        t.elapsed(),
        common.degree_bits(),
        common.gates.iter().map(|g| g.0.id()).collect::<Vec<_>>(),
        SecurityLevel::of(common).describe()
    );
    let t = Instant::now();
    let shape = layer.shape_proof().unwrap();
    eprintln!("shape proof in {:.1?}", t.elapsed());
    let circuit = frispool_wrap::Plonky2VerifierCircuit::new(
        layer.circuit().common.clone(),
        layer.circuit().verifier_only.clone(),
        shape,
    )
    .unwrap();
    let cs = ConstraintSystem::new_ref();
    let t = Instant::now();
    let counts = circuit.synthesize(cs).unwrap();
    eprintln!("wrapper synthesized in {:.1?}: {counts:?}", t.elapsed());
}
