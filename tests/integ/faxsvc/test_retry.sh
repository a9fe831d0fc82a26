#!/usr/bin/env bash
# The retry policy against real carriers on 127.0.0.1 (SIPp and our own
# engine as test doubles of a carrier): busy then delivered on the retry,
# no answer (ringing until the ring timeout), a call dropped after page 2
# (partial, then only page 3 is sent again), and retries running out
# (final partial with the pages that went through).
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
command -v sipp >/dev/null || { echo "sipp not installed (Debian sip-tester): skipped"; exit 77; }
fax_setup --set fax.ring_seconds=5
make_pdf "$TMP/three.pdf" 3
port() { free_port; }
# kick: any API call makes the daemon follow the test clock at once.
kick() { req GET /v1/me "$USER_A"; }
# requeued FAX: queued again after its first attempt (BODY is the fax);
# polled for 300 s of wall-clock time, not a number of requests.
requeued() { req GET "/v1/faxes/$1" "$USER_A"; [ "$(jqr .attempts_made)" = 1 ] && [ "$(jqr .status)" = queued ]; }

# --- busy (486 after a digest challenge), then a receiver: delivered on the retry.
BPORT=$(port)
sipp -sf "$SIPP_DIR/uas_auth_busy.xml" -i 127.0.0.1 -p "$BPORT" -m 1 -nostdin -timeout 900 \
	>"$TMP/sipp_busy.out" 2>&1 &
SIPP=$!
req POST /v1/provider/trunks "$OP" "{\"id\":\"busy\",\"name\":\"Busy carrier\",\"peer\":\"127.0.0.1:$BPORT\",\"username\":\"faxuser\",\"password\":\"s3cret\",\"transport\":\"t38_first\",\"max_calls\":2,\"prefixes\":[\"+49\"],\"status\":\"active\"}"
expect_status 201 "trunk with digest credentials"
expect_jq '.has_password == true and (.password == null)' "the trunk's password is never shown"
send_fax "$USER_A" "+4930123456" "$TMP/three.pdf" -F retries=2 -F retry_delay_seconds=60
expect_status 202 "fax to a busy line"
BUSY=$FAX
poll_until 300 requeued "$BUSY"
expect_jq '.status == "queued" and .attempts_made == 1 and .attempts[0].failure_class == "busy"' "busy: queued again"
expect_jq '.next_attempt_at != null' "with the time of the next attempt"
wait_receiver "$SIPP" 120 || fail "sipp busy scenario: $(tail -n 5 "$TMP/sipp_busy.out")"
"$FAXTOOL" receive --listen "127.0.0.1:$BPORT" --out "$TMP/rx1" --calls 1 --clock-speed "$FAX_SPEED" >/dev/null 2>"$TMP/rx1.log" &
RX=$!
poll_until 60 rx_listening rx1 || fail "the receiver did not start on $BPORT: $(cat "$TMP/rx1.log")"
advance_clock 2
kick
wait_fax "$USER_A" "$BUSY"
expect_jq '.status == "delivered" and .attempts_made == 2 and .attempts[1].result == "ok"' "busy, then delivered on the retry"
wait_receiver "$RX" 120

# --- no answer: the carrier rings until we give up (CANCEL); no retries left: failed.
NPORT=$(port)
sipp -sf "$SIPP_DIR/uas_cancel.xml" -i 127.0.0.1 -p "$NPORT" -m 1 -nostdin -timeout 900 >"$TMP/sipp_na.out" 2>&1 &
SIPP=$!
req POST /v1/provider/trunks "$OP" "{\"id\":\"silent\",\"name\":\"Ringing carrier\",\"peer\":\"127.0.0.1:$NPORT\",\"transport\":\"g711_only\",\"max_calls\":2,\"prefixes\":[\"+61\"],\"status\":\"active\"}"
send_fax "$USER_A" "+61212345678" "$TMP/three.pdf" -F retries=0
expect_status 202 "fax to a line nobody answers"
wait_fax "$USER_A" "$FAX" 600
expect_jq '.status == "failed" and .failure_class == "no_answer" and .attempts_made == 1' "no answer, no retries left: failed"
expect_jq '.pages_confirmed == 0 and (.failure_reason | length > 0)' "with a reason"
wait_receiver "$SIPP" 120

# --- dropped after page 2: partial, then page 3 alone on the retry.
DPORT=$(port)
"$FAXTOOL" receive --listen "127.0.0.1:$DPORT" --out "$TMP/rx2" --calls 3 --drop-after-pages 2 \
	--clock-speed "$FAX_SPEED" >/dev/null 2>"$TMP/rx2.log" &
RX=$!
req POST /v1/provider/trunks "$OP" "{\"id\":\"flaky\",\"name\":\"Flaky carrier\",\"peer\":\"127.0.0.1:$DPORT\",\"transport\":\"t38_first\",\"max_calls\":2,\"prefixes\":[\"+33\"],\"status\":\"active\"}"
send_fax "$USER_A" "+33140000000" "$TMP/three.pdf" -F retries=1 -F retry_delay_seconds=60
DROP=$FAX
poll_until 300 requeued "$DROP"
expect_jq '.attempts[0].failure_class == "partial" and .attempts[0].pages_confirmed == 2 and .pages_confirmed == 2' "dropped after page 2: 2 pages confirmed"
expect_jq '.status == "queued" and ([.pages[] | select(.status == "confirmed")] | length == 2)' "queued again for the rest"
advance_clock 2
kick
wait_fax "$USER_A" "$DROP"
expect_jq '.status == "delivered" and .pages_confirmed == 3 and .attempts[1].first_page == 3 and .attempts[1].pages_sent == 1' "only page 3 sent again, then delivered"

# --- retries run out: final partial with what went through.
send_fax "$USER_A" "+33140000001" "$TMP/three.pdf" -F retries=0
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "partial" and .pages_confirmed == 2 and .failure_class == "partial"' "no retries left: final partial"
req GET "/v1/accounts/$ACC_A/cdrs?direction=outbound" "$ADMIN_A"
expect_jq '[.items[] | select(.to == "+33140000001")] | length == 1 and .[0].pages_confirmed == 2 and (.[0].cost | type) == "number"' "the final partial's CDR: the 2 pages that went through, with a cost"
kill "$RX" 2>/dev/null; wait "$RX" 2>/dev/null

stop_daemon || fail "daemon did not stop cleanly"
finish
