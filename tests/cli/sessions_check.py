#!/usr/bin/env python3
"""The checks of tests/cli/sessions.sh: the UI's sessions live in the store
(docs/serve.md), against the real `hearth serve`.

    sessions_check.py HEARTH [-v]

- a login's cookie still works after the server is stopped and started
  again, and after it is killed with SIGKILL: the same tenant, scopes and
  CSRF secret, and a write through the cookie with that secret works;
- the store keeps neither the cookie's id nor the token in clear (SQLite:
  the bytes of the database and its WAL);
- revoking the token a session was made from (through the API, and with
  `hearth token revoke` beside the running server) ends its sessions, and
  not the others; a restart does not bring them back;
- logout ends a session for good (after a restart too);
- an expired session is refused (-session=5s), and the sweep deletes it;
- forged, cut and overlong cookies are refused.

Runs on PostgreSQL too when HEARTH_TEST_PG is set (tests/cli/serve_pg.sh).
Prints a FAIL line per failed check and ends with "N passed, M failed".
"""
import json
import os
import signal
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_check as sc  # noqa: E402  (reads HEARTH and -v from sys.argv)
from serve_check import Server, check, bad, hearth, token, store_of, PG  # noqa: E402


def login(srv, tok):
    st, j, _, h = srv.api("login", method="POST", body=json.dumps({"token": tok}).encode(),
                          headers={"Content-Type": "application/json"})
    cookie = h.get("set-cookie", "").split(";")[0]
    return st, cookie, (j or {}).get("csrf", "")


def whoami(srv, cookie):
    st, j, _, _ = srv.api("whoami", headers={"Cookie": cookie})
    return st, j or {}


def token_id(srv, admin, prefix_of):
    st, j, _, _ = srv.api("tokens", tok=admin)
    for t in (j or {}).get("tokens", []):
        if prefix_of.startswith(t.get("prefix", "\0")):
            return t["id"]
    return None


def sessions_rows(data):
    """SQLite only: (hash, tenant, token, created, expires) rows."""
    if PG:
        return None
    db = sqlite3.connect(os.path.join(data, "hearth.db"), timeout=10)
    try:
        return db.execute("SELECT hash, tenant, token, created, expires FROM sessions").fetchall()
    finally:
        db.close()


