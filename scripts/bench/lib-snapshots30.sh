# A repository of 30 snapshots per tool, built once and reused (source it after lib.sh; do not run it).
#
# snapshots30_cached SIZE_MB prints a directory holding, for every tool in TOOLS:
#   repo-<tool>/   BENCH_SNAPSHOTS (30) snapshots: a backup of the fresh corpus, then one backup after each
#                  day of mutate-corpus.sh DEST SEED, seeds 1..29 (the same days for both tools)
#   data/          the corpus as the last snapshot saw it (the tree a restore of `latest` must equal)
# Both tools back up data/ at the same absolute path, so they record identical trees. The build is not timed;
# it takes about 30 backups per tool (minutes at 1 GiB). A tool's repository is marked complete by
# repo-<tool>.done; a missing one makes the whole series be built again, from the pristine corpus, for the
# tools that lack it. Benchmarks that only read the repositories (copy, find...) share them.

BENCH_SNAPSHOTS=${BENCH_SNAPSHOTS:-30}

# snapshots30_cached SIZE_MB: the directory (see above), built where needed.
snapshots30_cached() {
  local size=$1 dir missing=() t
  dir=$BENCH_DIR/snapshots$BENCH_SNAPSHOTS/${size}MB
  for t in "${TOOLS[@]}"; do [ -f "$dir/repo-$t.done" ] || missing+=("$t"); done
  if [ ${#missing[@]} -gt 0 ]; then snapshots30_build "$size" "$dir" "${missing[@]}"; fi
  printf '%s\n' "$dir"
}

# snapshots30_build SIZE_MB DIR TOOL...: replay the series for the tools named, from the pristine corpus.
snapshots30_build() {
  local size=$1 dir=$2; shift 2
  local corpus day t log
  corpus=$(corpus_cached "$size")
  mkdir -p "$dir"
  log=$dir/build.log
  log "building $BENCH_SNAPSHOTS snapshots of the ${size} MiB corpus for: $* (once; log: $log)"
  for t in "$@"; do rm -rf "$dir/repo-$t" "$dir/repo-$t.done"; done
  corpus_copy "$corpus" "$dir/data"
  for t in "$@"; do snapshots30_run "$t" "$dir" init >>"$log" 2>&1 || die "$t init failed (see $log)"; done
  for day in $(seq 0 $(( BENCH_SNAPSHOTS - 1 ))); do
    [ "$day" = 0 ] || mutate "$dir/data" "$day" 2>>"$log"
    for t in "$@"; do snapshots30_run "$t" "$dir" backup "$dir/data" >>"$log" 2>&1 || die "$t backup of day $day failed (see $log)"; done
  done
  for t in "$@"; do touch "$dir/repo-$t.done"; done
  log "built $BENCH_SNAPSHOTS snapshots per tool in $dir"
}

# snapshots30_run TOOL DIR VERB [ARGS...]: one untimed command on DIR/repo-TOOL (the tool's cache under DIR).
snapshots30_run() {
  local tool=$1 dir=$2 verb=$3; shift 3
  local RUN_DIR=$dir
  tool_argv "$tool" "$verb" "$dir/repo-$tool" "$@"
  "${TOOL_ARGV[@]}"
}
