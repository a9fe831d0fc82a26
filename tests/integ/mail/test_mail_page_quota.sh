#!/usr/bin/env bash
# Fax by e-mail's per-sender page quota (mail.sender_max_pages_per_day,
# issue 13, C10): with a quota of 3 pages, a member's one-page text mails
# are faxed until their rendered faxes carry 3 pages that UTC day; the next
# mail is refused with 552 5.2.2 saying why in English and French (ASCII),
# not faxed, audited on the account (sender_page_quota) and counted in
# /metrics; another member of the account has a quota of its own; a
# stranger is still answered as a stranger; the next day on the daemon's
# test clock the member's mail is taken again. Straight to the listener
# with swaks, from loopback.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/../faxsvc/lib_fax.sh"
. "$(dirname "$0")/smtp_lib.sh"
# The quota's windows are UTC days: the clock starts after the next
# midnight, so that the day's pages stay in one day (run across a midnight,
# the mail after 3 pages was taken).
clock_start_day
command -v swaks >/dev/null || { echo "SKIP: swaks is not installed"; exit 77; }

FV_SMTP=$(free_port)
fax_setup --set mail.domain=fax.example.net --set mail.smtp_listen="127.0.0.1:$FV_SMTP" \
	--set mail.sender_max_pages_per_day=3 --set mail.sender_max_per_hour=0 \
	--set metrics.listen=127.0.0.1:0
grep -q "event=smtp.listening .*port=$FV_SMTP" "$LOG" && ok || fail "the SMTP listener did not start"
TO="$NUM_B@fax.example.net"
send() { # send FROM: a one-page text mail to B's number; the conversation in SW
	SW=$(swaks --server 127.0.0.1 --port "$FV_SMTP" --timeout 120 --from "$1" --to " $TO" \
		--header "From: $1" --header "Subject: quota" --body "Please fax this page." 2>&1)
}
quota_refusals() {
	req GET "/v1/accounts/$ACC_A/audit-events?action=fax_by_email.refused" "$OWNER_A"
	jqr '[.items[] | select(.detail.reason == "sender_page_quota" and .actor.id == "system:smtp" and .outcome == "failure")] | length'
}
# rendered N: A has N outbound faxes, all rendered (their pages known).
rendered() {
	req GET "/v1/faxes?direction=outbound" "$ADMIN_A"
	[ "$(jqr "[.items[] | select(.page_count > 0 and .status != \"rendering\")] | length")" = "$1" ]
}
req PUT "/v1/accounts/$ACC_A/fax-by-email" "$ADMIN_A" '{"enabled":true}'
expect_status 200 "A enables fax by e-mail"

for i in 1 2 3; do
	send user@a-fax.example
	expect_reply '250 2.0.0' "one-page mail $i of the 3 pages of the day"
	if poll_until 120 rendered "$i"; then ok; else fail "fax $i was not rendered: $BODY"; fi
done
req GET "/v1/faxes?direction=outbound" "$ADMIN_A"
expect_jq '[.items[].page_count] == [1, 1, 1]' "each text mail is one page"
send user@a-fax.example
expect_reply '552 5.2.2' "the mail after 3 pages in the day"
R=$(printf '%s\n' "$SW" | grep ' 552 ')
printf '%s' "$R" | grep -q "this sender has had 3 pages faxed by e-mail today, the most allowed is 3: send again tomorrow / cet expediteur a deja fait faxer 3 pages par e-mail aujourd'hui, le maximum autorise est 3 : envoyez de nouveau demain" && ok || fail "the refusal says why in English and French: $R"
[ "$(outbound_a)" = 3 ] && ok || fail "a mail over the quota was faxed: $(outbound_a)"
[ "$(quota_refusals)" = 1 ] && ok || fail "the refusal is not audited on A: $BODY"
send admin@a-fax.example
expect_reply '250 2.0.0' "another member of the account has a quota of its own"
send stranger@elsewhere.example
expect_reply '550 5.7.1' "a stranger is answered as a stranger, not with the quota"
MET=$(curl -s "http://127.0.0.1:$(metrics_port)/metrics")
[ "$(awk '$1 == "faxvault_smtp_sender_page_quota_total" {print $2}' <<<"$MET")" = 1 ] && ok || fail "metrics: $(grep quota <<<"$MET")"
# The next UTC day on the daemon's clock (read when a request arrives):
# taken again.
advance_clock 1440
req GET /v1/me "$ADMIN_A"
send user@a-fax.example
expect_reply '250 2.0.0' "the next day, the member's mail is taken again"
stop_daemon || fail "daemon did not stop cleanly"
finish
