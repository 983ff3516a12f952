#!/usr/bin/env python3
"""The checks of tests/cli/serve_pg.sh beyond the server suite: several
`hearth serve` processes on one PostgreSQL (HEARTH_TEST_PG, a database per
part), compared with hearth's own CLI on the same files.

    serve_pg_check.py HEARTH [-v]

Environment: HEARTH_TEST_PG (postgres://user@host:port), HEARTH_TEST_PG_CTL
(the pg_ctl command line of that server, "-D DIR" included) and
HEARTH_TEST_PG_OPTS (its -o options), to stop and start it.
Prints a FAIL line per failed check and ends with "N passed, M failed".
"""
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_check as sc  # noqa: E402  (the Server class, token(), check())

PG = os.environ["HEARTH_TEST_PG"]
OBJECTS = os.environ.get("HEARTH_TEST_OBJECTS", "")
if hasattr(sc, "objects_of"):
    # Nodes on one database share one object store prefix (a row's key is
    # read by whichever node answers): the first data directory registered
    # for the database names it.
    _objects_of = sc.objects_of

    def shared_objects_of(data):
        db = sc.pg_dbs.get(data)
        first = next((d for d, u in sc.pg_dbs.items() if u == db), data) if db else data
        return _objects_of(first)

    sc.objects_of = shared_objects_of
PG_CTL = os.environ.get("HEARTH_TEST_PG_CTL", "")
PG_OPTS = os.environ.get("HEARTH_TEST_PG_OPTS", "")
CORPUS = sc.CORPUS
hearth = sc.hearth


def check(name, cond, detail=""):
    return sc.check(("PostgreSQL + S3: " if OBJECTS else "") + name, cond, detail)


def psql(url, q):
    r = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", q],
                       capture_output=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("psql: %s" % r.stderr.decode())
    return r.stdout.decode().strip()


def push(srv, path, tok, params):
    try:
        return srv.push(path, tok, params)
    except OSError as e:  # a node that was killed
        return 0, str(e).encode()


def list_all(srv, tok, query):
    """Every profile's id (and time) the server lists for query, all pages."""
    out, cursor = {}, None
    for _ in range(1000):
        p = {"query": query, "from": "1", "until": "now", "limit": "1000"}
        if cursor:
            p["cursor"] = cursor
        st, j, _, _ = srv.api("profiles", p, tok=tok)
        if st != 200:
            return None
        for x in j["profiles"]:
            out[x["id"]] = x["time"]
        cursor = j.get("next_cursor")
        if not cursor:
            break
    return out


def top(srv, tok, query, *extra):
    return hearth("top", "-nodecount=40", *extra, "-from=1", "-until=now", "-token=" + tok,
                  srv.url + "/" + query)


