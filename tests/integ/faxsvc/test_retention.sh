#!/usr/bin/env bash
# Retention and legal holds (issue 16, C09): an account's policy deletes its
# faxes once they are older than its days (the injected clock moves time),
# through the fax service's sweep, crypto-shredding each document and
# recording the rule in the audit chain; a hold on a fax or on the whole
# account stops both the sweep and deletion on demand; the provider's
# bounds are enforced; what was destroyed leaves no trace in the data
# directory, nor in a backup (`faxvaultd backup`) taken after the sweep.
# A backup taken before the deletion still holds it (restored, the scan
# finds it) until that backup expires (backup.retention_days, 5 here): the
# deletion certificate says until when, and then the sweep destroys the
# backup's key. After that a scan of the data directory, of every backup
# (raw) and of every unexpired one restored finds no trace of the destroyed
# document's blob, plaintext or wrapped key, and the old backup is refused.
# The expired backup itself, written under backup.root, is removed by the
# sweep; a copy of it made elsewhere stays, unreadable.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
BK_ROOT=$(realpath "$TMP")/backups
mkdir -p "$BK_ROOT"
FV_TEST_FLAGS="$FV_TEST_FLAGS --set backup.retention_days=5 --set backup.root=$BK_ROOT"
FAX_FLAGS=(--set retention.max_days=3650)
fax_setup "${FAX_FLAGS[@]}"
make_pdf "$TMP/one.pdf" 1
relogin() {
	ADMIN_A=$(login admin@a-fax.example granite-harbour-owl-77)
	ADMIN_B=$(login admin@b-fax.example granite-harbour-owl-77)
	USER_A=$(login user@a-fax.example meadow-violin-otter-55)
	USER_B=$(login user@b-fax.example meadow-violin-otter-55)
}
db() { sqlite3 "$DATA/faxvault.db" "$1"; }

# --- Two faxes from A to B.
send_fax "$USER_A" "$NUM_B" "$TMP/one.pdf"; TX1=$FAX
wait_fax "$USER_A" "$TX1"
send_fax "$USER_A" "$NUM_B" "$TMP/one.pdf"; TX2=$FAX
wait_fax "$USER_A" "$TX2"
wait_inbound "$USER_B" 2
RX1=$(jqr '.items[0].id'); RX2=$(jqr '.items[1].id')
# Every fax B holds (on a loaded machine a call may have been cut and sent
# again, leaving one more): all but the held RX1 will be due.
DUE_B=$(jqr "[.items[].id | select(. != \"$RX1\")] | sort")
DOC2=$(db "SELECT doc_id FROM faxes WHERE id='$RX2'")
KEY2=$(db "SELECT wrapped_key FROM documents WHERE id='$DOC2'")
[ -n "$DOC2" ] && [ -f "$DATA/docs/$DOC2.fvb" ] && [ -n "$KEY2" ] && ok || fail "the received fax has no stored document ($DOC2)"
# What the scans look for: the wrapped key (as stored), 64 bytes of the
# encrypted blob, and 64 bytes from the middle of the document as served.
BLOB_SLICE=$(od -An -tx1 -v -j 400 -N 64 "$DATA/docs/$DOC2.fvb" | tr -d ' \n')
curl -s -o "$TMP/rx2.doc" -H "Authorization: Bearer $USER_B" "$BASE/v1/faxes/$RX2/document"
DOC_SIZE=$(stat -c %s "$TMP/rx2.doc")
PLAIN_SLICE=$(od -An -tx1 -v -j $((DOC_SIZE / 2)) -N 64 "$TMP/rx2.doc" | tr -d ' \n')
[ "${#BLOB_SLICE}" = 128 ] && [ "${#PLAIN_SLICE}" = 128 ] && ok || fail "slices of the document to look for: $DOC_SIZE bytes"
scan() { # scan DIR...: prints each trace of the destroyed document found; status 1 if any
	python3 - "$KEY2" "$BLOB_SLICE" "$PLAIN_SLICE" "$@" <<'PY'
import os, sys
needles = {"wrapped key": sys.argv[1].encode(), "blob": bytes.fromhex(sys.argv[2]),
           "plaintext": bytes.fromhex(sys.argv[3])}
found = 0
for top in sys.argv[4:]:
    for root, _, files in os.walk(top):
        for f in files:
            p = os.path.join(root, f)
            data = open(p, 'rb').read()
            for what, n in needles.items():
                if n in data:
                    print(what, "in", p); found = 1
sys.exit(found)
PY
}
PASS="$TMP/passphrase"
printf 'correct horse battery staple 42\n' >"$PASS"
backup_to() { # backup_to DIR: faxvaultd backup of the data directory
	# shellcheck disable=SC2086
	"$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS backup --to "$1" --passphrase-file "$PASS" >"$TMP/bk.out" 2>&1 ||
		fail "backup to $1: $(cat "$TMP/bk.out")"
}
# A backup taken before the deletion: encrypted under its own key, so a raw
# scan finds nothing of the document; restored (below), it holds it.
BKB="$BK_ROOT/before"
backup_to "$BKB"
BK_BEFORE=$(jq -r .backup_key.id "$BKB/manifest.json")
[ -f "$DATA/backup-keys/$BK_BEFORE.key" ] && ok || fail "the backup's key is not in the key directory"
[ "$(jq -r .location "$DATA/backup-keys/$BK_BEFORE.key")" = "$BKB" ] && ok || fail "the key file does not say where its backup lies"
scan "$BKB" >"$TMP/scan.out" && ok || fail "the encrypted backup shows the document: $(cat "$TMP/scan.out")"
# A copy of it kept elsewhere (outside backup.root).
cp -a "$BKB" "$TMP/bk_copy"

