#!/usr/bin/env python3
"""The checks of tests/cli/serve.sh: the real `hearth serve` against hearth's
own CLI on the same files.

    serve_check.py HEARTH [-v]

Prints a FAIL line per failed check and ends with "N passed, M failed".
"""
import base64
import gzip
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

HEARTH = os.path.abspath(sys.argv[1])
VERBOSE = len(sys.argv) > 2 and sys.argv[2] == "-v"
CORPUS = "../shared/corpus"
passed = 0
failed = 0


def ok(name):
    global passed
    passed += 1
    if VERBOSE:
        print("ok   " + name)


def bad(name, detail=""):
    global failed
    failed += 1
    print("FAIL " + name)
    if detail:
        for line in str(detail).splitlines()[:60]:
            print("     " + line)


def check(name, cond, detail=""):
    if cond:
        ok(name)
    else:
        bad(name, detail)
    return cond


def hearth(*args, env=None):
    e = dict(os.environ, TZ="UTC")
    e.pop("HEARTH_TOKEN", None)
    e.update(env or {})
    r = subprocess.run([HEARTH] + list(args), capture_output=True, env=e, timeout=300)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


# HEARTH_TEST_PG (postgres://user@host:port, set by tests/cli/serve_pg.sh):
# every data directory of the checks gets a PostgreSQL database of its own,
# which the servers (-store=) and `hearth token` (-data=) use instead.
PG = os.environ.get("HEARTH_TEST_PG", "")
pg_dbs = {}


def store_of(data):
    """The store of data directory DATA: itself, or its database."""
    if not PG:
        return data
    if data not in pg_dbs:
        name = "%s_%d" % (os.path.splitext(os.path.basename(sys.argv[0]))[0], len(pg_dbs))
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", PG + "/postgres", "-c",
                        "CREATE DATABASE " + name], check=True, capture_output=True, timeout=60)
        pg_dbs[data] = PG + "/" + name
    return pg_dbs[data]


# HEARTH_TEST_OBJECTS (s3://BUCKET?endpoint=..., set by tests/cli/objects.sh):
# the servers keep their blocks there, each data directory under a prefix
# of its own (-objects=s3://BUCKET/PREFIX?...).
OBJECTS = os.environ.get("HEARTH_TEST_OBJECTS", "")


def objects_of(data):
    base, _, query = OBJECTS.partition("?")
    prefix = "%s-%d/%s" % (os.path.basename(os.path.dirname(os.path.abspath(data))) or "t",
                           os.getpid(), os.path.basename(os.path.abspath(data)))
    return "%s/%s%s" % (base.rstrip("/"), prefix, "?" + query if query else "")


def store_args(data):
    return (["-data=" + data] + (["-store=" + store_of(data)] if PG else []) +
            (["-objects=" + objects_of(data)] if OBJECTS else []))


def cli_store_args(data):
    """What a command run beside the server (hearth fleet) is given to open
    data directory DATA's store: its database and object store too."""
    return (["-data=" + store_of(data)] +
            (["-objects=" + objects_of(data)] if OBJECTS else []))


def token(data, tenant, scope):
    rc, out, err = hearth("token", "create", "-data=" + store_of(data), "-tenant=" + tenant,
                          "-scope=" + scope)
    if rc != 0:
        raise RuntimeError("hearth token create: %s" % err)
    return out.strip().split("\n")[-1]


class Server:
    """hearth serve on a free port of 127.0.0.1, in data directory DATA."""

    def __init__(self, data, *args):
        # stderr to a file: a server that dies (a sanitizer's report) is
        # shown, and a full pipe never blocks it.
        os.makedirs(data, exist_ok=True)
        self.errpath = os.path.join(data, "serve.stderr")
        self.errf = open(self.errpath, "wb")
        self.p = subprocess.Popen([HEARTH, "serve", "-listen=127.0.0.1:0"] + store_args(data) +
                                  ["-retention=36500d"] + list(args),
                                  stdout=subprocess.PIPE, stderr=self.errf)
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

    def request(self, path, method="GET", headers=None, body=None, tok=None):
        c = http.client.HTTPConnection(self.host, self.port, timeout=120)
        c.putrequest(method, path, skip_accept_encoding=True)
        h = dict(headers or {})
        if tok:
            h["Authorization"] = "Bearer " + tok
        for k, v in h.items():
            c.putheader(k, v)
        if body is not None:
            c.putheader("Content-Length", str(len(body)))
        try:
            c.endheaders(body)
            r = c.getresponse()
            data = r.read()
        except (OSError, http.client.HTTPException) as e:
            # A server that drops the connection (or died): a failed check,
            # not the end of the suite.
            c.close()
            return 0, {}, str(e).encode()
        c.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data

    def api(self, path, params=None, tok=None, method="GET", body=None, headers=None):
        q = urllib.parse.urlencode(params or {})
        st, h, data = self.request("/api/v1/%s%s%s" % (path, "?" if q else "", q), method,
                                   headers, body, tok)
        try:
            j = json.loads(data) if h.get("content-type", "").startswith("application/json") else None
        except ValueError:
            j = None
        return st, j, data, h

    def push(self, path, tok, params, headers=None):
        q = urllib.parse.urlencode(params)
        with open(path, "rb") as f:
            body = f.read()
        st, h, data = self.request("/api/v1/push?" + q, "POST", headers, body, tok)
        return st, data

    def stderr(self):
        self.errf.flush()
        with open(self.errpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM):
        if self.p.poll() is not None:  # gone already (a signal sent before)
            return self.p.returncode, self.stderr()
        self.p.send_signal(sig)
        try:
            rc = self.p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            rc = "hung"
        return rc, self.stderr()


