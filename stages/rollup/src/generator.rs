//! A seeded generator of valid random blocks: deposits create accounts, then a mix of transfers and
//! withdrawals among them. The same seed and state give the same blocks, for demos, tests and benchmarks.
//!
//! Every account it creates gets the ECgFp5 key [`generated_key`] of its id, and every transfer and withdrawal
//! is signed with it. Those keys are derived from a public seed, so any generator (whatever its own seed, as
//! the sequencer reseeds one per block) can sign for any account a generator created; an account with another
//! key (a deposit from elsewhere) is never picked as a sender.

use std::collections::HashMap;

use frispool_sig::SecretKey;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::account::PubKey;
use crate::state::State;
use crate::tx::{SignedTx, Tx};

/// Keyed accounts the generator wants before it starts moving money around.
const MIN_ACCOUNTS: usize = 4;
const MAX_DEPOSIT: u64 = 1_000_000;

/// The public prefix of [`generated_key`]'s seeds; changing it changes every generated account's key.
const KEY_SEED_PREFIX: &[u8; 24] = b"frispool generated acct ";

/// The secret key of the generated account `index`: `SecretKey::from_seed(prefix ‖ index)`. Public by
/// construction (the demo, tests and benchmarks re-derive it), so it authorises nothing of value.
pub fn generated_key(index: u64) -> SecretKey {
    let mut seed = [0u8; 32];
    seed[..24].copy_from_slice(KEY_SEED_PREFIX);
    seed[24..].copy_from_slice(&index.to_le_bytes());
    SecretKey::from_seed(seed)
}

pub struct BlockGenerator {
    rng: ChaCha8Rng,
    /// [`generated_key`] of the accounts seen so far (deriving one is a scalar multiplication).
    keys: HashMap<u32, (SecretKey, PubKey)>,
}

impl BlockGenerator {
    pub fn new(seed: u64) -> Self {
        Self { rng: ChaCha8Rng::seed_from_u64(seed), keys: HashMap::new() }
    }

    fn key(&mut self, index: u32) -> &(SecretKey, PubKey) {
        self.keys.entry(index).or_insert_with(|| {
            let key = generated_key(index.into());
            let public = key.public_key().encoding();
            (key, public)
        })
    }

    /// `n` transactions that [`State::apply_block`] accepts on `state` (which is not changed).
    pub fn next_block(&mut self, state: &State, n: usize) -> Vec<SignedTx> {
        let mut shadow = state.clone();
        let mut known: Vec<u32> = shadow.accounts().map(|(i, _)| i).collect();
        known.sort_unstable();
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let tx = self.candidate(&shadow, &known);
            let tx = match tx.sender() {
                Some(from) => SignedTx::sign(tx, &self.key(from).0),
                None => SignedTx::unsigned(tx),
            };
            if shadow.apply_tx(&tx).is_ok() {
                for i in [tx.tx.sender(), tx.tx.receiver()].into_iter().flatten() {
                    if let Err(pos) = known.binary_search(&i) {
                        known.insert(pos, i);
                    }
                }
                out.push(tx);
            }
        }
        out
    }

    fn candidate(&mut self, shadow: &State, known: &[u32]) -> Tx {
        let mut senders = Vec::new();
        for &i in known {
            let a = shadow.account(i);
            if a.has_key() && a.balance > 0 && a.pubkey == self.key(i).1 {
                senders.push(i);
            }
        }
        let roll: f64 = self.rng.gen();
        if senders.len() < MIN_ACCOUNTS || roll < 0.2 {
            return self.deposit(shadow, known);
        }
        let from = senders[self.rng.gen_range(0..senders.len())];
        let sender = shadow.account(from);
        let amount = self.rng.gen_range(1..=sender.balance);
        if roll < 0.8 {
            let to =
                if self.rng.gen_bool(0.85) { known[self.rng.gen_range(0..known.len())] } else { self.fresh(known) };
            Tx::Transfer { from, to, amount, nonce: sender.nonce }
        } else {
            Tx::Withdrawal { from, amount, nonce: sender.nonce }
        }
    }

    fn deposit(&mut self, shadow: &State, known: &[u32]) -> Tx {
        let amount = self.rng.gen_range(1..=MAX_DEPOSIT);
        if !known.is_empty() && self.rng.gen_bool(0.3) {
            let to = known[self.rng.gen_range(0..known.len())];
            let existing = shadow.account(to);
            if existing.has_key() {
                return Tx::Deposit { to, amount, pubkey: existing.pubkey };
            }
        }
        let to = self.fresh(known);
        Tx::Deposit { to, amount, pubkey: self.key(to).1 }
    }

    fn fresh(&mut self, known: &[u32]) -> u32 {
        loop {
            let i: u32 = self.rng.gen();
            if known.binary_search(&i).is_err() {
                return i;
            }
        }
    }
}
