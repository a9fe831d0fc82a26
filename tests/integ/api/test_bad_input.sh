#!/usr/bin/env bash
# Bad input: every malformed, oversized, mistyped or foreign request gets a
# clear problem+json, and nothing is half-written.
. "$(dirname "$0")/lib.sh"
start_daemon --set http.max_body_bytes=4096

OP=$(operator_token)
count_accounts() { curl -s "$BASE/v1/accounts?limit=200" -H "Authorization: Bearer $OP" | jq '.items | length'; }
N0=$(count_accounts)

req POST /v1/accounts "$OP" '{"name":"x",'
expect_problem 400 invalid-json "truncated JSON"
req POST /v1/accounts "$OP" '[1,2]'
expect_problem 400 invalid-json "JSON that is not an object"
req POST /v1/accounts "$OP" '{"name":"a","name":"b","owner":{"email":"a@b.example","name":"A"}}'
expect_problem 400 invalid-json "duplicate keys"
req POST /v1/accounts "$OP" '{"name":42,"owner":{"email":"a@b.example","name":"A"}}'
expect_problem 422 validation-failed "wrong type"
expect_jq '.field == "name"' "the field is named"
req POST /v1/accounts "$OP" '{"name":"Acme","owner":{"email":"a@b.example","name":"A"},"colour":"red"}'
expect_problem 422 validation-failed "unknown field"
expect_jq '.field == "colour"' "unknown field named"
req POST /v1/accounts "$OP" '{"name":"Acme","owner":{"email":"not-an-address","name":"A"}}'
expect_problem 422 validation-failed "invalid e-mail"
expect_jq '.field == "owner.email"' "nested field path"
req POST /v1/accounts "$OP" '{"name":"Acme","owner":{"email":"a@b.example","name":"A"},"regulatory_profile":"sox"}'
expect_problem 422 validation-failed "unknown regulatory profile"
req POST /v1/accounts "$OP" '{"name":"Acme","owner":{"email":"a@b.example","name":"\u0007bell"}}'
expect_problem 422 validation-failed "control character in a name"
printf '{"name":"\xff\xfe","owner":{"email":"a@b.example","name":"A"}}' > "$TMP/badutf8.json"
req POST /v1/accounts "$OP" "" -H 'Content-Type: application/json' --data-binary @"$TMP/badutf8.json"
expect_problem 400 invalid-json "invalid UTF-8"
req POST /v1/accounts "$OP" "" -H 'Content-Type: text/plain' --data-binary '{"name":"Acme","owner":{"email":"a@b.example","name":"A"}}'
expect_problem 415 unsupported-media-type "wrong content type"
head -c 10000 /dev/zero | tr '\0' 'a' > "$TMP/big"
req POST /v1/accounts "$OP" "" -H 'Content-Type: application/json' --data-binary @"$TMP/big"
expect_problem 413 payload-too-large "oversized body"

# Nothing half-written: a bad billing contact after a good owner leaves no
# account and no owner behind.
req POST /v1/accounts "$OP" '{"name":"Half","owner":{"email":"half@owner.example","name":"H"},"billing_contacts":[{"email":"ok@bill.example","name":"Ok"},{"email":"broken","name":"B"}]}'
expect_problem 422 validation-failed "bad second billing contact"
expect_jq '.field == "billing_contacts[1].email"' "indexed field path"
[ "$(count_accounts)" = "$N0" ] && ok || fail "a failed create left an account behind"
req POST /v1/accounts "$OP" '{"name":"Half","owner":{"email":"half@owner.example","name":"H"},"billing_contacts":[{"email":"ok@bill.example","name":"Ok"}]}'
expect_status 201 "the same addresses are still free"
ACC=$(jqr .id)
OWNER_INV=$(jqr .owner_invitation.token)
req POST /v1/accounts "$OP" '{"name":"Dup","owner":{"email":"half@owner.example","name":"H"}}'
expect_problem 409 email-taken "address in use"
[ "$(count_accounts)" = "$((N0 + 1))" ] && ok || fail "a conflicting create left an account behind"

# Unknown paths, methods, ids, parameters.
req GET /v1/nothing-here "$OP"
expect_problem 404 not-found "unknown path"
req PUT "/v1/accounts/$ACC" "$OP" '{}'
expect_problem 405 method-not-allowed "wrong method"
req GET "/v1/accounts/$ACC/users/usr_unknown00000000000" "$OP"
expect_problem 403 forbidden "operators do not read account users"
req GET "/v1/accounts?limit=0" "$OP"
expect_problem 400 invalid-parameter "limit 0"
req GET "/v1/accounts?limit=abc" "$OP"
expect_problem 400 invalid-parameter "limit not a number"
req GET "/v1/accounts?limit=100000" "$OP"
expect_problem 400 invalid-parameter "limit too large"
req GET "/v1/provider/audit-events?since=yesterday" "$OP"
expect_problem 403 forbidden "operators do not read the audit log"

