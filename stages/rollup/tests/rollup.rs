use frispool_core::F;
use frispool_rollup::empty_root;
use frispool_rollup::limits::{MAX_AMOUNT, MAX_BALANCE};
use frispool_rollup::Role;
use frispool_rollup::*;
use plonky2::field::types::Field;

/// The key of label `x` (0: the all-zero "no key"). Account 1 holds key 11, account 2 key 22 ([`funded`]).
fn key(x: u64) -> PubKey {
    if x == 0 {
        return NO_KEY;
    }
    generated_key(x).public_key().encoding()
}

/// `tx` signed by its sender's key in [`funded`] (account i holds key 11 i); unsigned if it has no sender.
fn signed(tx: Tx) -> SignedTx {
    match tx.sender() {
        Some(from) => SignedTx::sign(tx, &generated_key(11 * u64::from(from))),
        None => tx.into(),
    }
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
    let err = state.apply_block(vec![dep(9, 1, 99), signed(tx)]).unwrap_err();
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
        assert!(block.header.ends_at(&executed.txs.last().unwrap().after));
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
            signed(Tx::Transfer { from: 1, to: 2, amount: 30, nonce: 0 }),
            signed(Tx::Transfer { from: 2, to: 2, amount: 80, nonce: 0 }),
            Tx::Noop.into(),
            signed(Tx::Withdrawal { from: 1, amount: 70, nonce: 1 }),
            signed(Tx::Transfer { from: 1, to: 7, amount: 0, nonce: 2 }),
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
            signed(Tx::Transfer { from: 1, to: 2, amount: 30, nonce: 0 }),
            signed(Tx::Withdrawal { from: 2, amount: 10, nonce: 0 }),
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
    bad.transactions[1] = signed(Tx::Withdrawal { from: 2, amount: 1000, nonce: 0 });
    assert!(matches!(
        execute_block(&bad),
        Err(ExecuteError::Rule { position: 1, source: RuleError::Overdraft { .. }, .. })
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

/// A funded state with one signed transfer applied: (state before, block of [deposit, transfer 1 -> 2]).
fn signed_block() -> (State, BlockWitness) {
    let s = funded();
    let mut next = s.clone();
    let block =
        next.apply_block(vec![dep(9, 1, 99), signed(Tx::Transfer { from: 1, to: 2, amount: 30, nonce: 0 })]).unwrap();
    (s, block)
}

/// Re-executes `block` with transaction 1 replaced by `stx` and returns the rule it breaks; the error names
/// the block and the transaction.
fn execute_refuses(block: &BlockWitness, stx: SignedTx) -> RuleError {
    let mut bad = block.clone();
    bad.transactions[1] = stx;
    let err = execute_block(&bad).unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with(&format!("block {}, transaction 1:", block.header.number)), "{text}");
    match err {
        ExecuteError::Rule { source, .. } => source,
        other => panic!("expected a rule error, got {other}"),
    }
}

#[test]
fn unsigned_and_badly_signed_transfers_and_withdrawals_are_refused() {
    let (mut s, block) = signed_block();
    execute_block(&block).unwrap();
    let transfer = Tx::Transfer { from: 1, to: 2, amount: 30, nonce: 0 };
    let withdrawal = Tx::Withdrawal { from: 1, amount: 30, nonce: 0 };
    for tx in [transfer, withdrawal] {
        // No signature at all, in the sequencer's rules and in re-execution.
        let unsigned = s.apply_block(vec![tx.into()]).unwrap_err();
        assert!(matches!(unsigned.source, RuleError::Unsigned { account: 1, .. }), "{unsigned}");
        // Signed by another account's key.
        let wrong_key = SignedTx::sign(tx, &generated_key(22));
        let err = s.apply_block(vec![wrong_key]).unwrap_err();
        assert!(matches!(err.source, RuleError::BadSignature { account: 1, .. }), "{err}");
        assert!(err.to_string().starts_with(&format!("transaction 0 of block {}", s.next_block_number())), "{err}");
    }
    assert!(matches!(execute_refuses(&block, transfer.into()), RuleError::Unsigned { account: 1, .. }));
    assert!(matches!(
        execute_refuses(&block, SignedTx::sign(transfer, &generated_key(22))),
        RuleError::BadSignature { account: 1, .. }
    ));
}

#[test]
fn a_signature_covers_amount_recipient_and_nonce_and_is_not_replayable() {
    let (_, block) = signed_block();
    let good = block.transactions[1];
    let Tx::Transfer { from, to, amount, nonce } = good.tx else { panic!("a transfer") };
    // The same signature on an altered transaction: amount, recipient, nonce, kind.
    for altered in [
        Tx::Transfer { from, to, amount: amount - 1, nonce },
        Tx::Transfer { from, to: 9, amount, nonce },
        Tx::Transfer { from, to, amount, nonce: nonce + 1 },
        Tx::Withdrawal { from, amount, nonce },
    ] {
        let stx = SignedTx { tx: altered, signature: good.signature };
        let err = execute_refuses(&block, stx);
        // The nonce changes the sender's check first; everything else reaches the signature.
        if altered.fields().nonce == nonce {
            assert!(matches!(err, RuleError::BadSignature { account: 1, .. }), "{altered:?}: {err}");
        }
    }
    // Replayed: the signature of account 1's next transfer (nonce 1) is not valid at nonce 0, and the signature
    // of nonce 0 does not authorise nonce 1 in the next block.
    let mut s = funded();
    s.apply_block(vec![good]).unwrap();
    let err = s.apply_block(vec![SignedTx { tx: Tx::Transfer { from, to, amount, nonce: 1 }, ..good }]).unwrap_err();
    assert!(matches!(err.source, RuleError::BadSignature { account: 1, .. }), "{err}");
    let err = s.apply_block(vec![good]).unwrap_err();
    assert!(matches!(err.source, RuleError::BadNonce { .. }), "{err}");
}

#[test]
fn deposits_and_padding_carry_no_signature() {
    let (_, block) = signed_block();
    let signature = block.transactions[1].signature;
    let deposit = Tx::Deposit { to: 9, amount: 1, pubkey: key(99) };
    let mut s = funded();
    let err = s.apply_block(vec![SignedTx { tx: deposit, signature }]).unwrap_err();
    assert!(matches!(err.source, RuleError::UnexpectedSignature { kind: TxKind::Deposit }), "{err}");
    let err = s.apply_block(vec![SignedTx { tx: Tx::Noop, signature }]).unwrap_err();
    assert!(matches!(err.source, RuleError::UnexpectedSignature { kind: TxKind::Noop }), "{err}");
    let mut bad = block.clone();
    bad.transactions[0].signature = signature;
    assert!(matches!(
        execute_block(&bad),
        Err(ExecuteError::Rule { position: 0, source: RuleError::UnexpectedSignature { .. }, .. })
    ));
}

#[test]
fn a_sender_whose_key_is_not_a_point_cannot_sign() {
    let mut s = State::new();
    // Deposits do not check keys (the `main` circuit does not either): such an account only can never send.
    s.apply_block(vec![Tx::Deposit { to: 1, amount: 5, pubkey: [F::ONE; PUBKEY_LEN] }.into()]).unwrap();
    let err = s.apply_block(vec![signed(Tx::Withdrawal { from: 1, amount: 1, nonce: 0 })]).unwrap_err();
    assert!(matches!(err.source, RuleError::KeyNotAPoint { account: 1, .. }), "{err}");
}

/// Signatures are checked ahead of the sequential pass, in parallel (checks_ahead.rs): the first error and its
/// position stay the sequential ones, whichever of a bad signature and a broken rule comes first, in the
/// sequencer's rules and in re-execution alike; and an account created earlier in the block signs under the
/// key its deposit gave it.
#[test]
fn checks_ahead_keep_the_first_error_and_its_position() {
    let transfer = |from: u32, nonce: u64| Tx::Transfer { from, to: 2, amount: 1, nonce };
    let forged = |tx: Tx| SignedTx::sign(tx, &generated_key(77));
    // A bad signature at 1 before an overdraft at 2; an overdraft at 1 before a bad signature at 2.
    let overdraft = Tx::Transfer { from: 2, to: 1, amount: 10_000, nonce: 0 };
    let cases = [
        (vec![signed(transfer(1, 0)), forged(transfer(1, 1)), signed(overdraft)], 1, "signature"),
        (vec![signed(transfer(1, 0)), signed(overdraft), forged(transfer(1, 1))], 1, "overdraft"),
        (vec![signed(transfer(1, 0)), signed(transfer(1, 1)), forged(transfer(1, 2))], 2, "signature"),
    ];
    for (txs, position, what) in cases {
        let mut s = funded();
        let err = s.apply_block(txs.clone()).unwrap_err();
        assert_eq!(err.position, position, "{what}: {err}");
        let is_signature = matches!(err.source, RuleError::BadSignature { .. });
        assert_eq!(is_signature, what == "signature", "{err}");
    }
    // The same in re-execution: a valid block whose transaction 2 is then forged, or made an overdraft.
    let mut s = funded();
    let block = s.apply_block(vec![signed(transfer(1, 0)), signed(transfer(1, 1)), signed(transfer(1, 2))]).unwrap();
    let mut bad = block.clone();
    bad.transactions[2] = forged(transfer(1, 2));
    match execute_block(&bad).unwrap_err() {
        ExecuteError::Rule { position: 2, source: RuleError::BadSignature { account: 1, .. }, .. } => {}
        other => panic!("expected a bad signature at 2, got {other}"),
    }
    bad.transactions[1] = forged(transfer(1, 1));
    match execute_block(&bad).unwrap_err() {
        ExecuteError::Rule { position: 1, source: RuleError::BadSignature { account: 1, .. }, .. } => {}
        other => panic!("expected a bad signature at 1, got {other}"),
    }
    // Account 5 is created by a deposit in this very block, then spends under that deposit's key.
    let mut s = funded();
    let spend = SignedTx::sign(Tx::Transfer { from: 5, to: 1, amount: 3, nonce: 0 }, &generated_key(55));
    let block = s.apply_block(vec![dep(5, 10, 55), spend]).unwrap();
    execute_block(&block).unwrap();
    let mut s = funded();
    let spend = SignedTx::sign(Tx::Transfer { from: 5, to: 1, amount: 3, nonce: 0 }, &generated_key(56));
    let err = s.apply_block(vec![dep(5, 10, 55), spend]).unwrap_err();
    assert!(matches!(err.source, RuleError::BadSignature { account: 5, .. }) && err.position == 1, "{err}");
}

/// Re-execution hashes every path's roots ahead, in parallel: a path of the wrong depth is still reported as
/// such, and a receiver's path is still checked against the root its sender's change left.
#[test]
fn paths_hashed_ahead_are_checked_where_they_were() {
    let mut s = funded();
    let block = s.apply_block(vec![signed(Tx::Transfer { from: 1, to: 2, amount: 30, nonce: 0 })]).unwrap();
    let mut bad = block.clone();
    bad.witnesses[0].sender.as_mut().unwrap().siblings.pop();
    assert!(matches!(execute_block(&bad), Err(ExecuteError::PathLength { position: 0, role: Role::Sender, .. })));
    let mut bad = block.clone();
    bad.witnesses[0].receiver.as_mut().unwrap().siblings[3].elements[1] += F::ONE;
    assert_eq!(execute_block(&bad), Err(ExecuteError::PathMismatch { position: 0, role: Role::Receiver }));
    // The receiver's path as it was before the sender's change: right account, stale root.
    let mut bad = block;
    let stale = funded().tree().siblings(2);
    bad.witnesses[0].receiver.as_mut().unwrap().siblings = stale;
    assert_eq!(execute_block(&bad), Err(ExecuteError::PathMismatch { position: 0, role: Role::Receiver }));
}
