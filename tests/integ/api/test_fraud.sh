#!/bin/bash
# Automatic fraud detection (C17, R04) and announced penetration tests (C15)
# through the real faxvaultd, its periodic pass moved by the test clock: a
# fax to a watched prefix, a sign-in from a new address after a lockout and
# an API key used from a new address each become one fraud report by
# system:fraud (evidence, notification, mail EN/FR to the owner, the
# administrators and the operators, not to plain users); with fraud_hold on,
# the finding holds the account's outbound faxing (403 outbound-held, in
# French too) until an administrator confirms it safe; a second fax in the
# same window raises nothing more. During an approved penetration test the
# test's source address is announced: its traffic raises no report (audited
# fraud.announced), its failed sign-ins lock nobody out, and the rate limit
# still refuses it (429) but counts it apart in /metrics. Each answer to a
# report is mailed to its reporter, in their language, once.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# The pass's windows are UTC days (fraud.window_hours 24): the test clock
# starts an hour after the next midnight, so that the half hour the test
# moves it never crosses one (run from about 23:30 UTC, it did, and the
# "same window" checks failed).
clock_start_day

mkdir -p "$TMP/bin" "$TMP/mails"
cat > "$TMP/bin/sendmail" <<EOS
#!/bin/sh
f="$TMP/mails/\$\$"
cat > "\$f.part" && mv "\$f.part" "\$f.eml"
EOS
chmod 755 "$TMP/bin/sendmail"
MTOKEN="metrics-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$MTOKEN" > "$TMP/metrics.token"
chmod 600 "$TMP/metrics.token"
PATH="$TMP/bin:$PATH" start_daemon --set mail.relay=sendmail --set mail.from=noreply@fax.example.net \
	--set retention.sweep_minutes=1 --set fraud.risky_prefixes=+1555555 --set auth.lockout_threshold=3 \
	--set metrics.listen=127.0.0.1:0 --set "metrics.token_file=$TMP/metrics.token"
PW="plume encre buvard 1789"
OP=$(operator_token)
DB="$DATA/faxvault.db"
outbox() { sqlite3 "$DB" "SELECT count(*) FROM mail_outbox WHERE kind='$1'${2:+ AND to_addr='$2'}"; }
iso() { date -u -d "@$(( $(clock_seconds) + $1 ))" +%Y-%m-%dT%H:%M:%SZ; }

req POST /v1/accounts "$OP" '{"name":"Clinique","owner":{"email":"owner@c.example","name":"Odile"}}'
expect_status 201 "the account"
ACC=$(jqr .id)
accept "$(jqr .owner_invitation.token)" "$PW"
OWNER=$(login owner@c.example "$PW")
req PATCH /v1/me "$OWNER" '{"lang":"fr"}'
expect_status 200 "the owner reads French"
req POST "/v1/accounts/$ACC/users" "$OWNER" '{"email":"adm@c.example","name":"Ada","role":"admin"}'
accept "$(jqr .invitation.token)" "$PW"
ADM=$(login adm@c.example "$PW")
req POST "/v1/accounts/$ACC/users" "$OWNER" '{"email":"u@c.example","name":"Ugo","role":"user"}'
accept "$(jqr .invitation.token)" "$PW"
USR=$(login u@c.example "$PW")
req POST "/v1/accounts/$ACC/users" "$OWNER" '{"email":"t@c.example","name":"Tess","role":"user"}'
accept "$(jqr .invitation.token)" "$PW"
req POST /v1/provider/staff "$OP" '{"email":"sec@provider.example","name":"Sam","role":"security"}'
accept "$(jqr .invitation.token)" "$PW"
SEC=$(login sec@provider.example "$PW")

# --- the setting: off by default, on for this account
req GET "/v1/accounts/$ACC/security" "$OWNER"
expect_jq '.fraud_hold == false' "fraud_hold is off by default"
req PATCH "/v1/accounts/$ACC/security" "$USR" '{"fraud_hold":true}'
expect_problem 403 forbidden "a user cannot change it"
req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"fraud_hold":"yes"}'
expect_problem 422 validation-failed "fraud_hold is a boolean"
req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"fraud_hold":true}'
expect_status 200 "the owner turns fraud_hold on"
expect_jq '.fraud_hold == true' "fraud_hold on"

