#!/usr/bin/env bash
# Spool demo: a few hundred synthetic jobs (two rounds each) drained by several worker processes,
# one of them killed on the way; `frispool status` is printed as the queues empty.
#
#   scripts/spool-demo.sh [SPOOL_DIR]      (default: a fresh temp folder)
#   env: JOBS=300 WORKERS=4 WORK_MS=20 BIN=target/release
set -euo pipefail

cd "$(dirname "$0")/.."
JOBS=${JOBS:-300}
WORKERS=${WORKERS:-4}
WORK_MS=${WORK_MS:-20}
BIN=${BIN:-}
if [[ -z "$BIN" ]]; then
  cargo build --release --quiet --bin frispool --bin frispool-synthetic
  BIN="${CARGO_TARGET_DIR:-target}/release"
fi
SPOOL=${1:-$(mktemp -d "${TMPDIR:-/tmp}/frispool-demo.XXXXXX")}
export FRISPOOL_SPOOL="$SPOOL"
admin() { "$BIN/frispool" "$@"; }
synth() { "$BIN/frispool-synthetic" "$@"; }

echo "== spool $SPOOL"
admin init
synth seed --jobs "$JOBS" --rounds 2 --max-attempts 5

pids=()
for i in $(seq 1 "$WORKERS"); do
  # Short lease so the killed worker's job is picked up again quickly; --poll shows the NFS mode.
  poll=(); [[ $i == 2 ]] && poll=(--poll)
  # The binary itself goes to the background (not a shell function), so $! is its pid.
  "$BIN/frispool-synthetic" work --lease-secs 3 --max-attempts 5 --threads 1 --work-ms "$WORK_MS" "${poll[@]}" \
    2> "$SPOOL/worker-$i.log" &
  pids+=($!)
done

sleep 1
victim=${pids[0]}
echo "== killing worker pid $victim with SIGKILL, mid-job"
kill -KILL "$victim" || true
wait "$victim" 2>/dev/null || true

total=$((JOBS * 2))
while :; do
  admin status
  done_count=$(ls "$SPOOL/prove/done" | wc -l)
  left=$(( $(ls "$SPOOL/prove/queued" | wc -l) + $(ls "$SPOOL/prove/in_progress" | wc -l) ))
  if [[ $done_count -ge $total && $left -eq 0 ]]; then break; fi
  # A dead worker's lease is returned by any recover (cron does this in production).
  admin recover > /dev/null
  sleep 1
done

echo "== all $total jobs done; stopping the workers with SIGTERM"
for p in "${pids[@]:1}"; do kill -TERM "$p" 2>/dev/null || true; done
for p in "${pids[@]:1}"; do
  wait "$p" || { echo "demo: worker $p exited with $?" >&2; exit 1; }
done
admin status
failed=$(ls "$SPOOL/prove/failed" | wc -l)
if [[ $failed -ne 0 ]]; then echo "demo: $failed jobs failed" >&2; exit 1; fi
echo "== demo ok: $total jobs done by $WORKERS workers, one of them killed on the way"
