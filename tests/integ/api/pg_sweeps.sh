#!/usr/bin/env bash
# The periodic sweeps on three faxvaultd nodes on one PostgreSQL database
# (issue 15, P02; issue 11: the sweeps are jobs of the queue), against the
# real daemons. Run by CTest as integ_api_pg_sweeps with FV_TEST_PG (the
# fixture "pg").
#  - each sweep (the status board's pass, the retention sweep with its
#    incidents' clocks, the billing pass, the sign-in domains' re-check, the
#    audit checkpoint) is one job of kind sweep, whichever of the three nodes
#    enqueued it at its start, and its passes go on (/metrics, summed over
#    the nodes);
#  - a security incident's clock that runs down is alerted once, and its
#    mails queued once per recipient, with three nodes up;
#  - a node killed with kill -9: once its leases passed, the two others run
#    every sweep on, the next alert is raised once, and still one job per
#    sweep exists;
#  - the audit checkpoint (audit.checkpoint_minutes=1) is signed by the
#    nodes left while the chain grows, never twice for one chain head.
. "$(dirname "$0")/lib.sh"
: "${FV_TEST_PG:?FV_TEST_PG: socket directory of the test cluster}"

# Mail to a stand-in sendmail that keeps nothing (the outbox rows are
# checked), a metrics token, the retention sweep every test-clock minute.
mkdir -p "$TMP/bin"
printf '#!/bin/sh\ncat > /dev/null\n' > "$TMP/bin/sendmail"
chmod 755 "$TMP/bin/sendmail"
export PATH="$TMP/bin:$PATH"
MTOKEN="metrics-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$MTOKEN" > "$TMP/metrics.token"
chmod 600 "$TMP/metrics.token"
NODE_FLAGS=(--set mail.relay=sendmail --set mail.from=noreply@fax.example.net
	--set retention.sweep_minutes=1 --set "metrics.token_file=$TMP/metrics.token"
	--set fax.trunk_keepalive_seconds=0 --set audit.checkpoint_minutes=1
	--set status.check_seconds=1)

start_daemon "${NODE_FLAGS[@]}" --set fax.node_id=node-a
A_BASE=$BASE
A_PID=$DAEMON_PID
start_node b "${NODE_FLAGS[@]}" --set fax.node_id=node-b
B_BASE=$NODE_BASE
start_node c "${NODE_FLAGS[@]}" --set fax.node_id=node-c
C_BASE=$NODE_BASE
ok

# metric BASE NAME SWEEP: the value of NAME{sweep="SWEEP"} on that node.
metric() {
	curl -s -H "Authorization: Bearer $MTOKEN" "$1/metrics" |
		sed -n "s/^$2{sweep=\"$3\"} \([0-9]*\)\$/\1/p"
}
# tick BASE...: one request to each node, which makes it read the test clock.
tick() {
	local b
	for b in "$@"; do curl -s -o /dev/null "$b/v1/me"; done
}
SWEEPS="status retention billing ssodom"
# total SWEEP BASE...: the passes of SWEEP the nodes given ran, summed.
total() {
	local s=$1 b n=0 p
	shift
	for b in "$@"; do
		p=$(metric "$b" faxvault_sweep_passes_total "$s")
		n=$((n + ${p:-0}))
	done
	echo "$n"
}

# One job per sweep among the three nodes (each enqueued at its start).
one_job_each() {
	[ "$(db_query "SELECT ref || '=' || count(*) FROM jobs WHERE kind='sweep' GROUP BY ref ORDER BY ref" | tr '\n' ' ')" = \
		"billing=1 checkpoint=1 retention=1 sends=1 ssodom=1 status=1 " ]
}
one_job_each && ok || fail "one job per sweep: $(db_query "SELECT ref, state, count(*) FROM jobs WHERE kind='sweep' GROUP BY ref, state")"
# Every sweep runs, on one node or another.
all_ran() {
	local s
	for s in $SWEEPS; do [ "$(total "$s" "$A_BASE" "$B_BASE" "$C_BASE")" -gt 0 ] || return 1; done
}
poll_until 120 all_ran && ok || fail "not every sweep ran: $(
	for b in "$A_BASE" "$B_BASE" "$C_BASE"; do curl -s -H "Authorization: Bearer $MTOKEN" "$b/metrics" | grep '^faxvault_sweep'; done)"
# The status board's pass every second (status.check_seconds=1) goes on.
S0=$(total status "$A_BASE" "$B_BASE" "$C_BASE")
status_grew() { [ "$(total status "$A_BASE" "$B_BASE" "$C_BASE")" -ge $((S0 + 3)) ]; }
poll_until 120 status_grew && ok || fail "the status passes do not go on"

