#!/usr/bin/env bash
# Single-use tokens over HTTP, against the real daemon: invitations and
# password resets take their token in the body (the older path forms still
# work); a failed attempt (unknown token, weak password) uses nothing up and
# is audited without the token; tokens expire as documented (test clock);
# and the request log holds none of the secrets issued here, whatever the
# client put in its URLs.
. "$(dirname "$0")/lib.sh"
start_daemon

OP=$(operator_token)
SECRETS=("$OP")
req POST /v1/accounts "$OP" '{"name":"Atelier Niépce","owner":{"email":"owner@niepce.example","name":"Nicéphore"},"billing_contacts":[{"email":"compta@niepce.example","name":"Compta"}]}'
expect_status 201 "create account"
ACC=$(jqr .id); OINV=$(jqr .owner_invitation.token); BINV=$(jqr '.billing_invitations[0].token')
OWNER_ID=$(jqr .owner.id)
SECRETS+=("$OINV" "$BINV")

# --- a weak password: 422, the invitation stays usable, the attempt is audited
req POST /v1/invitations/accept "" "{\"token\":\"$OINV\",\"password\":\"short\"}"
expect_problem 422 weak-password "weak password on the body form"
req POST /v1/invitations/accept "" "{\"token\":\"fvi_not-a-real-one\",\"password\":\"heliographie 1826\"}"
expect_problem 404 invitation-invalid "unknown invitation token"
req POST /v1/invitations/accept "" "{\"password\":\"heliographie 1826\"}"
expect_problem 422 validation-failed "the body form needs the token"
expect_jq '.field == "token"' "the missing field is named"
req POST /v1/invitations/accept "" "{\"token\":\"$OINV\",\"password\":\"heliographie 1826\",\"colour\":\"blue\"}"
expect_problem 422 validation-failed "unknown fields refused"
req POST /v1/invitations/accept "" "{\"token\":\"$OINV\",\"password\":\"heliographie 1826\"}"
expect_status 200 "the same token works afterwards with a good password"
expect_jq ".user_id == \"$OWNER_ID\" and .status == \"active\"" "accepted"
req POST /v1/invitations/accept "" "{\"token\":\"$OINV\",\"password\":\"heliographie 1827\"}"
expect_problem 404 invitation-invalid "used once, then never again"
OWNER=$(login owner@niepce.example "heliographie 1826")
SECRETS+=("$OWNER")

req GET "/v1/accounts/$ACC/audit-events?action=invitation.accept" "$OWNER"
expect_status 200 "read the account's audit"
expect_jq "[.items[] | select(.outcome == \"failure\" and .target == \"$OWNER_ID\" and .detail.reason == \"weak_password\")] | length == 1" "the weak-password attempt is audited"
expect_jq "[.items[] | select(.outcome == \"success\")] | length == 1" "the acceptance is audited"
req POST /v1/provider/staff "$OP" '{"email":"sec@provider.example","name":"Sam Security","role":"security"}'
SINV=$(jqr .invitation.token)
SECRETS+=("$SINV")
accept "$SINV" "security-password-1"
SEC=$(login sec@provider.example security-password-1)
SECRETS+=("$SEC")
req GET "/v1/provider/audit-events?action=invitation.accept" "$SEC"
expect_jq '[.items[] | select(.outcome == "failure" and .detail.reason == "unknown_token")] | length >= 1' "an unknown token is audited too"
if printf '%s' "$BODY" | grep -q "$OINV"; then fail "the audit holds the token"; else ok; fi

# --- the older form, token in the path, still works
req POST "/v1/invitations/$BINV/accept" "" '{"password":"short"}'
expect_problem 422 weak-password "path form: weak password"
req POST "/v1/invitations/$BINV/accept" "" '{"token":"x","password":"plaque de cuivre 3"}'
expect_problem 422 validation-failed "path form: no second token in the body"
req POST "/v1/invitations/$BINV/accept" "" '{"password":"plaque de cuivre 3"}'
expect_status 200 "path form: accepted"

