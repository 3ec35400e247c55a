//! plonky2's gate constraints evaluated at ζ in R1CS, with its selector scheme: what
//! `evaluate_gate_constraints` (plonk/vanishing_poly.rs) and `Gate::eval_filtered` (gates/gate.rs) compute.
//!
//! Each gate's constraints are multiplied by its filter `∏_{j ∈ group, j ≠ row} (j − s)` (times
//! `UNUSED_SELECTOR − s` when there are several selector polynomials), where `s` is the gate's selector
//! column at ζ, and gate `i`'s constraint `k` is added into slot `k` of the shared constraint vector. The
//! gate itself reads the constants after the selector (and lookup-selector) columns.
//!
//! Gates supported so far: `ArithmeticGate`, `ConstantGate`, `PublicInputGate`, `NoopGate`, and the recursion
//! gates `ArithmeticExtensionGate`, `MulExtensionGate`, `BaseSumGate<2 | 4>`, `ExponentiationGate`,
//! `RandomAccessGate`, `ReducingGate`, `ReducingExtensionGate`, `PoseidonMdsGate`, `CosetInterpolationGate`, `PoseidonGate`.
//! Any other
//! gate makes [`GateLayout::new`] fail with [`WrapError::UnsupportedCircuit`], before any constraint exists.

use crate::error::WrapError;
use crate::goldilocks_ext_gadget::GoldilocksExtVar;
use crate::goldilocks_gadget::GoldilocksVar;
use crate::proof_var::LastLayerCommon;
use crate::recursion_gates_gadget::{self as rg, CosetInterpolationShape, RandomAccessShape};
use ark_relations::gr1cs::SynthesisError;
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::gates::arithmetic_base::ArithmeticGate;
use plonky2::gates::arithmetic_extension::ArithmeticExtensionGate;
use plonky2::gates::base_sum::BaseSumGate;
use plonky2::gates::constant::ConstantGate;
use plonky2::gates::coset_interpolation::CosetInterpolationGate;
use plonky2::gates::exponentiation::ExponentiationGate;
use plonky2::gates::multiplication_extension::MulExtensionGate;
use plonky2::gates::noop::NoopGate;
use plonky2::gates::poseidon::PoseidonGate;
use plonky2::gates::poseidon_mds::PoseidonMdsGate;
use plonky2::gates::public_input::PublicInputGate;
use plonky2::gates::random_access::RandomAccessGate;
use plonky2::gates::reducing::ReducingGate;
use plonky2::gates::reducing_extension::ReducingExtensionGate;

/// plonky2's `UNUSED_SELECTOR` (`u32::MAX`), the extra root of the filter when selectors are shared.
const UNUSED_SELECTOR: u64 = u32::MAX as u64;

/// A gate the wrapper evaluates, with the parameters its constraints depend on.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum GateKind {
    /// `output − (c₀·m₀·m₁ + c₁·addend)` per operation; wires `4i..4i+4`.
    Arithmetic {
        num_ops: usize,
    },
    /// `constant_i − wire_i`.
    Constant {
        num_consts: usize,
    },
    /// `wire_i − public_inputs_hash_i`, i < 4.
    PublicInput,
    /// No constraint.
    Noop,
    /// The recursion gates ([`crate::recursion_gates_gadget`]).
    ArithmeticExtension {
        num_ops: usize,
    },
    MulExtension {
        num_ops: usize,
    },
    BaseSum {
        base: u64,
        num_limbs: usize,
    },
    Exponentiation {
        num_power_bits: usize,
    },
    RandomAccess(RandomAccessShape),
    Reducing {
        num_coeffs: usize,
    },
    ReducingExtension {
        num_coeffs: usize,
    },
    PoseidonMds,
    CosetInterpolation(CosetInterpolationShape),
    /// Goldilocks Poseidon ([`crate::goldilocks_poseidon_gadget`]).
    Poseidon,
}

/// The circuit's gates in order, with the selector data `eval_filtered` needs.
#[derive(Clone, Debug)]
pub struct GateLayout {
    gates: Vec<GateKind>,
    selector_indices: Vec<usize>,
    groups: Vec<(usize, usize)>,
    num_lookup_selectors: usize,
    num_gate_constraints: usize,
}

