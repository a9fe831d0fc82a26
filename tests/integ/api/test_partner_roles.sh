#!/usr/bin/env bash
# Partner roles (R01, R02): a partner's admins manage their own staff and
# give them roles; partner support reads the configuration and usage of the
# partner's accounts and changes nothing; partner billing sees usage and
# plans; the partner's view of its accounts carries usage, call totals,
# plan and a posture summary per account, and each account's log records
# it. A config.read support grant (P11) lends read access to the account's
# configuration, not its data.
. "$(dirname "$0")/lib.sh"
start_daemon --set webhooks.allow_cidrs=127.0.0.1/32

OP=$(operator_token)
req POST /v1/partners "$OP" '{"name":"Reseller Inc"}'
PRT=$(jqr .id)
req PATCH "/v1/partners/$PRT" "$OP" '{"max_accounts":5}'
req POST /v1/partners "$OP" '{"name":"Other Reseller"}'
PRT2=$(jqr .id)
req POST "/v1/partners/$PRT/staff" "$OP" '{"email":"pa@reseller.example","name":"Pat Admin"}'
expect_status 201 "the provider invites the partner's first admin"
expect_jq '.role == "partner_admin"' "partner_admin by default"
PA_ID=$(jqr .id); accept "$(jqr .invitation.token)" "tulip garden 4417"
PA=$(login pa@reseller.example "tulip garden 4417")
req POST "/v1/partners/$PRT2/staff" "$OP" '{"email":"pa@other.example","name":"Other Admin"}'
accept "$(jqr .invitation.token)" "maple river 9921"
PA2=$(login pa@other.example "maple river 9921")

# --- the partner's admin gives its staff their roles
req POST "/v1/partners/$PRT/staff" "$PA" '{"email":"ps@reseller.example","name":"Sam Support","role":"partner_support"}'
expect_status 201 "the partner admin invites a support member"
expect_jq '.role == "partner_support"' "with the role chosen"
PS_ID=$(jqr .id); accept "$(jqr .invitation.token)" "violet meadow 2290"
PS=$(login ps@reseller.example "violet meadow 2290")
req POST "/v1/partners/$PRT/staff" "$PA" '{"email":"pb@reseller.example","name":"Bea Billing","role":"partner_billing"}'
expect_status 201 "the partner admin invites a billing member"
PB_ID=$(jqr .id); accept "$(jqr .invitation.token)" "quiet harbour 7730"
PB=$(login pb@reseller.example "quiet harbour 7730")
req POST "/v1/partners/$PRT/staff" "$PA" '{"email":"px@reseller.example","name":"X","role":"operator"}'
expect_problem 422 validation-failed "a provider role is no partner role"
req POST "/v1/partners/$PRT2/staff" "$PA" '{"email":"py@reseller.example","name":"Y"}'
expect_problem 404 not-found "another partner's staff do not exist for it"
req POST "/v1/partners/$PRT/staff" "$PS" '{"email":"pz@reseller.example","name":"Z"}'
expect_problem 403 forbidden "partner support does not manage staff"
req PATCH "/v1/partners/$PRT/staff/$PS_ID" "$PA2" '{"role":"partner_admin"}'
expect_problem 404 not-found "another partner's admin cannot change it"
req PATCH "/v1/partners/$PRT/staff/$PA_ID" "$PA" '{"role":"partner_support"}'
expect_problem 409 conflict "the last active partner admin keeps the role"
req DELETE "/v1/partners/$PRT/staff/$PA_ID" "$PA"
expect_problem 409 conflict "the last active partner admin cannot be removed"
req GET "/v1/partners/$PRT/staff" "$PB"
expect_jq "[.items[] | {id, role}] | map(select(.id == \"$PS_ID\"))[0].role == \"partner_support\"" "every partner role sees its colleagues"

# --- an account of the partner, configured by its owner
req POST /v1/accounts "$PA" '{"name":"Customer Co","owner":{"email":"owner@customer.example","name":"Olga Owner"}}'
expect_status 201 "the partner admin provisions an account"
ACC=$(jqr .id)
accept "$(jqr .owner_invitation.token)" "copper lantern 5512"
OWN=$(login owner@customer.example "copper lantern 5512")
req POST "/v1/accounts/$ACC/webhooks" "$OWN" '{"url":"http://127.0.0.1:9/hook","events":["fax.queued"]}'
expect_status 201 "the owner subscribes a webhook"
WHK=$(jqr .id)
req POST /v1/accounts "$PS" '{"name":"Nope","owner":{"email":"nope@customer.example","name":"N"}}'
expect_problem 403 forbidden "partner support provisions nothing"

# --- partner support: configuration and usage, no changes, no data
for path in security webhooks "webhooks/$WHK" numbers retention fax-by-email safebox-profile plan; do
	req GET "/v1/accounts/$ACC/$path" "$PS"
	expect_status 200 "partner support reads $path"
