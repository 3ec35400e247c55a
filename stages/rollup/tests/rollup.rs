use frispool_core::F;
use frispool_rollup::empty_root;
use frispool_rollup::limits::{MAX_AMOUNT, MAX_BALANCE};
use frispool_rollup::Role;
use frispool_rollup::*;
use plonky2::field::types::Field;

fn key(x: u64) -> PubKey {
    [F::from_canonical_u64(x); PUBKEY_LEN]
}

fn dep(to: u32, amount: u64, k: u64) -> SignedTx {
    Tx::Deposit { to, amount, pubkey: key(k) }.into()
}

fn funded() -> State {
    let mut s = State::new();
    s.apply_block(vec![dep(1, 100, 11), dep(2, 50, 22)]).unwrap();
    s
}

fn rejects(state: &mut State, tx: Tx) -> RuleError {
    let root = state.root();
    let next = state.next_block_number();
    let err = state.apply_block(vec![dep(9, 1, 99), tx.into()]).unwrap_err();
    assert_eq!(err.position, 1);
    assert_eq!(state.root(), root, "a failed block must leave the state unchanged");
    assert_eq!(state.next_block_number(), next);
    err.source
}

#[test]
fn generated_blocks_re_execute_to_the_same_header() {
    let mut state = State::new();
    let mut gen = BlockGenerator::new(7);
    let mut prev = empty_root();
    for _ in 0..4 {
        let txs = gen.next_block(&state, 40);
        let block = state.apply_block(txs).unwrap();
        assert_eq!(block.header.prev_root, prev);
        assert_eq!(block.header.new_root, state.root());
        let executed = execute_block(&block).unwrap();
        assert_eq!(executed.header, block.header);
        assert_eq!(executed.header.commitment(), block.header.commitment());
        assert_eq!(executed.txs.last().unwrap().after, block.header.end_state());
        prev = state.root();
    }
    let kinds: std::collections::HashSet<TxKind> = {
        let txs = gen.next_block(&state, 200);
        txs.iter().map(|t| t.tx.kind()).collect()
    };
    assert!(
        kinds.contains(&TxKind::Deposit) && kinds.contains(&TxKind::Transfer) && kinds.contains(&TxKind::Withdrawal)
    );
}

#[test]
fn the_generator_is_deterministic() {
    let state = funded();
    assert_eq!(BlockGenerator::new(3).next_block(&state, 30), BlockGenerator::new(3).next_block(&state, 30));
}

#[test]
fn every_rule_has_a_typed_error() {
    let mut s = funded();
    let overdraft = Tx::Transfer { from: 1, to: 2, amount: 101, nonce: 0 };
    assert!(matches!(rejects(&mut s, overdraft), RuleError::Overdraft { account: 1, .. }));
    let nonce = Tx::Withdrawal { from: 1, amount: 1, nonce: 5 };
    assert!(matches!(rejects(&mut s, nonce), RuleError::BadNonce { expected: 0, got: 5, .. }));
    let unknown = Tx::Transfer { from: 3, to: 2, amount: 0, nonce: 0 };
    assert!(matches!(rejects(&mut s, unknown), RuleError::UnknownSender { account: 3 }));
    let mismatch = Tx::Deposit { to: 1, amount: 1, pubkey: key(12) };
    assert!(matches!(rejects(&mut s, mismatch), RuleError::PubkeyMismatch { account: 1 }));
    let zero = Tx::Deposit { to: 5, amount: 1, pubkey: key(0) };
    assert!(matches!(rejects(&mut s, zero), RuleError::ZeroPubkey { account: 5 }));
    let big = Tx::Deposit { to: 1, amount: MAX_AMOUNT + 1, pubkey: key(11) };
    assert!(matches!(rejects(&mut s, big), RuleError::AmountTooLarge { .. }));
    // Fill account 2 to the limit, then one more unit overflows.
    s.apply_block(vec![dep(2, MAX_BALANCE - 50, 22)]).unwrap();
    assert_eq!(s.account(2).balance, MAX_BALANCE);
    let overflow = Tx::Transfer { from: 1, to: 2, amount: 1, nonce: 0 };
    assert!(matches!(rejects(&mut s, overflow), RuleError::BalanceOverflow { account: 2, .. }));
}

