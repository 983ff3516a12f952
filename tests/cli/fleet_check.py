#!/usr/bin/env python3
"""The checks of tests/cli/fleet.sh: the public fleet report of the real
`hearth serve`, against figures computed apart from it.

    fleet_check.py HEARTH [-v]

Synthetic tenants push real CPU profiles (../shared/corpus, Go 1.19, and
tests/data/go126, Go 1.26), some with their own functions renamed like the
standard library's.  The expected report is computed here from `hearth top`
of the same files (flat and cum per function, -focus for the GC share, cross
checked with `go tool pprof` once) and `go list std` of both Go versions,
with the rules of docs/fleet.md; the server's report must equal it, and
must never name a tenant, a service, a label value or a symbol outside the
standard library.  Then tenants opt out (API and CLI) and the next report
must be the one without them.

Prints a FAIL line per failed check and ends with "N passed, M failed".
"""
import gzip
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_check as sc  # noqa: E402  (the Server class, hearth(), token())

CORPUS = "../shared/corpus"
GO126 = "tests/data/go126"
K = 5


# ---- profile.proto: rename strings of the string table -------------------

from strip_functions import enc_varint, varint  # noqa: E402  (profile.proto's varints)


def rename(src, dst, mapping, optional=()):
    """Copies profile src to dst with the strings of mapping replaced in its
    string table (field 6): function names, file names."""
    b = gzip.open(src).read()
    out = bytearray()
    i = 0
    found = set()
    while i < len(b):
        start = i
        key, i = varint(b, i)
        wt = key & 7
        if wt == 0:
            _, i = varint(b, i)
        elif wt == 1:
            i += 8
        elif wt == 5:
            i += 4
        elif wt == 2:
            n, j = varint(b, i)
            i = j + n
            if key >> 3 == 6:
                s = b[j:i].decode("utf-8", "replace")
                if s in mapping:
                    found.add(s)
                    s2 = mapping[s].encode()
                    out += enc_varint(key) + enc_varint(len(s2)) + s2
                    continue
        else:
            raise ValueError("wire type %d" % wt)
        out += b[start:i]
    missing = set(mapping) - found - set(optional)
    if missing:
        raise ValueError("%s: no %s" % (src, sorted(missing)))
    with gzip.open(dst, "wb") as f:
        f.write(bytes(out))


# ---- the reference --------------------------------------------------------

def go_list_std():
    pkgs = set()
    for go in ("/usr/local/go/bin/go", "/usr/lib/go-1.19/bin/go"):
        if os.path.exists(go):
            r = subprocess.run([go, "list", "std"], capture_output=True, text=True, timeout=300)
            pkgs |= set(r.stdout.split())
    return pkgs


STD = None


def top_rows(files, *opts):
    """(flat, cum, name) of every node of `hearth top`, in nanoseconds."""
    rc, out, err = sc.hearth("top", "-unit=ns", "-nodefraction=0", "-edgefraction=0",
                             "-nodecount=1000000", *opts, *files)
    if rc:
        raise RuntimeError("hearth top %s: %s" % (files, err))
    rows = []
    for line in out.split("\n"):
        m = re.match(r"^\s*(-?\d+)(?:ns)?\s+\S+\s+\S+\s+(-?\d+)(?:ns)?\s+\S+\s+(.*)$", line)
        if m:
            name = re.sub(r" \(inline\)$", "", m.group(3))
            rows.append((int(m.group(1)), int(m.group(2)), name))
    total = int(re.search(r"of (\d+)ns total", out).group(1))
    return rows, total, out


def norm_name(name):
    """Type arguments dropped, as hearth does: "f[a, b]" -> "f[...]"."""
    out, depth = "", 0
    for c in name:
        if c == "[":
            if depth == 0:
                out += "[...]"
            depth += 1
        elif c == "]":
            depth -= 1
        elif depth == 0:
            out += c
    return out


