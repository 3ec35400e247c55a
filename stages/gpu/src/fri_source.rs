//! The CUDA C of FRI's commit phase on the device (step 9 of a proof), appended to the prover's module by
//! [`crate::source::kernel_source`]; the launch sequence is [`crate::fri_device`].
//!
//! Both kernels work on values, never coefficients: plonky2 builds the composition polynomial from the oracles'
//! coefficients and evaluates it on the LDE coset, and folds coefficients; here the composition is evaluated
//! directly at each coset point from the oracles' LDE rows (already on the device), and each fold interpolates a
//! leaf's coset. Both are the same polynomials at the same points in exact field arithmetic, so every value is
//! plonky2's.
//!
//! A layer's values sit in plonky2's leaf order (bit-reversed): value i = k·r + s is element s of leaf k (arity r).
//! On the device a layer is column-major by leaf element, as the Merkle kernels read leaves: component e of value
//! i at `(2 s + e) · L + k`, L = leaves.

/// `fri_combine` and `fri_fold`. Quadratic-extension elements are pairs (a0, a1) = a0 + a1·u, u² = W.
pub(crate) const FRI_KERNELS: &str = r#"
// (a0 + a1 u)(b0 + b1 u), u^2 = w.
__device__ __forceinline__ void ext_mul(u64 a0, u64 a1, u64 b0, u64 b1, u64 w, u64 &r0, u64 &r1) {
  r0 = gl_add(gl_mul(a0, b0), gl_mul(w, gl_mul(a1, b1)));
  r1 = gl_add(gl_mul(a0, b1), gl_mul(a1, b0));
}
// (a0 + a1 u)^-1 = (a0 - a1 u) / (a0^2 - w a1^2).
__device__ __forceinline__ void ext_inv(u64 a0, u64 a1, u64 w, u64 &r0, u64 &r1) {
  u64 norm_inv = gl_inv(gl_sub(gl_mul(a0, a0), gl_mul(w, gl_mul(a1, a1))));
  r0 = gl_mul(a0, norm_inv);
  r1 = gl_mul(gl_sub(0ULL, a1), norm_inv);
}
// Where value i of a layer of 2^log_len in leaf order (arity 2^arity_bits) goes on the device.
__device__ __forceinline__ u64 fri_slot(u64 i, u32 log_len, u32 arity_bits, u32 e) {
  u64 leaves = 1ULL << (log_len - arity_bits);
  u64 k = i >> arity_bits, s = i & ((1ULL << arity_bits) - 1);
  return (2 * s + e) * leaves + k;
}

// The composition polynomial at every point of the LDE coset, in leaf order: thread i, point
// x = shift * omega^rev(i). With the oracles' rows (row-major, plonky2's leaf order; widths w0..w3) and
// params = [alpha^j for every column of the four oracles in order (pairs)] then zeta, g zeta, y0, y1, alpha^nc
// (pairs), shift, omega, w:
//   v = alpha^nc (F0(x) - y0) / (x - zeta) + (F1(x) - y1) / (x - g zeta),
//   F0 = sum_j alpha^j f_j (every column), F1 = sum_{j < nc} alpha^j Z_j (the first nc columns of oracle 2),
// which is plonky2's `final_poly` (two batches: every polynomial at zeta, the Z polynomials at g zeta).
extern "C" __global__ void fri_combine(const u64 *__restrict__ r0, const u64 *__restrict__ r1,
                                       const u64 *__restrict__ r2, const u64 *__restrict__ r3, u32 w0, u32 w1, u32 w2,
                                       u32 w3, u32 nc, const u64 *__restrict__ params, u64 *__restrict__ out,
                                       u32 log_len, u32 arity_bits) {
  u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= (1ULL << log_len)) return;
  u32 cols = w0 + w1 + w2 + w3;
  const u64 *tail = params + 2 * (u64)cols;
  u64 shift = tail[10], omega = tail[11], w = tail[12];
  u64 x = gl_mul(shift, gl_pow(omega, bitrev((u32)i, log_len)));
  const u64 *rows[4] = {r0, r1, r2, r3};
  u32 widths[4] = {w0, w1, w2, w3};
  u64 a0 = 0, a1 = 0, z0 = 0, z1 = 0;
  u32 j = 0;
  for (int o = 0; o < 4; o++) {
    const u64 *row = rows[o] + i * widths[o];
    for (u32 c = 0; c < widths[o]; c++, j++) {
      u64 f = row[c];
      a0 = gl_add(a0, gl_mul(params[2 * j], f));
      a1 = gl_add(a1, gl_mul(params[2 * j + 1], f));
    }
  }
  // F1 = sum_{j < nc} alpha^j Z_j over oracle 2's first nc columns (powers from alpha^0 again).
  {
    const u64 *row = r2 + i * w2;
    for (u32 c = 0; c < nc; c++) {
      z0 = gl_add(z0, gl_mul(params[2 * c], row[c]));
      z1 = gl_add(z1, gl_mul(params[2 * c + 1], row[c]));
    }
  }
  u64 q0, q1, d0, d1, t0, t1;
  // (F0 - y0) / (x - zeta)
  ext_inv(gl_sub(x, tail[0]), gl_sub(0ULL, tail[1]), w, d0, d1);
  ext_mul(gl_sub(a0, tail[4]), gl_sub(a1, tail[5]), d0, d1, w, q0, q1);
  ext_mul(q0, q1, tail[8], tail[9], w, t0, t1);
  // + (F1 - y1) / (x - g zeta)
  ext_inv(gl_sub(x, tail[2]), gl_sub(0ULL, tail[3]), w, d0, d1);
  ext_mul(gl_sub(z0, tail[6]), gl_sub(z1, tail[7]), d0, d1, w, q0, q1);
  out[fri_slot(i, log_len, arity_bits, 0)] = gl_add(t0, q0);
  out[fri_slot(i, log_len, arity_bits, 1)] = gl_add(t1, q1);
}

