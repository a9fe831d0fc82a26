#!/usr/bin/env bash
# GDPR for one person against the real daemon: the export of everything
# about a member (profile, membership, sessions with their addresses, API
# keys, the audit events naming them, the faxes they sent with their
# documents' paths), audited; the erasure: the member deprovisioned, their
# address and name replaced, their session addresses cleared, the audit
# events naming them rewritten (no trace of the address or name left in the
# database's audit table), and the chain still verified by the API and by
# `faxvaultd audit-verify`, which also detects a later change of what the
# erasure wrote. The owner and an account under legal hold cannot be
# erased; a caller with a second factor sends a current code.
# The export also lists their SafeBoxes, status subscriptions, security
# contact entries and mails; delivered to the person in a SafeBox it holds
# export.json and their fax documents, the person a participant; the
# erasure pseudonymizes or removes those rows too (no trace of the address
# or name in the outbox, SafeBox, subscription and contact tables).
# Her fax's stored document, whose cover page and header lines named her,
# is drawn again with the pseudonym under a new document key and the old one
# crypto-shredded: the same number of pages, the pages in between unchanged
# below the header line, the old wrapped key and blob in neither the data
# directory nor a backup taken after (restored), the rewrite audited; a fax
# naming her under a legal hold stops the erasure (409).
. "$(dirname "$0")/lib.sh"
# A relay that never answers: mails stay in the outbox.
start_daemon --set mail.relay=smtp://127.0.0.1:9 --set mail.from=noreply@lab.example

OP=$(operator_token)
new_account "$OP" "Laboratoire" owner@lab.example "plume encre buvard lab"
ACC=$NEW_ACC; OWNER=$NEW_OWNER
req POST /v1/accounts/$ACC/users "$OWNER" '{"email":"marie.curie@lab.example","name":"Marie Curie","role":"user"}'
expect_status 201 "invite Marie"
MARIE_ID=$(jqr .id)
accept "$(jqr .invitation.token)" "radium polonium 1898"
MARIE=$(login marie.curie@lab.example "radium polonium 1898")
req GET /v1/me "$MARIE"
expect_status 200 "Marie is signed in"
req POST /v1/accounts/$ACC/api-keys "$MARIE" '{"name":"labo","permissions":["fax.send"]}'
expect_status 201 "Marie makes an API key"

# A fax of hers, scheduled so that it stays queued.
req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":["+15555550101","+15555550102"]}'
req POST "/v1/accounts/$ACC/numbers" "$OWNER" '{"country":"US","area_code":"555"}'
expect_status 201 "first number"
req POST "/v1/accounts/$ACC/numbers" "$OWNER" '{"country":"US","area_code":"555"}'
TO=$(jqr .number)
printf 'Notes de laboratoire\n' >"$TMP/notes.txt"
LATER=$(date -u -d "@$(( $(clock_seconds) + 86400 ))" +%Y-%m-%dT%H:%M:%SZ)
req POST /v1/faxes "$MARIE" "" -F "file=@$TMP/notes.txt" -F "to=$TO" -F "send_at=$LATER" \
	-F "cover_subject=Notes from Marie Curie" -F "header_text=Marie Curie, laboratoire"
expect_status 202 "Marie schedules a fax"
FAX=$(jqr '.items[0].id')
wait_rendered "$MARIE" "$FAX"
expect_jq '.status == "queued"' "her fax rendered and queued"

