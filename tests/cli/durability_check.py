#!/usr/bin/env python3
"""The checks of tests/cli/durability.sh: the real `hearth serve` killed and
starved of disk.

    durability_check.py HEARTH [-v]

- kill -9 during concurrent ingests: four clients push corpus CPU profiles
  (each filed under a time of its own, four series, rollups built every
  second meanwhile); the server is killed with SIGKILL once ~120 pushes were
  answered 200, restarted, pushed to and killed again; after the last
  restart every answered push is there under its id with its file's totals,
  nothing else is there but pushes that got no answer, every listed profile
  downloads, the merge of the range equals the sum of the files (`hearth
  raw`), and SQLite's integrity_check passes;
- the same during retention sweeps (every second, 1 h retention, half the
  pushes filed two hours back): every answered push inside retention is
  there and whole, the sweeps did delete, no block lost its profile;
- a full disk: the data directory on a small tmpfs (a private mount
  namespace, `unshare -rm`; skipped where that is not allowed) filled up:
  pushes get 507 with a JSON error and store nothing, what was stored
  before is listed, downloaded and merged while the disk is full, the server
  stops cleanly and starts again on the full disk, and pushes work again
  once space returns;
- a file size limit (RLIMIT_FSIZE, which needs no privilege): the same 507
  and reads, and SIGXFSZ does not kill the server.

Prints a FAIL line per failed check and ends with "N passed, M failed".
"""
import glob
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_check as sc  # noqa: E402  (reads HEARTH and -v from sys.argv)
from serve_check import Server, check, bad, hearth, token, file_totals, ns_rfc3339  # noqa: E402

CORPUS = sc.CORPUS
CLIENTS = 4
DEADLINE = 120  # seconds a round of pushes may take


def files():
    fs = sorted(glob.glob(os.path.join(CORPUS, "leaky.series.*.cpu.pb.gz")))
    return fs, [open(f, "rb").read() for f in fs], [file_totals(f) for f in fs]


def list_all(srv, tok, query, frm, until):
    """Every listed profile of the range, following the cursor."""
    out, cursor = [], None
    for _ in range(100):
        p = dict(query=query, **{"from": frm, "until": until}, limit="1000")
        if cursor:
            p["cursor"] = cursor
        st, j, data, _ = srv.api("profiles", p, tok=tok)
        if st != 200 or not j:
            raise RuntimeError("list: %s %r" % (st, data[:300]))
        out += j["profiles"]
        cursor = j.get("next_cursor")
        if not cursor:
            break
    return out


class Pushes:
    """Concurrent pushes of the corpus files, each under a time of its own
    (base + k ms) and the label client=C: four series."""

    def __init__(self, bodies, base_ns, time_of=None):
        self.bodies = bodies
        self.base_ns = base_ns
        self.time_of = time_of
        self.k = 0
        self.mu = threading.Lock()
        self.acked = {}  # time -> (id, client, file)
        self.unanswered = {}  # time -> (client, file): no answer (the kill)
        self.errors = []

    def next_time(self):
        with self.mu:
            self.k += 1
            if self.time_of:
                return self.time_of(self.k)
            return self.base_ns + self.k * 1000000

    def round(self, srv, tok, target):
        stop = threading.Event()
        start = len(self.acked)

        def client(c):
            i = 0
            while not stop.is_set():
                t = self.next_time()
                fi = (c + i) % len(self.bodies)
                q = urllib.parse.urlencode({"service": "dur", "labels": "client=%d" % c,
                                            "time": ns_rfc3339(t)})
                st, _, data = srv.request("/api/v1/push?" + q, "POST", None, self.bodies[fi], tok)
                with self.mu:
                    if st == 200:
                        self.acked[t] = (json.loads(data)["id"], c, fi)
                    elif st == 0:
                        self.unanswered[t] = (c, fi)
                        return
                    else:
                        self.errors.append((st, data[:200]))
                        return
                i += 1

        th = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
        for x in th:
            x.start()
        deadline = time.time() + DEADLINE
        while time.time() < deadline and len(self.acked) - start < target and \
                any(x.is_alive() for x in th):
            time.sleep(0.01)
        # The kill lands while the clients are still pushing.
        srv.p.send_signal(signal.SIGKILL)
        srv.p.wait()
        stop.set()
        for x in th:
            x.join(timeout=60)
        return len(self.acked) - start


