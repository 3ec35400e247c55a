//! Leaf → node → tip → scheduler over small real basic circuits, and every rule's negative test.
//!
//! Circuits are built once per test binary. `FRISPOOL_LARGE_TESTS=1` adds a 64-instance block.
//!
//! Over 600 lines on purpose: one binary whose test names `scripts/mutation-check.py` runs with `--exact`
//! (modules would rename them), with every rule's negative test beside its siblings and the fixture they share.

mod support;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use frispool_aggregation::{
    plan_block, plan_type, AggError, AggregationKeys, BasicKey, Child, LeafCircuit, ProofId, Shape, TipCircuit,
    TipSlot, LEAF_ARITY,
};
use frispool_core::layout::{agg, main_state, scheduler as sched, tip, STATE_LEN};
use frispool_core::{block_commitment, ChainBinding, CircuitType, Proof, C, D, F};
use plonky2::field::types::Field;
use plonky2::plonk::circuit_data::VerifierOnlyCircuitData;
use support::*;

const BLOCK: u64 = 7;
/// A second type for the tip's and scheduler's multi-type tests (the id the signatures work will use).
const SIG: CircuitType = CircuitType::new(2, "sig");
/// Enough instances for a node tree of depth 2 (LEAF_ARITY * NODE_ARITY + 1).
const DEEP: u64 = 13;

struct Fixture {
    main: ChainCircuit,
    /// Same shape as `main`, another key: "a proof of another circuit".
    rogue: ChainCircuit,
    keys: AggregationKeys,
    /// Basic proofs of instances 0..DEEP of BLOCK.
    basic: Vec<Proof>,
}

fn fx() -> &'static Fixture {
    static FX: OnceLock<Fixture> = OnceLock::new();
    FX.get_or_init(|| {
        let main = ChainCircuit::build(CircuitType::MAIN, 0, &Shape::default());
        let rogue = ChainCircuit::build(CircuitType::MAIN, 1, &Shape::of(&main.data.common));
        let t = Instant::now();
        let keys = AggregationKeys::build(&[BasicKey {
            circuit_type: CircuitType::MAIN,
            binding: &ChainBinding::main(),
            common: &main.data.common,
            verifier: &main.data.verifier_only,
        }])
        .unwrap();
        eprintln!("aggregation keys built in {:.1?}", t.elapsed());
        let t = Instant::now();
        let basic = main.prove_run(BLOCK, 0, DEEP, genesis_state());
        eprintln!("{DEEP} basic proofs in {:.1?}", t.elapsed());
        Fixture { main, rogue, keys, basic }
    })
}

fn main_leaf() -> &'static LeafCircuit {
    fx().keys.leaf(CircuitType::MAIN).unwrap()
}

fn leaf_vo() -> &'static VerifierOnlyCircuitData<C, D> {
    &main_leaf().data.verifier_only
}

fn node_vo() -> &'static VerifierOnlyCircuitData<C, D> {
    &fx().keys.node.data.verifier_only
}

/// State before `instance` of the honest chain.
fn state_before(instance: u64) -> [F; STATE_LEN] {
    let mut s = genesis_state();
    for i in 0..instance {
        s = fx().main.step(i, s);
    }
    s
}

/// Honest leaf over `count` instances from `first`, memoised across tests.
fn leaf(first: u64, count: usize) -> Proof {
    static MEMO: OnceLock<Mutex<HashMap<(u64, usize), Proof>>> = OnceLock::new();
    let memo = MEMO.get_or_init(Default::default);
    if let Some(p) = memo.lock().unwrap().get(&(first, count)) {
        return p.clone();
    }
    let f = fx();
    let t = Instant::now();
    let p = f.keys.prove_leaf(CircuitType::MAIN, &f.basic[first as usize..first as usize + count]).unwrap();
    eprintln!("leaf [{first}, +{count}) proved in {:.1?}", t.elapsed());
    memo.lock().unwrap().insert((first, count), p.clone());
    p
}

/// A leaf circuit over the rogue basic circuit, padded to the aggregation shape: same common data as the
/// real leaf, another key.
fn rogue_leaf() -> &'static LeafCircuit {
    static L: OnceLock<LeafCircuit> = OnceLock::new();
    L.get_or_init(|| {
        let f = fx();
        let l = LeafCircuit::build(
            CircuitType::MAIN,
            &f.rogue.data.common,
            &f.rogue.data.verifier_only,
            &Shape::of(&f.keys.common),
        )
        .unwrap();
        assert_eq!(l.data.common, f.keys.common);
        assert_ne!(l.digest(), main_leaf().digest());
        l
    })
}

