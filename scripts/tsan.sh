#!/usr/bin/env bash
# `make tsan`: ThreadSanitizer over the whole server. Builds everything with
# clang -fsanitize=thread -O1 -g in its own directory, then runs
#   1. the unit tests (ctest; the S3 cases against s3rver on loopback),
#   2. a few crash-suite cycles (kill -9 under concurrent ingest) against the
#      TSan server,
#   3. the concurrent ingest + query + compaction soak (tests/tsan/soak.mjs).
# Any TSan report fails the run: processes exit 66 at the first one
# (halt_on_error), and the servers write theirs into $TSAN_BUILD_DIR/tsan-reports/,
# which must stay empty. Not part of `make test`.
#   TSAN_BUILD_DIR  build directory (default build-tsan)
#   SOAK_SECONDS    length of the soak (default 120)
#   CRASH_CYCLES    crash-suite cycles (default 3)
#   JOBS            parallel compile jobs (default: ninja's)
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BUILD="${TSAN_BUILD_DIR:-build-tsan}"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/tracevault-ccache}"

phase_start=0
phase() { phase_start=$(date +%s); echo "=== tsan: $1"; }
phase_end() { echo "=== tsan: $1 took $(( $(date +%s) - phase_start ))s"; }
failed=()

phase "configure + build ($BUILD)"
# CMAKE_BUILD_TYPE=TSan adds no flags of its own; TV_TSAN brings -O1 -g -fsanitize=thread.
bash scripts/configure.sh "$BUILD" TSan -DTV_TSAN=ON || exit 1
cmake --build "$BUILD" ${JOBS:+-j "$JOBS"} || exit 1
phase_end "configure + build ($BUILD)"

# Every process stops at its first report with exit code 66. second_deadlock_stack
# shows both stacks of a lock-order inversion.
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
reports="$ROOT/$BUILD/tsan-reports"
rm -rf "$reports"
mkdir -p "$reports"

phase "unit tests (ctest)"
s3_dir=$(mktemp -d /tmp/tv-s3rver.XXXXXX)
trap 'bash scripts/s3rver.sh stop "$s3_dir" 2>/dev/null; rm -rf "$s3_dir"' EXIT
if TV_TEST_S3_ENDPOINT=$(bash scripts/s3rver.sh start "$s3_dir"); then
  export TV_TEST_S3_ENDPOINT TV_TEST_S3_DATA_DIR="$s3_dir/s3data"
  echo "s3rver at $TV_TEST_S3_ENDPOINT"
else
  echo "s3rver did not start: the S3 cases skip"
fi
# A report goes to the failing test's output (--output-on-failure).
(cd "$BUILD" && ctest --output-on-failure ${JOBS:+-j "$JOBS"}) 2>&1 | tee "$BUILD/ctest-tsan.log"
grep -qE '^100% tests passed' "$BUILD/ctest-tsan.log" || failed+=("unit tests")
bash scripts/s3rver.sh stop "$s3_dir"
phase_end "unit tests (ctest)"

export TRACEVAULT_BIN="$ROOT/$BUILD/bin/tracevault"

phase "crash cycles"
TV_TSAN_REPORT_DIR="$reports/crash" node tests/crash/crash.mjs --cycles "${CRASH_CYCLES:-3}" || failed+=("crash cycles")
phase_end "crash cycles"

phase "soak (${SOAK_SECONDS:-120}s of ingest + queries + compaction)"
TV_TSAN_REPORT_DIR="$reports/soak" node tests/tsan/soak.mjs || failed+=("soak")
phase_end "soak"

if [ -n "$(find "$reports" -type f 2>/dev/null)" ]; then
  echo "tsan: reports written:"
  find "$reports" -type f | sed 's/^/  /'
  failed+=("TSan reports in $reports")
fi
if ((${#failed[@]})); then
  printf 'tsan: FAILED: %s\n' "${failed[@]}"
  exit 1
fi
echo "tsan: no race found"
