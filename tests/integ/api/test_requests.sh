#!/usr/bin/env bash
# Requests from customers to the provider (C15, C16, C17, R04, P05): fraud
# reports filed by members and by the account's partner, penetration-test
# authorizations the security team approves or refuses, traffic forecasts set
# against the trunks' capacity; who may file, read and answer each; every
# answer in the request's timeline, the account's audit log and its
# notifications (EN/FR); bad input refused with a stable problem type.
. "$(dirname "$0")/lib.sh"
start_daemon

OP=$(operator_token)
iso() { date -u -d "@$(( $(clock_seconds) + $1 ))" +%Y-%m-%dT%H:%M:%SZ; } # iso SECONDS-FROM-NOW

# --- a reseller, its customer account with an owner, an admin and a user, another account
req POST /v1/partners "$OP" '{"name":"Reseller"}'
PRT=$(jqr .id)
req POST "/v1/partners/$PRT/staff" "$OP" '{"email":"rep@reseller.example","name":"Rep"}'
accept "$(jqr .invitation.token)" "reseller-password-1"
REP=$(login rep@reseller.example reseller-password-1)
req POST /v1/accounts "$OP" "{\"name\":\"Clinic\",\"partner_id\":\"$PRT\",\"owner\":{\"email\":\"o@clinic.example\",\"name\":\"O\"}}"
expect_status 201 "the customer account"
ACC=$(jqr .id)
accept "$(jqr .owner_invitation.token)" "granite-harbour-1234"
OWNER=$(login o@clinic.example granite-harbour-1234)
req POST "/v1/accounts/$ACC/users" "$OWNER" '{"email":"u@clinic.example","name":"U","role":"user"}'
accept "$(jqr .invitation.token)" "user-password-12345"
USER=$(login u@clinic.example user-password-12345)
req POST "/v1/accounts/$ACC/users" "$OWNER" '{"email":"b@clinic.example","name":"B","role":"billing"}'
accept "$(jqr .invitation.token)" "billing-password-123"
BILL=$(login b@clinic.example billing-password-123)
req POST /v1/accounts "$OP" '{"name":"Other","owner":{"email":"o@other.example","name":"O"}}'
OTHER=$(jqr .id)
accept "$(jqr .owner_invitation.token)" "other-password-1234"
OTHER_OWNER=$(login o@other.example other-password-1234)
req POST /v1/provider/staff "$OP" '{"email":"sec@provider.example","name":"Sec","role":"security"}'
accept "$(jqr .invitation.token)" "basalt-meadow-5678"
SEC=$(login sec@provider.example basalt-meadow-5678)
req POST /v1/provider/staff "$OP" '{"email":"sup@provider.example","name":"Sup","role":"support"}'
accept "$(jqr .invitation.token)" "support-password-1"
SUP=$(login sup@provider.example support-password-1)

# --- the posture before any request (C15-C17 observe the features)
req GET "/v1/accounts/$ACC/posture" "$OWNER"
expect_jq '(.items[] | select(.id == "C15") | .status == "not_applicable" and (.detail | test("No penetration test is approved \\(0 asked for\\)")))
	and (.items[] | select(.id == "C16") | .status == "not_applicable" and (.detail | test("No traffic change")))
	and (.items[] | select(.id == "C17") | .status == "pass" and (.detail | test("^0 fraud report")))' \
	"posture C15-C17 with no request yet"

# --- fraud reports (C17): any member, and the account's partner (R04)
FRAUD='{"summary":"Faxes we did not send","description":"Forty faxes to +882 numbers last night.","occurred_at":"2026-12-01T02:00:00Z","numbers":["+88213000001"],"users":["u@clinic.example"]}'
req POST "/v1/accounts/$ACC/fraud-reports" "$USER" "$FRAUD"
expect_status 201 "a user reports suspected fraud"
F1=$(jqr .id)
expect_jq '.kind == "fraud" and .status == "open" and .summary == "Faxes we did not send" and .numbers == ["+88213000001"] and (.occurred_at | startswith("2026-12-01T02:00:00")) and (.timeline | length) == 1 and .closed_at == null' \
	"the report with its fields and first timeline entry"
