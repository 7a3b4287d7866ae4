#!/usr/bin/env bash
# Builds the libFuzzer harnesses (the BTQL parsers and the row-intake path)
# with clang in their own build directory and runs each for FUZZ_SECONDS (all
# at once, sharing the cores). Exits non-zero
# if any harness finds a crash, a leak, a timeout or undefined behaviour; the
# inputs that did are left in $FUZZ_BUILD_DIR/crashes/.
#   FUZZ_SECONDS   seconds per harness (default 60)
#   FUZZ_BUILD_DIR build directory (default build-fuzz)
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
SECONDS_PER=${FUZZ_SECONDS:-60}
BUILD=${FUZZ_BUILD_DIR:-build-fuzz}
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/tracevault-ccache}"

# Debian's clang-14 package names its compilers clang-14 / clang++-14.
CC=$(command -v clang-14 || command -v clang) || { echo "fuzz: clang not found (scripts/install-deps.sh)"; exit 1; }
CXX=$(command -v clang++-14 || command -v clang++)
if [ ! -f "$BUILD/build.ninja" ]; then
  CC="$CC" CXX="$CXX" cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Fuzz -DTV_FUZZ=ON >/dev/null || exit 1
fi
cmake --build "$BUILD" || exit 1

mkdir -p "$BUILD/crashes"
pids=()
names=()
for kind in text json rows; do
  harness="btql_${kind}_fuzzer"
  [ "$kind" = rows ] && harness=row_intake_fuzzer
  work="$BUILD/corpus/$kind"   # grows across runs; fuzz/corpus/$kind stays the checked-in seeds
  mkdir -p "$work"
  dict=()
  [ "$kind" = text ] && dict=(-dict=fuzz/btql.dict)
  "$BUILD/bin/$harness" "$work" "fuzz/corpus/$kind" "${dict[@]}" \
    -max_total_time="$SECONDS_PER" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -artifact_prefix="$BUILD/crashes/$kind-" -print_final_stats=1 \
    >"$BUILD/$harness.log" 2>&1 &
  pids+=($!)
  names+=("$harness")
done
status=0
for i in "${!pids[@]}"; do
  if wait "${pids[$i]}"; then
    echo "fuzz: ${names[$i]}: $(grep -E '^stat::number_of_executed_units' "$BUILD/${names[$i]}.log" | awk '{print $2}') runs in ${SECONDS_PER}s, no crash"
  else
    status=1
    echo "fuzz: ${names[$i]} FAILED (log: $BUILD/${names[$i]}.log)"
    grep -E 'ERROR|SUMMARY|Test unit written' "$BUILD/${names[$i]}.log" | head -5
  fi
done
exit $status