# ---- export
req GET "/v1/accounts/$ACC/users/$MARIE_ID/export" "$MARIE"
expect_problem 403 forbidden "a member cannot export (security.manage)"
req GET "/v1/accounts/$ACC/users/$MARIE_ID/export" "$OWNER"
expect_status 200 "the owner exports Marie's data"
expect_jq '.format == "faxvault-gdpr-export-1" and .person.email == "marie.curie@lab.example" and .person.name == "Marie Curie"' "her profile"
expect_jq '.memberships == [{"account_id":"'"$ACC"'","account_name":"Laboratoire","role":"user","status":"active"}]' "her membership"
expect_jq '(.sessions | length) >= 1 and all(.sessions[]; .source == "127.0.0.1")' "her sessions with their addresses"
expect_jq '[.api_keys[].name] == ["labo"]' "her API key"
expect_jq '[.faxes[] | {id, direction, document}] == [{"id":"'"$FAX"'","direction":"outbound","document":"/v1/faxes/'"$FAX"'/document"}]' "her fax with its document's path"
expect_jq '[.audit_events[].action] | (index("user.create") != null) and (index("session.create") != null) and (index("fax.submit") != null)' "the audit events naming her"
expect_jq 'any(.audit_events[]; .action == "user.create" and .detail.email == "marie.curie@lab.example")' "with their detail"
req GET "/v1/accounts/$ACC/audit-events?action=gdpr.export" "$OWNER"
expect_jq '.items[0].target == "'"$MARIE_ID"'" and .items[0].detail.faxes == 1' "the export is audited"

# ---- what else names her: SafeBoxes, a status subscription, a security
# contact entry, mails
req POST "/v1/accounts/$ACC/status-subscriptions" "$OWNER" '{"email":"marie.curie@lab.example","components":["api"]}'
expect_status 201 "Marie's address subscribes to the status board"
req POST "/v1/accounts/$ACC/security-contacts" "$OWNER" '{"name":"Marie Curie","email":"marie.curie@lab.example","lang":"fr"}'
expect_status 201 "Marie is a security contact"
req POST /v1/safeboxes "$OWNER" '{"subject":"Protocole","participants":[{"email":"marie.curie@lab.example"}]}'
expect_status 201 "the owner shares a SafeBox with Marie"
OBOX=$(jqr .id)
req POST /v1/safeboxes "$MARIE" '{"subject":"Mesures","message":"Voici les mesures.","participants":[{"email":"pierre@outside.example"}]}'
expect_status 201 "Marie shares a SafeBox with a guest"
MBOX=$(jqr .id)
req POST "/v1/safeboxes/$MBOX/files" "$MARIE" "" -F "file=@$TMP/notes.txt"
expect_status 201 "Marie adds a file"
req GET "/v1/accounts/$ACC/users/$MARIE_ID/export" "$OWNER"
expect_jq '[.safeboxes[] | {id, role}] == [{"id":"'"$OBOX"'","role":"participant"},{"id":"'"$MBOX"'","role":"owner"}]' "her SafeBoxes, with her role"
expect_jq '[.status_subscriptions[] | {email, components}] == [{"email":"marie.curie@lab.example","components":["api"]}]' "her status subscription"
expect_jq '[.security_contacts[] | {name, email, lang}] == [{"name":"Marie Curie","email":"marie.curie@lab.example","lang":"fr"}]' "her security contact entry"
expect_jq '[.mails[] | select(.to_addr == "marie.curie@lab.example") | .kind] | index("invitation") != null' "the mails sent to her"
# A bounce of her address as the mail service records it from a DSN
# (test_mail_bounce.sh reads real ones back through Postfix; here the
# outbox row and her mark are written as that code writes them).
BOUNCE_AT=$(( ($(clock_seconds) - 60) * 1000 ))
db_query "UPDATE mail_outbox SET bounce_action='failed', bounce_status='5.1.1', bounce_diagnostic='smtp; 550 5.1.1 <marie.curie@lab.example>: Recipient address rejected', bounced_at=$BOUNCE_AT WHERE to_addr='marie.curie@lab.example' AND kind='invitation'" >/dev/null &&
	db_query "UPDATE principals SET mail_bounced_at=$BOUNCE_AT, mail_bounce_status='5.1.1', mail_bounced_addr=email WHERE id='$MARIE_ID'" >/dev/null && ok || fail "recording a bounce"
