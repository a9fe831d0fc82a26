#!/usr/bin/env bash
# Named custom roles of an account (issues 14 and 17): defined once
# ({name, description, permissions}) and given to many members. Checked:
# the permission rules of members (account scope only, never
# ownership.transfer, nobody gives what they do not hold, admin-like roles
# need admins.manage), names unique per account in any case, a change of
# the role's permissions reaching every holder on their next request and
# audited once with the number of holders, the role's name in /v1/me and in
# the member views, a role in use refused deletion unless ?reassign=user,
# other accounts seeing nothing, per-person permission sets still working.
# Also run on PostgreSQL (integ_api_roles_pg).
. "$(dirname "$0")/lib.sh"
start_daemon
OP=$(operator_token)
new_account "$OP" "Clinic" owner@clinic.example lantern-harbour-9876
ACC=$NEW_ACC OWNER=$NEW_OWNER
new_account "$OP" "Other" owner@other.example granite-meadow-5432
ACC2=$NEW_ACC OWNER2=$NEW_OWNER

# A helpdesk person managing users only (a per-person permission set).
req POST "/v1/accounts/$ACC/users" "$OWNER" '{"email":"desk@clinic.example","name":"Desk","role":"custom","permissions":["users.manage","account.read","fax.send"]}'
expect_status 201 "a per-person permission set, as before"
expect_jq '.role == "custom" and (.custom_role == null) and (.permissions | sort) == ["account.read","fax.send","users.manage"]' "no named role"
accept "$(jqr .invitation.token)" violet-compass-4321
DESK=$(login desk@clinic.example violet-compass-4321)

# --- create
req POST "/v1/accounts/$ACC/roles" "$OWNER" '{"name":"Front desk","description":"Sends and reads faxes","permissions":["fax.send","fax.read.own","account.read"]}'
expect_status 201 "the owner creates a role"
expect_jq '(.id | startswith("rol_")) and .name == "Front desk" and .description == "Sends and reads faxes" and (.permissions | sort) == ["account.read","fax.read.own","fax.send"] and .holders == 0' "the role as stored"
ROLE=$(jqr .id)
req POST "/v1/accounts/$ACC/roles" "$OWNER" '{"name":"FRONT DESK","permissions":["fax.send"]}'
expect_problem 409 role-name-taken "a name is unique per account, whatever its case"
req POST "/v1/accounts/$ACC2/roles" "$OWNER2" '{"name":"Front desk","permissions":["fax.send"]}'
expect_status 201 "another account may use the same name"
ROLE2=$(jqr .id)
for bad in '{"name":"X","permissions":["ownership.transfer"]}' '{"name":"X","permissions":["provider.accounts.manage"]}' \
	'{"name":"X","permissions":["no.such"]}' '{"name":"X","permissions":[]}' '{"name":"X"}' \
	'{"permissions":["fax.send"]}' '{"name":"","permissions":["fax.send"]}' '{"name":"X","permissions":["fax.send"],"role":"admin"}'; do
	req POST "/v1/accounts/$ACC/roles" "$OWNER" "$bad"
	expect_problem 422 validation-failed "refused: $bad"
done
req POST "/v1/accounts/$ACC/roles" "$DESK" '{"name":"Auditor","permissions":["data.read","account.read"]}'
expect_problem 403 permission-not-held "users.manage alone cannot put data.read it lacks in a role"
req POST "/v1/accounts/$ACC/roles" "$DESK" '{"name":"Deputy","permissions":["admins.manage","users.manage"]}'
expect_problem 403 forbidden "an admin-like role needs admins.manage"
req POST "/v1/accounts/$ACC/roles" "$DESK" '{"name":"Senders","permissions":["fax.send","account.read"]}'
expect_status 201 "users.manage gives what it holds"
SENDERS=$(jqr .id)

