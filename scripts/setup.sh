#!/usr/bin/env bash
# One-step set-up on a fresh Debian machine with Node 20: system packages (what node-gyp builds the
# native addon with, fusermount for mounts by users other than root and for the tests' unmounts,
# rsync and the attr tools the tests use), then `npm ci` (which builds the addon) and the build (the
# addon speaks the FUSE kernel protocol itself: no libfuse).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v python3 >/dev/null || need+=(python3)
command -v make >/dev/null || need+=(make)
command -v g++ >/dev/null || need+=(g++)
command -v fusermount >/dev/null || command -v fusermount3 >/dev/null || need+=(fuse)
command -v rsync >/dev/null || need+=(rsync)
command -v getfattr >/dev/null || need+=(attr)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "setup: missing ${need[*]}; run as root: apt-get install -y ${need[*]}" >&2
  fi
fi

npm ci --no-audit --no-fund
npm run build
