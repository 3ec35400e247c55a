//! One circuit shape for leaf and node proofs.
//!
//! A node verifies children whose verifier data is a witness, so every child — leaf or node — must have the
//! very same `CommonCircuitData` (degree, gate set, public inputs). We pad every such circuit to a [`Shape`]:
//! the same gates in the gate set and the same power-of-two number of rows.

use std::collections::BTreeMap;

use plonky2::gates::gate::GateRef;
use plonky2::gates::noop::NoopGate;
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::CommonCircuitData;

use crate::error::{AggError, Result};
use crate::layout::{D, F};

/// Target of padding: a degree and a gate set. Gates are keyed by id so the result is deterministic.
#[derive(Clone, Debug, Default)]
pub struct Shape {
    pub degree_bits: usize,
    gates: BTreeMap<String, GateRef<F, D>>,
}

impl Shape {
    /// The smallest shape that holds everything `common` needs.
    pub fn of(common: &CommonCircuitData<F, D>) -> Self {
        let mut s = Shape::default();
        s.include(common);
        s
    }

    /// Grow this shape so that it also holds `common`.
    pub fn include(&mut self, common: &CommonCircuitData<F, D>) {
        self.degree_bits = self.degree_bits.max(common.degree_bits());
        for g in &common.gates {
            self.gates.entry(g.0.id()).or_insert_with(|| g.clone());
        }
    }

    /// Pad `builder` to this shape. Call it last, right before building: the rows added by `build` itself
    /// (public-input hashing, constants) are few, and a circuit that still outgrows the target degree is
    /// caught by [`check`].
    pub fn pad(&self, builder: &mut CircuitBuilder<F, D>) {
        for g in self.gates.values() {
            builder.add_gate_to_gate_set(g.clone());
        }
        if self.degree_bits > 0 {
            // More than half the target rows forces `build` to round up to exactly the target.
            let min_rows = (1usize << (self.degree_bits - 1)) + 1;
            while builder.num_gates() < min_rows {
                builder.add_gate(NoopGate, vec![]);
            }
        }
    }
}

/// Fail with a readable difference when a built circuit missed the common shape.
pub fn check(
    circuit: &'static str,
    got: &CommonCircuitData<F, D>,
    want: &CommonCircuitData<F, D>,
) -> Result<()> {
    if got == want {
        return Ok(());
    }
    let detail = if got.degree_bits() != want.degree_bits() {
        format!(
            "degree bits {} instead of {}",
            got.degree_bits(),
            want.degree_bits()
        )
    } else if got.gates != want.gates {
        let ids =
            |c: &CommonCircuitData<F, D>| c.gates.iter().map(|g| g.0.id()).collect::<Vec<_>>();
        format!("gates {:?} instead of {:?}", ids(got), ids(want))
    } else if got.num_public_inputs != want.num_public_inputs {
        format!(
            "{} public inputs instead of {}",
            got.num_public_inputs, want.num_public_inputs
        )
    } else {
        "selectors or constants differ".to_string()
    };
    Err(AggError::ShapeMismatch { circuit, detail })
}
