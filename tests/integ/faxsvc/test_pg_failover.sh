#!/usr/bin/env bash
# A PostgreSQL failover under running nodes (issue 15, P02): a primary and a
# streaming standby made here (initdb, pg_basebackup; synchronous
# replication, as Patroni's synchronous_mode), two faxvaultd nodes whose
# store.postgresql_dsn names both with target_session_attrs=read-write,
# API writes from both nodes and faxes on the loopback trunk running; the
# primary stopped hard (pg_ctl stop -m immediate), then the standby
# promoted (pg_ctl promote). What Patroni adds (deciding, fencing, choosing
# the standby) happens outside the clients: to a node a Patroni failover
# looks like this, its primary gone and another member accepting writes.
#  - every answer is a success or, while no member accepts writes, 503
#    problem+json of type "unavailable" (never 500, never a success the
#    database did not commit);
#  - the nodes reconnect by themselves: both answer writes again once the
#    standby is promoted;
#  - every account a node answered 201 for is in the promoted database
#    with its audit event, and the audit chains verify there;
#  - the faxes in flight at the failover finish, delivered, each page
#    confirmed, also those whose call ended while no member accepted
#    writes (their end recorded once the standby is promoted), and each
#    filed in the inbox by the receiving side, also one whose call ended
#    in the gap (stored once the standby is promoted: fax.inbound_recorded);
#  - the periodic sweeps go on on the new primary (the status board's
#    pass runs again, its one job queued again) and each node's job queue
#    listens there again.
# Does not use the shared cluster (fixture "pg"): the test stops its primary.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
unset FV_TEST_PG

bindir=""
for d in "$(pg_config --bindir 2>/dev/null || true)" /usr/lib/postgresql/15/bin; do
	if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_basebackup" ]; then
		bindir=$d
		break
	fi
done
[ -n "$bindir" ] || { echo "no initdb/pg_basebackup (install postgresql-15)"; exit 1; }

# PostgreSQL refuses to run as root: as root the servers run as nobody, in
# a directory nobody owns.
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		(cd / && setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@")
	else
		(cd / && "$@")
	fi
}
PGH=$(mktemp -d /tmp/fv-pgfail.XXXXXX)
[ "$(id -u)" = 0 ] && chown nobody:nogroup "$PGH"
chmod 700 "$PGH"
PRI=$PGH/p
STB=$PGH/s
pg_cleanup() {
	local d
	for d in "$PRI" "$STB"; do
		[ -f "$d/data/postmaster.pid" ] && as_pg "$bindir/pg_ctl" -D "$d/data" -m immediate -w -t 60 stop >/dev/null 2>&1
	done
	rm -rf "$PGH"
}
trap 'cleanup; pg_cleanup' EXIT
pg_start() { # pg_start DIR [OPTIONS]: the server of DIR/data, its socket in DIR only (no TCP)
	as_pg "$bindir/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 120 -o "-c listen_addresses= -k $1 ${2:-}" start >/dev/null \
		|| { fail "PostgreSQL in $1 did not start: $(tail -n 20 "$1/server.log")"; finish; exit 1; }
}
as_pg mkdir -m 700 "$PRI" "$STB"
as_pg "$bindir/initdb" -D "$PRI/data" -U faxvault --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync \
	>"$TMP/initdb.log" 2>&1 || { cat "$TMP/initdb.log"; exit 1; }
# Synchronous replication: a commit is answered once the standby has it.
cat >>"$PRI/data/postgresql.conf" <<EOF
fsync = off
full_page_writes = off
max_connections = 200
shared_buffers = 32MB
wal_level = replica
max_wal_senders = 4
synchronous_commit = on
synchronous_standby_names = '*'
EOF
pg_start "$PRI"
as_pg "$bindir/pg_basebackup" -h "$PRI" -U faxvault -D "$STB/data" -R -X stream >"$TMP/basebackup.log" 2>&1 \
	|| { fail "pg_basebackup: $(cat "$TMP/basebackup.log")"; finish; exit 1; }
