#!/usr/bin/env python3
"""Bad scrape targets for tests/cli/scrape.sh, chosen by the path's prefix:

  /garbage/...  200 with a body that is no profile
  /hang/...     accepts the request and never answers
  /huge/...     200 with a body that never ends (64 kB chunks)

Usage: scrape_stub.py PORTFILE (listens on a free loopback port, writes it)."""
import http.server
import os
import socketserver
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        if self.path.startswith("/garbage/"):
            body = b"this is not a profile\n" * 100
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path.startswith("/hang/"):
            time.sleep(120)
        elif self.path.startswith("/huge/"):
            self.send_response(200)
            self.end_headers()
            chunk = os.urandom(65536)
            try:
                while True:
                    self.wfile.write(chunk)
            except OSError:
                pass
        else:
            self.send_error(404)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    # Every type of three jobs at once, every interval: the default backlog
    # of 5 drops connections on a loaded machine.
    request_queue_size = 256

    def handle_error(self, request, client_address):
        pass  # a scraper that hangs up on /huge or /hang is what is tested


srv = Server(("127.0.0.1", 0), Handler)
tmp = sys.argv[1] + ".tmp"
with open(tmp, "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(tmp, sys.argv[1])
srv.serve_forever()