def is_std(name, file):
    """docs/fleet.md's rule: a package of `go list std`, the function's file
    in that package's directory (trimpath or GOROOT/src)."""
    n = norm_name(name)
    base = n.rsplit("/", 1)[-1]
    if "." not in base:
        return False
    pkg = n[:len(n) - len(base)] + base.split(".", 1)[0]
    if pkg not in STD:
        return False
    d = file.rsplit("/", 1)[0] if "/" in file else ""
    return d == pkg or d.endswith("/src/" + pkg)


def unit_figures(files):
    """What one unit (a service and Go version) contributes: total CPU, GC
    CPU (-focus of the report's own regexp), and flat/cum of the standard
    library's functions."""
    rows, total, _ = top_rows(files)
    frows, _, _ = top_rows(files, "-filefunctions")
    files_of = {}
    for _, _, nf in frows:
        name, _, file = nf.rpartition(" ")
        files_of.setdefault(name, set()).add(file)
    std = {}
    for flat, cum, name in rows:
        fs = files_of.get(name, set())
        if any(is_std(name, f) for f in fs):
            k = norm_name(name)
            a = std.setdefault(k, [0, 0])
            a[0] += flat
            a[1] += cum
    std = {k: v for k, v in std.items() if v[1] > 0}
    rc, out, err = sc.hearth("top", "-unit=ns", "-nodefraction=0", "-nodecount=1000000",
                             "-focus=" + GC_RE, *files)
    m = re.search(r"Showing nodes accounting for (\d+)ns", out)
    gc = int(m.group(1)) if rc == 0 and m else 0
    return {"total": total, "gc": gc, "std": std}


def rank(v, p):
    v = sorted(v)
    r = math.ceil(p * len(v))
    return v[max(r, 1) - 1]


def expected_report(units, opted, frac):
    """The report of docs/fleet.md over the units of the opted tenants."""
    us = [u for u in units if u["tenant"] in opted]
    tenants = {u["tenant"] for u in us}
    r = {"tenants": len(tenants) if len(tenants) >= K else 0}

    def agg(sel):
        ts = {u["tenant"] for u in sel}
        if len(ts) < K or not sel:
            return None
        shares = [u["gc"] / u["total"] for u in sel]
        return {"tenants": len(ts), "services": len(sel), "mean": sum(shares) / len(shares),
                "p10": rank(shares, 0.10), "p50": rank(shares, 0.50), "p90": rank(shares, 0.90),
                "cpu_weighted": sum(u["gc"] for u in sel) / sum(u["total"] for u in sel)}

    byv, withheld, shown, rest = [], 0, [], []
    for v in sorted({u["version"] for u in us}):
        vs = [u for u in us if u["version"] == v]
        a = agg(vs)
        if a:
            a["go_version"] = v
            byv.append(a)
            shown += vs
        else:
            withheld += 1
            rest += vs
    # The overall figure takes the versions withheld only when they have k
    # tenants together: else it less the versions shown would tell theirs.
    if agg(rest):
        shown += rest
    r["gc"] = agg(shown)
    r["gc_by_go_version"] = byv
    r["go_versions_withheld"] = withheld
    syms = {}
    for u in us:
        for name, (flat, cum) in u["std"].items():
            s = syms.setdefault(name, [set(), 0.0, 0.0])
            s[0].add(u["tenant"])
            s[1] += flat / u["total"]
            s[2] += cum / u["total"]
    r["stdlib"] = sorted(({"function": n, "tenants": len(s[0]), "flat": s[1] / len(us),
                           "cum": s[2] / len(us)}
                          for n, s in syms.items() if len(s[0]) >= K and len(tenants) >= K),
                         key=lambda f: (-f["flat"], f["function"]))
    r["services"] = len(us) if len(tenants) >= K else 0
    fr = [(t, v) for (t, svc), v in frac.items() if t in opted]
    ft = {t for t, _ in fr}
    vals = [v for _, v in fr]
    r["runtime_gc_cpu_fraction"] = None if len(ft) < K else {
        "tenants": len(ft), "services": len(vals), "mean": sum(vals) / len(vals),
        "p10": rank(vals, 0.10), "p50": rank(vals, 0.50), "p90": rank(vals, 0.90)}
    return r