done
req GET "/v1/accounts/$ACC/webhooks" "$PS"
expect_jq '[.items[] | has("secret")] == [false]' "webhook subscriptions without their secrets"
req PATCH "/v1/accounts/$ACC/security" "$PS" '{"password_policy":{"history":0}}'
expect_problem 403 forbidden "partner support changes no setting"
req POST "/v1/accounts/$ACC/suspend" "$PS"
expect_problem 403 forbidden "partner support suspends nothing"
req GET "/v1/accounts/$ACC/users" "$PS"
expect_problem 403 forbidden "partner support reads no member list"
req GET "/v1/accounts/$ACC/audit-events" "$PS"
expect_problem 403 forbidden "nor the audit log"
req GET "/v1/accounts/$ACC/security" "$PA2"
expect_problem 404 not-found "another partner's staff: the account does not exist"

# --- partner billing: usage and plans only
req GET "/v1/accounts/$ACC/plan" "$PB"
expect_status 200 "partner billing reads the plan"
req GET "/v1/accounts/$ACC/security" "$PB"
expect_problem 403 forbidden "partner billing reads no configuration"
req GET "/v1/accounts/$ACC/balance" "$PB"
expect_problem 403 forbidden "nor the ledger's balance"

# --- the partner's view of its accounts
req GET "/v1/partners/$PRT/accounts" "$PB"
expect_status 200 "the partner's accounts with their summaries"
expect_jq "[.items[].id] == [\"$ACC\"]" "its own accounts only"
expect_jq '.items[0] | (.usage | .calls == 0 and .pages == 0 and .cost == 0 and (.currency | length) == 3) and .plan == null' "usage and call totals"
expect_jq '.items[0].posture | .pass + .fail + .not_applicable == 18 and .fail > 0' "a posture summary of the eighteen checks"
expect_jq '.items[0] | keys == ["created_at","id","name","plan","posture","regulatory_profile","status","usage"]' "counts, never content"
expect_jq '(.since | test("-01T00:00:00(\\.000)?Z$")) and (.until | length > 0)' "the current month by default"
req GET "/v1/partners/$PRT/accounts?since=nonsense" "$PB"
expect_problem 400 invalid-parameter "since must be a time"
req GET "/v1/partners/$PRT/accounts" "$PA2"
expect_problem 404 not-found "another partner's view does not exist"
req GET "/v1/partners/$PRT/accounts" "$OWN"
expect_problem 403 forbidden "an account owner has no partner view"
req GET "/v1/accounts/$ACC/audit-events?action=partner.account_summary.read" "$OWN"
expect_jq "[.items[] | select(.actor.id == \"$PB_ID\")] | length == 1" "the customer's log shows the partner's read"

# --- roles change from the next request on
req PATCH "/v1/partners/$PRT/staff/$PS_ID" "$PA" '{"role":"partner_billing"}'
expect_status 200 "the partner admin changes a role"
expect_jq '.role == "partner_billing"' "the role answered"
req GET "/v1/accounts/$ACC/security" "$PS"
expect_problem 403 forbidden "the former support member reads no configuration any more"
req DELETE "/v1/partners/$PRT/staff/$PB_ID" "$PA"
expect_status 204 "the partner admin deprovisions a member"
req GET "/v1/partners/$PRT/accounts" "$PB"
expect_problem 401 unauthenticated "the deprovisioned member's session ended"

# --- a config.read support grant: configuration, not data (P11)
req POST /v1/provider/staff "$OP" '{"email":"sue@provider.example","name":"Sue Support","role":"support"}'
accept "$(jqr .invitation.token)" "amber field 6604"
SUP=$(login sue@provider.example "amber field 6604")
req GET "/v1/accounts/$ACC/security" "$SUP"
expect_problem 403 forbidden "support staff read no configuration without a grant"
req POST "/v1/accounts/$ACC/access-grants" "$SUP" '{"scope":"config.read","reason":"TICKET-7","duration_minutes":60}'
expect_status 201 "support asks for config.read"
GRT=$(jqr .id)
req POST "/v1/accounts/$ACC/access-grants/$GRT/approve" "$OWN"
expect_status 200 "the owner approves"
for path in security webhooks "webhooks/$WHK" numbers retention fax-by-email safebox-profile; do
	req GET "/v1/accounts/$ACC/$path" "$SUP"
	expect_status 200 "the grant lends reading $path"
done
req GET "/v1/accounts/$ACC/webhooks/$WHK" "$SUP"
expect_jq 'has("secret") == false' "the subscription without its secret"
req GET "/v1/accounts/$ACC/users" "$SUP"
expect_problem 403 forbidden "config.read lends no data"
req PATCH "/v1/accounts/$ACC/security" "$SUP" '{"password_policy":{"history":0}}'
expect_problem 403 forbidden "config.read lends no change"
req GET "/v1/accounts/$ACC/audit-events?action=security.read" "$OWN"
expect_jq "[.items[] | select(.detail.grant_id == \"$GRT\")] | length >= 1" "reads under the grant carry its id"

finish
