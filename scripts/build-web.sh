#!/usr/bin/env bash
# Builds the web app (web/ → web/dist) with npm, only when something it is built
# from changed since the last build. CMake runs it on every build of the binary
# (src/webapp/CMakeLists.txt); npm is needed at build time only.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WEB="$ROOT/web"
INSTALLED="$WEB/node_modules/.tv-install-stamp"
BUILT="$WEB/node_modules/.tv-build-stamp"

if ! command -v npm >/dev/null; then
  echo "build-web: npm is missing (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
if [ ! -f "$INSTALLED" ] || [ "$WEB/package-lock.json" -nt "$INSTALLED" ] || [ "$WEB/package.json" -nt "$INSTALLED" ]; then
  echo "build-web: npm ci (web/)"
  (cd "$WEB" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$INSTALLED"
fi
changed=""
if [ ! -f "$BUILT" ] || [ ! -f "$WEB/dist/index.html" ]; then
  changed=yes
else
  changed=$(find "$WEB/src" "$WEB/index.html" "$WEB/package.json" "$WEB/package-lock.json" "$WEB/vite.config.ts" \
    "$WEB/tsconfig.json" -newer "$BUILT" -print -quit)
fi
if [ -n "$changed" ]; then
  echo "build-web: npm run build (web/)"
  (cd "$WEB" && npm run --silent build -- --logLevel warn)
  touch "$BUILT"
fi