# --- Policies: who may, what is accepted.
req GET "/v1/accounts/$ACC_B/retention" "$ADMIN_B"
expect_status 200 "an administrator reads the policy"
expect_jq '.inbound_fax_days == null and .outbound_fax_days == null and .legal_hold.held == false and .bounds.max_days == 3650' "no policy: everything is kept, within the provider's bounds"
req PATCH "/v1/accounts/$ACC_B/retention" "$USER_B" '{"inbound_fax_days":2}'
expect_status 403 "a user without security.manage cannot set the policy"
for bad in '{"inbound_fax_days":0}' '{"inbound_fax_days":"2"}' '{"inbound_fax_days":4000}' '{"inbound_fax_days":null}' '{"legal_hold":true}' '{"legal_hold_reason":"x"}' '{"keep":"forever"}'; do
	req PATCH "/v1/accounts/$ACC_B/retention" "$ADMIN_B" "$bad"
	expect_status 422 "refused: $bad"
done
req PATCH "/v1/accounts/$ACC_B/retention" "$ADMIN_B" '{"inbound_fax_days":4000}'
expect_jq '.detail | test("at most 3650")' "the refusal names the provider's maximum"
req PATCH "/v1/accounts/$ACC_B/retention" "$ADMIN_B" '{"inbound_fax_days":2}'
expect_status 200 "B keeps received faxes 2 days"
expect_jq '.inbound_fax_days == 2 and .outbound_fax_days == null' "the policy as set"
# A: sent faxes 1 day, but the whole account under a legal hold.
req PATCH "/v1/accounts/$ACC_A/retention" "$ADMIN_A" '{"outbound_fax_days":1,"legal_hold":true,"legal_hold_reason":"Case 2026-17: preserve everything"}'
expect_status 200 "A is held"
expect_jq '.legal_hold.held == true and (.legal_hold.reason | test("2026-17"))' "A's hold and its reason"

req GET "/v1/accounts/$ACC_B/posture" "$ADMIN_B"
expect_jq '(.items[] | select(.id == "C09")) | .status == "pass" and .detail == "Received faxes: 2 days; sent faxes: kept."' "posture C09 observes the policy"
req GET "/v1/accounts/$ACC_A/posture" "$ADMIN_A" "" -H 'Accept-Language: fr'
expect_jq '(.items[] | select(.id == "C09")) | .status == "pass" and (.detail | test("fax envoyés : 1 jour\\..*conservation légale"))' "posture C09 in French, with the hold"

# --- A hold on one of B's faxes.
req PUT "/v1/accounts/$ACC_B/faxes/$RX1/legal-hold" "$ADMIN_B" '{"reason":"subpoena 44"}'
expect_status 200 "a hold on one fax"
req PUT "/v1/accounts/$ACC_B/faxes/fax_nosuchfax/legal-hold" "$ADMIN_B" '{"reason":"x"}'
expect_status 404 "no hold on a fax that does not exist"
req PUT "/v1/accounts/$ACC_B/faxes/$RX1/legal-hold" "$USER_B" '{"reason":"x"}'
expect_status 403 "a user cannot hold"
req GET "/v1/faxes/$RX1" "$USER_B"
expect_jq '.legal_hold.held == true and .legal_hold.reason == "subpoena 44"' "the fax shows its hold"
req DELETE "/v1/faxes/$RX1" "$USER_B"
expect_status 409 "a held fax cannot be deleted"
expect_jq '.type == "urn:faxvault:problem:legal-hold"' "problem type legal-hold"
req DELETE "/v1/faxes/$TX1" "$USER_A"
expect_status 409 "a fax of a held account cannot be deleted"

