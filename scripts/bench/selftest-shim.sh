#!/usr/bin/env bash
# Harness self-test only: Rozen's CLI surface served by restic, so the Rozen half of the
# benchmarks can be exercised before Rozen exists. Ratios near 1.0 mean the harness is fair.
#   ROZEN=scripts/bench/selftest-shim.sh bash scripts/bench/backup.sh 50
set -euo pipefail
export RESTIC_PASSWORD=${ROZEN_PASSWORD:?ROZEN_PASSWORD is not set}
cache=(--cache-dir "${XDG_CACHE_HOME:-$HOME/.cache}/restic-shim")
verb=${1:-}; shift || true
case $verb in
  --help) echo "usage: selftest-shim.sh init|backup|restore|snapshots|forget|check|mount REPO ..." ;;
  init) exec restic -r "$1" "${cache[@]}" init ;;
  backup) exec restic -r "$1" "${cache[@]}" backup --quiet "$2" ;;
  restore) exec restic -r "$1" "${cache[@]}" restore "$2" "${@:3}" ;;
  snapshots) exec restic -r "$1" "${cache[@]}" snapshots --json ;;
  forget) exec restic -r "$1" "${cache[@]}" forget "${@:2}" ;;
  check) exec restic -r "$1" "${cache[@]}" check "${@:2}" ;;
  mount)
    # Foreground; SIGTERM unmounts, and the stats line is printed as Rozen's would be.
    restic -r "$1" "${cache[@]}" mount "$2" &
    pid=$!
    trap 'fusermount -u "$2" 2>/dev/null || true' TERM
    wait "$pid" || wait "$pid" || true
    [ "${ROZEN_STATS:-0}" != 1 ] || echo "rozen-stats: gets=0 bytes=0" >&2 ;;
  *) echo "selftest-shim: unknown command '$verb'" >&2; exit 2 ;;
esac
