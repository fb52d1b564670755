#!/usr/bin/env python3
"""The cluster benchmark, in one command (scripts/bench-cluster.sh builds and runs this).

On one PostgreSQL server (the "postgres" database URI in $UWITTER_BENCH_PG:
scripts/bench-cluster.sh starts a throwaway one with fsync on), interleaved in rounds
so every figure shares the same machine noise, with wrk -t1 -c50:

  hello        uwitter-hello direct, and through HAProxy (the yardstick: what a bare
               hello world loses to the hop)
  home         logged-in GET / (user0, who follows 100 users) straight to web
               instance A, through HAProxy with A as its only backend, and through
               HAProxy with A and B (roundrobin)
  post         POST /api/v1/uweets (bench/web/post.lua), the same three ways

HAProxy runs the cluster's own configuration (scripts/cluster/haproxy.cfg.in,
filled in as scripts/cluster.sh does). Beside the rates, from /proc: the CPU time
(utime + stime) the web instances, PostgreSQL (the postmaster and all its children)
and HAProxy spent over each measured wrk run, per request; and the resident memory
of a web instance on the seeded database, on one with the users only and on an
empty one (per cached user and per cached uweet).

Then (unless --followers 0) the notifier fan-out with two notifiers behind two fresh
web instances: each instance sends every event to both notifiers, each notifier
writes only to the SSE streams it holds (the ticket names one notifier per user);
per notifier: streams held, RSS per stream, CPU per event and per SSE event written
(an idle window's CPU subtracted), and how soon a token made on A works on B. Last
(unless --feed-posts 0) uwitter-feed-bench (cross-instance staleness, its own
PostgreSQL and instances) with its p50/p99 against the goal p99 < 50 ms.
Everything started is stopped in the end, whatever happens (and each child has a
parent-death signal).
"""
import argparse, ctypes, http.client, json, os, re, selectors, shutil, signal, socket, statistics, subprocess, sys
import tempfile, threading, time, urllib.error, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import api as run_api, pg_database, start, wrk  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def api(port, method, path, body=None, token=None):
    """run.py's api(), with a failure that says which request failed and what the server answered."""
    try:
        return run_api(port, method, path, body, token)
    except urllib.error.HTTPError as e:
        sys.exit(f"{method} http://127.0.0.1:{port}{path} answered {e.code}: {e.read()[:500].decode(errors='replace')}")
    except OSError as e:
        sys.exit(f"{method} http://127.0.0.1:{port}{path} failed: {e}")


def die_with_parent():
    """preexec_fn: the child gets SIGTERM if this script dies, even by SIGKILL."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def stat(pid):
    """(ppid, utime+stime, cutime+cstime) in seconds, from /proc/PID/stat; None once gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    f = s[s.rindex(")") + 2:].split()
    return int(f[1]), (int(f[11]) + int(f[12])) / TICK, (int(f[13]) + int(f[14])) / TICK


def cpu(pid):
    s = stat(pid)
    if s is None:
        sys.exit(f"process {pid} is gone")
    return s[1]


def pg_cpu(postmaster):
    """CPU seconds of the PostgreSQL server: the postmaster, its live children, and
    (through the postmaster's cutime/cstime) the children that already exited."""
    s = stat(postmaster)
    if s is None:
        sys.exit("the PostgreSQL postmaster is gone")
    total = s[1] + s[2]
    for d in os.listdir("/proc"):
        if d.isdigit():
            c = stat(int(d))
            if c and c[0] == postmaster:
                total += c[1]
    return total


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def haproxy_cfg(path, listen, sock, ports):
    """The cluster's template with its placeholders filled in as scripts/cluster.sh does."""
    with open(os.path.join(ROOT, "scripts", "cluster", "haproxy.cfg.in")) as f:
        t = f.read()
    servers = "".join(f"    server web{i + 1} 127.0.0.1:{p} check\n" for i, p in enumerate(ports))
    t = t.replace("\n@SERVERS@\n", "\n" + servers).replace("\n@SERVERS@", "\n" + servers)
    for k, v in {"LISTEN": listen, "STATS_SOCKET": sock, "INTER_MS": "500", "FALL": "2", "RISE": "1",
                 "FORWARD_FOR": "option forwardfor"}.items():
        t = t.replace(f"@{k}@", v)
    if "@" in re.sub(r"#.*", "", t):
        sys.exit(f"{path}: a placeholder of scripts/cluster/haproxy.cfg.in was left unfilled")
    with open(path, "w") as f:
        f.write(t)


