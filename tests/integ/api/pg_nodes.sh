#!/usr/bin/env bash
# Two faxvaultd nodes on one PostgreSQL database (store.backend =
# postgresql), against the real daemons. Run by CTest as integ_api_pg_nodes
# with FV_TEST_PG (the throw-away cluster of the fixture "pg").
#  - nodes starting at once on an empty database apply the migrations once;
#  - a session opened on one node is accepted by the other;
#  - accounts created on both nodes at once all exist, and the one audit
#    chain holds each creation once and verifies (audit-verify on
#    PostgreSQL), with its checkpoint;
#  - audited reads of two accounts, one on each node at once, are each in
#    their account's chain, and audit-verify finds the chains intact;
#  - an event altered in the database breaks the verification;
#  - print-config does not show the connection string's password;
#  - backup on a PostgreSQL store writes a pg_dump of it, encrypted as every file (the drill is
#    test_backup.sh on PostgreSQL, integ_fax_backup_pg).
. "$(dirname "$0")/lib.sh"
: "${FV_TEST_PG:?FV_TEST_PG: socket directory of the test cluster}"

# --- migrations under the advisory lock: two processes on an empty database
pg_new_database
EMPTY_DB=${PG_DBS##* }
for n in 1 2; do
	# shellcheck disable=SC2086
	"$FAXVAULTD" --data-dir "$TMP/mig$n" $FV_TEST_FLAGS audit-verify >"$TMP/mig$n.out" 2>&1 &
	eval "MIG$n=\$!"
done
wait "$MIG1" && ok || fail "first process on an empty database: $(cat "$TMP/mig1.out")"
wait "$MIG2" && ok || fail "second process on an empty database: $(cat "$TMP/mig2.out")"
N=$(psql -X -At "host=$FV_TEST_PG user=faxvault dbname=$EMPTY_DB" -c "SELECT count(*) FROM schema_migrations")
TOP=$(find "$(dirname "$0")/../../../src/store/migrations_pg" -name '[0-9]*.sql' | wc -l)
[ "$N" = "$TOP" ] && ok || fail "schema_migrations has $N rows, want $TOP"

# --- node A: bootstrap and serve (start_daemon makes a fresh database)
start_daemon --set audit.checkpoint_minutes=1
A_BASE=$BASE
A_PID=$DAEMON_PID
DSN_FLAGS=$FV_TEST_FLAGS

# --- node B: its own data directory with the same master key (the vault's),
# the same database
start_node b
B_BASE=$NODE_BASE
B_PID=$NODE_PID
B_DATA="$TMP/var-b"
ok

OP=$(operator_token)
check_me() { # check_me BASE: the operator's session answers there
	curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $OP" "$1/v1/me"
}
check_me_tok() { # check_me_tok BASE TOKEN
	curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $2" "$1/v1/me"
}
[ "$(check_me "$A_BASE")" = 200 ] && ok || fail "session on node A"
[ "$(check_me "$B_BASE")" = 200 ] && ok || fail "the session opened on node A is not accepted by node B"

# --- the credential cache (auth.credential_cache_ms, 5 s by default): a
# session ended on node A is refused by node B at its next request, though
# B has just answered with it from its cache
BASE=$A_BASE
S2=$(login op@example.com "$(jq -r .password "$TMP/boot.json")")
for i in 1 2 3; do
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $S2" "$B_BASE/v1/me")
	[ "$code" = 200 ] || fail "node B with the second session: $code"
done
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $S2" "$A_BASE/v1/sessions/current")
[ "$code" = 204 ] && ok || fail "logout on node A: $code"
[ "$(check_me_tok "$B_BASE" "$S2")" = 401 ] && ok || fail "node B still accepts the session ended on node A"
[ "$(check_me_tok "$A_BASE" "$S2")" = 401 ] && ok || fail "node A still accepts the session ended on it"
[ "$(check_me "$B_BASE")" = 200 ] && ok || fail "the other session is refused by node B"

# --- accounts created on both nodes at once
create() { # create BASE PREFIX COUNT: one account per request, in sequence
	local i
	for i in $(seq "$3"); do
		curl -s -o /dev/null -w '%{http_code}\n' -X POST -H "Authorization: Bearer $OP" \
			-H 'Content-Type: application/json' \
			--data-binary "{\"name\":\"$2 $i\",\"owner\":{\"email\":\"owner$i@$2.example\",\"name\":\"O $i\"}}" \
			"$1/v1/accounts"
	done
}
create "$A_BASE" nodea 12 >"$TMP/a.codes" &
CA=$!
create "$B_BASE" nodeb 12 >"$TMP/b.codes" &
CB=$!
wait "$CA" "$CB"
[ "$(grep -c '^201$' "$TMP/a.codes")" = 12 ] && ok || fail "node A answered $(sort "$TMP/a.codes" | uniq -c | tr '\n' ' ')"
[ "$(grep -c '^201$' "$TMP/b.codes")" = 12 ] && ok || fail "node B answered $(sort "$TMP/b.codes" | uniq -c | tr '\n' ' ')"
BASE=$B_BASE
req GET "/v1/accounts?limit=100" "$OP"
expect_jq '[.items[] | select(.name | test("^node[ab] "))] | length == 24' "node B lists the 24 accounts of both nodes"

# --- audited reads of two accounts at once, one account on each node: each
# node's group commit writes their events (on PostgreSQL without the write
# lock, the groups of the two chains committing at once); audit-verify
# below finds both chains intact, each read's event in its account's chain.
reader() { # reader NAME: an account of its own and its owner's session: sets ACC, TOK, UID_
	local pw="correct horse battery staple"
	req POST /v1/accounts "$OP" "{\"name\":\"$1\",\"owner\":{\"email\":\"owner@$1.example\",\"name\":\"O\"}}"
	ACC=$(jqr .id)
	req POST /v1/invitations/accept "" "{\"token\":\"$(jqr .owner_invitation.token)\",\"password\":\"$pw\"}"
	TOK=$(login "owner@$1.example" "$pw")
	req GET /v1/me "$TOK"
	UID_=$(jqr .id)
}
reader readera
ACC_A=$ACC TOK_A=$TOK PATH_A=/v1/accounts/$ACC/users/$UID_
reader readerb
ACC_B=$ACC TOK_B=$TOK PATH_B=/v1/accounts/$ACC/users/$UID_
reads() { # reads BASE TOKEN PATH COUNT: audited reads of a user of the account
	local i
	for i in $(seq "$4"); do
		curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $2" "$1$3"
	done
}
reads "$A_BASE" "$TOK_A" "$PATH_A" 40 >"$TMP/ra.codes" &
RA=$!
reads "$B_BASE" "$TOK_B" "$PATH_B" 40 >"$TMP/rb.codes" &
RB=$!
wait "$RA" "$RB"
[ "$(grep -c '^200$' "$TMP/ra.codes")" = 40 ] && ok || fail "reads on node A: $(sort "$TMP/ra.codes" | uniq -c | tr '\n' ' ')"
[ "$(grep -c '^200$' "$TMP/rb.codes")" = 40 ] && ok || fail "reads on node B: $(sort "$TMP/rb.codes" | uniq -c | tr '\n' ' ')"

# --- stop both; verify the one chain with the checkpoints the two nodes
# signed. Node A signs every minute (audit.checkpoint_minutes=1) and each
# node signs the head at its stop unless it finds it already signed: which
# file holds which checkpoint depends on how fast the machine ran the
# creations, so both files are given, and the newest checkpoint must be the
# head of the chain.
kill -TERM "$B_PID"
wait "$B_PID" && ok || fail "node B did not stop cleanly"
stop_daemon && ok || fail "node A did not stop cleanly"
A_PID=""
DB=${PG_DBS##* }
q() { psql -X -At "host=$FV_TEST_PG user=faxvault dbname=$DB" -c "$1"; }
[ "$(q "SELECT count(*) FROM audit_events WHERE action='account.create'")" = 26 ] && ok \
	|| fail "audit events of the 24 creations and the readers' two: $(q "SELECT count(*) FROM audit_events WHERE action='account.create'")"
for acc in "$ACC_A" "$ACC_B"; do
	[ "$(q "SELECT count(*) FROM audit_events WHERE action='user.read' AND chain_id='$acc' AND account_id='$acc'")" = 40 ] && ok \
		|| fail "the 40 reads of $acc in its chain: $(q "SELECT count(*) FROM audit_events WHERE action='user.read' AND chain_id='$acc'")"
done
CPS=()
for f in "$DATA/audit-checkpoints.jsonl" "$B_DATA/audit-checkpoints.jsonl"; do
	[ -s "$f" ] && CPS+=(--checkpoint "$f")
done
[ "${#CPS[@]}" -gt 0 ] && ok || fail "neither node wrote a checkpoint"
# One chain per account (and the provider's): each chain's head is signed
# in one of the files.
UNSIGNED=$(q "SELECT chain_id || ':' || chain_seq FROM audit_heads WHERE chain_id <> ''" | while read -r h; do
	cat "$DATA/audit-checkpoints.jsonl" "$B_DATA/audit-checkpoints.jsonl" 2>/dev/null |
		jq -r '"\(.chain // ""):\(.seq)"' | grep -qx "$h" || echo "$h"
done)
[ "$(q "SELECT count(*) FROM audit_heads WHERE chain_id <> ''")" -ge 25 ] && [ -z "$UNSIGNED" ] && ok \
	|| fail "chain heads not signed by a checkpoint: $UNSIGNED"
# (Before audit-verify: its run is recorded in the provider's chain, after
# the last checkpoint.)
# shellcheck disable=SC2086
"$FAXVAULTD" --data-dir "$DATA" $DSN_FLAGS audit-verify "${CPS[@]}" >"$TMP/verify.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q 'audit chain intact' "$TMP/verify.out" && ok \
	|| fail "audit-verify on PostgreSQL (exit $rc): $(cat "$TMP/verify.out")"
[ "$(q "SELECT outcome FROM audit_events WHERE action='audit.verify_run' AND actor_id='system:audit-verify'")" = success ] && ok \
	|| fail "the audit-verify run is not in the chain"

# --- an altered event breaks it
SEQ=$(q "SELECT seq FROM audit_events WHERE action='account.create' ORDER BY seq LIMIT 1 OFFSET 3")
q "UPDATE audit_events SET actor_id='usr_someone_else' WHERE seq=$SEQ" >/dev/null
# shellcheck disable=SC2086
"$FAXVAULTD" --data-dir "$DATA" $DSN_FLAGS audit-verify >"$TMP/verify2.out" 2>&1
rc=$?
[ "$rc" = 1 ] && ok || fail "audit-verify of an altered chain: exit $rc, want 1: $(cat "$TMP/verify2.out")"

# --- the connection string's password is not printed
"$FAXVAULTD" --data-dir "$DATA" --set store.backend=postgresql \
	--set "store.postgresql_dsn=host=/nowhere user=fv password=Pg-Secret-4711 dbname=fv" print-config >"$TMP/conf1.out" 2>&1
"$FAXVAULTD" --data-dir "$DATA" --set store.backend=postgresql \
	--set "store.postgresql_dsn=postgresql://fv:Pg-Secret-4712@db.example/fv?sslmode=require" print-config >"$TMP/conf2.out" 2>&1
grep -q 'postgresql_dsn = host=/nowhere user=fv password=\*\*\* dbname=fv' "$TMP/conf1.out" && ok \
	|| fail "keyword DSN not shown redacted: $(grep postgresql_dsn "$TMP/conf1.out")"
grep -q 'postgresql_dsn = postgresql://fv:\*\*\*@db.example/fv?sslmode=require' "$TMP/conf2.out" && ok \
	|| fail "URI DSN not shown redacted: $(grep postgresql_dsn "$TMP/conf2.out")"
! grep -q 'Pg-Secret' "$TMP/conf1.out" "$TMP/conf2.out" && ok || fail "print-config shows the password"
"$FAXVAULTD" --data-dir "$DATA" --set store.backend=postgresql check-config >/dev/null 2>&1 \
	&& fail "postgresql without store.postgresql_dsn was accepted" || ok

# --- backup writes a pg_dump
# shellcheck disable=SC2086
"$FAXVAULTD" --data-dir "$DATA" $DSN_FLAGS backup --to "$TMP/bk" --without-key >"$TMP/backup.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q 'database snapshot (pg_dump)' "$TMP/backup.out" && jq -e '.backend == "postgresql" and .format == "faxvault-backup/2"' "$TMP/bk/manifest.json" >/dev/null && ok \
	|| fail "backup on PostgreSQL: exit $rc: $(cat "$TMP/backup.out")"

finish
