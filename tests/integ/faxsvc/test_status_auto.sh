#!/usr/bin/env bash
# Automatic component states of the status board (P13): with the OPTIONS
# keep-alive on and the status pass every second, a trunk whose calls fail
# (a carrier that answers OPTIONS but refuses every INVITE with 503) turns
# degraded once the failure rate over the window reaches the threshold, and
# back to operational when the window has passed (test clock); a trunk whose
# peer dies turns major_outage, and sending degraded; an operator's pin wins
# over the automatic state until it is released; the trunk comes back when
# its peer answers again. Every change is in the component's history and
# the audit log (system:status).
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
fax_setup --set fax.trunk_keepalive_seconds=1 --set status.check_seconds=1 \
	--set status.failure_min_calls=2 --set status.failure_percent=50 --set status.failure_window_minutes=15
make_pdf "$TMP/one.pdf" 1

# refuser NAME: a carrier on a free port that answers OPTIONS and refuses
# INVITEs with 503; sets REF_PID and REF_PORT.
refuser() {
	python3 "$(dirname "$0")/sip_refuser.py" "$TMP/$1.port" 503 600 >"$TMP/$1.out" 2>&1 &
	REF_PID=$!
	have_port() { [ -s "$TMP/$1.port" ]; }
	poll_until 30 have_port "$1" || fail "the refusing carrier $1 did not start"
	REF_PORT=$(cat "$TMP/$1.port")
}
# board_state COMPONENT STATE: the public board shows it (any request also
# makes the daemon follow the test clock).
board_state() {
	req GET /status.json
	[ "$(jqr ".components[] | select(.id == \"$1\") | .state")" = "$2" ]
}
# auto_state COMPONENT STATE: the automatic state operators see.
auto_state() {
	req GET /v1/provider/status/components "$OP"
	[ "$(jqr ".items[] | select(.id == \"$1\") | .automatic.state")" = "$2" ]
}

refuser one
ONE_PID=$REF_PID
req POST /v1/provider/trunks "$OP" "{\"id\":\"full\",\"name\":\"Full carrier\",\"peer\":\"127.0.0.1:$REF_PORT\",\"transport\":\"t38_first\",\"max_calls\":2,\"prefixes\":[\"+44\"]}"
expect_status 201 "trunk full (+44), up but refusing calls"
trunk_is() { req GET "/v1/provider/trunks/$1" "$OP"; [ "$(jqr .status)" = "$2" ]; }
poll_until 60 trunk_is full up && ok || fail "full not up: $BODY"
req GET /status.json
expect_jq '(.components | map(select(.id == "trunk:full" or .id == "sending")) | map(.state)) == ["operational","operational"]' \
	"a trunk that answers, no call yet: operational"

# --- calls fail: degraded once 2 of 2 failed (threshold 50 %, 2 calls at least)
send_fax "$USER_A" "+442071234567" "$TMP/one.pdf" -F retries=0
expect_status 202 "first fax over full"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "failed" and .attempts[0].trunk == "full" and .attempts[0].sip_status == 503' "refused by full"
req GET /status.json
expect_jq '(.components[] | select(.id == "trunk:full") | .state) == "operational"' "one failed call is too few to judge"
send_fax "$USER_A" "+442071234568" "$TMP/one.pdf" -F retries=0
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "failed"' "second fax refused"
poll_until 60 board_state trunk:full degraded && ok || fail "trunk:full not degraded after 2 failed calls: $BODY"
expect_jq '(.components[] | select(.id == "sending") | .state) == "degraded" and .overall == "degraded"' \
	"sending degraded too (every call failed)"
req GET /v1/provider/status/components "$OP"
expect_jq '.items[] | select(.id == "trunk:full") | .pinned == false and .automatic.state == "degraded" and .automatic.reason == "2 of 2 calls failed in the last 15 minutes" and .history[0].source == "automatic" and .history[0].state == "degraded" and .history[0].actor == "system:status"' \
	"operators see the automatic state, its reason and the history"

# --- the window passes: operational again
advance_clock 20
OP=$(operator_token)
poll_until 60 board_state trunk:full operational && ok || fail "trunk:full still $BODY after the window"
req GET /v1/provider/status/components "$OP"
expect_jq '.items[] | select(.id == "trunk:full") | (.history | map(.state)) == ["operational","degraded"] and .history[0].reason == "recovered"' \
	"the recovery joins the history"

# --- an operator pins a state: it wins over the automatic one
req PUT /v1/provider/status/components/trunk:full "$OP" '{"state":"partial_outage"}'
expect_jq '.state == "partial_outage" and .pinned == true' "pinned"
kill "$ONE_PID"
wait "$ONE_PID" 2>/dev/null
poll_until 60 trunk_is full down && ok || fail "full not down after its carrier died: $BODY"
poll_until 60 auto_state trunk:full major_outage && ok || fail "automatic state not major_outage: $BODY"
expect_jq '.items[] | select(.id == "trunk:full") | .state == "partial_outage" and .pinned and .automatic.reason == "the trunk'"'"'s peer does not answer the OPTIONS keep-alive"' \
	"the pin wins over the automatic major_outage"
req GET /status.json
expect_jq '(.components[] | select(.id == "trunk:full") | .state) == "partial_outage" and (.components[] | select(.id == "sending") | .state) == "degraded" and (.components[] | select(.id == "receiving") | .state) == "operational"' \
	"the board: the pinned state; sending degraded (one trunk of two down), receiving operational"
req PUT /v1/provider/status/components/trunk:full "$OP" '{"pinned":false}'
expect_jq '.state == "major_outage" and .pinned == false' "the pin released: the automatic state again"
req PUT /v1/provider/status/components/trunk:full "$OP" '{"pinned":false}'
expect_problem 409 invalid-state "nothing left to release"
req PUT /v1/provider/status/components/trunk:full "$OP" '{"pinned":false,"state":"degraded"}'
expect_problem 422 validation-failed "either a state or pinned false"
req GET /status.json
expect_jq '(.components[] | select(.id == "trunk:full") | .state) == "major_outage" and .overall == "major_outage"' \
	"the board shows the outage"

# --- the carrier answers again (a new one, the trunk moved to it): operational
refuser two
TWO_PID=$REF_PID
req PATCH /v1/provider/trunks/full "$OP" "{\"peer\":\"127.0.0.1:$REF_PORT\"}"
expect_status 200 "the trunk moves to the carrier's new address"
poll_until 60 board_state trunk:full operational && ok || fail "trunk:full not operational again: $BODY"
poll_until 60 board_state sending operational && ok || fail "sending not operational again: $BODY"
req GET /v1/provider/status/components "$OP"
expect_jq '.items[] | select(.id == "trunk:full") | (.history | map(.source + ":" + .state)) == ["automatic:operational","unpin:major_outage","automatic:major_outage","pin:partial_outage","automatic:operational","automatic:degraded"]' \
	"the whole history, newest first"

# --- audited: automatic changes by system:status, the operator's by the operator
req POST /v1/provider/staff "$OP" '{"email":"sec@provider.example","name":"Sec","role":"security"}'
expect_status 201 "security staff (they read the provider's audit log)"
accept "$(jqr .invitation.token)" "basalt-meadow-5678"
SEC=$(login sec@provider.example basalt-meadow-5678)
req GET "/v1/provider/audit-events?action=status.component.auto" "$SEC"
expect_jq '[.items[] | select(.target == "trunk:full") | .detail.to] == ["operational","major_outage","operational","degraded"] and ([.items[].actor.id] | unique) == ["system:status"]' \
	"automatic changes audited by system:status, newest first"
req GET "/v1/provider/audit-events?action=status.component.set" "$SEC"
expect_jq '[.items[] | select(.target == "trunk:full") | .detail.pinned] == [false, true]' "the pin and its release audited"
grep -q 'event=status.component_auto .*component=trunk:full from=operational to=degraded' "$LOG" && ok ||
	fail "no status.component_auto log line"
kill "$TWO_PID" 2>/dev/null
finish
