#!/usr/bin/env bash
# Issue 18's "done when", end to end, with the mails it requires: a partner
# admin creates a customer account (within the provider's account limit)
# and configures it; the owner gives a 7-day users.manage consent (mailed
# once); the partner adds a user under it (attributed in the customer's
# audit, "done by <staff> (<partner>) under consent <id>"; the first use
# mailed once); the owner revokes and the next partner call is refused
# (the end mailed once); a second consent expires on the test clock and the
# service's pass mails its end once; a support engineer's request is
# approved, used and expires; a config.read request is approved at once
# where the account chose so; break-glass needs a reason and is mailed at
# once; everything shows in the account's access-transparency list; a
# cancelled closure is mailed to the owner.
. "$(dirname "$0")/lib.sh"
start_daemon_mailing
# outbox KIND [TO]: how many mails of KIND were queued (to TO).
outbox() { db_query "SELECT count(*) FROM mail_outbox WHERE kind='$1'${2:+ AND to_addr='$2'}"; }
# params KIND KEY: the values of KEY in the parameters of the mails of KIND.
params() { db_query "SELECT params FROM mail_outbox WHERE kind='$1'" | jq -r ".$2"; }
# mailed KIND TO N WHAT: exactly N mails of KIND to TO.
mailed() {
	local n
	n=$(outbox "$1" "$2")
	[ "$n" = "$3" ] && ok || fail "$4 ($1 to $2: $n, not $3)"
}
in_seconds() { date -u -d "@$(( $(clock_seconds) + $1 ))" +%Y-%m-%dT%H:%M:%SZ; }
OWNER=owner@customer.example
signin_all() {
	OP=$(operator_token)
	PA=$(login pa@reseller.example "tulip garden 4417")
	PA2=$(login pa@other.example "maple river 9921")
	OWN=$(login $OWNER "copper lantern 5512")
	SUP=$(login sue@provider.example "violet meadow 2290")
}

OP=$(operator_token)
req POST /v1/partners "$OP" '{"name":"Reseller Inc"}'
PRT=$(jqr .id)
req PATCH "/v1/partners/$PRT" "$OP" '{"max_accounts":1}'
expect_status 200 "the provider lets the partner hold one account"
req POST "/v1/partners/$PRT/staff" "$OP" '{"email":"pa@reseller.example","name":"Pat Admin"}'
PA_ID=$(jqr .id); accept "$(jqr .invitation.token)" "tulip garden 4417"
req POST /v1/partners "$OP" '{"name":"Other Reseller"}'
PRT2=$(jqr .id)
req POST "/v1/partners/$PRT2/staff" "$OP" '{"email":"pa@other.example","name":"Other Admin"}'
accept "$(jqr .invitation.token)" "maple river 9921"
req POST /v1/provider/staff "$OP" '{"email":"sue@provider.example","name":"Sue Support","role":"support"}'
SUP_ID=$(jqr .id); accept "$(jqr .invitation.token)" "violet meadow 2290"
PA=$(login pa@reseller.example "tulip garden 4417")
PA2=$(login pa@other.example "maple river 9921")
SUP=$(login sue@provider.example "violet meadow 2290")

# --- 1. the partner admin creates and configures a customer account
req POST /v1/accounts "$PA" "{\"name\":\"Customer Co\",\"owner\":{\"email\":\"$OWNER\",\"name\":\"Olga Owner\"}}"
expect_status 201 "the partner admin creates a customer account"
ACC=$(jqr .id)
expect_jq ".partner_id == \"$PRT\"" "for its own partner"
OWN_TOKEN=$(jqr .owner_invitation.token)
req POST /v1/accounts "$PA" '{"name":"Second Co","owner":{"email":"o2@second.example","name":"O2"}}'
expect_problem 403 partner-limit-reached "a second account is beyond the provider's limit"
req POST /v1/accounts "$PA" '{"name":"Second Co","owner":{"email":"o2@second.example","name":"O2"}}' -H 'Accept-Language: fr'
expect_jq '.title == "Le partenaire a atteint une limite fixée par le fournisseur"' "the limit's problem in French"
req PATCH "/v1/accounts/$ACC" "$PA" '{"fax_header":"Customer Co Paris"}'
expect_status 200 "the partner admin configures its customer's account"
expect_jq '.fax_header == "Customer Co Paris"' "configured"
req PATCH "/v1/accounts/$ACC" "$PA" '{"currency":"USD"}'
expect_problem 403 forbidden "the currency stays the provider's"
req PATCH "/v1/accounts/$ACC" "$PA2" '{"fax_header":"Mine"}'
expect_problem 404 not-found "another partner's staff do not see the account"
req POST "/v1/accounts/$ACC/suspend" "$PA"
expect_jq '.status == "suspended"' "the partner admin suspends it"
req POST "/v1/accounts/$ACC/reactivate" "$PA"
expect_jq '.status == "active"' "and reactivates it"
accept "$OWN_TOKEN" "copper lantern 5512"
OWN=$(login $OWNER "copper lantern 5512")