def two_nodes(tmp, servers):
    """Ingest through both nodes at once (new symbols from each), query
    through either: the same answers, equal to the files'."""
    db = sc.store_of(os.path.join(tmp, "two"))
    data_a, data_b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
    sc.pg_dbs[data_a] = sc.pg_dbs[data_b] = db
    tok = sc.token(data_a, "acme", "push,read")
    a = sc.Server(data_a)
    servers.append(a)
    b = sc.Server(data_b)
    servers.append(b)
    series = [os.path.join(CORPUS, "leaky.series.%02d.cpu.pb.gz" % i) for i in range(1, 11)]
    others = [os.path.join(CORPUS, "leaky.%s.pb.gz" % k)
              for k in ("heap", "allocs", "block", "mutex", "goroutine", "threadcreate")]
    # Two clients at once, one per node, alternating: each file's symbols
    # first reach the store through either node.
    results = {}

    def client(srv, files, name):
        for i, f in enumerate(files):
            results[(name, i)] = (f,) + push(srv, f, tok, {"service": "multi"})

    ta = threading.Thread(target=client, args=(a, series[0::2] + others[0::2], "a"))
    tb = threading.Thread(target=client, args=(b, series[1::2] + others[1::2], "b"))
    ta.start()
    tb.start()
    ta.join()
    tb.join()
    codes = [r[1] for r in results.values()]
    check("two nodes: 16 pushes through two nodes at once answered 200", codes == [200] * 16, results)
    for q, files in (('{service="multi",__type__="cpu"}', series),
                     ('{service="multi",__type__="heap"}', [others[0]])):
        rc, want, _ = hearth("top", "-nodecount=40", *files)
        ra, got_a, ea = top(a, tok, q)
        rb, got_b, eb = top(b, tok, q)
        check("two nodes: top of %s through node A equals top of the files" % q,
              rc == 0 and ra == 0 and sc.strip_header(got_a) == sc.strip_header(want),
              "%s\n%s\n--- files ---\n%s" % (ea, got_a[:1200], want[:1200]))
        check("two nodes: node B answers as node A",
              rb == 0 and sc.strip_header(got_b) == sc.strip_header(got_a), eb + got_b[:1200])
    # Every single profile read through the node that did not take it.
    down = os.path.join(tmp, "one.pb.gz")
    bad = []
    for (name, i), (f, st, body) in sorted(results.items()):
        if st != 200:
            continue
        other = b if name == "a" else a
        pid = json.loads(body)["id"]
        st2, _, raw = other.request("/api/v1/profiles/%d" % pid, tok=tok)
        with open(down, "wb") as fh:
            fh.write(raw)
        rc, want, _ = hearth("traces", f)
        rc2, got, _ = hearth("traces", down)
        if st2 != 200 or rc2 != 0 or sc.strip_header(got) != sc.strip_header(want):
            bad.append((f, name, st2))
    check("two nodes: each profile read through the other node equals its file (traces)", not bad, bad)
    if OBJECTS:
        refs = psql(db, "SELECT count(*) FILTER (WHERE get_byte(data, 0) = 0) || '/' || count(*) "
                        "FROM profiles")
        check("two nodes: every block is in the object store (the rows hold references)",
              refs == "16/16", refs)
    for s in (a, b):
        rc, err = s.stop()
        check("two nodes: a node stops cleanly", rc == 0, (rc, err[-1500:]))


