#!/bin/bash
# Runs on the GPU machine (through the `run` tool), from the repository root, with gpu-bin/ carried:
# the x86-64 gpu_check example built here (no cargo there). Output under $OUT.
set -o pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
if ! ldconfig -p | grep -q 'libnvrtc.so'; then
  d=$(dirname "$(ls /usr/local/cuda/lib64/libnvrtc.so* /usr/local/cuda*/targets/x86_64-linux/lib/libnvrtc.so* 2>/dev/null | head -1)")
  [ -n "$d" ] && export LD_LIBRARY_PATH="$d:$LD_LIBRARY_PATH"
fi
export PATH=$PATH:/usr/local/cuda/bin
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu,utilization.gpu,memory.used --format=csv 2>&1 | tee "$OUT/nvidia-smi.txt"
# SASS=0 skips the PTX dump and the SASS counts below (stages/gpu/sass-local.sh gives them off the GPU machine).
if [ "${SASS:-1}" = 0 ]; then
  ./gpu-bin/gpu_check "$@" 2>&1 | tee "$OUT/gpu_check.log"
else
  GPU_DUMP_PTX=$OUT/kernels.ptx ./gpu-bin/gpu_check "$@" 2>&1 | tee "$OUT/gpu_check.log"
fi
rc=$?
# Resource report (registers, spills) and SASS instruction mix of the kernels, for NOTES.md.
if [ -f "$OUT/kernels.ptx" ] && command -v ptxas >/dev/null; then
  arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d .)
  ptxas -arch=sm_$arch -v "$OUT/kernels.ptx" -o /tmp/k.cubin > "$OUT/ptxas.txt" 2>&1
  grep -E "Compiling entry|registers|spill" "$OUT/ptxas.txt" | paste - - - | sed 's/ptxas info    ://g' | cut -c1-220
  for k in poseidon_bench_fast poseidon_bench_fast2 poseidon_bench_fast3 poseidon_bench_fast3lb poseidon_bench_fast4 poseidon_bench_naive ntt_dif_pass ntt_dif_pass_v1 merkle_leaves; do
    cuobjdump -sass -fun $k /tmp/k.cubin > /tmp/$k.sass 2>/dev/null
    echo "SASS $k: total $(grep -cE '^\s+/\*[0-9a-f]+\*/' /tmp/$k.sass) IMAD $(grep -cE '\sIMAD' /tmp/$k.sass) IMAD.WIDE $(grep -cE 'IMAD\.WIDE' /tmp/$k.sass) IADD3 $(grep -cE '\sIADD3' /tmp/$k.sass) ISETP $(grep -cE '\sISETP' /tmp/$k.sass) SEL $(grep -cE '\sSEL' /tmp/$k.sass) LDL/STL $(grep -cE '\s(LDL|STL)' /tmp/$k.sass)"
  done | tee "$OUT/sass_counts.txt"
fi
exit $rc
