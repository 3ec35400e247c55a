//! The quotient kernel's CUDA source, generated per circuit from its `CommonCircuitData`.
//!
//! plonky2's quotient (`compute_quotient_polys`, private; ours in `prover::quotient`) evaluates, at every
//! point of the coset g·K (|K| = n·2^q), the vanishing terms in this order: L_0(x)·(Z_c(x) − 1) for each
//! challenge c; for each c the partial-product checks of the permutation argument; every gate constraint
//! filtered by its selector. It combines them as Σ_k term_k·α_c^k and multiplies by 1/Z_H(x).
//!
//! Here the circuit's shape (widths, selector groups, which gate sits where) becomes compile-time
//! constants of one kernel, one thread per point, and each gate of the circuit is emitted as straight-line
//! code from plonky2's definition of its constraints. Field arithmetic is exact, so the values equal the
//! CPU's whatever the order of the sums; the sum over k uses the powers α_c^k (a table from the host)
//! instead of Horner's rule, so no constraint array is held per thread.
//!
//! Supported gates: the six of `main` (noop, constant, public input, base sum, arithmetic, Poseidon).
//! A circuit with any other gate gets `None`, and its quotient stays on the CPU.

use std::fmt::Write as _;

use plonky2::field::types::Field;
use plonky2::hash::hash_types::HashOut;
use plonky2::hash::poseidon::{HALF_N_FULL_ROUNDS, N_PARTIAL_ROUNDS, SPONGE_WIDTH};
use plonky2::plonk::circuit_data::CommonCircuitData;
use plonky2::util::log2_ceil;

use crate::F;

const D: usize = 2;

/// plonky2's `UNUSED_SELECTOR` (crate-private there): the selector value of a row whose group has no gate.
const UNUSED_SELECTOR: u64 = u32::MAX as u64;

/// One gate of the circuit, as this kernel knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GateKind {
    Noop,
    PublicInput,
    Constant { num_consts: usize },
    Arithmetic { num_ops: usize },
    BaseSum { num_limbs: usize, base: usize },
    Poseidon,
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

    fn num_constraints(&self) -> usize {
        match *self {
            GateKind::Noop => 0,
            GateKind::PublicInput => 4,
            GateKind::Constant { num_consts } => num_consts,
            GateKind::Arithmetic { num_ops } => num_ops,
            GateKind::BaseSum { num_limbs, .. } => 1 + num_limbs,
            GateKind::Poseidon => POSEIDON_CONSTRAINTS,
        }
    }
}

/// plonky2's `PoseidonGate` wire layout (its index functions are crate-private there; the gate's own
/// `num_wires` / `num_constraints` are checked against these in [`QuotientKernel::for_circuit`]).
mod poseidon_wires {
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

/// The generated kernel of one circuit and the shape its parameters follow.
#[derive(Clone, Debug)]
pub struct QuotientKernel {
    /// CUDA C of `quotient_values` (without the field prelude and Poseidon constants: see
    /// [`crate::source::quotient_module_source`]).
    pub body: String,
    pub shape: QuotientShape,
}

/// The numbers that size the kernel's inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuotientShape {
    pub num_challenges: usize,
    /// Points of the coset, n·2^q.
    pub lde_size: usize,
    /// log2 of the committed LDE's rows, n·2^rate_bits.
    pub log_full: usize,
    pub cs_width: usize,
    pub wires_width: usize,
    pub zs_width: usize,
    /// Vanishing terms per point (the α powers each challenge needs).
    pub num_terms: usize,
    /// 2^q: how many distinct Z_H values the coset has.
    pub q_rate: usize,
}

