#!/usr/bin/env bash
# Consent-backed delegation (R03, C18): the owner of an account gives a
# partner a time-boxed scope of administration; the partner's staff act
# under it, attributed in the account's audit log with the consent id; a
# revocation, and an expiry by the test clock, hold from the next request.
. "$(dirname "$0")/lib.sh"
start_daemon

# in_seconds N: the RFC 3339 time N seconds after the daemon's clock.
in_seconds() { date -u -d "@$(( $(clock_seconds) + $1 ))" +%Y-%m-%dT%H:%M:%SZ; }
# give PARTNER SCOPE SECONDS: the owner gives a consent (SCOPE as JSON).
# signin_all: after the clock moved past the idle timeout, everyone signs in
# again.
signin_all() {
	REP=$(login rep@reseller.example "tulip garden 4417")
	REP2=$(login rep@other.example "maple river 9921")
	OWN=$(login owner@customer.example "copper lantern 5512")
	ADM=$(login adm@customer.example "quiet harbour 7730")
	OP=$(operator_token)
	[ -z "${SUP_ID:-}" ] || SUP=$(login sue@provider.example "violet meadow 2290")
}
give() {
	req POST "/v1/accounts/$ACC/consents" "$OWN" "{\"partner_id\":\"$1\",\"scope\":$2,\"expires_at\":\"$(in_seconds "$3")\"}"
}

OP=$(operator_token)
req POST /v1/partners "$OP" '{"name":"Reseller Inc"}'
PRT=$(jqr .id)
req POST /v1/partners "$OP" '{"name":"Other Reseller"}'
PRT2=$(jqr .id)
req POST "/v1/partners/$PRT/staff" "$OP" '{"email":"rep@reseller.example","name":"Rep"}'
REP_ID=$(jqr .id); accept "$(jqr .invitation.token)" "tulip garden 4417"
REP=$(login rep@reseller.example "tulip garden 4417")
req POST "/v1/partners/$PRT2/staff" "$OP" '{"email":"rep@other.example","name":"Other Rep"}'
accept "$(jqr .invitation.token)" "maple river 9921"
REP2=$(login rep@other.example "maple river 9921")

req POST /v1/accounts "$OP" "{\"name\":\"Customer Co\",\"partner_id\":\"$PRT\",\"owner\":{\"email\":\"owner@customer.example\",\"name\":\"Olga Owner\"}}"
expect_status 201 "account of the partner"
ACC=$(jqr .id)
accept "$(jqr .owner_invitation.token)" "copper lantern 5512"
OWN=$(login owner@customer.example "copper lantern 5512")
req POST "/v1/accounts/$ACC/users" "$OWN" '{"email":"adm@customer.example","name":"Adam Admin","role":"admin"}'
accept "$(jqr .invitation.token)" "quiet harbour 7730"
ADM=$(login adm@customer.example "quiet harbour 7730")

# --- before any consent: the partner sees the account, not its administration
req POST "/v1/accounts/$ACC/users" "$REP" '{"email":"u1@customer.example","name":"U1","role":"user"}'
expect_problem 403 forbidden "no administration without a consent"

# --- only the owner, in person, gives a consent
EXP=$(in_seconds $((7 * 86400)))
CONSENT="{\"partner_id\":\"$PRT\",\"scope\":[\"users.manage\"],\"expires_at\":\"$EXP\"}"
req POST "/v1/accounts/$ACC/consents" "$ADM" "$CONSENT"
expect_problem 403 forbidden "an administrator cannot give a consent"
req POST "/v1/accounts/$ACC/consents" "$REP" "$CONSENT"
expect_problem 403 forbidden "the partner cannot give itself a consent"
give "$PRT" '"full"' $((400 * 86400))
expect_problem 422 validation-failed "a consent longer than partners.consent_max_days"
give "$PRT" '["ownership.transfer"]' 86400
expect_problem 422 validation-failed "a consent lends administrator powers only"
req POST "/v1/accounts/$ACC/consents" "$OWN" "$CONSENT"
expect_status 201 "the owner gives a 7-day users.manage consent"
CNS=$(jqr .id)
expect_jq '.status == "live" and .scope == ["users.manage"] and .method == "in-session" and (.text_version | length > 0) and (.text.en | test("Reseller Inc")) and (.text.fr | length > 0)' "consent record"
req GET "/v1/accounts/$ACC/consents" "$ADM"
expect_jq "[.items[].id] == [\"$CNS\"]" "administrators see the consent"
req GET "/v1/accounts/$ACC/consents" "$REP"
expect_jq "[.items[].id] == [\"$CNS\"]" "the partner sees the consent it holds"

