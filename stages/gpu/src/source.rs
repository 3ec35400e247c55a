//! The CUDA C source of every kernel, generated at run time.
//!
//! The Poseidon constants (round constants, the MDS circulant and diagonal, the fast partial-round
//! constants) are read from plonky2's own Rust items here and written into the source as
//! `__constant__` arrays and literals; nothing is copied by hand. The text is compiled with NVRTC
//! on the device machine (see `device.rs`); generating it needs no GPU, so it is unit-tested here.

use std::fmt::Write as _;

use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::hash::poseidon::{Poseidon, ALL_ROUND_CONSTANTS, HALF_N_FULL_ROUNDS, N_PARTIAL_ROUNDS, SPONGE_WIDTH};

type F = GoldilocksField;

/// The Goldilocks prime p = 2^64 - 2^32 + 1.
pub const GOLDILOCKS_P: u64 = 0xFFFF_FFFF_0000_0001;

/// Largest NTT tile held in one block's shared memory, as log2 of elements (4096 × 8 B = 32 KiB).
pub const TILE_LOG: u32 = 12;

/// Number of full rounds in total (plonky2: 2 × HALF_N_FULL_ROUNDS).
pub const N_FULL_ROUNDS: usize = 2 * HALF_N_FULL_ROUNDS;

fn push_u64_array(out: &mut String, name: &str, values: &[u64]) {
    let _ = write!(out, "__constant__ u64 {name}[{}] = {{", values.len());
    for (i, v) in values.iter().enumerate() {
        if i % 6 == 0 {
            out.push_str("\n  ");
        }
        // Reduce mod p: the same field element, and the kernels' additions assume canonical operands.
        let _ = write!(out, "0x{:016x}ULL, ", v % GOLDILOCKS_P);
    }
    out.push_str("\n};\n");
}

/// The rows of plonky2's MDS layer as merged coefficients: row r is sum_k coef[r][k] * st[k]
/// (the circulant plus the diagonal). Checked small enough for the split 64-bit accumulators.
fn mds_rows() -> Result<Vec<[u64; 12]>, String> {
    let circ = <F as Poseidon>::MDS_MATRIX_CIRC;
    let diag = <F as Poseidon>::MDS_MATRIX_DIAG;
    let row_bound: u64 = circ.iter().sum::<u64>() + diag.iter().max().copied().unwrap_or(0);
    if row_bound >= 1 << 20 {
        return Err(format!("plonky2's MDS entries sum to {row_bound}, too large for the split 64-bit accumulators"));
    }
    let w = SPONGE_WIDTH;
    Ok(diag
        .iter()
        .enumerate()
        .map(|(r, &dg)| {
            let mut coef = [0u64; 12];
            for (i, &c) in circ.iter().enumerate() {
                coef[(i + r) % w] += c;
            }
            coef[r] += dg;
            coef
        })
        .collect())
}

/// An unrolled MDS layer: `signature` opens the function; each state word is split into 32-bit halves so
/// that the 13-term dot products with plonky2's small entries stay in 64-bit accumulators (the entries are
/// checked small enough in [`mds_rows`]); `row(r, lo, hi)` writes row r from its two sums' terms.
fn mds_source(signature: &str, row: impl Fn(usize, &str, &str) -> String) -> Result<String, String> {
    let mut s = format!("{signature} {{\n  u64 l[12], h[12];\n");
    s.push_str(
        "#pragma unroll\n  for (int i = 0; i < 12; i++) { l[i] = st[i] & 0xFFFFFFFFULL; h[i] = st[i] >> 32; }\n",
    );
    for (r, coef) in mds_rows()?.iter().enumerate() {
        let terms = |half: &str| {
            let t: Vec<String> =
                (0..12).filter(|&k| coef[k] != 0).map(|k| format!("{half}[{k}] * {}ULL", coef[k])).collect();
            t.join(" + ")
        };
        s.push_str(&row(r, &terms("l"), &terms("h")));
    }
    s.push_str("}\n");
    Ok(s)
}

/// The MDS layer of plonky2's Poseidon with one 128-bit reduction (`reduce`) per row.
fn mds_layer_source(name: &str, reduce: &str) -> Result<String, String> {
    mds_source(&format!("__device__ __forceinline__ void {name}(u64 st[12])"), |r, lo, hi| {
        format!(
            "  {{ u64 sl = {lo}; u64 sh = {hi}; u64 lo = sl + (sh << 32); u64 hi = (sh >> 32) + (lo < sl ? 1ULL : 0ULL); st[{r}] = {reduce}(lo, hi); }}\n"
        )
    })
}

/// The v4 MDS layer: the next round's constants `rc` (canonical) added for free as the accumulators'
/// starting values, and the row sums reduced by `gl4_mds_row`.
fn mds_layer4_source() -> Result<String, String> {
    mds_source("__device__ __forceinline__ void mds_layer4(u64 st[12], const u64 *rc)", |r, lo, hi| {
        format!(
            "  {{ u64 sl = (rc[{r}] & 0xFFFFFFFFULL) + {lo}; u64 sh = (rc[{r}] >> 32) + {hi}; st[{r}] = gl4_mds_row(sl, sh); }}\n"
        )
    })
}

