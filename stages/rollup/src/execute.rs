//! Stateless re-execution of a [`BlockWitness`]: every path is checked against the running root, every rule
//! is applied, and the header is recomputed. Round 0's witness generator runs this and trusts nothing else.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::account::{Account, PubKey, NO_KEY};
use crate::block::{AccountWitness, BlockHeader, BlockWitness, ChainState, TxWitness};
use crate::checks_ahead::ChecksAhead;
use crate::hashes::{sig_hash_step, tx_hash_step, withdrawal_hash_step};
use crate::limits::TREE_DEPTH;
use crate::rules::{self, RuleError};
use crate::tree::root_from_path;
use crate::tx::{SignedTx, Tx};
use crate::Digest;

/// Which touched account of a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Sender,
    Receiver,
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::Sender => "sender",
            Role::Receiver => "receiver",
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ExecuteError {
    #[error("block has {transactions} transactions but {witnesses} witnesses")]
    WitnessCount { transactions: usize, witnesses: usize },
    #[error("header says {header} transactions, block has {actual}")]
    TxCount { header: u64, actual: usize },
    #[error("transaction {position}: {role} witness missing")]
    MissingWitness { position: usize, role: Role },
    #[error("transaction {position}: unexpected {role} witness")]
    UnexpectedWitness { position: usize, role: Role },
    #[error("transaction {position}: {role} witness is for account {got}, transaction names {expected}")]
    WrongAccount { position: usize, role: Role, expected: u32, got: u32 },
    #[error("transaction {position}: {role} path has {len} siblings, expected {TREE_DEPTH}")]
    PathLength { position: usize, role: Role, len: usize },
    #[error("transaction {position}: {role} path does not lead to the current root")]
    PathMismatch { position: usize, role: Role },
    #[error("block {block}, transaction {position}: {source}")]
    Rule {
        block: u64,
        position: usize,
        #[source]
        source: RuleError,
    },
    #[error("header field {field} does not match the re-executed block")]
    HeaderMismatch { field: &'static str },
}

/// One transaction after re-execution: everything a circuit slot needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutedTx {
    pub tx: SignedTx,
    /// The key hashed into the transactions hash (deposit key or sender key; zero for padding).
    pub key: PubKey,
    pub before: ChainState,
    pub after: ChainState,
    pub sender: Option<AccountWitness>,
    pub receiver: Option<AccountWitness>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutedBlock {
    /// Recomputed; equal to the header the block came with.
    pub header: BlockHeader,
    pub txs: Vec<ExecutedTx>,
}

pub fn execute_block(block: &BlockWitness) -> Result<ExecutedBlock, ExecuteError> {
    let n = block.transactions.len();
    if block.witnesses.len() != n {
        return Err(ExecuteError::WitnessCount { transactions: n, witnesses: block.witnesses.len() });
    }
    if block.header.tx_count != n as u64 {
        return Err(ExecuteError::TxCount { header: block.header.tx_count, actual: n });
    }
    let number = block.header.number;
    let mut chain = ChainState::start(block.header.prev_root);
    let mut txs = Vec::with_capacity(n);
    // Every signature checked first, in parallel, under the key the witness gives its sender (checks_ahead.rs);
    // the sequential pass below takes each result at the point where it would have checked it.
    let keys = block.witnesses.iter().map(|w| w.sender.as_ref().map(|s| (s.index, s.account.pubkey))).collect();
    let checks = ChecksAhead::run(&block.transactions, keys);
    // Likewise every Merkle root a path gives, before and after its account changes: functions of the witness and
    // the transaction alone, so they are hashed in parallel and the pass compares them where it would have.
    let roots: Vec<TxRoots> =
        block.transactions.par_iter().zip(&block.witnesses).map(|(stx, w)| TxRoots::of(&stx.tx, w)).collect();
    for (position, (stx, w)) in block.transactions.iter().zip(&block.witnesses).enumerate() {
        let roots = &roots[position];
        let before = chain;
        let tx = &stx.tx;
        let rule = |source| ExecuteError::Rule { block: number, position, source };
        rules::check_amount(tx).map_err(rule)?;
        let f = tx.fields();
        let mut key: PubKey = NO_KEY;

        let sender = expect(position, Role::Sender, tx.sender(), w.sender.as_ref())?;
        if let Some(s) = sender {
            check_path(position, Role::Sender, s, roots.sender.before, &chain)?;
            let after = rules::debit(s.index, &s.account, f.amount, f.nonce).map_err(rule)?;
            checks.check(position, stx, s.index, &s.account).map_err(rule)?;
            key = s.account.pubkey;
            chain.root = roots.sender.after.unwrap_or_else(|| root_from_path(after.leaf_hash(), s.index, &s.siblings));
        }
        if sender.is_none() {
            rules::check_signature(stx, None).map_err(rule)?;
        }
        let receiver = expect(position, Role::Receiver, tx.receiver(), w.receiver.as_ref())?;
        if let Some(r) = receiver {
            check_path(position, Role::Receiver, r, roots.receiver.before, &chain)?;
            let deposit_key = match tx {
                Tx::Deposit { pubkey, .. } => Some(pubkey),
                _ => None,
            };
            let after = rules::credit(r.index, &r.account, f.amount, deposit_key).map_err(rule)?;
            if let Some(k) = deposit_key {
                key = *k;
            }
            chain.root =
                roots.receiver.after.unwrap_or_else(|| root_from_path(after.leaf_hash(), r.index, &r.siblings));
        }
        chain.tx_hash = tx_hash_step(chain.tx_hash, tx, &key);
        chain.sig_hash = sig_hash_step(chain.sig_hash, tx, &key);
        chain.withdrawals_hash = withdrawal_hash_step(chain.withdrawals_hash, tx);
        txs.push(ExecutedTx {
            tx: *stx,
            key,
            before,
            after: chain,
            sender: sender.cloned(),
            receiver: receiver.cloned(),
        });
    }
    let header = BlockHeader {
        number: block.header.number,
        prev_root: block.header.prev_root,
        new_root: chain.root,
        tx_hash: chain.tx_hash,
        withdrawals_hash: chain.withdrawals_hash,
        tx_count: n as u64,
    };
    for (field, ok) in [
        ("new_root", header.new_root == block.header.new_root),
        ("tx_hash", header.tx_hash == block.header.tx_hash),
        ("withdrawals_hash", header.withdrawals_hash == block.header.withdrawals_hash),
    ] {
        if !ok {
            return Err(ExecuteError::HeaderMismatch { field });
        }
    }
    Ok(ExecutedBlock { header, txs })
}

/// A witness must be present exactly when the transaction touches that role, and name the same account.
fn expect(
    position: usize,
    role: Role,
    index: Option<u32>,
    witness: Option<&AccountWitness>,
) -> Result<Option<&AccountWitness>, ExecuteError> {
    match (index, witness) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(ExecuteError::UnexpectedWitness { position, role }),
        (Some(_), None) => Err(ExecuteError::MissingWitness { position, role }),
        (Some(expected), Some(w)) if w.index != expected => {
            Err(ExecuteError::WrongAccount { position, role, expected, got: w.index })
        }
        (Some(_), Some(w)) => Ok(Some(w)),
    }
}

