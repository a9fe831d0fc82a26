#!/usr/bin/env bash
# Fax to e-mail through a real Postfix: a fax received on a number routed to
# a member reaches that member's mailbox with the fax attached as a PDF (the
# read audited as fax.document.mailed by system:mail); with the account's
# security setting received_fax_mail = link the mail carries no content and
# asks them to sign in; with none no mail is queued; a bad value is refused.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/../faxsvc/lib_fax.sh"
. "$(dirname "$0")/postfix.sh"
HERE=$(dirname "$0")
trap 'postfix_stop; cleanup' EXIT

postfix_start
fax_setup --set mail.relay="smtp://127.0.0.1:$PF_PORT" --set mail.from=noreply@fax.example.net \
	--set mail.web_url=https://fax.example.net
make_pdf "$TMP/one.pdf" 1
fax_mails() { grep -c 'event=mail.queued .*kind=fax_received' "$LOG"; }

# --- attachment (the default)
req GET "/v1/accounts/$ACC_B/security" "$ADMIN_B"
expect_jq '.received_fax_mail == "attachment"' "the PDF is attached by default"
send_fax "$USER_A" "$NUM_B" "$TMP/one.pdf"
wait_fax "$USER_A" "$FAX"
wait_inbound "$USER_B" 1
RX=$(jqr '.items[0].id')
if poll_until 120 mail_naming "$RX"; then ok; else fail "no fax mail arrived"; fi
PARSED=$(python3 "$HERE/mailpart.py" "$MAIL")
check_mail ".subject == \"Fax from $NUM_A to $NUM_B\"" "subject names the sender and the number"
check_mail '.to_addr == "user@b-fax.example" and .type == "multipart/mixed" and (.parts | index("text/plain")) and (.parts | index("text/html"))' "text, HTML and an attachment"
check_mail ".attachments | length == 1 and .[0].type == \"application/pdf\" and .[0].filename == \"$RX.pdf\" and .[0].pdf and .[0].pages == 1" "the fax as a one-page PDF named after it"
check_mail ".text | contains(\"$RX\") and contains(\"https://fax.example.net\")" "the body names the fax and the portal"
req GET "/v1/accounts/$ACC_B/audit-events?action=fax.document.mailed" "$ADMIN_B"
expect_jq "[.items[] | select(.target == \"$RX\" and .actor.id == \"system:mail\" and .detail.to == \"user@b-fax.example\")] | length == 1" "the mailed document is audited"

# --- link: no content leaves by mail
req PATCH "/v1/accounts/$ACC_B/security" "$ADMIN_B" '{"received_fax_mail":"pigeon"}'
expect_status 422 "an unknown mode is refused"
req PATCH "/v1/accounts/$ACC_B/security" "$USER_B" '{"received_fax_mail":"none"}'
expect_status 403 "a user cannot change it"
req PATCH "/v1/accounts/$ACC_B/security" "$ADMIN_B" '{"received_fax_mail":"link"}'
expect_status 200 "link mode"
send_fax "$USER_A" "$NUM_B" "$TMP/one.pdf"
wait_fax "$USER_A" "$FAX"
wait_inbound "$USER_B" 2
RX2=$(jqr '.items[0].id')
if poll_until 120 mail_naming "$RX2"; then ok; else fail "no link mail arrived"; fi
PARSED=$(python3 "$HERE/mailpart.py" "$MAIL")
check_mail ".subject == \"New fax on $NUM_B\" and (.attachments | length == 0) and .type == \"multipart/alternative\"" "a notice without the fax"
check_mail ".text | contains(\"sign in\") and contains(\"$RX2\")" "it asks to sign in and names the fax"

# --- none: nothing is queued
req PATCH "/v1/accounts/$ACC_B/security" "$ADMIN_B" '{"received_fax_mail":"none"}'
expect_status 200 "no mail"
send_fax "$USER_A" "$NUM_B" "$TMP/one.pdf"
wait_fax "$USER_A" "$FAX"
wait_inbound "$USER_B" 3
[ "$(fax_mails)" = 2 ] && ok || fail "a mail was queued with received_fax_mail = none: $(fax_mails)"

stop_daemon || fail "daemon did not stop cleanly"
finish
