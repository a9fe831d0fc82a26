#!/usr/bin/env bash
# Bounces read back (issue 13, "DSN-aware bounces recorded on the
# recipient"), through a real Postfix: every outbox message leaves with the
# envelope sender bounce+ID@<mail.domain> (VERP); an invitation to an
# address Postfix cannot deliver (a local user that does not exist, 5.1.1) comes back as
# Postfix's own DSN, which Postfix relays for the fax domain to faxvault's
# SMTP listener. The outbox row records the failure (action, status, time),
# the invited person is marked (mail_bounced_at in the API), the bounce is
# audited (mail.bounced by system:mail) and counted in /metrics; a delivered
# mail's person is not marked. Then straight to the listener with swaks: a
# delayed (4.4.1) DSN for a delivered message is recorded on its row and
# marks nobody; a forged DSN for an unknown id, and a mail that is not a
# DSN, get the same 250 and change nothing, each counted (and none as a
# fax-by-email mail).
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/postfix.sh"
HERE=$(dirname "$0")
trap 'postfix_stop; cleanup' EXIT
command -v swaks >/dev/null || { echo "SKIP: swaks is not installed"; exit 77; }

FV_SMTP=$(free_port)
PF_RELAY_DOMAIN=fax.example.net PF_RELAY_TO="127.0.0.1:$FV_SMTP" PF_ERROR_DOMAIN=undeliverable.example
postfix_start
start_daemon --set mail.relay="smtp://127.0.0.1:$PF_PORT" --set mail.from=noreply@fax.example.net \
	--set mail.web_url=https://fax.example.net --set mail.domain=fax.example.net \
	--set mail.smtp_listen="127.0.0.1:$FV_SMTP" --set metrics.listen=127.0.0.1:0
listening() { grep -q "event=smtp.listening .*port=$FV_SMTP" "$LOG"; }
poll_until 120 listening && ok || fail "the SMTP listener did not start"
OP=$(operator_token)
metric() { curl -s "http://127.0.0.1:$(metrics_port)/metrics" | grep -F "faxvault_mail_bounces_total{outcome=\"$1\"}" | awk '{print $2}'; }

# --- a delivered invitation: its envelope sender names the message ---
req POST /v1/accounts "$OP" '{"name":"Bounce SA","owner":{"email":"owner@example.com","name":"Owner"}}'
expect_status 201 "create account"
ACC=$(jqr .id)
accept "$(jqr .owner_invitation.token)" "plume encre buvard 1789"
OWNER=$(login owner@example.com "plume encre buvard 1789")
if poll_until 120 mail_to owner@example.com 1; then ok; else fail "the owner's invitation did not arrive"; fi
OWNER_MAIL=$(db_query "SELECT id FROM mail_outbox WHERE to_addr='owner@example.com' AND kind='invitation'")
grep -qi "^Return-Path: <bounce+$OWNER_MAIL@fax.example.net>" "$MAIL" && ok ||
	fail "the envelope sender is not bounce+$OWNER_MAIL@fax.example.net: $(grep -i '^Return-Path' "$MAIL")"
grep -qi '^From: .*noreply@fax.example.net' "$MAIL" && ok || fail "From: is not mail.from"

# --- an invitation to an address Postfix bounces: Postfix's DSN comes back ---
req POST "/v1/accounts/$ACC/users" "$OWNER" '{"email":"nosuchuser@undeliverable.example","name":"Nobody","role":"user"}'
expect_status 201 "invite an undeliverable address"
NOBODY=$(jqr .id)
bounced() { [ "$(db_query "SELECT bounce_action || ' ' || bounce_status FROM mail_outbox WHERE to_addr='nosuchuser@undeliverable.example'")" = "failed 5.1.1" ]; }
if poll_until 180 bounced; then ok; else
	fail "the bounce was not recorded: $(db_query "SELECT status, last_reply, bounce_action, bounce_status FROM mail_outbox") $(tail -n 20 "$PF_DIR/maillog")"; fi
db_query "SELECT status, CASE WHEN bounced_at > 0 AND length(bounce_diagnostic) > 0 THEN 1 ELSE 0 END FROM mail_outbox WHERE to_addr='nosuchuser@undeliverable.example'" |
	grep -qx 'sent|1' && ok || fail "the row keeps status sent with the bounce's time and diagnostic"
