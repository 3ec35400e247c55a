#!/usr/bin/env bash
# Submits a whole frispool pipeline to Slurm on a shared spool: one job per stage that `frispool stages` lists
# (the gateway, one per witness round, the compressor: scripts/slurm/stage.sbatch), a job array of provers
# (provers.sbatch) and the recovery job (recover.sbatch). Prints one line per job: `NAME JOBID`.
#
#   FRISPOOL_SPOOL=/shared/spool FRISPOOL_BIN=/opt/frispool/bin FRISPOOL_SEQUENCER=http://seq:3320 \
#     scripts/slurm/submit.sh
#
# env: PROVERS=4 (array tasks), PROVER_CPUS=16, STAGE_CPUS=2, TIME=04:00:00 (every job's limit; each ends itself
#      on Slurm's SIGTERM 120 s before it, handing back what it holds), LOGS=./frispool-slurm-logs,
#      SBATCH_FLAGS (extra sbatch flags of every job: --partition, --account, --mem ...), and what the batch
#      scripts read: FRISPOOL_MODE=watch|once, FRISPOOL_LEASE_SECS, FRISPOOL_RESCAN_SECS, FRISPOOL_RECOVER_EVERY,
#      FRISPOOL_PROVER_ARGS. The jobs get this environment (sbatch's default --export=ALL).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

: "${FRISPOOL_SPOOL:?set FRISPOOL_SPOOL to the shared spool}"
export FRISPOOL_SPOOL
export FRISPOOL_BIN=${FRISPOOL_BIN:-/opt/frispool/bin}
SEQUENCER=${FRISPOOL_SEQUENCER:-http://127.0.0.1:3320}
PROVERS=${PROVERS:-4}
LOGS=$(realpath -m "${LOGS:-./frispool-slurm-logs}")
mkdir -p "$LOGS"
# shellcheck disable=SC2206 # extra flags, one word each
extra=(--time="${TIME:-04:00:00}" ${SBATCH_FLAGS:-})

submit() {
  local name=$1
  shift
  local id
  id=$(sbatch --parsable --job-name="frispool-$name" "${extra[@]}" "$@")
  echo "$name ${id%%;*}"
}

# Every stage but the provers, as `frispool stages` lists them (the one place they are written).
while read -r name bin args; do
  [[ $bin == frispool-prover ]] && continue
  # shellcheck disable=SC2086 # the stage's flags, one word each
  submit "$name" --cpus-per-task="${STAGE_CPUS:-2}" --output="$LOGS/$name-j%j.log" "$HERE/stage.sbatch" "$bin" $args
done < <("$FRISPOOL_BIN/frispool" stages --sequencer "$SEQUENCER" --provers 0)

submit prover --array="1-$PROVERS" --cpus-per-task="${PROVER_CPUS:-16}" --output="$LOGS/prover-%A_%a-j%j.log" \
  "$HERE/provers.sbatch"
submit recover --output="$LOGS/recover-j%j.log" "$HERE/recover.sbatch"
