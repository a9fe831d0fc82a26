#!/usr/bin/env bash
# Webhooks against the real daemon and a real receiver on 127.0.0.1
# (webhook_receiver.py): subscriptions and their rules, URLs refused by the
# address checks, a test event delivered and its Standard Webhooks signature
# verified here with openssl (not with the daemon's code), a 500 retried
# after the backoff (the test clock skips it) and then delivered with the
# same webhook-id, secret rotation, the delivery log, the audit events, and
# the check made again at delivery once the allow-list is gone.
. "$(dirname "$0")/lib.sh"

RECV="$TMP/receiver"
mkdir -p "$RECV"
python3 "$(dirname "$0")/webhook_receiver.py" "$RECV" &
RECV_PID=$!
trap 'kill "$RECV_PID" 2>/dev/null; wait "$RECV_PID" 2>/dev/null; cleanup' EXIT
for _ in $(seq 1 3000); do [ -s "$RECV/port" ] && break; sleep 0.1; done
RPORT=$(cat "$RECV/port")
HOOK="http://127.0.0.1:$RPORT/hook"

start_daemon --set webhooks.allow_cidrs=127.0.0.1/32,::1/128

# wait_for N: until the receiver has completed its Nth request (bounded).
wait_for() {
	for _ in $(seq 1 3000); do
		[ -e "$RECV/$1.done" ] && return 0
		# Any API call makes the daemon follow the test clock.
		curl -s -o /dev/null "$BASE/healthz"
		req GET "/v1/accounts/$ACC/webhooks?limit=1" "$OWNER"
		sleep 0.1
	done
	return 1
}

# delivery_of EVENT_ID: the delivery log entry of that event (into BODY).
delivery_of() {
	req GET "/v1/accounts/$ACC/webhooks/$WH/deliveries?limit=50" "$OWNER"
	BODY=$(printf '%s' "$BODY" | jq -c --arg e "$1" '[.items[] | select(.event_id == $e)][0]')
}

# delivery_until EVENT_ID JQ: the delivery log entry of that event, once JQ
# holds on it (bounded wait; the caller then asserts on BODY).
delivery_until() {
	for _ in $(seq 1 3000); do
		delivery_of "$1"
		[ "$(printf '%s' "$BODY" | jq -r "$2")" = true ] && return
		sleep 0.1
	done
}

# verify N SECRET: the signature of request N, computed here with openssl.
verify() {
	local h="$RECV/$1.headers" key id ts want got
	id=$(jq -r '."webhook-id"' "$h")
	ts=$(jq -r '."webhook-timestamp"' "$h")
	got=$(jq -r '."webhook-signature"' "$h")
	key=$(printf '%s' "${2#whsec_}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
	want="v1,$({ printf '%s.%s.' "$id" "$ts"; cat "$RECV/$1.body"; } |
		openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | base64)"
	[ "$got" = "$want" ]
}

# --- an account, its owner, and a member who reads data only
OP=$(operator_token)
req POST /v1/accounts "$OP" '{"name":"Hooks Ltd","owner":{"email":"owner@hooks.example","name":"Olga Owner"}}'
expect_status 201 "create account"
ACC=$(jqr .id)
accept "$(jqr .owner_invitation.token)" "kestrel-lantern-4821"
OWNER=$(login owner@hooks.example kestrel-lantern-4821)
req POST "/v1/accounts/$ACC/users" "$OWNER" '{"email":"reader@hooks.example","name":"Rita Reader","role":"custom","permissions":["data.read"]}'
expect_status 201 "add a reader"
accept "$(jqr .invitation.token)" "meadow-quartz-9174"
READER=$(login reader@hooks.example meadow-quartz-9174)

# --- URLs and bodies refused
for url in "https://10.0.0.1/hook" "https://169.254.169.254/latest/meta-data" \
	"https://[::2]/hook" "https://[::ffff:127.0.0.2]/" "https://100.64.0.1/" \
	"https://[fe80::1]/" "https://[fd00::1]/" "https://0.0.0.0/"; do
	req POST "/v1/accounts/$ACC/webhooks" "$OWNER" "{\"url\":\"$url\",\"events\":[\"fax.queued\"]}"
	expect_problem 422 url-not-allowed "$url refused"
	expect_jq '.field == "url"' "$url: the field is named"
