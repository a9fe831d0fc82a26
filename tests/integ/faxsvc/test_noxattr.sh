#!/usr/bin/env bash
# A received call on a file system without user extended attributes (issue
# 15): where a call is one file with its route in the attribute
# user.faxvault.route, the service gives it the directory form instead (its
# TIFF and its route file, inbound.json), so that a crash while the fax is
# stored still files it at the next start with its route. The work directory
# is a ramfs, which takes no user attribute; root only (mount), else skipped.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
[ "$(id -u)" = 0 ] || { echo "skipped: mounting a ramfs needs root"; exit 77; }
fax_setup
make_pdf "$TMP/three.pdf" 3
WORK="$DATA/work"

crash() { kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=""; }
restart() {
	[ -n "${FV_KEEP_LOGS:-}" ] && cp "$LOG" "$FV_KEEP_LOGS/noxattr.$(date +%s%N).log"
	: >"$LOG"
	launch_daemon --set testing.media_clock_speed="$FAX_SPEED" --set fax.poll_ms=100 \
		--set fax.trunk_keepalive_seconds=0 ${FV_SIP_FRONT:+--set fax.sip_front=$FV_SIP_FRONT} "$@"
	USER_A=$(login user@a-fax.example meadow-violin-otter-55)
	USER_B=$(login user@b-fax.example meadow-violin-otter-55)
}

stop_daemon || fail "the daemon did not stop cleanly"
mkdir -p "$WORK"
mount -t ramfs ramfs "$WORK" 2>"$TMP/mount.err" || { echo "skipped: no ramfs here: $(cat "$TMP/mount.err")"; exit 77; }
trap 'umount "$WORK" 2>/dev/null; cleanup' EXIT
chmod 0700 "$WORK"
touch "$WORK/probe"
if python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.faxvault.route", b"{}")' "$WORK/probe" 2>/dev/null; then
	echo "skipped: this ramfs takes user extended attributes"; exit 77
fi
rm -f "$WORK/probe"

# --- 1. a fax A sends B, its storing paused, the service killed there.
restart --set testing.inbound_store_delay_ms=60000
send_fax "$USER_A" "$NUM_B" "$TMP/three.pdf"
SENT=$FAX
poll_until 300 grep -q 'event=fax.inbound_storing .*pages=3' "$LOG"
grep -q 'event=fax.inbound_storing .*pages=3' "$LOG" && ok || fail "the received fax never reached its storing step"
# The call has the directory form: its TIFF and its route file, no one file.
[ -z "$(find "$WORK" -name '*.rx')" ] && ok || fail "a call in one file on a file system without attributes: $(find "$WORK")"
ROUTE=$(find "$WORK" -mindepth 2 -maxdepth 2 -name inbound.json | head -n 1)
[ -n "$ROUTE" ] && [ -s "$ROUTE" ] && [ -s "$(dirname "$ROUTE")/rx.tif" ] && ok ||
	fail "no call directory with its route and TIFF: $(find "$WORK" -ls)"
jq -e . "$ROUTE" >/dev/null 2>&1 && ok || fail "the route file is not the route: $(head -c 200 "$ROUTE")"
crash

# --- 2. the next start files it, with its route: B holds it, 3 pages.
restart
grep -q 'event=fax.recovered .*inbound=1' "$LOG" && ok || fail "the received fax was not filed at the start: $(grep -E 'fax.recovered|fax.inbound' "$LOG")"
wait_fax "$USER_A" "$SENT"
expect_jq '.status == "delivered" and ([.attempts[] | .pages_confirmed] | add) == 3' "the sender's fax delivered, each page confirmed once"
wait_inbound "$USER_B" 1
expect_jq '[.items[] | select(.page_count == 3)] | length == 1' "B holds the fax once, with its 3 pages"

# --- 3. a call stored at once on the same file system: received, nothing left.
send_fax "$USER_A" "$NUM_B" "$TMP/three.pdf"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered"' "a second fax delivered"
wait_inbound "$USER_B" 2
expect_jq '[.items[] | select(.page_count == 3)] | length == 2' "B holds both faxes"
[ -z "$(find "$WORK" -name '*.rx')" ] && ok || fail "a call in one file left: $(find "$WORK")"

stop_daemon || fail "the daemon did not stop cleanly"
finish
