#!/usr/bin/env bash
# Rendering off the request thread (docs/fax-service.md, "Rendering"): a
# submission answers 202 once its originals are stored, and the render job
# of the queue renders them. Shown against the real daemon:
# - three documents that take the renderer long (tens of pages each) are
#   each answered at once, rendering, and /healthz and the API answer while
#   they are still pending; each then ends queued with its real page count;
# - two quotes of such a document are answered at once too (202), /healthz
#   and the API answer while they render, and each then reads as ready
#   with the same page count;
# - what only rendering can tell reaches the submitter as the fax's status
#   and a webhook: a damaged PDF fails with the renderer's reason, and a
#   quota the real pages overrun fails with the quota's words (in French
#   for a French submitter); neither holds pages afterwards;
# - an Idempotency-Key replay answers the first answer as it was;
# - a fax cancelled while it renders stays cancelled;
# - a daemon killed with -9 while a render is pending renders it after its
#   restart, once (one fax.rendered event, no submission left).
. "$(dirname "$0")/lib.sh"
# The quota that "leaves 4 pages today" counts the pages sent before it in
# one UTC day: the clock starts after the next midnight.
clock_start_day

RECV="$TMP/receiver"
mkdir -p "$RECV"
python3 "$(dirname "$0")/webhook_receiver.py" "$RECV" &
RECV_PID=$!
trap 'kill "$RECV_PID" 2>/dev/null; wait "$RECV_PID" 2>/dev/null; cleanup' EXIT
receiver_up() { [ -s "$RECV/port" ] || ! kill -0 "$RECV_PID" 2>/dev/null; }
poll_until 300 receiver_up
[ -s "$RECV/port" ] || { fail "the webhook receiver did not start"; finish; exit 1; }
HOOK="http://127.0.0.1:$(cat "$RECV/port")/hook"

LINES=4000
# The fax service runs (it delivers the webhooks); the faxes are scheduled
# far ahead, so that it never dials them.
# While $HOLD exists, the renders wait (testing.render_hold_file): what the
# test sees pending stays pending, whatever the renderer's speed.
HOLD="$TMP/render-hold"
FLAGS=(--set fax.max_pages=1000 --set webhooks.allow_cidrs=127.0.0.1/32 --set metrics.listen=127.0.0.1:0
	--set testing.render_hold_file="$HOLD")
start_daemon "${FLAGS[@]}"
PW="plume encre buvard 1789"

# A text of 4,000 lines (some 60 pages).
awk -v n=$LINES 'BEGIN { for (i = 1; i <= n; i++) printf "Line %d of a long report, page after page.\n", i }' >"$TMP/long.txt"
printf 'Bonjour,\nune page.\n' >"$TMP/one.txt"
printf '%%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%%%EOF\n' >"$TMP/corrupt.pdf"

OP=$(operator_token)
req PUT /v1/provider/rates "$OP" '{"currency":"EUR","rates":[{"prefix":"+33","price_per_page":2}]}'
expect_status 200 "rates"
req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":["+33100000001"]}'
expect_status 201 "a number on the loopback trunk"
req POST /v1/accounts "$OP" '{"name":"Render Ltd","owner":{"email":"owner@render.example","name":"Rhea"}}'
expect_status 201 "account"
ACC=$(jqr .id)
accept "$(jqr .owner_invitation.token)" "$PW"
OWNER=$(login owner@render.example "$PW")
req POST "/v1/accounts/$ACC/webhooks" "$OWNER" "{\"url\":\"$HOOK\",\"events\":[\"fax.queued\",\"fax.failed\"]}"
expect_status 201 "a webhook for fax.queued and fax.failed"

send() { req POST /v1/faxes "$OWNER" "" -F "file=@$1" -F "to=+33100000001" -F "send_at=2099-01-01T08:00:00Z" "${@:2}"; }

# ---- slow renders do not hold the API ----
touch "$HOLD"
IDS=()
for i in 1 2 3; do
	send "$TMP/long.txt"
	expect_status 202 "long document $i answered"
	expect_jq '.items[0].status == "rendering" and .items[0].page_count == 1' "long document $i: rendering, holding one page"
	IDS+=("$(jqr '.items[0].id')")
done
req GET /healthz
expect_status 200 "/healthz answers while the renders are pending"
req GET "/v1/faxes?status=rendering" "$OWNER"
expect_status 200 "the API answers while the renders are pending"
# The queue has two workers: the third render waits for one of them.
expect_jq '(.items | length) >= 1' "a render is still pending when they answer"
MET=$(curl -s "http://127.0.0.1:$(metrics_port)/metrics")
grep -qE '^faxvault_queue_jobs\{kind="render",state="(queued|running)"\} [1-9]' <<<"$MET" && ok ||
	fail "the metrics show no render job pending: $(grep 'kind="render"' <<<"$MET")"
