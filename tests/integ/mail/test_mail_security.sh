#!/usr/bin/env bash
# Account notices by mail through a real Postfix (issue 13): a second
# factor set up and removed, a port request's changes, a sign-in from a new
# address, a lockout after failed sign-ins, new terms to accept and the
# contacts review falling due, each mailed in the person's language (French or English)
# with what changed, queued in the transaction of the change (a lockout's
# with the failed sign-in's writes), once per lockout.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/postfix.sh"
trap 'postfix_stop; cleanup' EXIT
command -v oathtool >/dev/null || { echo "SKIP: oathtool is not installed"; exit 77; }

postfix_start
start_daemon --set mail.relay="smtp://127.0.0.1:$PF_PORT" --set mail.from=noreply@fax.example.net \
	--set mail.web_url=https://fax.example.net --set auth.lockout_threshold=3 \
	--set retention.sweep_minutes=1
OP=$(operator_token)
PW="plume encre buvard 1789"
new_account "$OP" "Secu SA" owner@secu.example "$PW"
req PATCH /v1/me "$NEW_OWNER" '{"lang":"fr"}'
expect_status 200 "the owner reads French"


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

# --- a port request's changes: mailed to the owner in English, then French
printf '%%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%%%EOF\n' > "$TMP/loa.pdf"
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -H "Authorization: Bearer $NEW_OWNER" \
	-F 'numbers=+33400000001' -F 'losing_carrier=Vieux Télécom' -F "loa=@$TMP/loa.pdf;type=application/pdf" \
	"$BASE/v1/accounts/$NEW_ACC/port-requests")
BODY=$(cat "$TMP/body")
expect_status 201 "the owner asks to port a number in"
POR=$(jqr .id)
if poll_until 120 with_subject owner@secu.example "Port request $POR: submitted" 1; then ok; else fail "no mail of the port request submitted"; fi
check_mail '.text | contains("+33400000001") and contains("Vieux Télécom") and contains("now submitted")' "it names the numbers, the carrier and the status"
req PATCH /v1/me "$NEW_OWNER" '{"lang":"fr"}'
req POST "/v1/provider/port-requests/$POR/status" "$OP" '{"status":"in_progress"}'
expect_status 200 "the operator takes the request"
req POST "/v1/provider/port-requests/$POR/status" "$OP" '{"status":"rejected","reason":"numéro inconnu chez l opérateur"}'
expect_status 200 "the operator rejects it"
if poll_until 120 with_subject owner@secu.example "Demande de portabilité $POR : refusée" 1; then ok; else fail "no French mail of the rejection"; fi
check_mail '.lang == "fr" and (.text | contains("désormais refusée") and contains("numéro inconnu chez l opérateur"))' "in French, with the operator's reason"
with_subject owner@secu.example "Demande de portabilité $POR : en cours" 1 && ok || fail "no mail of the request in progress"
req PATCH /v1/me "$NEW_OWNER" '{"lang":"en"}'

# --- a sign-in from a new address (127.0.0.2): mailed once; the first
# sign-in and those from the known address are not
req POST /v1/sessions "" "{\"email\":\"owner@secu.example\",\"password\":\"$PW\"}"
expect_status 201 "a sign-in from the known address"
req POST /v1/sessions "" "{\"email\":\"owner@secu.example\",\"password\":\"$PW\"}" --interface 127.0.0.2
expect_status 201 "a sign-in from a new address"
S_NEW="New sign-in to your faxvault account from 127.0.0.2"
if poll_until 120 with_subject owner@secu.example "$S_NEW" 1; then ok; else fail "no mail of the sign-in from a new address"; fi
check_mail '.text | contains("from the address 127.0.0.2") and contains("(UTC)")' "it names the address and the time"
req POST /v1/sessions "" "{\"email\":\"owner@secu.example\",\"password\":\"$PW\"}" --interface 127.0.0.2
expect_status 201 "again from that address"
[ "$(grep -c 'event=mail.queued .*kind=signin_new_address' "$LOG")" = 1 ] && ok || fail "new-address mails queued: $(grep -c 'event=mail.queued .*kind=signin_new_address' "$LOG"), want 1 (none for the first sign-in, the known address or the second time)"

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

# --- new terms to accept: every active member is mailed (the operator not)
req POST /v1/provider/terms "$OP" '{"version":"2026-12","text_en":"Section 1: be kind.","text_fr":"Article 1 : soyez aimables."}'
expect_status 201 "the operator publishes new terms"
S_TERMS="New terms of service to accept (2026-12)"
if poll_until 120 with_subject owner@secu.example "$S_TERMS" 1; then ok; else fail "no mail of the new terms"; fi
check_mail '.text | contains("version 2026-12") and contains("https://fax.example.net")' "it names the version and where to accept them"
[ "$(grep -c 'event=mail.queued .*kind=terms ' "$LOG")" = 1 ] && ok || fail "terms mails queued: $(grep -c 'event=mail.queued .*kind=terms ' "$LOG"), want 1 (the one member; no operator)"

# --- the contacts review falls due (12 months after the account's creation
# on the daemon's clock): the owner is mailed once, audited by system:mail
advance_clock $((361 * 24 * 60))
req GET /v1/me "$NEW_OWNER"
S_REV="Review the contacts of Secu SA"
if poll_until 120 with_subject owner@secu.example "$S_REV" 1; then ok; else fail "no mail of the contacts review due"; fi
check_mail '.text | contains("were due for review on") and contains("https://fax.example.net")' "it says the review is due and where"
[ "$(grep -c 'event=mail.queued .*kind=contacts_review' "$LOG")" = 1 ] && ok || fail "contacts review mails queued: $(grep -c 'event=mail.queued .*kind=contacts_review' "$LOG"), want 1"
stop_daemon || fail "daemon did not stop cleanly"
finish