req GET "/v1/accounts/$ACC/users/$MARIE_ID/export" "$OWNER"
expect_jq '[.mails[] | select(.kind == "invitation" and .bounce_action == "failed" and .bounce_status == "5.1.1" and (.bounce_diagnostic | test("marie.curie@lab.example")) and (.bounced_at | test("Z$")))] | length == 1' "the bounce of a mail to her, in the export"
expect_jq '.person.mail_bounced_at != null and .person.mail_bounce_status == "5.1.1"' "the bounce mark on her, in the export"

# ---- the export delivered to her in a SafeBox
req POST "/v1/accounts/$ACC/users/$MARIE_ID/export" "$MARIE" '{}'
expect_problem 403 forbidden "a member cannot deliver an export (security.manage)"
OWNER_ID=$(curl -s "$BASE/v1/me" -H "Authorization: Bearer $OWNER" | jq -r .id)
# 50 more faxes of hers from one submission (one rendering, 50 recipients):
# 51 documents, more than the 50 an export in a SafeBox once carried.
# The loopback trunk reaches the numbers of its pool.
TOS=$(for i in $(seq 110 159); do printf '+1555555%04d,' "$i"; done)
req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":['"$(printf '"%s",' $(echo "${TOS%,}" | tr , ' ') | sed 's/,$//')"']}'
expect_status 201 "50 more numbers in the loopback trunk's pool"
req POST /v1/faxes "$MARIE" "" -F "file=@$TMP/notes.txt" -F "to=${TOS%,}" -F "send_at=$LATER"
expect_status 202 "Marie schedules 50 more faxes"
# One rendering settles the 50 faxes of the submission at once.
wait_rendered "$MARIE" "$(jqr '.items[49].id')"
expect_jq '.status == "queued"' "the 50 faxes rendered and queued"

req POST "/v1/accounts/$ACC/users/$OWNER_ID/export" "$OWNER" '{}'
expect_problem 422 validation-failed "one's own export is read, not delivered"
req POST "/v1/accounts/$ACC/users/$MARIE_ID/export" "$OWNER" '{"to":"x@y.example"}'
expect_problem 422 validation-failed "unknown fields refused"
req POST "/v1/accounts/$ACC/users/$MARIE_ID/export" "$OWNER" '{}'
expect_status 202 "the owner delivers Marie's export to her in a SafeBox: accepted, a job adds the documents"
expect_jq '.user_id == "'"$MARIE_ID"'" and .email == "marie.curie@lab.example" and .documents == 51 and (.export_id | startswith("job_"))' "with her 51 fax documents to come"
XBOX=$(jqr .safebox_id)
EXPORT=$(jqr .export_id)
export_done() {
	req GET "/v1/accounts/$ACC/exports/$EXPORT" "$OWNER"
	[ "$(jqr .status)" = done ]
}
poll_until 300 export_done && ok || fail "the export job ended: $BODY"
expect_jq '.safebox_id == "'"$XBOX"'" and .user_id == "'"$MARIE_ID"'" and .documents == 51 and .documents_added == 51 and .attempts == 1 and .last_error == null and (.finished_at | test("Z$"))' "its status: done, 51 documents added"
req GET "/v1/accounts/$ACC/exports/$EXPORT" "$MARIE"
expect_problem 403 forbidden "a member cannot read an export's status (security.manage)"
req GET "/v1/accounts/$ACC/exports/job_nosuchjob" "$OWNER"
expect_problem 404 not-found "no such export"
req GET /v1/safeboxes "$MARIE"
expect_jq 'any(.items[]; .id == "'"$XBOX"'" and .subject == "Your personal data (GDPR export)")' "Marie sees the box in her list"
req GET "/v1/safeboxes/$XBOX" "$MARIE"
expect_status 200 "Marie opens it"
expect_jq '(.files | length) == 52 and ([.files[].filename] | unique | length) == 52 and any(.files[]; .filename == "export.json") and any(.files[]; .filename == "'"$FAX"'.tiff")' "it holds export.json and each of her 51 fax documents once"
expect_jq '[.participants[] | {email, kind}] == [{"email":"marie.curie@lab.example","kind":"member"}]' "she takes part as a member"
XJSON=$(jqr '.files[] | select(.filename == "export.json") | .id')
XTIFF=$(jqr '.files[] | select(.filename == "'"$FAX"'.tiff") | .id')
curl -s -o "$TMP/export.json" -H "Authorization: Bearer $MARIE" "$BASE/v1/safeboxes/$XBOX/files/$XJSON"
jq -e '.format == "faxvault-gdpr-export-1" and .person.email == "marie.curie@lab.example" and (.faxes | length) == 51 and (.safeboxes | length) == 2' "$TMP/export.json" >/dev/null && ok ||
	fail "export.json in the box is her export: $(head -c 300 "$TMP/export.json")"
