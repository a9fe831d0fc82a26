#!/usr/bin/env bash
# Regulatory profiles that act (C12, C13) against the real daemon: an
# account created with hipaa, hds or gdpr gets the profile's settings at once
# (second factor for administrators, idle timeout of 15 minutes at most,
# received faxes mailed as a link, gdpr's retention periods); every later
# change below a floor is refused with regulatory-floor (English and
# French); declaring a profile on an existing account applies it and audits
# what changed; the posture and the provider's view list the effects.
# Second-factor codes come from oathtool.
. "$(dirname "$0")/lib.sh"
start_daemon

OP=$(operator_token)

# enrol TOKEN: confirms a TOTP second factor for the session's person.
enrol() {
	req POST /v1/me/mfa/totp "$1"
	expect_status 201 "begin enrolment"
	local secret
	secret=$(jqr .secret)
	req POST /v1/me/mfa/totp/confirm "$1" "{\"code\":\"$(oathtool --totp -b "$secret" -N "@$(clock_seconds)")\"}"
	expect_status 200 "confirm the second factor"
}

# profile_account PROFILE SLUG: an account with that profile whose owner has
# accepted; sets ACC and OWNER (a session, not yet with a second factor).
profile_account() {
	req POST /v1/accounts "$OP" "{\"name\":\"Clinique $2\",\"regulatory_profile\":\"$1\",\"owner\":{\"email\":\"owner@$2.example\",\"name\":\"Owner\"}}"
	expect_status 201 "create a $1 account"
	ACC=$(jqr .id)
	CREATED=$BODY
	accept "$(jqr .owner_invitation.token)" "plume encre buvard $2"
	OWNER=$(login "owner@$2.example" "plume encre buvard $2")
}

# ---- hipaa: the settings are on from the start
profile_account hipaa hipaa
BODY=$CREATED
expect_jq '.regulatory_profile == "hipaa" and ([.regulatory_effects[].setting] == ["mfa.required_for","session.idle_timeout_minutes","received_fax_mail","audit"])' "the answer lists the profile's effects"
expect_jq '(.regulatory_effects[] | select(.setting == "audit")) | (.rule | test("at least 6 years")) and (.source | test("164.316"))' "hipaa keeps audit events six years, with its source"
req GET /v1/me "$OWNER"
expect_jq '.pending == ["enrol_mfa"]' "the owner of a hipaa account must enrol a second factor first"
req GET "/v1/accounts/$ACC/security" "$OWNER"
expect_problem 403 mfa-enrolment-required "nothing else before the second factor"
enrol "$OWNER"
req GET "/v1/accounts/$ACC/security" "$OWNER"
expect_status 200 "settings once enrolled"
expect_jq '.mfa.required_for == "admins" and .session.idle_timeout_minutes == 15 and .received_fax_mail == "link"' "hipaa turned on its settings"
req GET "/v1/accounts/$ACC/audit-events?action=account.create" "$OWNER"
expect_jq '.items[0].detail.regulatory_changes | map(.setting) == ["mfa.required_for","session.idle_timeout_minutes","received_fax_mail"]' "account.create records what the profile changed"

# Each floor is refused, with its own problem type, in both languages.
floor() { # floor BODY FIELD DESCRIPTION
	req PATCH "/v1/accounts/$ACC/security" "$OWNER" "$1"
	expect_problem 422 regulatory-floor "$3"
	expect_jq ".field == \"$2\" and (.detail | test(\"hipaa\"))" "$3 (field, profile named)"
}
floor '{"mfa":{"required_for":"none"}}' mfa.required_for "no second factor under hipaa"
floor '{"session":{"idle_timeout_minutes":16}}' session.idle_timeout_minutes "an idle timeout over 15 minutes under hipaa"
floor '{"received_fax_mail":"attachment"}' received_fax_mail "faxes attached to mail under hipaa"
req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"received_fax_mail":"attachment"}' -H 'Accept-Language: fr'
expect_jq '.title == "La modification va en deçà de ce qu'"'"'exige le profil réglementaire du compte" and (.detail | test("le profil hipaa envoie les fax reçus"))' "the refusal in French"
req GET "/v1/accounts/$ACC/security" "$OWNER"
expect_jq '.mfa.required_for == "admins" and .session.idle_timeout_minutes == 15 and .received_fax_mail == "link"' "a refused change changed nothing"
req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"session":{"idle_timeout_minutes":10},"mfa":{"required_for":"all"},"received_fax_mail":"none"}'
expect_status 200 "stricter than the floors is allowed"

