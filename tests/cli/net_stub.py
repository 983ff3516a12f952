#!/usr/bin/env python3
"""A misbehaving HTTP server for tests/cli/net.sh: each path fails in one way.

  /404      404 Not Found with a body
  /500      500 Internal Server Error with a body
  /html     an HTML page with status 200
  /endless  a 200 whose body never ends
  /silent   accepts, reads the request, never answers
  other     404 with the path and query asked for as the body (so a test
            sees the URL hearth made)

Usage: net_stub.py PORTFILE [CERTFILE]  (listens on a free loopback port,
writes it; with CERTFILE, a PEM of key and certificate, over TLS)."""
import http.server
import os
import socketserver
import ssl
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        p = self.path.split("?")[0]
        if p in ("/404", "/500"):
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