def start_haproxy(tmp, name, ports, procs):
    """HAProxy in front of `ports`; returns (process, port) once every server is UP."""
    port = free_port()
    cfg, sock = os.path.join(tmp, f"haproxy-{name}.cfg"), os.path.join(tmp, f"haproxy-{name}.sock")
    haproxy_cfg(cfg, f"127.0.0.1:{port}", sock, ports)
    chk = subprocess.run(["haproxy", "-c", "-q", "-f", cfg], capture_output=True, text=True)
    if chk.returncode != 0:
        sys.exit(f"haproxy rejects {cfg}:\n{chk.stdout}{chk.stderr}")
    log = open(os.path.join(tmp, f"haproxy-{name}.log"), "w")
    p = subprocess.Popen(["haproxy", "-db", "-f", cfg], stdout=log, stderr=subprocess.STDOUT,
                         preexec_fn=die_with_parent)
    procs.append(p)
    deadline = time.time() + 20
    while time.time() < deadline:
        if p.poll() is not None:
            sys.exit(f"haproxy ({name}) exited at start: {open(log.name).read()[-2000:]}")
        up = 0
        try:
            c = socket.socket(socket.AF_UNIX)
            c.connect(sock)
            c.sendall(b"show stat\n")
            out = b""
            while chunk := c.recv(65536):
                out += chunk
            c.close()
            for row in out.decode().splitlines():
                f = row.split(",")
                if len(f) > 17 and f[0] == "uwitter" and f[1] not in ("BACKEND", "FRONTEND") and f[17] == "UP":
                    up += 1
        except OSError:
            pass
        if up == len(ports):
            return p, port
        time.sleep(0.1)
    sys.exit(f"haproxy ({name}) did not see its {len(ports)} server(s) UP within 20 s")


def notifier_metrics(port):
    """The notifier's /metrics as {name: value} (label-free series only)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as r:
        out = {}
        for line in r.read().decode().splitlines():
            f = line.split()
            if len(f) == 2 and not line.startswith("#"):
                out[f[0]] = float(f[1])
        return out


def start_notifier(argv, procs, log):
    """Starts a uwitter-notifier; returns (process, udp port, http port) once it listens on both."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, text=True, preexec_fn=die_with_parent)
    procs.append(p)
    ports = {}
    while len(ports) < 2:
        line = p.stdout.readline()
        if not line:
            sys.exit(f"uwitter-notifier exited at start: {open(log.name).read()[-2000:]}")
        m = re.match(r"listening (udp|http) \S+:(\d+)", line)
        if m:
            ports[m.group(1)] = int(m.group(2))
    return p, ports["udp"], ports["http"]


