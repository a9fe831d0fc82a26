#!/usr/bin/env bash
# A received fax the database refuses is kept over a stop and filed once at
# the next start (issue 15, P02): with the fax id its first try chose, so
# that a commit applied with its answer lost is not filed twice; kept
# directories whose files are cut or damaged are logged, never lost or a
# crash. The database's refusals are the test-only settings
# testing.inbound_store_fail and testing.inbound_commit_lost.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
fax_setup --set testing.inbound_store_fail=100000
make_pdf "$TMP/three.pdf" 3
WORK="$DATA/work"

restart() {
	[ -n "${FV_KEEP_LOGS:-}" ] && cp "$LOG" "$FV_KEEP_LOGS/inbound_kept.$(date +%s%N).log"
	: >"$LOG"
	launch_daemon --set testing.media_clock_speed="$FAX_SPEED" --set fax.poll_ms=100 \
		--set fax.trunk_keepalive_seconds=0 ${FV_SIP_FRONT:+--set fax.sip_front=$FV_SIP_FRONT} "$@"
	USER_A=$(login user@a-fax.example meadow-violin-otter-55)
	USER_B=$(login user@b-fax.example meadow-violin-otter-55)
}
inbound_b() { db_query "SELECT count(*) FROM faxes WHERE direction='inbound' AND account_id='$ACC_B'"; }
cdrs() { db_query "SELECT count(*) FROM fax_attempts WHERE fax_id='$1'"; }
kept_dirs() { find "$WORK" -mindepth 1 -maxdepth 1 -name 'rx-*' 2>/dev/null | wc -l; }
# The counts below allow for a sender that, on a loaded machine, sent the
# fax again whole after its first call broke off (each call B received is
# a fax of its own, kept and filed like the others): they are checked per
# fax id and against the directories kept.
calls() { grep -E 'fax\.(inbound|received|call_|attempt)' "$LOG" | cut -c1-220; }
# received_refused: a fax from A to B, its storing refused; returns once its
# second try failed (the first try's id then kept) and the sender's call is
# over. Sets KEPT_ID (the id in the kept line after stop_daemon).
received_refused() {
	send_fax "$USER_A" "$NUM_B" "$TMP/three.pdf"
	expect_status 202 "fax accepted"
	local sent=$FAX
	poll_until 300 grep -q 'event=fax.inbound_store_failed .*pages=3 tries=2' "$LOG" ||
		{ fail "the received fax's storing was not refused twice: $(grep -E 'fax.inbound|fax.received' "$LOG" | tail -n 5)"; finish; exit 1; }
	wait_fax "$USER_A" "$sent"
	expect_jq '.status == "delivered" and .pages_confirmed == 3' "the sender's call ended well: every page confirmed"
}

# --- 1. kept over a normal stop, filed once at the start with its pages.
received_refused
[ "$(inbound_b)" = 0 ] && ok || fail "a refused fax is in the database: $(inbound_b)"
stop_daemon || fail "the daemon did not stop cleanly with a fax kept"
KEPT_ID=$(sed -n 's/.*event=fax.inbound_kept .*pages=3 .*result=kept fax=\(fax_[A-Za-z0-9_-]*\).*/\1/p' "$LOG" | tail -n 1)
[ -n "$KEPT_ID" ] && ok || fail "no kept line with the fax's result and id: $(grep 'fax.inbound_kept' "$LOG")"
KEPT_DIR=$(grep -lx "$KEPT_ID" "$WORK"/rx-*/fax.id 2>/dev/null | head -n 1)
KEPT_DIR=${KEPT_DIR%/fax.id}
KEPT1=$(kept_dirs)
[ -n "$KEPT_DIR" ] && [ -s "$KEPT_DIR/rx.tif" ] && [ -s "$KEPT_DIR/result.bin" ] && [ -s "$KEPT_DIR/inbound.json" ] &&
	[ "$(cat "$KEPT_DIR/fax.id" 2>/dev/null)" = "$KEPT_ID" ] && ok ||
	fail "the kept directory does not hold the pages, result, route and id: $(ls -la "$WORK"/* 2>&1)"
[ -z "$(find "$WORK" -name '*.tmp')" ] && ok || fail "temporary files left: $(find "$WORK" -name '*.tmp')"
cp -a "$KEPT_DIR" "$TMP/kept1"

restart
grep -q "event=fax.inbound_recovered fax=$KEPT_ID pages=3 result=kept" "$LOG" && ok ||
	fail "the kept fax was not filed at the start with its first try's id $KEPT_ID: $(grep -E 'fax.inbound|fax.received' "$LOG")"
