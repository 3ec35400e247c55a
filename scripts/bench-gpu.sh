#!/usr/bin/env bash
# The GPU benchmark: builds here, runs on the lent GPU machine in one call, and records there what it measured
# (device name, host cores) for BENCHMARKS.md. Three steps:
#
#   scripts/bench-gpu.sh pack      here: release binaries and the gpu_rounds example into .gpubins/bins.tar.xz
#   (device run tool)              carry [".gpubins"], command: scripts/bench-gpu.sh device
#   scripts/bench-gpu.sh record F [NAME]  here: F (the bench-gpu.md that came back) into BENCHMARKS.md (NAME:
#                                  its own section, e.g. scaling)
#
# On the device, the same seeded blocks (BLOCKS x TXS, SEED) and the same keys go through the real pipeline
# (scripts/demo.sh) once per configuration, side by side in one run:
#   cpu          one prover, plonky2 on the host's cores (the baseline)
#   cpu-xN       N such provers (--threads cores/N each)
#   gpu          one prover, --backend gpu, witnesses computed in-process (compressor on the GPU too)
#   gpu-xN       N such provers on the one GPU (--threads cores/N each), e.g. gpu-x4, gpu-x8, gpu-x16
#   gpu-xN-hostleaves  gpu-xN with every commitment's leaves downloaded (FRISPOOL_GPU_KEEP_LEAVES=off): the A/B
#                of leaving them on the device
#   gpu-xN-hostpow  gpu-xN with the FRI proof of work on the host's threads (FRISPOOL_GPU_POW=off)
#   gpu-xN-hostq  gpu-xN with every quotient on the host's threads (FRISPOOL_GPU_QUOTIENT=off)
#   gpu-wvg      one --backend gpu prover serving witness vectors (VECTOR_SLOTS at once) fed by WVG generators
#                (compressor on the GPU too)
#   gpu-wvg-hostq  gpu-wvg with every quotient on the host's threads (FRISPOOL_GPU_QUOTIENT=off): the A/B of the
#                device quotient
#   wvg-gpus-N   N such provers, one per GPU (--device 0..N-1), WVG x N generators: the multi-GPU scaling runs
#                (RUNS="wvg-gpus-1 wvg-gpus-2 wvg-gpus-4" on a 4-GPU machine)
#   gpus-N       N GPUs with PER_GPU (default 4) in-process GPU provers each (--device K; cores/(PER_GPU N)
#                threads per prover) and one compressor each, no generators: the demo's GPU default, once per GPU
#   gpus-N-pP    the same with P provers per GPU (e.g. RUNS="gpus-1-p8 gpus-4-p8")
#   gpus-N-bw1   gpus-N with one round-0 witness generator instead of one per GPU (BASIC_WITNESS=1)
#   NAME-plainwit  any run above with plonky2's own witness-generation loop (FRISPOOL_WITNESS_REPLAY=off): the A/B
#                of the replayed generator order
#   NAME-serialwit  any run above with the replay one generator at a time (FRISPOOL_WITNESS_REPLAY=serial): the
#                A/B of the levelled, parallel replay
#   NAME-p2poseidon  any run above with plonky2's own PoseidonGenerator in the replayed witnesses
#                (FRISPOOL_WITNESS_POSEIDON=plonky2): the A/B of frispool_core's Poseidon rows
#   NAME-p2host  NAME-p2poseidon with plonky2's OpeningSet::new too (FRISPOOL_GPU_OPENINGS=off): both host levers
#                of NOTES.md run 19 off
#   NAME-p3host  any run above with the wire columns read target by target (FRISPOOL_WIRE_COLUMNS=off): the A/B
#                of NOTES.md run 20's host lever
#   NAME-hostpp  any run above with Z and the partial products on the host's threads
#                (FRISPOOL_GPU_PARTIAL_PRODUCTS=off): the A/B of NOTES.md run 21's device permutation argument
#   NAME-hostfri  any run above with FRI's composition and commit phase on the host's threads
#                (FRISPOOL_GPU_FRI=off): the A/B of NOTES.md run 21's device commit phase; NAME-hostpp-hostfri
#                has both run-21 steps on the host
#   NAME-warm    any run above with the provers started and their keys loaded before the first block is handed
#                out (WARM=1; written last, e.g. gpus-4-pin-warm): the wall counts the blocks alone, as a
#                long-running fleet sees them; plain names start every process with the blocks (the provers'
#                start-up inside the wall)
#   NAME-cN      any run above on N of the host's logical CPUs alone, whole physical cores first (taskset; every
#                stage's process, thread counts from N; written just before -warm, e.g. gpus-1-p16-1p-c16-warm):
#                one GPU with its share of a larger host, the per-GPU baseline of a scaling run
#   NAME-pin     any gpus-N run above with every GPU process on the CPUs local to its GPU (PIN=1)
#   NAME-1p      any gpu-xN or gpus-N run above with its provers as job loops of one process per GPU
#                (ONE_PROCESS=1: --workers N, keys loaded once per GPU); order: -1p before -pin and -warm
#   NAME-wK      the same with K job loops in each prover process (WORKERS=K: PROVERS/K processes of --workers K)
#   NAME-blocksync  any run above with every GPU process waiting for the card asleep in the driver
#                (FRISPOOL_GPU_SYNC=blocking) instead of CUDA's default spin: the A/B of NOTES.md run 22
#   NAME-rowcopy  any run above with the FRI queries' rows fetched one small pageable copy each
#                (FRISPOOL_GPU_ROW_GATHER=off) instead of gathered on the device: the A/B of NOTES.md run 25
#   NAME-mps     any run above under CUDA MPS (a control daemon for that run): several provers' kernels share
#                a GPU at once instead of time-slicing their contexts
#   NAME-signed  any run above under the protocol's default registry, `main` and `sig` (SIG_K signatures an
#                instance, default 10); plain names prove `main` alone (FRISPOOL_SIG_PER_INSTANCE=0), as every
#                earlier table did
#   NAME@B       any run above under the larger-instance keygen profile FRISPOOL_MAIN_DEGREE_BITS=B (`main`
#                instances of 2^B rows; plain names prove 2^13): e.g. RUNS="cpu cpu@16 gpu-x16 gpu-x16@16"
# then gpu_rounds on the spool of the run ROUNDS_RUN (default gpu-wvg; warm-up-P: profile P's warm-up block, e.g.
# warm-up-13s for `main` and `sig`; none: skipped): for every round and
# compression layer, the GPU proof's bytes against plonky2's. The demo re-verifies only each run's last final
# proof (VERIFY=last): the sequencer has checked every one under its own trust root.
set -euo pipefail
cd "$(dirname "$0")/.."
step=${1:-}