def kill9(tmp, servers):
    """Concurrent ingest through two nodes, one killed with SIGKILL midway;
    both nodes build rollups and sweep meanwhile."""
    db = sc.store_of(os.path.join(tmp, "kill"))
    data_a, data_b, data_c = (os.path.join(tmp, n) for n in ("ka", "kb", "kc"))
    for d in (data_a, data_b, data_c):
        sc.pg_dbs[d] = db
    tok = sc.token(data_a, "acme", "push,read")
    bg = ("-retention=1h", "-compact_interval=1s", "-sweep_interval=1s")
    a = sc.Server(data_a, *bg)
    servers.append(a)
    b = sc.Server(data_b, *bg)
    servers.append(b)
    files = [os.path.join(CORPUS, "leaky.series.%02d.cpu.pb.gz" % i) for i in range(1, 11)]
    acked, lock = {}, threading.Lock()
    attempts = [0]
    stop = threading.Event()

    def client(srv, k):
        rnd = random.Random(k)
        for n in range(60):
            if stop.is_set() and srv is a:
                break
            f = rnd.choice(files)
            # Times over the last 50 minutes: the 10-minute buckets that have
            # ended are built while the pushes go on; some pushes are three
            # hours old: past -retention=1h, for the sweep.
            ago = "-3h" if n % 10 == 9 else "-%ds" % rnd.randint(120, 3000)
            with lock:
                attempts[0] += 1
            st, body = push(srv, f, tok, {"service": "kill", "time": ago})
            if st == 200:
                with lock:
                    acked[json.loads(body)["id"]] = (f, ago)

    threads = [threading.Thread(target=client, args=(s, k)) for k, s in enumerate((a, a, b, b))]
    for t in threads:
        t.start()
    deadline = time.time() + 60
    while len(acked) < 30 and time.time() < deadline:
        time.sleep(0.05)
    a.p.send_signal(signal.SIGKILL)
    a.p.wait()
    killed_at = len(acked)
    stop.set()
    for t in threads:
        t.join()
    check("kill -9: node A was killed during the ingest (%d acknowledged before, %d in all)"
          % (killed_at, len(acked)),
          killed_at >= 30 and a.p.returncode == -signal.SIGKILL, (killed_at, a.p.returncode))
    st, j, _, _ = b.api("services", {"from": "1", "until": "now"}, tok=tok)
    check("kill -9: node B keeps serving", st == 200 and any(s["name"] == "kill" for s in j["services"]), (st, j))
    recent = {i: v for i, v in acked.items() if v[1] != "-3h"}
    old = [i for i, v in acked.items() if v[1] == "-3h"]
    # A node taking A's place: the background work goes on there and on B.
    c = sc.Server(data_c, *bg)
    servers.append(c)
    # Wait for the sweep (old profiles gone) and the rollups (no dirty
    # bucket that has ended).
    deadline = time.time() + 60
    pending = None
    while time.time() < deadline:
        pending = psql(db, "SELECT (SELECT count(*) FROM dirty WHERE level=0 AND bucket <= "
                           "(extract(epoch from now())::bigint - 600) * 1000000000), "
                           "(SELECT count(*) FROM profiles WHERE time < "
                           "(extract(epoch from now())::bigint - 3600) * 1000000000)")
        if pending == "0|0":
            break
        time.sleep(0.5)
    check("kill -9: the surviving nodes built the due rollups and swept", pending == "0|0", pending)
    listed = list_all(c, tok, '{service="kill"}') or {}
    missing = [i for i in recent if i not in listed]
    check("kill -9: every acknowledged profile (%d) is there" % len(recent),
          listed and not missing, missing[:20])
    extra = [i for i in listed if i not in acked]
    check("kill -9: at most the pushes in flight at the kill are stored unacknowledged",
          len(extra) <= 2, extra)
    # The merge (rollups and edges) equals the stored profiles' files merged.
    want_files = [recent[i][0] for i in sorted(recent)]
    for i in extra:
        down = os.path.join(tmp, "extra-%d.pb.gz" % i)
        st, _, raw = c.request("/api/v1/profiles/%d" % i, tok=tok)
        with open(down, "wb") as fh:
            fh.write(raw)
        want_files.append(down)
    nrollups = psql(db, "SELECT count(*) FROM rollups")
    rc, want, _ = hearth("top", "-nodecount=40", *want_files)
    for name, srv in (("B", b), ("C", c)):
        rc2, got, err = top(srv, tok, '{service="kill"}')
        check("kill -9: the merge through node %s (%s rollups) equals top of the stored files"
              % (name, nrollups), rc == 0 and rc2 == 0 and int(nrollups) > 0 and
              sc.strip_header(got) == sc.strip_header(want),
              "%s\n%s\n--- files ---\n%s" % (err, got[:1500], want[:1500]))
    # Rebuilds of a bucket are right after a late arrival (more profiles)
    # or a sweep (fewer): among the buckets of the last two hours, which no
    # sweep touched, two builds from as many profiles are the same work done
    # twice.
    dup = psql(db, "SELECT count(*) FROM (SELECT series, level, bucket, n FROM jobs WHERE "
                   "kind='rollup' AND bucket >= (extract(epoch from now())::bigint - 7200) * "
                   "1000000000 GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) d")
    built = psql(db, "SELECT count(*) || ' by ' || count(DISTINCT node) FROM jobs WHERE kind='rollup'")
    check("kill -9: no bucket was built twice from the same profiles (%s nodes)" % built, dup == "0", dup)
    swept = psql(db, "SELECT coalesce(sum(n), 0) FROM jobs WHERE kind='sweep'")
    check("kill -9: the sweeps deleted each old profile once (%d acknowledged, %s deleted)"
          % (len(old), swept), int(swept) >= len(old) and int(swept) <= len(old) + 2, (old, swept))
    for s in (b, c):
        rc, err = s.stop()
        check("kill -9: a surviving node stops cleanly", rc == 0, (rc, err[-1500:]))


def pg_ctl(*args):
    r = subprocess.run(PG_CTL.split() + list(args), capture_output=True, timeout=90)
    return r.returncode, (r.stdout + r.stderr).decode()


