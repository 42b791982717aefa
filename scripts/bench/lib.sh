# Shared helpers for the side-by-side benchmarks (source it; do not run it).
#
# Layout under BENCH_DIR (default /tmp/rozen-bench):
#   corpus/<SIZE>MB/      pristine corpus from make-corpus.sh, built once and reused
#   run/<bench>/          the working area of one benchmark (data/, repo-<tool>/, logs/ ...)
#   results/<bench>-<stamp>.tsv   one row per figure: run, tool, metric, value, unit
# Only public tools are used: bash, coreutils, /usr/bin/time -v, rsync, diff, restic.

BENCH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_ROOT=$(git -C "$BENCH_LIB_DIR" rev-parse --show-toplevel 2>/dev/null || (cd "$BENCH_LIB_DIR/../.." && pwd))
BENCH_SHARED=${BENCH_SHARED:-$BENCH_ROOT/../shared/bench}
BENCH_DIR=${BENCH_DIR:-/tmp/rozen-bench}
BENCH_REPEAT=${BENCH_REPEAT:-1}
BENCH_DROP_CACHES=${BENCH_DROP_CACHES:-1}
BENCH_STRICT=${BENCH_STRICT:-0}
BENCH_TOOLS=${BENCH_TOOLS:-rozen restic}
ROZEN_DEFAULT="$BENCH_ROOT/dist/cli.cjs"
ROZEN=${ROZEN:-$ROZEN_DEFAULT}
export RESTIC_PASSWORD=${RESTIC_PASSWORD:-rozen-bench-password}
export ROZEN_PASSWORD=${ROZEN_PASSWORD:-rozen-bench-password}

BENCH_FAILED=0        # a command or a restore verification failed
BENCH_SKIPPED=""      # tools asked for but not available
declare -A TOOL_DEAD=()

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 2; }

# --- setup ----------------------------------------------------------------------------

# Install a missing public tool from Debian when we are root; otherwise stop with a hint.
need_cmd() {
  local cmd=$1 pkg=$2
  command -v "$cmd" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing $pkg (for $cmd)"
    apt-get install -y -qq "$pkg" >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq "$pkg" >/dev/null; }
  fi
  command -v "$cmd" >/dev/null 2>&1 || die "$cmd is missing: install the Debian package '$pkg'"
}

ensure_tools() {
  need_cmd /usr/bin/time time
  need_cmd rsync rsync
  need_cmd python3 python3
  case " $BENCH_TOOLS " in *" restic "*) need_cmd restic restic ;; esac
}

