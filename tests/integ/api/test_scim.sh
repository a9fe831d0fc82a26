#!/usr/bin/env bash
# SCIM 2.0 provisioning (issue 17, C05): an account's SCIM tokens (shown
# once, security.manage), then the request sequences of Entra ID's and Okta's
# SCIM validators written out (create, get by filter, patch replace,
# deactivate, delete), the deactivated person's session refused on its very
# next request, the account's roles as Groups (Okta's and Entra ID's group
# requests: members added take the role, members taken out go back to user;
# the account's named custom roles are groups too, within the token
# creator's powers),
# malformed filters, paths and PATCH bodies (400 with their
# scimType), ETags (If-Match -> 412), one account's token never seeing
# another's people, and every change in the account's audit log with the
# token as actor.
. "$(dirname "$0")/lib.sh"
start_daemon

OP=$(operator_token)
USER_URN=urn:ietf:params:scim:schemas:core:2.0:User
PATCH_URN=urn:ietf:params:scim:api:messages:2.0:PatchOp
ERR_URN=urn:ietf:params:scim:api:messages:2.0:Error

# scim METHOD PATH TOKEN [BODY] [curl args...]: a SCIM request.
scim() {
	local method=$1 path=$2 token=$3 body=${4:-}
	shift 4 2>/dev/null || shift $#
	local args=(-s -X "$method" -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}')
	[ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
	[ -n "$body" ] && args+=(-H 'Content-Type: application/scim+json' --data-binary "$body")
	STATUS=$(curl "${args[@]}" "$@" "$BASE$path")
	BODY=$(cat "$TMP/body")
	HEADERS="$TMP/headers"
}
# expect_scim_error STATUS SCIMTYPE DESCRIPTION (SCIMTYPE "" for none)
expect_scim_error() {
	expect_status "$1" "$3"
	expect_jq ".schemas == [\"$ERR_URN\"] and .status == \"$1\" and (.detail | length) > 0" "$3 (SCIM error schema)"
	if [ -n "$2" ]; then expect_jq ".scimType == \"$2\"" "$3 (scimType $2)"; fi
	if grep -qi '^content-type: application/scim+json' "$HEADERS"; then ok; else
		fail "$3: content type is not application/scim+json"; fi
}
header() { grep -i "^$1:" "$HEADERS" | head -n 1 | cut -d' ' -f2- | tr -d '\r'; }
urlenc() { jq -rn --arg v "$1" '$v|@uri'; }

# --- two accounts, each with an owner; A has an admin and a user
req POST /v1/accounts "$OP" '{"name":"Hospital","owner":{"email":"o@hospital.example","name":"Owner"}}'
ACC=$(jqr .id)
accept "$(jqr .owner_invitation.token)" "granite-harbour-1234"
OWNER=$(login o@hospital.example granite-harbour-1234)
req POST /v1/accounts "$OP" '{"name":"Law firm","owner":{"email":"o@law.example","name":"Owner B"}}'
ACC_B=$(jqr .id)
accept "$(jqr .owner_invitation.token)" "basalt-meadow-5678"
OWNER_B=$(login o@law.example basalt-meadow-5678)
req POST "/v1/accounts/$ACC/users" "$OWNER" '{"email":"nurse@hospital.example","name":"Nurse","role":"user"}'
NURSE_ID=$(jqr .id)
accept "$(jqr .invitation.token)" "ward-lantern-2931-x"
NURSE=$(login nurse@hospital.example ward-lantern-2931-x)
req POST "/v1/accounts/$ACC/users" "$OWNER" '{"email":"admin@hospital.example","name":"Admin","role":"admin"}'
ADMIN_ID=$(jqr .id)

# --- tokens: security.manage, shown once, listed without the secret
req POST "/v1/accounts/$ACC/scim-tokens" "$NURSE" '{"name":"Entra ID"}'
expect_problem 403 forbidden "a plain user cannot make a SCIM token"
req POST "/v1/accounts/$ACC/scim-tokens" "$OWNER" '{"name":"Entra ID"}'
expect_status 201 "the owner makes a SCIM token"
expect_jq '(.token | startswith("fvc_")) and (.id | startswith("sct_")) and (.permissions | index("users.manage")) != null' "token, id and powers"
TOK=$(jqr .token)
TOK_ID=$(jqr .id)
req POST "/v1/accounts/$ACC_B/scim-tokens" "$OWNER_B" '{"name":"Okta"}'
TOK_B=$(jqr .token)
req GET "/v1/accounts/$ACC/scim-tokens" "$OWNER"
expect_status 200 "tokens listed"
expect_jq '(.items | length) == 1 and (.items[0] | has("token") | not) and .items[0].prefix == ("'"${TOK:0:12}"'")' "the list shows the prefix, never the token"
req GET "/v1/accounts/$ACC/scim-tokens" "$OWNER_B"
expect_problem 404 not-found "another account's owner sees no tokens of A"

# --- authentication
scim GET /scim/v2/Users ""
expect_scim_error 401 "" "no token"
scim GET /scim/v2/Users "fvc_notatokenatallnotatokenatall"
expect_scim_error 401 "" "a made-up token"
scim GET /scim/v2/Users "$NURSE"
expect_scim_error 401 "" "a session token is no SCIM token"

# --- discovery
scim GET /scim/v2/ServiceProviderConfig "$TOK"
expect_status 200 "ServiceProviderConfig"
expect_jq '.patch.supported == true and .filter.supported == true and .filter.maxResults == 200 and .etag.supported == true and .bulk.supported == false and .changePassword.supported == false and .authenticationSchemes[0].type == "oauthbearertoken"' "what the service supports"
if grep -qi '^content-type: application/scim+json' "$HEADERS"; then ok; else fail "discovery answers application/scim+json"; fi
scim GET /scim/v2/ResourceTypes "$TOK"
expect_jq '[.Resources[].id] == ["User","Group"] and .Resources[0].endpoint == "/Users"' "resource types"
scim GET /scim/v2/Schemas "$TOK"
expect_jq '[.Resources[].id] | index("'"$USER_URN"'") != null' "schemas"
scim POST /scim/v2/ServiceProviderConfig "$TOK" '{}'
expect_scim_error 405 "" "discovery is read-only"
scim GET /scim/v2/Nothing "$TOK"
expect_scim_error 404 "" "unknown SCIM resource"

# ======== Entra ID's validator sequence ========
EUSER="Test_User_5f3e@hospital.example"
# 1. Is the user there? (filter on userName)
scim GET "/scim/v2/Users?filter=$(urlenc "userName eq \"$EUSER\"")" "$TOK"
expect_status 200 "Entra: get user by filter (none yet)"
expect_jq '.schemas == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"] and .totalResults == 0 and .Resources == []' "Entra: empty list response"
# 2. Create.
scim POST /scim/v2/Users "$TOK" '{"schemas":["'"$USER_URN"'","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"'"$EUSER"'","active":true,"emails":[{"primary":true,"type":"work","value":"'"$EUSER"'"}],"meta":{"resourceType":"User"},"name":{"formatted":"Ryan Leenay","familyName":"Leenay","givenName":"Ryan"},"roles":[],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Radiology"}}'
expect_status 201 "Entra: create user"
E_ID=$(jqr .id)
E_ETAG=$(header ETag)
expect_jq '.userName == "test_user_5f3e@hospital.example" and .active == true and .externalId == "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef" and .name.givenName == "Ryan" and .meta.resourceType == "User" and (.meta.version | startswith("W/")) and .groups[0].value == "user" and .["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].department == "Radiology"' "Entra: the created user"
[ "$(header Location)" = "$BASE/scim/v2/Users/$E_ID" ] && ok || fail "Location names the new user: $(header Location)"
[ "$E_ETAG" = "$(jqr .meta.version)" ] && ok || fail "ETag is meta.version"
req GET "/v1/accounts/$ACC/users/$E_ID" "$OWNER"
expect_jq '.status == "active" and .role == "user" and .name == "Ryan Leenay"' "the person is a member with the user role"
# 3. Again by filter, by externalId, by work e-mail (Entra's form).
scim GET "/scim/v2/Users?filter=$(urlenc "userName eq \"$EUSER\"")" "$TOK"
expect_jq '.totalResults == 1 and .Resources[0].id == "'"$E_ID"'"' "Entra: get user by userName (any case)"
scim GET "/scim/v2/Users?filter=$(urlenc 'externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')" "$TOK"
expect_jq '.totalResults == 1 and .Resources[0].id == "'"$E_ID"'"' "Entra: get user by externalId"
scim GET "/scim/v2/Users?filter=$(urlenc "emails[type eq \"work\"].value eq \"$EUSER\"")" "$TOK"
expect_jq '.totalResults == 1' "Entra: get user by work e-mail"
scim GET "/scim/v2/Users/$E_ID" "$TOK"
expect_status 200 "Entra: get user by id"
# 4. Duplicate create: 409 uniqueness.
scim POST /scim/v2/Users "$TOK" '{"schemas":["'"$USER_URN"'"],"userName":"'"$EUSER"'","active":true}'
expect_scim_error 409 uniqueness "Entra: a second user with the same userName"
# 5. Patch replace (multi-valued with a filter, and a sub-attribute).
scim PATCH "/scim/v2/Users/$E_ID" "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"ryan.updated@hospital.example"},{"op":"Replace","path":"name.familyName","value":"Updated"},{"op":"Add","path":"title","value":"Radiologist"}]}'
expect_status 200 "Entra: patch user (replace attributes)"
expect_jq '.emails[0].value == "ryan.updated@hospital.example" and .name.familyName == "Updated" and .title == "Radiologist"' "Entra: the attributes replaced"
[ "$(header ETag)" != "$E_ETAG" ] && ok || fail "the version changed with the patch"
# Replace userName (single-valued).
scim PATCH "/scim/v2/Users/$E_ID" "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"Replace","path":"userName","value":"ryan@hospital.example"}]}'
expect_jq '.userName == "ryan@hospital.example"' "Entra: userName replaced (the member's e-mail)"
# Without a path, with sub-attribute keys (Entra's other form).
scim PATCH "/scim/v2/Users/$E_ID" "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"Replace","value":{"name.givenName":"Bryan","displayName":"Bryan U."}}]}'
expect_jq '.name.givenName == "Bryan" and .displayName == "Bryan U."' "Entra: replace without a path"
# If-Match with a stale version: 412; with the current one: done.
scim PATCH "/scim/v2/Users/$E_ID" "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"replace","path":"title","value":"x"}]}' -H "If-Match: $E_ETAG"
expect_scim_error 412 "" "If-Match with an old version"
scim GET "/scim/v2/Users/$E_ID" "$TOK"
CUR=$(header ETag)
scim PATCH "/scim/v2/Users/$E_ID" "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"replace","path":"title","value":"Head of radiology"}]}' -H "If-Match: $CUR"
expect_status 200 "If-Match with the current version"
# 6. Disable (Entra sends the boolean as a string).
scim PATCH "/scim/v2/Users/$E_ID" "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}'
expect_status 200 "Entra: disable user"
expect_jq '.active == false' "Entra: the user is inactive"
req GET "/v1/accounts/$ACC/users/$E_ID" "$OWNER"
expect_jq '.status == "deprovisioned"' "the person is deprovisioned"
scim PATCH "/scim/v2/Users/$E_ID" "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"Replace","path":"active","value":true}]}'
expect_jq '.active == true' "Entra: enable again"
req GET "/v1/accounts/$ACC/users/$E_ID" "$OWNER"
expect_jq '.status == "active"' "the person is active again (no password: SSO or a reset)"
# 7. Delete.
scim DELETE "/scim/v2/Users/$E_ID" "$TOK"
expect_status 204 "Entra: delete user"
scim GET "/scim/v2/Users/$E_ID" "$TOK"
expect_scim_error 404 "" "Entra: the deleted user is gone"
req GET "/v1/accounts/$ACC/users/$E_ID" "$OWNER"
expect_jq '.status == "deprovisioned"' "the deleted person is deprovisioned"

