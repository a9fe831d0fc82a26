#!/usr/bin/env bash
# pg_rewind of the old leader after a switch (issue 15, P02), as
# docs/postgresql.md configures Patroni (use_pg_rewind: true): a cluster of
# two members (scripts/patroni-test-cluster), the leader's timeline made to
# diverge from its standby's, then the old leader brought back.
#  - the leader's WAL sender is stopped (SIGSTOP), and a row is committed on
#    the leader alone (synchronous_commit = local): the leader's WAL is
#    ahead of what the standby received;
#  - the leader is then lost (kill -9 of its Patroni, postmaster and
#    backends): Patroni promotes the standby, which writes a row of its own
#    on its new timeline;
#  - the old leader's Patroni started again finds its timeline diverged and
#    runs pg_rewind from the new leader (its log says so), then rejoins as
#    its synchronous standby, streaming;
#  - the row only the old leader had is gone from it (rewound), the new
#    leader's row is there, on both members.
# No faxvaultd: what is shown is the documented deployment's way back.
# Exits 77 without Patroni and etcd.
. "$(dirname "$0")/lib.sh"
unset FV_TEST_PG
. "$(dirname "$0")/lib_patroni.sh"

patroni_cluster
wait_settled
OLD=$LEAD OLD_PG=$LEAD_PG OLD_REST=$LEAD_REST
NEW=$SURV NEW_PG=$SURV_PG NEW_REST=$SURV_REST
psql_at "$OLD_PG" "CREATE TABLE rewind_probe (x int)" >/dev/null && ok || { fail "CREATE TABLE on $OLD"; finish; exit 1; }
has_table() { [ "$(psql_at "$NEW_PG" "SELECT count(*) FROM pg_tables WHERE tablename='rewind_probe'")" = 1 ]; }
poll_until 120 has_table && ok || { fail "the table did not reach $NEW"; finish; exit 1; }

# --- the timelines made to diverge: the WAL sender stopped, a row on the
# leader alone
WALSENDER=$(psql_at "$OLD_PG" "SELECT pid FROM pg_stat_replication WHERE state='streaming'" postgres)
[ -n "$WALSENDER" ] && kill -STOP "$WALSENDER" && ok || { fail "no WAL sender on $OLD: $WALSENDER"; finish; exit 1; }
psql_at "$OLD_PG" "SET synchronous_commit = local; INSERT INTO rewind_probe VALUES (1)" >/dev/null && ok \
	|| fail "the leader-only row"
OLD_LSN=$(psql_at "$OLD_PG" "SELECT pg_current_wal_lsn()")
NEW_LSN=$(psql_at "$NEW_PG" "SELECT pg_last_wal_receive_lsn()")
[ "$(psql_at "$OLD_PG" "SELECT pg_wal_lsn_diff('$OLD_LSN', '$NEW_LSN') > 0")" = t ] && ok \
	|| fail "$OLD's WAL ($OLD_LSN) is not ahead of what $NEW received ($NEW_LSN)"
echo "$OLD (the leader) at $OLD_LSN, $NEW (its standby) received up to $NEW_LSN"

# --- the leader lost, the standby promoted, a row on the new timeline
"$PTC" kill "$CL" "$OLD" && ok || fail "kill of $OLD"
poll_until 300 rest_is "$NEW_REST" /primary && ok \
	|| { fail "$NEW was not promoted: $(tail -n 20 "$CL/$NEW/patroni.log")"; finish; exit 1; }
writable() { psql_at "$NEW_PG" "INSERT INTO rewind_probe VALUES (2)" >/dev/null; }
poll_until 120 writable && ok || fail "no write on $NEW after its promotion"
[ "$(psql_at "$NEW_PG" "SELECT string_agg(x::text, ',' ORDER BY x) FROM rewind_probe")" = 2 ] && ok \
	|| fail "$NEW has: $(psql_at "$NEW_PG" "SELECT string_agg(x::text, ',' ORDER BY x) FROM rewind_probe")"

# --- the old leader back: rewound, then the new leader's synchronous standby
"$PTC" revive "$CL" "$OLD" && ok || { fail "$OLD did not start again"; finish; exit 1; }
rejoined() {
	rest_is "$OLD_REST" /sync &&
		[ "$(psql_at "$NEW_PG" "SELECT count(*) FROM pg_stat_replication WHERE state='streaming' AND sync_state='sync'")" = 1 ]
}
poll_until 300 rejoined && ok \
	|| { fail "$OLD did not rejoin as $NEW's synchronous standby: $(patronictl -c "$CL/$NEW/patroni.yml" list 2>&1); $(grep -i 'rewind\|diverg\|error' "$CL/$OLD/patroni.log" | tail -n 8)"; finish; exit 1; }
grep -i 'pg_rewind' "$CL/$OLD/patroni.log" | tail -n 3
grep -q 'running pg_rewind from' "$CL/$OLD/patroni.log" && ok \
	|| fail "$OLD's Patroni did not run pg_rewind: $(grep -i 'rewind\|diverg' "$CL/$OLD/patroni.log" | tail -n 5)"
[ "$(psql_at "$OLD_PG" "SELECT pg_is_in_recovery()")" = t ] && ok || fail "$OLD is not in recovery"
synced() { [ "$(psql_at "$OLD_PG" "SELECT string_agg(x::text, ',' ORDER BY x) FROM rewind_probe")" = 2 ]; }
poll_until 120 synced && ok \
	|| fail "$OLD has: $(psql_at "$OLD_PG" "SELECT string_agg(x::text, ',' ORDER BY x) FROM rewind_probe"), want 2 (its own row rewound, the new leader's)"
finish