# --- the partner acts under it, within its scope only
req POST "/v1/accounts/$ACC/users" "$REP" '{"email":"u1@customer.example","name":"U1","role":"user"}'
expect_status 201 "the partner adds a user under the consent"
U1=$(jqr .id)
req POST "/v1/accounts/$ACC/users" "$REP" '{"email":"a2@customer.example","name":"A2","role":"admin"}'
expect_problem 403 forbidden "admins.manage is not in the consent"
req PATCH "/v1/accounts/$ACC/security" "$REP" '{"password_policy":{"history":0}}'
expect_problem 403 forbidden "security.manage is not in the consent"
req GET "/v1/accounts/$ACC/users" "$REP2"
expect_problem 404 not-found "another partner's staff: the account does not exist"
req GET "/v1/accounts/$ACC/audit-events?action=user.create" "$OWN"
expect_jq "[.items[] | select(.target == \"$U1\" and .actor.id == \"$REP_ID\" and .detail.consent_id == \"$CNS\")] | length == 1" \
	"the user's creation is in the customer's audit, by the partner's person, under the consent"
req GET "/v1/accounts/$ACC/audit-events?action=consent.first_use" "$OWN"
expect_jq "[.items[] | select(.target == \"$CNS\")] | length == 1" "the first use is recorded once"

# --- revocation: the next partner call is refused
req DELETE "/v1/accounts/$ACC/consents/$CNS" "$ADM"
expect_problem 403 forbidden "an administrator cannot revoke the owner's consent"
req DELETE "/v1/accounts/$ACC/consents/$CNS" "$OWN"
expect_status 204 "the owner revokes"
req DELETE "/v1/accounts/$ACC/users/$U1" "$REP"
expect_problem 403 forbidden "the next partner call after revocation"
req DELETE "/v1/accounts/$ACC/consents/$CNS" "$OWN"
expect_problem 404 not-found "a revoked consent is revoked once"
req GET "/v1/accounts/$ACC/consents" "$OWN"
expect_jq ".items[0].status == \"revoked\" and .items[0].revoked_at != null and .items[0].first_used_at != null" "the revoked consent stays listed"

# --- expiry by the clock
give "$PRT" '"full"' 3600
expect_status 201 "a one-hour full consent"
CNS2=$(jqr .id)
expect_jq '.scope == "full" and (.permissions | length) == 7' "full is the seven powers"
req GET "/v1/accounts/$ACC/users/$U1" "$REP"
expect_status 200 "the partner reads a member under it"
advance_clock 61
signin_all
req GET "/v1/accounts/$ACC/users/$U1" "$REP"
expect_problem 403 forbidden "the next call after expiry"
req GET "/v1/accounts/$ACC/consents" "$OWN"
expect_jq "[.items[] | select(.id == \"$CNS2\")][0].status == \"expired\"" "the consent shows expired"
# The service's periodic pass notices the end once: audited by the system,
# and the owner is told by mail (the outbox row).
expired_audited() {
	req GET "/v1/accounts/$ACC/audit-events?action=consent.expire" "$OWN"
	[ "$(jq --arg c "$CNS2" '[.items[] | select(.target == $c)] | length' "$TMP/body")" = 1 ]
}
poll_until 120 expired_audited
expect_jq "[.items[] | select(.target == \"$CNS2\")][0].actor.id == \"system:consents\"" "the expiry is audited once, by the sweep"

# --- a consent to a partner that did not provision the account
give "$PRT2" '["data.read"]' 86400
expect_status 201 "a consent to another partner"
CNS3=$(jqr .id)
req GET "/v1/accounts/$ACC/users" "$REP2"
expect_status 200 "its staff reach the account under it"
req GET "/v1/accounts/$ACC/users" "$REP"
expect_problem 403 forbidden "the provisioning partner gains nothing from it"
req GET "/v1/accounts/$ACC/audit-events?action=user.list" "$OWN"
expect_jq "[.items[] | select(.detail.consent_id == \"$CNS3\")] | length == 1" "attributed to the consent"

# --- support access grants (P06, P11)
req POST /v1/provider/staff "$OP" '{"email":"sue@provider.example","name":"Sue Support","role":"support"}'
SUP_ID=$(jqr .id); accept "$(jqr .invitation.token)" "violet meadow 2290"
SUP=$(login sue@provider.example "violet meadow 2290")
req GET "/v1/accounts/$ACC/users" "$SUP"
expect_problem 403 forbidden "support staff see no customer data without a grant"
req POST "/v1/accounts/$ACC/access-grants" "$SUP" '{"scope":"data.read","reason":" ","duration_minutes":60}'
expect_problem 422 validation-failed "a grant needs a reason"
req POST "/v1/accounts/$ACC/access-grants" "$SUP" '{"scope":"data.read","reason":"TICKET-42","duration_minutes":100000}'
expect_problem 422 validation-failed "a grant longer than access.grant_max_hours"
req POST "/v1/accounts/$ACC/access-grants" "$SUP" '{"scope":"data.read","reason":"TICKET-42","duration_minutes":60,"break_glass":true}'
expect_problem 403 forbidden "break-glass is for operators"
req POST "/v1/accounts/$ACC/access-grants" "$SUP" '{"scope":"data.read","reason":"TICKET-42","duration_minutes":60}'
expect_status 201 "support asks for data.read access"
GRT=$(jqr .id)
expect_jq '.status == "requested" and .reason == "TICKET-42" and .expires_at == null' "the request waits"
req GET "/v1/accounts/$ACC/users" "$SUP"
expect_problem 403 forbidden "nothing is open before approval"
req POST "/v1/accounts/$ACC/access-grants/$GRT/approve" "$SUP"
expect_problem 403 forbidden "staff cannot approve their own request"
req POST "/v1/accounts/$ACC/access-grants/$GRT/approve" "$OWN"
expect_status 200 "the owner approves"
expect_jq '.status == "approved" and .expires_at != null' "in force"
req POST "/v1/accounts/$ACC/access-grants/$GRT/approve" "$OWN"
expect_problem 409 invalid-state "approved once"
req GET "/v1/accounts/$ACC/users" "$SUP"
expect_status 200 "support reads under the grant"
req POST "/v1/accounts/$ACC/users" "$SUP" '{"email":"u9@customer.example","name":"U9","role":"user"}'
expect_problem 403 forbidden "the grant lends data.read, not users.manage"
req GET "/v1/accounts/$ACC/audit-events?action=user.list" "$OWN"
expect_jq "[.items[] | select(.actor.id == \"$SUP_ID\" and .detail.grant_id == \"$GRT\")] | length == 1" \
	"the staff read is in the account's audit, tied to the grant"