# ======== Okta's validator sequence ========
OUSER="okta.tester@hospital.example"
scim GET "/scim/v2/Users?count=1&startIndex=1" "$TOK"
expect_jq '.totalResults >= 3 and (.Resources | length) == 1 and .startIndex == 1 and .itemsPerPage == 1' "Okta: one page of one"
scim GET "/scim/v2/Users?startIndex=2&count=2" "$TOK"
expect_jq '.startIndex == 2 and (.Resources | length) == 2' "pagination from startIndex"
scim GET "/scim/v2/Users?filter=$(urlenc "userName eq \"$OUSER\"")&startIndex=1&count=100" "$TOK"
expect_jq '.totalResults == 0' "Okta: the user does not exist yet"
scim POST /scim/v2/Users "$TOK" '{"schemas":["'"$USER_URN"'"],"userName":"'"$OUSER"'","name":{"givenName":"Okta","familyName":"Tester"},"emails":[{"primary":true,"value":"'"$OUSER"'","type":"work"}],"displayName":"Okta Tester","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],"password":"1mz050nq","active":true}'
expect_status 201 "Okta: create user"
O_ID=$(jqr .id)
expect_jq 'has("password") | not' "a password sent is never answered"
req GET "/v1/accounts/$ACC/users/$O_ID" "$OWNER"
expect_jq '.name == "Okta Tester"' "the display name from given and family names"
scim GET "/scim/v2/Users/$O_ID" "$TOK"
expect_jq '.id == "'"$O_ID"'" and .userName == "'"$OUSER"'" and .active == true' "Okta: get user by id"
scim GET "/scim/v2/Users?filter=$(urlenc "userName eq \"$OUSER\"")" "$TOK"
expect_jq '.totalResults == 1' "Okta: filter finds the user"
scim PUT "/scim/v2/Users/$O_ID" "$TOK" '{"schemas":["'"$USER_URN"'"],"id":"'"$O_ID"'","userName":"'"$OUSER"'","name":{"givenName":"Another","familyName":"Name"},"emails":[{"primary":true,"value":"'"$OUSER"'","type":"work"}],"active":true}'
expect_status 200 "Okta: replace user (PUT)"
expect_jq '.name.givenName == "Another" and (has("displayName") | not) and (has("externalId") | not)' "PUT replaces the whole resource"
scim GET "/scim/v2/Users?filter=$(urlenc 'userName eq "nobody@nowhere.example"')" "$TOK"
expect_jq '.totalResults == 0' "Okta: unknown user by filter"
scim GET /scim/v2/Users/usr_doesnotexist "$TOK"
expect_scim_error 404 "" "Okta: unknown user by id"
scim PATCH "/scim/v2/Users/$O_ID" "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"replace","value":{"active":false}}]}'
expect_jq '.active == false' "Okta: deactivate user"