def raw_request(srv, head, body=b""):
    """Sends head (and body, as far as the server reads it) on a socket of
    its own and reads the answer: for requests the server refuses before
    reading them whole, which http.client cannot send."""
    import socket
    s = socket.create_connection((srv.host, srv.port), timeout=60)
    try:
        s.sendall(head.encode())
        try:
            s.sendall(body)
        except OSError:
            pass
        data = b""
        while True:
            try:
                b = s.recv(65536)
            except OSError:
                break
            if not b:
                break
            data += b
            if b"\r\n\r\n" in data:
                hdr, rest = data.split(b"\r\n\r\n", 1)
                m = re.search(rb"content-length: *(\d+)", hdr, re.I)
                if m and len(rest) >= int(m.group(1)):
                    break
    finally:
        s.close()
    m = re.match(rb"HTTP/1\.[01] (\d+)", data)
    return (int(m.group(1)) if m else 0), data


def small_file():
    return os.path.join(CORPUS, "leaky.threadcreate.pb.gz")


def strip_header(text):
    """top/traces output without the lines that name the source or its time
    (File:, Time:, Duration:): a merge from the server and from files has
    another name and may keep another time."""
    return "\n".join(l for l in text.split("\n")
                     if not re.match(r"^(File|Time|Duration|Build ID): ", l))


def trace_blocks(text):
    """hearth traces output as its sorted samples (the blocks between
    separator lines), without the header."""
    return sorted(re.split(r"\n-+\+-+\n?", strip_header(text)))


def ns_rfc3339(ns):
    s, frac = divmod(ns, 10**9)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%09dZ" % frac


def no_filter(j):
    """A render answer without what a no-op tag filter adds: its warning
    and its "Active filters" lines."""
    if not isinstance(j, dict):
        return j
    j = dict(j)
    j.pop("warnings", None)
    if isinstance(j.get("header"), list):
        j["header"] = [l for l in j["header"]
                       if l != "Active filters:" and not l.startswith("   tag")]
    if isinstance(j.get("text"), str):
        j["text"] = "\n".join(l for l in j["text"].split("\n")
                              if l != "Active filters:" and not l.startswith("   tag"))
    return j


def file_totals(path):
    """Per sample type, the profile's total, summed from the sample values
    `hearth raw` prints (exact, where top's "of X total" is formatted)."""
    rc, out, err = hearth("raw", path)
    totals = None
    in_samples = False
    for l in out.split("\n"):
        if l.startswith("Samples:"):
            in_samples = True
            continue
        if not in_samples:
            continue
        if re.match(r"^(Locations|Mappings)", l):
            break
        m = re.match(r"^\s*(-?\d+(?:\s+-?\d+)*):(\s|$)", l)
        if m:
            vals = [int(x) for x in m.group(1).split()]
            if totals is None:
                totals = [0] * len(vals)
            for i, v in enumerate(vals):
                totals[i] += v
    return totals



def run_parts(name, parts):
    """Runs each part(tmp, servers) in one fresh temporary directory (a
    broken part must not hide the others' results), then kills the servers
    they started, removes the directory and prints the sums."""
    import traceback
    tmp = tempfile.mkdtemp(prefix="hearth-%s-" % name)
    servers = []
    try:
        for part in parts:
            try:
                part(tmp, servers)
            except Exception as e:
                bad("%s %s raised %r" % (name, getattr(part, "__name__", "part"), e),
                    traceback.format_exc())
    finally:
        for s in servers:
            if s.p.poll() is None:
                s.p.kill()
                s.p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))

def main():
    if not os.path.isdir(CORPUS):
        print("serve: ../shared/corpus is missing; SKIP")
        print("0 passed, 0 failed")
        return
    tmp = tempfile.mkdtemp(prefix="hearth-serve-")
    servers = []
    try:
        run(tmp, servers)
    except Exception as e:  # a broken check must not hide the others' results
        bad("serve_check raised %r" % e)
        for s in servers:
            if s.p.poll() is not None and s.p.returncode not in (0,):
                bad("a server exited with %s" % s.p.returncode, s.stderr()[-3000:])
    finally:
        for s in servers:
            if s.p.poll() is None:
                s.p.kill()
                s.p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))


