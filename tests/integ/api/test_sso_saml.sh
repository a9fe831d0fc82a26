#!/usr/bin/env bash
# SAML 2.0 sign-in (issue 17, C05, C08) against a Lasso identity provider on
# loopback (tests/saml/idp.py, python3-lasso), which answers the real signed
# AuthnRequest with a signed Response: the whole flow driven by curl with a
# cookie jar, from /v1/sso/{account}/{idp}/start through the IdP to the
# assertion consumer service and a session that calls /v1/me; the SP
# metadata; the IdP metadata by URL; then the attacks, each refused with its
# reason, audited, and leaving no session: unsigned, another key, altered
# after signing, signature wrapping, wrong audience, wrong recipient,
# expired, not yet valid, signed with RSA-SHA1 (unless the provider allows
# it), replayed, the answer to another browser's request, unsolicited;
# encrypted assertions; just in time with a role from an attribute; a
# browser refused (Accept: text/html) sent back to the portal with the
# reason's word (/?sso_error=).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sso.sh"
SAML_DIR="$(cd "$(dirname "$0")/../../saml" && pwd)"
/usr/bin/python3 -c 'import lasso' 2>/dev/null || { echo "python3-lasso missing: run scripts/install-deps"; exit 1; }

mkdir -p "$TMP/idp"
/usr/bin/python3 "$SAML_DIR/idp.py" "$TMP/idp.port" "$TMP/idp" >"$TMP/idp.log" 2>&1 &
IDP_PID=$!
trap 'kill $IDP_PID 2>/dev/null; cleanup' EXIT
poll_until 300 test -s "$TMP/idp.port" || { echo "the IdP did not start"; cat "$TMP/idp.log"; exit 1; }
IDP_BASE="http://127.0.0.1:$(cat "$TMP/idp.port")"
control() { curl -sf -X POST --data-binary "$1" "$IDP_BASE/control" >/dev/null; }

start_daemon --set sso.allow_cidrs=127.0.0.0/8
sso_clinic
curl -sf "$IDP_BASE/metadata" >"$TMP/idp.xml"
MD=$(jq -Rs . <"$TMP/idp.xml")

# --- the provider, its SP metadata
req POST "/v1/accounts/$ACC/identity-providers" "$OWNER" "{\"type\":\"saml\",\"metadata_xml\":$MD,\"role_attribute\":\"groups\"}"
expect_status 201 "a SAML provider from its metadata"
IDP=$(jqr .id)
expect_jq '.type == "saml" and .idp_entity_id == "'"$IDP_BASE"'/metadata" and (.sp.acs_url | endswith("/v1/sso/'"$ACC/$IDP"'/saml/acs")) and (.sp.entity_id | endswith("/saml/metadata")) and .role_attribute == "groups" and .allow_sha1 == false and (has("client_secret_set") | not)' \
	"it shows the IdP's entity id and the SP's URLs, SHA-1 refused"
req POST "/v1/accounts/$ACC/identity-providers" "$OWNER" '{"type":"saml","metadata_xml":"<not-metadata/>"}'
expect_problem 422 validation-failed "metadata that is not an IdP's"
req POST "/v1/accounts/$ACC/identity-providers" "$OWNER" "{\"type\":\"saml\",\"metadata_xml\":$MD,\"metadata_url\":\"$IDP_BASE/metadata\"}"
expect_problem 422 validation-failed "metadata given twice"
req POST "/v1/accounts/$ACC/identity-providers" "$OWNER" "{\"type\":\"saml\",\"metadata_url\":\"$IDP_BASE/metadata\",\"name\":\"by URL\"}"
expect_status 201 "a SAML provider from its metadata URL (fetched through the SSRF guard)"
expect_jq '.metadata_url == "'"$IDP_BASE"'/metadata" and .idp_entity_id == "'"$IDP_BASE"'/metadata"' "… which it names"
req POST "/v1/accounts/$ACC/identity-providers" "$OWNER" '{"type":"saml","metadata_url":"http://10.255.255.1/metadata"}'
expect_problem 502 idp-unavailable "a metadata URL the guard refuses"

