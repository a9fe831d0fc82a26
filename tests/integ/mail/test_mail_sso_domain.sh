#!/usr/bin/env bash
# Verified sign-in domains re-checked in the DNS (issue 17, docs/sso.md):
# the service's pass looks up a domain verified by its TXT record every
# sso.domain_recheck_hours of its clock (the test clock moves it); the DNS
# is the test double of test_sso_discover.sh (dnsmasq in this test's own
# namespaces, lib_dns.sh) and mail goes through a private Postfix. Checked:
# the record present, only the check's time moves; the DNS silent, nothing
# changes; the record gone, the first miss is audited by system:sso and
# mailed to the owner (English) and a security contact (French) with the
# date routing stops, routing going on meanwhile; the record back within
# the grace, audited and nothing else; gone past sso.domain_grace_hours,
# the domain becomes unverified (audited, mailed in both languages) and
# routes nobody until verified again; a domain verified by provider staff
# is not looked up.
. "$(dirname "$0")/../api/lib_dns.sh"
dns_netns "$@"
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/../api/lib_sso.sh"
. "$(dirname "$0")/postfix.sh"
dns_setup
trap 'dns_stop; postfix_stop; cleanup' EXIT
# dns [RECORD]: dnsmasq answers for clinic.example, with the TXT record
# RECORD (NAME,VALUE) or none.
dns() { dns_start clinic.example ${1:+"--txt-record=$1"}; }
dns

postfix_start
start_daemon --set mail.relay="smtp://127.0.0.1:$PF_PORT" --set mail.from=noreply@fax.example.net \
	--set mail.web_url=https://fax.example.net --set sso.domain_recheck_hours=24 \
	--set sso.domain_grace_hours=48
sso_clinic
req POST "/v1/accounts/$ACC/security-contacts" "$OWNER" '{"name":"Chloé RSSI","email":"rssi@clinic.example","lang":"fr"}'
expect_status 201 "a security contact who reads French"
req POST "/v1/accounts/$ACC/identity-providers" "$OWNER" '{"type":"oidc","name":"Clinic Keycloak","issuer":"https://idp.clinic.example/realms/main","client_id":"faxvault","client_secret":"s3cret-value-for-test"}'
expect_status 201 "a provider of the account"

# The owner's session, fresh after each move of the clock (days pass).
owner() { OWNER=$(login o@clinic.example granite-harbour-1234); }
# domain ID FIELD: a field of the account's domain ID (jq -r).
domain() { curl -s -H "Authorization: Bearer $OWNER" "$BASE/v1/accounts/$ACC/sso-domains" | jq -r ".items[] | select(.id == \"$1\") | $2"; }
# pass HOURS ID FIELD: the clock moved HOURS, waits until FIELD of domain
# ID changes (the pass ran).
pass() {
	owner
	PASS_ID=$2 PASS_FIELD=$3 PASS_BEFORE=$(domain "$2" "$3")
	advance_clock $(( $1 * 60 ))
	owner
	poll_until 120 changed
}
changed() { [ "$(domain "$PASS_ID" "$PASS_FIELD")" != "$PASS_BEFORE" ]; }
routed() { req GET "/v1/sso/discover?email=someone%40clinic.example"; }
events() { # events ACTION: the account's audit events of that action (JSON array)
	curl -s -H "Authorization: Bearer $OWNER" "$BASE/v1/accounts/$ACC/audit-events?limit=200" |
		jq -c "[.items[] | select(.action == \"$1\")]"
}

# --- the domain verified by its record; another by provider staff
req POST "/v1/accounts/$ACC/sso-domains" "$OWNER" '{"domain":"clinic.example"}'
DOM=$(jqr .id)
TXT=$(jqr .dns.value)
REC="_faxvault-challenge.clinic.example,$TXT"
dns "$REC"
req POST "/v1/accounts/$ACC/sso-domains/$DOM/verify" "$OWNER"
expect_status 200 "verified by its record"
expect_jq '.status == "verified" and .checked_at == .verified_at and .failing_since == null' "checked when verified"
req POST "/v1/accounts/$ACC/sso-domains" "$OWNER" '{"domain":"other.example"}'
DOM_OP=$(jqr .id)
req POST "/v1/provider/sso-domains/$DOM_OP/verify" "$(operator_token)"
expect_status 200 "the other verified by provider staff (no record)"
routed
expect_status 200 "routed"

# --- present: the check's time moves, nothing else
if pass 25 "$DOM" .checked_at; then ok; else fail "the pass looked the domain up again"; fi
[ "$(domain "$DOM" .status)/$(domain "$DOM" .failing_since)" = "verified/null" ] && ok || fail "the record present: verified, not failing"
[ "$(domain "$DOM_OP" .status)/$(domain "$DOM_OP" .checked_at)" = "verified/$(domain "$DOM_OP" .verified_at)" ] && ok ||
	fail "the domain verified by staff is not looked up"
[ "$(events sso_domain.recheck)" = "[]" ] && ok || fail "a record found again is not an event"

