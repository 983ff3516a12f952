#!/usr/bin/env python3
"""The checks of tests/cli/dictsweep.sh: the retention sweep deletes the
symbols only deleted profiles used (docs/store.md, "Sweeping the
dictionary"), against the real `hearth serve`.

    dictsweep_check.py HEARTH [-v]

- measured: profiles of 16 old builds (every function renamed, so their
  symbols are theirs alone: tests/cli/rebuild_profile.py) and of 2 recent
  ones are pushed; once retention deleted the old ones, the tenant's
  dictionary (GET /api/v1/usage) holds exactly as many entries as a fresh
  store given only the recent profiles, in about as many bytes; the
  database file shrank; every remaining profile downloads and reads as its
  file (`hearth top` on each sample type, `hearth traces`);
- kill -9 during sweeps with concurrent ingests: four clients push old
  profiles (a build of their own each, past retention at once) and recent
  ones (builds that come and go, so a sweep deletes symbols a put in flight
  may bring back) while the server sweeps every second; the server is
  killed twice; after the restart SQLite's integrity_check passes, every
  recent push answered 200 is there and downloads, those checked read as
  their files, and once the last sweep ran, the dictionary holds exactly
  the entries of a fresh store given the profiles left.

With HEARTH_TEST_PG (tests/cli/serve_pg.sh) the servers keep their store
in PostgreSQL (a database per data directory, serve_check.store_of): the
same checks but the file's (its size, integrity_check); the dictionary's
rows are read with psql.

Prints a FAIL line per failed check and ends with "N passed, M failed".
"""
import glob
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_check as sc  # noqa: E402  (reads HEARTH and -v from sys.argv)
from serve_check import Server, check, bad, hearth, token, ns_rfc3339, strip_header  # noqa: E402
from serve_check import trace_blocks  # noqa: E402
from rebuild_profile import rebuilt  # noqa: E402

CORPUS = sc.CORPUS


def dict_rows(data):
    """The count and bytes of the dictionary's rows of data's store."""
    q = "select count(*), coalesce(sum(length(data)), 0) from dict"
    if sc.PG:
        out = subprocess.run(["psql", "-X", "-q", "-At", "-F", " ", sc.store_of(data), "-c", q],
                             check=True, capture_output=True, text=True, timeout=60).stdout
        return tuple(int(x) for x in out.split())
    conn = sqlite3.connect(os.path.join(data, "hearth.db"))
    rows = conn.execute(q).fetchone()
    conn.close()
    return rows


def sources():
    fs = sorted(glob.glob(os.path.join(CORPUS, "leaky.series.*.cpu.pb.gz")))
    return [open(f, "rb").read() for f in fs]


def push(srv, tok, body, t, labels=""):
    q = {"service": "app", "time": ns_rfc3339(t)}
    if labels:
        q["labels"] = labels
    st, _, data = srv.request("/api/v1/push?" + urllib.parse.urlencode(q), "POST", None, body, tok)
    return st, (json.loads(data).get("id") if st == 200 else data[:200])


def usage(srv, tok):
    st, j, data, _ = srv.api("usage", tok=tok)
    if st != 200 or not j:
        raise RuntimeError("usage: %s %r" % (st, data[:200]))
    return j


def list_ids(srv, tok):
    st, j, data, _ = srv.api("profiles", {"query": '{service="app"}', "from": "0",
                                          "until": str(int(time.time()) + 3600),
                                          "limit": "1000"}, tok=tok)
    if st != 200 or not j:
        raise RuntimeError("list: %s %r" % (st, data[:200]))
    return [p["id"] for p in j["profiles"]]


def reads_as(srv, tok, pid, body, tmp):
    """Whether profile pid downloads and reads as body: top on each sample
    type and traces, but for the header lines (its time is the push's)."""
    st, _, got = srv.request("/api/v1/profiles/%d" % pid, tok=tok)
    if st != 200:
        return "download: %s %r" % (st, got[:200])
    a, b = os.path.join(tmp, "want.pb.gz"), os.path.join(tmp, "got.pb.gz")
    with open(a, "wb") as f:
        f.write(body)
    with open(b, "wb") as f:
        f.write(got)
    for si in ("samples", "cpu"):
        x = hearth("top", "-nodecount=100000", "-sample_index=" + si, a)[1]
        y = hearth("top", "-nodecount=100000", "-sample_index=" + si, b)[1]
        if strip_header(x) != strip_header(y) or "@" not in x:
            return "top -sample_index=%s differs:\n%s\n---\n%s" % (si, x[-600:], y[-600:])
    x, y = hearth("traces", a)[1], hearth("traces", b)[1]
    if trace_blocks(x) != trace_blocks(y):
        return "traces differ"
    return ""


