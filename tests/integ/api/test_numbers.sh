#!/usr/bin/env bash
# Trunks and numbers against the real daemon: trunks (the built-in loopback
# one, a SIP trunk whose password is never answered), importing numbers into
# the inventory, an administrator requesting numbers of a country (a plain
# user may not; none left is 409), routing a number to a member, releasing it
# into quarantine and getting it back only once the quarantine has ended (the
# test clock, not sleeps), port-in requests with a PDF letter of
# authorization through the whole workflow (rejection with a reason
# included) and their notifications in English and French, bad input, and
# tenant isolation.
. "$(dirname "$0")/lib.sh"
start_daemon

OP=$(operator_token)

new_account() { # new_account NAME OWNER_EMAIL PASSWORD -> sets ACC, OWNER
	req POST /v1/accounts "$OP" "{\"name\":\"$1\",\"owner\":{\"email\":\"$2\",\"name\":\"Owner\"}}"
	expect_status 201 "create account $1"
	ACC=$(jqr .id)
	accept "$(jqr .owner_invitation.token)" "$3"
	OWNER=$(login "$2" "$3")
}
new_account "Cabinet Martin" owner@martin.example "plume encre buvard"
A=$ACC; A_OWNER=$OWNER
new_account "Other Co" owner@other.example "autre compte vert"
B=$ACC; B_OWNER=$OWNER

req POST "/v1/accounts/$A/users" "$A_OWNER" '{"email":"admin@martin.example","name":"Adèle","role":"admin"}'
accept "$(jqr .invitation.token)" "encre violette douce"
ADMIN=$(login admin@martin.example "encre violette douce")
req POST "/v1/accounts/$A/users" "$A_OWNER" '{"email":"user@martin.example","name":"Ugo","role":"user"}'
USER_ID=$(jqr .id)
accept "$(jqr .invitation.token)" "papier buvard gris"
USER=$(login user@martin.example "papier buvard gris")

relogin() { # days pass on the test clock: every session has expired
	OP=$(operator_token)
	A_OWNER=$(login owner@martin.example "plume encre buvard")
	B_OWNER=$(login owner@other.example "autre compte vert")
	ADMIN=$(login admin@martin.example "encre violette douce")
	USER=$(login user@martin.example "papier buvard gris")
}

# --- trunks
req GET /v1/provider/trunks "$OP"
expect_status 200 "list trunks"
expect_jq '[.items[] | select(.id == "loopback" and .builtin and .transport == "t38_first")] | length == 1' \
	"the loopback trunk exists from the first start"
expect_jq '.items[] | select(.id == "loopback") | .peer | test("^127\\.0\\.0\\.1:[0-9]+$")' \
	"the loopback trunk's peer is the daemon's own listener"
req POST /v1/provider/trunks "$OP" '{"id":"carrier-eu","name":"Carrier EU","peer":"192.0.2.10:5060","username":"fv","password":"digest-secret","transport":"g711_only","max_calls":8,"prefixes":["+33","+49"],"status":"active"}'
expect_status 201 "create a trunk"
expect_jq '.id == "carrier-eu" and .has_password == true and (has("password") | not) and .prefixes == ["+33","+49"]' \
	"the password is stored, never answered"
