#!/bin/bash
# Faxes through the API of the real faxvaultd (the fax service is off, so the
# faxes stay queued; the call itself is the fax service's test): submission
# of a real 3-page PDF, a text file with a cover page, several recipients,
# the rate table and estimated costs, validation (corrupt, unsupported and
# too long documents, bad and unroutable numbers), who may send and who sees
# what, the PDF document and page previews with their audit events, CDRs as
# JSON and CSV, cancel and resend.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon --set fax.enabled=0 --set fax.max_pages=8
PW="plume encre buvard 1789"

# make_pdf FILE PAGES: a small, valid PDF with one line of text per page.
make_pdf() {
	local LC_ALL=C out=$1 n=$2 i k kids=""
	local last=$((3 + 2 * n))
	local -a objs offs
	for i in $(seq 1 "$n"); do kids="$kids $((4 + 2 * (i - 1))) 0 R"; done
	objs[1]="<< /Type /Catalog /Pages 2 0 R >>"
	objs[2]="<< /Type /Pages /Kids [$kids ] /Count $n >>"
	objs[3]="<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
	for i in $(seq 1 "$n"); do
		local s="BT /F1 48 Tf 72 650 Td (Page $i of $n) Tj ET"
		objs[$((4 + 2 * (i - 1)))]="<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents $((5 + 2 * (i - 1))) 0 R >>"
		objs[$((5 + 2 * (i - 1)))]="<< /Length ${#s} >>
stream
$s
endstream"
	done
	local body="%PDF-1.4
"
	for k in $(seq 1 "$last"); do
		offs[k]=${#body}
		body="$body$k 0 obj
${objs[$k]}
endobj
"
	done
	local xref=${#body}
	body="${body}xref
0 $((last + 1))
0000000000 65535 f 
"
	for k in $(seq 1 "$last"); do
		body="$body$(printf '%010d 00000 n ' "${offs[$k]}")
"
	done
	body="${body}trailer
<< /Size $((last + 1)) /Root 1 0 R >>
startxref
$xref
%%EOF
"
	printf '%s' "$body" >"$out"
}

make_pdf "$TMP/three.pdf" 3
make_pdf "$TMP/nine.pdf" 9
printf '%%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%%%EOF\n' >"$TMP/corrupt.pdf"
printf 'PK\003\004\024\000\000\000\010\000zip archive, not a document\000\001\002' >"$TMP/archive.zip"
printf 'Bonjour,\nvoici la facture de mars.\n' >"$TMP/letter.txt"

# fax_submit TOKEN [curl -F args...]: POST /v1/faxes as multipart/form-data.
fax_submit() {
	local tok=$1
	shift
	req POST /v1/faxes "$tok" "" "$@"
}

# ---- set-up: rates, numbers, two accounts ----
OP=$(operator_token)
req PUT /v1/provider/rates "$OP" '{"currency":"EUR","rates":[{"prefix":"+33","price_per_page":12},{"prefix":"+331","price_per_page":15}]}'
expect_status 200 "rates replaced"
expect_jq '.currency == "EUR" and (.rates | length) == 2' "rates answered"
req GET /v1/provider/rates "$OP"
expect_jq '[.rates[] | select(.prefix == "+331")][0].price_per_page == 15' "rates read back"
req PUT /v1/provider/rates "$OP" '{"rates":[{"prefix":"33","price_per_page":1}]}'
expect_problem 422 validation-failed "a prefix without +"
req PUT /v1/provider/rates "$OP" '{"rates":[{"prefix":"+33","price_per_page":-1}]}'
expect_problem 422 validation-failed "a negative price"
req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":["+33100000001","+33100000002","+33100000003","+33200000001"]}'
expect_status 201 "numbers imported into the loopback trunk"

req POST /v1/accounts "$OP" '{"name":"Clinique A","owner":{"email":"owner@a.example","name":"Olive"},"billing_contacts":[{"email":"bill@a.example","name":"Bill"}]}'
expect_status 201 "account A"
ACC_A=$(jqr .id)
INV_OWNER=$(jqr .owner_invitation.token)
INV_BILL=$(jqr '.billing_invitations[0].token')
accept "$INV_OWNER" "$PW"
accept "$INV_BILL" "$PW"
OWN_A=$(login owner@a.example "$PW")
BILL_A=$(login bill@a.example "$PW")
for u in u1 u2; do
	req POST "/v1/accounts/$ACC_A/users" "$OWN_A" "{\"email\":\"$u@a.example\",\"name\":\"$u\",\"role\":\"user\"}"
	expect_status 201 "user $u"
	accept "$(jqr .invitation.token)" "$PW"
done
U1=$(login u1@a.example "$PW")
U2=$(login u2@a.example "$PW")
req POST /v1/accounts "$OP" '{"name":"Cabinet B","owner":{"email":"owner@b.example","name":"Bea"}}'
expect_status 201 "account B"
accept "$(jqr .owner_invitation.token)" "$PW"
OWN_B=$(login owner@b.example "$PW")

# ---- a 3-page PDF ----
fax_submit "$U1" -F "file=@$TMP/three.pdf;type=application/pdf" -F "to=+33100000002" \
	-F "header_text=Clinique A" -F "retries=2" -F "retry_delay_seconds=60"
expect_status 202 "3-page PDF accepted"
expect_jq '(.items | length) == 1' "one fax per recipient"
FAX=$(jqr '.items[0].id')
# The answer comes once the originals are stored: the render job counts the
# pages (docs/fax-service.md); until then the fax holds its fewest pages.
expect_jq '.items[0] | .status == "rendering" and .page_count == 1 and .estimated_cost == 15' "rendering, holding one page"
expect_jq '.items[0] | .retries == 2 and .retry_delay_seconds == 60 and .resolution == "fine" and .header_text == "Clinique A"' "options kept"
expect_jq '.items[0] | has("attempts") | not' "no attempts in the submission answer"
expect_jq '.items[0] | (.id | startswith("fax_")) and .account_id == "'"$ACC_A"'"' "id and account"
for k in id account_id user_id direction status from to page_count pages_confirmed pages resolution header_text cover_subject send_at retries retry_delay_seconds attempts_made next_attempt_at failure_class failure_reason estimated_cost cost currency created_at updated_at completed_at; do
	expect_jq ".items[0] | has(\"$k\")" "fax field $k"
done
wait_rendered "$U1" "$FAX"
expect_jq '.status == "queued" and .direction == "outbound" and .to == "+33100000002"' "queued outbound"
expect_jq '.page_count == 3 and (.pages | length) == 3 and ([.pages[].status] | unique) == ["queued"]' "3 pages, each queued"
expect_jq '.estimated_cost == 45 and .currency == "EUR" and .cost == null' "estimated cost from the longest prefix (+331: 15 x 3)"
expect_jq '.retries == 2 and .retry_delay_seconds == 60 and .resolution == "fine" and .header_text == "Clinique A"' "options kept once rendered"
expect_jq '.attempts_made == 0 and .pages_confirmed == 0 and .next_attempt_at != null and .completed_at == null and .attempts == []' "not tried yet"
if grep -q "Page 1 of 3" "$TMP/var/docs/"*.fvb 2>/dev/null; then fail "a document is stored in clear"; else ok; fi
if [ -z "$(ls -A "$TMP/var/work" 2>/dev/null)" ]; then ok; else fail "work directory not wiped: $(ls "$TMP/var/work")"; fi

# ---- a text letter with a cover page, two recipients, scheduled ----
fax_submit "$U1" -F "file=@$TMP/letter.txt" -F "to=+33100000001, +33100000003" \
	-F "cover_subject=Facture" -F "cover_text=Veuillez trouver la facture." -F "send_at=2099-01-01T08:00:00Z" \
	-F "resolution=standard"
expect_status 202 "text letter to two numbers"
expect_jq '(.items | length) == 2 and ([.items[].to] | sort) == ["+33100000001", "+33100000003"]' "one fax per recipient"
expect_jq '.items[0].cover_subject == "Facture" and .items[0].resolution == "standard"' "cover subject, resolution"
LETTER=$(jqr '.items[0].id')
LETTER2=$(jqr '.items[1].id')
wait_rendered "$U1" "$LETTER"
expect_jq '.page_count == 2 and .estimated_cost == 30' "cover page + letter, 2 x 15"
expect_jq '(.send_at | startswith("2099-01-01T08:00:00")) and .next_attempt_at == .send_at' "scheduled"
expect_jq '.cover_subject == "Facture" and .resolution == "standard"' "cover subject, resolution once rendered"
wait_rendered "$U1" "$LETTER2"
expect_jq '.status == "queued" and .page_count == 2 and .estimated_cost == 30' "one rendering serves both recipients"
# repeated "to" fields
fax_submit "$OWN_A" -F "file=@$TMP/letter.txt" -F "to=+33100000001" -F "to=+33200000001"
expect_status 202 "repeated to fields"
expect_jq '(.items | length) == 2' "two faxes"
OTHER=$(jqr '[.items[] | select(.to == "+33200000001")][0].id')
wait_rendered "$OWN_A" "$OTHER"
expect_jq '.estimated_cost == 12' "+33 price for +332"

# ---- who may send ----
fax_submit "$BILL_A" -F "file=@$TMP/letter.txt" -F "to=+33100000002"
expect_problem 403 forbidden "billing contact cannot send"
fax_submit "$OP" -F "file=@$TMP/letter.txt" -F "to=+33100000002"
expect_problem 403 forbidden "operator cannot send"
fax_submit "" -F "file=@$TMP/letter.txt" -F "to=+33100000002"
expect_problem 401 unauthenticated "anonymous cannot send"

# ---- documents only rendering can refuse: accepted, then failed with the reason ----
# A damaged PDF and one with more pages than allowed are known only once
# rendered: the answer is 202, and the render job ends the fax failed, with
# its class and the reason in the submitter's language (the words the
# refusal used to carry), holding no pages. Sent from a third account, so
# that A's lists below are as they were.
req POST /v1/accounts "$OP" '{"name":"Etude C","owner":{"email":"owner@c.example","name":"Cyd"}}'
expect_status 201 "account C"
ACC_C=$(jqr .id)
accept "$(jqr .owner_invitation.token)" "$PW"
OWN_C=$(login owner@c.example "$PW")
# bad_render FILE DESCRIPTION [curl args...]: submitted, rendering, then
# settled (BODY is the fax).
bad_render() {
	local file=$1 what=$2
	shift 2
	fax_submit "$OWN_C" -F "file=@$file" -F "to=+33100000002" "$@"
	expect_status 202 "$what: accepted"
	expect_jq '.items[0].status == "rendering"' "$what: rendering"
	local id
	id=$(jqr '.items[0].id')
	wait_rendered "$OWN_C" "$id"
}
bad_render "$TMP/corrupt.pdf" "corrupt PDF"
expect_jq '.status == "failed" and .failure_class == "document" and (.failure_reason | length) > 10' "corrupt PDF: failed, with the renderer's reason"
expect_jq '.page_count == 0 and .estimated_cost == 0 and .cost == 0 and .pages == [] and .completed_at != null' "corrupt PDF: no pages held, nothing charged"
EN_DETAIL=$(jqr .failure_reason)
bad_render "$TMP/corrupt.pdf" "corrupt PDF (fr)" -H "Accept-Language: fr"
if [ "$(jqr .failure_reason)" != "$EN_DETAIL" ] && [ "$(jqr .failure_reason)" != null ]; then ok; else fail "French reason: $(jqr .failure_reason)"; fi
bad_render "$TMP/nine.pdf" "9 pages, 8 allowed"
expect_jq '.status == "failed" and .failure_class == "too_many_pages" and .failure_reason == "A fax may carry at most 8 pages, the cover page included."' "names the limit"
bad_render "$TMP/nine.pdf" "9 pages, 8 allowed (fr)" -H "Accept-Language: fr"
expect_jq '.failure_reason == "Un fax peut contenir au plus 8 pages, page de garde comprise."' "names the limit (fr)"
req GET "/v1/faxes/$(jqr .id)/document" "$OWN_C"
expect_problem 409 invalid-state "a refused rendering leaves no document"
req GET "/v1/accounts/$ACC_C/audit-events?action=fax.failed" "$OWN_C"
expect_jq '(.items | length) == 4 and all(.items[]; .actor.id == "system:faxsvc" and .outcome == "failure")' "each failure audited"
req GET "/v1/accounts/$ACC_C/audit-events?action=fax.submit" "$OWN_C"
expect_jq '(.items | length) == 4 and all(.items[]; .outcome == "success")' "each accepted submission audited, by its member"

# ---- bad documents refused in the answer: nothing kept ----
req GET "/v1/faxes?limit=200" "$OWN_A"
BEFORE=$(jqr '.items | length')
fax_submit "$U1" -F "file=@$TMP/archive.zip" -F "to=+33100000002"
expect_problem 415 document-unsupported "a zip archive"
: > "$TMP/empty.txt"
fax_submit "$U1" -F "file=@$TMP/empty.txt" -F "to=+33100000002"
expect_problem 422 document-empty "an empty file has its own problem"
expect_jq '.field == "file" and .detail == "Document 1 of 1 has 0 bytes." and .title != .detail' "and says which file"
fax_submit "$U1" -F "file=@$TMP/letter.txt" -F "file=@$TMP/empty.txt" -F "to=+33100000002" -H "Accept-Language: fr"
expect_problem 422 document-empty "an empty second file (fr)"
expect_jq '.detail == "Le document 2 sur 2 fait 0 octet." and .title == "Le document est vide"' "names the second file, in French"
# Text that is not UTF-8 and not clearly Windows-1252 has its own problem:
# UTF-16 (as some editors save "Unicode" text) and an 8-bit Cyrillic set.
printf '\xff\xfeB\0o\0n\0j\0o\0u\0r\0\n\0' > "$TMP/utf16.txt"
printf '\xf0\xd2\xc9\xd7\xc5\xd4, \xcd\xc9\xd2!\n' > "$TMP/koi8.txt"
fax_submit "$U1" -F "file=@$TMP/utf16.txt" -F "to=+33100000002"
expect_problem 415 document-not-utf8 "UTF-16 text"
expect_jq '.field == "file" and (.detail | test("Document 1 .*save it as UTF-8")) and .title != .detail' "says what to do"
fax_submit "$U1" -F "file=@$TMP/letter.txt" -F "file=@$TMP/koi8.txt" -F "to=+33100000002" -H "Accept-Language: fr"
expect_problem 415 document-not-utf8 "KOI8-R text (fr)"
expect_jq '(.detail | test("Le document 2 .*enregistrez-le en UTF-8")) and .title == "Le texte n'"'"'est pas en UTF-8"' "in French"
fax_submit "$U1" -F "to=+33100000002"
expect_problem 422 validation-failed "no document"
expect_jq '.field == "file"' "names the file field"
req GET "/v1/faxes?limit=200" "$OWN_A"
expect_jq "(.items | length) == $BEFORE" "refused submissions left no fax"
if [ -z "$(ls -A "$TMP/var/work" 2>/dev/null)" ]; then ok; else fail "work directory not wiped after failures"; fi

# ---- bad destinations ----
fax_submit "$U1" -F "file=@$TMP/letter.txt" -F "to=12345"
expect_problem 422 destination-not-allowed "not E.164"
expect_jq '.field == "to"' "names to"
fax_submit "$U1" -F "file=@$TMP/letter.txt" -F "to=+33100000002,+4930123456"
expect_problem 422 no-route "no trunk for +49"
expect_jq '.field == "to"' "names to (route)"
fax_submit "$U1" -F "file=@$TMP/letter.txt"
expect_problem 422 validation-failed "no to"
fax_submit "$U1" -F "file=@$TMP/letter.txt" -F "to=+33100000002" -F "retries=11"
expect_problem 422 validation-failed "retries out of range"
fax_submit "$U1" -F "file=@$TMP/letter.txt" -F "to=+33100000002" -F "send_at=next tuesday"
expect_problem 422 validation-failed "send_at not RFC 3339"
fax_submit "$U1" -F "file=@$TMP/letter.txt" -F "to=+33100000002" -F "colour=blue"
expect_problem 422 validation-failed "unknown field"
req POST /v1/faxes "$U1" '{"to":"+33100000002"}'
expect_problem 415 unsupported-media-type "JSON instead of a form"

# ---- listing and reading ----
req GET /v1/faxes "$U1"
expect_status 200 "u1 lists"
expect_jq '(.items | length) == 3 and all(.items[]; .user_id != null)' "u1 sees the faxes u1 sent"
req GET /v1/faxes "$U2"
expect_jq '(.items | length) == 0' "u2 sees none of them"
req GET /v1/faxes "$OWN_A"
expect_jq '(.items | length) == 5' "the owner (data.read) sees every fax of A"
req GET "/v1/faxes?direction=inbound" "$OWN_A"
expect_jq '(.items | length) == 0' "no inbound fax yet"
req GET "/v1/faxes?direction=outbound&status=queued&limit=2" "$OWN_A"
expect_jq '(.items | length) == 2 and .next_cursor != null' "paged"
req GET "/v1/faxes?direction=outbound&status=queued&limit=2&cursor=$(jqr .next_cursor)" "$OWN_A"
expect_jq '(.items | length) == 2' "second page"
req GET "/v1/faxes?status=lost" "$OWN_A"
expect_problem 400 invalid-parameter "unknown status"
req GET /v1/faxes "$OWN_B"
expect_jq '(.items | length) == 0' "B sees nothing of A"
req GET /v1/faxes "$OP"
expect_problem 403 forbidden "provider staff do not read faxes"
req GET /v1/faxes "$BILL_A"
expect_problem 403 forbidden "billing does not read faxes"

req GET "/v1/faxes/$FAX" "$U1"
expect_status 200 "fax detail"
expect_jq '.id == "'"$FAX"'" and .attempts == [] and .page_count == 3' "with its (no) attempts"
req GET "/v1/faxes/$FAX" "$OWN_B"
expect_problem 404 not-found "another account's fax"
req GET "/v1/faxes/$FAX" "$U2"
expect_problem 404 not-found "another user's fax without data.read"
req GET "/v1/faxes/fax_nope" "$OWN_A"
expect_problem 404 not-found "no such fax"

# ---- document and pages, audited ----
req GET "/v1/faxes/$FAX/document" "$U1"
expect_status 200 "document"
if grep -qi '^content-type: application/pdf' "$HEADERS"; then ok; else fail "document content type"; fi
if [ "$(head -c 4 "$TMP/body")" = "%PDF" ]; then ok; else fail "document is not a PDF"; fi
if grep -qi "^content-disposition: attachment; filename=\"$FAX.pdf\"; filename\*=UTF-8''$FAX.pdf" "$HEADERS"; then ok; else fail "document Content-Disposition: $(grep -i disposition "$HEADERS")"; fi
req GET "/v1/faxes/$FAX/document" "$OWN_B"
expect_problem 404 not-found "another account's document"
req GET "/v1/faxes/$FAX/pages/2.png" "$OWN_A"
expect_status 200 "page 2 preview"
if grep -qi '^content-type: image/png' "$HEADERS"; then ok; else fail "page content type"; fi
if [ "$(head -c 4 "$TMP/body" | tail -c 3)" = "PNG" ]; then ok; else fail "page is not a PNG"; fi
req GET "/v1/faxes/$FAX/pages/1.png?width=200" "$U1"
expect_status 200 "thumbnail"
if grep -qi "^content-disposition: attachment; filename=\"$FAX-page-1.png\"; filename\*=UTF-8''$FAX-page-1.png" "$HEADERS"; then ok; else fail "page Content-Disposition: $(grep -i disposition "$HEADERS")"; fi
req GET "/v1/faxes/$FAX/pages/4.png" "$U1"
expect_problem 404 not-found "no page 4"
req GET "/v1/faxes/$FAX/pages/0.png" "$U1"
expect_problem 404 not-found "no page 0"
req GET "/v1/faxes/$FAX/pages/1.png?width=5" "$U1"
expect_problem 400 invalid-parameter "width too small"
req GET "/v1/accounts/$ACC_A/audit-events?action=fax.document.read" "$OWN_A"
expect_jq '(.items | length) == 1 and .items[0].target == "'"$FAX"'"' "document read audited"
req GET "/v1/accounts/$ACC_A/audit-events?action=fax.page.read" "$OWN_A"
expect_jq '(.items | length) == 2' "page reads audited"
req GET "/v1/accounts/$ACC_A/audit-events?action=fax.submit" "$OWN_A"
expect_jq '(.items | length) == 5' "submissions audited"

# ---- CDRs ----
req GET "/v1/accounts/$ACC_A/cdrs" "$BILL_A"
expect_status 200 "CDRs as JSON"
expect_jq '.items == [] and .next_cursor == null' "no call yet"
req GET "/v1/accounts/$ACC_A/cdrs?since=2020-01-01T00:00:00Z&direction=outbound" "$BILL_A" "" -H "Accept: text/csv"
expect_status 200 "CDRs as CSV"
if grep -qi '^content-type: text/csv' "$HEADERS"; then ok; else fail "CSV content type"; fi
if grep -qi "^content-disposition: attachment; filename=\"cdrs-$ACC_A.csv\"; filename\*=UTF-8''cdrs-$ACC_A.csv" "$HEADERS"; then ok; else fail "CSV Content-Disposition: $(grep -i disposition "$HEADERS")"; fi
if head -n 1 "$TMP/body" | grep -q '^id,fax_id,account_id,user_id,attempt,direction,from,to,trunk,started_at'; then ok; else
	fail "CSV header: $(head -n 1 "$TMP/body")"; fi
req GET "/v1/accounts/$ACC_A/cdrs" "$BILL_A"
if grep -qi '^content-disposition' "$HEADERS"; then fail "JSON answers carry no Content-Disposition"; else ok; fi
req GET "/v1/accounts/$ACC_A/cdrs?since=yesterday" "$BILL_A"
expect_problem 400 invalid-parameter "since not RFC 3339"
req GET "/v1/accounts/$ACC_A/cdrs" "$U1"
expect_problem 403 forbidden "a user has no billing.read"
req GET "/v1/accounts/$ACC_A/cdrs" "$OWN_B"
expect_problem 404 not-found "another account's CDRs"

# ---- cancel and resend ----
req POST "/v1/faxes/$FAX/cancel" "$U2"
expect_problem 404 not-found "u2 cannot cancel u1's fax"
req POST "/v1/faxes/$FAX/cancel" "$U1"
expect_status 200 "cancel"
expect_jq '.status == "cancelled" and .completed_at != null and ([.pages[].status] | unique) == ["failed"] and .cost == 0' "cancelled"
req POST "/v1/faxes/$FAX/cancel" "$U1"
expect_problem 409 invalid-state "cancel again"
req POST "/v1/faxes/$FAX/resend" "$U1" '{"pages":"some"}'
expect_problem 422 validation-failed "resend: bad pages"
req POST "/v1/faxes/$FAX/resend" "$U1" '{"pages":"failed"}'
expect_status 202 "resend the pages that failed"
expect_jq '(.items | length) == 1 and .items[0].status == "queued" and .items[0].page_count == 3 and .items[0].id != "'"$FAX"'"' "a new fax of the same document"
NEW=$(jqr '.items[0].id')
req GET "/v1/faxes/$NEW/document" "$U1"
if [ "$STATUS" = 200 ] && [ "$(head -c 4 "$TMP/body")" = "%PDF" ]; then ok; else fail "resent fax's document: $STATUS"; fi
req POST "/v1/faxes/$NEW/resend" "$U1" '{"pages":"all"}'
expect_problem 409 invalid-state "resend of a fax still queued"
req POST "/v1/faxes/$LETTER/cancel" "$OWN_A"
expect_status 200 "owner cancels a scheduled fax of u1"
req GET "/v1/accounts/$ACC_A/audit-events?action=fax.cancel" "$OWN_A"
expect_jq '(.items | length) == 2' "cancels audited"

# Text saved by an older system, in Windows-1252 (é, €, curly quotes): taken
# as such, not refused as an unknown type.
printf 'Re\xe7u le d\xe9p\xf4t de 120 \x80, \x93merci\x94.\n' > "$TMP/latin1.txt"
fax_submit "$U1" -F "file=@$TMP/latin1.txt" -F "to=+33100000001" -F "send_at=2099-01-01T08:00:00Z"
expect_status 202 "Windows-1252 text is accepted"
wait_rendered "$U1" "$(jqr '.items[0].id')"
expect_jq '.status == "queued" and .page_count == 1' "and rendered as one page"
req POST "/v1/faxes/$(jqr .id)/cancel" "$U1"
expect_status 200 "(cancelled again)"

# ---- the sender name of the header line: an account setting ----
req GET "/v1/accounts/$ACC_A" "$OWN_A"
expect_jq '.fax_header == null' "no header setting: the account's name is printed"
fax_submit "$U1" -F "file=@$TMP/letter.txt" -F "to=+33100000001" -F "send_at=2099-01-01T08:00:00Z"
expect_jq '.items[0].header_text == "Clinique A"' "the default sender name is the account's name"
req POST "/v1/faxes/$(jqr '.items[0].id')/cancel" "$U1"
req PATCH "/v1/accounts/$ACC_A" "$OWN_A" '{"fax_header":"Clinique A \u2014 Accueil"}'
expect_status 200 "the owner sets the sender name"
expect_jq '.fax_header == "Clinique A \u2014 Accueil" and .name == "Clinique A"' "answered with the account"
fax_submit "$U1" -F "file=@$TMP/letter.txt" -F "to=+33100000001" -F "send_at=2099-01-01T08:00:00Z"
expect_jq '.items[0].header_text == "Clinique A \u2014 Accueil"' "faxes print the setting"
req POST "/v1/faxes/$(jqr '.items[0].id')/cancel" "$U1"
fax_submit "$U1" -F "file=@$TMP/letter.txt" -F "to=+33100000001" -F "header_text=Dr Martin" -F "send_at=2099-01-01T08:00:00Z"
expect_jq '.items[0].header_text == "Dr Martin"' "a submission's header_text replaces it"
req POST "/v1/faxes/$(jqr '.items[0].id')/cancel" "$U1"
req PATCH "/v1/accounts/$ACC_A" "$OWN_A" "{\"fax_header\":\"$(printf 'x%.0s' $(seq 1 61))\"}"
expect_problem 422 validation-failed "61 characters"
expect_jq '.field == "fax_header" and (.detail | test("1 to 60 characters"))' "names the limit"
req PATCH "/v1/accounts/$ACC_A" "$OWN_A" "{\"fax_header\":\"$(printf '\u00e9%.0s' $(seq 1 60))\"}"
expect_status 200 "60 accented characters (120 bytes) are 60 characters"
req PATCH "/v1/accounts/$ACC_A" "$OWN_A" '{"fax_header":"line\nbreak"}'
expect_problem 422 validation-failed "a control character"
req PATCH "/v1/accounts/$ACC_A" "$OWN_A" '{"fax_header":""}'
expect_problem 422 validation-failed "empty"
req PATCH "/v1/accounts/$ACC_A" "$OWN_A" '{"fax_header":42}'
expect_problem 422 validation-failed "not a string"
req PATCH "/v1/accounts/$ACC_A" "$U1" '{"fax_header":"Someone else"}'
expect_problem 403 forbidden "a user cannot change it"
req PATCH "/v1/accounts/$ACC_A" "$OWN_A" '{"fax_header":null}'
expect_status 200 "null: back to the account's name"
expect_jq '.fax_header == null' "reset"
req GET "/v1/accounts/$ACC_A/audit-events?action=account.update" "$OWN_A"
expect_jq '[.items[] | select(.detail.fax_header != null)] | length == 3' "each change audited with old and new"
expect_jq '[.items[] | select(.detail.fax_header.new == null)][0].detail.fax_header.old | startswith("\u00e9")' "the reset names the old text"
req GET /v1/accounts "$OP"
expect_jq "[.items[] | select(.id == \"$ACC_A\")][0] | has(\"fax_header\")" "listed with the setting"

# ---- every read of customer data is an audit event (C04e, P06) ----
req GET "/v1/faxes?limit=5&direction=outbound&status=cancelled" "$OWN_A"
req GET "/v1/faxes/$FAX" "$OWN_A"
req GET "/v1/accounts/$ACC_A/port-requests" "$OWN_A"
req GET "/v1/accounts/$ACC_A/numbers" "$OWN_A"
req GET "/v1/accounts/$ACC_A/notifications" "$OWN_A"
req GET "/v1/accounts/$ACC_A/webhooks" "$OWN_A"
req GET "/v1/accounts/$ACC_A/audit-events?limit=200" "$OWN_A"
for action in fax.list fax.read number.list notification.list webhook.list cdrs.read port_request.list; do
	expect_jq "[.items[] | select(.action == \"$action\" and .outcome == \"success\")] | length >= 1" "the read $action is audited"
done
expect_jq "[.items[] | select(.action == \"fax.read\")][0].target == \"$FAX\"" "a fax read names the fax"
expect_jq '[.items[] | select(.action == "fax.list")][0].detail.count | type == "number"' "a list read counts what it answered"
expect_jq '[.items[] | select(.action == "fax.list")][0].detail.filter == {"direction": "outbound", "status": "cancelled"}' "a list read records its filter"

# ---- delete on demand (C09): tombstone, crypto-shred once no fax uses the document ----
req DELETE "/v1/faxes/$LETTER" "$BILL_A"
expect_problem 403 forbidden "billing may not delete a fax"
req DELETE "/v1/faxes/$FAX" "$U2"
expect_problem 404 not-found "u2 cannot delete u1's fax"
req DELETE "/v1/faxes/$FAX" "$OWN_B"
expect_problem 404 not-found "nor another account"
req GET "/v1/faxes/$NEW" "$U1"
if [ "$(jqr .status)" = queued ]; then
	req DELETE "/v1/faxes/$NEW" "$U1"
	expect_problem 409 invalid-state "a queued fax is not deleted"
	req POST "/v1/faxes/$NEW/cancel" "$U1"
	expect_status 200 "(cancel the resent fax)"
fi
blobs_before=$(find "$DATA/docs" -name '*.fvb' | wc -l)
req DELETE "/v1/faxes/$FAX" "$U1"
expect_status 204 "u1 deletes the cancelled fax"
req GET "/v1/faxes/$FAX" "$U1"
expect_problem 404 not-found "a deleted fax is gone"
req DELETE "/v1/faxes/$FAX" "$U1"
expect_problem 404 not-found "deleting twice"
req GET "/v1/faxes?limit=100" "$OWN_A"
expect_jq "[.items[] | select(.id == \"$FAX\")] == []" "and no longer listed"
req GET "/v1/faxes/$NEW/document" "$U1"
if [ "$STATUS" = 200 ] && [ "$(head -c 4 "$TMP/body")" = "%PDF" ]; then ok; else fail "the resend keeps the shared document: $STATUS"; fi
if [ "$(find "$DATA/docs" -name '*.fvb' | wc -l)" = "$blobs_before" ]; then ok; else fail "a shared document was destroyed"; fi
req DELETE "/v1/faxes/$NEW" "$OWN_A"
expect_status 204 "the owner deletes u1's resend (data.read)"
if [ "$(find "$DATA/docs" -name '*.fvb' | wc -l)" = "$((blobs_before - 1))" ]; then ok; else fail "the last user's delete destroys the document's blob"; fi
req GET "/v1/faxes/$NEW/document" "$U1"
expect_problem 404 not-found "its document is gone"
req GET "/v1/accounts/$ACC_A/cdrs" "$BILL_A"
expect_status 200 "CDRs are still answered after deletes"
req GET "/v1/accounts/$ACC_A/audit-events?action=fax.delete" "$OWN_A"
expect_jq "(.items | length) == 2 and ([.items[] | select(.target == \"$FAX\")][0].detail.document_destroyed == false) and ([.items[] | select(.target == \"$NEW\")][0].detail.document_destroyed == true)" "each delete audited, saying whether the document was destroyed"

finish
