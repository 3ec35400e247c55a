//! `sig` registered after `main` (two signatures an instance: instances with several slots, the last one
//! part padding) and proven with it through every round, and the scheduler's cross-check between the two:
//! `sig`'s running hash of (key, signed message) must end the block where `main`'s hash of the same pairs ends.
//!
//! The negative tests below each present proofs that verify on their own — every `sig` proof is a valid
//! proof of real signatures — and isolate the scheduler's binding: `sig` proofs of another block with the
//! same number, and `sig` proofs of this block's signatures with one transaction skipped. Without the
//! binding (`bind_types` in `stages/aggregation/src/scheduler.rs`) both would prove. The circuit-level
//! refusals (bad signature, wrong key, altered fields, replay) are `stages/sig/tests/circuit.rs`'s.

mod support;

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Instant;

use frispool_aggregation::ProofId;
use frispool_circuits::{
    basic_witnesses, BasicWitnessWire, FinalProofWire, ProofWire, ProtocolKeys, Registry, SigItem, SigType, SigWitness,
    WitnessWire, SIG,
};
use frispool_core::layout::{main_state, tip, DIGEST_LEN};
use frispool_rollup::{execute_block, BlockGenerator, BlockWitness, State};
use plonky2::field::types::PrimeField64;

/// Transactions of the test blocks: a handful of signed ones.
const TXS: usize = 8;
/// Signatures per `sig` instance: fewer than the block's, and not a divisor of their number, so the block has
/// several instances and the last one has padding slots.
const K: usize = 2;

fn keys() -> &'static ProtocolKeys {
    static KEYS: OnceLock<ProtocolKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let registry = Registry::main_only().with(SigType::new(K)).expect("sig registers after main");
        let started = Instant::now();
        let keys = ProtocolKeys::build(&registry).expect("keys of [main, sig]");
        eprintln!("keygen of [main, sig ({K} per instance)]: {:.1?}", started.elapsed());
        keys
    })
}

fn block_of(seed: u64) -> BlockWitness {
    let mut state = State::new();
    state.apply_block(BlockGenerator::new(seed).next_block(&state, TXS)).unwrap()
}

/// The block every test uses, proven through every round once.
fn proven() -> &'static (BlockWitness, HashMap<ProofId, ProofWire>, FinalProofWire) {
    static PROVEN: OnceLock<(BlockWitness, HashMap<ProofId, ProofWire>, FinalProofWire)> = OnceLock::new();
    PROVEN.get_or_init(|| {
        let block = block_of(42);
        let started = Instant::now();
        let (proofs, final_proof) = support::prove_block(keys(), &block);
        eprintln!("block of {TXS} transactions, main and sig, through every round: {:.1?}", started.elapsed());
        (block, proofs, final_proof)
    })
}

/// `sig` witnesses as the witness stage would carry them.
fn wires(witnesses: &[SigWitness]) -> Vec<BasicWitnessWire> {
    witnesses
        .iter()
        .map(|w| BasicWitnessWire {
            circuit_type: SIG.name().into(),
            block: w.block,
            instance: w.instance,
            payload: bincode::serde::encode_to_vec(w, bincode::config::standard()).unwrap(),
        })
        .collect()
}

/// The top `sig` proof (a leaf over at most four instances) of `witnesses`, every proof verified.
fn sig_leaf(witnesses: &[SigWitness]) -> ProofWire {
    assert!((1..=4).contains(&witnesses.len()), "one leaf covers the whole chain: {} instances", witnesses.len());
    let inputs: Vec<ProofWire> = wires(witnesses)
        .into_iter()
        .map(|w| {
            let p = keys().prove(&WitnessWire::Basic(w)).expect("a valid sig instance proves");
            keys().verify(&p).expect("and verifies");
            p
        })
        .collect();
    let leaf = keys().prove(&WitnessWire::Leaf { circuit_type: SIG.name().into(), inputs }).expect("leaf proves");
    keys().verify(&leaf).expect("leaf verifies");
    leaf
}

