#!/usr/bin/env bash
# Finding files in 30 snapshots, Rozen beside restic: find.sh [SIZE_MB]
#
# The repositories come from lib-snapshots30.sh (30 snapshots per tool of the same corpus at the same absolute path,
# built once and reused), so the same query finds the same entries in both. Every query searches all 30 snapshots,
# with the page cache dropped first, and prints each tool's default text output (restic: the paths; Rozen: one
# long line per match, mode, owner, size, mtime and path, like `restic find --long`):
#   find_first  FIND_NAME (default app.log, one file per snapshot) with an empty cache directory: the first
#               search on a machine that has never opened the repository; restic fills its cache here (the index
#               and every tree pack), Rozen its index cache. Not compared with a target.
#   find_name   the same query again. This and the ones below see the cache the first search left, as a user who
#               has used the repository before does (restic also caches tree packs when it backs up).
#   find_many   FIND_MANY (default '*.ts', the thousands of source files of every snapshot); output to /dev/null.
#   find_blob   --blob ID, the one data blob of FIND_BLOB_FILE (default: the first src/**/file*.ts of data/, the
#               tree of the last snapshot). Blob ids differ between the tools (Rozen's are keyed per repository),
#               so each gets the id of its own blob of that file: a file this small is a single chunk in both,
#               so both must find the same entries (every file of the series with exactly that content).
#               The ids are looked up once, untimed: `rozen history --json` and a walk of restic's trees
#               (`restic cat snapshot` and `restic cat blob`).
# In run 1 the matched (snapshot, path) pairs are counted for each query and the paths compared between the tools
# (find_many is run once more, untimed, into a file for that); a difference is a warning, not a failure.
set -euo pipefail
SIZE_MB=${1:-${SIZE_MB:-1024}}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib-snapshots30.sh"

FIND_NAME=${FIND_NAME:-app.log}
FIND_MANY=${FIND_MANY:-*.ts}

bench_init find
SRC_DIR=$(snapshots30_cached "$SIZE_MB")
FIND_BLOB_FILE=${FIND_BLOB_FILE:-$(find "$SRC_DIR/data/src" -type f -name 'file*.ts' | LC_ALL=C sort | sed -n 1p)}
[ -f "$FIND_BLOB_FILE" ] || die "no file for the --blob query under $SRC_DIR/data/src (set FIND_BLOB_FILE)"

# find_argv TOOL ARGS...: the find command line on the tool's repository, into TOOL_ARGV.
find_argv() {
  local tool=$1 cache="$RUN_DIR/cache/$1" rz; shift
  read -ra rz <<<"$ROZEN"
  case $tool in
    rozen) TOOL_ARGV=(env XDG_CACHE_HOME="$cache" ROZEN_CACHE_DIR="$cache" "${rz[@]}" find "$SRC_DIR/repo-rozen" "$@") ;;
    restic) TOOL_ARGV=(restic -r "$SRC_DIR/repo-restic" --cache-dir "$cache" find "$@") ;;
  esac
}

# rozen_blob_of PATH: the first content blob of PATH in the newest snapshot that holds it.
rozen_blob_of() {
  local RUN_DIR=$SRC_DIR rz
  read -ra rz <<<"$ROZEN"
  env XDG_CACHE_HOME="$RUN_DIR/cache/rozen" ROZEN_CACHE_DIR="$RUN_DIR/cache/rozen" "${rz[@]}" history "$SRC_DIR/repo-rozen" "$1" --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)[-1]["content"][0])'
}

# restic_blob_of PATH: the first content blob of PATH in restic's newest snapshot, found by walking its trees.
restic_blob_of() {
  python3 - "$SRC_DIR/repo-restic" "$SRC_DIR/cache/restic" "$1" <<'PY'
import json, subprocess, sys
repo, cache, path = sys.argv[1:4]
def cat(*args):
    return json.loads(subprocess.run(["restic", "-r", repo, "--cache-dir", cache, "--no-lock", *args],
                                     check=True, stdout=subprocess.PIPE).stdout)
snap = max(cat("snapshots", "--json"), key=lambda s: s["time"])
tree = cat("cat", "snapshot", snap["id"])["tree"]
*dirs, name = path.strip("/").split("/")
for d in dirs:
    tree = next(n for n in cat("cat", "blob", tree)["nodes"] if n["name"] == d)["subtree"]
print(next(n for n in cat("cat", "blob", tree)["nodes"] if n["name"] == name)["content"][0])
PY
}

declare -A BLOB_ID=()
for t in "${TOOLS[@]}"; do
  BLOB_ID[$t]=$("${t}_blob_of" "$FIND_BLOB_FILE") || die "$t: cannot find the blob of $FIND_BLOB_FILE"
  log "$t: blob of $FIND_BLOB_FILE is ${BLOB_ID[$t]}"
  echo "# blob of $FIND_BLOB_FILE for $t: ${BLOB_ID[$t]}" >>"$RESULTS"
done

