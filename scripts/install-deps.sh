#!/usr/bin/env bash
# Installs everything tracevault needs to build and test on Debian 12.
# Idempotent: packages already present are skipped, so a warm machine pays ~1 s.
set -euo pipefail

APT_PACKAGES=(
  build-essential cmake ninja-build ccache mold pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-system1.81-dev
  libsimdjson-dev libfmt-dev libspdlog-dev libcli11-dev
  libsqlite3-dev libssl-dev zlib1g-dev libcurl4-openssl-dev libzstd-dev libxxhash-dev libroaring-dev libicu-dev
  libgtest-dev libgmock-dev
  libkainjow-mustache-dev
  clang-14 libclang-rt-14-dev clang-format-14
  curl wrk procps iproute2
  chromium
)
# Node.js 20 and npm 11 come with the machine image; Debian's own nodejs/npm
# packages conflict with it, so they are installed only when node is absent.
command -v node >/dev/null && command -v npm >/dev/null || APT_PACKAGES+=(nodejs npm)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-deps: apt packages present"
fi

# Test tooling from npm, pinned, installed into tests/node_modules.
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [ -f "$ROOT/tests/package.json" ]; then
  # Every pinned devDependency must be installed at its pinned version (a package added to
  # package.json later is installed on a machine that already has node_modules).
  npm_stale=$(cd "$ROOT/tests" && node -e '
    const fs = require("fs");
    const deps = require("./package.json").devDependencies || {};
    const bad = Object.entries(deps).filter(([name, want]) => {
      const f = `node_modules/${name}/package.json`;
      return !fs.existsSync(f) || JSON.parse(fs.readFileSync(f, "utf8")).version !== want;
    });
    process.stdout.write(bad.map(([n]) => n).join(" "));')
  if [ -n "$npm_stale" ] || [ "$ROOT/tests/package.json" -nt "$ROOT/tests/node_modules/.install-stamp" ]; then
    echo "install-deps: npm install (tests/)"
    (cd "$ROOT/tests" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
    touch "$ROOT/tests/node_modules/.install-stamp"
  else
    echo "install-deps: npm packages present"
  fi
fi
