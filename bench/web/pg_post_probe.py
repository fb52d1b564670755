#!/usr/bin/env python3
"""Where a POST /api/v1/uweets on PostgreSQL spends its time (docs/PERFORMANCE.md).

Runs beside a PostgreSQL server whose "postgres" database URI is in $UWITTER_BENCH_PG
(uwitter-with-postgres --fsync --server UWITTER_BENCH_PG -- python3 bench/web/pg_post_probe.py ...).
For each round: a uwitter-web on a freshly seeded database takes `wrk -c50` posts for
--seconds, and the 50-client single-row-insert yardstick (uwitter-insert-bench) runs
right after on the same server. Printed per round, from /metrics (the writer's
histograms), /proc (CPU per thread of uwitter-web, CPU of every server process) and
pg_stat_database (transactions): posts/s, p99, posts per batch, time queued before
a batch, BEGIN / jobs / COMMIT per batch, CPU per post on each side; and the same
CPU per row for the yardstick.

--build takes several folders (say, this build and a baseline's): each round
runs each of them, in alternating order.
"""
import argparse, os, re, statistics, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import api, pg_database, start, wrk  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid, task=None):
    path = f"/proc/{pid}/task/{task}/stat" if task else f"/proc/{pid}/stat"
    try:
        with open(path) as f:
            s = f.read()
    except OSError:
        return 0.0
    fields = s[s.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def threads(pid):
    out = {}
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        out[name] = out.get(name, 0.0) + cpu_s(pid, t)
    return out


def psql(uri, sql):
    return subprocess.run(["psql", "-X", "-q", "-At", uri, "-c", sql], capture_output=True, text=True,
                          check=True).stdout.split()


def server_pids(uri):
    """The postmaster and every process it started (backends, WAL writer, checkpointer...)."""
    pid = int(psql(uri, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")[0])
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    post = int(s[s.rindex(")") + 2:].split()[1])
    kids = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    s = f.read()
            except OSError:
                continue
            if int(s[s.rindex(")") + 2:].split()[1]) == post:
                kids.append(int(p))
    return [post] + kids


def server_cpu(uri):
    # Processes come and go (a connection each); the exited ones are missed, so
    # the yardstick's figure includes only backends alive at the second look:
    # its backends are sampled while it runs.
    return {p: cpu_s(p) for p in server_pids(uri)}


def delta_cpu(before, after):
    return sum(v - before.get(p, 0.0) for p, v in after.items())


def histo(text, name):
    s = re.search(rf"^{name}_sum(?:{{[^}}]*}})? ([\d.e+-]+)$", text, re.M)
    c = re.search(rf"^{name}_count(?:{{[^}}]*}})? (\d+)$", text, re.M)
    return (float(s.group(1)) if s else 0.0, int(c.group(1)) if c else 0)


def buckets(text, name):
    """Cumulative bucket counts by upper bound, summed over the label sets."""
    out = {}
    for m in re.finditer(rf'^{name}_bucket{{(?:[^}}]*,)?le="([^"]+)"}} (\d+)$', text, re.M):
        out[m.group(1)] = out.get(m.group(1), 0) + int(m.group(2))
    return out


def metrics(port):
    import urllib.request
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as r:
        return r.read().decode()


CHECKPOINTS = "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter"
NAMES = ["batch_size", "queued_seconds", "begin_seconds", "batch_run_seconds", "commit_seconds"]


def probe_web(build, seeder, server, name, seconds, users, uweets, extra, sql=""):
    uri = pg_database(server, name)
    subprocess.run([f"{seeder}/bench/web/uwitter-seed", "--db", uri, "--users", str(users), "--uweets",
                    str(uweets), "--follows", "10"], check=True, stdout=subprocess.DEVNULL)
    if sql:
        psql(uri, sql)
    data = f"/tmp/{name}-data"
    os.makedirs(data, exist_ok=True)
    web, port = start([f"{build}/web/uwitter-web", "--listen", "127.0.0.1:0", "--data", data, "--db", uri,
                       "--post-rate", "off", "--access-log", f"{data}/access.log"] + extra,
                      stderr=subprocess.DEVNULL)
    try:
        token = api(port, "POST", "/api/v1/sessions", {"username": "user1", "password": "benchpassword"})["token"]
        m0, w0, s0 = metrics(port), threads(web.pid), server_cpu(server)
        x0 = int(psql(uri, f"SELECT xact_commit FROM pg_stat_database WHERE datname = '{name}'")[0])
        c0 = int(psql(uri, CHECKPOINTS)[0])
        t0 = time.time()
        rps, p99 = wrk(f"http://127.0.0.1:{port}/", seconds,
                       script=os.path.join(os.path.dirname(os.path.abspath(__file__)), "post.lua"),
                       env=dict(os.environ, UW_TOKEN=token))
        wall = time.time() - t0
        m1, w1, s1 = metrics(port), threads(web.pid), server_cpu(server)
        x1 = int(psql(uri, f"SELECT xact_commit FROM pg_stat_database WHERE datname = '{name}'")[0])
        c1 = int(psql(uri, CHECKPOINTS)[0])
    finally:
        web.terminate()
        web.wait(timeout=20)
    h = {n: tuple(b - a for a, b in zip(histo(m0, "uwitter_writer_" + n), histo(m1, "uwitter_writer_" + n)))
         for n in NAMES}
    batches = max(1, h["batch_size"][1])
    posts = h["batch_size"][0]
    out = {"rps": rps, "p99": p99, "posts": posts, "batches": batches, "per_batch": posts / batches,
           "xacts": x1 - x0, "checkpoints": c1 - c0, "wall": wall,
           "queued_ms": 1000 * h["queued_seconds"][0] / max(1, h["queued_seconds"][1]),
           "begin_ms": 1000 * h["begin_seconds"][0] / batches,
           "run_ms": 1000 * (h["batch_run_seconds"][0] - h["begin_seconds"][0]) / batches,
           "commit_ms": 1000 * h["commit_seconds"][0] / batches,
           "server_us": 1e6 * delta_cpu(s0, s1) / max(1, posts),
           "server_cores": delta_cpu(s0, s1) / wall}
    for n in ("queued_seconds", "batch_run_seconds", "commit_seconds"):
        b0, b1 = buckets(m0, "uwitter_writer_" + n), buckets(m1, "uwitter_writer_" + n)
        out[n + "_cum"] = " ".join(f"{le}:{b1[le] - b0.get(le, 0)}" for le in b1)
    # The web app's own view (first byte to response), all routes: wrk's p99
    # also has wrk's and the kernel's waits in it.
    b0, b1 = buckets(m0, "http_request_duration_seconds"), buckets(m1, "http_request_duration_seconds")
    out["http_seconds_cum"] = " ".join(f"{le}:{b1[le] - b0.get(le, 0)}" for le in b1)
    for t in sorted(w1):
        out[f"web:{t}_us"] = 1e6 * (w1[t] - w0.get(t, 0.0)) / max(1, posts)
    return out


def probe_insert(build, server, name, clients, rows):
    uri = pg_database(server, name)
    p = subprocess.Popen([f"{build}/bench/web/uwitter-insert-bench", "--db", uri, "--rows", str(rows),
                          "--clients", str(clients)], stdout=subprocess.PIPE, text=True)
    s0 = server_cpu(server)
    time.sleep(0.5)
    s_mid = server_cpu(server)  # the yardstick's backends, alive now
    out = p.communicate()[0].split()
    s1 = {pid: cpu_s(pid) for pid in s_mid}
    for pid, v in s_mid.items():  # exited backends: count what they had at the second look
        if s1[pid] == 0.0:
            s1[pid] = v
    rate, p99 = float(out[1]), float(out[3])
    return {"rps": rate, "p99": p99, "server_us_lower_bound": 1e6 * delta_cpu(s0, s1) / rows}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", nargs="+", default=["build"],
                    help="build folders with uwitter-web; the first one's seed and yardstick tools are used")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--uweets", type=int, default=2000)
    ap.add_argument("--rows", type=int, default=10000, help="rows of the insert yardstick")
    ap.add_argument("--web-args", default="", help="extra uwitter-web arguments")
    ap.add_argument("--sql", nargs="+", default=[""],
                    help="statements run on the seeded database before the web app starts (say, an index "
                         "setting); with several, each round runs the build with each, as variants")
    a = ap.parse_args()
    server = os.environ.get("UWITTER_BENCH_PG") or sys.exit("needs $UWITTER_BENCH_PG")
    res = {}
    for r in range(a.rounds):
        order = a.build if r % 2 == 0 else a.build[::-1]
        variants = [(b, q) for b in order for q in (a.sql if r % 2 == 0 else a.sql[::-1])]
        for b, q in variants:
            k = a.build.index(b)
            key = f"post[{k}]" + (f"[sql {a.sql.index(q)}]" if len(a.sql) > 1 else "")
            res.setdefault(key, []).append(
                probe_web(b, a.build[0], server, f"probe{r}_{k}_{a.sql.index(q)}", a.seconds, a.users, a.uweets,
                          a.web_args.split(), q))
        res.setdefault("insert", []).append(probe_insert(a.build[0], server, f"probeins{r}", 50, a.rows))
        for k, v in res.items():
            print(f"round {r + 1} {k}: " + ", ".join(f"{n} {x:.2f}" if isinstance(x, float) else f"{n} {x}"
                                                      for n, x in v[-1].items()), flush=True)
    print()
    for k, v in res.items():
        med = {n: statistics.median(x[n] for x in v) for n in v[0] if not isinstance(v[0][n], str)}
        print(f"median {k}: " + ", ".join(f"{n} {x:.2f}" for n, x in med.items()))
    for k in res:
        if k.startswith("post"):
            ratios = [p["rps"] / y["rps"] for p, y in zip(res[k], res["insert"])]
            print(f"{k} / insert yardstick, round by round: " + ", ".join(f"{100 * x:.0f}%" for x in ratios)
                  + f"; median {100 * statistics.median(ratios):.0f}%")


if __name__ == "__main__":
    main()
