//! The `main` circuit: valid chunks prove with the expected public inputs; chunks that break a rule do not.
//!
//! Negative chunks are *forged*: [`Forge`] applies transactions to a tree with bare field arithmetic and no
//! rule at all — what a cheating prover would do — so the circuit is the only thing that can reject them.
//! `forged_valid_chunk_equals_native_and_proves` shows the forge is faithful on valid input.

use std::panic::AssertUnwindSafe;
use std::sync::OnceLock;

use frispool_circuits::{
    expected_public_inputs, main_chunks, LeafWitness, MainChunkWitness, MainCircuit, SlotField, SlotWitness,
    MAIN_TXS_PER_INSTANCE,
};
use frispool_core::{layout, CircuitType, F};
use frispool_rollup::limits::MAX_BALANCE;
use frispool_rollup::TxFields;
use frispool_rollup::NO_KEY;
use frispool_rollup::*;
use plonky2::field::types::{Field, Field64, PrimeField64};
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::plonk::config::Hasher;

fn circuit() -> &'static MainCircuit {
    static CIRCUIT: OnceLock<MainCircuit> = OnceLock::new();
    CIRCUIT.get_or_init(MainCircuit::build)
}

/// The public key of label `x` (a real curve point: the native rules check signatures under it).
fn key(x: u64) -> PubKey {
    generated_key(x).public_key().encoding()
}

/// `tx` signed by its sender's key in [`base_state`] (account i holds key 11 i).
fn signed(tx: Tx) -> SignedTx {
    match tx.sender() {
        Some(from) => SignedTx::sign(tx, &generated_key(11 * u64::from(from))),
        None => tx.into(),
    }
}

/// Accounts: 1 (key 11, 100), 2 (key 22, 50), 3 (key 33, MAX_BALANCE - 5), 4 (no key, 10).
fn base_state() -> State {
    let mut s = State::new();
    let dep = |to, amount, k| SignedTx::from(Tx::Deposit { to, amount, pubkey: key(k) });
    s.apply_block(vec![dep(1, 110, 11), dep(2, 50, 22), dep(3, MAX_BALANCE - 5, 33)]).unwrap();
    s.apply_block(vec![signed(Tx::Transfer { from: 1, to: 4, amount: 10, nonce: 0 })]).unwrap();
    s
}

/// Applies transactions without any rule, in the field, exactly as the circuit computes them.
struct Forge {
    tree: StateTree,
    chain: ChainState,
    slots: Vec<SlotWitness>,
}

impl Forge {
    fn new(state: &State) -> Self {
        Self { tree: state.tree().clone(), chain: ChainState::start(state.root()), slots: Vec::new() }
    }

    fn push(&mut self, tx: Tx, key: PubKey) -> &mut Self {
        let f = tx.fields();
        let fe = F::from_noncanonical_u64;
        let mut slot = SlotWitness { tx: f, key, sender: LeafWitness::unused(), receiver: LeafWitness::unused() };
        if let Some(from) = tx.sender() {
            let old = self.tree.account(from);
            slot.sender = LeafWitness { account: old, siblings: self.tree.siblings(from) };
            let balance = (fe(old.balance) - fe(f.amount)).to_canonical_u64();
            self.tree.set(from, Account { pubkey: old.pubkey, balance, nonce: old.nonce + 1 });
        }
        if let Some(to) = tx.receiver() {
            let old = self.tree.account(to);
            slot.receiver = LeafWitness { account: old, siblings: self.tree.siblings(to) };
            let pubkey = if f.kind == TxKind::Deposit { key } else { old.pubkey };
            let balance = (fe(old.balance) + fe(f.amount)).to_canonical_u64();
            self.tree.set(to, Account { pubkey, balance, nonce: old.nonce });
        }
        self.chain.root = self.tree.root();
        if f.kind != TxKind::Noop {
            let mut input = self.chain.tx_hash.elements.to_vec();
            input.extend([f.kind.code(), f.from as u64, f.to as u64, f.amount, f.nonce].map(fe));
            input.extend(key);
            self.chain.tx_hash = PoseidonHash::hash_no_pad(&input);
        }
        if tx.sender().is_some() {
            // The signed pair: sig hash ‖ key ‖ domain ‖ kind ‖ from ‖ to ‖ amount ‖ nonce, in the field.
            let mut input = self.chain.sig_hash.elements.to_vec();
            input.extend(key);
            input.extend([SIGNED_MESSAGE_DOMAIN, f.kind.code(), f.from as u64, f.to as u64, f.amount, f.nonce].map(fe));
            self.chain.sig_hash = PoseidonHash::hash_no_pad(&input);
        }
        if f.kind == TxKind::Withdrawal {
            let mut input = self.chain.withdrawals_hash.elements.to_vec();
            input.extend([fe(f.from as u64), fe(f.amount)]);
            self.chain.withdrawals_hash = PoseidonHash::hash_no_pad(&input);
        }
        self.slots.push(slot);
        self
    }

