#!/usr/bin/env bash
# Customer security controls against the real daemon: the settings resource
# and its validation, the password policy on every path that sets a
# password, lockout and unlock, TOTP (codes from oathtool, an independent
# implementation) with recovery codes, MFA-required gating, session limits
# (with the test clock, not sleeps), sessions of an account, the IP
# allow-list, rate limits, terms of service, contacts review, password
# expiry, and the posture checklist in English and French.
. "$(dirname "$0")/lib.sh"
start_daemon

OP=$(operator_token)
req POST /v1/accounts "$OP" '{"name":"Étude Martin","owner":{"email":"owner@etude.example","name":"Odile"},"billing_contacts":[{"email":"compta@etude.example","name":"Compta"}]}'
ACC=$(jqr .id); OINV=$(jqr .owner_invitation.token); BINV=$(jqr '.billing_invitations[0].token')

# --- default policy on the invitation path: common passwords are refused
req POST /v1/invitations/accept "" "{\"token\":\"$OINV\",\"password\":\"password1234\"}"
expect_problem 422 weak-password "a common password"
req POST /v1/invitations/accept "" "{\"token\":\"$OINV\",\"password\":\"Sunshine2024!!\"}"
expect_problem 422 weak-password "a common word with digits and symbols appended"
req POST /v1/invitations/accept "" "{\"token\":\"$OINV\",\"password\":\"my owner login is long\"}"
expect_problem 422 weak-password "a password containing the e-mail address"
accept "$OINV" "plume encre buvard"
accept "$BINV" "facture trimestre bleu"
OWNER=$(login owner@etude.example "plume encre buvard")
OWNER_ID=$(curl -s "$BASE/v1/me" -H "Authorization: Bearer $OWNER" | jq -r .id)

# --- the settings resource and its defaults
req GET "/v1/accounts/$ACC/security" "$OWNER"
expect_status 200 "read settings"
expect_jq '.password_policy == {"min_length":12,"max_length":256,"check_common":true,"history":0,"max_age_days":0,"lockout_threshold":10,"lockout_minutes":15,"composition":{"require_upper":false,"require_lower":false,"require_digit":false,"require_symbol":false}}' "NIST defaults"
expect_jq '.mfa.required_for == "none" and .session == {"idle_timeout_minutes":30,"max_lifetime_hours":12} and .ip_allowlist == [] and .rate_limit.requests_per_minute == 600 and .contacts_review_months == 12' "other defaults"
DEFAULTS=$(printf '%s' "$BODY" | jq -c 'del(.updated_at)')
req PATCH "/v1/accounts/$ACC/security" "$OWNER" "$BODY"
expect_status 200 "a document read with GET can be sent back unchanged"

bad_patch() { # bad_patch BODY FIELD DESCRIPTION
	req PATCH "/v1/accounts/$ACC/security" "$OWNER" "$1"
	expect_problem 422 validation-failed "$3"
	expect_jq ".field == \"$2\"" "$3 (field)"
}
bad_patch '{"password_policy":{"min_length":8}}' password_policy.min_length "weaker than the provider floor"
bad_patch '{"password_policy":{"min_length":70,"max_length":64}}' password_policy.min_length "min above max"
bad_patch '{"password_policy":{"lockout_minutes":-5}}' password_policy.lockout_minutes "negative duration"
bad_patch '{"password_policy":{"lockout_threshold":50}}' password_policy.lockout_threshold "threshold looser than the provider"
bad_patch '{"password_policy":{"check_common":false}}' password_policy.check_common "turning the common-password check off"
bad_patch '{"password_policy":{"history":"two"}}' password_policy.history "wrong type"
bad_patch '{"session":{"idle_timeout_minutes":60}}' session.idle_timeout_minutes "longer idle timeout than the provider's"
bad_patch '{"ip_allowlist":["10.0.0.1/33"]}' 'ip_allowlist[0]' "bad prefix length"
bad_patch '{"ip_allowlist":["10.1.2.3/8"]}' 'ip_allowlist[0]' "host bits set"
bad_patch '{"ip_allowlist":["not-an-ip"]}' 'ip_allowlist[0]' "not an address"
bad_patch '{"ip_allowlist":["10.9.0.0/16"]}' ip_allowlist "an allow-list that excludes the caller"
bad_patch '{"rate_limit":{"requests_per_minute":100000}}' rate_limit.requests_per_minute "rate above the provider ceiling"
bad_patch '{"mfa":{"required_for":"some"}}' mfa.required_for "unknown MFA scope"
bad_patch '{"colour":"blue"}' colour "unknown setting"
req GET "/v1/accounts/$ACC/security" "$OWNER"
[ "$(printf '%s' "$BODY" | jq -c 'del(.updated_at)')" = "$DEFAULTS" ] && ok || fail "refused patches changed nothing"

