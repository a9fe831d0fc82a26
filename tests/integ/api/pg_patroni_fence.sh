#!/usr/bin/env bash
# What Patroni adds to a failover beyond promoting a standby (issue 15,
# P02): fencing a leader cut off from etcd, and bringing the old leader
# back as a standby. Patroni 3.0.2 with etcd and two PostgreSQL 15 members
# in synchronous mode (scripts/patroni-test-cluster --relay: each member
# reaches etcd through a relay of its own), faxvaultd on them through the
# DSN of docs/postgresql.md, a writer creating accounts (POST with an
# Idempotency-Key) and reading one back all along.
#  - the leader cut off from etcd (its relay drops every connection; its
#    PostgreSQL still reachable by the daemon and the standby) demotes
#    itself (Patroni: "demoting self because DCS is not accessible"), and
#    the standby is promoted once the leader key's lease runs out; sampled
#    every tenth of a second or so, the two members are never both
#    primary;
#  - the old leader, back in touch with etcd, rejoins as the synchronous
#    standby of the new one (pg_rewind when their timelines diverged);
#  - the new leader then killed (kill -9 of its Patroni, postmaster and
#    backends), the old one is promoted again;
#  - through both switches every write is 201 or 503 "unavailable" and
#    every read 200 or 503, the same daemon process writes again by itself
#    each time, every account answered 201 is on the last primary with its
#    account.create event (a write the cut-off leader had answered after
#    the promotion would be gone, rewound), the refused writes sent again
#    with their keys make one account each, and audit-verify passes.
. "$(dirname "$0")/lib.sh"
unset FV_TEST_PG
. "$(dirname "$0")/lib_patroni.sh"

patroni_start --relay
writer_start
wait_settled
OLD=$LEAD OLD_PG=$LEAD_PG OLD_REST=$LEAD_REST
NEW=$SURV NEW_PG=$SURV_PG NEW_REST=$SURV_REST

# Both members' roles sampled until told to stop: "T OLD NEW", each "f"
# (primary), "t" (in recovery) or "down".
role() { psql_at "$1" "SELECT pg_is_in_recovery()" postgres || echo down; }
sampler() {
	while [ ! -e "$TMP/stop-sampler" ]; do
		echo "$EPOCHREALTIME $(role "$OLD_PG") $(role "$NEW_PG")" >>"$TMP/roles"
		sleep 0.1
	done
}
: >"$TMP/roles"
sampler &
SPID=$!
NODE_PIDS+=("$SPID")

# --- the leader cut off from etcd
CUT_AT=$(wc -l <"$TMP/writes")
"$PTC" cut "$CL" "$OLD" && ok || fail "cut of $OLD"
CUT_T=$EPOCHREALTIME
echo "$OLD (the leader) cut off from etcd after $CUT_AT writes"
fenced() { [ "$(role "$OLD_PG")" != f ]; }
poll_until 300 fenced && ok || fail "$OLD still primary: $(tail -n 10 "$CL/$OLD/patroni.log")"
FENCED_T=$EPOCHREALTIME
grep -q 'demoting self because DCS is not accessible\|demoted self because failed to update leader lock' "$CL/$OLD/patroni.log" && ok \
	|| fail "$OLD did not demote itself for the lost DCS: $(grep -i demot "$CL/$OLD/patroni.log" | tail -n 3)"
poll_until 300 rest_is "$NEW_REST" /primary && ok \
	|| { fail "$NEW was not promoted: $(tail -n 20 "$CL/$NEW/patroni.log")"; finish; exit 1; }
PROMOTED_T=$EPOCHREALTIME
PRO_AT=$(wc -l <"$TMP/writes")
poll_until 300 at_least 3 201 "$PRO_AT" && ok || fail "no write after the promotion: $(tail -n 5 "$TMP/writes")"
[ "$(count 503 "$CUT_AT")" -ge 1 ] && ok || fail "no write refused between the cut and the promotion"
echo "cut -> $OLD read-only or down: $(echo "$FENCED_T - $CUT_T" | bc) s; -> $NEW primary: $(echo "$PROMOTED_T - $CUT_T" | bc) s"

# --- the old leader back in touch with etcd: the new one's synchronous standby
"$PTC" heal "$CL" "$OLD" && ok || fail "heal of $OLD"
poll_until 300 rest_is "$OLD_REST" /sync && ok \
	|| { fail "$OLD did not rejoin as the synchronous standby: $(tail -n 20 "$CL/$OLD/patroni.log")"; finish; exit 1; }
touch "$TMP/stop-sampler"
wait "$SPID"
BOTH=$(awk '$2 == "f" && $3 == "f"' "$TMP/roles")
[ -z "$BOTH" ] && ok || fail "both members primary at once: $(echo "$BOTH" | head -3)"
[ "$(awk '$3 == "f"' "$TMP/roles" | wc -l)" -ge 1 ] && ok || fail "the sampler never saw $NEW primary"
echo "$(wc -l <"$TMP/roles") role samples; $OLD rejoined$(grep -q 'pg_rewind' "$CL/$OLD/patroni.log" && echo ' after pg_rewind')"
[ "$(psql_at "$NEW_PG" "SELECT count(*) FROM pg_stat_replication WHERE state='streaming' AND sync_state='sync'")" = 1 ] && ok \
	|| fail "$NEW has no synchronous standby streaming"

# --- the new leader killed: the old one promoted again
KILL_AT=$(wc -l <"$TMP/writes")
"$PTC" kill "$CL" "$NEW" && ok || fail "kill of $NEW"
KILL_T=$EPOCHREALTIME
poll_until 300 at_least 1 503 "$KILL_AT" && ok || fail "no 503 after $NEW's loss: $(tail -n 5 "$TMP/writes")"
poll_until 300 rest_is "$OLD_REST" /primary && ok \
	|| { fail "$OLD was not promoted again: $(tail -n 20 "$CL/$OLD/patroni.log")"; finish; exit 1; }
echo "$NEW killed -> $OLD primary again: $(echo "$EPOCHREALTIME - $KILL_T" | bc) s"
PRO_AT=$(wc -l <"$TMP/writes")
poll_until 300 at_least 3 201 "$PRO_AT" && ok || fail "no write after the second promotion: $(tail -n 5 "$TMP/writes")"
writer_stop

check_answers
check_kept "$OLD_PG"
finish
