#!/usr/bin/env bash
# Webhook deliveries and outbound mail as jobs of the queue, on three
# faxvaultd nodes sharing one PostgreSQL database (issue 11). Run by CTest as
# integ_api_pg_queue with FV_TEST_PG (the fixture "pg").
#  - node A runs no jobs (queue.workers=0): what its API causes (webhook
#    test events, invitations) is delivered by nodes B and C, woken by
#    NOTIFY (their safety-net timer never fires within the test);
#  - events and invitations are caused on A and on B at once: each webhook
#    event reaches the receiver once (one request per webhook-id, attempt 1),
#    each message reaches sendmail once (one file per Message-ID);
#  - every job ends done, none on node A.
. "$(dirname "$0")/lib.sh"
: "${FV_TEST_PG:?FV_TEST_PG: socket directory of the test cluster}"

N=12 # webhook test events, half through each of nodes A and B
M=8  # invitations, half through each of nodes A and B

RECV="$TMP/receiver"
mkdir -p "$RECV" "$TMP/mails" "$TMP/bin"
python3 "$(dirname "$0")/webhook_receiver.py" "$RECV" &
RECV_PID=$!
trap 'kill "$RECV_PID" 2>/dev/null; wait "$RECV_PID" 2>/dev/null; cleanup' EXIT
# The receiver binds port 0 and reports it; wait for that (or its death).
recv_ready() { [ -s "$RECV/port" ] || ! kill -0 "$RECV_PID" 2>/dev/null; }
poll_until 120 recv_ready
[ -s "$RECV/port" ] || { fail "the webhook receiver did not start"; finish; exit 1; }
HOOK="http://127.0.0.1:$(cat "$RECV/port")/hook"

# A stand-in sendmail keeping each message in a file of its own.
cat > "$TMP/bin/sendmail" <<EOS
#!/bin/sh
f=\$(mktemp "$TMP/mails/part.XXXXXX")
cat > "\$f" && mv "\$f" "\$f.eml"
EOS
chmod 755 "$TMP/bin/sendmail"
export PATH="$TMP/bin:$PATH"
FLAGS=(--set mail.relay=sendmail --set mail.from=noreply@fax.example.net
	--set webhooks.allow_cidrs=127.0.0.1/32 --set fax.trunk_keepalive_seconds=0)

start_daemon "${FLAGS[@]}" --set fax.node_id=node-a --set queue.workers=0
A_BASE=$BASE
grep -q 'event=queue.not_started' "$LOG" && ok || fail "node A started its queue"
start_node b "${FLAGS[@]}" --set fax.node_id=node-b
B_BASE=$NODE_BASE
start_node c "${FLAGS[@]}" --set fax.node_id=node-c
ok

OP=$(operator_token)
PW="plume encre buvard 1789"
new_account "$OP" "Queue Ltd" owner@queue.example "$PW"
ACC=$NEW_ACC
OWNER=$(login owner@queue.example "$PW")
req POST "/v1/accounts/$ACC/webhooks" "$OWNER" "{\"url\":\"$HOOK\",\"events\":[\"fax.queued\"]}"
expect_status 201 "subscribe the receiver (node A)"
WH=$(jqr .id)

# --- events and invitations caused through A and B at once
: > "$TMP/events"
cause() { # cause BASE I: one test event and, for I < M, one invitation
	local b=$1 i=$2 out
	out=$(curl -s -X POST -H "Authorization: Bearer $OWNER" "$b/v1/accounts/$ACC/webhooks/$WH/test")
	printf '%s\n' "$(printf '%s' "$out" | jq -r .event_id)" >> "$TMP/events"
	if [ "$i" -lt "$M" ]; then
		curl -s -o /dev/null -X POST -H "Authorization: Bearer $OWNER" -H 'Content-Type: application/json' \
			-d "{\"email\":\"member$i@queue.example\",\"name\":\"Member $i\",\"role\":\"custom\",\"permissions\":[\"data.read\"]}" \
			"$b/v1/accounts/$ACC/users"
	fi
}
for i in $(seq 0 $((N - 1))); do
	if [ $((i % 2)) = 0 ]; then cause "$A_BASE" "$i" & else cause "$B_BASE" "$i" & fi
done
wait_causes() { [ "$(grep -c '^msg_' "$TMP/events")" = "$N" ]; }
poll_until 120 wait_causes && ok || fail "test events answered: $(cat "$TMP/events")"
invited() { db_query "SELECT count(*) FROM mail_outbox WHERE kind='invitation' AND to_addr LIKE 'member%'"; }
# The invitations follow their events in each background request pair.
all_invited() { [ "$(invited)" = "$M" ]; }
poll_until 120 all_invited && ok || fail "invitations queued: $(invited), want $M"

# --- each delivered once, by B or C
received() { ls "$RECV" | grep -c '\.done$'; }
all_received() { [ "$(received)" -ge "$N" ]; }
poll_until 120 all_received && ok || fail "the receiver got $(received) of $N events"
mails() { ls "$TMP/mails" | grep -c '\.eml$'; }
# The owner's invitation came first (before the test), through the queue too.
all_mailed() { [ "$(mails)" -ge $((M + 1)) ]; }
poll_until 120 all_mailed && ok || fail "sendmail got $(mails) of $((M + 1)) messages"
jobs_done() { [ "$(db_query "SELECT count(*) FROM jobs WHERE kind IN ('webhook','mail') AND state <> 'done'")" = 0 ]; }
poll_until 120 jobs_done && ok || fail "jobs not done: $(db_query "SELECT kind, state, last_error FROM jobs WHERE state <> 'done'")"
# Nothing more arrives once every job is done.
[ "$(received)" = "$N" ] && ok || fail "the receiver got $(received) requests for $N events"
[ "$(mails)" = $((M + 1)) ] && ok || fail "sendmail got $(mails) messages for $((M + 1))"
DUP=$(jq -r '."webhook-id"' "$RECV"/*.headers | sort | uniq -d)
[ -z "$DUP" ] && ok || fail "events delivered twice: $DUP"
[ "$(jq -r '."webhook-id"' "$RECV"/*.headers | sort)" = "$(sort "$TMP/events")" ] && ok ||
	fail "the events received are not the events caused"
DUPM=$(grep -h '^Message-ID:' "$TMP/mails"/*.eml | sort | uniq -d)
[ -z "$DUPM" ] && ok || fail "messages sent twice: $DUPM"
[ "$(db_query "SELECT count(*) FROM webhook_deliveries WHERE webhook_id='$WH' AND status='delivered' AND attempts=1")" = "$N" ] && ok ||
	fail "delivery log: $(db_query "SELECT status, attempts FROM webhook_deliveries WHERE webhook_id='$WH'")"
[ "$(db_query "SELECT count(*) FROM mail_outbox WHERE status='sent' AND attempts=1")" = $((M + 1)) ] && ok ||
	fail "outbox: $(db_query "SELECT status, attempts FROM mail_outbox")"
# Node A ran nothing; B and C ran every attempt between them.
! grep -q 'event=webhook.attempt\|event=mail.attempt' "$LOG" && ok || fail "node A ran jobs"
NB=$(grep -c 'event=webhook.attempt' "$TMP/faxvaultd-b.log")
NC=$(grep -c 'event=webhook.attempt' "$TMP/faxvaultd-c.log")
[ $((NB + NC)) = "$N" ] && ok || fail "webhook attempts on B and C: $NB + $NC, want $N"
echo "webhook attempts: node B $NB, node C $NC"
finish
