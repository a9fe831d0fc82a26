#!/usr/bin/env bash
# A lost host, not a dead process (issue 15, P02): the leader of a Patroni
# cluster (scripts/patroni-test-cluster --relay --netns --ttl 30: two
# PostgreSQL 15 members in synchronous mode, each reached by the daemon
# through a network namespace of its own, the leader key's lease at
# Patroni's default of 30 s) stops answering on the network while its processes
# live: cut off from etcd, and its clients' link down, so that every packet
# between the daemon and it is dropped silently (no reset, no close), as
# when a machine or its network is lost. The daemon's DSN is the one of
# docs/postgresql.md without tcp_user_timeout: the store's own default
# bounds the wait. A writer creates accounts (POST with an Idempotency-Key)
# and reads one back all along, and four readers read it at the same time,
# so that the store's pool holds several connections to the leader when it
# is lost, each then taken by a request.
#  - every request answers within a bound: 201 (200 for the reads) or, in
#    the gap, 503 problem+json "unavailable"; none waits for TCP's
#    retransmissions (about 15 minutes: without tcp_user_timeout a request
#    sent on a pooled connection to the lost member hangs, and curl gives
#    up after 60 s with no answer);
#  - requests are refused during the gap (the lost member is given up
#    within the bound, well before the standby is promoted);
#  - the standby is promoted, and the same daemon process writes there
#    again by itself;
#  - every account answered 201 is on the new primary with its
#    account.create event, the refused writes sent again with their keys
#    make one account each, and audit-verify passes.
# Needs root (a network namespace and a veth pair); exits 77 without it or
# without Patroni and etcd.
. "$(dirname "$0")/lib.sh"
unset FV_TEST_PG
. "$(dirname "$0")/lib_patroni.sh"

[ "$(id -u)" = 0 ] || { echo "skipped: a network namespace needs root"; exit 77; }
command -v unshare >/dev/null && command -v nsenter >/dev/null && command -v ip >/dev/null \
	|| { echo "skipped: no unshare, nsenter or ip"; exit 77; }
unshare --net true 2>/dev/null || { echo "skipped: no network namespace here (unshare --net)"; exit 77; }

# The bound of one answer: the store gives up a lost connection after
# tcp_user_timeout (10 s) or its keep-alives (about 15 s with it), then
# connect_timeout (3 s in the DSN) per member that does not answer. 45 s
# leaves room for a loaded machine and stays well under TCP's 15 minutes.
# The gap (30 s, the lease) is longer than that: new requests are refused
# in it.
BOUND=45

patroni_start --relay --netns --ttl 30
writer_start
# the readers: "STATUS TYPE START END" per answer in TMP/par-N
readers_start 4
readers_read() { [ "$(cat "$TMP"/par-* | awk '$1 == 200' | wc -l)" -ge 20 ]; }
poll_until 300 readers_read && ok || fail "the readers did not get going: $(tail -q -n 1 "$TMP"/par-*)"
wait_settled
# (the two members reached through their namespaces)
[ "$(psql_at "$LEAD_PG" "SELECT count(*) FROM pg_stat_activity WHERE datname='fvpat' AND client_addr <<= '198.18.0.0/15'")" -ge 1 ] && ok \
	|| fail "the daemon does not reach $LEAD through its namespace"

# --- the leader lost as a host is
LOST_AT=$(wc -l <"$TMP/writes")
"$PTC" lose "$CL" "$LEAD" && ok || { fail "lose $LEAD"; finish; exit 1; }
LOST_T=$EPOCHREALTIME
echo "$LEAD (the leader) lost after $LOST_AT writes; $SURV its synchronous standby"

# Requests meanwhile: refused, cleanly, each within the bound (a request
# that hangs is seen here first: no answer past the loss for long).
refused_then_promoted "$LOST_AT"
poll_until 300 at_least 3 201 "$PRO_AT" && ok || fail "no write after the promotion: $(tail -n 5 "$TMP/writes")"
writer_stop
wait "${RPIDS[@]}"
cat "$TMP"/par-* >>"$TMP/reads"

# Every answer within the bound, before and after the loss.
slow=$(awk -v b="$BOUND" '$6 - $5 > b {printf "%s %s %.1fs; ", $1, $2, $6 - $5}' "$TMP/writes")
[ -z "$slow" ] && ok || fail "writes answered after more than $BOUND s: $slow"
slow=$(awk -v b="$BOUND" '$4 - $3 > b {printf "%s %.1fs; ", $1, $4 - $3}' "$TMP/reads")
[ -z "$slow" ] && ok || fail "reads answered after more than $BOUND s: $slow"
# measured, not asserted: the longest answers after the loss, the gap
echo "after the loss, the longest write: $(tail -n "+$((LOST_AT + 1))" "$TMP/writes" | awk '{d = $6 - $5; if (d > m) m = d} END {printf "%.1f s", m}')," \
	"the longest read: $(awk -v k="$LOST_T" '$4 > k {d = $4 - $3; if (d > m) m = d} END {printf "%.1f s", m}' "$TMP/reads")"
echo "the first writes after the loss: $(tail -n "+$((LOST_AT + 1))" "$TMP/writes" | head -n 6 | awk '{printf "%s %.1fs; ", $2, $6 - $5}')"
FIRST_OK_T=$(awk -v k="$LOST_T" '$2 == 201 && $5 > k {print $6; exit}' "$TMP/writes")
echo "leader lost -> $SURV primary: $(echo "$PROMOTED_T - $LOST_T" | bc) s; -> first write answered 201: $(echo "${FIRST_OK_T:-0} - $LOST_T" | bc) s"

check_answers
check_kept "$SURV_PG"
finish