# --- 2. the owner gives a 7-day users.manage consent
req POST "/v1/accounts/$ACC/users" "$PA" '{"email":"u1@customer.example","name":"Una User","role":"user"}'
expect_problem 403 forbidden "no administration without a consent"
req POST "/v1/accounts/$ACC/consents" "$OWN" "{\"partner_id\":\"$PRT\",\"scope\":[\"users.manage\"],\"expires_at\":\"$(in_seconds $((400 * 86400)))\"}"
expect_problem 422 validation-failed "a consent beyond the provider's maximum"
req POST "/v1/accounts/$ACC/consents" "$OWN" "{\"partner_id\":\"$PRT\",\"scope\":[\"users.manage\"],\"expires_at\":\"$(in_seconds $((7 * 86400)))\",\"text_version\":\"consent-1999-01\"}"
expect_problem 422 validation-failed "an outdated text version"
req POST "/v1/accounts/$ACC/consents" "$OWN" "{\"partner_id\":\"$PRT\",\"scope\":[\"users.manage\"],\"expires_at\":\"$(in_seconds $((7 * 86400)))\"}"
expect_status 201 "the owner gives a 7-day users.manage consent"
CNS=$(jqr .id)
VERSION=$(jqr .text_version)
expect_jq '.status == "live" and .scope == ["users.manage"] and .signer_id != null and .method == "in-session" and (.text.en | test("Reseller Inc")) and (.text.fr | test("Reseller Inc"))' \
	"the consent records its signer, scope and the texts agreed to"
mailed consent_started $OWNER 1 "the owner is mailed once when the consent starts"
req GET "/v1/accounts/$ACC/consents" "$OWN"
expect_jq "[.items[] | select(.id == \"$CNS\")][0].text_version == \"$VERSION\" and .text_version == \"$VERSION\"" "the text version is kept with the consent"

# --- 3. the partner adds a user under it
req POST "/v1/accounts/$ACC/users" "$PA" '{"email":"u1@customer.example","name":"Una User","role":"user"}'
expect_status 201 "the partner adds a user under the consent"
U1=$(jqr .id)
req GET "/v1/accounts/$ACC/users" "$PA"
expect_status 200 "and lists the members"
req PATCH "/v1/accounts/$ACC/security" "$PA" '{"password_policy":{"history":0}}'
expect_problem 403 forbidden "security.manage is beyond the consent's scope"
req POST "/v1/accounts/$ACC/users" "$PA2" '{"email":"u2@customer.example","name":"U2","role":"user"}'
expect_problem 404 not-found "partner staff of X on an account of Y"
mailed consent_used $OWNER 1 "the owner is mailed once at the first use"
req GET "/v1/accounts/$ACC/audit-events?action=user.create" "$OWN"
expect_jq "[.items[] | select(.target == \"$U1\" and .actor.id == \"$PA_ID\" and .detail.consent_id == \"$CNS\")] | length == 1" \
	"the creation is in the customer's audit, by the partner's person, with the consent"
