#!/usr/bin/env bash
# Sign-in routing by e-mail domain (issue 17): an account claims a domain,
# publishes the TXT record it is given, and verifies it against the DNS
# test double the mail tests use (dnsmasq on 127.0.0.1:53 inside this
# test's own network and mount namespace, where /etc/resolv.conf names it,
# so that the daemon's resolver asks it); then /v1/sso/discover sends a
# person of that domain (or one who types the account) to the account's
# providers. Checked: a wrong or missing record refused and audited with
# the reason, a record split in two strings accepted, the DNS down refused,
# one account only holding a domain verified, provider staff verifying
# without DNS, a member without security.manage refused, a domain given up
# routing nobody, discover telling nothing about unverified domains.
. "$(dirname "$0")/lib_dns.sh"
dns_netns "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sso.sh"
dns_setup

# dns TXT-RECORD...: (re)starts dnsmasq, authoritative for clinic.example
# and other.example, with these --txt-record values; waits for its answer.
dns() {
	local args=() r
	for r in "$@"; do args+=("--txt-record=$r"); done
	dns_start clinic.example --local=/other.example/ "${args[@]}"
}
dns

start_daemon
sso_clinic active
MEMBER=$(login u@clinic.example user-password-12345)
req POST "/v1/accounts/$ACC/identity-providers" "$OWNER" '{"type":"oidc","name":"Clinic Keycloak","issuer":"https://idp.clinic.example/realms/main","client_id":"faxvault","client_secret":"s3cret-value-for-test"}'
expect_status 201 "a provider of the account"
IDP=$(jqr .id)
discover() { req GET "/v1/sso/discover?$1"; }

# --- nothing routed before a domain is verified
discover "email=u%40clinic.example"
expect_problem 404 not-found "no verified domain: nothing routed"

# --- the claim
req POST "/v1/accounts/$ACC/sso-domains" "$OWNER" '{"domain":"Clinic.Example"}'
expect_status 201 "the account claims its domain"
DOM=$(jqr .id)
TXT=$(jqr .dns.value)
expect_jq '(.id | startswith("sdm_")) and .domain == "clinic.example" and .status == "pending" and .method == null and .dns.type == "TXT" and .dns.name == "_faxvault-challenge.clinic.example" and (.dns.value | startswith("faxvault-domain-verification="))' \
	"pending, with the TXT record to publish"
req POST "/v1/accounts/$ACC/sso-domains" "$OWNER" '{"domain":"clinic.example"}'
expect_problem 409 conflict "the same domain claimed twice"
for bad in '"not a domain"' '"clinic"' '"-x.example"' '"a..example"' '"xn--é.example"' '7'; do
	req POST "/v1/accounts/$ACC/sso-domains" "$OWNER" "{\"domain\":$bad}"
	expect_problem 422 validation-failed "a domain refused: $bad"
done
req POST "/v1/accounts/$ACC/sso-domains" "$OWNER" '{"domain":"clinic.example","extra":1}'
expect_problem 422 validation-failed "an unknown field"
req GET "/v1/accounts/$ACC/sso-domains" "$OWNER"
expect_jq '[.items[].id] == ["'"$DOM"'"]' "the claim is listed"
req GET "/v1/accounts/$ACC/sso-domains" "$MEMBER"
expect_problem 403 forbidden "a member without security.manage"

# --- verification by the DNS
req POST "/v1/accounts/$ACC/sso-domains/$DOM/verify" "$OWNER"
expect_problem 422 validation-failed "no TXT record published"
expect_jq '.detail | contains("txt_not_found")' "… said so"
dns "_faxvault-challenge.clinic.example,faxvault-domain-verification=someone-elses-token"
req POST "/v1/accounts/$ACC/sso-domains/$DOM/verify" "$OWNER"
expect_problem 422 validation-failed "another token published"
# The value in two strings (as long records are): joined, it matches.
dns "_faxvault-challenge.clinic.example,faxvault-domain-verification=someone-elses-token" \
	"_faxvault-challenge.clinic.example,${TXT:0:20},${TXT:20}"
req POST "/v1/accounts/$ACC/sso-domains/$DOM/verify" "$OWNER"
expect_status 200 "the published record verifies the domain"
expect_jq '.status == "verified" and .method == "dns" and .verified_at != null' "verified by DNS"
req POST "/v1/accounts/$ACC/sso-domains/$DOM/verify" "$OWNER"
expect_status 200 "verifying again answers it as it is"

# --- routing
discover "email=someone%40CLINIC.example"
expect_status 200 "a person of the domain is routed"
expect_jq '.account_id == "'"$ACC"'" and (.providers | length) == 1 and .providers[0].id == "'"$IDP"'" and .providers[0].type == "oidc" and .providers[0].name == "Clinic Keycloak" and .providers[0].start_url == "/v1/sso/'"$ACC/$IDP"'/start"' \
	"to the account's provider and its start URL"
