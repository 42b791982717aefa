#!/usr/bin/env bash
# Copying 30 snapshots into a fresh repository, Rozen beside restic: copy.sh [SIZE_MB]
#
# The source repositories come from lib-snapshots30.sh (30 snapshots per tool, built once and reused). Per run and
# tool: init a new local repository with another password, then `rozen copy SRC DST` / `restic -r DST copy
# --from-repo SRC` of all 30 snapshots (timed), the same again (nothing new; timed), the number of snapshots in the
# destination (must be 30) and a restore of its latest snapshot, checked against the corpus like every restore.
# Both read only what changed since the snapshot copied before; Rozen re-hashes and re-seals it (its blob ids are
# keyed per repository), restic re-seals it under the same ids.
set -euo pipefail
SIZE_MB=${1:-${SIZE_MB:-1024}}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib-snapshots30.sh"

DST_PASSWORD=rozen-bench-destination-password

bench_init copy
SRC_DIR=$(snapshots30_cached "$SIZE_MB")

# copy_argv TOOL SRC DST: the copy command line, into TOOL_ARGV. The destination password is set by the caller.
copy_argv() {
  local tool=$1 src=$2 dst=$3 cache="$RUN_DIR/cache/$1" rz
  read -ra rz <<<"$ROZEN"
  case $tool in
    rozen) TOOL_ARGV=(env XDG_CACHE_HOME="$cache" ROZEN_CACHE_DIR="$cache" ROZEN_FROM_PASSWORD="$ROZEN_PASSWORD" "${rz[@]}" copy "$src" "$dst" --quiet) ;;
    restic) TOOL_ARGV=(env RESTIC_FROM_PASSWORD="$RESTIC_PASSWORD" restic -r "$dst" --cache-dir "$cache" copy --from-repo "$src") ;;
  esac
}

# with_dst_password CMD...: run CMD with the destination's password in both tools' variables.
with_dst_password() { ROZEN_PASSWORD=$DST_PASSWORD RESTIC_PASSWORD=$DST_PASSWORD "$@"; }

copy_one() {
  local t=$1 dst target count
  dst=$RUN_DIR/dst-$t
  tool_argv "$t" init "$dst"
  with_dst_password "${TOOL_ARGV[@]}" >"$RUN_DIR/logs/$t-init.log" 2>&1 || { tool_kill "$t" init; return 0; }
  copy_argv "$t" "$SRC_DIR/repo-$t" "$dst"
  drop_caches
  with_dst_password measure "$t" copy -- "${TOOL_ARGV[@]}" || { tool_kill "$t" copy; return 0; }
  record "$t" dst_size "$(repo_bytes "$dst")" B
  drop_caches
  with_dst_password measure "$t" copy_again -- "${TOOL_ARGV[@]}" || { tool_kill "$t" copy_again; return 0; }
  tool_argv "$t" snapshots "$dst"
  count=$(with_dst_password "${TOOL_ARGV[@]}" 2>/dev/null | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
  record "$t" dst_snapshots "$count" count
  [ "$count" = "$BENCH_SNAPSHOTS" ] || { log "$t: $count snapshots in the destination, not $BENCH_SNAPSHOTS"; BENCH_FAILED=1; }
  target=$RUN_DIR/restored-$t
  tool_argv "$t" restore "$dst" "$target"
  with_dst_password "${TOOL_ARGV[@]}" >"$RUN_DIR/logs/$t-restore.log" 2>&1 || { tool_kill "$t" restore; return 0; }
  verify_tree "$t" restore "$SRC_DIR/data" "$(restored_root "$target" "$SRC_DIR/data")"
  discard "$target"
}

for RUN_NO in $(seq 1 "$BENCH_REPEAT"); do
  log "copy run $RUN_NO/$BENCH_REPEAT, ${SIZE_MB} MiB corpus, $BENCH_SNAPSHOTS snapshots, tools: ${TOOLS[*]}"
  tool_order
  discard "$RUN_DIR"
  mkdir -p "$RUN_DIR/logs" "$RUN_DIR/cache"
  TOOL_DEAD=()
  for t in "${ORDER[@]}"; do copy_one "$t"; done
done

summarise
figures_table \
  copy:s:"copy of $BENCH_SNAPSHOTS snapshots" \
  copy.cpu:s:"copy CPU" \
  copy.rss:KB:"copy RSS" \
  copy_again:s:"copy again (nothing new)" \
  dst_size:B:"destination size" \
  dst_snapshots:count:"snapshots in the destination"
ratio_table \
  "copy of $BENCH_SNAPSHOTS snapshots|copy|" \
  "copy again (nothing new)|copy_again|" \
  "copy RSS|copy.rss|" \
  "destination size|dst_size|"
bench_finish