# --- Three days later the sweep deletes what is due, and only that.
advance_clock $((3 * 24 * 60))
relogin
gone() { req GET "/v1/faxes/$RX2" "$USER_B"; [ "$STATUS" = 404 ]; }
poll_until 120 gone && ok || fail "the due fax was not deleted: $STATUS ${BODY:0:200}"
req GET "/v1/faxes/$RX1" "$USER_B"
expect_status 200 "the held fax stays"
req GET "/v1/faxes/$TX1" "$USER_A"
expect_status 200 "the held account's faxes stay"
[ ! -e "$DATA/docs/$DOC2.fvb" ] && ok || fail "the deleted fax's blob is still there"
[ "$(db "SELECT count(*) FROM documents WHERE id='$DOC2'")" = 0 ] && ok || fail "the deleted fax's wrapped key is still there"
req GET "/v1/accounts/$ACC_B/audit-events?action=fax.retention_delete" "$ADMIN_B"
expect_jq "[.items[] | select(.target == \"$RX2\" and .actor.id == \"system:retention\" and .detail.rule == \"inbound_fax_days\" and .detail.days == 2 and .detail.document_destroyed == true)] | length == 1" "a deletion certificate in the audit chain: what, when, which rule"
# ... and until when older backups may still hold it: backup.retention_days
# (5) after the deletion.
NOW_S=$(clock_seconds)
expect_jq "[.items[] | select(.target == \"$RX2\") | .detail.backups_until | sub(\"\\\\.[0-9]+Z\$\"; \"Z\") | fromdate - $NOW_S | select(. > 4 * 86400 and . <= 5 * 86400)] | length == 1" "the certificate says until when older backups hold the document"
expect_jq "[.items[].target] | sort == $DUE_B" "the sweep deleted exactly B's faxes that were due and not held"

# --- Lifted holds: the next sweep takes them.
req DELETE "/v1/accounts/$ACC_B/faxes/$RX1/legal-hold" "$ADMIN_B"
expect_status 200 "the hold is lifted"
expect_jq '.held == false' "not held any more"
req PATCH "/v1/accounts/$ACC_A/retention" "$ADMIN_A" '{"legal_hold":false}'
expect_status 200 "A's hold is lifted"
advance_clock 61
relogin
rx1_gone() { req GET "/v1/faxes/$RX1" "$USER_B"; [ "$STATUS" = 404 ]; }
poll_until 120 rx1_gone && ok || fail "the fax whose hold was lifted was not deleted"
tx_gone() { req GET "/v1/faxes?direction=outbound" "$USER_A"; [ "$(jqr '.items | length')" = 0 ]; }
poll_until 120 tx_gone && ok || fail "A's sent faxes were not deleted: ${BODY:0:200}"
req GET "/v1/accounts/$ACC_A/audit-events?action=fax.retention_delete" "$ADMIN_A"
expect_jq '[.items[] | select(.detail.rule == "outbound_fax_days")] | length == 2' "each of A's faxes has its certificate"
req GET "/v1/accounts/$ACC_B/audit-events?action=retention.update" "$ADMIN_B"
expect_jq '[.items[] | select(.detail.after.inbound_fax_days == 2)] | length == 1' "policy changes are audited with before and after"

# --- No trace of the destroyed document's key anywhere in the data
# directory once the database is closed (secure_delete; the WAL folded in).
stop_daemon || fail "daemon did not stop cleanly"
if grep -rqa -- "$KEY2" "$DATA"; then fail "the destroyed document's wrapped key is still in the data directory"; else ok; fi
# Nor in a backup taken now.
backup_to "$BK_ROOT/after"
[ -f "$BK_ROOT/after/manifest.json" ] && [ ! -e "$BK_ROOT/after/docs/$DOC2.fvb" ] && ok ||
	fail "a backup taken after the sweep holds the destroyed document's blob"
