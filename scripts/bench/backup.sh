#!/usr/bin/env bash
# Backup and restore, Rozen beside restic on the same corpus: backup.sh [SIZE_MB]
#
# Per run, for every tool: init; initial backup; unchanged re-backup; mutate the corpus
# (mutate-corpus.sh DEST 1, the same for both); mutated backup and the bytes it added; repository
# size; full restore into a fresh directory, verified against the corpus. Then medians over
# BENCH_REPEAT runs and the Rozen/restic ratios against the targets.
set -euo pipefail
SIZE_MB=${1:-${SIZE_MB:-1024}}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_init backup
CORPUS=$(corpus_cached "$SIZE_MB")
declare -A PEAK=()

# peak TOOL: keep the largest max RSS of the tool's backups and restore (LAST_RSS from measure).
peak() { if [ "${LAST_RSS:-0}" -gt "${PEAK[$1]:-0}" ]; then PEAK[$1]=$LAST_RSS; fi; }

one_run() {
  reset_run "$CORPUS"
  local data="$RUN_DIR/data" t repo before
  PEAK=()
  for t in "${ORDER[@]}"; do tool_measure "$t" init init "$(repo_of "$t")" || true; done
  for t in "${ORDER[@]}"; do tool_measure "$t" initial_backup backup "$(repo_of "$t")" "$data" && peak "$t"; done
  for t in "${ORDER[@]}"; do tool_measure "$t" unchanged_backup backup "$(repo_of "$t")" "$data" && peak "$t"; done
  mutate "$data" 1
  for t in "${ORDER[@]}"; do
    repo=$(repo_of "$t"); tool_alive "$t" || continue
    before=$(repo_bytes "$repo")
    tool_measure "$t" mutated_backup backup "$repo" "$data" || continue
    peak "$t"
    record "$t" bytes_added $(( $(repo_bytes "$repo") - before )) B
    record "$t" repo_size "$(repo_bytes "$repo")" B
    record "$t" packs "$(pack_count "$t" "$repo")" count
  done
  for t in "${ORDER[@]}"; do
    local target="$RUN_DIR/restore-$t"
    discard "$target"; mkdir -p "$target"
    tool_measure "$t" restore restore "$(repo_of "$t")" "$target" || continue
    peak "$t"
    verify_tree "$t" restore "$data" "$(restored_root "$target" "$data")"
    discard "$target"
  done
  for t in "${ORDER[@]}"; do [ -z "${PEAK[$t]:-}" ] || record "$t" peak_rss "${PEAK[$t]}" KB; done
}

for RUN_NO in $(seq 1 "$BENCH_REPEAT"); do
  log "backup run $RUN_NO/$BENCH_REPEAT, ${SIZE_MB} MiB corpus, tools: ${TOOLS[*]}"
  one_run
done

summarise
figures_table \
  init:s:init \
  initial_backup:s:"initial backup" \
  initial_backup.cpu:s:"initial backup CPU" \
  unchanged_backup:s:"unchanged re-backup" \
  mutated_backup:s:"mutated backup" \
  bytes_added:B:"bytes added by mutated backup" \
  repo_size:B:"repository size" \
  packs:count:"pack files" \
  restore:s:"full restore" \
  restore.cpu:s:"full restore CPU" \
  peak_rss:KB:"peak RSS (backups, restore)"
ratio_table \
  "initial backup time|initial_backup|0.7" \
  "unchanged re-backup time|unchanged_backup|0.5" \
  "mutated backup time|mutated_backup|0.7" \
  "full restore time|restore|0.7" \
  "repository size|repo_size|1.0" \
  "bytes added by mutated backup|bytes_added|1.2" \
  "peak RSS|peak_rss|1.5"
bench_finish
