# Shared helpers of the HTTP integration tests: start the real faxvaultd on a
# free loopback port with a temporary data directory, call it with curl, and
# assert with jq. Sourced by each test; FAXVAULTD is the daemon binary.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../wait.sh"
FAILS=0
CHECKS=0
TMP=$(mktemp -d)
LOG="$TMP/faxvaultd.log"
DAEMON_PID=""

cleanup() {
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	local p
	for p in ${NODE_PIDS[@]+"${NODE_PIDS[@]}"}; do
		kill -9 "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	if [ "$FAILS" -ne 0 ]; then
		echo "---- daemon log (last 40 lines) ----"
		tail -n 40 "$LOG" 2>/dev/null
		# FV_TEST_KEEP=DIR keeps a failed run's files (logs, answers) there.
		[ -n "${FV_TEST_KEEP:-}" ] && mkdir -p "$FV_TEST_KEEP" && cp -a "$TMP" "$FV_TEST_KEEP/" 2>/dev/null \
			&& echo "files kept in $FV_TEST_KEEP/$(basename "$TMP")"
	fi
	local db
	for db in ${PG_DBS:-}; do
		pg_admin "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
	done
	rm -rf "$TMP"
}

# With FV_TEST_PG (the socket directory of the test cluster,
# scripts/pg-test-cluster; CTest tests *_pg), the daemon runs on PostgreSQL:
# each start_daemon gets a database of its own, dropped at exit.
PG_DBS=""
pg_admin() {
	psql -X -q -v ON_ERROR_STOP=1 "host=$FV_TEST_PG user=faxvault dbname=postgres" -c "$1"
}
pg_new_database() {
	local db="fvi_$$_$(( ${#PG_DBS} + 1 ))"
	pg_admin "CREATE DATABASE $db" >/dev/null || { echo "cannot create database $db"; exit 1; }
	PG_DBS="$PG_DBS $db"
	FV_TEST_FLAGS="$FV_TEST_FLAGS --set store.backend=postgresql --set store.postgresql_dsn=postgresql://faxvault@/$db?host=$FV_TEST_PG"
}
trap cleanup EXIT

# Fast password hashing for tests (the algorithm, Argon2id, is unchanged), a
# clock the test can move (testing.clock_file), and limits on unauthenticated
# calls loose enough for tests that log many people in from one address.
CLOCK="$TMP/clock"
echo 0 > "$CLOCK"
FV_TEST_FLAGS="--set auth.argon2_memory_kib=8192 --set auth.argon2_ops=1 --set testing.clock_file=$CLOCK --set ratelimit.login_per_minute=100000 --set ratelimit.login_burst=100000 --set fax.loopback_sip=127.0.0.1:0"

# FV_TEST_CLOCK_AT=SECONDS (since the epoch): the daemon's clock starts at
# that instant instead of now, to run a test across a calendar boundary on
# purpose (e.g. five minutes before a UTC midnight, or a month's end).
if [ -n "${FV_TEST_CLOCK_AT:-}" ]; then echo $(( (FV_TEST_CLOCK_AT - $(date +%s)) * 1000 )) > "$CLOCK"; fi

# clock_start_at SECONDS: the daemon's clock reads SECONDS (since the
# epoch) now, and moves on from there.
clock_start_at() { echo $(( ($1 - $(date +%s)) * 1000 )) > "$CLOCK"; }
# A test whose checks assume they all fall in one calendar window of the
# product (a clock hour, a UTC day, a calendar month: rate limits, quotas,
# fraud windows, invoices) starts its clock just past the next boundary,
# before the daemon starts, so that it holds at any hour and on any date:
# clock_start_hour: a minute past the next hour (59 minutes to the next);
# clock_start_day: 01:00 UTC the next day (23 hours to the next midnight);
# clock_start_month: 01:00 UTC on the first of the next month (27 days
# and more to its end, and never across a year's end).
clock_start_hour() { local n; n=$(clock_seconds); clock_start_at $(( (n / 3600 + 1) * 3600 + 60 )); }
clock_start_day() { local n; n=$(clock_seconds); clock_start_at $(( (n / 86400 + 1) * 86400 + 3600 )); }
clock_start_month() {
	local n; n=$(clock_seconds)
	clock_start_at "$(date -u -d "$(date -u -d "$(date -u -d "@$n" +%Y-%m-15) + 1 month" +%Y-%m-01)T01:00:00Z" +%s)"
}

