#!/usr/bin/env python3
"""Reads one delivered message (a Maildir file) as a mail client would and
prints what the mail tests check, as JSON: the decoded Subject, From, To,
Message-ID, Content-Language, the content types of its parts, and the decoded
text and HTML bodies, the attachments (type, file name, decoded size,
whether it is a PDF and its pages), and the images (type, file name,
disposition, PNG width and height, and the share of dark pixels of a grey
PNG, decoded by ../faxsvc/png_band.py). Independent of faxvault's own MIME code."""
import email
import email.policy
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'faxsvc'))
import png_band  # noqa: E402


def png_info(data):
    """Width, height and the share of pixels darker than mid-grey (decoded by
    ../faxsvc/png_band.py) of a grey PNG, or None when it is not one."""
    if not data.startswith(b'\x89PNG\r\n\x1a\n'):
        return None
    with tempfile.NamedTemporaryFile(suffix='.png') as t:
        t.write(data)
        t.flush()
        w, h, _, _ = png_band.read_png(t.name)
        return {'width': w, 'height': h, 'dark': png_band.dark_in_band(t.name, 0, 100) / float(w * h)}


with open(sys.argv[1], 'rb') as f:
    msg = email.message_from_binary_file(f, policy=email.policy.default)
out = {
    'subject': str(msg['Subject']),
    'from': str(msg['From']),
    'to': str(msg['To']),
    'to_addr': msg['To'].addresses[0].addr_spec if msg['To'] else '',
    'to_name': msg['To'].addresses[0].display_name if msg['To'] else '',
    'message_id': str(msg['Message-ID']),
    'lang': str(msg['Content-Language']),
    'type': msg.get_content_type(),
    'parts': [p.get_content_type() for p in msg.walk()],
    'text': '',
    'html': '',
    'attachments': [],
    'images': [],
}
for p in msg.walk():
    if p.get_content_maintype() == 'image':
        data = p.get_payload(decode=True) or b''
        out['images'].append({'type': p.get_content_type(), 'filename': p.get_filename(),
                              'disposition': p.get_content_disposition(),
                              'png': png_info(data)})
    elif p.get_content_disposition() == 'attachment':
        data = p.get_payload(decode=True) or b''
        out['attachments'].append({'type': p.get_content_type(), 'filename': p.get_filename(),
                                   'size': len(data), 'pdf': data.startswith(b'%PDF-'),
                                   'pages': data.count(b'/Type /Page') - data.count(b'/Type /Pages')})
    elif p.get_content_type() == 'text/plain':
        out['text'] = p.get_content()
    elif p.get_content_type() == 'text/html':
        out['html'] = p.get_content()
print(json.dumps(out))
