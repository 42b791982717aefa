#!/usr/bin/env bash
# Back up a folder to an S3 repository and restore it. Uses the S3 endpoint and credentials
# from the standard AWS variables; without AWS_ENDPOINT_URL_S3 it starts a local s3rver.
# Usage: examples/s3-backup.sh [FOLDER] [WORKDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rozen() { node "$here/../dist/cli.cjs" "$@"; }
folder=${1:-$here}
work=${2:-$(mktemp -d)}
bucket=${BUCKET:-rozen-example}
export ROZEN_PASSWORD=${ROZEN_PASSWORD:-example password}

if [ -z "${AWS_ENDPOINT_URL_S3:-}" ]; then
  mkdir -p "$work/s3"
  coproc S3 { exec node --openssl-legacy-provider "$here/s3rver.mjs" "$work/s3" "$bucket"; }
  trap 'kill $S3_PID 2>/dev/null || true' EXIT
  read -r endpoint <&"${S3[0]}"
  export AWS_ENDPOINT_URL_S3=$endpoint AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
fi

rozen init "s3://$bucket/example"
rozen backup "s3://$bucket/example" "$folder"
rozen restore "s3://$bucket/example" latest --target "$work/restored"
diff -r "$folder" "$work/restored$(cd "$folder" && pwd)"
echo "example: restored copy of $folder from S3 is identical"