# Credentials.
req GET /v1/me "fvs_forged-token"
expect_problem 401 unauthenticated "forged session token"
grep -qi '^www-authenticate: Bearer' "$HEADERS" && ok || fail "WWW-Authenticate header"
req GET /v1/me "" "" -H "Authorization: Basic b3A6cHc="
expect_problem 401 unauthenticated "wrong scheme"
req GET /v1/me
expect_problem 401 unauthenticated "no credential"
req POST /v1/sessions "" '{"email":"op@example.com"}'
expect_problem 422 validation-failed "login without password"
req POST /v1/invitations/accept "" '{"token":"fvi_nonsense","password":"long-enough-password"}'
expect_problem 404 invitation-invalid "unknown invitation"

# Request ids are echoed; problems speak French when asked.
req GET /v1/nothing "$OP" "" -H 'X-Request-Id: test-rid-42' -H 'Accept-Language: fr-CA,fr;q=0.9,en;q=0.5'
grep -qi '^x-request-id: test-rid-42' "$HEADERS" && ok || fail "X-Request-Id echoed"
expect_jq '.request_id == "test-rid-42" and .title == "La ressource n'"'"'existe pas"' "French title"
req GET /v1/nothing "$OP" "" -H 'X-Request-Id: bad id with spaces'
grep -qi '^x-request-id: req_' "$HEADERS" && ok || fail "unsafe X-Request-Id replaced"

# Details in the language asked, saying what the title does not; limits named.
req GET /v1/nothing "$OP" "" -H 'Accept-Language: fr'
expect_jq '.title == "La ressource n'"'"'existe pas" and .detail == "ce chemin n'"'"'existe pas"' "French detail"
req POST /v1/accounts "$OP" '{"name":"Acme","owner":{"email":"a@b.example","name":"A"},"colour":"red"}' \
	-H 'Accept-Language: fr'
expect_jq '.detail == "champ inconnu : « colour »"' "French detail with the field named"
req POST /v1/invitations/accept "" "{\"token\":\"$OWNER_INV\",\"password\":\"short\"}"
expect_problem 422 weak-password "a short password"
expect_jq '.detail == "the password must have at least 12 characters (it has 5)"' "the policy's limit named"
req POST /v1/invitations/accept "" "{\"token\":\"$OWNER_INV\",\"password\":\"short\"}" \
	-H 'Accept-Language: fr'
expect_jq '.detail == "le mot de passe doit compter au moins 12 caractères (il en a 5)"' "the limit named in French"
req POST /v1/invitations/accept "" '{"token":"fvi_nonsense","password":"long-enough-password"}'
expect_jq '.detail | test("for 7 days")' "an unknown invitation names the invitations' lifetime"
req PUT "/v1/accounts/$ACC" "$OP" '{}'
expect_jq '.detail == "this path does not take PUT"' "405 names the method"
req POST /v1/accounts "$OP" "" -H 'Content-Type: text/plain' --data-binary '{}'
expect_jq '.detail | test("it came as text/plain")' "415 names the type received"
req POST /v1/accounts "$OP" '{"name":"Dup","owner":{"email":"half@owner.example","name":"H"}}' \
	-H 'Accept-Language: fr'
expect_problem 409 email-taken "address in use, in French"
expect_jq '.detail == "l'"'"'adresse half@owner.example est déjà utilisée"' "409 detail in French"
req POST /v1/accounts "$OP" "" -H 'Content-Type: application/json' -H 'Accept-Language: fr' --data-binary @"$TMP/big"
expect_problem 413 payload-too-large "oversized body, in French"
expect_jq '.detail | test("^le corps de cette requête ne peut dépasser [0-9]+ octets$")' "413 detail names the limit in French"
req GET "/v1/accounts/$ACC/users/usr_unknown00000000000" "$OP" "" -H 'Accept-Language: fr-FR,fr;q=0.9'
expect_problem 403 forbidden "operators do not read account users, in French"
expect_jq '.detail | startswith("cette opération demande l'"'"'une de ces permissions\u00a0: ")' "403 detail in French"
# The person's own setting when the request names no language.
req PATCH /v1/me "$OP" '{"lang":"fr"}'
expect_status 200 "operator switches to French"
req GET /v1/accounts/acc_nonexistent0000000000 "$OP"
expect_jq '.title == "La ressource n'"'"'existe pas" and .detail == "ce compte n'"'"'existe pas"' \
	"the person's language without Accept-Language"
req GET /v1/accounts/acc_nonexistent0000000000 "$OP" "" -H 'Accept-Language: en'
expect_jq '.detail == "no such account"' "Accept-Language wins over the setting"
req PATCH /v1/me "$OP" '{"lang":"en"}'

# The server is still fine after all that.
req GET /readyz
expect_status 200 "still ready"
finish