# --- members get the role
req POST "/v1/accounts/$ACC/users" "$OWNER" "{\"email\":\"fd1@clinic.example\",\"name\":\"Fiona\",\"role\":\"custom\",\"custom_role_id\":\"$ROLE\"}"
expect_status 201 "a member created with a named role"
expect_jq ".role == \"custom\" and .custom_role.id == \"$ROLE\" and .custom_role.name == \"Front desk\" and (.permissions | sort) == [\"account.read\",\"fax.read.own\",\"fax.send\"]" "the member view names the role"
FD1_ID=$(jqr .id); accept "$(jqr .invitation.token)" amber-quill-876543
FD1=$(login fd1@clinic.example amber-quill-876543)
new_member "$ACC" "$OWNER" fd2@clinic.example user copper-willow-65432
FD2=$NEW_MEMBER
req GET /v1/me "$FD2"; FD2_ID=$(jqr .id)
req PATCH "/v1/accounts/$ACC/users/$FD2_ID" "$OWNER" "{\"role\":\"custom\",\"custom_role_id\":\"$ROLE\"}"
expect_status 200 "a user given the named role"
expect_jq ".custom_role.name == \"Front desk\"" "its view names the role"
req PATCH "/v1/accounts/$ACC/users/$FD2_ID" "$OWNER" "{\"role\":\"custom\",\"custom_role_id\":\"$ROLE2\"}"
expect_problem 422 validation-failed "another account's role is no role here"
req PATCH "/v1/accounts/$ACC/users/$FD2_ID" "$OWNER" "{\"role\":\"custom\",\"custom_role_id\":\"$ROLE\",\"permissions\":[\"fax.send\"]}"
expect_problem 422 validation-failed "a named role or a permission set, not both"
req PATCH "/v1/accounts/$ACC/users/$FD2_ID" "$OWNER" "{\"role\":\"user\",\"custom_role_id\":\"$ROLE\"}"
expect_problem 422 validation-failed "custom_role_id only with role custom"
req PATCH "/v1/accounts/$ACC/users/$FD2_ID" "$OWNER" "{\"custom_role_id\":\"$ROLE\"}"
expect_problem 422 validation-failed "custom_role_id without the role"
req GET /v1/me "$FD1"
expect_jq ".role == \"custom\" and .custom_role.name == \"Front desk\" and (.permissions | index(\"data.read\") == null)" "/v1/me names the role"
req GET "/v1/accounts/$ACC/users" "$FD1"
expect_problem 403 forbidden "a front-desk holder cannot list users"
req GET "/v1/accounts/$ACC/roles" "$OWNER"
expect_status 200 "the owner lists the roles"
expect_jq "([.items[] | select(.id == \"$ROLE\") | .holders] == [2]) and (.items | length) == 2" "two roles, two holders of Front desk"

# --- a change of the role reaches every holder at once
req PATCH "/v1/accounts/$ACC/roles/$ROLE" "$DESK" '{"permissions":["fax.send","fax.read.own","account.read","data.read"]}'
expect_problem 403 permission-not-held "adding data.read needs data.read"
req PATCH "/v1/accounts/$ACC/roles/$ROLE" "$OWNER" '{"permissions":["fax.send","fax.read.own","account.read","data.read"],"description":"Front desk, reads the account data"}'
expect_status 200 "the owner adds data.read to the role"
expect_jq '.holders == 2 and (.permissions | index("data.read") != null) and .description == "Front desk, reads the account data"' "the role as changed"
req GET "/v1/accounts/$ACC/users" "$FD1"
expect_status 200 "the first holder lists users on its next request"
req GET "/v1/accounts/$ACC/users/$FD1_ID" "$FD2"
expect_status 200 "the second holder too"
expect_jq '.custom_role.name == "Front desk" and (.permissions | index("data.read") != null)' "the holder's view shows the new permissions"
req GET "/v1/accounts/$ACC/audit-events?action=role.update" "$OWNER"
expect_jq "([.items[] | select(.target == \"$ROLE\")] | length) == 1 and ([.items[] | select(.target == \"$ROLE\")][0].detail.holders == 2)" "audited once, on the role, with the number of holders"
req PATCH "/v1/accounts/$ACC/roles/$ROLE" "$OWNER" '{"name":"Reception"}'
expect_status 200 "the role renamed"
req GET /v1/me "$FD2"
expect_jq '.custom_role.name == "Reception"' "holders show the new name"
req PATCH "/v1/accounts/$ACC/roles/$SENDERS" "$OWNER" '{"name":"reception"}'
expect_problem 409 role-name-taken "a rename onto another role's name"
req PATCH "/v1/accounts/$ACC/roles/$ROLE" "$OWNER" '{"permissions":["fax.send","fax.read.own","account.read"]}'
expect_status 200 "data.read taken back"
req GET "/v1/accounts/$ACC/users" "$FD1"
expect_problem 403 forbidden "the holder lost it on its next request"
req PATCH "/v1/accounts/$ACC/roles/$ROLE" "$OWNER" '{"permissions":["ownership.transfer"]}'
expect_problem 422 validation-failed "never ownership.transfer"