# ======== deprovisioning kills the session at once (C05) ========
req POST "/v1/accounts/$ACC/api-keys" "$NURSE" '{"name":"scanner","permissions":["fax.send"]}'
NURSE_KEY=$(jqr .secret)
req GET /v1/me "$NURSE"
expect_status 200 "the nurse's session works"
scim GET "/scim/v2/Users?filter=$(urlenc 'userName eq "NURSE@hospital.example" and active eq true')" "$TOK"
expect_jq '.totalResults == 1 and .Resources[0].id == "'"$NURSE_ID"'"' "a member made through the API is found by filter (and, any case)"
scim PATCH "/scim/v2/Users/$NURSE_ID" "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"Replace","path":"active","value":false}]}'
expect_status 200 "the IdP deactivates the nurse"
req GET /v1/me "$NURSE"
expect_problem 401 unauthenticated "the nurse's session is refused on its very next request"
req GET /v1/me "$NURSE_KEY"
expect_problem 401 unauthenticated "and the nurse's API key too"
req POST /v1/sessions "" '{"email":"nurse@hospital.example","password":"ward-lantern-2931-x"}'
expect_status 401 "and the old password no longer signs in"

# ======== Groups: the account's roles ========
GROUP_URN=urn:ietf:params:scim:schemas:core:2.0:Group
scim POST /scim/v2/Users "$TOK" '{"schemas":["'"$USER_URN"'"],"userName":"clerk@hospital.example","active":true}'
expect_status 201 "a clerk provisioned"
CLERK_ID=$(jqr .id)
scim POST /scim/v2/Users "$TOK" '{"schemas":["'"$USER_URN"'"],"userName":"porter@hospital.example","active":true}'
PORTER_ID=$(jqr .id)
scim GET /scim/v2/Groups "$TOK"
expect_status 200 "groups listed"
expect_jq '.totalResults == 3 and [.Resources[].id] == ["admin","billing","user"] and [.Resources[].displayName] == ["Administrators","Billing","Users"] and (.Resources[0].schemas == ["'"$GROUP_URN"'"])' "one group per role"
expect_jq '[.Resources[] | select(.id == "user") | .members[].value] | index("'"$CLERK_ID"'") != null' "the clerk is in Users"
# Okta's group push looks the group up by name first.
scim GET "/scim/v2/Groups?filter=$(urlenc 'displayName eq "Billing"')" "$TOK"
expect_jq '.totalResults == 1 and .Resources[0].id == "billing" and .Resources[0].members == []' "Okta: the group by displayName"
# Entra ID reads groups without their members.
scim GET "/scim/v2/Groups?excludedAttributes=members" "$TOK"
expect_jq '.totalResults == 3 and (.Resources | all(has("members") | not))' "Entra: excludedAttributes=members"
scim GET /scim/v2/Groups/billing "$TOK"
expect_status 200 "a group by id"
G_ETAG=$(header ETag)
expect_jq '.meta.resourceType == "Group" and (.meta.location | endswith("/scim/v2/Groups/billing"))' "meta"
[ -n "$G_ETAG" ] && [ "$(jqr .meta.version)" = "$G_ETAG" ] && ok || fail "a group's ETag is its meta.version"
# Okta: PATCH add a member.
scim PATCH /scim/v2/Groups/billing "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"add","path":"members","value":[{"value":"'"$CLERK_ID"'","display":"clerk@hospital.example"}]}]}'
expect_status 200 "Okta: a member added to Billing"
expect_jq '[.members[].value] == ["'"$CLERK_ID"'"]' "the clerk is Billing's member"
req GET "/v1/accounts/$ACC/users/$CLERK_ID" "$OWNER"
expect_jq '.role == "billing"' "the clerk now holds the billing role"
scim GET /scim/v2/Groups/user "$TOK"
expect_jq '[.members[].value] | index("'"$CLERK_ID"'") == null' "and has left Users"
# A stale version is refused.
scim PATCH /scim/v2/Groups/billing "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"add","path":"members","value":[{"value":"'"$PORTER_ID"'"}]}]}' -H "If-Match: $G_ETAG"
expect_scim_error 412 "" "a stale If-Match on a group"
# Entra ID: PATCH remove with a value filter.
scim PATCH /scim/v2/Groups/billing "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"Remove","path":"members[value eq \"'"$CLERK_ID"'\"]"}]}'
expect_status 200 "Entra: the member removed"
expect_jq '.members == []' "Billing is empty again"
req GET "/v1/accounts/$ACC/users/$CLERK_ID" "$OWNER"
expect_jq '.role == "user"' "the clerk is back to the user role"
# PUT replaces the members.
scim PUT /scim/v2/Groups/billing "$TOK" '{"schemas":["'"$GROUP_URN"'"],"displayName":"Billing","members":[{"value":"'"$CLERK_ID"'"},{"value":"'"$PORTER_ID"'"}]}'
expect_status 200 "PUT a group's members"
expect_jq '[.members[].value] | sort == (["'"$CLERK_ID"'","'"$PORTER_ID"'"] | sort)' "both in Billing"
scim PUT /scim/v2/Groups/billing "$TOK" '{"schemas":["'"$GROUP_URN"'"],"displayName":"Billing","members":[{"value":"'"$PORTER_ID"'"}]}'
req GET "/v1/accounts/$ACC/users/$CLERK_ID" "$OWNER"
expect_jq '.role == "user"' "left out of the PUT: back to user"
# What a group change may not do.
scim PATCH /scim/v2/Groups/user "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"remove","path":"members[value eq \"'"$CLERK_ID"'\"]"}]}'
expect_scim_error 400 mutability "nobody leaves Users but by joining another group"
OWNER_ID=$(curl -s -H "Authorization: Bearer $OWNER" "$BASE/v1/me" | jq -r .id)
scim PATCH /scim/v2/Groups/billing "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"add","path":"members","value":[{"value":"'"$OWNER_ID"'"}]}]}'
expect_scim_error 403 "" "the owner's role is not SCIM's to change"
scim PATCH /scim/v2/Groups/billing "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"add","path":"members","value":[{"value":"usr_nosuchperson"}]}]}'
expect_scim_error 400 invalidValue "an unknown member"
scim PATCH /scim/v2/Groups/billing "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"add","path":"members","value":"'"$CLERK_ID"'"}]}'
expect_status 400 "members given as a string"
scim POST /scim/v2/Groups "$TOK" '{"schemas":["'"$GROUP_URN"'"],"displayName":"Billing"}'
expect_scim_error 409 uniqueness "a group named like a role exists"
scim POST /scim/v2/Groups "$TOK" '{"schemas":["'"$GROUP_URN"'"],"displayName":"Radiology"}'
expect_scim_error 400 invalidValue "no other group is made"
scim DELETE /scim/v2/Groups/admin "$TOK"
expect_scim_error 403 "" "roles are not deleted"
scim GET /scim/v2/Groups/radiology "$TOK"
expect_scim_error 404 "" "an unknown group"
scim GET /scim/v2/Groups/billing "$TOK_B"
expect_jq '.members == []' "B's token sees none of A's people in B's Billing"
scim PATCH /scim/v2/Groups/billing "$TOK_B" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"add","path":"members","value":[{"value":"'"$CLERK_ID"'"}]}]}'
expect_scim_error 400 invalidValue "B's token cannot put A's clerk in a group"
req GET "/v1/accounts/$ACC/users/$CLERK_ID" "$OWNER"
expect_jq '.role == "user"' "A's clerk untouched by B"
scim PUT /scim/v2/Groups/billing "$TOK" '{"schemas":["'"$GROUP_URN"'"],"displayName":"Billing","members":[]}'
expect_status 200 "Billing emptied"

