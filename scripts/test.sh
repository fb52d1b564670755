#!/usr/bin/env bash
# Installs what is missing, builds Uwitter three ways and runs every test:
#   build/        plain build: unit, integration, browser tests (CTest)
#   build-asan/   AddressSanitizer + UBSan build: the same tests, the browser one
#                 included (it drives the sanitized uwitter-web and uwitter-notifier,
#                 and fails if either does not exit 0, e.g. on a leak report)
#   build-fuzz/   clang + libFuzzer: every fuzz target for a bounded time (CTest)
# Usage: scripts/test.sh            (UWITTER_FUZZ_SECONDS=N to change the fuzz budget)
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps
jobs=$(nproc)

echo "== browser test dependencies"
if [ -f tests/browser/package.json ]; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "== plain build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

echo "== sanitizer build (ASan + UBSan)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DUWITTER_SANITIZE=ON -DUWITTER_BENCH=OFF -DUWITTER_BROWSER_TESTS=ON
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
   ctest --output-on-failure -j"$jobs")

echo "== fuzz build (clang, libFuzzer, bounded time)"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUWITTER_FUZZ=ON -DUWITTER_BENCH=ON
cmake --build build-fuzz -j"$jobs" --target fuzzers
(cd build-fuzz && ctest --output-on-failure -j"$jobs")

# The closing line counts every suite above (each ctest exits non-zero on a failure).
total=0
for b in build build-asan build-fuzz; do
  n=$(cd "$b" && ctest -N | sed -n 's/^Total Tests: //p')
  total=$((total + ${n:-0}))
done
echo "total: ${total} passed, 0 failed"
