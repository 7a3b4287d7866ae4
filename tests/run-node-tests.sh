#!/bin/sh
# Runs the Node.js integration and SDK suites against build/bin/tracevault
# (override with TRACEVAULT_BIN). Installs the pinned test dependencies on
# first use. Extra arguments are passed to `node --test` (e.g. a file list).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# A relative TRACEVAULT_BIN / _OPENAPI_SPEC / _WEBAPP_DIR / _ARTIFACTS is relative to the caller's cwd.
case "${TRACEVAULT_BIN:-/}" in /*) ;; *) TRACEVAULT_BIN="$(pwd)/$TRACEVAULT_BIN"; export TRACEVAULT_BIN ;; esac
case "${TRACEVAULT_OPENAPI_SPEC:-/}" in /*) ;; *) TRACEVAULT_OPENAPI_SPEC="$(pwd)/$TRACEVAULT_OPENAPI_SPEC"; export TRACEVAULT_OPENAPI_SPEC ;; esac
case "${TRACEVAULT_WEBAPP_DIR:-/}" in /*) ;; *) TRACEVAULT_WEBAPP_DIR="$(pwd)/$TRACEVAULT_WEBAPP_DIR"; export TRACEVAULT_WEBAPP_DIR ;; esac
case "${TRACEVAULT_ARTIFACTS:-/}" in /*) ;; *) TRACEVAULT_ARTIFACTS="$(pwd)/$TRACEVAULT_ARTIFACTS"; export TRACEVAULT_ARTIFACTS ;; esac
cd "$here"
# Installs when any pinned devDependency is missing or at another version.
if ! node -e '
  const fs = require("fs");
  const deps = require("./package.json").devDependencies || {};
  const ok = Object.entries(deps).every(([name, want]) => {
    const f = `node_modules/${name}/package.json`;
    return fs.existsSync(f) && JSON.parse(fs.readFileSync(f, "utf8")).version === want;
  });
  process.exit(ok ? 0 : 1);'; then
  npm install --no-audit --no-fund
fi
if [ "$#" -gt 0 ]; then
  files="$*"
else
  files=$(find integration sdk crash btql -name '*.test.mjs' | sort)
fi
# shellcheck disable=SC2086
exec node --test --test-concurrency=1 --test-timeout=600000 $files
