#!/usr/bin/env bash
# Master key rotation (issue 16): `faxvaultd rotate-master-key` with the
# service stopped gives the data directory a new master key. Account keys
# (and so every document and account secret) and the provider's own sealed
# secrets (a trunk password, a staff member's TOTP seed, a pending mail's
# token) are rewrapped; documents are not rewritten; the audit chain keeps
# its keys, so the chain and the checkpoints signed before still verify; the
# old key's bytes are in no file of the data directory afterwards. A
# rotation interrupted after the new key file is written, or after the
# database commits, is finished or undone by the next run. A running
# service's key is never rotated under it.
. "$(dirname "$0")/lib.sh"
PW="rotate keys often 77"
start_daemon --set audit.checkpoint_minutes=1 --set webhooks.allow_cidrs=127.0.0.1/32
rot() { "$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS "$@"; }
db() { sqlite3 "$DATA/faxvault.db" "$1"; }
OP=$(operator_token)
OP_PW=$(jq -r .password "$TMP/boot.json")

# --- Before: a document under an account key, an account secret (a
# webhook's), the provider's secrets (a trunk password, the operator's TOTP
# seed).
new_account "$OP" "Rotation Clinic" owner@rotation.example "$PW"
ACC=$NEW_ACC OWNER=$NEW_OWNER
printf 'rotation-marker-4242: a file that must read the same after the rotation\n' >"$TMP/report.txt"
req POST /v1/safeboxes "$OWNER" '{"subject":"Keys","participants":[{"email":"guest@outside.example"}]}'
expect_status 201 "a SafeBox"
BOX=$(jqr .id)
req POST "/v1/safeboxes/$BOX/files" "$OWNER" "" -F "file=@$TMP/report.txt"
expect_status 201 "a file in it"
FILE=$(jqr .id)
req POST "/v1/accounts/$ACC/webhooks" "$OWNER" '{"url":"http://127.0.0.1:9/hook","events":["fax.queued"]}'
expect_status 201 "a webhook (its secret sealed under the account key)"
req POST /v1/provider/trunks "$OP" '{"name":"Carrier X","peer":"192.0.2.10:5060","username":"fv","password":"trunk-secret-rot-9911"}'
expect_status 201 "a trunk with a password (sealed in the provider's scope)"
# a trunk's TLS client key: a long secret ("SEALED.BOX") whose SEALED part is rewrapped
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/trunk.key" \
	-out "$TMP/trunk.pem" -days 2 -subj /CN=trunk >/dev/null 2>&1
req POST /v1/provider/trunks "$OP" "{\"id\":\"tlsx\",\"name\":\"Carrier TLS\",\"peer\":\"192.0.2.11:5061\",\"sip_transport\":\"tls\",\"tls_cert\":$(jq -Rs . <"$TMP/trunk.pem"),\"tls_key\":$(jq -Rs . <"$TMP/trunk.key")}"
expect_status 201 "a trunk with a TLS client key (sealed in the provider's scope)"
req POST /v1/me/mfa/totp "$OP"
SECRET=$(jqr '.otpauth_uri | capture("secret=(?<s>[A-Z2-7]+)").s')
code_at() { oathtool --totp -b "$SECRET" -N "@$1"; }
req POST /v1/me/mfa/totp/confirm "$OP" "{\"code\":\"$(code_at "$(clock_seconds)")\"}"
expect_status 200 "the operator's second factor (a provider-scope seed)"
[ "$(db "SELECT count(*) FROM trunks WHERE secret LIKE 'sealed1:%'")" = 1 ] && ok || fail "the trunk password is not sealed"
TLSKEY0=$(db "SELECT tls_key FROM trunks WHERE id='tlsx'")
[[ "$TLSKEY0" == sealed1:*.* ]] && ok || fail "the trunk's TLS key is not sealed: ${TLSKEY0:0:20}"

# --- Never beside a running service.
rot rotate-master-key >"$TMP/o" 2>&1
[ $? = 2 ] && grep -q 'in use by a running faxvaultd' "$TMP/o" && ok || fail "rotation beside the running service: $(cat "$TMP/o")"
stop_daemon || fail "the daemon did not stop cleanly"
[ -s "$DATA/audit-checkpoints.jsonl" ] && ok || fail "no checkpoint written at stop"
cp "$DATA/master.key" "$TMP/key0"
SUM0=$(sha256sum "$DATA/faxvault.db" | cut -d' ' -f1)
BLOB=$(ls "$DATA/docs" | head -n 1)
BLOBSUM=$(sha256sum "$DATA/docs/$BLOB" | cut -d' ' -f1)

# --- Interrupted after the new key file: the next run removes it.
rot --set testing.rotate_stop_after=next rotate-master-key >"$TMP/o" 2>&1
[ $? = 1 ] && [ -f "$DATA/master.key.next" ] && cmp -s "$DATA/master.key" "$TMP/key0" && ok || fail "stop after the new key file: $(cat "$TMP/o")"
[ "$(sha256sum "$DATA/faxvault.db" | cut -d' ' -f1)" = "$SUM0" ] && ok || fail "the database changed before the commit"
cp "$DATA/master.key.next" "$TMP/key_abandoned"
# --- Interrupted after the commit: the next run finishes it.
rot --set testing.rotate_stop_after=commit rotate-master-key >"$TMP/o" 2>&1
[ $? = 1 ] && grep -q 'had not committed' "$TMP/o" && [ -f "$DATA/master.key.next" ] && ! cmp -s "$DATA/master.key.next" "$TMP/key_abandoned" && cmp -s "$DATA/master.key" "$TMP/key0" \
	&& ok || fail "stop after the commit: $(cat "$TMP/o")"
rot rotate-master-key --json >"$TMP/o" 2>"$TMP/e"
[ $? = 0 ] && grep -q 'had committed: finishing' "$TMP/o" && [ ! -e "$DATA/master.key.next" ] && ! cmp -s "$DATA/master.key" "$TMP/key0" \
	&& ok || fail "the interrupted rotation is finished: $(cat "$TMP/o" "$TMP/e")"
tail -n 1 "$TMP/o" | jq -e '.verified and .account_keys == 1 and .provider_secrets >= 3' >/dev/null && ok || fail "summary: $(cat "$TMP/o")"
cp "$DATA/master.key" "$TMP/key1"

# --- A whole rotation in one run.
rot rotate-master-key --json >"$TMP/o" 2>"$TMP/e" && ok || fail "rotation: $(cat "$TMP/o" "$TMP/e")"
OLD_FP=$(tail -n 1 "$TMP/o" | jq -r .old_fingerprint)
NEW_FP=$(tail -n 1 "$TMP/o" | jq -r .new_fingerprint)
[ -n "$OLD_FP" ] && [ "$OLD_FP" != "$NEW_FP" ] && ok || fail "fingerprints: $(cat "$TMP/o")"
[ "$(stat -c %a "$DATA/master.key")" = 600 ] && [ ! -e "$DATA/master.key.next" ] && ok || fail "the new key file is not private or a .next is left"
[ "$(sha256sum "$DATA/docs/$BLOB" | cut -d' ' -f1)" = "$BLOBSUM" ] && ok || fail "a document was rewritten"
TLSKEY1=$(db "SELECT tls_key FROM trunks WHERE id='tlsx'")
[ "${TLSKEY1#*.}" = "${TLSKEY0#*.}" ] && [ "${TLSKEY1%%.*}" != "${TLSKEY0%%.*}" ] && ok ||
	fail "the TLS key's sealed part is not rewrapped alone"
[ "$(db "SELECT count(*) FROM audit_events WHERE action='vault.master_rotate' AND actor_id LIKE 'cli:%'")" = 2 ] && ok || fail "the rotations are not in the audit chain as cli: actors"
# Each run through the operation runner as system:rotate-master-key, in the
# audit chain with its outcome and the operator: the refusal beside the
# running service "denied", the two runs that finished "success"; the two
# stopped by the test hook (as a crash would stop them) record nothing.
[ "$(db "SELECT group_concat(o, ' ') FROM (SELECT outcome || ':' || json_extract(detail, '$.exit') AS o FROM audit_events WHERE action='vault.master_rotate_run' AND actor_id='system:rotate-master-key' AND actor_type='system' AND json_extract(detail, '$.operator') LIKE 'cli:%' ORDER BY seq)")" = "denied:2 success:0 success:0" ] \
	&& ok || fail "the runs of rotate-master-key: $(db "SELECT outcome, detail FROM audit_events WHERE action='vault.master_rotate_run'")"
# The chain and the checkpoints signed before the rotations still verify.
rot audit-verify --checkpoint "$DATA/audit-checkpoints.jsonl" >"$TMP/av" 2>&1 && grep -q 'audit chain intact' "$TMP/av" && ok || fail "audit-verify after the rotations: $(cat "$TMP/av")"
# No earlier key's bytes anywhere in the data directory (database, WAL,
# documents, checkpoints, the new key file).
python3 - "$DATA" "$TMP/key0" "$TMP/key1" "$TMP/key_abandoned" <<'PY' && ok || fail "an old key's bytes are still in the data directory"
import os, sys
needles = []
for p in sys.argv[2:]:
    k = open(p, 'rb').read()[12:44]
    needles += [k, k.hex().encode()]
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        data = open(os.path.join(root, f), 'rb').read()
        for n in needles:
            if n in data:
                print("old key bytes in", os.path.join(root, f)); sys.exit(1)
PY
# An old key no longer opens the database's account key.
cp "$TMP/key0" "$TMP/var-old.key" && chmod 600 "$TMP/var-old.key"
rot --set vault.master_key_file="$TMP/var-old.key" rotate-master-key >"$TMP/o" 2>&1
[ $? = 1 ] && grep -q 'does not open' "$TMP/o" && ok || fail "the old key still opens the data: $(cat "$TMP/o")"

# --- The service on the new key: the file reads the same, the operator's
# second factor works, a new account gets a key too.
launch_daemon
advance_clock 1 # a code is taken once: the next one
req POST /v1/sessions "" "{\"email\":\"op@example.com\",\"password\":\"$OP_PW\"}"
expect_problem 401 mfa-required "the operator still needs the second factor"
req POST /v1/sessions "" "{\"email\":\"op@example.com\",\"password\":\"$OP_PW\",\"totp\":\"$(code_at "$(clock_seconds)")\"}"
expect_status 201 "the operator's TOTP seed opens under the new key"
OP=$(jqr .token)
OWNER=$(login owner@rotation.example "$PW")
curl -s -o "$TMP/got" -H "Authorization: Bearer $OWNER" "$BASE/v1/safeboxes/$BOX/files/$FILE"
cmp -s "$TMP/got" "$TMP/report.txt" && ok || fail "the SafeBox file after the rotation: $(head -c 200 "$TMP/got")"
grep -q "fingerprint=$NEW_FP" "$LOG" && ok || fail "the key holder does not load the new key"
new_account "$OP" "After Rotation" owner@after.example "$PW"
req POST /v1/safeboxes "$NEW_OWNER" '{"subject":"New","participants":[{"email":"guest@outside.example"}]}'
BOX2=$(jqr .id)
req POST "/v1/safeboxes/$BOX2/files" "$NEW_OWNER" "" -F "file=@$TMP/report.txt"
expect_status 201 "a new account's file under the new key"
stop_daemon || fail "the daemon did not stop cleanly"
rot audit-verify >"$TMP/av" 2>&1 && ok || fail "audit-verify at the end: $(cat "$TMP/av")"
finish
