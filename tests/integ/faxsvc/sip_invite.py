#!/usr/bin/env python3
"""A carrier's INVITE without media, for the carrier listener tests.

sip_invite.py PORT RURI_USER [HEADER: VALUE ...]
Sends one INVITE (G.711 offer) from 127.0.0.1 to 127.0.0.1:PORT, prints
"STATUS" and, when present, "Retry-After: N" of the final response. A 200
is ACKed and the call hung up at once (BYE), as a carrier whose caller gave
up would. Exit 0 when a final response came, 1 on timeout.
"""
import random
import socket
import sys
import time


def main():
    port, ruri_user, extra = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    lport = s.getsockname()[1]
    tag = "%08x" % random.getrandbits(32)
    cid = "%016x@carrier.test" % random.getrandbits(64)
    sdp = ("v=0\r\no=carrier 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
           "t=0 0\r\nm=audio 40000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n")
    target = "sip:%s@127.0.0.1:%d" % (ruri_user, port)

    def request(method, cseq, uri, to_tag="", body="", headers=()):
        branch = "z9hG4bK%08x" % random.getrandbits(32)
        lines = [
            "%s %s SIP/2.0" % (method, uri),
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport" % (lport, branch),
            "From: <sip:+15550001111@127.0.0.1>;tag=%s" % tag,
            "To: <%s>%s" % (target, ";tag=" + to_tag if to_tag else ""),
            "Call-ID: %s" % cid,
            "CSeq: %d %s" % (cseq, method),
            "Max-Forwards: 70",
            "Contact: <sip:carrier@127.0.0.1:%d>" % lport,
        ] + list(headers)
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append("Content-Length: %d" % len(body))
        s.sendto(("\r\n".join(lines) + "\r\n\r\n" + body).encode(), ("127.0.0.1", port))

    def final(method, deadline):
        while time.time() < deadline:
            s.settimeout(max(0.05, deadline - time.time()))
            try:
                data = s.recv(65535).decode(errors="replace")
            except socket.timeout:
                return None
            head = data.split("\r\n\r\n", 1)[0].split("\r\n")
            if not head[0].startswith("SIP/2.0 "):
                continue
            status = int(head[0].split()[1])
            hdrs = {}
            for h in head[1:]:
                k, _, v = h.partition(":")
                hdrs.setdefault(k.strip().lower(), v.strip())
            if not hdrs.get("cseq", "").endswith(method) or status < 200:
                continue
            return status, hdrs
        return None

    request("INVITE", 1, target, body=sdp, headers=extra)
    got = final("INVITE", time.time() + 30)
    if not got:
        print("timeout")
        return 1
    status, hdrs = got
    print(status)
    if "retry-after" in hdrs:
        print("Retry-After: %s" % hdrs["retry-after"])
    to_tag = hdrs.get("to", "").partition(";tag=")[2].split(";")[0]
    if status == 200:
        request("ACK", 1, target, to_tag=to_tag)
        request("BYE", 2, target, to_tag=to_tag)
        final("BYE", time.time() + 30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
