#!/usr/bin/env bash
# The span benchmark's ingest phase alone (phases 1 + 2 of bench/spans/run.sh:
# spans/s, ack p50/p99, realtime lag) with background compaction on, for one or
# more tracevault binaries and the PostgreSQL peer in the same run: each binary
# gets a fresh server and data dir, the peer runs once, on the same corpus.
# Made for measuring a change's effect on the ack latency (old binary vs new).
#
# Usage: [SPANS=200000] [WORKERS=8] [BUILD_DIR=build] bench/spans/ingest.sh BIN [BIN...]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD_DIR="${BUILD_DIR:-build}"
SPANS="${SPANS:-200000}"
WORKERS="${WORKERS:-8}"
[ $# -ge 1 ] || { echo "usage: bench/spans/ingest.sh BIN [BIN...]" >&2; exit 2; }
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/tracevault-ccache}"
bash "$ROOT/scripts/configure.sh" "$ROOT/$BUILD_DIR" >/dev/null
nice cmake --build "$ROOT/$BUILD_DIR" --target spanbench >/dev/null
source "$HERE/../lib.sh"

SNAP=$(mktemp -d /tmp/tv-ingest-bench.XXXXXX)
cp "$ROOT/$BUILD_DIR/bin/spanbench" "$SNAP/spanbench"
TV_PID=""; WORK=""
stop_tracevault() {
  [ -n "$TV_PID" ] && { kill -TERM "$TV_PID" 2>/dev/null || true; wait "$TV_PID" 2>/dev/null || true; }
  [ -n "$WORK" ] && rm -rf "$WORK"
  TV_PID=""; WORK=""
}
cleanup() { stop_tracevault; bench_cleanup; rm -rf "$SNAP"; }

# The peer as bench/spans/run.sh sets it up (bench_start_span_peer).
PGURL=""
if bench_start_span_peer; then
  trap cleanup EXIT
else
  echo "postgresql-15 not installed: the peer is skipped" >&2
fi
trap cleanup EXIT

echo "# ingest: $SPANS spans, $WORKERS connections, $(nproc) cores, background compaction on"
first=1
for bin in "$@"; do
  cp "$bin" "$SNAP/tracevault"
  bench_start_tracevault "$SNAP/tracevault" --no-access-log --worker-threads 16
  trap cleanup EXIT
  project=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/project/register" -H "Authorization: Bearer $KEY" \
    -H 'Content-Type: application/json' -d '{"project_name":"ingest"}' | sed -E 's/.*"project":\{"id":"([^"]+)".*/\1/')
  echo "## $bin"
  pg=()
  [ "$first" = 1 ] && [ -n "$PGURL" ] && pg=(--pg "$PGURL")
  "$SNAP/spanbench" ingest --spans "$SPANS" --workers "$WORKERS" --no-drain --tv "http://127.0.0.1:$PORT" \
    --key "$KEY" --project "$project" "${pg[@]}" | grep -E '^(FIG|  )' | sed "s#side=tracevault#side=tracevault bin=$bin#"
  stop_tracevault
  first=0
done