# Decide which tools take part; a missing Rozen build is reported, not fatal.
select_tools() {
  TOOLS=()
  local t
  for t in $BENCH_TOOLS; do
    case $t in
      restic) TOOLS+=(restic) ;;
      rozen)
        if [ "$ROZEN" = "$ROZEN_DEFAULT" ] && [ ! -f "$BENCH_ROOT/dist/cli.cjs" ]; then
          log "ROZEN HALF SKIPPED: $BENCH_ROOT/dist/cli.cjs not found. Build it (npm run build) or set ROZEN='/path/to/rozen'."
          BENCH_SKIPPED+=" rozen"
        elif ! $ROZEN --help >/dev/null 2>&1; then
          log "ROZEN HALF SKIPPED: '$ROZEN --help' failed; check the build or the ROZEN variable."
          BENCH_SKIPPED+=" rozen"
        else
          TOOLS+=(rozen)
        fi ;;
      *) die "unknown tool '$t' in BENCH_TOOLS (use rozen and/or restic)" ;;
    esac
  done
  [ ${#TOOLS[@]} -gt 0 ] || die "no tool to benchmark"
}

# bench_init NAME: prepare tools, the run directory and the results file.
bench_init() {
  BENCH_NAME=$1
  ensure_tools
  select_tools
  mkdir -p "$BENCH_DIR/results" "$BENCH_DIR/corpus"
  RUN_DIR=$BENCH_DIR/run/$BENCH_NAME
  discard "$RUN_DIR"
  settle
  RESULTS=$BENCH_DIR/results/$BENCH_NAME-$(date +%Y%m%d-%H%M%S).tsv
  {
    printf '# bench=%s date=%s host=%s cores=%s mem=%s kernel=%s\n' "$BENCH_NAME" "$(date -Is)" \
      "$(hostname)" "$(nproc)" "$(awk '/MemTotal/{printf "%.1fGiB", $2/1048576}' /proc/meminfo)" "$(uname -r)"
    printf '# cpu=%s\n' "$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
    printf '# loadavg at start=%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf '# tools=%s size_mb=%s repeat=%s\n' "${TOOLS[*]}" "${SIZE_MB:-}" "$BENCH_REPEAT"
    printf '# restic=%s\n' "$(restic version 2>/dev/null | head -1)"
    printf '# rozen=%s commit=%s node=%s\n' "$ROZEN" "$(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null)" "$(node --version 2>/dev/null)"
    printf 'run\ttool\tmetric\tvalue\tunit\n'
  } >"$RESULTS"
  log "results: $RESULTS"
  warn_if_busy
}

# Other work on the machine skews every timing: say so when the load exceeds the cores.
warn_if_busy() {
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  if awk -v l="$load" -v c="$(nproc)" 'BEGIN{exit !(l > c)}'; then
    log "warning: load average $load on $(nproc) cores; timings will be noisy"
  fi
}

# --- corpus ---------------------------------------------------------------------------

# cached_build DIR WHAT CMD...: build DIR once with `CMD... DIR.tmp`, moved into place when
# complete and marked by DIR.done, so an interrupted build is redone; print DIR.
cached_build() {
  local dir=$1 what=$2; shift 2
  if [ ! -f "$dir.done" ]; then
    rm -rf "$dir" "$dir.tmp"
    log "building $what in $dir (once)"
    "$@" "$dir.tmp" >&2 || die "building $what failed"
    mv "$dir.tmp" "$dir" && touch "$dir.done"
  fi
  printf '%s\n' "$dir"
}

# corpus_cached SIZE_MB: print the path of the pristine corpus, building it once.
corpus_cached() {
  [ -f "$BENCH_SHARED/make-corpus.sh" ] || die "make-corpus.sh not found in $BENCH_SHARED (set BENCH_SHARED)"
  cached_build "$BENCH_DIR/corpus/${1}MB" "a ${1} MiB corpus" corpus_make "$1"
}
corpus_make() { bash "$BENCH_SHARED/make-corpus.sh" "$2" "$1"; }

# corpus_copy SRC DEST: a fresh working copy (times, modes and holes kept) to mutate freely.
corpus_copy() {
  rm -rf "$2"
  mkdir -p "$(dirname "$2")"
  cp -a --sparse=always "$1" "$2"
}

mutate() { bash "$BENCH_SHARED/mutate-corpus.sh" "$1" "$2" >&2; }

largest_file() { find "$1" -type f -printf '%s\t%P\n' | sort -n | tail -1 | cut -f2; }

# --- measuring ------------------------------------------------------------------------

DROP_NOTED=0
# drop_caches: cold page cache before a measurement, when the kernel lets us.
drop_caches() {
  [ "$BENCH_DROP_CACHES" = 1 ] || return 0
  sync
  if ! { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; then
    if [ $DROP_NOTED = 0 ]; then
      log "note: cannot drop the page cache (needs root); timings are warm-cache"
      echo "# note: page cache not dropped (no permission); warm-cache timings" >>"$RESULTS"
      DROP_NOTED=1
    fi
  fi
}

# warm_memory: on a virtual machine that hands free memory back to its host (virtio free page
# reporting, seen in /sys/module/page_reporting), the first touch of a page costs a fault in the
# host: 3-6 s per GiB here, against about 0.1 s on bare metal. Freed memory is handed back within
# seconds, so whichever command runs first after little was freed pays that, in the measurement.
# Touching BENCH_WARM_MIB of memory and freeing it right before each measured command gives every
# tool memory the host has backed. Default: three times the corpus when free page reporting is
# active, otherwise 0 (off).
warm_memory() {
  local mib=${BENCH_WARM_MIB:-}
  if [ -z "$mib" ]; then
    mib=0
    if [ "$(cat /sys/module/page_reporting/parameters/reported_kib 2>/dev/null || echo 0)" != 0 ]; then
      mib=$(( 3 * ${SIZE_MB:-1024} ))
    fi
  fi
  [ "$mib" -gt 0 ] || return 0
  python3 - "$mib" <<'PY'
import mmap, sys
size = int(sys.argv[1]) << 20
# MAP_POPULATE faults the pages in at once; writing a byte per page makes sure each has its own.
buf = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | mmap.MAP_POPULATE)
buf[::4096] = b"\1" * (size // 4096)
PY
}

# record TOOL METRIC VALUE UNIT: one row in the results file for the current run.
record() { printf '%s\t%s\t%s\t%s\t%s\n' "${RUN_NO:-1}" "$1" "$2" "$3" "$4" >>"$RESULTS"; }

# Wall clock "h:mm:ss" or "m:ss.ss" from time -v, in seconds.
wall_seconds() { awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }' <<<"$1"; }

# measure TOOL METRIC -- cmd...: run under /usr/bin/time -v; record wall seconds, CPU seconds
# and max RSS (KB; the largest process in the command's tree). Output goes to the run's log,
# or to MEASURE_OUT if set. Sets LAST_RSS (KB); returns the command's status.
measure() {
  local tool=$1 metric=$2; shift 2
  [ "$1" = -- ] && shift
  local tf; tf=$(mktemp)
  local out=${MEASURE_OUT:-$RUN_DIR/logs/$tool-$metric.log}
  mkdir -p "$RUN_DIR/logs"
  local rc=0
  warm_memory
  /usr/bin/time -v -o "$tf" "$@" >"$out" 2>>"$RUN_DIR/logs/$tool-$metric.err" || rc=$?
  local wall rss user sys
  wall=$(wall_seconds "$(sed -n 's/.*Elapsed (wall clock).*m:ss): //p' "$tf")")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tf")
  user=$(sed -n 's/.*User time (seconds): //p' "$tf")
  sys=$(sed -n 's/.*System time (seconds): //p' "$tf")
  rm -f "$tf"
  # shellcheck disable=SC2034  # read by the benchmark scripts
  LAST_RSS=${rss:-0}
  if [ $rc -ne 0 ]; then
    log "FAILED ($rc): $tool $metric: $*"
    tail -n 5 "$RUN_DIR/logs/$tool-$metric.err" >&2 || true
    return $rc
  fi
  record "$tool" "$metric" "$wall" s
  record "$tool" "$metric.cpu" "$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u + s}')" s
  record "$tool" "$metric.rss" "${rss:-0}" KB
  log "$tool $metric: ${wall}s, max RSS $(( ${rss:-0} / 1024 )) MiB"
}

# tool_measure TOOL METRIC VERB REPO [ARGS...]: measure one CLI verb unless the tool is dead;
# a failure marks the tool dead for the rest of this run so the other tool still finishes.
tool_measure() {
  local tool=$1 metric=$2 verb=$3; shift 3
  tool_alive "$tool" || return 1
  tool_argv "$tool" "$verb" "$@"
  drop_caches
  measure "$tool" "$metric" -- "${TOOL_ARGV[@]}" || { tool_kill "$tool" "$metric"; return 1; }
}

tool_alive() { [ -z "${TOOL_DEAD[$1]:-}" ]; }
tool_kill() {
  TOOL_DEAD[$1]=$2
  BENCH_FAILED=1
  log "$1: '$2' failed; skipping the rest of $1's steps in run ${RUN_NO:-1}"
  echo "# run ${RUN_NO:-1}: $1 failed at $2" >>"$RESULTS"
}

# --- FUSE mounts ----------------------------------------------------------------------

MOUNT_TIMEOUT=${BENCH_MOUNT_TIMEOUT:-120}
declare -A MOUNT_PID=()   # mount point -> pid of the /usr/bin/time wrapping the mount
declare -A MOUNT_TOOL=()  # mount point -> tool

# The mount process itself: the child of /usr/bin/time.
mount_child() { awk '{print $1}' "/proc/$1/task/$1/children" 2>/dev/null || true; }
is_mounted() { awk -v m="$1" '$2 == m { found = 1 } END { exit !found }' /proc/mounts; }

# mount_start TOOL MNT SESSION: start the tool's mount in the background under /usr/bin/time -v,
# and set MOUNT_READY to the seconds until `ls MNT/snapshots` shows an entry.
mount_start() {
  local tool=$1 mnt=$2 session=$3 start now
  mkdir -p "$mnt" "$RUN_DIR/logs"
  tool_argv "$tool" mount "$(repo_of "$tool")" "$mnt"
  start=$(date +%s.%N)
  /usr/bin/time -v -o "$RUN_DIR/logs/$tool-mount$session.time" "${TOOL_ARGV[@]}" \
    >"$RUN_DIR/logs/$tool-mount$session.log" 2>&1 &
  MOUNT_PID[$mnt]=$!
  MOUNT_TOOL[$mnt]=$tool
  while :; do
    if [ -n "$(ls -A "$mnt/snapshots" 2>/dev/null)" ]; then break; fi
    if ! kill -0 "${MOUNT_PID[$mnt]}" 2>/dev/null; then
      log "$tool mount exited early:"; tail -n 5 "$RUN_DIR/logs/$tool-mount$session.log" >&2
      unset "MOUNT_PID[$mnt]"; return 1
    fi
    now=$(date +%s.%N)
    if awk -v a="$start" -v b="$now" -v t="$MOUNT_TIMEOUT" 'BEGIN{exit !(b - a > t)}'; then
      log "$tool mount: no snapshot listed after ${MOUNT_TIMEOUT}s"; mount_stop "$tool" "$mnt" "$session"; return 1
    fi
    sleep 0.02
  done
  now=$(date +%s.%N)
  MOUNT_READY=$(awk -v a="$start" -v b="$now" 'BEGIN{printf "%.2f", b - a}')
  log "$tool mount session $session: first listing after ${MOUNT_READY}s"
}

# mount_stop TOOL MNT [SESSION]: Rozen is stopped with SIGTERM (it unmounts and prints its
# stats), restic by unmounting; then fusermount -u / umount -l and SIGKILL as fallbacks. With a
# SESSION, the mount's max RSS is recorded as mount<SESSION>.rss.
mount_stop() {
  local tool=$1 mnt=$2 session=${3:-} pid=${MOUNT_PID[$2]:-} child i
  [ -n "$pid" ] || return 0
  child=$(mount_child "$pid")
  if [ "$tool" = rozen ] && [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true
  else fusermount -u "$mnt" 2>/dev/null || umount "$mnt" 2>/dev/null || true; fi
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    log "$tool mount did not exit by itself; forcing the unmount"
    echo "# run ${RUN_NO:-1}: $tool mount did not exit by itself (forced)" >>"$RESULTS"
    fusermount -u "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
    sleep 1
    child=$(mount_child "$pid"); [ -z "$child" ] || kill -KILL "$child" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  is_mounted "$mnt" && { fusermount -u "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true; }
  unset "MOUNT_PID[$mnt]" "MOUNT_TOOL[$mnt]"
  local tf="$RUN_DIR/logs/$tool-mount$session.time"
  [ -n "$session" ] && [ -f "$tf" ] && record "$tool" "mount$session.rss" "$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tf")" KB
  return 0
}

# mounts_cleanup: stop every mount still running (for an EXIT trap).
mounts_cleanup() {
  local mnt
  for mnt in "${!MOUNT_PID[@]}"; do mount_stop "${MOUNT_TOOL[$mnt]:-restic}" "$mnt"; done
}

# --- the tools' command lines ---------------------------------------------------------

# tool_argv TOOL VERB REPO [ARGS...]: set TOOL_ARGV to the command line for one operation.
# Verbs: init, backup PATH, restore DIR, snapshots, forget, check, mount MNT.
tool_argv() {
  local tool=$1 verb=$2 repo=$3; shift 3
  local cache="$RUN_DIR/cache/$tool"
  local rz; read -ra rz <<<"$ROZEN"
  case $tool:$verb in
    restic:init)      TOOL_ARGV=(restic -r "$repo" --cache-dir "$cache" init) ;;
    restic:backup)    TOOL_ARGV=(restic -r "$repo" --cache-dir "$cache" backup --quiet "$1") ;;
    restic:restore)   TOOL_ARGV=(restic -r "$repo" --cache-dir "$cache" restore latest --target "$1") ;;
    restic:snapshots) TOOL_ARGV=(restic -r "$repo" --cache-dir "$cache" snapshots --json) ;;
    restic:forget)    TOOL_ARGV=(restic -r "$repo" --cache-dir "$cache" forget --keep-last 3 --prune) ;;
    restic:check)     TOOL_ARGV=(restic -r "$repo" --cache-dir "$cache" check --read-data) ;;
    restic:mount)     TOOL_ARGV=(restic -r "$repo" --cache-dir "$cache" mount "$1") ;;
    # Rozen: ROZEN_CACHE_DIR, and XDG_CACHE_HOME which its default (env-paths) follows.
    rozen:init)       TOOL_ARGV=(env XDG_CACHE_HOME="$cache" ROZEN_CACHE_DIR="$cache" "${rz[@]}" init "$repo") ;;
    rozen:backup)     TOOL_ARGV=(env XDG_CACHE_HOME="$cache" ROZEN_CACHE_DIR="$cache" "${rz[@]}" backup "$repo" "$1" --quiet) ;;
    rozen:restore)    TOOL_ARGV=(env XDG_CACHE_HOME="$cache" ROZEN_CACHE_DIR="$cache" "${rz[@]}" restore "$repo" latest --target "$1") ;;
    rozen:snapshots)  TOOL_ARGV=(env XDG_CACHE_HOME="$cache" ROZEN_CACHE_DIR="$cache" "${rz[@]}" snapshots "$repo" --json) ;;
    rozen:forget)     TOOL_ARGV=(env XDG_CACHE_HOME="$cache" ROZEN_CACHE_DIR="$cache" "${rz[@]}" forget "$repo" --keep-last 3 --prune) ;;
    rozen:check)      TOOL_ARGV=(env XDG_CACHE_HOME="$cache" ROZEN_CACHE_DIR="$cache" "${rz[@]}" check "$repo" --read-data) ;;
    rozen:mount)      TOOL_ARGV=(env XDG_CACHE_HOME="$cache" ROZEN_CACHE_DIR="$cache" ROZEN_STATS=1 "${rz[@]}" mount "$repo" "$1") ;;
    *) die "tool_argv: unknown $tool $verb" ;;
  esac
}

