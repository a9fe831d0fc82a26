#!/usr/bin/env bash
# The periodic sweeps on three faxvaultd nodes on one PostgreSQL database
# (issue 15, P02), against the real daemons. Run by CTest as
# integ_api_pg_sweeps with FV_TEST_PG (the fixture "pg").
#  - each sweep (the status board's pass, the retention sweep with its
#    incidents' clocks, the billing pass, the sign-in domains' re-check) is
#    led by one node: /metrics shows it leading and counting passes, and the
#    two others running none;
#  - a security incident's clock that runs down is alerted once, and its
#    mails queued once per recipient, with three nodes up;
#  - the leading node killed with kill -9, another node takes each sweep
#    over (its lock freed with the dead node's connection), one only, and
#    the next alert is raised once;
#  - the audit checkpoint (every real minute) is signed by one of the two
#    nodes left while the chain grows, the other signing none.
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
	--set fax.trunk_keepalive_seconds=0 --set audit.checkpoint_minutes=1)

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
# leaders BASE...: for each sweep, the one node of those given that leads it
# and has run passes, while the others ran none; prints "sweep=BASE" lines,
# fails (1) while that does not hold.
leaders() {
	local s b lead passes who n out=""
	for s in $SWEEPS; do
		who="" n=0
		for b in "$@"; do
			lead=$(metric "$b" faxvault_sweep_lead "$s")
			passes=$(metric "$b" faxvault_sweep_passes_total "$s")
			if [ "$lead" = 1 ] && [ "${passes:-0}" -gt 0 ]; then
				who=$b
				n=$((n + 1))
			fi
		done
		[ "$n" = 1 ] || return 1
		out="$out$s=$who"$'\n'
	done
	printf '%s' "$out" > "$TMP/leaders"
}
# idle_elsewhere LEADER BASE...: the nodes other than LEADER ran no pass of
# any sweep since (counted from) their start.
idle_elsewhere() {
	local lead=$1 b s p
	shift
	for b in "$@"; do
		[ "$b" = "$lead" ] && continue
		for s in $SWEEPS; do
			p=$(metric "$b" faxvault_sweep_passes_total "$s")
			[ "${p:-x}" = 0 ] || { echo "$b ran $p passes of $s"; return 1; }
		done
	done
}

poll_until 120 leaders "$A_BASE" "$B_BASE" "$C_BASE" && ok || fail "no single leader for each sweep: $(
	for b in "$A_BASE" "$B_BASE" "$C_BASE"; do curl -s -H "Authorization: Bearer $MTOKEN" "$b/metrics" | grep '^faxvault_sweep'; done)"
# Node A started first: it leads every sweep; B and C ask at every poll and
# never run one.
[ "$(cut -d= -f2- "$TMP/leaders" | sort -u)" = "$A_BASE" ] && ok || fail "node A leads every sweep: $(cat "$TMP/leaders")"
# Several polls later (node A's status passes run every second, and B and C
# ask as often):
S0=$(metric "$A_BASE" faxvault_sweep_passes_total status)
status_grew() { [ "$(metric "$A_BASE" faxvault_sweep_passes_total status)" -ge $((S0 + 3)) ]; }
poll_until 120 status_grew || fail "node A's status passes do not go on"
out=$(idle_elsewhere "$A_BASE" "$A_BASE" "$B_BASE" "$C_BASE") && ok || fail "nodes B and C ran sweeps: $out"
n=$(grep -c 'event=store.sweep_lead' "$LOG")
[ "$n" -ge 4 ] && ok || fail "node A logged $n leads"
! grep -q 'event=store.sweep_lead' "$TMP/faxvaultd-b.log" "$TMP/faxvaultd-c.log" && ok || fail "node B or C logged a lead"

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
# passes_grew BASE SWEEP N: the node ran N more passes of SWEEP than at the call's first run
passes_from() { metric "$1" faxvault_sweep_passes_total "$2"; }

