#!/bin/bash
# Security incidents (P03) and breach notices (P14) through the API of the
# real faxvaultd: an operator records an incident; the affected accounts are
# found by query (the calls of a real fax over the loopback trunk in a
# window) and by list; the regulatory clocks run from the detection and the
# service's periodic pass alerts once as they run down and once when
# overdue (the test clock moves); the notice, written in English and in
# French, reaches each affected account once (kept, a notification, mail to
# the owner and administrators in their language, audited in the account's
# log); the owner reads and acknowledges it, which shows on the incident;
# who may do what; bad input refused with its field.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/bin" "$TMP/mails"
cat > "$TMP/bin/sendmail" <<EOS
#!/bin/sh
f="$TMP/mails/\$\$"
cat > "\$f.part" && mv "\$f.part" "\$f.eml"
EOS
chmod 755 "$TMP/bin/sendmail"
PATH="$TMP/bin:$PATH" start_daemon --set mail.relay=sendmail --set mail.from=noreply@fax.example.net \
	--set retention.sweep_minutes=1 --set testing.media_clock_speed=8
PW="plume encre buvard 1789"
OP=$(operator_token)
DB="$DATA/faxvault.db"
outbox() { sqlite3 "$DB" "SELECT count(*) FROM mail_outbox WHERE kind='$1'${2:+ AND to_addr='$2'}"; }

new_account() { # new_account NAME OWNER_EMAIL -> sets ACC_ID, OWN_TOKEN
	req POST /v1/accounts "$OP" "{\"name\":\"$1\",\"owner\":{\"email\":\"$2\",\"name\":\"Owner of $1\"}}"
	expect_status 201 "account $1"
	ACC_ID=$(jqr .id)
	accept "$(jqr .owner_invitation.token)" "$PW"
	OWN_TOKEN=$(login "$2" "$PW")
}
new_account "Clinique A" owner@a.example; ACC_A=$ACC_ID; OWN_A=$OWN_TOKEN
new_account "Cabinet B" owner@b.example; ACC_B=$ACC_ID; OWN_B=$OWN_TOKEN
new_account "Studio C" owner@c.example; ACC_C=$ACC_ID; OWN_C=$OWN_TOKEN
req PATCH /v1/me "$OWN_B" '{"lang":"fr"}'
expect_status 200 "B's owner reads French"
req POST "/v1/accounts/$ACC_A/users" "$OWN_A" '{"email":"adm@a.example","name":"Ada Admin","role":"admin"}'
accept "$(jqr .invitation.token)" "$PW"
ADM_A=$(login adm@a.example "$PW")
req POST "/v1/accounts/$ACC_A/users" "$OWN_A" '{"email":"u@a.example","name":"Ugo User","role":"user"}'
accept "$(jqr .invitation.token)" "$PW"
USR_A=$(login u@a.example "$PW")
req POST /v1/provider/staff "$OP" '{"email":"sec@provider.example","name":"Sam Security","role":"security"}'
accept "$(jqr .invitation.token)" "$PW"
SEC=$(login sec@provider.example "$PW")
req POST /v1/provider/staff "$OP" '{"email":"sup@provider.example","name":"Sue Support","role":"support"}'
accept "$(jqr .invitation.token)" "$PW"
SUP=$(login sup@provider.example "$PW")

# --- a real fax over the loopback trunk from A: the call a trunk query finds
req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":["+15555550401","+15555550402"]}'
expect_status 201 "loopback numbers"
req POST "/v1/accounts/$ACC_A/numbers" "$OWN_A" '{"country":"US","area_code":"555"}'
req POST "/v1/accounts/$ACC_A/numbers" "$OWN_A" '{"country":"US","area_code":"555"}'
TO=$(jqr .number)
printf 'Lab results\n' >"$TMP/one.txt"
T0=$(date -u -d "@$(( $(clock_seconds) - 60 ))" +%Y-%m-%dT%H:%M:%SZ)
req POST /v1/faxes "$OWN_A" "" -F "file=@$TMP/one.txt" -F "to=$TO"
expect_status 202 "A's fax submitted"
FAX=$(jqr '.items[0].id')
fax_done() {
	req GET "/v1/faxes/$FAX" "$OWN_A"
	case "$(jqr .status)" in delivered|partial|failed|cancelled) return 0 ;; esac
	return 1
}
poll_until 600 fax_done || fail "the fax did not end"
expect_jq '.status == "delivered" and (.attempts | length) >= 1' "A's fax delivered"
TRUNK=$(jqr '.attempts[0].trunk')
[ -n "$TRUNK" ] && [ "$TRUNK" != null ] && ok || fail "the CDR names its trunk"
T1=$(date -u -d "@$(( $(clock_seconds) + 60 ))" +%Y-%m-%dT%H:%M:%SZ)

