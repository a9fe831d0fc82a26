#!/bin/bash
# Fax by e-mail settings (C10) through the API of the real faxvaultd:
# defaults, validation (senders, CIDRs, policies, unknown fields), who may
# read and change them, the audit events, and posture check C10 reading them.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon --set fax.enabled=0
PW="plume encre buvard 1789"
OP=$(operator_token)
new_account "$OP" "Clinique M" owner@m.example "$PW"
ACC=$NEW_ACC OWN=$NEW_OWNER
new_member "$ACC" "$OWN" u1@m.example user "$PW"
U1=$NEW_MEMBER
new_account "$OP" "Cabinet N" owner@n.example "$PW"
OWN_N=$NEW_OWNER

# ---- defaults ----
req GET "/v1/accounts/$ACC/fax-by-email" "$OWN"
expect_status 200 "settings read"
expect_jq '.enabled == false and .allowed_senders == [] and .allowed_servers == [] and .spf == "ignore" and .dkim == "ignore" and .updated_at == null' "defaults: off, empty lists, ignore"
req GET "/v1/accounts/$ACC/posture" "$OWN"
expect_jq '(.items[] | select(.id == "C10") | .status) == "not_applicable"' "C10 not applicable while off"

# ---- who may ----
req GET "/v1/accounts/$ACC/fax-by-email" "$U1"
expect_problem 403 forbidden "a user cannot read the settings"
req PUT "/v1/accounts/$ACC/fax-by-email" "$U1" '{"enabled":true}'
expect_problem 403 forbidden "a user cannot change the settings"
req GET "/v1/accounts/$ACC/fax-by-email" "$OWN_N"
expect_problem 404 not-found "another account's owner gets 404"

# ---- validation ----
for bad in '{"enabled":"yes"}' '{"allowed_senders":"a@m.example"}' '{"allowed_senders":["not an address"]}' \
	'{"allowed_senders":["@"]}' '{"allowed_servers":["10.0.0.1/8"]}' '{"allowed_servers":["300.1.1.1"]}' \
	'{"spf":"softfail"}' '{"dkim":true}' '{"colour":"red"}'; do
	req PUT "/v1/accounts/$ACC/fax-by-email" "$OWN" "$bad"
	expect_problem 422 validation-failed "refused: $bad"
done
req PUT "/v1/accounts/$ACC/fax-by-email" "$OWN" '{"allowed_servers":["10.0.0.1/8"]}' -H 'Accept-Language: fr'
expect_jq '.detail | test("CIDR")' "French detail names the field's kind"
many=$(jq -cn '[range(101) | "u\(.)@m.example"]')
req PUT "/v1/accounts/$ACC/fax-by-email" "$OWN" "{\"allowed_senders\":$many}"
expect_problem 422 validation-failed "more than 100 senders"

# ---- a good change: normalised, audited, read back ----
req PUT "/v1/accounts/$ACC/fax-by-email" "$OWN" '{"enabled":true,"allowed_senders":["U1@M.example","@Partner.example","u1@m.example"],"allowed_servers":["192.0.2.0/24","2001:db8::/32"],"spf":"ignore","dkim":"ignore"}'
expect_status 200 "settings replaced"
expect_jq '.enabled == true and .allowed_senders == ["u1@m.example","@partner.example"] and .allowed_servers == ["192.0.2.0/24","2001:db8::/32"] and (.updated_at | test("Z$"))' "lower-cased, duplicates dropped, canonical CIDRs"
req GET "/v1/accounts/$ACC/fax-by-email" "$OWN"
expect_jq '.enabled == true and (.allowed_servers | length) == 2' "read back"
req GET "/v1/accounts/$ACC/posture" "$OWN"
expect_jq '(.items[] | select(.id == "C10") | .status) == "pass"' "C10 passes with allowed servers"
req GET "/v1/accounts/$ACC/audit-events?action=fax_by_email.update" "$OWN"
expect_jq '[.items[] | select(.outcome == "success")] | length == 1 and .[0].detail.before.enabled == false and .[0].detail.after.allowed_senders == ["u1@m.example","@partner.example"]' "update audited with before and after"
req GET "/v1/accounts/$ACC/audit-events?action=fax_by_email.read" "$OWN"
expect_jq '(.items | length) >= 2' "reads audited"

# Enabled without servers or SPF: anyone could forge a member's address.
req PUT "/v1/accounts/$ACC/fax-by-email" "$OWN" '{"enabled":true}'
expect_status 200 "enabled with no server list"
req GET "/v1/accounts/$ACC/posture" "$OWN"
expect_jq '(.items[] | select(.id == "C10") | .status) == "fail"' "C10 fails without servers or SPF"
req GET "/v1/accounts/$ACC/posture" "$OWN" "" -H 'Accept-Language: fr'
expect_jq '(.items[] | select(.id == "C10") | .detail) | test("usurper")' "C10 detail in French"
req PUT "/v1/accounts/$ACC/fax-by-email" "$OWN" '{"enabled":true,"spf":"require"}'
req GET "/v1/accounts/$ACC/posture" "$OWN"
expect_jq '(.items[] | select(.id == "C10") | .status) == "pass"' "C10 passes with SPF required"

finish
