#!/usr/bin/env python3
"""The checks of tests/cli/isolation.sh: an adversarial tenant against the
real `hearth serve`.

    isolation_check.py HEARTH [-v]

Tenant bravo stores profiles, labels, metric points and tokens whose names
are markers (its service, a label name and value, a metric name, a token
description, and function names only its profiles have).  Tenant alpha,
with every kind of credential it can get or forge, asks every route: each
answer is the right status (200 with only alpha's data, or 401/403/404/4xx)
and no byte of any answer holds a marker.  The same questions with bravo's
own token find the markers (the scan can fail).  Ids of bravo's profiles
answer exactly as ids that never existed.

Prints a FAIL line per failed check and ends with "N passed, M failed".
"""
import base64
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_check as sc  # noqa: E402  (reads HEARTH and -v from sys.argv)
from serve_check import Server, check, bad, hearth, token, raw_request  # noqa: E402

CORPUS = sc.CORPUS
B_SERVICE = "bravoSecretSvc"
B_LABEL = "bravokey"
B_VALUE = "bravoValue42"
B_METRIC = "bravo_metric_gc"
B_DESC = "bravo-token-desc"
B_TENANT = "bravo-tenant"
# Functions only bravo's profile (searchsvc, a regexp-heavy service) has.
B_FUNCS = ["tryBacktrack", "encodeState"]
MARKERS = [B_SERVICE, B_LABEL, B_VALUE, B_METRIC, B_DESC, B_TENANT] + B_FUNCS
# A fixed end a day ahead, not "now": two questions compared answer for answer
# would otherwise differ when a second ends between them.
RANGE = {"from": "0", "until": str(int(time.time()) + 86400)}


def leaks(body, headers=None, asked=""):
    """The markers found in an answer (body and headers), case-insensitive;
    but those the request itself named (asked), which an answer may echo (a
    group_by label, a focus expression)."""
    text = body.decode("latin-1").lower()
    if headers:
        text += "\n" + "\n".join("%s: %s" % kv for kv in headers.items()).lower()
    # Also what a JSON string escapes (\u0062ravo...) or URL-encodes.
    try:
        text += "\n" + json.dumps(json.loads(body)).lower()
    except ValueError:
        pass
    text += "\n" + urllib.parse.unquote(text)
    asked = urllib.parse.unquote_plus(asked).lower()
    return [m for m in MARKERS if m.lower() in text and m.lower() not in asked]


NOBODY = [("bravoSecretSvc", "nobodySecretSvc"), ("bravokey", "nobodykey"),
          ("bravoValue42", "nobodyValue42"), ("bravo_metric_gc", "nobody_metric_gc")]


def unname(path):
    """path with bravo's names replaced by names nobody has."""
    for b, n in NOBODY:
        path = path.replace(b, n)
    return path


def rename(body):
    for b, n in NOBODY:
        body = body.replace(n.encode(), b.encode())
    return body


class Client:
    def __init__(self, srv, auth=None, cookie=None, extra=None):
        self.srv, self.auth, self.cookie, self.extra = srv, auth, cookie, extra or {}

    def req(self, path, method="GET", body=None, headers=None):
        h = dict(self.extra)
        if self.auth is not None:
            h["Authorization"] = self.auth
        if self.cookie:
            h["Cookie"] = self.cookie
        h.update(headers or {})
        return self.srv.request(path, method, h, body)


def q(path, **params):
    return path + ("?" + urllib.parse.urlencode(params) if params else "")


