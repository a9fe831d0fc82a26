#!/usr/bin/env bash
# Account closure (issue 18, P10): the owner closes the account, which stops
# sending, receiving and signing in (the owner may still read and export),
# and cancels; an operator closes it again; a legal hold stops the
# destruction; once the hold is lifted and the grace period over (the
# injected clock), the fax service's pass destroys the account by
# crypto-shredding: its key and every document key gone, the blobs removed,
# SafeBoxes, faxes' content, secrets, sessions and API keys gone, its number
# quarantined, its members deprovisioned, the account kept as `destroyed`
# with a deletion certificate in the audit chain (which still verifies) and
# mailed to the owner. A backup taken before still verifies; the other
# account is untouched.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
mkdir -p "$TMP/bin" "$TMP/mails"
cat > "$TMP/bin/sendmail" <<EOS
#!/bin/sh
f="$TMP/mails/\$\$"
cat > "\$f.part" && mv "\$f.part" "\$f.eml"
EOS
chmod 755 "$TMP/bin/sendmail"
PATH="$TMP/bin:$PATH" fax_setup --set accounts.closure_grace_days=7 --set retention.sweep_minutes=1 \
	--set mail.relay=sendmail --set mail.from=noreply@fax.example.net \
	--set webhooks.allow_cidrs=127.0.0.1/32
make_pdf "$TMP/one.pdf" 1
DB="$DATA/faxvault.db"
db() { sqlite3 "$DB" "$1"; }
outbox() { db "SELECT count(*) FROM mail_outbox WHERE kind='$1' AND to_addr='$2'"; }
OWNER_PW=copper-kettle-lantern-42
relogin_owner() { OWNER_A=$(login owner@a-fax.example "$OWNER_PW"); }
# Sessions idle out when the clock jumps: sign in again.
relogin() {
	OP=$(operator_token)
	USER_B=$(login user@b-fax.example meadow-violin-otter-55)
}

