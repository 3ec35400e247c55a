#!/usr/bin/env bash
# The frispool demo: real blocks proven end to end on the local spool.
#
# Builds the binaries, writes the keys if missing, starts the sequencer and one process of every stage on
# ./spool, produces BLOCKS blocks of TXS transactions, waits until the sequencer says they are proven, prints
# per-round timings, and stops everything.
#
#   scripts/demo.sh                    env: SPOOL=./spool STORE=./sequencer BLOCKS=2 TXS=16 PORT=3320 PROVERS=1
#                                           FRISPOOL_SIG_PER_INSTANCE=K: signatures per `sig` instance (default 10;
#                                           0: the protocol without `sig`, as before signatures were proven)
#                                           PROVER_ARGS="--backend gpu" (extra flags of every prover) SEED=N
#                                           WVG=N: N witness-vector generators feed the provers, which then serve
#                                           witness vectors instead of claiming jobs (default 0; with
#                                           --backend gpu and neither PROVERS nor WVG set: 4 in-process GPU provers
#                                           with nproc/4 threads each)
#                                           WVG_ARGS="--threads 4" (extra flags of every generator)
#                                           COMPRESSOR_ARGS="--backend gpu" (extra flags of the compressor)
#                                           PIN=1 (with GPUS): every GPU process runs on the CPUs next to its
#                                           GPU (its PCI device's local_cpulist, through taskset): on a host of
#                                           two sockets the uploads then stay on one socket
#                                           COMPRESSORS=N: N compressor processes (default 1; with GPUS, the K-th
#                                           on device (K-1) mod GPUS): one compresses about three blocks a second
#                                           on a GPU, fewer than four GPUs prove
#                                           GPUS=N: prover-K proves on device (K-1) mod N (one prover per GPU)
#                                           ONE_PROCESS=1: the PROVERS provers become job loops (--workers) of
#                                           one process per GPU (one without GPUS): keys loaded once per GPU
#                                           WORKERS=K: K job loops (--workers K) in each prover process,
#                                           PROVERS/K processes
#                                           BASIC_WITNESS=N: round-0 witness generators (default GPUS, else 1)
#                                           VERIFY=last: `frispool verify` re-checks the last block only (default all)
#                                           PRODUCED="1 2 ...": STORE already holds these blocks (nothing produced)
#                                           WARM=1: the gateway (and so the first hand-out) starts only once every
#                                           prover has its keys loaded and its backend open: the wall then counts
#                                           the blocks, not the provers' start-up (printed on its own)
#                                           WRAP=1: also the BN254 wrap (issue 11): `frispool keygen --wrapper` (a
#                                           local TEST setup of about 4 M constraints: many minutes on 2 cores),
#                                           the compressor writes final.snark (Groth16), the sequencer checks it
#                                           under the pinned wrapper key, and `frispool verify` checks it again
set -euo pipefail
cd "$(dirname "$0")/.."

SPOOL=${SPOOL:-./spool}
STORE=${STORE:-./sequencer}
BLOCKS=${BLOCKS:-2}
# Every transfer and withdrawal is signed and its signature proven by the `sig` circuit type (ten a 2^13
# instance, the protocol's default profile).
TXS=${TXS:-16}
export FRISPOOL_SIG_PER_INSTANCE=${FRISPOOL_SIG_PER_INSTANCE:-10}
PORT=${PORT:-3320}
PROVER_ARGS=${PROVER_ARGS:-}
# With --backend gpu, four in-process GPU provers share the card, a quarter of the cores each: with every quotient
# on the device that kept it busiest (BENCHMARKS.md, "GPU pipeline": 372 tx/s and the GPU busy 75 % of the wall,
# against 341 tx/s and 52 % for one prover fed by witness-vector generators). A backlog of blocks goes faster with one
# prover per core and one thread each (24 blocks: 688.4 tx/s, PROVERS=$(nproc) PROVER_ARGS="--backend gpu --threads 1"),
# but a few blocks go slower (4 blocks: 312.7 against 372.4 tx/s): each block's serial tail then runs on one thread.
if [[ "$PROVER_ARGS" == *"--backend gpu"* && -z "${PROVERS:-}" && -z "${WVG:-}" ]]; then
  PROVERS=4
  [[ "$PROVER_ARGS" == *"--threads"* ]] || PROVER_ARGS="$PROVER_ARGS --threads $(( $(nproc) / 4 > 0 ? $(nproc) / 4 : 1 ))"
