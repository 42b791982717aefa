#!/usr/bin/env bash
# All side-by-side benchmarks in a row (backup, mount, prune): all.sh [SIZE_MB]
#
# Each script runs even if an earlier one failed; the combined output is kept under
# $BENCH_DIR/results/. Exit status: 1 if any step failed, else 4 if a target was missed under
# BENCH_STRICT=1, else 3 if the Rozen half was skipped, else 0.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export SIZE_MB=${1:-${SIZE_MB:-1024}}
BENCH_DIR=${BENCH_DIR:-/tmp/rozen-bench}
mkdir -p "$BENCH_DIR/results"
OUT=$BENCH_DIR/results/all-$(date +%Y%m%d-%H%M%S).txt
worst=0
for b in backup mount prune; do
  echo "=== $b.sh (SIZE_MB=$SIZE_MB) ===" | tee -a "$OUT"
  bash "$HERE/$b.sh" "$SIZE_MB" 2>&1 | tee -a "$OUT"
  rc=${PIPESTATUS[0]}
  echo "=== $b.sh exit $rc ===" | tee -a "$OUT"
  case $rc:$worst in
    0:*) ;;
    1:*|*:1) worst=1 ;;
    4:*|*:4) worst=4 ;;
    *) worst=$rc ;;
  esac
done
echo "combined output: $OUT"
exit "$worst"
