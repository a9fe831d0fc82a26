#!/usr/bin/env bash
# Backups (issue 15, P04): a restore drill. With faxes sent and received and
# another in flight, `faxvaultd backup` copies the running service; the
# daemon is killed and its data directory destroyed; `backup-verify` checks
# the copy, `restore` makes a new data directory of it, the audit chain
# verifies there and every fax known before the backup is back with its
# documents. Damaged copies, wrong passphrases and occupied targets are
# refused, and neither the passphrase nor the master key is in the copy.
# With FV_TEST_PG (integ_fax_backup_pg) the same drill runs on PostgreSQL:
# the copy holds a pg_dump of one snapshot, the database is dropped with the
# data directory, and the restore goes into a new, empty database.
# The copy is encrypted under a key of its own kept in the backup key
# directory (here outside the data directory, so that it survives the
# disaster): without that directory nothing restores, and once the backup
# has expired (backup.retention_days) it is refused with a clear message.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
KEYS="$TMP/backup-keys"
FV_TEST_FLAGS="$FV_TEST_FLAGS --set backup.key_dir=$KEYS --set backup.retention_days=30"
fax_setup
make_pdf "$TMP/three.pdf" 3
PASS="$TMP/passphrase"
printf 'correct horse battery staple 42\n' >"$PASS"
BK="$TMP/backup"
bk() { "$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS "$@"; }

# --- Traffic: one fax delivered and received, one more on its way.
send_fax "$USER_A" "$NUM_B" "$TMP/three.pdf"
expect_status 202 "fax accepted"
FIRST=$FAX
wait_fax "$USER_A" "$FIRST"
expect_jq '.status == "delivered"' "the first fax is delivered"
wait_inbound "$USER_B" 1
RECEIVED=$(jqr '.items[0].id')
send_fax "$USER_A" "$NUM_B" "$TMP/three.pdf"
SECOND=$FAX
req GET "/v1/faxes?limit=200" "$USER_A"
BEFORE_A=$(jqr '[.items[].id] | sort | join(" ")')

# --- Refusals before anything is written.
env -u FAXVAULT_BACKUP_PASSPHRASE "$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS backup --to "$TMP/nopass" >"$TMP/o" 2>&1
[ $? = 2 ] && grep -q 'no passphrase' "$TMP/o" && ok || fail "a backup without a passphrase: $(cat "$TMP/o")"
FAXVAULT_BACKUP_PASSPHRASE=short bk backup --to "$TMP/short" >"$TMP/o" 2>&1
[ $? = 2 ] && grep -q 'at least 12 characters' "$TMP/o" && ok || fail "a short passphrase: $(cat "$TMP/o")"
mkdir -p "$TMP/full" && touch "$TMP/full/x"
bk backup --to "$TMP/full" --passphrase-file "$PASS" >"$TMP/o" 2>&1
[ $? = 1 ] && grep -q 'new or empty directory' "$TMP/o" && ok || fail "a backup into a non-empty directory: $(cat "$TMP/o")"

# --- The backup, with the service running.
bk backup --to "$BK" --passphrase-file "$PASS" >"$TMP/bk.out" 2>&1 && ok || fail "backup: $(cat "$TMP/bk.out")"
grep -q 'master key: sealed under the passphrase' "$TMP/bk.out" && ok || fail "backup output: $(cat "$TMP/bk.out")"
jq -e '.format == "faxvault-backup/2" and (.files | map(.path) | index("index") == 0) and (.files | map(select(.path | test("^data/[0-9]{6}$"))) | length) >= 4 and .audit_head.seq > 0 and (.master_key.sealed.sealed | length) > 0 and (.backup_key.id | test("^bk_[0-9a-f]{24}$")) and .backup_key.retention_days == 30' "$BK/manifest.json" >/dev/null \
	&& ok || fail "manifest: $(head -c 600 "$BK/manifest.json")"
BKID=$(jq -r .backup_key.id "$BK/manifest.json")
# Every audit chain's head (one per account, the provider's) in the manifest.
jq -e '(.audit_heads | length) >= 3 and all(.audit_heads[]; (.chain | length) > 0 and .seq > 0 and (.hash | test("^[0-9a-f]{64}$")))' "$BK/manifest.json" >/dev/null \
	&& ok || fail "manifest's audit heads: $(jq -c .audit_heads "$BK/manifest.json")"
[ -f "$KEYS/$BKID.key" ] && [ "$(stat -c %a "$KEYS/$BKID.key")" = 600 ] && ok || fail "the backup's key is not in the key directory"
# Expiry: 30 days on the service's clock, said in the manifest and the output.
jq -e --argjson now "$(clock_seconds)" '(.backup_key.expires_at | sub("\\.[0-9]+Z$"; "Z") | fromdate) - $now | . > 29 * 86400 and . <= 30 * 86400 + 60' "$BK/manifest.json" >/dev/null && ok || fail "expiry: $(jq -c .backup_key "$BK/manifest.json")"
grep -q "encrypted under backup key $BKID, kept in $KEYS; it expires on" "$TMP/bk.out" && ok || fail "backup output: $(cat "$TMP/bk.out")"
# Nothing of the data in the clear: no document's name, no SQLite file.
if grep -rqa -e 'doc_' -e 'SQLite format 3' -e 'PGDMP' "$BK"; then fail "a document's name or the database in the clear in the backup"; else ok; fi
HEAD=$(jq -r '"\(.audit_head.seq):\(.audit_head.hash)"' "$BK/manifest.json")
# The passphrase and the master key are nowhere in the copy in the clear.
python3 - "$DATA/master.key" "$BK" "correct horse battery staple 42" <<'PY' && ok || fail "a secret found in the backup"
import os, sys
key = open(sys.argv[1], 'rb').read()
needles = [key, key[12:44], key[12:44].hex().encode(), sys.argv[3].encode()]
for root, _, files in os.walk(sys.argv[2]):
    for f in files:
        data = open(os.path.join(root, f), 'rb').read()
        for n in needles:
            if n in data:
                print("found in", f); sys.exit(1)
PY

# A copy without the master key opens with the key file given.
bk backup --to "$TMP/keyless" --without-key >"$TMP/o" 2>&1 && grep -q 'master key: NOT included' "$TMP/o" && ok || fail "a backup --without-key: $(cat "$TMP/o")"
bk backup-verify --from "$TMP/keyless" >"$TMP/o" 2>&1
[ $? = 1 ] && grep -q 'this backup holds no master key: give --master-key FILE' "$TMP/o" && ok || fail "verify of a keyless copy without --master-key: $(cat "$TMP/o")"
bk backup-verify --from "$TMP/keyless" --master-key "$DATA/master.key" >"$TMP/o" 2>&1 && grep -q 'backup verified' "$TMP/o" && ok || fail "verify of a keyless copy with --master-key: $(cat "$TMP/o")"

# --- Each run went through the operation runner as system:backup and is in
# the provider's audit log with its outcome and the operator who ran it:
# the two refused before anything was written (exit 2) "denied", the
# occupied target "failure", the two backups "success".
req POST /v1/provider/staff "$OP" '{"email":"sec@provider.example","name":"Sam Security","role":"security"}'
accept "$(jqr .invitation.token)" "security-password-1"
SEC=$(login sec@provider.example security-password-1)
req GET "/v1/provider/audit-events?action=backup.run&limit=50" "$SEC"
expect_jq '([.items[] | select(.outcome == "denied" and .detail.exit == 2 and .detail.problem == "refused")] | length) == 2 and ([.items[] | select(.outcome == "failure" and .detail.exit == 1)] | length) == 1 and ([.items[] | select(.outcome == "success" and .detail.exit == 0)] | length) == 2 and (.items | length) == 5' \
	"each backup run audited with its outcome"
expect_jq 'all(.items[]; .actor.id == "system:backup" and .actor.type == "system" and (.detail.operator | startswith("cli:")))' \
	"by system:backup, naming the operator"

# --- Disaster: the daemon dies, its data directory is gone.
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=""
rm -rf "$DATA"
if [ -n "${FV_TEST_PG:-}" ]; then
	# the database too; the restore goes into a new one (its flags come last)
	pg_admin "DROP DATABASE ${PG_DBS##* } WITH (FORCE)" >/dev/null || fail "drop the database"
	pg_new_database
	DB=${PG_DBS##* }
	q() { psql -X -At "host=$FV_TEST_PG user=faxvault dbname=$DB" -c "$1"; }
	pg_tables() { q "SELECT count(*) FROM pg_tables WHERE schemaname='public'"; }
fi

# --- Without the backup key directory, the copy does not open.
"$FAXVAULTD" $FV_TEST_FLAGS backup-verify --from "$BK" --passphrase-file "$PASS" --key-dir "$TMP/nokeys" >"$TMP/o" 2>&1
[ $? = 1 ] && grep -q "the key of this backup ($BKID) is not in $TMP/nokeys" "$TMP/o" && ok || fail "verify without the key directory: $(cat "$TMP/o")"
"$FAXVAULTD" $FV_TEST_FLAGS restore --from "$BK" --data-dir "$TMP/nokeys-restore" --passphrase-file "$PASS" --key-dir "$TMP/nokeys" >"$TMP/o" 2>&1
[ $? = 1 ] && [ ! -e "$TMP/nokeys-restore/faxvault.db" ] && [ ! -e "$TMP/nokeys-restore/master.key" ] && ok || fail "a restore without the backup's key: $(cat "$TMP/o")"
# A key file whose expiry was moved later does not open.
cp -a "$KEYS" "$TMP/keys-edited"
jq '.expires_at = "2099-01-01T00:00:00.000Z"' "$KEYS/$BKID.key" >"$TMP/keys-edited/$BKID.key"
jq --arg x 2099-01-01T00:00:00.000Z '.backup_key.expires_at = $x' "$BK/manifest.json" >"$TMP/m.json"
cp -a "$BK" "$TMP/edited" && cp "$TMP/m.json" "$TMP/edited/manifest.json"
"$FAXVAULTD" $FV_TEST_FLAGS backup-verify --from "$TMP/edited" --passphrase-file "$PASS" --key-dir "$TMP/keys-edited" >"$TMP/o" 2>&1
[ $? = 1 ] && grep -q "does not open: another master key, or the file was altered" "$TMP/o" && ok || fail "an edited expiry: $(cat "$TMP/o")"

# --- The copy checks out; damaged copies and wrong passphrases do not.
"$FAXVAULTD" $FV_TEST_FLAGS backup-verify --from "$BK" --passphrase-file "$PASS" >"$TMP/v.out" 2>&1 && ok || fail "backup-verify: $(cat "$TMP/v.out")"
grep -q 'audit chain intact' "$TMP/v.out" && grep -q 'backup verified' "$TMP/v.out" && ok || fail "verify output: $(cat "$TMP/v.out")"
grep -Eq 'documents: [1-9][0-9]* of a sample of [1-9][0-9]* decrypted whole and authentic, 0 without a blob.*, 0 damaged' "$TMP/v.out" && ok || fail "documents decrypted: $(grep documents "$TMP/v.out")"
printf 'not the right passphrase\n' >"$TMP/wrong"
"$FAXVAULTD" $FV_TEST_FLAGS backup-verify --from "$BK" --passphrase-file "$TMP/wrong" >"$TMP/o" 2>&1
[ $? = 1 ] && grep -q 'does not open: wrong passphrase' "$TMP/o" && ok || fail "a wrong passphrase: $(cat "$TMP/o")"
cp -a "$BK" "$TMP/damaged"
BLOB=$(ls "$TMP/damaged/data" | tail -n 1)
printf 'X' | dd of="$TMP/damaged/data/$BLOB" bs=1 seek=100 conv=notrunc 2>/dev/null
"$FAXVAULTD" $FV_TEST_FLAGS backup-verify --from "$TMP/damaged" --passphrase-file "$PASS" >"$TMP/o" 2>&1
[ $? = 1 ] && grep -q "data/$BLOB differs from the manifest" "$TMP/o" && ok || fail "a damaged blob: $(cat "$TMP/o")"
"$FAXVAULTD" $FV_TEST_FLAGS restore --from "$TMP/damaged" --data-dir "$TMP/never" --passphrase-file "$PASS" >"$TMP/o" 2>&1
[ $? = 1 ] && [ ! -e "$TMP/never/faxvault.db" ] && [ "$(pg_tables 2>/dev/null || echo 0)" = 0 ] && ok || fail "a damaged copy was restored: $(cat "$TMP/o")"
rm -f "$TMP/damaged/manifest.json"
"$FAXVAULTD" $FV_TEST_FLAGS backup-verify --from "$TMP/damaged" --passphrase-file "$PASS" >"$TMP/o" 2>&1
[ $? = 1 ] && grep -q 'holds no faxvault backup' "$TMP/o" && ok || fail "a copy without its manifest: $(cat "$TMP/o")"

# --- Restore into a new data directory; the chain verifies there.
"$FAXVAULTD" $FV_TEST_FLAGS restore --from "$BK" --data-dir "$DATA" --passphrase-file "$PASS" >"$TMP/r.out" 2>&1 && ok || fail "restore: $(cat "$TMP/r.out")"
if [ -n "${FV_TEST_PG:-}" ]; then
	[ "$(stat -c %a "$DATA/master.key")" = 600 ] && [ ! -e "$DATA/faxvault.db" ] && ok || fail "restored key file not private, or a SQLite file made"
	[ "$(q "SELECT count(*) FROM faxes")" -ge 2 ] && ok || fail "the faxes are not in the restored database"
	# Another restore into the same database is refused: it holds tables now.
	"$FAXVAULTD" $FV_TEST_FLAGS restore --from "$BK" --data-dir "$TMP/other" --passphrase-file "$PASS" >"$TMP/o" 2>&1
	[ $? = 1 ] && grep -q 'already holds tables' "$TMP/o" && ok || fail "a restore over a database: $(cat "$TMP/o")"
	# backup-verify restored into a scratch database, dropped after.
	[ "$(pg_admin "SELECT 1" >/dev/null; psql -X -At "host=$FV_TEST_PG user=faxvault dbname=postgres" -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'faxvault_verify_%'")" = 0 ] && ok || fail "backup-verify left its scratch database"
else
	[ "$(stat -c %a "$DATA/master.key")" = 600 ] && [ "$(stat -c %a "$DATA/faxvault.db")" = 600 ] && ok || fail "restored files are not private"
fi
"$FAXVAULTD" $FV_TEST_FLAGS restore --from "$BK" --data-dir "$DATA" --passphrase-file "$PASS" >"$TMP/o" 2>&1
[ $? = 1 ] && grep -q 'already holds a database' "$TMP/o" && ok || fail "a restore over data: $(cat "$TMP/o")"
# The restored chains end where the manifest says (restore checked it too).
if [ -n "${FV_TEST_PG:-}" ]; then heads() { q "SELECT chain_id || ':' || chain_seq || ':' || hash FROM audit_heads WHERE chain_seq > 0"; }
else heads() { sqlite3 "$DATA/faxvault.db" "SELECT chain_id || ':' || chain_seq || ':' || hash FROM audit_heads WHERE chain_seq > 0"; }; fi
[ "$(heads | sort)" = "$(jq -r '.audit_heads[] | "\(.chain):\(.seq):\(.hash)"' "$BK/manifest.json" | sort)" ] && ok ||
	fail "the restored chains' heads are not the manifest's"
# (Before audit-verify, whose run is recorded in the provider's chain.)
"$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS audit-verify >"$TMP/av.out" 2>&1 && ok || fail "audit-verify on the restored copy: $(cat "$TMP/av.out")"
grep -q "audit chain intact: .* head $HEAD" "$TMP/av.out" && ok || fail "the restored head is not the backup's $HEAD: $(cat "$TMP/av.out")"
# The run itself, through the operation runner as system:audit-verify, is
# the provider chain's next event.
if [ -n "${FV_TEST_PG:-}" ]; then sql() { q "$1"; }; else sql() { sqlite3 "$DATA/faxvault.db" "$1"; }; fi
LASTEV=$(sql "SELECT action || ' ' || actor_id || ' ' || outcome || ' ' || chain_seq FROM audit_events WHERE chain_id = 'provider' ORDER BY chain_seq DESC LIMIT 1")
[ "$LASTEV" = "audit.verify_run system:audit-verify success $(( $(jq -r '.audit_heads[] | select(.chain == "provider") | .seq' "$BK/manifest.json") + 1 ))" ] && ok ||
	fail "the audit-verify run is not the provider chain's next event: $LASTEV"

# --- The service runs on the restored copy: every fax known before the
# backup is there, documents decrypt, the one in flight ends.
launch_daemon --set testing.media_clock_speed="$FAX_SPEED" --set fax.poll_ms=100
USER_A=$(login user@a-fax.example meadow-violin-otter-55)
USER_B=$(login user@b-fax.example meadow-violin-otter-55)
req GET "/v1/faxes?limit=200" "$USER_A"
AFTER_A=$(jqr '[.items[].id] | sort | join(" ")')
[ "$AFTER_A" = "$BEFORE_A" ] && ok || fail "faxes before the backup: $BEFORE_A; after the restore: $AFTER_A"
curl -s -o "$TMP/doc.pdf" -w '%{http_code}' -H "Authorization: Bearer $USER_B" "$BASE/v1/faxes/$RECEIVED/document" >"$TMP/code"
[ "$(cat "$TMP/code")" = 200 ] && head -c 5 "$TMP/doc.pdf" | grep -q '%PDF-' && ok || fail "the received fax's document after the restore: $(cat "$TMP/code")"
wait_fax "$USER_A" "$SECOND"
expect_jq '.status | IN("delivered","partial","failed")' "the fax in flight at the backup ends after the restore"

stop_daemon || fail "daemon did not stop cleanly"

# --- Thirty days later the backup has expired: refused, with the reason,
# even while its key file is still there (the sweep removes it).
advance_clock $((30 * 24 * 60 + 1))
"$FAXVAULTD" $FV_TEST_FLAGS restore --from "$BK" --data-dir "$TMP/late" --passphrase-file "$PASS" >"$TMP/o" 2>&1
[ $? = 1 ] && grep -q "this backup expired on .*: its key $BKID is destroyed, and nothing in it can be read any more" "$TMP/o" && [ ! -e "$TMP/late/faxvault.db" ] && [ ! -e "$TMP/late/master.key" ] && ok || fail "an expired backup: $(cat "$TMP/o")"
finish