# The standby waits for no standby of its own once promoted (Patroni's
# synchronous_mode, not strict, does the same when no standby is left).
pg_start "$STB" "-c synchronous_standby_names="
psql_at() { psql -X -At -v ON_ERROR_STOP=1 "host=$1 user=faxvault dbname=${3:-fvfail}" -c "$2" 2>/dev/null; }
streaming() { [ "$(psql_at "$PRI" "SELECT count(*) FROM pg_stat_replication WHERE state='streaming' AND sync_state='sync'" postgres)" = 1 ]; }
poll_until 120 streaming && ok || { fail "the standby does not stream: $(tail -n 20 "$STB/server.log")"; finish; exit 1; }
psql_at "$PRI" "CREATE DATABASE fvfail" postgres >/dev/null || { fail "CREATE DATABASE"; finish; exit 1; }
[ "$(psql_at "$STB" "SELECT pg_is_in_recovery()" postgres)" = t ] && ok || fail "the standby is not in recovery"

# Both members in the connection string; libpq keeps the one that accepts writes.
FV_TEST_FLAGS="$FV_TEST_FLAGS --set store.backend=postgresql --set store.postgresql_dsn=postgresql://faxvault@/fvfail?host=$PRI,$STB&target_session_attrs=read-write&connect_timeout=3"
FV_TEST_FLAGS="$FV_TEST_FLAGS --set ratelimit.requests_per_minute=1000000 --set ratelimit.burst=1000000"
DB=$PRI # the member that accepts writes now
q() { psql_at "$DB" "$1"; }

fax_setup --set fax.node_id=node-a
A_BASE=$BASE
start_node b --set testing.media_clock_speed="$FAX_SPEED" --set fax.poll_ms=100 \
	--set fax.trunk_keepalive_seconds=0 --set fax.node_id=node-b
B_BASE=$NODE_BASE
B_PID=$NODE_PID
B_LOG=$TMP/faxvaultd-b.log

# --- traffic: one writer per node creating accounts (each audited) until
# told to stop, every answer kept as "N STATUS TYPE ID".
writer() { # writer NAME BASE
	local i=0 st ty id
	: >"$TMP/w-$1"
	while [ ! -e "$TMP/stop" ]; do
		i=$((i + 1))
		st=$(curl -s -m 60 -o "$TMP/w-$1.body" -D "$TMP/w-$1.hdr" -w '%{http_code}' -X POST \
			-H "Authorization: Bearer $OP" -H 'Content-Type: application/json' \
			--data-binary "{\"name\":\"Failover $1 $i\",\"owner\":{\"email\":\"o$i@$1.fo.example\",\"name\":\"O\"}}" \
			"$2/v1/accounts")
		ty=$(jq -r '.type // "-"' "$TMP/w-$1.body" 2>/dev/null)
		id=$(jq -r '.id // "-"' "$TMP/w-$1.body" 2>/dev/null)
		grep -qi '^content-type: application/problem+json' "$TMP/w-$1.hdr" || [ "$st" -lt 400 ] || ty="not-problem:$ty"
		echo "$i $st ${ty:--} ${id:--}" >>"$TMP/w-$1"
		# a read through the same node, answered or refused as cleanly
		curl -s -m 60 -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $OP" "$2/v1/accounts?limit=5" >>"$TMP/r-$1"
	done
}
count() { # count NAME STATUS [FROM_LINE]: answers of writer NAME with STATUS after line FROM_LINE
	tail -n "+$((${3:-0} + 1))" "$TMP/w-$1" | awk -v s="$2" '$2 == s' | wc -l
}
writer a "$A_BASE" &
WA=$!
writer b "$B_BASE" &
WB=$!
NODE_PIDS+=("$WA" "$WB")
both_wrote() { [ "$(count a 201)" -ge "$1" ] && [ "$(count b 201)" -ge "$1" ]; }
poll_until 300 both_wrote 3 && ok || fail "the writers did not get going: $(tail -n 3 "$TMP/w-a" "$TMP/w-b")"

# --- faxes: four 3-page faxes, sent through both nodes
make_pdf "$TMP/three.pdf" 3
NFAX=4
for i in $(seq 1 $NFAX); do
	[ $((i % 2)) = 0 ] && BASE=$A_BASE || BASE=$B_BASE
	send_fax "$USER_A" "$NUM_B" "$TMP/three.pdf"
	expect_status 202 "fax $i accepted"
done
BASE=$A_BASE
mid_call() { [ "$(q "SELECT count(*) FROM fax_attempts WHERE result='in_progress' AND pages_confirmed >= 1")" -ge 1 ] 2>/dev/null; }
poll_until 600 mid_call && ok || fail "no call with a confirmed page"
# The job queues' listeners, one per node, on the primary.
LISTENERS=$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN %'")
[ "$LISTENERS" -ge 2 ] && ok || fail "$LISTENERS job queue listeners, want one per node at least"

