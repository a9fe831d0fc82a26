#!/usr/bin/env python3
# Verifies an account's audit export (GET /v1/accounts/{id}/audit/export)
# offline, with nothing but the export and the service's Ed25519 public key
# (as the account kept it from its checkpoints' list), as a third party
# would: docs/security.md, "Audit export". Exit 0 and "intact" when it
# verifies, 1 and the first thing that does not, 2 on a usage error.
#
# usage: audit_export_verify.py EXPORT.json [PUBLIC_KEY_HEX]
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

# What an event's hash covers, by chain version: 1 and 2 over the personal
# fields themselves, 3 over their salted digest pd.
FIELDS = ["chain_id", "chain_seq", "id", "time", "actor_id", "actor_type", "on_behalf_of",
          "action", "target", "account_id", "source", "outcome", "detail"]
FIELDS3 = ["chain_id", "chain_seq", "id", "time", "actor_id", "actor_type", "on_behalf_of",
           "action", "target", "account_id", "outcome", "pd"]


def ns(v):
    """One netstring: integers in decimal, strings as UTF-8, anything else empty."""
    if isinstance(v, bool) or v is None:
        b = b""
    elif isinstance(v, int):
        b = str(v).encode()
    elif isinstance(v, str):
        b = v.encode()
    else:
        b = b""
    return b"%d:%s," % (len(b), b)


def covered(ev):
    return b"".join(ns(ev.get(f)) for f in (FIELDS3 if ev.get("chain") == 3 else FIELDS))


def signed(pk, sig_hex, message):
    try:
        pk.verify(bytes.fromhex(sig_hex or ""), message.encode())
        return True
    except (InvalidSignature, ValueError):
        return False


def verify(x, pk_hex):
    if x.get("format") != 1 or x.get("algorithm") != "Ed25519":
        return "unknown export format"
    if pk_hex and x.get("public_key") != pk_hex:
        return "signed with another key than the one kept"
    pk = Ed25519PublicKey.from_public_bytes(bytes.fromhex(pk_hex or x.get("public_key") or ""))
    chain, anchor, events = x["chain"], x["anchor"], x["events"]
    prev, digest = anchor, hashlib.sha256()
    by_seq = {}
    for n, ev in enumerate(events, 1):
        where = "event %s (chain_seq %s)" % (ev.get("id"), ev.get("chain_seq"))
        if ev.get("chain_id") != chain:
            return where + ": in another chain"
        if ev.get("account_id") != chain and not (chain == "provider" and ev.get("account_id") == ""):
            return where + ": of another account"
        if ev.get("chain_seq") != n:
            return where + ": out of place (expected chain_seq %d): an event was removed or moved" % n
        if ev.get("prev_hash") != prev:
            return where + ": its link does not match the event before it"
        if ev.get("chain") == 3 and ev.get("pd_salt"):
            pd = hashlib.sha256(ev["pd_salt"].encode() + ns(ev.get("source")) + ns(ev.get("detail")))
            if pd.hexdigest() != ev.get("pd"):
                return where + ": source or detail does not match its digest"
        if ev.get("chain") == 1:
            if hashlib.sha256(prev.encode() + covered(ev)).hexdigest() != ev.get("hash"):
                return where + ": content does not match its hash"
        digest.update(covered(ev) + ev["prev_hash"].encode() + ev["hash"].encode())
        prev = ev["hash"]
        by_seq[n] = ev["hash"]
    head = x["head"]
    if head.get("seq") != len(events) or head.get("hash") != prev:
        return "the head is not the last event"
    message = ("faxvault audit export 1\nchain=%s\nanchor=%s\nseq=%d\nhead=%s\nevents=%s\ntime=%s\n"
               % (chain, anchor, len(events), prev, digest.hexdigest(), x["exported_at"]))
    if message != x.get("message") or not signed(pk, x.get("signature"), message):
        return "the export's signature does not cover these events"
    for cp in x["checkpoints"]:
        m = ("faxvault audit checkpoint 2\nchain=%s\nseq=%d\nprev_seq=%d\nmac=%s\ntime=%s\n"
             % (cp["chain"], cp["seq"], cp["prev_seq"], cp["mac"], cp["time"]))
        if cp["chain"] != chain or not signed(pk, cp["signature"], m):
            return "checkpoint of seq %s: not signed by this key for this chain" % cp["seq"]
        if by_seq.get(cp["seq"]) != cp["mac"]:
            return "checkpoint of seq %s: the chain does not hold its head" % cp["seq"]
    return None


def main():
    if len(sys.argv) not in (2, 3):
        print("usage: audit_export_verify.py EXPORT.json [PUBLIC_KEY_HEX]", file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        x = json.load(f)
    try:
        why = verify(x, sys.argv[2] if len(sys.argv) == 3 else None)
    except (KeyError, TypeError, ValueError) as e:
        why = "malformed export: %r" % (e,)
    if why:
        print("BROKEN: " + why)
        return 1
    print("intact: %d events of chain %s, %d checkpoints" % (len(x["events"]), x["chain"],
                                                             len(x["checkpoints"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