# --- generated traffic: a fax over the loopback trunk to a watched prefix
req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":["+15555550501","+15555550502"]}'
expect_status 201 "loopback numbers"
printf 'Invoice 42\n' >"$TMP/one.txt"
req POST /v1/faxes "$USR" "" -F "file=@$TMP/one.txt" -F "to=+15555550502"
expect_status 202 "a fax to a watched prefix"
advance_clock 2
# The daemon reads the test clock when a request arrives: one per try.
auto_reports() { # auto_reports N: the account has N reports by system:fraud
	curl -s -o /dev/null "$BASE/v1/me"
	req GET "/v1/accounts/$ACC/fraud-reports" "$OWNER"
	[ "$(jqr '[.items[] | select(.created_by == "system:fraud")] | length')" = "$1" ]
}
poll_until 120 auto_reports 1 || fail "the pass raised no report for the watched prefix"
expect_jq '[.items[] | select(.created_by == "system:fraud")][0] | .rule == "prefix" and .status == "open" and .evidence.prefix == "+1555555" and .numbers == ["+15555550502"] and (.description | test("\\+1555555")) and (.description_fr | test("surveille"))' \
	"the report names the rule, its evidence, in English and French"
REP1=$(jqr '[.items[] | select(.created_by == "system:fraud")][0].id')
req GET "/v1/provider/requests?kind=fraud" "$SEC"
expect_jq "[.items[].id] | index(\"$REP1\") != null" "the report is in the security team's queue"
req GET "/v1/accounts/$ACC/notifications" "$OWNER"
expect_jq "[.items[] | select(.kind == \"fraud.finding\" and .target == \"$REP1\")] | length == 1" "the account is notified"
[ "$(outbox fraud_finding owner@c.example)" = 1 ] && ok || fail "the owner is mailed once"
[ "$(outbox fraud_finding adm@c.example)" = 1 ] && ok || fail "the administrator is mailed once"
[ "$(outbox fraud_finding op@example.com)" = 1 ] && ok || fail "the operator is mailed once"
[ "$(outbox fraud_finding sec@provider.example)" = 1 ] && ok || fail "the security staff are mailed once"
[ "$(outbox fraud_finding u@c.example)" = 0 ] && ok || fail "a plain user is not mailed"
[ "$(sqlite3 "$DB" "SELECT lang FROM mail_outbox WHERE kind='fraud_finding' AND to_addr='owner@c.example'")" = fr ] && ok ||
	fail "the owner's mail is in French"

# --- the hold: submissions refused, in the caller's language; receiving goes on
req POST /v1/faxes "$USR" "" -F "file=@$TMP/one.txt" -F "to=+15555550501"
expect_problem 403 outbound-held "a held account cannot submit"
expect_jq "(.detail | test(\"$REP1\")) and (.detail | test(\"confirm-safe\"))" "the detail names the report and the way out"
req POST /v1/faxes "$USR" "" -F "file=@$TMP/one.txt" -F "to=+15555550501" -H 'Accept-Language: fr'
expect_jq '.detail | test("suspendu")' "the refusal in French"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM audit_events WHERE action='fraud.hold' AND account_id='$ACC' AND actor_id='system:fraud'")" = 1 ] && ok ||
	fail "the hold is audited by system:fraud"
req POST "/v1/accounts/$ACC/fraud-reports/$REP1/confirm-safe" "$USR"
expect_problem 403 forbidden "a user cannot confirm"
req POST "/v1/accounts/$ACC/fraud-reports/$REP1/confirm-safe" "$ADM"
expect_status 200 "an administrator confirms the activity safe"
expect_jq '.outbound_held == false and .held_by == "'"$REP1"'"' "outbound faxing resumes"
req POST "/v1/accounts/$ACC/fraud-reports/$REP1/confirm-safe" "$ADM"
expect_problem 409 invalid-state "nothing is held any more"
req GET "/v1/accounts/$ACC/fraud-reports/$REP1" "$OWNER"
expect_jq '(.timeline | length) == 2 and (.timeline[1].message | test("Confirmed safe"))' "the confirmation is in the report's timeline"
req POST /v1/faxes "$USR" "" -F "file=@$TMP/one.txt" -F "to=+15555550501"
expect_status 202 "the account sends again"

