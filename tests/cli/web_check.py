#!/usr/bin/env python3
"""The checks of tests/cli/web.sh: hearth web against hearth's own CLI.

    web_check.py HEARTH [-v]

Prints a FAIL line per failed check and ends with "N passed, M failed".
"""
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
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET

HEARTH = sys.argv[1]
VERBOSE = len(sys.argv) > 2 and sys.argv[2] == "-v"
DATA = "tests/data"
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
        for line in str(detail).splitlines()[:15]:
            print("     " + line)


def check(name, cond, detail=""):
    if cond:
        ok(name)
    else:
        bad(name, detail)
    return cond


class Server:
    """hearth web -no_browser ARGS..., on a free port of 127.0.0.1."""

    def __init__(self, *args):
        self.args = args
        self.p = subprocess.Popen([HEARTH, "web", "-no_browser"] + list(args),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.p.stdout.readline().decode()
        m = re.match(r"Serving hearth web on http://([0-9.]+):([0-9]+)/?\s*$", line)
        if not m:
            err = self.p.stderr.read().decode() if self.p.poll() is not None else ""
            raise RuntimeError("no URL printed: %r %s" % (line, err))
        self.host, self.port = m.group(1), int(m.group(2))

    def request(self, path, method="GET", headers=None, body=None):
        c = http.client.HTTPConnection(self.host, self.port, timeout=120)
        c.putrequest(method, path, skip_host=bool(headers and "Host" in headers),
                     skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            c.putheader(k, v)
        if body is not None:
            c.putheader("Content-Length", str(len(body)))
        c.endheaders(body)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data

    def get(self, endpoint, params=None):
        q = urllib.parse.urlencode(params or {})
        return self.request("/api/%s%s%s" % (endpoint, "?" if q else "", q))

    def json(self, endpoint, params=None):
        st, h, data = self.get(endpoint, params)
        if st != 200:
            raise RuntimeError("%s %s: %d %s" % (endpoint, params, st, data[:300]))
        return json.loads(data)

    def stop(self, sig=signal.SIGTERM):
        self.p.send_signal(sig)
        try:
            rc = self.p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = "hung"
        err = self.p.stderr.read().decode()
        return rc, err


def hearth(*args):
    r = subprocess.run([HEARTH] + list(args), capture_output=True, env=dict(os.environ, TZ="UTC"))
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


ROW = re.compile(r"^\s*(\S+)\s+(\S+)%\s+(\S+)%\s+(\S+)\s+(\S+)%  (.*)$")


def parse_top(text):
    """hearth top's output: (header lines, rows)."""
    lines = text.rstrip("\n").split("\n")
    i = next(k for k, l in enumerate(lines) if re.match(r"^\s+flat\s+flat%\s+sum%\s+cum\s+cum%$", l))
    rows = []
    for l in lines[i + 1:]:
        m = ROW.match(l)
        if not m:
            raise ValueError("unparsed row %r" % l)
        name, mark = m.group(6), ""
        for suffix in (" (partial-inline)", " (inline)"):
            if name.endswith(suffix):
                name, mark = name[: -len(suffix)], suffix
        rows.append(dict(flat_label=m.group(1), flat_pct=float(m.group(2)),
                         sum_pct=float(m.group(3)), cum_label=m.group(4),
                         cum_pct=float(m.group(5)), name=name, mark=mark))
    return lines[:i], rows


def cli_flags(params):
    out = []
    for k, v in params.items():
        out.append("-" + k if v == "1" else "-%s=%s" % (k, v))
    return out


def compare_top(srv, params, profile, extra_cli=()):
    name = "top %s %s" % (os.path.basename(profile), params)
    try:
        j = srv.json("top", params)
    except Exception as e:
        return bad(name, e)
    rc, out, err = hearth("top", *(list(extra_cli) + cli_flags(params) + [profile]))
    if rc != 0:
        return bad(name, "hearth top failed: " + err)
    header, rows = parse_top(out)
    problems = []
    if j["header"] != header:
        problems.append("header: %r != %r" % (j["header"], header))
    if len(j["rows"]) != len(rows):
        problems.append("%d rows, top has %d" % (len(j["rows"]), len(rows)))
    for a, b in zip(j["rows"], rows):
        for k in ("name", "flat_label", "cum_label"):
            if a[k] != b[k]:
                problems.append("%s: %r != %r" % (k, a[k], b[k]))
        for k in ("flat_pct", "sum_pct", "cum_pct"):
            if abs(a[k] - b[k]) > 1e-9 * max(1, abs(b[k])):
                problems.append("%s of %s: %r != %r" % (k, b["name"], a[k], b[k]))
        if a["inline"] != (b["mark"] != "") or a["partial_inline"] != (b["mark"] == " (partial-inline)"):
            problems.append("inline mark of %s" % b["name"])
    warn = [l for l in err.splitlines() if l]
    if j["warnings"] != warn:
        problems.append("warnings %r != %r" % (j["warnings"], warn))
    check(name, not problems, "\n".join(problems[:10]))
    return j


def same_rows(a, b):
    """The rows of two top outputs: names and values (not the shares)."""
    ra = [(r["name"], r["flat_label"], r["cum_label"]) for r in parse_top(a)[1]]
    rb = [(r["name"], r["flat_label"], r["cum_label"]) for r in parse_top(b)[1]]
    return ra == rb and len(ra) > 0


def top_total_label(profile, *flags):
    rc, out, err = hearth("top", *(list(flags) + [profile]))
    m = re.search(r"^Showing nodes accounting for (\S+), (\S+)% of (\S+) total$", out, re.M)
    return m.groups() if m else None


def main():
    cpu = os.path.join(DATA, "leaky.cpu.pb.gz")
    heap = os.path.join(DATA, "leaky.heap.pb.gz")
    s1, s2 = os.path.join(DATA, "leaky.series.01.cpu.pb.gz"), os.path.join(DATA, "leaky.series.02.cpu.pb.gz")
    tmp = tempfile.mkdtemp()
    servers = []
    try:
        srv = Server(cpu)
        servers.append(srv)
        ok("starts and prints its URL")

        # --- static files ---
        st, h, body = srv.request("/")
        check("GET / is the UI page", st == 200 and h.get("content-type", "").startswith("text/html")
              and b"<" in body, (st, h))
        st, h, body = srv.request("/", method="HEAD")
        check("HEAD /", st == 200 and body == b"", (st, len(body)))
        st, h, body = srv.request("/no-such-file.js")
        check("unknown file: 404 JSON", st == 404 and "error" in json.loads(body), (st, body))

        # --- profile ---
        p = srv.json("profile")
        check("profile", p["title"] == "leaky.cpu.pb.gz" and p["sources"] == ["leaky.cpu.pb.gz"]
              and [t["type"] for t in p["sample_types"]] == ["samples", "cpu"]
              and p["default_sample_index"] == 1 and p["diff"] is False, p)

        # --- top: rows as hearth top prints them ---
        for params in ({}, {"nodecount": "10"}, {"sample_index": "samples"}, {"sample_index": "0"},
                       {"focus": "leak"}, {"lines": "1"}, {"cum": "1", "nodecount": "12"},
                       {"ignore": "runtime", "nodefraction": "0"}, {"hide": "math", "noinlines": "1"},
                       {"tagfocus": "handler=long"}, {"relative_percentages": "1", "focus": "main"},
                       {"files": "1"}, {"unit": "ms"}, {"divide_by": "1000"}):
            compare_top(srv, params, cpu)

        # --- search: what top -focus=RE shows with every node kept ---
        total = srv.json("top")["total"]
        for q in ("leakSome", r"math\.", "^runtime\\.", "nomatchatall"):
            try:
                j = srv.json("search", {"q": q})
            except Exception as e:
                bad("search " + q, e)
                continue
            want = top_total_label(cpu, "-focus=" + q, "-nodefraction=0")
            check("search %s matched" % q, want and j["matched_label"] == want[0]
                  and j["total"] == total and abs(j["share"] - j["matched"] / total * 100) < 1e-9,
                  (j, want))
        # the view's own focus and the search must both hold
        try:
            j = srv.json("search", {"q": r"math\.", "focus": "LongRunning"})
            alone = srv.json("search", {"q": r"math\."})
            view = srv.json("search", {"q": "LongRunning"})
            check("search within the view's focus", 0 < j["matched"] <= min(alone["matched"], view["matched"]),
                  (j, alone, view))
            j = srv.json("search", {"q": "LongRunning", "focus": "LongRunning"})
            check("search equal to the view's focus", j["matched"] == view["matched"], (j, view))
        except Exception as e:
            bad("search with focus", e)
        st, h, body = srv.get("search", {})
        check("search without q: 400", st == 400, (st, body))

        # --- flame ---
        for params in ({}, {"sample_index": "samples"}, {"lines": "1"}, {"noinlines": "1"}):
            try:
                f = srv.json("flame", params)
                t = srv.json("top", params)
                check("flame root = top total %s" % params,
                      f["frames"]["value"][0] == t["total"] and f["total"] == t["total"]
                      and f["frames"]["depth"][0] == 0 and "warnings" in f, (f["frames"]["value"][0], t["total"]))
            except Exception as e:
                bad("flame %s" % params, e)
        try:
            f = srv.json("flame", {"resolution": "200000"})
            check("flame resolution=200000", f["resolution"] == 200000, f["resolution"])
            f = srv.json("flame", {"focus": "^main.leakSome$", "prune_from": "^main.leakSome$", "reverse": "1"})
            names = f["names"]
            kids = [names[f["frames"]["name"][i]] for i in range(len(f["frames"]["depth"])) if f["frames"]["depth"][i] == 1]
            check("flame reverse: the root's children are where samples end", f["reverse"] is True
                  and kids == ["main.leakSome"], kids)
            f = srv.json("flame", {"focus": "nomatchatall"})
            check("flame warnings", f["warnings"] == ["Focus expression matched no samples"], f["warnings"])
            f = srv.json("flame", {"inverted": "1"})
            check("flame inverted", f["inverted"] is True)
        except Exception as e:
            bad("flame options", e)
        st, h, body = srv.get("flame", {"resolution": "0"})
        check("flame resolution=0: 400", st == 400, (st, body))
        st, h, body = srv.get("flame", {"resolution": "200001"})
        check("flame resolution too fine: 400", st == 400, (st, body))

        # --- cache: the same answer twice ---
        a, b = srv.get("top", {"focus": "main", "lines": "1"}), srv.get("top", {"lines": "1", "focus": "main"})
        check("identical queries, identical answers", a[0] == b[0] == 200 and a[2] == b[2])

        # --- graph ---
        st, h, body = srv.get("graph")
        try:
            root = ET.fromstring(body)
            check("graph is SVG", st == 200 and h["content-type"] == "image/svg+xml"
                  and root.tag.endswith("svg") and b"main.leakSome" in body, (st, h))
        except ET.ParseError as e:
            bad("graph is SVG", e)

        # --- source and peek ---
        try:
            j = srv.json("peek", {"f": "leakSome"})
            rc, out, err = hearth("peek", "leakSome", cpu)
            check("peek as hearth peek", j["text"] == out, (j["text"][:200], out[:200]))
            j = srv.json("source", {"f": "leakSome"})
            rc, out, err = hearth("list", "leakSome", cpu)
            check("source as hearth list", j["text"] == out, (j["text"][:300], out[:300]))
        except Exception as e:
            bad("source/peek", e)
        st, h, body = srv.get("peek", {})
        check("peek without f: 400", st == 400, (st, body))

        # --- downloads (never named as the original: .focused with options, .hearth without) ---
        st, h, body = srv.get("download", {"format": "pprof"})
        check("download pprof without options: named .hearth", st == 200 and
              h.get("content-disposition", "") == 'attachment; filename="leaky.cpu.hearth.pb.gz"', (st, h.get("content-disposition")))
        for fmt, ext in (("pprof", "pb.gz"), ("folded", "folded"), ("speedscope", "speedscope.json"), ("svg", "svg")):
            st, h, body = srv.get("download", {"format": fmt, "focus": "main"})
            path = os.path.join(tmp, "dl." + ext)
            with open(path, "wb") as fh:
                fh.write(body)
            cd = h.get("content-disposition", "")
            if not check("download %s: 200 and attachment" % fmt, st == 200 and
                         cd == 'attachment; filename="leaky.cpu.focused.%s"' % ext, (st, cd, body[:200])):
                continue
            if fmt == "pprof":
                want = hearth("top", "-focus=main", cpu)[1]
                got = hearth("top", path)[1]
                check("download pprof: hearth top of it = top -focus=main", same_rows(got, want), (got[:400], want[:400]))
                if shutil.which("go"):
                    r = subprocess.run(["go", "tool", "pprof", "-top", path], capture_output=True,
                                       env=dict(os.environ, PPROF_BINARY_PATH="/nonexistent"))
                    check("download pprof: go tool pprof reads it", r.returncode == 0 and b"main.leakSome" in r.stdout,
                          r.stderr.decode()[:300])
            elif fmt == "folded":
                want = hearth("top", "-focus=main", cpu)[1]
                got = hearth("top", path)[1]
                check("download folded: read back by hearth", same_rows(got, want),
                      (got[:400], want[:400]))
            elif fmt == "speedscope":
                try:
                    j = json.loads(body)
                    check("download speedscope parses", "profiles" in j and "shared" in j)
                except ValueError as e:
                    bad("download speedscope parses", e)
            else:
                try:
                    check("download svg parses", ET.fromstring(body).tag.endswith("svg"))
                except ET.ParseError as e:
                    bad("download svg parses", e)
        st, h, body = srv.get("download", {"format": "exe"})
        check("download format=exe: 400", st == 400, (st, body))

        # --- bad requests: 400 with the library's message, and the server goes on ---
        cases = [
            ("top", {"focus": "("}, "focus"),
            ("flame", {"ignore": "[z-a]"}, "ignore"),
            ("top", {"sample_index": "nosuchtype"}, "sample_index"),
            ("flame", {"sample_index": "7"}, "sample_index"),
            ("top", {"base": "/etc/passwd"}, "cannot be set through the API"),
            ("flame", {"diff_base": "x.pb.gz"}, "cannot be set through the API"),
            ("source", {"f": "x", "source_path": "/"}, "cannot be set through the API"),
            ("top", {"output": "/tmp/x"}, "cannot be set through the API"),
            ("top", {"symbolize": "remote"}, "cannot be set through the API"),
            ("flame", {"source": "/etc/passwd"}, "unknown parameter"),
            ("top", {"nodecount": "lots"}, "nodecount"),
            ("top", {"mean": "perhaps"}, "mean"),
            ("top", {"divide_by": "0"}, "zero divisor"),
        ]
        for ep, params, want in cases:
            st, h, body = srv.get(ep, params)
            try:
                msg = json.loads(body).get("error", "")
            except ValueError:
                msg = ""
            check("%s %s: 400 %r" % (ep, params, want), st == 400 and want in msg
                  and h.get("content-type", "").startswith("application/json"), (st, body[:300]))
        st, h, body = srv.request("/api/top?focus=%zz")
        check("bad %-escape: 400", st == 400, (st, body))
        st, h, body = srv.request("/api/nosuch")
        check("unknown endpoint: 404", st == 404, (st, body))

        # --- nothing outside the embedded files is served ---
        for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd",
                     "/etc/passwd", "//etc/passwd", "/%2fetc%2fpasswd", "/api/../../etc/passwd",
                     "/api/%2e%2e/%2e%2e/etc/passwd", "/index.html/../../etc/passwd",
                     "/api/flame?source=/etc/passwd", "/api/top?base=/etc/passwd",
                     "/" + os.path.abspath(cpu), "/tests/data/leaky.cpu.pb.gz", "/web/index.html"):
            st, h, body = srv.request(path)
            check("not served: %s" % path, st in (400, 403, 404) and b"root:" not in body
                  and b"\x1f\x8b" not in body[:2], (st, body[:100]))

        # --- methods, Host, sizes ---
        for m in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
            st, h, body = srv.request("/api/top", method=m, body=b"x=1")
            check("%s: 405" % m, st == 405 and "GET" in h.get("allow", ""), (st, h))
        for host, want in (("evil.example", 403), ("127.0.0.1.evil.example", 403), ("localhost.evil", 403),
                           ("evil.example:%d" % srv.port, 403), ("localhost:%d" % srv.port, 200),
                           ("127.0.0.1:%d" % srv.port, 200), ("[::1]:%d" % srv.port, 200), ("LOCALHOST", 200)):
            st, h, body = srv.request("/api/profile", headers={"Host": host})
            check("Host: %s -> %d" % (host, want), st == want, (st, body[:200]))
        st, h, body = srv.request("/api/top?focus=" + "a" * 20000)
        check("huge query: 414", st in (413, 414, 431), (st, body[:100]))
        st, h, body = srv.request("/api/top?" + "&".join("focus=%d" % i for i in range(100)))
        check("too many parameters: 413", st == 413, (st, body[:100]))
        st, h, body = srv.request("/" + "x" * 100000)
        check("huge path refused", st in (400, 413, 414, 431), st)

        # --- many at once ---
        results = []

        def worker(i):
            try:
                st, h, body = srv.get("flame" if i % 2 else "top", {"nodecount": str(i + 1), "focus": "main|math"})
                results.append(st)
            except Exception as e:
                results.append(str(e))

        ts = [threading.Thread(target=worker, args=(i,)) for i in range(12)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        check("12 requests at once", results == [200] * 12, results)

        # --- several requests on one connection (keep-alive) ---
        c = http.client.HTTPConnection(srv.host, srv.port, timeout=60)
        sts = []
        for path in ("/api/profile", "/api/top?nodecount=3", "/", "/api/nosuch", "/api/profile"):
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            sts.append(r.status)
        c.close()
        check("keep-alive: five requests on one connection", sts == [200, 200, 200, 404, 200], sts)

        st, h, body = srv.request("/api/profile")
        check("still serving after all of it", st == 200, st)

        # --- command-line defaults, overridden by the query ---
        srv2 = Server("-lines", "-focus=main", heap)
        servers.append(srv2)
        p = srv2.json("profile")
        check("profile defaults", p["defaults"].get("focus") == "main" and p["defaults"].get("lines") == "1", p["defaults"])
        compare_top(srv2, {}, heap, extra_cli=("-lines", "-focus=main"))
        compare_top(srv2, {"functions": "1", "sample_index": "alloc_space"}, heap, extra_cli=("-focus=main",))
        compare_top(srv2, {"focus": "", "inuse_objects": "1"}, heap, extra_cli=("-lines",))
        rc, err = srv2.stop(signal.SIGINT)
        servers.remove(srv2)
        check("exits 0 on SIGINT", rc == 0, (rc, err))

        # --- diff ---
        srv3 = Server("-diff_base=" + s1, s2)
        servers.append(srv3)
        try:
            p = srv3.json("profile")
            f = srv3.json("flame")
            t = srv3.json("top")
            check("diff_base: diff everywhere", p["diff"] and f["diff"] and t["diff"]
                  and "base_value" in f["frames"] and p["title"] == "leaky.series.02.cpu.pb.gz vs leaky.series.01.cpu.pb.gz", (p, t["diff"]))
            compare_top(srv3, {}, s2, extra_cli=("-diff_base=" + s1,))
        except Exception as e:
            bad("diff_base", e)
        srv3.stop()
        servers.remove(srv3)
        srv4 = Server("-base=" + s1, s2)
        servers.append(srv4)
        try:
            f = srv4.json("flame")
            rc, out, err = hearth("flame", "-json", "-base=" + s1, s2)
            want = json.loads(out)
            check("base: flame as hearth flame -json -base", f["diff"] and f["frames"] == want["frames"]
                  and f["names"] == want["names"], "")
            compare_top(srv4, {}, s2, extra_cli=("-base=" + s1,))
        except Exception as e:
            bad("base", e)
        srv4.stop()
        servers.remove(srv4)

        # --- flame JSON = hearth flame -json ---
        for flags, params in (([], {}), (["-lines"], {"lines": "1"}), (["-inverted"], {"inverted": "1"})):
            f = srv.json("flame", params)
            rc, out, err = hearth("flame", "-json", *(flags + [cpu]))
            want = json.loads(out)
            f.pop("warnings")
            f.pop("reverse")
            want.pop("reverse", None)
            check("flame = hearth flame -json %s" % flags, f == want, "")

        # --- corpus profiles, when there ---
        if os.path.isdir(CORPUS):
            for name, params in (("searchsvc.heap.pb.gz", {"sample_index": "alloc_space"}),
                                 ("leaky.mutex.pb.gz", {}), ("leaky.goroutine.pb.gz", {"lines": "1"}),
                                 ("leaky.block.pb.gz", {"mean": "1"})):
                path = os.path.join(CORPUS, name)
                if not os.path.exists(path):
                    continue
                s = Server(path)
                servers.append(s)
                compare_top(s, params, path)
                try:
                    f = s.json("flame", params)
                    t = s.json("top", params)
                    if not params.get("mean"):
                        check("flame root = top total on %s" % name, f["frames"]["value"][0] == t["total"])
                except Exception as e:
                    bad("flame on %s" % name, e)
                s.stop()
                servers.remove(s)

        rc, err = srv.stop()
        servers.remove(srv)
        check("exits 0 on SIGTERM", rc == 0, (rc, err))
        check("nothing on stderr", err == "", err)

        # --- usage errors ---
        r = subprocess.run([HEARTH, "web", "-no_browser", "-http=nonsense", cpu], capture_output=True, timeout=30)
        check("-http=nonsense: exit 2", r.returncode == 2 and b"host:port" in r.stderr, r.stderr)
        r = subprocess.run([HEARTH, "web", "-no_browser"], capture_output=True, timeout=30)
        check("no profile: exit 2", r.returncode == 2, r.stderr)
        r = subprocess.run([HEARTH, "web", "-no_browser", "/nonexistent.pb.gz"], capture_output=True, timeout=30)
        check("missing profile: exit 1", r.returncode == 1, r.stderr)
    except Exception as e:
        bad("unexpected", repr(e))
    finally:
        for s in servers:
            try:
                s.p.kill()
            except Exception:
                pass
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
