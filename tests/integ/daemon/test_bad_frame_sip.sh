#!/usr/bin/env bash
# A bad frame from the SIP front end, as the service answers it
# (docs/architecture.md, "Processes"): the real front end, made to send one
# (testing.front_bad_frames, SIGUSR2) on its channel. A fax delivered over
# the loopback trunk first; then for each kind (an empty datagram, a
# header of another IPC version, a message of a type the service does not
# take): the service logs sip.front_malformed once (pid, type, why;
# nothing else), the front end is killed (signal 9) and a successor
# started. After the first two, a one-page fax through the successor is
# delivered and received. The third is sent during a six-page call, once a
# page is confirmed: the call ends interrupted and is tried again through
# the successor from the first page not confirmed, and is delivered
# (nothing accepted lost). The receiving account holds every fax, the first
# one kept. Without ipc_recv telling an empty datagram from the end, the
# first kind is not refused (taken as the front end's close).
# shellcheck source=../api/lib.sh
. "$(dirname "$0")/../api/lib.sh"
# shellcheck source=../faxsvc/lib_fax.sh
. "$(dirname "$0")/../faxsvc/lib_fax.sh"
# shellcheck source=lib_bad_frame.sh
. "$(dirname "$0")/lib_bad_frame.sh"

fax_setup --set testing.front_bad_frames=1
make_pdf "$TMP/one.pdf" 1
make_pdf "$TMP/six.pdf" 6
delivered() { # delivered PAGES DESCRIPTION: the fax FAX
	wait_fax "$USER_A" "$FAX"
	expect_jq ".status == \"delivered\" and .pages_confirmed == $1" "$2"
}

send_fax "$USER_A" "$NUM_B" "$TMP/one.pdf"
expect_status 202 "a fax accepted"
FIRST=$FAX
delivered 1 "a fax before"
for kind in 0 1; do
	bad_frame sip fv-sip "$kind" || continue
	send_fax "$USER_A" "$NUM_B" "$TMP/one.pdf"
	expect_status 202 "kind $kind: a fax accepted"
	delivered 1 "kind $kind: a fax through the successor"
done

# During a call, once a page is confirmed.
send_fax "$USER_A" "$NUM_B" "$TMP/six.pdf"
expect_status 202 "a six-page fax accepted"
CALL=$FAX
page_confirmed() { req GET "/v1/faxes/$CALL" "$USER_A"; [ "$(jqr .pages_confirmed)" -ge 1 ] 2>/dev/null; }
poll_until 300 page_confirmed && ok || fail "no page of the six confirmed: ${BODY:0:300}"
if bad_frame sip fv-sip 2; then
	delivered 6 "the call cut by the refusal, delivered through the successor"
	expect_jq '.attempts[0].result == "interrupted" and .attempts[-1].result == "ok"' "the cut attempt recorded as interrupted"
	expect_jq '.attempts[1].first_page == .attempts[0].pages_confirmed + 1' "the retry sent only the pages not confirmed"
fi
wait_inbound "$USER_B" 4
req GET "/v1/faxes/$FIRST" "$USER_A"
expect_jq '.status == "delivered"' "the first fax kept"
[ "$(grep -c 'event=sip.front_malformed' "$LOG")" = 3 ] && ok ||
	fail "refusals: $(grep sip.front_malformed "$LOG")"
finish