fi
PROVERS=${PROVERS:-1}
# ONE_PROCESS=1: the PROVERS provers run as job loops (--workers) of one process per GPU (one process without
# GPUS), so each GPU's keys load and its CUDA context opens once instead of once per prover.
# WORKERS=K: K job loops (--workers K) in each prover process, PROVERS/K processes.
if [[ -n "${ONE_PROCESS:-}" ]]; then
  WORKERS=$(( PROVERS / ${GPUS:-1} > 0 ? PROVERS / ${GPUS:-1} : 1 ))
fi
if [[ -n "${WORKERS:-}" ]] && (( WORKERS > 1 )); then
  PROVER_ARGS="$PROVER_ARGS --workers $WORKERS"
  PROVERS=$(( PROVERS / WORKERS > 0 ? PROVERS / WORKERS : 1 ))
fi
# One round-0 witness generator re-executes about three 1 024-transaction blocks a second: one per GPU keeps
# several GPUs fed.
BASIC_WITNESS=${BASIC_WITNESS:-${GPUS:-1}}
WVG=${WVG:-0}
WVG_ARGS=${WVG_ARGS:-}
COMPRESSOR_ARGS=${COMPRESSOR_ARGS:-}
WRAP=${WRAP:-}
TIMEOUT=${TIMEOUT:-$([[ -n "$WRAP" ]] && echo 5400 || echo 900)}
BIN=${BIN:-}
if [[ -z "$BIN" ]]; then
  cargo build --release --quiet --bins
  BIN="${CARGO_TARGET_DIR:-target}/release"
fi
LOGS="$SPOOL/../frispool-demo-logs"
mkdir -p "$LOGS"
export FRISPOOL_SPOOL="$SPOOL"
URL="http://127.0.0.1:$PORT"

say() { printf '== %s\n' "$*"; }
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

"$BIN/frispool" init >/dev/null
if [[ ! -f "$SPOOL/keys/manifest.json" ]]; then
  say "generating keys (once per build and profile: FRISPOOL_SIG_PER_INSTANCE=$FRISPOOL_SIG_PER_INSTANCE)"
  "$BIN/frispool" keygen
fi
if [[ -n "$WRAP" && ! -f "$SPOOL/keys/wrapper.pk" ]]; then
  say "generating the wrapper's Groth16 keys (a local TEST setup; once per build, many minutes)"
  /usr/bin/time -v "$BIN/frispool" keygen --wrapper 2> >(tee "$LOGS/wrapper-keygen.time" >&2)
fi
sequencer_args=()
if [[ -n "$WRAP" ]]; then
  snark_vk=$("$BIN/frispool" inspect "$SPOOL/keys/wrapper.vk" | sed -n 's/.*key blake3 \([0-9a-f]\{64\}\).*/\1/p')
  sequencer_args=(--snark-vk "$SPOOL/keys/wrapper.vk" --snark-vk-digest "$snark_vk")
  say "wrapper verifying key blake3 $snark_vk: the sequencer pins it"
fi
protocol=$(sed -n 's/.*"protocol": "\(.*\)".*/\1/p' "$SPOOL/keys/manifest.json")
say "protocol $protocol, spool $SPOOL, sequencer store $STORE, logs $LOGS"