if grep -q digest-secret "$TMP/body"; then fail "trunk password in an answer"; else ok; fi
req POST /v1/provider/trunks "$OP" '{"name":"No id","peer":"[2001:db8::1]:5060","transport":"t38_only","max_calls":2,"caller_id_rule":"fixed:+33100000000","prefixes":["+1"]}'
expect_status 201 "a trunk without id, IPv6 peer"
expect_jq '.id | startswith("trk_")' "generated trunk id"
req POST /v1/provider/trunks "$OP" '{"id":"carrier-eu","name":"Again","peer":"192.0.2.10:5060"}'
expect_problem 409 conflict "a taken trunk id"
req POST /v1/provider/trunks "$OP" '{"name":"Bad","peer":"sip example.com"}'
expect_problem 422 validation-failed "peer must be IP:PORT, HOST:PORT or HOST"
req POST /v1/provider/trunks "$OP" '{"name":"Bad","peer":"2001:db8::1:5060"}'
expect_problem 422 validation-failed "an IPv6 peer needs its brackets"
req POST /v1/provider/trunks "$OP" '{"name":"Bad","peer":"192.0.2.1:5060","transport":"carrier-pigeon"}'
expect_problem 422 validation-failed "unknown transport"
req POST /v1/provider/trunks "$OP" '{"name":"Bad","peer":"192.0.2.1:5060","prefixes":["33"]}'
expect_problem 422 validation-failed "prefix without +"
req PATCH /v1/provider/trunks/carrier-eu "$OP" '{"max_calls":4,"password":""}'
expect_jq '.max_calls == 4 and .has_password == false' "change a trunk, remove its password"
req PATCH /v1/provider/trunks/loopback "$OP" '{"peer":"192.0.2.1:5060"}'
expect_problem 422 validation-failed "the loopback peer is the daemon's"
req GET /v1/provider/trunks/nope "$OP"
expect_problem 404 not-found "unknown trunk"
req GET /v1/provider/trunks "$A_OWNER"
expect_problem 403 forbidden "an account owner does not manage trunks"

# --- inventory
req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":["+33100000001","+33100000002","+33200000001","+14165550100"]}'
expect_status 201 "import numbers"
expect_jq '.imported == 4 and .skipped == [] and .trunk == "loopback"' "four imported"
req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":["+33100000001","+33100000003","+33100000003"]}'
expect_jq '.imported == 1 and .skipped == [{"number":"+33100000001","reason":"duplicate"},{"number":"+33100000003","reason":"duplicate"}]' \
	"duplicates are skipped, not an error"
req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":["+33100000009","0612345678"]}'
expect_problem 422 validation-failed "a number that is not E.164"
req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":["+0612345678"]}'
expect_problem 422 validation-failed "a leading zero after +"
req POST /v1/provider/numbers "$OP" '{"trunk":"nowhere","numbers":["+33100000009"]}'
expect_problem 422 validation-failed "an unknown trunk"
req GET "/v1/provider/numbers?status=available" "$OP"
expect_jq '[.items[].number] | contains(["+33100000009"]) | not' "nothing of a refused import was kept"
expect_jq '(.items | length) == 5 and .next_cursor == null' "five available"
req GET "/v1/provider/numbers?trunk=loopback&limit=2" "$OP"
expect_jq '(.items | length) == 2 and (.next_cursor | type) == "string"' "paginated inventory"
req GET "/v1/provider/numbers?status=lost" "$OP"
expect_problem 400 invalid-parameter "unknown status filter"

# --- requesting numbers
req POST "/v1/accounts/$A/numbers" "$ADMIN" '{"country":"FR","area_code":"1"}'
expect_status 201 "an administrator requests a French number"
expect_jq '(.number | startswith("+331")) and .country == "FR" and .trunk == "loopback" and .status == "assigned" and .route_to == "shared" and (.assigned_at | type) == "string"' \
	"the number assigned"
N1=$(jqr .number)
req POST "/v1/accounts/$A/numbers" "$USER" '{"country":"FR"}'
expect_problem 403 forbidden "a plain user may not request numbers"
req POST "/v1/accounts/$A/numbers" "$ADMIN" "{\"country\":\"CA\",\"route_to\":\"$USER_ID\"}"
expect_jq '.number == "+14165550100" and .country == "CA"' "a Canadian number, routed to a user"
req POST "/v1/accounts/$A/numbers" "$ADMIN" '{"country":"US"}'
expect_problem 409 numbers-exhausted "no US number in the inventory"
req POST "/v1/accounts/$A/numbers" "$ADMIN" '{"country":"FR","area_code":"5"}'
expect_problem 409 numbers-exhausted "no number with that area code"
req POST "/v1/accounts/$A/numbers" "$ADMIN" '{"country":"XX"}'
expect_problem 422 validation-failed "unknown country"
req POST "/v1/accounts/$A/numbers" "$ADMIN" '{"country":"FR","area_code":"1a"}'
expect_problem 422 validation-failed "area code of digits"
req POST "/v1/accounts/$A/numbers" "$ADMIN" '{"country":"FR","route_to":"usr_nobody"}'
expect_problem 422 validation-failed "route to someone who is not a member"
# Idempotency-Key: the same request answers the same number.
req POST "/v1/accounts/$A/numbers" "$ADMIN" '{"country":"FR","area_code":"2"}' -H 'Idempotency-Key: num-1'
expect_status 201 "request with an Idempotency-Key"
N2=$(jqr .number)
req POST "/v1/accounts/$A/numbers" "$ADMIN" '{"country":"FR","area_code":"2"}' -H 'Idempotency-Key: num-1'
expect_jq ".number == \"$N2\"" "replayed, not a second number"

