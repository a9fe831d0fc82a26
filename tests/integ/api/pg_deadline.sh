#!/usr/bin/env bash
# A PostgreSQL server that does not answer while its kernel does (issue 15,
# P02): every process of the cluster stopped with SIGSTOP
# (scripts/pg-test-cluster freeze), as a server stuck on its storage. The
# kernel still accepts connections and acknowledges what is sent, so TCP's
# keep-alives and tcp_user_timeout see nothing; only the store's deadline
# (store.postgresql_timeout_seconds, 2 s here) ends the wait. A cluster of
# the test's own (the fixture's is shared). A writer creates accounts (POST
# with an Idempotency-Key) and reads one back, two readers read it, and a
# 3-page fax is in its call when the server stops.
#  - while the server is stopped, requests are answered 503 "unavailable"
#    problem+json, each before curl's own --max-time (60 s; without the
#    deadline each waits for the HTTP front end's 504 after 300 s, and curl
#    gives up with no answer): every write 201 or 503, every read 200 or
#    503, never 500 and never none;
#  - the store logs its deadline (store.deadline);
#  - /readyz asks the database: 503 while the server is stopped, even when
#    no other request has met the deadline before it;
#  - once the server goes on (SIGCONT), the same daemon process, never
#    restarted, answers 201 and 200 again;
#  - the fax in flight ends delivered with its 3 pages, no attempt left in
#    progress: the fax service's threads that met the stopped server went
#    on;
#  - every account answered 201 is there with its account.create event;
#    the refused writes sent again with their keys make one account each
#    (a refused write whose commit had gone through answers its account);
#    audit-verify passes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_patroni.sh"
. "$(dirname "$0")/../faxsvc/lib_fax.sh"
PGTC="$ROOT/scripts/pg-test-cluster"

PGROOT=$(mktemp -d)
FV_TEST_PG="$PGROOT/pg"
end_cluster() {
	"$PGTC" thaw "$FV_TEST_PG" >/dev/null 2>&1
	cleanup
	"$PGTC" stop "$FV_TEST_PG" >/dev/null 2>&1
	rm -rf "$PGROOT"
}
trap end_cluster EXIT
"$PGTC" start "$FV_TEST_PG" >/dev/null || { echo "cannot start a PostgreSQL cluster"; exit 1; }
# psql on the daemon's database (lib_patroni's checks call it with a port)
psql_at() { db_query "$2" 2>/dev/null; }

# (the writer and the readers share the operator's rate-limit buckets)
fax_setup --set store.postgresql_timeout_seconds=2 --set ratelimit.requests_per_minute=1000000 \
	--set ratelimit.burst=1000000
: >"$TMP/writes"
: >"$TMP/reads"
st=$(create first 0 "$TMP/first")
READ_ID=$(jq -r '.id // empty' "$TMP/first.body" 2>/dev/null)
[ "$st" = 201 ] && [ -n "$READ_ID" ] && ok || { fail "the first account: $st $(cat "$TMP/first.body")"; finish; exit 1; }
EXTRA_ACCOUNTS=1
writer_start
readers_start 2

# --- a 3-page fax in its call
make_pdf "$TMP/three.pdf" 3
send_fax "$USER_A" "$NUM_B" "$TMP/three.pdf"
expect_status 202 "the fax accepted"
mid_call() { [ "$(db_query "SELECT count(*) FROM fax_attempts WHERE direction='outbound' AND result='in_progress' AND pages_confirmed >= 1")" -ge 1 ] 2>/dev/null; }
poll_until 600 mid_call && ok || fail "no call with a confirmed page: $(db_query "SELECT status, count(*) FROM faxes GROUP BY 1")"

# --- the server stopped
FROZE_AT=$(wc -l <"$TMP/writes")
FROZE_T=$EPOCHREALTIME
"$PGTC" freeze "$FV_TEST_PG" && ok || fail "freeze"
echo "server stopped after $FROZE_AT writes"
# answers that began once it was stopped: refused, writes and reads
reads_refused() { [ "$(cat "$TMP"/par-* | awk -v k="$FROZE_T" '$3 > k && $1 == 503' | wc -l)" -ge "$1" ]; }
poll_until 240 at_least 3 503 "$FROZE_AT" && ok \
	|| fail "no three writes refused while the server was stopped: $(tail -n +"$((FROZE_AT + 1))" "$TMP/writes" | head -n 5)"
