#!/usr/bin/env bash
# The spool over a network filesystem beside the local disk: hand-offs per second, and the pipeline's overhead on
# a demo block. The network filesystem is GlusterFS as scripts/gluster/two-hosts.sh makes it (a server and two
# hosts in network namespaces, each with its own FUSE mount). Prints Markdown for BENCHMARKS.md. Needs root,
# /dev/fuse and Debian's glusterfs-server and glusterfs-client.
#
#   sudo scripts/bench-cluster.sh        env: JOBS=1000 (synthetic jobs per run) REPS=3 TXS=64 BIN=target/release
#                                             SKIP_PIPELINE=1 (hand-offs only)
#
# Hand-offs: `frispool-synthetic seed --jobs JOBS` (enqueue: ticket + a 256-byte input artifact each), then
# worker processes `frispool-synthetic work --once --iterations 0` (claim, a 256-byte output, complete) drain
# them; medians of REPS runs, local and GlusterFS interleaved. "hand-offs/s" is the whole life of a job: JOBS /
# (seed + drain). On GlusterFS the workers run as the hosts: 1 process on host-a, then 1 on each host.
# Pipeline: scripts/bench-pipeline.sh (one block of TXS transactions, stages warm) with its folder (spool,
# sequencer store, logs) on the local disk, then on host-a's GlusterFS mount.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-1000}
REPS=${REPS:-3}
TXS=${TXS:-64}
BIN=${BIN:-}
if [[ -z "$BIN" ]]; then
  cargo build --release --quiet --bins
  BIN="${CARGO_TARGET_DIR:-target}/release"
fi
BIN=$(realpath "$BIN")
HOSTS=$(mktemp -d "${TMPDIR:-/tmp}/frispool-bench-hosts.XXXXXX")
LOCAL=$(mktemp -d "${TMPDIR:-/tmp}/frispool-bench-local.XXXXXX")
cleanup() {
  scripts/gluster/two-hosts.sh down "$HOSTS" || true
  rm -rf "$HOSTS" "$LOCAL"
}
trap cleanup EXIT
scripts/gluster/two-hosts.sh up "$HOSTS" >&2

now() { date +%s.%N; }
as() { # as HOST CMD... (HOST "local": this machine's own namespace)
  local h=$1
  shift
  if [[ $h == local ]]; then "$@"; else scripts/gluster/two-hosts.sh run "$HOSTS" "$h" "$@"; fi
}

# One run: fresh spool at $1 (its path as host-a sees it), seeded from host $2, drained by the hosts in $3 (a
# comma list; for a spool on GlusterFS each host uses its own mount). Prints "seed_s drain_s".
handoff_run() {
  local spool=$1 seeder=$2 workers=$3 t0 t1 t2 h pids=()
  as "$seeder" "$BIN/frispool" --spool "$spool" init >/dev/null
  t0=$(now)
  as "$seeder" "$BIN/frispool-synthetic" seed --spool "$spool" --jobs "$JOBS" >/dev/null
  t1=$(now)
  for h in ${workers//,/ }; do
    local s=$spool
    [[ $h != local ]] && s=${spool/\/host-a\//\/$h\/}
    as "$h" "$BIN/frispool-synthetic" work --spool "$s" --once --iterations 0 --threads 1 --no-recover \
      >/dev/null 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}"
  t2=$(now)
  local done_count
  done_count=$(find "$spool/prove/done" -type f | wc -l)
  [[ $done_count == "$JOBS" ]] || { echo "bench-cluster: $done_count of $JOBS jobs done in $spool" >&2; exit 1; }
  rm -rf "$spool"
  awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "%.3f %.3f\n", b - a, c - b }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A SEED DRAIN
setups=("local-1" "gluster-1" "local-2" "gluster-2")
for rep in $(seq "$REPS"); do
  for s in "${setups[@]}"; do
    case $s in
      local-1) r=$(handoff_run "$LOCAL/spool" local local) ;;
      local-2) r=$(handoff_run "$LOCAL/spool" local local,local) ;;
      gluster-1) r=$(handoff_run "$HOSTS/host-a/spool" host-a host-a) ;;
      gluster-2) r=$(handoff_run "$HOSTS/host-a/spool" host-a host-a,host-b) ;;
    esac
    SEED[$s]+="${r% *} "
    DRAIN[$s]+="${r#* } "
    echo "rep $rep $s: seed ${r% *} s, drain ${r#* } s" >&2
  done
done

echo "## The spool over GlusterFS (issue 14)"
echo
echo "$JOBS synthetic jobs per run (256-byte input and output artifacts), medians of $REPS runs, interleaved."
echo
echo "| spool on | workers | enqueue/s | claim+complete/s | hand-offs/s |"
echo "|---|---|---:|---:|---:|"
for s in "${setups[@]}"; do
  seed=$(tr ' ' '\n' <<<"${SEED[$s]}" | grep . | median)
  drain=$(tr ' ' '\n' <<<"${DRAIN[$s]}" | grep . | median)
  case $s in
    local-1) what="local disk | 1 process" ;;
    local-2) what="local disk | 2 processes" ;;
    gluster-1) what="GlusterFS (FUSE, TCP) | 1 process on host-a" ;;
    gluster-2) what="GlusterFS (FUSE, TCP) | 1 process on each host" ;;
  esac
  awk -v j="$JOBS" -v s="$seed" -v d="$drain" -v w="$what" \
    'BEGIN { printf "| %s | %.0f | %.0f | %.0f |\n", w, j / s, j / d, j / (s + d) }'
done
echo

[[ -n ${SKIP_PIPELINE:-} ]] && exit 0
for where in local gluster; do
  dir=$LOCAL
  [[ $where == gluster ]] && dir=$HOSTS/host-a
  echo "### Pipeline on $where ($dir)"
  echo
  TMPDIR=$dir TXS=$TXS BIN=$BIN PORT=$((3340 + RANDOM % 100)) scripts/bench-pipeline.sh
  echo
done
