#!/usr/bin/env bash
# A fax cancelled during its call (issue 11: each send is a job of the
# queue, its call run by the job): the cancellation reaches the call. The
# carrier (SIPp) rings and never answers, and the ring timeout is 300 s:
# only the cancellation can end the call within this test's deadlines. The
# carrier gets our CANCEL, the attempt ends, the fax stays cancelled and its
# send job ends done, not queued again.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
command -v sipp >/dev/null || { echo "sipp not installed (Debian sip-tester): skipped"; exit 77; }
fax_setup --set fax.ring_seconds=300
make_pdf "$TMP/one.pdf" 1

NPORT=$(free_port)
sipp -sf "$SIPP_DIR/uas_cancel.xml" -i 127.0.0.1 -p "$NPORT" -m 1 -nostdin -timeout 900 \
	-trace_msg -message_file "$TMP/sipp_msgs.log" >"$TMP/sipp.out" 2>&1 &
SIPP=$!
wait_bound 60 "$SIPP" "udp:$NPORT" || { fail "sipp did not bind udp:$NPORT: $(tail -n 5 "$TMP/sipp.out")"; finish; exit 1; }
req POST /v1/provider/trunks "$OP" "{\"id\":\"silent\",\"name\":\"Ringing carrier\",\"peer\":\"127.0.0.1:$NPORT\",\"transport\":\"g711_only\",\"max_calls\":2,\"prefixes\":[\"+61\"],\"status\":\"active\"}"
expect_status 201 "a trunk to a line that rings and never answers"
send_fax "$USER_A" "+61212345678" "$TMP/one.pdf" -F retries=0
expect_status 202 "fax to the ringing line"
ringing() {
	req GET "/v1/faxes/$FAX" "$USER_A"
	[ "$(jqr .status)" = sending ] && [ "$(jqr '.attempts | length')" = 1 ] && grep -q '^INVITE sip:' "$TMP/sipp_msgs.log" 2>/dev/null
}
poll_until 240 ringing && ok || { fail "the call never rang: $(jqr .status)"; finish; exit 1; }
req POST "/v1/faxes/$FAX/cancel" "$USER_A"
expect_status 200 "the fax is cancelled during its call"
ended() {
	req GET "/v1/faxes/$FAX" "$USER_A"
	[ "$(jqr '.attempts[0].result')" != in_progress ] && [ "$(jqr '.attempts[0].result')" != null ]
}
poll_until 120 ended && ok || fail "the call did not end after the cancellation: $(jqr '.attempts[0]')"
expect_jq '.status == "cancelled"' "the fax stays cancelled"
# SIPp's scenario ends once it got our CANCEL (and the ACK of its 487).
sipp_done() { ! kill -0 "$SIPP" 2>/dev/null; }
if poll_until 120 sipp_done; then
	wait "$SIPP" && ok || fail "the carrier's scenario failed: $(tail -n 5 "$TMP/sipp.out")"
else
	kill "$SIPP" 2>/dev/null
	wait "$SIPP" 2>/dev/null
	fail "the carrier got no CANCEL"
fi
grep -q '^CANCEL sip:' "$TMP/sipp_msgs.log" && ok || fail "no CANCEL in the carrier's messages"
[ "$(db_query "SELECT state FROM jobs WHERE kind='send' AND ref='$FAX'")" = done ] && ok ||
	fail "the send job: $(db_query "SELECT state, run_after FROM jobs WHERE kind='send' AND ref='$FAX'")"

stop_daemon || fail "daemon did not stop cleanly"
finish