curl -s -D "$TMP/hm" -o "$TMP/sp.xml" "$BASE/v1/sso/$ACC/$IDP/saml/metadata"
if grep -qi '^content-type: application/samlmetadata+xml' "$TMP/hm" && grep -q 'AuthnRequestsSigned="true"' "$TMP/sp.xml" &&
	grep -q 'WantAssertionsSigned="true"' "$TMP/sp.xml" && grep -q "saml/acs\"" "$TMP/sp.xml" &&
	grep -q 'use="encryption"' "$TMP/sp.xml" && ! grep -q 'PRIVATE' "$TMP/sp.xml"; then ok; else
	fail "the SP metadata: signed requests, signed assertions wanted, the ACS, a certificate, no private key"; fi
curl -sf -X POST --data-binary @"$TMP/sp.xml" "$IDP_BASE/sp" >/dev/null

# form_value FILE NAME: a hidden input's value of the IdP's page.
form_value() { sed -n "s/.*name=\"$2\" value=\"\([^\"]*\)\".*/\1/p" "$1"; }
# start JAR: sets AUTHN (the IdP URL with the signed request) and RELAY.
start() {
	curl -s -o /dev/null -D "$TMP/h1" -c "$1" -b "$1" "$BASE/v1/sso/$ACC/$IDP/start"
	AUTHN=$(sed -n 's/^[Ll]ocation: \(.*\)\r$/\1/p' "$TMP/h1")
}
# idp: the IdP's page for AUTHN into $TMP/page; SAMLRESP, RELAY.
idp() {
	curl -s -o "$TMP/page" "$AUTHN"
	SAMLRESP=$(form_value "$TMP/page" SAMLResponse)
	RELAY=$(form_value "$TMP/page" RelayState)
}
# acs JAR [RESPONSE [RELAY [CURL ARGS...]]]: the browser posts the form.
acs() {
	req POST "/v1/sso/$ACC/$IDP/saml/acs" "" "" -b "$1" -c "$1" -H 'Content-Type: application/x-www-form-urlencoded' \
		--data-urlencode "SAMLResponse=${2-$SAMLRESP}" --data-urlencode "RelayState=${3-$RELAY}" "${@:4}"
}
signin() { start "$1"; idp; acs "$1"; }
session() { req POST /v1/sso/session "" "" -c "$1" -b "$1"; }

# --- the start: a signed AuthnRequest by the HTTP-Redirect binding
start "$TMP/jar0"
case "$AUTHN" in
"$IDP_BASE/sso?SAMLRequest="*"&RelayState="*"&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256&Signature="*) ok ;;
*) fail "the start sends the browser to the IdP with a request signed with RSA-SHA256: $AUTHN" ;;
esac
if grep -qi '^set-cookie: fv_sso_b=[A-Za-z0-9_-]\{43\}; Path=/v1/sso/; Max-Age=600; HttpOnly' "$TMP/h1"; then ok; else
	fail "the start binds the browser with an HttpOnly cookie"; fi
curl -s -o /dev/null -D "$TMP/h1s" -H 'X-Forwarded-Proto: https' "$BASE/v1/sso/$ACC/$IDP/start"
if grep -qi '^set-cookie: fv_sso_b=.*; HttpOnly; SameSite=None; Secure' "$TMP/h1s"; then ok; else
	fail "over HTTPS the cookie is SameSite=None; Secure, to come with the IdP's cross-site POST"; fi
idp
[ -n "$SAMLRESP" ] && ok || { fail "the IdP accepted our signed request"; cat "$TMP/page"; }

