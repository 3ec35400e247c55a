//! A seeded generator of valid random blocks: deposits create accounts, then a mix of transfers and
//! withdrawals among them. The same seed and state give the same blocks, for demos, tests and benchmarks.
//!
//! Public keys are random non-zero field elements standing in for ECgFp5 keys until signatures land; blocks
//! carry no signatures.

use plonky2::field::types::{Field, Field64};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::account::{PubKey, PUBKEY_LEN};
use crate::state::State;
use crate::tx::{SignedTx, Tx};
use crate::F;

/// Keyed accounts the generator wants before it starts moving money around.
const MIN_ACCOUNTS: usize = 4;
const MAX_DEPOSIT: u64 = 1_000_000;

pub struct BlockGenerator {
    rng: ChaCha8Rng,
}

impl BlockGenerator {
    pub fn new(seed: u64) -> Self {
        Self { rng: ChaCha8Rng::seed_from_u64(seed) }
    }

    /// `n` transactions that [`State::apply_block`] accepts on `state` (which is not changed).
    pub fn next_block(&mut self, state: &State, n: usize) -> Vec<SignedTx> {
        let mut shadow = state.clone();
        let mut known: Vec<u32> = shadow.accounts().map(|(i, _)| i).collect();
        known.sort_unstable();
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let tx = self.candidate(&shadow, &known);
            if shadow.apply_tx(&tx).is_ok() {
                for i in [tx.sender(), tx.receiver()].into_iter().flatten() {
                    if let Err(pos) = known.binary_search(&i) {
                        known.insert(pos, i);
                    }
                }
                out.push(SignedTx::unsigned(tx));
            }
        }
        out
    }

    fn candidate(&mut self, shadow: &State, known: &[u32]) -> Tx {
        let senders: Vec<u32> = known
            .iter()
            .copied()
            .filter(|i| {
                let a = shadow.account(*i);
                a.has_key() && a.balance > 0
            })
            .collect();
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
        Tx::Deposit { to: self.fresh(known), amount, pubkey: self.key() }
    }

    fn fresh(&mut self, known: &[u32]) -> u32 {
        loop {
            let i: u32 = self.rng.gen();
            if known.binary_search(&i).is_err() {
                return i;
            }
        }
    }

    fn key(&mut self) -> PubKey {
        let mut key = [F::ZERO; PUBKEY_LEN];
        for k in &mut key {
            // Never zero, so a key is never the "no key" encoding.
            *k = F::from_canonical_u64(self.rng.gen_range(1..F::ORDER));
        }
        key
    }
}