expect_jq 'has("occurred_at_ms") | not' "internal fields stay inside"
req POST "/v1/accounts/$ACC/fraud-reports" "$REP" '{"summary":"Odd traffic","description":"Seen from our side."}'
expect_status 201 "the account's partner reports too (R04)"
F2=$(jqr .id)
req POST "/v1/accounts/$OTHER/fraud-reports" "$REP" '{"summary":"x","description":"y"}'
expect_problem 404 not-found "a partner cannot report on an account it does not serve"
req POST "/v1/accounts/$ACC/fraud-reports" "$OTHER_OWNER" '{"summary":"x","description":"y"}'
expect_problem 404 not-found "nor can another account's owner"
req POST "/v1/accounts/$ACC/fraud-reports" "$BILL" '{"summary":"Invoice looks odd","description":"Charges we do not recognise."}'
expect_status 201 "billing contacts report too"

# A user sees the reports they filed; the owner (security.manage) sees all.
req GET "/v1/accounts/$ACC/fraud-reports" "$USER"
expect_status 200 "a user lists reports"
expect_jq "[.items[].id] == [\"$F1\"]" "a user sees only their own report"
req GET "/v1/accounts/$ACC/fraud-reports/$F2" "$USER"
expect_problem 404 not-found "nor reads another's report"
req GET "/v1/accounts/$ACC/fraud-reports" "$OWNER"
expect_jq '(.items | length) == 3' "the owner sees every report of the account"

# --- bad input
for body in '{"summary":"x"}' '{"summary":"","description":"y"}' '{"summary":"x","description":"y","numbers":["12"]}' \
	'{"summary":"x","description":"y","numbers":[]}' '{"summary":"x","description":"y","occurred_at":"yesterday"}' \
	'{"summary":"x\u0007","description":"y"}' '{"summary":"x","description":"y","extra":1}'; do
	req POST "/v1/accounts/$ACC/fraud-reports" "$USER" "$body"
	expect_problem 422 validation-failed "refused: $body"
done
req POST "/v1/accounts/$ACC/fraud-reports" "$USER" '{"summary":"x","description":"y","numbers":["12"]}' -H 'Accept-Language: fr'
expect_jq '.detail | test("n.est pas un numéro E.164")' "the detail in French"

# --- penetration-test requests (C15): security.manage only
PT="{\"hosts\":[\"fax.example.net\",\"192.0.2.7\"],\"paths\":[\"/v1/\"],\"sources\":[\"198.51.100.0/24\"],\"starts_at\":\"$(iso 86400)\",\"ends_at\":\"$(iso 259200)\",\"contact\":{\"name\":\"Red Team\",\"email\":\"Red@Tester.example\",\"phone\":\"+33 1 23 45 67 89\"},\"description\":\"Yearly test.\"}"
req POST "/v1/accounts/$ACC/pentest-requests" "$USER" "$PT"
expect_problem 403 forbidden "a user cannot ask for a penetration test"
req POST "/v1/accounts/$ACC/pentest-requests" "$OWNER" "$PT"
expect_status 201 "the owner asks for a penetration test"
P1=$(jqr .id)
expect_jq '.status == "requested" and .sources == ["198.51.100.0/24"] and .contact.email == "red@tester.example" and .hosts == ["fax.example.net","192.0.2.7"]' \
	"the request as filed (address lower-cased, networks canonical)"
for bad in '"sources":["198.51.100.1/24"]' '"hosts":["bad host"]' '"paths":["no-slash"]'; do
	req POST "/v1/accounts/$ACC/pentest-requests" "$OWNER" "$(printf '%s' "$PT" | jq -c ". + {$bad}")"
	expect_problem 422 validation-failed "refused: $bad"
