#!/usr/bin/env bash
# Configures a build directory with clang++ (the build's compiler: clang checks
# the thread-safety annotations, -Werror=thread-safety). A directory configured
# with another compiler (an older GCC build, say) is configured afresh: CMake
# cannot change the compiler of an existing cache. Does nothing when the
# directory is already configured with the same compiler.
#   scripts/configure.sh BUILD_DIR [BUILD_TYPE] [extra cmake arguments...]
#   TV_CXX=g++ scripts/configure.sh build-gcc   # another compiler, unchecked
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BUILD_DIR="$1"
BUILD_TYPE="${2:-RelWithDebInfo}"
shift $(( $# >= 2 ? 2 : 1 ))

# Debian's clang-14 package may name it clang++-14 only.
CXX_BIN="${TV_CXX:-$(command -v clang++ || command -v clang++-14 || true)}"
if [ -z "$CXX_BIN" ] || ! command -v "$CXX_BIN" >/dev/null; then
  echo "configure: clang++ not found (bash scripts/install-deps.sh installs clang-14)" >&2
  exit 1
fi
CXX_BIN="$(command -v "$CXX_BIN")"

cache="$BUILD_DIR/CMakeCache.txt"
if [ -f "$cache" ]; then
  have="$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$cache")"
  if [ "$(realpath -m "$have")" != "$(realpath -m "$CXX_BIN")" ]; then
    echo "configure: $BUILD_DIR was configured with ${have:-an unknown compiler}, not $CXX_BIN: configuring it afresh"
    rm -rf "$cache" "$BUILD_DIR/CMakeFiles" "$BUILD_DIR/build.ninja"
  fi
fi
[ -f "$BUILD_DIR/build.ninja" ] && exit 0
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DCMAKE_CXX_COMPILER="$CXX_BIN" "$@"
