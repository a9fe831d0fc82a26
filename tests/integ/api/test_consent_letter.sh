#!/usr/bin/env bash
# A consent given by a signed letter (R03, C18): the owner uploads the
# letter (a PDF, scanned by the anti-virus step, stored encrypted); the
# consent waits for an operator's review and lends nothing until approved;
# the operator reads the letter and approves or rejects it with a reason;
# all of it is in the account's audit log.
. "$(dirname "$0")/lib.sh"
start_daemon_mailing
# mails KIND CONSENT: the mails of KIND about CONSENT queued to the owner.
mails() { sqlite3 "$DATA/faxvault.db" "SELECT count(*) FROM mail_outbox WHERE kind='$1' AND to_addr='owner@customer.example' AND json_extract(params, '\$.consent_id')='$2'"; }

in_seconds() { date -u -d "@$(( $(clock_seconds) + $1 ))" +%Y-%m-%dT%H:%M:%SZ; }
printf '%%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%%%EOF\n' > "$TMP/letter.pdf"
printf 'not a pdf at all' > "$TMP/letter.txt"
letter() { # letter TOKEN CURL-FORM-ARGS...
	local token=$1
	shift
	STATUS=$(curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -H "Authorization: Bearer $token" \
		"$@" "$BASE/v1/accounts/$ACC/consents/letter")
	BODY=$(cat "$TMP/body")
	HEADERS="$TMP/headers"
}

OP=$(operator_token)
req POST /v1/partners "$OP" '{"name":"Reseller Inc"}'
PRT=$(jqr .id)
req PATCH "/v1/partners/$PRT" "$OP" '{"max_accounts":2}'
req POST "/v1/partners/$PRT/staff" "$OP" '{"email":"rep@reseller.example","name":"Rep"}'
accept "$(jqr .invitation.token)" "tulip garden 4417"
REP=$(login rep@reseller.example "tulip garden 4417")
req POST /v1/accounts "$REP" '{"name":"Customer Co","owner":{"email":"owner@customer.example","name":"Olga Owner"}}'
ACC=$(jqr .id)
accept "$(jqr .owner_invitation.token)" "copper lantern 5512"
OWN=$(login owner@customer.example "copper lantern 5512")
req POST "/v1/accounts/$ACC/users" "$OWN" '{"email":"adm@customer.example","name":"Adam","role":"admin"}'
accept "$(jqr .invitation.token)" "quiet harbour 7730"
ADM=$(login adm@customer.example "quiet harbour 7730")
req POST /v1/provider/staff "$OP" '{"email":"sue@provider.example","name":"Sue","role":"support"}'
accept "$(jqr .invitation.token)" "violet meadow 2290"
SUP=$(login sue@provider.example "violet meadow 2290")
EXP=$(in_seconds $((30 * 86400)))

# --- the owner uploads the letter
letter "$ADM" -F "partner_id=$PRT" -F 'scope=["users.manage"]' -F "expires_at=$EXP" -F "letter=@$TMP/letter.pdf;type=application/pdf"
expect_problem 403 forbidden "an administrator gives no consent"
letter "$OWN" -F "partner_id=$PRT" -F 'scope=["users.manage"]' -F "expires_at=$EXP"
expect_problem 422 validation-failed "the letter is required"
letter "$OWN" -F "partner_id=$PRT" -F 'scope=["users.manage"]' -F "expires_at=$EXP" -F "letter=@$TMP/letter.txt"
expect_problem 415 document-unsupported "the letter is a PDF"
letter "$OWN" -F "partner_id=$PRT" -F 'scope=["ownership.transfer"]' -F "expires_at=$EXP" -F "letter=@$TMP/letter.pdf"
expect_problem 422 validation-failed "a letter lends administrator powers only"
letter "$OWN" -F "partner_id=$PRT" -F 'scope=["users.manage"]' -F "expires_at=$EXP" -F "letter=@$TMP/letter.pdf;type=application/pdf"
expect_status 201 "the owner uploads a signed letter"
CNS=$(jqr .id)
expect_jq '.status == "pending_review" and .method == "letter" and .review.status == "pending_review" and .review.reason == null and .scope == ["users.manage"]' "it waits for review"