# --- once per window: the same prefix again raises nothing
PASS0=$(sqlite3 "$DB" "SELECT at FROM fraud_passes")
advance_clock 2
pass_ran() { curl -s -o /dev/null "$BASE/v1/me"; [ "$(sqlite3 "$DB" "SELECT at FROM fraud_passes")" -gt "$PASS0" ]; }
poll_until 120 pass_ran || fail "the pass did not run again"
auto_reports 1 && ok || fail "a second fax to the prefix in the same window raises nothing"
[ "$(outbox fraud_finding owner@c.example)" = 1 ] && ok || fail "nor mails anyone again"

# --- a sign-in from a new address after a lockout
for i in 1 2 3; do
	req POST /v1/sessions "" '{"email":"u@c.example","password":"not the password"}'
done
req POST /v1/sessions "" "{\"email\":\"u@c.example\",\"password\":\"$PW\"}"
expect_problem 401 invalid-credentials "three failures lock the user out"
advance_clock 16
req POST /v1/sessions "" "{\"email\":\"u@c.example\",\"password\":\"$PW\"}" --interface 127.0.0.2
expect_status 201 "after the lockout, the user signs in from another address"
USR=$(jqr .token)
poll_until 120 auto_reports 2 || fail "no report for the sign-in after a lockout"
expect_jq '[.items[] | select(.created_by == "system:fraud")][0] | .rule == "signin_address" and .evidence.address == "127.0.0.2" and .evidence.email == "u@c.example"' \
	"the report names the member and the address"

# --- an API key used from a new address
req POST "/v1/accounts/$ACC/api-keys" "$OWNER" '{"name":"ci","permissions":["data.read"]}'
expect_status 201 "an API key"
KEY=$(jqr .secret)
req GET /v1/me "$KEY"
expect_status 200 "the key used from its usual address"
advance_clock 2
req GET /v1/me "$KEY" "" --interface 127.0.0.2
expect_status 200 "the key used from another address"
poll_until 120 auto_reports 3 || fail "no report for the key's new address"
expect_jq '[.items[] | select(.created_by == "system:fraud")][0] | .rule == "apikey_address" and .evidence.address == "127.0.0.2"' \
	"the report names the key's new address"
REP3=$(jqr '[.items[] | select(.created_by == "system:fraud")][0].id')
req POST "/v1/accounts/$ACC/fraud-reports/$REP3/confirm-safe" "$OWNER"
expect_status 200 "the owner confirms: the account was held again"

# --- an approved penetration test: its source address is announced
PT="{\"hosts\":[\"127.0.0.1\"],\"sources\":[\"127.0.0.3/32\"],\"starts_at\":\"$(iso -60)\",\"ends_at\":\"$(iso 86400)\",\"contact\":{\"name\":\"Red Team\",\"email\":\"red@tester.example\"}}"
req POST "/v1/accounts/$ACC/pentest-requests" "$OWNER" "$PT"
expect_status 201 "the owner asks for a penetration test"
PTID=$(jqr .id)
req POST "/v1/provider/requests/$PTID/answer" "$SEC" '{"status":"approved","message":"Go ahead."}'
expect_status 200 "the security team approves it"
advance_clock 2
req GET /v1/me "$KEY" "" --interface 127.0.0.3
expect_status 200 "the key used from the test's address"
announced() { curl -s -o /dev/null "$BASE/v1/me"; [ "$(sqlite3 "$DB" "SELECT count(*) FROM audit_events WHERE action='fraud.announced' AND account_id='$ACC'")" -ge 1 ]; }
poll_until 120 announced || fail "the announced finding is not audited"
auto_reports 3 && ok || fail "traffic from the announced address raises no report"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM fraud_holds WHERE account_id='$ACC'")" = 0 ] && ok || fail "nor holds the account"
[ "$(sqlite3 "$DB" "SELECT json_extract(detail, '\$.pentest_request') FROM audit_events WHERE action='fraud.announced' AND account_id='$ACC'")" = "$PTID" ] && ok ||
	fail "the label names the penetration test"