# ======== Groups: the account's named custom roles ========
req POST "/v1/accounts/$ACC/roles" "$OWNER" '{"name":"Front desk","permissions":["fax.send","fax.read.own","account.read"]}'
FD_ROLE=$(jqr .id)
req POST "/v1/accounts/$ACC/roles" "$OWNER" '{"name":"Deputies","permissions":["admins.manage","users.manage","account.read"]}'
DEP_ROLE=$(jqr .id)
req POST "/v1/accounts/$ACC/roles" "$OWNER" '{"name":"Auditors","permissions":["data.read","account.read"]}'
AUD_ROLE=$(jqr .id)
scim GET /scim/v2/Groups "$TOK"
expect_jq '.totalResults == 6 and [.Resources[].id] == ["admin","billing","user","'"$AUD_ROLE"'","'"$DEP_ROLE"'","'"$FD_ROLE"'"] and [.Resources[3:][].displayName] == ["Auditors","Deputies","Front desk"]' "the custom roles are groups beside the built-in ones"
scim GET "/scim/v2/Groups?excludedAttributes=members" "$TOK"
expect_jq '.totalResults == 6 and (.Resources | all(has("members") | not))' "Entra: custom-role groups without their members"
# Okta: the group by name, then a member pushed into it.
scim GET "/scim/v2/Groups?filter=$(urlenc 'displayName eq "Front desk"')" "$TOK"
expect_jq '.totalResults == 1 and .Resources[0].id == "'"$FD_ROLE"'" and .Resources[0].members == []' "Okta: a custom role's group by displayName"
scim PATCH "/scim/v2/Groups/$FD_ROLE" "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"add","path":"members","value":[{"value":"'"$CLERK_ID"'","display":"clerk@hospital.example"}]}]}'
expect_status 200 "Okta: the clerk added to Front desk"
expect_jq '[.members[].value] == ["'"$CLERK_ID"'"] and .displayName == "Front desk"' "the clerk is Front desk's member"
req GET "/v1/accounts/$ACC/users/$CLERK_ID" "$OWNER"
expect_jq '.role == "custom" and .custom_role.id == "'"$FD_ROLE"'" and .custom_role.name == "Front desk" and (.permissions | sort) == ["account.read","fax.read.own","fax.send"]' "the clerk holds the role and its permissions"
scim GET "/scim/v2/Users/$CLERK_ID" "$TOK"
expect_jq '.groups == [{"value":"'"$FD_ROLE"'","display":"Front desk","$ref":"/scim/v2/Groups/'"$FD_ROLE"'"}]' "the user's groups name the custom role"
scim GET /scim/v2/Groups/user "$TOK"
expect_jq '[.members[].value] | index("'"$CLERK_ID"'") == null' "and the clerk left Users"
# A change of the role reaches the member SCIM put in it.
req PATCH "/v1/accounts/$ACC/roles/$FD_ROLE" "$OWNER" '{"permissions":["fax.send","fax.read.own","account.read","safebox.use"]}'
req GET "/v1/accounts/$ACC/users/$CLERK_ID" "$OWNER"
expect_jq '(.permissions | index("safebox.use")) != null' "the role's new permission reaches the SCIM-given holder"
# Entra ID: PUT moves the porter from Billing into Front desk as well.
scim PUT "/scim/v2/Groups/$FD_ROLE" "$TOK" '{"schemas":["'"$GROUP_URN"'"],"displayName":"Front desk","members":[{"value":"'"$CLERK_ID"'"},{"value":"'"$PORTER_ID"'"}]}'
expect_status 200 "Entra: PUT a custom role's members"
req GET "/v1/accounts/$ACC/users/$PORTER_ID" "$OWNER"
expect_jq '.custom_role.name == "Front desk"' "the porter holds it too"
req GET "/v1/accounts/$ACC/roles/$FD_ROLE" "$OWNER"
expect_jq '.holders == 2' "the role counts two holders"
# Entra ID: remove a member: back to user.
scim PATCH "/scim/v2/Groups/$FD_ROLE" "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"Remove","path":"members[value eq \"'"$PORTER_ID"'\"]"}]}'
expect_status 200 "Entra: a member removed from Front desk"
req GET "/v1/accounts/$ACC/users/$PORTER_ID" "$OWNER"
expect_jq '.role == "user" and .custom_role == null' "the porter is a user again"
# From one custom role to another.
scim PATCH "/scim/v2/Groups/$AUD_ROLE" "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"add","path":"members","value":[{"value":"'"$CLERK_ID"'"}]}]}'
req GET "/v1/accounts/$ACC/users/$CLERK_ID" "$OWNER"
expect_jq '.custom_role.name == "Auditors" and (.permissions | sort) == ["account.read","data.read"]' "the clerk moved to Auditors"
scim GET "/scim/v2/Groups/$FD_ROLE" "$TOK"
expect_jq '.members == []' "and left Front desk"
# Within the token creator's powers: a token made by someone without
# data.read or admins.manage gives neither.
req POST "/v1/accounts/$ACC/users" "$OWNER" '{"email":"idm@hospital.example","name":"IdM","role":"custom","permissions":["security.manage","users.manage","account.read","fax.send","fax.read.own","safebox.use"]}'
accept "$(jqr .invitation.token)" "quartz-lagoon-8842-y"
IDM=$(login idm@hospital.example quartz-lagoon-8842-y)
req POST "/v1/accounts/$ACC/scim-tokens" "$IDM" '{"name":"Okta (IdM)"}'
TOK_LIM=$(jqr .token)
scim PATCH "/scim/v2/Groups/$AUD_ROLE" "$TOK_LIM" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"add","path":"members","value":[{"value":"'"$PORTER_ID"'"}]}]}'
expect_scim_error 403 "" "the token cannot give data.read its creator lacks"
scim PATCH "/scim/v2/Groups/$DEP_ROLE" "$TOK_LIM" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"add","path":"members","value":[{"value":"'"$PORTER_ID"'"}]}]}'
expect_scim_error 403 "" "nor a role holding admins.manage"
scim PATCH "/scim/v2/Groups/$FD_ROLE" "$TOK_LIM" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"add","path":"members","value":[{"value":"'"$PORTER_ID"'"}]}]}'
expect_status 200 "but gives a role within its creator's powers"
req GET "/v1/accounts/$ACC/users/$PORTER_ID" "$OWNER"
expect_jq '.custom_role.name == "Front desk"' "the porter holds Front desk"
scim POST /scim/v2/Groups "$TOK" '{"schemas":["'"$GROUP_URN"'"],"displayName":"front desk"}'
expect_scim_error 409 uniqueness "a group named like a custom role exists"
scim DELETE "/scim/v2/Groups/$FD_ROLE" "$TOK"
expect_scim_error 403 "" "custom roles are not deleted by SCIM"
scim GET "/scim/v2/Groups/$FD_ROLE" "$TOK_B"
expect_scim_error 404 "" "another account's token does not see A's custom role"
scim PATCH "/scim/v2/Groups/$FD_ROLE" "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"remove","path":"members"}]}'
scim PATCH "/scim/v2/Groups/$AUD_ROLE" "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"remove","path":"members"}]}'
req GET "/v1/accounts/$ACC/users/$CLERK_ID" "$OWNER"
expect_jq '.role == "user"' "groups emptied: the clerk is a user again"

