#!/usr/bin/env bash
# schemathesis (PyPI) in its own virtual environment, for the sequencer's API contract test
# (stages/sequencer/tests/openapi_contract.rs).
#
#   scripts/schemathesis.sh install     create the venv and install the pinned version (quiet; idempotent: a venv
#                                       that already has it is left alone)
#   scripts/schemathesis.sh bin         print the path of the `schemathesis` executable; exit 77 if not installed
#   scripts/schemathesis.sh run ARGS…   schemathesis run ARGS… (exit 77 if not installed)
#
# env: FRISPOOL_SCHEMATHESIS_VENV (default ~/.cache/frispool/schemathesis-venv)
# The version is pinned so that a new release's extra checks do not turn CI red overnight; raise it on purpose.
set -euo pipefail

VERSION=4.32.5
VENV=${FRISPOOL_SCHEMATHESIS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/frispool/schemathesis-venv}
EXE="$VENV/bin/schemathesis"

installed() { [[ -x "$EXE" ]] && [[ "$(cat "$VENV/.frispool-version" 2>/dev/null)" == "$VERSION" ]]; }

case "${1:-}" in
  install)
    installed && exit 0
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$VERSION"
    echo "$VERSION" > "$VENV/.frispool-version"
    ;;
  bin)
    installed || { echo "schemathesis $VERSION is not installed in $VENV (scripts/schemathesis.sh install)" >&2; exit 77; }
    echo "$EXE"
    ;;
  run)
    shift
    installed || { echo "schemathesis $VERSION is not installed in $VENV (scripts/schemathesis.sh install)" >&2; exit 77; }
    exec "$EXE" run "$@"
    ;;
  *)
    echo "usage: $0 install | bin | run ARGS…" >&2
    exit 2
    ;;
esac