    fn chunk(&self, start: &State) -> MainChunkWitness {
        MainChunkWitness {
            block: start.next_block_number(),
            instance: 0,
            state_in: ChainState::start(start.root()),
            slots: self.slots.clone(),
            expected_out: self.chain,
        }
    }
}

fn forge(state: &State, txs: &[(Tx, PubKey)]) -> MainChunkWitness {
    let mut f = Forge::new(state);
    for (tx, k) in txs {
        f.push(*tx, *k);
    }
    f.chunk(state)
}

fn prove_and_check(w: &MainChunkWitness) {
    let c = circuit();
    let proof = c.prove(w).expect("a valid chunk proves");
    c.verify(&proof).expect("plonky2's verifier accepts it");
    assert_eq!(proof.public_inputs, expected_public_inputs(w));
}

/// The chunk must not yield a proof that verifies: proving errs, panics, or the proof is rejected.
fn assert_rejected(w: &MainChunkWitness, rule: &str) {
    let c = circuit();
    match std::panic::catch_unwind(AssertUnwindSafe(|| c.prove(w))) {
        Err(_) | Ok(Err(_)) => {}
        Ok(Ok(proof)) => {
            assert!(c.verify(&proof).is_err(), "{rule}: the circuit accepted a chunk that breaks the rule")
        }
    }
}

fn transfer(from: u32, to: u32, amount: u64, nonce: u64) -> Tx {
    Tx::Transfer { from, to, amount, nonce }
}

#[test]
fn a_generated_block_proves_chunk_by_chunk_with_the_expected_public_inputs() {
    let mut state = State::new();
    let txs = BlockGenerator::new(5).next_block(&state, MAIN_TXS_PER_INSTANCE + 6);
    let block = state.apply_block(txs).unwrap();
    let executed = execute_block(&block).unwrap();
    let chunks = main_chunks(&executed);
    assert_eq!(chunks.len(), 2, "the second chunk is padded");
    assert_eq!(chunks[0].state_in, ChainState::start(block.header.prev_root));
    assert_eq!(chunks[0].expected_out, chunks[1].state_in);
    assert!(block.header.ends_at(&chunks[1].expected_out));
    for (i, chunk) in chunks.iter().enumerate() {
        prove_and_check(chunk);
        let pi = expected_public_inputs(chunk);
        assert_eq!(pi[layout::basic::TYPE], F::from_canonical_u64(CircuitType::MAIN.id()));
        assert_eq!(pi[layout::basic::BLOCK], F::from_canonical_u64(block.header.number));
        assert_eq!(pi[layout::basic::INSTANCE], F::from_canonical_u64(i as u64));
    }
}

