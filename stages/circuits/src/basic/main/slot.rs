//! The constraints of one transaction slot of `main`, and the assignment of its witness.
//!
//! A slot always has two roles: the *sender* (debited, nonce + 1; active for transfers and withdrawals) and
//! the *receiver* (credited, may take a deposit's key; active for deposits and transfers). Each role walks its
//! path twice (old leaf → must give the running root; new leaf → gives the next root). An inactive role checks
//! nothing and leaves the root as it was, so padding and the unused role of a deposit or withdrawal cost the same
//! rows as a transfer but change nothing.

use frispool_core::{D, F};
use frispool_rollup::limits::{AMOUNT_BITS, BALANCE_BITS, NONCE_BITS, TREE_DEPTH};
use frispool_rollup::PUBKEY_LEN;
use frispool_rollup::{TxKind, SIGNED_MESSAGE_DOMAIN};
use plonky2::field::types::Field;
use plonky2::hash::hash_types::HashOutTarget;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::target::{BoolTarget, Target};
use plonky2::iop::witness::{PartialWitness, Witness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;

use super::witness::{LeafWitness, SlotWitness};
use crate::basic::gadgets::{all_zero, connect_if, merkle_update, range_check_if, select_hash};
use crate::error::BoxError;

/// The four running values of `main` (`layout::main_state`).
#[derive(Clone, Copy, Debug)]
pub struct ChainTargets {
    pub root: HashOutTarget,
    pub tx_hash: HashOutTarget,
    pub withdrawals_hash: HashOutTarget,
    /// Over (sender key, signed message) of transfers and withdrawals: the `sig` type's chain.
    pub sig_hash: HashOutTarget,
}

#[derive(Clone, Debug)]
struct LeafTargets {
    pubkey: [Target; PUBKEY_LEN],
    balance: Target,
    nonce: Target,
    siblings: Vec<HashOutTarget>,
}

impl LeafTargets {
    fn new(b: &mut CircuitBuilder<F, D>) -> Self {
        Self {
            pubkey: b.add_virtual_target_arr(),
            balance: b.add_virtual_target(),
            nonce: b.add_virtual_target(),
            siblings: b.add_virtual_hashes(TREE_DEPTH),
        }
    }

    fn set(&self, pw: &mut PartialWitness<F>, w: &LeafWitness) -> Result<(), BoxError> {
        pw.set_target_arr(&self.pubkey, &w.account.pubkey)?;
        pw.set_target(self.balance, F::from_noncanonical_u64(w.account.balance))?;
        pw.set_target(self.nonce, F::from_noncanonical_u64(w.account.nonce))?;
        for (t, d) in self.siblings.iter().zip(&w.siblings) {
            pw.set_hash_target(*t, *d)?;
        }
        Ok(())
    }
}

fn leaf_hash(
    b: &mut CircuitBuilder<F, D>,
    pubkey: &[Target; PUBKEY_LEN],
    balance: Target,
    nonce: Target,
) -> HashOutTarget {
    let mut input = pubkey.to_vec();
    input.push(balance);
    input.push(nonce);
    b.hash_n_to_hash_no_pad::<PoseidonHash>(input)
}

/// One field of a slot's witness as a cheating prover may set it, with values the typed witness
/// ([`SlotWitness`]) cannot carry: two type flags at once, ids of 2^32 and more. Negative tests and audits
/// force these through [`super::MainCircuit::prove_with_overrides`] so that only the circuit can refuse them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotField {
    IsDeposit,
    IsTransfer,
    IsWithdrawal,
    From,
    To,
    Amount,
    Nonce,
}

/// The targets of one slot, kept to assign the witness.
#[derive(Clone, Debug)]
pub struct SlotTargets {
    is_deposit: BoolTarget,
    is_transfer: BoolTarget,
    is_withdrawal: BoolTarget,
    from: Target,
    to: Target,
    amount: Target,
    nonce: Target,
    key: [Target; PUBKEY_LEN],
    sender: LeafTargets,
    receiver: LeafTargets,
}