# --- the primary stopped hard
IN_FLIGHT=$(q "SELECT count(*) FROM faxes WHERE direction='outbound' AND status NOT IN ('delivered','partial','failed','cancelled')")
as_pg "$bindir/pg_ctl" -D "$PRI/data" -m immediate -w -t 60 stop >/dev/null && ok || fail "pg_ctl stop -m immediate"
KILL_A=$(wc -l <"$TMP/w-a") KILL_B=$(wc -l <"$TMP/w-b")
KILL_LA=$(wc -l <"$LOG") KILL_LB=$(wc -l <"$B_LOG")
echo "primary stopped with $IN_FLIGHT fax(es) not final; writers at $KILL_A and $KILL_B requests"
# Requests meanwhile: refused (no member accepts writes), by both nodes.
both_refused() { [ "$(count a 503 "$KILL_A")" -ge 2 ] && [ "$(count b 503 "$KILL_B")" -ge 2 ]; }
poll_until 300 both_refused && ok || fail "no 503 during the gap: $(tail -n 5 "$TMP/w-a" "$TMP/w-b")"
kill -0 "$DAEMON_PID" && kill -0 "$B_PID" && ok || { fail "a node exited with its database"; finish; exit 1; }
# A call ends while no member accepts writes (the promotion waits for it):
# its end cannot be recorded now (fax.finish_failed); the node keeps it and
# records it once the standby is promoted (fax.finish_recorded).
ended_in_gap() {
	{ tail -n "+$((KILL_LA + 1))" "$LOG"; tail -n "+$((KILL_LB + 1))" "$B_LOG"; } | grep -q 'event=fax.call_end'
}
# calls up at the stop: started and not ended in the logs up to it
UP_AT_STOP=$({ head -n "$KILL_LA" "$LOG"; head -n "$KILL_LB" "$B_LOG"; } \
	| awk '/event=fax.call_start /{n++} /event=fax.call_(end|interrupted) /{n--} END{print n+0}')
if [ "$UP_AT_STOP" -ge 1 ]; then
	poll_until 300 ended_in_gap && ok || fail "no call ended while the primary was down ($UP_AT_STOP up at the stop)"
else
	echo "no call was up at the stop (all ended just before it): no end recorded late"
fi

# --- the standby promoted: the nodes find it by themselves
as_pg "$bindir/pg_ctl" -D "$STB/data" -w -t 120 promote >/dev/null && ok || fail "pg_ctl promote"
DB=$STB
PRO_A=$(wc -l <"$TMP/w-a") PRO_B=$(wc -l <"$TMP/w-b")
both_back() { [ "$(count a 201 "$PRO_A")" -ge 3 ] && [ "$(count b 201 "$PRO_B")" -ge 3 ]; }
poll_until 300 both_back && ok || fail "the nodes did not write again after the promotion: $(tail -n 5 "$TMP/w-a" "$TMP/w-b")"
touch "$TMP/stop"
wait "$WA" "$WB"
echo "answers: node A $(awk '{print $2}' "$TMP/w-a" | sort | uniq -c | tr '\n' ' '); node B $(awk '{print $2}' "$TMP/w-b" | sort | uniq -c | tr '\n' ' ')"

# every answer a success or a clean 503 "unavailable"
BAD=$(cat "$TMP/w-a" "$TMP/w-b" | awk '$2 != 201 && !($2 == 503 && $3 == "urn:faxvault:problem:unavailable")')
[ -z "$BAD" ] && ok || fail "answers neither 201 nor 503 unavailable problem+json: $(echo "$BAD" | head -5)"
BADR=$(cat "$TMP/r-a" "$TMP/r-b" | grep -cv '^\(200\|503\)$')
[ "$BADR" = 0 ] && ok || fail "$BADR reads answered neither 200 nor 503: $(sort "$TMP/r-a" "$TMP/r-b" | uniq -c | tr '\n' ' ')"
[ "$(cat "$TMP/r-a" "$TMP/r-b" | grep -c '^503$')" -ge 1 ] && ok || fail "no read was refused during the gap"

