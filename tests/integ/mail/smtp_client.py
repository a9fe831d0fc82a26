#!/usr/bin/env python3
"""One mail to an SMTP server, by hand: smtp_client.py PORT FROM TO FILE [STALLED]

Sends EHLO, MAIL, RCPT, DATA and a message From: FROM with FILE attached as
application/pdf; prints the reply to the end of DATA ("250 ..."), or
"closed" when the server dropped the connection first. With STALLED (a
path), sends only the first half of the message, creates STALLED, and then
waits for whatever the server does (a test kills it meanwhile): a reply
(a 4xx) or the connection dropped.

With SMTP_CLIENT_RAW set to a path: the message is read from that file when
it exists, else built and written there, so that a second run hands over
the same bytes (as an MTA retrying a message does)."""
import os
import socket
import sys
from email.message import EmailMessage


def reply(f):
    while True:
        line = f.readline()
        if not line:
            return None
        if line[3:4] != b"-":
            return line.decode("ascii", "replace").strip()


def main():
    port, frm, to, path = sys.argv[1:5]
    stalled = sys.argv[5] if len(sys.argv) > 5 else None
    msg = EmailMessage()
    msg["From"] = frm
    msg["To"] = to
    msg["Subject"] = "privsep"
    msg.set_content("A fax by e-mail.")
    with open(path, "rb") as fh:
        msg.add_attachment(fh.read(), maintype="application", subtype="pdf", filename="one.pdf")
    data = msg.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    subject = os.environ.get("SMTP_CLIENT_SUBJECT")
    if subject:  # a Subject header as written (encoded words kept)
        data = data.replace(b"Subject: privsep", b"Subject: " + subject.encode(), 1)
    data = b"\r\n".join(b"." + l if l.startswith(b".") else l for l in data.split(b"\r\n"))
    raw = os.environ.get("SMTP_CLIENT_RAW")
    if raw and os.path.exists(raw):
        with open(raw, "rb") as fh:
            data = fh.read()
    elif raw:
        with open(raw, "wb") as fh:
            fh.write(data)
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=300)
    f = s.makefile("rb")
    try:
        reply(f)
        for cmd in (b"EHLO client.test", b"MAIL FROM:<" + frm.encode() + b">",
                    b"RCPT TO:<" + to.encode() + b">", b"DATA"):
            s.sendall(cmd + b"\r\n")
            r = reply(f)
            if r is None:
                print("closed")
                return
        if stalled:
            s.sendall(data[: len(data) // 2])
            open(stalled, "w").close()
        else:
            s.sendall(data + b"\r\n.\r\n")
        r = reply(f)
        print(r if r else "closed")
        s.sendall(b"QUIT\r\n")
    except OSError:
        print("closed")


if __name__ == "__main__":
    main()
