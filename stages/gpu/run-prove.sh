#!/bin/bash
# Runs on the GPU machine (through the `run` tool), from the repository root, with gpu-bin/ carried:
# gpu_prove and gpu_check built here in release (no cargo there). Output under $OUT.
#   gpu_prove: GPU-backend proofs of `main` and a leaf, bytes against the CPU backend and plonky2,
#              verification, timings vs plonky2 on the host's cores; the kernel cache (compile, then hit).
#   gpu_check: every kernel against plonky2 again (prover set, quick), now loaded from the kernel cache.
set -o pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
if ! ldconfig -p | grep -q 'libnvrtc.so'; then
  d=$(dirname "$(ls /usr/local/cuda/lib64/libnvrtc.so* /usr/local/cuda*/targets/x86_64-linux/lib/libnvrtc.so* 2>/dev/null | head -1)")
  [ -n "$d" ] && export LD_LIBRARY_PATH="$d:$LD_LIBRARY_PATH"
fi
export FRISPOOL_GPU_CACHE=${FRISPOOL_GPU_CACHE:-/tmp/frispool-gpu-cache}
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu,utilization.gpu,memory.used --format=csv 2>&1 | tee "$OUT/nvidia-smi.txt"
nproc | sed 's/^/host cores: /' | tee -a "$OUT/nvidia-smi.txt"
./gpu-bin/gpu_prove 2>&1 | tee "$OUT/gpu_prove.log"
rc=$?
GPU_CHECK_SET=prover GPU_CHECK_QUICK=1 ./gpu-bin/gpu_check 2>&1 | grep -E "CHECK|kernel|compile|fail|error|DEVICE|device" | tee "$OUT/gpu_check.log"
rc2=$?
ls -la "$FRISPOOL_GPU_CACHE" | tee -a "$OUT/gpu_prove.log"
echo "gpu_prove rc=$rc gpu_check rc=$rc2"
exit $(( rc != 0 ? rc : rc2 ))
