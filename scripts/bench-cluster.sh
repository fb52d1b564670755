#!/usr/bin/env bash
# The cluster benchmark in one command (docs/SCALING.md "Benchmark and capacity
# model"): builds in Release and runs bench/web/cluster.py beside a throwaway
# PostgreSQL server (fsync on) that uwitter-with-postgres starts and removes.
# Extra arguments go to cluster.py (--rounds, --seconds, --users, --uweets,
# --feed-posts, --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DUWITTER_TESTS=OFF -DUWITTER_BENCH=ON >/dev/null
cmake --build build-bench -j"$(nproc)" --target uwitter-web uwitter-hello uwitter-seed uwitter-with-postgres \
  uwitter-feed-bench uwitter-notifier uwitter-keygen
exec build-bench/bench/kit/uwitter-with-postgres --fsync --server UWITTER_BENCH_PG -- \
  python3 bench/web/cluster.py --build build-bench "$@"