repo_of() { printf '%s/repo-%s\n' "$RUN_DIR" "$1"; }
repo_bytes() { du -sb "$1" | cut -f1; }

# Number of pack files: Rozen keeps them under packs/, restic under data/.
pack_count() {
  case $1 in
    rozen) find "$2/packs" -type f 2>/dev/null | wc -l ;;
    restic) find "$2/data" -type f 2>/dev/null | wc -l ;;
  esac
}

# discard DIR: set a tree the benchmark wrote aside, to be deleted when the script ends (empty_trash).
# Deleting tens of thousands of files right before the next tool creates as many makes that tool
# pay for it: for a minute or more ext4 will not reuse the inodes just freed, and its allocator
# scans past them (ialloc's recently_deleted; perf showed 1 s of kernel CPU in a restore that ran
# right after another's tree was removed). Whoever ran first after a deletion paid, so the order
# of the tools, not the tools, moved the figures.
discard() {
  [ -e "$1" ] || return 0
  mkdir -p "$BENCH_DIR/trash"
  mv "$1" "$BENCH_DIR/trash/$(date +%s%N)"
}

# empty_trash: delete what discard set aside (at the end of a script, and leftovers at the start).
empty_trash() {
  [ -d "$BENCH_DIR/trash" ] || return 0
  rm -rf "$BENCH_DIR/trash"
  sync
  date +%s >"$BENCH_DIR/trash.deleted"
}