# --- who may record incidents
INC_BODY='{"title":"Trunk credentials leaked","description":"A trunk password was found in a public paste.","severity":"high","personal_data":true}'
req POST /v1/provider/security-incidents "$SUP" "$INC_BODY"
expect_problem 403 forbidden "support staff cannot record an incident"
req POST /v1/provider/security-incidents "$OWN_A" "$INC_BODY"
expect_problem 403 forbidden "a customer cannot record an incident"
req GET /v1/provider/security-incidents "$ADM_A"
expect_problem 403 forbidden "a customer cannot list incidents"

# --- bad input
req POST /v1/provider/security-incidents "$SEC" '{"title":"x","description":"y","severity":"apocalyptic","personal_data":true}'
expect_problem 422 validation-failed "unknown severity"
expect_jq '.field == "severity"' "the field is named"
req POST /v1/provider/security-incidents "$SEC" '{"title":"x","description":"y","severity":"low"}'
expect_problem 422 validation-failed "personal_data is required"
req POST /v1/provider/security-incidents "$SEC" '{"title":"x","description":"y","severity":"low"}' -H "Accept-Language: fr"
expect_jq '.detail | contains("données personnelles")' "in French too"
FUTURE=$(date -u -d "@$(( $(clock_seconds) + 3600 ))" +%Y-%m-%dT%H:%M:%SZ)
req POST /v1/provider/security-incidents "$SEC" "{\"title\":\"x\",\"description\":\"y\",\"severity\":\"low\",\"personal_data\":false,\"detected_at\":\"$FUTURE\"}"
expect_problem 422 validation-failed "detected in the future"
req POST /v1/provider/security-incidents "$SEC" '{"title":"x","description":"y","severity":"low","personal_data":false,"affected":{"trunk_id":"trk_nope","from":"2026-01-01T00:00:00Z","to":"2026-01-02T00:00:00Z"}}'
expect_problem 422 validation-failed "unknown trunk"
expect_jq '.field == "affected.trunk_id"' "the selector's field is named"
req POST /v1/provider/security-incidents "$SEC" "{\"title\":\"x\",\"description\":\"y\",\"severity\":\"low\",\"personal_data\":false,\"affected\":{\"account_ids\":[\"$ACC_A\",\"acc_nope\"]}}"
expect_problem 422 validation-failed "an unknown account listed"
expect_jq '.detail | contains("item 2")' "the item is named"
req GET /v1/provider/security-incidents "$SEC"
expect_jq '.items | length == 0' "nothing refused was kept"

# --- the incident, its accounts found by the trunk's calls in the window
req POST /v1/provider/security-incidents "$SEC" "{\"title\":\"Trunk credentials leaked\",\"description\":\"A trunk password was found in a public paste.\",\"severity\":\"high\",\"personal_data\":true,\"affected\":{\"trunk_id\":\"$TRUNK\",\"from\":\"$T0\",\"to\":\"$T1\"}}"
expect_status 201 "the security team records the incident"
INC=$(jqr .id)
expect_jq '.status == "open" and .personal_data == true and .accounts_affected == 1' "open, one account affected"
expect_jq "[.accounts[].account_id] == [\"$ACC_A\"] and (.accounts[0].reason | startswith(\"calls through trunk\"))" "A found by its call through the trunk"
expect_jq '[.clocks[].name] == ["gdpr_72h","hipaa_60d"] and all(.clocks[]; .state == "running" and .seconds_left > 0)' "both clocks run"
expect_jq '(.clocks[0].seconds_left > 71*3600) and (.clocks[0].seconds_left <= 72*3600)' "the 72-hour clock counts from the detection"
expect_jq '.timeline[0].kind == "created"' "the timeline starts"
req POST "/v1/provider/security-incidents/$INC/accounts" "$SEC" "{\"affected\":{\"account_ids\":[\"$ACC_B\",\"$ACC_A\"]}}"
expect_status 200 "B added by list"
expect_jq '.accounts_affected == 2' "A stays once, B added"

