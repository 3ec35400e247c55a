#!/usr/bin/env bash
# `make bench`: every benchmark, one after the other, results to bench-results/ (Markdown) with the machine.
# Copy what matters into BENCHMARKS.md. Run on a quiet machine: these numbers are wall-clock.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench-results
mkdir -p "$OUT"
{
  echo "# Machine"
  echo
  echo "- $(nproc) cores: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
  echo "- memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "- disk: $(df -h . | awk 'NR==2 {print $1, $2}')"
  echo "- $(rustc --version)"
  echo "- $(date -u +%Y-%m-%dT%H:%MZ)"
} > "$OUT/machine.md"
cargo build --release --quiet --bins
cargo bench --quiet --bench spool_handoff -- --jobs 2000 | tee "$OUT/spool.md"
cargo bench --quiet -p frispool-circuits --bench circuits | tee "$OUT/circuits.md"
scripts/bench-pipeline.sh | tee "$OUT/pipeline.md"
echo "results in $OUT/"
