#!/bin/bash
# SASS instruction counts of the generated kernels, off the GPU machine: NVRTC (CUDA 13.0) compiles
# the kernel text for sm_90 here, and cuobjdump/nvdisasm count the instructions. No GPU is needed;
# the tools come from PyPI's NVIDIA wheels into $CUDA_PIP (default /tmp/frispool-cuda-pip).
#   bash stages/gpu/sass-local.sh [bench|prover] [kernel ...]
# The counts for fast3 equal those ptxas gave on the H100 (35 296 instructions), so a kernel
# version's instruction count can be predicted before any device time is spent (NOTES.md, run 18).
set -euo pipefail
SET=${1:-bench}; shift || true
KERNELS=${*:-poseidon_bench_fast3 poseidon_bench_fast4 merkle_leaves}
PIP=${CUDA_PIP:-/tmp/frispool-cuda-pip}
if [ ! -x "$PIP/x/nvidia/cu13/bin/nvdisasm" ]; then
  mkdir -p "$PIP" && cd "$PIP"
  pip download -q --no-deps "nvidia-cuda-nvrtc==13.0.88" "nvidia-cuda-cuobjdump==13.2.86" "nvidia-cuda-nvdisasm==13.2.86"
  for w in *.whl; do unzip -oq "$w" -d x; done
  cd - >/dev/null
fi
export PATH="$PIP/x/nvidia/cu13/bin:$PATH" LD_LIBRARY_PATH="$PIP/x/nvidia/cu13/lib:${LD_LIBRARY_PATH:-}"
tmp=$(mktemp -d)
cargo run -q --release -p frispool-gpu --example kernel_text "$SET" > "$tmp/k.cu"
python3 - "$PIP/x/nvidia/cu13/lib/libnvrtc.so.13" "$tmp/k.cu" "$tmp/k.cubin" <<'PY'
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
prog = ctypes.c_void_p()
assert lib.nvrtcCreateProgram(ctypes.byref(prog), open(sys.argv[2], "rb").read(), b"k.cu", 0, None, None) == 0
opts = (ctypes.c_char_p * 1)(b"--gpu-architecture=sm_90")
rc = lib.nvrtcCompileProgram(prog, 1, opts)
n = ctypes.c_size_t()
lib.nvrtcGetProgramLogSize(prog, ctypes.byref(n))
log = ctypes.create_string_buffer(n.value)
lib.nvrtcGetProgramLog(prog, log)
sys.stderr.write(log.value.decode())
if rc != 0:
    sys.exit(f"NVRTC failed ({rc})")
lib.nvrtcGetCUBINSize(prog, ctypes.byref(n))
buf = ctypes.create_string_buffer(n.value)
lib.nvrtcGetCUBIN(prog, buf)
open(sys.argv[3], "wb").write(buf.raw)
PY
for k in $KERNELS; do
  cuobjdump -sass -fun "$k" "$tmp/k.cubin" > "$tmp/$k.sass"
  c() { grep -cE "$1" "$tmp/$k.sass" || true; }
  regs=$(cuobjdump -res-usage "$tmp/k.cubin" | grep -A1 "Function $k:" | grep -oE 'REG:[0-9]+' || true)
  echo "SASS $k: total $(c '^\s+/\*[0-9a-f]+\*/') IMAD $(c '\sIMAD') IMAD.WIDE $(c 'IMAD\.WIDE') IADD3 $(c '\sIADD3') ISETP $(c '\sISETP') SEL $(c '\sSEL') $regs"
done
rm -rf "$tmp"