# ======== what SCIM may not do ========
scim DELETE "/scim/v2/Users/$OWNER_ID" "$TOK"
expect_scim_error 403 "" "the owner cannot be deleted by SCIM"
scim PATCH "/scim/v2/Users/$OWNER_ID" "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"replace","path":"active","value":false}]}'
expect_scim_error 403 "" "nor deactivated"
req GET /v1/me "$OWNER"
expect_status 200 "the owner's session lives"

# ======== malformed input ========
for f in 'userName eq' 'userName zz "x"' '(userName eq "x"' 'userName eq "x" and' 'emails[type eq "work"' 'userName eq "unclosed' 'not userName eq "x"' 'userName eq {}' 'a:b eq "x"'; do
	scim GET "/scim/v2/Users?filter=$(urlenc "$f")" "$TOK"
	expect_scim_error 400 invalidFilter "malformed filter: $f"
done
for p in 'emails[type eq "work"' 'name..givenName' '[x eq 1]' 'a b'; do
	scim PATCH "/scim/v2/Users/$O_ID" "$TOK" "$(jq -nc --arg p "$p" --arg s "$PATCH_URN" '{schemas:[$s],Operations:[{op:"replace",path:$p,value:"x"}]}')"
	expect_scim_error 400 invalidPath "malformed PATCH path: $p"
