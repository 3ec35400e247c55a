// The CUDA-to-C++ shim under which the tests compile the generated kernel source for the CPU
// (one thread per block: every kernel strides its loops by blockDim, and barriers are no-ops).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
struct dim3_ { unsigned x, y, z; };
static dim3_ blockIdx, threadIdx, blockDim, gridDim;
#define __global__
#define __launch_bounds__(a, b)
#define __device__
#define __forceinline__ inline
#define __constant__ static const
#define __shared__
#define __restrict__ __restrict
#define __syncthreads() do {} while (0)
static inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
  return (unsigned long long)(((unsigned __int128)a * b) >> 64);
}
static inline unsigned int __brev(unsigned int x) {
  unsigned int r = 0;
  for (int i = 0; i < 32; i++) { r = (r << 1) | (x & 1); x >>= 1; }
  return r;
}
static inline int __clzll(unsigned long long x) { return x == 0 ? 64 : __builtin_clzll(x); }
static inline unsigned long long atomicMin(unsigned long long *a, unsigned long long v) {
  unsigned long long old = *a;
  if (v < old) *a = v;
  return old;
}
unsigned long long sm[1 << 12];
