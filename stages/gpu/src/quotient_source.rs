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
//! Supported gates ([`crate::quotient_gates`]): `main`'s six, the seven more of plonky2's recursive verifier, and
//! the `sig` circuit's custom `WindowStepGate` (emitted from the gate's own definition, `quotient_window.rs`), so
//! every frispool circuit (basic `main` and `sig`, leaf, node, tip, scheduler, compression) has a kernel. A
//! circuit with any other gate, lookups or blinding gets `None`, and its quotient stays on the CPU.

use std::fmt::Write as _;

use plonky2::field::extension::Extendable;
use plonky2::field::types::{Field, PrimeField64};
use plonky2::hash::hash_types::HashOut;
use plonky2::plonk::circuit_data::CommonCircuitData;
use plonky2::util::log2_ceil;

pub use crate::quotient_gates::GateKind;
use crate::quotient_gates::{gate_code, poseidon_mds_ext_source, poseidon_wires, POSEIDON_GATE};
use crate::F;

const D: usize = 2;

/// plonky2's `UNUSED_SELECTOR` (crate-private there): the selector value of a row whose group has no gate.
const UNUSED_SELECTOR: u64 = u32::MAX as u64;

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
        let kinds: Vec<GateKind> = common.gates.iter().map(GateKind::of).collect::<Option<_>>()?;
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
        let _ = writeln!(s, "#define EXT_W {}ULL", <F as Extendable<D>>::W.to_canonical_u64());
        s.push_str(PARAMS_LAYOUT);
        s.push_str(QUOTIENT_HELPERS);
        s.push_str(&poseidon_mds_ext_source());
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