def settle(srv, tok, profiles, deadline=90):
    """Waits for the sweeps to leave profiles profiles and the dictionary
    to stop changing; the last usage."""
    end = time.time() + deadline
    last = None
    while time.time() < end:
        u = usage(srv, tok)
        if u["profiles"] == profiles and last and \
                u["dictionary_entries"] == last["dictionary_entries"]:
            return u
        last = u
        time.sleep(1.5)
    return last


def reference(tmp, name, bodies_times):
    """A fresh store given only these (body, time) pushes: its usage."""
    data = os.path.join(tmp, name)
    tok = token(data, "ref", "push,read")
    srv = Server(data)
    try:
        for body, t in bodies_times:
            st, r = push(srv, tok, body, t)
            if st != 200:
                raise RuntimeError("reference push: %s %r" % (st, r))
        return usage(srv, tok)
    finally:
        srv.stop()


def measured(tmp, servers, srcs):
    data = os.path.join(tmp, "measure")
    tok = token(data, "alice", "push,read")
    now = time.time_ns()
    old = [(rebuilt(srcs[i % len(srcs)], "old%d" % i), now - (3 * 3600 + i * 60) * 10**9)
           for i in range(16)]
    recent = [(rebuilt(srcs[i % len(srcs)], "new%d" % (i % 2)), now - (600 - i * 30) * 10**9)
              for i in range(6)]
    srv = Server(data, "-retention=2h", "-sweep_interval=1h")
    servers.append(srv)
    ids = []
    for body, t in old + recent:
        st, r = push(srv, tok, body, t)
        ids.append(r)
        if st != 200:
            bad("measure: push", (st, r))
            return
    before = usage(srv, tok)
    srv.stop()
    db = os.path.join(data, "hearth.db")
    size0 = 0 if sc.PG else os.path.getsize(db)
    # The sweep at start deletes the old builds' profiles, then their
    # symbols.
    srv = Server(data, "-retention=2h", "-sweep_interval=1s")
    servers.append(srv)
    after = settle(srv, tok, len(recent))
    ref = reference(tmp, "measure-ref", recent)
    print("dictsweep: dictionary %d -> %d entries (a store of the recent profiles alone: %d), "
          "%d -> %d bytes (%d)" % (before["dictionary_entries"], after["dictionary_entries"],
                                   ref["dictionary_entries"], before["dictionary_bytes"],
                                   after["dictionary_bytes"], ref["dictionary_bytes"]))
    check("measure: the old builds' profiles are swept", after["profiles"] == len(recent), after)
    check("measure: the old builds held most of the dictionary",
          before["dictionary_entries"] > 4 * ref["dictionary_entries"], (before, ref))
    check("measure: the dictionary holds exactly the entries of a store of what is left",
          after["dictionary_entries"] == ref["dictionary_entries"], (after, ref))
    check("measure: in about as many bytes",
          after["dictionary_bytes"] <= ref["dictionary_bytes"] * 1.1 + 256, (after, ref))
    for pid, (body, _) in zip(ids[len(old):], recent):
        why = reads_as(srv, tok, pid, body, tmp)
        check("measure: profile %d reads as its file" % pid, not why, why)
    rc, err = srv.stop()
    check("measure: stops cleanly", rc == 0, (rc, err[-300:]))
    if not sc.PG:
        size1 = os.path.getsize(db)
        print("dictsweep: the database file %d -> %d bytes" % (size0, size1))
        check("measure: the database file shrank", size1 < size0, (size0, size1))
    rows = dict_rows(data)
    check("measure: the dictionary's rows hold what usage says",
          rows[1] == after["dictionary_bytes"], (rows, after))
    # Reopened: the rewritten chunks load to the same; a swept build
    # pushed again reads back.
    srv = Server(data, "-retention=2h", "-sweep_interval=1h")
    servers.append(srv)
    u = usage(srv, tok)
    check("measure: after a restart the same entries", u["dictionary_entries"] ==
          ref["dictionary_entries"], (u, ref))
    body = old[3][0]
    st, pid = push(srv, tok, body, now)
    check("measure: a swept build pushed again is stored", st == 200, (st, pid))
    if st == 200:
        why = reads_as(srv, tok, pid, body, tmp)
        check("measure: and reads as its file", not why, why)
    srv.stop()


