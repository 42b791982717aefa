#!/usr/bin/env bash
# Rozen's main job on a built-in example: back up this checkout's docs/ and src/ into a new local
# repository, list the snapshot, mount the repository, read a file through the mount and check it
# against the original, then unmount. Usage: examples/demo.sh [WORKDIR]   (default: a new temp dir)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rozen() { node "$here/dist/cli.cjs" "$@"; }
work=${1:-$(mktemp -d)}
mnt=$work/mnt
export ROZEN_PASSWORD=${ROZEN_PASSWORD:-demo password}
export ROZEN_CACHE_DIR=${ROZEN_CACHE_DIR:-$work/cache}

step() { printf '\n== %s\n' "$*"; }
mounted() { grep -q " $mnt fuse" /proc/mounts; }
cleanup() {
  if mounted; then fusermount -u "$mnt" 2>/dev/null || umount "$mnt" 2>/dev/null || true; fi
  if [ -n "${pid:-}" ]; then wait "$pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

step "rozen init $work/repo"
rozen init "$work/repo"
step "rozen backup $work/repo $here/docs $here/src"
rozen backup "$work/repo" "$here/docs" "$here/src" --tag demo
step "rozen snapshots $work/repo"
rozen snapshots "$work/repo"

if [ ! -e /dev/fuse ]; then
  echo "demo: /dev/fuse is missing, so the mount part is skipped (load the fuse module: modprobe fuse)" >&2
  exit 0
fi
step "rozen mount $work/repo $mnt (in the background)"
mkdir -p "$mnt"
rozen mount "$work/repo" "$mnt" &
pid=$!
for _ in $(seq 1 100); do
  [ -e "$mnt/snapshots/latest" ] && break
  kill -0 "$pid" 2>/dev/null || { echo "demo: the mount stopped early" >&2; exit 1; }
  sleep 0.1
done
file=$mnt/snapshots/latest$here/docs/FORMAT.md
step "read $file"
head -n 5 "$file"
cmp "$file" "$here/docs/FORMAT.md"
echo "demo: the file read through the mount is identical to the original"
step "unmount"
fusermount -u "$mnt" 2>/dev/null || umount "$mnt"
wait "$pid"
pid=
echo "demo: done; the repository is $work/repo (password: \$ROZEN_PASSWORD)"
