//! `sig` as a registered basic type: the Schnorr signatures of a block's transfers and withdrawals,
//! [`SigType::per_instance`] of them per instance (`frispool_sig::SigCircuit`'s slots), in transaction order.
//!
//! Chained state (`layout::STATE_LEN` elements): the running hash `h' = Poseidon(h ‖ encode(pk) ‖ m)` over
//! the block's (sender key, signed message) pairs in elements 0..4 (`frispool_sig::running_hash`), the rest
//! constant zero. `main` computes the same hash over the same pairs (`layout::main_state::SIG_HASH`), so the
//! scheduler's binding — the hash starts a block at zero and ends it equal to `main`'s — says that every
//! transaction `main` applied with a sender was signed by the key `main` read from the sender's leaf, and
//! nothing else was: a `sig` chain of another block, or one that skips, adds or reorders a pair, ends
//! elsewhere (ARCHITECTURE.md, "Adding a circuit type").

use frispool_core::layout::{main_state, DIGEST_LEN, STATE_LEN};
use frispool_core::{ChainBinding, CircuitType, D, F};
use frispool_rollup::{Digest, ExecutedBlock, PubKey, Signature};
use frispool_sig::{build_sig_chain, running_hash, Message, PublicKey, SigCircuitTargets, SigInstance, SigSlot};

use plonky2::field::types::Field;
use plonky2::iop::target::Target;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use serde::{Deserialize, Serialize};

use crate::error::CircuitError;
use crate::registry::BasicType;

/// The `sig` circuit type: id 2 (public input 0 of its proofs).
pub const SIG: CircuitType = CircuitType::new(2, "sig");

/// Signatures per `sig` instance in the protocol's registry: `frispool_sig::SIG_DEFAULT_CAPACITY`, 10, about
/// 770 rows each with the window-step gate, so an instance is 2^13 rows like `main`'s and every basic proof of
/// the default protocol has one shape.
pub const SIGS_PER_INSTANCE: usize = frispool_sig::SIG_DEFAULT_CAPACITY;

/// One signed transaction as a `sig` slot carries it: the key `main` hashed (the sender's leaf key), the
/// signed message, the signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigItem {
    pub public_key: PubKey,
    pub message: Message,
    pub signature: Signature,
}

/// What one `sig` instance proves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigWitness {
    pub block: u64,
    pub instance: u64,
    /// The running hash before the instance.
    pub start: Digest,
    pub items: Vec<SigItem>,
}

impl SigWitness {
    /// The running hash after the instance.
    pub fn end(&self) -> Digest {
        self.items.iter().fold(self.start, |h, i| running_hash(&h, &i.public_key, &i.message))
    }
}

/// `sig` with `per_instance` signatures an instance.
#[derive(Clone, Copy, Debug)]
pub struct SigType {
    per_instance: usize,
}

impl SigType {
    /// `per_instance` signatures per instance (at least one): [`SIGS_PER_INSTANCE`] in the protocol's registry.
    pub fn new(per_instance: usize) -> Self {
        Self { per_instance: per_instance.max(1) }
    }

    pub fn per_instance(&self) -> usize {
        self.per_instance
    }

    /// The instances of a block's items: chunks of `per_instance`, chained from the zero digest; one empty
    /// instance for a block without signatures (every type proves every block).
    pub fn chunk(&self, number: u64, items: &[SigItem]) -> Vec<SigWitness> {
        let mut out = Vec::new();
        let mut start = Digest::ZERO;
        for (i, chunk) in items.chunks(self.per_instance).enumerate() {
            let w = SigWitness { block: number, instance: i as u64, start, items: chunk.to_vec() };
            start = w.end();
            out.push(w);
        }
        if out.is_empty() {
            out.push(SigWitness { block: number, instance: 0, start, items: Vec::new() });
        }
        out
    }
}

pub struct SigTargets {
    block: Target,
    instance: Target,
    chain: SigCircuitTargets,
}

impl BasicType for SigType {
    type Witness = SigWitness;
    type Targets = SigTargets;

    fn circuit_type(&self) -> CircuitType {
        SIG
    }

    fn capacity(&self) -> usize {
        self.per_instance
    }

    /// The running hash starts every block at zero and ends it equal to `main`'s hash of the same pairs.
    fn binding(&self) -> ChainBinding {
        let own = 0..DIGEST_LEN;
        ChainBinding { fresh: own.clone(), agrees_with_main: own.map(|i| (i, main_state::SIG_HASH + i)).collect() }
    }

    fn instances(&self, block: &ExecutedBlock) -> Vec<SigWitness> {
        // An executed block's senders are signed (re-execution checks it); a hand-built one without a
        // signature gives no item for it, and its chain then disagrees with `main`'s at the scheduler.
        let items: Vec<SigItem> = block
            .txs
            .iter()
            .filter_map(|t| {
                Some(SigItem { public_key: t.key, message: t.tx.signed_message()?, signature: t.tx.signature? })
            })
            .collect();
        self.chunk(block.header.number, &items)
    }

    /// Public inputs (`layout::basic`): `2 ‖ block ‖ instance ‖ hash_in ‖ 0 … ‖ hash_out ‖ 0 …`.
    fn construct(&self, builder: &mut CircuitBuilder<F, D>) -> SigTargets {
        let ty = builder.constant(F::from_canonical_u64(SIG.id()));
        builder.register_public_input(ty);
        let block = builder.add_virtual_public_input();
        let instance = builder.add_virtual_public_input();
        let chain = build_sig_chain(builder, self.per_instance);
        let zero = builder.zero();
        for hash in [chain.start(), chain.end()] {
            builder.register_public_inputs(&hash.elements);
            for _ in DIGEST_LEN..STATE_LEN {
                builder.register_public_input(zero);
            }
        }
        SigTargets { block, instance, chain }
    }

    fn fill(&self, targets: &SigTargets, w: &SigWitness, pw: &mut PartialWitness<F>) -> Result<(), CircuitError> {
        pw.set_target(targets.block, F::from_noncanonical_u64(w.block)).map_err(|e| CircuitError::Witness(e.into()))?;
        pw.set_target(targets.instance, F::from_noncanonical_u64(w.instance))
            .map_err(|e| CircuitError::Witness(e.into()))?;
        let mut slots = Vec::with_capacity(w.items.len());
        for (slot, item) in w.items.iter().enumerate() {
            let bad = |source| CircuitError::SigItem { slot, source };
            let key = PublicKey::from_encoding(item.public_key).map_err(bad)?;
            let signature = item.signature.to_sig().map_err(bad)?;
            slots.push(SigSlot::new(&key, &item.message, &signature));
        }
        let instance = SigInstance::new(w.start, slots);
        targets.chain.set_witness(pw, &instance).map_err(|e| CircuitError::Witness(e.into()))
    }
}