# Blocks first, so we know which numbers to wait for. PRODUCED="1 2 ...": STORE already holds these blocks,
# produced and not yet handed out (the GPU benchmark produces its seeded blocks once and copies the store).
if [[ -n "${PRODUCED:-}" ]]; then
  blocks=$PRODUCED
  say "blocks $(echo $blocks) already produced in $STORE"
else
  blocks=$("$BIN/frispool-sequencer" --store "$STORE" produce --blocks "$BLOCKS" --txs "$TXS" --seed "${SEED:-$RANDOM}" \
    | tee /dev/stderr | sed -n 's/^produced block \([0-9]*\).*/\1/p')
fi

start() { local name=$1; shift; "$@" </dev/null >"$LOGS/$name.log" 2>&1 & pids+=($!); }
start sequencer "$BIN/frispool-sequencer" --store "$STORE" serve --listen "127.0.0.1:$PORT" "${sequencer_args[@]}"
# PIN=1: the CPUs local to GPU $1 (empty when the system does not say), and the taskset prefix that binds to them.
cpus_of_gpu() {
  local bus
  bus=$(nvidia-smi --query-gpu=pci.bus_id --format=csv,noheader -i "$1" 2>/dev/null | tr 'A-F' 'a-f')
  [[ -n "$bus" ]] && cat "/sys/bus/pci/devices/${bus: -12}/local_cpulist" 2>/dev/null || true
}
pinned() { local c; [[ -n "${PIN:-}" ]] && c=$(cpus_of_gpu "$1") && [[ -n "$c" ]] && echo "taskset -c $c"; true; }
# Every stage of the pipeline, as `frispool stages` lists them (the one place they are written). WARM=1 keeps the
# gateway back (started below); each of COMPRESSORS compressors gets its own log.
gateway=()
while read -r name bin args; do
  # PROVER_ARGS replaces the listed --backend (clap takes a flag once).
  [[ "$bin" == frispool-prover && -n "$PROVER_ARGS" ]] && args="${args/--backend cpu/} $PROVER_ARGS"
  [[ "$bin" == frispool-wvg ]] && args="$args $WVG_ARGS"
  [[ "$bin" == frispool-compressor ]] && args="$args $COMPRESSOR_ARGS"
  pin=""
  if [[ "$bin" == frispool-prover && -n "${GPUS:-}" ]]; then
    k=${name#prover-}; args="$args --device $(( (k - 1) % GPUS ))"; pin=$(pinned $(( (k - 1) % GPUS )))
  fi
  # shellcheck disable=SC2086 # the stage's flags, one word each
  if [[ -n "${WARM:-}" && "$bin" == frispool-gateway ]]; then gateway=("$name" "$BIN/$bin" $args --rescan-secs 0.5); continue; fi
  if [[ "$bin" == frispool-compressor ]]; then
    for k in $(seq 1 "${COMPRESSORS:-1}"); do
      dev=""
      cpin=""
      if [[ -n "${GPUS:-}" && "$args" == *"--backend gpu"* ]]; then
        dev="--device $(( (k - 1) % GPUS ))"; cpin=$(pinned $(( (k - 1) % GPUS )))
      fi
      # shellcheck disable=SC2086
      start "$name$( ((k > 1)) && echo "-$k")" $cpin "$BIN/$bin" $args $dev --rescan-secs 0.5
    done
    continue
  fi
  # shellcheck disable=SC2086
  start "$name" $pin "$BIN/$bin" $args --rescan-secs 0.5
done < <("$BIN/frispool" stages --sequencer "$URL" --pull-secs 0.5 --provers "$PROVERS" --wvg "$WVG" \
  --basic-witness "$BASIC_WITNESS")

# WARM=1: every prover says "keys of protocol ... ready" (it runs --verbose) once its keys are loaded and its
# backend is open; only then does the gateway start handing blocks out.
if (( ${#gateway[@]} )); then
  warm_ns=$(date +%s%N)
  for k in $(seq 1 "$PROVERS"); do
    until grep -qs 'keys of protocol .* ready' "$LOGS/prover-$k.log"; do
      (( $(date +%s%N) - warm_ns < TIMEOUT * 1000000000 )) || { say "prover-$k not ready after ${TIMEOUT}s"; exit 1; }
      for p in "${pids[@]}"; do
        kill -0 "$p" 2>/dev/null || { say "a stage exited early; logs in $LOGS"; tail -n 20 "$LOGS"/*.log; exit 1; }
      done
      sleep 0.05
    done
  done
  warm=$(( ($(date +%s%N) - warm_ns) / 1000000 ))
  say "provers ready in $((warm / 1000)).$(( (warm % 1000) / 100 ))s (not in the wall below); starting the gateway"
  start "${gateway[@]}"
fi

proven() { grep -l '"status": "proven"' $(for b in $blocks; do printf '%s/blocks/b%08d.json ' "$STORE" "$b"; done) 2>/dev/null | wc -l; }
want=$(echo $blocks | wc -w)
started=$SECONDS
started_ns=$(date +%s%N)
last_print=-10
last_tty=-1
while (( $(proven) < want )); do
  if (( SECONDS - started > TIMEOUT )); then
    say "timed out after ${TIMEOUT}s; status:"; "$BIN/frispool" status; exit 1
  fi
  for p in "${pids[@]}"; do
    kill -0 "$p" 2>/dev/null || { say "a stage exited early; logs in $LOGS"; tail -n 20 "$LOGS"/*.log; exit 1; }
  done
  if [[ -t 1 ]] && (( SECONDS != last_tty )); then
    last_tty=$SECONDS
    line=$("$BIN/frispool" status --brief 2>/dev/null || echo "...")
    printf '\r\033[K[%4ds] proven %d/%d  running/queued: %s' $((SECONDS - started)) "$(proven)" "$want" "$line"
  elif [[ ! -t 1 ]] && (( SECONDS - last_print >= 10 )); then
    last_print=$SECONDS
    say "$((SECONDS - started))s: $(proven)/$want blocks proven"
    "$BIN/frispool" status
  fi
  # A short poll: the wall printed below is what the GPU benchmark divides by (a 1 s poll quantised it to 1 s).
  sleep 0.2
done
[[ -t 1 ]] && printf '\n'
elapsed=$(( ($(date +%s%N) - started_ns) / 1000000 ))
say "all $want blocks proven in $((elapsed / 1000)).$(( (elapsed % 1000) / 100 ))s; status:"
"$BIN/frispool" status
say "per-round timings of blocks $(echo $blocks)"
"$BIN/frispool" timings $blocks
"$BIN/frispool" report $blocks --out "$LOGS/timeline.svg" | tail -n 1
# The final key the sequencer derived for itself (its trust root): verify pins it instead of building every
# circuit once more per block.
final_vk=$(sed -n 's/.*"blake3": "\(.*\)".*/\1/p' "$STORE"/trust/*/trust.json | head -n 1)
# VERIFY=last (the benchmarks): only the last block's proof is checked again here; the sequencer has already
# accepted every block's under its own trust root.
verify_blocks=$blocks
[[ "${VERIFY:-all}" == last ]] && verify_blocks=$(printf '%s\n' $blocks | tail -n 1)
for b in $verify_blocks; do
  "$BIN/frispool" verify --vk-digest "$final_vk" "$SPOOL/artifacts/$(printf 'b%08d' "$b")/final.proof"
  if [[ -n "$WRAP" ]]; then
    "$BIN/frispool" verify --vk-digest "$snark_vk" "$SPOOL/artifacts/$(printf 'b%08d' "$b")/final.snark"
    "$BIN/frispool" inspect "$SPOOL/artifacts/$(printf 'b%08d' "$b")/final.snark"
  fi
  "$BIN/frispool-sequencer" --store "$STORE" status | grep "\"number\":$b,"
done
