#!/usr/bin/env bash
# A fax in flight during a Patroni failover (issue 15, P02): faxes sent
# over the loopback trunk (real SIP and T.30 between the daemon's sending
# and receiving sides) while the leader of a Patroni cluster
# (scripts/patroni-test-cluster: two PostgreSQL 15 members in synchronous
# mode) is lost as a machine is (kill -9 of its Patroni, its postmaster and
# its backends) with a call past its first confirmed page; Patroni promotes
# the standby.
#  - every fax ends delivered with its 3 pages confirmed, no attempt left in
#    progress;
#  - no page is sent twice whole: per fax, the attempts' confirmed pages add
#    up to 3 and each attempt after the first starts at the page after the
#    ones confirmed before it (fax_attempts.first_page); the receiving side
#    filed as many pages as were sent, no more;
#  - one CDR per call: an outbound fax has one attempt per call made
#    (one when its call went on through the switch), and the received faxes
#    one inbound CDR each;
#  - audit-verify passes against the new primary.
# integ_fax_pg_failover shows the same with pg_ctl (stop, then promote) and
# two nodes; this one with Patroni deciding and the CDRs and pages counted.
# With PATRONI_LOSE=1 (integ_api_pg_patroni_fax_lost) the leader is lost as
# a host is instead (patroni-test-cluster --relay --netns --ttl 30, then
# lose: its processes live, every packet between the daemon and it dropped
# silently; root only), so that the service's statements wait for the
# store's timeouts while the calls go on.
# Exits 77 without Patroni and etcd.
. "$(dirname "$0")/lib.sh"
unset FV_TEST_PG
. "$(dirname "$0")/lib_patroni.sh"
. "$(dirname "$0")/../faxsvc/lib_fax.sh"

if [ "${PATRONI_LOSE:-0}" = 1 ]; then
	[ "$(id -u)" = 0 ] && unshare --net true 2>/dev/null || { echo "skipped: no network namespace here (root and unshare --net)"; exit 77; }
	patroni_cluster --relay --netns --ttl 30
else
	patroni_cluster
fi
fax_setup --set fax.node_id=node-a
wait_settled
DB=$LEAD_PG # the member that accepts writes now
q() { psql_at "$DB" "$1"; }

# --- faxes: three 3-page faxes from A to B, over the loopback trunk
make_pdf "$TMP/three.pdf" 3
NFAX=3
for i in $(seq 1 $NFAX); do
	send_fax "$USER_A" "$NUM_B" "$TMP/three.pdf"
	expect_status 202 "fax $i accepted"
done
mid_call() { [ "$(q "SELECT count(*) FROM fax_attempts WHERE direction='outbound' AND result='in_progress' AND pages_confirmed >= 1")" -ge 1 ] 2>/dev/null; }
poll_until 600 mid_call && ok || { fail "no call with a confirmed page: $(q "SELECT status, count(*) FROM faxes GROUP BY 1")"; finish; exit 1; }

# --- the leader lost under the call
KILL_L=$(wc -l <"$LOG")
if [ "${PATRONI_LOSE:-0}" = 1 ]; then
	"$PTC" lose "$CL" "$LEAD" && ok || fail "lose $LEAD"
	echo "$LEAD (the leader) lost as a host with a call past its first page; $SURV its synchronous standby"
else
	"$PTC" kill "$CL" "$LEAD" && ok || fail "kill of $LEAD"
	echo "$LEAD (the leader) killed with a call past its first page; $SURV its synchronous standby"
fi
poll_until 300 rest_is "$SURV_REST" /primary && ok \
	|| { fail "$SURV was not promoted: $(tail -n 20 "$CL/$SURV/patroni.log")"; finish; exit 1; }
DB=$SURV_PG
UP_AT_KILL=$(head -n "$KILL_L" "$LOG" | awk '/event=fax.call_start /{n++} /event=fax.call_(end|interrupted) /{n--} END{print n+0}')
echo "calls up when the leader went: $UP_AT_KILL"

# --- every fax delivered, each page once
all_final() {
	[ "$(q "SELECT count(*) FROM faxes WHERE direction='outbound' AND status NOT IN ('delivered','partial','failed','cancelled')")" = 0 ]
}
poll_until 900 all_final && ok \
	|| fail "faxes not final: $(q "SELECT status, count(*) FROM faxes WHERE direction='outbound' GROUP BY status"); $(grep -h 'event=fax.finish_failed\|event=fax.page_record_failed' "$LOG" | head -n 4)"