# --- What A holds: a fax sent and one received, a SafeBox with a file, a
# webhook (a sealed secret), an API key.
send_fax "$USER_A" "$NUM_B" "$TMP/one.pdf"; TX=$FAX
wait_fax "$USER_A" "$TX"
send_fax "$USER_B" "$NUM_A" "$TMP/one.pdf"; RXB=$FAX
wait_fax "$USER_B" "$RXB"
wait_inbound "$USER_A" 1
RX=$(jqr '.items[0].id')
req POST /v1/safeboxes "$USER_A" '{"subject":"Results","message":"closure-marker-4242","participants":[{"email":"guest@outside.example"}]}'
expect_status 201 "A's user makes a SafeBox"
BOX=$(jqr .id)
req POST "/v1/safeboxes/$BOX/files" "$USER_A" "" -F "file=@$TMP/one.pdf"
expect_status 201 "with a file"
guest_mail() { grep -lq 'fvg_' "$TMP"/mails/*.eml 2>/dev/null; }
poll_until 120 guest_mail && ok || fail "no invitation mail for the guest"
# (quoted-printable soft line breaks joined first)
GTOKEN=$(cat "$TMP"/mails/*.eml | perl -0pe 's/=\r?\n//g' | grep -o 'fvg_[A-Za-z0-9_-]\{20,\}' | head -n 1)
gstatus() { curl -s -o /dev/null -w '%{http_code}' "$BASE/g/$GTOKEN"; }
[ "$(gstatus)" = 200 ] && ok || fail "the guest's link does not open ($GTOKEN)"
req POST "/v1/accounts/$ACC_A/webhooks" "$OWNER_A" '{"url":"http://127.0.0.1:9/hook","events":["fax.queued"]}'
expect_status 201 "a webhook"
req POST "/v1/accounts/$ACC_A/api-keys" "$ADMIN_A" '{"name":"closure key","permissions":["data.read"]}'
expect_status 201 "an API key"
KEY_A=$(jqr .secret)
req GET "/v1/faxes/$RX" "$USER_A"
expect_status 200 "the API key's owner reads"
ACC_KEY=$(db "SELECT wrapped_key FROM account_keys WHERE account_id='$ACC_A'")
DOCS_A=$(db "SELECT id FROM documents WHERE account_id='$ACC_A'")
DOC_KEYS=$(db "SELECT wrapped_key FROM documents WHERE account_id='$ACC_A'")
[ -n "$ACC_KEY" ] && [ "$(echo "$DOCS_A" | wc -w)" -ge 4 ] && ok || fail "A has no key or too few documents: $DOCS_A"
for d in $DOCS_A; do [ -f "$DATA/docs/$d.fvb" ] || fail "blob $d missing before the closure"; done
DOCS_B=$(db "SELECT id FROM documents WHERE account_id='$ACC_B'")

# --- A backup taken before.
PASS="$TMP/passphrase"
printf 'correct horse battery staple 42\n' >"$PASS"
"$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS backup --to "$TMP/backup" --passphrase-file "$PASS" >"$TMP/o" 2>&1 && ok || fail "backup: $(cat "$TMP/o")"

# --- Who may close: the owner in person, or the provider.
req POST "/v1/accounts/$ACC_A/closure" "$ADMIN_A" '{}'
expect_problem 403 forbidden "an administrator cannot close the account"
req POST "/v1/accounts/$ACC_A/closure" "$OWNER_A" '{"reason":"x","bogus":1}'
expect_problem 422 validation-failed "unknown fields are refused"
req GET "/v1/accounts/$ACC_A/closure" "$OWNER_A"
expect_jq '.state == "none" and .certificate == null' "never closed"
req POST "/v1/accounts/$ACC_A/closure" "$OWNER_A" '{"reason":"moving to another provider"}'
expect_status 201 "the owner closes the account"
expect_jq '.state == "closing" and .reason == "moving to another provider" and .held == false' "closing"
expect_jq "((.destroy_at | sub(\"\\\\.[0-9]+Z$\"; \"Z\") | fromdateiso8601) - $(clock_seconds)) as \$d | \$d > 7*86400 - 600 and \$d <= 7*86400 + 600" "destroyed in 7 days (the provider's grace period)"
req POST "/v1/accounts/$ACC_A/closure" "$OWNER_A" '{}'
expect_problem 409 conflict "already closing"
req GET "/v1/accounts/$ACC_A" "$OP"
expect_jq '.status == "closing"' "the account shows closing"
[ "$(outbox account_closing owner@a-fax.example)" = 1 ] && ok || fail "the owner is not mailed the closure"

# --- While closing: members are stopped, the owner reads and exports only.
req GET /v1/me "$ADMIN_A"
expect_problem 403 account-suspended "an administrator's session stops"
req POST /v1/sessions "" '{"email":"user@a-fax.example","password":"meadow-violin-otter-55"}'
expect_problem 403 account-suspended "members cannot sign in"
req GET /v1/me "$KEY_A"
expect_problem 403 account-suspended "the administrator's API key stops"
relogin_owner
[ -n "$OWNER_A" ] && ok || fail "the owner cannot sign in while closing"
req GET "/v1/faxes/$RX/document" "$OWNER_A"
expect_status 200 "the owner exports a received fax"
req GET "/v1/accounts/$ACC_A/audit-events" "$OWNER_A"
expect_status 200 "the owner reads the audit log"
req GET "/v1/accounts/$ACC_A/users/$USER_ID_A/export" "$OWNER_A"
expect_status 200 "the owner exports a member's data"
req POST /v1/faxes "$OWNER_A" "" -F "file=@$TMP/one.pdf" -F "to=$NUM_B"
expect_problem 409 account-closing "the owner cannot send"
req POST "/v1/accounts/$ACC_A/api-keys" "$OWNER_A" '{"name":"late","permissions":["data.read"]}'
expect_problem 409 account-closing "nor change the account"
req PATCH "/v1/accounts/$ACC_A" "$OP" '{"name":"Renamed"}'
expect_problem 409 account-closing "nor can an operator"
req PATCH "/v1/accounts/$ACC_A" "$OP" '{"name":"Renamed"}' -H 'Accept-Language: fr'
expect_jq '.detail | test("en cours de fermeture|fermé")' "the refusal in French"
[ "$(gstatus)" = 410 ] && ok || fail "the guest's link still opens while closing: $(gstatus)"
send_fax "$USER_B" "$NUM_A" "$TMP/one.pdf" -F retries=0
wait_fax "$USER_B" "$FAX"
expect_jq '.status == "failed"' "a fax to the closing account is not received"

# --- Cancelled by the owner: everything works again.
req DELETE "/v1/accounts/$ACC_A/closure" "$ADMIN_A"
expect_status 403 "an administrator cannot cancel"
req DELETE "/v1/accounts/$ACC_A/closure" "$OWNER_A"
expect_status 200 "the owner cancels"
expect_jq '.state == "cancelled" and .cancelled_at != null' "cancelled"
[ "$(outbox account_closure_cancelled owner@a-fax.example)" = 1 ] && ok || fail "the owner is not mailed the cancellation once"
req GET "/v1/accounts/$ACC_A" "$OP"
expect_jq '.status == "active"' "active again"
ADMIN_A=$(login admin@a-fax.example granite-harbour-owl-77)
[ -n "$ADMIN_A" ] && ok || fail "members sign in again"
req DELETE "/v1/accounts/$ACC_A/closure" "$OWNER_A"
expect_problem 409 conflict "nothing left to cancel"

# --- An operator closes it; a legal hold stops the destruction.
req POST "/v1/accounts/$ACC_A/closure" "$OP" '{"reason":"contract ended"}'
expect_status 201 "an operator closes the account"
req PATCH "/v1/accounts/$ACC_A/retention" "$OWNER_A" '{"legal_hold":true,"legal_hold_reason":"Case 7"}'
expect_status 200 "a legal hold while closing"
advance_clock $((8 * 24 * 60))
held() { curl -s -o /dev/null "$BASE/v1/me"; grep -q "event=account.destroy_held account=$ACC_A" "$LOG"; }
poll_until 120 held && ok || fail "the pass did not meet the hold"
relogin
req GET "/v1/accounts/$ACC_A/closure" "$OP"
expect_jq '.state == "closing" and .held == true' "held: not destroyed"
relogin_owner
req PATCH "/v1/accounts/$ACC_A/retention" "$OWNER_A" '{"legal_hold":false}'
expect_status 200 "the hold is lifted"

# --- Destroyed at the next pass.
advance_clock 2
relogin
destroyed() {
	curl -s -o /dev/null "$BASE/v1/me"
	req GET "/v1/accounts/$ACC_A/closure" "$OP"
	[ "$(jqr .state)" = destroyed ]
}
poll_until 120 destroyed && ok || fail "the account was not destroyed: ${BODY:0:300}"
expect_jq '.certificate.method == "crypto-shredding" and .certificate.account_key.destroyed == true and (.certificate.account_key.id | length == 64)' "the certificate names the key destroyed"
expect_jq '.certificate.counts.documents >= 4 and .certificate.counts.faxes >= 2 and .certificate.counts.safeboxes == 1 and .certificate.counts.numbers == 1 and .certificate.counts.members == 3 and .certificate.counts.api_keys == 1 and .certificate.counts.sealed_secrets >= 1' "and what was destroyed: ${BODY:0:400}"
expect_jq ".certificate.numbers_quarantined == [\"$NUM_A\"] and .certificate.reason == \"contract ended\"" "the number released, the reason"
# Until when backups taken before may still hold the account:
# backup.retention_days (35 by default) after the destruction.
expect_jq '.certificate.backups_until as $u | .certificate.destroyed_at as $d | ($u | sub("\\.[0-9]+Z$"; "Z") | fromdate) - ($d | sub("\\.[0-9]+Z$"; "Z") | fromdate) == 35 * 86400' "the certificate says until when older backups hold the account: ${BODY:0:600}"
CERT=$(printf '%s' "$BODY" | jq -c .certificate)
[ "$(printf '%s' "$ACC_KEY" | sha256sum | cut -c1-64)" = "$(jqr .certificate.account_key.id)" ] && ok || fail "the key id is not the digest of the stored key"
req GET "/v1/accounts/$ACC_A" "$OP"
expect_jq '.status == "destroyed"' "the account row stays, destroyed"
req POST /v1/provider/staff "$OP" '{"email":"sec@provider.example","name":"Sam Security","role":"security"}'
expect_status 201 "a security officer"
accept "$(jqr .invitation.token)" "audit-lantern-harbour-31"
SEC=$(login sec@provider.example audit-lantern-harbour-31)
req GET "/v1/provider/audit-events?action=account.destroy" "$SEC"
expect_jq "[.items[] | select(.target == \"$ACC_A\" and .actor.id == \"system:closure\")] | length == 1" "the certificate is an event of the audit chain"
expect_jq "[.items[] | select(.target == \"$ACC_A\")][0].detail == $CERT" "with the certificate as its detail"
expect_jq '[.items[] | select(.target == "'"$ACC_A"'")][0].detail.requested_at | startswith("2026")' "the certificate's times"
req GET /v1/provider/audit/verify "$OP"
expect_jq '.ok == true' "the audit chain verifies: ${BODY:0:200}"

# --- Nothing of A opens any more; B is untouched.
[ "$(db "SELECT count(*) FROM account_keys WHERE account_id='$ACC_A'")" = 0 ] && ok || fail "A's key is still stored"
[ "$(db "SELECT count(*) FROM documents WHERE account_id='$ACC_A'")" = 0 ] && ok || fail "A's document keys are still stored"
for d in $DOCS_A; do [ ! -e "$DATA/docs/$d.fvb" ] || fail "blob $d is still there"; done
ok
for d in $DOCS_B; do [ -f "$DATA/docs/$d.fvb" ] || fail "B's blob $d went too"; done
req GET "/v1/faxes/$RXB" "$USER_B"
expect_status 200 "B's faxes stay"
[ "$(db "SELECT count(*) FROM faxes WHERE account_id='$ACC_A' AND deleted_at IS NULL")" = 0 ] && ok || fail "A's faxes are not tombstones"
[ "$(db "SELECT count(*) FROM safeboxes WHERE account_id='$ACC_A' AND deleted_at IS NULL")" = 0 ] && ok || fail "A's SafeBox is not deleted"
[ "$(db "SELECT count(*) FROM principals WHERE account_id='$ACC_A' AND status <> 'deprovisioned'")" = 0 ] && ok || fail "A's members are not deprovisioned"
[ "$(db "SELECT count(*) FROM webhooks WHERE account_id='$ACC_A' AND secret <> 'sealed1:'")" = 0 ] && ok || fail "A's webhook secret is still stored"
req GET "/v1/provider/numbers?status=quarantined" "$OP"
expect_jq "[.items[] | select(.number == \"$NUM_A\" and .account_id == null)] | length == 1" "A's number is quarantined"
req POST /v1/sessions "" "{\"email\":\"owner@a-fax.example\",\"password\":\"$OWNER_PW\"}"
expect_status 401 "the owner can no longer sign in"
req GET /v1/me "$KEY_A"
expect_status 401 "the API key is gone"
req POST "/v1/accounts/$ACC_A/closure" "$OP" '{}'
expect_problem 409 conflict "a destroyed account is not closed again"
[ "$(outbox account_destroyed owner@a-fax.example)" = 1 ] && ok || fail "the owner is not mailed the certificate"
mailed() { grep -l "has been destroyed" "$TMP"/mails/*.eml >/dev/null 2>&1; }
poll_until 120 mailed && ok || fail "the certificate mail was not sent"

# --- The backup taken before still verifies (it holds the old key until it
# is itself destroyed: backups bound how long a destroyed account lasts).
"$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS backup-verify --from "$TMP/backup" --passphrase-file "$PASS" >"$TMP/v.out" 2>&1 && ok || fail "backup-verify: $(cat "$TMP/v.out")"

# --- No trace of A's keys in the data directory once the database is
# closed (secure_delete; the WAL folded in).
stop_daemon || fail "daemon did not stop cleanly"
"$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS audit-verify >"$TMP/av.out" 2>&1 && ok || fail "audit-verify: $(cat "$TMP/av.out")"
if grep -rqa -- "$ACC_KEY" "$DATA"; then fail "A's wrapped key is still in the data directory"; else ok; fi
for k in $DOC_KEYS; do
	if grep -rqa -- "$k" "$DATA"; then fail "a document key of A is still in the data directory"; break; fi
done
ok
finish
