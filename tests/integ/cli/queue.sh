#!/usr/bin/env bash
# The job queue as operators see it, against the real faxvaultd: a webhook
# delivery whose subscription was disabled after a failed attempt ends as a
# failed job; `GET /v1/provider/queue` and `faxvault queue show` list it
# (depth by kind and state, the reason), a member of an account cannot;
# the subscription enabled again, `faxvault queue retry JOB` queues it for
# one more attempt and the receiver gets the event (same webhook-id), the
# delivery log showing attempt 3 delivered; retrying it again, or a job
# that does not exist, is refused; both reads and the retry are audited
# with the operator as actor; finished jobs are purged by the retention
# sweep once queue.retention_days has passed on the test clock, and not
# before, each purge an audit event of system:queue with its count.
#
# Usage: queue.sh FAXVAULT FAXVAULTD
FV=${1:?path of faxvault}
FAXVAULTD=${2:?path of faxvaultd}
command -v jq >/dev/null || { echo "queue.sh: jq is required" >&2; exit 1; }
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_cli.sh"

RECV="$TMP/receiver"
mkdir -p "$RECV"
python3 "$(dirname "$0")/../api/webhook_receiver.py" "$RECV" &
RECV_PID=$!
trap 'kill "$RECV_PID" 2>/dev/null; wait "$RECV_PID" 2>/dev/null; cleanup' EXIT
recv_ready() { [ -s "$RECV/port" ] || ! kill -0 "$RECV_PID" 2>/dev/null; }
poll_until 120 recv_ready
[ -s "$RECV/port" ] || { fail "the webhook receiver did not start"; finish; exit 1; }
HOOK="http://127.0.0.1:$(cat "$RECV/port")/hook"

start_daemon --set webhooks.allow_cidrs=127.0.0.1/32 --set retention.sweep_minutes=1 \
	--set queue.retention_days=1 --set fax.trunk_keepalive_seconds=0 \
	--set metrics.listen=127.0.0.1:0
export FAXVAULT_URL=$BASE
OP=$(operator_token)
PW="plume encre buvard 1789"
new_account "$OP" "Queue Ltd" owner@queue.example "$PW"
ACC=$NEW_ACC
OWNER=$(login owner@queue.example "$PW")
req POST "/v1/accounts/$ACC/webhooks" "$OWNER" "{\"url\":\"$HOOK\",\"events\":[\"fax.queued\"]}"
expect_status 201 "subscribe the receiver"
WH=$(jqr .id)
# tick: a request to the API (even refused), which makes the daemon follow
# the test clock.
tick() { curl -s -o /dev/null "$BASE/v1/me"; }

# --- a delivery fails (500), its subscription is disabled: the job fails
# at its next attempt (which reaches no one).
printf '500\n500\n500\n500\n' > "$RECV/plan"
req POST "/v1/accounts/$ACC/webhooks/$WH/test" "$OWNER"
expect_status 202 "a test event"
EV=$(jqr .event_id)
DID=$(jqr .delivery_id)
poll_until 120 test -e "$RECV/1.done" && ok || fail "the receiver got the first attempt"
req PATCH "/v1/accounts/$ACC/webhooks/$WH" "$OWNER" '{"status":"disabled"}'
expect_status 200 "disable the subscription"
JOB=$(db_query "SELECT id FROM jobs WHERE kind='webhook' AND ref='$DID'")
[ -n "$JOB" ] && ok || fail "the delivery has no job"
job_failed() { tick; [ "$(db_query "SELECT state FROM jobs WHERE id='$JOB'")" = failed ]; }
advance_clock 1
poll_until 120 job_failed && ok || fail "the job did not fail: $(db_query "SELECT state, last_error FROM jobs WHERE id='$JOB'")"
# The attempts that reached the receiver (one, or more on a slow machine
# where the 5 s backoff passed before the subscription was disabled).
R=$(ls "$RECV" | grep -c '\.done$')
A=$((R + 1))

# --- the operator sees it through the API and the CLI
req GET /v1/provider/queue "$OP"
expect_status 200 "the queue, for the operator"
expect_jq "(.kinds[] | select(.kind == \"webhook\") | .failed == 1 and .done == 0) and (.failed | length == 1) and .failed[0].id == \"$JOB\" and .failed[0].kind == \"webhook\" and .failed[0].ref == \"$DID\" and .failed[0].account_id == \"$ACC\" and .failed[0].last_error == \"subscription disabled\" and .failed[0].attempts == $A" "the failed job, its kind, delivery, account and reason"
req GET /v1/provider/queue "$OWNER"
expect_problem 403 forbidden "an account's owner does not read the queue"
IN=$(jq -r .password "$TMP/boot.json") as op 0 "operator logs in" \
	login --email op@example.com --password-stdin || stop
as op 0 "queue show" queue show && has "$JOB" "the failed job is listed"
has "subscription disabled" "with its reason"
grep -qE '^webhook +0 +0 +0 +1' "$OUT" && ok || fail "depth of webhook jobs: $(cat "$OUT")"
as op 0 "queue show --json" --json queue show &&
	[ "$(field '.failed[0].id')" = "$JOB" ] && ok || fail "JSON: $(head -c 300 "$OUT")"

