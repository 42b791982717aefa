#!/usr/bin/env bash
# Many small files, Rozen beside restic: scale.sh [N]
#
# A deterministic tree of N small files (default 1,000,000; scale-tree.py, built once under
# BENCH_DIR/corpus/scale-N) goes through, for every tool: init; initial backup; unchanged
# re-backup; restore of the latest snapshot into tmpfs, verified (file count and content digest
# against the source) and removed; a mount of the repository with a cold `find | wc -l` of the
# snapshot, a cold `ls -lR`, the mount's VmRSS and VmHWM right after that listing, and md5sum of
# SCALE_READ_FILES files of one directory (checked against the source). Wall time and max RSS
# of each step go to results/scale-<stamp>.tsv; a Markdown table shows them side by side.
#
# SCALE_GROWTH="N1 N2 ..." runs Rozen alone at each N instead and prints its peak RSS per step
# per N and the bytes per file it grew by between the smallest and the largest N.
set -euo pipefail
N=${1:-${SCALE_N:-1000000}}
GROWTH=${SCALE_GROWTH:-}
[ -z "$GROWTH" ] || BENCH_TOOLS=rozen
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCALE_TREE=$BENCH_LIB_DIR/scale-tree.py
SEED=${SCALE_SEED:-19}
READ_FILES=${SCALE_READ_FILES:-2000}
RESTIC_MOUNT=${SCALE_RESTIC_MOUNT:-1}
RESTIC_LSLR=${SCALE_RESTIC_LSLR:-1}
RESTORE_BASE=${SCALE_RESTORE_DIR:-/dev/shm}/rozen-scale-$$
CACHE_MIB=256          # Rozen's default mount --cache-size, in the mount's memory target
TARGET_RSS_MIB=400     # backup and restore at 1,000,000 files
TARGET_MOUNT_MIB=$((CACHE_MIB + 250))
TARGET_GROWTH_B=100    # bytes per file between the smallest and the largest N

scale_exit() {
  mounts_cleanup
  rm -rf "$RESTORE_BASE"
  if grep -q " ${RUN_DIR:-/nonexistent}/mnt-" /proc/mounts; then log "warning: a mount is still listed in /proc/mounts"; fi
}
trap scale_exit EXIT
trap 'exit 130' INT TERM

# --- the tree -------------------------------------------------------------------------

scale_make() { python3 "$SCALE_TREE" build "$2" "$1" "$SEED"; }

# scale_corpus N: the cached tree of N files, and its digest (in CORPUS, SRC_DIGEST).
scale_corpus() {
  CORPUS=$(cached_build "$BENCH_DIR/corpus/scale-$1" "a tree of $1 files" scale_make "$1")
  if [ ! -s "$CORPUS.digest" ]; then
    log "digesting $CORPUS (once)"
    python3 "$SCALE_TREE" digest "$CORPUS" >"$CORPUS.digest.tmp" && mv "$CORPUS.digest.tmp" "$CORPUS.digest"
  fi
  SRC_DIGEST=$(cat "$CORPUS.digest")
  python3 "$SCALE_TREE" pick "$CORPUS" "$READ_FILES" >"$CORPUS.read"
}

field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

# verify_digest TOOL WHAT COPY: the restored tree's file count and content digest must match
# the source's (a mismatch fails the run); modes and mtimes are reported.
verify_digest() {
  local tool=$1 what=$2 copy=$3 got content=OK meta=OK
  got=$(python3 "$SCALE_TREE" digest "$copy") || got=""
  [ "$(field "$got" files)" = "$(field "$SRC_DIGEST" files)" ] \
    && [ "$(field "$got" content)" = "$(field "$SRC_DIGEST" content)" ] || content=FAIL
  [ "$(field "$got" meta)" = "$(field "$SRC_DIGEST" meta)" ] || meta=FAIL
  log "$tool $what verify: files $(field "$got" files)/$(field "$SRC_DIGEST" files), content $content, metadata $meta"
  record "$tool" "$what.verify" "files=$(field "$got" files),content=$content,metadata=$meta" -
  [ $content = OK ] || BENCH_FAILED=1
}

# --- steps ----------------------------------------------------------------------------

