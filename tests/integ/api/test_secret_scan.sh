#!/usr/bin/env bash
# No secret at rest, in a log, in a URL or in an answer's headers. A tour
# issues every kind of secret the service hands out or is given (the
# operator's one-time password, people's passwords, session tokens (as
# bearer tokens and as the portal's cookie, with its CSRF token), API
# keys, invitation and password-reset tokens, recovery codes, a TOTP seed, a
# webhook signing secret, a SIP trunk password (and the digest HA1s made
# from it, what the SIP front end is given) and a trunk's TLS client
# key) and uses each the way it is
# meant to be used: a login with a TOTP code, a webhook delivered and its
# signature checked with openssl, a fax through a trunk that asks for digest
# credentials and checks them (SIPp). Then every line the daemon wrote (log
# at debug level, standard error), every byte of every file of the data
# directory (database, WAL, key, documents), every request target and every
# answer's headers are searched for each secret (as issued, URL-encoded,
# and for the TOTP seed and webhook keys as raw bytes): 0 found. With a
# private Postfix (tests/integ/mail/postfix.sh; when Postfix is installed and
# the test runs as root) the service mails its invitations, a reset token and
# a status subscription's unsubscribe token, and the mailed tokens are used
# and searched for too. The data
# directory's files are 0600 and its directories 0700.
# Single sign-on through the scripted OpenID Connect provider
# (tests/oidc): the client secret, the state and the nonce (in the URL to
# the provider, as OpenID Connect has it), the code (in the callback URL),
# the binding and handoff cookies and the session they give. Those URLs
# are the protocol's, not ours: the flow runs with curl outside req.
# SAML (tests/saml/idp.py, a Lasso identity provider): a sign-in whose
# assertion comes encrypted; the RelayState, the binding and handoff
# cookies and the session are searched like the others, and the service
# provider's private key, which the service makes, uses (to sign the
# AuthnRequest and to decrypt) and never hands out, is searched from its
# certificate alone (tests/saml/key_hits.py) in the same places and in the
# bodies of the SAML answers (the provider, the SP metadata, the ACS).
# Last, a database as an older version left it (those three secrets in
# clear) is sealed at the next start, and the secrets still work.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../faxsvc/lib_fax.sh"
SIPP_DIR=${SIPP_DIR:-$(cd "$(dirname "$0")/../../data/line/sipp" && pwd)}

RECV="$TMP/receiver"
mkdir -p "$RECV"
python3 "$(dirname "$0")/webhook_receiver.py" "$RECV" &
RECV_PID=$!
trap 'kill "$RECV_PID" 2>/dev/null; wait "$RECV_PID" 2>/dev/null; cleanup' EXIT
poll_until 300 test -s "$RECV/port" || { echo "webhook receiver did not start"; exit 1; }
HOOK="http://127.0.0.1:$(cat "$RECV/port")/hook"

# Every request target and every answer's headers are kept for the search.
eval "lib_req() $(declare -f req | tail -n +2)"
req() {
	lib_req "$@"
	{ echo "> $1 $2"; cat "$TMP/headers"; } >>"$TMP/exchanges"
}

SECRETS=()
keep() { [ -n "$1" ] && [ "$1" != null ] && SECRETS+=("$1") || fail "no secret issued: $2"; }

MAILING=()
if command -v postfix >/dev/null && [ "$(id -u)" = 0 ]; then
	. "$(dirname "$0")/../mail/postfix.sh"
	trap 'postfix_stop; kill "$RECV_PID" 2>/dev/null; wait "$RECV_PID" 2>/dev/null; cleanup' EXIT
	postfix_start
	MAILING=(--set mail.relay="smtp://127.0.0.1:$PF_PORT" --set mail.from=noreply@secret.example)
else
	echo "note: no private Postfix (not installed, or not root): no mail is sent in this scan"
