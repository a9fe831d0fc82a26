#!/usr/bin/env bash
# The status board and mail (P13), through a private Postfix (postfix.sh):
# the mail component follows the relay: with the relay down a message waits
# after a failed attempt and `mail` turns degraded on the board (status pass
# every second); once the relay is back and the message delivered after its
# backoff (test clock) it is operational again, both changes in its history.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/postfix.sh"
HERE=$(dirname "$0")
trap 'postfix_stop; cleanup' EXIT

postfix_start
start_daemon --set mail.relay="smtp://127.0.0.1:$PF_PORT" --set mail.from=noreply@fax.example.net \
	--set mail.web_url=https://fax.example.net --set status.check_seconds=1
OP=$(operator_token)
board_state() { # board_state COMPONENT STATE
	req GET /status.json
	[ "$(jqr ".components[] | select(.id == \"$1\") | .state")" = "$2" ]
}

req POST /v1/accounts "$OP" '{"name":"Status Mail SA","owner":{"email":"owner@status-mail.example","name":"Owner"}}'
expect_status 201 "an account (its owner's invitation is mailed)"
if poll_until 120 mail_to owner@status-mail.example 1; then ok; else fail "no invitation arrived"; fi
req GET /status.json
expect_jq '(.components[] | select(.id == "mail") | .state) == "operational"' "mail operational while the relay takes mail"

# --- the relay goes down: a message waits, mail degraded
postfix_stop
req POST /v1/accounts "$OP" '{"name":"Second SA","owner":{"email":"owner@second.example","name":"Owner"}}'
expect_status 201 "another account: its invitation waits with the relay down"
poll_until 120 board_state mail degraded && ok || fail "mail not degraded with the relay down: $BODY"
expect_jq '.overall == "degraded"' "the board's overall state follows"
req GET /v1/provider/status/components "$OP"
expect_jq '.items[] | select(.id == "mail") | .automatic.reason == "1 message(s) wait for the mail relay after a failed attempt" and .history[0].source == "automatic"' \
	"operators see why"

# --- the relay is back: the message leaves after its backoff, mail operational
postfix -c "$PF_DIR/conf" start >/dev/null 2>&1 && PF_STARTED=1
poll_until 120 pf_answers || fail "postfix did not restart"
advance_clock 2
delivered() { req GET /v1/me "$OP"; mail_to owner@second.example 1; }
if poll_until 120 delivered; then ok; else fail "the waiting message did not arrive after the backoff"; fi
poll_until 60 board_state mail operational && ok || fail "mail not operational again: $BODY"
req GET /v1/provider/status/components "$OP"
expect_jq '.items[] | select(.id == "mail") | (.history | map(.state)) == ["operational","degraded"]' "both changes in the history"
finish
