#!/usr/bin/env python3
"""The web app benchmark, in one command (scripts/bench-web.sh builds and runs this).

Measures, interleaved in rounds so every figure shares the same machine noise:
  hello      the libuv + http_parser hello-world server (yardstick for GETs)
  anon       GET / anonymous (public timeline, 50 uweets)
  home       GET / logged in as user0, who follows 100 of 10,000 users (1,000,000 uweets)
  post       POST /api/v1/uweets (each acknowledged after its commit)
  insert     raw SQLite: one uweet per transaction through the same schema (yardstick for posts)
with wrk -t1 -c50 and prints medians, ratios and p99 latencies as a Markdown table.

--db postgresql also runs a uwitter-web on PostgreSQL (the server whose "postgres"
database URI is in $UWITTER_BENCH_PG: scripts/bench-web.sh --db postgresql starts a
throwaway one with fsync on), seeded with the same data, and measures anon, home and
post on it in the same rounds, with its own yardstick: one single-row INSERT per
transaction from 50 concurrent libpq clients (uwitter-insert-bench --clients 50).
The table then gives POST on PostgreSQL as a ratio of that yardstick, and logged-in
GET / on PostgreSQL as a ratio of the SQLite-backed figure.

--baseline BUILD also runs a second uwitter-web, from another build folder (say, of
an older commit), on a copy of the same seeded data, and measures anon, home and
post on it in the same rounds: the table then gives each figure of this build as a
ratio of the baseline's, for before/after comparisons that share the same noise.
With --db postgresql the baseline runs on PostgreSQL too, on a copy of the seeded
database (CREATE DATABASE ... TEMPLATE).

--only post measures only the posts and their yardsticks (no GETs, no hello world).
"""
import argparse, json, os, re, shutil, statistics, subprocess, sys, tempfile, time, urllib.request


def start(argv, **kw):
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, **kw)
    deadline = time.time() + 60
    while time.time() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        m = re.match(r"listening http (\S+):(\d+)", line)
        if m:
            return p, int(m.group(2))
    p.kill()
    sys.exit(f"{argv[0]} did not print its listening line")


def wrk(url, seconds, script=None, env=None, headers=()):
    cmd = ["wrk", "-t1", "-c50", f"-d{seconds}s", "--latency"]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, env=env, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        sys.exit(f"wrk saw {non2xx.group(1)} error responses from {url}:\n{out}")
    return rps, float(p99.group(1)) * scale


def pg_database(server_uri, name):
    """Creates database `name` on the server (psql) and returns its URI."""
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", server_uri, "-c", f'CREATE DATABASE "{name}"'],
                   check=True, stdout=subprocess.DEVNULL)
    return server_uri.rsplit("/", 1)[0] + "/" + name


