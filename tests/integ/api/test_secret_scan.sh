#!/usr/bin/env bash
# No secret at rest or in a log: a tour issues every kind of secret the
# service hands out or is given (the operator's one-time password, people's
# passwords, session tokens, API keys, invitation and password-reset tokens,
# recovery codes, a TOTP seed, a webhook signing secret, a SIP trunk
# password), using each the way it is meant to be used; then every line of
# the daemon's log (at debug level) and every byte of every file of the data
# directory (database, WAL, keys, documents) are searched for each of them.
# Hashes of secrets are stored, never the secrets: 0 found.
. "$(dirname "$0")/lib.sh"
start_daemon --set log.level=debug --set webhooks.allow_cidrs=127.0.0.1/32
SECRETS=()
keep() { [ -n "$1" ] && [ "$1" != null ] && SECRETS+=("$1") || fail "no secret issued: $2"; }

keep "$(jq -r .password "$TMP/boot.json")" "operator password"
OP=$(operator_token); keep "$OP" "operator session"

req POST /v1/accounts "$OP" '{"name":"Cabinet Secret","owner":{"email":"owner@secret.example","name":"Owen"},"billing_contacts":[{"email":"bill@secret.example","name":"Billie"}]}'
ACC=$(jqr .id); OINV=$(jqr .owner_invitation.token); BINV=$(jqr '.billing_invitations[0].token')
keep "$OINV" "owner invitation"; keep "$BINV" "billing invitation"
OPW="lanterne vitrail ogive 1163"; BPW="registre grand livre 1494"
keep "$OPW" "owner password"; keep "$BPW" "billing password"
accept "$OINV" "$OPW"
accept "$BINV" "$BPW"
OWNER=$(login owner@secret.example "$OPW"); keep "$OWNER" "owner session"

req POST "/v1/accounts/$ACC/api-keys" "$OWNER" '{"name":"scan","permissions":["users.manage"]}'
expect_status 201 "API key"
KEY=$(jqr .secret); keep "$KEY" "API key"
req GET "/v1/accounts/$ACC/users" "$KEY"
expect_status 200 "the API key works"

# A second factor: seed, first code, recovery codes (one used to log in).
req POST /v1/me/mfa/totp "$OWNER"
expect_status 201 "TOTP enrolment"
SEED=$(jqr .secret); keep "$SEED" "TOTP seed"
req POST /v1/me/mfa/totp/confirm "$OWNER" "{\"code\":\"$(oathtool --totp -b "$SEED" -N "@$(clock_seconds)")\"}"
expect_status 200 "TOTP confirmed"
for i in $(seq 0 9); do keep "$(jqr ".recovery_codes[$i]")" "recovery code $i"; done
RC=$(jqr '.recovery_codes[0]')
req POST /v1/sessions "" "{\"email\":\"owner@secret.example\",\"password\":\"$OPW\",\"recovery_code\":\"$RC\"}"
expect_status 201 "login with a recovery code"
keep "$(jqr .token)" "session after MFA"

# A password reset issued by an operator's command, then used.
RTOK=$("$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS password-reset --email bill@secret.example | grep '^fvr_')
keep "$RTOK" "reset token"
NPW="colophon incunable 1501"; keep "$NPW" "new password"
req POST /v1/password-resets/complete "" "{\"token\":\"$RTOK\",\"password\":\"$NPW\"}"
expect_status 204 "reset completed"
keep "$(login bill@secret.example "$NPW")" "billing session"

# A webhook's signing secret, and its rotation.
req POST "/v1/accounts/$ACC/webhooks" "$OWNER" '{"url":"http://127.0.0.1:9/hook","events":["fax.queued"]}'
expect_status 201 "webhook"
WH=$(jqr .id); keep "$(jqr .secret)" "webhook secret"
req POST "/v1/accounts/$ACC/webhooks/$WH/rotate-secret" "$OWNER"
[ "$STATUS" = 200 ] && keep "$(jqr .secret)" "rotated webhook secret" || fail "webhook secret rotation: $STATUS $BODY"

# A SIP trunk's digest password.
TPW="digest-Kx8q2v-mZ93"; keep "$TPW" "trunk password"
req POST /v1/provider/trunks "$OP" "{\"id\":\"carrier\",\"name\":\"Carrier\",\"peer\":\"192.0.2.10:5060\",\"username\":\"fv\",\"password\":\"$TPW\"}"
expect_status 201 "trunk with a password"
req GET /v1/provider/trunks/carrier "$OP"
expect_jq '.has_password == true' "the trunk knows it has a password"

stop_daemon || fail "daemon did not stop cleanly"

# The search: the log, and every file under the data directory, byte for
# byte (the database's WAL included). Each secret also in URL-encoded form.
found=0
for s in "${SECRETS[@]}"; do
	enc=$(jq -rn --arg s "$s" '$s | @uri')
	for v in "$s" "$enc"; do
		where=$( { grep -rlaF -- "$v" "$DATA" "$LOG" 2>/dev/null || true; } | head -n 3)
		if [ -n "$where" ]; then
			found=$((found + 1))
			fail "a secret (${#v} characters, starting ${v:0:4}) is in: $where"
		fi
	done
done
[ "$found" = 0 ] && ok || fail "$found secret(s) found"
# The search sees what is stored and logged: a person's e-mail address (not
# a secret) is in the database, a request id in the log.
grep -rqaF owner@secret.example "$DATA" && ok || fail "the search does not see the database's content"
grep -qF 'event=http.request' "$LOG" && ok || fail "the log holds no request line"
echo "searched ${#SECRETS[@]} secrets in $(find "$DATA" -type f | wc -l) files of the data directory and $(wc -l < "$LOG") log lines"
finish
