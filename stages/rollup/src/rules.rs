//! The rules of the rollup, as pure functions over accounts. [`crate::State`] and [`crate::execute_block`]
//! both apply a transaction through these, and the `main` circuit enforces each of them (CIRCUITS.md).

use thiserror::Error;

use frispool_sig::{PublicKey, SigError};

use crate::account::{Account, PubKey, NO_KEY};
use crate::limits::{MAX_AMOUNT, MAX_BALANCE, MAX_NONCE};
use crate::tx::{SignedTx, Tx};

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RuleError {
    #[error("amount {amount} exceeds the limit {MAX_AMOUNT}")]
    AmountTooLarge { amount: u64 },
    #[error("account {account} has balance {balance}, cannot send {amount}")]
    Overdraft { account: u32, balance: u64, amount: u64 },
    #[error("account {account}: balance {balance} + {amount} exceeds the limit {MAX_BALANCE}")]
    BalanceOverflow { account: u32, balance: u64, amount: u64 },
    #[error("account {account} has nonce {expected}, transaction carries {got}")]
    BadNonce { account: u32, expected: u64, got: u64 },
    #[error("account {account} has used every nonce up to {MAX_NONCE}")]
    NonceExhausted { account: u32 },
    #[error("account {account} has no public key yet, so it cannot send")]
    UnknownSender { account: u32 },
    #[error("deposit to account {account} carries another public key than the account's")]
    PubkeyMismatch { account: u32 },
    #[error("deposit to account {account} carries the all-zero public key")]
    ZeroPubkey { account: u32 },
    #[error("{kind:?} from account {account} carries no signature")]
    Unsigned { account: u32, kind: crate::TxKind },
    #[error("{kind:?} from account {account}: the signature does not verify under the account's key ({source})")]
    BadSignature {
        account: u32,
        kind: crate::TxKind,
        #[source]
        source: SigError,
    },
    #[error("account {account}'s key is not a curve point, so it cannot sign ({source})")]
    KeyNotAPoint {
        account: u32,
        #[source]
        source: SigError,
    },
    #[error("a {kind:?} carries a signature, but only transfers and withdrawals are signed")]
    UnexpectedSignature { kind: crate::TxKind },
}

/// Checks the amount of any transaction.
pub fn check_amount(tx: &Tx) -> Result<(), RuleError> {
    let amount = tx.fields().amount;
    if amount > MAX_AMOUNT {
        return Err(RuleError::AmountTooLarge { amount });
    }
    Ok(())
}

/// The authorisation of a transaction: a transfer or withdrawal must carry a Schnorr signature over
/// [`Tx::signed_message`] under the key its sender's account holds (`sender`, the account before the
/// transaction); deposits (authorised on L1) and padding must carry none, so a block has one form and the `sig`
/// circuit's chain covers exactly the signed transactions. The key is the account's: a deposit installs it
/// and it never changes, so a transaction names no key of its own that could disagree with the tree.
pub fn check_signature(stx: &SignedTx, sender: Option<(u32, &Account)>) -> Result<(), RuleError> {
    let kind = stx.tx.kind();
    let (message, (account, holder)) = match (stx.signed_message(), sender) {
        (Some(m), Some(s)) => (m, s),
        _ => {
            return match stx.signature {
                Some(_) => Err(RuleError::UnexpectedSignature { kind }),
                None => Ok(()),
            }
        }
    };
    let signature = stx.signature.ok_or(RuleError::Unsigned { account, kind })?;
    let key = PublicKey::from_encoding(holder.pubkey).map_err(|source| RuleError::KeyNotAPoint { account, source })?;
    let bad = |source| RuleError::BadSignature { account, kind, source };
    frispool_sig::verify(&key, &message, &signature.to_sig().map_err(bad)?).map_err(bad)
}

/// The sender's side of a transfer or withdrawal: keyed account, nonce match, no overdraft; nonce + 1.
pub fn debit(index: u32, sender: &Account, amount: u64, nonce: u64) -> Result<Account, RuleError> {
    if !sender.has_key() {
        return Err(RuleError::UnknownSender { account: index });
    }
    if nonce != sender.nonce {
        return Err(RuleError::BadNonce { account: index, expected: sender.nonce, got: nonce });
    }
    if sender.nonce >= MAX_NONCE {
        return Err(RuleError::NonceExhausted { account: index });
    }
    let balance = sender.balance.checked_sub(amount).ok_or(RuleError::Overdraft {
        account: index,
        balance: sender.balance,
        amount,
    })?;
    Ok(Account { pubkey: sender.pubkey, balance, nonce: sender.nonce + 1 })
}

/// The receiver's side of a deposit (`deposit_key` set) or transfer: no overflow; a deposit to a keyless
/// account installs its key, a deposit to a keyed account must carry the same key.
pub fn credit(index: u32, receiver: &Account, amount: u64, deposit_key: Option<&PubKey>) -> Result<Account, RuleError> {
    let mut out = *receiver;
    if let Some(key) = deposit_key {
        if *key == NO_KEY {
            return Err(RuleError::ZeroPubkey { account: index });
        }
        if receiver.has_key() && receiver.pubkey != *key {
            return Err(RuleError::PubkeyMismatch { account: index });
        }
        out.pubkey = *key;
    }
    out.balance = receiver
        .balance
        .checked_add(amount)
        .filter(|b| *b <= MAX_BALANCE)
        .ok_or(RuleError::BalanceOverflow { account: index, balance: receiver.balance, amount })?;
    Ok(out)
}