rm -f "$HOLD"
wait_rendered "$OWNER" "${IDS[0]}" 600
PAGES=$(jqr .page_count)
[ "$PAGES" -ge 40 ] 2>/dev/null && ok || fail "the long document has tens of pages: $PAGES"
for id in "${IDS[@]}"; do
	wait_rendered "$OWNER" "$id" 600
	expect_jq ".status == \"queued\" and .page_count == $PAGES and .estimated_cost == $((2 * PAGES)) and (.pages | length) == $PAGES" "rendered off the request: $PAGES pages, queued"
done
ms=$(grep -o 'event=fax.rendered .*result=queued ms=[0-9]*' "$LOG" | sed 's/.*ms=//' | sort -n | tail -n 1)
echo "longest render: ${ms:-?} ms for $PAGES pages"

# ---- slow quotes do not hold the API either ----
# Two quotes of the long document are answered at once (202, rendering);
# /healthz and the API answer while they are pending; each then reads as
# ready with the pages a send of it has.
touch "$HOLD"
QIDS=()
for i in 1 2; do
	req POST /v1/faxes/quote "$OWNER" "" -F "file=@$TMP/long.txt" -F "to=+33100000001"
	expect_status 202 "quote $i of the long document answered"
	expect_jq '.status == "rendering"' "quote $i: rendering"
	QIDS+=("$(jqr .id)")
done
req GET /healthz
expect_status 200 "/healthz answers while the quotes are pending"
req GET "/v1/faxes/quotes/${QIDS[1]}" "$OWNER"
expect_status 200 "the API answers while the quotes are pending"
expect_jq '.status == "rendering"' "the second quote is still rendering when they answer"
rm -f "$HOLD"
for q in "${QIDS[@]}"; do
	wait_quoted "$OWNER" "$q" 600
	expect_jq ".status == \"ready\" and .pages == $PAGES and .total == $((2 * PAGES))" "quote $q priced off the request: $PAGES pages"
done

