//! frispool-sig's `WindowStepGate` (A' = 4 A + Q in one row, the `sig` circuit's custom gate) as straight-line
//! CUDA for the quotient kernel.
//!
//! The gate's constraints are defined once, over `frispool_sig::Ring`, for plonky2's three evaluations and the
//! witness generator. Here the same definition runs over a fourth ring whose elements are C expressions: every
//! ring operation appends one `const u64 tN = ...;` line, and the constraint values come out as `EMIT(j, tN)` in
//! the order the gate yields them to plonky2's `eval_unfiltered_base_one`. So the kernel cannot drift from the
//! gate: a changed formula changes the emitted code.

use std::fmt::Write as _;

/// A value of the emitted code: one of the row's wires, a temporary, or zero (what `Ring::zero` starts sums
/// with; folded away so no line adds zero).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    Zero,
    Wire(usize),
    Temp(usize),
}

impl Value {
    fn c(self) -> String {
        match self {
            Value::Zero => "0ULL".into(),
            Value::Wire(i) => format!("W[{i}]"),
            Value::Temp(t) => format!("t{t}"),
        }
    }
}

/// The ring of C expressions: `code` holds one line per operation.
#[derive(Default)]
struct CudaRing {
    code: String,
    temps: usize,
}

impl CudaRing {
    fn temp(&mut self, expr: String) -> Value {
        let t = self.temps;
        self.temps += 1;
        let _ = writeln!(self.code, "        const u64 t{t} = {expr};");
        Value::Temp(t)
    }
}

impl frispool_sig::Ring for CudaRing {
    type E = Value;

    fn zero(&mut self) -> Value {
        Value::Zero
    }

    fn add(&mut self, a: Value, b: Value) -> Value {
        match (a, b) {
            (Value::Zero, x) | (x, Value::Zero) => x,
            _ => self.temp(format!("gl_add({}, {})", a.c(), b.c())),
        }
    }

    fn sub(&mut self, a: Value, b: Value) -> Value {
        match (a, b) {
            (x, Value::Zero) => x,
            _ => self.temp(format!("gl_sub({}, {})", a.c(), b.c())),
        }
    }

    fn mul_add(&mut self, k: u64, a: Value, b: Value, c: Value) -> Value {
        if a == Value::Zero || b == Value::Zero {
            return c;
        }
        let mut p = format!("gl_mul({}, {})", a.c(), b.c());
        if k != 1 {
            p = format!("gl_mul({p}, {}ULL)", reduce(k));
        }
        match c {
            Value::Zero => self.temp(p),
            c => self.temp(format!("gl_add({p}, {})", c.c())),
        }
    }

    fn scale(&mut self, k: u64, a: Value) -> Value {
        match (k, a) {
            (_, Value::Zero) | (0, _) => Value::Zero,
            (1, a) => a,
            (k, a) => self.temp(format!("gl_mul({}, {}ULL)", a.c(), reduce(k))),
        }
    }
}

/// A constant as a canonical field element (the gate's constants are small, but `gl_mul` wants < p).
fn reduce(k: u64) -> u64 {
    k % 0xFFFF_FFFF_0000_0001
}

/// The gate's constraints as one C block: reads the row's wires `W[...]`, hands constraint j to `EMIT(j, ...)`.
pub(crate) fn window_step_code() -> String {
    let mut ring = CudaRing::default();
    let values = frispool_sig::window_step_constraints(&mut ring, Value::Wire);
    let mut s = String::with_capacity(ring.code.len() + 64 * values.len());
    s.push_str("      {\n");
    s.push_str(&ring.code);
    for (j, v) in values.iter().enumerate() {
        let _ = writeln!(s, "        EMIT({j}, {});", v.c());
    }
    s.push_str("      }\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_constraint_is_emitted_once_in_order() {
        let code = window_step_code();
        for j in 0..frispool_sig::WINDOW_STEP_CONSTRAINTS {
            assert_eq!(code.matches(&format!("EMIT({j}, ")).count(), 1, "constraint {j}");
        }
        assert!(!code.contains(&format!("EMIT({}, ", frispool_sig::WINDOW_STEP_CONSTRAINTS)));
        // Only the gate's 135 wires are read.
        assert!(code.contains("W[134]") && !code.contains("W[135]"));
    }
}