done
scim PATCH "/scim/v2/Users/$O_ID" "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"frobnicate","path":"title","value":"x"}]}'
expect_scim_error 400 invalidSyntax "unknown PATCH op"
scim PATCH "/scim/v2/Users/$O_ID" "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":"replace"}'
expect_scim_error 400 invalidSyntax "Operations not an array"
scim PATCH "/scim/v2/Users/$O_ID" "$TOK" '{"Operations":[{"op":"replace","path":"title","value":"x"}]}'
expect_scim_error 400 invalidSyntax "PATCH without the PatchOp schema"
scim PATCH "/scim/v2/Users/$O_ID" "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"remove"}]}'
expect_scim_error 400 noTarget "remove without a path"
scim PATCH "/scim/v2/Users/$O_ID" "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"remove","path":"emails[type eq \"home\"]"}]}'
expect_scim_error 400 noTarget "remove of nothing"
scim PATCH "/scim/v2/Users/$O_ID" "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"replace","path":"active","value":"perhaps"}]}'
expect_scim_error 400 invalidValue "active must be a boolean"
scim PATCH "/scim/v2/Users/$O_ID" "$TOK" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"replace","path":"userName","value":"not an address"}]}'
expect_scim_error 400 invalidValue "userName must be an e-mail address"
scim POST /scim/v2/Users "$TOK" '{"userName":'
expect_scim_error 400 invalidSyntax "a body that is not JSON"
STATUS=$(curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOK" \
	-H 'Content-Type: text/plain' --data-binary '{"userName":"x@hospital.example"}' "$BASE/scim/v2/Users")
BODY=$(cat "$TMP/body")
expect_scim_error 415 "" "a body of another media type"
scim GET "/scim/v2/Users?count=many" "$TOK"
expect_scim_error 400 invalidValue "count must be a number"
scim GET "/scim/v2/Users?filter=$(urlenc 'userName eq')" "$TOK" "" -H 'Accept-Language: fr'
expect_jq '(.detail | test("valeur|filtre|attendu"))' "SCIM error details in French"

# ======== tenants ========
scim GET /scim/v2/Users "$TOK_B"
expect_jq '.totalResults == 1 and .Resources[0].userName == "o@law.example"' "B's token sees B's people only"
scim GET "/scim/v2/Users?filter=$(urlenc "userName eq \"$OUSER\"")" "$TOK_B"
expect_jq '.totalResults == 0' "B's filter finds none of A's"
scim GET "/scim/v2/Users/$O_ID" "$TOK_B"
expect_scim_error 404 "" "B's token cannot read A's user"
scim PATCH "/scim/v2/Users/$O_ID" "$TOK_B" '{"schemas":["'"$PATCH_URN"'"],"Operations":[{"op":"replace","path":"active","value":true}]}'
expect_scim_error 404 "" "nor change it"
scim DELETE "/scim/v2/Users/$ADMIN_ID" "$TOK_B"
expect_scim_error 404 "" "nor delete A's admin"
req GET "/v1/accounts/$ACC/users/$ADMIN_ID" "$OWNER"
expect_jq '.status == "invited"' "A's admin untouched"