impl SlotTargets {
    /// Adds one slot's constraints, taking the chained values before it and returning them after it.
    pub fn build(b: &mut CircuitBuilder<F, D>, chain: ChainTargets) -> (Self, ChainTargets) {
        // Rule: the type is exactly one of noop / deposit / transfer / withdrawal.
        let is_deposit = b.add_virtual_bool_target_safe();
        let is_transfer = b.add_virtual_bool_target_safe();
        let is_withdrawal = b.add_virtual_bool_target_safe();
        let dep_or_tr = b.add(is_deposit.target, is_transfer.target);
        let any = b.add(dep_or_tr, is_withdrawal.target);
        let any = BoolTarget::new_unsafe(any);
        b.assert_bool(any);
        let sends = BoolTarget::new_unsafe(b.add(is_transfer.target, is_withdrawal.target));
        let receives = BoolTarget::new_unsafe(dep_or_tr);

        let from = b.add_virtual_target();
        let to = b.add_virtual_target();
        let amount = b.add_virtual_target();
        let nonce = b.add_virtual_target();
        let key: [Target; PUBKEY_LEN] = b.add_virtual_target_arr();
        // Ids are u32: splitting into 32 bits range-checks them and gives the path directions.
        let from_bits = b.split_le(from, TREE_DEPTH);
        let to_bits = b.split_le(to, TREE_DEPTH);
        // Rule: every amount is below 2^AMOUNT_BITS (padding carries 0).
        b.range_check(amount, AMOUNT_BITS);
        // Rule: every real transaction names a key (deposit key, or the sender's: no keyless sender).
        let key_zero = all_zero(b, &key);
        let bad_key = b.and(any, key_zero);
        b.assert_zero(bad_key.target);

        // Sender: nonce matches, key is the one hashed, balance - amount does not underflow, nonce + 1.
        let sender = LeafTargets::new(b);
        connect_if(b, sends.target, sender.nonce, nonce);
        for (&held, &claimed) in sender.pubkey.iter().zip(&key) {
            connect_if(b, sends.target, held, claimed);
        }
        let debited = b.sub(sender.balance, amount);
        range_check_if(b, sends.target, debited, BALANCE_BITS);
        let one = b.one();
        let bumped = b.add(sender.nonce, one);
        range_check_if(b, sends.target, bumped, NONCE_BITS);
        let old_leaf = leaf_hash(b, &sender.pubkey, sender.balance, sender.nonce);
        let new_leaf = leaf_hash(b, &sender.pubkey, debited, bumped);
        let (old_root, new_root) = merkle_update(b, old_leaf, new_leaf, &from_bits, &sender.siblings);
        for i in 0..4 {
            connect_if(b, sends.target, old_root.elements[i], chain.root.elements[i]);
        }
        let root_mid = select_hash(b, sends, new_root, chain.root);

        // Receiver: balance + amount does not overflow; a deposit to a keyless account installs its key, to a
        // keyed account must carry the same key.
        let receiver = LeafTargets::new(b);
        let fresh = all_zero(b, &receiver.pubkey);
        let not_fresh = b.not(fresh);
        let keyed_deposit = b.and(is_deposit, not_fresh);
        let mut new_key = [one; PUBKEY_LEN];
        for i in 0..PUBKEY_LEN {
            connect_if(b, keyed_deposit.target, receiver.pubkey[i], key[i]);
            new_key[i] = b.select(is_deposit, key[i], receiver.pubkey[i]);
        }
        let credited = b.add(receiver.balance, amount);
        range_check_if(b, receives.target, credited, BALANCE_BITS);
        let old_leaf = leaf_hash(b, &receiver.pubkey, receiver.balance, receiver.nonce);
        let new_leaf = leaf_hash(b, &new_key, credited, receiver.nonce);
        let (old_root, new_root) = merkle_update(b, old_leaf, new_leaf, &to_bits, &receiver.siblings);
        for i in 0..4 {
            connect_if(b, receives.target, old_root.elements[i], root_mid.elements[i]);
        }
        let root = select_hash(b, receives, new_root, root_mid);

        // Running hashes: h' = Poseidon(h ‖ kind ‖ from ‖ to ‖ amount ‖ nonce ‖ key), w' = Poseidon(w ‖ from ‖ amount).
        let two = b.two();
        let three = b.constant(F::from_canonical_u64(TxKind::Withdrawal.code()));
        let kind = b.mul_add(two, is_transfer.target, is_deposit.target);
        let kind = b.mul_add(three, is_withdrawal.target, kind);
        let mut enc = chain.tx_hash.elements.to_vec();
        enc.extend([kind, from, to, amount, nonce]);
        enc.extend(key);
        let hashed = b.hash_n_to_hash_no_pad::<PoseidonHash>(enc);
        let tx_hash = select_hash(b, any, hashed, chain.tx_hash);
        let mut wd = chain.withdrawals_hash.elements.to_vec();
        wd.extend([from, amount]);
        let hashed = b.hash_n_to_hash_no_pad::<PoseidonHash>(wd);
        let withdrawals_hash = select_hash(b, is_withdrawal, hashed, chain.withdrawals_hash);
        // s' = Poseidon(s ‖ key ‖ domain ‖ kind ‖ from ‖ to ‖ amount ‖ nonce) for a sender: the pair the
        // `sig` circuit verifies a signature of (`frispool_sig::running_hash` over `Tx::signed_message`),
        // under the key the sender's leaf holds (connected to `key` above).
        let domain = b.constant(F::from_canonical_u64(SIGNED_MESSAGE_DOMAIN));
        let mut pair = chain.sig_hash.elements.to_vec();
        pair.extend(key);
        pair.extend([domain, kind, from, to, amount, nonce]);
        let hashed = b.hash_n_to_hash_no_pad::<PoseidonHash>(pair);
        let sig_hash = select_hash(b, sends, hashed, chain.sig_hash);

        let targets =
            SlotTargets { is_deposit, is_transfer, is_withdrawal, from, to, amount, nonce, key, sender, receiver };
        (targets, ChainTargets { root, tx_hash, withdrawals_hash, sig_hash })
    }

