#!/usr/bin/env bash
# The audit chains (one per account, one for the provider) are
# tamper-evident: changing, removing, reordering, inserting or moving to
# another chain one stored event makes `faxvaultd audit-verify` fail and
# name that event and its chain, and the API says the same. The chains are
# keyed (HMAC under a key derived from the master key) and the daemon
# publishes signed checkpoints of each chain's head (log, checkpoint file,
# accounts): with the shipped checkpoint file, audit-verify also detects the
# removal of a chain's newest events and a chain recomputed with plain
# SHA-256; without it, it names what it could not rule out. The bootstrap
# operator can verify the chains (not read their events).
. "$(dirname "$0")/lib.sh"
start_daemon

OP=$(operator_token)
req POST /v1/provider/staff "$OP" '{"email":"sec@provider.example","name":"Sam Security","role":"security"}'
expect_status 201 "invite security staff"
accept "$(jqr .invitation.token)" "security-password-1"
SEC=$(login sec@provider.example security-password-1)
for i in 1 2 3; do
	req POST /v1/accounts "$OP" "{\"name\":\"Tenant $i\",\"owner\":{\"email\":\"o$i@t.example\",\"name\":\"O$i\"}}"
	expect_status 201 "account $i"
	[ "$i" = 1 ] && { ACC1=$(jqr .id); OTOK=$(jqr .owner_invitation.token); }
done
accept "$OTOK" "owner-password-1"
OWNER1=$(login o1@t.example owner-password-1)

req GET /v1/provider/audit/verify "$SEC"
expect_status 200 "security verifies through the API"
expect_jq '.ok == true and .events > 5 and .first_broken == null and .keyed_from == 1' "chain intact and keyed from its first event"
expect_jq '[.not_ruled_out[].code] | index("no-checkpoint") != null' "without a checkpoint, the removal of the newest events is not ruled out"
req GET /v1/provider/audit/verify "$OP"
expect_status 200 "the bootstrap operator verifies the chain"
expect_jq '.ok == true and (.head.actor | length > 0)' "the operator's verification names the head's actor"
req GET /v1/provider/audit-events "$OP"
expect_problem 403 forbidden "operators still do not read the events"
req GET "/v1/provider/audit-events?action=account.create" "$SEC"
expect_jq '.items | length == 3' "security reads every account's events"
req GET "/v1/provider/audit-events?action=provider.bootstrap" "$SEC"
expect_jq "(.items | length) == 1 and .items[0].actor.type == \"cli\" and (.items[0].actor.id | startswith(\"cli:$(id -un)@\"))" "bootstrap is attributed to the operator's command and unix user"

# Checkpoints now, signed, one per chain; each account sees its own.
req POST /v1/provider/audit/checkpoints "$OP"
expect_status 200 "the operator publishes checkpoints"
expect_jq '(.checkpoints | length) == 4 and ([.checkpoints[].chain | select(. == "provider" or startswith("acc_"))] | unique | length) == 4' "one checkpoint per chain: the three accounts' and the provider's"
CP_SEQ=$(jq -r --arg a "$ACC1" '.checkpoints[] | select(.chain == $a) | .seq' <<<"$BODY")
expect_jq 'all(.checkpoints[]; (.mac | test("^[0-9a-f]{64}$")) and (.signature | test("^[0-9a-f]{128}$")))' "each: head hash and signature"
req POST /v1/provider/audit/checkpoints "$OP"
expect_jq '(.checkpoints | length) == 1 and .checkpoints[0].chain == "provider" and .new == true' "again: only the provider's chain moved (the first request's event)"
PCP_SEQ=$(jqr '.checkpoints[0].seq')
req GET "/v1/accounts/$ACC1/audit-checkpoints" "$OWNER1"
expect_status 200 "the account's owner lists its checkpoints"
expect_jq "(.items | length) == 1 and .items[0].seq == $CP_SEQ and .items[0].chain == \"$ACC1\" and .algorithm == \"Ed25519\"" "the checkpoint of the account's chain"
# The signature verifies with openssl, from the published key alone.
PK=$(jqr .public_key)
printf '%s\n' "$BODY" | jq -j '.items[0].message' > "$TMP/msg"
python3 -c 'import sys,binascii; sys.stdout.buffer.write(binascii.unhexlify(sys.argv[1]))' \
	"302a300506032b6570032100$PK" > "$TMP/pk.der"