fn constants_source() -> Result<String, String> {
    let mut s = String::new();
    let _ = writeln!(s, "#define N_PARTIAL_ROUNDS {N_PARTIAL_ROUNDS}");
    let _ = writeln!(s, "#define HALF_N_FULL_ROUNDS {HALF_N_FULL_ROUNDS}");
    if SPONGE_WIDTH != 12 {
        return Err(format!("plonky2's SPONGE_WIDTH is {SPONGE_WIDTH}, the kernels assume 12"));
    }
    push_u64_array(&mut s, "RC", &ALL_ROUND_CONSTANTS[..]);
    push_u64_array(&mut s, "ZERO12", &[0u64; 12]);
    push_u64_array(&mut s, "FAST_FIRST_RC", &<F as Poseidon>::FAST_PARTIAL_FIRST_ROUND_CONSTANT);
    push_u64_array(&mut s, "FAST_RC", &<F as Poseidon>::FAST_PARTIAL_ROUND_CONSTANTS);
    let flat = |m: &[[u64; 11]]| m.iter().flatten().copied().collect::<Vec<u64>>();
    push_u64_array(&mut s, "FAST_VS", &flat(&<F as Poseidon>::FAST_PARTIAL_ROUND_VS));
    push_u64_array(&mut s, "FAST_WH", &flat(&<F as Poseidon>::FAST_PARTIAL_ROUND_W_HATS));
    push_u64_array(&mut s, "FAST_INIT", &flat(&<F as Poseidon>::FAST_PARTIAL_ROUND_INITIAL_MATRIX));
    let mds00 = <F as Poseidon>::MDS_MATRIX_CIRC[0] + <F as Poseidon>::MDS_MATRIX_DIAG[0];
    let _ = writeln!(s, "#define MDS00 {mds00}ULL");
    Ok(s)
}

/// Which kernels a module holds. Every kernel inlines a whole unrolled Poseidon or NTT, and NVRTC
/// plus the driver's JIT take about 10 s per permutation kernel (measured: 47-108 s for the bench
/// set), so a prover compiles only what it launches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelSet {
    /// What a prover launches: NTT (v4 pass), LDE expansion, the Merkle kernels, the transpose, the
    /// proof-of-work search, the permutation argument's and FRI's two kernels each, and the tree permutation's batch/bench
    /// kernels (for a self-check).
    Prover,
    /// Everything: every Poseidon variant (fast, fast2, fast3, fast3lb, fast4, naive) and the v1 NTT pass.
    Bench,
}

const PROVER_PERMS: &[(&str, &str, &str)] = &[("fast4", "poseidon_fast4", "")];
const BENCH_PERMS: &[(&str, &str, &str)] = &[
    ("fast", "poseidon_fast", ""),
    ("fast2", "poseidon_fast2", ""),
    ("fast3", "poseidon_fast3", ""),
    ("fast3lb", "poseidon_fast3", "__launch_bounds__(128, 4)"),
    ("fast4", "poseidon_fast4", ""),
    ("naive", "poseidon_naive", ""),
];

impl KernelSet {
    fn perms(self) -> &'static [(&'static str, &'static str, &'static str)] {
        match self {
            KernelSet::Prover => PROVER_PERMS,
            KernelSet::Bench => BENCH_PERMS,
        }
    }
}

/// The whole kernel source: prelude, generated constants and MDS layers, then the kernels. The
/// Merkle and proof-of-work kernels use `poseidon_fast4` unless FRISPOOL_GPU_TREE_PERM names `fast`,
/// `fast2` or `fast3` (the benchmark's A/B switch).
pub fn kernel_source(set: KernelSet) -> Result<String, String> {
    let tree_perm = match std::env::var("FRISPOOL_GPU_TREE_PERM").as_deref() {
        Ok("fast") => "poseidon_fast",
        Ok("fast2") => "poseidon_fast2",
        Ok("fast3") => "poseidon_fast3",
        _ => "poseidon_fast4",
    };
    kernel_source_with(tree_perm, set)
}

/// [`kernel_source`] with the Merkle kernels' permutation named.
pub fn kernel_source_with(tree_perm: &str, set: KernelSet) -> Result<String, String> {
    let mut s = String::with_capacity(64 * 1024);
    s.push_str(PRELUDE);
    let _ = writeln!(s, "#define TREE_PERM {tree_perm}");
    if set == KernelSet::Bench {
        s.push_str("#define FRISPOOL_BENCH_KERNELS 1\n");
    }
    s.push_str(&constants_source()?);
    s.push_str(&mds_layer_source("mds_layer", "gl_reduce128")?);
    s.push_str(&mds_layer_source("mds_layer2", "gl_reduce96")?);
    s.push_str(&mds_layer_source("mds_layer3", "gl_reduce96_nc")?);
    s.push_str(&crate::carry_chain::fast4_arithmetic());
    s.push_str(&mds_layer4_source()?);
    let mut perm_kernels = String::new();
    for (name, perm, lb) in set.perms() {
        perm_kernels.push_str(&POSEIDON_KERNELS.replace("NAME", name).replace("PERM", perm).replace("LB", lb));
    }
    s.push_str(&KERNELS.replace("@@POSEIDON_KERNELS@@", &perm_kernels));
    s.push_str(&crate::permutation_source::permutation_kernels());
    s.push_str(crate::fri_source::FRI_KERNELS);
    Ok(s)
}

/// The module of one circuit's quotient kernel (`quotient_values`, see [`crate::quotient_source`]): the
/// field prelude, plonky2's Poseidon constants and MDS layer, the Poseidon gate's wire layout, then the
/// generated kernel.
pub fn quotient_module_source(kernel: &crate::quotient_source::QuotientKernel) -> Result<String, String> {
    let mut s = String::with_capacity(64 * 1024);
    s.push_str(PRELUDE);
    s.push_str(&constants_source()?);
    s.push_str(&mds_layer_source("mds_layer", "gl_reduce128")?);
    s.push_str(&crate::quotient_gates::poseidon_wire_defines());
    s.push_str(&kernel.body);
    Ok(s)
}

/// Names of the `extern "C"` kernels in a set's source (loaded by name in `cuda.rs`).
pub fn kernel_names(set: KernelSet) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for (name, _, _) in set.perms() {
        v.push(format!("poseidon_batch_{name}"));
        v.push(format!("poseidon_bench_{name}"));
    }
    v.extend(
        [
            "ntt_dif_pass",
            "lde_expand",
            "merkle_leaves",
            "merkle_layer",
            "transpose_cols_to_rows",
            "pow_search",
            "pp_quotients",
            "pp_scan",
            "fri_combine",
            "fri_fold",
        ]
        .map(String::from),
    );
    if set == KernelSet::Bench {
        v.push("ntt_dif_pass_v1".into());
    }
    v
}