impl QuotientKernel {
    /// The kernel of `common`'s circuit, or `None` when a gate, lookups or blinding put it outside what
    /// the kernel implements (the CPU quotient then runs).
    pub fn for_circuit(common: &CommonCircuitData<F, D>) -> Option<QuotientKernel> {
        let config = &common.config;
        if !common.luts.is_empty() || common.num_lookup_polys != 0 || config.zero_knowledge {
            return None;
        }
        let kinds: Vec<GateKind> = common.gates.iter().map(|g| GateKind::parse(&g.0.id())).collect::<Option<_>>()?;
        for (g, k) in common.gates.iter().zip(&kinds) {
            if g.0.num_constraints() != k.num_constraints() {
                return None;
            }
            if *k == GateKind::Poseidon && g.0.num_wires() != poseidon_wires::END {
                return None;
            }
        }
        let (sel_indices, groups) = selectors(common)?;
        let nc = config.num_challenges;
        let rate_bits = config.fri_config.rate_bits;
        let q_bits = log2_ceil(common.quotient_degree_factor);
        if q_bits > rate_bits || common.quotient_degree_factor >= config.num_routed_wires {
            return None;
        }
        let degree_bits = common.degree_bits();
        let num_prods = common.num_partial_products;
        let gate_base = nc + nc * (num_prods + 1);
        let shape = QuotientShape {
            num_challenges: nc,
            lde_size: 1 << (degree_bits + q_bits),
            log_full: degree_bits + rate_bits,
            cs_width: common.num_constants + config.num_routed_wires,
            wires_width: config.num_wires,
            zs_width: nc * (1 + num_prods),
            num_terms: gate_base + common.num_gate_constraints,
            q_rate: 1 << q_bits,
        };
        if shape.log_full > 31 {
            return None;
        }

        let mut s = String::with_capacity(32 * 1024);
        let defs = [
            ("QK_NC", nc),
            ("QK_LDE_SIZE", shape.lde_size),
            ("QK_LOG_FULL", shape.log_full),
            ("QK_STEP", 1 << (rate_bits - q_bits)),
            ("QK_NEXT_STEP", 1 << q_bits),
            ("QK_CS_W", shape.cs_width),
            ("QK_W_W", shape.wires_width),
            ("QK_Z_W", shape.zs_width),
            ("QK_NUM_CONSTS", common.num_constants),
            ("QK_SEL_PREFIX", groups.len() + common.num_lookup_selectors),
            ("QK_ROUTED", config.num_routed_wires),
            ("QK_CHUNK", common.quotient_degree_factor),
            ("QK_PRODS", num_prods),
            ("QK_TERMS", shape.num_terms),
            ("QK_GATE_BASE", gate_base),
            ("QK_QRATE", shape.q_rate),
        ];
        for (name, v) in defs {
            let _ = writeln!(s, "#define {name} {v}ULL");
        }
        s.push_str(PARAMS_LAYOUT);
        s.push_str(QUOTIENT_HELPERS);
        s.push_str(POSEIDON_GATE);
        s.push_str(KERNEL_HEAD);
        for (g, kind) in kinds.iter().enumerate() {
            let sel = sel_indices[g];
            let group = &groups[sel];
            let _ = writeln!(s, "    {{ // gate {g}: {}", common.gates[g].0.id().replace('\n', " "));
            let _ = writeln!(s, "      const u64 sel = CS[{sel}]; u64 f = 1ULL;");
            for i in group.0..group.1 {
                if i != g {
                    let _ = writeln!(s, "      f = gl_mul(f, gl_sub({i}ULL, sel));");
                }
            }
            if groups.len() > 1 {
                let _ = writeln!(s, "      f = gl_mul(f, gl_sub({UNUSED_SELECTOR}ULL, sel));");
            }
            s.push_str("      const u64 *C = CS + QK_SEL_PREFIX; (void)C;\n");
            s.push_str(&gate_code(kind));
            s.push_str("    }\n");
        }
        s.push_str(KERNEL_TAIL);
        Some(QuotientKernel { body: s, shape })
    }
}

/// Gates `start..end` of one selector group.
type GateRange = (usize, usize);

