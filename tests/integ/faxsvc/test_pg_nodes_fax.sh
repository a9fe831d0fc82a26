#!/usr/bin/env bash
# Fax jobs across several nodes (issue 15, P02): three faxvaultd nodes on one
# PostgreSQL database (store.backend = postgresql) and one shared document
# directory, FV_NODE_FAXES faxes (200 by default, as issue 15 asks; 3 pages
# each) over each node's loopback trunk, 24 calls at once (8 per node), and
# one node killed with kill -9 while it has calls up, once half the faxes
# were sent in (the rest go in through the two others meanwhile). Run by
# CTest as integ_fax_pg_nodes with FV_TEST_PG (the fixture "pg").
#  - the nodes claim due faxes with FOR UPDATE SKIP LOCKED, each attempt
#    under a lease (fax.lease_seconds) its node renews while the call runs;
#  - the killed node's lease passes, another node records its attempts as
#    interrupted and sends each of those faxes again from its first
#    unconfirmed page;
#  - 0 lost (every fax delivered, every page confirmed), 0 sent twice whole
#    (the pages its attempts confirmed add up to its pages, once), every CDR
#    once (one row per attempt, none left in progress, one "ok" per fax);
#  - the killed node, started again, takes nothing back and stores what its
#    receiver had taken in before the kill.
# The lease runs on real time here (10 s): moving the shared test clock
# would expire the live nodes' leases too, before they renew them.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
: "${FV_TEST_PG:?FV_TEST_PG: socket directory of the test cluster}"
N=${FV_NODE_FAXES:-200}
LEASE=10
NODE_FLAGS=(--set testing.media_clock_speed="$FAX_SPEED" --set fax.poll_ms=100
	--set fax.trunk_keepalive_seconds=0 --set fax.lease_seconds=$LEASE --set fax.workers=8
	--set fax.account_max_calls=24)

