#!/usr/bin/env bash
# Span-store benchmark: tracevault against a PostgreSQL 15 JSONB peer, side by
# side in one run, on a deterministic corpus of ~2 KB spans (100 per trace)
# generated in process by bench/spans/spanbench.cc. Phases: 1 ingest, 2
# realtime lag (sampled during ingest), 3 trace lookup (warm and after a
# restart), 4 full-text top 50, 5 storage per span, 6 compaction throughput,
# 7 BTQL summary (one row per trace), 8 BTQL group-by (model x day).
# docs/benchmarks.md describes the method. Not part of `make test`.
#
# Usage: [SPANS=1000000] [WORKERS=8] [QUERIES=200] [BTQL_QUERIES=30] [BUILD_DIR=build] bench/spans/run.sh [path/to/tracevault]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD_DIR="${BUILD_DIR:-build}"
BIN="${1:-$BUILD_DIR/bin/tracevault}"
SPANS="${SPANS:-1000000}"
WORKERS="${WORKERS:-8}"
QUERIES="${QUERIES:-200}"
TV_FLAGS=(--no-access-log --worker-threads 16)
LOG="${LOG:-/tmp/spanbench-$(date +%Y%m%d-%H%M%S).log}"
exec > >(tee "$LOG") 2>&1

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/tracevault-ccache}"
bash "$ROOT/scripts/configure.sh" "$ROOT/$BUILD_DIR" >/dev/null
nice cmake --build "$ROOT/$BUILD_DIR" --target spanbench >/dev/null

source "$HERE/../lib.sh"
# Private copies of the server and the driver, so a rebuild during the run
# cannot change what the restarts start.
SNAP=$(mktemp -d /tmp/tv-bench-bin.XXXXXX)
cp "$BIN" "$SNAP/tracevault"
cp "$ROOT/$BUILD_DIR/bin/spanbench" "$SNAP/spanbench"
TVBIN="$SNAP/tracevault"
DRIVER="$SNAP/spanbench"
bench_start_tracevault "$TVBIN" "${TV_FLAGS[@]}"
C_PID=""; C_WORK=""
trap 'bench_cleanup; [ -n "$C_PID" ] && kill -TERM "$C_PID" 2>/dev/null; rm -rf "$SNAP" ${C_WORK:+"$C_WORK"}' EXIT
PROJECT=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/project/register" -H "Authorization: Bearer $KEY" \
  -H 'Content-Type: application/json' -d '{"project_name":"spanbench"}' | sed -E 's/.*"project":\{"id":"([^"]+)".*/\1/')

bench_start_span_peer \
  || { echo "postgresql-15 not installed (apt-get install postgresql-15): the peer is required" >&2; exit 1; }

TABLE="$SNAP/table"
drive() { "$DRIVER" "$@" --spans "$SPANS" --tv "http://127.0.0.1:$PORT" --key "$KEY" --project "$PROJECT" --pg "$PGURL" \
  | tee -a "$SNAP/driver.out" | while IFS= read -r l; do case "$l" in TABLE\|*) echo "${l#TABLE}" >>"$TABLE";; *) echo "$l";; esac; done; }
row() { echo "| $1 | $2 | $3 | $4 | $5 |" >>"$TABLE"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "—"; else printf "%.2f", a / b }'; }