def read_routes(b_ids):
    """Every GET route of /api/v1 with parameters that name bravo's data."""
    sel_b = '{service="%s"}' % B_SERVICE
    routes = [
        q("/api/v1/whoami"),
        q("/api/v1/services", **RANGE),
        q("/api/v1/types", **RANGE),
        q("/api/v1/types", service=B_SERVICE, **RANGE),
        q("/api/v1/labels", **RANGE),
        q("/api/v1/labels", query=sel_b, **RANGE),
        q("/api/v1/label_values", name="service", **RANGE),
        q("/api/v1/label_values", name=B_LABEL, **RANGE),
        q("/api/v1/label_values", name="__type__", **RANGE),
        q("/api/v1/series", **RANGE),
        q("/api/v1/series", query=sel_b, **RANGE),
        q("/api/v1/series", query='{service=~".+"}', group_by=B_LABEL + ",service", **RANGE),
        q("/api/v1/series", query='{%s="%s"}' % (B_LABEL, B_VALUE), type="cpu", **RANGE),
        q("/api/v1/profiles", **RANGE),
        q("/api/v1/profiles", query='{service=~".*"}', limit="1000", **RANGE),
        q("/api/v1/profiles", query=sel_b, **RANGE),
        q("/api/v1/profiles", query='{%s=~".+"}' % B_LABEL, **RANGE),
        q("/api/v1/usage"),
        q("/api/v1/tokens"),
        q("/api/v1/metrics", **RANGE),
        q("/api/v1/metrics", service=B_SERVICE, **RANGE),
        q("/api/v1/metrics", service=B_SERVICE, name=B_METRIC, **RANGE),
        q("/api/v1/metrics", name=B_METRIC, **RANGE),
    ]
    for v in ("profile", "flame", "top", "search", "graph", "source", "peek", "download"):
        extra = {"f": "."} if v in ("search", "source", "peek") else {}
        routes.append(q("/api/v1/render/" + v, **RANGE, **extra))
        routes.append(q("/api/v1/render/" + v, query=sel_b, type="cpu", **RANGE, **extra))
        routes.append(q("/api/v1/render/" + v, query='{service=~".*"}', type="cpu", **RANGE,
                        **extra))
        routes.append(q("/api/v1/render/" + v, query='{service="alpha"}', type="cpu",
                        base_query=sel_b, **RANGE, **extra))
        for i in b_ids[:2]:
            routes.append(q("/api/v1/render/" + v, profile=str(i), **extra))
    routes.append(q("/api/v1/render/download", query='{service=~".*"}', type="cpu",
                    format="folded", **RANGE))
    routes.append(q("/api/v1/render/download", query='{service=~".*"}', type="cpu",
                    format="speedscope", **RANGE))
    routes.append(q("/api/v1/render/top", query='{service=~".*"}', type="cpu",
                    focus="tryBacktrack|encodeState", **RANGE))
    # Selector tricks: Pyroscope's form, repeated and alternated matchers,
    # a tenant matcher, two selectors, a regexp that would escape its anchors.
    for sel in ("%s.cpu{}" % B_SERVICE, '{service="alpha"}{service="%s"}' % B_SERVICE,
                '{service="alpha",service="%s"}' % B_SERVICE,
                '{service=~"alpha|%s"}' % B_SERVICE, '{__tenant__="%s"}' % B_TENANT,
                '{tenant="%s"}' % B_TENANT, '{service="alpha"} or {service="%s"}' % B_SERVICE,
                '{service=~".*|.*"}', '{service=~"alpha)|(.*"}', '{service!="alpha"}'):
        for path in ("labels", "series", "profiles", "render/top", "render/download"):
            routes.append(q("/api/v1/" + path, query=sel, type="cpu", **RANGE))
    for i in b_ids:
        routes.append("/api/v1/profiles/%d" % i)
        routes.append(q("/api/v1/profiles", cursor=str(i), **RANGE))
    return routes


