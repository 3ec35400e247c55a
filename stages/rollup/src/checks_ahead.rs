//! A block's signature checks, done ahead and in parallel.
//!
//! Applying a block is sequential (each transaction sees the state the earlier ones left), and checking a
//! signature (decoding the sender's key, a double-scalar multiplication) is most of the cost of a signed
//! transaction. But an account's key never changes once set (`rules::credit` refuses another), so the key a
//! transaction will be checked under is known before the block runs: the sender's key in the state before the
//! block, or else the key of the first deposit that creates the account earlier in the block. Every signed
//! transaction is checked under that predicted key on rayon's pool first; the sequential pass then takes a
//! result only when its actual sender and key are the predicted ones, and checks again itself otherwise. So the
//! outcome, the first error and its position included, is the sequential check's in every case; the
//! prediction only decides how much runs in parallel.
//!
//! Re-execution from a witness (`execute_block`, which trusts nothing) needs no prediction: the witness names
//! each sender's account, key included, before anything runs.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::account::{Account, PubKey};
use crate::rules::{self, RuleError};
use crate::tree::StateTree;
use crate::tx::{SignedTx, Tx};

/// A transaction's sender and the key its signature is checked under.
pub(crate) type SenderKey = Option<(u32, PubKey)>;

/// The sender and key a signature was checked under, and the result.
type Checked = (u32, PubKey, Result<(), RuleError>);

/// Per transaction: its check, where it was signed and its key predicted.
pub(crate) struct ChecksAhead(Vec<Option<Checked>>);

impl ChecksAhead {
    /// The key each transaction of `transactions` will be checked under when applied to `tree` (module
    /// comment).
    pub(crate) fn predict(tree: &StateTree, transactions: &[SignedTx]) -> Vec<SenderKey> {
        let mut created: HashMap<u32, PubKey> = HashMap::new();
        transactions
            .iter()
            .map(|stx| {
                let key = stx.tx.sender().and_then(|from| {
                    let before = tree.account(from);
                    let key = if before.has_key() { Some(before.pubkey) } else { created.get(&from).copied() };
                    key.map(|k| (from, k))
                });
                if let (Tx::Deposit { pubkey, .. }, Some(to)) = (&stx.tx, stx.tx.receiver()) {
                    created.entry(to).or_insert(*pubkey);
                }
                key
            })
            .collect()
    }

    /// Checks every signed transaction of `transactions` under `keys` (one per transaction), on rayon's pool.
    pub(crate) fn run(transactions: &[SignedTx], keys: Vec<SenderKey>) -> ChecksAhead {
        let checks = transactions
            .par_iter()
            .zip(keys)
            .map(|(stx, key)| {
                let (from, key) = key?;
                stx.signed_message()?;
                let holder = Account { pubkey: key, ..Account::EMPTY };
                Some((from, key, rules::check_signature(stx, Some((from, &holder)))))
            })
            .collect();
        ChecksAhead(checks)
    }

    /// `rules::check_signature(stx, Some((from, sender)))` for the transaction at `position`: the result
    /// computed ahead when it was computed for `from` under `sender`'s key, else checked now.
    pub(crate) fn check(&self, position: usize, stx: &SignedTx, from: u32, sender: &Account) -> Result<(), RuleError> {
        match self.0.get(position) {
            Some(Some((f, key, result))) if *f == from && *key == sender.pubkey => result.clone(),
            _ => rules::check_signature(stx, Some((from, sender))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::generated_key;

    /// A result computed under another sender or key than the actual one is not used: the check runs again.
    #[test]
    fn a_mispredicted_key_is_checked_again() {
        let tx = Tx::Transfer { from: 3, to: 4, amount: 1, nonce: 0 };
        let stx = SignedTx::sign(tx, &generated_key(30));
        let right = Account { pubkey: generated_key(30).public_key().encoding(), ..Account::EMPTY };
        let wrong = generated_key(31).public_key().encoding();
        // Predicted under the wrong key: that check failed, the actual key's succeeds.
        let ahead = ChecksAhead::run(std::slice::from_ref(&stx), vec![Some((3, wrong))]);
        assert!(matches!(ahead.0[0], Some((3, _, Err(RuleError::BadSignature { .. })))));
        assert_eq!(ahead.check(0, &stx, 3, &right), Ok(()));
        // Predicted for another sender: checked again for the actual one.
        let ahead = ChecksAhead::run(std::slice::from_ref(&stx), vec![Some((9, right.pubkey))]);
        assert_eq!(ahead.check(0, &stx, 3, &right), Ok(()));
        // Predicted right: the result is taken as computed.
        let ahead = ChecksAhead::run(std::slice::from_ref(&stx), vec![Some((3, right.pubkey))]);
        assert_eq!(ahead.check(0, &stx, 3, &right), Ok(()));
        let forged = SignedTx::sign(tx, &generated_key(31));
        let ahead = ChecksAhead::run(std::slice::from_ref(&forged), vec![Some((3, right.pubkey))]);
        assert!(matches!(ahead.check(0, &forged, 3, &right), Err(RuleError::BadSignature { .. })));
    }
}