[ "$(q "SELECT count(*) FROM faxes WHERE direction='outbound' AND status='delivered' AND pages_confirmed=3")" = "$NFAX" ] && ok \
	|| fail "not all delivered: $(q "SELECT status, pages_confirmed, count(*) FROM faxes WHERE direction='outbound' GROUP BY 1, 2")"
[ "$(q "SELECT count(*) FROM fax_attempts WHERE result='in_progress'")" = 0 ] && ok || fail "attempts left in progress"
echo "outbound attempts (fax, attempt, first page, pages confirmed, result):"
q "SELECT fax_id, attempt, first_page, pages_confirmed, result FROM fax_attempts WHERE direction='outbound' ORDER BY fax_id, attempt" | sed 's/^/  /'
# per fax, the attempts' confirmed pages add up to 3, and each attempt
# begins after the pages confirmed before it
bad=$(q "SELECT fax_id FROM fax_attempts WHERE direction='outbound' GROUP BY fax_id HAVING sum(pages_confirmed) <> 3")
[ -z "$bad" ] && ok || fail "faxes whose attempts confirmed other than 3 pages (a page sent twice, or lost): $bad"
bad=$(q "SELECT a.fax_id || ' attempt ' || a.attempt FROM fax_attempts a WHERE a.direction='outbound'
	AND a.first_page <> 1 + (SELECT coalesce(sum(b.pages_confirmed), 0) FROM fax_attempts b
		WHERE b.fax_id = a.fax_id AND b.direction='outbound' AND b.attempt < a.attempt)")
[ -z "$bad" ] && ok || fail "attempts that did not start at the first unconfirmed page: $bad"
OUT_CALLS=$(q "SELECT count(*) FROM fax_attempts WHERE direction='outbound' AND pages_sent >= 1")
# the receiving side: one fax per call that sent pages, as many pages as
# were sent, one inbound CDR each
all_received() {
	[ "$(q "SELECT count(*) FROM faxes WHERE direction='inbound' AND status='received'")" -ge "$OUT_CALLS" ]
}
poll_until 300 all_received && ok \
	|| fail "received faxes: $(q "SELECT status, page_count, count(*) FROM faxes WHERE direction='inbound' GROUP BY 1, 2"); $(grep -h 'event=fax.inbound_' "$LOG" | head -n 6)"
[ "$(q "SELECT count(*) FROM faxes WHERE direction='inbound'")" = "$OUT_CALLS" ] && ok \
	|| fail "$(q "SELECT count(*) FROM faxes WHERE direction='inbound'") faxes received for $OUT_CALLS calls"
[ "$(q "SELECT coalesce(sum(page_count), 0) FROM faxes WHERE direction='inbound'")" = $((NFAX * 3)) ] && ok \
	|| fail "pages received: $(q "SELECT sum(page_count) FROM faxes WHERE direction='inbound'"), want $((NFAX * 3))"
bad=$(q "SELECT f.id FROM faxes f WHERE f.direction='inbound' AND (SELECT count(*) FROM fax_attempts a WHERE a.fax_id = f.id) <> 1")
[ -z "$bad" ] && ok || fail "received faxes without exactly one CDR: $bad"
echo "fax attempts: $(q "SELECT direction, result, count(*) FROM fax_attempts GROUP BY 1, 2 ORDER BY 1, 2" | tr '\n' ' ')"
if [ "$UP_AT_KILL" -ge 1 ]; then
	grep -q 'event=fax.finish_recorded\|event=fax.finish_failed' "$LOG" \
		&& echo "a call's end met the gap: $(grep -c 'event=fax.finish_failed' "$LOG") failed, $(grep -c 'event=fax.finish_recorded' "$LOG") recorded late"
fi

# the same daemon, its service never restarted
kill -0 "$DAEMON_PID" 2>/dev/null && ok || fail "the daemon exited"
[ "$(grep -c 'restart_in_ms=' "$LOG")" = 0 ] && ok || fail "a process of the daemon was restarted: $(grep 'restart_in_ms=' "$LOG" | head -3)"
# shellcheck disable=SC2086
"$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS audit-verify >"$TMP/verify.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q 'audit chain intact' "$TMP/verify.out" && ok || fail "audit-verify after the failover (exit $rc): $(cat "$TMP/verify.out")"
finish