# --- nothing is lent before the review
req POST "/v1/accounts/$ACC/users" "$REP" '{"email":"u1@customer.example","name":"U1","role":"user"}'
expect_problem 403 forbidden "a letter waiting for review lends nothing"

# --- the operator's review
req GET /v1/provider/consents "$SUP"
expect_problem 403 forbidden "support staff review no letters"
req GET /v1/provider/consents "$OP"
expect_status 200 "the operator's queue"
expect_jq "[.items[].id] == [\"$CNS\"]" "the letter waits in it"
STATUS=$(curl -s -o "$TMP/got.pdf" -w '%{http_code}' -H "Authorization: Bearer $OP" "$BASE/v1/provider/consents/$CNS/letter")
if [ "$STATUS" = 200 ] && cmp -s "$TMP/got.pdf" "$TMP/letter.pdf"; then ok; else fail "the operator reads the letter as uploaded: $STATUS"; fi
req POST "/v1/provider/consents/$CNS/review" "$OP" '{"decision":"approve"}'
expect_problem 422 validation-failed "a review gives its reason"
req POST "/v1/provider/consents/$CNS/review" "$OP" '{"decision":"reject","reason":"the signature does not match the owner"}'
expect_status 200 "the operator rejects the letter"
expect_jq '.status == "rejected" and .review.reason == "the signature does not match the owner" and .review.reviewed_by != null' "rejected, with the reason"
[ "$(mails consent_rejected "$CNS")" = 1 ] && ok || fail "the owner is mailed the rejection once"
[ "$(sqlite3 "$DATA/faxvault.db" "SELECT json_extract(params, '\$.reason') FROM mail_outbox WHERE kind='consent_rejected'")" = "the signature does not match the owner" ] &&
	ok || fail "the rejection mail gives the reason"
[ "$(mails consent_started "$CNS")" = 0 ] && ok || fail "a letter waiting or rejected never starts"
req POST "/v1/provider/consents/$CNS/review" "$OP" '{"decision":"approve","reason":"changed my mind"}'
expect_problem 409 invalid-state "a letter is reviewed once"
req POST "/v1/accounts/$ACC/users" "$REP" '{"email":"u1@customer.example","name":"U1","role":"user"}'
expect_problem 403 forbidden "a rejected letter lends nothing"

letter "$OWN" -F "partner_id=$PRT" -F 'scope=full' -F "expires_at=$EXP" -F "letter=@$TMP/letter.pdf;type=application/pdf"
expect_status 201 "a second letter"
CNS2=$(jqr .id)
req POST "/v1/provider/consents/$CNS2/review" "$OP" '{"decision":"approve","reason":"signature checked against ID"}'
expect_status 200 "the operator approves it"
expect_jq '.status == "live" and .review.status == "approved" and .scope == "full"' "live once approved"
[ "$(mails consent_started "$CNS2")" = 1 ] && [ "$(mails consent_rejected "$CNS2")" = 0 ] && ok ||
	fail "the approval is mailed as a start, once"
req POST "/v1/accounts/$ACC/users" "$REP" '{"email":"u1@customer.example","name":"U1","role":"user"}'
expect_status 201 "the partner acts under the approved letter"
req GET "/v1/provider/consents?review=approved" "$OP"
expect_jq "[.items[].id] == [\"$CNS2\"]" "the approved ones"
req GET "/v1/provider/consents?review=maybe" "$OP"
expect_problem 400 invalid-parameter "an unknown review state"

# --- all of it in the customer's audit log
req GET "/v1/accounts/$ACC/audit-events?action=consent.review" "$OWN"
expect_jq "[.items[] | .target] | sort == ([\"$CNS\", \"$CNS2\"] | sort)" "both reviews in the account's log"
expect_jq "[.items[] | select(.target == \"$CNS\")][0].detail.reason == \"the signature does not match the owner\"" "with their reasons"
req GET "/v1/accounts/$ACC/audit-events?action=consent.letter.read" "$OWN"
expect_jq "[.items[] | select(.target == \"$CNS\")] | length == 1" "the operator's read of the letter too"
req GET "/v1/accounts/$ACC/audit-events?action=user.create" "$OWN"
expect_jq "[.items[] | select(.detail.consent_id == \"$CNS2\")] | length == 1" "the partner's act under the letter"

finish
