//! The gates the quotient kernel knows, each as straight-line CUDA C from plonky2's definition of its
//! constraints (`eval_unfiltered_base_one` / `_packed`), constraint for constraint in plonky2's order: `main`'s six
//! (noop, constant, public input, base sum, arithmetic, Poseidon) and the seven more of plonky2's recursive
//! verifier (Poseidon MDS, arithmetic and multiplication in the extension, reducing, reducing extension, random
//! access, coset interpolation). Extension elements are two base-field wires, multiplied with W = 7.

use std::fmt::Write as _;

use plonky2::field::types::{Field, PrimeField64};
use plonky2::gates::arithmetic_extension::ArithmeticExtensionGate;
use plonky2::gates::coset_interpolation::CosetInterpolationGate;
use plonky2::gates::gate::GateRef;
use plonky2::gates::multiplication_extension::MulExtensionGate;
use plonky2::gates::poseidon_mds::PoseidonMdsGate;
use plonky2::gates::random_access::RandomAccessGate;
use plonky2::gates::reducing::ReducingGate;
use plonky2::gates::reducing_extension::ReducingExtensionGate;
use plonky2::hash::poseidon::{Poseidon, HALF_N_FULL_ROUNDS, N_PARTIAL_ROUNDS, SPONGE_WIDTH};

use crate::F;

const D: usize = 2;

/// One gate of the circuit, as this kernel knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GateKind {
    Noop,
    PublicInput,
    Constant {
        num_consts: usize,
    },
    Arithmetic {
        num_ops: usize,
    },
    BaseSum {
        num_limbs: usize,
        base: usize,
    },
    Poseidon,
    PoseidonMds,
    ArithmeticExtension {
        num_ops: usize,
    },
    MulExtension {
        num_ops: usize,
    },
    Reducing {
        num_coeffs: usize,
    },
    ReducingExtension {
        num_coeffs: usize,
    },
    RandomAccess {
        bits: usize,
        num_copies: usize,
        num_extra_constants: usize,
    },
    /// plonky2's `CosetInterpolationGate`: its barycentric weights are read from the gate itself.
    CosetInterpolation {
        subgroup_bits: usize,
        degree: usize,
        weights: Vec<u64>,
    },
    /// frispool-sig's `WindowStepGate` (the `sig` circuit's A' = 4 A + Q), emitted from the gate's own
    /// definition ([`crate::quotient_window`]).
    WindowStep,
}

impl GateKind {
    /// From plonky2's `Gate::id()` (the `Debug` text for the parameterised gates).
    pub fn parse(id: &str) -> Option<GateKind> {
        let field = |name: &str| -> Option<usize> {
            let at = id.find(name)? + name.len();
            let digits: String =
                id[at..].chars().skip_while(|c| !c.is_ascii_digit()).take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        };
        if id == "NoopGate" {
            Some(GateKind::Noop)
        } else if id == "PublicInputGate" {
            Some(GateKind::PublicInput)
        } else if id.starts_with("ConstantGate {") {
            Some(GateKind::Constant { num_consts: field("num_consts")? })
        } else if id.starts_with("ArithmeticGate {") {
            Some(GateKind::Arithmetic { num_ops: field("num_ops")? })
        } else if id.starts_with("BaseSumGate {") {
            Some(GateKind::BaseSum { num_limbs: field("num_limbs")?, base: field("Base:")? })
        } else if id.starts_with("PoseidonGate(") && id.ends_with(&format!("<WIDTH={SPONGE_WIDTH}>")) {
            Some(GateKind::Poseidon)
        } else {
            None
        }
    }

