# shellcheck shell=bash
# The Patroni failover tests (pg_patroni.sh, pg_patroni_fence.sh): a Patroni
# cluster of their own (scripts/patroni-test-cluster), faxvaultd on it with
# the DSN of docs/postgresql.md, a writer of accounts, and the checks both
# make once the writer stops. Sourced after lib.sh. pg_deadline.sh takes
# its writer, readers and checks, without Patroni.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
PTC="$ROOT/scripts/patroni-test-cluster"

psql_at() { # psql_at PORT SQL [DB]
	psql -X -At -v ON_ERROR_STOP=1 "host=127.0.0.1 port=$1 user=faxvault dbname=${3:-fvpat} connect_timeout=5" -c "$2" 2>/dev/null
}
rest_code() { curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1$2" 2>/dev/null; }
rest_is() { [ "$(rest_code "$1" "$2")" = 200 ]; }

# patroni_cluster [--relay] [--netns] [--members 3]: the cluster (m1
# leading, m2 its synchronous standby, or m2 and m3 one synchronous and one
# asynchronous; removed at exit), its database, and FV_TEST_FLAGS naming it
# for the daemon to come.
patroni_cluster() {
	# Without the packages (scripts/install-deps: patroni, etcd-server) the
	# test is skipped, as the mail tests are without Postfix.
	local t
	for t in patroni etcd; do
		command -v "$t" >/dev/null || { echo "skipped: no $t (scripts/install-deps installs patroni and etcd-server)"; exit 77; }
	done
	PATD=$(mktemp -d /tmp/fv-patroni-test.XXXXXX)
	CL=$PATD/cluster
	# a failed run's cluster logs go with its files (FV_TEST_KEEP)
	# shellcheck disable=SC2154
	trap '[ "$FAILS" = 0 ] || for m in m1 m2 m3; do cp "$CL/$m/patroni.log" "$TMP/$m-patroni.log" 2>/dev/null; done
		cleanup; "$PTC" stop "$CL" >/dev/null 2>&1; rm -rf "$PATD"' EXIT
	"$PTC" start "$CL" "$@" >"$TMP/cluster.out" 2>&1 || { fail "the Patroni cluster did not start: $(tail -n 30 "$TMP/cluster.out")"; finish; exit 1; }
	ok
	# shellcheck disable=SC1091
	. "$CL/cluster.env"
	psql_at "$M1_PG" "CREATE DATABASE fvpat" postgres >/dev/null || { fail "CREATE DATABASE on m1"; finish; exit 1; }
	# The DSN of docs/postgresql.md, as a URI (both members; libpq keeps the
	# one that accepts writes).
	# With --netns the members are reached through their namespaces
	# (Mn_HOST). No tcp_user_timeout: the store's own default is what
	# pg_patroni_lost.sh shows.
	local hosts="${M1_HOST:-127.0.0.1:$M1_PG},${M2_HOST:-127.0.0.1:$M2_PG}"
	[ -n "${M3_PG:-}" ] && hosts="$hosts,${M3_HOST:-127.0.0.1:$M3_PG}"
	DSN="postgresql://faxvault@$hosts/fvpat?target_session_attrs=read-write&connect_timeout=3&keepalives_idle=10&keepalives_interval=5&keepalives_count=3"
	FV_TEST_FLAGS="$FV_TEST_FLAGS --set store.backend=postgresql --set store.postgresql_dsn=$DSN"
	FV_TEST_FLAGS="$FV_TEST_FLAGS --set ratelimit.requests_per_minute=1000000 --set ratelimit.burst=1000000"
}

# patroni_start [--relay] [--netns] [--members 3]: patroni_cluster, the
# daemon on it, the operator's token OP, the first account READ_ID (read
# back by the writer).
patroni_start() {
	patroni_cluster "$@"
	start_daemon
	OP=$(operator_token)
	[ -n "$OP" ] && ok || { fail "no operator token"; finish; exit 1; }
	: >"$TMP/writes"
	: >"$TMP/reads"
	local st
	st=$(create first 0 "$TMP/first")
	READ_ID=$(jq -r '.id // empty' "$TMP/first.body" 2>/dev/null)
	[ "$st" = 201 ] && [ -n "$READ_ID" ] && ok || { fail "the first account: $st $(cat "$TMP/first.body")"; finish; exit 1; }
	EXTRA_ACCOUNTS=1 # accounts made outside the writer
}

# --- the writer: one account per request, with its Idempotency-Key, until
# told to stop; each answer kept as "N STATUS TYPE ID START END", then a
# read of an account made before, kept as "STATUS TYPE START END".
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
		t0=$EPOCHREALTIME
		st=$(curl -s -m 60 -o "$TMP/r.body" -D "$TMP/r.hdr" -w '%{http_code}' -H "Authorization: Bearer $OP" \
			"$BASE/v1/accounts/$READ_ID")
		t1=$EPOCHREALTIME
		echo "$st $(problem_type "$TMP/r" "$st") $t0 $t1" >>"$TMP/reads"
	done
}
writer_start() {
	writer &
	WPID=$!
	NODE_PIDS+=("$WPID")
	poll_until 300 at_least 5 201 && ok || fail "the writer did not get going: $(tail -n 3 "$TMP/writes")"
}
writer_stop() {
	touch "$TMP/stop"
	wait "$WPID"
	NODE_PIDS=()
	echo "writes: $(awk '{print $2}' "$TMP/writes" | sort | uniq -c | tr '\n' ' '); reads: $(awk '{print $1}' "$TMP/reads" | sort | uniq -c | tr '\n' ' ')"
}
# readers_start N: N readers of READ_ID beside the writer (so that the
# store's pool holds several connections at once), each answer kept as
# "STATUS TYPE START END" in TMP/par-K; their pids in RPIDS. They stop with
# the writer (TMP/stop).
reader() {
	local st t0 t1
	while [ ! -e "$TMP/stop" ]; do
		t0=$EPOCHREALTIME
		st=$(curl -s -m 60 -o "$TMP/p$1.body" -D "$TMP/p$1.hdr" -w '%{http_code}' -H "Authorization: Bearer $OP" \
			"$BASE/v1/accounts/$READ_ID")
		t1=$EPOCHREALTIME
		echo "$st $(problem_type "$TMP/p$1" "$st") $t0 $t1" >>"$TMP/par-$1"
	done
}
readers_start() {
	local n
	RPIDS=()
	for n in $(seq 1 "$1"); do
		: >"$TMP/par-$n"
		reader "$n" &
		RPIDS+=("$!")
		NODE_PIDS+=("$!")
	done
}
count() { # count STATUS [FROM_LINE]: writes answered STATUS after line FROM_LINE
	tail -n "+$((${2:-0} + 1))" "$TMP/writes" | awk -v s="$1" '$2 == s' | wc -l
}
at_least() { [ "$(count "$2" "${3:-0}")" -ge "$1" ]; } # at_least N STATUS [FROM_LINE]