req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"password_policy":{"history":2,"lockout_threshold":3,"composition":{"require_digit":true}}}'
expect_status 200 "tighten the policy"
expect_jq '.password_policy.history == 2 and .password_policy.lockout_threshold == 3 and .password_policy.composition.require_digit' "new policy"
req GET "/v1/accounts/$ACC/audit-events?action=security.update" "$OWNER"
expect_jq '.items[0].detail.old.password_policy.history == 0 and .items[0].detail.new.password_policy.history == 2' "change audited with old and new values"

# --- the policy on every password path
req POST "/v1/accounts/$ACC/users" "$OWNER" '{"email":"admin@etude.example","name":"Adèle","role":"admin"}'
ADMIN_ID=$(jqr .id); AINV=$(jqr .invitation.token)
req POST /v1/invitations/accept "" "{\"token\":\"$AINV\",\"password\":\"no digits in this one\"}"
expect_problem 422 weak-password "composition rule on invitation"
accept "$AINV" "gravure cuivre 1789"
ADMIN=$(login admin@etude.example "gravure cuivre 1789")
req POST /v1/me/password "$OWNER" '{"current_password":"plume encre buvard","new_password":"plume encre buvard 2"}'
expect_status 204 "change (digit now required, given)"
req POST /v1/me/password "$OWNER" '{"current_password":"plume encre buvard 2","new_password":"plume encre buvard 3"}'
expect_status 204 "change again"
req POST /v1/me/password "$OWNER" '{"current_password":"plume encre buvard 3","new_password":"plume encre buvard 2"}'
expect_problem 422 weak-password "history: a recent password comes back"
expect_jq '.detail | test("used recently")' "history named"
req POST /v1/password-resets "" '{"email":"nobody@etude.example"}'
expect_status 202 "reset request for an unknown address"
UNKNOWN="$BODY"
req POST /v1/password-resets "" '{"email":"admin@etude.example"}'
expect_status 202 "reset request for a known address"
[ "$BODY" = "$UNKNOWN" ] && ok || fail "reset answers differ (enumeration)"
RTOK=$("$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS password-reset --email admin@etude.example | grep '^fvr_')
[ -n "$RTOK" ] && ok || fail "operator issues a reset token"
req POST /v1/password-resets/complete "" "{\"token\":\"$RTOK\",\"password\":\"qwertyuiop123\"}"
expect_problem 422 weak-password "policy on the reset path"
req POST /v1/password-resets/complete "" "{\"token\":\"$RTOK\",\"password\":\"lithographie 1796\"}"
expect_status 204 "reset completes"
req POST /v1/password-resets/complete "" "{\"token\":\"$RTOK\",\"password\":\"lithographie 1797\"}"
expect_problem 404 reset-invalid "reset token is single-use"
req GET /v1/me "$ADMIN"
expect_status 401 "a reset ends the person's sessions"
ADMIN=$(login admin@etude.example "lithographie 1796")

# --- lockout per person, unlock, expiry
for i in 1 2 3; do
	req POST /v1/sessions "" '{"email":"admin@etude.example","password":"wrong guess 000"}'
done
req POST /v1/sessions "" '{"email":"admin@etude.example","password":"lithographie 1796"}'
expect_problem 401 invalid-credentials "locked: even the right password gets the same answer"
req GET "/v1/accounts/$ACC/audit-events?action=user.lockout" "$OWNER"
expect_jq ".items[0].target == \"$ADMIN_ID\"" "lockout audited"
req POST "/v1/accounts/$ACC/users/$ADMIN_ID/unlock" "$OWNER"
expect_status 200 "owner unlocks"
ADMIN=$(login admin@etude.example "lithographie 1796")
[ -n "$ADMIN" ] && ok || fail "login after unlock"
for i in 1 2 3; do
	req POST /v1/sessions "" '{"email":"admin@etude.example","password":"wrong guess 000"}'
done
advance_clock 16
OWNER=$(login owner@etude.example "plume encre buvard 3")
ADMIN=$(login admin@etude.example "lithographie 1796")
[ -n "$ADMIN" ] && ok || fail "lockout expires after lockout_minutes"

# --- TOTP with codes from oathtool
req POST /v1/me/mfa/totp "$OWNER"
expect_status 201 "begin enrolment"
SECRET=$(jqr .secret)
expect_jq '.otpauth_uri | startswith("otpauth://totp/faxvault:owner%40etude.example?secret=")' "otpauth URI"
req GET /v1/me/mfa/totp/qr.png "$OWNER"
expect_status 200 "QR code"
[ "$(head -c 8 "$TMP/body" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] && ok || fail "QR code is a PNG"
code_at() { oathtool --totp -b "$SECRET" -N "@$1"; }
req POST /v1/me/mfa/totp/confirm "$OWNER" '{"code":"000000"}'
expect_problem 422 invalid-mfa-code "wrong first code"
req POST /v1/me/mfa/totp/confirm "$OWNER" "{\"code\":\"$(code_at "$(clock_seconds)")\"}"
expect_status 200 "confirm with oathtool's code"
expect_jq '.recovery_codes | length == 10' "ten recovery codes"
RC1=$(jqr '.recovery_codes[0]'); RC2=$(jqr '.recovery_codes[1]')
req POST /v1/sessions "" '{"email":"owner@etude.example","password":"plume encre buvard 3"}'
expect_problem 401 mfa-required "password alone is not enough"
req POST /v1/sessions "" '{"email":"owner@etude.example","password":"plume encre buvard 3","totp":"123456"}'
expect_problem 401 invalid-credentials "wrong code"
advance_clock 1
CODE=$(code_at "$(clock_seconds)")
req POST /v1/sessions "" "{\"email\":\"owner@etude.example\",\"password\":\"plume encre buvard 3\",\"totp\":\"$CODE\"}"
expect_status 201 "password + TOTP"
OWNER=$(jqr .token)
req POST /v1/sessions "" "{\"email\":\"owner@etude.example\",\"password\":\"plume encre buvard 3\",\"totp\":\"$CODE\"}"
expect_problem 401 invalid-credentials "a TOTP code is good once"
req POST /v1/sessions "" "{\"email\":\"owner@etude.example\",\"password\":\"plume encre buvard 3\",\"recovery_code\":\"$RC1\"}"
expect_status 201 "recovery code"
expect_jq '.recovery_codes_left == 9' "codes left"
req POST /v1/sessions "" "{\"email\":\"owner@etude.example\",\"password\":\"plume encre buvard 3\",\"recovery_code\":\"$RC1\"}"
expect_problem 401 invalid-credentials "a recovery code is good once"
login_owner() {
	advance_clock 1
	OWNER=$(curl -s -X POST "$BASE/v1/sessions" -H 'Content-Type: application/json' \
		-d "{\"email\":\"owner@etude.example\",\"password\":\"plume encre buvard 3\",\"totp\":\"$(code_at "$(clock_seconds)")\"}" | jq -r .token)
}

# --- MFA required for administrators
req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"mfa":{"required_for":"admins"}}'
expect_status 200 "require MFA for admins"
req GET "/v1/accounts/$ACC/users" "$ADMIN"
expect_problem 403 mfa-enrolment-required "an admin without a second factor can only enrol"
req GET /v1/me "$ADMIN"
expect_jq '.pending == ["enrol_mfa"] and .mfa.totp == false' "me says what is pending"
req POST /v1/me/mfa/totp "$ADMIN"
ASECRET=$(jqr .secret)
req POST /v1/me/mfa/totp/confirm "$ADMIN" "{\"code\":\"$(oathtool --totp -b "$ASECRET" -N "@$(clock_seconds)")\"}"
expect_status 200 "admin enrols"
req GET "/v1/accounts/$ACC/users" "$ADMIN"
expect_status 200 "enrolled admin works again"

# --- sessions: idle timeout, absolute lifetime, revocation by an admin
req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"session":{"idle_timeout_minutes":5,"max_lifetime_hours":1}}'
expect_status 200 "shorter sessions"
BILL=$(login compta@etude.example "facture trimestre bleu")
advance_clock 4
req GET /v1/me "$BILL"
expect_status 200 "used within the idle timeout"
advance_clock 6
req GET /v1/me "$BILL"
expect_problem 401 unauthenticated "idle session expired"
BILL=$(login compta@etude.example "facture trimestre bleu")
for i in $(seq 1 15); do advance_clock 4; curl -s -o /dev/null "$BASE/v1/me" -H "Authorization: Bearer $BILL"; done
req GET /v1/me "$BILL"
expect_problem 401 unauthenticated "absolute lifetime ends even a busy session"
login_owner
BILL=$(login compta@etude.example "facture trimestre bleu")
BILL_SID=$(curl -s "$BASE/v1/me" -H "Authorization: Bearer $BILL" | jq -r .credential.id)
req GET "/v1/accounts/$ACC/sessions" "$OWNER"
expect_jq "[.items[].id] | index(\"$BILL_SID\") != null" "owner lists the account's sessions"
req DELETE "/v1/accounts/$ACC/sessions/$BILL_SID" "$OWNER"
expect_status 204 "owner revokes a member's session"
req GET /v1/me "$BILL"
expect_status 401 "revoked by an admin"
req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"session":{"idle_timeout_minutes":30,"max_lifetime_hours":12}}'

