#!/usr/bin/env bash
# Identity providers of an account (issue 17, C08): created, read, changed
# and deleted with security.manage only, across no account boundary; the
# client secret is sealed, never answered, never logged; a SAML provider
# needs its metadata (test_sso_saml.sh); every change and read is audited.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sso.sh"
start_daemon

sso_clinic active
USER=$(login u@clinic.example user-password-12345)
req POST /v1/accounts "$OP" '{"name":"Other","owner":{"email":"o@other.example","name":"O"}}'
OTHER=$(jqr .id)
accept "$(jqr .owner_invitation.token)" "other-password-1234"
OTHER_OWNER=$(login o@other.example other-password-1234)

SECRET="idp-client-secret-$RANDOM-$RANDOM-Zq8"
IDP_BODY="{\"type\":\"oidc\",\"name\":\"Keycloak\",\"issuer\":\"https://idp.clinic.example/realms/main\",\"client_id\":\"faxvault\",\"client_secret\":\"$SECRET\",\"provisioning\":\"jit\",\"role_claim\":\"groups\",\"role_map\":{\"fax-admins\":\"admin\"}}"
req POST "/v1/accounts/$ACC/identity-providers" "$OWNER" "$IDP_BODY"
expect_status 201 "the owner adds an OpenID Connect provider"
IDP=$(jqr .id)
expect_jq '(.id | startswith("idp_")) and .type == "oidc" and .name == "Keycloak" and .issuer == "https://idp.clinic.example/realms/main" and .client_id == "faxvault" and .client_secret_set == true and .token_auth == "client_secret_basic" and .scopes == "openid email profile" and .provisioning == "jit" and .role_claim == "groups" and .role_map == {"fax-admins":"admin"} and .default_role == "user" and .status == "active"' \
	"the provider as stored, with its defaults"
expect_jq 'has("client_secret") | not' "the secret is never answered"

req GET "/v1/accounts/$ACC/identity-providers" "$OWNER"
expect_jq '(.items | length) == 1 and .items[0].id == "'"$IDP"'" and (.items[0] | has("client_secret") | not)' "listed"
req GET "/v1/accounts/$ACC/identity-providers/$IDP" "$OWNER"
expect_status 200 "read one"

# Who may: security.manage of this account only.
req GET "/v1/accounts/$ACC/identity-providers" "$USER"
expect_problem 403 forbidden "a user cannot list them"
req POST "/v1/accounts/$ACC/identity-providers" "$USER" "$IDP_BODY"
expect_problem 403 forbidden "nor add one"
req GET "/v1/accounts/$ACC/identity-providers/$IDP" "$OTHER_OWNER"
expect_problem 404 not-found "another account's owner learns nothing"
req GET "/v1/accounts/$OTHER/identity-providers/$IDP" "$OTHER_OWNER"
expect_problem 404 not-found "nor through their own account"

# Bad input, and SAML.
req POST "/v1/accounts/$ACC/identity-providers" "$OWNER" '{"type":"saml"}'
expect_problem 422 validation-failed "a SAML provider needs its IdP's metadata (test_sso_saml.sh tests SAML)"
req POST "/v1/accounts/$ACC/identity-providers" "$OWNER" '{"type":"ldap"}'
expect_problem 422 validation-failed "an unknown type"
req POST "/v1/accounts/$ACC/identity-providers" "$OWNER" '{"type":"oidc","issuer":"ftp://x","client_id":"a","client_secret":"b"}'
expect_problem 422 validation-failed "an issuer that is not http(s)"
req POST "/v1/accounts/$ACC/identity-providers" "$OWNER" '{"type":"oidc","issuer":"https://x.example","client_id":"a"}'
expect_problem 422 validation-failed "no client secret"
req POST "/v1/accounts/$ACC/identity-providers" "$OWNER" '{"type":"oidc","issuer":"https://x.example","client_id":"a","client_secret":"b","role_map":{"g":"owner"}}'
expect_problem 422 validation-failed "no sign-in ever makes an owner"
req POST "/v1/accounts/$ACC/identity-providers" "$OWNER" '{"type":"oidc","issuer":"https://x.example","client_id":"a","client_secret":"b","token_auth":"private_key_jwt"}'
expect_problem 422 validation-failed "an unsupported client authentication"
req POST "/v1/accounts/$ACC/identity-providers" "$OWNER" '{"type":"oidc","issuer":"https://x.example","client_id":"a","client_secret":"b","extra":1}'
expect_problem 422 validation-failed "an unknown field"

# Changes.
SECRET2="idp-client-secret-two-$RANDOM-Yw3"
req PATCH "/v1/accounts/$ACC/identity-providers/$IDP" "$OWNER" "{\"status\":\"disabled\",\"client_secret\":\"$SECRET2\",\"token_auth\":\"client_secret_post\"}"
expect_status 200 "disabled, with a new secret"
expect_jq '.status == "disabled" and .token_auth == "client_secret_post" and .client_secret_set and (has("client_secret") | not)' "the change answered"
req PATCH "/v1/accounts/$ACC/identity-providers/$IDP" "$OWNER" '{"type":"saml"}'
expect_problem 422 validation-failed "the type cannot change"
req DELETE "/v1/accounts/$ACC/identity-providers/$IDP" "$OWNER"
expect_status 204 "deleted"
req GET "/v1/accounts/$ACC/identity-providers/$IDP" "$OWNER"
expect_problem 404 not-found "gone"
req DELETE "/v1/accounts/$ACC/identity-providers/$IDP" "$OWNER"
expect_problem 404 not-found "deleted once"

# Audited, without the secret.
req GET "/v1/accounts/$ACC/audit-events?limit=200" "$OWNER"
expect_jq '[.items[].action] | (index("idp.create") != null) and (index("idp.update") != null) and (index("idp.delete") != null) and (index("idp.read") != null)' \
	"create, update, delete and reads are in the account's audit log"
expect_jq '[.items[] | select(.action == "idp.update") | .detail.client_secret] == ["changed"]' "a new secret is recorded as changed"

# The secrets are nowhere in clear: not in the log, not in the database.
for s in "$SECRET" "$SECRET2"; do
	if grep -rqa -- "$s" "$LOG" "$DATA"; then fail "a client secret is in clear in the log or the data directory"; else ok; fi
done
finish