/// The path of `w` must have the tree's depth and lead from its account to the chain's root (`root`: what
/// `PathRoots::before` computed for this path; `None`: computed here).
fn check_path(
    position: usize,
    role: Role,
    w: &AccountWitness,
    root: Option<Digest>,
    chain: &ChainState,
) -> Result<(), ExecuteError> {
    if w.siblings.len() != TREE_DEPTH {
        return Err(ExecuteError::PathLength { position, role, len: w.siblings.len() });
    }
    if root.unwrap_or_else(|| root_from_path(w.account.leaf_hash(), w.index, &w.siblings)) != chain.root {
        return Err(ExecuteError::PathMismatch { position, role });
    }
    Ok(())
}

/// The roots one account witness's path gives: from the account as the witness states it, and from the account
/// after the transaction's change to it (`None` where the path has the wrong depth or the change breaks a rule;
/// the sequential pass then reports that error before it would need the root).
#[derive(Default)]
struct PathRoots {
    before: Option<Digest>,
    after: Option<Digest>,
}

/// A transaction's [`PathRoots`], sender's and receiver's.
#[derive(Default)]
struct TxRoots {
    sender: PathRoots,
    receiver: PathRoots,
}

impl TxRoots {
    fn of(tx: &Tx, w: &TxWitness) -> TxRoots {
        let f = tx.fields();
        let roots = |w: Option<&AccountWitness>, change: &dyn Fn(&AccountWitness) -> Option<Account>| {
            let Some(w) = w.filter(|w| w.siblings.len() == TREE_DEPTH) else { return PathRoots::default() };
            PathRoots {
                before: Some(root_from_path(w.account.leaf_hash(), w.index, &w.siblings)),
                after: change(w).map(|a| root_from_path(a.leaf_hash(), w.index, &w.siblings)),
            }
        };
        let deposit_key = match tx {
            Tx::Deposit { pubkey, .. } => Some(pubkey),
            _ => None,
        };
        TxRoots {
            sender: roots(w.sender.as_ref(), &|s| rules::debit(s.index, &s.account, f.amount, f.nonce).ok()),
            receiver: roots(w.receiver.as_ref(), &|r| rules::credit(r.index, &r.account, f.amount, deposit_key).ok()),
        }
    }
}