req GET "/v1/accounts/$A/numbers" "$USER"
expect_status 200 "a user (account.read) lists the numbers"
expect_jq '(.items | length) == 3' "three numbers of A"
req GET "/v1/accounts/$A/numbers/%2B${N1#+}" "$ADMIN"
expect_jq ".number == \"$N1\"" "a number by its URL-encoded path"
req GET "/v1/accounts/$A/numbers/$N1" "$ADMIN"
expect_jq ".number == \"$N1\"" "a number with a bare +"
req GET "/v1/accounts/$A/numbers/%2B33999999999" "$ADMIN"
expect_problem 404 not-found "a number A does not have"
req GET "/v1/accounts/$A/numbers/garbage" "$ADMIN"
expect_problem 404 not-found "not a number at all"

# --- routing
req PATCH "/v1/accounts/$A/numbers/%2B${N1#+}" "$ADMIN" "{\"route_to\":\"$USER_ID\"}"
expect_jq ".route_to == \"$USER_ID\"" "route a number to a user"
req PATCH "/v1/accounts/$A/numbers/%2B${N1#+}" "$ADMIN" '{"route_to":"shared"}'
expect_jq '.route_to == "shared"' "back to the shared inbox"
req PATCH "/v1/accounts/$A/numbers/%2B${N1#+}" "$USER" '{"route_to":"shared"}'
expect_problem 403 forbidden "a user may not route numbers"

# --- other accounts
req GET "/v1/accounts/$A/numbers" "$B_OWNER"
expect_problem 404 not-found "another account sees nothing of A's numbers"
req GET "/v1/accounts/$B/numbers/%2B${N1#+}" "$B_OWNER"
expect_problem 404 not-found "A's number is not B's"
req DELETE "/v1/accounts/$B/numbers/%2B${N1#+}" "$B_OWNER"
expect_problem 404 not-found "B cannot release A's number"
req GET "/v1/provider/numbers?account=$A" "$OP"
expect_jq '(.items | length) == 3 and all(.items[]; .status == "assigned" and .account_id != null)' "the provider sees A's numbers"

# --- release and quarantine
req DELETE "/v1/accounts/$A/numbers/%2B${N2#+}" "$ADMIN"
expect_status 204 "release a number"
req GET "/v1/accounts/$A/numbers/%2B${N2#+}" "$ADMIN"
expect_problem 404 not-found "released: no longer A's"
req GET "/v1/provider/numbers?status=quarantined" "$OP"
expect_jq "[.items[] | select(.number == \"$N2\" and .account_id == null)] | length == 1" "the number is quarantined"
req POST "/v1/accounts/$B/numbers" "$B_OWNER" '{"country":"FR","area_code":"2"}'
expect_problem 409 numbers-exhausted "a quarantined number is not handed out"
advance_clock $((29 * 24 * 60))
relogin
req POST "/v1/accounts/$B/numbers" "$B_OWNER" '{"country":"FR","area_code":"2"}'
expect_problem 409 numbers-exhausted "still quarantined after 29 days"
advance_clock $((24 * 60 + 1))
relogin
req GET "/v1/provider/numbers?status=available" "$OP"
expect_jq "[.items[].number] | index(\"$N2\") != null" "available again once the quarantine ended"
req POST "/v1/accounts/$B/numbers" "$B_OWNER" '{"country":"FR","area_code":"2"}'
expect_status 201 "requested again after the quarantine"
expect_jq ".number == \"$N2\" and .route_to == \"shared\"" "the same number, now B's"

