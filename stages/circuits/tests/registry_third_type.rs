//! A third basic circuit type, defined only in this test, registered after `main` and `sig` (the protocol's
//! own two) and proven with them through every round — basic, leaf, node, tip, scheduler, compression — by
//! the same API the stages call, with no change to any stage: the registry is the one place a type is added.
//!
//! The type, `amounts`, proves a running sum of the block's transaction amounts, four transactions an
//! instance. So that its proofs are about *this* block, it also chains the transactions hash `main` chains
//! (`h' = Poseidon(h ‖ tx encoding)`, padding skipped), and its binding makes the scheduler require the two
//! hashes equal at the end of the block — the pattern `sig` follows with its hash of (key, message) pairs.

mod support;

use std::time::Instant;

use frispool_aggregation::ProofId;
use frispool_circuits::{
    basic_witnesses, BasicType, CircuitError, ProofWire, ProtocolKeys, Registry, RegistryError, WitnessWire,
};
use frispool_core::layout::{main_state, tip, DIGEST_LEN, STATE_LEN};
use frispool_core::{ChainBinding, CircuitType, D, F};
use frispool_rollup::{BlockGenerator, BlockWitness, ExecutedBlock, State, Tx, PUBKEY_LEN};
use plonky2::field::types::{Field, PrimeField64};
use plonky2::gates::noop::NoopGate;
use plonky2::hash::hash_types::HashOutTarget;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::target::{BoolTarget, Target};
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::config::Hasher;
use serde::{Deserialize, Serialize};

const AMOUNTS: CircuitType = CircuitType::new(3, "amounts");
const TXS_PER_INSTANCE: usize = 4;
/// `kind ‖ from ‖ to ‖ amount ‖ nonce ‖ key`, as `Tx::encoding`.
const ENCODING_LEN: usize = 5 + PUBKEY_LEN;
const AMOUNT_AT: usize = 3;
/// The chain: transactions hash (0..4, as `main`'s) ‖ sum of amounts (4) ‖ zeros.
const SUM: usize = DIGEST_LEN;
/// Rows of the circuit: its constraints take a few dozen; 2^12 is the basic shape the aggregation tests
/// recurse over, so the leaf sees a proof of a familiar size.
const DEGREE_BITS: usize = 12;

#[derive(Serialize, Deserialize)]
struct AmountsWitness {
    block: u64,
    instance: u64,
    /// The chained state before this instance, canonical.
    state_in: [u64; STATE_LEN],
    /// The instance's transactions (padding excluded), each as `Tx::encoding`.
    txs: Vec<[u64; ENCODING_LEN]>,
}

struct AmountsTargets {
    block: Target,
    instance: Target,
    state_in: [Target; STATE_LEN],
    slots: Vec<([Target; ENCODING_LEN], BoolTarget)>,
}

struct Amounts;

/// One step of the chain, natively: what the circuit computes for a real transaction.
fn step(state: &mut [F; STATE_LEN], encoding: &[F; ENCODING_LEN]) {
    let input = [&state[..DIGEST_LEN], &encoding[..]].concat();
    state[..DIGEST_LEN].copy_from_slice(&PoseidonHash::hash_no_pad(&input).elements);
    state[SUM] += encoding[AMOUNT_AT];
}

fn canonical<const N: usize>(v: &[F; N]) -> [u64; N] {
    std::array::from_fn(|i| v[i].to_canonical_u64())
}

impl BasicType for Amounts {
    type Witness = AmountsWitness;
    type Targets = AmountsTargets;

    fn circuit_type(&self) -> CircuitType {
        AMOUNTS
    }

    fn capacity(&self) -> usize {
        TXS_PER_INSTANCE
    }

    fn binding(&self) -> ChainBinding {
        ChainBinding {
            fresh: 0..STATE_LEN,
            agrees_with_main: (0..DIGEST_LEN).map(|i| (i, main_state::TX_HASH + i)).collect(),
        }
    }