# --- an incident's clocks run down under three nodes: each alert once
PW="plume encre buvard 1789"
OP=$(operator_token)
BASE=$B_BASE
req POST /v1/provider/staff "$OP" '{"email":"sec@provider.example","name":"Sam Security","role":"security"}'
expect_status 201 "security staff, on node B"
accept "$(jqr .invitation.token)" "$PW"
SEC=$(login sec@provider.example "$PW")
new_account "$OP" "Clinique A" owner@a.example "$PW"
ACC=$NEW_ACC
BASE=$C_BASE
req POST /v1/provider/security-incidents "$SEC" "{\"title\":\"Laptop stolen\",\"description\":\"A laptop with exported faxes was stolen.\",\"severity\":\"high\",\"personal_data\":true,\"affected\":{\"account_ids\":[\"$ACC\"]}}"
expect_status 201 "the incident, on node C"
INC=$(jqr .id)
alerts() { db_query "SELECT count(*) FROM security_incident_events WHERE incident_id='$INC' AND kind='clock'"; }
mails() { db_query "SELECT count(*) FROM mail_outbox WHERE kind='incident_clock'"; }
mails_to() { db_query "SELECT count(*) FROM mail_outbox WHERE kind='incident_clock' GROUP BY to_addr ORDER BY 1 DESC LIMIT 1"; }
alerts_at_least() { tick "$@"; [ "$(alerts)" -ge "$ALERTS_WANT" ]; }

advance_clock $((49 * 60))
ALERTS_WANT=1
poll_until 120 alerts_at_least "$A_BASE" "$B_BASE" "$C_BASE" || fail "no alert as the 72-hour clock ran down"
# Several more passes of the retention sweep (every test-clock minute), on
# whichever nodes claim them.
P0=$(total retention "$A_BASE" "$B_BASE" "$C_BASE")
more_passes() { tick "$@"; advance_clock 2; [ "$(total retention "$@")" -ge $((P0 + 3)) ]; }
poll_until 120 more_passes "$A_BASE" "$B_BASE" "$C_BASE" || fail "no more retention passes"
[ "$(alerts)" = 1 ] && ok || fail "the warning raised $(alerts) times, want once"
M1=$(mails)
[ "$M1" -ge 1 ] && [ "$(mails_to)" = 1 ] && ok || fail "incident mails: $M1 in all, $(mails_to) to one address, want one each"

# --- node A killed (its service with it): once its leases passed (the
# test clock moves 24 hours), nodes B and C run every sweep on
kill -9 "$A_PID"
wait "$A_PID" 2>/dev/null
DAEMON_PID=""
declare -A BEFORE
for s in $SWEEPS; do BEFORE[$s]=$(total "$s" "$B_BASE" "$C_BASE"); done
advance_clock $((24 * 60))
ALERTS_WANT=2
poll_until 120 alerts_at_least "$B_BASE" "$C_BASE" || fail "no alert once overdue, after node A died"
all_went_on() {
	local s
	tick "$B_BASE" "$C_BASE"
	for s in $SWEEPS; do [ "$(total "$s" "$B_BASE" "$C_BASE")" -gt "${BEFORE[$s]}" ] || return 1; done
}
poll_until 180 all_went_on && ok || fail "not every sweep went on on nodes B and C: $(
	for b in "$B_BASE" "$C_BASE"; do curl -s -H "Authorization: Bearer $MTOKEN" "$b/metrics" | grep '^faxvault_sweep'; done)"
P0=$(total retention "$B_BASE" "$C_BASE")
poll_until 120 more_passes "$B_BASE" "$C_BASE" || fail "no more retention passes on nodes B and C"
[ "$(alerts)" = 2 ] && ok || fail "alerts: $(alerts), want 2 (the overdue one once)"
[ "$(mails)" = $((M1 * 2)) ] && [ "$(mails_to)" = 2 ] && ok || fail "incident mails: $(mails) in all, want $((M1 * 2)); $(mails_to) to one address, want 2"
one_job_each && ok || fail "one job per sweep after the kill: $(db_query "SELECT ref, state, count(*) FROM jobs WHERE kind='sweep' GROUP BY ref, state")"

# --- the audit checkpoint (audit.checkpoint_minutes=1): the two nodes left
# sign while the chain grows, one of them at a time: never one chain head
# twice (each node still signs the head at its stop).
B_LOG=$TMP/faxvaultd-b.log
C_LOG=$TMP/faxvaultd-c.log
B_CP0=$(wc -l <"$B_LOG")
C_CP0=$(wc -l <"$C_LOG")
signed() { { tail -n "+$((B_CP0 + 1))" "$B_LOG"; tail -n "+$((C_CP0 + 1))" "$C_LOG"; } | grep 'event=audit.checkpoint '; }
N_CP=0
grow_until_signed() { # one audited change and a test-clock minute every 20th call, until two were signed
	N_CP=$((N_CP + 1))
	if [ $((N_CP % 20)) = 1 ]; then
		BASE=$B_BASE
		req POST /v1/provider/staff "$OP" "{\"email\":\"cp$N_CP@provider.example\",\"name\":\"Staff $N_CP\",\"role\":\"support\"}"
		advance_clock 1
		tick "$B_BASE" "$C_BASE"
	fi
	[ "$(signed | grep -c 'chain=provider ')" -ge 2 ]
}
BASE=$B_BASE
OP=$(operator_token)
poll_until 300 grow_until_signed && ok || fail "the nodes signed no two checkpoints in 5 minutes"
DUP=$(signed | sed -n 's/.* chain=\([^ ]*\) seq=\([0-9]*\) .*/\1 \2/p' | sort | uniq -d)
[ -z "$DUP" ] && ok || fail "a chain head signed twice: $DUP"

finish