/// A rogue leaf proof over rogue instance 0 of BLOCK from genesis: chains like an honest first leaf.
fn rogue_leaf_proof() -> &'static Proof {
    static P: OnceLock<Proof> = OnceLock::new();
    P.get_or_init(|| {
        let r = fx().rogue.prove(BLOCK, 0, genesis_state());
        rogue_leaf().prove(&[r]).unwrap()
    })
}

/// Prove `n` instances through every round following the plan, check the scheduler proof with the one
/// scheduler key and its commitment against the native one; returns the scheduler proof.
fn through_every_round(n: u64) -> Proof {
    let f = fx();
    let keys = &f.keys;
    let basic: Vec<Proof> = if n <= DEEP {
        f.basic[..n as usize].to_vec()
    } else {
        let mut v = f.basic.clone();
        v.extend(f.main.prove_run(BLOCK, DEEP, n - DEEP, state_before(DEEP)));
        v
    };
    let plan = plan_block(&[(CircuitType::MAIN, n)]).unwrap();
    let mut proofs: HashMap<ProofId, Proof> = HashMap::new();
    let tp = &plan.types[0];
    for g in &tp.leaves {
        let ProofId::Basic { instance: first, .. } = g.inputs[0] else { panic!() };
        let p = if n <= DEEP {
            leaf(first, g.expected_inputs())
        } else {
            keys.prove_leaf(CircuitType::MAIN, &basic[first as usize..first as usize + g.expected_inputs()]).unwrap()
        };
        proofs.insert(g.output, p);
    }
    for level in &tp.nodes {
        for g in level {
            let children: Vec<Proof> = g.inputs.iter().map(|i| proofs[i].clone()).collect();
            let t = Instant::now();
            let p = keys.prove_node(CircuitType::MAIN, &children).unwrap();
            eprintln!("n={n}: node {:?} over {} children in {:.1?}", g.output, children.len(), t.elapsed());
            keys.node.data.verify(p.clone()).unwrap();
            proofs.insert(g.output, p);
        }
    }
    let top = &proofs[&tp.top];
    let t = Instant::now();
    let tip_proof = keys.prove_tip(&[top]).unwrap();
    eprintln!("n={n}: tip in {:.1?}", t.elapsed());
    let t = Instant::now();
    let s = keys.prove_scheduler(&tip_proof).unwrap();
    eprintln!("n={n}: scheduler in {:.1?}", t.elapsed());

    // The one scheduler key accepts it, and its public inputs are the native commitment.
    keys.scheduler.data.verify(s.clone()).unwrap();
    let end = {
        let mut st = genesis_state();
        for i in 0..n {
            st = f.main.step(i, st);
        }
        st
    };
    let start = genesis_state();
    let expected = block_commitment(
        BLOCK,
        digest(&start[main_state::ROOT..]),
        digest(&end[main_state::ROOT..]),
        digest(&end[main_state::TX_HASH..]),
        digest(&end[main_state::WITHDRAWALS_HASH..]),
    );
    assert_eq!(s.public_inputs.len(), sched::LEN);
    assert_eq!(s.public_inputs[sched::BLOCK], F::from_canonical_u64(BLOCK));
    assert_eq!(digest(&s.public_inputs[sched::COMMITMENT..]), expected);
    assert_eq!(tip_proof.public_inputs[tip::slot(0) + tip::SLOT_LAST], F::from_canonical_u64(n - 1));
    s
}

#[test]
fn one_instance_goes_through_every_round() {
    through_every_round(1);
}

#[test]
fn a_full_leaf_goes_through_every_round() {
    through_every_round(LEAF_ARITY as u64);
}

#[test]
fn one_more_than_a_leaf_goes_through_every_round() {
    through_every_round(LEAF_ARITY as u64 + 1);
}

#[test]
fn a_node_tree_of_depth_two_goes_through_every_round() {
    let plan = plan_type(CircuitType::MAIN, DEEP).unwrap();
    assert_eq!(plan.nodes.len(), 2);
    through_every_round(DEEP);
}