impl GateLayout {
    /// Reads the gates and selectors of `common`; fails on a gate the wrapper cannot evaluate.
    pub fn new(common: &LastLayerCommon) -> Result<Self, WrapError> {
        let gates = common
            .gates
            .iter()
            .map(|g| {
                let any = g.0.as_any();
                if let Some(a) = any.downcast_ref::<ArithmeticGate>() {
                    Ok(GateKind::Arithmetic { num_ops: a.num_ops })
                } else if any.is::<ConstantGate>() {
                    // Its field is private; it has one constraint per constant.
                    Ok(GateKind::Constant { num_consts: g.0.num_constraints() })
                } else if any.is::<PublicInputGate>() {
                    Ok(GateKind::PublicInput)
                } else if any.is::<NoopGate>() {
                    Ok(GateKind::Noop)
                } else if let Some(recursion) = recursion_gate(any) {
                    Ok(recursion)
                } else {
                    Err(WrapError::UnsupportedCircuit(format!("gate {}", g.0.id())))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        // plonky2 keeps the selector fields crate-private; their serde form is public.
        let info = serde_json::to_value(&common.selectors_info)
            .map_err(|e| WrapError::UnsupportedCircuit(format!("selectors: {e}")))?;
        let usizes = |v: &serde_json::Value| v.as_u64().map(|x| x as usize);
        let bad = || WrapError::UnsupportedCircuit("selectors info has an unexpected form".into());
        let selector_indices = info["selector_indices"]
            .as_array()
            .ok_or_else(bad)?
            .iter()
            .map(|v| usizes(v).ok_or_else(bad))
            .collect::<Result<Vec<_>, _>>()?;
        let groups = info["groups"]
            .as_array()
            .ok_or_else(bad)?
            .iter()
            .map(|r| Ok((usizes(&r["start"]).ok_or_else(bad)?, usizes(&r["end"]).ok_or_else(bad)?)))
            .collect::<Result<Vec<_>, WrapError>>()?;
        if selector_indices.len() != gates.len() {
            return Err(bad());
        }
        Ok(GateLayout {
            gates,
            selector_indices,
            groups,
            num_lookup_selectors: common.num_lookup_selectors,
            num_gate_constraints: common.num_gate_constraints,
        })
    }

    /// All gate constraints at ζ, filtered and summed slot by slot (plonky2's `evaluate_gate_constraints`).
    pub fn evaluate(
        &self,
        constants: &[GoldilocksExtVar],
        wires: &[GoldilocksExtVar],
        public_inputs_hash: &[GoldilocksVar; 4],
    ) -> Result<Vec<GoldilocksExtVar>, SynthesisError> {
        let mut out = vec![GoldilocksExtVar::constant([0, 0]); self.num_gate_constraints];
        let num_selectors = self.groups.len();
        let gate_constants = &constants[num_selectors + self.num_lookup_selectors..];
        for (row, gate) in self.gates.iter().enumerate() {
            let constraints = eval_unfiltered(gate, gate_constants, wires, public_inputs_hash)?;
            if constraints.is_empty() {
                continue;
            }
            let selector = self.selector_indices[row];
            let (start, end) = self.groups[selector];
            let filter = compute_filter(row, start..end, &constants[selector], num_selectors > 1)?;
            for (slot, c) in out.iter_mut().zip(constraints) {
                *slot = slot.add(&filter.mul(&c)?)?;
            }
        }
        Ok(out)
    }
}

/// `∏_{j ∈ group, j ≠ row} (j − s)`, times `(UNUSED_SELECTOR − s)` when selectors are shared.
fn compute_filter(
    row: usize,
    group: std::ops::Range<usize>,
    s: &GoldilocksExtVar,
    many_selectors: bool,
) -> Result<GoldilocksExtVar, SynthesisError> {
    group
        .filter(|&j| j != row)
        .map(|j| j as u64)
        .chain(many_selectors.then_some(UNUSED_SELECTOR))
        .try_fold(GoldilocksExtVar::constant([1, 0]), |acc, j| acc.mul(&GoldilocksExtVar::constant([j, 0]).sub(s)?))
}

/// One gate's constraints at ζ, unfiltered (the gate's `eval_unfiltered`); `constants` starts after the
/// selector columns.
pub fn eval_unfiltered(
    gate: &GateKind,
    constants: &[GoldilocksExtVar],
    wires: &[GoldilocksExtVar],
    public_inputs_hash: &[GoldilocksVar; 4],
) -> Result<Vec<GoldilocksExtVar>, SynthesisError> {
    match gate {
        GateKind::Arithmetic { num_ops } => (0..*num_ops)
            .map(|i| {
                let [m0, m1, addend, output] = [0, 1, 2, 3].map(|k| &wires[4 * i + k]);
                let computed = m0.mul(m1)?.mul(&constants[0])?.add(&addend.mul(&constants[1])?)?;
                output.sub(&computed)
            })
            .collect(),
        GateKind::Constant { num_consts } => (0..*num_consts).map(|i| constants[i].sub(&wires[i])).collect(),
        GateKind::PublicInput => {
            (0..4).map(|i| wires[i].sub(&GoldilocksExtVar::from_base(&public_inputs_hash[i]))).collect()
        }
        GateKind::Noop => Ok(Vec::new()),
        GateKind::ArithmeticExtension { num_ops } => rg::arithmetic_extension(*num_ops, constants, wires),
        GateKind::MulExtension { num_ops } => rg::mul_extension(*num_ops, constants, wires),
        GateKind::BaseSum { base, num_limbs } => rg::base_sum(*base, *num_limbs, wires),
        GateKind::Exponentiation { num_power_bits } => rg::exponentiation(*num_power_bits, wires),
        GateKind::RandomAccess(shape) => rg::random_access(*shape, constants, wires),
        GateKind::Reducing { num_coeffs } => rg::reducing(*num_coeffs, false, wires),
        GateKind::ReducingExtension { num_coeffs } => rg::reducing(*num_coeffs, true, wires),
        GateKind::PoseidonMds => rg::poseidon_mds(wires),
        GateKind::CosetInterpolation(shape) => rg::coset_interpolation(shape, wires),
        GateKind::Poseidon => crate::goldilocks_poseidon_gadget::poseidon_gate(wires),
    }
}

/// The recursion gate behind `any`, if it is one the wrapper evaluates.
fn recursion_gate(any: &dyn std::any::Any) -> Option<GateKind> {
    use plonky2::field::types::PrimeField64;
    type G = GoldilocksField;
    if let Some(g) = any.downcast_ref::<ArithmeticExtensionGate<2>>() {
        Some(GateKind::ArithmeticExtension { num_ops: g.num_ops })
    } else if let Some(g) = any.downcast_ref::<MulExtensionGate<2>>() {
        Some(GateKind::MulExtension { num_ops: g.num_ops })
    } else if let Some(g) = any.downcast_ref::<BaseSumGate<2>>() {
        Some(GateKind::BaseSum { base: 2, num_limbs: g.num_limbs })
    } else if let Some(g) = any.downcast_ref::<BaseSumGate<4>>() {
        Some(GateKind::BaseSum { base: 4, num_limbs: g.num_limbs })
    } else if let Some(g) = any.downcast_ref::<ExponentiationGate<G, 2>>() {
        Some(GateKind::Exponentiation { num_power_bits: g.num_power_bits })
    } else if let Some(g) = any.downcast_ref::<RandomAccessGate<G, 2>>() {
        Some(GateKind::RandomAccess(RandomAccessShape {
            bits: g.bits,
            num_copies: g.num_copies,
            num_extra_constants: g.num_extra_constants,
        }))
    } else if let Some(g) = any.downcast_ref::<ReducingGate<2>>() {
        Some(GateKind::Reducing { num_coeffs: g.num_coeffs })
    } else if let Some(g) = any.downcast_ref::<ReducingExtensionGate<2>>() {
        Some(GateKind::ReducingExtension { num_coeffs: g.num_coeffs })
    } else if any.is::<PoseidonGate<G, 2>>() {
        Some(GateKind::Poseidon)
    } else if any.is::<PoseidonMdsGate<G, 2>>() {
        Some(GateKind::PoseidonMds)
    } else {
        any.downcast_ref::<CosetInterpolationGate<G, 2>>().map(|g| {
            GateKind::CosetInterpolation(CosetInterpolationShape {
                subgroup_bits: g.subgroup_bits,
                degree: g.degree,
                weights: g.barycentric_weights.iter().map(|w| w.to_canonical_u64()).collect(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Fr;
    use ark_relations::gr1cs::ConstraintSystem;
    use plonky2::field::extension::quadratic::QuadraticExtension;
    use plonky2::field::goldilocks_field::GoldilocksField as F;
    use plonky2::field::types::{PrimeField64, Sample};
    use plonky2::gates::gate::Gate;
    use plonky2::hash::hash_types::HashOut;
    use plonky2::plonk::vars::EvaluationVars;

    type E = QuadraticExtension<F>;

    fn coords(x: &E) -> [u64; 2] {
        [x.0[0].to_canonical_u64(), x.0[1].to_canonical_u64()]
    }

    /// Our evaluation against plonky2's own `eval_unfiltered` on random openings, in R1CS witnesses.
    fn agrees_with_plonky2<G: Gate<F, 2>>(gate: &G, kind: GateKind, num_wires: usize, num_consts: usize) {
        let constants: Vec<E> = (0..num_consts).map(|_| E::rand()).collect();
        let wires: Vec<E> = (0..num_wires).map(|_| E::rand()).collect();
        let hash = HashOut::<F>::rand();
        let vars = EvaluationVars { local_constants: &constants, local_wires: &wires, public_inputs_hash: &hash };
        let expected = gate.eval_unfiltered(vars);

        let cs = ConstraintSystem::<Fr>::new_ref();
        let ext = |x: &E| GoldilocksExtVar::new_witness(cs.clone(), Some(coords(x))).unwrap();
        let c: Vec<_> = constants.iter().map(ext).collect();
        let w: Vec<_> = wires.iter().map(ext).collect();
        let h = hash.elements.map(|x| GoldilocksVar::new_witness(cs.clone(), Some(x.to_canonical_u64())).unwrap());
        let before = cs.num_constraints();
        let got = eval_unfiltered(&kind, &c, &w, &h).unwrap();
        eprintln!("{}: {} R1CS constraints", gate.id(), cs.num_constraints() - before);
        assert_eq!(got.len(), expected.len(), "{kind:?}");
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!(g.value().unwrap(), coords(e), "{kind:?}");
        }
        assert!(cs.is_satisfied().unwrap(), "{kind:?}");
    }

    #[test]
    fn gates_agree_with_plonky2_eval_unfiltered() {
        agrees_with_plonky2(&ArithmeticGate { num_ops: 5 }, GateKind::Arithmetic { num_ops: 5 }, 20, 2);
        agrees_with_plonky2(&ConstantGate::new(3), GateKind::Constant { num_consts: 3 }, 12, 3);
        agrees_with_plonky2(&PublicInputGate, GateKind::PublicInput, 12, 2);
        agrees_with_plonky2(&NoopGate, GateKind::Noop, 12, 2);
    }

    #[test]
    fn recursion_gates_agree_with_plonky2_eval_unfiltered() {
        let config = plonky2::plonk::circuit_data::CircuitConfig::standard_recursion_config();
        let w = config.num_wires;
        let c = config.num_constants;
        let g = |gate: &dyn std::any::Any| recursion_gate(gate).expect("a supported recursion gate");
        let arith = ArithmeticExtensionGate::<2>::new_from_config(&config);
        agrees_with_plonky2(&arith, g(&arith), w, c);
        let mul = MulExtensionGate::<2>::new_from_config(&config);
        agrees_with_plonky2(&mul, g(&mul), w, c);
        let bits = BaseSumGate::<2>::new_from_config::<F>(&config);
        agrees_with_plonky2(&bits, g(&bits), w, c);
        let quads = BaseSumGate::<4>::new(16);
        agrees_with_plonky2(&quads, g(&quads), w, c);
        let exp = ExponentiationGate::<F, 2>::new_from_config(&config);
        agrees_with_plonky2(&exp, g(&exp), w, c);
        let ra = RandomAccessGate::<F, 2>::new_from_config(&config, 4);
        agrees_with_plonky2(&ra, g(&ra), w, c);
        let red = ReducingGate::<2>::new(ReducingGate::<2>::max_coeffs_len(w, config.num_routed_wires));
        agrees_with_plonky2(&red, g(&red), w, c);
        let red_ext =
            ReducingExtensionGate::<2>::new(ReducingExtensionGate::<2>::max_coeffs_len(w, config.num_routed_wires));
        agrees_with_plonky2(&red_ext, g(&red_ext), w, c);
        let poseidon = PoseidonGate::<F, 2>::new();
        agrees_with_plonky2(&poseidon, g(&poseidon), w, c);
        let mds = PoseidonMdsGate::<F, 2>::new();
        agrees_with_plonky2(&mds, g(&mds), w, c);
        // The recursion circuit's FRI folding: arity 2⁴, degree 6 (standard_recursion_config's max degree 8).
        // (`with_max_degree` is crate-private; for max degree 6 it picks degree 6, two intermediates.)
        let mut coset = CosetInterpolationGate::<F, 2>::new(4);
        coset.degree = 6;
        agrees_with_plonky2(&coset, g(&coset), w, c);
    }
}
