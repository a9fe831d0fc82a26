#!/usr/bin/env bash
# A mail accepted once makes one fax, even when its sender hands it over
# again (docs/fax-by-email.md, "Accepted once"): the SMTP front end is
# killed after the service accepted a mail and before the front end could
# give the reply (testing.smtp_verdict_delay_ms holds the verdict), so the
# sender sees the connection dropped and, as an MTA does, sends the same
# bytes again. The second delivery is answered "250 Queued as" the same fax,
# no second fax is made, and the account's audit says so
# (fax_by_email.duplicate by system:smtp). Another mail with other bytes is
# a new fax.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/../faxsvc/lib_fax.sh"
. "$(dirname "$0")/smtp_lib.sh"
trap cleanup EXIT
CLIENT="python3 $(dirname "$0")/smtp_client.py"

FV_SMTP=$(free_port)
fax_setup --set mail.domain=fax.example.net --set mail.smtp_listen="127.0.0.1:$FV_SMTP" \
	--set testing.smtp_verdict_delay_ms=20000
grep -q "event=smtp.listening .*port=$FV_SMTP" "$LOG" && ok || fail "the SMTP front end did not start"
req PUT "/v1/accounts/$ACC_A/fax-by-email" "$ADMIN_A" '{"enabled":true,"allowed_senders":["@a-fax.example"],"allowed_servers":["127.0.0.0/8"]}'
expect_status 200 "A enables fax by e-mail"
make_pdf "$TMP/one.pdf" 1
USER_MAIL=user@a-fax.example
TO="$NUM_B@fax.example.net"
S=$(child_pid fv-smtp)
[ -n "$S" ] && ok || fail "no SMTP front end under the daemon"

# ---- accepted by the service, the front end killed before it answers ----
SMTP_CLIENT_RAW="$TMP/mail.eml" $CLIENT "$FV_SMTP" "$USER_MAIL" "$TO" "$TMP/one.pdf" >"$TMP/first.txt" &
CL=$!
faxed() { grep -q "event=smtp.faxed .*faxes=1 first=" "$LOG"; }
poll_until 300 faxed && ok || fail "the service did not accept the mail"
FIRST=$(sed -n 's/.*event=smtp.faxed .*first=\([^ ]*\).*/\1/p' "$LOG" | head -n 1)
kill -9 "$S"
wait "$CL"
[ "$(cat "$TMP/first.txt")" = closed ] && ok || fail "the sender saw a reply: $(cat "$TMP/first.txt")"
[ "$(outbound_a)" = 1 ] && ok || fail "faxes after the first delivery: $(jqr '[.items[].id]')"
new_front() { S2=$(child_pid fv-smtp); [ -n "$S2" ] && [ "$S2" != "$S" ]; }
poll_until 300 new_front && ok || fail "the SMTP front end was not started again"

# ---- the same bytes again: the same fax, no second one ----
again() { SMTP_CLIENT_RAW="$TMP/mail.eml" $CLIENT "$FV_SMTP" "$USER_MAIL" "$TO" "$TMP/one.pdf" >"$TMP/again.txt"; [ "$(cut -c1-3 "$TMP/again.txt")" = 250 ]; }
poll_until 300 again && ok || fail "the second delivery was not accepted: $(cat "$TMP/again.txt")"
[ "$(cat "$TMP/again.txt")" = "250 2.0.0 Queued as $FIRST" ] && ok || fail "the second delivery's reply: $(cat "$TMP/again.txt") (first fax $FIRST)"
[ "$(outbound_a)" = 1 ] && ok || fail "a second fax was made: $(jqr '[.items[].id]')"
grep -q "event=smtp.duplicate .*fax=$FIRST" "$LOG" && ok || fail "the duplicate is not logged"
req GET "/v1/accounts/$ACC_A/audit-events?action=fax_by_email.duplicate" "$ADMIN_A"
expect_jq "[.items[] | select(.target == \"$FIRST\" and .actor.id == \"system:smtp\")] | length >= 1" \
	"the duplicate is in the account's audit, by system:smtp, on the fax"
req GET "/v1/accounts/$ACC_A/audit-events?action=fax_by_email.accepted" "$ADMIN_A"
expect_jq '.items | length == 1' "one acceptance audited"

# ---- other bytes: a new fax ----
$CLIENT "$FV_SMTP" "$USER_MAIL" "$TO" "$TMP/one.pdf" >"$TMP/other.txt"
case "$(cat "$TMP/other.txt")" in "250 2.0.0 Queued as "*) ok ;; *) fail "another mail: $(cat "$TMP/other.txt")" ;; esac
[ "$(cat "$TMP/other.txt")" != "250 2.0.0 Queued as $FIRST" ] && ok || fail "another mail was taken for the first"
[ "$(outbound_a)" = 2 ] && ok || fail "faxes after another mail: $(jqr '[.items[].id]')"
req GET "/v1/faxes/$FIRST" "$ADMIN_A"
expect_status 200 "the first fax is kept"
finish
