//! The `main` circuit: [`MAIN_TXS_PER_INSTANCE`] slots chained from `state_in` to `state_out`.

use frispool_core::layout::{self, STATE_LEN};
use frispool_core::{circuit_config, cpu_backend, CircuitType, SharedBackend, C, D, F};
use frispool_rollup::limits::TREE_DEPTH;
use plonky2::field::types::Field;
use plonky2::iop::target::Target;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::CircuitData;
use plonky2::plonk::proof::ProofWithPublicInputs;

use super::slot::{ChainTargets, SlotField, SlotTargets};
use super::witness::{MainChunkWitness, SlotWitness};
use super::MAIN_TXS_PER_INSTANCE;
use crate::error::{BoxError, CircuitError};

/// Rows plonky2's `build` adds after the constructed gates (the public-input hash, constant gates): 54 slots
/// construct 8 139 gates and build to 2^13 rows, 53 rows short of full.
const BUILD_ROWS: usize = 32;

pub struct MainCircuit {
    pub data: CircuitData<F, C, D>,
    parts: MainTargets,
    backend: SharedBackend,
}

/// The targets the witness is assigned to.
pub struct MainTargets {
    block: Target,
    instance: Target,
    state_in: ChainTargets,
    slots: Vec<SlotTargets>,
}

impl MainCircuit {
    /// Builds the circuit; the same code always yields the same circuit (and verifier key).
    pub fn build() -> Self {
        Self::build_with_capacity(MAIN_TXS_PER_INSTANCE)
    }

    /// A circuit of `capacity` slots; the protocol uses [`MAIN_TXS_PER_INSTANCE`]. Other capacities exist to
    /// measure rows per slot.
    pub fn build_with_capacity(capacity: usize) -> Self {
        let (b, parts) = Self::construct(capacity);
        let data = b.build::<C>();
        Self { data, parts, backend: cpu_backend() }
    }

    /// The protocol's circuit around prover data loaded from disk (made by [`Self::build`] of the same
    /// code): only the construction runs, to recover the witness targets; the expensive `build` is skipped.
    pub fn from_data(data: CircuitData<F, C, D>) -> Result<Self, CircuitError> {
        let (b, parts) = Self::construct(MAIN_TXS_PER_INSTANCE);
        frispool_aggregation::check_construction("main", b, &data).map_err(CircuitError::from_loading)?;
        Ok(Self { data, parts, backend: cpu_backend() })
    }

    /// Gates the constraints of `capacity` slots take before plonky2 pads to a power of two (constants and
    /// the public-input hash not included): rows per slot is the difference of two capacities.
    pub fn gate_count(capacity: usize) -> usize {
        Self::construct(capacity).0.num_gates()
    }

    /// The most slots whose circuit fits `2^degree_bits` rows: [`MAIN_TXS_PER_INSTANCE`] for 2^13. Counts
    /// constructed gates only (no `build`), keeping [`BUILD_ROWS`] free for what `build` adds.
    pub fn capacity_for(degree_bits: usize) -> usize {
        let limit = (1usize << degree_bits).saturating_sub(BUILD_ROWS);
        let (one, two) = (Self::gate_count(1), Self::gate_count(2));
        // Slots are alike, so the count is linear up to arithmetic-gate packing; the loops settle the rest.
        let mut n = limit.saturating_sub(one) / (two - one) + 1;
        while n > 1 && Self::gate_count(n) > limit {
            n -= 1;
        }
        while Self::gate_count(n + 1) <= limit {
            n += 1;
        }
        n
    }

    fn construct(capacity: usize) -> (CircuitBuilder<F, D>, MainTargets) {
        let mut b = CircuitBuilder::<F, D>::new(circuit_config());
        let parts = MainTargets::define(&mut b, capacity);
        (b, parts)
    }

    /// Proves on `backend` from now on (every circuit starts on the CPU).
    pub fn use_backend(&mut self, backend: SharedBackend) {
        self.backend = backend;
    }

    pub fn capacity(&self) -> usize {
        self.parts.slots.len()
    }

    /// Proves one chunk. A chunk that breaks a rule fails here (witness generation or an unsatisfiable
    /// constraint), or yields a proof that [`MainCircuit::verify`] rejects.
    pub fn prove(&self, w: &MainChunkWitness) -> Result<ProofWithPublicInputs<F, C, D>, CircuitError> {
        let pw = self.witness(w)?;
        frispool_core::prove(&*self.backend, &self.data, pw).map_err(CircuitError::Prove)
    }