# --- the DNS silent: only the check's time
dns_stop
if pass 25 "$DOM" .checked_at; then ok; else fail "the pass ran with the DNS silent"; fi
[ "$(domain "$DOM" .status)/$(domain "$DOM" .failing_since)" = "verified/null" ] && ok || fail "a silent DNS is not a missing record"
grep -q "event=sso.domain_recheck_dns .*domain_id=$DOM reason=dns_unavailable" "$LOG" && ok || fail "the silent DNS is logged"

# --- the record gone: the first miss audited and mailed, routing goes on
dns
if pass 25 "$DOM" .failing_since; then ok; else fail "the pass saw the record gone"; fi
FAILING=$(domain "$DOM" .failing_since)
[ "$(domain "$DOM" .status)" = verified ] && ok || fail "still verified within the grace"
routed
expect_status 200 "still routed within the grace"
E=$(events sso_domain.recheck)
printf '%s' "$E" | jq -e --arg d "$DOM" 'length == 1 and .[0].actor.id == "system:sso" and .[0].outcome == "failure" and .[0].target == $d and .[0].detail.reason == "txt_not_found" and .[0].detail.domain == "clinic.example" and (.[0].detail.unverified_after | type) == "string"' >/dev/null &&
	ok || fail "the first miss is audited by system:sso with its reason: $E"
S_EN="The sign-in domain clinic.example of Clinic lost its DNS record"
S_FR="Le domaine de connexion clinic.example de Clinic a perdu son enregistrement DNS"
if poll_until 120 with_subject o@clinic.example "$S_EN" 1; then ok; else fail "the owner is mailed the missing record"; fi
check_mail '.lang == "en" and (.text | contains("_faxvault-challenge.clinic.example TXT") and contains("'"$TXT"'") and contains("becomes unverified") and contains("https://fax.example.net"))' \
	"in English, with the record to publish and the date"
if poll_until 120 with_subject rssi@clinic.example "$S_FR" 1; then ok; else fail "the security contact is mailed, in French"; fi
check_mail '.lang == "fr" and (.text | contains("deviendra non vérifié") and contains("'"$TXT"'") and contains("Bonjour Chloé RSSI"))' "in French"

# --- back within the grace: audited, not failing any more
dns "$REC"
if pass 25 "$DOM" .failing_since; then ok; else fail "the pass saw the record back"; fi
[ "$(domain "$DOM" .status)/$(domain "$DOM" .failing_since)" = "verified/null" ] && ok || fail "the record back: verified, not failing"
events sso_domain.recheck | jq -e 'length == 2 and .[0].outcome == "success" and .[0].actor.id == "system:sso"' >/dev/null &&
	ok || fail "the record back is audited"

# --- gone past the grace (48 h): unverified, routing stops
dns
pass 25 "$DOM" .failing_since || fail "the second absence seen"
FAILING=$(domain "$DOM" .failing_since)
pass 25 "$DOM" .checked_at || fail "looked up again"
[ "$(domain "$DOM" .status)/$(domain "$DOM" .failing_since)" = "verified/$FAILING" ] && ok || fail "25 h into the grace: still verified, failing since the first miss"
if poll_until 120 with_subject o@clinic.example "$S_EN" 2 && ! with_subject o@clinic.example "$S_EN" 3; then ok; else
	fail "one mail per absence, not one per check"; fi
if pass 25 "$DOM" .status; then ok; else fail "the pass made the domain unverified"; fi
[ "$(domain "$DOM" .status)" = unverified ] && ok || fail "50 h without the record: unverified"
routed
expect_problem 404 not-found "an unverified domain routes nobody"
E=$(events sso_domain.unverify)
printf '%s' "$E" | jq -e --arg d "$DOM" 'length == 1 and .[0].actor.id == "system:sso" and .[0].target == $d and .[0].detail.reason == "txt_not_found"' >/dev/null &&
	ok || fail "audited as sso_domain.unverify by system:sso: $E"
S_EN2="The sign-in domain clinic.example of Clinic is no longer verified"
S_FR2="Le domaine de connexion clinic.example de Clinic n'est plus vérifié"
if poll_until 120 with_subject o@clinic.example "$S_EN2" 1; then ok; else fail "the owner is mailed the domain unverified"; fi
check_mail '.lang == "en" and (.text | contains("are no longer sent to your identity providers") and contains("'"$TXT"'"))' "in English"
if poll_until 120 with_subject rssi@clinic.example "$S_FR2" 1; then ok; else fail "the security contact too, in French"; fi
check_mail '.lang == "fr" and (.text | contains("est devenu non vérifié"))' "in French"
with_subject u@clinic.example "$S_EN2" 1 && fail "a member without a security role is not mailed" || ok

# --- verified again by its record
req POST "/v1/accounts/$ACC/sso-domains/$DOM/verify" "$OWNER"
expect_problem 422 validation-failed "verifying again needs the record"
dns "$REC"
req POST "/v1/accounts/$ACC/sso-domains/$DOM/verify" "$OWNER"
expect_status 200 "the record published again verifies it again"
expect_jq '.status == "verified" and .failing_since == null' "verified, not failing"
routed
expect_status 200 "routed again"
[ "$(domain "$DOM_OP" .status)/$(domain "$DOM_OP" .checked_at)" = "verified/$(domain "$DOM_OP" .verified_at)" ] && ok ||
	fail "the domain verified by staff stayed verified, never looked up"
finish