# settled: one member leads and another is its synchronous standby (and
# the third, if any, an asynchronous one); sets LEAD, SURV (the synchronous
# standby) and THIRD (m1, m2, m3 or empty), with their _PG and _REST ports.
settled() {
	local a b c ar br cr
	local names="m1 m2${M3_PG:+ m3}"
	for a in $names; do
		for b in $names; do
			[ "$a" != "$b" ] || continue
			c=$(echo "$names" | tr ' ' '\n' | grep -vx "$a" | grep -vx "$b" || true)
			ar=${a^^}_REST br=${b^^}_REST
			rest_is "${!ar}" /primary && rest_is "${!br}" /sync || continue
			if [ -n "$c" ]; then
				# asynchronous, or with --sync 2 synchronous too
				cr=${c^^}_REST
				rest_is "${!cr}" "$([ "${PATRONI_SYNC:-1}" = 2 ] && echo /sync || echo /async)" || continue
			fi
			set_member LEAD "$a"
			set_member SURV "$b"
			set_member THIRD "$c"
			return 0
		done
	done
	return 1
}
set_member() { # set_member VAR NAME: VAR=NAME, VAR_PG and VAR_REST its ports
	local p=${2^^}_PG r=${2^^}_REST
	printf -v "$1" '%s' "$2"
	printf -v "$1_PG" '%s' "${2:+${!p}}"
	printf -v "$1_REST" '%s' "${2:+${!r}}"
}
wait_settled() {
	poll_until 300 settled && ok \
		|| { fail "no leader with a synchronous standby: $(patronictl -c "$CL/m1/patroni.yml" list 2>&1)"; finish; exit 1; }
	[ "$(psql_at "$LEAD_PG" "SELECT count(*) FROM pg_stat_replication WHERE state='streaming' AND sync_state IN ('sync', 'quorum')")" = "${PATRONI_SYNC:-1}" ] && ok \
		|| fail "$LEAD has not ${PATRONI_SYNC:-1} synchronous standby(s) streaming: $(psql_at "$LEAD_PG" "SELECT application_name, state, sync_state FROM pg_stat_replication" | tr '\n' ' ')"
}

