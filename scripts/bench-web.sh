#!/usr/bin/env bash
# The web app benchmark in one command: builds in Release and runs bench/web/run.py.
# Extra arguments go to run.py (--rounds, --seconds, --users, --uweets).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DUWITTER_TESTS=OFF -DUWITTER_BENCH=ON >/dev/null
cmake --build build-bench -j"$(nproc)" --target uwitter-web uwitter-hello uwitter-seed uwitter-insert-bench
exec python3 bench/web/run.py --build build-bench "$@"
