//! Transactions, their field encodings, and their signatures.

use frispool_sig::{Message, SecretKey, SigError, MESSAGE_LEN};
use plonky2::field::types::Field;
use serde::{Deserialize, Serialize};

use crate::account::{PubKey, PUBKEY_LEN};
use crate::F;

/// The transaction type as the circuit sees it (public in the transactions hash).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u64)]
pub enum TxKind {
    /// Padding: changes nothing and is not hashed.
    Noop = 0,
    Deposit = 1,
    Transfer = 2,
    Withdrawal = 3,
}

impl TxKind {
    pub fn code(self) -> u64 {
        self as u64
    }
}

/// A rollup transaction. Ids are account indices in the state tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tx {
    Noop,
    /// From L1: credits `to`. A fresh (keyless) account takes `pubkey`; a keyed account must already hold it.
    Deposit {
        to: u32,
        amount: u64,
        pubkey: PubKey,
    },
    /// `nonce` must equal the sender's nonce, which then increases by one.
    Transfer {
        from: u32,
        to: u32,
        amount: u64,
        nonce: u64,
    },
    /// To L1: debits `from` and appends `(from, amount)` to the withdrawals hash.
    Withdrawal {
        from: u32,
        amount: u64,
        nonce: u64,
    },
}

/// The numeric view of a transaction: what a circuit slot holds. Unused fields are zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxFields {
    pub kind: TxKind,
    pub from: u32,
    pub to: u32,
    pub amount: u64,
    pub nonce: u64,
}

/// Field elements of [`Tx::encoding`].
pub const TX_ENCODING_LEN: usize = 5 + PUBKEY_LEN;
/// Domain separator of signed messages: the bytes "frispool" as a little-endian field element.
pub const SIGNED_MESSAGE_DOMAIN: u64 = u64::from_le_bytes(*b"frispool");
// The domain must be a canonical Goldilocks element.
const _: () = assert!(SIGNED_MESSAGE_DOMAIN < 0xFFFF_FFFF_0000_0001);

impl Tx {
    pub fn kind(&self) -> TxKind {
        match self {
            Tx::Noop => TxKind::Noop,
            Tx::Deposit { .. } => TxKind::Deposit,
            Tx::Transfer { .. } => TxKind::Transfer,
            Tx::Withdrawal { .. } => TxKind::Withdrawal,
        }
    }

    pub fn fields(&self) -> TxFields {
        let (from, to, amount, nonce) = match *self {
            Tx::Noop => (0, 0, 0, 0),
            Tx::Deposit { to, amount, .. } => (0, to, amount, 0),
            Tx::Transfer { from, to, amount, nonce } => (from, to, amount, nonce),
            Tx::Withdrawal { from, amount, nonce } => (from, 0, amount, nonce),
        };
        TxFields { kind: self.kind(), from, to, amount, nonce }
    }

    /// The account debited first (and whose nonce increases): transfers and withdrawals.
    pub fn sender(&self) -> Option<u32> {
        match *self {
            Tx::Transfer { from, .. } | Tx::Withdrawal { from, .. } => Some(from),
            _ => None,
        }
    }

    /// The account credited second (on the root after the sender's update): deposits and transfers.
    pub fn receiver(&self) -> Option<u32> {
        match *self {
            Tx::Deposit { to, .. } | Tx::Transfer { to, .. } => Some(to),
            _ => None,
        }
    }

    /// What the transactions hash absorbs: `kind ‖ from ‖ to ‖ amount ‖ nonce ‖ key (5)`.
    ///
    /// `key` is the deposit's key, or the sender's key for a transfer or withdrawal (read from the sender's
    /// leaf). Hashing the signer's key lets the `sig` circuit verify each signature against exactly the key
    /// that `main` used, and the scheduler compare the two transaction hashes.
    pub fn encoding(&self, key: &PubKey) -> [F; TX_ENCODING_LEN] {
        let f = self.fields();
        let mut out = [F::ZERO; TX_ENCODING_LEN];
        out[0] = F::from_canonical_u64(f.kind.code());
        out[1] = F::from_canonical_u32(f.from);
        out[2] = F::from_canonical_u32(f.to);
        out[3] = F::from_canonical_u64(f.amount);
        out[4] = F::from_canonical_u64(f.nonce);
        out[5..].copy_from_slice(key);
        out
    }

