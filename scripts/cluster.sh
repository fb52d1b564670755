#!/usr/bin/env bash
# Starts a local Uwitter cluster (docs/CLUSTER.md): a PostgreSQL server, N
# uwitter-web instances and M uwitter-notifiers on it, and HAProxy in front of
# the web instances on http://127.0.0.1:8080. Installs what is missing and
# builds first (the same steps as scripts/run.sh, scripts/lib/). Everything
# lives under ./data/cluster (PostgreSQL's data, each instance's key pair,
# logs); a first start fills in the demo users and uweets. Ctrl-C (or SIGTERM)
# stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'USAGE'
usage: scripts/cluster.sh [--web N] [--notifiers M] [--port PORT] [--pg-port PORT]

  --web N          uwitter-web instances behind HAProxy (default 2), on 127.0.0.1:PORT+1 ...
  --notifiers M    uwitter-notifiers (default 2); notifier j listens on UDP 127.0.0.1:77j0
                   (what the web instances notify) and HTTP 127.0.0.1:77j1 (what browsers reach)
  --port PORT      where HAProxy listens (default 8080)
  --pg-port PORT   PostgreSQL's port (default $UWITTER_PG_PORT or 5434)
  --help           this text

Data, keys and logs: ${UWITTER_DATA:-data}/cluster (remove it to start afresh).
Logs: web-I.log, notifier-J.log (+ .events), haproxy.log, postgres.log there.
Each web instance has its own key pair (a notifier tells senders apart by key);
every notifier trusts all of them. The instances share one CSRF secret file, so a
form served by one is accepted by another (HAProxy balances round robin, no stickiness).
USAGE
}

webs=2 notifiers=2 port=8080 pgport=${UWITTER_PG_PORT:-5434}
number() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "cluster.sh: $1 expects a positive number, not '$2'" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case "$1" in
    --web) number "$1" "${2:-}"; webs=$2; shift 2 ;;
    --notifiers) number "$1" "${2:-}"; notifiers=$2; shift 2 ;;
    --port) number "$1" "${2:-}"; port=$2; shift 2 ;;
    --pg-port) number "$1" "${2:-}"; pgport=$2; shift 2 ;;
    --help|-h) usage; exit 0 ;;
    *) echo "cluster.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ "$notifiers" -le 9 ] || { echo "cluster.sh: at most 9 notifiers (ports 77j0/77j1)" >&2; exit 2; }
[ "$webs" -le 50 ] || { echo "cluster.sh: at most 50 web instances" >&2; exit 2; }

. scripts/lib/quiet.sh
. scripts/lib/build.sh
. scripts/lib/postgres.sh
install_and_build

data=$(realpath -m "${UWITTER_DATA:-data}/cluster")
mkdir -p "$data"
pids=()
names=()
stop_all() {
  # Front to back: HAProxy and the web instances first, then the notifiers, then PostgreSQL.
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[$i]}" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  stop_postgres
}
# Like run.sh: Ctrl-C, TERM, HUP and an error all run stop_all; every server is
# started with a parent-death signal, so even a `kill -9` of this script stops them.
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
child=(setpriv --pdeathsig TERM --)