#[test]
fn forged_valid_chunk_equals_native_and_proves() {
    let start = base_state();
    let txs = [
        (Tx::Deposit { to: 9, amount: 7, pubkey: key(99) }, key(99)),
        (Tx::Deposit { to: 2, amount: 1, pubkey: key(22) }, key(22)),
        (Tx::Deposit { to: 4, amount: 1, pubkey: key(44) }, key(44)),
        (transfer(1, 2, 30, 1), key(11)),
        (transfer(2, 2, 81, 0), key(22)),
        (Tx::Withdrawal { from: 1, amount: 70, nonce: 2 }, key(11)),
        (Tx::Noop, NO_KEY),
        (transfer(3, 1, 0, 0), key(33)),
        (transfer(2, 3, 5, 1), key(22)),
    ];
    let forged = forge(&start, &txs);
    let mut native = start.clone();
    let block = native.apply_block(txs.iter().map(|(t, _)| signed(*t)).collect()).unwrap();
    let chunks = main_chunks(&execute_block(&block).unwrap());
    assert_eq!(chunks, vec![forged.clone()], "the forge computes what native execution computes");
    assert_eq!(native.account(3).balance, MAX_BALANCE, "the chunk fills a balance to the limit");
    prove_and_check(&forged);
}

#[test]
fn the_circuit_is_deterministic_and_fills_two_to_the_13_rows() {
    let c = circuit();
    assert_eq!(c.data.common.degree_bits(), 13);
    assert_eq!(c.data.common.num_public_inputs, layout::basic::LEN);
    let per_slot = MainCircuit::gate_count(2) - MainCircuit::gate_count(1);
    assert!(per_slot <= 256, "rows per transaction: {per_slot}");
    assert!(MainCircuit::gate_count(MAIN_TXS_PER_INSTANCE) + per_slot > 1 << 13, "one more slot would still fit");
    let again = MainCircuit::build();
    assert_eq!(again.data.verifier_only.circuit_digest, c.data.verifier_only.circuit_digest);
}

#[test]
fn overdraft_is_rejected() {
    let s = base_state();
    // Account 2 holds 50: taking 51 wraps the field to p - 1, which the range check refuses.
    assert_rejected(&forge(&s, &[(Tx::Withdrawal { from: 2, amount: 51, nonce: 0 }, key(22))]), "overdraft");
    assert_rejected(&forge(&s, &[(transfer(2, 1, 51, 0), key(22))]), "overdraft by transfer");
}

#[test]
fn amount_overflow_is_rejected() {
    let s = base_state();
    // Account 3 holds MAX_BALANCE - 5: a deposit of 6 (a valid amount) overflows the balance.
    assert_rejected(&forge(&s, &[(Tx::Deposit { to: 3, amount: 6, pubkey: key(33) }, key(33))]), "balance overflow");
    assert_rejected(&forge(&s, &[(transfer(1, 3, 6, 1), key(11))]), "balance overflow by transfer");
    // A "negative" amount (p - 1): debiting it adds 1 to the sender, crediting it takes 1 from the receiver,
    // and both results are in range. Only the amount's own range check stops this theft.
    let minus_one = F::ORDER - 1;
    assert_rejected(&forge(&s, &[(transfer(2, 1, minus_one, 0), key(22))]), "negative amount");
    assert_rejected(&forge(&s, &[(Tx::Deposit { to: 9, amount: 1 << 48, pubkey: key(9) }, key(9))]), "amount 2^48");
}

#[test]
fn wrong_nonce_is_rejected() {
    let s = base_state();
    assert_rejected(&forge(&s, &[(transfer(1, 2, 1, 0), key(11))]), "replayed nonce");
    assert_rejected(&forge(&s, &[(Tx::Withdrawal { from: 2, amount: 1, nonce: 1 }, key(22))]), "future nonce");
}

#[test]
fn a_tampered_merkle_path_is_rejected() {
    let s = base_state();
    let mut w = forge(&s, &[(transfer(1, 2, 5, 1), key(11))]);
    w.slots[0].sender.siblings[7].elements[2] += F::ONE;
    assert_rejected(&w, "tampered sender sibling");
    let mut w = forge(&s, &[(transfer(1, 2, 5, 1), key(11))]);
    w.slots[0].receiver.siblings[31].elements[0] += F::ONE;
    assert_rejected(&w, "tampered receiver sibling");
    // A leaf that claims more money than the tree holds.
    let mut w = forge(&s, &[(Tx::Withdrawal { from: 2, amount: 60, nonce: 0 }, key(22))]);
    w.slots[0].sender.account.balance = 60;
    assert_rejected(&w, "inflated leaf");
}