curl -s -o "$TMP/fax.tiff" -H "Authorization: Bearer $MARIE" "$BASE/v1/safeboxes/$XBOX/files/$XTIFF"
[ "$(head -c 4 "$TMP/fax.tiff" | od -An -tx1 | tr -d ' ')" = 49492a00 ] && ok ||
	fail "the fax document in the box is a TIFF"
req GET "/v1/accounts/$ACC/audit-events?action=gdpr.export_delivered" "$OWNER"
expect_jq '.items[0].target == "'"$MARIE_ID"'" and .items[0].outcome == "success" and .items[0].detail.safebox_id == "'"$XBOX"'" and .items[0].detail.export_id == "'"$EXPORT"'" and .items[0].detail.documents == 51' "the job's delivery is audited"
req GET "/v1/accounts/$ACC/audit-events?action=gdpr.export_queued" "$OWNER"
expect_jq '.items[0].target == "'"$MARIE_ID"'" and .items[0].detail.export_id == "'"$EXPORT"'"' "the request's queueing is audited"
req GET "/v1/accounts/$ACC/audit-events?action=safebox.file.upload" "$OWNER"
expect_jq '[.items[] | select(.detail.filename | endswith(".tiff"))] | length >= 1' "each document added is a SafeBox event"

# A second export, the daemon killed (SIGKILL) right after the answer,
# wherever its job was: started again and the job's lease passed (the test
# clock moved 6 minutes), the job is taken up again and ends with each
# document in the box once, and its delivery audited once.
req POST "/v1/accounts/$ACC/users/$MARIE_ID/export" "$OWNER" '{}'
expect_status 202 "a second export"
EXPORT2=$(jqr .export_id)
XBOX2=$(jqr .safebox_id)
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
echo "killed with the job at: $(db_query "SELECT state || ' ' || coalesce(progress, '-') FROM jobs WHERE id='$EXPORT2'")"
advance_clock 6
launch_daemon --set mail.relay=smtp://127.0.0.1:9 --set mail.from=noreply@lab.example
export2_done() {
	req GET "/v1/accounts/$ACC/exports/$EXPORT2" "$OWNER"
	[ "$(jqr .status)" = done ]
}
poll_until 300 export2_done && ok || fail "the second export's job ended after the restart: $BODY"
expect_jq '.documents == 51 and .documents_added == 51' "all 51 documents"
req GET "/v1/safeboxes/$XBOX2" "$MARIE"
expect_jq '(.files | length) == 52 and ([.files[].filename] | unique | length) == 52' "each once in the second box: no duplicate after the kill"
req GET "/v1/accounts/$ACC/audit-events?action=gdpr.export_delivered" "$OWNER"
expect_jq '[.items[] | select(.detail.export_id == "'"$EXPORT2"'")] | length == 1' "its delivery audited once"


# ---- what her fax's stored document is before the erasure
DOC_OLD=$(db_query "SELECT doc_id FROM faxes WHERE id='$FAX'")
KEY_OLD=$(db_query "SELECT wrapped_key FROM documents WHERE id='$DOC_OLD'")
PAGES_OLD=$(db_query "SELECT page_count FROM faxes WHERE id='$FAX'")
[ -n "$DOC_OLD" ] && [ -n "$KEY_OLD" ] && [ "$PAGES_OLD" -ge 2 ] && [ -f "$DATA/docs/$DOC_OLD.fvb" ] && ok ||
	fail "her fax has a stored document with a cover page ($DOC_OLD, $PAGES_OLD pages)"