#[test]
fn a_large_block_goes_through_every_round() {
    if std::env::var("FRISPOOL_LARGE_TESTS").as_deref() != Ok("1") {
        eprintln!("skipped: set FRISPOOL_LARGE_TESTS=1");
        return;
    }
    through_every_round(64);
}

#[test]
fn leaf_and_node_share_one_shape_and_scheduler_key_is_constant() {
    let keys = &fx().keys;
    assert_eq!(main_leaf().data.common, keys.common);
    assert_eq!(keys.node.data.common, keys.common);
    assert_eq!(keys.common.num_public_inputs, agg::LEN);
    assert_eq!(keys.tip.data.common.num_public_inputs, tip::len(1));
    // Nothing of the scheduler depends on a block's size: it is built from the keys alone.
    assert_eq!(keys.scheduler.data.common.num_public_inputs, sched::LEN);
    eprintln!(
        "degree bits: basic {} leaf {} node {} tip {} scheduler {}",
        fx().main.data.common.degree_bits(),
        main_leaf().data.common.degree_bits(),
        keys.node.data.common.degree_bits(),
        keys.tip.data.common.degree_bits(),
        keys.scheduler.data.common.degree_bits()
    );
}

#[test]
fn builds_are_deterministic() {
    let f = fx();
    let again = LeafCircuit::build(
        CircuitType::MAIN,
        &f.main.data.common,
        &f.main.data.verifier_only,
        &Shape::of(&f.keys.common),
    )
    .unwrap();
    assert_eq!(again.data.verifier_only, main_leaf().data.verifier_only);
    let node = frispool_aggregation::NodeCircuit::build(&f.keys.common).unwrap();
    assert_eq!(node.data.verifier_only, *node_vo());
}

// ---- leaf level ----

fn leaf_must_fail(what: &str, proofs: Vec<Proof>) {
    must_fail(what, || main_leaf().prove_unchecked(&proofs), |p| main_leaf().data.verify(p));
}

#[test]
fn leaf_rejects_a_missing_chunk() {
    let b = &fx().basic;
    leaf_must_fail("leaf gap", vec![b[0].clone(), b[2].clone()]);
    // The checked prover names it before proving.
    let err = fx().keys.prove_leaf(CircuitType::MAIN, &[b[0].clone(), b[2].clone()]).unwrap_err();
    assert!(matches!(err, AggError::Chain { .. }), "{err}");
}

#[test]
fn leaf_rejects_reordered_chunks() {
    let b = &fx().basic;
    leaf_must_fail("leaf reorder", vec![b[1].clone(), b[0].clone()]);
}

#[test]
fn leaf_rejects_a_broken_state_chain() {
    let f = fx();
    let mut wrong = state_before(1);
    wrong[main_state::ROOT] += F::ONE;
    let b1 = f.main.prove(BLOCK, 1, wrong);
    leaf_must_fail("leaf state chain", vec![f.basic[0].clone(), b1]);
}

#[test]
fn leaf_rejects_mismatched_blocks() {
    let f = fx();
    let b1 = f.main.prove(BLOCK + 1, 1, state_before(1));
    leaf_must_fail("leaf blocks", vec![f.basic[0].clone(), b1]);
}

#[test]
fn leaf_rejects_a_proof_of_another_circuit() {
    let f = fx();
    assert_eq!(f.rogue.data.common, f.main.data.common);
    let r = f.rogue.prove(BLOCK, 0, genesis_state());
    leaf_must_fail("leaf other circuit", vec![r]);
}

// ---- node level ----

fn child(
    proof: &Proof,
    verifier: &'static VerifierOnlyCircuitData<C, D>,
) -> (Proof, &'static VerifierOnlyCircuitData<C, D>) {
    (proof.clone(), verifier)
}

