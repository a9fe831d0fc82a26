#!/usr/bin/env bash
# OpenID Connect sign-in (issue 17, C05, C08) against a scripted provider on
# loopback (tests/oidc/scripted_idp.mjs, which signs the ID token the test
# asks for): the whole code flow driven by curl with a cookie jar, from
# /v1/sso/{account}/{idp}/start to a session that calls /v1/me; then the
# attacks, each refused, audited with its reason, and leaving no session:
# a replayed state, another browser, a wrong audience, an expired token,
# alg none, HS256 made with the public key, a key not in the JWKS (accepted
# only once published: key rotation), an unverified address, a person who
# is not a member, an authorization response with another issuer or none
# from a provider that advertises RFC 9207 "iss"; just-in-time
# provisioning with a role from a group; a browser refused (Accept:
# text/html) sent back to the portal with the reason's word (/?sso_error=).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sso.sh"
OIDC_DIR="$(dirname "$0")/../../oidc"
[ -d "$OIDC_DIR/node_modules/jose" ] || { echo "tests/oidc/node_modules missing: run scripts/install-npm"; exit 1; }

CLIENT_SECRET="oidc-client-secret-$RANDOM$RANDOM-Kx7"
node "$OIDC_DIR/scripted_idp.mjs" "$TMP/idp.port" faxvault "$CLIENT_SECRET" >"$TMP/idp.log" 2>&1 &
IDP_PID=$!
trap 'kill $IDP_PID 2>/dev/null; cleanup' EXIT
poll_until 300 test -s "$TMP/idp.port" || { echo "the provider did not start"; cat "$TMP/idp.log"; exit 1; }
ISSUER="http://127.0.0.1:$(cat "$TMP/idp.port")"
control() { curl -sf -X POST -H 'Content-Type: application/json' --data-binary "$1" "$ISSUER/control" >/dev/null; }

start_daemon --set sso.allow_cidrs=127.0.0.0/8
sso_clinic
req POST "/v1/accounts/$ACC/identity-providers" "$OWNER" "{\"type\":\"oidc\",\"issuer\":\"$ISSUER\",\"client_id\":\"faxvault\",\"client_secret\":\"$CLIENT_SECRET\"}"
expect_status 201 "the provider"
IDP=$(jqr .id)

# The path and query of a URL of ours (the redirect URI names http.listen,
# whose port is 0 here: the test calls its own BASE).
local_path() { printf '/%s' "${1#http://*/}"; }

# signin JAR: start, the provider, the callback. Sets STATUS/BODY of the
# callback and CALLBACK (its URL, for replays).
signin() {
	local jar=$1
	curl -s -o /dev/null -D "$TMP/h1" -c "$jar" -b "$jar" "$BASE/v1/sso/$ACC/$IDP/start"
	local auth
	auth=$(sed -n 's/^[Ll]ocation: \(.*\)\r$/\1/p' "$TMP/h1")
	curl -s -o /dev/null -D "$TMP/h2" "$auth"
	CALLBACK=$(sed -n 's/^[Ll]ocation: \(.*\)\r$/\1/p' "$TMP/h2")
	req GET "$(local_path "$CALLBACK")" "" "" -c "$jar" -b "$jar"
}
session() { req POST /v1/sso/session "" "" -c "$1" -b "$1"; }

# --- the start
curl -s -o /dev/null -D "$TMP/h0" -c "$TMP/jar0" "$BASE/v1/sso/$ACC/$IDP/start"
LOC=$(sed -n 's/^[Ll]ocation: \(.*\)\r$/\1/p' "$TMP/h0")
case "$LOC" in
"$ISSUER/auth?response_type=code&client_id=faxvault&redirect_uri="*"&code_challenge_method=S256") ok ;;
*) fail "the start sends the browser to the authorization endpoint with PKCE S256: $LOC" ;;
esac
if grep -qi '^set-cookie: fv_sso_b=[A-Za-z0-9_-]\{43\}; Path=/v1/sso/; Max-Age=600; HttpOnly; SameSite=Lax' "$TMP/h0"; then ok; else
	fail "the start binds the browser with an HttpOnly cookie"; fi
req GET "/v1/sso/$ACC/idp_unknown000000000000/start"
expect_problem 404 not-found "an unknown provider"

# --- the whole flow: an invited member signs in, and is active
control '{"next":{"login":"U@clinic.example"}}'
signin "$TMP/jar1"
expect_status 302 "the callback accepts the sign-in"
if grep -qi '^location: /?sso=1' "$HEADERS"; then ok; else fail "the callback sends the browser to the portal"; fi
if grep -qi '^set-cookie: fv_sso=[A-Za-z0-9_-]\{43\}; Path=/v1/sso/; Max-Age=120; HttpOnly; SameSite=Strict' "$HEADERS"; then ok; else
	fail "a one-time handoff cookie"; fi