    /// The gate of a circuit: the recursion gates by downcasting (their parameters are public fields), the
    /// others from their id.
    pub fn of(gate: &GateRef<F, D>) -> Option<GateKind> {
        let any = gate.0.as_any();
        if let Some(g) = any.downcast_ref::<ArithmeticExtensionGate<D>>() {
            return Some(GateKind::ArithmeticExtension { num_ops: g.num_ops });
        }
        if let Some(g) = any.downcast_ref::<MulExtensionGate<D>>() {
            return Some(GateKind::MulExtension { num_ops: g.num_ops });
        }
        if let Some(g) = any.downcast_ref::<ReducingGate<D>>() {
            return Some(GateKind::Reducing { num_coeffs: g.num_coeffs });
        }
        if let Some(g) = any.downcast_ref::<ReducingExtensionGate<D>>() {
            return Some(GateKind::ReducingExtension { num_coeffs: g.num_coeffs });
        }
        if any.downcast_ref::<PoseidonMdsGate<F, D>>().is_some() {
            return Some(GateKind::PoseidonMds);
        }
        if let Some(g) = any.downcast_ref::<RandomAccessGate<F, D>>() {
            return Some(GateKind::RandomAccess {
                bits: g.bits,
                num_copies: g.num_copies,
                num_extra_constants: g.num_extra_constants,
            });
        }
        if any.downcast_ref::<frispool_sig::WindowStepGate>().is_some() {
            return Some(GateKind::WindowStep);
        }
        if let Some(g) = any.downcast_ref::<CosetInterpolationGate<F, D>>() {
            return Some(GateKind::CosetInterpolation {
                subgroup_bits: g.subgroup_bits,
                degree: g.degree,
                weights: g.barycentric_weights.iter().map(|w| w.to_canonical_u64()).collect(),
            });
        }
        GateKind::parse(&gate.0.id())
    }

    pub(crate) fn num_constraints(&self) -> usize {
        match *self {
            GateKind::Noop => 0,
            GateKind::WindowStep => frispool_sig::WINDOW_STEP_CONSTRAINTS,
            GateKind::PublicInput => 4,
            GateKind::Constant { num_consts } => num_consts,
            GateKind::Arithmetic { num_ops } => num_ops,
            GateKind::BaseSum { num_limbs, .. } => 1 + num_limbs,
            GateKind::Poseidon => POSEIDON_CONSTRAINTS,
            GateKind::PoseidonMds => SPONGE_WIDTH * D,
            GateKind::ArithmeticExtension { num_ops } | GateKind::MulExtension { num_ops } => num_ops * D,
            GateKind::Reducing { num_coeffs } | GateKind::ReducingExtension { num_coeffs } => num_coeffs * D,
            GateKind::RandomAccess { bits, num_copies, num_extra_constants } => {
                (bits + 2) * num_copies + num_extra_constants
            }
            GateKind::CosetInterpolation { subgroup_bits, degree, .. } => {
                D * (2 + 2 * coset_intermediates(subgroup_bits, degree))
            }
        }
    }
}

/// `CosetInterpolationGate::num_intermediates` (private there).
fn coset_intermediates(subgroup_bits: usize, degree: usize) -> usize {
    ((1 << subgroup_bits) - 2) / (degree - 1)
}

/// plonky2's `PoseidonGate` wire layout (its index functions are crate-private there; the gate's own
/// `num_wires` / `num_constraints` are checked against these in [`QuotientKernel::for_circuit`]).
pub(crate) mod poseidon_wires {
    use super::{HALF_N_FULL_ROUNDS, N_PARTIAL_ROUNDS, SPONGE_WIDTH};
    pub const OUTPUT: usize = SPONGE_WIDTH;
    pub const SWAP: usize = 2 * SPONGE_WIDTH;
    pub const DELTA: usize = SWAP + 1;
    pub const FULL_0: usize = DELTA + 4;
    pub const PARTIAL: usize = FULL_0 + SPONGE_WIDTH * (HALF_N_FULL_ROUNDS - 1);
    pub const FULL_1: usize = PARTIAL + N_PARTIAL_ROUNDS;
    pub const END: usize = FULL_1 + SPONGE_WIDTH * HALF_N_FULL_ROUNDS;
}
const POSEIDON_CONSTRAINTS: usize = 1
    + 4
    + SPONGE_WIDTH * (HALF_N_FULL_ROUNDS - 1)
    + N_PARTIAL_ROUNDS
    + SPONGE_WIDTH * HALF_N_FULL_ROUNDS
    + SPONGE_WIDTH;