python3 -c 'import sys,binascii; sys.stdout.buffer.write(binascii.unhexlify(sys.argv[1]))' \
	"$(jqr '.items[0].signature')" > "$TMP/sig"
openssl pkeyutl -verify -pubin -keyform DER -inkey "$TMP/pk.der" -rawin -in "$TMP/msg" -sigfile "$TMP/sig" >/dev/null &&
	ok || fail "the checkpoint's signature verifies with openssl"
printf 'x' >> "$TMP/msg"
openssl pkeyutl -verify -pubin -keyform DER -inkey "$TMP/pk.der" -rawin -in "$TMP/msg" -sigfile "$TMP/sig" >/dev/null 2>&1 &&
	fail "a changed message still verifies" || ok
req GET "/v1/accounts/$ACC1/audit-events?action=audit_checkpoint.list" "$OWNER1"
expect_jq '.items | length == 1' "reading the checkpoints is audited"

# The account's chain exported whole and verified offline, as a third
# party would, with nothing but the export and the public key the account
# kept from its checkpoints; copies tampered with are refused.
req GET "/v1/accounts/$ACC1/audit/export" "$OWNER1"
expect_status 200 "the account's owner exports its chain"
printf '%s\n' "$BODY" > "$TMP/export.json"
expect_jq ".chain == \"$ACC1\" and (.events | length) > 3 and all(.events[]; .chain_id == \"$ACC1\") and (.checkpoints | length) == 1 and .checkpoints[0].seq == $CP_SEQ and .public_key == \"$PK\"" "the export: the account's chain whole, its checkpoint, the key"
XV="$(dirname "$0")/audit_export_verify.py"
python3 "$XV" "$TMP/export.json" "$PK" > "$TMP/x.out" 2>&1 && grep -q "^intact: " "$TMP/x.out" && ok ||
	fail "the export verifies offline: $(cat "$TMP/x.out")"
xbad() { # xbad JQ_EDIT REASON WHAT
	jq -c "$1" "$TMP/export.json" > "$TMP/x2.json"
	python3 "$XV" "$TMP/x2.json" "$PK" > "$TMP/x.out" 2>&1
	[ $? -eq 1 ] && grep -q "$2" "$TMP/x.out" && ok || fail "$3 is refused: $(cat "$TMP/x.out")"
}
xbad '.events[1].target = "usr_else"' "signature does not cover" "an altered event"
xbad '.events[1].source = "192.0.2.66"' "does not match its digest" "an altered address"
xbad 'del(.events[1])' "out of place" "a removed event"
xbad '.events |= ([.[1], .[0]] + .[2:])' "out of place" "reordered events"
xbad '.events[1].chain_id = "provider"' "another chain" "an event of another chain"
xbad '.events += [.events[-1] | .chain_seq += 1 | .prev_hash = .hash]' "head is not the last" "an event added"
python3 "$XV" "$TMP/export.json" "$(printf '%064d' 1)" > "$TMP/x.out" 2>&1
[ $? -eq 1 ] && grep -q "another key" "$TMP/x.out" && ok || fail "another key is refused: $(cat "$TMP/x.out")"
req GET "/v1/accounts/$ACC1/audit-events?action=audit.export" "$OWNER1"
expect_jq '.items | length == 1' "the export is audited"

