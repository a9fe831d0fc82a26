#!/usr/bin/env bash
# The documented failover, with the real parts (issue 15, P02): Patroni
# 3.0.2 with etcd and two PostgreSQL 15 members in synchronous mode
# (scripts/patroni-test-cluster), and faxvaultd on them through a DSN that
# names both members with target_session_attrs=read-write, connect_timeout
# and keep-alives, as docs/postgresql.md configures it. A writer creates
# accounts (POST with an Idempotency-Key, each audited) and reads one back
# while the leader is lost as a machine is (kill -9 of its Patroni, its
# postmaster and its backends); Patroni promotes the synchronous standby
# once the leader key's TTL runs out.
#  - every answer is 201 (200 for the reads) or, in the gap, 503
#    problem+json of type "unavailable": never 500, never 401/404 from a
#    read that failed, never a hang;
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
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
PTC="$ROOT/scripts/patroni-test-cluster"

PATD=$(mktemp -d /tmp/fv-patroni-test.XXXXXX)
CL=$PATD/cluster
trap 'cleanup; "$PTC" stop "$CL" >/dev/null 2>&1; rm -rf "$PATD"' EXIT
"$PTC" start "$CL" >"$TMP/cluster.out" 2>&1 || { fail "the Patroni cluster did not start: $(tail -n 30 "$TMP/cluster.out")"; finish; exit 1; }
ok
# shellcheck disable=SC1091
. "$CL/cluster.env"
psql_at() { # psql_at PORT SQL [DB]
	psql -X -At -v ON_ERROR_STOP=1 "host=127.0.0.1 port=$1 user=faxvault dbname=${3:-fvpat} connect_timeout=5" -c "$2" 2>/dev/null
}
rest_code() { curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1$2" 2>/dev/null; }
rest_is() { [ "$(rest_code "$1" "$2")" = 200 ]; }
psql_at "$M1_PG" "CREATE DATABASE fvpat" postgres >/dev/null || { fail "CREATE DATABASE on m1"; finish; exit 1; }

# The DSN of docs/postgresql.md, as a URI (both members; libpq keeps the one
# that accepts writes).
DSN="postgresql://faxvault@127.0.0.1:$M1_PG,127.0.0.1:$M2_PG/fvpat?target_session_attrs=read-write&connect_timeout=3&keepalives_idle=10&keepalives_interval=5&keepalives_count=3"
FV_TEST_FLAGS="$FV_TEST_FLAGS --set store.backend=postgresql --set store.postgresql_dsn=$DSN"
FV_TEST_FLAGS="$FV_TEST_FLAGS --set ratelimit.requests_per_minute=1000000 --set ratelimit.burst=1000000"
start_daemon
OP=$(operator_token)
[ -n "$OP" ] && ok || { fail "no operator token"; finish; exit 1; }

# --- the writer: one account per request, with its Idempotency-Key, until
# told to stop; each answer kept as "N STATUS TYPE ID START END", then a
# read of an account made before, kept as "STATUS TYPE".
body_of() { printf '{"name":"Patroni %s","owner":{"email":"o%s@patroni.example","name":"O"}}' "$1" "$1"; }
create() { # create KEY N OUT: POST /v1/accounts with Idempotency-Key KEY; prints the status
	curl -s -m 60 -o "$3.body" -D "$3.hdr" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $OP" -H 'Content-Type: application/json' -H "Idempotency-Key: $1" \
		--data-binary "$(body_of "$2")" "$BASE/v1/accounts"
}
problem_type() { # problem_type OUT STATUS: the problem's type, "-" for none
	local ty
	ty=$(jq -r '.type // "-"' "$1.body" 2>/dev/null)
	grep -qi '^content-type: application/problem+json' "$1.hdr" || [ "$2" -lt 400 ] || ty="not-problem:$ty"
	echo "${ty:--}"
}
writer() {
	local i=0 st t0 t1
	while [ ! -e "$TMP/stop" ]; do
		i=$((i + 1))
		t0=$EPOCHREALTIME
		st=$(create "w-$i" "$i" "$TMP/w")
		t1=$EPOCHREALTIME
		echo "$i $st $(problem_type "$TMP/w" "$st") $(jq -r '.id // "-"' "$TMP/w.body" 2>/dev/null) $t0 $t1" >>"$TMP/writes"
		st=$(curl -s -m 60 -o "$TMP/r.body" -D "$TMP/r.hdr" -w '%{http_code}' -H "Authorization: Bearer $OP" \
			"$BASE/v1/accounts/$READ_ID")
		echo "$st $(problem_type "$TMP/r" "$st")" >>"$TMP/reads"
	done
}
: >"$TMP/writes"
: >"$TMP/reads"
st=$(create first 0 "$TMP/first")
READ_ID=$(jq -r '.id // empty' "$TMP/first.body" 2>/dev/null)
[ "$st" = 201 ] && [ -n "$READ_ID" ] && ok || { fail "the first account: $st $(cat "$TMP/first.body")"; finish; exit 1; }
writer &
WPID=$!
NODE_PIDS+=("$WPID")
count() { # count STATUS [FROM_LINE]: writes answered STATUS after line FROM_LINE
	tail -n "+$((${2:-0} + 1))" "$TMP/writes" | awk -v s="$1" '$2 == s' | wc -l
}
at_least() { [ "$(count "$2" "${3:-0}")" -ge "$1" ]; } # at_least N STATUS [FROM_LINE]
poll_until 300 at_least 5 201 && ok || fail "the writer did not get going: $(tail -n 3 "$TMP/writes")"

# --- the leader lost. One member leads and the other is its synchronous
# standby, streaming (the cluster's start waited for it with m1 leading;
# a loaded machine may have made Patroni switch since: whichever leads now).
settled() { # sets LEAD and SURV (m1 or m2), LEAD_PG, SURV_PG and SURV_REST
	local a b ar br ap bp
	for a in m1 m2; do
		[ "$a" = m1 ] && b=m2 || b=m1
		ar=${a^^}_REST br=${b^^}_REST ap=${a^^}_PG bp=${b^^}_PG
		if rest_is "${!ar}" /primary && rest_is "${!br}" /sync; then
			LEAD=$a SURV=$b LEAD_PG=${!ap} SURV_PG=${!bp} SURV_REST=${!br}
			return 0
		fi
	done
	return 1
}
poll_until 300 settled && ok \
	|| { fail "no leader with a synchronous standby: $(patronictl -c "$CL/m1/patroni.yml" list 2>&1)"; finish; exit 1; }
[ "$(psql_at "$LEAD_PG" "SELECT count(*) FROM pg_stat_replication WHERE state='streaming' AND sync_state='sync'")" = 1 ] && ok \
	|| fail "$LEAD has no synchronous standby streaming"
# A creation whose answer the client loses: committed on the leader, its answer
# kept aside (the client would have seen its connection drop), sent again
# after the failover.
st=$(create lost lost "$TMP/lost")
LOST_ID=$(jq -r '.id // empty' "$TMP/lost.body" 2>/dev/null)
[ "$st" = 201 ] && [ -n "$LOST_ID" ] && ok || fail "the creation before the loss: $st $(cat "$TMP/lost.body")"
KILL_AT=$(wc -l <"$TMP/writes")
KILL_T=$EPOCHREALTIME
"$PTC" kill "$CL" "$LEAD" && ok || fail "kill of $LEAD"
echo "$LEAD (the leader) killed after $KILL_AT writes"

# Requests meanwhile: refused, cleanly.
poll_until 300 at_least 1 503 "$KILL_AT" && ok || fail "no 503 after the leader's loss: $(tail -n 5 "$TMP/writes")"
# Patroni promotes the standby once the leader key's TTL runs out.
poll_until 300 rest_is "$SURV_REST" /primary && ok \
	|| { fail "$SURV was not promoted: $(tail -n 20 "$CL/$SURV/patroni.log")"; finish; exit 1; }
PROMOTED_T=$EPOCHREALTIME
PRO_AT=$(wc -l <"$TMP/writes")
# The daemon writes again by itself.
poll_until 300 at_least 3 201 "$PRO_AT" && ok || fail "no write after the promotion: $(tail -n 5 "$TMP/writes")"
touch "$TMP/stop"
wait "$WPID"
NODE_PIDS=()
echo "writes: $(awk '{print $2}' "$TMP/writes" | sort | uniq -c | tr '\n' ' '); reads: $(awk '{print $1}' "$TMP/reads" | sort | uniq -c | tr '\n' ' ')"
# The gap as the client saw it: from the loss to the answer of the first
# write sent after it and answered 201 (measured, not asserted).
FIRST_OK_T=$(awk -v k="$KILL_T" '$2 == 201 && $5 > k {print $6; exit}' "$TMP/writes")
echo "leader lost -> $SURV primary: $(echo "$PROMOTED_T - $KILL_T" | bc) s; -> first write answered 201: $(echo "${FIRST_OK_T:-0} - $KILL_T" | bc) s"

# every answer a success or a clean 503 "unavailable"
BAD=$(awk '$2 != 201 && !($2 == 503 && $3 == "urn:faxvault:problem:unavailable")' "$TMP/writes")
[ -z "$BAD" ] && ok || fail "writes answered neither 201 nor 503 unavailable problem+json: $(echo "$BAD" | head -5)"
BADR=$(awk '$1 != 200 && !($1 == 503 && $2 == "urn:faxvault:problem:unavailable")' "$TMP/reads")
[ -z "$BADR" ] && ok || fail "reads answered neither 200 nor 503 unavailable: $(echo "$BADR" | sort | uniq -c | head -5)"
[ "$(awk '$1 == 503' "$TMP/reads" | wc -l)" -ge 1 ] && ok || fail "no read was refused during the gap"

# the same daemon, its service never restarted
kill -0 "$DAEMON_PID" 2>/dev/null && ok || { fail "the daemon exited"; finish; exit 1; }
[ "$(grep -c 'restart_in_ms=' "$LOG")" = 0 ] && [ "$(grep -c 'event=supervisor.service_spawned' "$LOG")" = 1 ] && ok \
	|| fail "a process of the daemon was restarted: $(grep 'restart_in_ms=\|event=supervisor.service_spawned' "$LOG" | head -3)"

# every 201 is on the new primary, with its audit event
q() { psql_at "$SURV_PG" "$1"; }
[ "$(q "SELECT pg_is_in_recovery()")" = f ] && ok || fail "$SURV is still in recovery"
awk '$2 == 201 {print $4}' "$TMP/writes" | sort >"$TMP/answered"
q "SELECT id FROM accounts WHERE name LIKE 'Patroni %'" | sort >"$TMP/stored"
q "SELECT target FROM audit_events WHERE action='account.create' AND outcome='success'" | sort >"$TMP/audited"
MISSING=$(comm -23 "$TMP/answered" "$TMP/stored")
[ -s "$TMP/answered" ] && [ -z "$MISSING" ] && ok || fail "accounts answered 201 but not on the new primary: $(echo "$MISSING" | head -5)"
UNAUDITED=$(comm -23 "$TMP/answered" "$TMP/audited")
[ -z "$UNAUDITED" ] && ok || fail "accounts answered 201 without their account.create event: $(echo "$UNAUDITED" | head -5)"
[ "$(q "SELECT count(*) FROM accounts WHERE id='$LOST_ID'")" = 1 ] && ok || fail "the account made just before the loss is not on the new primary"
echo "$(wc -l <"$TMP/answered") accounts answered 201, $(wc -l <"$TMP/stored") stored"

# the creation whose answer was lost, sent again: the same account
st=$(create lost lost "$TMP/again")
[ "$st" = 201 ] && [ "$(jq -r .id "$TMP/again.body")" = "$LOST_ID" ] && ok \
	|| fail "the retry of the lost answer: $st $(cat "$TMP/again.body"), want 201 and $LOST_ID"
# the refused ones, sent again with their keys: each makes one account
for n in $(awk '$2 != 201 {print $1}' "$TMP/writes"); do
	st=$(create "w-$n" "$n" "$TMP/retry")
	[ "$st" = 201 ] || fail "write $n sent again: $st $(cat "$TMP/retry.body")"
done
ok
DUPS=$(q "SELECT name FROM accounts WHERE name LIKE 'Patroni %' GROUP BY name HAVING count(*) > 1")
[ -z "$DUPS" ] && ok || fail "accounts made twice: $(echo "$DUPS" | head -5)"
WANT=$(($(wc -l <"$TMP/writes") + 2))
[ "$(q "SELECT count(*) FROM accounts WHERE name LIKE 'Patroni %'")" = "$WANT" ] && ok \
	|| fail "$(q "SELECT count(*) FROM accounts WHERE name LIKE 'Patroni %'") accounts, want $WANT"

# the audit chains verify against the new primary (the DSN finds it)
# shellcheck disable=SC2086
"$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS audit-verify >"$TMP/verify.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q 'audit chain intact' "$TMP/verify.out" && ok || fail "audit-verify after the failover (exit $rc): $(cat "$TMP/verify.out")"
finish