/// Straight-line constraints of one gate, each handed to `EMIT(j, value)` (constraint j of the gate; the
/// macro multiplies by the filter and adds α_c^(gate_base + j)·value to every challenge's sum).
pub(crate) fn gate_code(kind: &GateKind) -> String {
    let mut s = String::new();
    match *kind {
        GateKind::Noop => {}
        GateKind::PublicInput => {
            for i in 0..4 {
                let _ = writeln!(s, "      EMIT({i}, gl_sub(W[{i}], prm[QP_PI + {i}]));");
            }
        }
        GateKind::Constant { num_consts } => {
            for i in 0..num_consts {
                let _ = writeln!(s, "      EMIT({i}, gl_sub(C[{i}], W[{i}]));");
            }
        }
        GateKind::Arithmetic { num_ops } => {
            s.push_str("      for (int i = 0; i < ");
            let _ = write!(s, "{num_ops}");
            s.push_str(
                "; i++) EMIT(i, gl_sub(W[4 * i + 3], gl_add(gl_mul(gl_mul(W[4 * i], W[4 * i + 1]), C[0]), gl_mul(W[4 * i + 2], C[1]))));\n",
            );
        }
        GateKind::BaseSum { num_limbs, base } => {
            let _ = writeln!(
                s,
                "      {{ u64 sum = 0; for (int i = {num_limbs}; i >= 1; i--) sum = gl_add(gl_mul(sum, {base}ULL), W[i]); EMIT(0, gl_sub(sum, W[0])); }}"
            );
            let _ = writeln!(
                s,
                "      for (int l = 1; l <= {num_limbs}; l++) {{ u64 p = 1; for (u64 b = 0; b < {base}ULL; b++) p = gl_mul(p, gl_sub(W[l], b)); EMIT(l, p); }}"
            );
        }
        GateKind::Poseidon => s.push_str("      gate_poseidon(W, f, acc, prm);\n"),
        GateKind::PoseidonMds => s.push_str("      gate_poseidon_mds(W, f, acc, prm);\n"),
        GateKind::ArithmeticExtension { num_ops } => {
            let _ = writeln!(
                s,
                "      for (int i = 0; i < {num_ops}; i++) {{ const u64 *o = W + 8 * i; u64 m0, m1; ext_mul(o[0], o[1], o[2], o[3], m0, m1);\n\
                 \x20       EMIT(2 * i, gl_sub(o[6], gl_add(gl_mul(m0, C[0]), gl_mul(o[4], C[1]))));\n\
                 \x20       EMIT(2 * i + 1, gl_sub(o[7], gl_add(gl_mul(m1, C[0]), gl_mul(o[5], C[1])))); }}"
            );
        }
        GateKind::MulExtension { num_ops } => {
            let _ = writeln!(
                s,
                "      for (int i = 0; i < {num_ops}; i++) {{ const u64 *o = W + 6 * i; u64 m0, m1; ext_mul(o[0], o[1], o[2], o[3], m0, m1);\n\
                 \x20       EMIT(2 * i, gl_sub(o[4], gl_mul(m0, C[0]))); EMIT(2 * i + 1, gl_sub(o[5], gl_mul(m1, C[0]))); }}"
            );
        }
        GateKind::Reducing { num_coeffs: n } | GateKind::ReducingExtension { num_coeffs: n } => {
            // Wires: output (D), alpha (D), old accumulator (D), the coefficients (1 or D each), then the
            // accumulators but the last (D each; the last is the output).
            let ext = matches!(kind, GateKind::ReducingExtension { .. });
            let (coeff_w, accs) = if ext { (2, 6 + 2 * n) } else { (1, 6 + n) };
            let _ = writeln!(
                s,
                "      {{ u64 a0 = W[4], a1 = W[5];\n\
                 \x20       for (int i = 0; i < {n}; i++) {{\n\
                 \x20         const u64 c0 = W[6 + {coeff_w} * i], c1 = {c1};\n\
                 \x20         const u64 *acc_w = (i == {n} - 1) ? W : W + {accs} + 2 * i;\n\
                 \x20         u64 t0, t1; ext_mul(a0, a1, W[2], W[3], t0, t1);\n\
                 \x20         EMIT(2 * i, gl_sub(gl_add(t0, c0), acc_w[0])); EMIT(2 * i + 1, gl_sub(gl_add(t1, c1), acc_w[1]));\n\
                 \x20         a0 = acc_w[0]; a1 = acc_w[1]; }} }}",
                c1 = if ext { "W[6 + 2 * i + 1]" } else { "0ULL" }
            );
        }
        GateKind::RandomAccess { bits, num_copies, num_extra_constants } => {
            let vec = 1usize << bits;
            let routed = (2 + vec) * num_copies + num_extra_constants;
            let per_copy = bits + 2;
            let _ = writeln!(
                s,
                "      for (int copy = 0; copy < {num_copies}; copy++) {{\n\
                 \x20       const u64 *o = W + {stride} * copy; const u64 *bw = W + {routed} + copy * {bits};\n\
                 \x20       u64 items[{vec}]; for (int i = 0; i < {vec}; i++) items[i] = o[2 + i];\n\
                 \x20       for (int i = 0; i < {bits}; i++) EMIT(copy * {per_copy} + i, gl_mul(bw[i], gl_sub(bw[i], 1ULL)));\n\
                 \x20       u64 idx = 0; for (int i = {bits} - 1; i >= 0; i--) idx = gl_add(gl_add(idx, idx), bw[i]);\n\
                 \x20       EMIT(copy * {per_copy} + {bits}, gl_sub(idx, o[0]));\n\
                 \x20       int len = {vec};\n\
                 \x20       for (int i = 0; i < {bits}; i++) {{ for (int k = 0; k < len / 2; k++) items[k] = gl_add(items[2 * k], gl_mul(bw[i], gl_sub(items[2 * k + 1], items[2 * k]))); len /= 2; }}\n\
                 \x20       EMIT(copy * {per_copy} + {bits} + 1, gl_sub(items[0], o[1])); }}",
                stride = 2 + vec
            );
            for i in 0..num_extra_constants {
                let _ = writeln!(
                    s,
                    "      EMIT({}, gl_sub(C[{i}], W[{}]));",
                    per_copy * num_copies + i,
                    (2 + vec) * num_copies + i
                );
            }
        }
        GateKind::CosetInterpolation { subgroup_bits, degree, ref weights } => {
            s.push_str(&coset_interpolation_code(subgroup_bits, degree, weights));
        }
        GateKind::WindowStep => s.push_str(&crate::quotient_window::window_step_code()),
    }
    s
}