def api(port, method, path, body=None, token=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build-bench", help="build folder with the programs")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=8, help="wrk duration per measurement")
    ap.add_argument("--users", type=int, default=10000)
    ap.add_argument("--uweets", type=int, default=1000000)
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite",
                    help="postgresql: also measure a uwitter-web on PostgreSQL ($UWITTER_BENCH_PG)")
    ap.add_argument("--pg-clients", type=int, default=50, help="connections of the PostgreSQL insert yardstick")
    ap.add_argument("--baseline", help="build folder of a uwitter-web to compare against, in the same rounds")
    ap.add_argument("--only", choices=["all", "post"], default="all",
                    help="post: only POST /api/v1/uweets and the insert yardsticks")
    ap.add_argument("--baseline-args", default="",
                    help="extra flags for the baseline uwitter-web (one from before --post-rate existed takes none)")
    a = ap.parse_args()
    b = a.build
    pg_server = os.environ.get("UWITTER_BENCH_PG", "")
    if a.db == "postgresql" and not pg_server:
        sys.exit("--db postgresql needs $UWITTER_BENCH_PG (a server's postgres database URI); "
                 "scripts/bench-web.sh --db postgresql starts one")
    tmp = tempfile.mkdtemp(prefix="uwitter-bench-web-")
    procs = []
    try:
        data = os.path.join(tmp, "data")
        os.makedirs(data)
        print(f"seeding {a.users} users and {a.uweets} uweets ...", flush=True)
        subprocess.run([f"{b}/bench/web/uwitter-seed", "--db", f"{data}/uwitter.db", "--users", str(a.users),
                        "--uweets", str(a.uweets), "--follows", "100"], check=True)
        if a.baseline:  # the same data for both, copied before either opens it
            shutil.copytree(data, os.path.join(tmp, "data-baseline"))
        pg_uri = ""
        if a.db == "postgresql":
            pg_uri = pg_database(pg_server, "uwitter")
            print(f"seeding the same into PostgreSQL ...", flush=True)
            subprocess.run([f"{b}/bench/web/uwitter-seed", "--db", pg_uri, "--users", str(a.users),
                            "--uweets", str(a.uweets), "--follows", "100"], check=True)
            subprocess.run(["psql", "-X", "-q", pg_uri, "-c", "VACUUM ANALYZE"], check=True, stdout=subprocess.DEVNULL)
            os.makedirs(os.path.join(tmp, "data-pg"))
            if a.baseline:  # a copy of the seeded database for the baseline's PostgreSQL web
                subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", pg_server, "-c",
                                'CREATE DATABASE "uwitter_base" TEMPLATE "uwitter"'],
                               check=True, stdout=subprocess.DEVNULL)
                pg_base_uri = pg_server.rsplit("/", 1)[0] + "/uwitter_base"
                os.makedirs(os.path.join(tmp, "data-pg-baseline"))
        hello, hello_port = start([f"{b}/bench/hello/uwitter-hello", "--listen", "127.0.0.1:0"])
        procs.append(hello)
        post_lua = os.path.join(os.path.dirname(os.path.abspath(__file__)), "post.lua")
        ours = ["--post-rate", "off"]
        webs = [("", b, data, ours)]
        if a.baseline:
            webs.append(("base_", a.baseline, os.path.join(tmp, "data-baseline"), a.baseline_args.split()))
        if pg_uri:
            webs.append(("pg_", b, os.path.join(tmp, "data-pg"), ours + ["--db", pg_uri]))
            if a.baseline:
                webs.append(("base_pg_", a.baseline, os.path.join(tmp, "data-pg-baseline"),
                             a.baseline_args.split() + ["--db", pg_base_uri]))
        targets = []
        for prefix, build, d, extra in webs:
            # The access log goes to a real file, as in production (it is written off the loop).
            # --post-rate off: the post measurement is one user posting as fast as it can.
            web, port = start([f"{build}/web/uwitter-web", "--listen", "127.0.0.1:0", "--data", d,
                               "--access-log", os.path.join(tmp, prefix + "access.log")] + extra,
                              stderr=subprocess.DEVNULL)
            procs.append(web)
            reader = api(port, "POST", "/api/v1/sessions", {"username": "user0", "password": "benchpassword"})["token"]
            writer = api(port, "POST", "/api/v1/sessions", {"username": "user1", "password": "benchpassword"})["token"]
            targets.append((prefix, port, reader, dict(os.environ, UW_TOKEN=writer)))
        res = {k: [] for k in ("hello", "anon", "home", "post", "insert", "base_anon", "base_home", "base_post",
                               "pg_anon", "pg_home", "pg_post", "pg_insert",
                               "base_pg_anon", "base_pg_home", "base_pg_post")}
        gets = a.only == "all"
        for r in range(a.rounds):
            print(f"round {r + 1}/{a.rounds}", flush=True)
            if gets:
                res["hello"].append(wrk(f"http://127.0.0.1:{hello_port}/", a.seconds))
            for prefix, port, reader, env in (targets if r % 2 == 0 else targets[::-1]):
                if gets:
                    res[prefix + "anon"].append(wrk(f"http://127.0.0.1:{port}/", a.seconds))
                    res[prefix + "home"].append(wrk(f"http://127.0.0.1:{port}/", a.seconds,
                                                    headers=[f"Cookie: uw_session={reader}"]))
                res[prefix + "post"].append(wrk(f"http://127.0.0.1:{port}/", a.seconds, script=post_lua, env=env))
            out = subprocess.run([f"{b}/bench/web/uwitter-insert-bench", "--db", f"{tmp}/insert-{r}.db",
                                  "--rows", "20000"], capture_output=True, text=True, check=True).stdout
            res["insert"].append((float(out.split()[1]), 0.0))
            if pg_uri:
                out = subprocess.run([f"{b}/bench/web/uwitter-insert-bench", "--db",
                                      pg_database(pg_server, f"insert{r}"), "--rows", "20000",
                                      "--clients", str(a.pg_clients)],
                                     capture_output=True, text=True, check=True).stdout.split()
                res["pg_insert"].append((float(out[1]), float(out[3])))
        med = {k: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v)) for k, v in res.items() if v}
        print()
        print("| measurement | median req/s | ratio | yardstick | p99 ms | all rounds: req/s (p99) |")
        print("|---|---|---|---|---|---|")
        rows = [("hello world (yardstick)", "hello", None), ("GET / anonymous", "anon", "hello"),
                ("GET / logged in (100 followees, 1M uweets)", "home", "hello"),
                ("POST /api/v1/uweets", "post", "insert"), ("raw SQLite insert, 1 row/txn (yardstick)", "insert", None)]
        if pg_uri:
            rows += [("GET / anonymous, PostgreSQL", "pg_anon", "anon"),
                     ("GET / logged in, PostgreSQL", "pg_home", "home"),
                     ("POST /api/v1/uweets, PostgreSQL", "pg_post", "pg_insert"),
                     (f"raw PostgreSQL insert, 1 row/txn, {a.pg_clients} clients (yardstick)", "pg_insert", None)]
        rows = [row for row in rows if row[1] in med and (row[2] is None or row[2] in med)]
        for name, k, y in rows:
            ratio = f"{100 * med[k][0] / med[y][0]:.0f}%" if y else ""
            p99 = f"{med[k][1]:.2f}" if k != "insert" else ""
            runs = ", ".join(f"{x[0]:.0f}" + (f" ({x[1]:.1f} ms)" if k != "insert" else "") for x in res[k])
            print(f"| {name} | {med[k][0]:.0f} | {ratio} | {y or ''} | {p99} | {runs} |")
        if a.baseline:
            print()
            print(f"this build against the baseline ({a.baseline}), same rounds:")
            print()
            print("| measurement | median req/s | baseline req/s | ratio | p99 ms | baseline p99 ms |")
            print("|---|---|---|---|---|---|")
            for name, k, _ in rows:
                if "base_" + k not in med:
                    continue
                n, o = med[k], med["base_" + k]
                print(f"| {name} | {n[0]:.0f} | {o[0]:.0f} | {100 * n[0] / o[0]:.0f}% | {n[1]:.2f} | {o[1]:.2f} |")
            if "base_pg_post" in med:
                print()
                print("POST on PostgreSQL against the 50-client insert yardstick, round by round "
                      "(this build, baseline):")
                for i, (y, n, o) in enumerate(zip(res["pg_insert"], res["pg_post"], res["base_pg_post"])):
                    print(f"  round {i + 1}: insert {y[0]:.0f}/s; this build {n[0]:.0f}/s = {100 * n[0] / y[0]:.0f}% "
                          f"(p99 {n[1]:.2f} ms); baseline {o[0]:.0f}/s = {100 * o[0] / y[0]:.0f}% (p99 {o[1]:.2f} ms)")
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=20)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