# advance_clock MINUTES: moves the daemon's clock forward.
advance_clock() {
	echo $(( $(cat "$CLOCK") + $1 * 60000 )) > "$CLOCK"
}
clock_seconds() { echo $(( $(date +%s) + $(cat "$CLOCK") / 1000 )); }

# db_query SQL: the rows of one query on the daemon's database, as text (SQLite,
# or the PostgreSQL database of the last start_daemon under FV_TEST_PG).
db_query() {
	if [ -n "${FV_TEST_PG:-}" ]; then
		psql -X -q -A -t -v ON_ERROR_STOP=1 "host=$FV_TEST_PG user=faxvault dbname=${PG_DBS##* }" -c "$1"
	else
		sqlite3 "$DATA/faxvault.db" "$1"
	fi
}

# start_daemon_mailing [EXTRA FLAGS...]: start_daemon with mail on, sent to
# a stand-in sendmail that drops it: the outbox rows are what is checked.
start_daemon_mailing() {
	mkdir -p "$TMP/bin"
	printf '#!/bin/sh\ncat > /dev/null\n' > "$TMP/bin/sendmail"
	chmod 755 "$TMP/bin/sendmail"
	PATH="$TMP/bin:$PATH" start_daemon --set mail.relay=sendmail --set mail.from=noreply@fax.example.net "$@"
}

# start_daemon [EXTRA FLAGS...]: port 0 lets the kernel choose; the daemon
# logs the port it bound.
start_daemon() {
	DATA="$TMP/var"
	[ -n "${FV_TEST_PG:-}" ] && pg_new_database
	# shellcheck disable=SC2086
	# Its log (the migrations, one line each) goes to a file, shown only
	# when it fails: a failed test's output starts with the test's own.
	"$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS bootstrap --operator op@example.com --json >"$TMP/boot.json" 2>"$TMP/bootstrap.log" || {
		echo "bootstrap failed"; cat "$TMP/bootstrap.log"; exit 1; }
	launch_daemon "$@"
}

# launch_daemon [EXTRA FLAGS...]: starts faxvaultd on the existing $DATA
# (after start_daemon, e.g. again after a crash) and waits until it answers.
launch_daemon() {
	# shellcheck disable=SC2086
	"$FAXVAULTD" --data-dir "$DATA" --http "127.0.0.1:0" --set log.file="$LOG" $FV_TEST_FLAGS "$@" &
	DAEMON_PID=$!
	poll_until 300 daemon_answers && return 0
	echo "faxvaultd did not start"; cat "$LOG"; exit 1
}

# daemon_answers: the daemon logged its port and answers /healthz (sets PORT
# and BASE); fails at once when the daemon has exited.
daemon_answers() {
	kill -0 "$DAEMON_PID" 2>/dev/null || { echo "faxvaultd exited"; cat "$LOG"; exit 1; }
	PORT=$(sed -n 's/.*event=daemon.started .* port=\([0-9]*\).*/\1/p' "$LOG" 2>/dev/null | tail -n 1)
	[ -n "$PORT" ] || return 1
	BASE="http://127.0.0.1:$PORT"
	curl -sf "$BASE/healthz" >/dev/null 2>&1
}