/// plonky2's `CosetInterpolationGate::eval_unfiltered_base_one`: the shifted point, then the barycentric
/// formula in chunks of `degree - 1` points whose running (eval, prod) pairs are checked against the
/// intermediate wires.
fn coset_interpolation_code(subgroup_bits: usize, degree: usize, weights: &[u64]) -> String {
    let n = 1usize << subgroup_bits;
    let n_int = coset_intermediates(subgroup_bits, degree);
    let domain: Vec<u64> = F::two_adic_subgroup(subgroup_bits).iter().map(|x| x.to_canonical_u64()).collect();
    let list = |v: &[u64]| v.iter().map(|x| format!("{x}ULL")).collect::<Vec<_>>().join(", ");
    let (eval_point, eval_value, start_int) = (1 + 2 * n, 3 + 2 * n, 5 + 2 * n);
    let shifted = start_int + 4 * n_int;
    let mut s = String::new();
    let _ =
        writeln!(s, "      {{ const u64 dom[{n}] = {{{}}}; const u64 wt[{n}] = {{{}}};", list(&domain), list(weights));
    let _ = writeln!(s, "        const u64 sh = W[0], x0 = W[{shifted}], x1 = W[{}];", shifted + 1);
    let _ = writeln!(
        s,
        "        EMIT(0, gl_sub(W[{eval_point}], gl_mul(x0, sh))); EMIT(1, gl_sub(W[{}], gl_mul(x1, sh)));",
        eval_point + 1
    );
    s.push_str(
        "        u64 e0 = 0, e1 = 0, p0 = 1, p1 = 0;
",
    );
    let interp = |from: usize, to: usize| {
        format!(
            "        for (int k = {from}; k < {to}; k++) {{ const u64 v0 = gl_mul(W[1 + 2 * k], wt[k]), v1 = gl_mul(W[2 + 2 * k], wt[k]);
                       const u64 t0 = gl_sub(x0, dom[k]), t1 = x1; u64 a0, a1, b0, b1;
                       ext_mul(e0, e1, t0, t1, a0, a1); ext_mul(v0, v1, p0, p1, b0, b1); e0 = gl_add(a0, b0); e1 = gl_add(a1, b1);
                       ext_mul(p0, p1, t0, t1, a0, a1); p0 = a0; p1 = a1; }}
"
        )
    };
    s.push_str(&interp(0, degree));
    for i in 0..n_int {
        let (ie, ip) = (start_int + 2 * i, start_int + 2 * (n_int + i));
        let j = 2 + 4 * i;
        let _ = writeln!(
            s,
            "        EMIT({j}, gl_sub(W[{ie}], e0)); EMIT({}, gl_sub(W[{}], e1)); EMIT({}, gl_sub(W[{ip}], p0)); EMIT({}, gl_sub(W[{}], p1));",
            j + 1,
            ie + 1,
            j + 2,
            j + 3,
            ip + 1
        );
        let _ = writeln!(s, "        e0 = W[{ie}]; e1 = W[{}]; p0 = W[{ip}]; p1 = W[{}];", ie + 1, ip + 1);
        let start = 1 + (degree - 1) * (i + 1);
        let end = (start + degree - 1).min(n);
        s.push_str(&interp(start, end));
    }
    let j = 2 + 4 * n_int;
    let _ = writeln!(
        s,
        "        EMIT({j}, gl_sub(W[{eval_value}], e0)); EMIT({}, gl_sub(W[{}], e1)); }}",
        j + 1,
        eval_value + 1
    );
    s
}