    /// Proves `w` with some slot fields forced to raw values first (`(slot, field, value)`): the witness a
    /// cheating prover can assign, which the typed witness cannot express. For negative tests and audits;
    /// the pipeline never calls it.
    pub fn prove_with_overrides(
        &self,
        w: &MainChunkWitness,
        overrides: &[(usize, SlotField, F)],
    ) -> Result<ProofWithPublicInputs<F, C, D>, CircuitError> {
        let mut pw = PartialWitness::new();
        for &(slot, field, value) in overrides {
            let t = self
                .parts
                .slots
                .get(slot)
                .ok_or(CircuitError::TooManySlots { got: slot + 1, capacity: self.capacity() })?;
            pw.set_target(t.target(field), value).map_err(|e| CircuitError::Witness(e.into()))?;
        }
        self.parts.fill_checked(&mut pw, w)?;
        frispool_core::prove(&*self.backend, &self.data, pw).map_err(CircuitError::Prove)
    }

    pub fn verify(&self, proof: &ProofWithPublicInputs<F, C, D>) -> Result<(), CircuitError> {
        self.data.verify(proof.clone()).map_err(|e| CircuitError::Verify(e.into()))
    }

    /// The partial witness [`Self::prove`] proves: every input target of the circuit set from `w` (the
    /// generators fill the rest). For backends and tests that prove it themselves.
    pub fn witness(&self, w: &MainChunkWitness) -> Result<PartialWitness<F>, CircuitError> {
        let mut pw = PartialWitness::new();
        self.parts.fill_checked(&mut pw, w)?;
        Ok(pw)
    }
}

impl MainTargets {
    /// `main`'s constraints on `b`. Public inputs in `layout::basic` order: type ‖ block ‖ instance ‖
    /// state_in ‖ state_out.
    pub(super) fn define(b: &mut CircuitBuilder<F, D>, capacity: usize) -> Self {
        let ty = b.constant(F::from_canonical_u64(CircuitType::MAIN.id()));
        b.register_public_input(ty);
        let block = b.add_virtual_public_input();
        let instance = b.add_virtual_public_input();
        let state_in = ChainTargets {
            root: b.add_virtual_hash_public_input(),
            tx_hash: b.add_virtual_hash_public_input(),
            withdrawals_hash: b.add_virtual_hash_public_input(),
            sig_hash: b.add_virtual_hash_public_input(),
        };
        let mut chain = state_in;
        let mut slots = Vec::with_capacity(capacity);
        for _ in 0..capacity {
            let (slot, next) = SlotTargets::build(b, chain);
            slots.push(slot);
            chain = next;
        }
        for h in [chain.root, chain.tx_hash, chain.withdrawals_hash, chain.sig_hash] {
            b.register_public_inputs(&h.elements);
        }
        debug_assert_eq!(b.num_public_inputs(), layout::basic::LEN);
        MainTargets { block, instance, state_in, slots }
    }

    pub(super) fn fill_checked(&self, pw: &mut PartialWitness<F>, w: &MainChunkWitness) -> Result<(), CircuitError> {
        if w.slots.len() > self.slots.len() {
            return Err(CircuitError::TooManySlots { got: w.slots.len(), capacity: self.slots.len() });
        }
        for (slot, s) in w.slots.iter().enumerate() {
            for (role, leaf) in [("sender", &s.sender), ("receiver", &s.receiver)] {
                if leaf.siblings.len() != TREE_DEPTH {
                    return Err(CircuitError::PathLength {
                        slot,
                        role,
                        got: leaf.siblings.len(),
                        expected: TREE_DEPTH,
                    });
                }
            }
        }
        self.fill(pw, w).map_err(CircuitError::Witness)
    }

    fn fill(&self, pw: &mut PartialWitness<F>, w: &MainChunkWitness) -> Result<(), BoxError> {
        pw.set_target(self.block, F::from_noncanonical_u64(w.block))?;
        pw.set_target(self.instance, F::from_noncanonical_u64(w.instance))?;
        pw.set_hash_target(self.state_in.root, w.state_in.root)?;
        pw.set_hash_target(self.state_in.tx_hash, w.state_in.tx_hash)?;
        pw.set_hash_target(self.state_in.withdrawals_hash, w.state_in.withdrawals_hash)?;
        pw.set_hash_target(self.state_in.sig_hash, w.state_in.sig_hash)?;
        let noop = SlotWitness::noop();
        for (i, targets) in self.slots.iter().enumerate() {
            targets.set(pw, w.slots.get(i).unwrap_or(&noop))?;
        }
        Ok(())
    }
}

/// The public inputs a `main` proof of `w` must carry: `layout::basic` with `w.expected_out` as state_out.
pub fn expected_public_inputs(w: &MainChunkWitness) -> Vec<F> {
    let mut out = Vec::with_capacity(layout::basic::LEN);
    out.push(F::from_canonical_u64(CircuitType::MAIN.id()));
    out.push(F::from_noncanonical_u64(w.block));
    out.push(F::from_noncanonical_u64(w.instance));
    out.extend(w.state_in.to_fields());
    out.extend(w.expected_out.to_fields());
    debug_assert_eq!(out.len(), 3 + 2 * STATE_LEN);
    out
}
