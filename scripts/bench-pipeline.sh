#!/usr/bin/env bash
# Pipeline benchmark: one block of TXS transactions through the real binaries on a fresh spool, with the
# provers already warm (keys built). Reports the wall time from the first job's start to the last job's end,
# the sum of the proving jobs' times, the pipeline's own overhead, how busy the cores were, and transactions
# proven per second end to end. Prints Markdown for BENCHMARKS.md.
#
#   scripts/bench-pipeline.sh            env: TXS=256 PROVERS=1 BIN=target/release (and the keygen profile's
#                                        FRISPOOL_MAIN_DEGREE_BITS, FRISPOOL_SIG_PER_INSTANCE)
set -euo pipefail
cd "$(dirname "$0")/.."
TXS=${TXS:-256}
PROVERS=${PROVERS:-1}
PORT=${PORT:-3329}
BIN=${BIN:-}
if [[ -z "$BIN" ]]; then
  cargo build --release --quiet --bins
  BIN="${CARGO_TARGET_DIR:-target}/release"
fi
DIR=$(mktemp -d "${TMPDIR:-/tmp}/frispool-bench.XXXXXX")
export FRISPOOL_SPOOL="$DIR/spool"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$DIR"
}
trap cleanup EXIT
start() { local name=$1; shift; "$@" </dev/null >"$DIR/$name.log" 2>&1 & pids+=($!); }
cpu() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }

"$BIN/frispool" init >/dev/null
"$BIN/frispool" keygen >/dev/null
"$BIN/frispool-sequencer" --store "$DIR/seq" produce --blocks 1 --txs "$TXS" --seed 7 >/dev/null

# The pipeline's processes (`frispool stages`, the one place they are written): every stage but the gateway
# first, the gateway once the sequencer is up.
"$BIN/frispool" stages --sequencer "http://127.0.0.1:$PORT" --pull-secs 0.2 --provers "$PROVERS" > "$DIR/stages.txt"
while read -r name bin args; do
  [[ $name == gateway ]] && continue
  # shellcheck disable=SC2086 # the stage's flags, one word each
  start "$name" "$BIN/$bin" $args --rescan-secs 0.5
done < "$DIR/stages.txt"
# Wait until every prover has built its keys: the measurement is of the pipeline, not of start-up.
until (( $(grep -l "ready in" "$DIR"/prover-*.log 2>/dev/null | wc -l) == PROVERS )); do sleep 0.2; done
sleep 1

# The sequencer derives its trust root first (it builds every circuit: seconds to a minute, more under a larger
# keygen profile); the clock starts once it listens, when the gateway can be handed the block.
start sequencer "$BIN/frispool-sequencer" --store "$DIR/seq" serve --listen "127.0.0.1:$PORT"
until (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do sleep 0.1; done
read -r busy0 total0 < <(cpu)
t0=$(date +%s.%N)
read -r name bin args < <(grep '^gateway ' "$DIR/stages.txt")
# shellcheck disable=SC2086
start "$name" "$BIN/$bin" $args --rescan-secs 0.5
until grep -q '"status": "proven"' "$DIR/seq/blocks/b00000001.json" 2>/dev/null; do sleep 0.1; done
t1=$(date +%s.%N)
read -r busy1 total1 < <(cpu)

"$BIN/frispool" timings 1 > "$DIR/timings.txt"
"$BIN/frispool" timings --json 1 > "$DIR/timings.json"
read -r wall proving alljobs < <(python3 -c 'import json, sys
t = json.load(open(sys.argv[1]))
print(t["wall_ms"] / 1e3, t["proving_ms"] / 1e3, t["busy_ms"] / 1e3)' "$DIR/timings.json")
e2e=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
cores=$(nproc)
echo "## Pipeline: one block of $TXS transactions, $PROVERS prover process(es), $cores cores"
echo
echo '```'
cat "$DIR/timings.txt"
echo '```'
echo
awk -v w="$wall" -v p="$proving" -v a="$alljobs" -v e="$e2e" -v t="$TXS" -v b0="$busy0" -v b1="$busy1" -v T0="$total0" -v T1="$total1" -v c="$cores" -v n="$PROVERS" 'BEGIN {
  printf "| measure | value |\n|---|---|\n";
  printf "| wall, first job start to last job end | %.2f s |\n", w;
  printf "| sum of the proving jobs (prove + compress) | %.2f s |\n", p;
  printf "| sum of all jobs | %.2f s |\n", a;
  printf "| pipeline overhead: wall − proving, per prover process | %.2f s (%.1f %% of wall) |\n", w - p / n, 100 * (w - p / n) / w;
  printf "| sequencer hand-out to accepted proof (HTTP both ways, gateway polling) | %.2f s |\n", e;
  printf "| cores busy over that time | %.0f %% of %d |\n", 100 * (b1 - b0) / (T1 - T0), c;
  printf "| transactions proven per second, end to end | %.1f |\n", t / e;
}'
