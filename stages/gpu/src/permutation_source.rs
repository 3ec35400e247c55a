//! The CUDA C of the permutation argument's kernels (step 4 of a proof: Z and the partial products), appended
//! to the prover's module by [`crate::source::kernel_source`]. The launch sequence is
//! [`crate::partial_products`]; what they compute is `prover/permutation.rs`'s host function, value for value.

/// Most chunks a row has (`num_partial_products + 1`): the per-thread arrays are sized by it.
pub const PP_MAX_CHUNKS: usize = 32;

/// Most threads of the scan's block (its shared array).
pub const PP_SCAN_THREADS: u32 = 1024;

/// `pp_quotients` and `pp_scan`. Field arithmetic from the prelude (canonical `gl_mul` / `gl_add`).
pub(crate) const PERMUTATION_KERNELS: &str = r#"
// x^e by squaring.
__device__ __forceinline__ u64 gl_pow(u64 x, u64 e) {
  u64 r = 1ULL;
  while (e) {
    if (e & 1ULL) r = gl_mul(r, x);
    x = gl_mul(x, x);
    e >>= 1;
  }
  return r;
}
// x^-1 = x^(p-2) (x != 0).
__device__ __forceinline__ u64 gl_inv(u64 x) { return gl_pow(x, GL_P - 2ULL); }

#define PP_MAX_CHUNKS @@PP_MAX_CHUNKS@@
#define PP_SCAN_THREADS @@PP_SCAN_THREADS@@

// The permutation argument's chunk quotients. Thread (c, row), for challenge c = (beta, gamma) and subgroup point
// x = omega^row: routed wire j contributes f_j = w_j + beta k_j x + gamma over g_j = w_j + beta sigma_j + gamma;
// chunk k is the product of f_j / g_j over its `chunk` wires. The row's denominators are inverted together (one
// field inversion per thread: prefix products, then each inverse backed out).
// wires, sigmas: column-major (column j at j * n); params: k_is[routed], betas[nc], gammas[nc], omega;
// q: column (c * nchunks + k) at that index * n.
extern "C" __global__ void pp_quotients(const u64 *__restrict__ wires, const u64 *__restrict__ sigmas,
                                        const u64 *__restrict__ params, u64 *__restrict__ q, u32 log_n, u32 routed,
                                        u32 nc, u32 chunk, u32 nchunks) {
  u64 n = 1ULL << log_n;
  u64 t = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= n * nc) return;
  u64 row = t & (n - 1);
  u32 c = (u32)(t >> log_n);
  u64 beta = params[routed + c], gamma = params[routed + nc + c];
  u64 beta_x = gl_mul(beta, gl_pow(params[routed + 2 * nc], row));
  // num_pre[k] = numerator k times the denominators before k; den[k] = denominator k.
  u64 num_pre[PP_MAX_CHUNKS], den[PP_MAX_CHUNKS];
  u64 pre = 1ULL;
  for (u32 k = 0; k < nchunks; k++) {
    u64 a = 1ULL, b = 1ULL;
    u32 end = (k + 1) * chunk < routed ? (k + 1) * chunk : routed;
    for (u32 j = k * chunk; j < end; j++) {
      u64 w = gl_add(wires[(u64)j * n + row], gamma);
      a = gl_mul(a, gl_add(w, gl_mul(beta_x, params[j])));
      b = gl_mul(b, gl_add(w, gl_mul(beta, sigmas[(u64)j * n + row])));
    }
    num_pre[k] = gl_mul(a, pre);
    den[k] = b;
    pre = gl_mul(pre, b);
  }
  // inv = (den[0] ... den[k])^-1 going down: quotient k = num_k (den_0 ... den_{k-1}) inv.
  u64 inv = gl_inv(pre);
  for (u32 k = nchunks; k-- > 0;) {
    q[((u64)c * nchunks + k) * n + row] = gl_mul(num_pre[k], inv);
    inv = gl_mul(inv, den[k]);
  }
}

// Z and the partial products of challenge c = blockIdx.x, from the chunk quotients: Z(0) = 1,
// Z(row + 1) = Z(row) q_0 ... q_{m}, partial product k at row = Z(row) q_0 ... q_k (k < m = nchunks - 1).
// Each thread takes n / blockDim consecutive rows: its segment's product, a product scan across the block
// (shared memory), then the segment's rows from the product of the segments before it. The field is
// commutative, so the values are the host's sequential products exactly.
// out: column c (Z of challenge c), then column nc + c * m + k (partial product k of challenge c), n each.
extern "C" __global__ void pp_scan(const u64 *__restrict__ q, u64 *__restrict__ out, u32 log_n, u32 nc,
                                   u32 nchunks) {
  __shared__ u64 seg[PP_SCAN_THREADS];
  u64 n = 1ULL << log_n;
  u32 c = blockIdx.x, t = threadIdx.x, threads = blockDim.x;
  u64 per = n / threads, lo = (u64)t * per;
  const u64 *qc = q + (u64)c * nchunks * n;
  u64 s = 1ULL;
  for (u64 r = lo; r < lo + per; r++)
    for (u32 k = 0; k < nchunks; k++) s = gl_mul(s, qc[(u64)k * n + r]);
  seg[t] = s;
  __syncthreads();
  for (u32 off = 1; off < threads; off <<= 1) {
    u64 v = (t >= off) ? seg[t - off] : 1ULL;
    __syncthreads();
    seg[t] = gl_mul(seg[t], v);
    __syncthreads();
  }
  u64 z = (t == 0) ? 1ULL : seg[t - 1];
  u32 m = nchunks - 1;
  for (u64 r = lo; r < lo + per; r++) {
    out[(u64)c * n + r] = z;
    u64 acc = z;
    for (u32 k = 0; k < nchunks; k++) {
      acc = gl_mul(acc, qc[(u64)k * n + r]);
      if (k < m) out[((u64)nc + (u64)c * m + k) * n + r] = acc;
    }
    z = acc;
  }
}
"#;

/// [`PERMUTATION_KERNELS`] with its sizes filled in.
pub(crate) fn permutation_kernels() -> String {
    PERMUTATION_KERNELS
        .replace("@@PP_MAX_CHUNKS@@", &PP_MAX_CHUNKS.to_string())
        .replace("@@PP_SCAN_THREADS@@", &PP_SCAN_THREADS.to_string())
}