# --- the whole flow: an invited member signs in, and is active
cp "$TMP/jar0" "$TMP/jar0.kept" # the binding cookie, for the replay below
acs "$TMP/jar0"
expect_status 302 "the ACS accepts the sign-in"
if grep -qi '^location: /?sso=1' "$HEADERS"; then ok; else fail "the ACS sends the browser to the portal"; fi
if grep -qi '^set-cookie: fv_sso=[A-Za-z0-9_-]\{43\}; Path=/v1/sso/; Max-Age=120; HttpOnly; SameSite=Strict' "$HEADERS"; then ok; else
	fail "a one-time handoff cookie"; fi
FIRST_RESP=$SAMLRESP FIRST_RELAY=$RELAY
session "$TMP/jar0"
expect_status 201 "the handoff gives a session"
req GET /v1/me "$(jqr .token)"
expect_jq '.email == "u@clinic.example" and .status == "active" and .role == "user"' "the session is the member's"

# --- attacks, each refused with its reason and no session
refused() { # refused REASON DESCRIPTION (after acs)
	expect_problem 401 sso-failed "$2"
	expect_jq ".detail | contains(\"$1\")" "$2: $1"
	if grep -qi '^set-cookie: fv_sso=[A-Za-z0-9_-]' "$HEADERS"; then fail "$2: no handoff"; else ok; fi
}
acs "$TMP/jar0.kept" "$FIRST_RESP" "$FIRST_RELAY"
refused replayed_assertion "the same response posted again"
# A browser (Accept: text/html, as the IdP's form posts) goes back to the
# portal with the reason's word instead; still refused, no handoff.
acs "$TMP/jar0.kept" "$FIRST_RESP" "$FIRST_RELAY" -H 'Accept: text/html,application/xhtml+xml,*/*;q=0.8'
expect_status 302 "a browser refused at the ACS goes back to the portal"
if grep -qi '^location: /?sso_error=replayed_assertion'$'\r''$' "$HEADERS"; then ok; else
	fail "… with the reason's word only: $(grep -i '^location' "$HEADERS")"; fi
if grep -qi '^set-cookie: fv_sso=[A-Za-z0-9_-]' "$HEADERS"; then fail "… and no handoff"; else ok; fi
attack() { # attack MODE REASON DESCRIPTION
	control "{\"next\":{\"mode\":\"$1\"}}"
	rm -f "$TMP/jarx"
	signin "$TMP/jarx"
	refused "$2" "$3"
}
attack unsigned unsigned "an unsigned response"
attack other_key bad_signature "a response signed with another key"
attack tamper bad_signature "an assertion altered after signing"
attack wrap "" "signature wrapping: a second, unsigned assertion"
attack audience wrong_audience "an assertion for another SP"
attack recipient wrong_recipient "an assertion for another recipient"
attack expired expired "an expired assertion"
attack future not_yet_valid "an assertion not valid yet (beyond the skew)"
attack sha1 sha1_signature "a response signed with RSA-SHA1 (refused unless allowed)"
if base64 -d <<<"$SAMLRESP" 2>/dev/null | grep -q 'xmldsig#rsa-sha1'; then ok; else fail "… which was signed with RSA-SHA1"; fi

# another browser's answer: B's response posted with A's RelayState and cookie
rm -f "$TMP/jarA" "$TMP/jarB"
start "$TMP/jarA"; idp; A_RELAY=$RELAY
start "$TMP/jarB"; idp
acs "$TMP/jarA" "$SAMLRESP" "$A_RELAY"
refused wrong_in_response_to "the answer to another browser's request"
acs "$TMP/jar-empty" "$SAMLRESP" "$RELAY"
refused other_browser "a response posted without the binding cookie"
acs "$TMP/jarB" "$SAMLRESP" ""
refused unsolicited "an unsolicited response (no RelayState)"

