#!/usr/bin/env bash
# s3rver (an S3-compatible test server, pinned in tests/package.json) on
# 127.0.0.1, for the S3 cases of the unit tests.
#   scripts/s3rver.sh start DIR   data in DIR/s3data; writes DIR/s3rver.pid, DIR/s3rver.port and
#                                 DIR/s3rver.log; prints the endpoint once it answers
#   scripts/s3rver.sh stop DIR    stops the server whose PID is in DIR/s3rver.pid
# Credentials are s3rver's defaults, S3RVER / S3RVER; it does not check SigV4.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/tests/node_modules/.bin/s3rver"

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1; dir=$2

free_port() {
  for p in $(shuf -i 20000-60000 -n 50); do
    ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return 0; }
  done
  return 1
}

# Waits up to 10 s for the server to answer; fails early if it exited.
wait_ready() {
  local pid=$1 port=$2
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || return 1
    curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
    sleep 0.1
  done
  return 1
}

stop() {
  [ -f "$dir/s3rver.pid" ] || return 0
  local pid
  pid=$(cat "$dir/s3rver.pid")
  if kill -TERM "$pid" 2>/dev/null; then
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/s3rver.pid" "$dir/s3rver.port"
}

start() {
  if [ ! -x "$BIN" ]; then
    (cd "$ROOT/tests" && npm install --no-audit --no-fund >/dev/null) || { echo "npm install failed" >&2; return 1; }
  fi
  mkdir -p "$dir/s3data"
  # A port found free can be taken before s3rver binds it: try a few.
  for _ in 1 2 3; do
    local port pid
    port=$(free_port) || { echo "no free port" >&2; return 1; }
    # s3rver's list continuation tokens use DES, which Node 20 keeps in OpenSSL's legacy provider.
    NODE_OPTIONS="--openssl-legacy-provider ${NODE_OPTIONS:-}" \
      "$BIN" -d "$dir/s3data" -a 127.0.0.1 -p "$port" --no-vhost-buckets </dev/null >"$dir/s3rver.log" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/s3rver.pid"
    echo "$port" >"$dir/s3rver.port"
    if wait_ready "$pid" "$port"; then
      echo "http://127.0.0.1:$port"
      return 0
    fi
    stop
  done
  echo "s3rver did not start; see $dir/s3rver.log" >&2
  return 1
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
