#!/usr/bin/env bash
# The documented failover, with the real parts (issue 15, P02): Patroni
# 3.0.2 with etcd and three PostgreSQL 15 members in synchronous mode
# (scripts/patroni-test-cluster --members 3: a leader, a synchronous and an
# asynchronous standby), and faxvaultd on them through a DSN that names
# every member with target_session_attrs=read-write, connect_timeout and
# keep-alives, as docs/postgresql.md configures it. A writer creates
# accounts (POST with an Idempotency-Key, each audited) and reads one back
# while the leader is lost as a machine is (kill -9 of its Patroni, its
# postmaster and its backends); Patroni promotes the synchronous standby
# once the leader key's TTL runs out.
#  - every answer is 201 (200 for the reads) or, in the gap, 503
#    problem+json of type "unavailable": never 500, never 401/404 from a
#    read that failed, never a hang;
#  - only the synchronous standby is promoted; the asynchronous one
#    follows it and becomes its synchronous standby (with PATRONI_SYNC=2,
#    integ_api_pg_patroni_sync2: both standbys synchronous,
#    synchronous_node_count 2, one of them is promoted and the other
#    becomes its synchronous standby);
#  - the daemon answers again after the promotion without a restart (the
#    same process, its service never restarted);
#  - every account answered 201, before or after the gap, is on the new
#    primary with its account.create event (synchronous replication: none
#    lost); the requests refused in the gap, sent again with their keys,
#    each make one account;
#  - a creation committed just before the loss whose answer the client
#    did not get, sent again with its Idempotency-Key to the new primary,
#    answers the same account, and there is one of it;
#  - faxvaultd audit-verify passes against the new primary.
# Does not use the shared cluster (fixture "pg"): it runs its own.
. "$(dirname "$0")/lib.sh"
unset FV_TEST_PG
. "$(dirname "$0")/lib_patroni.sh"

# PATRONI_SYNC=2 (integ_api_pg_patroni_sync2): both standbys synchronous
# (synchronous_node_count 2); either may be promoted, the other follows it.
patroni_start --members 3 --sync "${PATRONI_SYNC:-1}"
writer_start

# --- the leader lost. One member leads, another is its synchronous standby
# and the third an asynchronous one, both streaming (the cluster's start
# waited for it with m1 leading; a loaded machine may have made Patroni
# switch since: whichever leads now).
wait_settled
[ "$(psql_at "$LEAD_PG" "SELECT count(*) FROM pg_stat_replication WHERE state='streaming'")" = 2 ] && ok \
	|| fail "$LEAD does not stream to both standbys"
# A creation whose answer the client loses: committed on the leader, its
# answer kept aside (the client would have seen its connection drop), sent
# again after the failover.
st=$(create lost lost "$TMP/lost")
LOST_ID=$(jq -r '.id // empty' "$TMP/lost.body" 2>/dev/null)
[ "$st" = 201 ] && [ -n "$LOST_ID" ] && ok || fail "the creation before the loss: $st $(cat "$TMP/lost.body")"
EXTRA_ACCOUNTS=$((EXTRA_ACCOUNTS + 1))
KILL_AT=$(wc -l <"$TMP/writes")
"$PTC" kill "$CL" "$LEAD" && ok || fail "kill of $LEAD"
KILL_T=$EPOCHREALTIME # the gap is measured from here: every process of the leader gone
echo "$LEAD (the leader) killed after $KILL_AT writes; $SURV its synchronous standby, $THIRD the $([ "${PATRONI_SYNC:-1}" = 2 ] && echo "other synchronous" || echo asynchronous) one"

# Requests meanwhile: refused, cleanly; Patroni promotes the standby once
# the leader key's TTL runs out.
refused_then_promoted "$KILL_AT"
# Only the synchronous standby may be promoted: the asynchronous one
# follows it, and becomes its synchronous standby (commits wait for it
# again).
# again). (With PATRONI_SYNC=2 THIRD was synchronous already: its
# streaming from SURV is what is waited for.)
third_syncs() {
	rest_is "$THIRD_REST" /sync &&
		[ "$(psql_at "$SURV_PG" "SELECT count(*) FROM pg_stat_replication WHERE state='streaming' AND sync_state IN ('sync', 'quorum')")" = 1 ]
}
poll_until 300 third_syncs && ok \
	|| fail "$THIRD did not become $SURV's synchronous standby, streaming: $(patronictl -c "$CL/m1/patroni.yml" list 2>&1); $(psql_at "$SURV_PG" "SELECT application_name, state, sync_state FROM pg_stat_replication" | tr '\n' ' ')"
[ "$(psql_at "$THIRD_PG" "SELECT pg_is_in_recovery()")" = t ] && ok || fail "$THIRD is not in recovery"
# The daemon writes again by itself.
poll_until 300 at_least 3 201 "$PRO_AT" && ok || fail "no write after the promotion: $(tail -n 5 "$TMP/writes")"
writer_stop
# The gap as the client saw it: from the loss to the answer of the first
# write sent after it and answered 201 (measured, not asserted).
FIRST_OK_T=$(awk -v k="$KILL_T" '$2 == 201 && $5 > k {print $6; exit}' "$TMP/writes")
echo "leader lost -> $SURV primary: $(echo "$PROMOTED_T - $KILL_T" | bc) s; -> first write answered 201: $(echo "${FIRST_OK_T:-0} - $KILL_T" | bc) s"

check_answers
[ "$(psql_at "$SURV_PG" "SELECT count(*) FROM accounts WHERE id='$LOST_ID'")" = 1 ] && ok \
	|| fail "the account made just before the loss is not on the new primary"
# the creation whose answer was lost, sent again: the same account
st=$(create lost lost "$TMP/again")
[ "$st" = 201 ] && [ "$(jq -r .id "$TMP/again.body")" = "$LOST_ID" ] && ok \
	|| fail "the retry of the lost answer: $st $(cat "$TMP/again.body"), want 201 and $LOST_ID"
check_kept "$SURV_PG"
finish