# --- the clock runs down: one warning, then one overdue alert
# signin: after the clock moved past the idle timeout, the people sign in again.
signin() {
	SEC=$(login sec@provider.example "$PW"); OP=$(operator_token)
	OWN_A=$(login owner@a.example "$PW"); ADM_A=$(login adm@a.example "$PW")
	USR_A=$(login u@a.example "$PW"); OWN_B=$(login owner@b.example "$PW")
	OWN_C=$(login owner@c.example "$PW")
}
advance_clock $((49 * 60))
clock_alerts() { sqlite3 "$DB" "SELECT count(*) FROM security_incident_events WHERE incident_id='$INC' AND kind='clock'"; }
# The daemon reads the test clock when a request arrives: one per try.
alerts_at_least() { curl -s -o /dev/null "$BASE/v1/me"; [ "$(clock_alerts)" -ge "$1" ]; }
poll_until 120 alerts_at_least 1 || fail "no alert as the 72-hour clock ran down"
signin
req GET "/v1/provider/security-incidents/$INC" "$SEC"
expect_jq '[.timeline[] | select(.kind == "clock")] | length == 1 and (.[0].message | startswith("gdpr_72h warning"))' "one warning, at 23 hours left"
[ "$(outbox incident_clock)" -ge 2 ] && ok || fail "the provider's operator and security staff are mailed"
[ "$(outbox incident_clock sup@provider.example)" = 0 ] && ok || fail "support staff are not"
advance_clock $((24 * 60))
poll_until 120 alerts_at_least 2 || fail "no alert once overdue"
signin
req GET "/v1/provider/security-incidents/$INC" "$SEC"
expect_jq '.clocks[0].state == "overdue" and .clocks[0].seconds_left < 0 and .clocks[1].state == "running"' "72 hours passed, 60 days not"
# Later passes of the sweep (every test-clock minute) raise nothing more:
# checked at the end, after many of them.
advance_clock 5
curl -s -o /dev/null "$BASE/v1/me"
req GET "/v1/provider/audit-events?action=security_incident.clock" "$SEC"
expect_jq "[.items[] | select(.target == \"$INC\" and .actor.id == \"system:incidents\")] | length == 2" "alerts audited by the system"

# --- the notice
req POST "/v1/provider/security-incidents/$INC/notices" "$SEC" '{"text_en":"Your faxes of the window may have been exposed."}'
expect_problem 422 validation-failed "the French text is required"
req POST "/v1/provider/security-incidents/$INC/notices" "$SEC" '{"text_en":"Your faxes of the window may have been exposed.","text_fr":"Vos télécopies de la période ont pu être exposées."}'
expect_status 200 "the notice is sent"
expect_jq 'all(.accounts[]; .notice_id != null and .notified_at != null)' "each affected account notified"
expect_jq '.clocks[0].state == "late" and .clocks[1].state == "met"' "the clocks: 72 hours late, 60 days met"
[ "$(outbox breach_notice owner@a.example)" = 1 ] && [ "$(outbox breach_notice adm@a.example)" = 1 ] && ok ||
	fail "A's owner and administrator mailed once each"
[ "$(outbox breach_notice u@a.example)" = 0 ] && ok || fail "A's plain user is not mailed"
[ "$(outbox breach_notice owner@b.example)" = 1 ] && ok || fail "B's owner mailed"
[ "$(outbox breach_notice owner@c.example)" = 0 ] && ok || fail "C, not affected, is not"
[ "$(sqlite3 "$DB" "SELECT lang FROM mail_outbox WHERE kind='breach_notice' AND to_addr='owner@b.example'")" = fr ] && ok ||
	fail "B's owner's notice is in French"
req POST "/v1/provider/security-incidents/$INC/notices" "$SEC" '{"text_en":"Again.","text_fr":"Encore."}'
expect_problem 409 invalid-state "a second notice to nobody new"
[ "$(outbox breach_notice)" = 3 ] && ok || fail "no mail twice"

# --- the account's side
req GET "/v1/accounts/$ACC_A/breach-notices" "$OWN_A"
expect_status 200 "A's owner lists the notices"
expect_jq "(.items | length) == 1 and .items[0].incident_id == \"$INC\" and .items[0].acknowledged_at == null and (.items[0].text_fr | contains(\"télécopies\"))" "the notice kept as written"
NOTICE=$(jqr '.items[0].id')
req GET "/v1/accounts/$ACC_A/breach-notices" "$USR_A"
expect_problem 403 forbidden "a plain user cannot read the notices"
req GET "/v1/accounts/$ACC_A/breach-notices/$NOTICE" "$OWN_B"
expect_problem 404 not-found "another account's owner gets 404"
req GET "/v1/accounts/$ACC_C/breach-notices" "$OWN_C"
expect_jq '.items | length == 0' "C has none"
req GET "/v1/accounts/$ACC_A/notifications" "$OWN_A"
expect_jq "[.items[] | select(.kind == \"breach_notice\" and .target == \"$NOTICE\")] | length == 1" "A's notification"
req POST "/v1/accounts/$ACC_A/breach-notices/$NOTICE/acknowledge" "$ADM_A"
expect_status 200 "A's administrator acknowledges"
expect_jq '.acknowledged_at != null and (.acknowledged_by | length > 0)' "acknowledged, by whom"
req POST "/v1/accounts/$ACC_A/breach-notices/$NOTICE/acknowledge" "$OWN_A"
expect_problem 409 invalid-state "once"
req GET "/v1/provider/security-incidents/$INC" "$SEC"
expect_jq "[.accounts[] | select(.account_id == \"$ACC_A\")][0].acknowledged_at != null and [.accounts[] | select(.account_id == \"$ACC_B\")][0].acknowledged_at == null" "the acknowledgement shows on the incident"
expect_jq '[.timeline[] | select(.kind == "acknowledged")] | length == 1' "and on its timeline"
req GET "/v1/accounts/$ACC_A/audit-events?action=breach_notice.send" "$OWN_A"
expect_jq "[.items[] | select(.target == \"$NOTICE\")] | length == 1" "the notice in A's audit log"