# Waits until $2 (a file of a program's stdout) has $3 "listening" lines, or its pid $1 exits.
wait_listening() {
  local pid=$1 out=$2 want=$3 what=$4
  for _ in $(seq 600); do
    [ "$(grep -c '^listening ' "$out" 2>/dev/null || true)" -ge "$want" ] && return 0
    kill -0 "$pid" 2>/dev/null || { echo "cluster.sh: $what exited at start; the end of its log:" >&2; tail -n 20 "${out%.out}.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "cluster.sh: $what did not start listening in 60 s" >&2
  exit 1
}
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$port" $(seq $((port + 1)) $((port + webs))); do
  port_free "$p" || { echo "cluster.sh: 127.0.0.1:$p is in use (is scripts/run.sh or another cluster running? --port moves it)" >&2; exit 1; }
done

start_postgres "$data/postgres" "$pgport" "$data/postgres.log" || { echo "cluster.sh: PostgreSQL did not start" >&2; exit 1; }
demo=""
if create_database uwitter "$pgport"; then demo="--demo"; fi
db="postgresql://postgres@127.0.0.1:$pgport/uwitter"

# Keys first (one pair per web instance), so every notifier trusts every
# instance from its first datagram.
trust=()
for i in $(seq "$webs"); do
  mkdir -p "$data/web-$i"
  [ -e "$data/web-$i/keys/uwitter.key" ] || build-run/sign/uwitter-keygen --out "$data/web-$i/keys" >/dev/null 2>&1 ||
    { echo "cluster.sh: uwitter-keygen failed for web $i" >&2; exit 1; }
  trust+=(--trust "$data/web-$i/keys/uwitter.pub")
done

notify="" urls=""
for j in $(seq "$notifiers"); do
  udp=$((7700 + 10 * j)) http=$((7701 + 10 * j))
  notify+="${notify:+,}127.0.0.1:$udp"
  urls+="${urls:+,}http://127.0.0.1:$http"
  out="$data/notifier-$j.out"; : >"$out"
  "${child[@]}" build-run/notifier-udp/uwitter-notifier --listen-udp "127.0.0.1:$udp" --listen-http "127.0.0.1:$http" \
    --db "$db" "${trust[@]}" --allow 127.0.0.0/8 \
    --cors-origin "http://127.0.0.1:$port" --cors-origin "http://localhost:$port" \
    --log-file "$data/notifier-$j.events" >"$out" 2>"$data/notifier-$j.log" &
  pids+=($!); names+=("notifier $j")
  wait_listening "$!" "$out" 2 "uwitter-notifier $j"
done

# Web instance 1 first: on a first start it creates the schema and the demo
# data; the others then load their caches from what it wrote.
servers=""
for i in $(seq "$webs"); do
  wport=$((port + i))
  out="$data/web-$i.out"; : >"$out"
  extra=(); [ "$i" = 1 ] && [ -n "$demo" ] && extra=("$demo")
  "${child[@]}" build-run/web/uwitter-web --listen "127.0.0.1:$wport" --data "$data/web-$i" --db "$db" \
    --notify "$notify" --notifier-url "$urls" --csrf-secret-file "$data/csrf.secret" \
    --allowed-origin "http://localhost:$port" --trusted-proxy 127.0.0.1 "${extra[@]}" \
    --access-log "$data/web-$i.access.log" >"$out" 2>"$data/web-$i.log" &
  pids+=($!); names+=("web $i")
  wait_listening "$!" "$out" 1 "uwitter-web $i"
  servers+="    server web$i 127.0.0.1:$wport check"$'\n'
done

# HAProxy from the repository's template (the one the tests run, bench/kit/haproxy_server.cpp).
cfg="$data/haproxy.cfg"
awk -v listen="127.0.0.1:$port" -v sock="$data/haproxy.sock" -v servers="$servers" '
  /^@SERVERS@$/ { printf "%s", servers; next }
  { gsub(/@LISTEN@/, listen); gsub(/@STATS_SOCKET@/, sock); gsub(/@INTER_MS@/, "500");
    gsub(/@FALL@/, "2"); gsub(/@RISE@/, "1"); gsub(/@FORWARD_FOR@/, "option forwardfor"); print }' \
  scripts/cluster/haproxy.cfg.in >"$cfg"
haproxy -c -q -f "$cfg" || { echo "cluster.sh: haproxy rejects $cfg" >&2; exit 1; }
"${child[@]}" haproxy -db -f "$cfg" >>"$data/haproxy.log" 2>&1 &
pids+=($!); names+=("haproxy")
for _ in $(seq 100); do
  port_free "$port" || break
  kill -0 "${pids[-1]}" 2>/dev/null || { echo "cluster.sh: haproxy exited at start (see $data/haproxy.log)" >&2; exit 1; }
  sleep 0.1
done

hint=""; [ -n "$demo" ] && hint=" Demo users alice, bob, carol and dave, password password123."
echo "Uwitter cluster is running: open http://127.0.0.1:$port/ ($webs web instances behind HAProxy on" \
  "127.0.0.1:$((port + 1))-$((port + webs)), $notifiers notifiers on $urls, PostgreSQL on 127.0.0.1:$pgport;" \
  "logs in $data).$hint Ctrl-C stops it."
# Runs until Ctrl-C/TERM, or until one of the processes ends (then everything stops).
set +e
wait -n "${pids[@]}"
echo "cluster.sh: a process of the cluster exited; stopping the rest" >&2
exit 1
