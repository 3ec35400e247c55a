//! The `sig` circuit: a fixed number of Schnorr verifications per instance, chained by a running hash of
//! (public key, signed message) in order.
//!
//! Public inputs ([`SIG_PUBLIC_INPUTS`] elements): the running hash before the instance ([`SIG_PI_START`])
//! and after it ([`SIG_PI_END`]). The hash step is [`running_hash`]: h' = Poseidon(h ‖ pk ‖ m), the same
//! function the `main` circuit will apply to the same pairs, so a block's `sig` instances chain
//! (instance i's end is instance i+1's start) and the scheduler can check that both types reached the same
//! value over the whole block. A slot past the instance's signatures is disabled: it verifies a fixed padding
//! signature (so its constraints hold unconditionally) and leaves the hash unchanged; enabled slots form a
//! prefix, so the chain is exactly the instance's pairs in order.
//!
//! Nothing here knows the pipeline: a caller builds the targets into its own builder and configuration
//! ([`build_sig_circuit`]) or uses [`SigCircuit`], fills a witness from native values ([`SigInstance`]), and
//! reads the public inputs through the layout constants.

use std::sync::OnceLock;

use plonky2::field::types::Field;
use plonky2::hash::hash_types::{HashOut, HashOutTarget};
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::target::{BoolTarget, Target};
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_data::{CircuitConfig, CircuitData};
use plonky2::plonk::config::{Hasher, PoseidonGoldilocksConfig};
use plonky2::plonk::proof::ProofWithPublicInputs;

use crate::circuit_fp5::{fp5_from_fields, witness_error, Builder};
use crate::circuit_schnorr::{verify_schnorr_circuit, PublicKeyTarget, SignatureTarget};
use crate::error::SigError;
use crate::field5::{Fp5, F};
use crate::schnorr::{Message, PublicKey, SecretKey, Signature, MESSAGE_LEN};

/// The hash configuration of the `sig` circuit's proofs (the pipeline's).
pub type SigConfig = PoseidonGoldilocksConfig;
/// A `sig` proof.
pub type SigProof = ProofWithPublicInputs<F, SigConfig, 2>;

/// Signatures per instance when the caller has no reason to pick another: 10 fill 94 % of 2^13 rows (about
/// 770 rows each, measured; see the crate doc), the size of the pipeline's other basic proofs.
pub const SIG_DEFAULT_CAPACITY: usize = 10;

/// Where the running hash before the instance sits in the public inputs.
pub const SIG_PI_START: core::ops::Range<usize> = 0..4;
/// Where the running hash after the instance sits.
pub const SIG_PI_END: core::ops::Range<usize> = 4..8;
/// Number of public inputs of a `sig` proof.
pub const SIG_PUBLIC_INPUTS: usize = 8;

/// One step of the chain: Poseidon(h ‖ encode(pk) ‖ m) over 4 + 5 + [`MESSAGE_LEN`] elements.
pub fn running_hash(prev: &HashOut<F>, public_key: &[F; 5], message: &Message) -> HashOut<F> {
    let input: Vec<F> = prev.elements.iter().chain(public_key).chain(message).copied().collect();
    PoseidonHash::hash_no_pad(&input)
}

/// The chain over pairs in order, from `start`.
pub fn chain_hash<'a>(start: HashOut<F>, pairs: impl IntoIterator<Item = (&'a [F; 5], &'a Message)>) -> HashOut<F> {
    pairs.into_iter().fold(start, |h, (pk, m)| running_hash(&h, pk, m))
}

/// One slot's witness in the raw form the circuit takes. [`SigSlot::new`] makes it from native values;
/// the fields are public so that a test can present what no native type would hold (a non-point key,
/// s >= n) and see the circuit refuse it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigSlot {
    /// The key's encoding w (hashed and chained).
    pub public_key: [F; 5],
    /// The hint x that makes (x, 1/w) a curve point.
    pub key_x: Fp5,
    pub message: Message,
    pub r: [F; 5],
    /// s as five little-endian 64-bit limbs.
    pub s: [u64; 5],
}

impl SigSlot {
    pub fn new(public_key: &PublicKey, message: &Message, signature: &Signature) -> Self {
        let p = public_key.point();
        let (_, s) = signature.to_parts();
        SigSlot { public_key: public_key.encoding(), key_x: p.x / p.z, message: *message, r: signature.r(), s }
    }