# refused_then_promoted FROM: a write refused (503) after line FROM of the
# writes, then SURV promoted by Patroni (the test ends if not; with
# PATRONI_SYNC=2, SURV or THIRD, both synchronous: SURV is then the one
# promoted); sets PROMOTED_T and PRO_AT (the writes by then).
promoted() {
	rest_is "$SURV_REST" /primary && return 0
	[ "${PATRONI_SYNC:-1}" = 2 ] && rest_is "$THIRD_REST" /primary || return 1
	local s=$SURV
	set_member SURV "$THIRD"
	set_member THIRD "$s"
}
refused_then_promoted() {
	poll_until 300 at_least 1 503 "$1" && ok || fail "no 503 after the leader's loss: $(tail -n 5 "$TMP/writes")"
	poll_until 300 promoted && ok \
		|| { fail "$SURV was not promoted: $(tail -n 20 "$CL/$SURV/patroni.log")"; finish; exit 1; }
	PROMOTED_T=$EPOCHREALTIME
	PRO_AT=$(wc -l <"$TMP/writes")
}

# check_answers: every write 201 or 503 "unavailable" problem+json, every
# read 200 or 503 "unavailable", some of each refused.
check_answers() {
	local bad
	bad=$(awk '$2 != 201 && !($2 == 503 && $3 == "urn:faxvault:problem:unavailable")' "$TMP/writes")
	[ -z "$bad" ] && ok || fail "writes answered neither 201 nor 503 unavailable problem+json: $(echo "$bad" | head -5)"
	bad=$(awk '$1 != 200 && !($1 == 503 && $2 == "urn:faxvault:problem:unavailable") {print $1, $2}' "$TMP/reads")
	[ -z "$bad" ] && ok || fail "reads answered neither 200 nor 503 unavailable: $(echo "$bad" | sort | uniq -c | head -5)"
	[ "$(count 503)" -ge 1 ] && ok || fail "no write was refused during the gap"
	[ "$(awk '$1 == 503' "$TMP/reads" | wc -l)" -ge 1 ] && ok || fail "no read was refused during the gap"
	# the same daemon, its service never restarted
	kill -0 "$DAEMON_PID" 2>/dev/null && ok || { fail "the daemon exited"; finish; exit 1; }
	[ "$(grep -c 'restart_in_ms=' "$LOG")" = 0 ] && [ "$(grep -c 'event=supervisor.service_spawned' "$LOG")" = 1 ] && ok \
		|| fail "a process of the daemon was restarted: $(grep 'restart_in_ms=\|event=supervisor.service_spawned' "$LOG" | head -3)"
}

# check_kept PORT: on the primary at PORT, every account answered 201 with
# its account.create event; the writes refused, sent again with their keys,
# make one account each; no account twice; audit-verify intact through the
# DSN.
check_kept() {
	local port=$1 missing n st want got rc
	[ "$(psql_at "$port" "SELECT pg_is_in_recovery()")" = f ] && ok || fail "the member on $port is in recovery"
	awk '$2 == 201 {print $4}' "$TMP/writes" | sort >"$TMP/answered"
	psql_at "$port" "SELECT id FROM accounts WHERE name LIKE 'Patroni %'" | sort >"$TMP/stored"
	psql_at "$port" "SELECT target FROM audit_events WHERE action='account.create' AND outcome='success'" | sort >"$TMP/audited"
	missing=$(comm -23 "$TMP/answered" "$TMP/stored")
	[ -s "$TMP/answered" ] && [ -z "$missing" ] && ok || fail "accounts answered 201 but not on the primary: $(echo "$missing" | head -5)"
	missing=$(comm -23 "$TMP/answered" "$TMP/audited")
	[ -z "$missing" ] && ok || fail "accounts answered 201 without their account.create event: $(echo "$missing" | head -5)"
	echo "$(wc -l <"$TMP/answered") accounts answered 201, $(wc -l <"$TMP/stored") stored"
	for n in $(awk '$2 != 201 {print $1}' "$TMP/writes"); do
		st=$(create "w-$n" "$n" "$TMP/retry")
		[ "$st" = 201 ] || fail "write $n sent again: $st $(cat "$TMP/retry.body")"
	done
	ok
	missing=$(psql_at "$port" "SELECT name FROM accounts WHERE name LIKE 'Patroni %' GROUP BY name HAVING count(*) > 1")
	[ -z "$missing" ] && ok || fail "accounts made twice: $(echo "$missing" | head -5)"
	want=$(($(wc -l <"$TMP/writes") + EXTRA_ACCOUNTS))
	got=$(psql_at "$port" "SELECT count(*) FROM accounts WHERE name LIKE 'Patroni %'")
	[ "$got" = "$want" ] && ok || fail "$got accounts, want $want"
	# shellcheck disable=SC2086
	"$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS audit-verify >"$TMP/verify.out" 2>&1
	rc=$?
	[ "$rc" = 0 ] && grep -q 'audit chain intact' "$TMP/verify.out" && ok || fail "audit-verify after the failover (exit $rc): $(cat "$TMP/verify.out")"
}