grep -q 'event=fax.recovered .*inbound=1' "$LOG" && ok || fail "the start counted no inbound fax: $(grep fax.recovered "$LOG")"
[ "$(inbound_b)" = "$KEPT1" ] && [ "$(db_query "SELECT count(*) FROM faxes WHERE id='$KEPT_ID'")" = 1 ] && ok ||
	fail "B holds $(inbound_b) inbound faxes for $KEPT1 kept: $(calls)"
[ "$(db_query "SELECT id || ' ' || status || ' ' || page_count || ' ' || (doc_id IS NOT NULL) FROM faxes WHERE direction='inbound' AND account_id='$ACC_B'")" = "$KEPT_ID received 3 1" ] && ok ||
	fail "the filed fax: $(db_query "SELECT id, status, page_count, doc_id FROM faxes WHERE direction='inbound' AND account_id='$ACC_B'")"
[ "$(cdrs "$KEPT_ID")" = 1 ] && ok || fail "$(cdrs "$KEPT_ID") CDRs for the kept fax, not 1"
[ "$(db_query "SELECT count(*) FROM fax_pages WHERE fax_id='$KEPT_ID'")" = 3 ] && ok || fail "the kept fax's pages are not recorded"
DOC=$(curl -s -o "$TMP/doc" -w '%{http_code}' -H "Authorization: Bearer $USER_B" "$BASE/v1/faxes/$KEPT_ID/document")
[ "$DOC" = 200 ] && [ -s "$TMP/doc" ] && ok || fail "B cannot read the kept fax's document: $DOC"
[ "$(kept_dirs)" = 0 ] && ok || fail "the kept directory is left after filing: $(ls "$WORK")"

# --- 2. the commit applied but answered failed, then a stop: one fax, one CDR.
stop_daemon || fail "the daemon did not stop cleanly"
restart --set testing.inbound_commit_lost=1 --set testing.inbound_store_fail=100000
received_refused
grep -q 'event=fax.inbound_test_commit_lost' "$LOG" && ok || fail "the lost commit did not happen"
stop_daemon || fail "the daemon did not stop cleanly with a fax kept"
LOST_ID=$(sed -n 's/.*event=fax.inbound_test_commit_lost fax=\(fax_[A-Za-z0-9_-]*\).*/\1/p' "$LOG" | head -n 1)
[ -n "$LOST_ID" ] && grep -q "event=fax.inbound_kept .*pages=3 .*result=kept fax=$LOST_ID" "$LOG" &&
	[ "$(db_query "SELECT count(*) FROM faxes WHERE id='$LOST_ID'")" = 1 ] && ok ||
	fail "the fax whose commit answer was lost is not kept and stored under its id '$LOST_ID': $(grep -E 'fax.inbound|fax.received|fax.call_' "$LOG")"
BEFORE=$(inbound_b) KEPT2=$(kept_dirs)
[ "$BEFORE" = $((KEPT1 + 1)) ] && [ "$KEPT2" -ge 1 ] && ok ||
	fail "before the start: $BEFORE inbound faxes (${KEPT1} before, one stored by the lost commit), $KEPT2 kept: $(calls)"
restart
grep -q "event=fax.inbound_was_stored fax=$LOST_ID" "$LOG" && grep -q "event=fax.inbound_recovered fax=$LOST_ID pages=3 result=kept" "$LOG" && ok ||
	fail "the start did not find the fax stored: $(grep -E 'fax.inbound|fax.received' "$LOG")"
[ "$(db_query "SELECT count(*) FROM faxes WHERE id='$LOST_ID'")" = 1 ] && [ "$(inbound_b)" = $((BEFORE + KEPT2 - 1)) ] && ok ||
	fail "B holds $(inbound_b) inbound faxes, not $((BEFORE + KEPT2 - 1)): the fax was filed twice: $(calls)"
[ "$(cdrs "$LOST_ID")" = 1 ] && ok || fail "$(cdrs "$LOST_ID") CDRs for the fax, not 1"
[ "$(db_query "SELECT count(*) FROM audit_events WHERE action='fax.receive' AND target='$LOST_ID'")" = 1 ] && ok ||
	fail "the fax's receipt is not audited once"
[ "$(kept_dirs)" = 0 ] && ok || fail "the kept directory is left: $(ls "$WORK")"