/// The extension-field helpers and plonky2's `PoseidonMdsGate` (the MDS layer on 12 extension elements,
/// component by component, as `mds_layer_field`).
pub(crate) fn poseidon_mds_ext_source() -> String {
    let circ = <F as Poseidon>::MDS_MATRIX_CIRC;
    let diag = <F as Poseidon>::MDS_MATRIX_DIAG;
    let mut s = String::from(
        "__device__ __forceinline__ void ext_mul(u64 a0, u64 a1, u64 b0, u64 b1, u64 &c0, u64 &c1) {\n\
         \x20 c0 = gl_add(gl_mul(a0, b0), gl_mul(EXT_W, gl_mul(a1, b1)));\n\
         \x20 c1 = gl_add(gl_mul(a0, b1), gl_mul(a1, b0));\n}\n",
    );
    s.push_str("__device__ void gate_poseidon_mds(const u64 *W, u64 f, u64 *acc, const u64 *prm) {\n");
    let list =
        |v: &[u64]| v.iter().map(|x| format!("{}ULL", x % crate::source::GOLDILOCKS_P)).collect::<Vec<_>>().join(", ");
    let _ = writeln!(s, "  const u64 circ[12] = {{{}}}; const u64 diag[12] = {{{}}};", list(&circ), list(&diag));
    s.push_str(
        "  for (int r = 0; r < 12; r++) for (int c = 0; c < 2; c++) {\n\
         \x20   u64 v = gl_mul(W[2 * r + c], diag[r]);\n\
         \x20   for (int i = 0; i < 12; i++) v = gl_add(v, gl_mul(W[2 * ((i + r) % 12) + c], circ[i]));\n\
         \x20   EMIT(2 * r + c, gl_sub(W[24 + 2 * r + c], v));\n  }\n}\n",
    );
    s
}

