//! A Poseidon gate's witness, written with the permutation's fast layers.
//!
//! plonky2's `PoseidonGenerator` computes a gate's wires with the extension-field-generic layers
//! (`mds_layer_field`, `sbox_layer_field`, `mds_partial_layer_fast_field`). Profiled on `main`'s witness,
//! those generic layers take about 40 % of the time: `mds_layer_field` alone is 27 %, since it does 144
//! general field multiplications where plonky2's `mds_layer` adds small-constant shifts.
//!
//! The replay (`witness_gen.rs`) runs [`run`] instead for every `PoseidonGenerator`. It makes the same
//! steps in the same order, with each `_field` layer replaced by its base-field twin. So every wire
//! gets the same field element. The witness tests compare the whole witness with plonky2's, and would
//! fail on any slip.
//!
//! The wire layout is plonky2 1.1's `PoseidonGate` (`gates/poseidon.rs`), whose index functions are
//! private: inputs 0..12, outputs 12..24, swap 24, deltas 25..29, then the S-box inputs of full rounds
//! 1..4, the 22 partial rounds, and the second half's 4 full rounds (135 wires).

use plonky2::field::types::Field;
use plonky2::hash::poseidon::{Poseidon, HALF_N_FULL_ROUNDS, N_PARTIAL_ROUNDS, SPONGE_WIDTH};
use plonky2::iop::generator::{GeneratedValues, WitnessGeneratorRef};
use plonky2::iop::target::Target;
use plonky2::iop::wire::Wire;
use plonky2::iop::witness::{PartitionWitness, Witness, WitnessWrite};

use crate::{D, F};

const SWAP: usize = 2 * SPONGE_WIDTH;
const DELTA: usize = SWAP + 1;
const FULL_0: usize = DELTA + 4;
const PARTIAL: usize = FULL_0 + SPONGE_WIDTH * (HALF_N_FULL_ROUNDS - 1);
const FULL_1: usize = PARTIAL + N_PARTIAL_ROUNDS;

/// The gate row of `generator` when it is plonky2's `PoseidonGenerator` (its first dependency is the
/// row's input wire 0), else `None`.
pub(crate) fn poseidon_row(generator: &WitnessGeneratorRef<F, D>) -> Option<usize> {
    if generator.0.id() != "PoseidonGenerator" {
        return None;
    }
    match generator.0.watch_list().first() {
        Some(Target::Wire(Wire { row, column: 0 })) => Some(*row),
        _ => None,
    }
}

/// plonky2's `PoseidonGenerator::run_once` for the gate at `row`, with the base-field layers. `false`
/// when an input wire is not known yet (as plonky2's generator reports it).
pub(crate) fn run(witness: &PartitionWitness<F>, row: usize, out: &mut GeneratedValues<F>) -> bool {
    let wire = |column| Wire { row, column };
    let mut state = [F::ZERO; SPONGE_WIDTH];
    for (i, s) in state.iter_mut().enumerate() {
        match witness.try_get_wire(wire(i)) {
            Some(v) => *s = v,
            None => return false,
        }
    }
    let Some(swap) = witness.try_get_wire(wire(SWAP)) else { return false };
    let mut set = |column, value| out.set_wire(wire(column), value).is_ok();
    let mut ok = true;
    for i in 0..4 {
        ok &= set(DELTA + i, swap * (state[i + 4] - state[i]));
    }
    if swap == F::ONE {
        for i in 0..4 {
            state.swap(i, 4 + i);
        }
    }
    let mut round_ctr = 0;
    for r in 0..HALF_N_FULL_ROUNDS {
        <F as Poseidon>::constant_layer(&mut state, round_ctr);
        if r != 0 {
            for (i, &v) in state.iter().enumerate() {
                ok &= set(FULL_0 + SPONGE_WIDTH * (r - 1) + i, v);
            }
        }
        <F as Poseidon>::sbox_layer(&mut state);
        state = <F as Poseidon>::mds_layer(&state);
        round_ctr += 1;
    }
    <F as Poseidon>::partial_first_constant_layer(&mut state);
    state = <F as Poseidon>::mds_partial_layer_init(&state);
    for r in 0..N_PARTIAL_ROUNDS {
        ok &= set(PARTIAL + r, state[0]);
        state[0] = <F as Poseidon>::sbox_monomial(state[0]);
        if r + 1 < N_PARTIAL_ROUNDS {
            state[0] += F::from_canonical_u64(<F as Poseidon>::FAST_PARTIAL_ROUND_CONSTANTS[r]);
        }
        state = <F as Poseidon>::mds_partial_layer_fast(&state, r);
    }
    round_ctr += N_PARTIAL_ROUNDS;
    for r in 0..HALF_N_FULL_ROUNDS {
        <F as Poseidon>::constant_layer(&mut state, round_ctr);
        for (i, &v) in state.iter().enumerate() {
            ok &= set(FULL_1 + SPONGE_WIDTH * r + i, v);
        }
        <F as Poseidon>::sbox_layer(&mut state);
        state = <F as Poseidon>::mds_layer(&state);
        round_ctr += 1;
    }
    for (i, &v) in state.iter().enumerate() {
        ok &= set(SPONGE_WIDTH + i, v);
    }
    ok
}