expect_jq "[.items[] | select(.target == \"$U1\")][0].delegation | .kind == \"consent\" and .id == \"$CNS\" and .by.name == \"Pat Admin\" and .partner.id == \"$PRT\" and .text.en == \"done by Pat Admin (Reseller Inc) under consent $CNS\" and .text.fr == \"fait par Pat Admin (Reseller Inc) au titre du consentement $CNS\"" \
	"shown to the customer: done by the partner's staff under the consent"
req GET "/v1/accounts/$ACC/audit-events?action=consent.create" "$OWN"
expect_jq '.items[0].delegation == null' "the owner's own acts are not delegated"

# --- 4. the owner revokes: the next partner call is refused
req DELETE "/v1/accounts/$ACC/consents/$CNS" "$OWN"
expect_status 204 "the owner revokes"
req DELETE "/v1/accounts/$ACC/users/$U1" "$PA"
expect_problem 403 forbidden "the next partner call after revocation"
mailed consent_ended $OWNER 1 "the owner is mailed once when the consent ends"

# --- 5. a consent that expires: the service's pass finds it on the test clock
req POST "/v1/accounts/$ACC/consents" "$OWN" "{\"partner_id\":\"$PRT\",\"scope\":\"full\",\"expires_at\":\"$(in_seconds 3600)\"}"
expect_status 201 "a one-hour full consent"
CNS2=$(jqr .id)
mailed consent_started $OWNER 2 "its start is mailed"
advance_clock 61
signin_all
req GET "/v1/accounts/$ACC/users" "$PA"
expect_problem 403 forbidden "the next partner call after expiry"
expired_audited() {
	req GET "/v1/accounts/$ACC/audit-events?action=consent.expire" "$OWN"
	[ "$(jq --arg c "$CNS2" '[.items[] | select(.target == $c)] | length' "$TMP/body")" = 1 ]
}
poll_until 120 expired_audited
expect_jq "[.items[] | select(.target == \"$CNS2\")][0].actor.id == \"system:consents\"" "the service's pass notices the expiry"
mailed consent_ended $OWNER 2 "the expiry is mailed once, in the same transaction"
if [ "$(params consent_ended consent_id | grep -c "^$CNS2\$")" = 1 ]; then
	ok; else fail "the expiry mail names the expired consent"; fi

# --- 6. a support engineer's grant: requested, approved, used, expired
req POST "/v1/accounts/$ACC/access-grants" "$SUP" '{"scope":"data.read","reason":"TICKET-42 missing fax","duration_minutes":60}'
expect_status 201 "support asks for data.read access"
GRT=$(jqr .id)
expect_jq '.status == "requested"' "the request waits"
mailed access_requested $OWNER 1 "the owner is mailed the request"
req GET "/v1/accounts/$ACC/users" "$SUP"
expect_problem 403 forbidden "nothing is open before the approval"
req POST "/v1/accounts/$ACC/access-grants/$GRT/approve" "$OWN"
expect_status 200 "the owner approves"
req GET "/v1/accounts/$ACC/users" "$SUP"
expect_status 200 "support reads under the grant"
req GET "/v1/accounts/$ACC/audit-events?action=user.list" "$OWN"
expect_jq "[.items[] | select(.actor.id == \"$SUP_ID\" and .detail.grant_id == \"$GRT\" and .delegation.kind == \"access_grant\" and .delegation.text.en == \"done by Sue Support (provider staff) under access grant $GRT\")] | length == 1" \
	"the staff read is in the account's audit, tied to the grant, by name"
advance_clock 61
signin_all
req GET "/v1/accounts/$ACC/users" "$SUP"
expect_problem 403 forbidden "the support grant expired"