# Failed sign-ins from the test's address lock nobody out (three from
# elsewhere did, above); the audit events say they were announced.
for i in 1 2 3 4; do
	req POST /v1/sessions "" '{"email":"t@c.example","password":"not the password"}' --interface 127.0.0.3
done
req POST /v1/sessions "" "{\"email\":\"t@c.example\",\"password\":\"$PW\"}" --interface 127.0.0.3
expect_status 201 "failures from the announced address did not lock the member out"
TESS=$(jqr .token)
[ "$(sqlite3 "$DB" "SELECT count(*) FROM audit_events WHERE action='session.create' AND outcome='failure' AND json_extract(detail, '\$.announced')='$PTID'")" = 4 ] && ok ||
	fail "each failure is audited as announced"
# --- answers to a report reach its reporter by mail, in their language, once each
req POST "/v1/accounts/$ACC/fraud-reports" "$OWNER" '{"summary":"Faxes we did not send","description":"Night faxes to unknown numbers."}'
expect_status 201 "the owner reports suspected fraud"
F1=$(jqr .id)
req POST "/v1/provider/requests/$F1/answer" "$SEC" '{"status":"investigating","message":"Nous regardons."}'
expect_status 200 "the security team investigates"
req POST "/v1/provider/requests/$F1/answer" "$SEC" '{"status":"resolved","message":"Range blocked."}'
expect_status 200 "and resolves"
answers_to() { sqlite3 "$DB" "SELECT count(*) FROM mail_outbox WHERE kind='request_answer' AND to_addr='$1' AND json_extract(params, '\$.request_id')='$2'"; }
[ "$(answers_to owner@c.example "$F1")" = 2 ] && ok || fail "the reporter is mailed each answer once"
[ "$(answers_to owner@c.example "$PTID")" = 1 ] && ok || fail "so is the approval of the penetration test"
[ "$(sqlite3 "$DB" "SELECT DISTINCT lang FROM mail_outbox WHERE kind='request_answer' AND to_addr='owner@c.example'")" = fr ] && ok ||
	fail "in their language"
[ "$(outbox request_answer adm@c.example)" = 0 ] && ok || fail "others are not mailed the answer"
# Out of the outbox: the French answer as the reporter reads it.
answers_sent() { [ "$(sqlite3 "$DB" "SELECT count(*) FROM mail_outbox WHERE kind='request_answer' AND status='sent'")" = 3 ]; }
poll_until 120 answers_sent || fail "the answers' mail was not delivered"
python3 - "$TMP/mails" "$F1" <<'PY' && ok || fail "the delivered answer is in French and names the report"
import email, email.policy, pathlib, sys
for f in pathlib.Path(sys.argv[1]).glob("*.eml"):
    m = email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
    part = m.get_body(preferencelist=("plain",))
    text = part.get_content() if part else ""
    if sys.argv[2] in text and "Le fournisseur a passé votre signalement de fraude" in text \
            and "Range blocked." in text:
        sys.exit(0)
sys.exit(1)
PY
# The rate limit still protects the service, and counts the refusal apart.
req PATCH "/v1/accounts/$ACC/security" "$OWNER" '{"rate_limit":{"requests_per_minute":1,"burst":3}}'
expect_status 200 "a tight rate limit"
for i in 1 2 3 4 5; do
	req GET /v1/me "$TESS" "" --interface 127.0.0.3
done
expect_problem 429 rate-limited "the announced address is still rate-limited"
MBASE="http://127.0.0.1:$(metrics_port)"
M=$(curl -s -H "Authorization: Bearer $MTOKEN" "$MBASE/metrics")
printf '%s\n' "$M" | grep -Eq '^faxvault_rate_limited_total\{announced="true"\} [1-9]' && ok ||
	fail "/metrics counts the announced refusals: $(printf '%s\n' "$M" | grep rate_limited)"

finish
