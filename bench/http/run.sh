#!/usr/bin/env bash
# HTTP benchmarks: GET /version and POST /api/apikey/login with keep-alive,
# measured with wrk against `tracevault serve` on loopback, and — side by side
# in the same run — PostgreSQL answering the same login lookups (pgbench over
# loopback TCP, prepared statements), so the auth path is reported as a ratio.
#
# Usage: bench/http/run.sh [path/to/tracevault] [duration seconds]
set -euo pipefail
BIN="${1:-build/bin/tracevault}"
DUR="${2:-10}"
HERE="$(cd "$(dirname "$0")" && pwd)"
command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null

source "$HERE/../lib.sh"
bench_start_tracevault "$BIN"

run_wrk() {  # name, threads, connections, url, [script]
  local name=$1 t=$2 c=$3 url=$4 script=${5:-}
  local args=(-t"$t" -c"$c" -d"${DUR}s" --latency)
  local lua="$WORK/$name.lua"
  { [ -n "$script" ] && cat "$script"; cat "$HERE/report.lua"; } >"$lua"
  TV_BENCH_KEY="$KEY" wrk "${args[@]}" -s "$lua" "$url" | grep RESULT | sed "s/^RESULT/$name/" | tee -a "$WORK/results"
}
rps_of() { grep "^$1 " "$WORK/results" | grep -oE 'rps=[0-9]+' | cut -d= -f2; }

echo "# tracevault serve on 127.0.0.1 ($(nproc) cores), wrk ${DUR}s per case, keep-alive"
run_wrk version_c32 2 32 "http://127.0.0.1:$PORT/version"
run_wrk login_c32 2 32 "http://127.0.0.1:$PORT/api/apikey/login" "$HERE/login.lua"
run_wrk login_c4 1 4 "http://127.0.0.1:$PORT/api/apikey/login" "$HERE/login.lua"

# --- PostgreSQL peer: the same two lookups per login ------------------------
if bench_start_postgres; then
  # The control plane's own schema (same SQL as SQLite), with one org, user and key.
  sqlite3 "$WORK/data/control/meta.db" .schema | grep -v sqlite_ | psql -q "$PGURL" >/dev/null 2>&1 || true
  psql -q "$PGURL" -c "INSERT INTO organizations (id,name,created) VALUES ('o1','bench','now');
    INSERT INTO users (id,email,created) VALUES ('u1','a@b','now');
    INSERT INTO org_members VALUES ('o1','u1','owner','now');
    INSERT INTO api_keys VALUES ('k1','h1','k','p','u1',NULL,'now');" >/dev/null
  for c in 32 4; do
    out=$(pgbench -n -M prepared -c "$c" -j 2 -T "$DUR" -D h=h1 -f "$HERE/pg_login.sql" "$PGURL" 2>/dev/null)
    tps=$(echo "$out" | grep -oE 'tps = [0-9.]+' | head -1 | awk '{print $3}')
    lat=$(echo "$out" | grep -oE 'latency average = [0-9.]+' | awk '{print $4}')
    echo "pg_login_lookups_c$c tps=${tps%.*} avg_ms=$lat"
    ours=$(rps_of "login_c$c")
    [ -n "$ours" ] && [ -n "$tps" ] && \
      awk -v a="$ours" -v b="$tps" -v c="$c" 'BEGIN { printf "ratio login_c%s / pg_login_lookups_c%s = %.2f\n", c, c, a / b }'
  done
else
  echo "postgresql-15 not installed: peer skipped"
fi
