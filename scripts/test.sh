#!/usr/bin/env bash
# Installs what is missing, builds Uwitter three ways and runs every test:
#   format        clang-format --dry-run on every tracked C++ file
#   build/        plain build: unit, integration, browser tests (CTest)
#   tidy          clang-tidy (.clang-tidy) on every production source, from the
#                 plain build's compile_commands.json, while the plain tests run
#   build-asan/   clang AddressSanitizer + UBSan build: the same tests, the browser
#                 one included (it drives the sanitized uwitter-web and uwitter-notifier,
#                 and fails if either does not exit 0, e.g. on a leak report), and
#                 every libFuzzer target for a bounded time (the fuzz suite; built in
#                 the same tree, only the fuzzed sources instrumented for coverage)
# Every suite runs even when an earlier one failed; the script fails at the end and
# names the suites that failed. Build and test output goes to build-logs/ and is
# shown only for what failed. The closing line counts what CTest really ran, from
# each run's JUnit report: "total: N passed, M failed[, K skipped]".
# Usage: scripts/test.sh            (UWITTER_FUZZ_SECONDS=N per fuzz target, default 10 here)
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/quiet.sh
jobs=$(nproc)
logs=build-logs
mkdir -p "$logs"
failed=()
passed_total=0 failed_total=0 skipped_total=0
start_all=$SECONDS

bash .ci/install-deps || { echo "test.sh: cannot install the build dependencies" >&2; exit 1; }

# check NAME TITLE COMMAND...: a one-line step, its output in build-logs/NAME.log.
check() {
  local name=$1 title=$2
  shift 2
  local t0=$SECONDS
  printf '== %s ... ' "$title"
  if quietly "$logs/$name.log" "$@"; then
    echo "ok ($(elapsed "$t0"))"
  else
    echo "FAILED"
    failed+=("$name")
  fi
}

check browser-deps "browser test dependencies (npm ci --engine-strict)" \
  bash -c 'cd tests/browser && npm ci --engine-strict --no-audit --no-fund --loglevel=warn'
check format "format (clang-format --dry-run)" \
  bash -c "git ls-files -z '*.cpp' '*.hpp' '*.h' | xargs -0 clang-format --dry-run -Werror"

# Counts the test cases of a CTest JUnit report: sets run_passed, run_failed, run_skipped.
count_junit() {
  local f=$1
  run_passed=$(grep -o '<testcase [^>]*status="run"' "$f" | wc -l)
  run_failed=$(grep -o '<testcase [^>]*status="fail"' "$f" | wc -l)
  run_skipped=$(grep -Eo '<testcase [^>]*status="(disabled|notrun)"' "$f" | wc -l)
}

# build_tree NAME DIR TARGET [ENV=VALUE...] -- CMAKE_ARGS...
# Configures and builds DIR (TARGET, or everything for "all"); prints "== NAME: build ... ".
# Fails (and marks NAME failed) on a configure or build error or a warning.
build_tree() {
  local name=$1 dir=$2 target=$3
  shift 3
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  local t0=$SECONDS
  printf '== %s: build ... ' "$name"
  if ! quietly "$logs/$name-configure.log" env "${envs[@]}" cmake -S . -B "$dir" -G Ninja "$@"; then
    echo "FAILED (configure)"; failed+=("$name"); return 1
  fi
  local build_args=(--build "$dir" -j"$jobs")
  [ "$target" != all ] && build_args+=(--target "$target")
  if ! quietly "$logs/$name-build.log" cmake "${build_args[@]}"; then
    echo "FAILED (build)"; failed+=("$name"); return 1
  fi
  if grep -q 'warning:' "$logs/$name-build.log"; then
    echo "FAILED (the build printed warnings)"
    grep -A3 'warning:' "$logs/$name-build.log" | head -40 | sed 's/^/  | /'
    failed+=("$name"); return 1
  fi
  echo "ok ($(elapsed "$t0"))"
}

# start_tests NAME DIR [ENV=VALUE...] -- CTEST_ARGS...
# Starts DIR's CTest suite (filtered by CTEST_ARGS) in the background; finish_tests NAME
# waits for it and counts it from its JUnit report. Other steps may run in between.
declare -A test_pid test_t0
start_tests() {
  local name=$1 dir=$2
  shift 2
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  local junit=$PWD/$logs/$name-junit.xml
  rm -f "$junit" "$logs/$name-ctest.rc"
  test_t0[$name]=$SECONDS
  ( rc=0
    (cd "$dir" && env "${envs[@]}" ctest --output-on-failure -j"$jobs" --output-junit "$junit" "$@") \
      >"$logs/$name-ctest.log" 2>&1 || rc=$?
    echo "$rc" >"$logs/$name-ctest.rc" ) &
  test_pid[$name]=$!
}