# restore_step TOOL: restore latest into tmpfs, verify, remove. On a VM with free page reporting
# the memory touched first also covers the tmpfs pages the restore fills (~5 KiB a file).
restore_step() {
  local t=$1 target=$RESTORE_BASE/restore-$1 warm=${BENCH_WARM_MIB:-}
  if [ -z "$warm" ] && [ "$(cat /sys/module/page_reporting/parameters/reported_kib 2>/dev/null || echo 0)" != 0 ]; then
    warm=$((3072 + N * 5 / 1024))
  fi
  rm -rf "$target"; mkdir -p "$target"
  BENCH_WARM_MIB=$warm tool_measure "$t" "restore@$N" restore "$(repo_of "$t")" "$target" || { rm -rf "$target"; return 0; }
  verify_digest "$t" "restore@$N" "$(restored_root "$target" "$CORPUS")"
  rm -rf "$target"
}

# sample_mount_rss TOOL MNT: VmRSS and VmHWM of the mount process, now.
sample_mount_rss() {
  local pid; pid=$(mount_child "${MOUNT_PID[$2]}")
  [ -n "$pid" ] && [ -r "/proc/$pid/status" ] || { log "$1: mount process not found for the RSS sample"; return 0; }
  record "$1" "mount_vmrss@$N" "$(awk '/^VmRSS:/{print $2}' "/proc/$pid/status")" KB
  record "$1" "mount_vmhwm@$N" "$(awk '/^VmHWM:/{print $2}' "/proc/$pid/status")" KB
  log "$1 mount ($(cat "/proc/$pid/comm")) after the listing: $(awk '/^VmRSS:|^VmHWM:/{printf "%s %d MiB  ", $1, $2 / 1024}' "/proc/$pid/status")"
}

# mount_step TOOL: mount; cold find | wc -l; cold ls -lR; RSS sample; read READ_FILES files.
mount_step() {
  local t=$1 mnt=$RUN_DIR/mnt-$1 root count want
  if [ "$t" = restic ] && [ "$RESTIC_MOUNT" = 0 ]; then log "restic mount skipped (SCALE_RESTIC_MOUNT=0)"; return 0; fi
  drop_caches; warm_memory
  mount_start "$t" "$mnt" "@$N" || { tool_kill "$t" "mount@$N"; return 0; }
  record "$t" "first_listing@$N" "$MOUNT_READY" s
  root=$(restored_root "$(readlink -f "$mnt/snapshots/latest")" "$CORPUS")
  drop_caches
  if MEASURE_OUT=$RUN_DIR/logs/$t-find.out measure "$t" "find@$N" -- sh -c 'find "$1" | wc -l' sh "$root"; then
    count=$(cat "$RUN_DIR/logs/$t-find.out"); want=$(field "$SRC_DIGEST" entries)
    [ "$count" = "$want" ] || { log "$t find listed $count entries, the source has $want"; BENCH_FAILED=1; }
    record "$t" "find_entries@$N" "$count" count
  else tool_kill "$t" "find@$N"; fi
  if [ "$t" = restic ] && [ "$RESTIC_LSLR" = 0 ]; then
    log "restic ls -lR skipped (SCALE_RESTIC_LSLR=0); its RSS is sampled after find"
    echo "# run ${RUN_NO:-1}: restic ls -lR skipped; its mount RSS sampled after find" >>"$RESULTS"
  elif tool_alive "$t"; then
    drop_caches
    MEASURE_OUT=/dev/null measure "$t" "ls_lR@$N" -- ls -lR "$root/" || tool_kill "$t" "ls_lR@$N"
  fi
  tool_alive "$t" && sample_mount_rss "$t" "$mnt"
  if tool_alive "$t"; then
    drop_caches
    if MEASURE_OUT=$RUN_DIR/logs/$t-read.md5 measure "$t" "read@$N" -- \
        sh -c 'cd "$1" && xargs -0 md5sum <"$2"' sh "$root" "$CORPUS.read"; then
      if cmp -s "$RUN_DIR/logs/$t-read.md5" "$RUN_DIR/logs/source-read.md5"; then log "$t read verify: OK"
      else log "$t read verify: FAIL (md5sums differ from the source's)"; BENCH_FAILED=1; fi
    else tool_kill "$t" "read@$N"; fi
  fi
  mount_stop "$t" "$mnt" "@$N"   # records the session's max RSS as mount@N.rss
}