fn node_must_fail(what: &str, children: Vec<(Proof, &'static VerifierOnlyCircuitData<C, D>)>) {
    let keys = &fx().keys;
    let cs: Vec<Child> = children.iter().map(|(p, v)| Child { proof: p, verifier: v }).collect();
    must_fail(
        what,
        || keys.node.prove_unchecked(main_leaf().digest(), keys.node.digest(), &cs),
        |p| keys.node.data.verify(p),
    );
}

#[test]
fn node_rejects_a_missing_chunk() {
    let l = LEAF_ARITY as u64;
    node_must_fail(
        "node gap",
        vec![child(&leaf(0, LEAF_ARITY), leaf_vo()), child(&leaf(2 * l, LEAF_ARITY), leaf_vo())],
    );
}

#[test]
fn node_rejects_reordered_chunks() {
    let l = LEAF_ARITY as u64;
    node_must_fail(
        "node reorder",
        vec![child(&leaf(l, LEAF_ARITY), leaf_vo()), child(&leaf(0, LEAF_ARITY), leaf_vo())],
    );
}

#[test]
fn node_rejects_a_broken_state_chain() {
    let f = fx();
    let l = LEAF_ARITY as u64;
    let mut wrong = state_before(l);
    wrong[main_state::TX_HASH] += F::ONE;
    let bad = f.keys.prove_leaf(CircuitType::MAIN, &[f.main.prove(BLOCK, l, wrong)]).unwrap();
    node_must_fail("node state chain", vec![child(&leaf(0, LEAF_ARITY), leaf_vo()), child(&bad, leaf_vo())]);
}

#[test]
fn node_rejects_mismatched_blocks() {
    let f = fx();
    let l = LEAF_ARITY as u64;
    let other = f.keys.prove_leaf(CircuitType::MAIN, &[f.main.prove(BLOCK + 1, l, state_before(l))]).unwrap();
    node_must_fail("node blocks", vec![child(&leaf(0, LEAF_ARITY), leaf_vo()), child(&other, leaf_vo())]);
}

#[test]
fn node_rejects_a_child_of_another_circuit() {
    let f = fx();
    let l = LEAF_ARITY as u64;
    // A leaf of the same shape over another basic circuit, chaining correctly after the first leaf.
    let r = f.rogue.prove(BLOCK, l, state_before(l));
    let rogue = rogue_leaf().prove(&[r]).unwrap();
    node_must_fail(
        "node other circuit",
        vec![child(&leaf(0, LEAF_ARITY), leaf_vo()), child(&rogue, &rogue_leaf().data.verifier_only)],
    );
}

#[test]
fn node_rejects_an_accepted_digest_paired_with_a_foreign_cap() {
    // The attack the cap binding stops: prove a rogue circuit with the real leaf's digest in its
    // transcript. plonky2's verifier accepts that proof under (rogue cap, real leaf digest), since it never
    // relates the two; the node recomputes the digest from the cap and refuses it.
    let f = fx();
    let mut forged = LeafCircuit::build(
        CircuitType::MAIN,
        &f.rogue.data.common,
        &f.rogue.data.verifier_only,
        &Shape::of(&f.keys.common),
    )
    .unwrap();
    forged.data.prover_only.circuit_digest = main_leaf().digest();
    forged.data.verifier_only.circuit_digest = main_leaf().digest();
    let r = f.rogue.prove(BLOCK, 0, genesis_state());
    let proof = forged.prove(&[r]).unwrap();
    forged.data.verify(proof.clone()).expect("plonky2 alone accepts the pair");
    static VO: OnceLock<VerifierOnlyCircuitData<C, D>> = OnceLock::new();
    let vo = VO.get_or_init(|| forged.data.verifier_only.clone());
    node_must_fail("node foreign cap", vec![child(&proof, vo)]);
}

/// A node that claims the rogue leaf as "the leaf": it proves, but commits to the wrong keys.
fn forged_node() -> &'static Proof {
    static P: OnceLock<Proof> = OnceLock::new();
    P.get_or_init(|| {
        let keys = &fx().keys;
        let cs = [Child { proof: rogue_leaf_proof(), verifier: &rogue_leaf().data.verifier_only }];
        let p = keys.node.prove_unchecked(rogue_leaf().digest(), keys.node.digest(), &cs).unwrap();
        keys.node.data.verify(p.clone()).unwrap();
        assert_ne!(digest(&p.public_inputs[agg::VK_COMMIT..]), keys.vk_commit(CircuitType::MAIN).unwrap());
        p
    })
}

#[test]
fn a_node_with_a_forged_vk_commit_is_refused_by_the_tip() {
    let keys = &fx().keys;
    let forged = forged_node();
    for as_node in [true, false] {
        must_fail(
            &format!("tip forged vk_commit (as node: {as_node})"),
            || keys.tip.prove_with_flags(&[(forged, as_node)]),
            |p| keys.tip.data.verify(p),
        );
    }
}