def run(tmp, servers):
    data = os.path.join(tmp, "data")
    alice = token(data, "alice", "push,read,admin")
    alice_read = token(data, "alice", "read")
    bob = token(data, "bob", "push,read")
    srv = Server(data, "-max_body=4MB", "-max_decompressed=16MB")
    servers.append(srv)
    check("serve: health", srv.api("health")[0] == 200)

    # ---- authentication basics ----
    st, j, _, h = srv.api("services")
    check("auth: no token is 401 with a JSON error", st == 401 and j and "error" in j, (st, j))
    check("auth: 401 says how (WWW-Authenticate)", "www-authenticate" in h, h)
    st, j, _, _ = srv.api("services", tok="hth_" + "A" * 43)
    check("auth: an unknown token is 401", st == 401 and j and "error" in j, (st, j))
    st, j, _, _ = srv.api("services", headers={"Authorization": "Basic !!!"})
    check("auth: a malformed Authorization is 401", st == 401, (st, j))
    cpu = os.path.join(CORPUS, "searchsvc.cpu.pb.gz")
    st, body = srv.push(cpu, alice_read, {"service": "search"})
    check("auth: pushing with a read-only token is 403", st == 403, (st, body))

    # ---- ingest: ten CPU profiles of one series, heap twice ----
    series = [os.path.join(CORPUS, "leaky.series.%02d.cpu.pb.gz" % i) for i in range(1, 11)]
    ids = []
    for f in series:
        st, body = srv.push(f, alice, {"service": "leaky", "labels": "env=test,pod=a"})
        if st == 200:
            ids.append(json.loads(body)["id"])
        else:
            bad("push: %s" % f, (st, body))
    check("push: ten CPU profiles answered 200 with an id", len(ids) == 10, ids)
    heap = os.path.join(CORPUS, "leaky.heap.pb.gz")
    hids = []
    for k in range(2):
        # Basic auth with the token as the password, as the Pyroscope SDK sends.
        basic = base64.b64encode(("anyone:" + alice).encode()).decode()
        st, body = srv.push(heap, None, {"service": "leakyheap", "id": "heap-%d" % k},
                            headers={"Authorization": "Basic " + basic})
        check("push: heap copy %d with Basic auth" % k, st == 200, (st, body))
        if st == 200:
            hids.append(json.loads(body)["id"])
    st, body = srv.push(heap, alice, {"service": "leakyheap", "id": "heap-1"})
    check("push: the same id again stores nothing new",
          st == 200 and json.loads(body).get("id") == (hids[1] if len(hids) > 1 else None), (st, body))
    st, body = srv.push(small_file(), alice, {"service": "timed", "time": "2020-01-02T03:04:05Z"})
    st2, j, _, _ = srv.api("profiles", {"query": '{service="timed"}', "from": "1577934245",
                                       "until": "1577934246"}, tok=alice)
    check("push: time= files the profile under that time",
          st == 200 and st2 == 200 and [p["time"] for p in j["profiles"]] == [1577934245 * 10**9],
          (st, body, st2, j))
    # Filed at the push's own time (to the nanosecond) and listed at once
    # with the default range: until=now reaches to the end of the current
    # second (it once stopped at its start, and the list lagged up to 1 s).
    # (A tenant of its own: the others' counts are checked below.)
    fresh = token(data, "fresh", "push,read")
    for k in range(3):
        st, body = srv.push(small_file(), fresh, {"service": "fresh", "time": "now"})
        pid = json.loads(body).get("id") if st == 200 else None
        st2, j, _, _ = srv.api("profiles", {"query": '{service="fresh"}'}, tok=fresh)
        check("push: a profile filed now is listed at once (%d)" % k,
              st2 == 200 and pid in [p["id"] for p in j["profiles"]], (st, body, st2, j))
    st, body = srv.push(cpu, bob, {"service": "search"})
    check("push: bob's profile", st == 200, (st, body))
    bob_id = json.loads(body)["id"] if st == 200 else 0
    st, body = srv.push(cpu, alice, {"service": "search"})
    alice_search_id = json.loads(body)["id"] if st == 200 else 0

    rng = {"from": "1", "until": "now"}
    st, j, _, _ = srv.api("services", rng, tok=alice)
    names = sorted(s["name"] for s in j["services"]) if st == 200 else []
    check("services: alice's four", names == ["leaky", "leakyheap", "search", "timed"], (st, j))
    st, j, _, _ = srv.api("services", rng, tok=bob)
    check("services: bob sees only his own", st == 200 and [s["name"] for s in j["services"]] == ["search"], j)
    st, j, _, _ = srv.api("types", dict(rng, service="leakyheap"), tok=alice)
    check("types: heap has four sample types, inuse averaged, alloc summed",
          st == 200 and len(j["types"]) == 1 and
          [(t["type"], t["aggregation"]) for t in j["types"][0]["sample_types"]] ==
          [("alloc_objects", "sum"), ("alloc_space", "sum"), ("inuse_objects", "average"),
           ("inuse_space", "average")], j)
    st, j, _, _ = srv.api("labels", dict(rng, query='{service="leaky"}'), tok=alice)
    check("labels: env and pod", st == 200 and j["names"] == ["env", "pod"], j)
    st, j, _, _ = srv.api("label_values", dict(rng, query='{service="leaky"}', name="env"), tok=alice)
    check("label_values: test", st == 200 and j["values"] == ["test"], j)

    # ---- the merge of a range equals hearth top of the same files ----
    sel = srv.url + '/{service="leaky"}'
    for si in ("samples", "cpu"):
        rc, want, err = hearth("top", "-sample_index=" + si, *series)
        rc2, got, err2 = hearth("top", "-sample_index=" + si, "-from=1", "-until=now",
                                "-token=" + alice, sel)
        check("merge: top -sample_index=%s of the server's range equals top of the files" % si,
              rc == 0 and rc2 == 0 and strip_header(got) == strip_header(want),
              "%s\n--- server ---\n%s\n--- files ---\n%s" % (err2, got[:1500], want[:1500]))
    rc, want, _ = hearth("traces", *series)
    rc2, got, err2 = hearth("traces", "-from=1", "-until=now", sel, env={"HEARTH_TOKEN": alice})
    # traces prints samples in the profile's order, which a merge read from
    # rollups (built when the background compaction has run) need not keep:
    # the same samples, in any order.
    check("merge: traces with $HEARTH_TOKEN equal traces of the files",
          rc2 == 0 and trace_blocks(got) == trace_blocks(want), err2 + got[:800])
    rc, want, _ = hearth("top", "-focus=main", "-lines", *series)
    rc2, got, err2 = hearth("top", "-focus=main", "-lines", "-from=1", "-until=now",
                            "-token=" + alice, sel)
    check("merge: options apply to the server's merge as to files",
          rc2 == 0 and strip_header(got) == strip_header(want), err2 + got[:800])
    rc2, got, err2 = hearth("top", "-from=1", "-until=now", "-token=" + bob, sel)
    check("merge: bob's token reads nothing of alice's service", rc2 != 0 and "leaky" not in got,
          (rc2, got, err2))
    rc2, got, err2 = hearth("top", "-from=1", "-until=now", sel)
    check("merge: no token is refused (401)", rc2 != 0 and "401" in err2, err2)

    # Heap: inuse_* are averaged per profile, alloc_* summed.  Two copies
    # of one profile: the average is that profile exactly, the sum its
    # merge with itself (hearth top of the file given twice).
    hsel = srv.url + '/{service="leakyheap"}'
    for si in ("alloc_objects", "alloc_space", "inuse_objects", "inuse_space"):
        files = [heap, heap] if si.startswith("alloc") else [heap]
        rc, want, _ = hearth("top", "-sample_index=" + si, *files)
        rc2, got, err2 = hearth("top", "-sample_index=" + si, "-from=1", "-until=now",
                                "-token=" + alice, hsel)
        check("merge: heap %s (%s) equals hearth top of %s" %
              (si, "summed" if len(files) == 2 else "averaged",
               "the file twice" if len(files) == 2 else "the file"),
              rc2 == 0 and strip_header(got) == strip_header(want),
              "%s\n--- server ---\n%s\n--- files ---\n%s" % (err2, got[:1200], want[:1200]))

    # ---- render views: profile JSON, flame total ----
    st, j, _, _ = srv.api("render/profile", dict(rng, query='{service="leakyheap"}'), tok=alice)
    check("render/profile: two profiles merged, aggregation per sample type",
          st == 200 and j["profiles"] == 2 and
          [t.get("aggregation") for t in j["sample_types"]] == ["sum", "sum", "average", "average"], j)
    st, j, _, _ = srv.api("render/flame", dict(rng, query='{service="leaky"}', sample_index="1"), tok=alice)
    totals = [file_totals(f) for f in series]
    want_total = sum(t[1] for t in totals) if all(totals) else None
    check("render/flame: the root is the sum of the files' cpu",
          st == 200 and want_total is not None and j.get("total") == want_total,
          (st, str(j)[:300], want_total))
    # ---- merges without the samples' labels ----
    # Views that show no labels are answered from a merge by stack alone
    # (HEARTH_MERGE_NO_LABELS); the same answers as the merge with labels,
    # which a tag option forces (a tagignore that drops nothing), and as
    # hearth of the files.
    for svc, files, sis in (("leaky", series, ("samples", "cpu")),
                            ("leakyheap", [heap], ("alloc_space", "inuse_space"))):
        for view in ("top", "flame", "peek"):
            for si in sis:
                base = dict(rng, query='{service="%s"}' % svc, sample_index=si)
                if view == "peek":
                    base["f"] = "main"
                st1, j1, b1, _ = srv.api("render/" + view, dict(base, labels="0"), tok=alice)
                st2, j2, b2, _ = srv.api("render/" + view, dict(base, tagignore="nosuchtag=x"),
                                         tok=alice)
                check("no labels: render/%s of %s (%s) equals the merge with labels" %
                      (view, svc, si), st1 == 200 and st2 == 200 and j1 is not None and
                      no_filter(j1) == no_filter(j2), (st1, st2, b1[:300], b2[:300]))
    for svc, files in (("leaky", series), ("leakyheap", [heap, heap])):
        p = dict(rng, query='{service="%s"}' % svc, format="pprof")
        st1, _, nolab, _ = srv.api("render/download", dict(p, labels="0"), tok=alice)
        st2, _, full, _ = srv.api("render/download", p, tok=alice)
        nf, ff = os.path.join(tmp, svc + ".nolabels.pb.gz"), os.path.join(tmp, svc + ".full.pb.gz")
        with open(nf, "wb") as f:
            f.write(nolab)
        with open(ff, "wb") as f:
            f.write(full)
        sis = ("samples", "cpu") if svc == "leaky" else ("alloc_space", "alloc_objects")
        for si in sis:
            rc, want, _ = hearth("top", "-sample_index=" + si, *files)
            rc1, got1, e1 = hearth("top", "-sample_index=" + si, nf)
            rc2, got2, e2 = hearth("top", "-sample_index=" + si, ff)
            check("no labels: download?labels=0 of %s reports as the files and the full merge (%s)"
                  % (svc, si), st1 == 200 and st2 == 200 and rc == rc1 == rc2 == 0 and
                  strip_header(got1) == strip_header(want) == strip_header(got2),
                  "%s %s\n--- labels=0 ---\n%s\n--- files ---\n%s" % (e1, e2, got1[:800], want[:800]))
        if svc == "leaky":
            rc1, tags1, _ = hearth("tags", nf)
            rc2, tags2, _ = hearth("tags", ff)
            rcw, tagsw, _ = hearth("tags", *files)
            check("no labels: download?labels=0 of leaky has no handler label, the full one "
                  "the files' labels", rc1 == 0 and "handler" not in tags1 and rc2 == 0 and
                  "handler" in tags2 and strip_header(tags2) == strip_header(tagsw),
                  (tags1[:300], tags2[:300], tagsw[:300]))

    st, j, _, _ = srv.api("render/top", dict(rng, query='{service="leaky"}', bogus="1"), tok=alice)
    check("render: an unknown option is 400", st == 400 and "bogus" in j.get("error", ""), j)
    st, j, _, _ = srv.api("render/nosuchview", dict(rng, query='{service="leaky"}'), tok=alice)
    check("render: an unknown view is 404", st == 404, (st, j))
    # A tenant's profile that names files of the server (/etc/passwd, and
    # relative names found by walking up from its working directory):
    # Source shows every one as missing, none of their lines.
    st, body = srv.push("tests/data/reports/abs-files.pb.gz", bob, {"service": "absfiles"})
    check("push a profile naming the server's files", st == 200, (st, body))
    st, j, _, _ = srv.api("render/source", dict(rng, query='{service="absfiles"}', f="main\\.reads"), tok=bob)
    text = j.get("text", "") if isinstance(j, dict) else ""
    passwd = open("/etc/passwd").readline().strip()
    check("render/source reads no file a tenant's profile names",
          st == 200 and text.count("ROUTINE") == 3 and passwd not in text and "root:" not in text
          and text.count("could not find file") + text.count("no such file") == 3, (st, text[:600]))
    st, j, _, _ = srv.api("render/disasm", dict(rng, query='{service="leaky"}', f="main"), tok=alice)
    check("render: no disassembly (it would open files a tenant's profile names): 404",
          st == 404 and "disassembly" in j.get("error", ""), (st, j))

    # ---- single profiles: the list, totals per profile, the download ----
    st, j, _, _ = srv.api("profiles", dict(rng, query='{service="leaky"}', limit="4"), tok=alice)
    listed = []
    pages = 0
    while st == 200 and pages < 10:
        listed += j["profiles"]
        pages += 1
        if not j.get("next_cursor"):
            break
        st, j, _, _ = srv.api("profiles", dict(rng, query='{service="leaky"}', limit="4",
                                                cursor=j["next_cursor"]), tok=alice)
    check("profiles: ten listed over pages of four", sorted(p["id"] for p in listed) == sorted(ids),
          (st, [p["id"] for p in listed], ids))
    byid = dict((p["id"], p) for p in listed)
    good = all(i in byid and byid[i]["totals"] == totals[k] for k, i in enumerate(ids))
    check("profiles: each profile's totals equal the file's (hearth raw)", good,
          [(byid.get(i, {}).get("totals"), totals[k]) for k, i in enumerate(ids)][:4])
    # Series: one step per profile, around each profile's own time.
    series_ok = True
    detail = []
    for k, i in enumerate(ids):
        if i not in byid:
            series_ok = False
            break
        t = byid[i]["time"]
        st, j, _, _ = srv.api("series", {"query": '{service="leaky"}', "type": "cpu", "sample_index": "1",
                                         "from": ns_rfc3339(t), "until": ns_rfc3339(t + 1000000),
                                         "step": "0.001"}, tok=alice)
        pts = [p for s in (j or {}).get("series", []) for p in s["points"]] if st == 200 else None
        if pts != [[t, totals[k][1]]]:
            series_ok = False
            detail.append((st, pts, t, totals[k][1], str(j)[:200]))
    check("series: each step's total equals its profile's (cpu)", series_ok, detail[:3])
    st, j, _, _ = srv.api("series", dict(rng, query='{service="leaky"}', step="1000000"), tok=alice)
    allpts = [p[1] for s in (j or {}).get("series", []) for p in s["points"]] if st == 200 else []
    check("series: one step over everything sums the default sample type",
          st == 200 and sum(allpts) == sum(t[1] for t in totals), (st, allpts, str(j)[:300]))

    down = os.path.join(tmp, "down.pb.gz")
    if alice_search_id:
        st, h, body = srv.request("/api/v1/profiles/%d" % alice_search_id, tok=alice)
        with open(down, "wb") as f:
            f.write(body)
        for cmd in ("top", "traces"):
            rc, want, _ = hearth(cmd, cpu)
            rc2, got, err2 = hearth(cmd, down)
            check("download: %s of the stored profile equals %s of the pushed file" % (cmd, cmd),
                  st == 200 and rc2 == 0 and strip_header(got) == strip_header(want),
                  "%s %s\n%s" % (st, err2, got[:600]))
        rc, want, _ = hearth("raw", cpu)
        rc2, got, _ = hearth("raw", down)
        check("download: the profile's time and duration are kept",
              re.findall(r"^(Time|Duration): .*$", want, re.M) ==
              re.findall(r"^(Time|Duration): .*$", got, re.M))
    st, _, body = srv.request("/api/v1/profiles/%d" % bob_id, tok=alice)
    check("isolation: bob's profile id is 404 for alice", st == 404, (st, body[:200]))
    st, _, body = srv.request("/api/v1/profiles/%d" % alice_search_id, tok=bob)
    check("isolation: alice's profile id is 404 for bob", st == 404, (st, body[:200]))
    st, _, body = srv.request("/api/v1/profiles/999999", tok=alice)
    check("profiles: an id that does not exist is 404 too", st == 404, (st, body[:200]))

    # ---- diff: a range against a base range, as -diff_base ----
    if len(listed) == 10:
        times = sorted(byid[i]["time"] for i in ids)
        order = sorted(range(10), key=lambda k: byid[ids[k]]["time"])
        newer = [series[k] for k in order[5:]]
        older = [series[k] for k in order[:5]]
        params = {"query": '{service="leaky"}', "format": "pprof",
                  "from": ns_rfc3339(times[5]), "until": ns_rfc3339(times[9] + 1),
                  "base_from": ns_rfc3339(times[0]), "base_until": ns_rfc3339(times[5])}
        st, _, body, _ = srv.api("render/download", params, tok=alice)
        dfile = os.path.join(tmp, "diff.pb.gz")
        with open(dfile, "wb") as f:
            f.write(body)
        for si in ("samples", "cpu"):
            rc, want, _ = hearth("top", "-sample_index=" + si,
                                 *["-diff_base=" + o for o in older], *newer)
            rc2, got, err2 = hearth("top", "-sample_index=" + si, dfile)
            check("diff: the server's diff of two ranges (%s) equals hearth top -diff_base" % si,
                  st == 200 and rc == 0 and rc2 == 0 and strip_header(got) == strip_header(want),
                  "%s %s\n--- server ---\n%s\n--- files ---\n%s" % (st, err2, got[:1000], want[:1000]))
        st, j, _, _ = srv.api("render/profile",
                              {k: v for k, v in params.items() if k != "format"}, tok=alice)
        check("diff: render/profile says diff", st == 200 and j.get("diff") is True, j)

    # ---- limits: nothing partly stored ----
    st, j, _, _ = srv.api("usage", tok=alice)
    before = j.get("profiles") if st == 200 else None
    check("usage: alice's count", before == 14, j)
    st, body = raw_request(srv, "POST /api/v1/push?service=big HTTP/1.1\r\nHost: x\r\n"
                           "Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n" % (alice, 5 << 20))
    check("limits: a Content-Length over -max_body is 413 before the body is read",
          st == 413 and b"error" in body, (st, body[:200]))
    chunk = b"%x\r\n%s\r\n" % (1 << 20, b"\0" * (1 << 20))
    st, body = raw_request(srv, "POST /api/v1/push?service=big HTTP/1.1\r\nHost: x\r\n"
                           "Authorization: Bearer %s\r\nTransfer-Encoding: chunked\r\n\r\n" % alice,
                           chunk * 6 + b"0\r\n\r\n")
    check("limits: a chunked body over -max_body is 413 while it is read",
          st == 413 and b"error" in body, (st, body[:200]))
    bomb = gzip.compress(b"\0" * (64 << 20))
    st, _, body = srv.request("/api/v1/push?service=bomb", "POST", None, bomb, alice)
    check("limits: a gzip bomb over -max_decompressed is 413", st == 413, (st, body[:200]))
    with open(cpu, "rb") as f:
        good_body = f.read()
    raw = gzip.decompress(good_body)
    st, _, body = srv.request("/api/v1/push?service=trunc", "POST", None, raw[: len(raw) // 2], alice)
    check("limits: a truncated profile is 400", st == 400, (st, body[:200]))
    st, _, body = srv.request("/api/v1/push?service=bad&labels=__x=1", "POST", None, good_body, alice)
    check("limits: a reserved label name is 400", st == 400, (st, body[:200]))
    st, _, body = srv.request("/api/v1/push", "POST", None, good_body, alice)
    check("push: no service is 400", st == 400, (st, body[:200]))
    st, j, _, _ = srv.api("usage", tok=alice)
    check("limits: none of it was stored", st == 200 and j.get("profiles") == before, j)

    # ---- the UI's session: login, cookie, CSRF ----
    st, j, _, h = srv.api("login", method="POST", body=json.dumps({"token": alice}).encode(),
                          headers={"Content-Type": "text/plain"})
    check("login: a form's body (not JSON) is refused, no cookie",
          st == 415 and "set-cookie" not in h, (st, j))
    st, j, _, h = srv.api("login", method="POST", body=json.dumps({"token": alice}).encode(),
                          headers={"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"})
    check("login: from another site is refused", st == 403 and "set-cookie" not in h, (st, j))
    st, j, _, h = srv.api("login", method="POST", body=json.dumps({"token": alice}).encode(),
                          headers={"Content-Type": "application/json"})
    cookie = h.get("set-cookie", "")
    check("login: sets an HttpOnly SameSite=Strict cookie and gives a csrf token",
          st == 200 and "hearth_session=" in cookie and "HttpOnly" in cookie and
          "SameSite=Strict" in cookie and j.get("csrf") and j.get("tenant") == "alice", (st, j, cookie))
    sess = {"Cookie": cookie.split(";")[0]}
    csrf = (j or {}).get("csrf", "")
    st, j, _, _ = srv.api("whoami", headers=sess)
    check("session: whoami through the cookie", st == 200 and j.get("tenant") == "alice" and
          j.get("csrf") == csrf, j)
    st, j, _, _ = srv.api("tokens", method="POST", body=b'{"scopes":"read"}', headers=sess)
    check("session: a write through the cookie without X-Hearth-CSRF is 403", st == 403, (st, j))
    st, j, _, _ = srv.api("tokens", method="POST", body=b'{"scopes":"read","description":"ui"}',
                          headers=dict(sess, **{"X-Hearth-CSRF": csrf}))
    check("tokens: created through the cookie with the CSRF header", st == 200 and j.get("token"), (st, j))
    new_tok, new_id = (j or {}).get("token"), (j or {}).get("id")
    st, j, _, _ = srv.api("services", rng, tok=new_tok)
    check("tokens: the new token reads", st == 200, (st, j))
    st, j, _, _ = srv.api("tokens", tok=alice)
    check("tokens: listed", st == 200 and new_id in [t["id"] for t in j["tokens"]], j)
    st, j, _, _ = srv.api("tokens", tok=alice_read)
    check("tokens: a token without admin is 403", st == 403, (st, j))
    st, j, _, _ = srv.api("tokens/%s" % new_id, method="DELETE", tok=bob)
    check("tokens: bob cannot revoke alice's token (403 without admin)", st in (403, 404), (st, j))
    st, j, _, _ = srv.api("tokens/%s" % new_id, method="DELETE", tok=alice)
    check("tokens: revoked", st == 200, (st, j))
    st, j, _, _ = srv.api("services", rng, tok=new_tok)
    check("tokens: a revoked token is 401", st == 401, (st, j))
    st, j, _, _ = srv.api("logout", method="POST", headers=dict(sess, **{"X-Hearth-CSRF": csrf}))
    check("logout", st == 200, (st, j))
    st, j, _, _ = srv.api("whoami", headers=sess)
    check("session: ended by logout", st == 401, (st, j))

    # The UI's files are served to anyone; they show nothing without a token.
    st, h, body = srv.request("/")
    check("ui: / is the UI's page", st == 200 and h.get("content-type", "").startswith("text/html"), st)

    # A token created while the server runs works at once.
    late = token(data, "carol", "push,read")
    st, j, _, _ = srv.api("services", rng, tok=late)
    check("tokens: created by hearth token while the server runs", st == 200 and j["services"] == [], (st, j))

    # ---- SIGTERM: a clean stop; an upload in flight is finished ----
    import socket
    with open(cpu, "rb") as f:
        upload = f.read()
    sock = socket.create_connection((srv.host, srv.port), timeout=30)
    sock.sendall(("POST /api/v1/push?service=inflight HTTP/1.1\r\nHost: x\r\n"
                  "Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n" % (alice, len(upload))).encode())
    sock.sendall(upload[: len(upload) // 2])
    time.sleep(0.3)
    srv.p.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    refused = False
    try:
        socket.create_connection((srv.host, srv.port), timeout=5).close()
    except OSError:
        refused = True
    check("serve: after SIGTERM no new connection is taken", refused)
    sock.sendall(upload[len(upload) // 2:])
    answer = b""
    try:
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            b = sock.recv(65536)
            if not b:
                break
            answer += b
    except OSError:
        pass
    sock.close()
    check("serve: the upload in flight at SIGTERM is finished and answered 200",
          answer.startswith(b"HTTP/1.1 200"), answer[:300])
    rc, err = srv.stop()
    check("serve: SIGTERM stops it with status 0", rc == 0, (rc, err[-3000:]))
    srv2 = Server(data)
    servers.append(srv2)
    st, j, _, _ = srv2.api("usage", tok=alice)
    check("serve: after a restart the data is there, the upload in flight too",
          st == 200 and j.get("profiles") == before + 1, (before, j))
    rc, err = srv2.stop(signal.SIGINT)
    check("serve: SIGINT stops it with status 0", rc == 0, (rc, err[-500:]))

    # ---- per-profile and per-tenant limits, on a server of their own ----
    ldata = os.path.join(tmp, "lim")
    ltok = token(ldata, "lim", "push,read")
    conf = os.path.join(tmp, "lim.yaml")
    with open(conf, "w") as f:
        f.write("# limits of the test\nmax_samples: 5\nmax_labels: 2\nmax_label_len: 8\n"
                "max_series: 2\nrate_limit: 1000\n")
    lim = Server(ldata, "-config=" + conf)
    servers.append(lim)
    st, body = lim.push(cpu, ltok, {"service": "a"})
    check("limits: more samples than -max_samples is 413", st == 413 and b"error" in body, (st, body[:200]))
    small = os.path.join(CORPUS, "leaky.threadcreate.pb.gz")
    st, body = lim.push(small, ltok, {"service": "a", "labels": "a=1,b=2,c=3"})
    check("limits: more labels than -max_labels is 4xx", 400 <= st < 500, (st, body[:200]))
    st, body = lim.push(small, ltok, {"service": "a", "labels": "a=123456789"})
    check("limits: a label value longer than -max_label_len is 4xx", 400 <= st < 500, (st, body[:200]))
    codes = [lim.push(small, ltok, {"service": "s%d" % k})[0] for k in range(3)]
    check("limits: the series past -max_series is 4xx", codes[:2] == [200, 200] and 400 <= codes[2] < 500,
          codes)
    st, j, _, _ = lim.api("usage", tok=ltok)
    check("limits: only what was answered 200 is stored", st == 200 and j.get("profiles") == 2, j)
    lim.stop()
    with open(conf, "w") as f:
        f.write("max_samples: 5\nmax_sample: 3\n")
    rc, out, err = hearth("serve", "-listen=127.0.0.1:0", *store_args(ldata), "-config=" + conf)
    check("config: an unknown setting is a usage error naming the line",
          rc == 2 and "lim.yaml:2" in err and "max_sample" in err, (rc, err))

    # ---- retention: the background sweep deletes what is past it ----
    rdata = os.path.join(tmp, "ret")
    rtok = token(rdata, "ret", "push,read")
    ret = Server(rdata, "-retention=1h", "-sweep_interval=1s", "-compact_interval=1s")
    servers.append(ret)
    codes = [ret.push(small_file(), rtok, {"service": "r", "time": t})[0] for t in ("-3h", "-2h", "-1m")]
    counts = []
    deadline = time.time() + 20
    while time.time() < deadline:
        st, j, _, _ = ret.api("usage", tok=rtok)
        counts.append(j.get("profiles") if st == 200 else st)
        if counts[-1] == 1:
            break
        time.sleep(0.5)
    check("retention: the sweep thread deletes the profiles past -retention, keeps the rest",
          codes == [200, 200, 200] and counts[-1] == 1, (codes, counts[-5:]))
    rc, err = ret.stop()
    check("retention: the server with its background thread stops cleanly", rc == 0, (rc, err[-2000:]))

    # ---- a public instance: signup, and requests per second per tenant ----
    pub = Server(os.path.join(tmp, "pub"), "-signup=open", "-signups_per_hour=1", "-rate_limit=1")
    servers.append(pub)
    st, j, _, _ = pub.api("signup", method="POST", body=b"")
    check("signup: a new tenant and its token", st == 200 and j.get("token") and j.get("tenant"), (st, j))
    ptok = (j or {}).get("token")
    st2, j2, _, h2 = pub.api("signup", method="POST", body=b"")
    check("signup: rate-limited per address (429, Retry-After)", st2 == 429 and "retry-after" in h2, (st2, j2))
    codes = [pub.api("usage", tok=ptok)[0] for _ in range(6)]
    check("limits: requests per second per tenant (429 past the burst)", 429 in codes and codes[0] == 200, codes)
    rc, err = pub.stop()
    check("serve: the public instance stops cleanly", rc == 0, (rc, err[-300:]))


if __name__ == "__main__":
    main()