tv_restart() {
  kill -TERM "$TV_PID"; wait "$TV_PID" 2>/dev/null || true
  TRACEVAULT_INIT_API_KEY="$KEY" "$TVBIN" serve --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" --log-level warn \
    "${TV_FLAGS[@]}" >>"$WORK/server.out" 2>>"$WORK/server.err" &
  TV_PID=$!
  for _ in $(seq 1200); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && return 0; sleep 0.05; done
  echo "tracevault did not restart: $(tail -5 "$WORK/server.err")" >&2; return 1
}
pg_restart() {
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGROOT/data" -m fast -w restart >/dev/null
  PGPID=$(head -1 "$PGROOT/data/postmaster.pid")
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
store_bytes() { { du -sb --apparent-size "$@" 2>/dev/null || true; } | awk '{s += $1} END {printf "%.0f\n", s}'; }
pg_size() { psql -qXtA "$PGURL" -c "SELECT $1"; }
cpu_s() { awk -v a="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz }'; }
metric() {  # NAME: its value in the main server's /metrics, or fails
  curl -sf "http://127.0.0.1:$PORT/metrics" -H "Authorization: Bearer $KEY" | awk -v n="$1" '$1 == n {print $2; f=1} END {exit !f}'
}
have_compact() { "$TVBIN" admin --help 2>&1 | grep -qE '^ +compact( |$)'; }
compact() {  # PORT PROJECT: prints the report (JSON)
  "$TVBIN" admin compact --url "http://127.0.0.1:$1" --api-key "$KEY" --wait --json --object "project_logs:$2" 2>"$SNAP/compact.err"
}
report_field() {  # FIELD < report
  python3 -c '
import json, sys
text, r = sys.stdin.read(), {}
try: r = json.loads(text)
except ValueError:
    for line in text.splitlines():  # else the last JSON line printed
        try: r = json.loads(line) if line.strip().startswith("{") else r
        except ValueError: pass
print(r.get(sys.argv[1], 0))' "$1"
}

echo "# spanbench: $SPANS spans, $WORKERS connections, $(nproc) cores, $(uname -r); tracevault $("$TVBIN" --version 2>/dev/null || git -C "$ROOT" rev-parse --short HEAD)"

# --- 1 + 2: ingest, with the realtime-lag samplers running -------------------
drive ingest --workers "$WORKERS"
RAW=$(grep -oE '^RAW raw_bytes=[0-9]+' "$SNAP/driver.out" | tail -1 | cut -d= -f2)
if curl -sf "http://127.0.0.1:$PORT/metrics" -H "Authorization: Bearer $KEY" >"$SNAP/metrics" 2>/dev/null; then
  echo "# /metrics after ingest:"; grep -E '^tracevault_(store|segment|wal)' "$SNAP/metrics" | head -20 || true
else
  echo "# GET /metrics: not available (feature missing)"
fi

DATA="$WORK/data/data"

# --- 3: warm trace lookup, after ingest and its drain -------------------------
drive lookup --label "warm" --queries "$QUERIES"

# --- 6 (main server): the driver drained both sides after their ingest
# (compaction caught up / VACUUM ANALYZE); the compactor's totals so far:
COMPACT_OK=0; have_compact && COMPACT_OK=1
if metric tracevault_compaction_seconds_total >/dev/null; then
  M_RAW=$(metric tracevault_compaction_raw_bytes_total); M_S=$(metric tracevault_compaction_seconds_total)
  echo "# compaction totals (/metrics, background during ingest + the drain): raw $M_RAW bytes in $M_S s, segments $(metric tracevault_compaction_segment_bytes_total) bytes"
  row "6 compaction" "raw JSON MB/s of compaction time, background under ingest (/metrics totals)" \
    "$(awk -v r="$M_RAW" -v s="$M_S" 'BEGIN { if (s > 0) printf "%.1f", r / s / 1e6; else print "—" }')" "—" "—"
fi

# --- 5: storage ---------------------------------------------------------------
CAT=$(store_bytes "$DATA"/meta.db*); OBJ=$(store_bytes "$DATA/objects")
SEG_DU=$(store_bytes "$DATA/objects/seg"); WALNOW=$(store_bytes "$DATA/objects/wal")
# The live set, from the catalog: superseded segments and folded WAL chunks
# stay on disk for the garbage grace (10 min) before the sweep deletes them.
SEG_LIVE=$(sqlite3 -readonly "$DATA/meta.db" "SELECT coalesce(sum(bytes), 0) FROM segment" 2>/dev/null || echo 0)
WAL_LIVE=$(sqlite3 -readonly "$DATA/meta.db" "SELECT coalesce(sum(bytes), 0) FROM wal_chunk WHERE chunk_key IN (SELECT chunk_key FROM wal_section)" 2>/dev/null || echo 0)
PG_TOTAL=$(pg_size "pg_total_relation_size('spans')"); PG_IDX=$(pg_size "pg_indexes_size('spans')")
echo "# tracevault after compaction: data/objects $OBJ bytes on disk (seg $SEG_DU, of which live $SEG_LIVE; wal $WALNOW, of which still referenced $WAL_LIVE), catalog $CAT"
echo "# PostgreSQL after VACUUM: total $PG_TOTAL bytes (table+toast $(pg_size "pg_table_size('spans')"), indexes $PG_IDX)"
per() { awk -v b="$1" -v n="$SPANS" 'BEGIN { printf "%.0f", b / n }'; }
row "5 storage" "raw JSON bytes/span" "$(per "$RAW")" "$(per "$RAW")" "1.00"
if [ "$COMPACT_OK" = 1 ]; then
  LIVE=$((SEG_LIVE + WAL_LIVE + CAT))
  row "5 storage" "bytes/span after compaction (live segments + catalog; PG table+toast+indexes)" \
    "$(per $LIVE)" "$(per "$PG_TOTAL")" "$(ratio $LIVE "$PG_TOTAL")"
  row "5 storage" "× raw JSON" "$(ratio $LIVE "$RAW")" "$(ratio "$PG_TOTAL" "$RAW")" "—"
  row "5 storage" "bytes/span, du of data/objects + catalog (incl. garbage awaiting the sweep)" "$(per $((OBJ + CAT)))" "—" "—"
else
  row "5 storage" "bytes/span after compaction" "not measured (feature missing)" "$(per "$PG_TOTAL")" "—"
fi

# --- 3: trace lookup, warm (after compaction) and cold (after restart) -------
echo "# /metrics before the restart:"; curl -sf "http://127.0.0.1:$PORT/metrics" -H "Authorization: Bearer $KEY" | grep -E '^tracevault_(store|compaction)' || true
tv_restart; pg_restart
if sync && echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then DROP="page cache dropped"; else DROP="drop_caches refused, OS page cache still warm"; fi
echo "# both servers restarted; $DROP"
drive lookup --label "cold: restart, $DROP" --queries "$QUERIES"

# --- 4: full-text, newest 50 matches -------------------------------------------
drive fts --queries 20

# --- 7 + 8: BTQL summary and group-by, warm, against the peer's SQL -----------
# The peer gets the index a DBA would add for the group-by's filter (built
# here, after the ingest figures, then ANALYZE for its statistics).
psql -qX "$PGURL" -v ON_ERROR_STOP=1 >/dev/null <<SQL
CREATE INDEX spans_env ON spans ((row->'metadata'->>'env'));
ANALYZE spans;
SQL
drive btql --queries "${BTQL_QUERIES:-30}"

# --- 6 (isolated): compaction throughput on its own ---------------------------
# A second server with background compaction off takes the first CSPANS spans
# of the same corpus, then compacts them in one request while nothing else
# runs; MB/s per core = raw JSON bytes / the server's CPU seconds meanwhile.
if have_compact; then
  CSPANS=${CSPANS:-$(( SPANS < 200000 ? SPANS : 200000 ))}
  C_WORK=$(mktemp -d /tmp/tv-bench-compact.XXXXXX); C_PORT=$(free_port)
  TRACEVAULT_INIT_API_KEY="$KEY" "$TVBIN" serve --data-dir "$C_WORK/data" --listen "127.0.0.1:$C_PORT" --log-level warn \
    "${TV_FLAGS[@]}" --background-compaction false >"$C_WORK/server.out" 2>"$C_WORK/server.err" &
  C_PID=$!
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$C_PORT/health" >/dev/null && break; sleep 0.05; done
  C_PROJECT=$(curl -sf -X POST "http://127.0.0.1:$C_PORT/api/project/register" -H "Authorization: Bearer $KEY" \
    -H 'Content-Type: application/json' -d '{"project_name":"spanbench-compact"}' | sed -E 's/.*"project":\{"id":"([^"]+)".*/\1/')
  "$DRIVER" ingest --spans "$CSPANS" --workers "$WORKERS" --probes 1 --no-drain --tv "http://127.0.0.1:$C_PORT" \
    --key "$KEY" --project "$C_PROJECT" | grep '^FIG' | sed 's/^/# isolated: /' | tee "$SNAP/isolated"
  row "1 ingest" "spans/s with background compaction off (isolated server, $CSPANS spans)" \
    "$(grep -oE 'spans_per_s=[0-9]+' "$SNAP/isolated" | cut -d= -f2 | python3 -c 'import sys; print(f"{int(sys.stdin.read()):,}")')" "—" "—"
  C_WAL=$(store_bytes "$C_WORK/data/data/objects/wal")
  row "5 storage" "WAL chunks as ingested, bytes/span (zstd; isolated server, $CSPANS spans)" \
    "$(awk -v b="$C_WAL" -v n="$CSPANS" 'BEGIN { printf "%.0f", b / n }')" "—" "—"
  c0=$(cpu_ticks "$C_PID"); t0=$(date +%s.%N)
  if REPORT=$(compact "$C_PORT" "$C_PROJECT"); then
    c1=$(cpu_ticks "$C_PID"); CW=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    CC=$(cpu_s "$c0" "$c1"); CR=$(echo "$REPORT" | report_field raw_bytes); CS=$(echo "$REPORT" | report_field seconds)
    CB=$(echo "$REPORT" | report_field bytes)
    echo "# isolated compaction of $CSPANS spans: wall ${CW}s, server CPU ${CC}s; report: $REPORT"
    row "6 compaction" "isolated, $CSPANS spans: raw JSON MB/s (report raw_bytes / seconds)" \
      "$(awk -v r="$CR" -v s="$CS" 'BEGIN { if (s > 0) printf "%.1f", r / s / 1e6; else print "—" }')" "—" "—"
    row "6 compaction" "isolated: raw JSON MB/s per core (raw_bytes / server CPU seconds)" \
      "$(awk -v r="$CR" -v s="$CC" 'BEGIN { if (s > 0) printf "%.1f", r / s / 1e6; else print "—" }')" "—" "—"
    row "6 compaction" "isolated: segment bytes / raw JSON" "$(ratio "$CB" "$CR")" "—" "—"
  else
    echo "# isolated admin compact failed: $(tail -3 "$SNAP/compact.err")"
  fi
  kill -TERM "$C_PID"; wait "$C_PID" 2>/dev/null || true; rm -rf "$C_WORK"; C_PID=""
else
  row "6 compaction" "raw JSON MB/s per core" "not measured (feature missing)" "—" "—"
fi

echo
echo "## spanbench results: SPANS=$SPANS, $WORKERS connections, $(nproc) cores (log: $LOG)"
echo "| phase | metric | tracevault | PostgreSQL 15 | ratio tv/pg |"
echo "|---|---|---|---|---|"
sort -s -t'|' -k2.2,2.2 "$TABLE"