# ---- failures reach the submitter as the status and a webhook ----
# hook_of FAX TYPE: the receiver got that event for that fax (the file).
hook_of() {
	local f
	for f in "$RECV"/*.body; do
		[ -e "$f" ] || continue
		jq -e --arg id "$1" --arg t "$2" '.type == $t and .data.id == $id' "$f" >/dev/null 2>&1 && { echo "$f"; return 0; }
	done
	return 1
}
hooked() { curl -s -o /dev/null "$BASE/healthz"; hook_of "$1" "$2" >/dev/null; }
send "$TMP/corrupt.pdf"
expect_status 202 "a damaged PDF is answered 202: only rendering can tell"
BAD=$(jqr '.items[0].id')
wait_rendered "$OWNER" "$BAD"
expect_jq '.status == "failed" and .failure_class == "document" and (.failure_reason | length) > 10 and .page_count == 0 and .estimated_cost == 0' "failed with the renderer's reason, no pages held"
REASON=$(jqr .failure_reason)
poll_until 300 hooked "$BAD" fax.failed && ok || fail "no fax.failed webhook for the damaged PDF"
F=$(hook_of "$BAD" fax.failed)
[ -n "$F" ] && jq -e --arg r "$REASON" '.data.status == "failed" and .data.failure_class == "document" and .data.failure_reason == $r' "$F" >/dev/null && ok ||
	fail "the webhook carries the status and the reason: $(cat "$F" 2>/dev/null | head -c 300)"
poll_until 300 hooked "${IDS[0]}" fax.queued && ok || fail "no fax.queued webhook for a rendered fax"

# A quota that leaves 4 pages today: the answer's check sees the fewest
# pages (2: a cover page and one); the real count (a cover page and some 6
# pages of 400 lines) overruns it.
req PUT "/v1/provider/accounts/$ACC/plan" "$OP" '{"kind":"postpaid","quota_user_day":'"$((3 * PAGES + 4))"'}'
expect_status 200 "a user quota that leaves 4 pages today"
awk 'BEGIN { for (i = 1; i <= 400; i++) printf "Ligne %d.\n", i }' >"$TMP/four.txt"
send "$TMP/four.txt" -F "cover_subject=Rapport" -H "Accept-Language: fr"
expect_status 202 "accepted: the quota holds the fewest pages (2)"
OVER=$(jqr '.items[0].id')
wait_rendered "$OWNER" "$OVER"
expect_jq '.status == "failed" and .failure_class == "quota_exceeded" and .page_count == 0' "failed: the real pages overrun the quota"
expect_jq '.failure_reason | test("vous pouvez envoyer [0-9]+ pages par jour")' "the quota's words, in the submitter's French"
poll_until 300 hooked "$OVER" fax.failed && ok || fail "no fax.failed webhook for the quota"
req GET "/v1/accounts/$ACC/audit-events?action=fax.submit" "$OWNER"
expect_jq '[.items[] | select(.outcome == "failure" and .detail.reason == "quota-exceeded")] | length == 1' "the refusal audited as the member's submission refused"
send "$TMP/one.txt"
expect_status 202 "a failed fax holds no pages: one page still fits"
wait_rendered "$OWNER" "$(jqr '.items[0].id')"
expect_jq '.status == "queued" and .page_count == 1' "and is queued"
req PUT "/v1/provider/accounts/$ACC/plan" "$OP" '{"kind":"postpaid","quota_user_day":0}'
expect_jq '.quota_user_day == 0' "no quota again"

# ---- Idempotency-Key: the first answer again ----
send "$TMP/one.txt" -H "Idempotency-Key: render-1"
expect_status 202 "first request"
FIRST=$BODY
IDEM=$(jqr '.items[0].id')
wait_rendered "$OWNER" "$IDEM"
expect_jq '.status == "queued"' "rendered"
send "$TMP/one.txt" -H "Idempotency-Key: render-1"
expect_status 202 "the replay"
[ "$BODY" = "$FIRST" ] && grep -qi '^idempotent-replayed: true' "$HEADERS" && ok ||
	fail "the replay is the first answer as it was: ${BODY:0:300}"
expect_jq '.items[0].status == "rendering"' "which said rendering; the fax says queued"

# ---- cancelled while rendering ----
touch "$HOLD"
send "$TMP/long.txt"
CAN=$(jqr '.items[0].id')
req POST "/v1/faxes/$CAN/cancel" "$OWNER"
expect_status 200 "cancelled"
expect_jq '.status == "cancelled"' "cancelled"
rm -f "$HOLD"
render_idle() { [ "$(db_query "SELECT count(*) FROM jobs WHERE kind='render' AND state IN ('queued', 'running')")" = 0 ]; }
poll_until 600 render_idle && ok || fail "the render jobs did not end"
req GET "/v1/faxes/$CAN" "$OWNER"
expect_jq '.status == "cancelled" and .page_count == 0 and .pages == []' "a fax cancelled while rendering stays cancelled, holding no pages"

# ---- killed with a render pending: rendered after the restart, once ----
touch "$HOLD"
send "$TMP/long.txt"
expect_status 202 "a long document before the kill"
KILLED=$(jqr '.items[0].id')
req GET "/v1/faxes/$KILLED" "$OWNER"
expect_jq '.status == "rendering"' "still rendering when the daemon is killed"
# Killed once its render job runs (leased to the killed service).
render_running() { [ "$(db_query "SELECT count(*) FROM jobs WHERE kind='render' AND state='running'")" = 1 ]; }
poll_until 300 render_running && ok || fail "the render job never ran"
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=""
rm -f "$HOLD"
[ "$(db_query "SELECT count(*) FROM submissions")" = 1 ] && ok || fail "the submission is not kept for the restart"
# The restarted service's queue ends the lease its dead predecessor (same
# node, its pid gone or a zombie) still holds, and takes the job at once,
# the test clock unmoved.
: >"$LOG"
launch_daemon "${FLAGS[@]}"
OWNER=$(login owner@render.example "$PW")
wait_rendered "$OWNER" "$KILLED" 600
expect_jq ".status == \"queued\" and .page_count == $PAGES" "rendered after the restart"
grep -q 'event=queue.leases_reclaimed .*n=1' "$LOG" && ok || fail "the dead service's lease was not ended at start: $(grep 'queue\.' "$LOG" | head -n 3)"
[ "$(db_query "SELECT count(*) FROM audit_events WHERE action='fax.rendered' AND target='$KILLED'")" = 1 ] && ok ||
	fail "rendered more than once: $(db_query "SELECT count(*) FROM audit_events WHERE action='fax.rendered' AND target='$KILLED'")"
[ "$(db_query "SELECT count(*) FROM submissions")" = 0 ] && ok || fail "a submission is left"
[ "$(db_query "SELECT count(*) FROM documents WHERE kind='original'")" = 0 ] && ok || fail "originals are left"
if [ -z "$(ls -A "$DATA/work" 2>/dev/null)" ]; then ok; else fail "work directory not wiped: $(ls "$DATA/work")"; fi

stop_daemon || fail "daemon stop"
finish