/// One permutation per thread (states row-major: state t at 12 t), and a benchmark kernel in
/// which each thread permutes its state `iters` times (element i of state t at i * count + t).
const POSEIDON_KERNELS: &str = r#"
extern "C" __global__ void LB poseidon_batch_NAME(const u64 *__restrict__ in, u64 *__restrict__ out, u32 count) {
  u32 t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= count) return;
  u64 st[12];
#pragma unroll
  for (int i = 0; i < 12; i++) st[i] = in[(u64)t * 12 + i];
  PERM(st);
#pragma unroll
  for (int i = 0; i < 12; i++) out[(u64)t * 12 + i] = st[i];
}
extern "C" __global__ void LB poseidon_bench_NAME(u64 *io, u32 count, u32 iters) {
  u32 t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= count) return;
  u64 st[12];
#pragma unroll
  for (int i = 0; i < 12; i++) st[i] = io[(u64)i * count + t];
  for (u32 k = 0; k < iters; k++) PERM(st);
#pragma unroll
  for (int i = 0; i < 12; i++) io[(u64)i * count + t] = st[i];
}
"#;

const PRELUDE: &str = r#"
typedef unsigned long long u64;
typedef unsigned int u32;
#define GL_P 0xFFFFFFFF00000001ULL
#define GL_EPS 0xFFFFFFFFULL

// Goldilocks arithmetic on canonical representatives (every value kept in [0, p)).
__device__ __forceinline__ u64 gl_add(u64 a, u64 b) {
  u64 s = a + b;
  s += (s < a) ? GL_EPS : 0ULL;          // carry out: 2^64 = 2^32 - 1 (mod p)
  return (s >= GL_P) ? s - GL_P : s;
}
__device__ __forceinline__ u64 gl_sub(u64 a, u64 b) {
  u64 d = a - b;
  return (a < b) ? d + GL_P : d;
}
// (hi * 2^64 + lo) mod p, canonical; any hi, lo.  2^64 = 2^32 - 1, 2^96 = -1 (mod p).
__device__ __forceinline__ u64 gl_reduce128(u64 lo, u64 hi) {
  u64 hh = hi >> 32, hl = hi & GL_EPS;
  u64 t0 = lo - hh;
  if (lo < hh) t0 -= GL_EPS;
  u64 t1 = hl * GL_EPS;
  u64 t2 = t0 + t1;
  if (t2 < t1) t2 += GL_EPS;
  return (t2 >= GL_P) ? t2 - GL_P : t2;
}
__device__ __forceinline__ u64 gl_mul(u64 a, u64 b) { return gl_reduce128(a * b, __umul64hi(a, b)); }
// 160-bit accumulation of products (delayed reduction), reduced like plonky2's reduce_u160.
__device__ __forceinline__ void acc_mul(u64 &lo, u64 &hi, u64 &top, u64 a, u64 b) {
  u64 plo = a * b, phi = __umul64hi(a, b);
  lo += plo; phi += (lo < plo) ? 1ULL : 0ULL;
  hi += phi; top += (hi < phi) ? 1ULL : 0ULL;
}
__device__ __forceinline__ u64 acc_reduce(u64 lo, u64 hi, u64 top) {
  return gl_reduce128(lo, gl_reduce128(hi, top));
}
__device__ __forceinline__ u64 gl_sbox(u64 x) {
  u64 x2 = gl_mul(x, x), x4 = gl_mul(x2, x2), x3 = gl_mul(x, x2);
  return gl_mul(x3, x4);
}
// v2 arithmetic. 64x64 -> 128 product as one carry chain of 32-bit multiply-adds (PTX); the
// plain C fallback is what the CPU emulation in the tests runs.
__device__ __forceinline__ void mul128(u64 a, u64 b, u64 &lo, u64 &hi) {
#ifdef __CUDA_ARCH__
  u32 a0 = (u32)a, a1 = (u32)(a >> 32), b0 = (u32)b, b1 = (u32)(b >> 32), z = 0;
  u32 r0, r1, r2, r3;
  asm("{\n\t"
      "mul.lo.u32 %0, %4, %6;\n\t"
      "mul.hi.u32 %1, %4, %6;\n\t"
      "mad.lo.cc.u32 %1, %4, %7, %1;\n\t"
      "madc.hi.u32 %2, %4, %7, %8;\n\t"
      "mad.lo.cc.u32 %1, %5, %6, %1;\n\t"
      "madc.hi.cc.u32 %2, %5, %6, %2;\n\t"
      "addc.u32 %3, %8, %8;\n\t"
      "mad.lo.cc.u32 %2, %5, %7, %2;\n\t"
      "madc.hi.u32 %3, %5, %7, %3;\n\t"
      "}"
      : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
      : "r"(a0), "r"(a1), "r"(b0), "r"(b1), "r"(z));
  lo = ((u64)r1 << 32) | r0;
  hi = ((u64)r3 << 32) | r2;
#else
  lo = a * b;
  hi = __umul64hi(a, b);
#endif
}
// (hi * 2^64 + lo) mod p for hi < 2^32.
__device__ __forceinline__ u64 gl_reduce96(u64 lo, u64 hi) {
  u64 t1 = hi * GL_EPS;
  u64 t2 = lo + t1;
  if (t2 < t1) t2 += GL_EPS;
  return (t2 >= GL_P) ? t2 - GL_P : t2;
}
__device__ __forceinline__ u64 gl_mul2(u64 a, u64 b) { u64 lo, hi; mul128(a, b, lo, hi); return gl_reduce128(lo, hi); }
// a * b + c mod p with one reduction (c canonical).
__device__ __forceinline__ u64 gl_mul_add(u64 a, u64 b, u64 c) {
  u64 lo, hi; mul128(a, b, lo, hi);
  lo += c; hi += (lo < c) ? 1ULL : 0ULL;
  return gl_reduce128(lo, hi);
}
__device__ __forceinline__ void acc_mul2(u64 &lo, u64 &hi, u64 &top, u64 a, u64 b) {
  u64 plo, phi; mul128(a, b, plo, phi);
  lo += plo; phi += (lo < plo) ? 1ULL : 0ULL;
  hi += phi; top += (hi < phi) ? 1ULL : 0ULL;
}
__device__ __forceinline__ u64 gl_sbox2(u64 x) {
  u64 x2 = gl_mul2(x, x), x4 = gl_mul2(x2, x2), x3 = gl_mul2(x, x2);
  return gl_mul2(x3, x4);
}
// v3: the same operations on any 64-bit representative (values in [0, 2^64), reduced mod p
// lazily, as plonky2's own field does); the final canonicalisation is left to the caller.
__device__ __forceinline__ u64 gl_canon(u64 x) { return (x >= GL_P) ? x - GL_P : x; }
// a + b for any a and canonical b: a + b - 2^64 + (2^32 - 1) cannot carry again.
__device__ __forceinline__ u64 gl_add_nc(u64 a, u64 b) {
  u64 s = a + b;
  return s + ((s < a) ? GL_EPS : 0ULL);
}
__device__ __forceinline__ u64 gl_reduce128_nc(u64 lo, u64 hi) {
  u64 hh = hi >> 32, hl = hi & GL_EPS;
  u64 t0 = lo - hh;
  if (lo < hh) t0 -= GL_EPS;
  u64 t1 = hl * GL_EPS;
  u64 t2 = t0 + t1;
  return t2 + ((t2 < t1) ? GL_EPS : 0ULL);
}
__device__ __forceinline__ u64 gl_reduce96_nc(u64 lo, u64 hi) {
  u64 t1 = hi * GL_EPS;
  u64 t2 = lo + t1;
  return t2 + ((t2 < t1) ? GL_EPS : 0ULL);
}
__device__ __forceinline__ u64 gl_mul_nc(u64 a, u64 b) { u64 lo, hi; mul128(a, b, lo, hi); return gl_reduce128_nc(lo, hi); }
__device__ __forceinline__ u64 gl_mul_add_nc(u64 a, u64 b, u64 c) {
  u64 lo, hi; mul128(a, b, lo, hi);
  lo += c; hi += (lo < c) ? 1ULL : 0ULL;
  return gl_reduce128_nc(lo, hi);
}
__device__ __forceinline__ u64 acc_reduce_nc(u64 lo, u64 hi, u64 top) {
  return gl_reduce128_nc(lo, gl_reduce128_nc(hi, top));
}
__device__ __forceinline__ u64 gl_sbox_nc(u64 x) {
  u64 x2 = gl_mul_nc(x, x), x4 = gl_mul_nc(x2, x2), x3 = gl_mul_nc(x, x2);
  return gl_mul_nc(x3, x4);
}
__device__ __forceinline__ u32 bitrev(u32 x, u32 bits) { return bits == 0 ? 0u : (__brev(x) >> (32 - bits)); }
"#;

