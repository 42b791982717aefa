#!/usr/bin/env bash
# One-step set-up on a fresh Debian machine with Node 20: system packages (libfuse 2 runtime,
# fusermount, rsync, attr tools used by the tests), then `npm ci` and the build.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -e /usr/lib/x86_64-linux-gnu/libfuse.so.2 ] || ldconfig -p 2>/dev/null | grep -q 'libfuse.so.2 ' || need+=(libfuse2)
command -v fusermount >/dev/null || need+=(fuse)
command -v rsync >/dev/null || need+=(rsync)
command -v getfattr >/dev/null || need+=(attr)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "setup: missing ${need[*]}; run as root: apt-get install -y ${need[*]}" >&2
    echo "setup: (rozen mount falls back to the libfuse bundled with fuse-shared-library)" >&2
  fi
fi

npm ci --no-audit --no-fund
npm run build
