#!/usr/bin/env bash
# check and forget --prune at scale: lifecycle-scale.sh [DIR]   (DIR default /tmp/rozen-lifecycle-scale)
#
# Builds DIR/repo once with synth-repo.mjs (BLOBS blobs, default 5,000,000; kept for later runs)
# and the index cache a user who ran a backup would have (DIR/cache-warm). Each measured step
# starts from a copy of both, with the page cache dropped (as root) and BENCH_WARM_MIB of memory
# touched and freed (see README), and prints wall time and peak RSS from /usr/bin/time -v:
#   check            with the warm index cache
#   check, cold      with an empty index cache (it absorbs every index file first)
#   forget --prune   `forget --keep-last 3 --prune` with the warm cache
set -euo pipefail
DIR=${1:-/tmp/rozen-lifecycle-scale}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ROZEN=${ROZEN:-$ROOT/dist/cli.cjs}
WARM_MIB=${BENCH_WARM_MIB:-3072}
REPEAT=${BENCH_REPEAT:-1}
export ROZEN_PASSWORD=${ROZEN_PASSWORD:-rozen-bench-password}

if [[ ! -d $DIR/repo ]]; then
  node "$ROOT/scripts/bench/synth-repo.mjs" "$DIR/repo"
fi
if [[ ! -d $DIR/cache-warm ]]; then
  ROZEN_CACHE_DIR=$DIR/cache-warm "$ROZEN" snapshots "$DIR/repo" >/dev/null
fi

settle() {
  if [[ $(id -u) == 0 ]]; then sync; echo 3 > /proc/sys/vm/drop_caches; fi
  if (( WARM_MIB > 0 )); then
    python3 -c "b=bytearray($WARM_MIB<<20); b[::4096]=b'x'*len(range(0,len(b),4096))"
  fi
}

# measure NAME CACHE ARGS...: runs rozen ARGS on a fresh copy of the repository as DIR/work.
measure() {
  local name=$1 cache=$2
  shift 2
  rm -rf "$DIR/work" "$DIR/cache"
  cp -a "$DIR/repo" "$DIR/work"
  if [[ $cache == warm ]]; then cp -a "$DIR/cache-warm" "$DIR/cache"; else mkdir "$DIR/cache"; fi
  settle
  ROZEN_CACHE_DIR=$DIR/cache /usr/bin/time -v -o "$DIR/time.txt" "$ROZEN" "$@" "$DIR/work" > "$DIR/out.txt"
  local wall rss
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$DIR/time.txt")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$DIR/time.txt")
  printf '%-16s wall %8s  peak RSS %5d MiB\n' "$name" "$wall" $(( rss / 1024 ))
}

for _ in $(seq 1 "$REPEAT"); do
  measure check warm check
  measure "check, cold" cold check
  measure "forget --prune" warm forget --keep-last 3 --prune
done
tail -4 "$DIR/out.txt"