def pg_down(tmp, servers):
    """PostgreSQL stopped under a running node: ingests are refused, never
    acknowledged; it comes back by itself."""
    data = os.path.join(tmp, "down")
    tok = sc.token(data, "acme", "push,read")
    srv = sc.Server(data)
    servers.append(srv)
    f = os.path.join(CORPUS, "leaky.series.01.cpu.pb.gz")
    db = sc.store_of(data)
    st, _ = push(srv, f, tok, {"service": "down"})
    check("database down: a push before is 200", st == 200, st)
    rc, out = pg_ctl("-m", "fast", "-w", "-t", "30", "stop")
    if not check("database down: PostgreSQL stopped", rc == 0, out):
        return
    codes = [push(srv, f, tok, {"service": "down"})[0] for _ in range(3)]
    st, j, _, _ = srv.api("services", {"from": "1", "until": "now"}, tok=tok)
    check("database down: pushes get an error answer (5xx), never 200", all(500 <= c < 600 for c in codes),
          codes)
    check("database down: queries get an error answer", 500 <= st < 600 or st == 401, (st, j))
    rc, out = pg_ctl("-w", "-t", "45", "-o", PG_OPTS, "start")
    check("database down: PostgreSQL started again", rc == 0, out)
    deadline = time.time() + 30
    st = 0
    codes_after = []
    while time.time() < deadline:
        st, _ = push(srv, f, tok, {"service": "down"})
        codes_after.append(st)
        if st == 200:
            break
        time.sleep(0.5)
    check("database down: the server recovers by itself (a push is 200 again)", st == 200, codes_after)
    n = psql(db, "SELECT count(*) FROM profiles")
    check("database down: exactly the acknowledged pushes are stored", n == "2", n)
    rc, err = srv.stop()
    check("database down: the node stops cleanly", rc == 0, (rc, err[-1500:]))


def objects_down(tmp, servers):
    """The object store (radosgw) stopped under a node: pushes are refused,
    never acknowledged; the node stores again once it is back."""
    pid = int(os.environ["HEARTH_TEST_RGW_PID"])
    cmd = os.environ["HEARTH_TEST_RGW_CMD"]
    pidfile = os.environ["HEARTH_TEST_RGW_PIDFILE"]
    data = os.path.join(tmp, "s3down")
    tok = sc.token(data, "acme", "push,read")
    srv = sc.Server(data)
    servers.append(srv)
    f = os.path.join(CORPUS, "leaky.series.01.cpu.pb.gz")
    st, _ = push(srv, f, tok, {"service": "s3down"})
    check("object store down: a push before is 200", st == 200, st)
    os.kill(pid, signal.SIGKILL)
    codes = [push(srv, f, tok, {"service": "s3down"})[0] for _ in range(3)]
    check("object store down: pushes get an error answer (5xx), never 200",
          all(500 <= c < 600 for c in codes), codes)
    log = open(os.path.join(tmp, "rgw.out"), "ab")
    rgw = subprocess.Popen(cmd.split(), stdout=log, stderr=log, start_new_session=True)
    with open(pidfile, "w") as fh:
        fh.write("%d\n" % rgw.pid)
    deadline = time.time() + 120
    codes_after = []
    st = 0
    while time.time() < deadline:
        st, _ = push(srv, f, tok, {"service": "s3down"})
        codes_after.append(st)
        if st == 200:
            break
        time.sleep(1)
    check("object store down: the server recovers by itself (a push is 200 again)", st == 200,
          codes_after[-5:])
    n = psql(sc.store_of(data), "SELECT count(*) FROM profiles")
    check("object store down: exactly the acknowledged pushes are stored", n == "2", n)
    down = os.path.join(tmp, "s3down.pb.gz")
    lst = list_all(srv, tok, '{service="s3down"}') or {}
    ok_reads = 0
    for i in lst:
        st2, _, raw = srv.request("/api/v1/profiles/%d" % i, tok=tok)
        with open(down, "wb") as fh:
            fh.write(raw)
        rc, want, _ = hearth("traces", f)
        rc2, got, _ = hearth("traces", down)
        ok_reads += st2 == 200 and sc.strip_header(got) == sc.strip_header(want)
    check("object store down: both stored profiles read back from the object store",
          ok_reads == 2, (ok_reads, list(lst)))
    rc, err = srv.stop()
    check("object store down: the node stops cleanly", rc == 0, (rc, err[-1500:]))


