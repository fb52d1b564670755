#!/usr/bin/env bash
# Installs what is missing, builds Uwitter and starts it on http://127.0.0.1:8080.
# Data (SQLite database and keys) lives in ./data, created on first start; a
# first start fills in a few demo users and uweets. uwitter-notifier runs beside it
# (UDP 127.0.0.1:7700, HTTP 127.0.0.1:7701; log in data/notifier.log). Ctrl-C stops everything.
# Extra arguments go to uwitter-web. The build's output is in build-logs/run-build.log.
# With --postgres (first argument) the data lives in a local PostgreSQL server under
# ./data/postgres instead (initdb on first start, port $UWITTER_PG_PORT or 5433 on
# 127.0.0.1, run as `nobody` when started as root; log data/postgres.log), stopped on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
postgres=0
if [ "${1:-}" = "--postgres" ]; then postgres=1; shift; fi
. scripts/lib/quiet.sh
. scripts/lib/build.sh
. scripts/lib/postgres.sh
install_and_build
data=${UWITTER_DATA:-data}
demo=""
db="$data/uwitter.db"
[ "$postgres" = 1 ] || [ -e "$db" ] || demo="--demo"
mkdir -p "$data"

# Start order for a clean first start: the key pair first (the same files uwitter-web
# would create), so the notifier trusts the key from its first datagram; then the
# notifier, and the web app only once the notifier listens, so that no datagram of
# the demo data is sent to nobody and counted as lost.
if [ ! -e "$data/keys/uwitter.key" ]; then
  build-run/sign/uwitter-keygen --out "$data/keys" >/dev/null
fi
notifier_out=$(mktemp)
web_out=$(mktemp)
pids=()
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -f "$notifier_out" "$web_out"
}
# However this script ends, its servers end with it: Ctrl-C, kill (TERM), a closed terminal
# (HUP) and an error all run stop_all; and each server is started with a parent-death signal
# (setpriv --pdeathsig), so that even a `kill -9` of this script stops them.
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
child=(setpriv --pdeathsig TERM --)
if [ "$postgres" = 1 ]; then
  pgport=${UWITTER_PG_PORT:-5433}
  trap 'stop_all; stop_postgres' EXIT
  start_postgres "$data/postgres" "$pgport" "$data/postgres.log" || { echo "run.sh: PostgreSQL did not start" >&2; exit 1; }
  if create_database uwitter "$pgport"; then demo="--demo"; fi
  db="postgresql://postgres@127.0.0.1:$pgport/uwitter"
fi
"${child[@]}" build-run/notifier-udp/uwitter-notifier --listen-udp 127.0.0.1:7700 --listen-http 127.0.0.1:7701 \
  --db "$db" --trust "$data/keys/uwitter.pub" --allow 127.0.0.0/8 \
  --cors-origin http://127.0.0.1:8080 --cors-origin http://localhost:8080 \
  --log-file "$data/notifier.log" > >(tee "$notifier_out") &
pids+=($!)
# Readiness: the notifier prints one "listening" line per socket (UDP, then HTTP).
for _ in $(seq 200); do
  [ "$(grep -c '^listening ' "$notifier_out")" -ge 2 ] && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "run.sh: uwitter-notifier exited at start" >&2; exit 1; }
  sleep 0.05
done
[ "$(grep -c '^listening ' "$notifier_out")" -ge 2 ] || { echo "run.sh: uwitter-notifier did not start listening in 10 s" >&2; exit 1; }
"${child[@]}" build-run/web/uwitter-web --listen 127.0.0.1:8080 --data "$data" --db "$db" $demo \
  --notify 127.0.0.1:7700 --notifier-url http://127.0.0.1:7701 "$@" > >(tee "$web_out") &
pids+=($!)
# uwitter-web prints "listening http ..." once it serves, and after the demo data is in.
while ! grep -q '^listening http ' "$web_out"; do
  kill -0 "${pids[1]}" 2>/dev/null || break
  sleep 0.1
done
if grep -q '^listening http ' "$web_out"; then
  url=$(sed -n 's/^listening http \([^ ]*\).*/\1/p' "$web_out" | head -n 1)
  hint=""; [ -n "$demo" ] && hint=" (demo users alice, bob, carol and dave, password password123)"
  echo "Uwitter is running: open http://$url/$hint. Ctrl-C stops it."
fi
wait "${pids[1]}"
