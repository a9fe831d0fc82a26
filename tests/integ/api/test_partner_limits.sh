#!/usr/bin/env bash
# Limits the provider sets per partner beyond max_accounts (R01): the
# countries of the numbers its accounts request, the plans they may be put
# on, the features they may use; and the partner's white label (R02): its
# name and support contact in the mails its customers get and in GET
# /v1/me for the portal, set by the provider or the partner's own admins.
. "$(dirname "$0")/lib.sh"
start_daemon_mailing
DB="$DATA/faxvault.db"

OP=$(operator_token)
req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":["+33100000001","+14165550100"]}'
expect_status 201 "numbers in France and Canada"
req POST /v1/partners "$OP" '{"name":"Reseller Inc"}'
PRT=$(jqr .id)
req PATCH "/v1/partners/$PRT" "$OP" '{"allowed_countries":["XX"]}'
expect_problem 422 validation-failed "an unknown country"
req PATCH "/v1/partners/$PRT" "$OP" '{"features":["teleport"]}'
expect_problem 422 validation-failed "an unknown feature"
req PATCH "/v1/partners/$PRT" "$OP" '{"allowed_plans":"prepaid"}'
expect_problem 422 validation-failed "a list, not a string"
req PATCH "/v1/partners/$PRT" "$OP" '{"max_accounts":3,"allowed_countries":["FR"],"allowed_plans":["prepaid"],"features":["safebox"]}'
expect_status 200 "the provider sets the partner's limits"
expect_jq '.allowed_countries == ["FR"] and .allowed_plans == ["prepaid"] and .features == ["safebox"] and .white_label.display_name == null' "the limits answered"
req POST "/v1/partners/$PRT/staff" "$OP" '{"email":"pa@reseller.example","name":"Pat Admin"}'
accept "$(jqr .invitation.token)" "tulip garden 4417"
PA=$(login pa@reseller.example "tulip garden 4417")
req POST "/v1/partners/$PRT/staff" "$PA" '{"email":"ps@reseller.example","name":"Sam","role":"partner_support"}'
accept "$(jqr .invitation.token)" "violet meadow 2290"
PS=$(login ps@reseller.example "violet meadow 2290")
req POST /v1/partners "$OP" '{"name":"Other Reseller"}'
PRT2=$(jqr .id)
req POST "/v1/partners/$PRT2/staff" "$OP" '{"email":"pa@other.example","name":"Other Admin"}'
accept "$(jqr .invitation.token)" "maple river 9921"
PA2=$(login pa@other.example "maple river 9921")
req PATCH "/v1/partners/$PRT" "$PA" '{"allowed_countries":null}'
expect_problem 403 forbidden "the partner does not lift its own limits"

req POST /v1/accounts "$PA" '{"name":"Customer Co","owner":{"email":"owner@customer.example","name":"Olga Owner"}}'
expect_status 201 "the partner provisions an account"
ACC=$(jqr .id)
accept "$(jqr .owner_invitation.token)" "copper lantern 5512"
OWN=$(login owner@customer.example "copper lantern 5512")

