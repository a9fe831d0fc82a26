#!/usr/bin/env bash
# Retention and legal holds (issue 16, C09): an account's policy deletes its
# faxes once they are older than its days (the injected clock moves time),
# through the fax service's sweep, crypto-shredding each document and
# recording the rule in the audit chain; a hold on a fax or on the whole
# account stops both the sweep and deletion on demand; the provider's
# bounds are enforced; what was destroyed leaves no trace in the data
# directory, nor in a backup (`faxvaultd backup`) taken after the sweep,
# whereas one taken before holds it (so the scan can find it).
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
fax_setup --set retention.max_days=3650
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
PASS="$TMP/passphrase"
printf 'correct horse battery staple 42\n' >"$PASS"
backup_to() { # backup_to DIR: faxvaultd backup of the data directory
	# shellcheck disable=SC2086
	"$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS backup --to "$1" --passphrase-file "$PASS" >"$TMP/bk.out" 2>&1 ||
		fail "backup to $1: $(cat "$TMP/bk.out")"
}
# A backup taken before the deletion holds the document and its key: the
# scan at the end would find them.
backup_to "$TMP/bk_before"
[ -f "$TMP/bk_before/docs/$DOC2.fvb" ] && grep -rqa -- "$KEY2" "$TMP/bk_before" && ok ||
	fail "a backup taken before the deletion does not hold the document and its wrapped key"

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
backup_to "$TMP/bk_after"
[ -f "$TMP/bk_after/manifest.json" ] && [ ! -e "$TMP/bk_after/docs/$DOC2.fvb" ] && ok ||
	fail "a backup taken after the sweep holds the destroyed document's blob"
if grep -rqa -- "$KEY2" "$TMP/bk_after"; then fail "a backup taken after the sweep holds the destroyed document's wrapped key"; else ok; fi
# shellcheck disable=SC2086
"$FAXVAULTD" $FV_TEST_FLAGS backup-verify --from "$TMP/bk_after" --passphrase-file "$PASS" >"$TMP/v.out" 2>&1 && ok ||
	fail "the backup after the sweep verifies: $(cat "$TMP/v.out")"
finish
