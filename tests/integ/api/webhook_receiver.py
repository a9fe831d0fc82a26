#!/usr/bin/env python3
"""A webhook receiver for the integration tests, on 127.0.0.1.

Usage: webhook_receiver.py DIR
Listens on a free port and writes it to DIR/port. Each POST becomes
DIR/N.body (the raw body) and DIR/N.headers (JSON, header names in lower
case), then DIR/N.done once both are complete. The status answered comes
from the first line of DIR/plan, which is consumed (200 when it is empty or
absent); an answer other than 2xx carries the body "boom N", and a 3xx a
Location to /moved on this receiver (which a sender must not follow)."""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

DIR = sys.argv[1]
count = 0


def next_status():
    path = os.path.join(DIR, "plan")
    try:
        with open(path) as f:
            lines = [l.strip() for l in f if l.strip()]
    except FileNotFoundError:
        return 200
    if not lines:
        return 200
    with open(path + ".tmp", "w") as f:
        f.write("".join(l + "\n" for l in lines[1:]))
    os.replace(path + ".tmp", path)
    return int(lines[0])


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        global count
        count += 1
        n = count
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        with open(os.path.join(DIR, "%d.body" % n), "wb") as f:
            f.write(body)
        with open(os.path.join(DIR, "%d.headers" % n), "w") as f:
            json.dump({k.lower(): v for k, v in self.headers.items()}, f)
        with open(os.path.join(DIR, "%d.path" % n), "w") as f:
            f.write(self.path)
        status = next_status()
        answer = b"" if 200 <= status < 300 else b"boom %d" % n
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "http://127.0.0.1:%d/moved" % self.server.server_address[1])
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
        open(os.path.join(DIR, "%d.done" % n), "w").close()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
with open(os.path.join(DIR, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.replace(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
server.serve_forever()