# --- 7. automatic approval for config-only scopes, where the account chose it
req POST "/v1/accounts/$ACC/access-grants" "$SUP" '{"scope":"config.read","reason":"TICKET-43 routing","duration_minutes":30}'
expect_jq '.status == "requested"' "by default a config.read request waits too"
CFG1=$(jqr .id)
req GET "/v1/accounts/$ACC/security" "$OWN"
expect_jq '.access_grants_auto_config == false' "automatic approval is off by default"
req PATCH "/v1/accounts/$ACC/security" "$OWN" '{"access_grants_auto_config":"yes"}'
expect_problem 422 validation-failed "a boolean"
req PATCH "/v1/accounts/$ACC/security" "$OWN" '{"access_grants_auto_config":true}'
expect_jq '.access_grants_auto_config == true' "the owner chooses automatic approval for configuration reads"
req POST "/v1/accounts/$ACC/access-grants" "$SUP" '{"scope":"config.read","reason":"TICKET-44 routing","duration_minutes":30}'
expect_status 201 "support asks for config.read"
CFG2=$(jqr .id)
expect_jq '.status == "approved" and .decided_by == "system:auto-approval" and .expires_at != null' "approved at once"
mailed access_auto_approved $OWNER 1 "the owner is told of the automatic approval"
req GET "/v1/accounts/$ACC/security" "$SUP"
expect_status 200 "support reads the configuration under it"
req GET "/v1/accounts/$ACC/users" "$SUP"
expect_problem 403 forbidden "but no data"
req POST "/v1/accounts/$ACC/access-grants" "$SUP" '{"scope":"data.read","reason":"TICKET-45","duration_minutes":30}'
expect_jq '.status == "requested"' "a data scope still waits for an approval"
DATA_REQ=$(jqr .id)

# --- 8. break-glass: a reason, a short ceiling, the owner told at once
req POST "/v1/accounts/$ACC/access-grants" "$OP" '{"scope":"data.read","duration_minutes":30,"break_glass":true}'
expect_problem 422 validation-failed "break-glass without a reason"
req POST "/v1/accounts/$ACC/access-grants" "$OP" '{"scope":"data.read","reason":"INC-9","duration_minutes":600,"break_glass":true}'
expect_problem 422 validation-failed "break-glass beyond its ceiling"
mailed access_break_glass $OWNER 0 "nothing mailed for refused break-glass"
req POST "/v1/accounts/$ACC/access-grants" "$OP" '{"scope":"data.read","reason":"INC-9 outage","duration_minutes":30,"break_glass":true}'
expect_status 201 "break-glass access"
BG=$(jqr .id)
mailed access_break_glass $OWNER 1 "the owner is mailed at once"

# --- 9. the access-transparency list: everything, past and present
req GET "/v1/accounts/$ACC/access-grants" "$OWN"
expect_jq "(.items | length) == 5 and
	([.items[] | select(.id == \"$GRT\")][0] | .status == \"expired\" and .staff_id == \"$SUP_ID\" and .reason == \"TICKET-42 missing fax\") and
	([.items[] | select(.id == \"$CFG1\")][0].status == \"requested\") and
	([.items[] | select(.id == \"$CFG2\")][0].decided_by == \"system:auto-approval\") and
	([.items[] | select(.id == \"$DATA_REQ\")][0].status == \"requested\") and
	([.items[] | select(.id == \"$BG\")][0] | .break_glass and .status == \"approved\")" \
	"the list shows every grant with its state"
req GET "/v1/accounts/$ACC/consents" "$OWN"
expect_jq "([.items[] | select(.id == \"$CNS\")][0].status == \"revoked\") and ([.items[] | select(.id == \"$CNS2\")][0].status == \"expired\")" \
	"and the consents past"
req PATCH "/v1/partners/$PRT" "$OP" '{"name":"Reseller Renamed"}'
expect_status 200 "the provider renames the partner"
req GET "/v1/accounts/$ACC/consents" "$OWN"
expect_jq "[.items[] | select(.id == \"$CNS\")][0].text | (.en | test(\"Reseller Inc\")) and (.fr | test(\"Reseller Inc\")) and (.en + .fr | test(\"Renamed\") | not)" \
	"the texts agreed to are kept with the consent, as they were read"

# --- 10. a cancelled closure is mailed to the owner
req POST "/v1/accounts/$ACC/closure" "$OWN" '{"reason":"moving"}'
expect_status 201 "the owner closes the account"
req DELETE "/v1/accounts/$ACC/closure" "$OWN"
expect_status 200 "and cancels the closure"
mailed account_closure_cancelled $OWNER 1 "the cancellation is mailed once"
if [ "$(params account_closure_cancelled by_en)" = "Olga Owner" ]; then
	ok; else fail "the mail names who cancelled"; fi

finish