/// The selector index of each gate and each selector's gate range, from plonky2's public serializer
/// (`SelectorsInfo`'s fields are crate-private).
fn selectors(common: &CommonCircuitData<F, D>) -> Option<(Vec<usize>, Vec<GateRange>)> {
    use plonky2::util::serialization::{Buffer, Read, Write};
    let mut bytes = Vec::new();
    bytes.write_selectors_info(&common.selectors_info).ok()?;
    let mut buf = Buffer::new(&bytes);
    let indices = buf.read_usize_vec().ok()?;
    let count = buf.read_usize().ok()?;
    let mut groups = Vec::with_capacity(count);
    for _ in 0..count {
        groups.push((buf.read_usize().ok()?, buf.read_usize().ok()?));
    }
    indices.iter().all(|&i| i < groups.len()).then_some((indices, groups))
}

/// Straight-line constraints of one gate, each handed to `EMIT(j, value)` (constraint j of the gate; the
/// macro multiplies by the filter and adds α_c^(gate_base + j)·value to every challenge's sum).
fn gate_code(kind: &GateKind) -> String {
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
    }
    s
}

/// Where each input sits in the parameter array ([`quotient_params`] writes it).
const PARAMS_LAYOUT: &str = r#"
// Parameter array: public-inputs hash (4), β (NC), γ (NC), k_i (ROUTED), Z_H on the coset (QRATE) and
// its inverses (QRATE), n, the coset shift, a generator of the 2^LDE_SIZE subgroup, then α_c^k
// (NC × TERMS, challenge-major).
#define QP_PI 0
#define QP_BETA 4
#define QP_GAMMA (QP_BETA + QK_NC)
#define QP_KIS (QP_GAMMA + QK_NC)
#define QP_ZH (QP_KIS + QK_ROUTED)
#define QP_ZH_INV (QP_ZH + QK_QRATE)
#define QP_N (QP_ZH_INV + QK_QRATE)
#define QP_SHIFT (QP_N + 1)
#define QP_GEN (QP_SHIFT + 1)
#define QP_APOW (QP_GEN + 1)
"#;

const QUOTIENT_HELPERS: &str = r#"
__device__ __forceinline__ u64 gl_pow(u64 b, u64 e) {
  u64 r = 1;
  while (e) { if (e & 1) r = gl_mul(r, b); b = gl_mul(b, b); e >>= 1; }
  return r;
}
__device__ __forceinline__ u64 gl_inv(u64 a) { return gl_pow(a, GL_P - 2); }
__device__ __forceinline__ void add_term(u64 *acc, const u64 *prm, u64 k, u64 v) {
  for (int c = 0; c < (int)QK_NC; c++) acc[c] = gl_add(acc[c], gl_mul(v, prm[QP_APOW + c * QK_TERMS + k]));
}
#define EMIT(j, e) add_term(acc, prm, QK_GATE_BASE + (j), gl_mul((e), f))
"#;

/// plonky2's `PoseidonGate::eval_unfiltered_base_one`, constraint for constraint.
const POSEIDON_GATE: &str = r#"
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

