//! Witness generation with a replayed schedule: plonky2's `generate_partial_witness`, minus its search.
//!
//! plonky2 starts with every generator pending, runs each one, and re-queues a generator whenever a target
//! it watches gets a value (a hash-map lookup per new target); most first runs find their inputs missing
//! and return "not finished". In a frispool prover that is up to half of a proof's host time (BENCHMARKS.md,
//! "where the GPU provers' time went"). But whether a generator can run depends only on which targets are
//! set, never on their values, so the order in which generators finish is the same for every witness of a
//! circuit. The first proof of a circuit runs plonky2's algorithm (a copy of it that records that order);
//! every later one runs the generators in the recorded order, each once, with no watch lists.
//!
//! Why it is safe: a replayed generator that finds an input missing returns "not finished" exactly as in
//! plonky2's loop, and then the whole witness is generated again by the recording algorithm (and the new
//! order replaces the old). A generator computes the same values in either order, and a conflicting value
//! is the same error as plonky2's. So the result equals `generate_partial_witness`'s target for target;
//! `tests/witness_gen.rs` checks it on circuits whose generators become ready in several rounds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use plonky2::field::types::PrimeField64;
use plonky2::iop::generator::GeneratedValues;
use plonky2::iop::witness::{PartialWitness, PartitionWitness, WitnessWrite};
use plonky2::plonk::circuit_data::{CommonCircuitData, ProverOnlyCircuitData};

use crate::{C, D, F};

/// A circuit's generators in the order they finished, by circuit digest and generator count.
type Schedules = Mutex<HashMap<([u64; 4], usize), Arc<Vec<u32>>>>;

/// Why a witness could not be generated: plonky2's own message (a target set to two values, generators
/// that never became ready).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct WitnessGenError(pub String);

type Result<T> = std::result::Result<T, WitnessGenError>;

fn plonky2_err(e: impl std::fmt::Display) -> WitnessGenError {
    WitnessGenError(format!("{e:#}"))
}

fn schedules() -> &'static Schedules {
    static SCHEDULES: OnceLock<Schedules> = OnceLock::new();
    SCHEDULES.get_or_init(Default::default)
}

fn key(prover: &ProverOnlyCircuitData<F, C, D>) -> ([u64; 4], usize) {
    let d = prover.circuit_digest.elements.map(|e| e.to_canonical_u64());
    (d, prover.generators.len())
}

/// `off` turns the replay off (plonky2's own loop on every witness): the benchmark's A/B switch.
pub const REPLAY_SWITCH_VAR: &str = "FRISPOOL_WITNESS_REPLAY";

fn replay_on() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var(REPLAY_SWITCH_VAR).map_or(true, |v| v != "off"))
}

/// The full witness of `inputs`: what plonky2's `generate_partial_witness` returns, faster from a circuit's
/// second witness on (module comment).
pub fn generate_witness<'a>(
    inputs: PartialWitness<F>,
    prover: &'a ProverOnlyCircuitData<F, C, D>,
    common: &'a CommonCircuitData<F, D>,
) -> Result<PartitionWitness<'a, F>> {
    if !replay_on() {
        return plonky2::iop::generator::generate_partial_witness(inputs, prover, common).map_err(plonky2_err);
    }
    let known = schedules().lock().unwrap_or_else(|p| p.into_inner()).get(&key(prover)).cloned();
    if let Some(order) = known {
        if let Some(witness) = replay(&inputs, prover, common, &order)? {
            return Ok(witness);
        }
    }
    let (witness, order) = record(inputs, prover, common)?;
    schedules().lock().unwrap_or_else(|p| p.into_inner()).insert(key(prover), Arc::new(order));
    Ok(witness)
}

/// Replaces the recorded order of `prover`'s circuit: for tests of the fallback (a wrong order must still give
/// plonky2's witness).
#[doc(hidden)]
pub fn set_schedule(prover: &ProverOnlyCircuitData<F, C, D>, order: Vec<u32>) {
    schedules().lock().unwrap_or_else(|p| p.into_inner()).insert(key(prover), Arc::new(order));
}

fn with_inputs<'a>(
    inputs: &PartialWitness<F>,
    prover: &'a ProverOnlyCircuitData<F, C, D>,
    common: &CommonCircuitData<F, D>,
) -> Result<PartitionWitness<'a, F>> {
    let mut witness = PartitionWitness::new(common.config.num_wires, common.degree(), &prover.representative_map);
    for (&t, &v) in &inputs.target_values {
        witness.set_target(t, v).map_err(plonky2_err)?;
    }
    Ok(witness)
}

/// Every generator once, in `order`; `None` when one of them is not ready there (a schedule from other
/// data than this circuit's): the caller records a new one.
fn replay<'a>(
    inputs: &PartialWitness<F>,
    prover: &'a ProverOnlyCircuitData<F, C, D>,
    common: &CommonCircuitData<F, D>,
    order: &[u32],
) -> Result<Option<PartitionWitness<'a, F>>> {
    if order.len() != prover.generators.len() {
        return Ok(None);
    }
    let mut witness = with_inputs(inputs, prover, common)?;
    let mut buffer = GeneratedValues::empty();
    for &i in order {
        let Some(generator) = prover.generators.get(i as usize) else { return Ok(None) };
        if !generator.0.run(&witness, &mut buffer) {
            return Ok(None);
        }
        for (t, v) in buffer.target_values.drain(..) {
            witness.set_target(t, v).map_err(plonky2_err)?;
        }
    }
    Ok(Some(witness))
}

/// plonky2 1.1's `generate_partial_witness` loop, step for step, noting each generator as it finishes.
fn record<'a>(
    inputs: PartialWitness<F>,
    prover: &'a ProverOnlyCircuitData<F, C, D>,
    common: &CommonCircuitData<F, D>,
) -> Result<(PartitionWitness<'a, F>, Vec<u32>)> {
    let generators = &prover.generators;
    let mut witness = with_inputs(&inputs, prover, common)?;
    let mut pending: Vec<usize> = (0..generators.len()).collect();
    let mut expired = vec![false; generators.len()];
    let mut order = Vec::with_capacity(generators.len());
    let mut buffer = GeneratedValues::empty();
    while !pending.is_empty() {
        let mut next = Vec::new();
        for &i in &pending {
            if expired[i] {
                continue;
            }
            if generators[i].0.run(&witness, &mut buffer) {
                expired[i] = true;
                order.push(i as u32);
            }
            let mut new_reps = Vec::with_capacity(buffer.target_values.len());
            for (t, v) in buffer.target_values.drain(..) {
                new_reps.extend(witness.set_target_returning_rep(t, v).map_err(plonky2_err)?);
            }
            for rep in new_reps {
                if let Some(watchers) = prover.generator_indices_by_watches.get(&rep) {
                    next.extend(watchers.iter().copied().filter(|&w| !expired[w]));
                }
            }
        }
        pending = next;
    }
    if order.len() != generators.len() {
        return Err(WitnessGenError(format!("{} generators weren't run", generators.len() - order.len())));
    }
    Ok((witness, order))
}