def s3(method, data, key, body=b""):
    """A request signed as hearth signs them (curl's SigV4) for KEY under
    DATA's object store prefix: (HTTP status, body)."""
    base, _, query = sc.objects_of(data).partition("?")
    params = urllib.parse.parse_qs(query)
    url = "%s/%s/%s" % (params["endpoint"][0].rstrip("/"), base[len("s3://"):].strip("/"), key)
    r = subprocess.run(["curl", "-s", "-S", "--max-time", "30", "--aws-sigv4",
                        "aws:amz:%s:s3" % params.get("region", ["us-east-1"])[0],
                        "--user", "%s:%s" % (os.environ["AWS_ACCESS_KEY_ID"],
                                             os.environ["AWS_SECRET_ACCESS_KEY"]),
                        "-H", "x-amz-content-sha256: " + hashlib.sha256(body).hexdigest(),
                        "-X", method, "--data-binary", "@-", "-o", "-", "-w", "\n%{http_code}", url],
                       input=body if method == "PUT" else b"", capture_output=True, timeout=60)
    out, _, code = r.stdout.rpartition(b"\n")
    return int(code or 0), out


def orphans(tmp, servers):
    """Objects no row names (an upload whose statement never committed,
    here put there by hand in the layout's place) are deleted by a sweep
    after the grace period; the blocks rows name and keys outside
    hearth's layout stay."""
    data = os.path.join(tmp, "orph")
    tok = sc.token(data, "acme", "push,read")
    srv = sc.Server(data, "-sweep_interval=1s", "-orphan_grace=2s")
    servers.append(srv)
    db = sc.store_of(data)
    f = os.path.join(CORPUS, "leaky.series.01.cpu.pb.gz")
    st, body = push(srv, f, tok, {"service": "orph"})
    check("orphans: a push is 200", st == 200, st)
    tid = psql(db, "SELECT id FROM tenants WHERE name='acme'")
    now = time.time()
    day = time.strftime("%Y-%m-%d", time.gmtime(now))
    hour = time.gmtime(now).tm_hour
    orphan = "t/%s/%s/p%02d-%d-00000000deadbeef" % (tid, day, hour, int(now * 1e9))
    foreign = "t/%s/%s/notes.txt" % (tid, day)
    with open(f, "rb") as fh:
        payload = fh.read()
    sts = [s3("PUT", data, k, payload)[0] for k in (orphan, foreign)]
    check("orphans: an orphan and a foreign object put in the tenant's day", sts == [200, 200], sts)
    deadline = time.time() + 60
    got = None
    while time.time() < deadline:
        got = s3("GET", data, orphan)[0]
        if got == 404:
            break
        time.sleep(0.5)
    check("orphans: the orphan is deleted by a sweep after the grace period", got == 404, got)
    check("orphans: the object outside hearth's layout is left", s3("GET", data, foreign)[0] == 200)
    n = psql(db, "SELECT coalesce(sum(n), 0) FROM jobs WHERE kind='orphans'")
    check("orphans: the sweep recorded what it deleted (%s)" % n, int(n) >= 1, n)
    down = os.path.join(tmp, "orph.pb.gz")
    st2, _, raw = srv.request("/api/v1/profiles/%d" % json.loads(body)["id"], tok=tok)
    with open(down, "wb") as fh:
        fh.write(raw)
    rc, want, _ = hearth("traces", f)
    rc2, got2, _ = hearth("traces", down)
    check("orphans: the pushed profile's block (named by its row) is kept and reads back",
          st2 == 200 and rc2 == 0 and sc.strip_header(got2) == sc.strip_header(want), st2)
    rc, err = srv.stop()
    check("orphans: the node stops cleanly", rc == 0, (rc, err[-1500:]))


def main():
    if not os.path.isdir(CORPUS):
        print("serve_pg: ../shared/corpus is missing; SKIP")
        print("0 passed, 0 failed")
        return
    parts = [two_nodes, kill9, pg_down]
    if OBJECTS and os.environ.get("HEARTH_TEST_RGW_CMD"):
        parts.append(objects_down)
    if OBJECTS:
        parts.append(orphans)
    sc.run_parts("serve-pg", parts)


if __name__ == "__main__":
    main()
