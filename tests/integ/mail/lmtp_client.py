#!/usr/bin/env python3
"""A hand-driven LMTP (or SMTP) client for the LMTP tests:
lmtp_client.py PORT SCRIPT

SCRIPT is a file of lines sent as they are (each with CRLF), in groups
separated by a line "--": a group is sent in one write (pipelined), then
one reply is read per line of the group, and one more per "@DATA FILE"
line, which sends the message in FILE (dot-stuffed, CRLF, ended by the lone
dot) and reads N replies, N given after the file name ("@DATA FILE N").
Prints every reply line as received (multi-line replies in full), and
"closed" when the server dropped the connection."""
import socket
import sys


def read_reply(f, out):
    while True:
        line = f.readline()
        if not line:
            out.append("closed")
            return False
        text = line.decode("ascii", "replace").rstrip("\r\n")
        out.append(text)
        if text[3:4] != "-":
            return True


def message(path):
    with open(path, "rb") as fh:
        data = fh.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    lines = data.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n" for l in lines) + b".\r\n"


def main():
    port, script = sys.argv[1], sys.argv[2]
    with open(script) as fh:
        groups = [[]]
        for l in fh.read().splitlines():
            if l == "--":
                groups.append([])
            else:
                groups[-1].append(l)
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=300)
    f = s.makefile("rb")
    out = []
    alive = read_reply(f, out)
    try:
        for g in groups:
            if not alive:
                break
            if len(g) == 1 and g[0].startswith("@DATA "):
                _, path, n = g[0].split()
                s.sendall(message(path))
                for _ in range(int(n)):
                    if not read_reply(f, out):
                        alive = False
                        break
                continue
            s.sendall(b"".join(l.encode() + b"\r\n" for l in g))
            for _ in g:
                if not read_reply(f, out):
                    alive = False
                    break
    except OSError:
        out.append("closed")
    print("\n".join(out))


if __name__ == "__main__":
    main()