# --- IP allow-list (IPv4 here; IPv6 in the unit tests and below)
req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"ip_allowlist":["127.0.0.1/32","::1/128"]}'
expect_jq '.ip_allowlist == ["127.0.0.1/32","::1/128"]' "allow-list set"
req GET /v1/me "$OWNER" "" --interface 127.0.0.2
expect_problem 403 ip-not-allowed "a request from 127.0.0.2 is refused"
req GET /v1/me "$OWNER"
expect_status 200 "127.0.0.1 is allowed"
req POST /v1/sessions "" '{"email":"compta@etude.example","password":"facture trimestre bleu"}' --interface 127.0.0.2
expect_problem 401 invalid-credentials "a login from outside the allow-list fails like a wrong password"
req GET "/v1/accounts/$ACC/audit-events?action=me.get" "$OWNER"
expect_jq '[.items[] | select(.outcome == "denied" and .source == "127.0.0.2")] | length == 1' "refusal audited with its address"
req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"ip_allowlist":[]}'
# IPv6: a second daemon on [::1] over the same data directory.
# shellcheck disable=SC2086
"$FAXVAULTD" --data-dir "$DATA" --http "[::1]:0" --set log.file="$TMP/v6.log" $FV_TEST_FLAGS &
V6_PID=$!
for _ in $(seq 1 3000); do
	V6_PORT=$(sed -n 's/.*event=daemon.started .* port=\([0-9]*\).*/\1/p' "$TMP/v6.log" 2>/dev/null | tail -n 1)
	[ -n "$V6_PORT" ] && break
	sleep 0.1
