#!/usr/bin/env bash
# An account's enterprise identity with the `faxvault` CLI against the real
# faxvaultd (issue 17): `idp add` of an OpenID Connect provider (the client
# secret from standard input, never on the command line) and of a SAML one
# (its metadata from a file), `idp list|show|remove`; `scim-token create`
# (printed once, and it works at /scim/v2), `list`, `revoke` (then refused);
# `sso-domain add` (the TXT record printed), `list`, `remove`; `roles
# create|list|show|update|delete` and a role given with `users update
# --custom-role`, its change reaching the holder;
# usage errors and a member without security.manage refused; every change
# audited. The secrets appear in no audit event.
#
# Usage: identity.sh FAXVAULT FAXVAULTD
FV=${1:?path of faxvault}
FAXVAULTD=${2:?path of faxvaultd}
command -v jq >/dev/null || { echo "identity.sh: jq is required" >&2; exit 1; }
. "$(dirname "$0")/../api/lib.sh"

. "$(dirname "$0")/lib_cli.sh"

start_daemon
export FAXVAULT_URL=$BASE
OP=$(operator_token)
new_account "$OP" "Id Clinic" owner@id.example "lantern-harbour-kite-11"
ACC=$NEW_ACC
new_member "$ACC" "$NEW_OWNER" user@id.example user "meadow-violin-bell-22"
for p in owner:lantern-harbour-kite-11 user:meadow-violin-bell-22; do
	IN=${p#*:} as "${p%%:*}" 0 "${p%%:*} logs in" login --email "${p%%:*}@id.example" --password-stdin || stop
done

# --- identity providers
SECRET="cli-oidc-secret-$RANDOM$RANDOM-Qz9"
IN=$SECRET as owner 0 "add an OpenID Connect provider" idp add --type oidc --name Keycloak \
	--issuer https://idp.id.example/realms/main --client-id faxvault --client-secret-stdin \
	--provisioning jit --role-claim groups --role-map fax-admins=admin --role-map fax-billing=billing --json || stop
OIDC=$(field .id)
[ "$(field '.type + " " + .issuer + " " + .client_id + " " + .provisioning + " " + .role_claim + " " + .role_map["fax-admins"] + " " + (.client_secret_set|tostring)')" = \
	"oidc https://idp.id.example/realms/main faxvault jit groups admin true" ] && ok || fail "the provider as created: $(cat "$OUT")"
if grep -qF "$SECRET" "$OUT"; then fail "the client secret is answered"; else ok; fi

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=idp.id.example -keyout "$TMP/k.pem" -out "$TMP/c.pem" 2>/dev/null
CERT=$(sed '/-----/d' "$TMP/c.pem" | tr -d '\n')
cat >"$TMP/idp.xml" <<XML
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.id.example/saml">
 <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
  <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>$CERT</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
  <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.id.example/sso"/>
 </md:IDPSSODescriptor>
</md:EntityDescriptor>
XML
as owner 0 "add a SAML provider from a metadata file" idp add --type saml --name ADFS \
	--metadata-file "$TMP/idp.xml" --email-attribute mail || stop
has "https://idp.id.example/saml" "the IdP's entity id is shown"
has "/saml/acs" "and the ACS URL to register at the IdP"
SAML=$(sed -n 's/^ID: *//p' "$OUT")
[ "${SAML#idp_}" != "$SAML" ] && ok || fail "the SAML provider's id: $(cat "$OUT")"
as owner 0 "list" idp list && has "$OIDC" "the OIDC provider listed" && has "$SAML" "the SAML one" &&
	has "https://idp.id.example/realms/main" "with its issuer"
as owner 0 "show" idp show "$SAML" && has "/v1/sso/$ACC/$SAML/saml/metadata" "the SP entity id"
as owner 2 "an unknown type" idp add --type ldap
as owner 2 "OIDC without an issuer" idp add --type oidc --client-id x
as owner 2 "an option of the other type" idp add --type saml --issuer https://x.example --metadata-file "$TMP/idp.xml"
as owner 2 "SAML without metadata" idp add --type saml
as owner 2 "a role map without a role" idp add --type saml --metadata-file "$TMP/idp.xml" --role-map admins
as owner 6 "metadata that is not an IdP's" idp add --type saml --metadata-file "$TMP/k.pem"
as user 4 "a member without security.manage" idp list
as owner 0 "remove" idp remove "$OIDC" && has "Identity provider removed." "the removal is said"
as owner 0 "list again" idp list
if grep -qF "$OIDC" "$OUT"; then fail "the removed provider is gone"; else ok; fi

# --- SCIM tokens
as owner 0 "create a SCIM token" scim-token create --name Okta || stop
TOKEN=$(sed -n 's/^    \(fvc_[A-Za-z0-9_-]*\)$/\1/p' "$OUT")
has "shown only now" "the token is said to be shown once"
[ -n "$TOKEN" ] && ok || fail "the token printed: $(cat "$OUT")"
TID=$(sed -n 's/^Created SCIM token \([^ ]*\) (Okta)\.$/\1/p' "$OUT")
code=$(curl -s -o "$TMP/scim" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/scim/v2/Users")
[ "$code" = 200 ] && jq -e '.totalResults >= 2' "$TMP/scim" >/dev/null && ok || fail "the token reads /scim/v2/Users: $code"
as owner 0 "list the tokens" scim-token list && has "$TID" "the token listed" && has "Okta" "by its name"
if grep -qF "$TOKEN" "$OUT"; then fail "the list shows the token"; else ok; fi
as owner 2 "a token needs a name" scim-token create
as user 4 "a member without security.manage" scim-token create --name x
as owner 0 "revoke" scim-token revoke "$TID" && has "SCIM token revoked." "the revocation is said"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/scim/v2/Users")
[ "$code" = 401 ] && ok || fail "the revoked token is refused: $code"
as owner 0 "in French" --lang fr scim-token create --name Entra &&
	has "Jeton SCIM" "the message in French"

# --- e-mail domains for sign-in routing (their DNS check: test_sso_discover.sh)
as owner 0 "claim a domain" sso-domain add ID.Example || stop
has "_faxvault-challenge.id.example" "the TXT record's name is printed"
has "faxvault-domain-verification=" "and its value"
has "faxvault sso-domain verify" "with what to do next"
DID=$(sed -n 's/^ID: *//p' "$OUT")
as owner 0 "list the domains" sso-domain list && has "$DID" "the claim listed" && has "pending" "pending"
as owner 6 "not a domain" sso-domain add "not a domain"
as user 4 "a member without security.manage" sso-domain list
as owner 0 "remove" sso-domain remove "$DID" && has "Domain removed" "the removal is said"
as owner 5 "removed" sso-domain remove "$DID"

# --- named custom roles: `roles list|create|show|update|delete`, given
# with `users update --role custom --custom-role`
as owner 0 "create a role" roles create "Front desk" --permission fax.send,fax.read.own \
	--permission account.read --description "Sends and reads faxes" --json || stop
ROLE=$(field .id)
[ "$(field '.name + " " + (.permissions | sort | join(",")) + " " + (.holders|tostring)')" = \
	"Front desk account.read,fax.read.own,fax.send 0" ] && ok || fail "the role as created: $(cat "$OUT")"
as owner 6 "a name taken, in another case" roles create "FRONT DESK" --permission fax.send
as owner 6 "ownership.transfer is in no role" roles create "Heir" --permission ownership.transfer
as owner 2 "a role without permissions" roles create "Empty"
as user 4 "a member without users.manage" roles create "Mine" --permission fax.send
as owner 0 "list the roles" roles list && has "$ROLE" "the role listed" && has "Front desk" "with its name"
USER_ID=$(curl -s -H "Authorization: Bearer $NEW_MEMBER" "$BASE/v1/me" | jq -r .id)
as owner 0 "give the role" users update "$USER_ID" --account "$ACC" --role custom --custom-role "$ROLE" --json &&
	[ "$(field .custom_role.name)" = "Front desk" ] && ok || fail "the member holds the role: $(cat "$OUT")"
as owner 2 "a named role with --permission" users update "$USER_ID" --account "$ACC" --role custom --custom-role "$ROLE" --permission fax.send
as owner 2 "a named role without --role custom" users update "$USER_ID" --account "$ACC" --custom-role "$ROLE"
as owner 0 "change the role" roles update "$ROLE" --permission fax.send,fax.read.own,account.read,safebox.use \
	&& has "Role updated." "the change is said" && has "safebox.use" "with the new permission"
as user 0 "the holder's permissions followed" whoami && has "safebox.use" "the holder holds safebox.use"
as owner 0 "show" roles show "$ROLE" && has "Sends and reads faxes" "the description" && has "Holders" "the holders"
as owner 6 "a role in use is not deleted" roles delete "$ROLE"
as owner 0 "deleted, its holders made users" roles delete "$ROLE" --holders-to-user && has "Role deleted." "the deletion is said"
as owner 5 "deleted" roles show "$ROLE"
as owner 0 "a role created in French" --lang fr roles create "Accueil" --permission fax.send && has "Rôle créé" "the message in French"

# --- audited, without the secrets
req GET "/v1/accounts/$ACC/audit-events?limit=100" "$NEW_OWNER"
expect_jq '[.items[].action] | (index("idp.create") != null) and (index("idp.delete") != null) and (index("scim_token.create") != null) and (index("scim_token.revoke") != null)' \
	"the providers and tokens are audited"
expect_jq '[.items[].action] | (index("role.create") != null) and (index("role.update") != null) and (index("role.delete") != null)' \
	"the roles' changes are audited"
if grep -qF "$SECRET" <<<"$BODY" || grep -qF "$TOKEN" <<<"$BODY"; then fail "a secret in the audit log"; else ok; fi
finish