# every 201 answered before, during and after the failover is there, with its audit event
awk '$2 == 201 {print $4}' "$TMP/w-a" "$TMP/w-b" | sort >"$TMP/answered"
q "SELECT id FROM accounts WHERE name LIKE 'Failover %'" | sort >"$TMP/stored"
q "SELECT target FROM audit_events WHERE action='account.create' AND outcome='success'" | sort >"$TMP/audited"
MISSING=$(comm -23 "$TMP/answered" "$TMP/stored")
[ -s "$TMP/answered" ] && [ -z "$MISSING" ] && ok || fail "accounts answered 201 but not in the promoted database: $(echo "$MISSING" | head -5)"
UNAUDITED=$(comm -23 "$TMP/answered" "$TMP/audited")
[ -z "$UNAUDITED" ] && ok || fail "accounts answered 201 without their audit event: $(echo "$UNAUDITED" | head -5)"
echo "$(wc -l <"$TMP/answered") accounts answered 201, $(wc -l <"$TMP/stored") stored"

# the faxes in flight finish
all_final() {
	[ "$(q "SELECT count(*) FROM faxes WHERE direction='outbound' AND status NOT IN ('delivered','partial','failed','cancelled')")" = 0 ]
}
poll_until 900 all_final && ok || fail "faxes not final: $(q "SELECT status, count(*) FROM faxes WHERE direction='outbound' GROUP BY status"); $(grep -h 'event=fax.finish_failed' "$LOG" "$B_LOG" | head -n 4)"
[ "$(q "SELECT count(*) FROM faxes WHERE direction='outbound' AND status='delivered' AND pages_confirmed=3")" = "$NFAX" ] && ok \
	|| fail "not all delivered: $(q "SELECT status, pages_confirmed, count(*) FROM faxes WHERE direction='outbound' GROUP BY 1, 2")"
[ "$(q "SELECT count(*) FROM fax_attempts WHERE result='in_progress'")" = 0 ] && ok || fail "attempts left in progress"
echo "fax attempts: $(q "SELECT result, count(*) FROM fax_attempts WHERE direction='outbound' GROUP BY 1 ORDER BY 1" | tr '\n' ' ')"
[ "$UP_AT_STOP" = 0 ] || grep -qh 'event=fax.finish_recorded' "$LOG" "$B_LOG" && ok \
	|| fail "no call's end recorded after the gap: $(grep -h 'event=fax.finish_failed' "$LOG" "$B_LOG" | head -n 4)"
# ... and the same daemons received them: every fax filed in the inbox,
# also one whose call ended in the gap (its storing tried again until the
# standby is promoted: fax.inbound_recorded), none lost
all_received() {
	[ "$(q "SELECT count(*) FROM faxes WHERE direction='inbound' AND status='received' AND page_count=3")" = "$NFAX" ]
}
poll_until 300 all_received && ok || fail "received faxes: $(q "SELECT status, page_count, count(*) FROM faxes WHERE direction='inbound' GROUP BY 1, 2"); $(grep -h 'event=fax.inbound_' "$LOG" "$B_LOG" | head -n 6)"
if grep -qh 'event=fax.inbound_store_failed' "$LOG" "$B_LOG"; then
	grep -qh 'event=fax.inbound_recorded' "$LOG" "$B_LOG" && ok \
		|| fail "a received fax not stored in the gap and not recorded after it: $(grep -h 'event=fax.inbound_' "$LOG" "$B_LOG" | head -n 6)"
else
	echo "no received fax ended in the gap: none stored late"
fi

# the periodic sweeps (jobs of the queue) go on on the new primary: the
# status board's pass runs again (its job queued again after now), and one
# job of it exists
SWEEP_T0=$(( $(clock_seconds) * 1000 ))
status_ran() { [ "$(q "SELECT count(*) FROM jobs WHERE kind='sweep' AND ref='status' AND updated_at >= $SWEEP_T0")" = 1 ]; }
poll_until 300 status_ran && ok || fail "the status sweep did not run on the new primary: $(q "SELECT state, updated_at, lease_node FROM jobs WHERE kind='sweep' AND ref='status'")"
[ "$(q "SELECT count(*) FROM jobs WHERE kind='sweep' AND ref='status'")" = 1 ] && ok || fail "the status sweep has several jobs"
# the job queues listen on the new primary
listening() { [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN %'")" -ge "$LISTENERS" ]; }
poll_until 300 listening && ok || fail "the job queues do not listen on the new primary"

# the audit chains verify on the promoted database
# shellcheck disable=SC2086
"$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS audit-verify >"$TMP/verify.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q 'audit chain intact' "$TMP/verify.out" && ok || fail "audit-verify after the failover (exit $rc): $(cat "$TMP/verify.out")"

kill -TERM "$B_PID"
wait "$B_PID" && ok || fail "node B did not stop cleanly"
NODE_PIDS=()
finish