# scale_run: every step, every tool, on the tree of N files.
scale_run() {
  local t
  scale_corpus "$N"
  discard "$RUN_DIR"
  mkdir -p "$RUN_DIR/logs" "$RUN_DIR/cache" "$RESTORE_BASE"
  (cd "$CORPUS" && xargs -0 md5sum <"$CORPUS.read") >"$RUN_DIR/logs/source-read.md5"
  TOOL_DEAD=(); tool_order
  log "scale run $RUN_NO/$BENCH_REPEAT: N=$N files ($(field "$SRC_DIGEST" bytes) bytes), tools: ${ORDER[*]}"
  for t in "${ORDER[@]}"; do tool_measure "$t" "init@$N" init "$(repo_of "$t")" || true; done
  for t in "${ORDER[@]}"; do tool_measure "$t" "initial_backup@$N" backup "$(repo_of "$t")" "$CORPUS" || true; done
  for t in "${ORDER[@]}"; do tool_measure "$t" "unchanged_backup@$N" backup "$(repo_of "$t")" "$CORPUS" || true; done
  for t in "${ORDER[@]}"; do tool_alive "$t" && restore_step "$t"; done
  for t in "${ORDER[@]}"; do tool_alive "$t" && mount_step "$t"; done
  for t in "${ORDER[@]}"; do [ ! -d "$(repo_of "$t")" ] || record "$t" "repo_size@$N" "$(repo_bytes "$(repo_of "$t")")" B; done
}

# --- reports --------------------------------------------------------------------------

mib() { awk -v v="$1" 'BEGIN{printf "%.0f MiB", v / 1024}'; }
# cell TOOL STEP [RSS_METRIC]: "12.34 s, 345 MiB", the time alone, or n/a.
cell() {
  local s r; s=$(median "$1" "$2"); r=${3:+$(median "$1" "$3")}
  if [ -z "$s" ]; then printf 'n/a'; elif [ -n "$r" ]; then printf '%s, %s' "$(fmt "$s" s)" "$(mib "$r")"; else fmt "$s" s; fi
}
ratio() {
  local a b; a=$(median rozen "$1"); b=$(median restic "$1")
  if [ -n "$a" ] && [ -n "$b" ] && awk -v b="$b" 'BEGIN{exit !(b > 0)}'; then awk -v a="$a" -v b="$b" 'BEGIN{printf "%.2f", a / b}'
  else printf 'n/a'; fi
}
# row LABEL STEP [RSS_METRIC]: one line of the side-by-side table.
row() {
  local r; r="$(ratio "$2")× time"
  [ -z "${3:-}" ] || r+=", $(ratio "$3")× memory"
  printf '| %s | %s | %s | %s |\n' "$1" "$(cell restic "$2" "${3:-}")" "$(cell rozen "$2" "${3:-}")" "$r"
}
rss_row() {
  local label=$1 m=$2 t c=()
  for t in restic rozen; do local v; v=$(median "$t" "$m"); c+=("${v:+$(mib "$v")}"); done
  printf '| %s | %s | %s | %s× memory |\n' "$label" "${c[0]:-n/a}" "${c[1]:-n/a}" "$(ratio "$m")"
}

side_by_side_report() {
  local lslr="mount: cold \`ls -lR\`"
  [ "$RESTIC_LSLR" = 1 ] || lslr+=" (restic skipped)"
  printf '\n### %s files, %s (median of %s)\n\n' "$N" "$(date +%Y-%m-%d)" "$BENCH_REPEAT"
  printf '| step | restic | Rozen | Rozen / restic |\n|---|---|---|---|\n'
  row "initial backup" "initial_backup@$N" "initial_backup@$N.rss"
  row "unchanged re-backup" "unchanged_backup@$N" "unchanged_backup@$N.rss"
  row "restore (to tmpfs)" "restore@$N" "restore@$N.rss"
  row "mount: start to first listing" "first_listing@$N"
  row "mount: cold \`find \\| wc -l\` ($(median rozen "find_entries@$N" || true) entries)" "find@$N"
  row "$lslr" "ls_lR@$N"
  row "mount: md5sum of $READ_FILES files" "read@$N"
  rss_row "mount VmRSS after the listing" "mount_vmrss@$N"
  rss_row "mount VmHWM after the listing" "mount_vmhwm@$N"
  rss_row "mount peak RSS (whole session)" "mount@$N.rss"
  ratio_table \
    "initial backup time|initial_backup@$N|0.7" \
    "unchanged re-backup time|unchanged_backup@$N|0.3" \
    "restore time|restore@$N|0.7" \
    "mount cold find time|find@$N|1" \
    "mount cold ls -lR time|ls_lR@$N|0.05"
  memory_targets
}