/// plonky2's `PoseidonGate::eval_unfiltered_base_one`, constraint for constraint.
pub(crate) const POSEIDON_GATE: &str = r#"
__device__ void gate_poseidon(const u64 *W, u64 f, u64 *acc, const u64 *prm) {
  int j = 0;
  const u64 swap = W[PG_SWAP];
  EMIT(j, gl_mul(swap, gl_sub(swap, 1ULL))); j++;
  for (int i = 0; i < 4; i++) { EMIT(j, gl_sub(gl_mul(swap, gl_sub(W[i + 4], W[i])), W[PG_DELTA + i])); j++; }
  u64 st[12];
  for (int i = 0; i < 4; i++) { st[i] = gl_add(W[i], W[PG_DELTA + i]); st[i + 4] = gl_sub(W[i + 4], W[PG_DELTA + i]); }
  for (int i = 8; i < 12; i++) st[i] = W[i];
  int rc = 0;
  for (int r = 0; r < HALF_N_FULL_ROUNDS; r++) {
    for (int i = 0; i < 12; i++) st[i] = gl_add(st[i], RC[12 * rc + i]);
    if (r != 0) {
      for (int i = 0; i < 12; i++) { u64 s = W[PG_FULL_0 + 12 * (r - 1) + i]; EMIT(j, gl_sub(st[i], s)); j++; st[i] = s; }
    }
    for (int i = 0; i < 12; i++) st[i] = gl_sbox(st[i]);
    mds_layer(st);
    rc++;
  }
  for (int i = 0; i < 12; i++) st[i] = gl_add(st[i], FAST_FIRST_RC[i]);
  {
    u64 res[12];
    res[0] = st[0];
    for (int c = 1; c < 12; c++) {
      u64 lo = 0, hi = 0, top = 0;
      for (int r = 1; r < 12; r++) acc_mul(lo, hi, top, st[r], FAST_INIT[(r - 1) * 11 + (c - 1)]);
      res[c] = acc_reduce(lo, hi, top);
    }
    for (int i = 0; i < 12; i++) st[i] = res[i];
  }
  for (int r = 0; r < N_PARTIAL_ROUNDS; r++) {
    u64 s = W[PG_PARTIAL + r];
    EMIT(j, gl_sub(st[0], s)); j++;
    u64 s0 = gl_sbox(s);
    if (r < N_PARTIAL_ROUNDS - 1) s0 = gl_add(s0, FAST_RC[r]);
    u64 lo = 0, hi = 0, top = 0;
    for (int k = 1; k < 12; k++) acc_mul(lo, hi, top, st[k], FAST_WH[r * 11 + (k - 1)]);
    acc_mul(lo, hi, top, s0, MDS00);
    u64 d = acc_reduce(lo, hi, top);
    for (int k = 1; k < 12; k++) st[k] = gl_add(gl_mul(s0, FAST_VS[r * 11 + (k - 1)]), st[k]);
    st[0] = d;
  }
  rc += N_PARTIAL_ROUNDS;
  for (int r = 0; r < HALF_N_FULL_ROUNDS; r++) {
    for (int i = 0; i < 12; i++) st[i] = gl_add(st[i], RC[12 * rc + i]);
    for (int i = 0; i < 12; i++) { u64 s = W[PG_FULL_1 + 12 * r + i]; EMIT(j, gl_sub(st[i], s)); j++; st[i] = s; }
    for (int i = 0; i < 12; i++) st[i] = gl_sbox(st[i]);
    mds_layer(st);
    rc++;
  }
  for (int i = 0; i < 12; i++) { EMIT(j, gl_sub(st[i], W[PG_OUTPUT + i])); j++; }
}
"#;

/// `#define`s of the Poseidon gate's wire layout (for [`POSEIDON_GATE`]).
pub(crate) fn poseidon_wire_defines() -> String {
    use poseidon_wires::*;
    format!(
        "#define PG_OUTPUT {OUTPUT}\n#define PG_SWAP {SWAP}\n#define PG_DELTA {DELTA}\n#define PG_FULL_0 {FULL_0}\n\
         #define PG_PARTIAL {PARTIAL}\n#define PG_FULL_1 {FULL_1}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_ids_parse() {
        assert_eq!(GateKind::parse("NoopGate"), Some(GateKind::Noop));
        assert_eq!(GateKind::parse("ArithmeticGate { num_ops: 20 }"), Some(GateKind::Arithmetic { num_ops: 20 }));
        assert_eq!(
            GateKind::parse("BaseSumGate { num_limbs: 63 } + Base: 2"),
            Some(GateKind::BaseSum { num_limbs: 63, base: 2 })
        );
        assert_eq!(GateKind::parse("ArithmeticExtensionGate { num_ops: 10 }"), None);
        assert_eq!(GateKind::parse("PoseidonMdsGate(PhantomData<GoldilocksField>)<WIDTH=12>"), None);
        assert_eq!(POSEIDON_CONSTRAINTS, 123);
        assert_eq!(poseidon_wires::END, 135);
    }
}