def run(tmp, servers):
    data = os.path.join(tmp, "data")
    admin = token(data, "alice", "push,read,admin")
    reader = token(data, "alice", "read")
    other = token(data, "alice", "read")
    bob = token(data, "bob", "push,read")

    def start(*args):
        s = Server(data, *args)
        servers.append(s)
        return s

    srv = start("-session=1h")
    st, c_admin, csrf_admin = login(srv, admin)
    check("login (admin token): 200 with a cookie and a csrf secret",
          st == 200 and c_admin.startswith("hearth_session=") and len(csrf_admin) == 64,
          (st, c_admin, csrf_admin))
    st, c_reader, _ = login(srv, reader)
    st2, c_other, _ = login(srv, other)
    st3, c_bob, _ = login(srv, bob)
    check("login: three more sessions", st == st2 == st3 == 200, (st, st2, st3))
    st, j = whoami(srv, c_admin)
    check("whoami through the cookie: alice, admin, the login's csrf",
          st == 200 and j.get("tenant") == "alice" and "admin" in j.get("scopes", []) and
          j.get("csrf") == csrf_admin, (st, j))
    st, j = whoami(srv, c_bob)
    check("whoami through bob's cookie: bob", st == 200 and j.get("tenant") == "bob", (st, j))

    rows = sessions_rows(data)
    if rows is not None:
        check("the store holds the four sessions", len(rows) == 4, rows)
        blob = b""
        for f in ("hearth.db", "hearth.db-wal"):
            p = os.path.join(data, f)
            if os.path.exists(p):
                blob += open(p, "rb").read()
        ids = [c.split("=", 1)[1].encode() for c in (c_admin, c_reader, c_other, c_bob)]
        check("the store keeps no session id in clear", not any(i in blob for i in ids))
        check("the store keeps no token in clear",
              not any(t.encode() in blob for t in (admin, reader, other, bob)))
        check("the store keeps no csrf secret in clear", csrf_admin.encode() not in blob)

    # ---- a restart, then a kill -9: the cookies still work ----
    rc, _ = srv.stop()
    check("stop (SIGTERM)", rc == 0, rc)
    srv = start("-session=1h")
    st, j = whoami(srv, c_admin)
    check("after a restart: the cookie still works, same tenant and csrf",
          st == 200 and j.get("tenant") == "alice" and j.get("csrf") == csrf_admin, (st, j))
    st, j, _, _ = srv.api("tokens", method="POST", body=b'{"scopes":"read","description":"ui"}',
                          headers={"Cookie": c_admin, "X-Hearth-CSRF": csrf_admin})
    check("after a restart: a write through the cookie with its csrf works",
          st == 200 and (j or {}).get("token"), (st, j))
    st, j, _, _ = srv.api("tokens", method="POST", body=b'{"scopes":"read"}',
                          headers={"Cookie": c_admin})
    check("after a restart: a write through the cookie without the csrf is 403", st == 403, (st, j))
    srv.stop(signal.SIGKILL)
    srv = start("-session=1h")
    for name, c, who in (("admin", c_admin, "alice"), ("reader", c_reader, "alice"),
                         ("bob", c_bob, "bob")):
        st, j = whoami(srv, c)
        check("after kill -9: %s's cookie still works" % name,
              st == 200 and j.get("tenant") == who, (st, j))
    st, j = whoami(srv, c_reader)
    check("a session has its token's scopes (read only)",
          st == 200 and j.get("scopes") == ["read"], (st, j))
    st, j, _, _ = srv.api("services", headers={"Cookie": c_reader})
    check("a read through the reader's cookie", st == 200, (st, j))

    # ---- revocation ends the sessions made from the token ----
    rid = token_id(srv, admin, reader)
    st, j, _, _ = srv.api("tokens/%s" % rid, method="DELETE",
                          headers={"Cookie": c_admin, "X-Hearth-CSRF": csrf_admin})
    check("revoke the reader's token through the admin's cookie", rid and st == 200, (rid, st, j))
    st, j = whoami(srv, c_reader)
    check("revoked (API): its session is 401", st == 401, (st, j))
    st, j = whoami(srv, c_admin)
    check("revoked (API): another token's session still works", st == 200, (st, j))
    rows = sessions_rows(data)
    if rows is not None:
        check("revoked (API): its session rows are deleted", all(r[2] != rid for r in rows), rows)
    oid = token_id(srv, admin, other)
    rc, out, err = hearth("token", "revoke", "-data=" + store_of(data), "-tenant=alice", str(oid))
    check("hearth token revoke beside the running server", rc == 0, (rc, out, err))
    st, j = whoami(srv, c_other)
    check("revoked (CLI): its session is 401", st == 401, (st, j))
    st, j, _, _ = srv.api("services", headers={"Cookie": c_other})
    check("revoked (CLI): a read through it is 401", st == 401, (st, j))
    st, j = whoami(srv, c_bob)
    check("revoked: bob's session still works", st == 200 and j.get("tenant") == "bob", (st, j))

    # ---- logout ----
    st, j, _, _ = srv.api("logout", method="POST", headers={"Cookie": c_bob})
    check("logout without the csrf is 403", st == 403, (st, j))
    st, j = whoami(srv, c_bob)
    check("... and leaves the session", st == 200, (st, j))
    st, c2, csrf2 = login(srv, bob)
    st, j, _, _ = srv.api("logout", method="POST",
                          headers={"Cookie": c2, "X-Hearth-CSRF": csrf2})
    check("logout with the csrf", st == 200, (st, j))
    st, j = whoami(srv, c2)
    check("logged out: 401", st == 401, (st, j))

    # ---- forged cookies ----
    real = c_admin.split("=", 1)[1]
    for name, ck in (("zeros", "hearth_session=" + "0" * 64),
                     ("cut", "hearth_session=" + real[:-1]),
                     ("one digit changed", "hearth_session=" + real[:-1] +
                      ("0" if real[-1] != "0" else "1")),
                     ("upper case", "hearth_session=" + real.upper()),
                     ("overlong", "hearth_session=" + "a" * 5000),
                     ("empty", "hearth_session=")):
        st, j = whoami(srv, ck)
        check("a forged session (%s) is 401" % name, st == 401, (st, j))

    # ---- after a restart: revoked and logged out stay so ----
    srv.stop(signal.SIGKILL)
    srv = start("-session=5s", "-sweep_interval=1s")
    for name, c in (("revoked (API)", c_reader), ("revoked (CLI)", c_other),
                    ("logged out", c2)):
        st, j = whoami(srv, c)
        check("after a restart: %s stays 401" % name, st == 401, (st, j))
    st, j = whoami(srv, c_admin)
    check("after a restart: the admin's session still works", st == 200, (st, j))

    # ---- expiry ----
    st, c3, _ = login(srv, admin)
    check("login with -session=5s: Max-Age=5", st == 200, (st, c3))
    st, j = whoami(srv, c3)
    check("a short session works at first", st == 200, (st, j))
    deadline = time.time() + 30
    while time.time() < deadline and whoami(srv, c3)[0] == 200:
        time.sleep(0.5)
    st, j = whoami(srv, c3)
    check("an expired session is 401", st == 401, (st, j))
    srv.stop(signal.SIGKILL)
    srv = start("-session=5s", "-sweep_interval=1s")
    st, j = whoami(srv, c3)
    check("after a restart: the expired session stays 401", st == 401, (st, j))
    rows = sessions_rows(data)
    if rows is not None:
        deadline = time.time() + 30
        now = time.time_ns()
        while time.time() < deadline and any(r[4] <= now for r in rows):
            time.sleep(0.5)
            rows = sessions_rows(data)
        check("the sweep deletes expired sessions", not any(r[4] <= now for r in rows), rows)
    rc, err = srv.stop()
    check("stop", rc == 0, (rc, err[-2000:]))


def main():
    sc.run_parts("sessions", [run])


if __name__ == "__main__":
    main()