def kill9(tmp, servers):
    fs, bodies, totals = files()
    if not check("kill9: the corpus has the series files", len(fs) >= 4 and all(totals), fs):
        return
    data = os.path.join(tmp, "kill9")
    tok = token(data, "dur", "push,read")
    base = (int(time.time()) - 3600) * 10**9
    pushes = Pushes(bodies, base)
    for rnd, target in ((1, 120), (2, 90)):
        srv = Server(data, "-compact_interval=1s")
        servers.append(srv)
        n = pushes.round(srv, tok, target)
        check("kill9 round %d: %d pushes answered 200 before the kill" % (rnd, target), n >= target,
              (n, pushes.errors[:3], srv.stderr()[-500:]))
        check("kill9 round %d: no push answered anything but 200 or nothing" % rnd,
              not pushes.errors, pushes.errors[:5])
        check("kill9 round %d: the server died of SIGKILL" % rnd, srv.p.returncode == -9,
              srv.p.returncode)

    srv = Server(data)
    servers.append(srv)
    frm, until = str(base // 10**9 - 1), str(base // 10**9 + 600)
    listed = list_all(srv, tok, '{service="dur"}', frm, until)
    by_time = {p["time"]: p for p in listed}
    check("kill9: no time listed twice", len(by_time) == len(listed), len(listed) - len(by_time))
    missing, wrong = [], []
    for t, (pid, c, fi) in sorted(pushes.acked.items()):
        p = by_time.get(t)
        if not p:
            missing.append((pid, t))
        elif p["id"] != pid or p["labels"].get("client") != str(c) or p["totals"] != totals[fi]:
            wrong.append((pid, t, p))
    check("kill9: every push answered 200 (%d) is listed after the restart" % len(pushes.acked),
          not missing, missing[:10])
    check("kill9: each under its id, series and the totals of its file", not wrong, wrong[:5])
    sent = dict(pushes.unanswered)
    sent.update({t: (c, fi) for t, (_, c, fi) in pushes.acked.items()})
    stray = [p for p in listed if p["time"] not in sent]
    half = [p for p in listed if p["time"] in sent and p["totals"] != totals[sent[p["time"]][1]]]
    check("kill9: nothing is listed but what was pushed", not stray, stray[:3])
    check("kill9: no profile is half stored (totals)", not half, half[:3])
    extra = len(listed) - len(pushes.acked)
    check("kill9: at most the unanswered pushes (%d) stored besides" % len(pushes.unanswered),
          0 <= extra <= len(pushes.unanswered), (extra, len(pushes.unanswered)))

    # Every listed profile downloads whole; a few read back as their file.
    bad_dl = []
    for p in listed:
        st, h, body = srv.request("/api/v1/profiles/%d" % p["id"], tok=tok)
        if st != 200 or body[:2] != b"\x1f\x8b":
            bad_dl.append((p["id"], st, body[:100]))
    check("kill9: every listed profile downloads (%d)" % len(listed), not bad_dl, bad_dl[:3])
    for p in listed[:: max(1, len(listed) // 4)]:
        st, h, body = srv.request("/api/v1/profiles/%d" % p["id"], tok=tok)
        path = os.path.join(tmp, "one.pb.gz")
        with open(path, "wb") as f:
            f.write(body)
        fi = sent[p["time"]][1]
        check("kill9: profile %d reads back with its file's totals" % p["id"],
              file_totals(path) == totals[fi], (file_totals(path), totals[fi]))

    # The merge of the whole range reads every block (and rollup).
    q = urllib.parse.urlencode({"query": '{service="dur"}', "from": frm, "until": until,
                                "format": "pprof"})
    st, h, body = srv.request("/api/v1/render/download?" + q, tok=tok)
    path = os.path.join(tmp, "merge.pb.gz")
    with open(path, "wb") as f:
        f.write(body)
    want = [sum(totals[sent[p["time"]][1]][i] for p in listed) for i in range(len(totals[0]))]
    got = file_totals(path) if st == 200 else None
    check("kill9: the merge of the range equals the sum of the stored files", got == want,
          (st, got, want))
    rc, err = srv.stop()
    check("kill9: the restarted server stops cleanly", rc == 0, (rc, err[-300:]))
    db = sqlite3.connect(os.path.join(data, "hearth.db"))
    ic = db.execute("pragma integrity_check").fetchall()
    db.close()
    check("kill9: SQLite's integrity_check", ic == [("ok",)], ic[:5])


def kill9_sweep(tmp, servers):
    """Kills during the retention sweep: half the pushes are filed two hours
    back, past the server's 1 h retention, and swept (every second) while
    the others, 30 minutes back, arrive."""
    fs, bodies, totals = files()
    data = os.path.join(tmp, "kill9-sweep")
    tok = token(data, "dur", "push,read")
    now = int(time.time()) * 10**9
    old, new = now - 2 * 3600 * 10**9, now - 1800 * 10**9
    pushes = Pushes(bodies, 0, lambda k: (old if k % 2 else new) + k * 1000000)
    for rnd in (1, 2):
        srv = Server(data, "-retention=1h", "-sweep_interval=1s", "-compact_interval=1s")
        servers.append(srv)
        n = pushes.round(srv, tok, 100)
        check("sweep round %d: 100 pushes answered 200 before the kill" % rnd, n >= 100,
              (n, pushes.errors[:3], srv.stderr()[-500:]))
        check("sweep round %d: no push answered anything but 200 or nothing" % rnd,
              not pushes.errors, pushes.errors[:5])
    srv = Server(data)  # 100 years of retention: nothing more is swept
    servers.append(srv)
    listed = list_all(srv, tok, '{service="dur"}', "0", str(now // 10**9 + 60))
    by_time = {p["time"]: p for p in listed}
    kept = {t: v for t, v in pushes.acked.items() if t >= new}
    gone = [t for t in pushes.acked if t < new and t not in by_time]
    missing = [(pid, t) for t, (pid, c, fi) in kept.items()
               if t not in by_time or by_time[t]["id"] != pid or by_time[t]["totals"] != totals[fi]]
    check("sweep: every push answered 200 inside retention (%d) is there, whole" % len(kept),
          kept and not missing, missing[:5])
    check("sweep: the sweeps ran meanwhile (%d old pushes swept)" % len(gone), gone)
    sent = dict(pushes.unanswered)
    sent.update({t: (c, fi) for t, (_, c, fi) in pushes.acked.items()})
    bad_rows = [p for p in listed if p["time"] not in sent or
                p["totals"] != totals[sent[p["time"]][1]]]
    check("sweep: nothing listed but whole pushes", not bad_rows, bad_rows[:3])
    q = urllib.parse.urlencode({"query": '{service="dur"}', "from": "0",
                                "until": str(now // 10**9 + 60), "format": "pprof"})
    st, h, body = srv.request("/api/v1/render/download?" + q, tok=tok)
    path = os.path.join(tmp, "merge-sweep.pb.gz")
    with open(path, "wb") as f:
        f.write(body)
    want = [sum(totals[sent[p["time"]][1]][i] for p in listed) for i in range(len(totals[0]))]
    got = file_totals(path) if st == 200 else None
    check("sweep: the merge equals the sum of what is listed (no stale rollup)", got == want,
          (st, got, want))
    rc, err = srv.stop()
    check("sweep: the restarted server stops cleanly", rc == 0, (rc, err[-300:]))
    db = sqlite3.connect(os.path.join(data, "hearth.db"))
    ic = db.execute("pragma integrity_check").fetchall()
    orphans = db.execute("select count(*) from blocks where id not in (select id from profiles)"
                         ).fetchall()
    db.close()
    check("sweep: SQLite's integrity_check", ic == [("ok",)], ic[:5])
    check("sweep: no sample block left without its profile", orphans == [(0,)], orphans)


class NsServer(Server):
    """hearth serve inside the mount namespace of process HOLDER (where the
    data directory is a small tmpfs)."""

    def __init__(self, holder, data, errpath):
        self.errpath = errpath
        self.errf = open(errpath, "ab")
        self.p = subprocess.Popen(
            ["nsenter", "-t", str(holder), "-U", "-m", "--preserve-credentials", sc.HEARTH,
             "serve", "-listen=127.0.0.1:0", "-data=" + data, "-retention=36500d",
             "-compact_interval=1s"], stdout=subprocess.PIPE, stderr=self.errf)
        deadline = time.time() + 30
        line = ""
        while time.time() < deadline:
            line = self.p.stdout.readline().decode()
            if line or self.p.poll() is not None:
                break
        m = re.match(r"Serving hearth on http://([0-9.]+):([0-9]+)/?\s*$", line)
        if not m:
            self.p.kill()
            self.p.wait()
            raise RuntimeError("no URL printed: %r %s" % (line, self.stderr()))
        self.host, self.port = m.group(1), int(m.group(2))
        self.url = "http://%s:%d" % (self.host, self.port)


class LimitedServer(Server):
    """hearth serve under a file size limit (RLIMIT_FSIZE): writes past it
    fail with EFBIG, the other way a disk runs out, and one that needs no
    privilege."""

    def __init__(self, data, limit):
        import resource
        self.errpath = os.path.join(data, "serve.stderr")
        self.errf = open(self.errpath, "ab")
        self.p = subprocess.Popen(
            [sc.HEARTH, "serve", "-listen=127.0.0.1:0", "-data=" + data, "-retention=36500d"],
            stdout=subprocess.PIPE, stderr=self.errf,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)))
        line = self.p.stdout.readline().decode()
        m = re.match(r"Serving hearth on http://([0-9.]+):([0-9]+)/?\s*$", line)
        if not m:
            self.p.kill()
            self.p.wait()
            raise RuntimeError("no URL printed: %r %s" % (line, self.stderr()))
        self.host, self.port = m.group(1), int(m.group(2))
        self.url = "http://%s:%d" % (self.host, self.port)


def file_limit(tmp, servers):
    """The store's files reach the process's file size limit: 507, nothing
    half stored, the server alive (not killed by SIGXFSZ) and reading."""
    fs, bodies, totals = files()
    data = os.path.join(tmp, "fsize")
    tok = token(data, "full", "push,read")
    db = os.path.join(data, "hearth.db")
    srv = LimitedServer(data, os.path.getsize(db) + 120000)
    servers.append(srv)
    base = (int(time.time()) - 1800) * 10**9
    acked, sts = {}, []
    for i in range(80):
        q = urllib.parse.urlencode({"service": "fsize", "time": ns_rfc3339(base + i * 10**9)})
        st, _, body = srv.request("/api/v1/push?" + q, "POST", None, bodies[i % len(bodies)], tok)
        sts.append(st)
        if st == 200:
            acked[json.loads(body)["id"]] = i
        elif st == 507:
            err = json.loads(body).get("error", "") if body[:1] == b"{" else ""
    check("fsize: pushes are stored until the limit, then 507",
          acked and 507 in sts and all(s in (200, 507) for s in sts), sts)
    check("fsize: with a JSON error", 507 not in sts or err.startswith("store:"), err)
    check("fsize: the server is alive (SIGXFSZ does not kill it)", srv.p.poll() is None,
          srv.stderr()[-300:])
    frm, until = str(base // 10**9 - 1), str(base // 10**9 + 600)
    listed = list_all(srv, tok, '{service="fsize"}', frm, until)
    check("fsize: exactly the pushes answered 200 are listed",
          sorted(p["id"] for p in listed) == sorted(acked), (len(listed), len(acked)))
    check("fsize: with their files' totals",
          all(p["totals"] == totals[acked[p["id"]] % len(bodies)] for p in listed
              if p["id"] in acked))
    rc, err = srv.stop()
    check("fsize: the server stops cleanly at the limit", rc == 0, (rc, err[-300:]))
    srv = Server(data)
    servers.append(srv)
    q = urllib.parse.urlencode({"service": "fsize", "time": ns_rfc3339(base + 500 * 10**9)})
    st, _, body = srv.request("/api/v1/push?" + q, "POST", None, bodies[0], tok)
    check("fsize: without the limit a push is stored again", st == 200, (st, body[:200]))
    listed = list_all(srv, tok, '{service="fsize"}', frm, until)
    check("fsize: and everything stored before is there", len(listed) == len(acked) + 1,
          (len(listed), len(acked)))
    rc, err = srv.stop()
    check("fsize: the restarted server stops cleanly", rc == 0, (rc, err[-300:]))
    dbc = sqlite3.connect(db)
    ic = dbc.execute("pragma integrity_check").fetchall()
    dbc.close()
    check("fsize: SQLite's integrity_check", ic == [("ok",)], ic[:5])


def ns_run(holder, *cmd):
    return subprocess.run(["nsenter", "-t", str(holder), "-U", "-m", "--preserve-credentials"] +
                          list(cmd), capture_output=True, timeout=120)


def full_disk(tmp, servers, holders):
    d = os.path.join(tmp, "full")
    data = os.path.join(d, "data")
    os.makedirs(data)
    # A process that holds a mount namespace with a 4 MB tmpfs on data, so
    # that servers can be started in it one after the other.
    try:
        h = subprocess.Popen(["unshare", "-rm", "sh", "-c",
                              'mount -t tmpfs -o size=4m tmpfs "$0" && echo ready && exec sleep 900',
                              data], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as e:
        print("durability: no unshare (%s): the full-disk checks are SKIPPED" % e)
        return
    holders.append(h)
    if h.stdout.readline().strip() != b"ready":
        h.wait(timeout=10)
        print("durability: a private tmpfs cannot be mounted here (%s): the full-disk checks "
              "are SKIPPED" % h.stderr.read().decode(errors="replace").strip())
        return
    r = ns_run(h.pid, sc.HEARTH, "token", "create", "-data=" + data, "-tenant=full",
               "-scope=push,read")
    if not check("full: a token in the tmpfs data directory", r.returncode == 0, r.stderr):
        return
    tok = r.stdout.decode().strip().split("\n")[-1]
    errpath = os.path.join(d, "serve.stderr")
    srv = NsServer(h.pid, data, errpath)
    servers.append(srv)
    fs, bodies, totals = files()
    base = (int(time.time()) - 1800) * 10**9
    acked = {}

    def push(i):
        q = urllib.parse.urlencode({"service": "full", "labels": "n=%d" % (i % 3),
                                    "time": ns_rfc3339(base + i * 10**9)})
        return srv.request("/api/v1/push?" + q, "POST", None, bodies[i % len(bodies)], tok)

    for i in range(30):
        st, _, body = push(i)
        if st == 200:
            acked[json.loads(body)["id"]] = i
    check("full: 30 pushes stored while there is space", len(acked) == 30, len(acked))

    r = ns_run(h.pid, "dd", "if=/dev/zero", "of=" + os.path.join(data, "fill"), "bs=64k")
    df = ns_run(h.pid, "df", "-k", data).stdout.decode()
    check("full: the tmpfs is full", re.search(r"\s0\s+100%", df) is not None, df)

    answers = [push(100 + i) for i in range(12)]
    sts = [a[0] for a in answers]
    check("full: every push on the full disk gets 507", all(s == 507 for s in sts), sts)
    msgs = []
    for st, hd, body in answers:
        try:
            msgs.append(json.loads(body)["error"])
        except (ValueError, KeyError):
            msgs.append(body[:100])
    check("full: with a JSON error saying the disk is full",
          all(isinstance(m, str) and "full" in m for m in msgs), msgs[:3])

    frm = str(base // 10**9 - 1)
    nreads = [0]

    def reads(what):
        # A range of its own each time: the render cache keeps a merge
        # fresh for 10 s after it was made even when the tenant stores
        # more (docs/serve.md), and this reads the store.
        nreads[0] += 1
        until = str(base // 10**9 + 600 + nreads[0])
        try:
            listed = list_all(srv, tok, '{service="full"}', frm, until)
        except RuntimeError as e:
            bad("full: %s: the list answers" % what, e)
            return
        ids = sorted(p["id"] for p in listed)
        check("full: %s: exactly the stored profiles are listed" % what, ids == sorted(acked),
              (len(ids), len(acked)))
        tot_ok = all(p["totals"] == totals[acked[p["id"]] % len(bodies)] for p in listed
                     if p["id"] in acked)
        check("full: %s: with their files' totals" % what, tot_ok)
        dl = [srv.request("/api/v1/profiles/%d" % i, tok=tok)[0] for i in ids]
        check("full: %s: each downloads" % what, dl and all(s == 200 for s in dl), dl)
        q = urllib.parse.urlencode({"query": '{service="full"}', "from": frm, "until": until,
                                    "format": "pprof"})
        st, _, body = srv.request("/api/v1/render/download?" + q, tok=tok)
        path = os.path.join(d, "merge.pb.gz")
        with open(path, "wb") as f:
            f.write(body)
        want = [sum(totals[i % len(bodies)][k] for i in acked.values())
                for k in range(len(totals[0]))]
        got = file_totals(path) if st == 200 else None
        check("full: %s: the merge equals the sum of the files" % what, got == want,
              (st, got, want))
        st, j, _, _ = srv.api("services", {"from": frm, "until": until}, tok=tok)
        check("full: %s: services answer" % what, st == 200 and j and
              [s["name"] for s in j["services"]] == ["full"], (st, j))

    reads("while full")
    # Wait for a compaction pass to meet the full disk too; the server
    # must keep answering (nothing is asserted of the rollups).
    time.sleep(1.5)
    st, j, _, _ = srv.api("health", {})
    check("full: the server still answers after a compaction on the full disk", st == 200, st)
    rc, err = srv.stop()
    check("full: the server stops cleanly on the full disk", rc == 0, (rc, err[-500:]))

    srv = NsServer(h.pid, data, errpath)
    servers.append(srv)
    reads("restarted while full")
    st, _, body = push(200)
    check("full: a push after the restart on the full disk is 507", st == 507, (st, body[:200]))

    r = ns_run(h.pid, "rm", "-f", os.path.join(data, "fill"))
    st, _, body = push(300)
    check("full: once space returns, a push is stored", st == 200, (st, body[:200]))
    if st == 200:
        acked[json.loads(body)["id"]] = 300
    reads("after space returned")
    rc, err = srv.stop()
    check("full: and the server stops cleanly", rc == 0, (rc, err[-500:]))
    r = ns_run(h.pid, "python3", "-c",
               "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("
               "'pragma integrity_check').fetchall())", os.path.join(data, "hearth.db"))
    check("full: SQLite's integrity_check", r.stdout.decode().strip() == "[('ok',)]",
          r.stdout + r.stderr)


def main():
    if not os.path.isdir(CORPUS):
        print("durability: ../shared/corpus is missing; SKIP")
        print("0 passed, 0 failed")
        return
    tmp = tempfile.mkdtemp(prefix="hearth-durability-")
    servers, holders = [], []
    try:
        for part in (kill9, kill9_sweep, lambda t, s: full_disk(t, s, holders), file_limit):
            try:
                part(tmp, servers)
            except Exception as e:  # one broken part must not hide the other's results
                bad("durability raised %r" % e)
    finally:
        for s in servers:
            if s.p.poll() is None:
                s.p.kill()
                s.p.wait()
        for h in holders:
            if h.poll() is None:
                h.kill()
                h.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (sc.passed, sc.failed))


if __name__ == "__main__":
    main()