req GET "/v1/accounts/$ACC/posture" "$OWNER"
expect_jq '(.items[] | select(.id == "C12")) | .status == "pass" and (.detail | test("The hipaa profile is applied")) and (.effects | length == 4)' "C12 lists what hipaa turned on"
expect_jq '(.items[] | select(.id == "C13")) | .status == "pass" and (.detail | test("hipaa"))' "C13: declared to the provider"
req GET "/v1/accounts/$ACC/posture" "$OWNER" "" -H 'Accept-Language: fr'
expect_jq '(.items[] | select(.id == "C12")) | .detail | test("Le profil hipaa est appliqué")' "C12 in French"
# The provider sees the profile and its effects (C13).
req GET "/v1/accounts/$ACC" "$OP"
expect_jq '.regulatory_profile == "hipaa" and (.regulatory_effects | length == 4)' "the operator sees the profile and its effects"
req GET "/v1/accounts?limit=100" "$OP"
expect_jq '(.items[] | select(.id == "'"$ACC"'")) | .regulatory_effects | length == 4' "and in the account list"

# ---- hds: the same settings, audit events kept a year
profile_account hds hds
BODY=$CREATED
expect_jq '(.regulatory_effects[] | select(.setting == "audit")) | .rule | test("at least 1 year")' "hds keeps audit events a year"
enrol "$OWNER"
req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"session":{"idle_timeout_minutes":30}}'
expect_problem 422 regulatory-floor "an idle timeout over 15 minutes under hds"

# ---- gdpr: retention periods, never "keep"
profile_account gdpr gdpr
BODY=$CREATED
expect_jq '[.regulatory_effects[].setting] == ["mfa.required_for","session.idle_timeout_minutes","received_fax_mail","retention"]' "gdpr's effects"
enrol "$OWNER"
req GET "/v1/accounts/$ACC/retention" "$OWNER"
expect_jq '.inbound_fax_days == 365 and .outbound_fax_days == 365 and .safebox_days == 365' "gdpr chose a year where nothing was chosen"
req PATCH "/v1/accounts/$ACC/retention" "$OWNER" '{"inbound_fax_days":null}'
expect_problem 422 regulatory-floor "keeping forever under gdpr"
expect_jq '.field == "inbound_fax_days"' "keeping forever under gdpr (field)"
req PATCH "/v1/accounts/$ACC/retention" "$OWNER" '{"safebox_days":3651}'
expect_problem 422 regulatory-floor "more than ten years under gdpr"
req PATCH "/v1/accounts/$ACC/retention" "$OWNER" '{"outbound_fax_days":3650,"safebox_days":30}'
expect_status 200 "periods within gdpr's ceiling"
req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"mfa":{"required_for":"none"}}'
expect_problem 422 regulatory-floor "no second factor under gdpr"

# ---- declaring a profile on an existing account applies it
req POST /v1/accounts "$OP" '{"name":"Atelier","owner":{"email":"owner@atelier.example","name":"Owner"}}'
ACC=$(jqr .id)
expect_jq '.regulatory_profile == "none" and .regulatory_effects == []' "no profile, no effects"
accept "$(jqr .owner_invitation.token)" "plume encre buvard atelier"
OWNER=$(login owner@atelier.example "plume encre buvard atelier")
req PATCH "/v1/accounts/$ACC/retention" "$OWNER" '{"inbound_fax_days":4000}'
expect_status 200 "no ceiling without a profile"
req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"session":{"idle_timeout_minutes":20}}'
expect_status 200 "any idle timeout within the provider's limit without a profile"
req PATCH "/v1/accounts/$ACC" "$OP" '{"regulatory_profile":"gdpr"}'
expect_status 200 "declare gdpr"
expect_jq '.regulatory_profile == "gdpr" and (.regulatory_effects | length == 4)' "the account shows its new effects"
enrol "$OWNER"
req GET "/v1/accounts/$ACC/retention" "$OWNER"
expect_jq '.inbound_fax_days == 3650 and .outbound_fax_days == 365 and .safebox_days == 365' "longer periods clamped to the ceiling, kept ones given the default"
req GET "/v1/accounts/$ACC/security" "$OWNER"
expect_jq '.mfa.required_for == "admins" and .session.idle_timeout_minutes == 15 and .received_fax_mail == "link"' "the settings tightened"
req GET "/v1/accounts/$ACC/audit-events?action=account.update" "$OWNER"
expect_jq '.items[0].detail.regulatory_changes | map(.setting) | sort == (["inbound_fax_days","mfa.required_for","outbound_fax_days","received_fax_mail","safebox_days","session.idle_timeout_minutes"] | sort)' "account.update records every change"
expect_jq '(.items[0].detail.regulatory_changes[] | select(.setting == "session.idle_timeout_minutes")) == {"setting":"session.idle_timeout_minutes","old":20,"new":15}' "with the old and new values"

finish
