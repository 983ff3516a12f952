#!/usr/bin/env python3
"""Checks what a `hearth scrape -save=RAW -push=URL` run left in the server
(tests/cli/scrape.sh and the soak, bench/soak.sh).

    scrape_check.py counts URL TOKEN RAWDIR JOB ROUNDS INSTANCE...
    scrape_check.py deltas HEARTH URL TOKEN RAWDIR JOB TMPDIR INSTANCE...
    scrape_check.py gc URL TOKEN RAWDIR JOB INSTANCE...

counts: the stored profiles per target and type equal the scrapes that
  worked (the raw files -save kept; the cumulative types one fewer: the
  first scrape is only a base), no (target, type, time) is stored twice,
  each target's profiles of a type were stored in the order of their
  scrapes, and the whole list, in the order the server stored it (its ids),
  follows the order in which the scrapes finished (the raw files' mtimes:
  -save writes a scrape just before it goes into the spool).
deltas: every stored allocs delta equals `hearth top -base=PREV CUR` of
  the two raw scrapes it came from (alloc_space and alloc_objects).
gc: the GC series of the server (/api/v1/metrics) are the MemStats of the
  same scrapes, one point per scrape, in order.

Prints one line per finding; the last line is a summary.  Exit status 1
when something is off.
"""
import json
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request

CUMULATIVE = ("heap", "allocs", "block", "mutex")
TYPES = ["cpu", "goroutine", "threadcreate", "heap", "allocs", "block", "mutex"]


