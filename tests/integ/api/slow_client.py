#!/usr/bin/env python3
"""A client that sends the start of an HTTP request, then trickles the rest
one byte per PACE seconds, for the request-deadline test.

Usage: slow_client.py PORT headers|body [PACE] [MAX_BYTES]

Prints "cut" and exits 0 when the server closes the connection before the
request is complete; prints what happened and exits 1 when it answers or
never cuts. Nothing here measures time: the pace only keeps the client
slow, and MAX_BYTES (default 120) bounds how long it keeps trying.
"""
import socket
import sys


def main():
    port = int(sys.argv[1])
    what = sys.argv[2]
    pace = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
    max_bytes = int(sys.argv[4]) if len(sys.argv) > 4 else 120
    s = socket.create_connection(("127.0.0.1", port))
    if what == "headers":
        # A request line and one header, then a header name that never ends.
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: faxvault.test\r\n")
    else:
        # Complete headers, then a body that arrives a byte at a time.
        s.sendall(b"POST /v1/sessions HTTP/1.1\r\nHost: faxvault.test\r\n"
                  b"Content-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n" % (max_bytes + 1))
    s.settimeout(pace)
    for _ in range(max_bytes):
        try:
            s.sendall(b"x")
        except OSError:
            print("cut")
            return 0
        try:
            data = s.recv(4096)
        except socket.timeout:
            continue
        except OSError:
            print("cut")
            return 0
        if not data:
            print("cut")
            return 0
        print("answered: %r" % data[:80])
        return 1
    print("never cut after %d bytes" % max_bytes)
    return 1


if __name__ == "__main__":
    sys.exit(main())