    fn instances(&self, block: &ExecutedBlock) -> Vec<AmountsWitness> {
        // Padding is not hashed by `main` either.
        let real: Vec<[F; ENCODING_LEN]> =
            block.txs.iter().filter(|t| !matches!(t.tx.tx, Tx::Noop)).map(|t| t.tx.tx.encoding(&t.key)).collect();
        let chunks: Vec<&[[F; ENCODING_LEN]]> =
            if real.is_empty() { vec![&[]] } else { real.chunks(TXS_PER_INSTANCE).collect() };
        let mut state = [F::ZERO; STATE_LEN];
        let mut out = Vec::new();
        for (i, chunk) in chunks.into_iter().enumerate() {
            let state_in = canonical(&state);
            chunk.iter().for_each(|e| step(&mut state, e));
            out.push(AmountsWitness {
                block: block.header.number,
                instance: i as u64,
                state_in,
                txs: chunk.iter().map(canonical).collect(),
            });
        }
        out
    }

    fn construct(&self, b: &mut CircuitBuilder<F, D>) -> AmountsTargets {
        let ty = b.constant(F::from_canonical_u64(AMOUNTS.id()));
        b.register_public_input(ty);
        let block = b.add_virtual_public_input();
        let instance = b.add_virtual_public_input();
        let state_in: [Target; STATE_LEN] = std::array::from_fn(|_| b.add_virtual_public_input());
        let mut hash = HashOutTarget::from_vec(state_in[..DIGEST_LEN].to_vec());
        let mut sum = state_in[SUM];
        let mut slots = Vec::with_capacity(TXS_PER_INSTANCE);
        for _ in 0..TXS_PER_INSTANCE {
            let encoding: [Target; ENCODING_LEN] = std::array::from_fn(|_| b.add_virtual_target());
            let real = b.add_virtual_bool_target_safe();
            let input = [&hash.elements[..], &encoding[..]].concat();
            let hashed = b.hash_n_to_hash_no_pad::<PoseidonHash>(input);
            let elements = std::array::from_fn(|i| b.select(real, hashed.elements[i], hash.elements[i]));
            hash = HashOutTarget { elements };
            sum = b.mul_add(real.target, encoding[AMOUNT_AT], sum);
            slots.push((encoding, real));
        }
        let mut state_out = state_in;
        state_out[..DIGEST_LEN].copy_from_slice(&hash.elements);
        state_out[SUM] = sum;
        b.register_public_inputs(&state_out);
        while b.num_gates() <= 1 << (DEGREE_BITS - 1) {
            b.add_gate(NoopGate, vec![]);
        }
        AmountsTargets { block, instance, state_in, slots }
    }

    fn fill(&self, t: &AmountsTargets, w: &AmountsWitness, pw: &mut PartialWitness<F>) -> Result<(), CircuitError> {
        if w.txs.len() > TXS_PER_INSTANCE {
            return Err(CircuitError::TooManySlots { got: w.txs.len(), capacity: TXS_PER_INSTANCE });
        }
        let mut set = |target: Target, value: u64| {
            pw.set_target(target, F::from_noncanonical_u64(value)).map_err(|e| CircuitError::Witness(e.into()))
        };
        set(t.block, w.block)?;
        set(t.instance, w.instance)?;
        for (target, value) in t.state_in.iter().zip(w.state_in) {
            set(*target, value)?;
        }
        for (i, (encoding, real)) in t.slots.iter().enumerate() {
            let tx = w.txs.get(i).copied();
            for (target, value) in encoding.iter().zip(tx.unwrap_or([0; ENCODING_LEN])) {
                set(*target, value)?;
            }
            set(real.target, u64::from(tx.is_some()))?;
        }
        Ok(())
    }
}

fn block_of(seed: u64, txs: usize) -> BlockWitness {
    let mut state = State::new();
    state.apply_block(BlockGenerator::new(seed).next_block(&state, txs)).unwrap()
}

#[test]
fn a_registry_refuses_a_second_type_of_the_same_name_or_id_and_reserved_names() {
    let again = Registry::default().with(Amounts).unwrap().with(Amounts);
    assert!(matches!(again, Err(RegistryError::DuplicateName(t)) if t == AMOUNTS));
    struct Named(CircuitType);
    impl BasicType for Named {
        type Witness = AmountsWitness;
        type Targets = AmountsTargets;
        fn circuit_type(&self) -> CircuitType {
            self.0
        }
        fn capacity(&self) -> usize {
            Amounts.capacity()
        }
        fn binding(&self) -> ChainBinding {
            Amounts.binding()
        }
        fn instances(&self, block: &ExecutedBlock) -> Vec<AmountsWitness> {
            Amounts.instances(block)
        }
        fn construct(&self, b: &mut CircuitBuilder<F, D>) -> AmountsTargets {
            Amounts.construct(b)
        }
        fn fill(&self, t: &AmountsTargets, w: &AmountsWitness, pw: &mut PartialWitness<F>) -> Result<(), CircuitError> {
            Amounts.fill(t, w, pw)
        }
    }
    let same_id = Registry::default().with(Named(CircuitType::new(CircuitType::MAIN.id(), "other")));
    assert!(matches!(same_id, Err(RegistryError::DuplicateId { .. })));
    for bad in ["node", "leaf-x", "a.b", "", "Upper"] {
        let r = Registry::default().with(Named(CircuitType::new(9, bad)));
        assert!(matches!(r, Err(RegistryError::BadName(n)) if n == bad), "{bad:?} accepted");
    }
}