done
req POST "/v1/accounts/$ACC/pentest-requests" "$OWNER" "$(printf '%s' "$PT" | jq -c --arg s "$(iso 100)" --arg e "$(iso 50)" '.starts_at=$s | .ends_at=$e')"
expect_problem 422 validation-failed "a window that ends before it starts"
req POST "/v1/accounts/$ACC/pentest-requests" "$OWNER" "$(printf '%s' "$PT" | jq -c --arg e "$(iso $((40 * 86400)))" '.ends_at=$e')"
expect_problem 422 validation-failed "a window longer than 31 days"
req POST "/v1/accounts/$ACC/pentest-requests" "$OWNER" "$(printf '%s' "$PT" | jq -c --arg s "$(iso -7200)" --arg e "$(iso -3600)" '.starts_at=$s | .ends_at=$e')"
expect_problem 422 validation-failed "a window in the past"

# --- traffic forecasts (C16) against the trunks' capacity (P05)
req PATCH /v1/provider/trunks/loopback "$OP" '{"max_calls":10}'
expect_status 200 "the loopback trunk carries 10 calls"
FC="{\"starts_at\":\"$(iso 86400)\",\"ends_at\":\"$(iso 172800)\",\"pages_per_day\":5000,\"peak_calls\":6,\"note\":\"Flu season mailing.\"}"
req POST "/v1/accounts/$ACC/traffic-forecasts" "$USER" "$FC"
expect_problem 403 forbidden "a user cannot file a forecast"
req POST "/v1/accounts/$ACC/traffic-forecasts" "$OWNER" "$FC"
expect_status 201 "the owner files a forecast"
T1=$(jqr .id)
expect_jq '.status == "submitted" and .capacity.calls == 10 and .capacity.forecast_calls == 6 and .capacity.exceeded == false' \
	"within capacity"
req POST "/v1/accounts/$ACC/traffic-forecasts" "$OWNER" "${FC/\"peak_calls\":6/\"peak_calls\":5}"
expect_status 201 "a second, overlapping forecast"
T2=$(jqr .id)
expect_jq '.capacity.forecast_calls == 11 and .capacity.exceeded == true' "the two together exceed the trunks' 10 calls"
req POST "/v1/accounts/$ACC/traffic-forecasts" "$OWNER" "${FC/\"peak_calls\":6/\"peak_calls\":0}"
expect_problem 422 validation-failed "peak_calls at least 1"

# --- the provider's queue: provider.requests.manage (operators and the security team)
req GET /v1/provider/requests "$SUP"
expect_problem 403 forbidden "support staff do not see the queue"
req GET /v1/provider/requests "$OWNER"
expect_problem 403 forbidden "nor do customers"
req GET "/v1/provider/requests?kind=fraud" "$SEC"
expect_status 200 "the security team sees the fraud queue"
expect_jq '(.items | length) == 3 and all(.items[]; .kind == "fraud")' "three fraud reports"
req GET "/v1/provider/requests?kind=spam" "$SEC"
expect_problem 422 validation-failed "an unknown kind"
req GET "/v1/provider/capacity" "$OP"
expect_status 200 "the capacity view"
expect_jq ".capacity_calls == 10 and ([.forecasts[] | select(.id == \"$T1\" or .id == \"$T2\")] | length) == 2 and all(.forecasts[]; .exceeds_capacity == true)" \
	"forecasts against capacity, overlapping load flagged"
expect_jq '.calls == 0 and .queue == {"queued":0,"scheduled":0,"retrying":0} and .accounts == [] and .queue_truncated == false' \
	"no call and no queue yet"
expect_jq '(.trunks[] | select(.id == "loopback")) as $t | $t.calls == 0 and $t.max_calls == 10 and $t.at_limit == false' \
	"the loopback trunk: no live call of its 10"