    /// The field elements a sender signs: `domain ‖ kind ‖ from ‖ to ‖ amount ‖ nonce`. `None` for deposits
    /// (authorised on L1) and padding. The `sig` circuit verifies Schnorr signatures over exactly these, and
    /// `main` chains the same (key, message) pairs.
    pub fn signed_message(&self) -> Option<Message> {
        self.sender()?;
        let f = self.fields();
        let message: Message = [
            F::from_canonical_u64(SIGNED_MESSAGE_DOMAIN),
            F::from_canonical_u64(f.kind.code()),
            F::from_canonical_u32(f.from),
            F::from_canonical_u32(f.to),
            F::from_canonical_u64(f.amount),
            F::from_canonical_u64(f.nonce),
        ];
        Some(message)
    }
}

// The message layout above is the one `frispool-sig` fixes its circuit to.
const _: () = assert!(MESSAGE_LEN == 6);

/// A Schnorr signature over ECgFp5 (`frispool_sig`): `r` the encoding of the commitment point, `s` the
/// response scalar (little-endian 64-bit limbs). Checked natively by [`crate::rules::check_signature`] and in
/// the proofs by the `sig` circuit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub r: [F; PUBKEY_LEN],
    pub s: [u64; 5],
}

impl Signature {
    /// The curve crate's signature, refusing non-canonical limbs and `s >= n`.
    pub fn to_sig(&self) -> Result<frispool_sig::Signature, SigError> {
        frispool_sig::Signature::from_field_parts(self.r, self.s)
    }

    pub fn from_sig(sig: &frispool_sig::Signature) -> Self {
        let (r, s) = sig.to_parts();
        Self { r: r.map(F::from_canonical_u64), s }
    }
}

/// A transaction as it travels in a block: the transaction and, for transfers and withdrawals, the sender's
/// signature over [`Tx::signed_message`] under the key its account holds (deposits and padding carry none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTx {
    pub tx: Tx,
    pub signature: Option<Signature>,
}

impl SignedTx {
    /// A transaction without a signature: what deposits and padding are; a transfer or withdrawal in this form
    /// is refused by the rules ([`crate::RuleError::Unsigned`]).
    pub fn unsigned(tx: Tx) -> Self {
        Self { tx, signature: None }
    }

    /// `tx` signed with `key` when it has a signed message (transfers, withdrawals); unsigned otherwise.
    pub fn sign(tx: Tx, key: &SecretKey) -> Self {
        let signature = tx.signed_message().map(|m| Signature::from_sig(&key.sign(&m)));
        Self { tx, signature }
    }

    pub fn signed_message(&self) -> Option<Message> {
        self.tx.signed_message()
    }
}

impl From<Tx> for SignedTx {
    fn from(tx: Tx) -> Self {
        Self::unsigned(tx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deposits_are_not_signed() {
        let dep = Tx::Deposit { to: 1, amount: 1, pubkey: [F::ONE; 5] };
        assert!(dep.signed_message().is_none());
        let tr = Tx::Transfer { from: 1, to: 2, amount: 3, nonce: 4 };
        assert_eq!(tr.signed_message().unwrap().len(), 6);
    }

    #[test]
    fn a_signature_round_trips_through_the_rollup_form() {
        let key = SecretKey::from_seed([7; 32]);
        let tr = Tx::Transfer { from: 1, to: 2, amount: 3, nonce: 4 };
        let signed = SignedTx::sign(tr, &key);
        let sig = signed.signature.unwrap().to_sig().unwrap();
        frispool_sig::verify(key.public_key(), &tr.signed_message().unwrap(), &sig).unwrap();
        assert!(SignedTx::sign(Tx::Noop, &key).signature.is_none());
    }
}
