#!/usr/bin/env bash
# SAML 2.0 sign-in (issue 17, C08) against SimpleSAMLphp (Debian's
# simplesamlphp), a second identity provider besides the Lasso one of
# test_sso_saml.sh: run with PHP's built-in server on loopback, configured
# from tests/saml/ssp (its example users by exampleauth:UserPass, a key pair
# made here, our SP metadata imported by its own parser and our signed
# AuthnRequests verified). The test is the browser: curl follows the IdP to
# its login form, posts the user's password, and posts the IdP's answer to
# the assertion consumer service. Checked: an invited member signs in;
# a new person is provisioned just in time with a role from a group; an
# encrypted assertion; an unsigned answer, an assertion made for another
# SP, a replayed one, and a clock beyond the skew refused (audited with the
# reason, no session); a clock within the skew accepted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sso.sh"
. "$(dirname "$0")/lib_ssp.sh"

# --- SimpleSAMLphp on a port the kernel chooses
ssp_start
trap 'kill $SSP_PID 2>/dev/null; cleanup' EXIT
# overrides JSON: SimpleSAMLphp's options for our SPs from the next request on.
overrides() { printf '%s\n' "$1" >"$FV_SSP_DIR/sp-overrides.json"; }

start_daemon --set sso.allow_cidrs=127.0.0.0/8
sso_clinic
curl -sf "$SSP/saml2/idp/metadata.php" >"$TMP/idp.xml" ||
	{ echo "no IdP metadata"; cat "$TMP/ssp.out" "$FV_SSP_DIR"/log/* 2>/dev/null | tail -30; exit 1; }
MD=$(jq -Rs . <"$TMP/idp.xml")

# --- two providers of the account on the same IdP (two SPs for it)
req POST "/v1/accounts/$ACC/identity-providers" "$OWNER" "{\"type\":\"saml\",\"metadata_xml\":$MD,\"name\":\"SimpleSAMLphp\",\"role_attribute\":\"eduPersonAffiliation\"}"
expect_status 201 "a SAML provider from SimpleSAMLphp's metadata"
IDP=$(jqr .id)
expect_jq '.idp_entity_id == "'"$SSP"'/saml2/idp/metadata.php"' "its entity id is SimpleSAMLphp's"
req POST "/v1/accounts/$ACC/identity-providers" "$OWNER" "{\"type\":\"saml\",\"metadata_xml\":$MD,\"name\":\"SimpleSAMLphp, other SP\"}"
expect_status 201 "a second provider on the same IdP: another SP"
IDP2=$(jqr .id)
curl -sf "$BASE/v1/sso/$ACC/$IDP/saml/metadata" >"$FV_SSP_DIR/sp-1.xml"
curl -sf "$BASE/v1/sso/$ACC/$IDP2/saml/metadata" >"$FV_SSP_DIR/sp-2.xml"

form_value() { sed -n "s/.*name=\"$2\" value=\"\([^\"]*\)\".*/\1/p" "$1" | head -1; }
# signin_idp JAR USER PASSWORD [PROVIDER]: our start, then SimpleSAMLphp: its
# login form (user and password posted) unless the IdP session in
# $TMP/ssp-USER.jar still holds; sets SAMLRESP and RELAY from the page
# that would post them to the ACS.
signin_idp() {
	local jar=$1 user=$2 pass=$3 p=${4:-$IDP} sjar="$TMP/ssp-$2.jar" url
	curl -s -o /dev/null -D "$TMP/h1" -c "$jar" -b "$jar" "$BASE/v1/sso/$ACC/$p/start"
	AUTHN=$(sed -n 's/^[Ll]ocation: \(.*\)\r$/\1/p' "$TMP/h1")
	url=$(curl -s -L -o "$TMP/page" -w '%{url_effective}' -c "$sjar" -b "$sjar" "$AUTHN")
	if grep -q 'name="AuthState"' "$TMP/page"; then
		curl -s -L -o "$TMP/page" -c "$sjar" -b "$sjar" --data-urlencode "username=$user" \
			--data-urlencode "password=$pass" \
			--data-urlencode "AuthState=$(form_value "$TMP/page" AuthState | sed 's/&amp;/\&/g')" "${url%%\?*}"
	fi
	SAMLRESP=$(form_value "$TMP/page" SAMLResponse)
	RELAY=$(form_value "$TMP/page" RelayState)
}
# acs JAR [PROVIDER [RESPONSE [RELAY]]]: the browser posts the IdP's form.
acs() {
	req POST "/v1/sso/$ACC/${2:-$IDP}/saml/acs" "" "" -b "$1" -c "$1" -H 'Content-Type: application/x-www-form-urlencoded' \
		--data-urlencode "SAMLResponse=${3-$SAMLRESP}" --data-urlencode "RelayState=${4-$RELAY}"
}
session() { req POST /v1/sso/session "" "" -c "$1" -b "$1"; }
refused() { # refused REASON DESCRIPTION (after acs)
	expect_problem 401 sso-failed "$2"
	expect_jq ".detail | contains(\"$1\")" "$2: $1"
	if grep -qi '^set-cookie: fv_sso=[A-Za-z0-9_-]' "$HEADERS"; then fail "$2: no handoff"; else ok; fi
}

# --- the invited member signs in through the IdP's login form
signin_idp "$TMP/jar1" member member-pass-1
case "$AUTHN" in
"$SSP/saml2/idp/SSOService.php?SAMLRequest="*"&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256&Signature="*) ok ;;
*) fail "the start sends the browser to SimpleSAMLphp with a signed request: $AUTHN" ;;
esac
if [ -n "$SAMLRESP" ]; then ok; else
	fail "SimpleSAMLphp verified our signed request, took the password and answered"
	tail -20 "$FV_SSP_DIR/log/ssp.log" "$TMP/ssp.out"; sed 's/<[^>]*>//g' "$TMP/page" | grep -v '^\s*$' | head -20