finish_tests() {
  local name=$1
  wait "${test_pid[$name]}"
  printf '== %s: tests ... ' "$name"
  local junit=$PWD/$logs/$name-junit.xml rc
  rc=$(cat "$logs/$name-ctest.rc" 2>/dev/null || echo "?")
  if [ ! -s "$junit" ]; then
    echo "FAILED (ctest wrote no report, exit $rc)"
    tail -n 40 "$logs/$name-ctest.log" | sed 's/^/  | /'
    failed+=("$name"); return
  fi
  count_junit "$junit"
  passed_total=$((passed_total + run_passed))
  failed_total=$((failed_total + run_failed))
  skipped_total=$((skipped_total + run_skipped))
  local counts="$run_passed passed, $run_failed failed"
  [ "$run_skipped" -gt 0 ] && counts+=", $run_skipped skipped"
  if [ "$rc" != 0 ] || [ "$run_failed" -gt 0 ] || [ "$run_passed" -eq 0 ]; then
    echo "FAILED: $counts ($(elapsed "${test_t0[$name]}")); log $logs/$name-ctest.log"
    # Everything but the lines of tests that started or passed: the failures' output.
    grep -Ev '^ *Start +[0-9]+: |Test +#[0-9]+: .* Passed +[0-9.]+ sec$' "$logs/$name-ctest.log" |
      tail -n 200 | sed 's/^/  | /'
    failed+=("$name")
  else
    echo "$counts ($(elapsed "${test_t0[$name]}"))"
  fi
}

# Line tables only (-g1) in both builds: backtraces and sanitizer reports keep file
# and line, and the builds take about a fifth less CPU than with full -g (measured in
# docs/SETUP.md "Build flags"). Builds of your own keep CMake's defaults.
# The test programs' own code is built -O0 (UWITTER_TEST_CODE_FLAGS): the code under
# test keeps -O2, and a test file compiles in about half the time.
plain_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"
  -DUWITTER_TEST_CODE_FLAGS=-O0)
plain_built=""
build_tree plain build all -- "${plain_flags[@]}" && plain_built=1

# clang-tidy runs while the plain tests do: they mostly wait (on sockets, child
# processes, servers starting) and tidy is all CPU, so the two share the cores
# (docs/SETUP.md "How long the test command takes").
[ -n "$plain_built" ] && start_tests plain build --
if [ -f build/compile_commands.json ]; then
  check tidy "tidy (clang-tidy on core, sign, web, notifier-udp, bench)" \
    run-clang-tidy-14 -p build -j "$jobs" -quiet "^$PWD/(core|sign|web|notifier-udp|bench)/"
else
  echo "== tidy ... FAILED (no build/compile_commands.json: the plain build did not configure)"
  failed+=("tidy")
fi
[ -n "$plain_built" ] && finish_tests plain

# One clang tree for the sanitizer and fuzz suites: the fuzz targets link the
# sanitized libraries, so nothing is compiled a third time (docs/SETUP.md "Fuzz
# targets in the sanitizer build"). One CTest run: the fuzz targets are its fuzz-* tests.
# -O1 (what clang's AddressSanitizer documents): at -O0 clang's sanitized notifier
# was too slow for the datagram flood test; the test programs' own code stays -O0.
san_env=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
san_built=""
# A build-asan/ of an older checkout was g++: CMake keeps a cached compiler, so start it afresh.
if [ -f build-asan/CMakeCache.txt ] && ! grep -q '^CMAKE_CXX_COMPILER:.*clang++' build-asan/CMakeCache.txt; then
  rm -rf build-asan
fi
build_tree sanitizer build-asan all CC=clang CXX=clang++ UWITTER_FUZZ_SECONDS="${UWITTER_FUZZ_SECONDS:-10}" -- \
  -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" "-DCMAKE_C_FLAGS_DEBUG=-O1 -g1" \
  -DUWITTER_TEST_CODE_FLAGS=-O0 -DUWITTER_SANITIZE=ON -DUWITTER_BENCH=OFF -DUWITTER_BROWSER_TESTS=ON && san_built=1
if [ -n "$san_built" ]; then
  start_tests sanitizer build-asan "${san_env[@]}" --
  finish_tests sanitizer
  fuzz_ran=$(grep -Eo '<testcase name="fuzz-[^"]*"[^>]*status="run"' "$logs/sanitizer-junit.xml" 2>/dev/null | wc -l)
  fuzz_all=$(cd build-asan && ctest -N -R '^fuzz-' 2>/dev/null | grep -c 'Test *#')
  echo "   of them fuzz targets (UWITTER_FUZZ_SECONDS=${UWITTER_FUZZ_SECONDS:-10} s each): $fuzz_ran of $fuzz_all passed"
  if [ "$fuzz_all" -eq 0 ]; then
    echo "   FAILED: the sanitizer build has no fuzz targets (is it clang?)"; failed+=("fuzz")
  fi
fi

echo "== all suites in $(elapsed "$start_all")"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED suites: ${failed[*]} (logs in $logs/)"
fi
closing="total: $passed_total passed, $failed_total failed"
[ "$skipped_total" -gt 0 ] && closing+=", $skipped_total skipped"
echo "$closing"
[ "${#failed[@]}" -eq 0 ]
