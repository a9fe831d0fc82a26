#!/usr/bin/env python3
"""Reads one delivered message (a Maildir file) as a mail client would and
prints what the mail tests check, as JSON: the decoded Subject, From, To,
Message-ID, Content-Language, the content types of its parts, and the decoded
text and HTML bodies, the attachments (type, file name, decoded size,
whether it is a PDF and its pages), and the images (type, file name,
disposition, PNG width and height, and the share of dark pixels of an 8-bit
grey PNG, decoded here). Independent of faxvault's own MIME code."""
import email
import email.policy
import json
import struct
import sys
import zlib


def png_info(data):
    """Width, height and the share of pixels darker than 128 (8-bit grey,
    not interlaced; None otherwise) of a PNG, or None when it is not one."""
    if not data.startswith(b'\x89PNG\r\n\x1a\n'):
        return None
    pos, idat, ihdr = 8, b'', None
    while pos + 8 <= len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            ihdr = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    if not ihdr:
        return None
    w, h, depth, ctype, _, _, interlace = ihdr
    dark = None
    if depth == 8 and ctype == 0 and interlace == 0:
        raw, prev, count, i = zlib.decompress(idat), bytearray(w), 0, 0
        for _ in range(h):
            f, line = raw[i], bytearray(raw[i + 1:i + 1 + w])
            i += 1 + w
            for x in range(w):
                a = line[x - 1] if x else 0
                b = prev[x]
                c = prev[x - 1] if x else 0
                if f == 1:
                    line[x] = (line[x] + a) & 255
                elif f == 2:
                    line[x] = (line[x] + b) & 255
                elif f == 3:
                    line[x] = (line[x] + (a + b) // 2) & 255
                elif f == 4:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            count += sum(1 for v in line if v < 128)
            prev = line
        dark = count / float(w * h)
    return {'width': w, 'height': h, 'dark': dark}


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