    /// The fixed slot that fills an instance's unused places: a valid signature under a key derived from a
    /// published seed (its secret is public, which is harmless: a padding slot authorises nothing, it is
    /// never hashed into the chain).
    pub fn padding() -> Self {
        static PADDING: OnceLock<SigSlot> = OnceLock::new();
        *PADDING.get_or_init(|| {
            let key = SecretKey::from_seed(*b"frispool sig circuit padding key");
            let message = [F::ZERO; MESSAGE_LEN];
            SigSlot::new(key.public_key(), &message, &key.sign(&message))
        })
    }
}

/// The witness of one instance: the chain's value before it, the slots, and the value claimed after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigInstance {
    pub start: HashOut<F>,
    pub slots: Vec<SigSlot>,
    /// `chain_hash(start, slots)` for an honest instance ([`SigInstance::new`]); the circuit refuses any other.
    pub end: HashOut<F>,
}

impl SigInstance {
    pub fn new(start: HashOut<F>, slots: Vec<SigSlot>) -> Self {
        let end = chain_hash(start, slots.iter().map(|s| (&s.public_key, &s.message)));
        SigInstance { start, slots, end }
    }
}

#[derive(Clone, Debug)]
struct SlotTargets {
    enabled: BoolTarget,
    public_key: PublicKeyTarget,
    message: [Target; MESSAGE_LEN],
    signature: SignatureTarget,
}

/// The targets of a `sig` instance inside some builder.
#[derive(Clone, Debug)]
pub struct SigCircuitTargets {
    start: HashOutTarget,
    end: HashOutTarget,
    slots: Vec<SlotTargets>,
}

/// Add a `sig` instance of `capacity` slots to `builder`, registering its [`SIG_PUBLIC_INPUTS`] public
/// inputs (start, then end) in the layout above.
pub fn build_sig_circuit(builder: &mut Builder, capacity: usize) -> SigCircuitTargets {
    let targets = build_sig_chain(builder, capacity);
    builder.register_public_inputs(&targets.start.elements);
    builder.register_public_inputs(&targets.end.elements);
    targets
}

/// The same constraints without public inputs: a caller with its own public-input layout (the pipeline's
/// `sig` circuit type) registers [`SigCircuitTargets::start`] and [`SigCircuitTargets::end`] where it wants.
pub fn build_sig_chain(builder: &mut Builder, capacity: usize) -> SigCircuitTargets {
    assert!(capacity > 0, "a sig instance needs at least one slot");
    let start = builder.add_virtual_hash();
    let end = builder.add_virtual_hash();
    let mut h = start;
    let mut prev_enabled = builder._true();
    let mut slots = Vec::with_capacity(capacity);
    for _ in 0..capacity {
        let enabled = builder.add_virtual_bool_target_safe();
        // Enabled slots form a prefix: enabled implies the previous one was.
        let gap = builder.arithmetic(F::NEG_ONE, F::ONE, enabled.target, prev_enabled.target, enabled.target);
        builder.assert_zero(gap);
        prev_enabled = enabled;

        let public_key = PublicKeyTarget::new_virtual(builder);
        let message: [Target; MESSAGE_LEN] = core::array::from_fn(|_| builder.add_virtual_target());
        let signature = SignatureTarget::new_virtual(builder);
        verify_schnorr_circuit(builder, &public_key, &message, &signature);

        let input: Vec<Target> = h.elements.iter().chain(&public_key.w.0).chain(&message).copied().collect();
        let next = builder.hash_n_to_hash_no_pad::<PoseidonHash>(input);
        h = HashOutTarget::from_vec((0..4).map(|i| builder.select(enabled, next.elements[i], h.elements[i])).collect());
        slots.push(SlotTargets { enabled, public_key, message, signature });
    }
    builder.connect_hashes(h, end);
    SigCircuitTargets { start, end, slots }
}

impl SigCircuitTargets {
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The running hash before the instance (public inputs [`SIG_PI_START`]).
    pub fn start(&self) -> HashOutTarget {
        self.start
    }

    /// The running hash after the instance (public inputs [`SIG_PI_END`]).
    pub fn end(&self) -> HashOutTarget {
        self.end
    }

