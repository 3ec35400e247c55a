#!/usr/bin/env bash
# Runs a crontab's lines on a shorter period than cron's minute: every EVERY seconds is one "tick", at which each
# line whose minute field matches is started in the background with the crontab's SHELL and variables, as cron
# does (a line still running from an earlier tick is left to its own `flock -n`). The minute field is honoured as
# a tick count: `*` every tick, `*/N` every Nth tick, anything else on the first tick only; the other four fields
# are ignored. Stops after FOR seconds, or when STOP_FILE exists, and waits for the lines it started.
#
#   scripts/cron/run-crontab.sh CRONTAB [EVERY=5] [FOR=55] [STOP_FILE]
#
# From cron itself, for sub-minute ticks (one instance at a time):
#   * * * * *  flock -n /var/lock/fs-ticks /opt/frispool/run-crontab.sh /etc/frispool.crontab 5 55
set -euo pipefail

CRONTAB=${1:?usage: run-crontab.sh CRONTAB [EVERY] [FOR] [STOP_FILE]}
EVERY=${2:-5}
FOR=${3:-55}
STOP_FILE=${4:-}

shell=/bin/sh
vars=()
minutes=()
commands=()
while IFS= read -r line || [[ -n $line ]]; do
  [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
  if [[ $line =~ ^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=[[:space:]]*(.*)$ ]]; then
    name=${BASH_REMATCH[1]}
    value=${BASH_REMATCH[2]}
    [[ $name == SHELL ]] && shell=$value
    vars+=("$name=$value")
    continue
  fi
  if [[ $line =~ ^[[:space:]]*@ ]]; then
    continue # @reboot and friends: not a periodic line
  fi
  read -r m _ _ _ _ cmd <<<"$line"
  minutes+=("$m")
  commands+=("$cmd")
done < "$CRONTAB"
(( ${#commands[@]} > 0 )) || { echo "run-crontab.sh: no job lines in $CRONTAB" >&2; exit 2; }

due() { # due MINUTE_FIELD TICK
  case $1 in
    '*') return 0 ;;
    '*/'*) (( $2 % ${1#*/} == 0 )) ;;
    *) (( $2 == 0 )) ;;
  esac
}

start=$SECONDS
tick=0
children=()
while (( SECONDS - start < FOR )); do
  [[ -n $STOP_FILE && -e $STOP_FILE ]] && break
  for i in "${!commands[@]}"; do
    if due "${minutes[$i]}" "$tick"; then
      # cron's environment: only the crontab's variables over a minimal one; cron runs `SHELL -c LINE`.
      env -i HOME="${HOME:-/root}" LOGNAME="${LOGNAME:-root}" PATH=/usr/bin:/bin "${vars[@]}" "$shell" -c "${commands[$i]}" &
      children+=($!)
    fi
  done
  tick=$((tick + 1))
  sleep "$EVERY"
done
wait "${children[@]}" 2>/dev/null || true
