#!/usr/bin/env bash
# The web app benchmark in one command: builds in Release and runs bench/web/run.py.
# Extra arguments go to run.py (--rounds, --seconds, --users, --uweets, --db).
# With --db postgresql the rounds also measure a uwitter-web on PostgreSQL, on a
# throwaway server (fsync on) that uwitter-with-postgres starts and removes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DUWITTER_TESTS=OFF -DUWITTER_BENCH=ON >/dev/null
cmake --build build-bench -j"$(nproc)" --target uwitter-web uwitter-hello uwitter-seed uwitter-insert-bench \
  uwitter-with-postgres
postgres=0
prev=""
for arg in "$@"; do
  if [[ "$arg" == "--db=postgresql" || ( "$prev" == "--db" && "$arg" == "postgresql" ) ]]; then postgres=1; fi
  prev="$arg"
done
if [[ $postgres == 1 ]]; then
  exec build-bench/bench/kit/uwitter-with-postgres --fsync --server UWITTER_BENCH_PG -- \
    python3 bench/web/run.py --build build-bench "$@"
fi
exec python3 bench/web/run.py --build build-bench "$@"