# settle: before measuring, wait until BENCH_SETTLE seconds (60 by default: ext4's window for
# clean inode blocks) have passed since written trees were last deleted.
settle() {
  empty_trash
  local at left
  at=$(cat "$BENCH_DIR/trash.deleted" 2>/dev/null || echo 0)
  left=$(( at + ${BENCH_SETTLE:-60} - $(date +%s) ))
  if [ "$left" -gt 0 ]; then
    log "waiting ${left} s for the filesystem to settle after deleting the last run's trees"
    sleep "$left"
  fi
}

# reset_run: a clean working area with a fresh copy of the corpus at the same absolute path
# for every tool (both store absolute paths, so the trees they record are identical). ORDER is
# the tools' order for this run: reversed on even runs so neither always goes first.
reset_run() {
  tool_order
  discard "$RUN_DIR"
  mkdir -p "$RUN_DIR/logs" "$RUN_DIR/cache"
  corpus_copy "$1" "$RUN_DIR/data"
  TOOL_DEAD=()
}

# tool_order: set ORDER, the tools' order for this run, reversed on even runs.
tool_order() {
  local i
  ORDER=("${TOOLS[@]}")
  if [ $(( ${RUN_NO:-1} % 2 )) = 0 ]; then
    ORDER=(); for (( i = ${#TOOLS[@]} - 1; i >= 0; i-- )); do ORDER+=("${TOOLS[$i]}"); done
  fi
}

# --- verification ---------------------------------------------------------------------

# restored_root TARGET SRC: where SRC landed inside TARGET (both tools restore the absolute
# path, TARGET/abs/path; the other layouts are accepted so a deviation still verifies).
restored_root() {
  local target=$1 src=$2
  if [ -d "$target$src" ]; then printf '%s\n' "$target$src"
  elif [ -d "$target/$(basename "$src")" ]; then printf '%s\n' "$target/$(basename "$src")"
  else printf '%s\n' "$target"; fi
}

# verify_tree TOOL WHAT SRC COPY: content (diff -r) and metadata (rsync dry run) checks.
verify_tree() {
  local tool=$1 what=$2 src=$3 copy=$4 content=OK meta=OK
  local report="$RUN_DIR/logs/$tool-$what-verify.log"
  diff -r -q "$src" "$copy" >"$report" 2>&1 || content=FAIL
  # -a minus -D (devices) and -o/-g kept: mode, times, owners, symlinks must all match.
  local changes
  changes=$(rsync -a -n -i --delete "$src/" "$copy/" 2>>"$report" | grep -v '^\.d\.\.t\.\.\.\.\.\. \./$' || true)
  [ -z "$changes" ] || { meta=FAIL; printf '%s\n' "$changes" >>"$report"; }
  log "$tool $what verify: content $content, metadata $meta"
  record "$tool" "$what.verify" "content=$content,metadata=$meta" -
  if [ $content = FAIL ]; then
    BENCH_FAILED=1
    head -n 5 "$report" >&2
  fi
  [ $meta = OK ] || head -n 5 "$report" | sed 's/^/  meta: /' >&2
}

# --- summaries ------------------------------------------------------------------------

# summarise: medians over runs of every numeric (tool, metric) into $RESULTS.summary.
summarise() {
  awk -F'\t' 'NR > 1 && $1 !~ /^#/ && $4 ~ /^-?[0-9.]+$/ { print $2 "\t" $3 "\t" $4 "\t" $5 }' "$RESULTS" \
    | sort -t$'\t' -k1,1 -k2,2 -k3,3g \
    | awk -F'\t' '
        function flush() { if (n) printf "%s\t%s\t%s\t%s\t%d\n", k1, k2, (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2), u, n }
        { key = $1 "\t" $2; if (key != prev) { flush(); n = 0; prev = key; k1 = $1; k2 = $2; u = $4 } v[++n] = $3 }
        END { flush() }' >"$RESULTS.summary"
}

# median TOOL METRIC: the summarised value, empty if none.
median() { awk -F'\t' -v t="$1" -v m="$2" '$1 == t && $2 == m { print $3 }' "$RESULTS.summary"; }

# Display a value in the unit people read: seconds, MiB (from KB or bytes), counts.
fmt() {
  local v=$1 unit=$2
  [ -n "$v" ] || { printf 'n/a'; return; }
  case $unit in
    s) awk -v v="$v" 'BEGIN{printf "%.2f s", v}' ;;
    KB) awk -v v="$v" 'BEGIN{printf "%.0f MiB", v / 1024}' ;;
    B) awk -v v="$v" 'BEGIN{printf "%.1f MiB", v / 1048576}' ;;
    *) printf '%s' "$v" ;;
  esac
}