case "$step" in
pack)
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
  cargo build --release --quiet --bins
  cargo build --release --quiet -p frispool-pipeline --example gpu_rounds
  rel="$CARGO_TARGET_DIR/release"
  mkdir -p .gpubins
  exclude="$(git rev-parse --git-common-dir)/info/exclude"
  mkdir -p "$(dirname "$exclude")"
  grep -qx '/.gpubins/' "$exclude" 2>/dev/null || echo /.gpubins/ >> "$exclude"
  tar -cJf .gpubins/bins.tar.xz -C "$rel" frispool frispool-sequencer frispool-gateway frispool-witness \
    frispool-prover frispool-wvg frispool-compressor examples/gpu_rounds
  ls -la .gpubins/bins.tar.xz
  ;;
device)
  OUT=${OUT:-/tmp/bench-gpu-out}
  # A machine still warm from an earlier call keeps that call's spools, stores and blocks: start clean, or the
  # runs would wait on blocks of another store (the kernel cache, FRISPOOL_GPU_CACHE, lives elsewhere and stays).
  rm -rf /tmp/bench-gpu
  mkdir -p "$OUT" /tmp/bench-gpu/bin
  tar -xJf .gpubins/bins.tar.xz -C /tmp/bench-gpu/bin
  export BIN=/tmp/bench-gpu/bin
  if ! ldconfig -p | grep -q 'libnvrtc.so'; then
    d=$(dirname "$(ls /usr/local/cuda/lib64/libnvrtc.so* /usr/local/cuda*/targets/x86_64-linux/lib/libnvrtc.so* 2>/dev/null | head -1)")
    [[ -n "$d" ]] && export LD_LIBRARY_PATH="$d:${LD_LIBRARY_PATH:-}"
  fi
  export FRISPOOL_GPU_CACHE=${FRISPOOL_GPU_CACHE:-/tmp/frispool-gpu-cache}
  # Signatures an instance come from each run's profile (sig_k_of): plain names prove `main` alone, as every table
  # in BENCHMARKS.md's GPU sections measured; NAME-signed adds `sig` with SIG_K.
  SIG_K=${SIG_K:-10} PER_GPU=${PER_GPU:-4} ROUNDS_RUN=${ROUNDS_RUN:-gpu-wvg}
  export VERIFY=${VERIFY:-last}
  BLOCKS=${BLOCKS:-4} TXS=${TXS:-1024} SEED=${SEED:-7} WVG=${WVG:-6} VECTOR_SLOTS=${VECTOR_SLOTS:-4}
  RUNS=${RUNS:-cpu gpu gpu-x4 gpu-wvg gpu-wvg-hostq}
  device=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
  cores=$(nproc) host_cores=$(nproc)
  threads_per_core=$(lscpu 2>/dev/null | sed -n 's/^Thread(s) per core: *//p')
  # N logical CPUs of whole physical cores (siblings together, lscpu's CORE column), as a comma list.
  share_cpus() { lscpu -p=CPU,CORE | grep -v '^#' | sort -t, -k2,2n -k1,1n | head -n "$1" | cut -d, -f1 | paste -sd, ; }
  md="$OUT/bench-gpu.md"
  # A run's keygen profile: B (`main` instances of 2^B rows, FRISPOOL_MAIN_DEGREE_BITS=B; 13 unless the run is
  # named NAME@B), with an "s" when the run is NAME-signed (`sig` registered, SIG_K signatures an instance).
  profile_of() {
    local r=$1 b=13
    [[ "$r" == *@* ]] && b=${r#*@}
    [[ "${r%@*}" == *-signed ]] && echo "${b}s" || echo "$b"
  }
  # FRISPOOL_SIG_PER_INSTANCE of profile $1.
  sig_k_of() { if [[ "$1" == *s ]]; then echo "$SIG_K"; else echo 0; fi; }
  # Each profile gets its keys, kernels and trust root once, outside every timed run.
  # ROUNDS_RUN=warm-up-P: gpu_rounds on profile P's warm-up spool (one 16-transaction block), P prepared even
  # when no run uses it.
  extra_profile=""
  [[ "$ROUNDS_RUN" == warm-up-* ]] && extra_profile=${ROUNDS_RUN#warm-up-}
  profiles=$({ for r in $RUNS; do profile_of "$r"; done; if [[ -n "$extra_profile" ]]; then echo "$extra_profile"; fi; } | sort -u | tr '\n' ' ')
  prep=""
  for p in $profiles; do
    b=${p%s}
    FRISPOOL_SIG_PER_INSTANCE=$(sig_k_of "$p"); export FRISPOOL_SIG_PER_INSTANCE
    keys=/tmp/bench-gpu/keys-$p
    mkdir -p "$keys" && "$BIN/frispool" --spool "$keys" init >/dev/null
    t0=$SECONDS; FRISPOOL_MAIN_DEGREE_BITS=$b "$BIN/frispool" --spool "$keys" keygen > "$OUT/keygen-$p.txt" 2>&1
    keygen_s=$((SECONDS - t0))
    # The kernels compile once into the cache (NVRTC): the prover's set, then each circuit's quotient kernel
    # on a one-block warm-up through the pipeline, which also derives the sequencer's trust root.
    FRISPOOL_MAIN_DEGREE_BITS=$b FRISPOOL_SPOOL="$keys" "$BIN/frispool-prover" --backend gpu --once >/dev/null 2>&1 || true
    warm=/tmp/bench-gpu/warm-up-$p
    mkdir -p "$warm/spool" && "$BIN/frispool" --spool "$warm/spool" init >/dev/null && cp -r "$keys/keys/." "$warm/spool/keys/"
    t0=$SECONDS
    FRISPOOL_MAIN_DEGREE_BITS=$b PROVER_ARGS="--backend gpu" COMPRESSOR_ARGS="--backend gpu" WVG=0 SPOOL="$warm/spool" \
      STORE="$warm/store" BLOCKS=1 TXS=16 SEED=1 PORT=3399 scripts/demo.sh > "$OUT/warm-up-$p.txt" 2>&1 \
      || echo "warm-up $p failed (see warm-up-$p.txt)"
    [[ -d "$warm/store/trust" ]] && cp -r "$warm/store/trust" "/tmp/bench-gpu/trust-$p"
    what="main 2^$b"; [[ "$p" == *s ]] && what="$what + sig (K = $SIG_K)"
    prep="$prep $what: keygen ${keygen_s} s, warm-up (kernels, trust root) $((SECONDS - t0)) s;"
  done
  # The seeded blocks, produced (and signed) once: every run starts from a copy of this sequencer store.
  t0=$SECONDS
  "$BIN/frispool-sequencer" --store /tmp/bench-gpu/blocks produce --blocks "$BLOCKS" --txs "$TXS" --seed "$SEED" \
    > "$OUT/produce.txt" 2>&1
  produced=$(sed -n 's/^produced block \([0-9]*\).*/\1/p' "$OUT/produce.txt" | tr '\n' ' ')
  prep="$prep blocks produced in $((SECONDS - t0)) s;"
  {
    echo "Device: $device; host: $cores cores (${threads_per_core:-?} threads per core); $BLOCKS blocks x $TXS transactions, seed $SEED;$prep"
    echo
    echo "| run | GPUs | wall | blocks/min | tx/s | vs first | efficiency per GPU | proving busy (sum of prove jobs) | compress busy | aggregation + tail / basic | device held | GPU busy | kernel util |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  } > "$md"
  base=""
  port=3400
  declare -A seen=()
  for run in $RUNS; do
    port=$((port + 1))
    # Files and folders name a run without its "@" (e.g. gpu-x16-at16); a repeated run gets its own (-run2).
    tag=${run/@/-at}
    times=$(( ${seen[$tag]:-0} + 1 )); seen[$tag]=$times
    (( times > 1 )) && tag="$tag-run$times"
    profile=$(profile_of "$run")
    export FRISPOOL_MAIN_DEGREE_BITS=${profile%s}
    FRISPOOL_SIG_PER_INSTANCE=$(sig_k_of "$profile"); export FRISPOOL_SIG_PER_INSTANCE
    spool=/tmp/bench-gpu/$tag/spool
    mkdir -p "$spool" && "$BIN/frispool" --spool "$spool" init >/dev/null && cp -r "/tmp/bench-gpu/keys-$profile/keys/." "$spool/keys/"
    name=${run%@*}
    name=${name%-signed}
    mps_run=0
    [[ "$name" == *-mps ]] && name=${name%-mps} && mps_run=1
    # The suffixes, taken off from the end in this order (see the list at the top): -warm, -cN, -pin, -1p, -wK,
    # -blocksync and -rowcopy combine with every one after them (gpu-x16-rowcopy-blocksync-1p-warm);
    # NAME-plainwit is the same run with plonky2's own witness-generation loop (FRISPOOL_WITNESS_REPLAY=off).
    extra=()
    [[ "$name" == *-warm ]] && name=${name%-warm} && extra+=(WARM=1)
    # NAME-cN: the whole run (sequencer, gateway, witness generators, provers, compressors) on N of the host's
    # logical CPUs, whole physical cores first (both hyperthreads of a core together), and the thread counts
    # below computed from N: a GPU's share of a larger host, as a quarter of a 4-GPU host's CPUs is.
    cores=$host_cores on_cores=()
    if [[ "$name" =~ ^(.*)-c([0-9]+)$ ]]; then
      name=${BASH_REMATCH[1]}; cores=${BASH_REMATCH[2]}; on_cores=(taskset -c "$(share_cpus "$cores")")
    fi
    [[ "$name" == *-pin ]] && name=${name%-pin} && extra+=(PIN=1)
    [[ "$name" == *-1p ]] && name=${name%-1p} && extra+=(ONE_PROCESS=1)
    if [[ "$name" =~ ^(.*)-w([0-9]+)$ ]]; then name=${BASH_REMATCH[1]}; extra+=(WORKERS=${BASH_REMATCH[2]}); fi
    [[ "$name" == *-blocksync ]] && name=${name%-blocksync} && extra+=(FRISPOOL_GPU_SYNC=blocking)
    [[ "$name" == *-rowcopy ]] && name=${name%-rowcopy} && extra+=(FRISPOOL_GPU_ROW_GATHER=off)
    [[ "$name" == *-plainwit ]] && name=${name%-plainwit} && extra+=(FRISPOOL_WITNESS_REPLAY=off)
    [[ "$name" == *-serialwit ]] && name=${name%-serialwit} && extra+=(FRISPOOL_WITNESS_REPLAY=serial)
    [[ "$name" == *-p2poseidon ]] && name=${name%-p2poseidon} && extra+=(FRISPOOL_WITNESS_POSEIDON=plonky2)
    [[ "$name" == *-p3host ]] && name=${name%-p3host} && extra+=(FRISPOOL_WIRE_COLUMNS=off)
    # These two combine: NAME-hostpp-hostfri has both steps on the host (the device levers of run 21 all off).
    [[ "$name" == *-hostfri ]] && name=${name%-hostfri} && extra+=(FRISPOOL_GPU_FRI=off)
    [[ "$name" == *-hostpp ]] && name=${name%-hostpp} && extra+=(FRISPOOL_GPU_PARTIAL_PRODUCTS=off)
    [[ "$name" == *-p2host ]] && name=${name%-p2host} && extra+=(FRISPOOL_WITNESS_POSEIDON=plonky2 FRISPOOL_GPU_OPENINGS=off)
    [[ "$name" == gpu-x*-hostq ]] && name=${name%-hostq} && extra+=(FRISPOOL_GPU_QUOTIENT=off)
    [[ "$name" == gpus-*-bw1 ]] && name=${name%-bw1} && extra+=(BASIC_WITNESS=1)
    case "$name" in
    cpu) env=(PROVER_ARGS="--backend cpu") ;;
    cpu-x*) n=${name#cpu-x}
      env=(PROVERS=$n PROVER_ARGS="--backend cpu --threads $((cores / n > 0 ? cores / n : 1))") ;;
    gpu) env=(PROVER_ARGS="--backend gpu" COMPRESSOR_ARGS="--backend gpu" WVG=0) ;;
    gpu-x*-hostpow) n=${name#gpu-x}; n=${n%-hostpow}
      env=(FRISPOOL_GPU_POW=off WVG=0 PROVERS=$n PROVER_ARGS="--backend gpu --threads $((cores / n > 0 ? cores / n : 1))"
        COMPRESSOR_ARGS="--backend gpu") ;;
    gpu-x*-hostleaves) n=${name#gpu-x}; n=${n%-hostleaves}
      env=(FRISPOOL_GPU_KEEP_LEAVES=off WVG=0 PROVERS=$n PROVER_ARGS="--backend gpu --threads $((cores / n > 0 ? cores / n : 1))"
        COMPRESSOR_ARGS="--backend gpu") ;;
    gpu-x*) n=${name#gpu-x}
      env=(WVG=0 PROVERS=$n PROVER_ARGS="--backend gpu --threads $((cores / n > 0 ? cores / n : 1))" COMPRESSOR_ARGS="--backend gpu") ;;
    wvg-gpus-*) g=${name#wvg-gpus-}
      env=(GPUS=$g PROVERS=$g PROVER_ARGS="--backend gpu --vector-slots $VECTOR_SLOTS" COMPRESSOR_ARGS="--backend gpu"
        WVG=$((WVG * g)) WVG_ARGS="--threads $((cores / (WVG * g) > 0 ? cores / (WVG * g) : 1))") ;;
    gpus-*) g=${name#gpus-}; per=$PER_GPU
      [[ "$g" == *-p* ]] && per=${g#*-p} && g=${g%-p*}
      env=(GPUS=$g PROVERS=$((per * g)) WVG=0 COMPRESSORS=$g COMPRESSOR_ARGS="--backend gpu"
        PROVER_ARGS="--backend gpu --threads $((cores / (per * g) > 0 ? cores / (per * g) : 1))") ;;
    gpu-wvg-hostq) env=(FRISPOOL_GPU_QUOTIENT=off PROVER_ARGS="--backend gpu --vector-slots $VECTOR_SLOTS"
      COMPRESSOR_ARGS="--backend gpu" WVG="$WVG" WVG_ARGS="--threads $((cores / WVG > 0 ? cores / WVG : 1))") ;;
    gpu-wvg) env=(PROVER_ARGS="--backend gpu --vector-slots $VECTOR_SLOTS" COMPRESSOR_ARGS="--backend gpu" WVG="$WVG"
      WVG_ARGS="--threads $((cores / WVG > 0 ? cores / WVG : 1))") ;;
    *) echo "unknown run $run" >&2; exit 2 ;;
    esac
    # The sequencer derives its trust root once (every circuit built); later runs start from that cache.
    store=/tmp/bench-gpu/$tag/store
    cp -r /tmp/bench-gpu/blocks "$store"
    [[ -d /tmp/bench-gpu/trust-$profile ]] && cp -r "/tmp/bench-gpu/trust-$profile" "$store/trust"
    # nvidia-smi's utilization.gpu every 200 ms (the share of each sample period in which a kernel ran), for
    # the whole run: "GPU busy" (device held / wall) counts a prover's wait for the card while other processes'
    # contexts run on it, so with several provers per GPU it can pass 100 %; this cannot.
    nvidia-smi --query-gpu=timestamp,index,utilization.gpu --format=csv,noheader,nounits -lms 200 > "$OUT/$tag.util" 2>/dev/null &
    sampler=$!
    # NAME-mps: the run under CUDA MPS (one control daemon, started for this run and stopped after it), so the
    # provers sharing a GPU run their kernels side by side instead of time-slicing whole contexts.
    mps=""
    if [[ "$mps_run" == 1 ]]; then
      export CUDA_MPS_PIPE_DIRECTORY=/tmp/bench-gpu/mps-pipe CUDA_MPS_LOG_DIRECTORY=/tmp/bench-gpu/mps-log
      mkdir -p "$CUDA_MPS_PIPE_DIRECTORY" "$CUDA_MPS_LOG_DIRECTORY"
      nvidia-cuda-mps-control -d && mps=on || echo "run $run: MPS did not start, running without it"
    fi
    "${on_cores[@]}" env "${extra[@]}" "${env[@]}" SPOOL="$spool" STORE="$store" BLOCKS=$BLOCKS TXS=$TXS SEED=$SEED PORT=$port \
      PRODUCED="$produced" scripts/demo.sh > "$OUT/$tag.txt" 2>&1 || { kill $sampler; echo "run $run failed:"; tail -40 "$OUT/$tag.txt"; tail -20 /tmp/bench-gpu/$tag/frispool-demo-logs/*.log; exit 1; }
    kill $sampler 2>/dev/null; wait $sampler 2>/dev/null || true
    if [[ -n "$mps" ]]; then
      echo quit | nvidia-cuda-mps-control; sleep 1
    fi
    unset CUDA_MPS_PIPE_DIRECTORY CUDA_MPS_LOG_DIRECTORY
    [[ -d /tmp/bench-gpu/trust-$profile ]] || cp -r "$store/trust" "/tmp/bench-gpu/trust-$profile"
    logs=/tmp/bench-gpu/$tag/frispool-demo-logs
    wall=$(sed -n 's/^== all .* proven in \([0-9.]*\)s.*/\1/p' "$OUT/$tag.txt")
    "$BIN/frispool" --spool "$spool" timings --json > "$OUT/$tag.timings.json" 2>/dev/null || true
    held=$({ grep -aho 'device busy [0-9.]* s' "$logs"/prover-*.log 2>/dev/null || true; } | awk '{s+=$3} END {print (NR ? s : 0)}')
    r=$name
    case "$r" in cpu | cpu-x*) gpus=0 ;; gpu | gpu-x* | gpu-wvg | gpu-wvg-hostq) gpus=1 ;; wvg-gpus-*) gpus=${r#wvg-gpus-} ;; gpus-*) gpus=${r#gpus-}; gpus=${gpus%-p*} ;; esac
    row=$(python3 - "$run" "$gpus" "$wall" "$BLOCKS" "$TXS" "${base:-}" "$OUT/$tag.timings.json" "$held" "$OUT/$tag.util" "$OUT/$tag.txt" <<'PY'
import datetime, json, re, sys
run, gpus, wall, blocks, txs, base, timings, held, util_file, run_log = sys.argv[1:]
try:
    rows = json.load(open(timings))["rounds"]
    busy_s = lambda pick: sum(r["busy_ms"] for r in rows if pick(r)) / 1000
    busy = f"{busy_s(lambda r: r['queue'] == 'prove'):.1f}"
    cbusy = f"{busy_s(lambda r: r['queue'] == 'compress'):.1f}"
    # Issue 13's share: every aggregation round (1-4) and the compression, over the basic proofs (round 0).
    basic = busy_s(lambda r: r["queue"] == "prove" and r["round"] == 0)
    rest = busy_s(lambda r: (r["queue"] == "prove" and r["round"] > 0) or r["queue"] == "compress")
    share = f"{rest / basic:.0%}" if basic else "-"
except (OSError, ValueError, KeyError):
    busy = cbusy = share = "?"
gpus, wall, blocks, txs, held = int(gpus), float(wall), int(blocks), int(txs), float(held)
tps = blocks * txs / wall
base = float(base) if base else tps
ratio = tps / base
eff = f"{ratio / gpus:.0%}" if (run.startswith("wvg-gpus-") or run.startswith("gpus-")) and gpus else "-"
gbusy = f"{held / (wall * gpus):.0%}" if gpus and held else "-"
# Mean utilization of the GPUs this run used (indices below gpus), over the samples taken while its blocks were
# proven: from the first block's hand-out to the last one's proof (the sequencer's records in the run's log).
events = [json.loads(l) for l in open(run_log, errors="replace") if l.startswith('{"number"')]
lo = min((e["handed_out_at_ms"] for e in events if e.get("handed_out_at_ms")), default=None)
hi = max((e["proven_at_ms"] for e in events if e.get("proven_at_ms")), default=None)
samples = []
for line in open(util_file, errors="replace"):
    parts = [p.strip() for p in line.split(",")]
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit() or int(parts[1]) >= gpus:
        continue
    try:
        t = datetime.datetime.strptime(parts[0], "%Y/%m/%d %H:%M:%S.%f").timestamp() * 1000
    except ValueError:
        continue
    if lo is None or lo <= t <= hi:
        samples.append(int(parts[2]))
util = f"{sum(samples) / len(samples):.0f}%" if gpus and samples else "-"
print(f"{tps:.1f}|| {run} | {gpus} | {wall:.1f} s | {blocks * 60 / wall:.1f} | {tps:.1f} | {ratio:.2f}x | {eff} | {busy} s | {cbusy} s | {share} | {held:.1f} s | {gbusy} | {util} |")
PY
)
    [[ -z "$base" ]] && base=${row%%||*}
    echo "|${row#*||}" >> "$md"
    grep -h "served\|device busy\|steps of" "$logs"/prover-*.log >> "$OUT/$tag.txt" 2>/dev/null || true
    # Every GPU prover's step times summed: which host steps bound the run (the share of all proving time).
    cat "$logs"/prover-*.log 2>/dev/null | python3 -c '
import re, sys
run, total, proofs = sys.argv[1], {}, 0
for line in sys.stdin:
    m = re.search(r"steps of (\d+) proofs, seconds summed: (.*)", line)
    if not m:
        continue
    proofs += int(m.group(1))
    # The steps end at the first ";" (the device pool high water follows it).
    for part in m.group(2).split(";")[0].split(", "):
        name, secs = part.rsplit(" ", 1)
        total[name] = total.get(name, 0.0) + float(secs)
if proofs and total.get("total"):
    cells = " | ".join(f"{total[k]:.1f} s ({total[k] / total['"'"'total'"'"']:.0%})" for k in total if k != "total")
    print(f"| {run} | {proofs} | {cells} | {total['"'"'total'"'"']:.1f} s |")
' "$run" >> "$OUT/steps.md" || true
    # When the provers worked, from the done tickets: their start-up, how full they kept, the drain.
    python3 scripts/prover-timeline.py "$run" "$spool" >> "$OUT/timeline.md" 2>/dev/null || true
    [[ "$run" == "$ROUNDS_RUN" ]] && rounds_spool=$spool && rounds_profile=$profile
  done
  if [[ -s "$OUT/timeline.md" ]]; then
    { echo; echo "When the provers worked, from the done tickets (scripts/prover-timeline.py): the first prove job's claim after the run's first ticket, the provers inside a job on average from then to the last job's end, and the drain after the last moment all were:"; echo
      echo "| run | provers | first proof job claimed | provers inside a job | drain |"
      echo "|---|---|---|---|---|"; cat "$OUT/timeline.md"; } >> "$md"
  fi
  if [[ -n "$extra_profile" ]]; then
    rounds_spool=/tmp/bench-gpu/$ROUNDS_RUN/spool rounds_profile=$extra_profile
  fi
  if [[ -s "$OUT/steps.md" ]]; then
    { echo; echo "Where the GPU provers' time went, step by step, summed over every proof (prove_timed; steps overlap across provers):"; echo
      echo "| run | proofs | witness | wires commit | partial products | Z commit | quotient | quotient commit | openings | FRI | total |"
      echo "|---|---|---|---|---|---|---|---|---|---|---|"; cat "$OUT/steps.md"; } >> "$md"
  fi
  if [[ -n "${rounds_spool:-}" ]]; then
    { echo; echo "Proof bytes, GPU against plonky2 on one thread, same witness vector (gpu_rounds):"; echo; } >> "$md"
    FRISPOOL_SIG_PER_INSTANCE=$(sig_k_of "$rounds_profile") FRISPOOL_MAIN_DEGREE_BITS=${rounds_profile%s} "$BIN/examples/gpu_rounds" "$rounds_spool" "${PER_ROUND:-2}" >> "$md" 2> "$OUT/gpu_rounds.err" || echo "gpu_rounds FAILED (see gpu_rounds.err)" >> "$md"
  fi
  cat "$md"
  ;;
record)
  src=${2:?record needs the bench-gpu.md that came back}
  # An optional third word names the section (e.g. scaling for the multi-GPU runs); each has its own markers.
  python3 - "$src" "${3:-}" <<'PY'
import re, sys
src = open(sys.argv[1]).read().strip()
name = sys.argv[2]
tag = f"bench-gpu-{name}" if name else "bench-gpu"
path = "BENCHMARKS.md"
text = open(path).read()
begin, end = f"<!-- {tag}:begin -->", f"<!-- {tag}:end -->"
block = f"{begin}\n{src}\n{end}"
if begin in text:
    text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
else:
    title = f"GPU pipeline, {name}" if name else "GPU pipeline"
    text += f"\n## {title} (scripts/bench-gpu.sh)\n\n" + block + "\n"
open(path, "w").write(text)
PY
  echo "BENCHMARKS.md updated from $src"
  ;;
*)
  sed -n '2,16p' "$0"; exit 2 ;;
esac
