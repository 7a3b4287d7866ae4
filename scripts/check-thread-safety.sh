#!/usr/bin/env bash
# Proves the compiler's thread-safety check is live: with the build's flags,
# tests/static/guarded_ok.cc must compile and tests/static/guarded_violation.cc
# (a GUARDED_BY field written without its lock) must not. Guards against a
# build that silently lost -Werror=thread-safety or a Mutex whose annotations
# no longer reach the analysis. Exits 1 naming what went wrong.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
CXX_BIN="${TV_CXX:-$(command -v clang++ || command -v clang++-14 || true)}"
[ -n "$CXX_BIN" ] || { echo "check-thread-safety: clang++ not found" >&2; exit 1; }
# The flags cmake/tracevault.cmake gives every target under clang.
flags=(-std=c++20 -fsyntax-only -Isrc -Wall -Wextra -Wthread-safety -Werror=thread-safety)
grep -q -- '-Werror=thread-safety' cmake/tracevault.cmake ||
  { echo "check-thread-safety: cmake/tracevault.cmake no longer passes -Werror=thread-safety" >&2; exit 1; }
if ! out=$("$CXX_BIN" "${flags[@]}" tests/static/guarded_ok.cc 2>&1); then
  echo "check-thread-safety: tests/static/guarded_ok.cc should compile:"; echo "$out"; exit 1
fi
if out=$("$CXX_BIN" "${flags[@]}" tests/static/guarded_violation.cc 2>&1); then
  echo "check-thread-safety: tests/static/guarded_violation.cc compiled; the analysis is not live" >&2; exit 1
fi
if ! grep -q "requires holding mutex" <<<"$out"; then
  echo "check-thread-safety: guarded_violation.cc failed for another reason:"; echo "$out"; exit 1
fi
echo "check-thread-safety: ok (a write without the lock does not compile)"
