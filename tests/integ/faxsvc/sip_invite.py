#!/usr/bin/env python3
"""A carrier's INVITE without media, for the carrier listener tests.

sip_invite.py PORT RURI_USER [--src IP] [--digest USER:PASS [--challenge VALUE]] [--replay]
              [HEADER: VALUE ...]
Sends one INVITE (G.711 offer) from 127.0.0.1 to 127.0.0.1:PORT, prints
"STATUS" and, when present, "Retry-After: N" and "WWW-Authenticate: ..." of
the final response. A 200 is ACKed and the call hung up at once (BYE), as a
carrier whose caller gave up would. With --digest, a 401 is answered once
(RFC 2617, MD5, qop=auth, computed here with Python's own MD5) by a second
INVITE with Authorization, whose status is printed too; with --replay, the
same Authorization is then sent again in a new call (another Call-ID), as a
replaying attacker would, and its status printed. With --challenge, the
first INVITE already answers that WWW-Authenticate value (one printed by an
earlier run). --src binds another loopback address (127.0.0.2...). Exit 0 when every final
response came, 1 on timeout.
"""
import hashlib
import random
import re
import socket
import sys
import time


def main():
    port, ruri_user, extra = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    digest, replay, chal, src = None, False, None, "127.0.0.1"
    while extra and extra[0].startswith("--"):
        if extra[0] == "--digest":
            digest = extra[1].split(":", 1)
            extra = extra[2:]
        elif extra[0] == "--challenge":
            chal = extra[1]
            extra = extra[2:]
        elif extra[0] == "--src":
            src = extra[1]
            extra = extra[2:]
        elif extra[0] == "--replay":
            replay = True
            extra = extra[1:]
        else:
            raise SystemExit("unknown option " + extra[0])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    lport = s.getsockname()[1]
    tag = "%08x" % random.getrandbits(32)
    ids = {"cid": "%016x@carrier.test" % random.getrandbits(64)}
    sdp = ("v=0\r\no=carrier 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
           "t=0 0\r\nm=audio 40000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n")
    target = "sip:%s@127.0.0.1:%d" % (ruri_user, port)

    def request(method, cseq, uri, to_tag="", body="", headers=()):
        branch = "z9hG4bK%08x" % random.getrandbits(32)
        lines = [
            "%s %s SIP/2.0" % (method, uri),
            "Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (src, lport, branch),
            "From: <sip:+15550001111@127.0.0.1>;tag=%s" % tag,
            "To: <%s>%s" % (target, ";tag=" + to_tag if to_tag else ""),
            "Call-ID: %s" % ids["cid"],
            "CSeq: %d %s" % (cseq, method),
            "Max-Forwards: 70",
            "Contact: <sip:carrier@%s:%d>" % (src, lport),
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

    def invite(cseq, headers):
        request("INVITE", cseq, target, body=sdp, headers=headers)
        got = final("INVITE", time.time() + 30)
        if not got:
            print("timeout")
            return None
        status, hdrs = got
        print(status)
        if "retry-after" in hdrs:
            print("Retry-After: %s" % hdrs["retry-after"])
        if "www-authenticate" in hdrs:
            print("WWW-Authenticate: %s" % hdrs["www-authenticate"])
        to_tag = hdrs.get("to", "").partition(";tag=")[2].split(";")[0]
        request("ACK", cseq, target, to_tag=to_tag)
        if status == 200:
            request("BYE", cseq + 1, target, to_tag=to_tag)
            final("BYE", time.time() + 30)
        return status, hdrs

    def answer(chal, user, password):
        f = dict(re.findall(r'(\w+)="?([^",]*)"?', chal))
        md5 = lambda x: hashlib.md5(x.encode()).hexdigest()
        cnonce = "%08x" % random.getrandbits(32)
        ha1 = md5("%s:%s:%s" % (user, f["realm"], password))
        ha2 = md5("INVITE:%s" % target)
        resp = md5("%s:%s:00000001:%s:auth:%s" % (ha1, f["nonce"], cnonce, ha2))
        return ('Authorization: Digest username="%s", realm="%s", nonce="%s", uri="%s", '
                'response="%s", algorithm=MD5, qop=auth, nc=00000001, cnonce="%s"'
                % (user, f["realm"], f["nonce"], target, resp, cnonce))

    if digest and chal:
        return 0 if invite(1, extra + [answer(chal, digest[0], digest[1])]) else 1
    got = invite(1, extra)
    if not got:
        return 1
    if digest and got[0] == 401:
        auth = answer(got[1]["www-authenticate"], digest[0], digest[1])
        if not invite(2, extra + [auth]):
            return 1
        if replay:
            ids["cid"] = "%016x@carrier.test" % random.getrandbits(64)
            if not invite(1, extra + [auth]):
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