stop_daemon && ok || fail "clean stop on SIGTERM"
CPFILE="$DATA/audit-checkpoints.jsonl"
[ "$(stat -c %a "$CPFILE")" = 600 ] && ok || fail "the checkpoint file is 0600"
NCP=$(wc -l < "$CPFILE")
[ "$NCP" -ge 6 ] && ok || fail "the checkpoints asked for (4, then 1) and at stop in the file: $(cat "$CPFILE")"
# The provider's chain moved again (the second request's event): signed at stop.
LAST=$(grep '"chain":"provider"' "$CPFILE" | tail -n 1 | jq -r '"\(.chain):\(.seq):\(.mac)"')
LSEQ=${LAST#provider:}; LSEQ=${LSEQ%%:*}
grep -q "event=audit.checkpoint chain=provider seq=$LSEQ prev_seq=$PCP_SEQ mac=${LAST##*:} " "$LOG" && ok ||
	fail "the provider's checkpoint at stop is logged as in the file"
SHIPPED="$TMP/shipped-checkpoints.jsonl"
cp "$CPFILE" "$SHIPPED"

DB="$DATA/faxvault.db"
verify() { "$FAXVAULTD" --data-dir "$DATA" audit-verify "$@" > "$TMP/v.out" 2>&1; }
verify
[ $? -eq 0 ] && ok || fail "audit-verify passes on an intact chain: $(cat "$TMP/v.out")"
grep -q "intact" "$TMP/v.out" && ok || fail "audit-verify says intact"
grep -q "keyed (HMAC-SHA-256) from event 1" "$TMP/v.out" && ok || fail "audit-verify says the chain is keyed"
grep -q "cannot rule out deletion of the newest events: no checkpoint given" "$TMP/v.out" && ok ||
	fail "without a checkpoint, audit-verify says what it could not rule out: $(cat "$TMP/v.out")"
# Each run goes through the operation runner as system:audit-verify and is
# recorded after what it verified, with its outcome and the operator.
lastrun() { sqlite3 "$DB" "SELECT outcome || ' ' || json_extract(detail, '$.exit') || ' ' || (json_extract(detail, '$.operator') LIKE 'cli:%') FROM audit_events WHERE action='audit.verify_run' AND actor_id='system:audit-verify' ORDER BY seq DESC LIMIT 1"; }
[ "$(lastrun)" = "success 0 1" ] && ok || fail "the intact run is recorded: $(lastrun)"
verify --checkpoint "$SHIPPED"
[ $? -eq 0 ] && ok || fail "the intact chain holds its checkpoints: $(cat "$TMP/v.out")"
grep -q "checkpoints checked: $NCP;" "$TMP/v.out" && ok || fail "every checkpoint checked: $(cat "$TMP/v.out")"
grep -q "audit chain intact: .* in 4 chains" "$TMP/v.out" && ok || fail "four chains checked: $(cat "$TMP/v.out")"
grep -q "no checkpoint given" "$TMP/v.out" && fail "with a checkpoint, truncation before it is ruled out" || ok
grep -q "after the newest checkpoint (chain .*, seq [0-9]*," "$TMP/v.out" && ok || fail "what comes after the newest checkpoint is named"
cp "$DB" "$TMP/pristine.db"
restore() { cp "$TMP/pristine.db" "$DB"; rm -f "$DB-wal" "$DB-shm"; }

# 0. Remove a chain's newest events (its recorded head moved back with
#    them): consistent on its own, caught by the checkpoint. Each run of
#    audit-verify records itself at the chain's end, so each check starts
#    from the truncated copy.
truncate_provider() {
	restore
	sqlite3 "$DB" "DELETE FROM audit_events WHERE chain_id = 'provider' AND chain_seq >= $LSEQ - 1;
	UPDATE audit_heads SET (chain_seq, hash) = (SELECT chain_seq, hash FROM audit_events
	WHERE chain_id = 'provider' ORDER BY chain_seq DESC LIMIT 1) WHERE chain_id = 'provider'"
}
truncate_provider
verify
[ $? -eq 0 ] && ok || fail "a truncated chain is consistent on its own"
grep -q "cannot rule out deletion of the newest events" "$TMP/v.out" && ok || fail "...and the output says so"
truncate_provider
verify --checkpoint "$SHIPPED"
[ $? -eq 1 ] && ok || fail "audit-verify --checkpoint detects the truncation"
grep -q "newest events were removed" "$TMP/v.out" && ok || fail "truncation named: $(cat "$TMP/v.out")"
truncate_provider
verify --expect-head "$LAST"
[ $? -eq 1 ] && ok || fail "a head recorded from the log (--expect-head CHAIN:SEQ:HASH) detects it too"
restore

# 1. The chain recomputed with plain SHA-256 (what anyone without the key
#    can compute).
recompute() { # recompute MARK_PLAIN: every hash as SHA-256 (chain by chain, each from
	# the anchor: no closed global chain here), the recorded heads too,
	# chain column set to 1 when MARK_PLAIN
	python3 - "$DB" "$1" <<'EOF'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
fields = ["chain_id", "chain_seq", "id", "time", "actor_id", "actor_type", "on_behalf_of",
          "action", "target", "account_id", "source", "outcome", "detail"]
prev, chain = None, None
for row in db.execute("SELECT seq, " + ", ".join(fields) +
                      " FROM audit_events ORDER BY chain_id, chain_seq").fetchall():
    if row[1] != chain:
        chain, prev = row[1], "0" * 64
    enc = b"".join(b"%d:%s," % (len(v), v) for v in (str(x).encode() for x in row[1:]))
    h = hashlib.sha256(prev.encode() + enc).hexdigest()
    db.execute("UPDATE audit_events SET prev_hash=?, hash=?, chain=CASE WHEN ? THEN 1 ELSE chain END"
               " WHERE seq=?", (prev, h, sys.argv[2] == "1", row[0]))
    db.execute("UPDATE audit_heads SET hash=? WHERE chain_id=? AND chain_seq=?", (h, chain, row[2]))
    prev = h
db.commit()
EOF
}
recompute 0
verify
[ $? -eq 1 ] && ok || fail "recomputed with SHA-256 over keyed events: detected with the key alone"
grep -q "keyed hash" "$TMP/v.out" && ok || fail "names the keyed hash: $(cat "$TMP/v.out")"
restore
recompute 1
verify
[ $? -eq 0 ] && ok || fail "recomputed whole and marked plain: consistent on its own"
grep -q "cannot rule out a chain recomputed whole with plain SHA-256" "$TMP/v.out" && ok ||
	fail "...and without a checkpoint the output says so: $(cat "$TMP/v.out")"
verify --checkpoint "$SHIPPED"
[ $? -eq 1 ] && ok || fail "audit-verify --checkpoint detects the recomputed chain"
grep -q "differs from the checkpoint" "$TMP/v.out" && ok || fail "recomputation named: $(cat "$TMP/v.out")"
restore

# 2. A forged checkpoint (another head, the old signature) and a malformed file.
jq -c '.mac = "'"$(printf '%064d' 7)"'"' "$SHIPPED" > "$TMP/forged.jsonl"
verify --checkpoint "$TMP/forged.jsonl"
[ $? -eq 1 ] && ok || fail "a forged checkpoint fails"
grep -q "does not carry this service's signature" "$TMP/v.out" && ok || fail "forgery named: $(cat "$TMP/v.out")"
echo 'not json' > "$TMP/bad.jsonl"
verify --checkpoint "$TMP/bad.jsonl"
[ $? -eq 2 ] && ok || fail "a checkpoint file that does not parse is a usage error"
grep -q "bad.jsonl:1: not a checkpoint" "$TMP/v.out" && ok || fail "names the line: $(cat "$TMP/v.out")"

# 3. Without the master key, the output says what it cannot check.
mv "$DATA/master.key" "$TMP/master.key"
verify
[ $? -eq 0 ] && ok || fail "without the key, links still verify"
grep -q "no audit key" "$TMP/v.out" && ok || fail "without the key, it says so: $(cat "$TMP/v.out")"
mv "$TMP/master.key" "$DATA/master.key"

# 4. Change one event's content.
SEQ=$(sqlite3 "$DB" "SELECT seq FROM audit_events WHERE action='account.create' ORDER BY seq LIMIT 1 OFFSET 1")
ID=$(sqlite3 "$DB" "SELECT id FROM audit_events WHERE seq=$SEQ")
sqlite3 "$DB" "UPDATE audit_events SET actor_id='usr_someone_else' WHERE seq=$SEQ"
verify
RC=$?
[ $RC -eq 1 ] && ok || fail "audit-verify exits 1 on a changed event (got $RC)"
grep -q "seq=$SEQ id=$ID by usr_someone_else (user)" "$TMP/v.out" && ok || fail "audit-verify names the changed event and its actor: $(cat "$TMP/v.out")"
verify --json
jq -e ".ok == false and .first_broken.seq == $SEQ and .first_broken.id == \"$ID\"" "$TMP/v.out" >/dev/null && ok ||
	fail "JSON report names the event: $(cat "$TMP/v.out")"
[ "$(lastrun)" = "failure 1 1" ] && ok || fail "a run that finds the chain broken is recorded as a failure: $(lastrun)"

# 5. Remove one event in the middle of the first account's chain.
restore
MID=$(sqlite3 "$DB" "SELECT seq FROM audit_events WHERE chain_id='$ACC1' AND chain_seq=2")
NEXT=$(sqlite3 "$DB" "SELECT seq FROM audit_events WHERE chain_id='$ACC1' AND chain_seq=3")
sqlite3 "$DB" "DELETE FROM audit_events WHERE seq=$MID"
verify
[ $? -eq 1 ] && ok || fail "audit-verify fails on a removed event"
grep -q "seq=$NEXT .* in chain $ACC1 (chain_seq 3): sequence gap" "$TMP/v.out" && ok || fail "names the event after the gap and its chain: $(cat "$TMP/v.out")"

# 5b. Reorder two events of that chain.
restore
sqlite3 "$DB" "UPDATE audit_events SET chain_seq=-1 WHERE seq=$MID; UPDATE audit_events SET chain_seq=2 WHERE seq=$NEXT;
	UPDATE audit_events SET chain_seq=3 WHERE seq=$MID"
verify
[ $? -eq 1 ] && ok || fail "audit-verify fails on reordered events"
grep -q "seq=$NEXT .* in chain $ACC1 (chain_seq 2): previous-hash link" "$TMP/v.out" && ok || fail "names the reordered event: $(cat "$TMP/v.out")"

# 5c. Move the first account's newest event to another account's chain, at
#     its end, the recorded heads following (as an attacker would).
restore
ACC2=$(sqlite3 "$DB" "SELECT account_id FROM audit_events WHERE action='account.create' AND account_id <> '$ACC1' ORDER BY seq LIMIT 1")
MOVED=$(sqlite3 "$DB" "SELECT seq FROM audit_events WHERE chain_id='$ACC1' ORDER BY chain_seq DESC LIMIT 1")
sqlite3 "$DB" "UPDATE audit_events SET chain_id='$ACC2', account_id='$ACC2',
	prev_hash=(SELECT hash FROM audit_heads WHERE chain_id='$ACC2'),
	chain_seq=(SELECT chain_seq + 1 FROM audit_heads WHERE chain_id='$ACC2') WHERE seq=$MOVED;
	UPDATE audit_heads SET chain_seq=chain_seq + 1, hash=(SELECT hash FROM audit_events WHERE seq=$MOVED) WHERE chain_id='$ACC2';
	UPDATE audit_heads SET (chain_seq, hash)=(SELECT chain_seq, hash FROM audit_events WHERE chain_id='$ACC1'
	ORDER BY chain_seq DESC LIMIT 1) WHERE chain_id='$ACC1'"
verify --json
jq -e ".ok == false and .first_broken.seq == $MOVED and .first_broken.chain == \"$ACC2\" and (.first_broken.reason | contains(\"keyed hash\"))" "$TMP/v.out" >/dev/null && ok ||
	fail "an event moved to another chain is caught: $(cat "$TMP/v.out")"

# 6. Recompute a changed event's own hash: the next link breaks.
restore
sqlite3 "$DB" "UPDATE audit_events SET outcome='failure', hash='$(printf '%064d' 0)' WHERE seq=$SEQ"
verify
[ $? -eq 1 ] && ok || fail "audit-verify fails on a rehashed event"

# The API reports the same break, and the daemon signs no checkpoint of a
# chain that no longer holds the last one.
api_verify_after() { # api_verify_after SQL: the daemon on the pristine database changed by SQL
	restore
	sqlite3 "$DB" "$1"
	launch_daemon
	SEC=$(login sec@provider.example security-password-1)
	req GET /v1/provider/audit/verify "$SEC"
}
api_verify_after "UPDATE audit_events SET target='x' WHERE seq=$SEQ"
expect_jq ".ok == false and .first_broken.seq == $SEQ" "API names the broken event"
stop_daemon && ok || fail "clean stop"
api_verify_after "DELETE FROM audit_events WHERE chain_id = 'provider' AND chain_seq >= $PCP_SEQ;
	UPDATE audit_heads SET (chain_seq, hash) = (SELECT chain_seq, hash FROM audit_events
	WHERE chain_id = 'provider' ORDER BY chain_seq DESC LIMIT 1) WHERE chain_id = 'provider'"
# (The sign-in since appended to the provider's chain where the removed
# events were: the checkpoint then names a different event there.)
expect_jq '.ok == false and .first_broken.chain == "provider" and (.first_broken.reason | test("newest events were removed|differs from the checkpoint"))' "API: truncation caught by the stored checkpoints"
req POST /v1/provider/audit/checkpoints "$SEC"
expect_problem 500 internal "no checkpoint signed over a truncated chain"
grep -q "event=audit.checkpoint_refused" "$LOG" && ok || fail "the refusal is logged"
finish
