#!/usr/bin/env python3
"""A carrier that is up but cannot take calls, for the failover tests.

sip_refuser.py PORTFILE STATUS [SECONDS [PORT]]
Binds a UDP port on 127.0.0.1 (PORT, else any free one), writes it to PORTFILE, then
answers every OPTIONS 200 and every INVITE 100 then STATUS (503 with
Retry-After: 60), and absorbs the ACKs, until SECONDS (default 300) passed.
Prints one line "INVITE <Call-ID>" per INVITE it refused. STATUS 0: a
carrier that answers OPTIONS but never answers an INVITE at all (not even
100), for the failover tests; it prints a line for every INVITE datagram
(retransmissions included).
"""
import socket
import sys
import time


def reply(sock, addr, headers, status, reason, extra=()):
    lines = ["SIP/2.0 %d %s" % (status, reason)]
    for name in ("via", "from", "to", "call-id", "cseq"):
        for n, v in headers:
            if n == name:
                if name == "to" and status > 100 and ";tag=" not in v:
                    v += ";tag=refuser1"
                lines.append("%s: %s" % (name.title(), v))
    lines.extend(extra)
    lines.append("Content-Length: 0")
    sock.sendto(("\r\n".join(lines) + "\r\n\r\n").encode(), addr)


COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id"}


def main():
    portfile, status = sys.argv[1], int(sys.argv[2])
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 300.0
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", int(sys.argv[4]) if len(sys.argv) > 4 else 0))
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % sock.getsockname()[1])
    import os
    os.rename(portfile + ".tmp", portfile)
    end = time.monotonic() + seconds
    seen = set()
    while time.monotonic() < end:
        sock.settimeout(max(0.1, end - time.monotonic()))
        try:
            data, addr = sock.recvfrom(65535)
        except socket.timeout:
            break
        text = data.decode("utf-8", "replace")
        head = text.split("\r\n\r\n", 1)[0].split("\r\n")
        if not head or head[0].startswith("SIP/2.0"):
            continue
        method = head[0].split(" ", 1)[0]
        headers = []
        for line in head[1:]:
            if ":" in line:
                n, v = line.split(":", 1)
                n = n.strip().lower()
                headers.append((COMPACT.get(n, n), v.strip()))
        if method == "OPTIONS":
            reply(sock, addr, headers, 200, "OK")
        elif method == "INVITE" and status == 0:
            # every datagram, retransmissions included
            print("INVITE %s" % dict(headers).get("call-id", ""), flush=True)
        elif method == "INVITE":
            reply(sock, addr, headers, 100, "Trying")
            reply(sock, addr, headers, status, "Service Unavailable" if status == 503 else "Refused",
                  ["Retry-After: 60"] if status == 503 else [])
            cid = dict(headers).get("call-id", "")
            if cid not in seen:
                seen.add(cid)
                print("INVITE %s" % cid, flush=True)
        # ACK, BYE, anything else: nothing to say


if __name__ == "__main__":
    main()