# --- 3. kept directories cut or damaged (as by a crash while writing, or a
# disk): the service starts, logs each, never drops one silently.
stop_daemon || fail "the daemon did not stop cleanly"
cp -a "$TMP/kept1" "$WORK/rx-badroute"
head -c 20 "$TMP/kept1/inbound.json" >"$WORK/rx-badroute/inbound.json"
cp -a "$TMP/kept1" "$WORK/job-badroute2"
: >"$WORK/job-badroute2/inbound.json"
cp -a "$TMP/kept1" "$WORK/rx-badresult"
rm -f "$WORK/rx-badresult/fax.id"
head -c 12 "$TMP/kept1/result.bin" >"$WORK/rx-badresult/result.bin"
cp -a "$TMP/kept1" "$WORK/rx-badid"
printf 'fax_\001\002' >"$WORK/rx-badid/fax.id"
# A received call's work directory is kept for the next call once its fax
# is stored (its TIFF emptied), and the next call's route is written over
# the last one's: a crash during that write leaves a cut route and no page,
# which is nothing to keep.
mkdir "$WORK/job-cutslot"
head -c 20 "$TMP/kept1/inbound.json" >"$WORK/job-cutslot/inbound.json"
: >"$WORK/job-cutslot/rx.tif"
BEFORE=$(inbound_b)
restart
! grep -q "event=fax.inbound_unreadable dir=$WORK/[a-z]*-cutslot" "$LOG" && [ ! -e "$WORK/job-cutslot" ] &&
	[ ! -e "$WORK/rx-cutslot" ] && ok ||
	fail "a work directory with a cut route and no page is kept or logged: $(grep fax.inbound_unreadable "$LOG"; ls "$WORK")"
grep -q 'event=supervisor.service_exited' "$LOG" && fail "the service crashed on the damaged directories: $(grep service_exited "$LOG")" || ok
grep -q "event=fax.inbound_unreadable dir=$WORK/rx-badroute what=route action=kept" "$LOG" && [ -s "$WORK/rx-badroute/rx.tif" ] && ok ||
	fail "a cut route file is not logged and kept: $(grep fax.inbound_unreadable "$LOG")"
grep -q "event=fax.inbound_unreadable dir=$WORK/rx-badroute2 what=route action=kept" "$LOG" && [ -s "$WORK/rx-badroute2/rx.tif" ] && ok ||
	fail "an empty route file in a work directory is not logged and kept (renamed rx-*): $(grep fax.inbound_unreadable "$LOG"; ls "$WORK")"
grep -q "event=fax.inbound_unreadable dir=$WORK/rx-badresult what=result action=cut_short" "$LOG" &&
	grep -q 'event=fax.inbound_recovered fax=fax_[^ ]* pages=3 result=cut_short' "$LOG" && ok ||
	fail "a cut result file is not logged, or its pages not filed: $(grep -E 'fax.inbound' "$LOG")"
grep -q "event=fax.inbound_unreadable dir=$WORK/rx-badid what=id action=new_id" "$LOG" && ok ||
	fail "a damaged id file is not logged: $(grep fax.inbound_unreadable "$LOG")"
[ "$(inbound_b)" = $((BEFORE + 2)) ] && ok || fail "B holds $(inbound_b) inbound faxes, not $((BEFORE + 2)) (the cut result's and the damaged id's filed)"
[ ! -e "$WORK/rx-badresult" ] && [ ! -e "$WORK/rx-badid" ] && ok || fail "filed directories left: $(ls "$WORK")"
# Kept ones are logged again at each start, never wiped.
stop_daemon || fail "the daemon did not stop cleanly"
restart
[ "$(grep -c 'event=fax.inbound_unreadable .*what=route action=kept' "$LOG")" = 2 ] && [ "$(kept_dirs)" = 2 ] && ok ||
	fail "the unreadable directories are not kept and logged again: $(grep fax.inbound_unreadable "$LOG"; ls "$WORK")"
[ "$(inbound_b)" = $((BEFORE + 2)) ] && ok || fail "B holds $(inbound_b) inbound faxes after another start, not $((BEFORE + 2))"

# --- 4. a call received in one file (its TIFF, its route in an extended
# attribute) left by a crash: filed at the start with its pages, cut short.
stop_daemon || fail "the daemon did not stop cleanly"
cp "$TMP/kept1/rx.tif" "$WORK/job-onefile.rx"
python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.faxvault.route", open(sys.argv[2], "rb").read())' \
	"$WORK/job-onefile.rx" "$TMP/kept1/inbound.json"
BEFORE=$(inbound_b)
restart
grep -q 'event=fax.inbound_recovered fax=fax_[^ ]* pages=3 result=cut_short' "$LOG" && [ "$(inbound_b)" = $((BEFORE + 1)) ] &&
	[ ! -e "$WORK/job-onefile.rx" ] && [ ! -e "$WORK/job-onefile" ] && ok ||
	fail "a call left in one file is not filed at the start: $(grep -E 'fax.inbound' "$LOG"; ls "$WORK")"

stop_daemon || fail "daemon did not stop cleanly"
finish
