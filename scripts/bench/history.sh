#!/usr/bin/env bash
# `ls -l` of /history/<file> in the mount for a file present in N snapshots: history.sh [N]
#
# Builds (once, reused while it has N snapshots) a repository of N backups of a tiny tree, in one
# process (history-synth.mjs: a second apart, `changing.txt` new content every 10th backup and a
# new mtime only every 10th, offset 5, so about N/5 versions; the other files never change). Then mounts it and measures
# `ls -l` of /history/<src>/changing.txt/ on a fresh mount (cold: page cache dropped where root
# may, nothing of the history built) and again (warm: built paths cached), the number of entries,
# `rozen history` of the same path, and the mount's RSS (VmRSS and peak VmHWM). Unmounts on exit.
set -euo pipefail
N=${1:-1000}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ROZEN=${ROZEN:-$ROOT/dist/cli.cjs}
DIR=${BENCH_DIR:-/tmp/rozen-bench}/run/history-$N
export ROZEN_PASSWORD=${ROZEN_PASSWORD:-rozen-bench-password}
export ROZEN_KDF_N=${ROZEN_KDF_N:-1024}
export ROZEN_CACHE_DIR=$DIR/cache
SRC=$DIR/src
MNT=$DIR/mnt
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  fusermount -uz "$MNT" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

build_repo() {
  rm -rf "$DIR"; mkdir -p "$SRC/fixed" "$MNT"
  for f in a b c d e; do head -c 2000 /dev/urandom >"$SRC/fixed/$f"; done
  echo 0 >"$SRC/changing.txt"
  "$ROZEN" init "$DIR/repo" >/dev/null
  local start; start=$(now)
  node "$ROOT/scripts/bench/history-synth.mjs" "$DIR/repo" "$SRC" "$N"
  echo "built $N snapshots in $(elapsed "$start") s"
}

count=$(ls "$DIR/repo/snapshots" 2>/dev/null | wc -l || true)
[ "$count" = "$N" ] || build_repo
mkdir -p "$MNT"
sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || echo "(page cache not dropped: not root)"
"$ROZEN" mount "$DIR/repo" "$MNT" >"$DIR/mount.log" 2>&1 &
PID=$!
for _ in $(seq 100); do [ -e "$MNT/snapshots/latest" ] && break; sleep 0.1; done
H=$MNT/history$SRC/changing.txt
rss0=$(awk '/VmRSS/ { print $2 }' "/proc/$PID/status")
start=$(now); entries=$(ls -l "$H/" | tail -n +2 | wc -l); cold=$(elapsed "$start")
start=$(now); ls -l "$H/" >/dev/null; warm=$(elapsed "$start")
sleep 1.1 # past the one-second validity of /history entries in the kernel: the mount answers again
start=$(now); ls -l "$H/" >/dev/null; warm2=$(elapsed "$start")
rss=$(awk '/VmRSS/ { print $2 }' "/proc/$PID/status"); hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$PID/status")
start=$(now); versions=$("$ROZEN" history "$DIR/repo" "$SRC/changing.txt" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'); cli=$(elapsed "$start")
echo "snapshots=$N versions=$entries cli_versions=$versions"
echo "ls -l cold: ${cold} s; warm: ${warm} s; warm after the kernel's entries expired: ${warm2} s"
echo "mount RSS: $((rss0 / 1024)) MiB before, $((rss / 1024)) MiB after (peak $((hwm / 1024)) MiB); rozen history --json: ${cli} s"