advance_clock $((49 * 60))
ALERTS_WANT=1
poll_until 120 alerts_at_least "$A_BASE" "$B_BASE" "$C_BASE" || fail "no alert as the 72-hour clock ran down"
# Several more passes of the retention sweep (every test-clock minute) on
# the three nodes' clocks.
P0=$(passes_from "$A_BASE" retention)
more_passes() { tick "$A_BASE" "$B_BASE" "$C_BASE"; advance_clock 2; [ "$(passes_from "$A_BASE" retention)" -ge $((P0 + 3)) ]; }
poll_until 120 more_passes || fail "node A ran no more retention passes"
[ "$(alerts)" = 1 ] && ok || fail "the warning raised $(alerts) times, want once"
M1=$(mails)
[ "$M1" -ge 1 ] && [ "$(mails_to)" = 1 ] && ok || fail "incident mails: $M1 in all, $(mails_to) to one address, want one each"
out=$(idle_elsewhere "$A_BASE" "$A_BASE" "$B_BASE" "$C_BASE") && ok || fail "nodes B and C ran sweeps: $out"

# --- node A killed: its locks go with its connection; one of B and C takes
# each sweep over
kill -9 "$A_PID"
wait "$A_PID" 2>/dev/null
DAEMON_PID=""
poll_until 120 leaders "$B_BASE" "$C_BASE" && ok || fail "no single new leader for each sweep: $(
	for b in "$B_BASE" "$C_BASE"; do curl -s -H "Authorization: Bearer $MTOKEN" "$b/metrics" | grep '^faxvault_sweep'; done)"
n=$(cat "$LOG" "$TMP/faxvaultd-b.log" "$TMP/faxvaultd-c.log" | grep -c 'event=store.sweep_lead sweep=retention')
[ "$n" = 2 ] && ok || fail "the retention sweep was taken $n times, want 2 (node A, then one other)"
NEW=$(sed -n 's/^retention=//p' "$TMP/leaders")
advance_clock $((24 * 60))
ALERTS_WANT=2
poll_until 120 alerts_at_least "$B_BASE" "$C_BASE" || fail "no alert once overdue, after node A died"
P0=$(passes_from "$NEW" retention)
more_passes() { tick "$B_BASE" "$C_BASE"; advance_clock 2; [ "$(passes_from "$NEW" retention)" -ge $((P0 + 3)) ]; }
poll_until 120 more_passes || fail "the new leader ran no more retention passes"
[ "$(alerts)" = 2 ] && ok || fail "alerts: $(alerts), want 2 (the overdue one once)"
[ "$(mails)" = $((M1 * 2)) ] && [ "$(mails_to)" = 2 ] && ok || fail "incident mails: $(mails) in all, want $((M1 * 2)); $(mails_to) to one address, want 2"
for b in "$B_BASE" "$C_BASE"; do
	[ "$b" = "$NEW" ] && continue
	p=$(passes_from "$b" retention)
	[ "$p" = 0 ] && ok || fail "the node that does not lead ran $p retention passes"
done

# --- the audit checkpoint (audit.checkpoint_minutes=1, real minutes): of
# the two nodes left, one signs every minute while the chain grows; the
# other signs none (each node still signs the head at its stop).
cps() { grep -c 'event=audit.checkpoint ' "$1"; }
N_CP=0
grow_until_signed() { # one audited change every 20th call, until one node signed twice
	N_CP=$((N_CP + 1))
	if [ $((N_CP % 20)) = 1 ]; then
		BASE=$B_BASE
		req POST /v1/provider/staff "$OP" "{\"email\":\"cp$N_CP@provider.example\",\"name\":\"Staff $N_CP\",\"role\":\"support\"}"
	fi
	[ "$(cps "$TMP/faxvaultd-b.log")" -ge 2 ] || [ "$(cps "$TMP/faxvaultd-c.log")" -ge 2 ]
}
BASE=$B_BASE
OP=$(operator_token)
poll_until 300 grow_until_signed && ok || fail "no node signed two checkpoints in 5 minutes"
CPB=$(cps "$TMP/faxvaultd-b.log")
CPC=$(cps "$TMP/faxvaultd-c.log")
{ [ "$CPB" = 0 ] || [ "$CPC" = 0 ]; } && ok || fail "both nodes signed checkpoints: node B $CPB, node C $CPC"
n=$(cat "$TMP/faxvaultd-b.log" "$TMP/faxvaultd-c.log" | grep -c 'event=store.sweep_lead sweep=checkpoint')
[ "$n" = 1 ] && ok || fail "the checkpoint was led $n times by nodes B and C, want once"

finish
