#!/usr/bin/env bash
# Single sign-on through a real OpenID Connect provider: panva's
# oidc-provider (tests/oidc/real_idp.mjs, OpenID Certified) on loopback,
# with its development login and consent pages driven by curl. The whole
# code flow, from /v1/sso/{account}/{idp}/start through the provider's
# login form to a faxvault session that calls /v1/me; then a stolen code
# replayed in a new flow is refused by the provider (single-use codes).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sso.sh"
OIDC_DIR="$(dirname "$0")/../../oidc"
[ -d "$OIDC_DIR/node_modules/oidc-provider" ] || { echo "tests/oidc/node_modules missing: run scripts/install-npm"; exit 1; }

# The redirect URI names sso.public_url; the browser (curl) is sent there
# and the test calls its own daemon with that path.
PUBLIC=http://faxvault.test
CLIENT_SECRET="provider-client-secret-$RANDOM$RANDOM-Hd2"
node "$OIDC_DIR/real_idp.mjs" "$TMP/idp.port" faxvault "$CLIENT_SECRET" "$PUBLIC/v1/sso/callback" >"$TMP/idp.log" 2>&1 &
IDP_PID=$!
trap 'kill $IDP_PID 2>/dev/null; cleanup' EXIT
poll_until 300 test -s "$TMP/idp.port" || { echo "oidc-provider did not start"; cat "$TMP/idp.log"; exit 1; }
ISSUER="http://127.0.0.1:$(cat "$TMP/idp.port")"

start_daemon --set sso.allow_cidrs=127.0.0.0/8 --set sso.public_url=$PUBLIC
sso_clinic active
req POST "/v1/accounts/$ACC/identity-providers" "$OWNER" "{\"type\":\"oidc\",\"name\":\"oidc-provider\",\"issuer\":\"$ISSUER\",\"client_id\":\"faxvault\",\"client_secret\":\"$CLIENT_SECRET\"}"
expect_status 201 "oidc-provider as the account's provider"
IDP=$(jqr .id)

location() { sed -n 's/^[Ll]ocation: \(.*\)\r$/\1/p' "$1"; }

# browse JAR URL LOGIN: follows the provider's redirects and answers its
# login and consent pages until it sends the browser back to faxvault;
# prints that URL.
browse() {
	local jar=$1 url=$2 login=$3 i action
	for i in 1 2 3 4 5 6 7 8 9 10; do
		curl -s -o "$TMP/page" -D "$TMP/hdr" -c "$jar" -b "$jar" "$url"
		url=$(location "$TMP/hdr")
		if [ -z "$url" ]; then
			action=$(grep -o 'action="[^"]*"' "$TMP/page" | head -n 1 | sed 's/^action="//; s/"$//')
			if grep -q 'name="login"' "$TMP/page"; then
				curl -s -o /dev/null -D "$TMP/hdr" -c "$jar" -b "$jar" --data-urlencode prompt=login \
					--data-urlencode "login=$login" --data-urlencode password=any "$action"
			else
				curl -s -o /dev/null -D "$TMP/hdr" -c "$jar" -b "$jar" --data prompt=consent "$action"
			fi
			url=$(location "$TMP/hdr")
		fi
		case "$url" in
		"$PUBLIC"/*) printf '%s' "$url"; return 0 ;;
		/*) url="$ISSUER$url" ;;
		"") return 1 ;;
		esac
	done
	return 1
}

curl -s -o /dev/null -D "$TMP/h0" -c "$TMP/jar" "$BASE/v1/sso/$ACC/$IDP/start"
TO_IDP=$(location "$TMP/h0")
case "$TO_IDP" in "$ISSUER/auth?"*) ok ;; *) fail "the start sends the browser to oidc-provider: $TO_IDP" ;; esac
BACK=$(browse "$TMP/idpjar" "$TO_IDP" u@clinic.example)
case "$BACK" in "$PUBLIC/v1/sso/callback?code="*) ok ;; *) fail "oidc-provider sends the browser back with a code: $BACK"; tail -n 20 "$TMP/idp.log" ;; esac
# RFC 9207: oidc-provider advertises "iss" and sends it with the code.
curl -sf "$ISSUER/.well-known/openid-configuration" | jq -e '.authorization_response_iss_parameter_supported == true' >/dev/null &&
	ok || fail "oidc-provider advertises authorization_response_iss_parameter_supported"
ISS_ENC=$(jq -rn --arg v "$ISSUER" '$v | @uri')
case "$BACK" in *"&iss=$ISS_ENC"*) ok ;; *) fail "… and sends iss with the code: $BACK" ;; esac
req GET "${BACK#"$PUBLIC"}" "" "" -c "$TMP/jar" -b "$TMP/jar"
expect_status 302 "faxvault accepts oidc-provider's ID token"
req POST /v1/sso/session "" "" -c "$TMP/jar" -b "$TMP/jar"
expect_status 201 "a session"
TOKEN=$(jqr .token)
req GET /v1/me "$TOKEN"
expect_jq '.email == "u@clinic.example" and .account_id == "'"$ACC"'" and .credential.type == "user"' "the session calls /v1/me as the member"

# The code again, in a new flow of the same browser: the state is new, but
# the provider has spent the code.
curl -s -o /dev/null -D "$TMP/h1" -c "$TMP/jar" -b "$TMP/jar" "$BASE/v1/sso/$ACC/$IDP/start"
NEW_STATE=$(location "$TMP/h1" | sed -n 's/.*[?&]state=\([^&]*\).*/\1/p')
OLD_CODE=$(printf '%s' "$BACK" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')
req GET "/v1/sso/callback?code=$OLD_CODE&state=$NEW_STATE&iss=$ISS_ENC" "" "" -b "$TMP/jar"
expect_problem 401 sso-failed "a spent code is refused by the provider"
expect_jq '.detail | contains("token_exchange_refused")' "… named so"

# The provider's answer with its iss removed (RFC 9207: it advertises it).
curl -s -o /dev/null -D "$TMP/h3" -c "$TMP/jar3" "$BASE/v1/sso/$ACC/$IDP/start"
BACK=$(browse "$TMP/idpjar3" "$(location "$TMP/h3")" u@clinic.example)
req GET "$(printf '%s' "${BACK#"$PUBLIC"}" | sed 's/&iss=[^&]*//')" "" "" -b "$TMP/jar3"
expect_problem 401 sso-failed "an answer without the iss the provider advertises"
expect_jq '.detail | contains("iss_missing")' "… named so"

# A person the provider knows but the account does not.
curl -s -o /dev/null -D "$TMP/h2" -c "$TMP/jar2" "$BASE/v1/sso/$ACC/$IDP/start"
BACK=$(browse "$TMP/idpjar2" "$(location "$TMP/h2")" stranger@elsewhere.example)
req GET "${BACK#"$PUBLIC"}" "" "" -b "$TMP/jar2"
expect_problem 401 sso-failed "a person who is not a member"
expect_jq '.detail | contains("not_a_member")' "… named so"
finish