# --- enabled again and retried: delivered once more, same event
req PATCH "/v1/accounts/$ACC/webhooks/$WH" "$OWNER" '{"status":"active"}'
expect_status 200 "enable the subscription"
: > "$RECV/plan" # 200 from now on
as op 0 "queue retry" queue retry "$JOB" && has "State: " "the job's state is shown"
grep -q "Job queued again." "$OUT" "$ERR" && ok || fail "no confirmation: $(cat "$OUT" "$ERR")"
N=$((R + 1))
poll_until 120 test -e "$RECV/$N.done" && ok || fail "the retry did not reach the receiver"
[ "$(jq -r '."webhook-id"' "$RECV/$N.headers")" = "$EV" ] && ok || fail "the retry keeps the webhook-id"
delivered() {
	req GET "/v1/accounts/$ACC/webhooks/$WH/deliveries?limit=5" "$OWNER"
	[ "$(printf '%s' "$BODY" | jq -r --arg d "$DID" '.items[] | select(.id == $d) | .status')" = delivered ]
}
poll_until 120 delivered && ok || fail "the delivery log: $BODY"
printf '%s' "$BODY" | jq -e --arg d "$DID" --argjson a $((A + 1)) '.items[] | select(.id == $d) | .attempts == $a and .last_status_code == 200' >/dev/null && ok ||
	fail "attempt $((A + 1)) delivered: $BODY"
done_job() { [ "$(db_query "SELECT state FROM jobs WHERE id='$JOB'")" = done ]; }
poll_until 120 done_job && ok || fail "the retried job is not done"
as op 5 "a done job is not retried (not found)" queue retry "$JOB"
req POST "/v1/provider/queue/jobs/job_none/retry" "$OP"
expect_problem 404 not-found "no such failed job"
req POST "/v1/provider/queue/jobs/$JOB/retry" "$OWNER"
expect_problem 403 forbidden "an account's owner does not retry jobs"
[ ! -e "$RECV/$((N + 1)).done" ] && ok || fail "one more request reached the receiver"

# --- audited, the operator named
AUD=$(db_query "SELECT action || ' ' || coalesce(target, '') FROM audit_events WHERE action IN ('queue.read', 'queue.retry') ORDER BY seq")
[ "$(grep -c '^queue.read queue' <<<"$AUD")" -ge 2 ] && ok || fail "reads of the queue audited: $AUD"
[ "$(grep -c "^queue.retry $JOB\$" <<<"$AUD")" = 1 ] && ok || fail "the retry audited once: $AUD"
OPID=$(db_query "SELECT id FROM principals WHERE email='op@example.com'")
[ "$(db_query "SELECT count(*) FROM audit_events WHERE action='queue.retry' AND actor_id='$OPID' AND account_id='$ACC'")" = 1 ] &&
	ok || fail "the retry names the operator and the account: $(db_query "SELECT actor_id, account_id FROM audit_events WHERE action='queue.retry'")"

# --- finished jobs purged after queue.retention_days (1 day), not before
# passes: the retention sweeps this node has run (/metrics).
passes() { curl -s "http://127.0.0.1:$(metrics_port)/metrics" | sed -n 's/^faxvault_sweep_passes_total{sweep="retention"} \([0-9]*\)$/\1/p'; }
advance_clock 600 # 10 h
tick
P0=$(passes)
swept() { tick; [ "$(passes)" -gt "${P0:-0}" ]; }
poll_until 120 swept && ok || fail "no retention sweep ran after the clock moved: $(passes)"
[ "$(db_query "SELECT count(*) FROM jobs WHERE id='$JOB'")" = 1 ] && ok || fail "purged before its retention"
[ "$(db_query "SELECT count(*) FROM audit_events WHERE action='queue.purged'")" = 0 ] && ok ||
	fail "a purge audited before any job was purged"
N0=$(db_query "SELECT count(*) FROM jobs WHERE state IN ('done', 'failed')")
advance_clock 1440 # a day more
purged() { tick; [ "$(db_query "SELECT count(*) FROM jobs WHERE state IN ('done', 'failed')")" = 0 ]; }
poll_until 120 purged && ok || fail "finished jobs left: $(db_query "SELECT id, kind, state, finished_at FROM jobs") clock $(cat "$CLOCK") now $(date +%s) $(grep -E 'queue.purged|retention' "$LOG" | tail -3)"
grep -q 'event=queue.purged' "$LOG" && ok || fail "the purge is not logged"
# The purge is an audit event of system:queue in the provider's chain
# (no account), with the number of jobs each pass deleted.
PURGED=$(db_query "SELECT detail FROM audit_events WHERE action='queue.purged' AND actor_id='system:queue' AND outcome='success' AND coalesce(account_id, '')=''")
SUM=$(jq -s 'map(.jobs) | add // 0' <<<"$PURGED")
[ "$SUM" -ge "$N0" ] && [ "$N0" -ge 1 ] && ok || fail "the purge of $N0 jobs is not audited with its count: $PURGED"
[ "$(db_query "SELECT count(*) FROM audit_events WHERE action='queue.purged'")" = "$(wc -l <<<"$PURGED")" ] && ok ||
	fail "a purge audited otherwise: $(db_query "SELECT actor_id, account_id, outcome FROM audit_events WHERE action='queue.purged'")"
OWNER=$(login owner@queue.example "$PW") # a day and more later
req GET "/v1/accounts/$ACC/webhooks/$WH/deliveries?limit=5" "$OWNER"
expect_jq "[.items[] | select(.id == \"$DID\")][0].status == \"delivered\"" "the delivery log outlives the job"
finish