# matched_paths TOOL FILE: the matched paths in a tool's text output, one a line (a path per snapshot holding it).
# restic prints each path alone (`Found matching entries in snapshot ...` heads each snapshot; with --blob each
# match is ` ... in file /x/y` under a `Found blob ...` line); Rozen indents its long lines, the path after the
# time (and before `  [blob ...]` with --blob).
matched_paths() {
  case $1 in
    restic) awk '/^\// { print; next } $1 == "..." && $2 == "in" && $3 == "file" { print $4 }' "$2" ;;
    rozen) awk '/^  / { for (i = NF; i > 0; i--) if ($i == "[blob") { print $(i - 1); next } print $NF }' "$2" ;;
  esac
}

# compare_matches METRIC: count each tool's matches in its output of run 1 and compare the paths between tools.
compare_matches() {
  local metric=$1 t out first='' firstlist=''
  for t in "${TOOLS[@]}"; do
    tool_alive "$t" || continue
    out=$RUN_DIR/logs/$t-$metric.out
    [ -f "$out" ] || out=$RUN_DIR/logs/$t-$metric.log
    matched_paths "$t" "$out" | sort >"$RUN_DIR/logs/$t-$metric.paths"
    record "$t" "$metric.matches" "$(wc -l <"$RUN_DIR/logs/$t-$metric.paths")" count
    if [ ! -s "$RUN_DIR/logs/$t-$metric.paths" ]; then
      log "warning: $t $metric: no match recognised in $out"
      echo "# warning: $t $metric: no match recognised" >>"$RESULTS"
    elif [ -z "$first" ]; then
      first=$t firstlist=$RUN_DIR/logs/$t-$metric.paths
    elif cmp -s "$firstlist" "$RUN_DIR/logs/$t-$metric.paths"; then
      log "$metric: $first and $t found the same $(wc -l <"$firstlist") (snapshot, path) pairs"
    else
      log "warning: $metric: $first found $(wc -l <"$firstlist") (snapshot, path) pairs, $t $(wc -l <"$RUN_DIR/logs/$t-$metric.paths") (diff in $RUN_DIR/logs)"
      diff "$firstlist" "$RUN_DIR/logs/$t-$metric.paths" >"$RUN_DIR/logs/$metric.paths.diff" || true
      echo "# warning: $metric: the tools' matched paths differ" >>"$RESULTS"
    fi
  done
}

# find_measure TOOL METRIC ARGS...: one timed find from a cold page cache; a failure ends the tool's run.
find_measure() {
  local t=$1 metric=$2; shift 2
  tool_alive "$t" || return 1
  find_argv "$t" "$@"
  drop_caches
  measure "$t" "$metric" -- "${TOOL_ARGV[@]}" || { tool_kill "$t" "$metric"; return 1; }
}

find_all() {
  local t=$1
  find_measure "$t" find_first "$FIND_NAME" || return 0
  find_measure "$t" find_name "$FIND_NAME" || return 0
  MEASURE_OUT=/dev/null find_measure "$t" find_many "$FIND_MANY" || return 0
  find_measure "$t" find_blob --blob "${BLOB_ID[$t]}" || return 0
  if [ "$RUN_NO" = 1 ]; then
    find_argv "$t" "$FIND_MANY"
    "${TOOL_ARGV[@]}" >"$RUN_DIR/logs/$t-find_many.out" 2>>"$RUN_DIR/logs/$t-find_many.err" || tool_kill "$t" find_many_count
  fi
}

for RUN_NO in $(seq 1 "$BENCH_REPEAT"); do
  log "find run $RUN_NO/$BENCH_REPEAT, ${SIZE_MB} MiB corpus, $BENCH_SNAPSHOTS snapshots, tools: ${TOOLS[*]}"
  tool_order
  discard "$RUN_DIR"
  mkdir -p "$RUN_DIR/logs" "$RUN_DIR/cache"
  TOOL_DEAD=()
  for t in "${ORDER[@]}"; do find_all "$t"; done
  if [ "$RUN_NO" = 1 ]; then
    for m in find_name find_many find_blob; do compare_matches "$m"; done
  fi
done

summarise
figures_table \
  find_first:s:"'$FIND_NAME', empty cache" \
  find_name:s:"'$FIND_NAME'" \
  find_name.cpu:s:"'$FIND_NAME' CPU" \
  find_name.rss:KB:"'$FIND_NAME' RSS" \
  find_name.matches:count:"'$FIND_NAME' matches" \
  find_many:s:"'$FIND_MANY'" \
  find_many.cpu:s:"'$FIND_MANY' CPU" \
  find_many.rss:KB:"'$FIND_MANY' RSS" \
  find_many.matches:count:"'$FIND_MANY' matches" \
  find_blob:s:"--blob" \
  find_blob.cpu:s:"--blob CPU" \
  find_blob.rss:KB:"--blob RSS" \
  find_blob.matches:count:"--blob matches"
ratio_table \
  "'$FIND_NAME', empty cache|find_first|" \
  "'$FIND_NAME'|find_name|" \
  "'$FIND_MANY'|find_many|" \
  "--blob|find_blob|" \
  "'$FIND_MANY' RSS|find_many.rss|"
bench_finish