done
req POST "/v1/accounts/$ACC/webhooks" "$OWNER" '{"url":"http://192.88.99.1/hook","events":["fax.queued"]}'
expect_problem 422 url-not-allowed "http:// to a host that is not allow-listed"
for bad in '{"url":"ftp://127.0.0.1/","events":["fax.queued"]}' \
	'{"url":"http://user:pw@127.0.0.1/","events":["fax.queued"]}' \
	"{\"url\":\"$HOOK\",\"events\":[]}" \
	"{\"url\":\"$HOOK\",\"events\":[\"fax.exploded\"]}" \
	"{\"url\":\"$HOOK\",\"events\":[\"webhook.test\"]}" \
	"{\"url\":\"$HOOK\",\"events\":[\"fax.queued\"],\"secret\":\"whsec_mine\"}" \
	"{\"events\":[\"fax.queued\"]}"; do
	req POST "/v1/accounts/$ACC/webhooks" "$OWNER" "$bad"
	expect_problem 422 validation-failed "refused: $bad"
done
req POST "/v1/accounts/$ACC/webhooks" "$READER" "{\"url\":\"$HOOK\",\"events\":[\"fax.queued\"]}"
expect_problem 403 forbidden "data.read does not subscribe"

# A name is resolved, and all its addresses are checked (localhost: both allow-listed).
req POST "/v1/accounts/$ACC/webhooks" "$OWNER" "{\"url\":\"http://localhost:$RPORT/\",\"events\":[\"fax.received\"]}"
expect_status 201 "a name resolving to allow-listed addresses"
req DELETE "/v1/accounts/$ACC/webhooks/$(jqr .id)" "$OWNER"
expect_status 204 "delete it again"
req POST "/v1/accounts/$ACC/webhooks" "$OWNER" '{"url":"https://no-such-host.invalid/","events":["fax.received"]}'
expect_problem 422 url-not-allowed "a name that does not resolve"

# --- a subscription to the receiver (loopback, allow-listed)
req POST "/v1/accounts/$ACC/webhooks" "$OWNER" "{\"url\":\"$HOOK\",\"events\":[\"fax.queued\",\"fax.failed\",\"fax.queued\"],\"description\":\"the receiver\"}"
expect_status 201 "subscribe the receiver"
expect_jq '(.id | startswith("whk_")) and .status == "active" and .url == "'"$HOOK"'" and .events == ["fax.queued","fax.failed"] and .description == "the receiver"' "subscription"
expect_jq '(.secret | startswith("whsec_")) and (.created_at | type == "string")' "secret shown"
WH=$(jqr .id)
SECRET=$(jqr .secret)
KEYLEN=$(printf '%s' "${SECRET#whsec_}" | base64 -d | wc -c)
[ "$KEYLEN" -ge 24 ] && [ "$KEYLEN" -le 64 ] && ok || fail "secret of 24..64 bytes (got $KEYLEN)"
req GET "/v1/accounts/$ACC/webhooks" "$READER"
expect_status 200 "data.read lists subscriptions"
expect_jq '(.items | length == 1) and (.items[0].id == "'"$WH"'") and (.items[0] | has("secret") | not)' "no secret in the list"
req GET "/v1/accounts/$ACC/webhooks/$WH" "$OWNER"
expect_jq 'has("secret") | not' "no secret in a read"
req POST "/v1/accounts/$ACC/webhooks/$WH/test" "$READER"
expect_problem 403 forbidden "data.read does not send test events"

if ! grep -q 'event=webhook.sender_started' "$LOG"; then
	fail "the daemon did not start the webhook sender (faxsvc_start must call webhook_sender_start)"
	finish
	exit 1
fi

