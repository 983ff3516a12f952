#!/usr/bin/env python3
"""GET /api/v1/metrics?width=W: the GC charts' downsampling (server/metrics.c).

    metrics_ds.py fill DB TENANT_ID SERVICE NOW_NS
    metrics_ds.py check URL TOKEN SERVICE NOW_NS

fill: a week of 15 s scrapes of two targets (40320 points a series) of
  gc_count (a counter with bursts), heap_alloc_bytes (a sawtooth with rare
  spikes) and gc_pause_p99_seconds (noise with outliers), written straight
  into the store's SQLite file or PostgreSQL database (the ingest path has
  its own tests; a week of pushes would take minutes).
check: for each name, the raw answer (no width) against downsampled ones
  (widths 1, 300, 1000 over the week, 10000 over an hour): every series
  answers at most 4 points per bucket, each a stored point (same time,
  same value), in time order, and per bucket exactly the first, last,
  lowest and highest stored points, computed here from the raw answer.
Ends with "N passed, M failed".
"""
import json
import random
import sqlite3
import sys
import urllib.parse
import urllib.request

S = 1_000_000_000
WEEK = 7 * 86400 * S
STEP = 15 * S
NAMES = ["gc_count", "heap_alloc_bytes", "gc_pause_p99_seconds"]
BIG = "scrape_samples"
BIG_INSTANCES = ("10.0.1.1:6060", "10.0.1.2:6060", "10.0.1.3:6060")
MAX_POINTS = 100000  # lib/store/backend.h