fi
if base64 -d <<<"$SAMLRESP" 2>/dev/null | grep -q 'SignatureValue'; then ok; else fail "… a signed answer"; fi
# SimpleSAMLphp does check our request's signature: altered, it is refused.
BADSIG=$(sed 's/&Signature=[A-Za-z0-9%]\{8\}/\&Signature=AAAAAAAA/' <<<"$AUTHN")
curl -s -o "$TMP/badsig" -b "$TMP/ssp-member.jar" "$BADSIG"
if [ "$BADSIG" != "$AUTHN" ] && ! grep -q 'name="SAMLResponse"' "$TMP/badsig"; then ok; else
	fail "SimpleSAMLphp refuses our request with its signature altered"; fi
cp "$TMP/jar1" "$TMP/jar1.kept"
FIRST_RESP=$SAMLRESP FIRST_RELAY=$RELAY
acs "$TMP/jar1"
expect_status 302 "the ACS accepts SimpleSAMLphp's answer"
session "$TMP/jar1"
expect_status 201 "the handoff gives a session"
req GET /v1/me "$(jqr .token)"
expect_jq '.email == "u@clinic.example" and .status == "active" and .role == "user"' "the session is the invited member's, now active"

# --- replayed: the same answer posted again
acs "$TMP/jar1.kept" "$IDP" "$FIRST_RESP" "$FIRST_RELAY"
refused replayed_assertion "the same answer posted again"