# --- a test event, delivered and signed
req POST "/v1/accounts/$ACC/webhooks/$WH/test" "$OWNER"
expect_status 202 "test event queued"
expect_jq '(.event_id | startswith("msg_")) and .status == "pending"' "test answer"
EV1=$(jqr .event_id)
wait_for 1 && ok || fail "the receiver got the test event"
H1="$RECV/1.headers"
[ "$(jq -r '."webhook-id"' "$H1")" = "$EV1" ] && ok || fail "webhook-id is the event id"
jq -e '."content-type" == "application/json"' "$H1" >/dev/null && ok || fail "Content-Type application/json"
jq -e '."webhook-timestamp" | test("^[0-9]+$")' "$H1" >/dev/null && ok || fail "webhook-timestamp in unix seconds"
jq -e '."webhook-signature" | startswith("v1,")' "$H1" >/dev/null && ok || fail "webhook-signature v1"
verify 1 "$SECRET" && ok || fail "signature verified with openssl"
jq -e --arg w "$WH" '.type == "webhook.test" and .data.webhook_id == $w and (.timestamp | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T"))' "$RECV/1.body" >/dev/null && ok || fail "payload {type, timestamp, data}"
TAMPERED="$TMP/tampered"; sed 's/webhook.test/webhook.tost/' "$RECV/1.body" > "$TAMPERED"
cp "$RECV/1.body" "$TMP/orig"; cp "$TAMPERED" "$RECV/1.body"
verify 1 "$SECRET" && fail "a changed body still verifies" || ok
cp "$TMP/orig" "$RECV/1.body"
delivery_of "$EV1"
expect_jq '.status == "delivered" and .attempts == 1 and .last_status_code == 200 and .type == "webhook.test" and (.delivered_at | type == "string") and .next_attempt_at == null' "delivery log: delivered"

# --- 500, then retried after the backoff with the same webhook-id
echo 500 > "$RECV/plan"
req POST "/v1/accounts/$ACC/webhooks/$WH/test" "$OWNER"
expect_status 202 "second test event"
EV2=$(jqr .event_id)
wait_for 2 && ok || fail "the receiver got the second event"
delivery_until "$EV2" '.attempts == 1'
expect_jq '.status == "pending" and .attempts == 1 and .last_status_code == 500 and (.last_error | startswith("boom 2")) and (.next_attempt_at | type == "string")' "delivery log: 500 recorded, retry pending"
[ ! -e "$RECV/3.done" ] && ok || fail "no retry before the backoff"
advance_clock 1
wait_for 3 && ok || fail "the receiver got the retry"
[ "$(jq -r '."webhook-id"' "$RECV/3.headers")" = "$EV2" ] && ok || fail "the retry keeps the webhook-id"
cmp -s "$RECV/2.body" "$RECV/3.body" && ok || fail "the retry sends the same body"
verify 3 "$SECRET" && ok || fail "the retry is signed"
delivery_until "$EV2" '.status == "delivered"'
expect_jq '.status == "delivered" and .attempts == 2 and .last_status_code == 200' "delivery log: delivered on the second attempt"
req GET "/v1/accounts/$ACC/webhooks/$WH/deliveries?limit=1" "$READER"
expect_status 200 "data.read reads the delivery log"
expect_jq '(.items | length == 1) and (.next_cursor | type == "string") and .items[0].event_id == "'"$EV2"'"' "delivery log paginated, newest first"

# --- a redirect is an answer like any other: not followed, retried later
echo 302 > "$RECV/plan"
req POST "/v1/accounts/$ACC/webhooks/$WH/test" "$OWNER"
EV3=$(jqr .event_id)
wait_for 4 && ok || fail "the receiver got the redirected event"
delivery_until "$EV3" '.attempts == 1'
expect_jq '.status == "pending" and .last_status_code == 302' "delivery log: 302 recorded, retry pending"
advance_clock 1
wait_for 5 && ok || fail "the receiver got the retry after the redirect"
[ "$(cat "$RECV/5.path")" = /hook ] && ok || fail "the redirect was not followed (the retry goes to the subscribed URL)"
delivery_until "$EV3" '.status == "delivered"'
expect_jq '.attempts == 2' "delivered on the second attempt"

# --- rotating the secret
req POST "/v1/accounts/$ACC/webhooks/$WH/rotate-secret" "$OWNER"
expect_status 200 "rotate secret"
NEW=$(jqr .secret)
[ "$NEW" != "$SECRET" ] && [ "${NEW#whsec_}" != "$NEW" ] && ok || fail "a new secret"
req POST "/v1/accounts/$ACC/webhooks/$WH/test" "$OWNER"
wait_for 6 && ok || fail "the receiver got the event after rotation"
verify 6 "$NEW" && ok || fail "signed with the new secret"
verify 6 "$SECRET" && fail "still signed with the old secret" || ok