BLOB_OLD=$(od -An -tx1 -v -j 400 -N 64 "$DATA/docs/$DOC_OLD.fvb" | tr -d ' \n')
page_png() { # page_png FAX N OUT: page N of the fax's document as PNG
	curl -s -o "$3" -H "Authorization: Bearer $OWNER" "$BASE/v1/faxes/$1/pages/$2.png"
}
for n in 1 2; do page_png "$FAX" $n "$TMP/old$n.png"; done
curl -s -o "$TMP/old.pdf" -H "Authorization: Bearer $OWNER" "$BASE/v1/faxes/$FAX/document"
# Rows of two PNG pages (1 bit or grey, the same size) that differ:
# "HEIGHT FIRST LAST COUNT" (zlib and the PNG filters, no image library).
png_diff() {
	python3 - "$1" "$2" <<'PY'
import struct, sys, zlib
def rows(path):
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    i, idat, w = 8, b'', 0
    while i < len(data):
        n, t = struct.unpack('>I4s', data[i:i + 8])
        c = data[i + 8:i + 8 + n]
        if t == b'IHDR':
            w, h, depth, ctype = struct.unpack('>IIBB', c[:10])
            bpp = max(1, depth * {0: 1, 2: 3, 4: 2, 6: 4}.get(ctype, 1) // 8)
            stride = (w * depth * {0: 1, 2: 3, 4: 2, 6: 4}.get(ctype, 1) + 7) // 8
        elif t == b'IDAT':
            idat += c
        i += 12 + n
    raw, out, prev = zlib.decompress(idat), [], bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c2 = prev[x], prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c2; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c2)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c2)) & 255
        out.append(bytes(line)); prev = line
    return out
a, b = rows(sys.argv[1]), rows(sys.argv[2])
assert len(a) == len(b), (len(a), len(b))
d = [y for y in range(len(a)) if a[y] != b[y]]
print(len(a), d[0] if d else -1, d[-1] if d else -1, len(d))
PY
}

# ---- erasure
req POST "/v1/accounts/$ACC/users/$(curl -s "$BASE/v1/me" -H "Authorization: Bearer $OWNER" | jq -r .id)/erase" "$OWNER" '{}'
expect_problem 403 owner-protected "the owner cannot be erased"
req PATCH "/v1/accounts/$ACC/retention" "$OWNER" '{"legal_hold":true,"legal_hold_reason":"Litige 2026-17"}'
req POST "/v1/accounts/$ACC/users/$MARIE_ID/erase" "$OWNER" '{}'
expect_problem 409 legal-hold "no erasure under a legal hold"
req PATCH "/v1/accounts/$ACC/retention" "$OWNER" '{"legal_hold":false}'
req PUT "/v1/accounts/$ACC/faxes/$FAX/legal-hold" "$OWNER" '{"reason":"Litige 2026-18"}'
expect_status 200 "her fax is held"
req POST "/v1/accounts/$ACC/users/$MARIE_ID/erase" "$OWNER" '{}'
expect_problem 409 legal-hold "no erasure while a fax naming her is under a legal hold"
req POST "/v1/accounts/$ACC/users/$MARIE_ID/erase" "$OWNER" '{}' -H 'Accept-Language: fr'
expect_jq '.detail | test("fax qui nomme cette personne")' "in French too"
req DELETE "/v1/accounts/$ACC/faxes/$FAX/legal-hold" "$OWNER"
expect_status 200 "the fax's hold is lifted"
req POST "/v1/accounts/$ACC/users/$MARIE_ID/erase" "$OWNER" '{"surprise":1}'
expect_problem 422 validation-failed "unknown fields refused"
req POST "/v1/accounts/$ACC/users/$MARIE_ID/erase" "$OWNER" '{}'
expect_status 200 "the owner erases Marie"
expect_jq '.user_id == "'"$MARIE_ID"'" and .pseudonym == "erased:'"$MARIE_ID"'" and .audit_events_redacted >= 5 and .audit_events_not_redactable == 0' "what the erasure did"
expect_jq '.documents == {"rewritten":1,"pending":0}' "her fax's document was drawn again"
expect_jq '.other_rows.mails >= 1 and .other_rows.safebox_participants == 3 and .other_rows.safebox_authored == 2 and .other_rows.status_subscriptions == 1 and .other_rows.security_contacts == 1 and .other_rows.fax_texts >= 1' "the other rows naming her"
# Her fax's document: a new one, the old one crypto-shredded.
DOC_NEW=$(db_query "SELECT doc_id FROM faxes WHERE id='$FAX'")
[ -n "$DOC_NEW" ] && [ "$DOC_NEW" != "$DOC_OLD" ] && ok || fail "the fax keeps its old document ($DOC_NEW)"
[ "$(db_query "SELECT count(*) FROM documents WHERE id='$DOC_OLD'")" = 0 ] && [ ! -e "$DATA/docs/$DOC_OLD.fvb" ] && ok ||
	fail "the old document's key or blob is still there"
