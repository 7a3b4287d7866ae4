#!/usr/bin/env bash
# Fails (exit 1) on any standard locking primitive outside src/common/mutex.h:
# every lock in the tree is a tv::Mutex / tv::MutexLock / tv::CondVar, so
# clang's -Wthread-safety checks what each one guards. Prints file:line for
# each use. Run from anywhere; `make test` runs it in its static checks.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

pattern='std::(mutex|timed_mutex|recursive_mutex|recursive_timed_mutex|shared_mutex|shared_timed_mutex|lock_guard|unique_lock|shared_lock|scoped_lock|condition_variable|condition_variable_any)\b'
dirs=()
for d in src tests/unit tests/tools bench fuzz; do [ -d "$d" ] && dirs+=("$d"); done

hits=$(grep -rnE --include='*.h' --include='*.hpp' --include='*.cc' --include='*.cpp' "$pattern" "${dirs[@]}" |
  grep -v '^src/common/mutex\.h:')
if [ -z "$hits" ]; then
  echo "check-locks: ok (no std:: lock outside src/common/mutex.h)"
  exit 0
fi
echo "$hits"
count=$(echo "$hits" | wc -l)
files=$(echo "$hits" | cut -d: -f1 | sort -u)
echo
echo "check-locks: FAILED: $count use(s) of a std:: lock outside src/common/mutex.h, in:"
for f in $files; do echo "  $f ($(echo "$hits" | grep -c "^$f:"))"; done
echo "Use tv::Mutex / tv::MutexLock / tv::CondVar (src/common/mutex.h) and annotate what each guards."
exit 1