# --- updates
req PATCH "/v1/accounts/$ACC/webhooks/$WH" "$OWNER" '{"url":"https://10.1.2.3/x"}'
expect_problem 422 url-not-allowed "PATCH to a private address"
req PATCH "/v1/accounts/$ACC/webhooks/$WH" "$OWNER" '{"status":"paused"}'
expect_problem 422 validation-failed "unknown status"
req PATCH "/v1/accounts/$ACC/webhooks/$WH" "$OWNER" '{"status":"disabled","events":["fax.delivered"]}'
expect_status 200 "disable"
expect_jq '.status == "disabled" and .events == ["fax.delivered"] and (has("secret") | not)' "disabled record"
req POST "/v1/accounts/$ACC/webhooks/$WH/test" "$OWNER"
expect_problem 409 invalid-state "no test event to a disabled subscription"
req PATCH "/v1/accounts/$ACC/webhooks/$WH" "$OWNER" '{"status":"active"}'
expect_status 200 "enable again"

# --- another account sees nothing of it
req POST /v1/accounts "$OP" '{"name":"Other Co","owner":{"email":"owner@other.example","name":"Otto"}}'
accept "$(jqr .owner_invitation.token)" "copper-window-5512"
OTHER=$(login owner@other.example copper-window-5512)
req GET "/v1/accounts/$ACC/webhooks/$WH" "$OTHER"
expect_problem 404 not-found "another tenant's subscription"

# --- audit
for action in webhook.create webhook.update webhook.rotate_secret; do
	req GET "/v1/accounts/$ACC/audit-events?action=$action" "$OWNER"
	expect_jq "(.items | length >= 1) and (.items[0].target == \"$WH\")" "audited: $action"
done
req GET "/v1/accounts/$ACC/audit-events?action=webhook.deliver&limit=200" "$OWNER"
expect_jq 'any(.items[]; .outcome == "success" and .detail.http == 200) and any(.items[]; .outcome == "failure" and .detail.http == 500) and all(.items[]; .actor.id == "system:webhooks" and .actor.type == "system" and (.target | startswith("whd_")))' "each delivery attempt is audited, the webhook sender named as its actor"
req GET "/v1/accounts/$ACC/audit-events?limit=200" "$OWNER"
printf '%s' "$BODY" | grep -q "$SECRET\|$NEW" && fail "a secret in the audit log" || ok
grep -q -- "${NEW#whsec_}" "$LOG" && fail "a secret in the daemon's log" || ok

# --- without the allow-list: refused at subscription and again at delivery
stop_daemon
# shellcheck disable=SC2086
"$FAXVAULTD" --data-dir "$DATA" --http "127.0.0.1:0" --set log.file="$LOG" $FV_TEST_FLAGS &
DAEMON_PID=$!
OLD_PORT=$PORT
for _ in $(seq 1 3000); do
	PORT=$(sed -n 's/.*event=daemon.started .* port=\([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
	if [ -n "$PORT" ] && [ "$PORT" != "$OLD_PORT" ]; then
		BASE="http://127.0.0.1:$PORT"
		curl -sf "$BASE/healthz" >/dev/null 2>&1 && break
	fi
	sleep 0.1
done
req POST "/v1/accounts/$ACC/webhooks" "$OWNER" "{\"url\":\"$HOOK\",\"events\":[\"fax.queued\"]}"
expect_problem 422 url-not-allowed "127.0.0.1 without the allow-list"
req POST "/v1/accounts/$ACC/webhooks" "$OWNER" "{\"url\":\"https://localhost:$RPORT/\",\"events\":[\"fax.queued\"]}"
expect_problem 422 url-not-allowed "localhost without the allow-list"
req POST "/v1/accounts/$ACC/webhooks/$WH/test" "$OWNER"
expect_status 202 "a test event to the old subscription"
EV5=$(jqr .event_id)
delivery_until "$EV5" '.attempts == 1'
expect_jq '.status == "pending" and .attempts == 1 and .last_status_code == null and (.last_error | startswith("url not allowed"))' "checked again at delivery: not sent"
[ ! -e "$RECV/7.done" ] && ok || fail "nothing reached the receiver"

# --- delete
req DELETE "/v1/accounts/$ACC/webhooks/$WH" "$OWNER"
expect_status 204 "delete"
req GET "/v1/accounts/$ACC/webhooks/$WH" "$OWNER"
expect_problem 404 not-found "deleted"
req GET "/v1/accounts/$ACC/webhooks" "$OWNER"
expect_jq '.items | length == 0' "list empty"
req GET "/v1/accounts/$ACC/audit-events?action=webhook.delete" "$OWNER"
expect_jq 'any(.items[]; .target == "'"$WH"'")' "audited: webhook.delete"
finish