# --- unsigned: SimpleSAMLphp told to sign neither the response nor the assertion
overrides '{"saml20.sign.assertion":false,"saml20.sign.response":false}'
rm -f "$TMP/jarx"; signin_idp "$TMP/jarx" member member-pass-1
if base64 -d <<<"$SAMLRESP" 2>/dev/null | grep -q 'SignatureValue'; then fail "SimpleSAMLphp sent a signature"; else ok; fi
acs "$TMP/jarx"
refused unsigned "an unsigned answer"
# the assertion alone signed, then the response alone: both are accepted
overrides '{"saml20.sign.assertion":true,"saml20.sign.response":false}'
rm -f "$TMP/jarx"; signin_idp "$TMP/jarx" member member-pass-1; acs "$TMP/jarx"
expect_status 302 "an answer whose assertion alone is signed"
overrides '{"saml20.sign.assertion":false,"saml20.sign.response":true}'
rm -f "$TMP/jarx"; signin_idp "$TMP/jarx" member member-pass-1; acs "$TMP/jarx"
expect_status 302 "an answer signed as a whole"

# --- encrypted with our SP's certificate
overrides '{"assertion.encryption":true}'
rm -f "$TMP/jarx"; signin_idp "$TMP/jarx" member member-pass-1
if base64 -d <<<"$SAMLRESP" 2>/dev/null | grep -q 'EncryptedAssertion'; then ok; else fail "SimpleSAMLphp encrypted the assertion"; fi
acs "$TMP/jarx"
expect_status 302 "an encrypted assertion"
overrides '{}'

# --- an assertion made for another SP: the answer to the second provider's
# request (its audience and recipient), posted to the first one's ACS by the
# same browser
rm -f "$TMP/jarx"; signin_idp "$TMP/jarx" member member-pass-1 "$IDP2"
if base64 -d <<<"$SAMLRESP" 2>/dev/null | grep -q "<saml:Audience>[^<]*/$IDP2/saml/metadata</saml:Audience>"; then ok; else
	fail "SimpleSAMLphp made the assertion for the other SP"; fi
acs "$TMP/jarx" "$IDP"
refused wrong_recipient "an assertion for another SP"
acs "$TMP/jarx" "$IDP2"
expect_status 302 "… which its own SP accepts"

# --- clock skew: SimpleSAMLphp's NotBefore is its clock - 30 s, its
# NotOnOrAfter + 300 s; ours is moved (the test clock) before each start.
skew() { # skew SECONDS
	echo $(( $1 * 1000 )) >"$CLOCK"
	rm -f "$TMP/jarx"; signin_idp "$TMP/jarx" member member-pass-1; acs "$TMP/jarx"
}
skew -100
expect_status 302 "our clock 100 s behind the IdP's: within the skew"
skew -200
refused not_yet_valid "our clock 200 s behind: not valid yet"
skew 400
expect_status 302 "our clock 400 s ahead: expired by 100 s, within the skew"
skew 500
refused expired "our clock 500 s ahead: expired"
echo 0 >"$CLOCK"

# --- invited only, then just in time with a role from a group
rm -f "$TMP/jarx"; signin_idp "$TMP/jarx" stranger stranger-pass-1; acs "$TMP/jarx"
refused not_a_member "a person of the IdP who is not a member (invited only)"
req PATCH "/v1/accounts/$ACC/identity-providers/$IDP" "$OWNER" '{"provisioning":"jit","role_map":{"fax-admins":"admin"}}'
expect_status 200 "just-in-time provisioning"
rm -f "$TMP/jar3"; signin_idp "$TMP/jar3" newcomer newcomer-pass-1; acs "$TMP/jar3"
expect_status 302 "a new person signs in"
session "$TMP/jar3"
req GET /v1/me "$(jqr .token)"
expect_jq '.email == "new@clinic.example" and .role == "admin"' "made a member, with the role of the group fax-admins"

# --- audited
req GET "/v1/accounts/$ACC/audit-events?limit=200" "$OWNER"
for r in replayed_assertion unsigned wrong_recipient not_yet_valid expired not_a_member; do
	expect_jq "[.items[] | select(.action == \"sso.signin\" and .outcome == \"failure\") | .detail.reason] | index(\"$r\") != null" "the refusal $r is audited"
done
expect_jq '[.items[] | select(.action == "sso.signin" and .outcome == "success")] | length >= 8' "and every sign-in"
finish