#[test]
fn a_node_with_a_forged_vk_commit_is_refused_as_a_child() {
    node_must_fail("node child with forged vk_commit", vec![child(forged_node(), node_vo())]);
}

// ---- tip and scheduler ----

#[test]
fn tip_rejects_a_first_instance_other_than_zero() {
    let keys = &fx().keys;
    let l1 = leaf(LEAF_ARITY as u64, LEAF_ARITY);
    must_fail("tip first != 0", || keys.tip.prove_with_flags(&[(&l1, false)]), |p| keys.tip.data.verify(p));
}

#[test]
fn tip_rejects_a_proof_of_another_circuit() {
    let keys = &fx().keys;
    for as_node in [true, false] {
        must_fail(
            &format!("tip other circuit (as node: {as_node})"),
            || keys.tip.prove_with_flags(&[(rogue_leaf_proof(), as_node)]),
            |p| keys.tip.data.verify(p),
        );
    }
}

#[test]
fn scheduler_rejects_nonzero_initial_running_hashes() {
    let f = fx();
    for at in [main_state::TX_HASH, main_state::WITHDRAWALS_HASH] {
        let mut start = genesis_state();
        start[at] = F::ONE;
        let b0 = f.main.prove(BLOCK, 0, start);
        let l = f.keys.prove_leaf(CircuitType::MAIN, &[b0]).unwrap();
        let t = f.keys.prove_tip(&[&l]).unwrap();
        must_fail(
            &format!("scheduler initial hash at {at}"),
            || f.keys.prove_scheduler(&t),
            |p| f.keys.scheduler.data.verify(p),
        );
    }
}

#[test]
fn the_tip_takes_one_more_type_as_one_more_leaf_key() {
    let f = fx();
    let keys = &f.keys;
    let shape = Shape::of(&keys.common);
    let sig = ChainCircuit::build(SIG, 2, &Shape::of(&f.main.data.common));
    let sig_leaf = LeafCircuit::build(SIG, &sig.data.common, &sig.data.verifier_only, &shape).unwrap();
    assert_eq!(sig_leaf.data.common, keys.common);
    let slots = [
        TipSlot { circuit_type: CircuitType::MAIN, leaf: leaf_vo() },
        TipSlot { circuit_type: SIG, leaf: &sig_leaf.data.verifier_only },
    ];
    let tip2 = TipCircuit::build(&slots, node_vo(), &keys.common).unwrap();
    let main_top = leaf(0, 1);
    let sig_top = sig_leaf.prove(&[sig.prove(BLOCK, 0, [F::ZERO; STATE_LEN])]).unwrap();
    let p = tip2.prove(&[&main_top, &sig_top]).unwrap();
    tip2.data.verify(p.clone()).unwrap();
    assert_eq!(p.public_inputs.len(), tip::len(2));
    assert_eq!(
        &p.public_inputs[tip::slot(1) + tip::SLOT_STATE_IN..tip::slot(1) + tip::SLOT_STATE_IN + STATE_LEN],
        &[F::ZERO; STATE_LEN]
    );

    must_fail("tip types swapped", || tip2.prove(&[&sig_top, &main_top]), |p| tip2.data.verify(p));
    let sig_other_block = sig_leaf.prove(&[sig.prove(BLOCK + 1, 0, [F::ZERO; STATE_LEN])]).unwrap();
    must_fail("tip blocks differ", || tip2.prove(&[&main_top, &sig_other_block]), |p| tip2.data.verify(p));

    // The scheduler refuses a type whose binding ties it to nothing of main's, before building anything.
    let main_binding = ChainBinding::main();
    let unbound = ChainBinding { fresh: 0..STATE_LEN, agrees_with_main: Vec::new() };
    let err = AggregationKeys::build(&[
        BasicKey {
            circuit_type: CircuitType::MAIN,
            binding: &main_binding,
            common: &f.main.data.common,
            verifier: &f.main.data.verifier_only,
        },
        BasicKey { circuit_type: SIG, binding: &unbound, common: &sig.data.common, verifier: &sig.data.verifier_only },
    ])
    .err()
    .expect("no scheduler that ignores sig");
    assert!(matches!(err, AggError::CrossTypeCheckMissing(t) if t == SIG), "{err}");
}

// ---- negative tests that isolate one constraint each (CIRCUITS.md, mutation-checked) ----