// One FRI fold. `in`: a layer of 2^log_len values on the coset shift * <omega>, arity r = 2^arity_bits; thread k
// folds leaf k: its values are P at x0 * omega_r^rev(s), x0 = shift * omega^rev(k) (k's bits reversed over
// log2 of the leaf count; omega_r = omega^(len/r)),
// and P(X) = sum_{i<r} X^i P_i(X^r) folds to P'(x0^r) = sum_i beta^i P_i(x0^r):
//   a_i = (1/r) sum_t P(x0 omega_r^t) omega_r^(-t i) = x0^i P_i(x0^r),  P'(x0^r) = sum_i (beta / x0)^i a_i.
// The folded value is value k (leaf order) of the next layer, written for that layer's arity out_bits.
// params: beta (pair), shift^-1, omega^-1, r^-1, w.
extern "C" __global__ void fri_fold(const u64 *__restrict__ in, u64 *__restrict__ out, const u64 *__restrict__ params,
                                    u32 log_len, u32 arity_bits, u32 out_bits) {
  u32 log_leaves = log_len - arity_bits;
  u64 k = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (k >= (1ULL << log_leaves)) return;
  u32 r = 1u << arity_bits;
  u64 leaves = 1ULL << log_leaves;
  u64 w = params[5];
  u64 omega_inv = params[3];
  u64 x0_inv = gl_mul(params[2], gl_pow(omega_inv, bitrev((u32)k, log_leaves)));
  u64 omega_r_inv = gl_pow(omega_inv, leaves);
  u64 g0, g1;
  ext_mul(params[0], params[1], x0_inv, 0ULL, w, g0, g1);
  // Horner over i = r-1 .. 0 of a_i, each a_i a sum over t (natural order: element s = rev(t)).
  u64 acc0 = 0, acc1 = 0;
  for (u32 i = r; i-- > 0;) {
    u64 step = gl_pow(omega_r_inv, i), pw = 1ULL, s0 = 0, s1 = 0;
    for (u32 t = 0; t < r; t++) {
      u32 s = bitrev(t, arity_bits);
      s0 = gl_add(s0, gl_mul(in[(2 * (u64)s) * leaves + k], pw));
      s1 = gl_add(s1, gl_mul(in[(2 * (u64)s + 1) * leaves + k], pw));
      pw = gl_mul(pw, step);
    }
    u64 h0, h1;
    ext_mul(acc0, acc1, g0, g1, w, h0, h1);
    acc0 = gl_add(h0, s0);
    acc1 = gl_add(h1, s1);
  }
  out[fri_slot(k, log_leaves, out_bits, 0)] = gl_mul(acc0, params[4]);
  out[fri_slot(k, log_leaves, out_bits, 1)] = gl_mul(acc1, params[4]);
}
"#;
