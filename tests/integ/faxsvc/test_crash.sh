#!/usr/bin/env bash
# Crash safety (issue 4): kill -9 of faxvaultd during rendering, during a
# call, and while a received fax is being stored; after each restart every
# accepted fax ends in a final state and none is sent twice whole.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
fax_setup
make_pdf "$TMP/three.pdf" 3
make_pdf "$TMP/six.pdf" 6

crash() { kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=""; }
restart() {
	[ -n "${FV_KEEP_LOGS:-}" ] && cp "$LOG" "$FV_KEEP_LOGS/crash.$(date +%s%N).log"
	: >"$LOG"
	launch_daemon --set testing.media_clock_speed="$FAX_SPEED" --set fax.poll_ms=100 "$@"
}
relogin() {
	USER_A=$(login user@a-fax.example meadow-violin-otter-55)
	USER_B=$(login user@b-fax.example meadow-violin-otter-55)
}

# --- 1. during a call: once a page is confirmed (killed as soon as that is
# seen; six pages leave time for it on a loaded machine).
send_fax "$USER_A" "$NUM_B" "$TMP/six.pdf"
expect_status 202 "fax accepted"
CALL=$FAX
page_confirmed() { req GET "/v1/faxes/$CALL" "$USER_A"; [ "$(jqr .pages_confirmed)" -ge 1 ] 2>/dev/null; }
poll_until 300 page_confirmed
crash
expect_jq '.status == "sending" and .pages_confirmed >= 1 and .pages_confirmed < 6' "killed during the call, after a confirmed page"
BEFORE=$(jqr .pages_confirmed)
restart
relogin
grep -q 'event=fax.recovered .*faxes=[1-9]' "$LOG" && ok || fail "the restart recovered nothing: $(grep fax.recovered "$LOG")"
wait_fax "$USER_A" "$CALL"
expect_jq '.status == "delivered" and .pages_confirmed == 6' "delivered after the restart"
expect_jq '.attempts[0].result == "interrupted" and .attempts[1].result == "ok"' "the first attempt recorded as interrupted"
# Pages may have been confirmed between the look and the kill: the retry
# starts after the last one the first attempt confirmed.
expect_jq ".attempts[0].pages_confirmed >= $BEFORE and .attempts[1].first_page == .attempts[0].pages_confirmed + 1" "the retry sent only the pages not confirmed"
grep -q 'event=fax.recovered .*inbound=1' "$LOG" && ok || fail "the pages received before the crash were not stored: $(grep fax.recovered "$LOG")"
wait_inbound "$USER_B" 2
expect_jq '([.items[] | .page_count] | add) >= 6' "B holds every page: those received before the crash, then the rest"
expect_jq '[.items[] | select(.page_count == 6)] | length == 0' "never received twice whole"
THREE=$(jqr '[.items[] | select(.page_count == 3)] | length')

# --- 2. while B stores the received fax (the daemon is told to pause there).
crash
restart --set testing.inbound_store_delay_ms=60000
relogin
send_fax "$USER_A" "$NUM_B" "$TMP/three.pdf"
STORE=$FAX
poll_until 300 grep -q 'event=fax.inbound_storing .*pages=3' "$LOG"
grep -q 'event=fax.inbound_storing .*pages=3' "$LOG" && ok || fail "the inbound fax never reached its storing step"
crash
restart
relogin
grep -q 'event=fax.recovered .*inbound=1' "$LOG" && ok || fail "the received fax was not stored at restart: $(grep fax.recovered "$LOG")"
wait_fax "$USER_A" "$STORE"
expect_jq '.status == "delivered" and .pages_confirmed == 3' "all pages were confirmed: delivered without calling again"
# Where the crash cut the sender (before or after it recorded its last
# confirmation) decides whether a second attempt exists; either way each page
# is confirmed once, and a second attempt never starts again at page 1.
expect_jq '(.attempts | length) <= 2 and ([.attempts[] | .pages_confirmed] | add) == 3' "each page confirmed once"
expect_jq '([.attempts[] | select(.first_page == 1)] | length) == 1 and ([.attempts[] | select(.pages_sent >= .pages_confirmed)] | length) == (.attempts | length)' "not sent whole twice; no attempt counts fewer pages sent than confirmed"
wait_inbound "$USER_B" 3
expect_jq "[.items[] | select(.page_count == 3)] | length == $THREE + 1" "B holds the fax exactly once"

# --- 3. during rendering: a long document, killed while it renders. It goes
# to a number of the inventory that nobody holds, so that once rendered
# again it ends quickly (refused, failed) instead of taking 120 pages of
# call time.
make_pdf "$TMP/long.pdf" 120
send_fax "$USER_A" "+15555550103" "$TMP/long.pdf"
expect_status 202 "the long document is answered before it is rendered"
LONG=$FAX
req GET "/v1/faxes/$LONG" "$USER_A"
expect_jq '.status == "rendering"' "killed while the submission renders"
crash
# The render job of the killed process holds its lease until it passes (the
# test clock skips it); then the restarted daemon's queue takes it.
advance_clock 6
restart
relogin
# Every fax the service knows of ends in a final state.
all_final() {
	req GET "/v1/faxes?direction=outbound&limit=200" "$USER_A"
	[ "$(jqr '[.items[] | select(.status | IN("delivered","partial","failed","cancelled") | not)] | length')" = 0 ]
}
poll_until 600 all_final
expect_jq '[.items[] | select(.status | IN("delivered","partial","failed","cancelled") | not)] | length == 0' "every accepted fax ends in a final state"
req GET "/v1/faxes/$LONG" "$USER_A"
expect_jq '.page_count == 120 and .status == "failed" and .failure_class == "rejected"' "the interrupted submission was rendered again and dialled"
[ "$(db_query "SELECT count(*) FROM audit_events WHERE action='fax.rendered' AND target='$LONG'")" = 1 ] &&
	[ "$(db_query "SELECT count(*) FROM submissions")" = 0 ] && ok ||
	fail "the interrupted submission was not rendered exactly once"


# No work directory and no clear document left behind.
if [ -z "$(find "$DATA/work" -mindepth 1 -maxdepth 1 2>/dev/null)" ] || ! grep -rlsa -e '%PDF-' "$DATA/work" | grep -q .; then ok; else
	fail "clear files left in the work directory"; fi

stop_daemon || fail "daemon did not stop cleanly"
finish