#[test]
fn a_forged_root_in_is_rejected() {
    let s = base_state();
    let mut w = forge(&s, &[(transfer(1, 2, 5, 1), key(11))]);
    w.state_in.root = empty_root();
    assert_rejected(&w, "forged root_in");
}

#[test]
fn reordered_transactions_are_rejected() {
    let s = base_state();
    // Independent transactions: each path was taken on the root the other one had already changed.
    let mut w =
        forge(&s, &[(transfer(1, 2, 5, 1), key(11)), (Tx::Withdrawal { from: 3, amount: 1, nonce: 0 }, key(33))]);
    w.slots.swap(0, 1);
    assert_rejected(&w, "reordered independent transactions");
    // Dependent ones: a deposit that creates the sender of the next transfer.
    let mut w =
        forge(&s, &[(Tx::Deposit { to: 8, amount: 5, pubkey: key(8) }, key(8)), (transfer(8, 1, 5, 0), key(8))]);
    w.slots.swap(0, 1);
    assert_rejected(&w, "transfer before the deposit that funds it");
}

#[test]
fn a_deposit_with_another_key_is_rejected() {
    let s = base_state();
    assert_rejected(&forge(&s, &[(Tx::Deposit { to: 1, amount: 5, pubkey: key(12) }, key(12))]), "key mismatch");
}

#[test]
fn keyless_senders_and_zero_keys_are_rejected() {
    let s = base_state();
    // Account 4 holds 10 but has no key: it cannot send, neither under the zero key nor claiming another.
    assert_rejected(&forge(&s, &[(transfer(4, 1, 1, 0), NO_KEY)]), "keyless sender");
    assert_rejected(&forge(&s, &[(transfer(4, 1, 1, 0), key(44))]), "sender claims a key it does not hold");
    assert_rejected(
        &forge(&s, &[(Tx::Deposit { to: 9, amount: 5, pubkey: NO_KEY }, NO_KEY)]),
        "deposit of the zero key",
    );
}

#[test]
fn a_chunk_over_capacity_is_refused() {
    let w = forge(&base_state(), &vec![(Tx::Noop, NO_KEY); MAIN_TXS_PER_INSTANCE + 1]);
    assert!(matches!(circuit().prove(&w), Err(frispool_circuits::CircuitError::TooManySlots { .. })));
}

#[test]
fn chunk_witnesses_round_trip_through_serde() {
    let w = forge(&base_state(), &[(transfer(1, 2, 5, 1), key(11))]);
    let json = serde_json::to_string(&w).unwrap();
    assert_eq!(serde_json::from_str::<MainChunkWitness>(&json).unwrap(), w);
}

// ---- raw witnesses: what the typed witness cannot say, forced as a cheating prover would ----

/// Proves `w` with raw slot fields forced first; must not yield a proof that verifies.
fn assert_rejected_with(w: &MainChunkWitness, overrides: &[(usize, SlotField, F)], rule: &str) {
    let c = circuit();
    match std::panic::catch_unwind(AssertUnwindSafe(|| c.prove_with_overrides(w, overrides))) {
        Err(_) | Ok(Err(_)) => {}
        Ok(Ok(proof)) => {
            assert!(c.verify(&proof).is_err(), "{rule}: the circuit accepted a raw witness that breaks the rule")
        }
    }
}