# memory_targets: Rozen's absolute memory targets (stated at N = 1,000,000).
memory_targets() {
  local spec m lim v mark
  printf '\n%-40s %10s %8s %8s   (targets stated at N = 1,000,000; N = %s here)\n' "Rozen memory" "MiB" target result "$N"
  for spec in "initial backup peak RSS|initial_backup@$N.rss|$TARGET_RSS_MIB" \
      "unchanged re-backup peak RSS|unchanged_backup@$N.rss|$TARGET_RSS_MIB" \
      "restore peak RSS|restore@$N.rss|$TARGET_RSS_MIB" \
      "mount VmHWM after the listing|mount_vmhwm@$N|$TARGET_MOUNT_MIB" \
      "mount peak RSS (whole session)|mount@$N.rss|$TARGET_MOUNT_MIB"; do
    IFS='|' read -r label m lim <<<"$spec"
    v=$(median rozen "$m")
    if [ -z "$v" ]; then mark=n/a; v=n/a
    else
      v=$(awk -v v="$v" 'BEGIN{printf "%.0f", v / 1024}')
      if [ "$v" -le "$lim" ]; then mark=PASS; else mark=FAIL; RATIO_FAILS=$((RATIO_FAILS + 1)); fi
    fi
    printf '%-40s %10s %8s %8s\n' "$label" "$v" "≤ $lim" "$mark"
  done
}

growth_report() {
  local ns=("$@") lo=$1 hi=${*: -1} spec t m label n v a b per mark
  printf '\n### Rozen memory growth, %s (peak RSS, wall time; median of %s)\n\n| step |' "$(date +%Y-%m-%d)" "$BENCH_REPEAT"
  for n in "${ns[@]}"; do printf ' N = %s |' "$n"; done
  printf ' bytes per file, %s → %s | target |\n|---|' "$lo" "$hi"
  for n in "${ns[@]}"; do printf -- '---|'; done; printf -- '---|---|\n'
  for spec in "initial backup|initial_backup@N|initial_backup@N.rss" \
      "unchanged re-backup|unchanged_backup@N|unchanged_backup@N.rss" \
      "restore|restore@N|restore@N.rss" \
      "mount VmRSS after the listing||mount_vmrss@N" \
      "mount VmHWM after the listing||mount_vmhwm@N" \
      "mount peak RSS (whole session)||mount@N.rss"; do
    IFS='|' read -r label t m <<<"$spec"
    printf '| %s |' "$label"
    for n in "${ns[@]}"; do
      v=$(median rozen "${m/@N/@$n}")
      printf ' %s%s |' "${v:+$(mib "$v")}" "${t:+, $(fmt "$(median rozen "${t/@N/@$n}")" s)}"
    done
    a=$(median rozen "${m/@N/@$lo}"); b=$(median rozen "${m/@N/@$hi}")
    if [ -n "$a" ] && [ -n "$b" ] && [ "$hi" != "$lo" ]; then
      per=$(awk -v a="$a" -v b="$b" -v l="$lo" -v h="$hi" 'BEGIN{printf "%.0f", (b - a) * 1024 / (h - l)}')
      if [ "$per" -le "$TARGET_GROWTH_B" ]; then mark=PASS; else mark=FAIL; RATIO_FAILS=$((RATIO_FAILS + 1)); fi
      record rozen "${m/@N/}.bytes_per_file" "$per" B
    else per=n/a mark=n/a; fi
    printf ' %s | ≤ %s %s |\n' "$per" "$TARGET_GROWTH_B" "$mark"
  done
}

# --- main -----------------------------------------------------------------------------

bench_init "$([ -z "$GROWTH" ] && echo scale || echo scale-growth)"
need_cmd fusermount fuse
[ -e /dev/fuse ] || die "/dev/fuse is missing: FUSE mounts cannot work here"
printf '# scale n=%s growth=%s seed=%s read_files=%s restic_mount=%s restic_lslr=%s restore_dir=%s\n' \
  "$N" "$GROWTH" "$SEED" "$READ_FILES" "$RESTIC_MOUNT" "$RESTIC_LSLR" "$RESTORE_BASE" >>"$RESULTS"

if [ -z "$GROWTH" ]; then
  for RUN_NO in $(seq 1 "$BENCH_REPEAT"); do scale_run; done
  summarise
  side_by_side_report
else
  [ "${TOOLS[*]}" = rozen ] || die "SCALE_GROWTH needs Rozen"
  read -ra NS <<<"$(tr ' ' '\n' <<<"$GROWTH" | grep . | sort -n | uniq | tr '\n' ' ')"
  for N in "${NS[@]}"; do
    for RUN_NO in $(seq 1 "$BENCH_REPEAT"); do scale_run; done
  done
  summarise
  growth_report "${NS[@]}"
fi
bench_finish