fi
OIDC_DIR="$(dirname "$0")/../../oidc"
[ -d "$OIDC_DIR/node_modules/jose" ] || { echo "tests/oidc/node_modules missing: run scripts/install-npm"; exit 1; }
IDP_SECRET="oidc-scan-secret-$RANDOM$RANDOM-Qv5"
node "$OIDC_DIR/scripted_idp.mjs" "$TMP/idp.port" faxvault "$IDP_SECRET" >"$TMP/idp.log" 2>&1 &
IDP_PID=$!
trap 'kill "$IDP_PID" 2>/dev/null; kill "$RECV_PID" 2>/dev/null; wait "$RECV_PID" 2>/dev/null; cleanup' EXIT
poll_until 300 test -s "$TMP/idp.port" || { echo "the OpenID Connect provider did not start"; cat "$TMP/idp.log"; exit 1; }
SAML_DIR="$(cd "$(dirname "$0")/../../saml" && pwd)"
/usr/bin/python3 -c 'import lasso' 2>/dev/null || { echo "python3-lasso missing: run scripts/install-deps"; exit 1; }
mkdir -p "$TMP/samlidp"
/usr/bin/python3 "$SAML_DIR/idp.py" "$TMP/samlidp.port" "$TMP/samlidp" >"$TMP/samlidp.log" 2>&1 &
SAML_PID=$!
stop_helpers() {
	kill "$SAML_PID" "$IDP_PID" "$RECV_PID" 2>/dev/null
	wait "$RECV_PID" 2>/dev/null
	[ ${#MAILING[@]} -gt 0 ] && postfix_stop
	cleanup
}
trap stop_helpers EXIT
poll_until 300 test -s "$TMP/samlidp.port" || { echo "the SAML identity provider did not start"; cat "$TMP/samlidp.log"; exit 1; }
fax_setup --set log.level=debug --set webhooks.allow_cidrs=127.0.0.1/32 --set sso.allow_cidrs=127.0.0.1/32 "${MAILING[@]}" 2>"$TMP/daemon.err"
keep "$(jq -r .password "$TMP/boot.json")" "operator password"
keep "$OP" "operator session"
for pw in copper-kettle-lantern-42 granite-harbour-owl-77 meadow-violin-otter-55; do keep "$pw" "member password"; done
for tok in "$OWNER_A" "$ADMIN_A" "$USER_A" "$OWNER_B" "$ADMIN_B" "$USER_B"; do keep "$tok" "member session"; done

req POST /v1/accounts "$OP" '{"name":"Cabinet Secret","owner":{"email":"owner@secret.example","name":"Owen"},"billing_contacts":[{"email":"bill@secret.example","name":"Billie"}]}'
ACC=$(jqr .id); OINV=$(jqr .owner_invitation.token); BINV=$(jqr '.billing_invitations[0].token')
keep "$OINV" "owner invitation"; keep "$BINV" "billing invitation"
OPW="lanterne vitrail ogive 1163"; BPW="registre grand livre 1494"
keep "$OPW" "owner password"; keep "$BPW" "billing password"
# A failed accept (too short a password) first: the refusal writes nothing
# of the token either.
req POST /v1/invitations/accept "" "{\"token\":\"$OINV\",\"password\":\"short\"}"
expect_status 422 "a weak password is refused"
accept "$OINV" "$OPW"
accept "$BINV" "$BPW"
OWNER=$(login owner@secret.example "$OPW"); keep "$OWNER" "owner session"
# The portal's session: the token comes in a Set-Cookie header (the one
# answer header meant to hold it, left out of the headers searched), then
# goes with every request in a Cookie header; the CSRF token in the body
# and in X-CSRF-Token. Neither may reach a log or the data directory.
lib_req POST /v1/sessions "" "{\"email\":\"owner@secret.example\",\"password\":\"$OPW\",\"cookie\":true}"
expect_status 201 "portal sign-in"
{ echo "> POST /v1/sessions (cookie)"; grep -vi '^set-cookie:' "$TMP/headers"; } >>"$TMP/exchanges"
COOKIE=$(grep -i '^set-cookie: fv_session=' "$TMP/headers" | sed 's/^[^=]*=\([^;]*\);.*/\1/')
CSRF=$(jqr .csrf_token)
keep "$COOKIE" "portal session cookie"; keep "$CSRF" "portal CSRF token"
req GET /v1/me "" "" -H "Cookie: fv_session=$COOKIE"
expect_status 200 "a call with the portal's cookie"
req PATCH /v1/me "" '{"name":"Owen"}' -H "Cookie: fv_session=$COOKIE" -H "X-CSRF-Token: $CSRF"
expect_status 200 "a change with the portal's cookie and CSRF token"
req PATCH /v1/me "" '{"name":"Owen"}' -H "Cookie: fv_session=$COOKIE"
expect_status 403 "a change with the cookie alone"

ISSUER="http://127.0.0.1:$(cat "$TMP/idp.port")"
req POST "/v1/accounts/$ACC/identity-providers" "$OWNER" "{\"type\":\"oidc\",\"issuer\":\"$ISSUER\",\"client_id\":\"faxvault\",\"client_secret\":\"$IDP_SECRET\"}"
expect_status 201 "an identity provider"
keep "$IDP_SECRET" "identity provider's client secret"
curl -sf -X POST -H 'Content-Type: application/json' --data-binary '{"next":{"login":"owner@secret.example"}}' "$ISSUER/control" >/dev/null
curl -s -o /dev/null -D "$TMP/sso1" -c "$TMP/ssojar" "$BASE/v1/sso/$ACC/$(jqr .id)/start"
TO_IDP=$(sed -n 's/^[Ll]ocation: \(.*\)\r$/\1/p' "$TMP/sso1")
keep "$(printf '%s' "$TO_IDP" | sed -n 's/.*[?&]state=\([^&]*\).*/\1/p')" "SSO state"
keep "$(printf '%s' "$TO_IDP" | sed -n 's/.*[?&]nonce=\([^&]*\).*/\1/p')" "SSO nonce"
keep "$(awk '$6 == "fv_sso_b" { print $7 }' "$TMP/ssojar")" "SSO binding cookie"
curl -s -o /dev/null -D "$TMP/sso2" "$TO_IDP"
BACK=$(sed -n 's/^[Ll]ocation: \(.*\)\r$/\1/p' "$TMP/sso2")
keep "$(printf '%s' "$BACK" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')" "authorization code"
curl -s -o /dev/null -c "$TMP/ssojar" -b "$TMP/ssojar" "$BASE/v1/sso/callback?${BACK#*\?}"
keep "$(awk '$6 == "fv_sso" { print $7 }' "$TMP/ssojar")" "SSO handoff cookie"
SSO_TOKEN=$(curl -s -X POST -b "$TMP/ssojar" "$BASE/v1/sso/session" | jq -r .token)
keep "$SSO_TOKEN" "session from single sign-on"
req GET /v1/me "$SSO_TOKEN"
expect_jq '.email == "owner@secret.example"' "the single sign-on's session works"

SAML_BASE="http://127.0.0.1:$(cat "$TMP/samlidp.port")"
BODIES="$TMP/saml-bodies"
req POST "/v1/accounts/$ACC/identity-providers" "$OWNER" "{\"type\":\"saml\",\"metadata_url\":\"$SAML_BASE/metadata\"}"
expect_status 201 "a SAML identity provider (its SP key pair made by the service)"
SAML_IDP=$(jqr .id); printf '%s\n' "$BODY" >>"$BODIES"
req GET "/v1/accounts/$ACC/identity-providers/$SAML_IDP" "$OWNER"
printf '%s\n' "$BODY" >>"$BODIES"
curl -s -D "$TMP/spmd.h" -o "$TMP/sp.xml" "$BASE/v1/sso/$ACC/$SAML_IDP/saml/metadata"
cat "$TMP/sp.xml" >>"$BODIES"; { echo "> GET saml/metadata"; cat "$TMP/spmd.h"; } >>"$TMP/exchanges"
SP_CERT=$(sed -n 's/.*<ds:X509Certificate>\([^<]*\)<.*/\1/p' "$TMP/sp.xml" | head -n 1)
[ -n "$SP_CERT" ] && ok || fail "the SP metadata holds the SP's certificate"
printf '%s\n' "$SP_CERT" >"$TMP/sp.crt"
curl -sf -X POST --data-binary @"$TMP/sp.xml" "$SAML_BASE/sp" >/dev/null
curl -sf -X POST --data-binary '{"next":{"mode":"encrypt","email":"owner@secret.example"}}' "$SAML_BASE/control" >/dev/null
curl -s -o /dev/null -D "$TMP/saml1" -c "$TMP/samljar" "$BASE/v1/sso/$ACC/$SAML_IDP/start"
keep "$(awk '$6 == "fv_sso_b" { print $7 }' "$TMP/samljar")" "SAML binding cookie"
curl -s -o "$TMP/samlpage" "$(sed -n 's/^[Ll]ocation: \(.*\)\r$/\1/p' "$TMP/saml1")"
SAMLRESP=$(sed -n 's/.*name="SAMLResponse" value="\([^"]*\)".*/\1/p' "$TMP/samlpage")
RELAY=$(sed -n 's/.*name="RelayState" value="\([^"]*\)".*/\1/p' "$TMP/samlpage")
keep "$RELAY" "SAML RelayState"
base64 -d <<<"$SAMLRESP" 2>/dev/null | grep -q EncryptedAssertion && ok || fail "the IdP encrypted the assertion for the SP"
curl -s -o "$TMP/acs.body" -D "$TMP/acs.h" -c "$TMP/samljar" -b "$TMP/samljar" -H 'Content-Type: application/x-www-form-urlencoded' \
	--data-urlencode "SAMLResponse=$SAMLRESP" --data-urlencode "RelayState=$RELAY" "$BASE/v1/sso/$ACC/$SAML_IDP/saml/acs"
cat "$TMP/acs.body" >>"$BODIES"
grep -q '^HTTP/1.1 302' "$TMP/acs.h" && ok || fail "the SAML sign-in is accepted: $(head -c 300 "$TMP/acs.body")"
keep "$(awk '$6 == "fv_sso" { print $7 }' "$TMP/samljar")" "SAML handoff cookie"
SAML_TOKEN=$(curl -s -X POST -b "$TMP/samljar" "$BASE/v1/sso/session" | jq -r .token)
keep "$SAML_TOKEN" "session from SAML"
req GET /v1/me "$SAML_TOKEN"
expect_jq '.email == "owner@secret.example"' "the SAML sign-in's session works"
# The key search sees a key: one made here, found from its certificate in
# its PEM, DER and base64 forms.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=probe -keyout "$TMP/probe.key" -out "$TMP/probe.crt" 2>/dev/null
openssl pkey -in "$TMP/probe.key" -outform DER -out "$TMP/probe.der"
grep -v PRIVATE "$TMP/probe.key" | tr -d '\n' >"$TMP/probe.b64"
[ "$(/usr/bin/python3 "$SAML_DIR/key_hits.py" "$TMP/probe.crt" "$TMP/probe.key" "$TMP/probe.der" "$TMP/probe.b64" "$TMP/probe.crt" 2>/dev/null)" = 3 ] && ok ||
	fail "the key search does not find a key from its certificate"

req POST "/v1/accounts/$ACC/api-keys" "$OWNER" '{"name":"scan","permissions":["users.manage"]}'
expect_status 201 "API key"
KEY=$(jqr .secret); keep "$KEY" "API key"
req GET "/v1/accounts/$ACC/users" "$KEY"
expect_status 200 "the API key works"

# A SCIM token, used on /scim/v2.
req POST "/v1/accounts/$ACC/scim-tokens" "$OWNER" '{"name":"scan"}'
expect_status 201 "SCIM token"
SCIMTOK=$(jqr .token); keep "$SCIMTOK" "SCIM token"
req GET /scim/v2/Users "$SCIMTOK"
expect_status 200 "the SCIM token works"

# A second factor: seed, first code, recovery codes, a login with a code
# and one with a recovery code.
req POST /v1/me/mfa/totp "$OWNER"
expect_status 201 "TOTP enrolment"
SEED=$(jqr .secret); keep "$SEED" "TOTP seed"
req GET /v1/me/mfa/totp/qr.png "$OWNER" 2>/dev/null # (a PNG body)
expect_status 200 "the enrolment's QR code (drawn from the sealed seed)"
req POST /v1/me/mfa/totp/confirm "$OWNER" "{\"code\":\"$(oathtool --totp -b "$SEED" -N "@$(clock_seconds)")\"}"
expect_status 200 "TOTP confirmed"
for i in $(seq 0 9); do keep "$(jqr ".recovery_codes[$i]")" "recovery code $i"; done
RC=$(jqr '.recovery_codes[0]')
advance_clock 1 # the next code is another step's
req POST /v1/sessions "" "{\"email\":\"owner@secret.example\",\"password\":\"$OPW\",\"totp\":\"$(oathtool --totp -b "$SEED" -N "@$(clock_seconds)")\"}"
expect_status 201 "login with a TOTP code"
keep "$(jqr .token)" "session after TOTP"
req POST /v1/sessions "" "{\"email\":\"owner@secret.example\",\"password\":\"$OPW\",\"recovery_code\":\"$RC\"}"
expect_status 201 "login with a recovery code"
keep "$(jqr .token)" "session after a recovery code"

# A password reset issued by an operator's command, then used.
RTOK=$("$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS password-reset --email bill@secret.example 2>>"$TMP/daemon.err" | grep '^fvr_')
keep "$RTOK" "reset token"
NPW="colophon incunable 1501"; keep "$NPW" "new password"
req POST /v1/password-resets/complete "" "{\"token\":\"$RTOK\",\"password\":\"$NPW\"}"
expect_status 204 "reset completed"
keep "$(login bill@secret.example "$NPW")" "billing session"
if [ ${#MAILING[@]} -gt 0 ]; then
	# A reset asked through the API: its token arrives only by mail.
	req POST /v1/password-resets "" '{"email":"bill@secret.example"}'
	expect_status 202 "reset requested"
	poll_until 120 mail_to bill@secret.example 2 || fail "no reset mail arrived"
	MTOK=$(grep -ao 'fvr_[A-Za-z0-9_-]*' "$MAIL" | head -n 1)
	keep "$MTOK" "mailed reset token"
	NPW="imprimatur errata 1502"; keep "$NPW" "new password"
	req POST /v1/password-resets/complete "" "{\"token\":\"$MTOK\",\"password\":\"$NPW\"}"
	expect_status 204 "reset with the mailed token"
	keep "$(login bill@secret.example "$NPW")" "billing session"
	# A status board subscription: its unsubscribe token reaches only its
	# mails, and works once.
	req POST "/v1/accounts/$ACC/status-subscriptions" "$OWNER" '{"email":"ops@secret.example","components":["api"]}'
	expect_status 201 "status subscription"
	poll_until 120 mail_to ops@secret.example 1 || fail "no subscription mail arrived"
	UTOK=$(grep -ao 'fvu_[A-Za-z0-9_-]*' "$MAIL" | awk '{ print length($0), $0 }' | sort -rn | head -n 1 | cut -d' ' -f2)
	keep "$UTOK" "mailed unsubscribe token"
	req POST /v1/status-subscriptions/unsubscribe "" "{\"token\":\"$UTOK\"}"
	expect_status 200 "unsubscribed with the mailed token"
fi

# A webhook's signing secret, rotated, then used: an event delivered and its
# signature checked here with openssl.
req POST "/v1/accounts/$ACC/webhooks" "$OWNER" "{\"url\":\"$HOOK\",\"events\":[\"fax.queued\"]}"
expect_status 201 "webhook"
WH=$(jqr .id); keep "$(jqr .secret)" "webhook secret"
req POST "/v1/accounts/$ACC/webhooks/$WH/rotate-secret" "$OWNER"
expect_status 200 "webhook secret rotated"
WSECRET=$(jqr .secret); keep "$WSECRET" "rotated webhook secret"
# verify N SECRET: request N to the receiver is signed with SECRET.
verify() {
	local h="$RECV/$1.headers" key want
	key=$(printf '%s' "${2#whsec_}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
	want="v1,$({ printf '%s.%s.' "$(jq -r '."webhook-id"' "$h")" "$(jq -r '."webhook-timestamp"' "$h")"
		cat "$RECV/$1.body"; } | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | base64)"
	[ "$(jq -r '."webhook-signature"' "$h")" = "$want" ]
}
delivered() { curl -s -o /dev/null "$BASE/healthz"; test -e "$RECV/$1.done"; }
req POST "/v1/accounts/$ACC/webhooks/$WH/test" "$OWNER"
expect_status 202 "test event"
poll_until 300 delivered 1 && verify 1 "$WSECRET" && ok || fail "a delivery signed with the rotated secret"

# A SIP trunk's digest password, used: the carrier (SIPp) challenges the
# INVITE, checks the answer against the password, and says busy when it is
# right (403 when it is wrong).
TPW="digest-$(head -c 12 /dev/urandom | base64 | tr '+/' '-_')"; keep "$TPW" "trunk password"
# The HA1s the SIP front end is given in its place (REGISTER: MD5 for the
# carrier's realm; a carrier's INVITE: MD5 and SHA-256 for ours) are as
# good as the password for their realm: searched too.
keep "$(printf '%s' "faxuser:faxtrunk:$TPW" | md5sum | cut -d' ' -f1)" "trunk HA1 (carrier's realm)"
keep "$(printf '%s' "faxuser:faxvault:$TPW" | md5sum | cut -d' ' -f1)" "trunk HA1 (our realm, MD5)"
keep "$(printf '%s' "faxuser:faxvault:$TPW" | sha256sum | cut -d' ' -f1)" "trunk HA1 (our realm, SHA-256)"
if command -v sipp >/dev/null; then
	TPORT=$(free_port)
	sed "s/password=\"s3cret\"/password=\"$TPW\"/" "$SIPP_DIR/uas_auth_busy.xml" >"$TMP/uas_auth.xml"
	sipp -sf "$TMP/uas_auth.xml" -i 127.0.0.1 -p "$TPORT" -m 1 -nostdin -timeout 120 >"$TMP/sipp.out" 2>&1 &
	SIPP=$!
	req POST /v1/provider/trunks "$OP" "{\"id\":\"carrier\",\"name\":\"Carrier\",\"peer\":\"127.0.0.1:$TPORT\",\"username\":\"faxuser\",\"password\":\"$TPW\",\"transport\":\"g711_only\",\"max_calls\":2,\"prefixes\":[\"+49\"],\"status\":\"active\"}"
	expect_status 201 "trunk with a password"
	make_pdf "$TMP/one.pdf" 1
	send_fax "$USER_A" "+4930123456" "$TMP/one.pdf" -F retries=0
	expect_status 202 "a fax over the trunk"
	wait_fax "$USER_A" "$FAX"
	expect_jq '.status == "failed" and .failure_class == "busy"' "the carrier took the digest answer (busy, not forbidden)"
	wait "$SIPP" && ok || fail "SIPp: $(tail -n 5 "$TMP/sipp.out")"
else
	echo "sipp not installed (Debian sip-tester): the trunk password is stored, not used"
	req POST /v1/provider/trunks "$OP" "{\"id\":\"carrier\",\"name\":\"Carrier\",\"peer\":\"192.0.2.10:5060\",\"username\":\"faxuser\",\"password\":\"$TPW\"}"
	expect_status 201 "trunk with a password"
fi
req GET /v1/provider/trunks/carrier "$OP"
expect_jq '.has_password == true and (has("password") | not)' "the trunk's password is never answered"

# A trunk's TLS client key (PEM), given with its certificate: sealed, never
# answered; its base64 lines and its private value as bytes are searched.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/trunk.key" \
	-out "$TMP/trunk.pem" -days 2 -subj /CN=trunk >/dev/null 2>&1
req PATCH /v1/provider/trunks/carrier "$OP" "{\"tls_cert\":$(jq -Rs . <"$TMP/trunk.pem"),\"tls_key\":$(jq -Rs . <"$TMP/trunk.key")}"
expect_status 200 "a trunk's client certificate and key"
expect_jq '.has_tls_key == true and (has("tls_key") | not)' "the trunk's TLS key is never answered"
printf '%s\n' "$BODY" >>"$BODIES"
while read -r l; do keep "$l" "trunk TLS key"; done < <(grep -v '^-----' "$TMP/trunk.key" | grep -E '.{40}')
TKEYHEX=$(openssl pkey -in "$TMP/trunk.key" -text -noout 2>/dev/null | sed -n '/^priv:/,/^pub:/p' | grep -v '^priv:\|^pub:' | tr -d ' :\n')
[ ${#TKEYHEX} -ge 62 ] && ok || fail "the trunk key's private value not read: $TKEYHEX"

# raw_hits HEX FILES...: how many files hold the bytes HEX (a seed or key as
# bytes, which grep cannot take as a pattern).
raw_hits() {
	python3 - "$@" <<'EOF'
import sys
want = bytes.fromhex(sys.argv[1])
print(sum(1 for p in sys.argv[2:] if want in open(p, "rb").read()))
EOF
}
# The seed and the webhook keys as bytes (hex).
SEEDHEX=$(python3 -c 'import base64, sys; print(base64.b32decode(sys.argv[1]).hex())' "$SEED")
RAW=("$SEEDHEX")
for s in "${SECRETS[@]}"; do
	case "$s" in whsec_*) RAW+=("$(printf '%s' "${s#whsec_}" | base64 -d | od -An -v -tx1 | tr -d ' \n')") ;; esac
done
RAW+=("$TKEYHEX")

# scan WHEN: searches every line the daemon wrote, every file of the data
# directory byte for byte (the WAL too while the daemon runs), every request
# target and answer header, for every secret as issued and URL-encoded, and
# for the keys as bytes and as hex; and the modes of the data directory.
scan() {
	local found=0 s v enc where h n
	mapfile -t FILES < <(find "$DATA" -type f)
	WHERE=("${FILES[@]}" "$LOG" "$TMP/daemon.err" "$TMP/exchanges" "$BODIES")
	for s in "${SECRETS[@]}"; do
		enc=$(jq -rn --arg s "$s" '$s | @uri')
		for v in "$s" "$enc"; do
			where=$( { grep -laF -- "$v" "${WHERE[@]}" 2>/dev/null || true; } | head -n 3)
			if [ -n "$where" ]; then
				found=$((found + 1))
				fail "$1: a secret (${#v} characters, starting ${v:0:4}) is in: $where"
			fi
		done
	done
	for h in "${RAW[@]}"; do
		n=$(raw_hits "$h" "${WHERE[@]}")
		[ "$n" = 0 ] || { found=$((found + 1)); fail "$1: a key's bytes are in $n file(s)"; }
		grep -qaF -- "$h" "${WHERE[@]}" && { found=$((found + 1)); fail "$1: a key's hex is in a file"; }
	done
	n=$(/usr/bin/python3 "$SAML_DIR/key_hits.py" "$TMP/sp.crt" "${WHERE[@]}")
	[ "$n" = 0 ] || { found=$((found + 1)); fail "$1: the SAML SP's private key is in $n file(s)"; }
	[ "$found" = 0 ] && ok || fail "$1: $found secret(s) found"
	local bad
	bad=$(find "$DATA" \( -type d -perm /077 \) -o \( -type f -perm /077 \))
	[ -z "$bad" ] && ok || fail "$1: readable by others: $bad"
	echo "$1: searched ${#SECRETS[@]} secrets (and ${#RAW[@]} keys as bytes) in ${#FILES[@]} files of the data directory ($(cd "$DATA" && find . -type f | sort | tr '\n' ' ')), $(cat "$LOG" "$TMP/daemon.err" | wc -l) lines of the daemon, $(grep -c '^> ' "$TMP/exchanges") requests and their answers' headers, $(wc -c <"$BODIES") bytes of SAML answers; the SAML SP's private key from its certificate"
}
[ -e "$DATA/faxvault.db-wal" ] && ok || fail "no WAL to search while the daemon runs"
scan "while running"
stop_daemon || fail "daemon did not stop cleanly"
scan "after the stop"
# The search sees what is there: an e-mail address (not a secret) is in the
# database, request lines in the log, and the trunk's sealed password in
# the database.
grep -qaF owner@secret.example "$DATA/faxvault.db" && ok || fail "the search does not see the database's content"
grep -qF 'event=http.request' "$LOG" && grep -qF 'level=debug' "$LOG" && ok || fail "the log holds no request line or no debug line"
[ "$(sqlite3 "$DATA/faxvault.db" "SELECT substr(secret, 1, 8) FROM trunks WHERE id='carrier'")" = "sealed1:" ] && ok ||
	fail "the trunk password is not stored sealed"

# --- An older version's database: the TOTP seed, the webhook secret and
# the trunk password in clear, the rule of migration 0008 not there yet.
DB="$DATA/faxvault.db"
sqlite3 "$DB" "DROP TRIGGER principals_totp_sealed_insert; DROP TRIGGER principals_totp_sealed_update;
	DROP TRIGGER webhooks_secret_sealed_insert; DROP TRIGGER webhooks_secret_sealed_update;
	DROP TRIGGER trunks_secret_sealed_insert; DROP TRIGGER trunks_secret_sealed_update;
	DELETE FROM schema_migrations WHERE version = 8;
	UPDATE principals SET totp_secret = '$SEED' WHERE email = 'owner@secret.example';
	UPDATE webhooks SET secret = '$WSECRET' WHERE id = '$WH';
	UPDATE trunks SET secret = '$TPW' WHERE id = 'carrier';
	PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
for v in "$SEED" "$WSECRET" "$TPW"; do grep -qaF -- "$v" "$DB" || fail "the older database does not hold a secret in clear"; done
: >"$LOG"
launch_daemon --set webhooks.allow_cidrs=127.0.0.1/32 2>>"$TMP/daemon.err"
grep -q 'event=secrets.sealed count=3 checkpoint=done' "$LOG" && ok || fail "the start does not seal three secrets: $(grep secrets "$LOG")"
for v in "$SEED" "$WSECRET" "$TPW"; do
	grep -laF -- "$v" "$DATA"/faxvault.db* && fail "a secret stays in clear after the start" || ok
done
# They still work: a login with a TOTP code, a delivery with the secret.
advance_clock 1
req POST /v1/sessions "" "{\"email\":\"owner@secret.example\",\"password\":\"$OPW\",\"totp\":\"$(oathtool --totp -b "$SEED" -N "@$(clock_seconds)")\"}"
expect_status 201 "login with a TOTP code after the upgrade"
req POST "/v1/accounts/$ACC/webhooks/$WH/test" "$OWNER"
expect_status 202 "test event after the upgrade"
poll_until 300 delivered 2 && verify 2 "$WSECRET" && ok || fail "a delivery signed with the secret after the upgrade"
grep -q 'event=secrets.sealed' "$LOG" && [ "$(grep -c 'event=secrets.sealed' "$LOG")" = 1 ] && ok || fail "sealed more than once"
finish