[ "$(db_query "SELECT page_count FROM faxes WHERE id='$FAX'")" = "$PAGES_OLD" ] && [ "$(db_query "SELECT pages FROM documents WHERE id='$DOC_NEW'")" = "$PAGES_OLD" ] && ok ||
	fail "the page count changed"
req GET "/v1/faxes/$FAX" "$OWNER"
expect_jq '.status == "queued" and .page_count == '"$PAGES_OLD"' and (tostring | test("marie|Marie|Curie") | not)' "the fax, still queued, names her no more"
for n in 1 2; do page_png "$FAX" $n "$TMP/new$n.png"; done
read -r H FIRST LAST COUNT <<<"$(png_diff "$TMP/old1.png" "$TMP/new1.png")"
[ "$COUNT" -gt 0 ] && [ "$LAST" -gt $((H * 3 / 100)) ] && ok || fail "the cover page was not drawn again: $H $FIRST $LAST $COUNT"
read -r H FIRST LAST COUNT <<<"$(png_diff "$TMP/old2.png" "$TMP/new2.png")"
[ "$COUNT" -gt 0 ] && [ "$LAST" -lt $((H * 3 / 100)) ] && ok ||
	fail "page 2: only its header line (top 3 %) must change: $H $FIRST $LAST $COUNT"
