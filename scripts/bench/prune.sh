#!/usr/bin/env bash
# Forget, prune and check after a series of days, Rozen beside restic: prune.sh [SIZE_MB]
#
# Per run, for every tool: init and a backup of the corpus, then BENCH_PRUNE_DAYS (default 10)
# days of mutate-corpus.sh DEST SEED (seeds 1..N, the same for both tools), each followed by a
# backup; then `forget --keep-last 3 --prune` (time, bytes reclaimed, final repository size)
# and `check --read-data` (time). Medians over BENCH_REPEAT runs and ratios to the targets.
set -euo pipefail
SIZE_MB=${1:-${SIZE_MB:-1024}}
DAYS=${BENCH_PRUNE_DAYS:-10}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_init prune
CORPUS=$(corpus_cached "$SIZE_MB")

forget_and_check() {
  local t=$1 repo before after
  repo=$(repo_of "$t")
  tool_alive "$t" || return 0
  before=$(repo_bytes "$repo")
  record "$t" size_before "$before" B
  tool_measure "$t" prune forget "$repo" || return 0
  after=$(repo_bytes "$repo")
  record "$t" reclaimed $(( before - after )) B
  record "$t" final_size "$after" B
  record "$t" packs "$(pack_count "$t" "$repo")" count
  tool_measure "$t" check check "$repo" || true
}

one_run() {
  reset_run "$CORPUS"
  local t day
  for t in "${ORDER[@]}"; do
    tool_measure "$t" init init "$(repo_of "$t")" || true
    tool_measure "$t" backup_day0 backup "$(repo_of "$t")" "$RUN_DIR/data" || true
  done
  for day in $(seq 1 "$DAYS"); do
    mutate "$RUN_DIR/data" "$day"
    for t in "${ORDER[@]}"; do tool_measure "$t" mutated_backup backup "$(repo_of "$t")" "$RUN_DIR/data" || true; done
  done
  for t in "${ORDER[@]}"; do forget_and_check "$t"; done
}

for RUN_NO in $(seq 1 "$BENCH_REPEAT"); do
  log "prune run $RUN_NO/$BENCH_REPEAT, ${SIZE_MB} MiB corpus, $DAYS days, tools: ${TOOLS[*]}"
  one_run
done

summarise
figures_table \
  backup_day0:s:"first backup" \
  mutated_backup:s:"daily backup (median of days)" \
  size_before:B:"repository before prune" \
  prune:s:"forget --keep-last 3 --prune" \
  prune.rss:KB:"prune RSS" \
  reclaimed:B:"bytes reclaimed" \
  final_size:B:"final repository size" \
  packs:count:"pack files after prune" \
  check:s:"check --read-data" \
  check.rss:KB:"check RSS"
ratio_table \
  "forget + prune time|prune|0.5" \
  "check --read-data time|check|0.7" \
  "final repository size|final_size|1.05" \
  "bytes reclaimed|reclaimed|"
bench_finish
