#!/usr/bin/env bash
# Back up a folder to a local repository, list the snapshot, restore it and compare.
# Usage: examples/local-backup.sh [FOLDER] [WORKDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rozen() { node "$here/../dist/cli.cjs" "$@"; }
folder=${1:-$here}
work=${2:-$(mktemp -d)}
export ROZEN_PASSWORD=${ROZEN_PASSWORD:-example password}

rozen init "$work/repo"
rozen backup "$work/repo" "$folder" --tag example
rozen snapshots "$work/repo"
rozen restore "$work/repo" latest --target "$work/restored"
diff -r "$folder" "$work/restored$(cd "$folder" && pwd)"
echo "example: restored copy of $folder is identical"
