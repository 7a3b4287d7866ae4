# Shared by the bench scripts (sourced): a free loopback port, a tracevault
# serve started for the run, a PostgreSQL 15 peer started for the run, and one
# cleanup that stops both by PID and removes their folders.

free_port() { for p in $(shuf -i 20000-60000 -n 50); do ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }; done; return 1; }

# bench_start_tracevault BIN [extra flags...]: sets WORK, KEY, PORT, TV_PID.
bench_start_tracevault() {
  local bin=$1; shift
  WORK=$(mktemp -d /tmp/tv-bench.XXXXXX)
  KEY="sk-bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  PORT=$(free_port)
  TRACEVAULT_INIT_API_KEY="$KEY" "$bin" serve --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" \
    --log-level warn "$@" ${TV_BENCH_FLAGS:-} >"$WORK/server.out" 2>"$WORK/server.err" &
  TV_PID=$!
  trap bench_cleanup EXIT
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && return 0; sleep 0.05; done
  echo "tracevault did not start: $(tail -5 "$WORK/server.err")" >&2; return 1
}

# bench_start_postgres [extra -c settings...]: sets PGBIN, PGROOT, PGPID, PGURL;
# returns 1 when PostgreSQL 15 is not installed.
PGBIN=/usr/lib/postgresql/15/bin
PGPID=""
bench_start_postgres() {
  [ -x "$PGBIN/initdb" ] || return 1
  local pgport; pgport=$(free_port)
  PGROOT=$(mktemp -d /tmp/pgbench.XXXXXX); chown postgres:postgres "$PGROOT"
  runuser -u postgres -- "$PGBIN/initdb" -D "$PGROOT/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $pgport -k $PGROOT $*" start >/dev/null
  PGPID=$(head -1 "$PGROOT/data/postmaster.pid")
  PGURL="postgresql://postgres@127.0.0.1:$pgport/postgres"
}

# bench_start_span_peer: the span benches' PostgreSQL peer, set up well:
# fsync and synchronous commit on (an ack is durable on both sides), memory
# comparable to tracevault's 1 GB tail budget, and the indexes its queries
# need: id, trace, time, and a GIN full-text index over the string values of
# `output` ('simple' = whole words, case-folded, no stemming, the semantics of
# tracevault's tokenizer). PG_GIN_OPTS="WITH (fastupdate = off)" trades ingest
# rate for full-text lag (docs/benchmarks.md); the default is PostgreSQL's own.
# Returns 1 when PostgreSQL 15 is not installed.
bench_start_span_peer() {
  bench_start_postgres -c fsync=on -c synchronous_commit=on -c shared_buffers=1GB -c max_wal_size=8GB \
    -c work_mem=64MB -c maintenance_work_mem=512MB -c effective_cache_size=8GB || return 1
  psql -qX "$PGURL" -v ON_ERROR_STOP=1 >/dev/null <<SQL
CREATE TABLE spans (id text PRIMARY KEY, root_span_id text NOT NULL, created timestamptz, row jsonb);
CREATE INDEX spans_root ON spans (root_span_id);
CREATE INDEX spans_created ON spans (created);
CREATE INDEX spans_output_fts ON spans USING gin (jsonb_to_tsvector('simple', row->'output', '["string"]')) ${PG_GIN_OPTS:-};
SQL
}

bench_cleanup() {
  kill -TERM "$TV_PID" 2>/dev/null || true; wait "$TV_PID" 2>/dev/null || true
  if [ -n "$PGPID" ]; then runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGROOT/data" -m fast -w stop >/dev/null || true; fi
  rm -rf "${WORK:-/nonexistent}" "${PGROOT:-/nonexistent}"
}