done
V6="http://[::1]:$V6_PORT"
v6() { curl -s -g -o "$TMP/body" -w '%{http_code}' "$@"; }
ST=$(v6 -X PATCH "$V6/v1/accounts/$ACC/security" -H "Authorization: Bearer $OWNER" -H 'Content-Type: application/json' -d '{"ip_allowlist":["::1/128"]}')
[ "$ST" = 200 ] && ok || fail "allow-list of ::1 set from ::1 ($ST: $(cat "$TMP/body"))"
ST=$(v6 "$V6/v1/me" -H "Authorization: Bearer $OWNER")
[ "$ST" = 200 ] && ok || fail "IPv6 ::1 is allowed ($ST)"
req GET /v1/me "$OWNER"
expect_problem 403 ip-not-allowed "IPv4 is refused by an IPv6-only allow-list"
ST=$(v6 -X PATCH "$V6/v1/accounts/$ACC/security" -H "Authorization: Bearer $OWNER" -H 'Content-Type: application/json' -d '{"ip_allowlist":[]}')
[ "$ST" = 200 ] && ok || fail "allow-list cleared over IPv6 ($ST)"
kill "$V6_PID"; wait "$V6_PID" 2>/dev/null
req GET /v1/me "$OWNER"
expect_status 200 "IPv4 allowed again"

