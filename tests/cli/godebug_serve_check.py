#!/usr/bin/env python3
"""The checks of tests/cli/godebug_serve.sh: GODEBUG logs pushed to the real
`hearth serve` (POST /api/v1/godebug) and read back as summaries and charts,
against `hearth godebug` on the same files and the logs' own lines.

    godebug_serve_check.py HEARTH [-v]

The logs are written during the test by tests/subjects/rtsubject, built with
the newest Go and with Debian's Go 1.19 when it is there.  Prints a FAIL line
per failed check and ends with "N passed, M failed".
"""
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_check as sc  # noqa: E402

SUBJECT = os.path.abspath("tests/subjects/rtsubject")


def build_and_run(tmp, tag, go, dbg):
    """The subject built with go, run under GODEBUG=dbg: its stderr's path."""
    exe = os.path.join(tmp, "rt-" + tag)
    env = dict(os.environ, GOFLAGS="-mod=mod", GO111MODULE="on", GOTOOLCHAIN="local")
    if os.path.isdir(os.path.expanduser("~/.cache/go-build")):
        env["GOCACHE"] = os.path.expanduser("~/.cache/go-build")
    if not os.path.exists(exe):
        r = subprocess.run([go, "build", "-o", exe, "."], cwd=SUBJECT, env=env,
                           capture_output=True, text=True, timeout=600)
        if not sc.check("%s: go build" % tag, r.returncode == 0, r.stderr[-800:]):
            return None
    log = os.path.join(tmp, "%s.%s.log" % (tag, dbg.replace(",", "_").replace("=", "")))
    with open(log, "wb") as f:
        r = subprocess.run([exe, "-d", "300ms", "-parked", "8"], stdout=subprocess.DEVNULL,
                           stderr=f, env=dict(os.environ, GODEBUG=dbg), timeout=60)
    if not sc.check("%s %s: the subject ran" % (tag, dbg), r.returncode == 0):
        return None
    return log


def cli_json(*logs):
    """hearth godebug -json LOG...: one object per log."""
    rc, out, err = sc.hearth("godebug", "-json", *logs)
    if rc:
        raise RuntimeError("hearth godebug -json: " + err)
    dec, objs, i = json.JSONDecoder(), [], 0
    while i < len(out):
        if out[i].isspace():
            i += 1
            continue
        o, i = dec.raw_decode(out, i)
        objs.append(o)
    return objs


def last_gc(log):
    """The last gc line's number and P%, read from the log here."""
    num = pct = None
    with open(log, "rb") as f:
        for line in f.read().decode("utf-8", "replace").split("\n"):
            m = re.search(r"gc (\d+) @[0-9.]+s (\d+)%", line)
            if m:
                num, pct = int(m.group(1)), int(m.group(2))
    return num, pct


def without_names(text, names):
    for n in names:
        text = text.replace(n, "NAME")
    return text