FIRST_CALLBACK=$CALLBACK
session "$TMP/jar1"
expect_status 201 "the handoff gives a session"
TOKEN=$(jqr .token)
expect_jq '(.token | startswith("fvs_")) and (.session_id | startswith("ses_"))' "a normal session"
req GET /v1/me "$TOKEN"
expect_jq '.email == "u@clinic.example" and .status == "active" and .account_id == "'"$ACC"'" and .role == "user"' "the session is the member's"
session "$TMP/jar1"
expect_problem 401 sso-failed "the handoff works once"

# --- attacks, each refused
req GET "$(local_path "$FIRST_CALLBACK")" "" "" -b "$TMP/jar1"
expect_problem 401 sso-failed "a replayed state"
expect_jq '.detail | contains("unknown_or_used_state")' "… named so"

curl -s -o /dev/null -D "$TMP/h1" -c "$TMP/jar2" "$BASE/v1/sso/$ACC/$IDP/start"
curl -s -o /dev/null -D "$TMP/h2" "$(sed -n 's/^[Ll]ocation: \(.*\)\r$/\1/p' "$TMP/h1")"
CB=$(sed -n 's/^[Ll]ocation: \(.*\)\r$/\1/p' "$TMP/h2")
req GET "$(local_path "$CB")" "" "" -b "$TMP/jar-empty"
expect_problem 401 sso-failed "a callback in another browser (no binding cookie)"
expect_jq '.detail | contains("other_browser")' "… named so"

attack() { # attack CONTROL-JSON REASON DESCRIPTION
	control "$1"
	rm -f "$TMP/jarx"
	signin "$TMP/jarx"
	expect_problem 401 sso-failed "$3"
	expect_jq ".detail | contains(\"$2\")" "$3: $2"
}
attack '{"next":{"aud":"another-client"}}' wrong_audience "a token for another client"
attack '{"next":{"exp_offset":-3600,"iat_offset":-3700}}' expired "an expired token"
# A browser (it asks for text/html, as a navigation does) refused at the
# callback goes back to the portal, which says why: a fixed word in the
# address, no token. The refusal is audited as for an API client.
control '{"next":{"aud":"another-client"}}'
rm -f "$TMP/jarx"
curl -s -o /dev/null -D "$TMP/h1" -c "$TMP/jarx" -b "$TMP/jarx" "$BASE/v1/sso/$ACC/$IDP/start"
curl -s -o /dev/null -D "$TMP/h2" "$(sed -n 's/^[Ll]ocation: \(.*\)\r$/\1/p' "$TMP/h1")"
CB=$(sed -n 's/^[Ll]ocation: \(.*\)\r$/\1/p' "$TMP/h2")
req GET "$(local_path "$CB")" "" "" -c "$TMP/jarx" -b "$TMP/jarx" -H 'Accept: text/html,application/xhtml+xml,*/*;q=0.8'
expect_status 302 "a browser refused goes back to the portal"
if grep -qi '^location: /?sso_error=wrong_audience'$'\r''$' "$HEADERS"; then ok; else
	fail "… with the reason's word only: $(grep -i '^location' "$HEADERS")"; fi
if grep -qi '^set-cookie: fv_sso=' "$HEADERS"; then fail "… and no handoff cookie"; else ok; fi
session "$TMP/jarx"
expect_problem 401 sso-failed "… which gives no session"
req GET "/v1/sso/$ACC/idp_unknown000000000000/start" "" "" -H 'Accept: text/html'
expect_status 302 "a browser sent to an unknown provider goes back to the portal"
if grep -qi '^location: /?sso_error=unknown_provider'$'\r''$' "$HEADERS"; then ok; else
	fail "… which says so: $(grep -i '^location' "$HEADERS")"; fi