grep -q "from=<bounce+.*@fax.example.net>" "$PF_DIR/maillog" && ok || fail "Postfix saw no VERP sender"
req GET "/v1/accounts/$ACC/users" "$OWNER"
expect_status 200 "list users"
expect_jq ".items[] | select(.id == \"$NOBODY\") | (.mail_bounced_at | type == \"string\") and .mail_bounce_status == \"5.1.1\"" "the person is marked in the API"
expect_jq '[.items[] | select(.email == "owner@example.com") | has("mail_bounced_at")] == [false]' "the owner (delivered) is not marked"
req GET "/v1/accounts/$ACC/audit-events?action=mail.bounced" "$OWNER"
expect_jq "[.items[] | select(.actor.id == \"system:mail\" and .detail.person == \"$NOBODY\" and .detail.person_marked == true and .detail.status == \"5.1.1\")] | length == 1" "the bounce is audited by system:mail"
[ "$(metric failed)" = 1 ] && ok || fail "bounces failed metric: $(metric failed)"

# --- straight to the listener: a delay, a forged DSN, a mail that is not one ---
# dsn FILE ID ACTION STATUS: a DSN as Postfix writes it.
dsn() {
	printf 'From: MAILER-DAEMON@mx.example (Mail Delivery System)\r\nTo: bounce+%s@fax.example.net\r\nSubject: Delayed Mail\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="B1"\r\n\r\n--B1\r\nContent-Type: text/plain\r\n\r\nNot yet.\r\n\r\n--B1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; owner@example.com\r\nAction: %s\r\nStatus: %s\r\nDiagnostic-Code: smtp; 451 try later\r\n\r\n--B1--\r\n' "$2" "$3" "$4" > "$1"
}
swaks_fv() { SW=$(swaks --server 127.0.0.1 --port "$FV_SMTP" --timeout 120 "$@" 2>&1); }
last_reply() { printf '%s\n' "$SW" | grep -E '^<[-~*]{1,2} +[0-9]{3}' | grep -v ' 221 ' | tail -n 1; }
dsn "$TMP/delay.eml" "$OWNER_MAIL" delayed 4.4.1
swaks_fv --from postmaster@mx.example --to "bounce+$OWNER_MAIL@fax.example.net" --data @"$TMP/delay.eml"
last_reply | grep -q ' 250 ' && ok || fail "a delay DSN: $(last_reply)"
[ "$(db_query "SELECT bounce_action || ' ' || bounce_status FROM mail_outbox WHERE id='$OWNER_MAIL'")" = "delayed 4.4.1" ] && ok ||
	fail "the delay is not recorded on the row"
FORGED=mail_unknownunknownunkn
dsn "$TMP/forged.eml" "$FORGED" failed 5.1.1
swaks_fv --from postmaster@mx.example --to "bounce+$FORGED@fax.example.net" --data @"$TMP/forged.eml"
last_reply | grep -q ' 250 ' && ok || fail "a forged DSN for an unknown id gets the same 250: $(last_reply)"
swaks_fv --from someone@mx.example --to "bounce+$OWNER_MAIL@fax.example.net" --body "I am on holiday."
last_reply | grep -q ' 250 ' && ok || fail "a mail that is not a DSN: $(last_reply)"
# A bounce address takes a mail of its own (no fax number beside it).
swaks_fv --from postmaster@mx.example --to "bounce+$OWNER_MAIL@fax.example.net,+15555550100@fax.example.net" --quit-after RCPT
printf '%s\n' "$SW" | grep -q '452 4.5.3' && ok || fail "a fax number beside a bounce address is not refused"
req GET "/v1/accounts/$ACC/users" "$OWNER"
expect_jq '[.items[] | select(has("mail_bounced_at"))] | length == 1' "only the hard bounce marks a person"
req GET "/v1/accounts/$ACC/audit-events?action=mail.bounced" "$OWNER"
expect_jq '.items | length == 2' "the failure and the delay are audited, nothing for the forged DSN"
[ "$(db_query "SELECT count(*) FROM mail_outbox WHERE bounce_action IS NOT NULL")" = 2 ] && ok ||
	fail "a row other than the two was changed"
# Bounces are not fax-by-email mails: that counter stays at zero.
curl -s "http://127.0.0.1:$(metrics_port)/metrics" | grep -qxF 'faxvault_smtp_mails_total{outcome="accepted"} 0' && ok ||
	fail "bounces were counted as fax-by-email mails"
for want in "failed 1" "delayed 1" "unknown 1" "ignored 1"; do
	[ "$(metric "${want% *}")" = "${want#* }" ] && ok || fail "bounces ${want% *}: $(metric "${want% *}") (want ${want#* })"
done
finish