# --- port-in requests
printf '%%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%%%EOF\n' > "$TMP/loa.pdf"
printf 'not a pdf at all' > "$TMP/loa.txt"
port() { # port TOKEN ACCOUNT CURL-FORM-ARGS...
	local token=$1 acc=$2
	shift 2
	STATUS=$(curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -H "Authorization: Bearer $token" \
		"$@" "$BASE/v1/accounts/$acc/port-requests")
	BODY=$(cat "$TMP/body")
	HEADERS="$TMP/headers"
}
port "$ADMIN" "$A" -F 'numbers=+33 4 00 00 00 01, +33400000002' -F 'numbers=+33400000003' \
	-F 'losing_carrier=Vieux Télécom' -F 'account_number_at_carrier=C-42' -F "loa=@$TMP/loa.pdf;type=application/pdf"
expect_status 201 "submit a port request with a PDF letter"
expect_jq '(.id | startswith("por_")) and .status == "submitted" and .numbers == ["+33400000001","+33400000002","+33400000003"] and .losing_carrier == "Vieux Télécom" and .account_number_at_carrier == "C-42" and (.loa_document_id | startswith("doc_")) and (.created_at | type) == "string"' \
	"the request, numbers normalized"
P1=$(jqr .id)
LOA_DOC=$(jqr .loa_document_id)
if [ -s "$DATA/docs/$LOA_DOC.fvb" ] && ! grep -q '%PDF' "$DATA/docs/$LOA_DOC.fvb"; then ok; else
	fail "the letter of authorization is not stored encrypted as $LOA_DOC"; fi
if grep -rqs --exclude-dir=docs '%PDF-1.4' "$DATA"; then fail "the letter in clear under the data directory"; else ok; fi
port "$ADMIN" "$A" -F 'numbers=+33400000009' -F 'losing_carrier=Vieux' -F "loa=@$TMP/loa.txt;type=application/pdf"
if [ "$STATUS" = 415 ] || [ "$STATUS" = 422 ]; then ok; else fail "a letter that is not a PDF: $STATUS $BODY"; fi
expect_jq '.type == "urn:faxvault:problem:document-unsupported" or .type == "urn:faxvault:problem:validation-failed"' "not a PDF: its kind"
port "$ADMIN" "$A" -F 'numbers=+33400000009' -F 'losing_carrier=Vieux'
expect_problem 422 validation-failed "no letter of authorization"
port "$ADMIN" "$A" -F 'numbers=0400000009' -F 'losing_carrier=Vieux' -F "loa=@$TMP/loa.pdf"
expect_problem 422 validation-failed "a number that is not E.164"
port "$ADMIN" "$A" -F "numbers=$N1" -F 'losing_carrier=Vieux' -F "loa=@$TMP/loa.pdf"
expect_problem 409 conflict "a number already in service here"
port "$USER" "$A" -F 'numbers=+33400000009' -F 'losing_carrier=Vieux' -F "loa=@$TMP/loa.pdf"
expect_problem 403 forbidden "a plain user may not port numbers"
port "$ADMIN" "$A" -F 'numbers=+33400000005' -F 'losing_carrier=Autre' -F "loa=@$TMP/loa.pdf"
expect_status 201 "a second request"
P2=$(jqr .id)
req POST "/v1/accounts/$A/port-requests" "$ADMIN" '{"numbers":["+33400000009"]}'
expect_problem 415 unsupported-media-type "JSON is not multipart"

req GET "/v1/accounts/$A/port-requests" "$ADMIN"
expect_jq '(.items | length) == 2' "the account's requests"
req GET "/v1/accounts/$A/port-requests/$P1" "$ADMIN"
expect_jq ".id == \"$P1\" and .status == \"submitted\"" "one request"
req GET "/v1/accounts/$B/port-requests/$P1" "$B_OWNER"
expect_problem 404 not-found "another account does not see the request"
req GET "/v1/accounts/$A/port-requests/$P1" "$B_OWNER"
expect_problem 404 not-found "nor A's account"
req GET "/v1/provider/port-requests?status=submitted" "$OP"
expect_jq "[.items[].id] == [\"$P1\", \"$P2\"]" "the provider's queue"

