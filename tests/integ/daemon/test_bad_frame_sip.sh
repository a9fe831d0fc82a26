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
# first kind is not refused (taken as the front end's close). Then two
# frames on a call's own socket: a call out's page report (kind 6, the
# call cut and delivered through the successor) and a call in's result
# (kind 7, the page received kept, the fax delivered), the verdict on a
# carrier INVITE's credentials (kind 8) and the answer to a request of the
# service on a socket of its own (kind 9, /metrics' loops' figures).
# shellcheck source=../api/lib.sh
. "$(dirname "$0")/../api/lib.sh"
# shellcheck source=../faxsvc/lib_fax.sh
. "$(dirname "$0")/../faxsvc/lib_fax.sh"
# shellcheck source=lib_bad_frame.sh
. "$(dirname "$0")/lib_bad_frame.sh"

fax_setup --set testing.front_bad_frames=1 --set fax.sip_listen=udp:127.0.0.1:0 \
	--set metrics.listen=127.0.0.1:0
MPORT=$(metrics_port)
CARRIER_UDP=$(sed -n 's/.*event=fax.carrier_listening sip=udp:127.0.0.1:\([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
[ -n "$CARRIER_UDP" ] && ok || fail "no carrier listener: $(grep carrier_listening "$LOG")"
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

# On a call's own socket: kind 6, armed during a six-page call once a page
# is confirmed, replaces the call's next page report (the same call cut,
# tried again through the successor from its first page not confirmed);
# kind 7, armed before a one-page call, replaces the result of the call in
# (the receiver keeps its page, sip.front_call_lost; the call out is
# delivered, through the successor if the kill cut it first).
send_fax "$USER_A" "$NUM_B" "$TMP/six.pdf"
expect_status 202 "kind 6: a six-page fax accepted"
CALL=$FAX
poll_until 300 page_confirmed && ok || fail "kind 6: no page of the six confirmed: ${BODY:0:300}"
if bad_frame sip fv-sip 6; then
	grep -q "event=sip.test_bad_frame pid=[0-9]* kind=page on=call_out" "$LOG" && ok ||
		fail "kind 6 not sent on the call's socket: $(grep sip.test_bad_frame "$LOG" | tail -n 2)"
	delivered 6 "kind 6: the call cut by the refusal, delivered through the successor"
	expect_jq '.attempts[0].result == "interrupted" and .attempts[-1].result == "ok"' "kind 6: the cut attempt recorded as interrupted"
	expect_jq '.attempts[1].first_page == .attempts[0].pages_confirmed + 1' "kind 6: the retry sent only the pages not confirmed"
fi
wait_inbound "$USER_B" 6
lost_before=$(grep -c "event=sip.front_call_lost to=$NUM_B " "$LOG")
# armed: the call that carries it
call_in() {
	send_fax "$USER_A" "$NUM_B" "$TMP/one.pdf"
	expect_status 202 "kind 7: a fax accepted"
}
BAD_FRAME_SENT=call_in
bad_frame sip fv-sip 7
BAD_FRAME_SENT=
grep -q "event=sip.test_bad_frame pid=[0-9]* kind=result on=call_in" "$LOG" && ok ||
	fail "kind 7 not sent on the call's socket: $(grep sip.test_bad_frame "$LOG" | tail -n 2)"
delivered 1 "kind 7: the fax delivered"
[ "$(grep -c "event=sip.front_call_lost to=$NUM_B " "$LOG")" -gt "$lost_before" ] && ok ||
	fail "kind 7: the call in without its result not recorded as cut: $(grep sip.front_call_lost "$LOG" | tail -n 2)"
wait_inbound "$USER_B" 7

# own_socket KIND HOOK ON: kind KIND armed, HOOK making the request that
# carries it, the frame logged as sent on ON (an ERE); then a fax through
# the successor.
own_socket() {
	BAD_FRAME_SENT=$2
	if bad_frame sip fv-sip "$1"; then
		grep -qE "event=sip\.test_bad_frame pid=[0-9]+ kind=[a-z]+ on=($3)\$" "$LOG" && ok ||
			fail "kind $1 not sent on its socket: $(grep sip.test_bad_frame "$LOG" | tail -n 2)"
		send_fax "$USER_A" "$NUM_B" "$TMP/one.pdf"
		expect_status 202 "kind $1: a fax accepted"
		delivered 1 "kind $1: a fax through the successor"
	fi
	BAD_FRAME_SENT=
}
# Kind 8, armed before a carrier's INVITE whose digest answer the front
# end checks (sip_invite.py: a 401, then the INVITE with Authorization):
# the verdict on the INVITE's own socket replaced.
req POST /v1/provider/trunks "$OP" '{"id":"digest","name":"Digest carrier","peer":"127.0.0.1:5999","prefixes":["+98"],"inbound_auth":"digest","username":"acct77","password":"in-pass-789"}'
expect_status 201 "a trunk whose INVITEs authenticate by digest"
invite_digest() { python3 "$(dirname "$0")/../faxsvc/sip_invite.py" "$CARRIER_UDP" +14155550177 --digest "acct77:in-pass-789" >"$TMP/invite8" 2>&1; }
own_socket 8 invite_digest invite
# Kind 9, armed before /metrics is read: the answer to the next request the
# service makes on a socket of its own (here the media loops' figures, or
# the digest trunk's keep-alive if it comes first) replaced.
scrape() { curl -s -o /dev/null "http://127.0.0.1:$MPORT/metrics"; }
own_socket 9 scrape 'loops|probe|register|resolve'
req GET "/v1/faxes/$FIRST" "$USER_A"
expect_jq '.status == "delivered"' "the first fax kept"
[ "$(grep -c 'event=sip.front_malformed' "$LOG")" = 7 ] && ok ||
	fail "refusals: $(grep sip.front_malformed "$LOG")"
finish