# figures_table METRIC:UNIT:LABEL...: the medians of every tool side by side.
figures_table() {
  local cols=("${TOOLS[@]}") spec t
  grep -q $'^local\t' "$RESULTS.summary" && cols+=(local)
  printf '\n%-34s' "figure (median of $BENCH_REPEAT)"; for t in "${cols[@]}"; do printf '%16s' "$t"; done; printf '\n'
  for spec in "$@"; do
    IFS=: read -r m u label <<<"$spec"
    printf '%-34s' "$label"
    for t in "${cols[@]}"; do printf '%16s' "$(fmt "$(median "$t" "$m")" "$u")"; done
    printf '\n'
  done
}

RATIO_FAILS=0
# ratio_table "LABEL|METRIC|TARGET[|NUM_TOOL|DEN_TOOL|DEN_METRIC]"...: one ratio per row,
# rozen/restic on the same metric by default; an empty TARGET shows the ratio without a mark.
ratio_table() {
  local row label metric target num den dmetric a b ratio mark
  printf '\n%-40s %10s %8s %8s\n' "ratio (Rozen / reference)" ratio target result
  for row in "$@"; do
    IFS='|' read -r label metric target num den dmetric <<<"$row"
    a=$(median "${num:-rozen}" "$metric"); b=$(median "${den:-restic}" "${dmetric:-$metric}")
    if [ -z "$a" ] || [ -z "$b" ] || [ "$(awk -v b="$b" 'BEGIN{print (b <= 0)}')" = 1 ]; then
      ratio=n/a mark=n/a
    else
      ratio=$(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.2f", a / b}')
      if [ -z "$target" ]; then mark=-
      elif awk -v r="$ratio" -v t="$target" 'BEGIN{exit !(r <= t)}'; then mark=PASS
      else mark=FAIL; RATIO_FAILS=$((RATIO_FAILS + 1)); fi
    fi
    printf '%-40s %10s %8s %8s\n' "$label" "$ratio" "${target:+≤ $target}" "$mark"
  done
}

# bench_finish: the exit status. 1 a command or verification failed; 3 the Rozen half was
# skipped; 4 a target was missed with BENCH_STRICT=1; else 0.
bench_finish() {
  empty_trash
  printf '# loadavg at end=%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS"
  warn_if_busy
  printf '\nresults: %s (medians: %s.summary)\n' "$RESULTS" "$RESULTS"
  if [ $BENCH_FAILED = 1 ]; then log "some step FAILED (see $RUN_DIR/logs)"; return 1; fi
  if [ -n "$BENCH_SKIPPED" ]; then log "incomplete: skipped$BENCH_SKIPPED (ratios n/a)"; return 3; fi
  if [ "$BENCH_STRICT" = 1 ] && [ $RATIO_FAILS -gt 0 ]; then log "$RATIO_FAILS target(s) missed"; return 4; fi
  return 0
}