# --- live calls and queue depth per trunk and account (P05): faxes due
# tomorrow on the test clock wait in the queue as scheduled
req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":["+15555550301"]}'
expect_status 201 "a number in the inventory"
req POST "/v1/accounts/$ACC/numbers" "$OWNER" '{"country":"US","area_code":"555"}'
expect_status 201 "a number to fax"
TO=$(jqr .number)
printf 'Capacity\n' >"$TMP/one.txt"
for n in 1 2 3; do
	req POST /v1/faxes "$OWNER" "" -F "file=@$TMP/one.txt" -F "to=$TO" -F "send_at=$(iso 86400)"
	expect_status 202 "fax $n scheduled for tomorrow"
done
req POST /v1/faxes "$OTHER_OWNER" "" -F "file=@$TMP/one.txt" -F "to=$TO" -F "send_at=$(iso 7200)"
expect_status 202 "the other account schedules one"
# The queue is filled once rendering ends.
capacity_queued() { req GET "/v1/provider/capacity" "$OP"; [ "$(jqr '.queue.scheduled')" = 4 ]; }
if poll_until 120 capacity_queued; then ok; else fail "the capacity view counts the 4 scheduled faxes: $BODY"; fi
expect_jq '(.trunks[] | select(.id == "loopback") | .queue) == {"queued":0,"scheduled":4,"retrying":0}' \
	"the loopback trunk's queue: the 4 faxes it will carry"
expect_jq "(.accounts[] | select(.id == \"$ACC\")) as \$a | \$a.name == \"Clinic\" and \$a.queue.scheduled == 3 and \$a.calls == 0 and \$a.max_calls == 4 and \$a.at_limit == false" \
	"the clinic: 3 scheduled, no live call of its 4"
expect_jq "(.accounts[] | select(.id == \"$OTHER\") | .queue.scheduled) == 1 and (.accounts | length) == 2" \
	"the other account: 1 scheduled"
printf '%s' "$BODY" >"$TMP/capacity.json"
if python3 - "$(dirname "$0")/../../../docs/openapi.json" "$TMP/capacity.json" <<'EOF'
import json, sys
import jsonschema
doc = json.load(open(sys.argv[1]))
schema = {"$ref": "#/components/schemas/Capacity", "components": doc["components"]}
jsonschema.Draft202012Validator(schema).validate(json.load(open(sys.argv[2])))
EOF
then ok; else fail "the capacity view matches its OpenAPI schema"; fi
# A fax due now: its call over the loopback trunk is counted while it lasts.
req POST /v1/faxes "$OWNER" "" -F "file=@$TMP/one.txt" -F "to=$TO"
expect_status 202 "a fax due now"
live_call() { req GET "/v1/provider/capacity" "$OP"; [ "$(jqr '.calls')" = 1 ]; }
if poll_until 120 live_call; then ok; else fail "the call in progress is counted: $BODY"; fi
expect_jq "(.trunks[] | select(.id == \"loopback\") | .calls) == 1 and (.accounts[] | select(.id == \"$ACC\") | .calls) == 1" \
	"on the loopback trunk and for the clinic"
req GET "/v1/provider/capacity" "$SUP"
expect_problem 403 forbidden "support staff do not see the capacity view"
req GET "/v1/provider/audit-events?action=request.capacity.read" "$SEC"
expect_jq '(.items | length) >= 2' "each look at the capacity view is audited"

# --- answers
req POST "/v1/provider/requests/$F1/answer" "$SEC" '{"status":"investigating","message":"Looking at the calls."}'
expect_status 200 "the security team investigates"
expect_jq '.status == "investigating" and (.timeline | length) == 2 and .timeline[1].message == "Looking at the calls."' \
	"the answer is in the timeline"
