#!/usr/bin/env bash
# Fax by e-mail's per-sender limit (mail.sender_max_per_hour, issue 13,
# C10): with a limit of 3, a member's fourth and fifth mails in the hour are
# answered 450 4.7.1 (try later) and not faxed, a stranger over the limit
# gets the same reply, the refusal is audited once on the member's account
# for the window, /metrics counts them, and the faxes accepted before are
# all delivered. The count is kept in the database: a new SMTP front end
# (the old one killed) and a restarted daemon still refuse the member. An
# hour later (the daemon's test clock) the member's mail is taken again.
# Straight to the listener with swaks, from loopback.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/../faxsvc/lib_fax.sh"
. "$(dirname "$0")/smtp_lib.sh"
# The limit's windows are clock hours: the clock starts a minute past the
# next hour, so that the mails counted in one window stay in it (run across
# an hour's end, the fourth mail was taken).
clock_start_hour
command -v swaks >/dev/null || { echo "SKIP: swaks is not installed"; exit 77; }

FV_SMTP=$(free_port)
FLAGS=(--set mail.domain=fax.example.net --set mail.smtp_listen="127.0.0.1:$FV_SMTP"
	--set mail.sender_max_per_hour=3 --set metrics.listen=127.0.0.1:0)
fax_setup "${FLAGS[@]}"
grep -q "event=smtp.listening .*port=$FV_SMTP" "$LOG" && ok || fail "the SMTP listener did not start"
TO="$NUM_B@fax.example.net"
send() { # send FROM: a text mail to B's number; the conversation in SW
	SW=$(swaks --server 127.0.0.1 --port "$FV_SMTP" --timeout 120 --from "$1" --to " $TO" \
		--header "From: $1" --header "Subject: limit" --body "Please fax this." 2>&1)
}
limited() {
	req GET "/v1/accounts/$ACC_A/audit-events?action=fax_by_email.refused" "$OWNER_A"
	jqr '[.items[] | select(.detail.reason == "sender_rate_limited" and .actor.id == "system:smtp")] | length'
}
req PUT "/v1/accounts/$ACC_A/fax-by-email" "$ADMIN_A" '{"enabled":true}'
expect_status 200 "A enables fax by e-mail"

for i in 1 2 3; do
	send user@a-fax.example
	expect_reply '250 2.0.0' "mail $i of 3 in the hour"
done
send user@a-fax.example
expect_reply '450 4.7.1' "the fourth mail in the hour"
THIRD=$(printf '%s\n' "$SW" | grep ' 450 ' | sed 's/^<[-~*]* *//')
send User@A-Fax.example
expect_reply '450 4.7.1' "the fifth, the address in other case"
[ "$(outbound_a)" = 3 ] && ok || fail "mails over the limit were faxed: $(outbound_a)"
[ "$(limited)" = 1 ] && ok || fail "the limit is not audited once per window: $BODY"
send admin@a-fax.example
expect_reply '250 2.0.0' "another sender of the account has a count of its own"
for i in 1 2 3; do send stranger@elsewhere.example; done
expect_reply '550 5.7.1' "a stranger within the limit is refused as a stranger"
send stranger@elsewhere.example
expect_reply '450 4.7.1' "a stranger over the limit gets the member's reply"
[ "$(printf '%s\n' "$SW" | grep ' 450 ' | sed 's/^<[-~*]* *//')" = "$THIRD" ] && ok || fail "the replies over the limit differ"
MET=$(curl -s "http://127.0.0.1:$(metrics_port)/metrics")
[ "$(awk '$1 == "faxvault_smtp_sender_limited_total" {print $2}' <<<"$MET")" = 3 ] && ok || fail "metrics: $(grep limited <<<"$MET")"

# Nothing accepted before the refusals is lost: the four faxes go out.
req GET "/v1/faxes?direction=outbound" "$ADMIN_A"
for id in $(jqr '.items[].id'); do
	wait_fax "$ADMIN_A" "$id" && [ "$(jqr .status)" = delivered ] && ok ||
		fail "fax $id accepted before the refusals: $(jqr '.status + " " + (.failure_reason // "")')"
done

# The count is the service's, in the database: a new SMTP front end (its
# predecessor killed) and a restarted daemon still refuse the member.
S=$(child_pid fv-smtp)
[ -n "$S" ] && kill -9 "$S"
new_front() { S2=$(child_pid fv-smtp); [ -n "$S2" ] && [ "$S2" != "$S" ]; }
poll_until 300 new_front && ok || fail "the SMTP front end was not started again"
send user@a-fax.example
expect_reply '450 4.7.1' "over the limit through a new SMTP front end"
stop_daemon || fail "daemon did not stop cleanly"
launch_daemon --set testing.media_clock_speed="$FAX_SPEED" --set fax.poll_ms=100 \
	--set fax.trunk_keepalive_seconds=0 "${FLAGS[@]}"
send user@a-fax.example
expect_reply '450 4.7.1' "over the limit after a restart of the daemon"
[ "$(outbound_a)" = 4 ] && ok || fail "mails over the limit were faxed: $(outbound_a)"
[ "$(limited)" = 1 ] && ok || fail "the limit is audited again after the restart: $BODY"

# An hour later on the daemon's clock (read when a request arrives; in
# steps, as sessions expire after 30 idle minutes).
for i in 1 2 3; do
	advance_clock 25
	req GET /v1/me "$ADMIN_A"
	req GET /v1/me "$OWNER_A"
done
send user@a-fax.example
expect_reply '250 2.0.0' "the next hour, the member's mail is taken again"
[ "$(outbound_a)" = 5 ] && ok || fail "the next hour's mail was not faxed: $(outbound_a)"
[ "$(limited)" = 1 ] && ok || fail "a refusal was audited in the next hour: $BODY"

stop_daemon || fail "daemon did not stop cleanly"
finish
