#!/usr/bin/python3
# A SAML 2.0 identity provider for the tests, made with Lasso's Python
# binding (python3-lasso): it answers a real signed AuthnRequest (HTTP-
# Redirect binding) with a signed Response for the HTTP-POST binding, as an
# auto-submitting HTML form, like any IdP. The test drives it as a browser
# would (curl) and tells it, before each sign-in, who signs in and what to
# do wrong:
#
#   POST /control  {"next": {"email": …, "attributes": {NAME: [values]},
#                    "mode": MODE}}         (one sign-in; then back to normal)
#   POST /sp       the service provider's metadata (XML)
#   GET  /metadata the IdP's metadata
#   GET  /sso?SAMLRequest&RelayState&SigAlg&Signature
#
# MODE: "" (a correct answer, response and assertion signed), "assertion_only"
# (the response's signature removed, the assertion's kept), "unsigned" (no
# signature), "other_key" (signed with a key that is not in the metadata),
# "tamper" (the e-mail changed after signing), "wrap" (a second, unsigned
# assertion for another person put before the signed one), "audience",
# "recipient", "expired", "skew" (NotBefore 60 s ahead), "future" (NotBefore
# 10 minutes ahead), "encrypt" (the assertion encrypted for the SP), "sha1"
# (signed with RSA-SHA1 and SHA-1 digests).
#
# Usage: idp.py PORTFILE WORKDIR
import base64
import datetime
import html
import json
import os
import re
import subprocess
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import lasso

PORTFILE, WORK = sys.argv[1], sys.argv[2]
lock = threading.Lock()
state = {"sp": None, "next": None}


def keypair(name):
    key, crt = os.path.join(WORK, name + ".key"), os.path.join(WORK, name + ".crt")
    if not os.path.exists(crt):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                        "-subj", "/CN=" + name, "-keyout", key, "-out", crt],
                       check=True, capture_output=True)
    return open(key).read(), open(crt).read()


def cert_body(pem):
    return "".join(l for l in pem.splitlines() if "CERTIFICATE" not in l)


KEY, CRT = keypair("idp")
OTHER_KEY, OTHER_CRT = keypair("other")


def metadata(base):
    return f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{base}/metadata">
 <md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
  <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert_body(CRT)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
  <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
  <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{base}/sso"/>
 </md:IDPSSODescriptor>