def get(url, token, path):
    req = urllib.request.Request(url + path, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read()


def profiles(url, token, job):
    """Every stored profile of the job's service, all pages."""
    out, cursor = [], None
    while True:
        q = {"query": '{service="%s"}' % job, "from": "-30d", "until": "now", "limit": "1000"}
        if cursor:
            q["cursor"] = cursor
        j = json.loads(get(url, token, "/api/v1/profiles?" + urllib.parse.urlencode(q)))
        out += j["profiles"]
        cursor = j.get("next_cursor")
        if not cursor:
            return out


def rawdir(root, inst, t):
    return os.path.join(root, inst.replace(":", "_"), t)


def raw_files(root, inst, t):
    d = rawdir(root, inst, t)
    return [os.path.join(d, f) for f in sorted(os.listdir(d))] if os.path.isdir(d) else []


def series(ps, inst, t):
    s = [p for p in ps if p["type"] == t and p["labels"].get("instance") == inst]
    s.sort(key=lambda p: p["time"])
    return s


def counts(url, token, root, job, rounds, insts):
    ps = profiles(url, token, job)
    bad = 0
    full = 0
    seen = set()
    for p in ps:
        k = (p["labels"].get("instance"), p["type"], p["time"])
        if k in seen:
            print("stored twice: %s %s at %d" % k)
            bad = 1
        seen.add(k)
    order = []  # (stored id, raw file mtime) for every stored profile
    for inst in insts:
        for t in TYPES:
            raw = raw_files(root, inst, t)
            s = series(ps, inst, t)
            want = len(raw) - 1 if t in CUMULATIVE else len(raw)
            # A slow answer under load may fail a scrape (it is on
            # /targets; on a machine loaded 15 times over its cores, one in
            # ten did); at least half must work.
            if len(s) != want or len(raw) < rounds * 0.5:
                print("%s %s: %d stored, want %d (%d of %d scrapes worked)"
                      % (inst, t, len(s), want, len(raw), rounds))
                bad = 1
            full += len(raw) == rounds
            ids = [p["id"] for p in s]
            if ids != sorted(ids):
                print("%s %s: stored out of the order of its scrapes" % (inst, t))
                bad = 1
            for p, f in zip(s, raw[1:] if t in CUMULATIVE else raw):
                order.append((p["id"], os.stat(f).st_mtime_ns, inst, t))
    order.sort()
    for a, b in zip(order, order[1:]):
        if b[1] < a[1]:
            print("stored out of order: id %d (%s %s) after id %d (%s %s), scraped earlier"
                  % (b[0], b[2], b[3], a[0], a[2], a[3]))
            bad = 1
            break
    print("%d profiles stored, %d series, %d of them with every one of %d scrapes; "
          "each once, in order" % (len(ps), len(insts) * len(TYPES), full, rounds))
    return bad


def top(hearth, si, *args):
    out = subprocess.run([hearth, "top", "-sample_index=" + si, "-nodecount=50"] + list(args),
                         capture_output=True, text=True).stdout
    i = out.find("flat%")
    return out[i:] if i >= 0 else ""


def deltas(hearth, url, token, root, job, tmp, insts):
    from concurrent.futures import ThreadPoolExecutor
    ps = profiles(url, token, job)
    bad = 0
    work = []
    for inst in insts:
        raw = raw_files(root, inst, "allocs")
        s = series(ps, inst, "allocs")
        if len(s) != len(raw) - 1 or not s:
            print("%s allocs: %d deltas stored for %d raw scrapes" % (inst, len(s), len(raw)))
            bad = 1
            continue
        work += [(inst, i, p, raw[i], raw[i + 1]) for i, p in enumerate(s)]

    def one(w):
        inst, i, p, prev, cur = w
        d = os.path.join(tmp, "delta%d.pb.gz" % p["id"])
        with open(d, "wb") as f:
            f.write(get(url, token, "/api/v1/profiles/%d" % p["id"]))
        out = []
        for si in ("alloc_space", "alloc_objects"):
            a = top(hearth, si, d)
            b = top(hearth, si, "-base=" + prev, cur)
            if a != b or not a:
                out.append("%s allocs delta %d (id %d), %s: differs from hearth top -base=%s %s"
                           % (inst, i, p["id"], si, prev, cur))
        os.unlink(d)
        return out

    # Two at a time: the machine's two cores.
    with ThreadPoolExecutor(2) as ex:
        for out in ex.map(one, work):
            for line in out:
                print(line)
                bad = 1
    print("%d allocs deltas compared with hearth top -base of their two raw scrapes" % len(work))
    return bad


NAMES = {"gc_count": "NumGC", "heap_alloc_bytes": "HeapAlloc", "heap_goal_bytes": "NextGC",
         "heap_inuse_bytes": "HeapInuse", "gc_cpu_fraction": "GCCPUFraction",
         "gc_pause_total_seconds": "PauseTotalNs"}


def gc(url, token, root, job, insts):
    bad = 0
    n = 0
    for inst in insts:
        raw = []
        for f in raw_files(root, inst, "memstats"):
            ms = {}
            for line in open(f):
                m = re.match(r"# (\w+) = (.+)$", line)
                if m:
                    ms[m.group(1)] = m.group(2)
            raw.append(ms)
        n += len(raw)
        for name, field in NAMES.items():
            q = urllib.parse.urlencode({"service": job, "name": name, "from": "-30d", "until": "now"})
            ser = json.loads(get(url, token, "/api/v1/metrics?" + q))["series"]
            pts = [s["points"] for s in ser if s["labels"].get("instance") == inst]
            got = [p[1] for p in pts[0]] if pts else []
            if field == "PauseTotalNs":  # not printed by Go: the sum of PauseNs while it holds all
                want = [sum(int(x) for x in r["PauseNs"].strip("[]").split()[:int(r["NumGC"])]) / 1e9
                        for r in raw if int(r["NumGC"]) <= 256]
            else:
                want = [float(r[field]) for r in raw]
            if len(got) != len(want) or any(abs(a - b) > 1e-9 * max(1, abs(b)) for a, b in zip(got, want)):
                print("%s %s: server has %d points, the MemStats %d (first difference at %s)"
                      % (inst, name, len(got), len(want),
                         next((i for i, (a, b) in enumerate(zip(got, want)) if abs(a - b) > 1e-9 * max(1, abs(b))), "the end")))
                bad = 1
    print("%d MemStats scrapes, %d series each" % (n, len(NAMES)))
    return bad


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "counts":
        return counts(a[0], a[1], os.path.join(a[2], a[3]), a[3], int(a[4]), a[5:])
    if cmd == "deltas":
        return deltas(a[0], a[1], a[2], os.path.join(a[3], a[4]), a[4], a[5], a[6:])
    if cmd == "gc":
        return gc(a[0], a[1], os.path.join(a[2], a[3]), a[3], a[4:])
    print("unknown check " + cmd)
    return 2


if __name__ == "__main__":
    sys.exit(main())
