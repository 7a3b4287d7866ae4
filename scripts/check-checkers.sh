#!/usr/bin/env bash
# The static checkers must be able to fail: runs check-locks.sh and
# check-layers.sh on small fake trees (copies of the scripts beside a made-up
# src/) and expects each to pass a clean tree and refuse a tree with one
# planted fault, naming the file. Part of `make test`'s static checks.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
tmp=$(mktemp -d /tmp/tv-checkers.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
bad=0

# tree NAME: a fake checkout with the checkers and a src/ that is in order.
tree() {
  local t="$tmp/$1"
  mkdir -p "$t/scripts" "$t/src/common" "$t/src/store" "$t/src/data/rows"
  cp "$ROOT/scripts/check-locks.sh" "$ROOT/scripts/check-layers.sh" "$t/scripts/"
  printf '#pragma once\n// std::mutex lives here only.\n' >"$t/src/common/mutex.h"
  printf '#include "common/mutex.h"\n' >"$t/src/store/writer.cc"
  printf '#include "store/writer.h"\n#include "common/mutex.h"\n' >"$t/src/data/rows/rows.cc"
  echo "$t"
}

# expect WANT(pass|fail) SCRIPT TREE [TEXT]: runs the script, checks the verdict
# and, for a failure, that TEXT is in what it printed.
expect() {
  local want=$1 script=$2 t=$3 text=${4:-} out rc
  out=$(bash "$t/scripts/$script" 2>&1); rc=$?
  if [ "$want" = pass ] && [ $rc -ne 0 ]; then
    echo "check-checkers: $script refused a clean tree ($(basename "$t")):"; echo "$out"; bad=1
  elif [ "$want" = fail ] && [ $rc -eq 0 ]; then
    echo "check-checkers: $script passed a tree with a planted fault ($(basename "$t"))"; bad=1
  elif [ "$want" = fail ] && [ -n "$text" ] && ! grep -qF "$text" <<<"$out"; then
    echo "check-checkers: $script failed $(basename "$t") without naming $text:"; echo "$out"; bad=1
  fi
}

t=$(tree clean)
expect pass check-locks.sh "$t"
expect pass check-layers.sh "$t"

t=$(tree bare-mutex)
printf '#include <mutex>\nstd::mutex mu;\n' >>"$t/src/store/writer.cc"
expect fail check-locks.sh "$t" "src/store/writer.cc:3"

t=$(tree upward-include)
printf '#include "data/rows/rows.h"\n' >>"$t/src/store/writer.cc"
expect fail check-layers.sh "$t" "src/store/writer.cc:2"

t=$(tree peer-include)
mkdir -p "$t/src/data/secrets"
printf '#include "data/rows/rows.h"\n' >"$t/src/data/secrets/secrets.cc"
expect fail check-layers.sh "$t" "src/data/secrets/secrets.cc:1"

t=$(tree unknown-room)
mkdir -p "$t/src/attic"
printf '#include "common/mutex.h"\n' >"$t/src/attic/old.cc"
expect fail check-layers.sh "$t" "src/attic/old.cc:1"

if [ $bad -eq 0 ]; then echo "check-checkers: ok (each checker passes a clean tree and refuses a planted fault)"; fi
exit $bad