if grep -rqa -- "$KEY2" "$BK_ROOT/after"; then fail "a backup taken after the sweep holds the destroyed document's wrapped key"; else ok; fi
# shellcheck disable=SC2086
"$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS backup-verify --from "$BK_ROOT/after" --passphrase-file "$PASS" >"$TMP/v.out" 2>&1 && ok ||
	fail "the backup after the sweep verifies: $(cat "$TMP/v.out")"
BK_AFTER=$(jq -r .backup_key.id "$BK_ROOT/after/manifest.json")
restore_to() { # restore_to BACKUP DIR: faxvaultd restore, output in $TMP/r.out
	# shellcheck disable=SC2086
	"$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS restore --from "$1" --data-dir "$2" --passphrase-file "$PASS" >"$TMP/r.out" 2>&1
}

# --- The backup taken before the deletion still holds the document until
# it expires: restored, the scan finds the blob and the wrapped key.
restore_to "$BKB" "$TMP/r_before" && ok || fail "restore of the earlier backup: $(cat "$TMP/r.out")"
scan "$TMP/r_before" >"$TMP/scan.out"
grep -q "wrapped key in" "$TMP/scan.out" && grep -q "blob in" "$TMP/scan.out" && ok || fail "the scan does not find what the earlier backup holds: $(cat "$TMP/scan.out")"
rm -rf "$TMP/r_before"

# --- Two days later (five after the first backup), the sweep destroys the
# earlier backup's key, and only that one.
launch_daemon --set testing.media_clock_speed="$FAX_SPEED" --set fax.poll_ms=100 --set fax.trunk_keepalive_seconds=0 "${FAX_FLAGS[@]}"
advance_clock $((2 * 24 * 60))
relogin
key_gone() { [ ! -e "$DATA/backup-keys/$BK_BEFORE.key" ]; }
poll_until 120 key_gone && ok || fail "the expired backup's key was not destroyed"
[ -f "$DATA/backup-keys/$BK_AFTER.key" ] && ok || fail "the unexpired backup's key went too"
# The expired backup is removed from backup.root; the unexpired one and the
# copy made elsewhere stay.
[ ! -e "$BKB" ] && ok || fail "the expired backup is still in backup.root: $(ls -la "$BKB" 2>&1)"
[ -f "$BK_ROOT/after/manifest.json" ] && ok || fail "the unexpired backup was removed"
[ -f "$TMP/bk_copy/manifest.json" ] && ok || fail "the copy outside backup.root was removed"
OP=$(operator_token)
req POST /v1/provider/staff "$OP" '{"email":"sec@provider.example","name":"Sam Security","role":"security"}'
expect_status 201 "a security officer"
accept "$(jqr .invitation.token)" "audit-lantern-harbour-31"
SEC=$(login sec@provider.example audit-lantern-harbour-31)
req GET "/v1/provider/audit-events?action=backup.key_destroyed" "$SEC"
expect_jq "([.items[] | select(.target == \"$BK_BEFORE\" and .actor.id == \"system:retention\" and (.detail.expired_at | length) > 0)] | length) == 1 and (.items | length) == 1" "the key's destruction is in the audit chain"
expect_jq ".items[0].detail | .location == \"$BKB\" and .backup_removed == true and .kept == null" "with the backup's removal: ${BODY:0:600}"
stop_daemon || fail "daemon did not stop cleanly"

# --- The earlier backup is refused with the reason; the later one restores
# and its audit chain verifies.
restore_to "$TMP/bk_copy" "$TMP/r_before2"
[ $? = 1 ] && grep -q "this backup expired on .*: its key $BK_BEFORE is destroyed" "$TMP/r.out" && [ ! -e "$TMP/r_before2/faxvault.db" ] && ok || fail "the expired backup: $(cat "$TMP/r.out")"
restore_to "$BK_ROOT/after" "$TMP/r_after" && ok || fail "restore of the unexpired backup: $(cat "$TMP/r.out")"
"$FAXVAULTD" --data-dir "$TMP/r_after" $FV_TEST_FLAGS audit-verify >"$TMP/av.out" 2>&1 && ok || fail "audit-verify on the restored copy: $(cat "$TMP/av.out")"

# --- The scan: the data directory (with the backup keys), every backup as
# stored, and the unexpired one restored: no trace of the destroyed
# document.
scan "$DATA" "$BK_ROOT" "$TMP/bk_copy" "$TMP/r_after" >"$TMP/scan.out" && ok ||
	fail "a trace of the destroyed document: $(cat "$TMP/scan.out")"
finish
