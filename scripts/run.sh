#!/usr/bin/env bash
# `make run`: start the embedded server and say how to reach it.
set -euo pipefail
BIN="$1"; DATA_DIR="$2"; LISTEN="$3"
mkdir -p "$DATA_DIR"
URL="http://${LISTEN}"
cat <<MSG

  tracevault (embedded: both planes, SQLite, local storage)
  data dir : $DATA_DIR
  URL      : $URL

MSG
if [ -f "$DATA_DIR/initial-password" ]; then
  echo "  Open $URL/ in a browser and sign in:"
  echo "    Email    : ${TRACEVAULT_INIT_USER_EMAIL:-admin@localhost}"
  echo "    Password : $(cat "$DATA_DIR/initial-password")"
  echo
elif [ ! -f "$DATA_DIR/control/meta.db" ]; then
  echo "  First start: open $URL/ in a browser and sign in as ${TRACEVAULT_INIT_USER_EMAIL:-admin@localhost}"
  echo "  with the password the server prints below (it prints the API key too)."
  echo
fi
if [ -f "$DATA_DIR/initial-api-key" ]; then
  echo "  API key  : $(cat "$DATA_DIR/initial-api-key")"
  echo
fi
cat <<MSG
  Point the official SDK at it:
    export BRAINTRUST_APP_URL=$URL
    export BRAINTRUST_API_KEY=<the API key>

MSG
exec "$BIN" serve --data-dir "$DATA_DIR" --listen "$LISTEN"
