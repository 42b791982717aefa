#!/usr/bin/env bash
# Browsing and copying out of a FUSE mount, Rozen beside restic: mount.sh [SIZE_MB]
#
# Per run, for every tool: init and one backup of the corpus; then mount session 1 measures
# the time from mount start to the first listing of snapshots/, `ls -lR` of the latest
# snapshot and `cat` of the largest file; mount session 2 measures `rsync -a` of the whole
# latest snapshot out of the mount (verified against the corpus) and, for Rozen, the backend
# GETs it took (from the `rozen-stats: gets=N bytes=M` line the mount prints at exit with
# ROZEN_STATS=1) against the number of packs in the repository. A plain local `rsync -a` of
# the corpus is the reference. Every mount is unmounted on exit, whatever happens.
set -euo pipefail
SIZE_MB=${1:-${SIZE_MB:-1024}}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

trap mounts_cleanup EXIT
trap 'exit 130' INT TERM

bench_init mount
need_cmd fusermount fuse
[ -e /dev/fuse ] || die "/dev/fuse is missing: FUSE mounts cannot work here"
CORPUS=$(corpus_cached "$SIZE_MB")

# Session 1: first listing, ls -lR, cat of the largest file.
browse() {
  local t=$1 latest root
  local mnt="$RUN_DIR/mnt-$t"
  drop_caches
  mount_start "$t" "$mnt" 1 || { tool_kill "$t" mount; return; }
  record "$t" first_listing "$MOUNT_READY" s
  # The latest snapshot's own directory: restic's mount does not let the kernel cache a
  # symlink's target, so a path through `latest` costs it a readlink round trip on every lookup
  # (Rozen's does). Resolving it once measures the listing itself, for both tools alike.
  latest=$(readlink -f "$mnt/snapshots/latest")
  root=$(restored_root "$latest" "$RUN_DIR/data")
  drop_caches
  MEASURE_OUT=/dev/null measure "$t" ls_lR -- ls -lR "$latest/" || tool_kill "$t" ls_lR
  drop_caches
  tool_alive "$t" && { MEASURE_OUT=/dev/null measure "$t" cat_largest -- cat "$root/$LARGEST" || tool_kill "$t" cat_largest; }
  mount_stop "$t" "$mnt" 1
}

# Session 2: rsync -a of the whole latest snapshot out of a fresh mount.
copy_out() {
  local t=$1 stats
  local mnt="$RUN_DIR/mnt-$t" out="$RUN_DIR/out-$t"
  discard "$out"; mkdir -p "$out"
  drop_caches
  mount_start "$t" "$mnt" 2 || { tool_kill "$t" mount; return; }
  drop_caches
  measure "$t" rsync_out -- rsync -a "$(readlink -f "$mnt/snapshots/latest")/" "$out/" || tool_kill "$t" rsync_out
  mount_stop "$t" "$mnt" 2
  tool_alive "$t" && verify_tree "$t" rsync_out "$RUN_DIR/data" "$(restored_root "$out" "$RUN_DIR/data")"
  discard "$out"
  record "$t" packs "$(pack_count "$t" "$(repo_of "$t")")" count
  stats=$(grep -o 'rozen-stats: gets=[0-9]* bytes=[0-9]*' "$RUN_DIR/logs/$t-mount2.log" | tail -1 || true)
  if [ -n "$stats" ]; then
    local gets=${stats#*gets=}
    record "$t" rsync_out_gets "${gets%% *}" count
    record "$t" rsync_out_get_bytes "${stats##*bytes=}" B
  elif [ "$t" = rozen ]; then
    log "rozen mount printed no 'rozen-stats:' line (ROZEN_STATS=1 was set); GETs not counted"
  fi
}

one_run() {
  reset_run "$CORPUS"
  LARGEST=$(largest_file "$RUN_DIR/data")
  local t
  for t in "${ORDER[@]}"; do
    tool_measure "$t" init init "$(repo_of "$t")" || true
    tool_measure "$t" backup backup "$(repo_of "$t")" "$RUN_DIR/data" || true
  done
  for t in "${ORDER[@]}"; do tool_alive "$t" && browse "$t"; done
  for t in "${ORDER[@]}"; do tool_alive "$t" && copy_out "$t"; done
  discard "$RUN_DIR/out-local"
  drop_caches
  measure local rsync_out -- rsync -a "$RUN_DIR/data/" "$RUN_DIR/out-local/" || BENCH_FAILED=1
  discard "$RUN_DIR/out-local"
}

for RUN_NO in $(seq 1 "$BENCH_REPEAT"); do
  log "mount run $RUN_NO/$BENCH_REPEAT, ${SIZE_MB} MiB corpus, tools: ${TOOLS[*]}"
  one_run
done

summarise
figures_table \
  backup:s:"backup (setup)" \
  first_listing:s:"mount start to first listing" \
  ls_lR:s:"ls -lR of latest snapshot" \
  cat_largest:s:"cat of the largest file" \
  rsync_out:s:"rsync -a out of the mount" \
  rsync_out.rss:KB:"rsync RSS" \
  mount1.rss:KB:"mount RSS (browse session)" \
  mount2.rss:KB:"mount RSS (rsync session)" \
  rsync_out_gets:count:"backend GETs during rsync-out" \
  rsync_out_get_bytes:B:"bytes fetched during rsync-out" \
  packs:count:"pack files in repository"
ratio_table \
  "mount start to first listing|first_listing|" \
  "ls -lR of latest snapshot|ls_lR|0.5" \
  "cat of the largest file|cat_largest|0.5" \
  "rsync -a out of the mount|rsync_out|0.5" \
  "rsync-out vs local rsync (Rozen)|rsync_out|2|rozen|local" \
  "rsync-out vs local rsync (restic)|rsync_out||restic|local" \
  "Rozen GETs per pack during rsync-out|rsync_out_gets||rozen|rozen|packs"
bench_finish