const KERNELS: &str = r#"
__device__ __forceinline__ void full_round(u64 st[12], int round) {
#pragma unroll
  for (int i = 0; i < 12; i++) st[i] = gl_sbox(gl_add(st[i], RC[12 * round + i]));
  mds_layer(st);
}

// plonky2's Poseidon with the fast partial rounds (Poseidon paper, appendix B), as
// `Poseidon::poseidon`: 4 full rounds, partial_first_constant_layer, mds_partial_layer_init,
// 22 x (sbox on st[0], constant, mds_partial_layer_fast), 4 full rounds.
__device__ __forceinline__ void poseidon_fast(u64 st[12]) {
#pragma unroll
  for (int r = 0; r < HALF_N_FULL_ROUNDS; r++) full_round(st, r);
#pragma unroll
  for (int i = 0; i < 12; i++) st[i] = gl_add(st[i], FAST_FIRST_RC[i]);
  {
    u64 res[12];
    res[0] = st[0];
#pragma unroll
    for (int c = 1; c < 12; c++) {
      u64 lo = 0, hi = 0, top = 0;
#pragma unroll
      for (int r = 1; r < 12; r++) acc_mul(lo, hi, top, st[r], FAST_INIT[(r - 1) * 11 + (c - 1)]);
      res[c] = acc_reduce(lo, hi, top);
    }
#pragma unroll
    for (int i = 0; i < 12; i++) st[i] = res[i];
  }
#pragma unroll
  for (int i = 0; i < N_PARTIAL_ROUNDS; i++) {
    u64 s0 = gl_add(gl_sbox(st[0]), FAST_RC[i]);
    u64 lo = 0, hi = 0, top = 0;
#pragma unroll
    for (int j = 1; j < 12; j++) acc_mul(lo, hi, top, st[j], FAST_WH[i * 11 + (j - 1)]);
    acc_mul(lo, hi, top, s0, MDS00);
    u64 d = acc_reduce(lo, hi, top);
#pragma unroll
    for (int j = 1; j < 12; j++) st[j] = gl_add(st[j], gl_mul(s0, FAST_VS[i * 11 + (j - 1)]));
    st[0] = d;
  }
#pragma unroll
  for (int r = 0; r < HALF_N_FULL_ROUNDS; r++) full_round(st, HALF_N_FULL_ROUNDS + N_PARTIAL_ROUNDS + r);
}

