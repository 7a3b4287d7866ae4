#!/usr/bin/env bash
# The web app's paths a person waits on, in headless Chromium against a real
# `serve`, with a PostgreSQL 15 peer answering the same reads side by side:
#   1. time to a usable experiment page of 10,000 rows (first rows on screen),
#   2. time to the Logs page of 10,000 traces (first rows on screen),
#   3. time to an open 10,000-span trace (tree on screen), and to its last span,
# each cold (a new browser profile: nothing cached) and warm (reloaded), and
#   4. the app's bundle (raw and gzip).
# The PostgreSQL peer holds the same rows in the span benches' table
# (bench_start_span_peer) and runs the reads those pages start with; the report
# gives each side's percentiles and the ratios. Not part of `make test`.
#
# Usage: [RUNS=7] bench/webapp/run.sh [path/to/tracevault]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${1:-$ROOT/build/bin/tracevault}"
source "$HERE/../lib.sh"
TV_PID=""  # the server is the driver's (tests/lib/server.mjs); lib.sh stops the peer
trap bench_cleanup EXIT
if bench_start_span_peer; then
  export PGURL
else
  echo "PostgreSQL 15 is not installed: the peer's figures are left out" >&2
fi
export TRACEVAULT_BIN="$BIN"
node "$HERE/run.mjs"