</md:EntityDescriptor>
"""


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def server_for(md, key, crt, sp, method=lasso.SIGNATURE_METHOD_RSA_SHA256):
    s = lasso.Server.newFromBuffers(md, key, None, crt)
    s.signatureMethod = method
    s.addProviderFromBuffer(lasso.PROVIDER_ROLE_SP, sp)
    return s


def text_value(v):
    av = lasso.Saml2AttributeValue()
    t = lasso.MiscTextNode.newWithString(v)
    t.textChild = True
    av.any = (t,)
    return av


def answer(query, md):
    with lock:
        nxt, state["next"] = state["next"] or {}, None
        sp = state["sp"]
    mode = nxt.get("mode", "")
    email = nxt.get("email", "u@clinic.example")
    server = server_for(md, KEY, CRT, sp)
    if mode == "sha1":
        server = server_for(md, KEY, CRT, sp, lasso.SIGNATURE_METHOD_RSA_SHA1)
    if mode == "other_key":
        server = server_for(md, OTHER_KEY, OTHER_CRT, sp)
    if mode == "recipient":  # the IdP believes the SP's ACS is elsewhere
        other = ('<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"'
                 ' Location="https://elsewhere.example/acs" index="1"/>')
        server = server_for(md, KEY, CRT, sp.replace("</md:SPSSODescriptor>",
                                                     other + "</md:SPSSODescriptor>"))
    login = lasso.Login(server)
    if mode == "recipient":
        # our request names our ACS, which this IdP's view of the SP lacks
        login.processAuthnRequestMsg(query)
        login.request.assertionConsumerServiceUrl = "https://elsewhere.example/acs"
    else:
        login.processAuthnRequestMsg(query)
    if mode == "encrypt":
        server.getProvider(login.remoteProviderId).setEncryptionMode(lasso.ENCRYPTION_MODE_ASSERTION)
    login.validateRequestMsg(True, True)
    now = datetime.datetime.now(datetime.timezone.utc)
    nb, na = now - datetime.timedelta(seconds=30), now + datetime.timedelta(minutes=5)
    if mode == "expired":
        nb, na = now - datetime.timedelta(minutes=20), now - datetime.timedelta(minutes=10)
    elif mode == "skew":
        nb = now + datetime.timedelta(seconds=60)
    elif mode == "future":
        nb = now + datetime.timedelta(minutes=10)
    login.buildAssertion(lasso.SAML2_AUTHN_CONTEXT_PASSWORD, iso(now), None, iso(nb), iso(na))
    a = login.assertion
    nid = lasso.Saml2NameID()
    nid.content = email
    nid.format = lasso.SAML2_NAME_IDENTIFIER_FORMAT_EMAIL
    a.subject.nameID = nid
    scd = a.subject.subjectConfirmation.subjectConfirmationData
    scd.notOnOrAfter = iso(na)
    if mode == "audience":
        ar = lasso.Saml2AudienceRestriction()
        ar.audience = "https://other-sp.example/metadata"
        a.conditions.audienceRestriction = (ar,)
    attrs = []
    for name, vals in (nxt.get("attributes") or {}).items():
        at = lasso.Saml2Attribute()
        at.name = name
        at.nameFormat = lasso.SAML2_ATTRIBUTE_NAME_FORMAT_BASIC
        at.attributeValue = tuple(text_value(v) for v in vals)
        attrs.append(at)
    if attrs:
        st = lasso.Saml2AttributeStatement()
        st.attribute = tuple(attrs)
        a.attributeStatement = (st,)
    login.buildAuthnResponseMsg()
    body = login.msgBody
    if mode in ("assertion_only", "unsigned", "tamper", "wrap"):
        xml = base64.b64decode(body).decode()
        sig = re.compile(r"<(?:ds:)?Signature\b.*?</(?:ds:)?Signature>", re.S)
        if mode == "unsigned":
            xml = sig.sub("", xml)
        elif mode == "tamper":
            xml = xml.replace(email, "o@clinic.example")
        else:
            # the response's own signature comes first (after its Issuer)
            xml = sig.sub("", xml, count=1)
            if mode == "wrap":
                m = re.search(r"<saml:Assertion\b.*?</saml:Assertion>", xml, re.S)
                evil = sig.sub("", m.group(0))
                evil = re.sub(r'\bID="[^"]*"', 'ID="_evil0001"', evil, count=1)
                evil = evil.replace(email, "o@clinic.example")
                xml = xml[:m.start()] + evil + xml[m.start():]
        body = base64.b64encode(xml.encode()).decode()
    page = f"""<!DOCTYPE html><html><body onload="document.forms[0].submit()">
<form method="post" action="{html.escape(login.msgUrl)}">
<input type="hidden" name="SAMLResponse" value="{body}">
<input type="hidden" name="RelayState" value="{html.escape(login.msgRelayState or '')}">
</form></body></html>
"""
    return page


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, code, ctype, text):
        b = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def base(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        md = metadata(self.base())
        if u.path == "/metadata":
            return self.send(200, "application/samlmetadata+xml", md)
        if u.path == "/sso":
            try:
                return self.send(200, "text/html", answer(u.query, md))
            except Exception as e:  # the test reads the reason
                return self.send(400, "text/plain", "refused: %r\n" % e)
        self.send(404, "text/plain", "no\n")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        data = self.rfile.read(n).decode()
        with lock:
            if self.path == "/sp":
                state["sp"] = data
            elif self.path == "/control":
                state["next"] = json.loads(data).get("next")
            else:
                return self.send(404, "text/plain", "no\n")
        self.send(200, "text/plain", "ok\n")


lasso.init()
httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(httpd.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
httpd.serve_forever()