// v2 of the same permutation: the 32-bit carry-chain product, one reduction per
// multiply-add in the partial rounds, a 96-bit reduction for the MDS rows.
__device__ __forceinline__ void full_round2(u64 st[12], int round) {
#pragma unroll
  for (int i = 0; i < 12; i++) st[i] = gl_sbox2(gl_add(st[i], RC[12 * round + i]));
  mds_layer2(st);
}
__device__ __forceinline__ void poseidon_fast2(u64 st[12]) {
#pragma unroll
  for (int r = 0; r < HALF_N_FULL_ROUNDS; r++) full_round2(st, r);
#pragma unroll
  for (int i = 0; i < 12; i++) st[i] = gl_add(st[i], FAST_FIRST_RC[i]);
  {
    u64 res[12];
    res[0] = st[0];
#pragma unroll
    for (int c = 1; c < 12; c++) {
      u64 lo = 0, hi = 0, top = 0;
#pragma unroll
      for (int r = 1; r < 12; r++) acc_mul2(lo, hi, top, st[r], FAST_INIT[(r - 1) * 11 + (c - 1)]);
      res[c] = acc_reduce(lo, hi, top);
    }
#pragma unroll
    for (int i = 0; i < 12; i++) st[i] = res[i];
  }
#pragma unroll
  for (int i = 0; i < N_PARTIAL_ROUNDS; i++) {
    u64 s0 = gl_add(gl_sbox2(st[0]), FAST_RC[i]);
    u64 lo = 0, hi = 0, top = 0;
#pragma unroll
    for (int j = 1; j < 12; j++) acc_mul2(lo, hi, top, st[j], FAST_WH[i * 11 + (j - 1)]);
    acc_mul2(lo, hi, top, s0, MDS00);
    u64 d = acc_reduce(lo, hi, top);
#pragma unroll
    for (int j = 1; j < 12; j++) st[j] = gl_mul_add(s0, FAST_VS[i * 11 + (j - 1)], st[j]);
    st[0] = d;
  }
#pragma unroll
  for (int r = 0; r < HALF_N_FULL_ROUNDS; r++) full_round2(st, HALF_N_FULL_ROUNDS + N_PARTIAL_ROUNDS + r);
}

// v3: v2 on lazily reduced representatives, canonical only at the end (the MDS split and the
// 64x64 products take any 64-bit value; additions of constants use gl_add_nc).
__device__ __forceinline__ void full_round3(u64 st[12], int round) {
#pragma unroll
  for (int i = 0; i < 12; i++) st[i] = gl_sbox_nc(gl_add_nc(st[i], RC[12 * round + i]));
  mds_layer3(st);
}
__device__ __forceinline__ void poseidon_fast3(u64 st[12]) {
#pragma unroll
  for (int r = 0; r < HALF_N_FULL_ROUNDS; r++) full_round3(st, r);
#pragma unroll
  for (int i = 0; i < 12; i++) st[i] = gl_add_nc(st[i], FAST_FIRST_RC[i]);
  {
    u64 res[12];
    res[0] = st[0];
#pragma unroll
    for (int c = 1; c < 12; c++) {
      u64 lo = 0, hi = 0, top = 0;
#pragma unroll
      for (int r = 1; r < 12; r++) acc_mul2(lo, hi, top, st[r], FAST_INIT[(r - 1) * 11 + (c - 1)]);
      res[c] = acc_reduce_nc(lo, hi, top);
    }
#pragma unroll
    for (int i = 0; i < 12; i++) st[i] = res[i];
  }
#pragma unroll
  for (int i = 0; i < N_PARTIAL_ROUNDS; i++) {
    u64 s0 = gl_add_nc(gl_sbox_nc(st[0]), FAST_RC[i]);
    u64 lo = 0, hi = 0, top = 0;
#pragma unroll
    for (int j = 1; j < 12; j++) acc_mul2(lo, hi, top, st[j], FAST_WH[i * 11 + (j - 1)]);
    acc_mul2(lo, hi, top, s0, MDS00);
    u64 d = acc_reduce_nc(lo, hi, top);
#pragma unroll
    for (int j = 1; j < 12; j++) st[j] = gl_mul_add_nc(s0, FAST_VS[i * 11 + (j - 1)], st[j]);
    st[0] = d;
  }
#pragma unroll
  for (int r = 0; r < HALF_N_FULL_ROUNDS; r++) full_round3(st, HALF_N_FULL_ROUNDS + N_PARTIAL_ROUNDS + r);
#pragma unroll
  for (int i = 0; i < 12; i++) st[i] = gl_canon(st[i]);
}

// v4: v3's lazily reduced values, with every product, dot product, reduction and constant
// addition a 32-bit PTX carry chain (`carry_chain.rs`: no compare/select pairs), each round
// constant added for free as the previous MDS layer's accumulator start, and the partial rounds'
// constant folded into the S-box's last product.
__device__ __forceinline__ u64 gl4_sbox(u64 x) {
  u64 x2 = gl4_mul(x, x), x4 = gl4_mul(x2, x2), x3 = gl4_mul(x, x2);
  return gl4_mul(x3, x4);
}
__device__ __forceinline__ void poseidon_fast4(u64 st[12]) {
#pragma unroll
  for (int i = 0; i < 12; i++) st[i] = gl4_add(st[i], RC[i]);
#pragma unroll
  for (int r = 0; r < HALF_N_FULL_ROUNDS; r++) {
#pragma unroll
    for (int i = 0; i < 12; i++) st[i] = gl4_sbox(st[i]);
    mds_layer4(st, r + 1 < HALF_N_FULL_ROUNDS ? &RC[12 * (r + 1)] : FAST_FIRST_RC);
  }
  {
    u64 res[12];
    res[0] = st[0];
#pragma unroll
    for (int c = 1; c < 12; c++) {
      u32 e[5] = {0, 0, 0, 0, 0}, o[3] = {0, 0, 0};
#pragma unroll
      for (int r = 1; r < 12; r++) gl4_dot_term(e, o, st[r], FAST_INIT[(r - 1) * 11 + (c - 1)]);
      res[c] = gl4_dot_final(e, o);
    }
#pragma unroll
    for (int i = 0; i < 12; i++) st[i] = res[i];
  }
#pragma unroll
  for (int i = 0; i < N_PARTIAL_ROUNDS; i++) {
    u64 x = st[0], x2 = gl4_mul(x, x), x4 = gl4_mul(x2, x2), x3 = gl4_mul(x, x2);
    u64 s0 = gl4_mul_add(x3, x4, FAST_RC[i]);
    u32 e[5] = {0, 0, 0, 0, 0}, o[3] = {0, 0, 0};
#pragma unroll
    for (int j = 1; j < 12; j++) gl4_dot_term(e, o, st[j], FAST_WH[i * 11 + (j - 1)]);
    gl4_dot_term(e, o, s0, MDS00);
    u64 d = gl4_dot_final(e, o);
#pragma unroll
    for (int j = 1; j < 12; j++) st[j] = gl4_mul_add(s0, FAST_VS[i * 11 + (j - 1)], st[j]);
    st[0] = d;
  }
  const int second = HALF_N_FULL_ROUNDS + N_PARTIAL_ROUNDS;
#pragma unroll
  for (int i = 0; i < 12; i++) st[i] = gl4_add(st[i], RC[12 * second + i]);
#pragma unroll
  for (int r = 0; r < HALF_N_FULL_ROUNDS; r++) {
#pragma unroll
    for (int i = 0; i < 12; i++) st[i] = gl4_sbox(st[i]);
    mds_layer4(st, r + 1 < HALF_N_FULL_ROUNDS ? &RC[12 * (second + r + 1)] : ZERO12);
  }
#pragma unroll
  for (int i = 0; i < 12; i++) st[i] = gl_canon(st[i]);
}