def fill(db, tenant, service, now):
    rnd = random.Random(7)
    rows = []
    start = now - WEEK
    for inst in ("10.0.0.1:6060", "10.0.0.2:6060"):
        labels = "env=prod,instance=%s,job=%s" % (inst, service)
        gc, heap = 0, 0
        for i in range(WEEK // STEP):
            t = start + i * STEP + rnd.randrange(0, S)  # scrapes are not on the dot
            gc += rnd.choice((0, 0, 1, 1, 2, 30 if rnd.random() < 0.001 else 3))
            heap = heap + rnd.randrange(1 << 20, 8 << 20) if heap < (400 << 20) else 50 << 20
            spike = (2 << 30) if rnd.random() < 0.0005 else 0
            pause = rnd.uniform(50e-6, 200e-6) * (100 if rnd.random() < 0.001 else 1)
            for name, v in (("gc_count", gc), ("heap_alloc_bytes", heap + spike),
                            ("gc_pause_p99_seconds", pause)):
                rows.append((tenant, service, labels, name, t, float(v)))
    # BIG: three series of a week, more points than a query without a step
    # may read (HS_METRIC_MAX_POINTS): refused then, never cut short.
    for inst in BIG_INSTANCES:
        labels = "instance=%s,job=%s" % (inst, service)
        for i in range(WEEK // STEP):
            rows.append((tenant, service, labels, BIG, start + i * STEP, float(i)))
    if db.startswith("postgres://"):
        # PSQL=path of psql; the rows go in with one COPY.
        import csv, io, os, subprocess
        buf = io.StringIO()
        csv.writer(buf).writerows(rows)
        subprocess.run([os.environ["PSQL"], "-q", "-v", "ON_ERROR_STOP=1", db, "-c",
                        "COPY metrics(tenant, service, labels, name, time, value) FROM STDIN CSV"],
                       input=buf.getvalue(), text=True, check=True, timeout=300)
    else:
        c = sqlite3.connect(db, timeout=30)
        c.executemany("INSERT INTO metrics(tenant, service, labels, name, time, value) "
                      "VALUES(?,?,?,?,?,?)", rows)
        c.commit()
        c.close()
    print("# %d points written" % len(rows))


def get(url, token, q):
    req = urllib.request.Request(url + "/api/v1/metrics?" + urllib.parse.urlencode(q),
                                 headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read()), len(r.headers.get("Content-Length") or "")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}"), 0


def m4(points, frm, step):
    """Per bucket: the set of (t, v) of its first, last, lowest, highest."""
    out = {}
    for t, v in points:
        b = (t - frm) // step
        if b not in out:
            out[b] = [(t, v), (t, v), (t, v), (t, v)]
        else:
            o = out[b]
            o[1] = (t, v)
            if v < o[2][1]:
                o[2] = (t, v)
            if v > o[3][1]:
                o[3] = (t, v)
    return {b: sorted(set(o)) for b, o in out.items()}


def check(url, token, service, now):
    passed = failed = 0

    def result(ok, what, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print("ok   " + what)
        else:
            failed += 1
            print("FAIL " + what + ("\n     " + detail if detail else ""))

    frm, until = now - WEEK, now + S
    hour_from = now - 3600 * S
    for name in NAMES:
        st, raw, _ = get(url, token, {"service": service, "name": name, "from": str(frm // S),
                                      "until": str(until // S)})
        rawser = {json.dumps(s["labels"], sort_keys=True): [tuple(p) for p in s["points"]]
                  for s in raw.get("series", [])}
        npts = sum(len(p) for p in rawser.values())
        result(st == 200 and len(rawser) == 2 and npts == 2 * (WEEK // STEP),
               "%s: the raw answer has every point of the week (%d)" % (name, npts))
        for w, a, b in ((1, frm, until), (300, frm, until), (1000, frm, until),
                        (10000, hour_from, until)):
            a_s, b_s = a // S, b // S  # the API takes seconds
            st, ds, _ = get(url, token, {"service": service, "name": name, "from": str(a_s),
                                         "until": str(b_s), "width": str(w)})
            step = ds.get("step_ns", 0)
            a_ns, b_ns = a_s * S, b_s * S
            want_step = -(-(b_ns - a_ns) // w)
            bad = []
            if st != 200 or step != want_step:
                bad.append("status %d, step_ns %s (want %d)" % (st, step, want_step))
            most = 0
            for s in ds.get("series", []):
                key = json.dumps(s["labels"], sort_keys=True)
                pts = [tuple(p) for p in s["points"]]
                most = max(most, len(pts))
                inrange = [p for p in rawser.get(key, []) if a_ns <= p[0] < b_ns]
                if len(pts) > 4 * w:
                    bad.append("%s: %d points for width %d" % (key, len(pts), w))
                if pts != sorted(pts):
                    bad.append("%s: not in time order" % key)
                rawset = set(inrange)
                made = [p for p in pts if p not in rawset]
                if made:
                    bad.append("%s: %d points that are not stored ones, e.g. %s" % (key, len(made), made[0]))
                want = m4(inrange, a_ns, step or 1)
                got = {}
                for p in pts:
                    got.setdefault((p[0] - a_ns) // (step or 1), []).append(p)
                diff = [b for b in set(want) | set(got) if want.get(b) != sorted(got.get(b, []))]
                if diff:
                    b0 = min(diff)
                    bad.append("%s: %d buckets differ from the raw points' first/last/min/max, "
                               "e.g. bucket %d: %s, want %s" % (key, len(diff), b0, got.get(b0), want.get(b0)))
            if len(ds.get("series", [])) != 2:
                bad.append("%d series" % len(ds.get("series", [])))
            span = "the week" if a == frm else "an hour"
            result(not bad, "%s, width %d over %s: at most %d points a series (%d), each bucket's "
                   "first/last/lowest/highest stored point" % (name, w, span, 4 * w, most),
                   "; ".join(bad[:3]))
    # More points than a query without a step reads: a 400 that says so,
    # not the first 100000 of them; with a width, every series to its end.
    q = {"service": service, "name": BIG, "from": str(frm // S), "until": str(until // S)}
    st, j, _ = get(url, token, q)
    result(st == 400 and ("more than %d points" % MAX_POINTS) in j.get("error", ""),
           "%d points without a step: refused with 400 (%d %s)"
           % (len(BIG_INSTANCES) * (WEEK // STEP), st, j.get("error", "")))
    st, ds, _ = get(url, token, dict(q, width="1000"))
    last = {}
    for s in ds.get("series", []):
        if s["points"]:
            last[s["labels"].get("instance")] = tuple(s["points"][-1])
    n = WEEK // STEP
    want = {inst: (now - WEEK + (n - 1) * STEP, float(n - 1)) for inst in BIG_INSTANCES}
    result(st == 200 and last == want,
           "the same with width 1000: the %d series each end at their last stored point"
           % len(BIG_INSTANCES), "status %d, last points %s, want %s" % (st, last, want))
    # Bad widths are refused.
    for w in ("0", "10001", "x", ""):
        st, j, _ = get(url, token, {"service": service, "name": NAMES[0], "width": w})
        result(st == 400 and "width" in j.get("error", ""), "width=%r refused with 400 (%d %s)" % (w, st, j.get("error", "")))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    a = sys.argv
    if a[1] == "fill":
        fill(a[2], int(a[3]), a[4], int(a[5]))
    else:
        sys.exit(check(a[2], a[3], a[4], int(a[5])))