fax_setup "${NODE_FLAGS[@]}" --set fax.node_id=node-a
A_BASE=$BASE
DB=${PG_DBS##* }
q() { psql -X -At "host=$FV_TEST_PG user=faxvault dbname=$DB" -c "$1"; }
req PATCH /v1/provider/trunks/loopback "$OP" '{"max_calls":24}'
expect_status 200 "the loopback trunk takes 24 calls at once"

start_node b "${NODE_FLAGS[@]}" --set fax.node_id=node-b
B_BASE=$NODE_BASE
B_PID=$NODE_PID
start_node c "${NODE_FLAGS[@]}" --set fax.node_id=node-c
C_BASE=$NODE_BASE
C_PID=$NODE_PID
ok

# --- one 3-page fax rendered, delivered; then sent again N times through
# the three nodes' APIs (a resent fax shares its document).
make_pdf "$TMP/three.pdf" 3
send_fax "$USER_A" "$NUM_B" "$TMP/three.pdf"
expect_status 202 "fax accepted"
ORIG=$FAX
wait_fax "$USER_A" "$ORIG"
expect_jq '.status == "delivered"' "the original is delivered"
T0=$(date +%s)
: >"$TMP/resent"
# resend FROM TO BASE...: the resends FROM..TO, through the nodes given in turn
resend() {
	local from=$1 to=$2 i
	shift 2
	local bases=("$@")
	for i in $(seq "$from" "$to"); do
		BASE=${bases[$((i % ${#bases[@]}))]}
		req POST "/v1/faxes/$ORIG/resend" "$USER_A" '{}'
		[ "$STATUS" = 202 ] || fail "resend $i: $STATUS ${BODY:0:200}"
		jqr '.items[0].id // .id' >>"$TMP/resent"
	done
	BASE=$A_BASE
}
# The first half through the three nodes; the rest through A and B once C
# is killed, so that the kill comes mid-run whatever the machine's speed.
resend 1 $((N / 2)) "$A_BASE" "$B_BASE" "$C_BASE"

# --- node C killed as soon as it has a call up with a page confirmed
c_mid_call() {
	[ "$(q "SELECT count(*) FROM fax_attempts WHERE node='node-c' AND result='in_progress' AND pages_confirmed >= 1")" -ge 1 ] 2>/dev/null
}
poll_until 600 c_mid_call && ok || fail "node C never had a call with a confirmed page"
kill -9 "$C_PID"
wait "$C_PID" 2>/dev/null
KILLED_AT=$(date +%s)
# The attempts open on node C at the kill, by id: the take-over is checked on
# exactly these (a call C ended normally just before the kill is not one).
OPEN_IDS=$(q "SELECT string_agg(quote_literal(id), ',' ORDER BY id) FROM fax_attempts WHERE node='node-c' AND result='in_progress'")
OPEN_C=$(tr ',' '\n' <<<"$OPEN_IDS" | grep -c .)
[ "$OPEN_C" -ge 1 ] && [ -n "$OPEN_IDS" ] && ok || { fail "node C had no call up when killed"; finish; exit 1; }
echo "node C killed with $OPEN_C call(s) up, $(q "SELECT count(*) FROM faxes WHERE status='delivered' AND direction='outbound'") of $((N + 1)) delivered"
resend $((N / 2 + 1)) "$N" "$A_BASE" "$B_BASE"
[ "$(sort -u "$TMP/resent" | grep -c '^fax_')" = "$N" ] && ok || fail "$N resent faxes: $(sort -u "$TMP/resent" | head -3)"

# --- the others take its jobs over after the lease, and finish everything
all_final() {
	[ "$(q "SELECT count(*) FROM faxes WHERE direction='outbound' AND status NOT IN ('delivered','partial','failed','cancelled')")" = 0 ]
}
poll_until 1200 all_final && ok || fail "faxes not final: $(q "SELECT status, count(*) FROM faxes WHERE direction='outbound' GROUP BY status")"
echo "all final $(($(date +%s) - T0)) s after the first resend"
# Taken over: each attempt open at the kill recorded interrupted, or "ok"
# when the call was cut after its last page was confirmed (the attempt
# carried the fax).
TAKEN_SQL="id IN ($OPEN_IDS) AND result IN ('interrupted', 'ok')"
TAKEN=$(q "SELECT count(*) FROM fax_attempts WHERE $TAKEN_SQL")
[ "$TAKEN" = "$OPEN_C" ] && ok || fail "node C's $OPEN_C open attempts: $TAKEN recorded as interrupted (or ok): $(q "SELECT id, result, ended_at FROM fax_attempts WHERE id IN ($OPEN_IDS)" | tr '\n' ' ')"
taken_rows() { q "SELECT string_agg(id || ':' || result || ':' || ended_at, ' ' ORDER BY id) FROM fax_attempts WHERE id IN ($OPEN_IDS)"; }
TAKEN_ROWS=$(taken_rows)
grep -h 'event=fax.lease_expired' "$TMP"/faxvaultd-b.log "$LOG" | grep -q 'node=node-c' && ok \
	|| fail "no node logged taking node C's jobs over"
# Taken over once the lease had passed, not before: node C renewed it at
# most a quarter of the lease before the kill.
EARLIEST=$(q "SELECT min(ended_at) FROM fax_attempts WHERE $TAKEN_SQL")
[ -n "$EARLIEST" ] && [ $((EARLIEST / 1000)) -ge $((KILLED_AT + LEASE * 3 / 4 - 1)) ] && ok \
	|| fail "node C's attempts were taken over at $EARLIEST, within the lease after the kill ($KILLED_AT)"

# 0 lost: every outbound fax delivered with its 3 pages confirmed
[ "$(q "SELECT count(*) FROM faxes WHERE direction='outbound' AND status='delivered' AND pages_confirmed=3")" = $((N + 1)) ] && ok \
	|| fail "not all delivered: $(q "SELECT status, pages_confirmed, count(*) FROM faxes WHERE direction='outbound' GROUP BY 1, 2")"
[ "$(q "SELECT count(*) FROM fax_pages p JOIN faxes f ON f.id=p.fax_id WHERE f.direction='outbound' AND p.status <> 'confirmed'")" = 0 ] && ok \
	|| fail "pages not confirmed"
# 0 sent twice whole: the pages the attempts of each fax confirmed add up to
# its 3 (each page once), and no second attempt starts at page 1 after one
# confirmed a page.
[ "$(q "SELECT count(*) FROM (SELECT fax_id, sum(pages_confirmed) AS s FROM fax_attempts WHERE direction='outbound' GROUP BY fax_id) t WHERE s <> 3")" = 0 ] && ok \
	|| fail "faxes whose attempts confirmed other than 3 pages: $(q "SELECT fax_id, sum(pages_confirmed) FROM fax_attempts WHERE direction='outbound' GROUP BY fax_id HAVING sum(pages_confirmed) <> 3")"
[ "$(q "SELECT count(*) FROM fax_attempts b JOIN fax_attempts a ON a.fax_id=b.fax_id AND a.attempt < b.attempt WHERE a.direction='outbound' AND a.pages_confirmed > 0 AND b.first_page = 1")" = 0 ] && ok \
	|| fail "a fax sent again from page 1 after a confirmed page"
# every CDR once: one row per attempt number, none in progress, one ok per fax
[ "$(q "SELECT count(*) FROM (SELECT fax_id, attempt FROM fax_attempts GROUP BY 1, 2 HAVING count(*) > 1) t")" = 0 ] && ok || fail "an attempt recorded twice"
[ "$(q "SELECT count(*) FROM fax_attempts WHERE result='in_progress'")" = 0 ] && ok || fail "attempts left in progress"
[ "$(q "SELECT count(*) FROM (SELECT fax_id FROM fax_attempts WHERE direction='outbound' AND result='ok' GROUP BY fax_id HAVING count(*) = 1) t")" = $((N + 1)) ] && ok \
	|| fail "faxes without exactly one ok attempt"
# the work was shared
for n in a b c; do
	[ "$(q "SELECT count(*) FROM fax_attempts WHERE node='node-$n' AND direction='outbound'")" -ge 1 ] && ok || fail "node $n placed no call"
done
! grep -qh 'event=fax.lease_lost' "$TMP"/faxvaultd-b.log "$LOG" && ok || fail "a live node lost its lease"
echo "calls by node: $(q "SELECT node, count(*) FROM fax_attempts WHERE direction='outbound' GROUP BY node ORDER BY node" | tr '\n' ' ')"

# --- node C again: nothing of its to take back; what its receiver had
# taken in before the kill is stored now.
CLOG="$TMP/faxvaultd-c.log"
mv "$CLOG" "$TMP/faxvaultd-c.1.log"
start_node c "${NODE_FLAGS[@]}" --set fax.node_id=node-c
C_PID=$NODE_PID
grep -q 'event=fax.recovered .*faxes=0' "$CLOG" && ok || fail "node C recovered faxes at its start: $(grep fax.recovered "$CLOG")"
[ "$(taken_rows)" = "$TAKEN_ROWS" ] && ok \
	|| fail "node C's restart changed its interrupted attempts"
# Each page went to B at least once; a fax is received whole at most once
# per fax sent (the pieces of a taken-over fax are smaller).
pages_in() { [ "$(q "SELECT coalesce(sum(page_count), 0) FROM faxes WHERE direction='inbound'")" -ge $((3 * (N + 1))) ]; }
poll_until 120 pages_in && ok || fail "B received $(q "SELECT sum(page_count) FROM faxes WHERE direction='inbound'") pages, want at least $((3 * (N + 1)))"
[ "$(q "SELECT count(*) FROM faxes WHERE direction='inbound' AND page_count=3")" -le $((N + 1)) ] && ok || fail "a fax received whole twice"

kill -TERM "$B_PID" "$C_PID"
wait "$B_PID" && ok || fail "node B did not stop cleanly"
wait "$C_PID" && ok || fail "node C did not stop cleanly"
NODE_PIDS=()
finish
