#!/bin/sh
# Runs the Node.js integration and SDK suites against build/bin/tracevault
# (override with TRACEVAULT_BIN). Installs the pinned test dependencies on
# first use. Extra arguments are passed to `node --test` (e.g. a file list).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# A relative TRACEVAULT_BIN / TRACEVAULT_OPENAPI_SPEC is relative to the caller's cwd.
case "${TRACEVAULT_BIN:-/}" in /*) ;; *) TRACEVAULT_BIN="$(pwd)/$TRACEVAULT_BIN"; export TRACEVAULT_BIN ;; esac
case "${TRACEVAULT_OPENAPI_SPEC:-/}" in /*) ;; *) TRACEVAULT_OPENAPI_SPEC="$(pwd)/$TRACEVAULT_OPENAPI_SPEC"; export TRACEVAULT_OPENAPI_SPEC ;; esac
cd "$here"
if [ ! -d node_modules/braintrust ] || [ ! -d node_modules/ajv ] || [ ! -d node_modules/ajv-formats ]; then
  npm install --no-audit --no-fund
fi
if [ "$#" -gt 0 ]; then
  files="$*"
else
  files=$(find integration sdk crash btql -name '*.test.mjs' | sort)
fi
# shellcheck disable=SC2086
exec node --test --test-concurrency=1 --test-timeout=600000 $files