# --- password resets: body form, failures keep the token, audit
RTOK=$("$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS password-reset --email compta@niepce.example | grep '^fvr_')
[ -n "$RTOK" ] && ok || fail "operator issues a reset token"
req GET "/v1/accounts/$ACC/audit-events?action=password_reset.create" "$OWNER"
expect_jq "(.items | length) == 1 and .items[0].actor.type == \"cli\" and (.items[0].actor.id | startswith(\"cli:$(id -un)@\"))" "the reset is attributed to the operator's command and unix user"
SECRETS+=("$RTOK")
req POST /v1/password-resets/complete "" "{\"token\":\"$RTOK\",\"password\":\"qwertyuiop123\"}"
expect_problem 422 weak-password "reset: weak password"
req POST /v1/password-resets/complete "" '{"token":"fvr_unknown","password":"bitume de Judée 1"}'
expect_problem 404 reset-invalid "reset: unknown token"
req POST /v1/password-resets/complete "" "{\"token\":\"$RTOK\",\"password\":\"bitume de Judée 1\"}"
expect_status 204 "reset: the token still works after the failures"
req POST /v1/password-resets/complete "" "{\"token\":\"$RTOK\",\"password\":\"bitume de Judée 2\"}"
expect_problem 404 reset-invalid "reset: single use"
req GET "/v1/accounts/$ACC/audit-events?action=password_reset.complete" "$OWNER"
expect_jq '([.items[] | select(.outcome == "failure" and .detail.reason == "weak_password")] | length == 1) and ([.items[] | select(.outcome == "success")] | length == 1)' "reset attempts audited"
BILL=$(login compta@niepce.example "bitume de Judée 1")
[ -n "$BILL" ] && ok || fail "log in with the reset password"
SECRETS+=("$BILL")
RTOK2=$("$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS password-reset --email compta@niepce.example | grep '^fvr_')
SECRETS+=("$RTOK2")
req POST "/v1/password-resets/$RTOK2" "" '{"password":"bitume de Judée 3"}'
expect_status 204 "reset: the path form still works"

# --- an API key, and credentials a careless client puts in URLs
req POST "/v1/accounts/$ACC/api-keys" "$OWNER" '{"name":"ci","permissions":["data.read"]}'
expect_status 201 "create an API key"
KEY=$(jqr .secret)
SECRETS+=("$KEY")
req GET "/v1/me?access_token=$OWNER&limit=5" "$KEY"
req GET "/v1/nothing/$KEY/here"
expect_problem 404 not-found "a key in an unknown path"
req GET "/v1/accounts/$ACC/users?api_key=$KEY" "$OWNER"
RC=$(printf 'abcd-efgh-2345')
req GET "/v1/recovery/$RC"

# --- expiry: invitations after auth.invitation_days (7), resets after
# auth.password_reset_minutes (60), on the daemon's test clock
req POST "/v1/accounts/$ACC/users" "$OWNER" '{"email":"early@niepce.example","name":"Early","role":"user"}'
INV1=$(jqr .invitation.token)
req POST "/v1/accounts/$ACC/users" "$OWNER" '{"email":"late@niepce.example","name":"Late","role":"user"}'
INV2=$(jqr .invitation.token)
SECRETS+=("$INV1" "$INV2")
RTOK3=$("$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS password-reset --email owner@niepce.example | grep '^fvr_')
RTOK4=$("$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS password-reset --email owner@niepce.example | grep '^fvr_')
SECRETS+=("$RTOK3" "$RTOK4")
advance_clock 50
req POST /v1/password-resets/complete "" "{\"token\":\"$RTOK3\",\"password\":\"chambre noire 50\"}"
expect_status 204 "a reset token works before its hour is up"
advance_clock 20
req POST /v1/password-resets/complete "" "{\"token\":\"$RTOK4\",\"password\":\"chambre noire 70\"}"
expect_problem 404 reset-invalid "a reset token expires after auth.password_reset_minutes"
advance_clock $((7 * 1440 - 90))
req POST /v1/invitations/accept "" "{\"token\":\"$INV1\",\"password\":\"sept jours moins 20\"}"
expect_status 200 "an invitation works until its seventh day ends"
advance_clock 40
req POST /v1/invitations/accept "" "{\"token\":\"$INV2\",\"password\":\"sept jours plus 20\"}"
expect_problem 404 invitation-invalid "an invitation expires after auth.invitation_days"

# --- the log: every request is there, no secret is
stop_daemon
grep -q 'event=http.request .*path="/v1/invitations/fvi_\[redacted\]/accept"' "$LOG" && ok ||
	fail "the path form of an invitation is logged redacted"
grep -q 'path="/v1/password-resets/fvr_\[redacted\]"' "$LOG" && ok || fail "the path form of a reset is logged redacted"
grep -q 'path="/v1/nothing/fvk_\[redacted\]/here"' "$LOG" && ok || fail "a key in an unknown path is redacted"
grep -q 'path="/v1/recovery/\[redacted\]"' "$LOG" && ok || fail "a recovery code in a path is redacted"
grep -q 'path="/v1/invitations/accept"' "$LOG" && ok || fail "the body form is logged as is"
for s in "${SECRETS[@]}"; do
	if [ -z "$s" ]; then fail "a secret of the test is empty"; continue; fi
	if grep -qF -- "$s" "$LOG"; then fail "the log holds a secret: ${s:0:6}…"; else ok; fi
	# Also its body alone, without the prefix.
	if grep -qF -- "${s#*_}" "$LOG"; then fail "the log holds the body of a secret: ${s:0:6}…"; else ok; fi
done
grep -qF "$RC" "$LOG" && fail "the log holds a recovery code" || ok
finish