def run(tmp, servers):
    data = os.path.join(tmp, "data")
    a_tok = token(data, "alpha", "push,read,admin")
    a_push = token(data, "alpha", "push")
    a_read = token(data, "alpha", "read")
    a_revoked = token(data, "alpha", "push,read,admin")
    rc, out, err = hearth("token", "create", "-data=" + sc.store_of(data), "-tenant=" + B_TENANT,
                          "-scope=push,read,admin", "-description=" + B_DESC)
    b_tok = out.strip().split("\n")[-1]
    srv = Server(data, "-compact_interval=1s")
    servers.append(srv)
    A = Client(srv, "Bearer " + a_tok)
    B = Client(srv, "Bearer " + b_tok)

    # Sanity of the markers: none is in alpha's own files.
    a_files = ["leaky.cpu.pb.gz", "leaky.heap.pb.gz", "leaky.series.01.cpu.pb.gz"]
    for f in a_files:
        rc, out, _ = hearth("raw", os.path.join(CORPUS, f))
        check("markers: none in alpha's %s" % f, rc == 0 and not leaks(out.encode()),
              leaks(out.encode()))

    # alpha's data, and bravo's under the markers.
    def push(cl, path, body_file, **params):
        with open(os.path.join(CORPUS, body_file), "rb") as f:
            st, h, body = cl.req(q(path, **params), "POST", f.read())
        return st, body

    a_ids = []
    for i, f in enumerate(a_files):
        st, body = push(A, "/api/v1/push", f, service="alpha", labels="env=prod,pod=p%d" % i)
        check("alpha pushes %s" % f, st == 200, body)
        if st == 200:
            a_ids.append(json.loads(body)["id"])
    b_ids = []
    for i, f in enumerate(["searchsvc.cpu.pb.gz", "searchsvc.heap.pb.gz",
                           "searchsvc.cpu.pb.gz"]):
        st, body = push(B, "/api/v1/push", f, service=B_SERVICE,
                        labels="%s=%s,n=%d" % (B_LABEL, B_VALUE, i))
        check("bravo pushes %s" % f, st == 200, body)
        if st == 200:
            b_ids.append(json.loads(body)["id"])
    st, body = push(B, "/ingest", "searchsvc.cpu.pb.gz",
                    name="%s.cpu{%s=%s}" % (B_SERVICE, B_LABEL, B_VALUE), format="pprof")
    check("bravo pushes through Pyroscope's /ingest", st == 200, body)
    st, h, body = B.req(q("/api/v1/metrics", service=B_SERVICE, labels="%s=%s" % (B_LABEL, B_VALUE)),
                        "POST", ("%s 42\n" % B_METRIC).encode())
    check("bravo pushes a metric point", st == 200, body)
    st, h, body = A.req(q("/api/v1/metrics", service="alpha"), "POST", b"alpha_gc 1\n")
    check("alpha pushes a metric point", st == 200, body)
    # bravo's newest profile is found through the list (the Pyroscope push
    # answers no id).
    st, h, body = B.req(q("/api/v1/profiles", **RANGE))
    b_all = [p["id"] for p in json.loads(body)["profiles"]] if st == 200 else []
    check("bravo lists its four profiles", len(b_all) == 4, body[:300])
    b_ids = sorted(set(b_ids) | set(b_all))
    max_id = max(a_ids + b_ids)

    routes = read_routes(b_ids)
    # The scan can fail: bravo's own token finds its markers on the routes
    # that list names and on its merges.
    for path in (q("/api/v1/services", **RANGE), q("/api/v1/labels", **RANGE),
                 q("/api/v1/label_values", name=B_LABEL, **RANGE),
                 q("/api/v1/metrics", service=B_SERVICE, **RANGE),
                 q("/api/v1/tokens"),
                 q("/api/v1/render/top", query='{service=~".*"}', type="cpu", **RANGE)):
        st, h, body = B.req(path)
        check("control: bravo's own token sees its markers on %s" % path.split("?")[0],
              st == 200 and leaks(body), (st, body[:200]))

    # alpha, with its full token: 200 with its own data or a 4xx; no marker.
    statuses = {}
    for path in routes:
        st, h, body = A.req(path)
        statuses[path] = st
        found = leaks(body, h, path)
        check("alpha %s: no marker of bravo (%d)" % (path[:150], st),
              not found and st in (200, 400, 404), (st, found, body[:300]))
    # What names bravo's things finds nothing (the markers the question
    # holds aside, the answers are empty).
    sel_b = '{service="%s"}' % B_SERVICE
    for path, key in ((q("/api/v1/types", service=B_SERVICE, **RANGE), "types"),
                      (q("/api/v1/labels", query=sel_b, **RANGE), "names"),
                      (q("/api/v1/label_values", name=B_LABEL, **RANGE), "values"),
                      (q("/api/v1/series", query=sel_b, type="cpu", **RANGE), "series"),
                      (q("/api/v1/series", query='{%s="%s"}' % (B_LABEL, B_VALUE), type="cpu",
                         **RANGE), "series"),
                      (q("/api/v1/profiles", query=sel_b, **RANGE), "profiles"),
                      (q("/api/v1/profiles", query='{%s=~".+"}' % B_LABEL, **RANGE), "profiles"),
                      (q("/api/v1/metrics", service=B_SERVICE, **RANGE), "names"),
                      (q("/api/v1/metrics", service=B_SERVICE, name=B_METRIC, **RANGE), "series"),
                      (q("/api/v1/metrics", name=B_METRIC, **RANGE), "series")):
        st, h, body = A.req(path)
        # The same question of names no tenant has: the same answer.
        st2, h2, body2 = A.req(unname(path))
        check("alpha %s: answers as for names no one has" % path[:120],
              (st, body) == (st2, rename(body2)) and st in (200, 400, 404),
              (st, body[:200], st2, body2[:200]))
    st, h, body = A.req(q("/api/v1/series", query='{service=~".+"}', group_by=B_LABEL, type="cpu",
                          **RANGE))
    check("alpha's series grouped by bravo's label name: the value is empty",
          st == 200 and all(s["labels"].get(B_LABEL, "") == "" for s in json.loads(body)["series"]),
          body[:300])
    for v in ("top", "flame", "download"):
        st, h, body = A.req(q("/api/v1/render/" + v, query=sel_b, type="cpu", **RANGE))
        check("alpha render/%s of bravo's service: no profiles (404/400)" % v,
              st in (400, 404), (st, body[:200]))
    check("alpha's reads of its own data answer 200",
          all(statuses[q("/api/v1/" + p, **RANGE)] == 200 for p in
              ("services", "labels", "series", "profiles")), statuses)
    st, h, body = A.req(q("/api/v1/services", **RANGE))
    check("alpha's services are its own only",
          st == 200 and json.loads(body)["services"] == [{"name": "alpha",
                                                         "types": ["cpu", "heap"]}], body)
    st, h, body = A.req("/api/v1/usage")
    check("alpha's usage counts its three profiles", st == 200 and
          json.loads(body)["profiles"] == 3, body)
    st, h, body = A.req(q("/api/v1/profiles", **RANGE))
    check("alpha lists exactly its own ids", st == 200 and
          sorted(p["id"] for p in json.loads(body)["profiles"]) == sorted(a_ids), body[:300])

    # Guessed and sequential ids: bravo's answer exactly as ids that never
    # existed.
    never = max_id + 1000
    ref = {}
    for kind, fmt in (("get", "/api/v1/profiles/%d"),
                      ("render", "/api/v1/render/top?profile=%d"),
                      ("cursor", "/api/v1/profiles?from=0&until=now&cursor=%d")):
        st, h, body = A.req(fmt % never)
        ref[kind] = (st, body)
        for i in b_ids:
            st2, h2, body2 = A.req(fmt % i)
            check("alpha %s of bravo's id %d answers as a never-used id" % (kind, i),
                  (st2, body2) == (st, body) and st in (400, 404), (st2, body2[:200], st,
                                                                     body[:200]))
    got = []
    for i in range(0, max_id + 6):
        st, h, body = A.req("/api/v1/profiles/%d" % i)
        if st == 200:
            got.append(i)
        elif (st, body) != ref["get"] and i > 0:
            bad("alpha's guess of id %d answers otherwise than a never-used id" % i,
                (st, body[:200]))
    check("alpha's sequential guesses 0..%d find exactly its own ids" % (max_id + 5),
          got == sorted(a_ids), (got, a_ids))
    for v in ("%d/", "0%d", "+%d", "%d.0", "%d%%00", "%d?x=1", "-%d", "%d/../%d", "%%2e%%2e/%d"):
        path = ("/api/v1/profiles/" + v) % ((b_ids[0],) * v.count("%d"))
        st, h, body = A.req(path)
        check("alpha path trick %s: no marker, not 200" % path,
              st != 200 and not leaks(body, h), (st, body[:200]))
    for path in ("/api/v1/../api/v1/profiles/%d" % b_ids[0], "/api/v1//profiles/%d" % b_ids[0],
                 "/api/v1/render/../profiles/%d" % b_ids[0], "/API/V1/profiles/%d" % b_ids[0]):
        st, body = raw_request(srv, "GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                               "Connection: close\r\n\r\n" % (path, a_tok))
        check("alpha raw path %s: no marker, not 200" % path,
              st != 200 and not leaks(body), (st, body[:200]))

    # Tokens of bravo through alpha's admin token: not listed, not revocable.
    st, h, body = B.req("/api/v1/tokens")
    b_tokid = json.loads(body)["tokens"][0]["id"] if st == 200 else 0
    st, h, body = A.req("/api/v1/tokens/%d" % b_tokid, "DELETE")
    check("alpha cannot revoke bravo's token (404)", st == 404 and not leaks(body), (st, body))
    st, h, body = B.req("/api/v1/whoami")
    check("bravo's token still works after alpha's try", st == 200, (st, body))

    # Credentials: revoked, scopes, forged, overlong, garbage.
    st, h, body = A.req("/api/v1/tokens")
    a_toks = json.loads(body)["tokens"] if st == 200 else []
    rev_id = [t["id"] for t in a_toks if a_revoked.startswith(t["prefix"])]
    st, h, body = A.req("/api/v1/tokens/%d" % (rev_id[0] if rev_id else 0), "DELETE")
    check("alpha revokes a token of its own", st == 200, (st, body))
    R = Client(srv, "Bearer " + a_revoked)
    some = [r for r in routes if "render/top" in r][:3] + routes[1:9] + ["/api/v1/profiles/%d" % a_ids[0]]
    for path in some:
        st, h, body = R.req(path)
        check("revoked token on %s: 401, no marker" % path[:100],
              st == 401 and not leaks(body, h), (st, body[:200]))
    st, body = push(R, "/api/v1/push", "leaky.cpu.pb.gz", service="alpha")
    check("revoked token cannot push (401)", st == 401, (st, body))
    P = Client(srv, "Bearer " + a_push)
    for path in some:
        st, h, body = P.req(path)
        check("push-only token on %s: 403, no marker" % path[:100],
              st == 403 and not leaks(body, h), (st, body[:200]))
    Rd = Client(srv, "Bearer " + a_read)
    st, body = push(Rd, "/api/v1/push", "leaky.cpu.pb.gz", service=B_SERVICE)
    check("read-only token cannot push (403)", st == 403 and not leaks(body), (st, body))
    st, h, body = Rd.req("/api/v1/tokens")
    check("read-only token cannot list tokens (403)", st == 403 and not leaks(body), (st, body))

    flip = b_tok[:-1] + ("A" if b_tok[-1] != "A" else "B")
    b_user = base64.b64encode(("%s:%s" % (B_TENANT, a_tok)).encode()).decode()
    forged = {
        "bravo's token with its last character changed": "Bearer " + flip,
        "bravo's token prefix alone": "Bearer " + b_tok[:11],
        "bravo's token doubled": "Bearer " + b_tok + b_tok,
        "an overlong token (300 bytes)": "Bearer hth_" + "A" * 300,
        "an overlong token (6000 bytes)": "Bearer " + "A" * 6000,
        "an empty Bearer": "Bearer ",
        "no scheme": b_tok,
        "Basic without a password": "Basic " + base64.b64encode(b"alpha:").decode(),
        "Basic of garbage": "Basic !!!!",
        "Basic overlong": "Basic " + base64.b64encode(b"u:" + b"x" * 3000).decode(),
        "Digest": "Digest username=%s" % B_TENANT,
        "a token in quotes": 'Bearer "%s"' % b_tok,
    }
    for name, auth in forged.items():
        C = Client(srv, auth)
        for path in (q("/api/v1/services", **RANGE), "/api/v1/profiles/%d" % b_ids[0],
                     q("/api/v1/render/top", query='{service=~".*"}', type="cpu", **RANGE)):
            st, h, body = C.req(path)
            check("%s on %s: 401/400/431, no marker" % (name, path.split("?")[0]),
                  st in (400, 401, 431) and not leaks(body, h), (st, body[:200]))
    # Basic with bravo's tenant name as the user and alpha's token: alpha.
    C = Client(srv, "Basic " + b_user)
    st, h, body = C.req("/api/v1/whoami")
    check("Basic user bravo + alpha's token is alpha", st == 200 and
          json.loads(body).get("tenant") == "alpha", (st, body))
    # A token in the query string or a header of another name is not one.
    for path, hdr in ((q("/api/v1/services", token=b_tok, **RANGE), {}),
                      (q("/api/v1/services", access_token=b_tok, **RANGE), {}),
                      (q("/api/v1/services", **RANGE), {"X-Auth-Token": b_tok}),
                      (q("/api/v1/services", **RANGE), {"Proxy-Authorization": "Bearer " + b_tok})):
        st, h, body = Client(srv).req(path, headers=hdr)
        check("a token outside Authorization is not read (401)", st == 401 and not leaks(body),
              (path, hdr.keys(), st, body[:200]))
    # Control characters in the header, raw.
    for junk in ("Bearer \x01\x02\x03", "Bearer \xff\xfe" + b_tok, "Bearer \x7f" + b_tok):
        st, body = raw_request(srv, "GET /api/v1/services?from=0 HTTP/1.1\r\nHost: x\r\n"
                               "Authorization: %s\r\nConnection: close\r\n\r\n" % junk)
        check("a token with control bytes: 400/401, no marker", st in (400, 401) and
              not leaks(body), (repr(junk[:12]), st, body[:200]))
    # A NUL byte: libmicrohttpd hands the header over cut at it, so what
    # is read is the token before it: alpha's token followed by junk is
    # alpha, never anyone else.
    st, body = raw_request(srv, "GET /api/v1/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: "
                           "Bearer %s\x00%s\r\nConnection: close\r\n\r\n" % (a_tok, b_tok))
    check("alpha's token, a NUL and bravo's: alpha or refused",
          st in (400, 401) or (st == 200 and b'"tenant":"alpha"' in body), (st, body[-200:]))
    # Two Authorization headers: never bravo's data for alpha's first.
    st, body = raw_request(srv, "GET /api/v1/services?from=0 HTTP/1.1\r\nHost: x\r\n"
                           "Authorization: Bearer %s\r\nAuthorization: Bearer %s\r\n"
                           "Connection: close\r\n\r\n" % (a_tok, b_tok))
    check("two Authorization headers (alpha's, then bravo's): no marker",
          not leaks(body), (st, body[:300]))

    # The UI's session: alpha's cookie reads alpha's; writes need alpha's
    # own CSRF value; the pages carry nothing of a tenant.
    def login(tok):
        st, h, body = srv.request("/api/v1/login", "POST", {"Content-Type": "application/json"},
                                  json.dumps({"token": tok}).encode())
        m = re.search(r"hearth_session=([^;]+)", h.get("set-cookie", ""))
        return (m.group(1) if m else None), (json.loads(body).get("csrf") if st == 200 else None)
    a_sess, a_csrf = login(a_tok)
    b_sess, b_csrf = login(b_tok)
    check("both log in", a_sess and b_sess and a_csrf and b_csrf)
    S = Client(srv, None, cookie="hearth_session=" + a_sess)
    for path in routes[:20] + [r for r in routes if "render" in r][:10]:
        st, h, body = S.req(path)
        check("alpha's cookie on %s: no marker" % path[:100],
              st in (200, 400, 404) and not leaks(body, h, path), (st, body[:200]))
    for name, hdr in (("no CSRF header", {}), ("bravo's CSRF value", {"X-Hearth-CSRF": b_csrf}),
                      ("an empty CSRF value", {"X-Hearth-CSRF": ""}),
                      ("alpha's CSRF cross-site", {"X-Hearth-CSRF": a_csrf,
                                                   "Sec-Fetch-Site": "cross-site"})):
        st, h, body = S.req("/api/v1/tokens", "POST", b'{"scopes": "read"}',
                            dict(hdr, **{"Content-Type": "application/json"}))
        check("a token made through alpha's cookie with %s: 403" % name, st == 403, (st, body))
        st, h, body = S.req("/api/v1/tokens/%d" % b_tokid, "DELETE", None, hdr)
        check("a revocation through alpha's cookie with %s: 403" % name, st == 403, (st, body))
        with open(os.path.join(CORPUS, "leaky.cpu.pb.gz"), "rb") as f:
            st, h, body = S.req(q("/api/v1/push", service="alpha"), "POST", f.read(), hdr)
        check("a push through alpha's cookie with %s: 403" % name, st == 403, (st, body))
    for name, ck in (("a forged session", "hearth_session=" + "0" * 64),
                     ("an overlong session", "hearth_session=" + "a" * 5000),
                     ("bravo's session id cut", "hearth_session=" + b_sess[:-2]),
                     ("bravo's session in another cookie", "x_hearth_session=" + b_sess),
                     ("an empty session", "hearth_session=")):
        st, h, body = Client(srv, None, cookie=ck).req(q("/api/v1/services", **RANGE))
        check("%s: 401, no marker" % name, st == 401 and not leaks(body, h), (st, body[:200]))
    # alpha's token with bravo's cookie: the header wins, alpha's data.
    st, h, body = Client(srv, "Bearer " + a_tok, cookie="hearth_session=" + b_sess).req(
        q("/api/v1/services", **RANGE))
    check("alpha's token beside bravo's cookie reads alpha's", st == 200 and not leaks(body),
          (st, body[:200]))
    st, h, body = S.req("/api/v1/logout", "POST", b"", {"X-Hearth-CSRF": a_csrf})
    st, h, body = S.req(q("/api/v1/services", **RANGE))
    check("a logged-out session: 401", st == 401, (st, body[:200]))
    st, h, page = srv.request("/")
    assets = set(re.findall(r'(?:src|href)="/?([A-Za-z0-9_.-]+\.(?:js|css))"', page.decode()))
    check("the UI page references its assets", assets, page[:300])
    for path in ["/", "/index.html"] + ["/" + a for a in sorted(assets)]:
        for cl in (A, S, Client(srv)):
            st, h, body = cl.req(path)
            check("UI %s: 200, no marker" % path, st == 200 and not leaks(body, h), (st, body[:100]))

    # Last, alpha writes under bravo's names (its own tenant's): bravo's data
    # does not change, and alpha's merge holds only alpha's file.
    st, h, before = B.req(q("/api/v1/render/download", query='{service=~".*"}', type="cpu",
                            format="folded", **RANGE))
    st, body = push(A, "/api/v1/push", "leaky.cpu.pb.gz", service=B_SERVICE,
                    labels="%s=%s" % (B_LABEL, B_VALUE))
    check("alpha pushes under bravo's service name (into alpha)", st == 200, body)
    st, body = push(A, "/ingest", "leaky.cpu.pb.gz",
                    name="%s.cpu{%s=%s}" % (B_SERVICE, B_LABEL, B_VALUE), format="pprof")
    check("alpha pushes under bravo's name through /ingest", st == 200, body)
    # (from=1: another range than the one merged before, not the render
    # cache's copy of it.)
    st, h, after = B.req(q("/api/v1/render/download", query='{service=~".*"}', type="cpu",
                           format="folded", **{"from": "1", "until": "now"}))
    check("bravo's merge is unchanged by alpha's pushes", before == after and before,
          (len(before), len(after)))
    st, h, body = B.req("/api/v1/usage")
    check("bravo's usage still counts its four profiles", st == 200 and
          json.loads(body)["profiles"] == 4, body)
    st, h, body = A.req(q("/api/v1/render/download", query='{service="%s"}' % B_SERVICE,
                          type="cpu", format="folded", **RANGE))
    body = body.decode(errors="replace")
    check("alpha's merge of the name holds only alpha's samples",
          st == 200 and "math.sinh" in body and not any(f in body for f in B_FUNCS),
          body[:300])
    rc, err = srv.stop()
    check("the server stops cleanly", rc == 0, (rc, err[-300:]))

    # A public instance: a signup asking for bravo's tenant by name gets a
    # new tenant of its own, which sees nothing of anyone.
    srv = Server(data, "-signup=open")
    servers.append(srv)
    st, h, body = srv.request(q("/api/v1/signup", tenant=B_TENANT, name=B_TENANT), "POST",
                              {"Content-Type": "application/json"},
                              json.dumps({"tenant": B_TENANT, "name": B_TENANT}).encode())
    j = json.loads(body) if st == 200 else {}
    check("signup naming bravo's tenant: a new tenant", st == 200 and
          j.get("tenant") not in (None, B_TENANT, "alpha") and not leaks(body), (st, body))
    N = Client(srv, "Bearer " + j.get("token", "x"))
    for path in read_routes(b_ids):
        st, h, body = N.req(path)
        check("signed-up tenant %s: no marker (%d)" % (path[:100], st),
              st in (200, 400, 404) and not leaks(body, h, path), (st, body[:200]))
    st, h, body = N.req("/api/v1/usage")
    check("signed-up tenant's usage is empty", st == 200 and json.loads(body)["profiles"] == 0,
          (st, body))
    for i in b_ids + a_ids:
        st, h, body = N.req("/api/v1/profiles/%d" % i)
        check("signed-up tenant's get of id %d: 404" % i, st == 404 and not leaks(body),
              (st, body[:200]))
    rc, err = srv.stop()
    check("the public instance stops cleanly", rc == 0, (rc, err[-300:]))


def main():
    if not os.path.isdir(CORPUS):
        print("isolation: ../shared/corpus is missing; SKIP")
        print("0 passed, 0 failed")
        return
    sc.run_parts("isolation", [run])


if __name__ == "__main__":
    main()