    /// Fill the witness of `instance`; unused slots get [`SigSlot::padding`] and are disabled.
    pub fn set_witness(&self, pw: &mut PartialWitness<F>, instance: &SigInstance) -> Result<(), SigError> {
        if instance.slots.len() > self.capacity() {
            return Err(SigError::TooManySignatures { capacity: self.capacity(), got: instance.slots.len() });
        }
        pw.set_hash_target(self.start, instance.start).map_err(witness_error)?;
        pw.set_hash_target(self.end, instance.end).map_err(witness_error)?;
        for (i, t) in self.slots.iter().enumerate() {
            let slot = instance.slots.get(i).copied();
            pw.set_bool_target(t.enabled, slot.is_some()).map_err(witness_error)?;
            let slot = slot.unwrap_or_else(SigSlot::padding);
            t.public_key.set_raw(pw, &fp5_from_fields(slot.public_key), &slot.key_x)?;
            for (m, v) in t.message.iter().zip(slot.message) {
                pw.set_target(*m, v).map_err(witness_error)?;
            }
            t.signature.set_raw(pw, slot.r, slot.s)?;
        }
        Ok(())
    }
}

/// A built `sig` circuit with its targets.
pub struct SigCircuit {
    data: CircuitData<F, SigConfig, 2>,
    targets: SigCircuitTargets,
}

impl SigCircuit {
    /// The circuit of `capacity` signatures under `config` (the pipeline passes its own; tests use plonky2's
    /// standard recursion configuration).
    pub fn build(config: CircuitConfig, capacity: usize) -> Self {
        let mut builder = Builder::new(config);
        let targets = build_sig_circuit(&mut builder, capacity);
        SigCircuit { data: builder.build::<SigConfig>(), targets }
    }

    pub fn data(&self) -> &CircuitData<F, SigConfig, 2> {
        &self.data
    }

    pub fn targets(&self) -> &SigCircuitTargets {
        &self.targets
    }

    pub fn witness(&self, instance: &SigInstance) -> Result<PartialWitness<F>, SigError> {
        let mut pw = PartialWitness::new();
        self.targets.set_witness(&mut pw, instance)?;
        Ok(pw)
    }

    /// Prove an instance. An unsatisfiable witness is an error, including the cases where plonky2 panics
    /// instead of returning one.
    pub fn prove(&self, instance: &SigInstance) -> Result<SigProof, SigError> {
        let pw = self.witness(instance)?;
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.data.prove(pw)));
        match run {
            Ok(result) => result.map_err(|e| SigError::Prove(format!("{e:#}"))),
            Err(panic) => Err(SigError::Prove(panic_message(panic))),
        }
    }

    pub fn verify(&self, proof: &SigProof) -> Result<(), SigError> {
        self.data.verify(proof.clone()).map_err(|e| SigError::Prove(format!("verification: {e:#}")))
    }
}

fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "plonky2 panicked".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prefix rule on its own: slot 0 disabled and slot 1 enabled, with the end claiming exactly the chain
    /// over slot 1's pair — what the circuit would hash for that pattern — is refused. (The chain covers the
    /// enabled pairs in order either way; the rule keeps one witness per statement, as native `chunk` fills.)
    #[test]
    fn an_enabled_slot_after_a_disabled_one_is_refused() {
        let circuit = SigCircuit::build(CircuitConfig::standard_recursion_config(), 2);
        let key = SecretKey::from_seed([3; 32]);
        let message = [F::from_canonical_u64(11); MESSAGE_LEN];
        let slot = SigSlot::new(key.public_key(), &message, &key.sign(&message));
        let start = HashOut::ZERO;
        let end = chain_hash(start, [(&slot.public_key, &slot.message)]);
        let t = circuit.targets();
        let mut pw = PartialWitness::new();
        pw.set_hash_target(t.start, start).unwrap();
        pw.set_hash_target(t.end, end).unwrap();
        for (i, (enabled, s)) in [(false, SigSlot::padding()), (true, slot)].into_iter().enumerate() {
            let st = &t.slots[i];
            pw.set_bool_target(st.enabled, enabled).unwrap();
            st.public_key.set_raw(&mut pw, &fp5_from_fields(s.public_key), &s.key_x).unwrap();
            for (m, v) in st.message.iter().zip(s.message) {
                pw.set_target(*m, v).unwrap();
            }
            st.signature.set_raw(&mut pw, s.r, s.s).unwrap();
        }
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| circuit.data().prove(pw)));
        let accepted = matches!(run, Ok(Ok(ref proof)) if circuit.data().verify(proof.clone()).is_ok());
        assert!(!accepted, "a gap in the enabled slots was accepted");
        // The same slot enabled first is the honest instance, and proves.
        circuit.prove(&SigInstance::new(start, vec![slot])).expect("the prefix form proves");
    }
}