# ======== audit: the token is the actor ========
req GET "/v1/accounts/$ACC/audit-events?actor=scim:$TOK_ID&limit=200" "$OWNER"
expect_status 200 "the account's audit log by the token"
for a in scim.user.create scim.user.patch scim.user.replace scim.user.deactivate scim.user.reactivate scim.user.delete scim.user.list scim.user.read scim.group.list scim.group.read scim.group.update scim.user.role; do
	expect_jq "[.items[].action] | index(\"$a\") != null" "audit event $a by scim:$TOK_ID"
done
expect_jq '[.items[] | select(.action == "scim.user.deactivate")] | all(.actor.type == "scim")' "actor type scim"
req GET "/v1/accounts/$ACC/audit-events?action=scim_token.create" "$OWNER"
expect_jq '([.items[] | select(.target == "'"$TOK_ID"'")] | length) == 1' "the token's creation is audited"

# ======== the token never reaches the log ========
scim GET "/scim/v2/Users/$TOK" "$TOK"
expect_scim_error 404 "" "a client that puts the token in a URL too"
grep -q 'path="/scim/v2/Users/fvc_\[redacted\]"' "$LOG" && ok || fail "the token in a URL is logged redacted"
grep -q 'path="/scim/v2/ServiceProviderConfig"' "$LOG" && ok || fail "the SCIM paths' own words are logged as they are"
if grep -qF "$TOK" "$LOG"; then fail "the SCIM token is in the log"; else ok; fi

