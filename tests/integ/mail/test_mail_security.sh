#!/usr/bin/env bash
# Security notices by mail through a real Postfix (issue 13): a second
# factor set up and removed, and a lockout after failed sign-ins, each
# mailed to the person in their language (French here, then English) with
# the time and the address it came from, queued in the transaction of the
# change (a lockout's with the failed sign-in's writes), once per lockout.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/postfix.sh"
HERE=$(dirname "$0")
trap 'postfix_stop; cleanup' EXIT
command -v oathtool >/dev/null || { echo "SKIP: oathtool is not installed"; exit 77; }

postfix_start
start_daemon --set mail.relay="smtp://127.0.0.1:$PF_PORT" --set mail.from=noreply@fax.example.net \
	--set mail.web_url=https://fax.example.net --set auth.lockout_threshold=3
OP=$(operator_token)
PW="plume encre buvard 1789"
new_account "$OP" "Secu SA" owner@secu.example "$PW"
req PATCH /v1/me "$NEW_OWNER" '{"lang":"fr"}'
expect_status 200 "the owner reads French"

# with_subject ADDRESS SUBJECT N: N mails to ADDRESS with that decoded
# subject have arrived; the last one parsed in PARSED.
with_subject() {
	local f p n=0
	for f in "$PF_MAILDIR"/new/* "$PF_MAILDIR"/cur/*; do
		[ -f "$f" ] || continue
		p=$(python3 "$HERE/mailpart.py" "$f") || continue
		if printf '%s' "$p" | jq -e --arg a "$1" --arg s "$2" '.to_addr == $a and .subject == $s' >/dev/null; then
			n=$((n + 1))
			PARSED=$p
		fi
	done
	[ "$n" -ge "$3" ]
}
check_mail() { # check_mail JQ DESCRIPTION on PARSED
	if [ "$(printf '%s' "$PARSED" | jq -r "$1" 2>/dev/null)" = "true" ]; then ok; else
		fail "$2: jq '$1' is not true on ${PARSED:0:600}"; fi
}

# --- a second factor set up: mailed in French
req POST /v1/me/mfa/totp "$NEW_OWNER"
expect_status 201 "begin enrolment"
SECRET=$(jqr .secret)
req POST /v1/me/mfa/totp/confirm "$NEW_OWNER" "{\"code\":\"$(oathtool --totp -b "$SECRET" -N "@$(clock_seconds)")\"}"
expect_status 200 "confirm the second factor"
S_ON="Un second facteur a été activé sur votre compte faxvault"
if poll_until 120 with_subject owner@secu.example "$S_ON" 1; then ok; else fail "no mail of the second factor set up"; fi
check_mail '.lang == "fr" and (.text | contains("depuis 127.0.0.1") and contains("(UTC)") and contains("https://fax.example.net")) and (.html | contains("127.0.0.1"))' "in French, with the address and the time, text and HTML"

# --- removed: mailed too (a code of a later step: the enrolment's is used)
req PATCH /v1/me "$NEW_OWNER" '{"lang":"en"}'
expect_status 200 "the owner now reads English"
advance_clock 1
req DELETE /v1/me/mfa/totp "$NEW_OWNER" "{\"code\":\"$(oathtool --totp -b "$SECRET" -N "@$(clock_seconds)")\"}"
expect_status 204 "remove the second factor"
S_OFF="The second factor of your faxvault account was removed"
if poll_until 120 with_subject owner@secu.example "$S_OFF" 1; then ok; else fail "no mail of the second factor removed"; fi
check_mail '.lang == "en" and (.text | contains("was removed on") and contains("from 127.0.0.1"))' "in English, with the address"

# --- a lockout after 3 failed sign-ins: one mail, not one per refusal
for i in 1 2 3 4; do
	req POST /v1/sessions "" '{"email":"owner@secu.example","password":"wrong password 0000"}'
done
expect_status 401 "a failed sign-in"
S_LOCK="Your faxvault account is locked for 15 minutes"
if poll_until 120 with_subject owner@secu.example "$S_LOCK" 1; then ok; else fail "no lockout mail"; fi
check_mail '.text | contains("After 3 failed sign-ins") and contains("(UTC)") and contains("https://fax.example.net")' "the lockout mail says why and until when"
req GET "/v1/accounts/$NEW_ACC/audit-events?action=user.lockout" "$NEW_OWNER"
expect_jq '.items | length == 1' "one lockout audited"
[ "$(grep -c 'event=mail.queued .*kind=lockout' "$LOG")" = 1 ] && ok || fail "lockout mails queued: $(grep -c 'event=mail.queued .*kind=lockout' "$LOG"), want 1 (the fourth refusal queues none)"
# Nothing of the password or the TOTP seed in the mails.
if grep -rqF -e "$SECRET" -e "wrong password" "$PF_MAILDIR"; then fail "a secret reached a mail"; else ok; fi
stop_daemon || fail "daemon did not stop cleanly"
finish