poll_until 240 reads_refused 4 && ok || fail "no four reads refused while the server was stopped: $(tail -q -n 2 "$TMP"/par-*)"
grep -q 'event=store.deadline' "$LOG" && ok || fail "no store.deadline in the log"

# --- and going on
THAW_AT=$(wc -l <"$TMP/writes")
THAW_T=$EPOCHREALTIME
"$PGTC" thaw "$FV_TEST_PG" && ok || fail "thaw"
poll_until 300 at_least 3 201 "$THAW_AT" && ok || fail "no write after the server went on: $(tail -n 5 "$TMP/writes")"
reads_back() { [ "$(cat "$TMP"/par-* | awk -v k="$THAW_T" '$3 > k && $1 == 200' | wc -l)" -ge 2 ]; }
poll_until 300 reads_back && ok || fail "no read after the server went on: $(tail -q -n 2 "$TMP"/par-*)"
writer_stop
wait "${RPIDS[@]}"
cat "$TMP"/par-* >>"$TMP/reads"

# measured, not asserted: the longest answers while the server was stopped
echo "while stopped ($(echo "$THAW_T - $FROZE_T" | bc) s): the longest write $(tail -n "+$((FROZE_AT + 1))" "$TMP/writes" | head -n "$((THAW_AT - FROZE_AT))" | awk '{d = $6 - $5; if (d > m) m = d} END {printf "%.1f s", m}')," \
	"the longest read $(awk -v a="$FROZE_T" -v b="$THAW_T" '$3 > a && $3 < b {d = $4 - $3; if (d > m) m = d} END {printf "%.1f s", m}' "$TMP/reads");" \
	"store.deadline logged $(grep -c 'event=store.deadline' "$LOG") times"

# --- the fax: its call went on, its end recorded
fax_final() { [ "$(db_query "SELECT count(*) FROM faxes WHERE direction='outbound' AND status NOT IN ('delivered','partial','failed','cancelled')")" = 0 ]; }
poll_until 600 fax_final && ok || fail "the fax is not final: $(db_query "SELECT status, pages_confirmed FROM faxes WHERE direction='outbound'")"
[ "$(db_query "SELECT count(*) FROM faxes WHERE direction='outbound' AND status='delivered' AND pages_confirmed=3")" = 1 ] && ok \
	|| fail "the fax is not delivered with its 3 pages: $(db_query "SELECT status, pages_confirmed FROM faxes WHERE direction='outbound'")"
[ "$(db_query "SELECT count(*) FROM fax_attempts WHERE result='in_progress'")" = 0 ] && ok || fail "attempts left in progress"
echo "outbound attempts (attempt, first page, pages confirmed, result): $(db_query "SELECT attempt, first_page, pages_confirmed, result FROM fax_attempts WHERE direction='outbound' ORDER BY attempt" | tr '\n' ' ')"

# --- the readiness probe asks the database: with no other request, the
# pool's connection is alive when the server stops, and a read transaction
# begun on it sends nothing (it answered 200 so)
ready_again() { [ "$(curl -s -m 60 -o /dev/null -w '%{http_code}' "$BASE/readyz")" = 200 ]; }
poll_until 120 ready_again && ok || fail "/readyz not ready after the server went on"
"$PGTC" freeze "$FV_TEST_PG" && ok || fail "freeze (the probe)"
st=$(curl -s -m 60 -o "$TMP/ready.body" -w '%{http_code}' "$BASE/readyz")
[ "$st" = 503 ] && jq -r .type "$TMP/ready.body" 2>/dev/null | grep -q 'unavailable$' && ok \
	|| fail "/readyz while the server was stopped: $st $(cat "$TMP/ready.body")"
"$PGTC" thaw "$FV_TEST_PG" && ok || fail "thaw (the probe)"
poll_until 120 ready_again && ok || fail "/readyz not ready again after the server went on"

check_answers
check_kept 0
finish