curl -s -o "$TMP/new.pdf" -H "Authorization: Bearer $OWNER" "$BASE/v1/faxes/$FAX/document"
[ -s "$TMP/new.pdf" ] && ! cmp -s "$TMP/old.pdf" "$TMP/new.pdf" && ok || fail "the document as served did not change"
req GET "/v1/accounts/$ACC/audit-events?action=fax.document_rewritten" "$OWNER"
expect_jq '[.items[] | select(.target == "'"$FAX"'" and .detail.reason == "gdpr.erase" and .detail.person == "'"$MARIE_ID"'" and .detail.pages == '"$PAGES_OLD"' and .detail.cover_redrawn == true and .detail.old_document_destroyed == true and (.detail.backups_until | length) > 0)] | length == 1' "the rewrite is audited: why, which rule, the pages: ${BODY:0:400}"
req GET "/v1/safeboxes/$OBOX" "$OWNER"
expect_jq '.participants[0].status == "revoked" and (.participants[0].email | startswith("erased+"))' "her participation in a box is pseudonymized and revoked"
req GET "/v1/accounts/$ACC/security-contacts" "$OWNER"
expect_jq '(tostring | test("marie|Curie") | not)' "she is no longer a security contact"
req GET /v1/me "$MARIE"
expect_problem 401 unauthenticated "her session died with her"
req GET "/v1/accounts/$ACC/users/$MARIE_ID" "$OWNER"
expect_jq '.status == "deprovisioned" and .name == "Erased person" and (.email | startswith("erased+")) ' "the member row is pseudonymized"
req GET "/v1/accounts/$ACC/audit-events?limit=200" "$OWNER"
expect_jq '(tostring | test("marie|Marie|Curie") | not)' "no audit event the account reads names her any more"
expect_jq 'all(.items[] | select(.actor.id == "'"$MARIE_ID"'"); .source == "" or .source == null)' "the addresses she acted from are gone"
expect_jq 'any(.items[]; .action == "gdpr.erase" and .target == "'"$MARIE_ID"'" and .detail.audit_events_redacted >= 5)' "the erasure is audited"
DB="$DATA/faxvault.db"
if [ -z "${FV_TEST_PG:-}" ]; then
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM audit_events WHERE instr(detail, 'marie') > 0 OR instr(detail, 'Curie') > 0")" = 0 ] && ok ||
		fail "the audit table still holds her address or name"
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM principals WHERE instr(email, 'marie') > 0 OR instr(name, 'Curie') > 0")" = 0 ] && ok ||
		fail "the principals table still holds her address or name"
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM sessions WHERE principal_id = '$MARIE_ID' AND source <> ''")" = 0 ] && ok ||
		fail "her sessions still hold their addresses"
	for q in "mail_outbox WHERE instr(to_addr, 'marie') > 0 OR instr(params, 'marie') > 0 OR instr(params, 'Curie') > 0" \
		"safebox_participants WHERE instr(email, 'marie') > 0" \
		"faxes WHERE instr(cover_subject, 'Curie') > 0 OR instr(header_text, 'Curie') > 0" \
		"safebox_messages WHERE instr(author_email, 'marie') > 0" \
		"safebox_files WHERE instr(author_email, 'marie') > 0" \
		"status_subscriptions WHERE instr(email, 'marie') > 0" \
		"security_contacts WHERE instr(email, 'marie') > 0 OR instr(name, 'Curie') > 0"; do
		[ "$(sqlite3 "$DB" "SELECT count(*) FROM $q")" = 0 ] && ok || fail "still naming her: $q: $(sqlite3 "$DB" "SELECT * FROM $q")"
	done
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM mail_outbox WHERE principal_id = '$MARIE_ID'")" -ge 1 ] && ok ||
		fail "the outbox rows are kept, pseudonymized"
fi
# The bounce erased with her: no diagnostic naming her, no mark on her row
# (both backends).
[ "$(db_query "SELECT count(*) FROM mail_outbox WHERE bounce_diagnostic LIKE '%marie%'")" = 0 ] && ok || fail "a bounce diagnostic still names her"
[ "$(db_query "SELECT count(*) FROM principals WHERE id='$MARIE_ID' AND (mail_bounced_at IS NOT NULL OR mail_bounce_status IS NOT NULL OR mail_bounced_addr IS NOT NULL)")" = 0 ] && ok || fail "her bounce mark is still on her row"
[ "$(db_query "SELECT count(*) FROM mail_outbox WHERE principal_id='$MARIE_ID' AND bounce_status='5.1.1'")" = 1 ] && ok || fail "the bounce's technical status is kept on the pseudonymized mail"

# A rewrite left undone (the request cut short between the erasure's
# commit and the rewrite, as a crash would leave it): the fax service's
# retention sweep takes it, on the test clock.
db_query "INSERT INTO doc_rewrites (doc_id, account_id, reason, subject_id, created_at) VALUES ('$DOC_NEW', '$ACC', 'gdpr.erase', '$MARIE_ID', 0)" >/dev/null && ok || fail "queueing a rewrite"
advance_clock 61
# (a request makes the daemon read the test clock)
swept() { curl -s -o /dev/null "$BASE/v1/me"; [ "$(db_query "SELECT count(*) FROM doc_rewrites")" = 0 ]; }
poll_until 120 swept && ok || fail "the retention sweep did not take the rewrite left"
DOC_SWEPT=$(db_query "SELECT doc_id FROM faxes WHERE id='$FAX'")
[ -n "$DOC_SWEPT" ] && [ "$DOC_SWEPT" != "$DOC_NEW" ] && [ "$(db_query "SELECT count(*) FROM documents WHERE id='$DOC_NEW'")" = 0 ] && ok ||
	fail "the sweep did not rewrite the document ($DOC_SWEPT)"
