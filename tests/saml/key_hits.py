#!/usr/bin/python3
# key_hits.py CERT FILE...: how many FILEs hold the RSA private key whose
# certificate is CERT (PEM, or the base64 body of an X509Certificate) while
# only the certificate is known. What the private key holds and the
# certificate does not: its RSAPrivateKey begins with the version (0) right
# before the modulus (in the certificate other bytes come before it). That
# sequence is searched as bytes, as hex, and as base64 (standard and URL-safe,
# at each of the three alignments, line breaks removed), plus the PEM
# armour "PRIVATE KEY". Used by test_secret_scan.sh for the SAML service
# provider's key, which the service makes and never hands out.
import base64
import re
import subprocess
import sys


def der_of(text):
    m = re.search(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", text, re.S)
    body = m.group(1) if m else text
    return base64.b64decode(re.sub(r"\s", "", body))


def needle(cert_der):
    out = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-modulus"],
                         input=cert_der, capture_output=True, check=True).stdout.decode()
    n = bytes.fromhex(out.strip().split("=", 1)[1])
    if n[0] & 0x80:
        n = b"\x00" + n
    # INTEGER 0, then INTEGER n (long form length), then n's first bytes
    head = b"\x02\x01\x00\x02\x82" + len(n).to_bytes(2, "big")
    return head + n[:48]


def b64_forms(nd):
    forms = []
    for k in range(3):
        enc = base64.b64encode(b"\x00" * k + nd)
        skip = 4 if k else 0
        full = (len(nd) - (3 - k) % 3) // 3
        part = enc[skip:skip + full * 4]
        forms += [part, part.replace(b"+", b"-").replace(b"/", b"_")]
    return forms


def main():
    nd = needle(der_of(open(sys.argv[1]).read()))
    forms = [nd, nd.hex().encode(), nd.hex().upper().encode(), b"PRIVATE KEY"]
    b64 = b64_forms(nd)
    hits = 0
    for p in sys.argv[2:]:
        data = open(p, "rb").read()
        flat = data.replace(b"\\n", b"").replace(b"\\r", b"").replace(b"\n", b"").replace(b"\r", b"")
        if any(f in data for f in forms) or any(f in flat for f in b64):
            hits += 1
            print(p, file=sys.stderr)
    print(hits)


main()