req POST "/v1/provider/port-requests/$P1/status" "$OP" '{"status":"completed"}'
expect_problem 409 invalid-state "submitted cannot jump to completed"
req POST "/v1/provider/port-requests/$P1/status" "$OP" '{"status":"in_progress"}'
expect_jq '.status == "in_progress"' "in progress"
req POST "/v1/provider/port-requests/$P1/status" "$OP" '{"status":"in_progress"}'
expect_problem 409 invalid-state "in progress twice"
req POST "/v1/provider/port-requests/$P1/status" "$OP" '{"status":"rejected"}'
expect_problem 422 validation-failed "a rejection needs a reason"
req POST "/v1/provider/port-requests/$P1/status" "$OP" '{"status":"completed","trunk":"nowhere"}'
expect_problem 422 validation-failed "completion on an unknown trunk"
req POST "/v1/provider/port-requests/$P1/status" "$OP" '{"status":"completed"}'
expect_jq '.status == "completed" and .trunk == "loopback"' "completed on the loopback trunk"
req POST "/v1/provider/port-requests/$P1/status" "$OP" '{"status":"rejected","reason":"too late"}'
expect_problem 409 invalid-state "a completed request is final"
req POST "/v1/provider/port-requests/$P1/status" "$A_OWNER" '{"status":"rejected","reason":"x"}'
expect_problem 403 forbidden "customers do not drive the workflow"
req GET "/v1/accounts/$A/numbers/%2B33400000002" "$ADMIN"
expect_jq '.status == "assigned" and .route_to == "shared" and .trunk == "loopback"' "ported numbers joined the account"
req GET "/v1/accounts/$A/numbers" "$ADMIN"
expect_jq '(.items | length) == 5' "A now has five numbers"

req POST "/v1/provider/port-requests/$P2/status" "$OP" '{"status":"rejected","reason":"signature missing on the letter"}'
expect_jq '.status == "rejected" and .reason == "signature missing on the letter"' "rejected with a reason"
req GET "/v1/accounts/$A/numbers/%2B33400000005" "$ADMIN"
expect_problem 404 not-found "a rejected request brings no number"
req POST /v1/provider/port-requests/por_nothing/status "$OP" '{"status":"in_progress"}'
expect_problem 404 not-found "unknown port request"

# --- notifications
req GET "/v1/accounts/$A/notifications" "$USER"
expect_status 200 "any member reads the notifications"
expect_jq "[.items[] | select(.target == \"$P1\") | .kind] == [\"port_request.status\",\"port_request.status\",\"port_request.status\"]" \
	"submitted, in progress, completed"
expect_jq "[.items[] | select(.target == \"$P2\")] | last | (.body.en | contains(\"signature missing\")) and (.body.fr | contains(\"signature missing\")) and (.subject.fr | contains(\"refusée\")) and (.subject.en | contains(\"rejected\"))" \
	"the rejection in English and French, with its reason"
req GET "/v1/accounts/$B/notifications" "$B_OWNER"
expect_jq '.items == []' "B has none of A's notifications"

# --- audit
req GET "/v1/accounts/$A/audit-events?limit=200" "$A_OWNER"
for action in number.assign number.route number.release port_request.create port_request.status; do
	expect_jq "[.items[].action] | index(\"$action\") != null" "audited: $action"
done
req POST /v1/provider/staff "$OP" '{"email":"sec@provider.example","name":"Sécurité","role":"security"}'
accept "$(jqr .invitation.token)" "journal chaine hache"
SEC=$(login sec@provider.example "journal chaine hache")
req GET "/v1/provider/audit-events?limit=200" "$SEC"
for action in trunk.create trunk.update numbers.import; do
	expect_jq "[.items[].action] | index(\"$action\") != null" "audited: $action"
done
if printf '%s' "$BODY" | grep -q digest-secret; then fail "trunk password in the audit log"; else ok; fi

finish