curl -s -o /dev/null -D "$TMP/hs" "$BASE$(jqr '.providers[0].start_url')"
grep -q '^HTTP/1.1 \(302\|502\)' "$TMP/hs" && ok || fail "the start URL is the sign-in's start"
discover "email=x%40other.example"
expect_problem 404 not-found "another domain: nothing"
discover "email=x%40sub.clinic.example"
expect_problem 404 not-found "a subdomain is not the domain"
discover "account=$ACC"
expect_status 200 "the account typed on the sign-in page"
expect_jq '.account_id == "'"$ACC"'" and .providers[0].id == "'"$IDP"'"' "… its providers"
discover "account=acc_none0000000000000000"
expect_problem 404 not-found "an unknown account"
discover "account=$ACC&email=u%40clinic.example"
expect_problem 422 validation-failed "both an address and an account"
discover "email=nobody"
expect_problem 422 validation-failed "not an address"
req GET "/v1/sso/discover"
expect_problem 422 validation-failed "nothing asked"

# --- one account only holds a domain; provider staff verify without DNS
req POST /v1/accounts "$OP" '{"name":"Other","owner":{"email":"o@other.example","name":"O"}}'
ACC2=$(jqr .id)
accept "$(jqr .owner_invitation.token)" "granite-harbour-5678"
OWNER2=$(login o@other.example granite-harbour-5678)
req POST "/v1/accounts/$ACC2/sso-domains" "$OWNER2" '{"domain":"clinic.example"}'
expect_status 201 "another account may claim the same domain"
DOM2=$(jqr .id)
req POST "/v1/accounts/$ACC2/sso-domains/$DOM2/verify" "$OWNER2"
expect_problem 422 validation-failed "but its token is not published"
req POST "/v1/provider/sso-domains/$DOM2/verify" "$OP"
expect_problem 409 conflict "nor can staff verify it: the clinic holds it"
req POST "/v1/accounts/$ACC2/sso-domains" "$OWNER2" '{"domain":"other.example"}'
DOM3=$(jqr .id)
req POST "/v1/provider/sso-domains/$DOM3/verify" "$OWNER2"
expect_problem 403 forbidden "an account owner is not provider staff"
req POST "/v1/provider/sso-domains/$DOM3/verify" ""
expect_problem 401 unauthenticated "nor is nobody"
req POST "/v1/provider/sso-domains/$DOM3/verify" "$OP"
expect_status 200 "provider staff verify a domain"
expect_jq '.status == "verified" and .method == "operator" and .account_id == "'"$ACC2"'"' "… by the operator method"
discover "email=x%40other.example"
expect_problem 404 not-found "a verified domain of an account without a provider routes nobody"
req POST "/v1/accounts/$ACC2/sso-domains/$DOM3/verify" "$OWNER"
expect_problem 404 not-found "another account's domain is not found"

# --- the DNS down
req POST "/v1/accounts/$ACC2/sso-domains" "$OWNER2" '{"domain":"third.example"}'
DOM4=$(jqr .id)
dns_stop
req POST "/v1/accounts/$ACC2/sso-domains/$DOM4/verify" "$OWNER2"
expect_problem 422 validation-failed "the DNS does not answer"
expect_jq '.detail | contains("dns_unavailable")' "… said so"

# --- given up: routing stops
req DELETE "/v1/accounts/$ACC/sso-domains/$DOM" "$OWNER"
expect_status 204 "the clinic gives its domain up"
discover "email=u%40clinic.example"
expect_problem 404 not-found "then nobody is routed by it"
req DELETE "/v1/accounts/$ACC/sso-domains/$DOM" "$OWNER"
expect_problem 404 not-found "a domain given up is gone"

# --- audited
req GET "/v1/accounts/$ACC/audit-events?limit=100" "$OWNER"
expect_jq '[.items[] | select(.action == "sso_domain.verify" and .outcome == "failure") | .detail.reason] | index("txt_not_found") != null' \
	"a failed verification is audited with its reason"
expect_jq '[.items[] | select(.action == "sso_domain.verify" and .outcome == "success") | .detail.method] == ["dns"]' "the verification"
expect_jq '[.items[].action] | (index("sso_domain.create") != null) and (index("sso_domain.delete") != null) and (index("sso_domain.list") != null)' \
	"the claim, the list and the removal"
req GET "/v1/accounts/$ACC2/audit-events?limit=100" "$OWNER2"
expect_jq '[.items[] | select(.action == "sso_domain.verify" and .outcome == "success") | .detail.method] == ["operator"]' \
	"provider staff's verification is in the account's log"
expect_jq '[.items[] | select(.action == "sso_domain.verify" and .outcome == "failure") | .detail.reason] | index("dns_unavailable") != null' \
	"and the DNS failure"
finish
