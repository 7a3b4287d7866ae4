#!/usr/bin/env bash
# Ingest benchmark: POST /logs3 with ~2 KB spans against `tracevault serve` on
# loopback (wrk, keep-alive; every span a new row), reporting spans/s and the
# ack latency of a request (ack = durable in the WAL and visible). Side by
# side in the same run, PostgreSQL 15 (fsync on) inserting the same shape of
# rows as JSONB in transactions of the same size (pgbench).
#
# Usage: bench/ingest/run.sh [path/to/tracevault] [duration seconds]
set -euo pipefail
BIN="${1:-build/bin/tracevault}"
DUR="${2:-10}"
HERE="$(cd "$(dirname "$0")" && pwd)"
command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null

source "$HERE/../lib.sh"
bench_start_tracevault "$BIN" --no-access-log --worker-threads 32
PROJECT=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/project/register" -H "Authorization: Bearer $KEY" \
  -H 'Content-Type: application/json' -d '{"project_name":"bench"}' | sed -E 's/.*"project":\{"id":"([^"]+)".*/\1/')

run_case() {  # name, spans per request, connections
  local name=$1 spans=$2 c=$3
  { cat "$HERE/logs3.lua"; cat "$HERE/../http/report.lua"; } >"$WORK/$name.lua"
  local line
  line=$(TV_BENCH_KEY="$KEY" TV_BENCH_PROJECT="$PROJECT" TV_BENCH_SPANS="$spans" \
    wrk -t"$(( c < 2 ? c : 2 ))" -c"$c" -d"${DUR}s" --latency -s "$WORK/$name.lua" "http://127.0.0.1:$PORT/logs3" | grep RESULT)
  local rps; rps=$(echo "$line" | grep -oE 'rps=[0-9]+' | cut -d= -f2)
  echo "$name spans_per_s=$((rps * spans)) ${line#RESULT }" | tee -a "$WORK/results"
}

echo "# tracevault serve on 127.0.0.1 ($(nproc) cores), local object store, wrk ${DUR}s per case"
run_case logs3_1span_c8 1 8
run_case logs3_100spans_c8 100 8
run_case logs3_100spans_c1 100 1
du -sh "$WORK/data/data" | awk '{print "store bytes on disk: " $1}'

# --- PostgreSQL peer ---------------------------------------------------------
if bench_start_postgres -c fsync=on -c synchronous_commit=on; then
  psql -q "$PGURL" -c "CREATE TABLE spans (id text, project_id text, root_span_id text, created timestamptz, row jsonb,
      PRIMARY KEY (project_id, id)); CREATE INDEX ON spans (project_id, root_span_id);" >/dev/null
  for spec in "1 8" "100 8" "100 1"; do
    set -- $spec
    out=$(pgbench -n -M prepared -c "$2" -j "$(( $2 < 2 ? $2 : 2 ))" -T "$DUR" -D rows="$1" -f "$HERE/pg_ingest.sql" "$PGURL" 2>/dev/null)
    tps=$(echo "$out" | grep -oE 'tps = [0-9.]+' | head -1 | awk '{print $3}')
    lat=$(echo "$out" | grep -oE 'latency average = [0-9.]+' | awk '{print $4}')
    name="pg_${1}rows_c$2"
    echo "$name rows_per_s=$(awk -v t="$tps" -v r="$1" 'BEGIN{printf "%.0f", t*r}') tps=${tps%.*} avg_ms=$lat"
    ours=$(grep -E "^logs3_$( [ "$1" = 1 ] && echo 1span || echo ${1}spans )_c$2 " "$WORK/results" | grep -oE 'spans_per_s=[0-9]+' | cut -d= -f2)
    [ -n "$ours" ] && [ -n "$tps" ] && \
      awk -v a="$ours" -v t="$tps" -v r="$1" -v n="$name" 'BEGIN { printf "ratio spans/s tracevault / %s = %.2f\n", n, a / (t * r) }'
  done
else
  echo "postgresql-15 not installed: peer skipped"
fi