attack '{"next":{"iat_offset":3600}}' issued_in_future "a token from the future"
attack '{"next":{"alg":"none"}}' alg_not_allowed "alg none"
attack '{"next":{"alg":"HS256"}}' alg_not_allowed "HS256 made with the public key"
attack '{"next":{"iss":"http://evil.example"}}' wrong_issuer "another issuer"
attack '{"next":{"nonce":"not-the-nonce"}}' wrong_nonce "another nonce"
attack '{"next":{"kid":"rogue"}}' unknown_kid "a key that is not in the JWKS"
attack '{"next":{"email_verified":false}}' email_not_verified "an unverified address"
attack '{"next":{"login":"stranger@clinic.example"}}' not_a_member "a person who is not a member (invited only)"
attack '{"next":{"login":"o@other.example"}}' not_a_member "nor a person unknown to the service"
# RFC 9207: the authorization response's "iss" (mix-up attacks).
attack '{"iss_mode":"wrong"}' iss_mismatch "an authorization response naming another issuer"
attack '{"iss_mode":"missing"}' iss_missing "no iss from a provider that advertises it"
attack '{"iss_mode":"wrong_unadvertised"}' iss_mismatch "another issuer's iss, even unadvertised"
control '{"iss_mode":"ok"}'
rm -f "$TMP/jar3"; signin "$TMP/jar3"
expect_status 302 "the provider's own iss is accepted"
if grep -q '[?&]iss=' <<<"$CALLBACK"; then ok; else fail "… which the callback carried: $CALLBACK"; fi
control '{"iss_mode":""}'

# --- key rotation: key-b signs once it is published (the cached JWKS is
# fetched again for the unknown kid); ES256 works too.
control '{"publish":["key-a","key-b","key-ec"],"next":{"kid":"key-b"}}'
rm -f "$TMP/jar3"; signin "$TMP/jar3"
expect_status 302 "a rotated key is accepted once published"
control '{"next":{"kid":"key-ec"}}'
rm -f "$TMP/jar3"; signin "$TMP/jar3"
expect_status 302 "an ES256 token"

# --- just in time, with a role from a group
req PATCH "/v1/accounts/$ACC/identity-providers/$IDP" "$OWNER" '{"provisioning":"jit","role_claim":"groups","role_map":{"fax-admins":"admin","fax-billing":"billing"},"token_auth":"client_secret_post"}'
expect_status 200 "just-in-time provisioning, secret sent in the body"
control '{"next":{"login":"new@clinic.example","groups":["staff","fax-billing","fax-admins"]}}'
rm -f "$TMP/jar4"; signin "$TMP/jar4"
expect_status 302 "a new person signs in"
session "$TMP/jar4"
req GET /v1/me "$(jqr .token)"
expect_jq '.email == "new@clinic.example" and .role == "admin"' "made a member, with the strongest mapped role"
# A named custom role: mapped by its id, it comes after admin and before
# billing; an id of no role of the account is refused.
req POST "/v1/accounts/$ACC/roles" "$OWNER" '{"name":"Auditors","permissions":["data.read","billing.read"]}'
expect_status 201 "a custom role"
ROLE=$(jqr .id)
req PATCH "/v1/accounts/$ACC/identity-providers/$IDP" "$OWNER" '{"role_map":{"fax-admins":"admin","fax-billing":"billing","fax-auditors":"rol_nosuchrole"}}'
expect_problem 422 validation-failed "a role map naming no role of the account is refused"
req PATCH "/v1/accounts/$ACC/identity-providers/$IDP" "$OWNER" "{\"role_map\":{\"fax-admins\":\"admin\",\"fax-billing\":\"billing\",\"fax-auditors\":\"$ROLE\"}}"
expect_status 200 "a role map naming the custom role"
control '{"next":{"login":"aud@clinic.example","groups":["staff","fax-billing","fax-auditors"]}}'
rm -f "$TMP/jar5"; signin "$TMP/jar5"
expect_status 302 "a person of the auditors' group signs in"
session "$TMP/jar5"
req GET /v1/me "$(jqr .token)"
expect_jq ".email == \"aud@clinic.example\" and .role == \"custom\" and .custom_role.id == \"$ROLE\" and (.permissions | index(\"data.read\")) != null" \
	"made a member with the custom role, stronger than billing"
req GET "/v1/accounts/$ACC/audit-events?action=user.provision_sso&limit=10" "$OWNER"
expect_jq "[.items[] | select(.detail.custom_role_id == \"$ROLE\")] | length == 1" "the provisioning audited with the custom role"
req PATCH "/v1/accounts/$ACC/identity-providers/$IDP" "$OWNER" '{"role_map":{"fax-admins":"admin","fax-billing":"billing"}}'
expect_status 200 "the role map back as it was"
control '{"next":{"login":"o@clinic.example","groups":["fax-admins"]}}'

