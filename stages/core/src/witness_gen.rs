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
//!
//! Levels: the recording run also gives each generator a level, one more than the highest level of the targets
//! it watches (inputs are level 0), and its outputs that level. Generators of one level read only what lower
//! levels set, so a replay runs each level's generators in parallel on the caller's rayon pool (each on its
//! own output buffer, against the witness as the lower levels left it) and then writes their outputs. That
//! takes the prover's idle threads into its witness, the largest serial step of a proof (BENCHMARKS.md,
//! "where the GPU provers' time went"). A generator that reads a target it does not watch could find it unset
//! there: it then reports "not finished" or panics, and either way this witness is replayed again in the
//! recorded order, one generator at a time, as every later witness of that circuit is.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use plonky2::field::types::PrimeField64;
use plonky2::iop::generator::GeneratedValues;
use plonky2::iop::target::Target;
use plonky2::iop::witness::{PartialWitness, PartitionWitness, WitnessWrite};
use plonky2::plonk::circuit_data::{CommonCircuitData, ProverOnlyCircuitData};
use rayon::prelude::*;

use crate::{poseidon_row, C, D, F};

/// What a circuit's recording run learnt (module comment).
struct Schedule {
    /// The generators in the order they finished: a replay one at a time.
    order: Vec<u32>,
    /// The same generators by level, lowest first: a replay level by level.
    levels: Vec<Vec<u32>>,
    /// Cleared when a levelled replay of this circuit failed: its later witnesses replay `order`.
    levelled: AtomicBool,
    /// Per generator: the gate row of a `PoseidonGenerator`, which a replay runs as [`poseidon_row::run`]
    /// (`NOT_POSEIDON` for every other generator, and for all under `FRISPOOL_WITNESS_POSEIDON=plonky2`).
    poseidon_rows: Vec<u32>,
}

const NOT_POSEIDON: u32 = u32::MAX;

/// `plonky2` runs plonky2's own `PoseidonGenerator` in replays too: the benchmark's A/B switch of
/// [`poseidon_row`].
pub const POSEIDON_SWITCH_VAR: &str = "FRISPOOL_WITNESS_POSEIDON";

fn poseidon_rows(prover: &ProverOnlyCircuitData<F, C, D>) -> Vec<u32> {
    static OFF: OnceLock<bool> = OnceLock::new();
    let off = *OFF.get_or_init(|| std::env::var(POSEIDON_SWITCH_VAR).as_deref() == Ok("plonky2"));
    prover
        .generators
        .iter()
        .map(|g| match poseidon_row::poseidon_row(g) {
            Some(row) if !off => row as u32,
            _ => NOT_POSEIDON,
        })
        .collect()
}

/// Generator `i` once against `witness` (its outputs into `buffer`): `false` when it is not ready, or when
/// there is no generator `i` (a schedule from another circuit).
fn run_one(
    prover: &ProverOnlyCircuitData<F, C, D>,
    rows: &[u32],
    i: u32,
    witness: &PartitionWitness<F>,
    buffer: &mut GeneratedValues<F>,
) -> bool {
    let i = i as usize;
    match (rows.get(i), prover.generators.get(i)) {
        (Some(&row), Some(_)) if row != NOT_POSEIDON => poseidon_row::run(witness, row as usize, buffer),
        (_, Some(generator)) => generator.0.run(witness, buffer),
        (_, None) => false,
    }
}

/// Schedules by circuit digest and generator count.
type Schedules = Mutex<HashMap<([u64; 4], usize), Arc<Schedule>>>;

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

/// `off` turns the replay off (plonky2's own loop on every witness), `serial` replays one generator at a time
/// (no levels): the benchmark's A/B switches.
pub const REPLAY_SWITCH_VAR: &str = "FRISPOOL_WITNESS_REPLAY";

#[derive(Clone, Copy, PartialEq, Eq)]
enum ReplayMode {
    Off,
    Serial,
    Levelled,
}

fn replay_mode() -> ReplayMode {
    static MODE: OnceLock<ReplayMode> = OnceLock::new();
    *MODE.get_or_init(|| match std::env::var(REPLAY_SWITCH_VAR).as_deref() {
        Ok("off") => ReplayMode::Off,
        Ok("serial") => ReplayMode::Serial,
        _ => ReplayMode::Levelled,
    })
}

/// A level with fewer generators than this runs on the calling thread: splitting it costs more than it saves.
const PARALLEL_LEVEL_MIN: usize = 64;

/// The full witness of `inputs`: what plonky2's `generate_partial_witness` returns, faster from a circuit's
/// second witness on (module comment).
pub fn generate_witness<'a>(
    inputs: PartialWitness<F>,
    prover: &'a ProverOnlyCircuitData<F, C, D>,
    common: &'a CommonCircuitData<F, D>,
) -> Result<PartitionWitness<'a, F>> {
    let mode = replay_mode();
    if mode == ReplayMode::Off {
        return plonky2::iop::generator::generate_partial_witness(inputs, prover, common).map_err(plonky2_err);
    }
    let known = schedules().lock().unwrap_or_else(|p| p.into_inner()).get(&key(prover)).cloned();
    if let Some(schedule) = known {
        let parallel = mode == ReplayMode::Levelled && rayon::current_num_threads() > 1;
        if parallel && schedule.levelled.load(Ordering::Relaxed) {
            match replay_levels(&inputs, prover, common, &schedule.levels, &schedule.poseidon_rows)? {
                Some(witness) => return Ok(witness),
                None => schedule.levelled.store(false, Ordering::Relaxed),
            }
        }
        if let Some(witness) = replay(&inputs, prover, common, &schedule.order, &schedule.poseidon_rows)? {
            return Ok(witness);
        }
    }
    let (witness, schedule) = record(inputs, prover, common)?;
    schedules().lock().unwrap_or_else(|p| p.into_inner()).insert(key(prover), Arc::new(schedule));
    Ok(witness)
}

