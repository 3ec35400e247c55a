#!/usr/bin/env bash
# node_exporter textfile collector for a frispool spool: writes `frispool status --prometheus` (queue counts
# and ages, free space, faults, and per queue, round and circuit type: job-time histogram, oldest queued age,
# attempts, failures, memory deaths and memory-class moves) into the collector's folder, atomically (the
# collector never reads a half-written file). Run it every minute from cron or the systemd timer beside it:
#
#   * * * * * FRISPOOL_SPOOL=/shared/spool /opt/frispool/scripts/metrics/frispool-textfile.sh
#
# node_exporter must be started with --collector.textfile.directory=$TEXTFILE_DIR.
# env: FRISPOOL_SPOOL (required), FRISPOOL_BIN=/opt/frispool/bin,
#      TEXTFILE_DIR=/var/lib/prometheus/node-exporter (Debian's prometheus-node-exporter default),
#      NAME=frispool (the file is $TEXTFILE_DIR/$NAME.prom: one per spool when a host watches several)
set -euo pipefail
: "${FRISPOOL_SPOOL:?set FRISPOOL_SPOOL to the spool}"
BIN=${FRISPOOL_BIN:-/opt/frispool/bin}
DIR=${TEXTFILE_DIR:-/var/lib/prometheus/node-exporter}
# status reads every ticket for the per-round metrics; a minute's timer must not pile up on a slow NFS.
exec timeout 50 "$BIN/frispool" --spool "$FRISPOOL_SPOOL" status --prometheus "$DIR/${NAME:-frispool}.prom" >/dev/null