# start_node NAME [EXTRA FLAGS...]: one more faxvaultd on the database of
# the last start_daemon (several nodes on one PostgreSQL database, under
# FV_TEST_PG): its own data directory $TMP/var-NAME with the vault's master
# key copied and the documents directory shared, its log
# $TMP/faxvaultd-NAME.log; waits until it answers. Sets NODE_BASE and
# NODE_PID; cleanup kills the nodes left (NODE_PIDS).
NODE_PIDS=()
start_node() {
	local name=$1 data="$TMP/var-$1" log="$TMP/faxvaultd-$1.log" port i
	shift
	mkdir -p -m 700 "$data"
	cp -p "$DATA/master.key" "$data/master.key"
	[ -e "$data/docs" ] || ln -s "$DATA/docs" "$data/docs"
	# shellcheck disable=SC2086
	"$FAXVAULTD" --data-dir "$data" --http "127.0.0.1:0" --set log.file="$log" $FV_TEST_FLAGS "$@" &
	NODE_PID=$!
	NODE_PIDS+=("$NODE_PID")
	for i in $(seq 1 1200); do
		kill -0 "$NODE_PID" 2>/dev/null || { fail "node $name exited"; cat "$log"; exit 1; }
		port=$(sed -n 's/.*event=daemon.started .* port=\([0-9]*\).*/\1/p' "$log" 2>/dev/null | tail -n 1)
		if [ -n "$port" ] && curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
			NODE_BASE="http://127.0.0.1:$port"
			return 0
		fi
		sleep 0.25
	done
	fail "node $name did not start"
	exit 1
}

# child_of_daemon TITLE: the pid of the daemon's child whose command is
# TITLE (fv-http, fv-vault, fv-service…), or nothing.
child_of_daemon() { ps -o pid=,comm= --ppid "$DAEMON_PID" | awk -v c="$1" '$2 == c { print $1 }'; }

# metrics_port: the port of the metrics listener (started with
# --set metrics.listen=127.0.0.1:0), from the log.
metrics_port() {
	sed -n 's/.*event=http.metrics_listening .* port=\([0-9]*\).*/\1/p' "$LOG" | tail -n 1
}

# stop_daemon: SIGTERM, then the daemon's exit status. A daemon still
# running 120 s later (its drain, shutdown.drain_seconds, is 10 s by
# default) is killed (-9) and the status is 1: a stop that hangs fails its
# test then, not at CTest's timeout.
stop_daemon() {
	local pid=$DAEMON_PID rc
	kill -TERM "$pid"
	daemon_stopped_() { ! kill -0 "$pid" 2>/dev/null; }
	if poll_until 120 daemon_stopped_; then
		wait "$pid"
		rc=$?
	else
		echo "faxvaultd did not stop within 120 s of SIGTERM: killed"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		rc=1
	fi
	DAEMON_PID=""
	return $rc
}

