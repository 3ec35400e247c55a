//! The running hashes a block chains through its transactions; the circuit computes the same steps.

use plonky2::field::types::Field;
use plonky2::hash::hash_types::HashOut;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::plonk::config::Hasher;

use crate::account::PubKey;
use crate::tx::Tx;
use crate::{Digest, F};

/// Both running hashes start from the zero digest at the start of every block.
pub fn zero_digest() -> Digest {
    HashOut::ZERO
}

/// `h' = Poseidon(h ‖ tx encoding)`; padding leaves `h` unchanged.
pub fn tx_hash_step(h: Digest, tx: &Tx, key: &PubKey) -> Digest {
    if matches!(tx, Tx::Noop) {
        return h;
    }
    let mut input = h.elements.to_vec();
    input.extend_from_slice(&tx.encoding(key));
    PoseidonHash::hash_no_pad(&input)
}

/// `s' = Poseidon(s ‖ key ‖ signed message)` (`frispool_sig::running_hash`) for a transaction with a sender;
/// deposits and padding leave `s` unchanged. `key` is the sender's leaf key, as in [`tx_hash_step`].
pub fn sig_hash_step(s: Digest, tx: &Tx, key: &PubKey) -> Digest {
    match tx.signed_message() {
        Some(message) => frispool_sig::running_hash(&s, key, &message),
        None => s,
    }
}

/// `w' = Poseidon(w ‖ account ‖ amount)` for a withdrawal; anything else leaves `w` unchanged.
pub fn withdrawal_hash_step(w: Digest, tx: &Tx) -> Digest {
    match *tx {
        Tx::Withdrawal { from, amount, .. } => {
            let mut input = w.elements.to_vec();
            input.push(F::from_canonical_u32(from));
            input.push(F::from_canonical_u64(amount));
            PoseidonHash::hash_no_pad(&input)
        }
        _ => w,
    }
}