    /// The target of one of the slot's own fields.
    pub fn target(&self, field: SlotField) -> Target {
        match field {
            SlotField::IsDeposit => self.is_deposit.target,
            SlotField::IsTransfer => self.is_transfer.target,
            SlotField::IsWithdrawal => self.is_withdrawal.target,
            SlotField::From => self.from,
            SlotField::To => self.to,
            SlotField::Amount => self.amount,
            SlotField::Nonce => self.nonce,
        }
    }

    /// Assigns `w`; a field already set in `pw` (an override) keeps its value.
    pub fn set(&self, pw: &mut PartialWitness<F>, w: &SlotWitness) -> Result<(), BoxError> {
        let flag = |b: bool| if b { F::ONE } else { F::ZERO };
        let fields = [
            (SlotField::IsDeposit, flag(w.tx.kind == TxKind::Deposit)),
            (SlotField::IsTransfer, flag(w.tx.kind == TxKind::Transfer)),
            (SlotField::IsWithdrawal, flag(w.tx.kind == TxKind::Withdrawal)),
            (SlotField::From, F::from_canonical_u32(w.tx.from)),
            (SlotField::To, F::from_canonical_u32(w.tx.to)),
            (SlotField::Amount, F::from_noncanonical_u64(w.tx.amount)),
            (SlotField::Nonce, F::from_noncanonical_u64(w.tx.nonce)),
        ];
        for (field, value) in fields {
            let t = self.target(field);
            if pw.try_get_target(t).is_none() {
                pw.set_target(t, value)?;
            }
        }
        pw.set_target_arr(&self.key, &w.key)?;
        self.sender.set(pw, &w.sender)?;
        self.receiver.set(pw, &w.receiver)
    }
}
