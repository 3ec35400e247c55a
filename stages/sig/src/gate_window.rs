//! `WindowStepGate`: one step of the joint double-and-add, A' = 4 A + Q for a point A and an affine addend Q,
//! in one row.
//!
//! Why a custom gate: on plonky2's `ArithmeticGate` a GF(p^5) product is 25 operations (1.25 rows) and one step
//! (two doublings, one addition) took about 36 rows, 92 % of a signature's 6 540. Here every GF(p^5) value the
//! step needs is five wires of one row and every relation between them a constraint of degree at most 3, so the
//! 160 steps of a signature take 160 rows. The formulas are `curve.rs`'s (`Point::double`, `Point::add` with
//! Z2 = T2 = 1), rearranged so that few intermediates need wires:
//!
//! doubling (X, Z, U, T) → (X', Z', U', T'), with witnessed ztt, ztu, w1:
//!   ztt = Z T T, ztu = Z T U, w1 = ztt - 2 (X + Z) U^2,
//!   X' = 4 b ztu^2, Z' = w1^2, U' = 2 w1 ztu, T' = 2 ztt^2 - 4 ztu^2 - Z'
//! addition (X, Z, U, T) + (x, 1, u, 1) → (X3, Z3, U3, T3), with witnessed xx, uu, m:
//!   xx = X x, uu = U u, m = T (xx + b Z), xz = X + x Z, q = uu (2 b xz + 2 (xx + b Z)),
//!   r = (T + a uu)(xz + xx + b Z),
//!   X3 = b (r - m), Z3 = m - q, U3 = (U + u T)(b Z - xx), T3 = m + q
//!
//! (a = 2, b = 263 z.) Each "=" above is five constraints, one per limb, 105 in all. The row is full: 27 values
//! of five wires, 135 wires. Only A, Q and A' are copied to and from other gates (the first 50 wires, all routed).