/// The scheduler over a tip of this block's `main` and the given `sig` top proof.
fn schedule_with_sig(sig_top: ProofWire) -> Result<ProofWire, frispool_circuits::ApiError> {
    let (block, proofs, _) = proven();
    let registry = keys().registry();
    let plan = basic_witnesses(registry, block).unwrap().1.plan(registry).unwrap();
    let tip_group = plan.groups().find(|g| g.output == ProofId::Tip).unwrap();
    let main_top = proofs[&tip_group.inputs[0]].clone();
    let tip = keys()
        .prove(&WitnessWire::Tip { inputs: vec![main_top, sig_top] })
        .expect("the tip takes a valid chain of each type for one block number");
    keys().verify(&tip).expect("tip verifies");
    keys().prove(&WitnessWire::Scheduler { input: tip })
}

/// This block's signed items, natively: what `SigType` cuts into instances.
fn items(block: &BlockWitness) -> Vec<SigItem> {
    let executed = execute_block(block).unwrap();
    executed
        .txs
        .iter()
        .filter_map(|t| {
            Some(SigItem { public_key: t.key, message: t.tx.signed_message()?, signature: t.tx.signature? })
        })
        .collect()
}

#[test]
fn a_signed_block_is_proven_with_main_and_sig_through_every_round() {
    let names: Vec<String> = keys().manifest().circuits.into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["main", "sig", "leaf-main", "leaf-sig", "node", "tip", "scheduler", "final"]);
    let (block, proofs, final_proof) = proven();
    let signed = items(block).len();
    assert!(
        signed > K && !signed.is_multiple_of(K),
        "the block should fill one instance and part of another: {signed}"
    );
    assert!(block.transactions.iter().any(|t| t.signature.is_none()), "and deposits");
    let sig_instances =
        proofs.keys().filter(|id| matches!(id, ProofId::Basic { circuit_type, .. } if *circuit_type == SIG));
    assert_eq!(sig_instances.count(), signed.div_ceil(K), "K signatures per sig instance, the last one padded");
    keys().final_verifier().verify(final_proof, &block.header).expect("the final proof is accepted");

    // The tip's two slots end at the same signed-pairs hash, the one native execution computes.
    let tip_pis = &proofs[&ProofId::Tip].public_inputs;
    let out = |slot: usize, i: usize| tip_pis[tip::slot(slot) + tip::SLOT_STATE_OUT + i];
    let native = execute_block(block).unwrap().txs.last().unwrap().after.sig_hash;
    let sig_end: [u64; DIGEST_LEN] = std::array::from_fn(|i| out(1, i));
    assert_eq!(sig_end, native.elements.map(|e| e.to_canonical_u64()));
    assert_eq!(sig_end, std::array::from_fn::<u64, DIGEST_LEN, _>(|i| out(0, main_state::SIG_HASH + i)));
}

#[test]
fn the_scheduler_refuses_sig_proofs_of_another_block() {
    let (block, _, _) = proven();
    // Another block with the same number: other transactions, other signatures, each valid.
    let other = block_of(43);
    assert_eq!(other.header.number, block.header.number);
    let theirs = SigType::new(K).chunk(other.header.number, &items(&other));
    let refused = schedule_with_sig(sig_leaf(&theirs));
    assert!(refused.is_err(), "the scheduler accepted the signatures of another block");
}

#[test]
fn the_scheduler_refuses_a_sig_chain_that_skips_a_transaction() {
    let (block, _, _) = proven();
    let mut items = items(block);
    // Every signature but the second: valid proofs of real signatures, a chain that skips one transaction.
    items.remove(1);
    let skipping = SigType::new(K).chunk(block.header.number, &items);
    let refused = schedule_with_sig(sig_leaf(&skipping));
    assert!(refused.is_err(), "the scheduler accepted a sig chain that skips a signed transaction");
}