// plonky2's `poseidon_naive`: partial rounds with every round constant and the full MDS layer.
__device__ __forceinline__ void poseidon_naive(u64 st[12]) {
#pragma unroll
  for (int r = 0; r < HALF_N_FULL_ROUNDS; r++) full_round(st, r);
#pragma unroll 2
  for (int r = HALF_N_FULL_ROUNDS; r < HALF_N_FULL_ROUNDS + N_PARTIAL_ROUNDS; r++) {
#pragma unroll
    for (int i = 0; i < 12; i++) st[i] = gl_add(st[i], RC[12 * r + i]);
    st[0] = gl_sbox(st[0]);
    mds_layer(st);
  }
#pragma unroll
  for (int r = 0; r < HALF_N_FULL_ROUNDS; r++) full_round(st, HALF_N_FULL_ROUNDS + N_PARTIAL_ROUNDS + r);
}

@@POSEIDON_KERNELS@@

#ifdef FRISPOOL_BENCH_KERNELS
// One pass of a decimation-in-frequency NTT over `ncols` columns of 2^log_len elements each
// (column c at data[c << log_len]), covering the t stages s0 .. s0+t-1 in shared memory.
// Stage s pairs indices i, i + h (h = 2^(log_len-s-1)) and sets (a + b, (a - b) w^(i mod h) << s)
// with w = tw[1] a primitive 2^log_len-th root (tw[e] = w^e, e < 2^(log_len-1)). A full DIF leaves
// the transform in bit-reversed order. The stages of this pass touch only indices that differ in
// bits [lo, lo+t) (lo = log_len - s0 - t); a tile is those 2^t strided elements for 2^log_c
// consecutive values of the bits below lo (coalesced rows of the tile).
extern "C" __global__ void ntt_dif_pass_v1(u64 *data, const u64 *__restrict__ tw, u32 log_len, u32 s0, u32 t, u32 log_c) {
  extern __shared__ u64 sm[];
  const u32 lo = log_len - s0 - t;
  const u32 tile_log = t + log_c;
  const u32 tile = 1u << tile_log;
  const u32 chunks = 1u << (lo - log_c);          // low-bit chunks per high value
  const u32 b = blockIdx.x;
  const u64 high = b / chunks;
  const u64 lowbase = (u64)(b % chunks) << log_c;
  u64 *col = data + ((u64)blockIdx.y << log_len);
  const u32 cmask = (1u << log_c) - 1;
  for (u32 e = threadIdx.x; e < tile; e += blockDim.x) {
    u64 jj = e >> log_c, l = e & cmask;
    sm[e] = col[(high << (lo + t)) | (jj << lo) | (lowbase + l)];
  }
  __syncthreads();
  for (u32 q = 0; q < t; q++) {
    const u32 s = s0 + q;
    const u32 hb = t - 1 - q;                     // pair bit inside the tile's j index
    for (u32 bf = threadIdx.x; bf < tile / 2; bf += blockDim.x) {
      u32 l = bf & cmask;
      u32 p = bf >> log_c;
      u32 j0 = ((p >> hb) << (hb + 1)) | (p & ((1u << hb) - 1));
      u32 j1 = j0 | (1u << hb);
      u32 e0 = (j0 << log_c) | l, e1 = (j1 << log_c) | l;
      u64 imod = ((u64)(j0 & ((1u << hb) - 1)) << lo) | (lowbase + l);
      u64 w = tw[imod << s];
      u64 x = sm[e0], y = sm[e1];
      sm[e0] = gl_add(x, y);
      sm[e1] = gl_mul(gl_sub(x, y), w);
    }
    __syncthreads();
  }
  for (u32 e = threadIdx.x; e < tile; e += blockDim.x) {
    u64 jj = e >> log_c, l = e & cmask;
    col[(high << (lo + t)) | (jj << lo) | (lowbase + l)] = sm[e];
  }
}

#endif  // FRISPOOL_BENCH_KERNELS

