//! The sequencer's state: the account tree and the next block number. Applying a block is all-or-nothing.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::account::{Account, PubKey, NO_KEY};
use crate::block::{AccountWitness, BlockHeader, BlockWitness, ChainState, TxWitness};
use crate::checks_ahead::ChecksAhead;
use crate::hashes::{sig_hash_step, tx_hash_step, withdrawal_hash_step};
use crate::rules::{self, RuleError};
use crate::tree::StateTree;
use crate::tx::{SignedTx, Tx};

use crate::Digest;

#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("transaction {position} of block {block}: {source}")]
pub struct BlockError {
    pub block: u64,
    pub position: usize,
    #[source]
    pub source: RuleError,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(from = "StateSnapshot", into = "StateSnapshot")]
pub struct State {
    tree: StateTree,
    next_block: u64,
}

/// The serialised form of a [`State`]: the non-empty accounts; the tree is rebuilt on load.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StateSnapshot {
    pub next_block: u64,
    pub accounts: Vec<(u32, Account)>,
}

impl From<StateSnapshot> for State {
    fn from(s: StateSnapshot) -> Self {
        let mut tree = StateTree::new();
        for (index, account) in s.accounts {
            tree.set(index, account);
        }
        State { tree, next_block: s.next_block }
    }
}

impl From<State> for StateSnapshot {
    fn from(s: State) -> Self {
        let mut accounts: Vec<(u32, Account)> = s.tree.accounts().map(|(i, a)| (i, *a)).collect();
        accounts.sort_by_key(|(i, _)| *i);
        StateSnapshot { next_block: s.next_block, accounts }
    }
}

impl Default for State {
    fn default() -> Self {
        Self::new()
    }
}

/// One transaction applied to the tree: its witness, the key it hashes, and how to undo it.
pub(crate) struct Applied {
    witness: TxWitness,
    key: PubKey,
    undo: Vec<(u32, Account)>,
}

impl State {
    /// The empty state; its first block is number 1.
    pub fn new() -> Self {
        State { tree: StateTree::new(), next_block: 1 }
    }

    pub fn root(&self) -> Digest {
        self.tree.root()
    }

    pub fn next_block_number(&self) -> u64 {
        self.next_block
    }

    pub fn account(&self, index: u32) -> Account {
        self.tree.account(index)
    }

    pub fn accounts(&self) -> impl Iterator<Item = (u32, &Account)> {
        self.tree.accounts()
    }

    pub fn tree(&self) -> &StateTree {
        &self.tree
    }

    /// Applies `transactions` as the next block and returns its witness; on any broken rule the state is left
    /// exactly as it was.
    pub fn apply_block(&mut self, transactions: Vec<SignedTx>) -> Result<BlockWitness, BlockError> {
        let number = self.next_block;
        let start = ChainState::start(self.root());
        let mut chain = start;
        let mut witnesses = Vec::with_capacity(transactions.len());
        let mut undo = Vec::new();
        let checks = ChecksAhead::run(&transactions, ChecksAhead::predict(&self.tree, &transactions));
        for (position, stx) in transactions.iter().enumerate() {
            match self.apply_checked(stx, Some((&checks, position))) {
                Ok(applied) => {
                    chain.tx_hash = tx_hash_step(chain.tx_hash, &stx.tx, &applied.key);
                    chain.sig_hash = sig_hash_step(chain.sig_hash, &stx.tx, &applied.key);
                    chain.withdrawals_hash = withdrawal_hash_step(chain.withdrawals_hash, &stx.tx);
                    witnesses.push(applied.witness);
                    undo.extend(applied.undo);
                }
                Err(source) => {
                    for (index, account) in undo.into_iter().rev() {
                        self.tree.set(index, account);
                    }
                    return Err(BlockError { block: number, position, source });
                }
            }
        }
        chain.root = self.root();
        self.next_block += 1;
        let header = BlockHeader {
            number,
            prev_root: start.root,
            new_root: chain.root,
            tx_hash: chain.tx_hash,
            withdrawals_hash: chain.withdrawals_hash,
            tx_count: transactions.len() as u64,
        };
        Ok(BlockWitness { header, transactions, witnesses })
    }

    /// Applies one transaction to the tree (its signature checked against the sender's key, sender first, then receiver on the updated tree); on error the tree
    /// is unchanged.
    pub(crate) fn apply_tx(&mut self, stx: &SignedTx) -> Result<Applied, RuleError> {
        self.apply_checked(stx, None)
    }

    /// [`State::apply_tx`], its signature check taken from `ahead` (the block's checks and this transaction's
    /// position) where that was computed under the sender's key.
    fn apply_checked(&mut self, stx: &SignedTx, ahead: Option<(&ChecksAhead, usize)>) -> Result<Applied, RuleError> {
        let tx = &stx.tx;
        rules::check_amount(tx)?;
        let mut applied = Applied { witness: TxWitness::default(), key: NO_KEY, undo: Vec::new() };
        let f = tx.fields();
        if tx.sender().is_none() {
            rules::check_signature(stx, None)?;
        }
        if let Some(from) = tx.sender() {
            let before = self.tree.account(from);
            let after = rules::debit(from, &before, f.amount, f.nonce)?;
            match ahead {
                Some((checks, position)) => checks.check(position, stx, from, &before)?,
                None => rules::check_signature(stx, Some((from, &before)))?,
            }
            applied.key = before.pubkey;
            applied.witness.sender =
                Some(AccountWitness { index: from, account: before, siblings: self.tree.siblings(from) });
            applied.undo.push((from, self.tree.set(from, after)));
        }
        if let Some(to) = tx.receiver() {
            let before = self.tree.account(to);
            let deposit_key = match tx {
                Tx::Deposit { pubkey, .. } => Some(pubkey),
                _ => None,
            };
            let after = match rules::credit(to, &before, f.amount, deposit_key) {
                Ok(after) => after,
                Err(e) => {
                    for (index, account) in applied.undo.into_iter().rev() {
                        self.tree.set(index, account);
                    }
                    return Err(e);
                }
            };
            if let Some(key) = deposit_key {
                applied.key = *key;
            }
            applied.witness.receiver =
                Some(AccountWitness { index: to, account: before, siblings: self.tree.siblings(to) });
            applied.undo.push((to, self.tree.set(to, after)));
        }
        Ok(applied)
    }
}