# --- countries, plans, features
req POST "/v1/accounts/$ACC/numbers" "$OWN" '{"country":"CA"}'
expect_problem 422 validation-failed "a number outside the partner's countries"
expect_jq '.errors[0].field == "country" or (.detail | test("CA"))' "the country named"
req POST "/v1/accounts/$ACC/numbers" "$OWN" '{"country":"FR"}'
expect_status 201 "a number in an allowed country"
req PUT "/v1/provider/accounts/$ACC/plan" "$OP" '{"kind":"postpaid"}'
expect_problem 422 validation-failed "a plan the partner's accounts may not be on"
req PUT "/v1/provider/accounts/$ACC/plan" "$OP" '{"kind":"prepaid"}'
expect_status 200 "an allowed plan"
# The partner's admins set their own customers' plans, within the same limit.
req PUT "/v1/provider/accounts/$ACC/plan" "$PA" '{"kind":"postpaid"}'
expect_problem 422 validation-failed "the partner's admin: a plan outside the limit"
req PUT "/v1/provider/accounts/$ACC/plan" "$PA" '{"kind":"prepaid","included_pages":25,"quota_user_day":40}'
expect_status 200 "the partner's admin sets an allowed plan"
expect_jq '.kind == "prepaid" and .included_pages == 25 and .quota_user_day == 40' "with its pages and quota"
req PUT "/v1/provider/accounts/$ACC/plan" "$PS" '{"kind":"prepaid"}'
expect_problem 403 forbidden "partner support does not set plans"
req PUT "/v1/provider/accounts/$ACC/plan" "$PA2" '{"kind":"prepaid"}'
expect_problem 404 not-found "another partner's admin does not see the account"
req PUT "/v1/provider/accounts/$ACC/plan" "$OWN" '{"kind":"prepaid","included_pages":1000}'
expect_problem 403 forbidden "the customer's owner does not set its own plan"
req GET "/v1/accounts/$ACC/audit-events?action=billing.plan.update" "$OWN"
expect_jq '[.items[] | select(.action == "billing.plan.update")] | length >= 2' "plan changes in the customer's audit log"
req PUT "/v1/accounts/$ACC/fax-by-email" "$OWN" '{"enabled":true}'
expect_problem 403 forbidden "fax by e-mail is not among the partner's features"
req POST "/v1/accounts/$ACC/scim-tokens" "$OWN" '{"name":"idp"}'
expect_problem 403 forbidden "nor SCIM"
req PATCH "/v1/partners/$PRT" "$OP" '{"features":null}'
expect_jq '.features == null' "the provider lifts the feature limit"
req POST "/v1/accounts/$ACC/scim-tokens" "$OWN" '{"name":"idp"}'
expect_status 201 "then SCIM is open"

# --- the white label
req PATCH "/v1/partners/$PRT/white-label" "$PA" '{"logo_url":"http://cdn.reseller.example/logo.png"}'
expect_problem 422 validation-failed "the logo is https only"
req PATCH "/v1/partners/$PRT/white-label" "$PA" '{"support_phone":"call us"}'
expect_problem 422 validation-failed "a telephone number"
req PATCH "/v1/partners/$PRT/white-label" "$PS" '{"display_name":"Nope"}'
expect_problem 403 forbidden "partner support sets no white label"
req PATCH "/v1/partners/$PRT/white-label" "$PA2" '{"display_name":"Mine now"}'
expect_problem 404 not-found "another partner's white label does not exist for it"
req PATCH "/v1/partners/$PRT/white-label" "$PA" '{"display_name":"Reseller Télécom","support_email":"Help@Reseller.example","support_phone":"+33 1 23 45 67 89","logo_url":"https://cdn.reseller.example/logo.png"}'
expect_status 200 "the partner's admin sets its white label"
expect_jq '.white_label == {"display_name":"Reseller Télécom","support_email":"help@reseller.example","support_phone":"+33 1 23 45 67 89","logo_url":"https://cdn.reseller.example/logo.png","logo":null}' "the white label answered (no logo uploaded)"
req GET /v1/me "$OWN"
expect_jq '.white_label.display_name == "Reseller Télécom" and .white_label.logo_url == "https://cdn.reseller.example/logo.png"' "the customer's portal learns its partner's white label"
req GET /v1/me "$OP"
expect_jq '.white_label == null' "the provider's staff have none"
req POST "/v1/accounts/$ACC/users" "$OWN" '{"email":"u1@customer.example","name":"Una User","role":"user"}'
expect_status 201 "a new member: an invitation mail"
brand() { sqlite3 "$DB" "SELECT json_extract(params, '\$.brand_name') || '|' || json_extract(params, '\$.brand_support') FROM mail_outbox WHERE kind='invitation' AND to_addr='$1'"; }
if [ "$(brand u1@customer.example)" = "Reseller Télécom|help@reseller.example, +33 1 23 45 67 89" ]; then ok; else
	fail "the customer's mail goes out under the partner's name and support line: $(brand u1@customer.example)"; fi
if [ -z "$(sqlite3 "$DB" "SELECT json_extract(params, '\$.brand_name') FROM mail_outbox WHERE to_addr='pa@other.example'")" ]; then ok; else
	fail "a partner without a white label sends as faxvault"; fi
req PATCH "/v1/partners/$PRT/white-label" "$PA" '{"display_name":null}'
expect_jq '.white_label.display_name == null' "the white label cleared"
req GET /v1/me "$OWN"
expect_jq '.white_label == null' "no display name, no white label"

finish