// v2 of the pass: 32-bit index arithmetic, and two stages per barrier (radix 4): each work item
// holds the 4 elements whose j indices differ in the two pair bits, in registers.
// v3: twiddles read from a stage-major table (stage s: w^(k << s), k < 2^(log_len-s-1), after the
// plain table, at offset 2^log_len - 2^(log_len-s)), so neighbouring threads read neighbouring
// twiddles instead of gathering with stride 2^s.
#define TWS(s, k) tws[(len - (len >> (s))) + (k)]
extern "C" __global__ void ntt_dif_pass(u64 *data, const u64 *__restrict__ tw, u32 log_len, u32 s0, u32 t, u32 log_c) {
  extern __shared__ u64 sm[];
  const u32 len = 1u << log_len;
  const u64 *__restrict__ tws = tw + (len >> 1);
  const u32 lo = log_len - s0 - t;
  const u32 tile = 1u << (t + log_c);
  const u32 chunks_log = lo - log_c;
  const u32 b = blockIdx.x;
  const u64 high = (u64)(b >> chunks_log);
  const u32 lowbase = (b & ((1u << chunks_log) - 1)) << log_c;
  u64 *col = data + ((u64)blockIdx.y << log_len) + (high << (lo + t)) + lowbase;
  const u32 cmask = (1u << log_c) - 1;
  // v4: the thread's tile elements are loaded 8 at a time, all 8 loads issued before the first
  // use (on the GPU a tile is at most 8 x blockDim, so the outer loop runs once).
  for (u32 base = 0; base < tile; base += 8 * blockDim.x) {
    u64 r[8];
#pragma unroll
    for (int k = 0; k < 8; k++) {
      u32 e = base + threadIdx.x + k * blockDim.x;
      if (e < tile) r[k] = col[((u64)(e >> log_c) << lo) + (e & cmask)];
    }
#pragma unroll
    for (int k = 0; k < 8; k++) {
      u32 e = base + threadIdx.x + k * blockDim.x;
      if (e < tile) sm[e] = r[k];
    }
  }
  __syncthreads();
  u32 q = 0;
  for (; q + 1 < t; q += 2) {
    const u32 s = s0 + q;
    const u32 hb = t - 1 - q;                     // pair bit of stage s; hb - 1 for stage s + 1
    const u32 m1 = (1u << (hb - 1)) - 1;
#pragma unroll 2
    for (u32 f = threadIdx.x; f < tile / 4; f += blockDim.x) {
      const u32 l = f & cmask;
      const u32 p = f >> log_c;
      const u32 ja = ((p >> (hb - 1)) << (hb + 1)) | (p & m1);
      const u32 ea = (ja << log_c) | l;
      const u32 eb = ea + (1u << (hb - 1 + log_c));
      const u32 ec = ea + (1u << (hb + log_c));
      const u32 ed = ec + (1u << (hb - 1 + log_c));
      const u32 ia = ((ja & ((1u << hb) - 1)) << lo) | (lowbase + l);
      const u32 ib = ia + (1u << (hb - 1 + lo));
      const u32 i2 = ((ja & m1) << lo) | (lowbase + l);
      const u64 wa = TWS(s, ia), wb = TWS(s, ib), w2 = TWS(s + 1, i2);
      u64 xa = sm[ea], xb = sm[eb], xc = sm[ec], xd = sm[ed];
      u64 ya = gl_add(xa, xc), yc = gl_mul2(gl_sub(xa, xc), wa);
      u64 yb = gl_add(xb, xd), yd = gl_mul2(gl_sub(xb, xd), wb);
      sm[ea] = gl_add(ya, yb);
      sm[eb] = gl_mul2(gl_sub(ya, yb), w2);
      sm[ec] = gl_add(yc, yd);
      sm[ed] = gl_mul2(gl_sub(yc, yd), w2);
    }
    __syncthreads();
  }
  if (q < t) {
    const u32 s = s0 + q;                         // the last stage of the pass: pair bit 0
    for (u32 bf = threadIdx.x; bf < tile / 2; bf += blockDim.x) {
      const u32 l = bf & cmask;
      const u32 j0 = (bf >> log_c) << 1;
      const u32 e0 = (j0 << log_c) | l, e1 = e0 + (1u << log_c);
      const u64 w = TWS(s, lowbase + l);
      u64 x = sm[e0], y = sm[e1];
      sm[e0] = gl_add(x, y);
      sm[e1] = gl_mul2(gl_sub(x, y), w);
    }
    __syncthreads();
  }
  for (u32 base = 0; base < tile; base += 8 * blockDim.x) {
    u64 r[8];
#pragma unroll
    for (int k = 0; k < 8; k++) {
      u32 e = base + threadIdx.x + k * blockDim.x;
      if (e < tile) r[k] = sm[e];
    }
#pragma unroll
    for (int k = 0; k < 8; k++) {
      u32 e = base + threadIdx.x + k * blockDim.x;
      if (e < tile) col[((u64)(e >> log_c) << lo) + (e & cmask)] = r[k];
    }
  }
}

// After an inverse DIF NTT of size n = 2^log_n (coeffs_br[rev(j)] = n * c_j): writes the natural
// coefficients c_j and the zero-padded coset input out[j] = c_j * shift^j for
// j < n, 0 for n <= j < N = n << rate_bits (scale[j] = n^-1 shift^j).
extern "C" __global__ void lde_expand(const u64 *__restrict__ coeffs_br, const u64 *__restrict__ scale, u64 n_inv,
                                      u64 *coeffs, u64 *out, u32 log_n, u32 rate_bits) {
  u64 j = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  u64 n = 1ULL << log_n, N = n << rate_bits;
  if (j >= N) return;
  u64 c = blockIdx.y;
  if (j < n) {
    u64 v = coeffs_br[c * n + bitrev((u32)j, log_n)];
    coeffs[c * n + j] = gl_mul(v, n_inv);
    out[c * N + j] = gl_mul(v, scale[j]);
  } else {
    out[c * N + j] = 0;
  }
}

// plonky2's MerkleTree digest layout: within a sub-tree of 2^k leaves, the pair of siblings with
// pair index j at layer i (i = 0: leaf hashes) is at digest 2 * ((j << (i + 1)) + 2^i - 1).
__device__ __forceinline__ u64 digest_pos(u32 layer, u64 n) {
  return 2 * (((n >> 1) << (layer + 1)) + (1ULL << layer) - 1) + (n & 1);
}

