#!/usr/bin/env python3
"""Counts the dark pixels of a PNG page in a horizontal band.

Usage: png_band.py FILE.png FROM_PERCENT TO_PERCENT
Prints the number of pixels darker than mid-grey in the rows from
FROM_PERCENT to TO_PERCENT of the page height. Reads the grayscale PNGs
faxvault serves (colour type 0, bit depth 1, 2, 4, 8 or 16, not
interlaced) with the standard library only: no imaging library is needed.
"""
import struct
import sys
import zlib


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, ctype, _, _, interlace = hdr
    if ctype != 0 or interlace != 0:
        raise SystemExit("only non-interlaced grayscale PNGs are read")
    raw = zlib.decompress(idat)
    stride = (width * depth + 7) // 8
    bpp = max(1, depth // 8)
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        ftype, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 255
            elif ftype == 2:
                line[x] = (line[x] + b) & 255
            elif ftype == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, depth, rows


def dark_in_band(path, lo, hi):
    width, height, depth, rows = read_png(path)
    maxv = (1 << depth) - 1
    count = 0
    for y in range(int(height * lo / 100), max(int(height * hi / 100), 1)):
        row = rows[y]
        for x in range(width):
            if depth >= 8:
                v = row[x * (depth // 8)]  # the high byte of a 16-bit sample
                dark = v < 128
            else:
                byte = row[x * depth // 8]
                shift = 8 - depth - (x * depth) % 8
                dark = ((byte >> shift) & maxv) < (maxv + 1) // 2
            count += dark
    return count


if __name__ == "__main__":
    print(dark_in_band(sys.argv[1], float(sys.argv[2]), float(sys.argv[3])))