const KERNEL_HEAD: &str = r#"
// One thread per point i of the coset: row bitrev(i·STEP) of the committed LDEs (plonky2's
// `get_lde_values(i, step)`), its successor g·x at i + NEXT_STEP. Output: out[i·NC + c].
extern "C" __global__ void quotient_values(const u64 *__restrict__ cs_rows, const u64 *__restrict__ w_rows,
                                           const u64 *__restrict__ z_rows, const u64 *__restrict__ prm,
                                           u64 *__restrict__ out) {
  for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < QK_LDE_SIZE; i += (u64)blockDim.x * gridDim.x) {
    const u32 row = bitrev((u32)(i * QK_STEP), (u32)QK_LOG_FULL);
    const u32 nrow = bitrev((u32)(((i + QK_NEXT_STEP) % QK_LDE_SIZE) * QK_STEP), (u32)QK_LOG_FULL);
    const u64 *CS = cs_rows + (u64)row * QK_CS_W;
    const u64 *W = w_rows + (u64)row * QK_W_W;
    const u64 *Z = z_rows + (u64)row * QK_Z_W;
    const u64 *ZN = z_rows + (u64)nrow * QK_Z_W;
    const u64 x = gl_mul(prm[QP_SHIFT], gl_pow(prm[QP_GEN], i));
    u64 acc[QK_NC];
    for (int c = 0; c < (int)QK_NC; c++) acc[c] = 0;
    // L_0(x)·(Z_c(x) − 1), L_0(x) = Z_H(x) / (n·(x − 1)).
    const u64 l0 = gl_mul(prm[QP_ZH + i % QK_QRATE], gl_inv(gl_mul(prm[QP_N], gl_sub(x, 1ULL))));
    for (int c = 0; c < (int)QK_NC; c++) add_term(acc, prm, c, gl_mul(l0, gl_sub(Z[c], 1ULL)));
    // The permutation argument: prev·Π(w + β·k·x + γ) − next·Π(w + β·σ + γ) over each chunk of routed wires.
    for (int c = 0; c < (int)QK_NC; c++) {
      const u64 beta = prm[QP_BETA + c], gamma = prm[QP_GAMMA + c];
      const u64 *pp = Z + QK_NC + c * QK_PRODS;
      for (int k = 0; k <= (int)QK_PRODS; k++) {
        const u64 prev = (k == 0) ? Z[c] : pp[k - 1];
        const u64 next = (k == (int)QK_PRODS) ? ZN[c] : pp[k];
        u64 num = 1, den = 1;
        const int end = ((k + 1) * (int)QK_CHUNK < (int)QK_ROUTED) ? (k + 1) * (int)QK_CHUNK : (int)QK_ROUTED;
        for (int r = k * (int)QK_CHUNK; r < end; r++) {
          const u64 w = W[r];
          num = gl_mul(num, gl_add(gl_add(w, gl_mul(beta, gl_mul(prm[QP_KIS + r], x))), gamma));
          den = gl_mul(den, gl_add(gl_add(w, gl_mul(beta, CS[QK_NUM_CONSTS + r])), gamma));
        }
        add_term(acc, prm, QK_NC + c * (QK_PRODS + 1) + k, gl_sub(gl_mul(prev, num), gl_mul(next, den)));
      }
    }
    // The gates, each times its filter.
"#;

const KERNEL_TAIL: &str = r#"
    const u64 zh_inv = prm[QP_ZH_INV + i % QK_QRATE];
    for (int c = 0; c < (int)QK_NC; c++) out[i * QK_NC + c] = gl_mul(acc[c], zh_inv);
  }
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

/// The parameter array of one proof's quotient (layout in [`PARAMS_LAYOUT`]).
pub fn quotient_params(
    common: &CommonCircuitData<F, D>,
    shape: &QuotientShape,
    pi_hash: &HashOut<F>,
    betas: &[F],
    gammas: &[F],
    alphas: &[F],
) -> Vec<u64> {
    use plonky2::field::types::PrimeField64;
    let degree_bits = common.degree_bits();
    let q_bits = shape.q_rate.trailing_zeros() as usize;
    let z_h = F::two_adic_subgroup(q_bits)
        .into_iter()
        .map(|x| F::coset_shift().exp_power_of_2(degree_bits) * x - F::ONE)
        .collect::<Vec<_>>();
    let z_h_inv = F::batch_multiplicative_inverse(&z_h);
    let mut p: Vec<F> = Vec::new();
    p.extend(pi_hash.elements);
    p.extend(betas);
    p.extend(gammas);
    p.extend(&common.k_is[..common.config.num_routed_wires]);
    p.extend(&z_h);
    p.extend(&z_h_inv);
    p.push(F::from_canonical_usize(1 << degree_bits));
    p.push(F::coset_shift());
    p.push(F::primitive_root_of_unity(shape.lde_size.trailing_zeros() as usize));
    for &a in alphas {
        p.extend(a.powers().take(shape.num_terms));
    }
    p.iter().map(|f| f.to_canonical_u64()).collect()
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
