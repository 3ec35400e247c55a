//! Proving a block through every round the way the stages do it (one witness per job), for any registry.
#![allow(dead_code)]

use std::collections::HashMap;

use frispool_aggregation::ProofId;
use frispool_circuits::{basic_witnesses, FinalProofWire, ProofWire, ProtocolKeys, WitnessWire};
use frispool_rollup::BlockWitness;

/// Every proof of `block`, basic to scheduler, each verified as it is made; and the final proof.
pub fn prove_block(keys: &ProtocolKeys, block: &BlockWitness) -> (HashMap<ProofId, ProofWire>, FinalProofWire) {
    let registry = keys.registry();
    let (witnesses, plan_wire) = basic_witnesses(registry, block).expect("block re-executes");
    let plan = plan_wire.plan(registry).unwrap();
    let mut proofs: HashMap<ProofId, ProofWire> = HashMap::new();
    for w in witnesses {
        let id = ProofId::Basic { circuit_type: registry.type_named(&w.circuit_type).unwrap(), instance: w.instance };
        let p = keys.prove(&WitnessWire::Basic(w)).expect("basic proves");
        keys.verify(&p).expect("basic verifies");
        proofs.insert(id, p);
    }
    for group in plan.groups() {
        let inputs: Vec<ProofWire> = group.inputs.iter().map(|id| proofs[id].clone()).collect();
        let witness = WitnessWire::aggregation(group.output, inputs).unwrap();
        let p = keys.prove(&witness).expect("aggregation proves");
        keys.verify(&p).expect("aggregation verifies");
        proofs.insert(group.output, p);
    }
    let final_proof = keys.compress(&proofs[&ProofId::Scheduler]).expect("compresses");
    (proofs, final_proof)
}