advance_clock 61
signin_all
req GET "/v1/accounts/$ACC/users" "$SUP"
expect_problem 403 forbidden "the next call after the grant expired"

# Break-glass: an operator, with a reason, at once; the owner is told.
req POST "/v1/accounts/$ACC/access-grants" "$OP" '{"scope":"config.read","reason":"","duration_minutes":30,"break_glass":true}'
expect_problem 422 validation-failed "break-glass without a reason"
req POST "/v1/accounts/$ACC/access-grants" "$OP" '{"scope":"config.read","reason":"INC-7 outage","duration_minutes":120,"break_glass":true}'
expect_problem 422 validation-failed "break-glass beyond access.break_glass_max_minutes"
req POST "/v1/accounts/$ACC/access-grants" "$OP" '{"scope":"config.read","reason":"INC-7 outage","duration_minutes":30,"break_glass":true}'
expect_status 201 "break-glass access"
BG=$(jqr .id)
expect_jq '.status == "approved" and .break_glass == true' "in force at once"
req POST "/v1/accounts/$ACC/access-grants/$BG/revoke" "$ADM"
expect_status 200 "an administrator ends it"
expect_jq '.status == "revoked"' "ended"

# The access-transparency list: every grant, past and present.
req GET "/v1/accounts/$ACC/access-grants" "$ADM"
expect_jq "([.items[] | select(.id == \"$GRT\")][0] | .status == \"expired\" and .staff_id == \"$SUP_ID\" and .reason == \"TICKET-42\") and ([.items[] | select(.id == \"$BG\")][0].break_glass == true) and (.items | length) == 2" \
	"the list shows the expired grant and the ended break-glass"
req GET "/v1/accounts/$ACC/audit-events?action=access_grant.break_glass" "$OWN"
expect_jq "[.items[] | select(.target == \"$BG\" and .detail.reason == \"INC-7 outage\")] | length == 1" "break-glass audited with its reason"

# --- partner self-service (R01, R02): within the provider's limit
signin_all
req POST /v1/accounts "$REP" '{"name":"Self Co","owner":{"email":"o@self.example","name":"O"}}'
expect_problem 403 partner-limit-reached "no self-service until the provider sets a limit"
req PATCH "/v1/partners/$PRT" "$REP" '{"max_accounts":5}'
expect_problem 403 forbidden "a partner does not set its own limit"
req PATCH "/v1/partners/$PRT" "$OP" '{"max_accounts":2}'
expect_jq '.max_accounts == 2' "the provider lets partner 1 hold 2 accounts"
req POST /v1/accounts "$REP" "{\"name\":\"Self Co\",\"partner_id\":\"$PRT2\",\"owner\":{\"email\":\"o@self.example\",\"name\":\"O\"}}"
expect_status 201 "the partner admin creates a customer account"
SELF=$(jqr .id)
expect_jq ".partner_id == \"$PRT\" and (.owner_invitation.token | length > 0)" "for its own partner, whatever it asks"
req POST /v1/accounts "$REP" '{"name":"One Too Many","owner":{"email":"o2@self.example","name":"O2"}}'
expect_problem 403 partner-limit-reached "beyond the limit (Customer Co and Self Co)"
req POST "/v1/accounts/$SELF/suspend" "$REP"
expect_jq '.status == "suspended"' "the partner suspends its customer"
req POST "/v1/accounts/$SELF/reactivate" "$REP"
expect_jq '.status == "active"' "and reactivates it"
req POST "/v1/accounts/$SELF/close" "$REP"
expect_problem 403 forbidden "closing stays the provider's"
req POST "/v1/accounts/$SELF/suspend" "$REP2"
expect_problem 404 not-found "partner staff of X on an account of Y"
req POST "/v1/accounts/$ACC/suspend" "$REP2"
expect_problem 403 forbidden "a consent lends its scope, not the partner's own powers"

finish
