#!/usr/bin/env python3
"""A local sendmail program for test_mail_sendmail_pair.sh, run by faxvaultd
as `sendmail -i -f FROM -- TO` with the message on its standard input.

A received fax's mail (Subject "Fax from ...") is held until two of them
are being sent at once: each reads its headers only, then waits until the
other has started too, so that both senders are still writing their message
(larger than a pipe's buffer) into their pipes while both programs run. Each
then reads its message to the end of its input and waits until the other
has done the same. The end of one's input cannot come while the other
program holds a copy of its pipe's write end (a pipe that is not
close-on-exec, inherited by the program started second): that one then
waits in vain, gives up after its bound, says why in fail.PID and exits 75
(EX_TEMPFAIL). Every other message is taken at once. Each message is kept
as DIR/msg.PID. Usage: sendmail_pair.py DIR [sendmail arguments...]"""
import os
import sys
import time

d = sys.argv[1]


def count(prefix):
    return sum(1 for n in os.listdir(d) if n.startswith(prefix))


def mark(name, text=''):
    with open(os.path.join(d, name + '.part'), 'w') as f:
        f.write(text)
    os.rename(os.path.join(d, name + '.part'), os.path.join(d, name))


def wait_for(prefix, bound_s, why):
    # A bound on every wait (generous: the machine may be loaded).
    deadline = time.monotonic() + bound_s
    while count(prefix) < 2:
        if time.monotonic() > deadline:
            mark('fail.%d' % os.getpid(), why + '\n')
            sys.exit(75)
        time.sleep(0.05)


# The headers, a byte at a time: nothing of the body is read before the
# first wait, so the sender's write stays blocked on the full pipe.
head = b''
while not head.endswith(b'\n\n') and not head.endswith(b'\r\n\r\n'):
    c = os.read(0, 1)
    if not c:
        break
    head += c
fax = b'\nSubject: Fax from ' in b'\n' + head
me = os.getpid()
if fax:
    mark('started.%d' % me)
    wait_for('started.', 300, 'the other fax mail was not being sent within 300 s of this one')
body = []
while True:
    b = os.read(0, 65536)
    if not b:
        break
    body.append(b)
with open(os.path.join(d, 'msg.%d.part' % me), 'wb') as f:
    f.write(head + b''.join(body))
os.rename(os.path.join(d, 'msg.%d.part' % me), os.path.join(d, 'msg.%d' % me))
if fax:
    mark('eof.%d' % me)
    wait_for('eof.', 60, "this program's input ended, the other's did not within 60 s: "
             "this one holds the other's pipe open")
sys.exit(0)