#[test]
fn two_type_flags_at_once_are_rejected() {
    let s = base_state();
    // A transfer to the keyless account 4 that also raises the deposit flag: every other constraint of the
    // slot holds (the receiver is fresh, so no key comparison; the conditional checks hold with a weight of
    // 2), only "exactly one flag" refuses it. Its outputs would be garbage roots and hashes.
    let w = forge(&s, &[(transfer(1, 4, 5, 1), key(11))]);
    prove_and_check(&w);
    assert_rejected_with(&w, &[(0, SlotField::IsDeposit, F::ONE)], "deposit and transfer at once");
    let w = forge(&s, &[(Tx::Withdrawal { from: 1, amount: 5, nonce: 1 }, key(11))]);
    assert_rejected_with(&w, &[(0, SlotField::IsTransfer, F::ONE)], "transfer and withdrawal at once");
}

#[test]
fn account_ids_of_two_to_the_32_are_rejected() {
    let s = base_state();
    let w = forge(&s, &[(transfer(1, 2, 5, 1), key(11))]);
    // 2^32 + 1 has the low 32 bits of account 1: a circuit that range-checked ids to 33 bits and steered
    // the path with the low 32 would accept it as account 1 under another tx hash.
    let big = F::from_canonical_u64((1 << 32) + 1);
    assert_rejected_with(&w, &[(0, SlotField::From, big)], "from = 2^32 + 1");
    let big = F::from_canonical_u64((1 << 32) + 2);
    assert_rejected_with(&w, &[(0, SlotField::To, big)], "to = 2^32 + 2");
    assert_rejected_with(&w, &[(0, SlotField::From, F::from_canonical_u64(1 << 32))], "from = 2^32");
}

#[test]
fn a_padding_slot_with_garbage_changes_nothing() {
    let s = base_state();
    let honest =
        forge(&s, &[(transfer(1, 2, 5, 1), key(11)), (Tx::Withdrawal { from: 2, amount: 3, nonce: 0 }, key(22))]);
    // The same chunk with a padding slot between the two that carries an amount, ids, a nonce, a key and
    // leaves and paths that are not in the tree: it must prove with exactly the honest outputs.
    let mut garbage = honest.clone();
    let leaf = |x: u64| LeafWitness {
        account: Account { pubkey: key(x), balance: 1000 + x, nonce: x },
        siblings: (0..frispool_rollup::limits::TREE_DEPTH as u64)
            .map(|i| PoseidonHash::hash_no_pad(&[F::from_canonical_u64(x + i)]))
            .collect(),
    };
    let junk = SlotWitness {
        tx: TxFields { kind: TxKind::Noop, from: 3, to: 9, amount: 77, nonce: 5 },
        key: key(5),
        sender: leaf(1),
        receiver: leaf(2),
    };
    garbage.slots.insert(1, junk);
    prove_and_check(&garbage);
    assert_eq!(expected_public_inputs(&garbage), expected_public_inputs(&honest));
}

#[test]
fn a_sender_at_the_last_nonce_is_rejected() {
    // Account 1 planted straight into the tree at nonce 2^32 − 1 (no valid history reaches it in a test's
    // time): its next transaction would take the nonce to 2^32, which the nonce range check refuses.
    let mut s = base_state();
    let last = (1u64 << 32) - 1;
    let mut f = Forge::new(&s);
    f.tree.set(1, Account { pubkey: key(11), balance: 100, nonce: last });
    let planted = f.tree.root();
    f.chain = ChainState::start(planted);
    f.push(transfer(1, 2, 5, last), key(11));
    let mut w = f.chunk(&s);
    w.state_in = ChainState::start(planted);
    assert_rejected(&w, "nonce 2^32 − 1 → 2^32");
    // One below is fine: the same plant at 2^32 − 2 proves.
    s = base_state();
    let mut f = Forge::new(&s);
    f.tree.set(1, Account { pubkey: key(11), balance: 100, nonce: last - 1 });
    let planted = f.tree.root();
    f.chain = ChainState::start(planted);
    f.push(transfer(1, 2, 5, last - 1), key(11));
    let mut w = f.chunk(&s);
    w.state_in = ChainState::start(planted);
    prove_and_check(&w);
}