# --- accepted variants: only the assertion signed, clock skew, encrypted
control '{"next":{"mode":"assertion_only"}}'
rm -f "$TMP/jar1"; signin "$TMP/jar1"
expect_status 302 "a response whose assertion alone is signed"
control '{"next":{"mode":"skew"}}'
rm -f "$TMP/jar1"; signin "$TMP/jar1"
expect_status 302 "a NotBefore 60 s ahead, within the skew"
control '{"next":{"mode":"encrypt"}}'
rm -f "$TMP/jar1"; signin "$TMP/jar1"
expect_status 302 "an encrypted assertion"
if base64 -d <<<"$SAMLRESP" 2>/dev/null | grep -q 'EncryptedAssertion'; then ok; else fail "… which was encrypted"; fi
req PATCH "/v1/accounts/$ACC/identity-providers/$IDP" "$OWNER" '{"allow_sha1":"yes"}'
expect_problem 422 validation-failed "allow_sha1 is a boolean"
req PATCH "/v1/accounts/$ACC/identity-providers/$IDP" "$OWNER" '{"allow_sha1":true}'
expect_status 200 "SHA-1 allowed for this provider"
expect_jq '.allow_sha1 == true' "… as it shows"
control '{"next":{"mode":"sha1"}}'
rm -f "$TMP/jar1"; signin "$TMP/jar1"
expect_status 302 "then a response signed with RSA-SHA1 is accepted"
req PATCH "/v1/accounts/$ACC/identity-providers/$IDP" "$OWNER" '{"allow_sha1":false}'
expect_status 200 "SHA-1 refused again"
control '{"next":{"mode":"sha1"}}'
rm -f "$TMP/jarx"; signin "$TMP/jarx"
refused sha1_signature "and an RSA-SHA1 response refused again"

# --- invited only, then just in time with a role from an attribute
control '{"next":{"email":"stranger@clinic.example"}}'
rm -f "$TMP/jar2"; signin "$TMP/jar2"
refused not_a_member "a person who is not a member (invited only)"
req PATCH "/v1/accounts/$ACC/identity-providers/$IDP" "$OWNER" '{"provisioning":"jit","role_map":{"fax-admins":"admin"}}'
expect_status 200 "just-in-time provisioning"
control '{"next":{"email":"new@clinic.example","attributes":{"groups":["staff","fax-admins"],"displayName":["New Person"]}}}'
rm -f "$TMP/jar3"; signin "$TMP/jar3"
expect_status 302 "a new person signs in"
session "$TMP/jar3"
req GET /v1/me "$(jqr .token)"
expect_jq '.email == "new@clinic.example" and .role == "admin" and .name == "New Person"' "made a member, with the mapped role and the name"
req PATCH "/v1/accounts/$ACC/identity-providers/$IDP" "$OWNER" '{"email_attribute":"mail"}'
expect_status 200 "the address from an attribute"
control '{"next":{"email":"nobody@clinic.example","attributes":{"mail":["new@clinic.example"]}}}'
rm -f "$TMP/jar4"; signin "$TMP/jar4"
expect_status 302 "the person is the one the attribute names"

# --- audited
req GET "/v1/accounts/$ACC/audit-events?limit=200" "$OWNER"
for r in replayed_assertion unsigned bad_signature wrong_audience wrong_recipient expired not_yet_valid sha1_signature wrong_in_response_to other_browser unsolicited; do
	expect_jq "[.items[] | select(.action == \"sso.signin\" and .outcome == \"failure\") | .detail.reason] | index(\"$r\") != null" "the refusal $r is audited"
done
expect_jq '[.items[] | select(.action == "sso.signin" and .outcome == "success")] | length >= 6' "and every sign-in"
expect_jq '[.items[] | select(.action == "idp.create" and .detail.type == "saml")] | length == 2' "the providers' creation"
expect_jq '[.items[] | select(.action == "idp.update" and .detail.allow_sha1 == true)] | length == 1' "allowing SHA-1"

# --- the SP's private key is nowhere in clear
if grep -rqaF -- 'PRIVATE KEY' "$LOG" "$DATA"; then fail "a private key in clear in the log or the data directory"; else ok; fi
finish