/// Replaces the recorded schedule of `prover`'s circuit: for tests of the fallbacks (a wrong order or wrong
/// levels must still give plonky2's witness). Without `levels`, replays run `order` one generator at a time.
#[doc(hidden)]
pub fn set_schedule(prover: &ProverOnlyCircuitData<F, C, D>, order: Vec<u32>, levels: Option<Vec<Vec<u32>>>) {
    let levelled = AtomicBool::new(levels.is_some());
    let schedule =
        Schedule { order, levels: levels.unwrap_or_default(), levelled, poseidon_rows: poseidon_rows(prover) };
    schedules().lock().unwrap_or_else(|p| p.into_inner()).insert(key(prover), Arc::new(schedule));
}

/// The recorded levels of `prover`'s circuit, while its witnesses replay level by level (`None` before its first
/// witness here, and after a levelled replay of it failed): for the tests and the measurement of how wide the
/// levels are.
#[doc(hidden)]
pub fn schedule_levels(prover: &ProverOnlyCircuitData<F, C, D>) -> Option<Vec<Vec<u32>>> {
    let known = schedules().lock().unwrap_or_else(|p| p.into_inner()).get(&key(prover)).cloned()?;
    known.levelled.load(Ordering::Relaxed).then(|| known.levels.clone())
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
    rows: &[u32],
) -> Result<Option<PartitionWitness<'a, F>>> {
    if order.len() != prover.generators.len() {
        return Ok(None);
    }
    let mut witness = with_inputs(inputs, prover, common)?;
    let mut buffer = GeneratedValues::empty();
    for &i in order {
        if !run_one(prover, rows, i, &witness, &mut buffer) {
            return Ok(None);
        }
        for (t, v) in buffer.target_values.drain(..) {
            witness.set_target(t, v).map_err(plonky2_err)?;
        }
    }
    Ok(Some(witness))
}

/// Every generator once, level by level, each level's in parallel (module comment); `None` when one of them is
/// not ready or panics there: the caller replays the recorded order instead.
fn replay_levels<'a>(
    inputs: &PartialWitness<F>,
    prover: &'a ProverOnlyCircuitData<F, C, D>,
    common: &CommonCircuitData<F, D>,
    levels: &[Vec<u32>],
    rows: &[u32],
) -> Result<Option<PartitionWitness<'a, F>>> {
    let count: usize = levels.iter().map(Vec::len).sum();
    if count != prover.generators.len() {
        return Ok(None);
    }
    let mut witness = with_inputs(inputs, prover, common)?;
    let chunk = |n: usize| n.div_ceil(4 * rayon::current_num_threads()).max(16);
    for level in levels {
        let run = |ids: &[u32]| -> Option<Vec<(Target, F)>> {
            let mut buffer = GeneratedValues::empty();
            for &i in ids {
                if !run_one(prover, rows, i, &witness, &mut buffer) {
                    return None;
                }
            }
            Some(buffer.target_values)
        };
        let outputs: Option<Vec<Vec<(Target, F)>>> = if level.len() < PARALLEL_LEVEL_MIN {
            catch_unwind(AssertUnwindSafe(|| run(level))).ok().flatten().map(|v| vec![v])
        } else {
            catch_unwind(AssertUnwindSafe(|| level.par_chunks(chunk(level.len())).map(run).collect())).ok().flatten()
        };
        let Some(outputs) = outputs else { return Ok(None) };
        for (t, v) in outputs.into_iter().flatten() {
            witness.set_target(t, v).map_err(plonky2_err)?;
        }
    }
    Ok(Some(witness))
}

/// plonky2 1.1's `generate_partial_witness` loop, step for step, noting each generator as it finishes and
/// its level (one more than the highest level among the targets it watches; what it sets gets its level).
fn record<'a>(
    inputs: PartialWitness<F>,
    prover: &'a ProverOnlyCircuitData<F, C, D>,
    common: &CommonCircuitData<F, D>,
) -> Result<(PartitionWitness<'a, F>, Schedule)> {
    let generators = &prover.generators;
    let mut witness = with_inputs(&inputs, prover, common)?;
    let mut pending: Vec<usize> = (0..generators.len()).collect();
    let mut expired = vec![false; generators.len()];
    let mut order = Vec::with_capacity(generators.len());
    let mut level_of_rep = vec![0u32; witness.values.len()];
    let mut levels: Vec<Vec<u32>> = Vec::new();
    let mut buffer = GeneratedValues::empty();
    while !pending.is_empty() {
        let mut next = Vec::new();
        for &i in &pending {
            if expired[i] {
                continue;
            }
            let mut level = 0;
            if generators[i].0.run(&witness, &mut buffer) {
                expired[i] = true;
                order.push(i as u32);
                let watched = generators[i].0.watch_list();
                let rep = |t: &Target| witness.representative_map[t.index(witness.num_wires, witness.degree)];
                level = 1 + watched.iter().map(|t| level_of_rep[rep(t)]).max().unwrap_or(0);
                if levels.len() < level as usize {
                    levels.resize_with(level as usize, Vec::new);
                }
                levels[level as usize - 1].push(i as u32);
            }
            let mut new_reps = Vec::with_capacity(buffer.target_values.len());
            for (t, v) in buffer.target_values.drain(..) {
                new_reps.extend(witness.set_target_returning_rep(t, v).map_err(plonky2_err)?);
            }
            for &rep in &new_reps {
                level_of_rep[rep] = level;
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
    Ok((witness, Schedule { order, levels, levelled: AtomicBool::new(true), poseidon_rows: poseidon_rows(prover) }))
}