# --- SSO required (C08): a password opens nothing for members, but for a
# break-glass owner with a second factor; API keys are unaffected; a wrong
# password still says only that it is wrong.
req POST "/v1/accounts/$ACC/users" "$OWNER" '{"email":"p@clinic.example","name":"P","role":"admin"}'
accept "$(jqr .invitation.token)" "password-person-1234"
P_TOKEN=$(login p@clinic.example password-person-1234)
req POST "/v1/accounts/$ACC/api-keys" "$P_TOKEN" '{"name":"k","permissions":["users.manage"]}'
expect_status 201 "an API key made before"
KEY=$(jqr .secret)
req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"sso_required":true}'
expect_status 200 "the owner requires single sign-on"
expect_jq '.sso_required == true' "… as the settings say"
req POST /v1/sessions "" '{"email":"p@clinic.example","password":"password-person-1234"}'
expect_problem 403 sso-required "a member's right password opens nothing"
req POST /v1/sessions "" '{"email":"p@clinic.example","password":"wrong-password-1234"}'
expect_problem 401 invalid-credentials "a wrong password tells nothing of SSO"
req GET "/v1/accounts/$ACC/users" "$KEY"
expect_status 200 "API keys are unaffected"
req POST /v1/sessions "" '{"email":"o@clinic.example","password":"granite-harbour-1234"}'
expect_problem 403 sso-required "nor the owner's without a second factor"
req POST /v1/me/mfa/totp "$OWNER"
SEED=$(jqr .secret)
req POST /v1/me/mfa/totp/confirm "$OWNER" "{\"code\":\"$(oathtool --totp -b "$SEED" -N "@$(clock_seconds)")\"}"
expect_status 200 "the owner enrols a second factor"
advance_clock 1 # the next code is another step's
req POST /v1/sessions "" "{\"email\":\"o@clinic.example\",\"password\":\"granite-harbour-1234\",\"totp\":\"$(oathtool --totp -b "$SEED" -N "@$(clock_seconds)")\"}"
expect_status 201 "the break-glass owner with a second factor signs in with the password"
control '{"next":{"login":"p@clinic.example"}}'
rm -f "$TMP/jar5"; signin "$TMP/jar5"
expect_status 302 "members sign in through the provider"
req GET "/v1/accounts/$ACC/posture" "$OWNER"
expect_jq '(.items[] | select(.id == "C08")) | .status == "pass" and (.detail | contains("required"))' "the posture's C08 sees single sign-on required"
expect_jq '(.items[] | select(.id == "C07")) | .status == "pass" and (.detail | contains("identity provider"))' "and C07 the provider's second factor"
req PATCH "/v1/accounts/$ACC/identity-providers/$IDP" "$OWNER" '{"status":"disabled"}'
req GET "/v1/accounts/$ACC/posture" "$OWNER"
expect_jq '(.items[] | select(.id == "C08")) | .status == "fail"' "C08 fails when SSO is required and no provider is active"

# --- audited, with reasons
req GET "/v1/accounts/$ACC/audit-events?limit=200" "$OWNER"
expect_jq '[.items[] | select(.action == "sso.signin" and .outcome == "failure") | .detail.reason] | (index("wrong_audience") != null) and (index("expired") != null) and (index("alg_not_allowed") != null) and (index("unknown_kid") != null) and (index("other_browser") != null) and (index("iss_mismatch") != null) and (index("iss_missing") != null)' \
	"every refusal is in the account's audit log with its reason"
expect_jq '[.items[] | select(.action == "sso.signin" and .outcome == "success")] | length >= 3' "and every sign-in"
expect_jq '[.items[] | select(.action == "user.provision_sso") | .detail.email] == ["aud@clinic.example", "new@clinic.example"]' "the two provisionings too"
expect_jq '[.items[] | select(.action == "session.create" and .outcome == "failure") | .detail.reason] | index("sso_required") != null' "a password refused for SSO is audited"
# A replayed or unknown state names no account: its refusal is in the
# provider's log, which security staff read.
req POST /v1/provider/staff "$OP" '{"email":"sec@provider.example","name":"Sam Security","role":"security"}'
accept "$(jqr .invitation.token)" "security-password-1"
req GET "/v1/provider/audit-events?action=sso.signin&limit=200" "$(login sec@provider.example security-password-1)"
expect_jq '[.items[] | select(.outcome == "failure" and .account_id == null) | .detail.reason] | index("unknown_or_used_state") != null' \
	"a replayed state is audited in the provider's log"

# --- no secret of the flow in the log or the database: the client secret,
# the state (in the callback URLs), the codes.
STATE=$(printf '%s' "$FIRST_CALLBACK" | sed -n 's/.*[?&]state=\([^&]*\).*/\1/p')
CODE=$(printf '%s' "$FIRST_CALLBACK" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')
for s in "$CLIENT_SECRET" "$STATE" "$CODE"; do
	if [ -n "$s" ] && ! grep -rqaF -- "$s" "$LOG" "$DATA"; then ok; else fail "a secret of the flow is in clear in the log or the data directory (or empty)"; fi
done
finish