#[test]
fn a_third_type_registered_in_a_test_is_proven_through_every_round() {
    // After the protocol's own two types: the third tip slot.
    let registry = Registry::default().with(Amounts).unwrap();
    let started = Instant::now();
    let keys = ProtocolKeys::build(&registry).expect("keys of [main, sig, amounts]");
    eprintln!("keygen of [main, sig, amounts]: {:.1?}", started.elapsed());
    let names: Vec<String> = keys.manifest().circuits.into_iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        ["main", "sig", "amounts", "leaf-main", "leaf-sig", "leaf-amounts", "node", "tip", "scheduler", "final"],
        "one basic circuit and one leaf per registered type, in the registry's order"
    );
    const AMOUNTS_SLOT: usize = 2;

    // 18 transactions: one `main` instance; five `amounts` instances, so two leaves under a node.
    let block = block_of(42, 18);
    let started = Instant::now();
    let (proofs, final_proof) = support::prove_block(&keys, &block);
    eprintln!("block of 18 transactions through every round: {:.1?}", started.elapsed());
    assert!(proofs.keys().any(|id| matches!(id, ProofId::Node { circuit_type, .. } if *circuit_type == AMOUNTS)));
    keys.final_verifier().verify(&final_proof, &block.header).expect("the final proof is accepted");

    // The tip's `amounts` slot carries the block's sum of amounts and `main`'s transactions hash.
    let tip_pis = &proofs[&ProofId::Tip].public_inputs;
    let out = |slot: usize, i: usize| tip_pis[tip::slot(slot) + tip::SLOT_STATE_OUT + i];
    let sum: u64 = block.transactions.iter().map(|t| t.tx.fields().amount).sum();
    assert_eq!(out(AMOUNTS_SLOT, SUM), sum);
    assert_eq!(
        block.header.tx_hash.elements.map(|e| e.to_canonical_u64()),
        std::array::from_fn(|i| out(AMOUNTS_SLOT, i))
    );
    assert_eq!(
        std::array::from_fn(|i| out(0, main_state::TX_HASH + i)),
        std::array::from_fn::<u64, 4, _>(|i| out(AMOUNTS_SLOT, i))
    );

    // The scheduler binds the types: a tip over `main`'s proofs of this block and `amounts` proofs of another
    // block with the same number (other transactions, a valid chain of its own) proves, the scheduler does
    // not — the two transactions hashes differ.
    let other = block_of(43, 3);
    assert_eq!(other.header.number, block.header.number);
    let (witnesses, _) = basic_witnesses(&registry, &other).unwrap();
    let theirs: Vec<ProofWire> = witnesses
        .into_iter()
        .filter(|w| w.circuit_type == AMOUNTS.name())
        .map(|w| keys.prove(&WitnessWire::Basic(w)).unwrap())
        .collect();
    let their_leaf = keys.prove(&WitnessWire::Leaf { circuit_type: AMOUNTS.name().into(), inputs: theirs }).unwrap();
    let plan = basic_witnesses(&registry, &block).unwrap().1.plan(&registry).unwrap();
    let tip_group = plan.groups().find(|g| g.output == ProofId::Tip).unwrap();
    let main_top = proofs[&tip_group.inputs[0]].clone();
    let sig_top = proofs[&tip_group.inputs[1]].clone();
    let mixed_tip = keys
        .prove(&WitnessWire::Tip { inputs: vec![main_top, sig_top, their_leaf] })
        .expect("each slot is a valid chain of its type for block 1");
    let refused = keys.prove(&WitnessWire::Scheduler { input: mixed_tip });
    assert!(refused.is_err(), "the scheduler accepted an amounts chain over other transactions than main's");
}