# --- rate limit with standard headers
# One request a minute: the bucket cannot refill while the four requests
# run, however slow the machine (the clock is the test's, moved below).
req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"rate_limit":{"requests_per_minute":1,"burst":3}}'
expect_status 200 "lower the rate limit"
for i in 1 2 3; do req GET /v1/me "$OWNER"; done
req GET /v1/me "$OWNER"
expect_problem 429 rate-limited "over the limit"
grep -qi '^retry-after: [0-9]' "$HEADERS" && ok || fail "Retry-After"
grep -qi '^ratelimit-limit: 1' "$HEADERS" && ok || fail "RateLimit-Limit"
grep -qi '^ratelimit-remaining: 0' "$HEADERS" && ok || fail "RateLimit-Remaining"
grep -qi '^ratelimit-reset: [0-9]' "$HEADERS" && ok || fail "RateLimit-Reset"
advance_clock 1
req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"rate_limit":{"requests_per_minute":600,"burst":120}}'
expect_status 200 "the bucket refills with time"
advance_clock 1 # the bucket fills up to the restored burst

# --- terms of service
OP=$(operator_token)
req POST /v1/provider/terms "$OP" '{"version":"2026-11","text_en":"Section 4: no abuse.","text_fr":"Article 4 : pas d abus."}'
expect_status 201 "publish terms"
req POST /v1/provider/terms "$OP" '{"version":"2026-11","text_en":"x","text_fr":"y"}'
expect_problem 409 conflict "a version is published once"
req GET "/v1/accounts/$ACC" "$OWNER"
expect_problem 403 terms-not-accepted "terms first"
for i in 1 2 3 4 5; do req GET "/v1/accounts/$ACC" "$OWNER"; done
expect_problem 403 terms-not-accepted "terms first, however often asked"
req GET /v1/terms/current "$OWNER" "" -H 'Accept-Language: fr'
expect_jq '.version == "2026-11" and .text == "Article 4 : pas d abus." and .accepted == false' "terms in French"
req POST /v1/partners "$OP" '{"name":"Revendeur SA"}'
PRT=$(jqr .id)
req POST "/v1/partners/$PRT/staff" "$OP" '{"email":"vente@revendeur.example","name":"Vente"}'
accept "$(jqr .invitation.token)" "catalogue remise 2026"
REP=$(login vente@revendeur.example "catalogue remise 2026")
req GET "/v1/partners/$PRT" "$REP"
expect_problem 403 terms-not-accepted "partner staff accept the terms too"
req POST /v1/me/terms/accept "$REP" '{"version":"2026-11"}'
req GET "/v1/partners/$PRT" "$REP"
expect_status 200 "partner staff after accepting"
req GET /v1/partners "$OP"
expect_status 200 "provider staff publish the terms and are not gated"
req POST /v1/me/terms/accept "$OWNER" '{"version":"2025-01"}'
expect_problem 422 validation-failed "only the current version"
req POST /v1/me/terms/accept "$OWNER" '{"version":"2026-11"}'
expect_jq '.version == "2026-11" and .source == "127.0.0.1"' "acceptance recorded"
# The six refusals at the gate are one audit event (one per caller, gate
# and minute), by the owner, with the gate and the ingress, no token.
req GET "/v1/accounts/$ACC/audit-events?action=accounts.get" "$OWNER"
expect_jq '[.items[] | select(.outcome == "refused")] | length == 1 and .[0].detail.gate == "terms" and .[0].detail.ingress == "http" and .[0].detail.problem == "terms-not-accepted" and .[0].target == "/v1/accounts/'"$ACC"'" and .[0].actor.type == "user"' \
	"the gate refusals audited once, with the gate and the ingress"
[[ "$BODY" != *"$OWNER"* ]] && ok || fail "the token is in the audit log"
req GET "/v1/accounts/$ACC/terms/pending" "$OWNER"
expect_jq '[.items[].email] == ["compta@etude.example","admin@etude.example"]' "admin sees who has not accepted"

