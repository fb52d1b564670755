#!/usr/bin/env bash
# A recorded fuzz campaign: every libFuzzer target (tests/fuzz/*_fuzz.cpp) for
# RUNS executions (default 10 million) from its seed corpus, one after another,
# with AddressSanitizer + UBSan (the fuzz build). Prints one line per target:
# executions, seconds, executions/s, coverage, peak RSS, and whether it found
# anything (a crash, leak or sanitizer report fails the script and leaves the
# reproducer in the target's work folder).
# Usage: [UWITTER_FUZZ_TARGETS="envelope_fuzz ticket_fuzz"] scripts/fuzz-campaign.sh [RUNS]     (build in build-fuzz/ or $UWITTER_FUZZ_DIR, work in its campaign/)
# Needs clang (scripts/test.sh's dependencies); takes about an hour on 2 cores.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10000000}
dir=${UWITTER_FUZZ_DIR:-build-fuzz}
cmake -S . -B "$dir" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUWITTER_FUZZ=ON -DUWITTER_BENCH=ON >/dev/null || exit 1
cmake --build "$dir" --target fuzzers -j"$(nproc)" >/dev/null || { echo "fuzz-campaign: the build failed" >&2; exit 1; }
failed=()
printf '%-28s %12s %8s %10s %8s %8s  %s\n' target executions seconds exec/s cov rss_mb result
targets=${UWITTER_FUZZ_TARGETS:-$(cd tests/fuzz && ls *_fuzz.cpp | sed 's/\.cpp$//')}
for name in $targets; do
  exe="$dir/tests/uwitter-${name//_/-}"
  work="$dir/campaign/$name"
  mkdir -p "$work"
  seeds=()
  [ -d "tests/fuzz/corpus/$name" ] && seeds=("tests/fuzz/corpus/$name")
  log="$work/fuzz.log"
  t0=$SECONDS
  (cd "$work" && "$OLDPWD/$exe" -runs="$runs" -rss_limit_mb=2048 -print_final_stats=1 . "${seeds[@]/#/$OLDPWD/}") >"$log" 2>&1
  rc=$?
  secs=$((SECONDS - t0))
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$')
  cov=$(echo "$done_line" | grep -Eo 'cov: [0-9]+' | grep -Eo '[0-9]+')
  rss=$(grep -Eo 'stat::peak_rss_mb: *[0-9]+' "$log" | grep -Eo '[0-9]+$')
  result=ok
  if [ "$rc" -ne 0 ]; then result="FOUND SOMETHING (exit $rc; $log)"; failed+=("$name"); fi
  rate=$([ "$secs" -gt 0 ] && echo $(( ${execs:-0} / secs )) || echo -)
  printf '%-28s %12s %8s %10s %8s %8s  %s\n' "$name" "${execs:-?}" "$secs" "$rate" "${cov:-?}" "${rss:-?}" "$result"
done
[ "${#failed[@]}" -eq 0 ] || { echo "fuzz-campaign: findings in ${failed[*]}" >&2; exit 1; }