def main():
    gos = []
    newest = "/usr/local/go/bin/go" if os.path.exists("/usr/local/go/bin/go") else shutil.which("go")
    if newest:
        gos.append(("newest", newest))
    if os.path.exists("/usr/lib/go-1.19/bin/go"):
        gos.append(("go119", "/usr/lib/go-1.19/bin/go"))
    if not gos:
        print("godebug_serve: SKIP (needs go)")
        print("0 passed, 0 failed")
        return True
    tmp = tempfile.mkdtemp(prefix="hearth-godebug-serve-")
    data = os.path.join(tmp, "data")
    srv = None
    try:
        logs = []  # (tag, path)
        for tag, go in gos:
            for dbg in ("gctrace=1,schedtrace=100", "gctrace=1,schedtrace=100,scheddetail=1"):
                p = build_and_run(tmp, tag, go, dbg)
                if p:
                    logs.append((tag, p))
        if not logs:
            return False
        tok = sc.token(data, "acme", "push,read")
        other = sc.token(data, "other", "push,read")
        srv = sc.Server(data)
        now = int(time.time())
        pushed = {}  # path -> id
        for i, (tag, p) in enumerate(logs):
            svc = "rt-" + tag
            with open(p, "rb") as f:
                body = f.read()
            headers = {}
            if i == 1:  # one of them gzipped
                body = gzip.compress(body)
                headers["Content-Encoding"] = "gzip"
            st, j, raw, h = srv.api("godebug", {"service": svc, "labels": "env=test,run=%d" % i,
                                                "time": str(now - 600 + 10 * i)},
                                    tok=tok, method="POST", body=body, headers=headers)
            if not sc.check("push %s: 200" % os.path.basename(p), st == 200 and j, raw[:300]):
                continue
            pushed[p] = j["id"]
            cj = cli_json(p)[0]["lines"]
            sc.check("push %s: its line counts are hearth godebug's" % os.path.basename(p),
                     (j["lines"], j["gc"], j["sched"], j["scavenger"], j["other"], j["malformed"]) ==
                     (cj["total"], cj["gc"], cj["sched"], cj["scavenger"], cj["other"],
                      cj["malformed"]), "server %s\ncli %s" % (j, cj))
            sc.check("push %s: some gc and SCHED lines" % os.path.basename(p),
                     j["gc"] > 0 and j["sched"] > 0, j)

        for tag, _ in gos:
            svc = "rt-" + tag
            mine = [p for t, p in logs if t == tag and p in pushed]
            if not mine:
                continue
            names = ["%s #%d " % (svc, pushed[p]) for p in mine]
            q = {"service": svc, "from": str(now - 3600), "until": str(now + 60)}
            # Text: hearth godebug's summaries of the same logs, in time order.
            st, h, out = srv.request("/api/v1/godebug?" + "&".join(
                "%s=%s" % kv for kv in dict(q, format="text").items()), tok=tok)
            rc, want, err = sc.hearth("godebug", *mine)
            got = out.decode("utf-8", "replace")
            norm = lambda t: re.sub(r"(?m)^Log: .*$", "Log: NAME", t)  # noqa: E731
            sc.check("%s: GET /api/v1/godebug (text) = hearth godebug LOG..." % svc,
                     st == 200 and rc == 0 and norm(got) == norm(want),
                     "status %d\n--- server\n%s\n--- cli\n%s" % (st, got[:1500], want[:1500]))
            sc.check("%s: each log is named by service, id and time" % svc,
                     all(re.search(r"(?m)^Log: " + re.escape(n) + r"\d{4}-\d\d-\d\dT", got)
                         for n in names), got[:300])
            # JSON: hearth godebug -json's objects.
            st, j, raw, h = srv.api("godebug", dict(q, format="json"), tok=tok)
            want = cli_json(*mine)
            strip = lambda o: {k: v for k, v in o.items() if k != "log"}  # noqa: E731
            sc.check("%s: GET /api/v1/godebug (json) = hearth godebug -json" % svc,
                     st == 200 and j and [strip(o) for o in j["logs"]] == [strip(o) for o in want],
                     raw[:600])
            # SVG and HTML: hearth godebug -o's, but for the names.
            for ext in ("svg", "html"):
                outp = os.path.join(tmp, "%s.%s" % (svc, ext))
                rc, _, err = sc.hearth("godebug", "-o", outp, *mine)
                with open(outp, "rb") as f:
                    want = f.read().decode("utf-8", "replace")
                st, h, out = srv.request("/api/v1/godebug?service=%s&from=%d&until=%d&format=%s"
                                         % (svc, now - 3600, now + 60, ext), tok=tok)
                got = out.decode("utf-8", "replace")
                srv_names = re.findall(re.escape(svc) + r" #\d+ [0-9TZ:-]+", got)
                sc.check("%s: GET /api/v1/godebug (%s) = hearth godebug -o x.%s" % (svc, ext, ext),
                         st == 200 and rc == 0 and
                         without_names(got, set(srv_names)) == without_names(want, set(mine)),
                         "status %d, %d vs %d bytes" % (st, len(got), len(want)))
            # The metric series: the last log's last gc line.
            lastlog = mine[-1]
            num, pct = last_gc(lastlog)
            for name, want in (("gc_cpu_fraction", pct / 100), ("gc_count", num)):
                st, j, raw, h = srv.api("metrics", {"service": svc, "name": name,
                                                    "from": str(now - 3600),
                                                    "until": str(now + 60)}, tok=tok)
                pts = [p for s in (j or {}).get("series", []) for p in s["points"]]
                pts.sort()
                sc.check("%s: metric %s of the last log = its last gc line's (%s)" % (
                    svc, name, want), st == 200 and pts and abs(pts[-1][1] - want) < 1e-9,
                    raw[:300])
            # The logs, listed and read back byte for byte.
            st, j, raw, h = srv.api("godebug/logs", {"service": svc, "from": str(now - 3600),
                                                     "until": str(now + 60)}, tok=tok)
            sc.check("%s: GET /api/v1/godebug/logs lists them in time order" % svc,
                     st == 200 and [l["id"] for l in j["logs"]] == [pushed[p] for p in mine] and
                     all(l["labels"].get("env") == "test" for l in j["logs"]), raw[:300])
            for p in mine:
                st, h, out = srv.request("/api/v1/godebug/%d" % pushed[p], tok=tok)
                with open(p, "rb") as f:
                    sc.check("%s: GET /api/v1/godebug/%d is the log as pushed" % (svc, pushed[p]),
                             st == 200 and out == f.read(), "status %d" % st)
                # Another tenant sees none of it.
                st, h, out = srv.request("/api/v1/godebug/%d" % pushed[p], tok=other)
                sc.check("another tenant: GET /api/v1/godebug/%d is 404" % pushed[p], st == 404,
                         out[:200])
            st, j, raw, h = srv.api("godebug", q, tok=other)
            sc.check("another tenant: no logs of %s (404)" % svc, st == 404, raw[:200])

        # Refused: no runtime line, bad labels, no service, read-only token.
        before = srv.api("godebug/logs", {"from": str(now - 3600), "until": str(now + 60)},
                         tok=tok)[1]
        st, j, raw, h = srv.api("godebug", {"service": "x", "time": str(now - 5)}, tok=tok,
                                method="POST", body=b"hello\nworld\n\x00\xff garbage\n")
        sc.check("a body without GODEBUG lines: 400", st == 400 and "no GODEBUG line" in
                 (j or {}).get("error", ""), raw[:200])
        st, j, raw, h = srv.api("godebug", {"service": "x", "labels": "bad name=1"}, tok=tok,
                                method="POST", body=b"gc 1 @0.1s 0%: 0+0+0 ms clock\n")
        sc.check("bad labels: 400", st == 400, raw[:200])
        st, j, raw, h = srv.api("godebug", {}, tok=tok, method="POST",
                                body=b"SCHED 0ms: gomaxprocs=1\n")
        sc.check("no service: 400", st == 400, raw[:200])
        ro = sc.token(data, "acme", "read")
        st, j, raw, h = srv.api("godebug", {"service": "x"}, tok=ro, method="POST",
                                body=open(logs[0][1], "rb").read())
        sc.check("a token without push: 403", st == 403, raw[:200])
        after = srv.api("godebug/logs", {"from": str(now - 3600), "until": str(now + 60)},
                        tok=tok)[1]
        sc.check("refused pushes store nothing", before == after, "%s\n%s" % (before, after))
        st, j, raw, h = srv.api("godebug", {"service": "rt-newest", "format": "pdf"}, tok=tok)
        sc.check("format=pdf: 400", st == 400, raw[:200])
        rc, err = srv.stop()
        sc.check("server stops with status 0", rc == 0, err[-500:])
        srv = None
    finally:
        if srv:
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (sc.passed, sc.failed))
    return sc.failed == 0


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