# Sessions idle out when the clock jumps: signed in again.
OWNER=$(login owner@lab.example "plume encre buvard lab")
OP=$(operator_token)
req GET "/v1/accounts/$ACC/audit-events?action=fax.document_rewritten" "$OWNER"
expect_jq '[.items[] | select(.target == "'"$FAX"'" and .actor.id == "system:retention" and .detail.reason == "gdpr.erase")] | length == 1' "the sweep's rewrite is audited as system:retention"

# The chain still verifies, through the API and offline.
SEC_EMAIL=sec@provider.example
req POST /v1/provider/staff "$OP" "{\"email\":\"$SEC_EMAIL\",\"name\":\"Sec\",\"role\":\"security\"}"
accept "$(jqr .invitation.token)" "veille securite 2026"
SEC=$(login "$SEC_EMAIL" "veille securite 2026")
req GET /v1/provider/audit/verify "$SEC"
expect_jq '.ok == true and .first_broken == null and .redacted >= 5' "the API verifies the chain, counting the erased events"
stop_daemon && ok || fail "the daemon stops cleanly"
# shellcheck disable=SC2086
"$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS audit-verify >"$TMP/v.out" 2>&1 && ok || fail "audit-verify after the erasure: $(cat "$TMP/v.out")"
# The old document is nowhere: neither its wrapped key nor its blob in the
# data directory, nor in a backup taken now (restored).
scan_old() { # scan_old DIR...: prints each trace of the old document; status 1 if any
	python3 - "$KEY_OLD" "$BLOB_OLD" "$@" <<'PY'
import os, sys
needles = {"wrapped key": sys.argv[1].encode(), "blob": bytes.fromhex(sys.argv[2])}
found = 0
for top in sys.argv[3:]:
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
if [ -z "${FV_TEST_PG:-}" ]; then
	scan_old "$DATA" >"$TMP/scan.out" && ok || fail "the old document in the data directory: $(cat "$TMP/scan.out")"
	printf 'correct horse battery staple 42\n' >"$TMP/pass"
	# shellcheck disable=SC2086
	"$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS backup --to "$TMP/bk" --passphrase-file "$TMP/pass" >"$TMP/bk.out" 2>&1 &&
		"$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS restore --from "$TMP/bk" --data-dir "$TMP/restored" --passphrase-file "$TMP/pass" >>"$TMP/bk.out" 2>&1 && ok ||
		fail "backup and restore: $(cat "$TMP/bk.out")"
	scan_old "$TMP/bk" "$TMP/restored" >"$TMP/scan.out" && ok || fail "the old document in a backup taken after: $(cat "$TMP/scan.out")"
	[ -f "$TMP/restored/docs/$DOC_SWEPT.fvb" ] && ok || fail "the new document is in the backup"
fi
grep -q "intact" "$TMP/v.out" && grep -q "events erased for a person" "$TMP/v.out" && ok ||
	fail "audit-verify says intact and counts the erased events: $(cat "$TMP/v.out")"
# What the erasure wrote is sealed: changing it is detected.
if [ -z "${FV_TEST_PG:-}" ]; then
	SEQ=$(sqlite3 "$DB" "SELECT seq FROM audit_events WHERE redacted_at IS NOT NULL ORDER BY seq LIMIT 1")
	sqlite3 "$DB" "UPDATE audit_events SET detail = '{\"email\":\"someone@else.example\"}' WHERE seq = $SEQ"
	"$FAXVAULTD" --data-dir "$DATA" audit-verify >"$TMP/v.out" 2>&1
	[ $? -eq 1 ] && grep -q "what the erasure wrote was changed" "$TMP/v.out" && ok ||
		fail "a change of an erased event is detected: $(cat "$TMP/v.out")"
fi

finish
