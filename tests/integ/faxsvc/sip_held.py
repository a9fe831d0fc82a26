#!/usr/bin/env python3
"""INVITEs while another one's decision is held, for test_decide.sh.

sip_held.py CARRIER_PORT LOOPBACK_PORT HELD_NUMBER OTHER_NUMBER
From one socket on 127.0.0.1: INVITE A to HELD_NUMBER on the carrier
listener (whose decisions the service holds: testing.carrier_decide_delay_ms);
once its 100 came, OPTIONS to the carrier listener, INVITE B to OTHER_NUMBER
on the loopback trunk's listener, INVITE C to HELD_NUMBER on the carrier
listener and, once its 100 came, CANCEL C; then waits for A's final
response. Prints one line per response, in the order they came:
"A 100", "OPTIONS 200", "B 404", "C 100", "C CANCEL 200", "C 487",
"A 503 Retry-After: 5" ... Exit 0 when A's final response came, 1 when a
response did not come within 90 s.
"""
import random
import socket
import sys
import time


def main():
    cport, lport_to, held, other = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    me = s.getsockname()[1]
    sdp = ("v=0\r\no=carrier 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
           "t=0 0\r\nm=audio 40000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n")
    calls = {}

    def request(name, method, port, number, branch=None):
        c = calls.setdefault(name, {"cid": "%016x@held.test" % random.getrandbits(64),
                                    "tag": "%08x" % random.getrandbits(32),
                                    "branch": "z9hG4bK%08x" % random.getrandbits(32)})
        body = sdp if method == "INVITE" else ""
        uri = "sip:%s@127.0.0.1:%d" % (number, port)
        lines = [
            "%s %s SIP/2.0" % (method, uri),
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport" % (me, branch or c["branch"]),
            "From: <sip:+15550001111@127.0.0.1>;tag=%s" % c["tag"],
            "To: <%s>" % uri,
            "Call-ID: %s" % c["cid"],
            "CSeq: 1 %s" % method,
            "Max-Forwards: 70",
            "Contact: <sip:carrier@127.0.0.1:%d>" % me,
        ]
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append("Content-Length: %d" % len(body))
        s.sendto(("\r\n".join(lines) + "\r\n\r\n" + body).encode(), ("127.0.0.1", port))

    def wait(name, method, final):
        """Prints every response until one to (name, method), final or not."""
        deadline = time.time() + 90
        while time.time() < deadline:
            s.settimeout(max(0.05, deadline - time.time()))
            try:
                data = s.recv(65535).decode(errors="replace")
            except socket.timeout:
                break
            head = data.split("\r\n\r\n", 1)[0].split("\r\n")
            if not head[0].startswith("SIP/2.0 "):
                continue
            status = int(head[0].split()[1])
            hdrs = {}
            for h in head[1:]:
                k, _, v = h.partition(":")
                hdrs.setdefault(k.strip().lower(), v.strip())
            who = [n for n, c in calls.items() if c["cid"] == hdrs.get("call-id")]
            meth = hdrs.get("cseq", "").split()[-1]
            label = (who[0] if who else "?") + ("" if meth == "INVITE" or (who and who[0] == meth) else " " + meth)
            line = "%s %d" % (label, status)
            if "retry-after" in hdrs:
                line += " Retry-After: %s" % hdrs["retry-after"]
            print(line, flush=True)
            if status >= 200 and meth == "INVITE":
                to_tag = hdrs.get("to", "").partition(";tag=")[2].split(";")[0]
                ack = "ACK sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=%s\r\n" \
                      "From: <sip:+15550001111@127.0.0.1>;tag=%s\r\nTo: <sip:x@127.0.0.1>;tag=%s\r\n" \
                      "Call-ID: %s\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n" % (
                          me, calls[who[0]]["branch"], calls[who[0]]["tag"], to_tag, calls[who[0]]["cid"])
                if who:
                    s.sendto(ack.encode(), ("127.0.0.1", cport if who[0] != "B" else lport_to))
            if who and who[0] in (name,) and meth == method and (status >= 200 or not final):
                return True
        print("timeout %s %s" % (name, method), flush=True)
        return False

    request("A", "INVITE", cport, held)
    ok = wait("A", "INVITE", False)
    request("OPTIONS", "OPTIONS", cport, held)
    ok = ok and wait("OPTIONS", "OPTIONS", True)
    request("B", "INVITE", lport_to, other)
    ok = ok and wait("B", "INVITE", True)
    request("C", "INVITE", cport, held)
    ok = ok and wait("C", "INVITE", False)
    request("C", "CANCEL", cport, held)
    ok = ok and wait("C", "INVITE", True)
    ok = ok and wait("A", "INVITE", True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