use plonky2::field::extension::Extendable;
use plonky2::gates::gate::Gate;
use plonky2::gates::util::StridedConstraintConsumer;
use plonky2::hash::hash_types::RichField;
use plonky2::iop::ext_target::ExtensionTarget;
use plonky2::iop::generator::{GeneratedValues, SimpleGenerator, WitnessGeneratorRef};
use plonky2::iop::target::Target;
use plonky2::iop::witness::{PartitionWitness, Witness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::CommonCircuitData;
use plonky2::plonk::vars::{EvaluationTargets, EvaluationVars, EvaluationVarsBase};
use plonky2::util::serialization::{Buffer, IoResult, Read, Write};

use crate::circuit_fp5::{Builder, Fp5Target};
use crate::circuit_msm::AffineTarget;
use crate::circuit_point::PointTarget;
use crate::curve::{CURVE_A, CURVE_B_Z};
use crate::gate_ring::{add5, mul5, scale5, scale_z5, sub5, Fp5, InCircuit, Native, Ring};

/// The five-wire values of a row, in wire order (value i is wires 5 i .. 5 i + 5).
mod block {
    /// A = (X, Z, U, T), the point before the step.
    pub const A: usize = 0;
    /// Q = (x, u), the affine addend.
    pub const Q: usize = 4;
    /// A' = 4 A + Q, the point after the step.
    pub const OUT: usize = 6;
    /// The first doubling's ztt, ztu, w1; then 2A; then the second doubling's; then 4A.
    pub const DOUBLE_1: usize = 10;
    pub const A2: usize = 13;
    pub const DOUBLE_2: usize = 17;
    pub const A4: usize = 20;
    /// The addition's xx, uu, m.
    pub const ADD: usize = 24;
    pub const COUNT: usize = 27;
}

/// Values the generator reads: A and Q.
const INPUT_WIRES: usize = 5 * block::OUT;

/// How each formula's result is used: as a constraint against the wires, or assigned to them. `pinned` keeps
/// one value whatever its formula says (the tests' forger: every other value then follows from it).
enum Mode<E> {
    Constrain(Vec<E>),
    Assign { pinned: Option<(usize, Fp5<E>)> },
}

type Row<E> = [Fp5<E>; block::COUNT];

fn define<R: Ring>(r: &mut R, mode: &mut Mode<R::E>, row: &mut Row<R::E>, at: usize, value: Fp5<R::E>) {
    match mode {
        Mode::Constrain(out) => {
            for (wire, v) in row[at].into_iter().zip(value) {
                let c = r.sub(wire, v);
                out.push(c);
            }
        }
        Mode::Assign { pinned } => match pinned {
            Some((b, forged)) if *b == at => row[at] = *forged,
            _ => row[at] = value,
        },
    }
}

/// One doubling from the point at `from` into the point at `to`, with its witnessed values at `advice`.
fn double<R: Ring>(r: &mut R, mode: &mut Mode<R::E>, row: &mut Row<R::E>, from: usize, advice: usize, to: usize) {
    let [x, z, u, t] = [row[from], row[from + 1], row[from + 2], row[from + 3]];
    let zt = mul5(r, 1, z, t);
    let ztt = mul5(r, 1, zt, t);
    define(r, mode, row, advice, ztt);
    let ztu = mul5(r, 1, zt, u);
    define(r, mode, row, advice + 1, ztu);
    let u2 = mul5(r, 1, u, u);
    let x_plus_z = add5(r, x, z);
    let twice = mul5(r, 2, x_plus_z, u2);
    let w1 = sub5(r, row[advice], twice);
    define(r, mode, row, advice + 2, w1);
    let (ztt, ztu, w1) = (row[advice], row[advice + 1], row[advice + 2]);
    let ztu2 = mul5(r, 1, ztu, ztu);
    let x_out = scale_z5(r, 4 * CURVE_B_Z, ztu2);
    define(r, mode, row, to, x_out);
    let z_out = mul5(r, 1, w1, w1);
    define(r, mode, row, to + 1, z_out);
    let u_out = mul5(r, 2, w1, ztu);
    define(r, mode, row, to + 2, u_out);
    let ztt2 = mul5(r, 2, ztt, ztt);
    let four_ztu2 = scale5(r, 4, ztu2);
    let t_out = sub5(r, ztt2, four_ztu2);
    let t_out = sub5(r, t_out, row[to + 1]);
    define(r, mode, row, to + 3, t_out);
}

/// The addition of the affine Q to the point at A4, into OUT.
fn add_affine<R: Ring>(r: &mut R, mode: &mut Mode<R::E>, row: &mut Row<R::E>) {
    use block::{A4, ADD, OUT, Q};
    let [x1, z1, u1, t1] = [row[A4], row[A4 + 1], row[A4 + 2], row[A4 + 3]];
    let [x2, u2] = [row[Q], row[Q + 1]];
    let xx = mul5(r, 1, x1, x2);
    define(r, mode, row, ADD, xx);
    let uu = mul5(r, 1, u1, u2);
    define(r, mode, row, ADD + 1, uu);
    let (xx, uu) = (row[ADD], row[ADD + 1]);
    let b_z1 = scale_z5(r, CURVE_B_Z, z1);
    let k = add5(r, xx, b_z1);
    let m = mul5(r, 1, t1, k);
    define(r, mode, row, ADD + 2, m);
    let m = row[ADD + 2];
    // xz = x1 + x2 z1 (Z2 = 1); q = uu (2 b xz + 2 k); r = (t1 + a uu)(xz + k).
    let x2z1 = mul5(r, 1, x2, z1);
    let xz = add5(r, x1, x2z1);
    let two_b_xz = scale_z5(r, 2 * CURVE_B_Z, xz);
    let two_k = scale5(r, 2, k);
    let q_in = add5(r, two_b_xz, two_k);
    let q = mul5(r, 1, uu, q_in);
    let a_uu = scale5(r, CURVE_A, uu);
    let r1 = add5(r, t1, a_uu);
    let r2 = add5(r, xz, k);
    let rr = mul5(r, 1, r1, r2);
    let r_minus_m = sub5(r, rr, m);
    let x_out = scale_z5(r, CURVE_B_Z, r_minus_m);
    define(r, mode, row, OUT, x_out);
    let z_out = sub5(r, m, q);
    define(r, mode, row, OUT + 1, z_out);
    // ut = u1 + u2 t1 (T2 = 1).
    let u2t1 = mul5(r, 1, u2, t1);
    let ut = add5(r, u1, u2t1);
    let u_in = sub5(r, b_z1, xx);
    let u_out = mul5(r, 1, ut, u_in);
    define(r, mode, row, OUT + 2, u_out);
    let t_out = add5(r, m, q);
    define(r, mode, row, OUT + 3, t_out);
}

/// The whole step, every formula in a fixed order (the constraints' order in all three evaluations).
fn step<R: Ring>(r: &mut R, mode: &mut Mode<R::E>, row: &mut Row<R::E>) {
    double(r, mode, row, block::A, block::DOUBLE_1, block::A2);
    double(r, mode, row, block::A2, block::DOUBLE_2, block::A4);
    add_affine(r, mode, row);
}

/// The gate's [`WINDOW_STEP_CONSTRAINTS`] constraint values over the ring `r`, in plonky2's order, from the row's
/// wire values (`wire(i)` is local wire i). The one definition every evaluation calls.
pub fn window_step_constraints<R: Ring>(r: &mut R, wire: impl Fn(usize) -> R::E) -> Vec<R::E> {
    let mut row: Row<R::E> = core::array::from_fn(|b| core::array::from_fn(|l| wire(5 * b + l)));
    let mut mode = Mode::Constrain(Vec::with_capacity(NUM_CONSTRAINTS));
    step(r, &mut mode, &mut row);
    match mode {
        Mode::Constrain(out) => out,
        Mode::Assign { .. } => unreachable!(),
    }
}

/// 21 GF(p^5) relations (7 per doubling, 7 for the addition), five limbs each.
pub const WINDOW_STEP_CONSTRAINTS: usize = 105;
const NUM_CONSTRAINTS: usize = WINDOW_STEP_CONSTRAINTS;

/// The gate: no parameters, no constants.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WindowStepGate;

impl<F: RichField + Extendable<D>, const D: usize> Gate<F, D> for WindowStepGate {
    fn id(&self) -> String {
        "WindowStepGate".to_string()
    }

    fn serialize(&self, _dst: &mut Vec<u8>, _common_data: &CommonCircuitData<F, D>) -> IoResult<()> {
        Ok(())
    }

    fn deserialize(_src: &mut Buffer, _common_data: &CommonCircuitData<F, D>) -> IoResult<Self> {
        Ok(WindowStepGate)
    }

    fn eval_unfiltered(&self, vars: EvaluationVars<F, D>) -> Vec<F::Extension> {
        window_step_constraints(&mut Native::<F::Extension>::new(), |i| vars.local_wires[i])
    }

    fn eval_unfiltered_base_one(&self, vars: EvaluationVarsBase<F>, mut yield_constr: StridedConstraintConsumer<F>) {
        for c in window_step_constraints(&mut Native::<F>::new(), |i| vars.local_wires[i]) {
            yield_constr.one(c);
        }
    }

    fn eval_unfiltered_circuit(
        &self,
        builder: &mut CircuitBuilder<F, D>,
        vars: EvaluationTargets<D>,
    ) -> Vec<ExtensionTarget<D>> {
        window_step_constraints(&mut InCircuit(builder), |i| vars.local_wires[i])
    }

    fn generators(&self, row: usize, _local_constants: &[F]) -> Vec<WitnessGeneratorRef<F, D>> {
        vec![WitnessGeneratorRef::new(WindowStepGenerator { row }.adapter())]
    }

    fn num_wires(&self) -> usize {
        5 * block::COUNT
    }

    fn num_constants(&self) -> usize {
        0
    }

    fn degree(&self) -> usize {
        3
    }

    fn num_constraints(&self) -> usize {
        NUM_CONSTRAINTS
    }
}

/// Computes a step row's values from A and Q with the same formulas.
#[derive(Clone, Debug, Default)]
pub struct WindowStepGenerator {
    row: usize,
}

impl<F: RichField + Extendable<D>, const D: usize> SimpleGenerator<F, D> for WindowStepGenerator {
    fn id(&self) -> String {
        "WindowStepGenerator".to_string()
    }

    fn dependencies(&self) -> Vec<Target> {
        (0..INPUT_WIRES).map(|c| Target::wire(self.row, c)).collect()
    }

    fn run_once(&self, witness: &PartitionWitness<F>, out_buffer: &mut GeneratedValues<F>) -> anyhow::Result<()> {
        let mut row: Row<F> = [[F::ZERO; 5]; block::COUNT];
        for c in 0..INPUT_WIRES {
            row[c / 5][c % 5] = witness.get_target(Target::wire(self.row, c));
        }
        step(&mut Native::<F>::new(), &mut Mode::Assign { pinned: None }, &mut row);
        for c in INPUT_WIRES..5 * block::COUNT {
            out_buffer.set_target(Target::wire(self.row, c), row[c / 5][c % 5])?;
        }
        Ok(())
    }

    fn serialize(&self, dst: &mut Vec<u8>, _common_data: &CommonCircuitData<F, D>) -> IoResult<()> {
        dst.write_usize(self.row)
    }

    fn deserialize(src: &mut Buffer, _common_data: &CommonCircuitData<F, D>) -> IoResult<Self> {
        Ok(WindowStepGenerator { row: src.read_usize()? })
    }
}

/// 4 A + Q in one `WindowStepGate` row.
pub fn window_step(builder: &mut Builder, a: &PointTarget, q: &AffineTarget) -> PointTarget {
    let row = builder.add_gate(WindowStepGate, vec![]);
    let value = |b: usize| Fp5Target(core::array::from_fn(|l| Target::wire(row, 5 * b + l)));
    for (b, v) in [a.x, a.z, a.u, a.t, q.x, q.u].iter().enumerate() {
        value(block::A + b).connect(builder, v);
    }
    PointTarget { x: value(block::OUT), z: value(block::OUT + 1), u: value(block::OUT + 2), t: value(block::OUT + 3) }
}

#[cfg(test)]
mod tests {
    use plonky2::field::types::{Field, Sample};
    use plonky2::gates::gate_testing::{test_eval_fns, test_low_degree};
    use plonky2::plonk::config::PoseidonGoldilocksConfig;

    use super::*;
    use crate::curve::Point;
    use crate::field5::{Fp5 as NativeFp5, F};
    use crate::scalar::Scalar;

    fn random_point(seed: u64) -> Point {
        Point::mul_generator(&Scalar::from_limbs_reduce(&[seed.wrapping_mul(0x9E37_79B9_7F4A_7C15), seed, 3]))
    }

    /// A row for A = `a` (any representative) and the affine Q = `q`, every other value computed, with one value
    /// forged if `pinned` says so.
    fn row_of(a: &Point, q: &Point, pinned: Option<(usize, [F; 5])>) -> Row<F> {
        let mut row: Row<F> = [[F::ZERO; 5]; block::COUNT];
        row[block::A..block::A + 4].copy_from_slice(&[a.x.0, a.z.0, a.u.0, a.t.0]);
        let (qx, qu) = (q.x / q.z, q.u / q.t);
        row[block::Q] = qx.0;
        row[block::Q + 1] = qu.0;
        step(&mut Native::<F>::new(), &mut Mode::Assign { pinned }, &mut row);
        row
    }

    fn point_at(row: &Row<F>, b: usize) -> Point {
        let v = |i: usize| plonky2::field::extension::quintic::QuinticExtension(row[b + i]);
        Point { x: v(0), z: v(1), u: v(2), t: v(3) }
    }

    #[test]
    fn plonky2s_gate_checks_pass() {
        test_low_degree::<F, _, 2>(WindowStepGate);
        test_eval_fns::<F, PoseidonGoldilocksConfig, _, 2>(WindowStepGate).unwrap();
    }

    /// The generator's A' is 4 A + Q as `curve.rs` computes it, and every constraint holds on its row, for
    /// random points, a projective A and the neutral as either input.
    #[test]
    fn a_step_is_four_a_plus_q() {
        let mut cases = vec![(Point::NEUTRAL, random_point(5)), (random_point(6), Point::NEUTRAL)];
        for seed in 0..6 {
            let a = random_point(seed + 10);
            // The same point with Z and T scaled: the formulas are projective in A.
            let (sz, st) = (NativeFp5::rand(), NativeFp5::rand());
            let a = if seed % 2 == 0 { a } else { Point { x: a.x * sz, z: a.z * sz, u: a.u * st, t: a.t * st } };
            cases.push((a, random_point(seed + 100)));
        }
        for (i, (a, q)) in cases.iter().enumerate() {
            let row = row_of(a, q, None);
            let expected = a.double().double().add(q);
            assert!(point_at(&row, block::OUT) == expected, "case {i}");
            let c = window_step_constraints(&mut Native::<F>::new(), |w| row[w / 5][w % 5]);
            assert_eq!(c.len(), NUM_CONSTRAINTS);
            assert!(c.iter().all(|v| *v == F::ZERO), "case {i}");
        }
    }

    /// Every value the gate computes is bound by its own constraint: forge it, let every later value follow the
    /// forgery, and some constraint fails (deleting that value's five constraints makes this test fail).
    #[test]
    fn each_computed_value_is_constrained() {
        let (a, q) = (random_point(1), random_point(2));
        for b in block::OUT..block::COUNT {
            let honest = row_of(&a, &q, None);
            let mut forged = honest[b];
            forged[(b * 3) % 5] += F::ONE;
            let row = row_of(&a, &q, Some((b, forged)));
            let c = window_step_constraints(&mut Native::<F>::new(), |w| row[w / 5][w % 5]);
            assert!(c.iter().any(|v| *v != F::ZERO), "value {b} forged and nothing failed");
        }
    }
}
