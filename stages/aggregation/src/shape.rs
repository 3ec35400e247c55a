//! One circuit shape for leaf and node proofs.
//!
//! A node verifies children whose verifier data is a witness, so every child — leaf or node — must have the
//! very same `CommonCircuitData` (degree, gate set, public inputs). We pad every such circuit to a [`Shape`]:
//! the same gates in the gate set and the same power-of-two number of rows.

use std::collections::BTreeMap;

use frispool_core::{C, D, F};
use plonky2::gates::gate::GateRef;
use plonky2::gates::noop::NoopGate;
use plonky2::iop::target::Target;
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::{CircuitData, CommonCircuitData};

use crate::error::{AggError, Result};

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
pub fn check(circuit: &'static str, got: &CommonCircuitData<F, D>, want: &CommonCircuitData<F, D>) -> Result<()> {
    if got == want {
        return Ok(());
    }
    let detail = if got.degree_bits() != want.degree_bits() {
        format!("degree bits {} instead of {}", got.degree_bits(), want.degree_bits())
    } else if got.gates != want.gates {
        let ids = |c: &CommonCircuitData<F, D>| c.gates.iter().map(|g| g.0.id()).collect::<Vec<_>>();
        format!("gates {:?} instead of {:?}", ids(got), ids(want))
    } else if got.num_public_inputs != want.num_public_inputs {
        format!("{} public inputs instead of {}", got.num_public_inputs, want.num_public_inputs)
    } else {
        "selectors or constants differ".to_string()
    };
    Err(AggError::ShapeMismatch { circuit, detail })
}

/// Check that a circuit *construction* (the builder before `build`, with the targets its witness is set
/// through) fits prover data loaded from disk, so that loading can skip the expensive `build`.
///
/// Targets are plain indices (wire row/column or virtual-target number) into the loaded data, so the
/// construction must be the very one that produced the data. What is checked is what can be checked
/// without building: the configuration, the number of public inputs, that the gates placed fit the loaded
/// degree, and that every virtual target the construction allocated exists in the loaded witness map.
/// Same code gives the same construction; the circuit digests are checked against the manifest by the
/// caller.
pub fn check_construction(
    circuit: &'static str,
    mut builder: CircuitBuilder<F, D>,
    data: &CircuitData<F, C, D>,
) -> Result<()> {
    let err = |detail: String| Err(AggError::KeyMismatch { circuit, detail });
    let common = &data.common;
    if builder.config != common.config {
        return err("circuit configuration differs".to_string());
    }
    if builder.num_public_inputs() != common.num_public_inputs
        || data.prover_only.public_inputs.len() != common.num_public_inputs
    {
        return err(format!(
            "{} public inputs constructed, {} in the key",
            builder.num_public_inputs(),
            common.num_public_inputs
        ));
    }
    let rows = common.degree();
    if builder.num_gates() > rows {
        return err(format!("{} gates constructed, the key has 2^{} rows", builder.num_gates(), common.degree_bits()));
    }
    // The next virtual target's number is how many the construction allocated; `build` only adds more.
    let allocated = match builder.add_virtual_target() {
        Target::VirtualTarget { index } => index,
        Target::Wire(_) => unreachable!("add_virtual_target returns a virtual target"),
    };
    let in_key = data.prover_only.representative_map.len().saturating_sub(rows * common.config.num_wires);
    if allocated > in_key {
        return err(format!("{allocated} virtual targets constructed, the key has {in_key}"));
    }
    Ok(())
}