def killed(tmp, servers, srcs):
    data = os.path.join(tmp, "kill")
    tok = token(data, "bob", "push,read")
    base = time.time_ns() - 1800 * 10**9
    mu = threading.Lock()
    state = {"k": 0, "acked": {}, "bodies": {}, "errors": []}

    def client(c, stop):
        i = 0
        while not stop.is_set():
            with mu:
                state["k"] += 1
                k = state["k"]
            if i % 2:
                # Recent, of a build that comes and goes: built 4 pushes
                # in 10, so sweeps delete its symbols in between.
                key = "r%d" % ((k // 10) % 3 if k % 10 < 4 else 9)
                t = base + k * 10**7
            else:
                key = "o%d-%d" % (c, k)  # its own build, past retention
                t = base - 2 * 3600 * 10**9 + k * 10**7
            body = rebuilt(srcs[k % len(srcs)], key)
            st, r = push(srv_box[0], tok, body, t, "client=%d" % c)
            with mu:
                if st == 200:
                    state["acked"][r] = (t, i % 2 == 1)
                    state["bodies"][r] = body
                elif st == 0:
                    return
                else:
                    state["errors"].append((st, r))
                    return
            i += 1

    srv_box = [None]
    for rnd in (1, 2):
        srv = Server(data, "-retention=1h", "-sweep_interval=1s", "-compact_interval=1s")
        servers.append(srv)
        srv_box[0] = srv
        stop = threading.Event()
        start = len(state["acked"])
        th = [threading.Thread(target=client, args=(c, stop)) for c in range(4)]
        for x in th:
            x.start()
        end = time.time() + 120
        # Long enough for several sweeps to delete and rewrite chunks.
        while time.time() < end and len(state["acked"]) - start < 160 and \
                any(x.is_alive() for x in th):
            time.sleep(0.05)
        srv.p.send_signal(signal.SIGKILL)
        srv.p.wait()
        stop.set()
        for x in th:
            x.join(timeout=60)
        check("kill round %d: pushes answered 200 before the kill" % rnd,
              len(state["acked"]) - start >= 160, (len(state["acked"]) - start,
                                                   state["errors"][:3]))
        check("kill round %d: no push answered anything but 200 or nothing" % rnd,
              not state["errors"], state["errors"][:5])
        check("kill round %d: the server died of SIGKILL" % rnd, srv.p.returncode == -9,
              srv.p.returncode)
    if not sc.PG:
        conn = sqlite3.connect(os.path.join(data, "hearth.db"))
        ic = conn.execute("pragma integrity_check").fetchall()
        conn.close()
        check("kill: SQLite's integrity_check", ic == [("ok",)], ic[:5])
    srv = Server(data, "-retention=1h", "-sweep_interval=1s", "-compact_interval=1s")
    servers.append(srv)
    recent = sorted(pid for pid, (t, r) in state["acked"].items() if r)
    u = settle(srv, tok, None, deadline=8)  # a sweep or two (no profile count to wait for)
    listed = set(list_ids(srv, tok))
    missing = [pid for pid in recent if pid not in listed]
    check("kill: every recent push answered 200 (%d) is there" % len(recent),
          recent and not missing, missing[:10])
    old_left = [pid for pid, (t, r) in state["acked"].items() if not r and pid in listed]
    check("kill: the old pushes are swept", not old_left, old_left[:10])
    bad_dl = []
    for pid in sorted(listed):
        st, _, body = srv.request("/api/v1/profiles/%d" % pid, tok=tok)
        if st != 200 or body[:2] != b"\x1f\x8b":
            bad_dl.append((pid, st, body[:120]))
    check("kill: every listed profile downloads (%d)" % len(listed), not bad_dl, bad_dl[:3])
    for pid in recent[:: max(1, len(recent) // 12)]:
        why = reads_as(srv, tok, pid, state["bodies"][pid], tmp)
        check("kill: profile %d reads as its file" % pid, not why, why)
    # What is left, pushed into a fresh store: the same dictionary.
    left = []
    for pid in sorted(listed):
        body = state["bodies"].get(pid)
        if body is None:  # stored but unanswered (the kill): its download
            st, _, body = srv.request("/api/v1/profiles/%d" % pid, tok=tok)
        left.append((body, state["acked"].get(pid, (base, True))[0]))
    ref = reference(tmp, "kill-ref", left)
    u = usage(srv, tok)
    print("dictsweep: after the kills %d entries in the dictionary, %d in a store of what is "
          "left" % (u["dictionary_entries"], ref["dictionary_entries"]))
    check("kill: the dictionary holds exactly the entries of a store of what is left",
          u["dictionary_entries"] == ref["dictionary_entries"], (u, ref))
    rc, err = srv.stop()
    check("kill: the restarted server stops cleanly", rc == 0, (rc, err[-300:]))


def main():
    srcs = sources()
    if len(srcs) < 4:
        print("dictsweep: ../shared/corpus is missing; SKIP")
        print("0 passed, 0 failed")
        return
    sc.run_parts("dictsweep", [lambda t, s: measured(t, s, srcs), lambda t, s: killed(t, s, srcs)])


if __name__ == "__main__":
    main()
