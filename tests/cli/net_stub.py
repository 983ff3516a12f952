#!/usr/bin/env python3
"""A misbehaving HTTP server for tests/cli/net.sh: each path fails in one way.

  /404      404 Not Found with a body
  /500      500 Internal Server Error with a body
  /html     an HTML page with status 200
  /endless  a 200 whose body never ends
  /silent   accepts, reads the request, never answers
  other     404 with the path and query asked for as the body (so a test
            sees the URL hearth made)

and a symbol endpoint (pprof's symbolz protocol) that misbehaves, for a
goroutine?debug=1 text of addresses only:

  /hostile/debug/pprof/goroutine  the text; its /symbol answers the posted
            addresses amid garbage: a 200 kB line, NUL bytes, a 20-digit
            address, one address named 10000 times then renamed (the last
            line wins: main.alpha), one without 0x and with tabs
            (main.beta), one without a name, one whose name has a NUL
            (main.gamma, cut there)
  /endless/debug/pprof/goroutine  the text; its /symbol answer never ends
  /gperf/pprof/heap  the text at a gperftools path: /gperf/pprof/symbol names
            every address main.gperf

Usage: net_stub.py PORTFILE [CERTFILE]  (listens on a free loopback port,
writes it; with CERTFILE, a PEM of key and certificate, over TLS)."""
import http.server
import os
import socketserver
import ssl
import sys
import time


# A goroutine?debug=1 text: addresses only, as an old Go program writes it.
GOROUTINES = (b"goroutine profile: total 7\n"
              b"4 @ 0x401000 0x402000 0x403000 0x404000\n"
              b"3 @ 0x401000 0x405000\n")


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send_body(self, code, ctype, body):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        p = self.path.split("?")[0]
        n = int(self.headers.get("Content-Length") or 0)
        posted = self.rfile.read(min(n, 1 << 20)).decode("ascii", "replace")
        if p == "/hostile/debug/pprof/symbol":
            addrs = sorted(int(a, 16) for a in posted.split("+") if a.startswith("0x"))
            out = [b"num_symbols: 1\n", b"A" * 200000 + b"\n", b"\0\0\0 binary \xff\n",
                   b"0x" + b"f" * 20 + b" main.overflow\n"]
            names = [None] * len(addrs)
            if len(addrs) >= 4:
                out += [b"0x%x main.first\n" % addrs[0]] * 10000
                out += [b"0x%x main.alpha\r\n" % addrs[0]]
                out += [b"\t%x\tmain.beta\n" % addrs[1]]
                out += [b"0x%x\n" % addrs[2]]
                out += [b"0x%x main.gamma\0ma\n" % addrs[3]]
            self.send_body(200, "text/plain", b"".join(out))
        elif p == "/gperf/pprof/symbol":
            addrs = [a for a in posted.split("+") if a.startswith("0x")]
            body = b"".join(b"%s main.gperf\n" % a.encode() for a in addrs)
            self.send_body(200, "text/plain", b"num_symbols: 1\n" + body)
        elif p == "/endless/debug/pprof/symbol":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            chunk = b"0x1 main.endless\n" * 4096
            try:
                while True:
                    self.wfile.write(chunk)
            except OSError:
                pass
        else:
            self.send_body(404, "text/plain", self.path.encode() + b"\n")

    def do_GET(self):
        p = self.path.split("?")[0]
        if p in ("/hostile/debug/pprof/goroutine", "/endless/debug/pprof/goroutine",
                 "/gperf/pprof/heap"):
            self.send_body(200, "text/plain", GOROUTINES)
        elif p in ("/404", "/500"):
            code = int(p[1:])
            body = b"no such profile: %s\nsecond line\n" % p.encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif p == "/html":
            body = b"<!DOCTYPE html>\n<html><body>login</body></html>\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif p == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            chunk = b"\0" * 65536
            try:
                while True:
                    self.wfile.write(chunk)
            except OSError:
                pass
        elif p == "/silent":
            time.sleep(3600)
        else:
            body = self.path.encode() + b"\n"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)
if len(sys.argv) > 2:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[2])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