#[test]
fn leaf_rejects_a_skipped_instance_with_the_state_chain_intact() {
    // Instance 0, then a proof numbered 2 that starts exactly where instance 0 ended: the state chain
    // holds, the blocks and types agree, only "instances consecutive" refuses it.
    let f = fx();
    let skipping = f.main.prove(BLOCK, 2, state_before(1));
    leaf_must_fail("leaf skips instance 1", vec![f.basic[0].clone(), skipping]);
}

#[test]
fn node_rejects_a_skipped_instance_with_the_state_chain_intact() {
    let f = fx();
    let l = LEAF_ARITY as u64;
    // The second leaf starts at instance l + 1 from the state the first leaf ended with.
    let skipping = f.keys.prove_leaf(CircuitType::MAIN, &[f.main.prove(BLOCK, l + 1, state_before(l))]).unwrap();
    node_must_fail("node skips an instance", vec![child(&leaf(0, LEAF_ARITY), leaf_vo()), child(&skipping, leaf_vo())]);
}

#[test]
fn leaf_rejects_real_proofs_that_are_not_a_prefix() {
    // Slots: instance 0 (on), instance 5 (off), instance 6 from 5's end state (on), a copy (off). Slot 2
    // chains correctly to slot 1, which nothing checks because it is off: without "real proofs are a prefix"
    // the leaf would claim instances 0..=6 while skipping 1..=4 and the state between them.
    let f = fx();
    let b = &f.basic;
    let i6 = &b[6];
    must_fail(
        "leaf enabled flags not a prefix",
        || main_leaf().prove_slots(&[(&b[0], true), (&b[5], false), (i6, true), (i6, false)]),
        |p| main_leaf().data.verify(p),
    );
    // The honest flags over the same slots prove (so the refusal above is the flags' rule).
    main_leaf().prove_slots(&[(&b[0], true), (&b[0], false), (&b[0], false), (&b[0], false)]).unwrap();
}

#[test]
fn tip_checks_the_type_of_a_slot_whose_key_is_valid() {
    // A tip whose `main` slot is keyed with a leaf that aggregates `sig` proofs: the key check, the vk
    // commitment (a leaf), first = 0 and the block all pass for a `sig` leaf proof, so only the slot's type
    // check is left to refuse it. (In the protocol's own tip the leaf key already fixes the type; this
    // shows the type check stands on its own.)
    let f = fx();
    let keys = &f.keys;
    let sig = ChainCircuit::build(SIG, 2, &Shape::of(&f.main.data.common));
    let sig_leaf =
        LeafCircuit::build(SIG, &sig.data.common, &sig.data.verifier_only, &Shape::of(&keys.common)).unwrap();
    let miskeyed = TipCircuit::build(
        &[TipSlot { circuit_type: CircuitType::MAIN, leaf: &sig_leaf.data.verifier_only }],
        node_vo(),
        &keys.common,
    )
    .unwrap();
    let sig_top = sig_leaf.prove(&[sig.prove(BLOCK, 0, genesis_state())]).unwrap();
    must_fail(
        "tip slot of type main holds a sig proof under its own key",
        || miskeyed.prove_with_flags(&[(&sig_top, false)]),
        |p| miskeyed.data.verify(p),
    );
}

#[test]
fn scheduler_rejects_a_tip_of_another_circuit() {
    // A tip built over the rogue leaf key: the same shape (one slot, same common data) as the protocol's
    // tip, another verifier key. Its proof of a rogue block is valid under its own key; the scheduler's
    // constant tip key refuses it.
    let f = fx();
    let keys = &f.keys;
    let rogue_tip = TipCircuit::build(
        &[TipSlot { circuit_type: CircuitType::MAIN, leaf: &rogue_leaf().data.verifier_only }],
        node_vo(),
        &keys.common,
    )
    .unwrap();
    assert_eq!(rogue_tip.data.common, keys.tip.data.common, "same shape");
    assert_ne!(rogue_tip.data.verifier_only.circuit_digest, keys.tip.data.verifier_only.circuit_digest);
    let p = rogue_tip.prove(&[rogue_leaf_proof()]).unwrap();
    rogue_tip.data.verify(p.clone()).unwrap();
    must_fail("scheduler over a rogue tip", || keys.prove_scheduler(&p), |p| keys.scheduler.data.verify(p));
}