class Streams:
    """SSE streams on one selector: opens them, drains them, counts the "data:" lines."""

    def __init__(self):
        self.sel = selectors.DefaultSelector()
        self.events = 0
        self.closed = 0
        self.tail = {}

    def open(self, url):
        m = re.match(r"http://127\.0\.0\.1:(\d+)(/.*)", url)
        s = socket.create_connection(("127.0.0.1", int(m.group(1))))
        s.sendall(f"GET {m.group(2)} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode())
        s.setblocking(False)
        self.sel.register(s, selectors.EVENT_READ)
        self.tail[s] = b""
        return s

    def pump(self, seconds):
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            for key, _ in self.sel.select(min(left, 0.05)):
                s = key.fileobj
                try:
                    data = s.recv(262144)
                except BlockingIOError:
                    continue
                if not data:
                    self.sel.unregister(s)
                    s.close()
                    self.closed += 1
                    continue
                buf = self.tail[s] + data
                self.events += buf.count(b"\ndata: ")
                self.tail[s] = buf[-6:]

    def close(self):
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()
        self.sel.close()


def fanout(a, b, tmp, seeded, procs, postmaster):
    """Two notifiers behind two web instances (each instance sends every event to both;
    each notifier delivers only to the streams it holds). Returns the lines to print."""
    def cpu_all(ps):
        return [cpu(p.pid) for p in ps]

    keys, webs, ports = [], [], []
    for name in ("na", "nb"):
        d = os.path.join(tmp, name)
        os.makedirs(d)
        subprocess.run([f"{b}/sign/uwitter-keygen", "--out", os.path.join(d, "keys")], check=True,
                       capture_output=True)
        keys += ["--trust", os.path.join(d, "keys", "uwitter.pub")]
    notifiers = []
    for j in (1, 2):
        log = open(os.path.join(tmp, f"notifier-{j}.log"), "w")
        notifiers.append(start_notifier(
            [f"{b}/notifier-udp/uwitter-notifier", "--listen-udp", "127.0.0.1:0", "--listen-http", "127.0.0.1:0",
             "--db", seeded, "--allow", "127.0.0.0/8", "--max-subscribers", "100000",
             "--max-streams-per-address", "100000", "--max-streams-per-user", str(max(8, a.streams_per_user)),
             "--log-file", os.path.join(tmp, f"notifier-{j}.events")] + keys, procs, log))
    notify = ",".join(f"127.0.0.1:{n[1]}" for n in notifiers)
    urls = ",".join(f"http://127.0.0.1:{n[2]}" for n in notifiers)
    for name in ("na", "nb"):
        d = os.path.join(tmp, name)
        p, port = start([f"{b}/web/uwitter-web", "--listen", "127.0.0.1:0", "--data", d, "--db", seeded,
                         "--instance-name", name, "--post-rate", "off", "--signup-rate", "off",
                         "--trusted-proxy", "127.0.0.1", "--notify", notify, "--notifier-url", urls,
                         "--access-log", os.path.join(d, "access.log")],
                        stderr=open(os.path.join(d, "stderr.log"), "w"), preexec_fn=die_with_parent)
        procs.append(p)
        webs.append(p)
        ports.append(port)
    hap = start_haproxy(tmp, "fanout", ports, procs)
    poster = api(hap[1], "POST", "/api/v1/sessions", {"username": "user0", "password": "benchpassword"})["token"]

    def post_window(seconds, streams, rate):
        """Posts as user0 at --fanout-rate through HAProxy for `seconds` (one keep-alive connection,
        paced), draining the streams meanwhile; returns the deltas seen."""
        n0 = [notifier_metrics(n[2]) for n in notifiers]
        c0, w0, g0 = cpu_all([n[0] for n in notifiers]), cpu_all(webs), pg_cpu(postmaster)
        e0 = streams.events if streams else 0
        sent = [0]

        def run():
            conn = http.client.HTTPConnection("127.0.0.1", hap[1])
            start_t = time.monotonic()
            while (t := time.monotonic() - start_t) < seconds:
                due = int(t * rate) + 1 if rate else 0
                while sent[0] < due:
                    conn.request("POST", "/api/v1/uweets",
                                 body=json.dumps({"text": f"fan-out post {sent[0]} of the cluster bench"}),
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {poster}"})
                    r = conn.getresponse()
                    r.read()
                    if r.status != 201 and r.status != 200:
                        raise RuntimeError(f"POST answered {r.status}")
                    sent[0] += 1
                time.sleep(max(0.0, sent[0] / rate - (time.monotonic() - start_t)) if rate else 0.05)
            conn.close()

        th = threading.Thread(target=run)
        th.start()
        if streams:
            streams.pump(seconds + 1.0)  # and a second for the last fan-outs
        else:
            time.sleep(seconds + 1.0)
        th.join()
        n1 = [notifier_metrics(n[2]) for n in notifiers]
        c1, w1, g1 = cpu_all([n[0] for n in notifiers]), cpu_all(webs), pg_cpu(postmaster)
        d = lambda k, i: n1[i].get(k, 0) - n0[i].get(k, 0)  # noqa: E731
        idle_s = [x * (seconds + 1.0) for x in idle[0]] if idle else [0.0, 0.0]
        return {"posts": sent[0], "cpu": [c1[i] - c0[i] - idle_s[i] for i in (0, 1)],
                "web": sum(w1) - sum(w0), "pg": g1 - g0,
                "verified": [d("uwitter_notifier_verified_total", i) for i in (0, 1)],
                "delivered": [d("uwitter_notifier_notifications_delivered_total", i) for i in (0, 1)],
                "sent": [d("uwitter_notifier_sse_events_sent_total", i) for i in (0, 1)],
                "cutoffs": [d("uwitter_notifier_sse_slow_cutoffs_total", i) for i in (0, 1)],
                "read": (streams.events - e0) if streams else 0}

    lines = []
    # Followers: user1..userF follow user0 through the API (caches and change feed as in use);
    # each logs in (one password hash check each) and gets a ticket naming its notifier.
    # A session made on one instance reaches the other through the change feed (no wait at
    # login, unlike a logout): the delay until B accepts a token made on A is measured here,
    # and the rest of the set-up goes to A.
    t0 = time.monotonic()
    tickets, login_seen, refused = [], [], 0
    for i in range(1, a.followers + 1):
        tok = api(ports[0], "POST", "/api/v1/sessions", {"username": f"user{i}", "password": "benchpassword"})["token"]
        t1, tries = time.monotonic(), 0
        while True:
            try:
                run_api(ports[1], "GET", "/api/v1/me", token=tok)
                break
            except urllib.error.HTTPError as e:
                if e.code != 401 or time.monotonic() - t1 > 5:
                    sys.exit(f"a token made on A: GET /api/v1/me on B answered {e.code} for {time.monotonic() - t1:.1f} s")
                tries += 1
        refused += tries > 0
        login_seen.append(1000 * (time.monotonic() - t1))
        api(ports[0], "PUT", "/api/v1/users/user0/follow", token=tok)
        tickets.append(api(ports[0], "GET", "/api/v1/notifications/ticket", token=tok)["url"])
    setup_s = time.monotonic() - t0
    login_seen.sort()
    time.sleep(1)
    idle = []
    w = post_window(a.seconds, None, 0)  # nothing posted: heartbeats and timers, subtracted below
    idle.append([w["cpu"][i] / (a.seconds + 1.0) for i in (0, 1)])
    base = post_window(a.seconds, None, a.fanout_rate)  # every event verified, looked up, filed; no stream
    rss0 = [rss_kib(n[0].pid) for n in notifiers]
    streams = Streams()
    for url in tickets:
        for _ in range(a.streams_per_user):
            streams.open(url)
    streams.pump(2.0)
    subs = [notifier_metrics(n[2]).get("uwitter_notifier_subscribers", 0) for n in notifiers]
    rss1 = [rss_kib(n[0].pid) for n in notifiers]
    if sum(subs) != a.followers * a.streams_per_user:
        sys.exit(f"the notifiers hold {subs} streams, {a.followers * a.streams_per_user} were opened "
                 f"({streams.closed} closed)")
    wins = [post_window(a.seconds, streams, a.fanout_rate) for _ in range(a.rounds)]
    streams.close()

    per_event = [1e6 * base["cpu"][i] / max(1, base["verified"][i]) for i in (0, 1)]
    lines.append(f"{a.followers} followers of user0 (logged in, followed and ticketed on A in "
                 f"{setup_s:.1f} s), {a.streams_per_user} SSE streams each; user0 posts at {a.fanout_rate}/s "
                 f"through HAProxy to 2 web instances, each sending every event to both notifiers")
    lines.append(f"a login on A, then GET /api/v1/me on B at once and again until 200: accepted after p50 "
                 f"{login_seen[len(login_seen) // 2]:.2f} ms, p99 {login_seen[int(0.99 * (len(login_seen) - 1))]:.2f} ms,"
                 f" max {login_seen[-1]:.2f} ms; B answered 401 first for {refused} of {len(login_seen)} logins")
    lines.append("")
    lines.append("| | notifier 1 | notifier 2 |")
    lines.append("|---|---|---|")
    lines.append(f"| streams held (the ticket's choice, rendezvous hashing) | {subs[0]:.0f} | {subs[1]:.0f} |")
    lines.append(f"| RSS before / after opening them, MiB | {rss0[0] / 1024:.1f} / {rss1[0] / 1024:.1f} | "
                 f"{rss0[1] / 1024:.1f} / {rss1[1] / 1024:.1f} |")
    lines.append(f"| RSS per open stream, B | {1024 * (rss1[0] - rss0[0]) / max(1, subs[0]):.0f} | "
                 f"{1024 * (rss1[1] - rss0[1]) / max(1, subs[1]):.0f} |")
    lines.append(f"| no streams open: events verified / inbox deliveries / CPU per event (verify, follower read, "
                 f"{a.followers} inbox entries), µs | {base['verified'][0]:.0f} / {base['delivered'][0]:.0f} / "
                 f"{per_event[0]:.0f} | {base['verified'][1]:.0f} / {base['delivered'][1]:.0f} / {per_event[1]:.0f} |")
    per_del = [[], []]
    for w in wins:
        for i in (0, 1):
            if w["sent"][i] > 0:
                per_del[i].append(1e6 * (w["cpu"][i] - per_event[i] * 1e-6 * w["verified"][i]) / w["sent"][i])
    for r, w in enumerate(wins):
        lines.append(f"| round {r + 1}: events verified / inbox deliveries / SSE events written / CPU s | "
                     f"{w['verified'][0]:.0f} / {w['delivered'][0]:.0f} / {w['sent'][0]:.0f} / {w['cpu'][0]:.2f} | "
                     f"{w['verified'][1]:.0f} / {w['delivered'][1]:.0f} / {w['sent'][1]:.0f} / {w['cpu'][1]:.2f} |")
    lines.append("| CPU per SSE event written to a stream, µs (beyond the per-event cost; median of rounds) | "
                 + " | ".join(f"{statistics.median(x):.1f}" if x else "–" for x in per_del) + " |")
    lines.append(f"| idle CPU (nothing posted: heartbeats, timers), ms/s, subtracted above | {1000 * idle[0][0]:.1f} | "
                 f"{1000 * idle[0][1]:.1f} |")
    lines.append("| slow-reader cut-offs | " + " | ".join(f"{sum(w['cutoffs'][i] for w in wins):.0f}"
                                                       for i in (0, 1)) + " |")
    posts = sum(w["posts"] for w in wins)
    sent = sum(sum(w["sent"]) for w in wins)
    inbox = sum(sum(w["delivered"]) for w in wins)
    read = sum(w["read"] for w in wins)
    lines.append("")
    lines.append(f"posts {posts}; SSE events written {sent:.0f} (posts x streams = "
                 f"{posts * a.followers * a.streams_per_user}), read by the client {read}; inbox deliveries {inbox:.0f} "
                 f"(every notifier files every follower's notification: posts x followers x 2 = "
                 f"{posts * a.followers * 2})")
    return lines


def stop_all(procs):
    """Stops every process in procs (SIGTERM, then SIGKILL after 20 s) and empties the list."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    procs.clear()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build-bench", help="build folder with the programs")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5, help="wrk duration per measurement")
    ap.add_argument("--users", type=int, default=10000)
    ap.add_argument("--uweets", type=int, default=100000)
    ap.add_argument("--follows", type=int, default=100, help="how many users user0 follows")
    ap.add_argument("--feed-posts", type=int, default=500, help="uwitter-feed-bench --posts (0: skip it)")
    ap.add_argument("--feed-logouts", type=int, default=100)
    ap.add_argument("--followers", type=int, default=200, help="notifier fan-out: followers of the poster (0: skip it)")
    ap.add_argument("--streams-per-user", type=int, default=5, help="notifier fan-out: SSE streams per follower")
    ap.add_argument("--fanout-rate", type=int, default=20, help="notifier fan-out: posts per second")
    a = ap.parse_args()
    b = a.build
    pg_server = os.environ.get("UWITTER_BENCH_PG", "")
    if not pg_server:
        sys.exit("needs $UWITTER_BENCH_PG (a PostgreSQL server's postgres database URI); "
                 "scripts/bench-cluster.sh starts one")
    for tool in ("wrk", "haproxy", "psql"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed (.ci/install-deps installs it)")
    for prog in ("web/uwitter-web", "bench/hello/uwitter-hello", "bench/web/uwitter-seed"):
        if not os.access(os.path.join(b, prog), os.X_OK):
            sys.exit(f"{b}/{prog} is missing: build it first (scripts/bench-cluster.sh does)")
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
          f"{' '.join(open('/proc/loadavg').read().split()[:3])}, {os.cpu_count()} cores", flush=True)
    tmp = tempfile.mkdtemp(prefix="uwitter-bench-cluster-")
    procs = []
    try:
        def psql(uri, sql):
            return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", uri, "-c", sql],
                                  check=True, capture_output=True, text=True).stdout.strip()

        # The checkpointer lives as long as the server; its parent is the postmaster.
        checkpointer = int(psql(pg_server, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'"))
        postmaster = stat(checkpointer)[0] if stat(checkpointer) else 0
        if not postmaster or stat(postmaster) is None:
            sys.exit("cannot find the PostgreSQL postmaster in /proc (is the server on this machine?)")

        print(f"seeding {a.users} users, {a.uweets} uweets, {a.follows} follows of user0 into PostgreSQL ...",
              flush=True)
        seeded = pg_database(pg_server, "uwitter")
        users_only = pg_database(pg_server, "uwitter_users")
        empty = pg_database(pg_server, "uwitter_empty")
        for uri, uweets in ((seeded, a.uweets), (users_only, 0)):
            subprocess.run([f"{b}/bench/web/uwitter-seed", "--db", uri, "--users", str(a.users),
                            "--uweets", str(uweets), "--follows", str(a.follows)], check=True)
            psql(uri, "VACUUM ANALYZE")

        def web(name, uri):
            d = os.path.join(tmp, name)
            os.makedirs(d)
            p, port = start([f"{b}/web/uwitter-web", "--listen", "127.0.0.1:0", "--data", d, "--db", uri,
                             "--instance-name", name, "--post-rate", "off", "--signup-rate", "off",
                             "--trusted-proxy", "127.0.0.1", "--access-log", os.path.join(d, "access.log")],
                            stderr=open(os.path.join(d, "stderr.log"), "w"), preexec_fn=die_with_parent)
            procs.append(p)
            return p, port

        # Memory first, on instances that have served nothing yet: the same program on the
        # seeded database, on the users alone, and on an empty one (the schema only).
        web_a, port_a = web("a", seeded)
        web_u, _ = web("users", users_only)
        web_e, _ = web("empty", empty)
        time.sleep(1)
        rss = {"a": rss_kib(web_a.pid), "users": rss_kib(web_u.pid), "empty": rss_kib(web_e.pid)}
        for p in (web_u, web_e):
            p.terminate()
            p.wait(timeout=20)
        web_b, port_b = web("b", seeded)

        hello = start([f"{b}/bench/hello/uwitter-hello", "--listen", "127.0.0.1:0"], preexec_fn=die_with_parent)
        procs.append(hello[0])
        h_hello = start_haproxy(tmp, "hello", [hello[1]], procs)
        h_one = start_haproxy(tmp, "one", [port_a], procs)
        h_two = start_haproxy(tmp, "two", [port_a, port_b], procs)

        reader = api(port_a, "POST", "/api/v1/sessions", {"username": "user0", "password": "benchpassword"})["token"]
        writer = api(port_a, "POST", "/api/v1/sessions", {"username": "user1", "password": "benchpassword"})["token"]
        # A session made on A is one of the shared database's: B and HAProxy's routes accept it.
        api(port_b, "GET", "/api/v1/me", token=reader)
        post_env = dict(os.environ, UW_TOKEN=writer)
        post_lua = os.path.join(HERE, "post.lua")

        # (key, target port, kind, processes whose CPU counts as "web", haproxy process or None)
        runs = [("hello", hello[1], "hello", [hello[0]], None),
                ("hello_h", h_hello[1], "hello", [hello[0]], h_hello[0]),
                ("home", port_a, "home", [web_a], None),
                ("home_h1", h_one[1], "home", [web_a], h_one[0]),
                ("home_h2", h_two[1], "home", [web_a, web_b], h_two[0]),
                ("post", port_a, "post", [web_a], None),
                ("post_h1", h_one[1], "post", [web_a], h_one[0]),
                ("post_h2", h_two[1], "post", [web_a, web_b], h_two[0])]
        # (req/s, p99 ms, web CPU us/req, PG CPU us/req, HAProxy CPU us/req, B's CPU us/req)
        res = {r[0]: [] for r in runs}
        for r in range(a.rounds):
            print(f"round {r + 1}/{a.rounds}", flush=True)
            for key, port, kind, webs, hap in (runs if r % 2 == 0 else runs[::-1]):
                w0 = sum(cpu(p.pid) for p in webs)
                g0 = pg_cpu(postmaster)
                h0 = cpu(hap.pid) if hap else 0.0
                b0 = cpu(web_b.pid)
                if kind == "post":
                    rps, p99 = wrk(f"http://127.0.0.1:{port}/", a.seconds, script=post_lua, env=post_env)
                elif kind == "home":
                    rps, p99 = wrk(f"http://127.0.0.1:{port}/", a.seconds, headers=[f"Cookie: uw_session={reader}"])
                else:
                    rps, p99 = wrk(f"http://127.0.0.1:{port}/", a.seconds)
                n = rps * a.seconds  # requests answered (wrk's rate is its count over its own duration)
                w1 = sum(cpu(p.pid) for p in webs)
                g1 = pg_cpu(postmaster)
                h1 = cpu(hap.pid) if hap else 0.0
                b1 = cpu(web_b.pid)
                res[key].append((rps, p99, 1e6 * (w1 - w0) / n, 1e6 * (g1 - g0) / n, 1e6 * (h1 - h0) / n,
                                 1e6 * (b1 - b0) / n))
        rss_after = rss_kib(web_a.pid)

        def med(key, i):
            return statistics.median(x[i] for x in res[key])

        print()
        print("| measurement | median req/s | ratio to direct | p99 ms | all rounds (req/s) |")
        print("|---|---|---|---|---|")
        rows = [("hello world, direct (yardstick)", "hello", None),
                ("hello world, through HAProxy", "hello_h", "hello"),
                ("GET / logged in, direct to A", "home", None),
                ("GET / logged in, HAProxy → A", "home_h1", "home"),
                ("GET / logged in, HAProxy → A + B", "home_h2", "home"),
                ("POST /api/v1/uweets, direct to A", "post", None),
                ("POST /api/v1/uweets, HAProxy → A", "post_h1", "post"),
                ("POST /api/v1/uweets, HAProxy → A + B", "post_h2", "post")]
        for name, k, y in rows:
            ratio = f"{100 * med(k, 0) / med(y, 0):.0f}%" if y else ""
            runs_s = ", ".join(f"{x[0]:.0f}" for x in res[k])
            print(f"| {name} | {med(k, 0):.0f} | {ratio} | {med(k, 1):.2f} | {runs_s} |")

        print()
        print("CPU per request (utime + stime over each measured wrk run / requests; medians, µs):")
        print()
        print("| run | web instance(s) served | B when not served (applying A's changes) | PostgreSQL (all its "
              "processes) | HAProxy | all rounds (web / PostgreSQL) |")
        print("|---|---|---|---|---|---|")
        for name, k, _ in rows:
            hap = f"{med(k, 4):.0f}" if k.endswith(("_h", "_h1", "_h2")) else ""
            pg = f"{med(k, 3):.0f}" if not k.startswith("hello") else ""
            runs_s = ", ".join(f"{x[2]:.0f} / {x[3]:.0f}" for x in res[k])
            peer = f"{med(k, 5):.0f}" if k in ("home", "home_h1", "post", "post_h1") else ""
            print(f"| {name} | {med(k, 2):.0f} | {peer} | {pg} | {hap} | {runs_s} |")

        print()
        per_user = 1024 * (rss["users"] - rss["empty"]) / a.users
        per_uweet = 1024 * (rss["a"] - rss["users"]) / a.uweets if a.uweets else 0
        print("Resident memory of one uwitter-web, just started (its caches loaded), nothing served yet:")
        print(f"  empty database {rss['empty'] / 1024:.1f} MiB; {a.users} users ({a.follows} follows in all) "
              f"{rss['users'] / 1024:.1f} MiB; the same and {a.uweets} uweets {rss['a'] / 1024:.1f} MiB")
        print(f"  per cached user {per_user:.0f} B; per cached uweet {per_uweet:.0f} B; per user with "
              f"{a.uweets / a.users:.0f} uweets {per_user + per_uweet * a.uweets / a.users:.0f} B")
        print(f"  instance A after the rounds (it took every post sent to it): {rss_after / 1024:.1f} MiB")

        stop_all(procs)  # what follows starts its own instances: the machine to itself

        if a.followers:
            print()
            print("notifier fan-out with 2 notifiers:", flush=True)
            for line in fanout(a, b, tmp, seeded, procs, postmaster):
                print(line)
            stop_all(procs)

        if a.feed_posts:
            print()
            print(f"cross-instance staleness: {b}/bench/feed/uwitter-feed-bench --web-bin {b}/web/uwitter-web "
                  f"--posts {a.feed_posts} --logouts {a.feed_logouts}", flush=True)
            fb = subprocess.run([f"{b}/bench/feed/uwitter-feed-bench", "--web-bin", f"{b}/web/uwitter-web",
                                 "--posts", str(a.feed_posts), "--logouts", str(a.feed_logouts)],
                                capture_output=True, text=True, preexec_fn=die_with_parent)
            out = fb.stdout
            if fb.returncode != 0:
                sys.exit(f"uwitter-feed-bench failed (status {fb.returncode}):\n{out}{fb.stderr[-3000:]}")
            for line in out.splitlines():
                if "_bucket" not in line:
                    print("  " + line.strip())
            m = re.search(r"p50 ([\d.]+) ms\s+p90 ([\d.]+) ms\s+p99 ([\d.]+) ms", out)
            if m:
                p99 = float(m.group(3))
                print(f"  => visibility p50 {m.group(1)} ms, p99 {m.group(3)} ms "
                      f"({'meets' if p99 < 50 else 'misses'} the goal p99 < 50 ms)")
        print()
        print(f"load average at the end: {' '.join(open('/proc/loadavg').read().split()[:3])}")
    finally:
        stop_all(procs)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # the finally above has stopped everything
        sys.exit("interrupted: every process this run started is stopped")