# --- contacts review and posture
req GET "/v1/accounts/$ACC/posture" "$OWNER"
expect_status 200 "posture"
expect_jq '[.items[].id] == ["C01","C02","C03","C04","C05","C06","C07","C08","C09","C10","C11","C12","C13","C14","C15","C16","C17","C18"]' "one entry per customer responsibility"
expect_jq '[.items[].status] | all(. == "pass" or . == "fail" or . == "not_applicable")' "statuses"
expect_jq '(.items[] | select(.id == "C01").status) == "pass"' "C01 passes for a new account"
expect_jq '(.items[] | select(.id == "C06").status) == "fail"' "C06 fails while members have not accepted"
expect_jq '(.items[] | select(.id == "C07").status) == "pass"' "C07 passes: every admin has a second factor"
expect_jq '(.items[] | select(.id == "C08").status) == "pass"' "C08 passes with a policy at least as strict as the defaults"
expect_jq '(.items[] | select(.id == "C12")) | .status == "not_applicable" and (.detail | test("No regulation is declared"))' "C12: no profile declared (test_regprofile.sh covers the profiles)"
expect_jq '(.items[] | select(.id == "C09")) | .status == "fail" and (.detail | test("No retention period was chosen"))' "C09: no retention period chosen yet"
req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"session":{"idle_timeout_minutes":15}}'
req GET "/v1/accounts/$ACC/posture" "$OWNER" "" -H 'Accept-Language: fr'
expect_jq '(.items[] | select(.id == "C12")) | .status == "not_applicable" and (.detail | test("Aucune réglementation n'"'"'est déclarée"))' "C12 without a profile (fr)"
req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"session":{"idle_timeout_minutes":30}}'
req GET "/v1/accounts/$ACC/posture" "$OWNER"
EN=$(jqr '.items[] | select(.id == "C07") | .title')
req GET "/v1/accounts/$ACC/posture" "$OWNER" "" -H 'Accept-Language: fr-FR'
FR=$(jqr '.items[] | select(.id == "C07") | .title')
[ "$EN" != "$FR" ] && [ "$FR" = "Les administrateurs protègent leurs identifiants par un second facteur" ] && ok || fail "posture in French: $FR"
req PATCH /v1/me "$OWNER" '{"lang":"fr"}'
expect_jq '.lang == "fr"' "the owner prefers French"
req GET "/v1/accounts/$ACC/posture" "$OWNER"
[ "$(jqr '.items[] | select(.id == "C07") | .title')" = "$FR" ] && ok || fail "the person's language applies without Accept-Language"
req GET "/v1/accounts/$ACC/posture" "$OWNER" "" -H 'Accept-Language: en'
[ "$(jqr '.items[] | select(.id == "C07") | .title')" = "$EN" ] && ok || fail "Accept-Language wins over the setting"
req PATCH /v1/me "$OWNER" '{"lang":"de"}'
expect_problem 422 validation-failed "unsupported language"
advance_clock $((13 * 30 * 24 * 60))
login_owner
req POST /v1/me/terms/accept "$OWNER" '{"version":"2026-11"}'
req GET "/v1/accounts/$ACC" "$OWNER"
expect_jq '.contacts_review_due == true' "account flagged after 13 months"
req GET "/v1/accounts/$ACC/posture" "$OWNER"
expect_jq '(.items[] | select(.id == "C01").status) == "fail"' "C01 fails when overdue"
ADMIN=$(curl -s -X POST "$BASE/v1/sessions" -H 'Content-Type: application/json' \
	-d "{\"email\":\"admin@etude.example\",\"password\":\"lithographie 1796\",\"totp\":\"$(oathtool --totp -b "$ASECRET" -N "@$(clock_seconds)")\"}" | jq -r .token)
req POST /v1/me/terms/accept "$ADMIN" '{"version":"2026-11"}'
req POST "/v1/accounts/$ACC/contacts/confirm" "$ADMIN"
expect_problem 403 forbidden "admins do not confirm contacts (owner only)"
req POST "/v1/accounts/$ACC/contacts/confirm" "$OWNER"
expect_status 200 "owner confirms"
req GET "/v1/accounts/$ACC/posture" "$OWNER"
expect_jq '(.items[] | select(.id == "C01").status) == "pass"' "C01 passes again"

# --- password expiry
req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"password_policy":{"max_age_days":30}}'
advance_clock $((31 * 24 * 60))
BILL=$(login compta@etude.example "facture trimestre bleu")
req POST /v1/me/terms/accept "$BILL" '{"version":"2026-11"}'
req GET "/v1/accounts/$ACC" "$BILL"
expect_problem 403 password-expired "an expired password must be changed first"
req POST /v1/me/password "$BILL" '{"current_password":"facture trimestre bleu","new_password":"facture semestre vert 2"}'
expect_status 204 "change it"
req GET "/v1/accounts/$ACC" "$BILL"
expect_status 200 "then work"
finish