# ======== the runner's steps, as over HTTP: limits, gates, refusals audited ========
# The token's own bucket at the account's rate: one request a minute, a
# burst of 3 (the clock is the test's: no refill while this runs).
req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"rate_limit":{"requests_per_minute":1,"burst":3}}'
expect_status 200 "lower the account's rate limit"
for i in 1 2 3; do scim GET /scim/v2/ServiceProviderConfig "$TOK"; done
expect_status 200 "the token's third request in its burst"
scim GET /scim/v2/ServiceProviderConfig "$TOK"
expect_scim_error 429 "" "the fourth is over the token's limit"
grep -qi '^retry-after: [0-9]' "$HEADERS" && ok || fail "Retry-After on a SCIM refusal"
scim GET /scim/v2/ServiceProviderConfig "$TOK_B"
expect_status 200 "another account's token has its own bucket"
advance_clock 1
req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"rate_limit":{"requests_per_minute":600,"burst":120}}'
expect_status 200 "the rate limit restored"
advance_clock 1
# Gates: new terms the token's creator has not accepted stop the token as
# they stop the owner's API keys, until the owner accepts them.
req POST /v1/provider/terms "$OP" '{"version":"2026-12","text_en":"Section 1.","text_fr":"Article 1."}'
expect_status 201 "the provider publishes new terms"
scim GET /scim/v2/Users "$TOK"
expect_scim_error 403 "" "the token is stopped while its creator has terms to accept"
scim GET /scim/v2/Users "$TOK"
expect_scim_error 403 "" "the token is stopped again"
req POST /v1/me/terms/accept "$OWNER" '{"version":"2026-12"}'
expect_status 200 "the owner accepts the terms"
scim GET /scim/v2/Users "$TOK"
expect_status 200 "the token works again"
req POST /v1/me/terms/accept "$OWNER_B" '{"version":"2026-12"}'
req GET "/v1/accounts/$ACC/audit-events?action=scim.request" "$OWNER"
expect_jq '[.items[] | select(.outcome == "refused" and .actor.id == "scim:'"$TOK_ID"'" and .detail.gate == "terms" and .detail.ingress == "scim")] | length == 1' \
	"the token's two refusals at the gate are one audit event, by the token, over SCIM"
# A refusal is in the token's account's log, by the token, with the path
# tried: the account accepts 127.0.0.1 only, the token comes from
# 127.0.0.2.
req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"ip_allowlist":["127.0.0.1/32"]}'
expect_status 200 "the account allows 127.0.0.1 only"
scim GET "/scim/v2/Users/$E_ID" "$TOK" "" --interface 127.0.0.2
expect_scim_error 403 "" "the token from another address is refused"
req GET "/v1/accounts/$ACC/audit-events?action=scim.request" "$OWNER"
expect_jq '[.items[] | select(.outcome == "denied" and .actor.id == "scim:'"$TOK_ID"'" and .target == "/scim/v2/Users/'"$E_ID"'" and .source == "127.0.0.2" and .detail.problem == "ip-not-allowed")] | length == 1' \
	"the refusal is audited in the account's log, by the token, with the path"
req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"ip_allowlist":[]}'
expect_status 200 "the allow-list removed"
# A refused token is audited too (in no account's log: it names none),
# with the path tried, never the token.
scim GET "/scim/v2/Users/fvc_madeupmadeupmadeup" "fvc_notatokenatallnotatokenatall"
expect_scim_error 401 "" "a made-up token again"
req POST /v1/provider/staff "$OP" '{"email":"sec@provider.example","name":"Sam Security","role":"security"}'
accept "$(jqr .invitation.token)" "security-password-1"
SEC=$(login sec@provider.example security-password-1)
req GET "/v1/provider/audit-events?action=scim.request&limit=200" "$SEC"
expect_jq '[.items[] | select(.outcome == "failure" and .target == "/scim/v2/Users/fvc_[redacted]" and .detail.problem == "unauthenticated")] | length == 1' \
	"the refused token is audited, with the path tried and no secret in it"
if grep -q "notatokenatall\|madeupmadeup" <<<"$BODY"; then fail "a token in the audit log"; else ok; fi

# ======== revoking the token ========
req DELETE "/v1/accounts/$ACC/scim-tokens/$TOK_ID" "$OWNER"
expect_status 204 "the owner revokes the token"
scim GET /scim/v2/Users "$TOK"
expect_scim_error 401 "" "a revoked token is refused"
req DELETE "/v1/accounts/$ACC/scim-tokens/$TOK_ID" "$OWNER"
expect_problem 404 not-found "revoked twice"

finish
