#!/bin/bash
# Runs on the GPU machine (through the `run` tool), from the repository root, with gpu-bin/ carried:
# the x86-64 gpu_check example built here (no cargo there). Output under $OUT.
set -o pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
if ! ldconfig -p | grep -q 'libnvrtc.so'; then
  d=$(dirname "$(ls /usr/local/cuda/lib64/libnvrtc.so* /usr/local/cuda*/targets/x86_64-linux/lib/libnvrtc.so* 2>/dev/null | head -1)")
  [ -n "$d" ] && export LD_LIBRARY_PATH="$d:$LD_LIBRARY_PATH"
fi
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu,utilization.gpu,memory.used --format=csv 2>&1 | tee "$OUT/nvidia-smi.txt"
nproc
./gpu-bin/gpu_check "$@" 2>&1 | tee "$OUT/gpu_check.log"