req POST "/v1/provider/requests/$F1/answer" "$SEC" '{"status":"dismissed"}'
expect_problem 422 validation-failed "dismissing needs a reason"
req POST "/v1/provider/requests/$F1/answer" "$SEC" '{"status":"resolved","message":"Blocked the +882 range for your account."}'
expect_status 200 "resolved"
expect_jq '.closed_at != null' "resolving closes the report"
req POST "/v1/provider/requests/$F1/answer" "$SEC" '{"status":"investigating"}'
expect_problem 409 invalid-state "a closed report does not reopen"
req POST "/v1/provider/requests/$P1/answer" "$SEC" '{"status":"resolved"}'
expect_problem 409 invalid-state "a penetration test is not resolved but approved or refused"
req POST "/v1/provider/requests/$P1/answer" "$SEC" '{"status":"approved","message":"Go ahead; tell us when you start."}'
expect_status 200 "the security team approves the penetration test"
req POST "/v1/provider/requests/$T2/answer" "$OP" '{"status":"declined","message":"Above our capacity: spread it over two days."}'
expect_status 200 "the operator declines the second forecast"
req POST "/v1/provider/requests/rq_nope/answer" "$OP" '{"status":"approved"}'
expect_problem 404 not-found "no such request"

# The customer sees the answers: the request, its notifications, its audit log.
req GET "/v1/accounts/$ACC/fraud-reports/$F1" "$USER"
expect_jq '.status == "resolved" and (.timeline | map(.status)) == ["open","investigating","resolved"]' \
	"the reporter follows the report"
req GET "/v1/accounts/$ACC/pentest-requests/$P1" "$OWNER"
expect_jq '.status == "approved"' "the owner sees the approval"
req GET "/v1/accounts/$ACC/posture" "$OWNER"
expect_jq '(.items[] | select(.id == "C15") | .status == "pass" and (.detail | test("^1 penetration test\\(s\\) approved")))
	and (.items[] | select(.id == "C16") | .status == "pass" and (.detail | test("^2 traffic forecast")))
	and (.items[] | select(.id == "C17") | .status == "pass" and (.detail | test("fraud report\\(s\\), [0-9]+ open")))' \
	"posture C15-C17 observe the approved test, the forecasts and the reports"
req GET "/v1/accounts/$ACC/posture" "$OWNER" "" -H "Accept-Language: fr"
expect_jq '.items[] | select(.id == "C15") | .detail | test("^1 test\\(s\\) d.intrusion approuvé")' "posture C15 in French"
req GET "/v1/accounts/$ACC/notifications" "$OWNER"
expect_jq "[.items[] | select(.kind == \"provider_request.status\" and .target == \"$P1\")] | length == 1" \
	"the approval is a notification of the account"
expect_jq "[.items[] | select(.target == \"$F1\")][0] | (.subject.fr | test(\"Signalement de fraude\"))" \
	"notifications in French too"
req GET "/v1/accounts/$ACC/audit-events?limit=200" "$OWNER"
expect_jq "[.items[] | select(.action == \"request.fraud.answer\" and .target == \"$F1\")] | length == 2" \
	"each answer is in the account's audit log"
expect_jq "[.items[] | select(.action == \"request.pentest.answer\")] | length == 1" "so is the approval"
expect_jq "[.items[] | select(.action == \"request.fraud.read\" and .target == \"$F1\")] | length >= 1" \
	"reads of the report are audited"
req GET "/v1/accounts/$OTHER/audit-events?limit=200" "$OTHER_OWNER"
expect_jq '[.items[] | select(.action | startswith("request."))] | length == 0' "nothing of it in another account"

# A window that has ended cannot be approved.
req POST "/v1/accounts/$ACC/pentest-requests" "$OWNER" "$PT"
P2=$(jqr .id)
advance_clock $((4 * 24 * 60))
OP=$(operator_token); SEC=$(login sec@provider.example basalt-meadow-5678)
req POST "/v1/provider/requests/$P2/answer" "$SEC" '{"status":"approved"}'
expect_problem 409 invalid-state "a window that has ended cannot be approved"
req POST "/v1/provider/requests/$P2/answer" "$SEC" '{"status":"refused","message":"Too late."}'
expect_status 200 "it can be refused"

finish
