#!/usr/bin/env bash
# Installs solcjs (the npm package `solc`) where frispool-wrap's tests look for it:
# stages/wrap/tools/solc/node_modules/solc/solc.js (or set FRISPOOL_SOLCJS to another solc.js).
# Idempotent: does nothing when the pinned version is already there. Needs node and npm.
set -euo pipefail
SOLC_VERSION=0.8.28
dir="$(cd "$(dirname "$0")" && pwd)/solc"
pkg="$dir/node_modules/solc/package.json"
if [ -f "$pkg" ] && grep -q "\"version\": \"$SOLC_VERSION\"" "$pkg"; then
  exit 0
fi
mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund --silent "solc@$SOLC_VERSION" >/dev/null
