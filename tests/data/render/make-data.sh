#!/bin/sh
# Regenerates the renderer's small test documents (committed; the tests do
# not run this). Needs ghostscript, qpdf and python3.
set -eu
cd "$(dirname "$0")"
cat > /tmp/fv-text3.ps <<'PS'
/Helvetica findfont 14 scalefont setfont
1 1 3 { /p exch def
  72 760 moveto (faxvault renderer test page) show
  72 740 moveto (Page ) show p 3 string cvs show
  0 1 30 { /l exch def 72 700 l 18 mul sub moveto (The quick brown fox jumps over the lazy dog. 0123456789) show } for
  newpath 300 200 80 0 360 arc 4 setlinewidth stroke
  100 100 moveto 500 150 lineto stroke
  showpage } for
PS
gs -q -dSAFER -sDEVICE=pdfwrite -sPAPERSIZE=a4 -o text3.pdf /tmp/fv-text3.ps
# Images of page 1 at a low resolution (kept small).
gs -q -dSAFER -sDEVICE=pnggray -r40 -dFirstPage=1 -dLastPage=1 -o page.png text3.pdf
gs -q -dSAFER -sDEVICE=jpeggray -r40 -dFirstPage=1 -dLastPage=1 -o page.jpg text3.pdf
# A 2-page LZW-compressed greyscale TIFF, as a scanner would make.
gs -q -dSAFER -sDEVICE=tiffgray -sCompression=lzw -r40 -dFirstPage=1 -dLastPage=2 -o scan2.tif text3.pdf
# TIFF in other codings: bilevel G4 and G3 (as fax software writes them,
# 60 dpi so that topdf's output can be checked pixel for pixel), PackBits
# greyscale, uncompressed RGB.
gs -q -dSAFER -sDEVICE=tiffg4 -r60 -dFirstPage=1 -dLastPage=3 -o fax-g4.tif text3.pdf
gs -q -dSAFER -sDEVICE=tiffg3 -r60 -dFirstPage=1 -dLastPage=2 -o fax-g3.tif text3.pdf
gs -q -dSAFER -sDEVICE=tiffpack -r30 -dFirstPage=1 -dLastPage=1 -o packbits.tif text3.pdf
gs -q -dSAFER -sDEVICE=tiff24nc -r12 -dFirstPage=2 -dLastPage=2 -o rgb.tif text3.pdf
# Encrypted with a user password.
qpdf --encrypt secret owner 256 -- text3.pdf encrypted.pdf
python3 - <<'PY'
import zlib
def pdf(objs, path, extra_trailer=""):
    out = bytearray(b"%PDF-1.4\n")
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    x = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offs:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
    open(path, "wb").write(out)
def stream(d, data):
    return b"<< " + d + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"
# Page-count bomb: a page tree that claims a million pages.
kids = b" ".join(b"3 0 R" for _ in range(50))
pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
     b"<< /Type /Pages /Count 1000000 /Kids [" + kids + b"] >>",
     b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"], "bomb-pages.pdf")
# Dimension bomb: a 14400 pt (200 in) page drawing a 40000 x 40000 image
# (1.6 GB decoded) whose data is cut short. Rendered scaled down to the
# fax page, within the caps.
z = zlib.compressobj(9)
img = z.compress(b"\0" * (1 << 20)) + z.flush()
pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
     b"<< /Type /Pages /Count 1 /Kids [3 0 R] >>",
     b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] /Resources << /XObject << /I 5 0 R >> >> /Contents 4 0 R >>",
     stream(b"", b"q 14400 0 0 14400 0 0 cm /I Do Q"),
     stream(b"/Type /XObject /Subtype /Image /Width 40000 /Height 40000 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode", img)],
    "bomb-dims.pdf")
# Memory bomb: one path of ten million points (a few hundred MB of path
# storage) from a 150 KB stream.
z = zlib.compressobj(9)
body = z.compress(b"0 0 m ") + b"".join(z.compress(b"1 1 l 2 2 l 3 1 l 4 4 l " * 50000) for _ in range(50)) + z.compress(b"S") + z.flush()
pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
     b"<< /Type /Pages /Count 1 /Kids [3 0 R] >>",
     b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
     stream(b"/Filter /FlateDecode", body)], "bomb-mem.pdf")
# Time bomb: twelve levels of forms each drawing the next ten times
# (10^12 rectangles from a few hundred bytes).
objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Count 1 /Kids [3 0 R] >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /F 5 0 R >> >> /Contents 4 0 R >>",
        stream(b"", b"/F Do")]
levels = 12
for i in range(levels):
    n = 5 + i
    if i < levels - 1:
        body = b" ".join(b"/F Do" for _ in range(10))
        objs.append(stream(b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /XObject << /F %d 0 R >> >>" % (n + 1), body))
    else:
        objs.append(stream(b"/Type /XObject /Subtype /Form /BBox [0 0 612 792]", b"10 10 500 700 re f"))
pdf(objs, "bomb-time.pdf")
# Images that claim 60000 x 60000 pixels (3.6 GB) with almost no data, and
# a JPEG frame header with no scan.
import struct
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
open("bomb-dims.png", "wb").write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 60000, 60000, 8, 0, 0, 0, 0))
    + chunk(b'IDAT', zlib.compress(b'\0' * 100000)) + chunk(b'IEND', b''))
ifd = [(256, 4, 1, 60000), (257, 4, 1, 60000), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
       (273, 4, 1, 8), (277, 3, 1, 1), (278, 4, 1, 60000), (279, 4, 1, 100)]
open("bomb-dims.tif", "wb").write(b'II*\0' + struct.pack('<I', 200) + b'\0' * 192 + struct.pack('<H', len(ifd))
    + b''.join(struct.pack('<HHII', *e) for e in ifd) + b'\0\0\0\0')
open("bad-dims.jpg", "wb").write(b'\xff\xd8\xff\xc0' + struct.pack('>HBHHB', 11, 8, 60000, 60000, 1) + b'\x01\x11\x00\xff\xd9')
# Corrupt: a PDF header, then the middle of a real file, cut.
t = open("text3.pdf", "rb").read()
open("corrupt.pdf", "wb").write(b"%PDF-1.7\n" + bytes(b ^ 0x5a for b in t[200:1200]))
PY
# Text with a form feed: two pages.
printf 'Dear customer,\n\nPlease find our offer below.\n\tItem 1\t100 EUR\n\tÉté 2026\t200 EUR\n\fSecond page.\n' > letter.txt
# Wrong type: an ELF-like binary blob and a ZIP header.
printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000binary' > wrong.bin
printf 'PK\003\004\024\000\000\000\010\000' > wrong.zip
rm -f /tmp/fv-text3.ps