def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def same_agg(got, want):
    if want is None or got is None:
        return got == want
    for k, v in want.items():
        g = got.get(k)
        if isinstance(v, float):
            if not isinstance(g, (int, float)) or not close(g, v):
                return False
        elif g != v:
            return False
    return True


def compare(name, got, want):
    sc.check(name + ": tenants", got.get("tenants") == want["tenants"],
             "got %s want %s" % (got.get("tenants"), want["tenants"]))
    sc.check(name + ": services", got.get("services") == want["services"],
             "got %s want %s" % (got.get("services"), want["services"]))
    sc.check(name + ": GC share over all", same_agg(got.get("gc"), want["gc"]),
             "got %s\nwant %s" % (got.get("gc"), want["gc"]))
    sc.check(name + ": the runtime's GC CPU fraction (scraped)",
             same_agg(got.get("runtime_gc_cpu_fraction"), want["runtime_gc_cpu_fraction"]),
             "got %s\nwant %s" % (got.get("runtime_gc_cpu_fraction"),
                                  want["runtime_gc_cpu_fraction"]))
    gv = got.get("gc_by_go_version") or []
    sc.check(name + ": GC share by Go version",
             len(gv) == len(want["gc_by_go_version"]) and
             all(same_agg(a, b) for a, b in zip(gv, want["gc_by_go_version"])),
             "got %s\nwant %s" % (gv, want["gc_by_go_version"]))
    sc.check(name + ": versions withheld",
             got.get("go_versions_withheld") == want["go_versions_withheld"],
             "got %s want %s" % (got.get("go_versions_withheld"), want["go_versions_withheld"]))
    gs = got.get("stdlib") or []
    ws = want["stdlib"]
    gnames = [f.get("function") for f in gs]
    wnames = [f["function"] for f in ws]
    sc.check(name + ": the standard-library functions of >= k tenants (%d)" % len(wnames),
             gnames == wnames,
             "only in report: %s\nmissing: %s\norder: %s" % (
                 sorted(set(gnames) - set(wnames))[:20], sorted(set(wnames) - set(gnames))[:20],
                 gnames[:10]))
    bad = [(g, w) for g, w in zip(gs, ws)
           if g.get("tenants") != w["tenants"] or not close(g.get("flat", -1), w["flat"]) or
           not close(g.get("cum", -1), w["cum"])]
    sc.check(name + ": their tenants, flat and cum shares", not bad, str(bad[:5]))


def never_named(name, text, secrets):
    leaked = [s for s in secrets if s in text]
    sc.check(name + ": names no tenant, service, label value or own symbol", not leaked,
             str(leaked))


def only_std(name, report):
    fns = [f.get("function", "") for f in report.get("stdlib") or []]
    bad = []
    for f in fns:
        base = f.rsplit("/", 1)[-1]
        pkg = f[:len(f) - len(base)] + base.split(".", 1)[0]
        if pkg not in STD:
            bad.append(f)
    sc.check(name + ": every function is the standard library's", not bad, str(bad))


GC_RE = None