# --- the incident's life
req POST "/v1/provider/security-incidents/$INC/updates" "$SEC" '{"message":"Password rotated.","status":"contained"}'
expect_status 200 "contained"
req POST "/v1/provider/security-incidents/$INC/updates" "$SEC" '{"message":"Back?","status":"investigating"}'
expect_problem 409 invalid-state "no step back"
req POST "/v1/provider/security-incidents/$INC/updates" "$OP" '{"message":"Closed after review.","status":"closed"}'
expect_status 200 "the operator closes it"
expect_jq '.status == "closed" and .closed_at != null' "closed"
req POST "/v1/provider/security-incidents/$INC/accounts" "$SEC" "{\"affected\":{\"account_ids\":[\"$ACC_C\"]}}"
expect_problem 409 invalid-state "a closed incident takes no more accounts"
req GET "/v1/provider/security-incidents?status=closed" "$SEC"
expect_jq "(.items | length) == 1 and .items[0].id == \"$INC\"" "listed by status"
req GET "/v1/provider/security-incidents?status=bogus" "$SEC"
expect_problem 422 validation-failed "unknown status filter"

[ "$(clock_alerts)" = 2 ] && ok || fail "each alert once ($(clock_alerts))"

# --- without personal data, no clock
req POST /v1/provider/security-incidents "$SEC" '{"title":"DDoS","description":"Flood on the API.","severity":"medium","personal_data":false,"affected":{"all":true}}'
expect_status 201 "an incident without personal data"
expect_jq '.clocks == [] and .accounts_affected >= 3' "no clock; every account affected"

# --- the 60-day clock (HIPAA): an incident whose account is never notified
req POST /v1/provider/security-incidents "$SEC" "{\"title\":\"Lost laptop\",\"description\":\"A support laptop was lost.\",\"severity\":\"high\",\"personal_data\":true,\"affected\":{\"account_ids\":[\"$ACC_C\"]}}"
expect_status 201 "an incident with personal data"
INC2=$(jqr .id)
hipaa_alerts() { sqlite3 "$DB" "SELECT count(*) FROM security_incident_events WHERE incident_id='$INC2' AND kind='clock' AND message LIKE 'hipaa_60d%'"; }
hipaa_at_least() { curl -s -o /dev/null "$BASE/v1/me"; [ "$(hipaa_alerts)" -ge "$1" ]; }
advance_clock $((53 * 24 * 60 + 60)) # 6 days 23 hours left of the 60 days
poll_until 300 hipaa_at_least 1 || fail "no alert as the 60-day clock ran down"
signin
req GET "/v1/provider/security-incidents/$INC2" "$SEC"
expect_jq '.clocks[0].state == "overdue" and .clocks[1].name == "hipaa_60d" and .clocks[1].state == "running" and .clocks[1].seconds_left < 7*86400' \
	"the 72 hours long past, the 60-day clock in its last week"
expect_jq '[.timeline[] | select(.kind == "clock") | .message | select(startswith("hipaa_60d"))] | length == 1 and (.[0] | startswith("hipaa_60d warning"))' \
	"one 60-day warning"
advance_clock $((7 * 24 * 60))
poll_until 300 hipaa_at_least 2 || fail "no alert once the 60 days passed"
signin
req GET "/v1/provider/security-incidents/$INC2" "$SEC"
expect_jq '.clocks[1].state == "overdue" and .clocks[1].seconds_left < 0' "the 60 days passed"
req GET "/v1/provider/audit-events?action=security_incident.clock&limit=100" "$SEC"
expect_jq "[.items[] | select(.target == \"$INC2\")] | length == 3" \
	"three alerts audited: the 72 hours overdue, the 60 days' warning and overdue"
[ "$(hipaa_alerts)" = 2 ] && ok || fail "each 60-day alert once ($(hipaa_alerts))"

finish