# An admin-like role: only admins.manage touches it and its holders.
req POST "/v1/accounts/$ACC/roles" "$OWNER" '{"name":"Deputy","permissions":["admins.manage","users.manage","account.read"]}'
expect_status 201 "the owner creates an admin-like role"
DEPUTY=$(jqr .id)
req PATCH "/v1/accounts/$ACC/roles/$DEPUTY" "$DESK" '{"name":"Not deputy"}'
expect_problem 403 forbidden "users.manage cannot change an admin-like role"
req DELETE "/v1/accounts/$ACC/roles/$DEPUTY" "$DESK"
expect_problem 403 forbidden "nor delete it"
req PATCH "/v1/accounts/$ACC/users/$FD2_ID" "$DESK" "{\"role\":\"custom\",\"custom_role_id\":\"$DEPUTY\"}"
expect_problem 403 forbidden "nor give it"

# --- other accounts see nothing
req GET "/v1/accounts/$ACC/roles/$ROLE2" "$OWNER"
expect_problem 404 not-found "another account's role is not found"
req GET "/v1/accounts/$ACC/roles/$ROLE" "$OWNER2"
expect_problem 404 not-found "a foreign account is not found"
req PATCH "/v1/accounts/$ACC2/roles/$ROLE" "$OWNER2" '{"name":"Mine"}'
expect_problem 404 not-found "a role is changed in its account only"

# --- from a named role back to a per-person set
req PATCH "/v1/accounts/$ACC/users/$FD2_ID" "$OWNER" '{"role":"custom","permissions":["fax.send","account.read"]}'
expect_status 200 "a holder given a per-person set"
expect_jq '.custom_role == null and .role == "custom"' "it holds the named role no more"
req GET "/v1/accounts/$ACC/roles/$ROLE" "$OWNER"
expect_jq '.holders == 1' "one holder left"
# A change of the role does not reach people who left it.
req PATCH "/v1/accounts/$ACC/roles/$ROLE" "$OWNER" '{"permissions":["fax.send","fax.read.own","account.read","safebox.use"]}'
req GET /v1/me "$FD2"
expect_jq '(.permissions | index("safebox.use") == null)' "a former holder keeps its own set"

# --- deletion
req DELETE "/v1/accounts/$ACC/roles/$ROLE" "$OWNER"
expect_problem 409 role-in-use "a role in use is not deleted"
req DELETE "/v1/accounts/$ACC/roles/$ROLE?reassign=admin" "$OWNER"
expect_problem 400 invalid-parameter "reassign to user only"
req DELETE "/v1/accounts/$ACC/roles/$ROLE?reassign=user" "$OWNER"
expect_status 204 "deleted, its holders made users"
req GET "/v1/accounts/$ACC/roles/$ROLE" "$OWNER"
expect_problem 404 not-found "the role is gone"
req GET /v1/me "$FD1"
expect_jq '.role == "user" and .custom_role == null and (.permissions | index("fax.send") != null)' "the former holder is a user"
req GET "/v1/accounts/$ACC/audit-events?action=role.delete" "$OWNER"
expect_jq "[.items[] | select(.target == \"$ROLE\")][0].detail | .holders == 1 and .reassigned_to == \"user\"" "the deletion audited with its reassignment"
req DELETE "/v1/accounts/$ACC/roles/$SENDERS" "$DESK"
expect_status 204 "an unused role is deleted"
req GET "/v1/accounts/$ACC/audit-events?action=role.create" "$OWNER"
expect_jq '(.items | length) == 3' "each creation audited"
finish