def main():
    global STD, GC_RE
    STD = go_list_std()
    if not sc.check("go list std", len(STD) > 200, "%d packages" % len(STD)):
        return
    tmp = tempfile.mkdtemp(prefix="hearth-fleet-")
    data = os.path.join(tmp, "data")
    srv = None
    try:
        # Four tenants' leaky profiles call main.LongRunningFunction a
        # standard-library name in a standard-library directory (fewer than
        # k: never shown); five call main.leakSome "net/http.fleetDisguised"
        # in a file that is not net/http's (as many as k: never shown).
        def leaky(n, fake_four):
            src = os.path.join(CORPUS, "leaky.%s.pb.gz" % n)
            dst = os.path.join(tmp, "%s%s.pb.gz" % (n, ".four" if fake_four else ""))
            m = {"main.leakSome": "net/http.fleetDisguised"}
            if fake_four:
                m.update({"main.LongRunningFunction": "encoding/json.fleetFakeFour",
                          "leaky/main.go": "encoding/json/fake.go"})
            # series.05 never ran main.leakSome.
            rename(src, dst, m, optional=["main.leakSome"])
            return dst

        net126 = os.path.join(GO126, "netsubject.cpu.pb.gz")
        # (tenant, service, label, files); label: a series label of the Go
        # version or None.
        plan = [
            ("t-aurora", "aurora-billing", "go_version=go1.19.8",
             [leaky("series.01.cpu", True), leaky("series.02.cpu", True)]),
            ("t-borealis", "borealis-search", "go_version=go1.19.8",
             [os.path.join(CORPUS, "searchsvc.cpu.pb.gz")]),
            ("t-cirrus", "cirrus-api", "go_version=go1.19.8", [leaky("series.03.cpu", True)]),
            ("t-cirrus", "cirrus-edge", "go_version=go1.26.0", [net126]),
            ("t-dunes", "dunes-worker", "go_version=go1.19.8", [leaky("series.06.cpu", True)]),
            ("t-estuary", "estuary-jobs", None,
             [leaky("series.07.cpu", True), leaky("series.05.cpu", True)]),
            ("t-fjord", "fjord-api", "process.runtime.version=go1.26.0", [net126]),
            ("t-glacier", "glacier-svc", "go_version=go1.19.8", [leaky("cpu", False)]),
            # Never opts in.
            ("t-hermit", "hermit-secret", "go_version=go1.19.8",
             [os.path.join(CORPUS, "leaky.series.08.cpu.pb.gz")]),
        ]
        tenants = sorted({p[0] for p in plan})
        toks = {t: sc.token(data, t, "push,read,admin") for t in tenants}
        srv = sc.Server(data, "-fleet_k=%d" % K, "-fleet_top=1000", "-fleet_refresh=1h")

        # Nothing yet: the public report exists, with nothing in it.
        st, j, raw, h = srv.api("fleet/report")
        sc.check("GET /api/v1/fleet/report without a token: 200", st == 200, raw[:300])
        GC_RE = (j or {}).get("gc_functions", "")
        sc.check("the report names its GC functions' regexp", GC_RE.startswith("^runtime\\."),
                 GC_RE)
        sc.check("empty report: no aggregate", j and j.get("gc") is None and j.get("stdlib") == [],
                 raw[:300])
        st, j, raw, h = srv.api("fleet")
        sc.check("GET /api/v1/fleet without a token: 401", st == 401, raw[:200])

        now = int(time.time()) - 120
        for i, (t, svc, label, files) in enumerate(plan):
            for n, f in enumerate(files):
                params = {"service": svc, "time": str(now - 10 * n - i)}
                if label:
                    params["labels"] = label
                st, body = srv.push(f, toks[t], params)
                sc.check("push %s %s" % (t, os.path.basename(f)), st == 200, body[:200])

        # The runtime's own GC CPU fraction (as hearth scrape pushes it from
        # MemStats): two points per service, the later one counts.
        frac = {}
        for i, (t, svc, label, files) in enumerate(plan):
            v = round(0.001 * (i + 1) + 0.0001 * len(svc), 6)
            for dt, val in ((60, 0.5), (30, v)):
                st, j, raw, h = srv.api("metrics", {"service": svc, "time": str(now - dt)},
                                        tok=toks[t], method="POST",
                                        body=("gc_cpu_fraction %r\n" % val).encode())
                sc.check("push gc_cpu_fraction of %s" % svc, st == 200, raw[:200])
            frac[(t, svc)] = v

        # Each unit's figures, from hearth top over the same files.
        units = []
        for t, svc, label, files in plan:
            v = "unknown"
            if label:
                v = re.sub(r"^(go1\.\d+).*", r"\1", label.split("=", 1)[1])
            u = unit_figures(files)
            u.update({"tenant": t, "service": svc, "version": v, "files": files})
            units.append(u)
        # The GC figure of one unit by go tool pprof too (the reference's
        # reference): the same nanoseconds as hearth top -focus.
        u = next(u for u in units if u["service"] == "borealis-search")
        r = subprocess.run(["go", "tool", "pprof", "-top", "-unit=ns", "-nodefraction=0",
                            "-nodecount=1000000", "-focus=" + GC_RE] + u["files"],
                           capture_output=True, text=True, timeout=300)
        m = re.search(r"Showing nodes accounting for (\d+)ns", r.stdout)
        sc.check("go tool pprof -focus agrees with hearth top -focus (%d ns)" % u["gc"],
                 m and int(m.group(1)) == u["gc"], r.stdout[:400] + r.stderr[:400])
        sc.check("the GC share is not zero everywhere", any(u["gc"] > 0 for u in units))

        # Opted-out tenants (all of them, still) are in no report.
        st, j, raw, h = srv.api("fleet/report")
        sc.check("nobody opted in: no aggregate",
                 j and j.get("gc") is None and j.get("stdlib") == [] and j.get("tenants") == 0,
                 raw[:300])

        # A tenant's own view: its services' GC share, as hearth top says.
        for t in tenants:
            st, j, raw, h = srv.api("fleet", tok=toks[t])
            if not sc.check("GET /api/v1/fleet of %s: 200" % t, st == 200, raw[:300]):
                continue
            sc.check("%s: not opted in" % t, j.get("opt_in") is False, raw[:200])
            got = {(s["service"], s["go_version"]): s for s in j.get("services", [])}
            for u in units:
                if u["tenant"] != t:
                    continue
                s = got.get((u["service"], u["version"]))
                sc.check("%s/%s: CPU and GC nanoseconds equal hearth top's (%d, %d)" % (
                    t, u["service"], u["total"], u["gc"]),
                    s and s["cpu_nanos"] == u["total"] and s["gc_nanos"] == u["gc"],
                    "got %s" % (s and {k: s[k] for k in ("cpu_nanos", "gc_nanos")}))
                fl = {f["function"]: f["flat_nanos"] for f in (s or {}).get("stdlib", [])}
                top3 = sorted(u["std"].items(), key=lambda kv: -kv[1][0])[:3]
                sc.check("%s/%s: its hottest standard-library functions" % (t, u["service"]),
                         all(fl.get(n) == v[0] for n, v in top3), "got %s want %s" % (
                             list(fl.items())[:3], top3))

        # Opt-in: through the API (admin scope) and through hearth fleet.
        st, j, raw, h = srv.api("fleet", tok=sc.token(data, "t-aurora", "read"), method="POST",
                                body=b'{"opt_in": true}')
        sc.check("opt-in without the admin scope: 403", st == 403, raw[:200])
        st, j, raw, h = srv.api("fleet", tok=toks["t-aurora"], method="POST", body=b'{"opt": 1}')
        sc.check("opt-in with a bad body: 400", st == 400, raw[:200])
        opted = set()
        for t in tenants:
            if t == "t-hermit":
                continue
            if t in ("t-aurora", "t-borealis", "t-cirrus", "t-dunes"):
                st, j, raw, h = srv.api("fleet", tok=toks[t], method="POST",
                                        body=b'{"opt_in": true}')
                sc.check("opt-in of %s by the API" % t, st == 200 and j.get("opt_in") is True,
                         raw[:200])
            else:
                rc, out, err = sc.hearth("fleet", "optin", *sc.cli_store_args(data), "-tenant=" + t)
                sc.check("hearth fleet optin -tenant=%s" % t, rc == 0, err)
            opted.add(t)

        secrets = tenants + [u["service"] for u in units] + [
            "go1.19.8", "go1.26.0", "process.runtime", "main.", "leaky/",
            "fleetFakeFour", "fleetDisguised", "netsubject", "searchsvc"]

        def round_(name, opted):
            st, j, raw, h = srv.api("fleet/report")
            if not sc.check(name + ": 200", st == 200 and j is not None, raw[:300]):
                return None
            want = expected_report(units, opted, frac)
            compare(name, j, want)
            never_named(name + " (JSON)", raw.decode("utf-8", "replace"), secrets)
            only_std(name, j)
            st2, h2, page = srv.request("/fleet")
            sc.check(name + ": the page", st2 == 200 and h2.get("content-type", "").startswith(
                "text/html") and b"Fleet report" in page, page[:200])
            never_named(name + " (page)", page.decode("utf-8", "replace"), secrets)
            for f in (j.get("stdlib") or [])[:3]:
                fn = f["function"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                sc.check(name + ": the page lists " + f["function"], fn.encode() in page)
            return j

        j = round_("7 tenants", opted)
        if j:
            sc.check("7 tenants: some functions are shown", len(j.get("stdlib") or []) > 5)
            sc.check("7 tenants: Go 1.19 is shown, Go 1.26 (2 tenants) is not",
                     [a.get("go_version") for a in j.get("gc_by_go_version", [])] == ["go1.19"],
                     j.get("gc_by_go_version"))
            st, v, raw, h = srv.api("fleet", tok=toks["t-dunes"])
            sc.check("t-dunes: opted in", st == 200 and v.get("opt_in") is True, raw[:200])

        # Opting out: the next report is the one without the tenant (the
        # report is kept an hour, -fleet_refresh, unless the set changes).
        st, j, raw, h = srv.api("fleet", tok=toks["t-glacier"], method="POST",
                                body=b'{"opt_in": false}')
        sc.check("opt-out of t-glacier by the API", st == 200 and j.get("opt_in") is False,
                 raw[:200])
        opted.discard("t-glacier")
        j = round_("6 tenants (t-glacier out)", opted)
        if j:
            sc.check("6 tenants: Go 1.19 (now 4 tenants) is withheld",
                     j.get("gc_by_go_version") == [], j.get("gc_by_go_version"))
        rc, out, err = sc.hearth("fleet", "optout", *sc.cli_store_args(data), "-tenant=t-borealis")
        sc.check("hearth fleet optout while the server runs", rc == 0, err)
        opted.discard("t-borealis")
        round_("5 tenants (t-borealis out, by the CLI)", opted)
        rc, out, err = sc.hearth("fleet", "report", *sc.cli_store_args(data), "-k=%d" % K, "-top=1000")
        if sc.check("hearth fleet report", rc == 0, err):
            compare("hearth fleet report", json.loads(out), expected_report(units, opted, frac))
        rc, out, err = sc.hearth("fleet", "optout", *sc.cli_store_args(data), "-tenant=t-fjord")
        opted.discard("t-fjord")
        j = round_("4 tenants (fewer than k)", opted)
        if j:
            sc.check("4 tenants: nothing is shown",
                     j.get("gc") is None and j.get("stdlib") == [] and j.get("tenants") == 0 and
                     j.get("gc_by_go_version") == [], json.dumps(j)[:300])
        # Errors of the CLI.
        rc, out, err = sc.hearth("fleet", "optin", *sc.cli_store_args(data), "-tenant=nobody")
        sc.check("hearth fleet optin of an unknown tenant: status 1, no tenant made",
                 rc == 1 and "tenant not found" in err, err)
        rc, out, err = sc.hearth("fleet", "report", *sc.cli_store_args(data), "-k=2")
        sc.check("hearth fleet report -k=2: refused (k >= 5)", rc == 2, err)
        rc, err = srv.stop()
        sc.check("server stops with status 0", rc == 0, err[-500:])
        srv = None
    finally:
        if srv:
            srv.stop()
        subprocess.run(["rm", "-rf", tmp])
    print("%d passed, %d failed" % (sc.passed, sc.failed))
    return sc.failed == 0


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