#[test]
fn a_failing_receiver_undoes_the_sender() {
    let mut s = funded();
    s.apply_block(vec![dep(2, MAX_BALANCE - 50, 22)]).unwrap();
    let before = s.account(1);
    rejects(&mut s, Tx::Transfer { from: 1, to: 2, amount: 10, nonce: 0 });
    assert_eq!(s.account(1), before);
}

#[test]
fn transfers_withdrawals_and_self_transfers_move_balances_and_nonces() {
    let mut s = funded();
    let block = s
        .apply_block(vec![
            Tx::Transfer { from: 1, to: 2, amount: 30, nonce: 0 }.into(),
            Tx::Transfer { from: 2, to: 2, amount: 80, nonce: 0 }.into(),
            Tx::Noop.into(),
            Tx::Withdrawal { from: 1, amount: 70, nonce: 1 }.into(),
            Tx::Transfer { from: 1, to: 7, amount: 0, nonce: 2 }.into(),
        ])
        .unwrap();
    assert_eq!((s.account(1).balance, s.account(1).nonce), (0, 3));
    assert_eq!((s.account(2).balance, s.account(2).nonce), (80, 1));
    assert!(!s.account(7).has_key());
    let executed = execute_block(&block).unwrap();
    assert_eq!(executed.txs[2].before, executed.txs[2].after, "padding changes nothing");
    assert_ne!(block.header.withdrawals_hash, zero_digest());
}

#[test]
fn re_execution_trusts_nothing() {
    let mut s = funded();
    let block = s
        .apply_block(vec![
            Tx::Transfer { from: 1, to: 2, amount: 30, nonce: 0 }.into(),
            Tx::Withdrawal { from: 2, amount: 10, nonce: 0 }.into(),
        ])
        .unwrap();
    execute_block(&block).unwrap();

    let mut bad = block.clone();
    bad.witnesses[0].sender.as_mut().unwrap().siblings[5].elements[0] += F::ONE;
    assert_eq!(execute_block(&bad), Err(ExecuteError::PathMismatch { position: 0, role: Role::Sender }));

    let mut bad = block.clone();
    bad.witnesses[1].sender.as_mut().unwrap().account.balance += 1000;
    assert_eq!(execute_block(&bad), Err(ExecuteError::PathMismatch { position: 1, role: Role::Sender }));

    let mut bad = block.clone();
    bad.transactions.swap(0, 1);
    bad.witnesses.swap(0, 1);
    assert!(execute_block(&bad).is_err());

    let mut bad = block.clone();
    bad.header.withdrawals_hash = zero_digest();
    assert_eq!(execute_block(&bad), Err(ExecuteError::HeaderMismatch { field: "withdrawals_hash" }));

    let mut bad = block.clone();
    bad.witnesses[0].receiver = None;
    assert_eq!(execute_block(&bad), Err(ExecuteError::MissingWitness { position: 0, role: Role::Receiver }));

    let mut bad = block;
    bad.transactions[1].tx = Tx::Withdrawal { from: 2, amount: 1000, nonce: 0 };
    assert!(matches!(
        execute_block(&bad),
        Err(ExecuteError::Rule { position: 1, source: RuleError::Overdraft { .. } })
    ));
}

#[test]
fn wire_types_round_trip_through_serde() {
    let mut s = State::new();
    let txs = BlockGenerator::new(1).next_block(&s, 20);
    let block = s.apply_block(txs).unwrap();
    let json = serde_json::to_string(&block).unwrap();
    assert_eq!(serde_json::from_str::<BlockWitness>(&json).unwrap(), block);
    let restored: State = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(restored.root(), s.root());
    assert_eq!(restored.next_block_number(), s.next_block_number());
}
