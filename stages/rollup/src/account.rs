//! An account and its leaf in the state tree.

use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::field::types::Field;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::plonk::config::Hasher;
use serde::{Deserialize, Serialize};

use crate::{Digest, F};

/// Field elements of a public key.
pub const PUBKEY_LEN: usize = 5;
/// An ECgFp5 point encoding (an element of GF(p^5)). All zeros means "no key yet": such an account can
/// receive but not send.
pub type PubKey = [F; PUBKEY_LEN];
/// Field elements hashed into a leaf: `pubkey (5) ‖ balance ‖ nonce`.
pub const LEAF_LEN: usize = PUBKEY_LEN + 2;

/// The "no key yet" public key.
pub const NO_KEY: PubKey = [GoldilocksField(0); PUBKEY_LEN];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub pubkey: PubKey,
    pub balance: u64,
    pub nonce: u64,
}

impl Default for Account {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl Account {
    /// Every id that was never touched holds this account; its leaf is the empty leaf of the tree.
    pub const EMPTY: Account = Account { pubkey: NO_KEY, balance: 0, nonce: 0 };

    pub fn has_key(&self) -> bool {
        self.pubkey != NO_KEY
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::EMPTY
    }

    /// The leaf preimage, in the order the circuit hashes it.
    pub fn to_fields(&self) -> [F; LEAF_LEN] {
        let mut out = [F::ZERO; LEAF_LEN];
        out[..PUBKEY_LEN].copy_from_slice(&self.pubkey);
        out[PUBKEY_LEN] = F::from_canonical_u64(self.balance);
        out[PUBKEY_LEN + 1] = F::from_canonical_u64(self.nonce);
        out
    }

    /// `hash_no_pad(pubkey ‖ balance ‖ nonce)`. Balances and nonces are range-limited (see
    /// [`crate::limits`]) so they are canonical field elements.
    pub fn leaf_hash(&self) -> Digest {
        PoseidonHash::hash_no_pad(&self.to_fields())
    }
}