// hash_or_noop of every row of the column-major matrix lde (ncols columns of 2^log_n): rows of at
// most 4 elements are padded with zeros, longer ones go through the overwrite-mode sponge (rate 8).
// Written to the digest slot of leaf g, or straight to the cap when the tree is all cap.
extern "C" __global__ void merkle_leaves(const u64 *__restrict__ lde, u32 ncols, u32 log_n, u32 sub_log,
                                         u64 *digests, u64 *cap) {
  u64 g = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  u64 N = 1ULL << log_n;
  if (g >= N) return;
  u64 st[12];
#pragma unroll
  for (int i = 0; i < 12; i++) st[i] = 0;
  if (ncols <= 4) {
#pragma unroll
    for (int e = 0; e < 4; e++) if ((u32)e < ncols) st[e] = lde[(u64)e * N + g];
  } else {
    for (u32 c0 = 0; c0 < ncols; c0 += 8) {
#pragma unroll
      for (int e = 0; e < 8; e++) if (c0 + e < ncols) st[e] = lde[(u64)(c0 + e) * N + g];
      TREE_PERM(st);
    }
  }
  u64 *dst;
  if (sub_log == 0) {
    dst = cap + g * 4;
  } else {
    u64 sub_len = 2 * ((1ULL << sub_log) - 1);
    u64 tree = g >> sub_log, n = g & ((1ULL << sub_log) - 1);
    dst = digests + (tree * sub_len + digest_pos(0, n)) * 4;
  }
#pragma unroll
  for (int e = 0; e < 4; e++) dst[e] = st[e];
}

// Compress the pairs of layer `layer` into layer + 1 (two_to_one: [left | right | 0], permute,
// first 4). The roots of the 2^cap_height sub-trees go to the cap.
extern "C" __global__ void merkle_layer(u64 *digests, u64 *cap, u32 log_n, u32 sub_log, u32 layer) {
  u64 idx = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  u64 total = 1ULL << (log_n - layer - 1);
  if (idx >= total) return;
  u32 per_log = sub_log - layer - 1;
  u64 tree = idx >> per_log, n = idx & ((1ULL << per_log) - 1);
  u64 sub_len = 2 * ((1ULL << sub_log) - 1);
  u64 base = tree * sub_len;
  u64 lp = base + 2 * ((n << (layer + 1)) + (1ULL << layer) - 1);
  u64 st[12];
#pragma unroll
  for (int e = 0; e < 8; e++) st[e] = digests[lp * 4 + e];
#pragma unroll
  for (int e = 8; e < 12; e++) st[e] = 0;
  TREE_PERM(st);
  u64 *dst = (layer + 1 == sub_log) ? (cap + tree * 4) : (digests + (base + digest_pos(layer + 1, n)) * 4);
#pragma unroll
  for (int e = 0; e < 4; e++) dst[e] = st[e];
}

// The FRI proof-of-work search. The challenger's duplex state as the witness finds it (the sponge after its last
// permutation with the buffered inputs already written over elements 0..pos) is `state`; candidate w = start + t
// goes in element pos, one permutation follows, and the challenger's next output is element 7 (the last of the
// rate, which plonky2's output buffer pops first). Enough leading zeros make w a witness; the smallest wins.
extern "C" __global__ void pow_search(const u64 *__restrict__ state, u32 pos, u64 start, u32 count, u32 min_zeros,
                                      u64 *best) {
  u32 t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= count) return;
  u64 w = start + t;
  u64 st[12];
#pragma unroll
  for (int i = 0; i < 12; i++) st[i] = (i == (int)pos) ? w : state[i];
  TREE_PERM(st);
  if ((u32)__clzll(st[7]) >= min_zeros) atomicMin(best, w);
}

// Column-major (ncols columns of len) to row-major (len rows of ncols), 32x32 tiles.
extern "C" __global__ void transpose_cols_to_rows(const u64 *__restrict__ in, u64 *__restrict__ out, u32 ncols, u64 len) {
  __shared__ u64 tile[32][33];
  u64 r0 = (u64)blockIdx.x * 32;
  u32 c0 = blockIdx.y * 32;
  for (u32 k = threadIdx.y; k < 32; k += blockDim.y)
    for (u32 x = threadIdx.x; x < 32; x += blockDim.x) {
      u32 c = c0 + k; u64 r = r0 + x;
      if (c < ncols && r < len) tile[k][x] = in[(u64)c * len + r];
    }
  __syncthreads();
  for (u32 k = threadIdx.y; k < 32; k += blockDim.y)
    for (u32 x = threadIdx.x; x < 32; x += blockDim.x) {
      u64 r = r0 + k; u32 c = c0 + x;
      if (r < len && c < ncols) out[r * ncols + c] = tile[x][k];
    }
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_has_plonky2_constants_and_every_kernel() {
        let src = kernel_source(KernelSet::Bench).unwrap();
        let prover = kernel_source(KernelSet::Prover).unwrap();
        assert!(!prover.contains("poseidon_bench_naive(") && prover.contains("poseidon_batch_fast4("));
        assert_eq!(kernel_names(KernelSet::Prover).len(), 12);
        // The first and last round constants, from plonky2's own array.
        let first = format!("0x{:016x}ULL", ALL_ROUND_CONSTANTS[0] % GOLDILOCKS_P);
        let last = format!("0x{:016x}ULL", ALL_ROUND_CONSTANTS[ALL_ROUND_CONSTANTS.len() - 1] % GOLDILOCKS_P);
        assert!(src.contains(&first) && src.contains(&last));
        let wh = <F as Poseidon>::FAST_PARTIAL_ROUND_W_HATS[21][10] % GOLDILOCKS_P;
        assert!(src.contains(&format!("0x{wh:016x}ULL")));
        for name in kernel_names(KernelSet::Bench) {
            let decl = format!(" {name}(");
            assert!(src.lines().any(|l| l.contains("__global__") && l.contains(&decl)), "kernel {name} missing");
        }
        assert_eq!(src.matches("__constant__ u64 RC[360]").count(), 1);
        // 12 MDS rows.
        assert_eq!(src.matches("] = gl_reduce128(lo, hi); }").count(), 12);
        assert_eq!(src.matches("] = gl_reduce96(lo, hi); }").count(), 12);
        assert_eq!(src.matches("] = gl_reduce96_nc(lo, hi); }").count(), 12);
        // Balanced braces (a cheap syntax sanity check of the generated text).
        assert_eq!(src.matches('{').count(), src.matches('}').count());
    }
}