# req METHOD PATH [TOKEN] [BODY] [extra curl args...]
# Sets STATUS, BODY (response) and HEADERS (file).
# A call that gets no whole answer within REQ_MAX_TIME seconds (120) ends
# with STATUS 000, so a hung daemon fails the check that follows instead of
# holding the test until CTest's timeout; a caller's own --max-time wins.
req() {
	local method=$1 path=$2 token=${3:-} body=${4:-}
	shift 4 2>/dev/null || shift $#
	local args=(-s --max-time "${REQ_MAX_TIME:-120}" -X "$method" -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}')
	[ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
	[ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
	STATUS=$(curl "${args[@]}" "$@" "$BASE$path")
	BODY=$(cat "$TMP/body")
	HEADERS="$TMP/headers"
}

ok() { CHECKS=$((CHECKS + 1)); }
fail() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "FAIL: $*"; }

# expect_status CODE DESCRIPTION
expect_status() {
	if [ "$STATUS" = "$1" ]; then ok; else fail "$2: status $STATUS, want $1; body: ${BODY:0:300}"; fi
}

# expect_jq FILTER DESCRIPTION: the filter must yield true on BODY.
expect_jq() {
	if [ "$(printf '%s' "$BODY" | jq -r "$1" 2>/dev/null)" = "true" ]; then ok; else
		fail "$2: jq '$1' is not true on ${BODY:0:300}"; fi
}

# expect_problem STATUS KIND DESCRIPTION
expect_problem() {
	expect_status "$1" "$3"
	expect_jq ".type == \"urn:faxvault:problem:$2\"" "$3 (problem type)"
	if grep -qi '^content-type: application/problem+json' "$HEADERS"; then ok; else
		fail "$3: content type is not application/problem+json"; fi
	# A detail says what the title does not.
	expect_jq '(.detail // "" | ascii_downcase) != (.title | ascii_downcase)' "$3 (detail is not the title)"
}

jqr() { printf '%s' "$BODY" | jq -r "$1"; }

# wait_rendered TOKEN FAX_ID [SECONDS]: until the render job has settled the
# fax (queued, or failed with its reason; docs/fax-service.md); BODY is the
# fax. A submission answers 202 with its faxes still rendering.
fax_settled() { req GET "/v1/faxes/$2" "$1"; [ "$STATUS" = 200 ] && [ "$(jqr .status)" != rendering ]; }
wait_rendered() {
	poll_until "${3:-300}" fax_settled "$1" "$2" || fail "fax $2 still rendering: ${BODY:0:300}"
}

# wait_quoted TOKEN QUOTE_ID [SECONDS]: until the quote job has rendered and
# priced a quote's documents (ready, or failed with its reason); BODY is the
# quote. A quote of documents answers 202, still rendering.
quote_settled() { req GET "/v1/faxes/quotes/$2" "$1"; [ "$STATUS" = 200 ] && [ "$(jqr .status)" != rendering ]; }
wait_quoted() {
	poll_until "${3:-300}" quote_settled "$1" "$2" || fail "quote $2 still rendering: ${BODY:0:300}"
}

login() { # login EMAIL PASSWORD -> prints token
	req POST /v1/sessions "" "{\"email\":\"$1\",\"password\":\"$2\"}"
	[ "$STATUS" = 201 ] || { fail "login $1: $STATUS $BODY"; echo ""; return; }
	jqr .token
}

accept() { # accept TOKEN PASSWORD
	req POST /v1/invitations/accept "" "{\"token\":\"$1\",\"password\":\"$2\"}"
	expect_status 200 "accept invitation"
}

# new_account TOKEN NAME OWNER_EMAIL PASSWORD: an account whose owner has
# accepted the invitation; sets NEW_ACC (its id) and NEW_OWNER (a session).
new_account() {
	req POST /v1/accounts "$1" "{\"name\":\"$2\",\"owner\":{\"email\":\"$3\",\"name\":\"Owner\"}}"
	expect_status 201 "account $2"
	NEW_ACC=$(jqr .id)
	accept "$(jqr .owner_invitation.token)" "$4"
	NEW_OWNER=$(login "$3" "$4")
}

# new_member ACCOUNT OWNER_TOKEN EMAIL ROLE PASSWORD: an active member; sets
# NEW_MEMBER (a session).
new_member() {
	req POST "/v1/accounts/$1/users" "$2" "{\"email\":\"$3\",\"name\":\"Member\",\"role\":\"$4\"}"
	expect_status 201 "member $3"
	accept "$(jqr .invitation.token)" "$5"
	NEW_MEMBER=$(login "$3" "$5")
}

operator_token() {
	login op@example.com "$(jq -r .password "$TMP/boot.json")"
}

finish() {
	# A daemon still running stops now: it must exit 0 (under ASan, with
	# no leak).
	if [ -n "$DAEMON_PID" ]; then
		if stop_daemon; then ok; else fail "the daemon did not stop cleanly (exit status, or a leak under ASan)"; fi
	fi
	echo "$((CHECKS - FAILS)) passed, $FAILS failed"
	[ "$FAILS" -eq 0 ]
}
