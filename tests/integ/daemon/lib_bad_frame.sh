# Shared by the bad-frame tests, sourced after tests/integ/api/lib.sh.
#
# bad_frame NAME COMM KIND: the front end NAME (http, smtp or sip; its
# process COMM, a child of the daemon) sends the service one bad frame of
# KIND (testing.front_bad_frames: SIGUSR2 with sigqueue's value, procps'
# kill -q): 0 an empty datagram, 1 a header of another IPC version, 2 a
# well-formed message of a type the service does not take (32766); HTTP's
# own, refused once decoded: 4 a request (type 769) whose body's memfd is
# shorter than it declares, 5 requests until one is over what the service
# takes in flight (its workers held: testing.worker_hold_file); SIP's own,
# armed by the signal and sent on a call's own socket in place of the
# call's next page report (6: a call out), result (7: a call in),
# verdict on an INVITE's credentials (8) or answer to a request of the
# service on a socket of its own (9), a message of type 32766. Then the
# service's answer, each a check: one log line NAME.front_malformed
# naming the front end's pid, the frame's type and why (datagram for 0
# and 1, message for 2 and 6 to 9, "body size" for
# 4, "over its requests in flight" for 5), and nothing else; the front end
# killed (NAME.front_exited ... signal=9); a successor started (another
# COMM under the daemon, logged NAME.front_spawned). FRONT: the successor's
# pid. When BAD_FRAME_SENT names a function, it is called once the front
# end has sent (or armed) the frame, before the refusal is looked for (the
# call that carries an armed one); when BAD_FRAME_REFUSED does, it is called
# with the pid once the refusal is logged, before the kill is looked for
# (its failure ends the checks). Returns 1 at the first check that fails.
bad_frame() {
	local name=$1 comm=$2 kind=$3 p why type lines
	case $kind in
	0 | 1) why=datagram type=0 ;;
	4) why="body size" type=769 ;;
	5) why="over its requests in flight" type=769 ;;
	*) why=message type=32766 ;;
	esac
	p=$(child_of_daemon "$comm")
	[ -n "$p" ] || { fail "no $comm under the daemon"; return 1; }
	sent() { grep -q "event=$name.test_bad_frame pid=$p kind=" "$LOG"; }
	/bin/kill -s USR2 -q "$kind" "$p" && poll_until 120 sent && ok ||
		{ fail "$comm ($p) did not send frame $kind: $(grep "$name.test_bad_frame" "$LOG")"; return 1; }
	if [ -n "${BAD_FRAME_SENT:-}" ]; then
		"$BAD_FRAME_SENT"
	fi
	refused() { grep -q "event=$name.front_malformed pid=$p " "$LOG"; }
	poll_until 120 refused && ok ||
		{ fail "frame $kind from $comm not refused: $(grep -E "$name\.(front|test)" "$LOG" | tail -n 4)"; return 1; }
	lines=$(grep "event=$name.front_malformed pid=$p " "$LOG")
	printf '%s\n' "$lines" | grep -qxE "ts=[^ ]+ level=error event=$name\.front_malformed pid=$p type=$type why=\"$why\"" &&
		[ "$(printf '%s\n' "$lines" | wc -l)" = 1 ] && ok || fail "frame $kind's log line: $lines"
	if [ -n "${BAD_FRAME_REFUSED:-}" ]; then
		"$BAD_FRAME_REFUSED" "$p" || return 1
	fi
	killed() { grep -q "event=$name.front_exited pid=$p signal=9 " "$LOG"; }
	poll_until 120 killed && ok ||
		{ fail "$comm ($p) not killed after frame $kind: $(grep "$name.front_exited" "$LOG")"; return 1; }
	successor() {
		FRONT=$(child_of_daemon "$comm")
		[ -n "$FRONT" ] && [ "$FRONT" != "$p" ] && grep -q "event=$name.front_spawned pid=$FRONT\$" "$LOG"
	}
	poll_until 300 successor && ok || { fail "no $comm after frame $kind: $(grep "$name.front_" "$LOG" | tail -n 3)"; return 1; }
}

# channel_closed NAME COMM: the front end NAME (its process COMM) shuts its
# channel and stops itself (testing.front_bad_frames kind 3: alive, but
# neither exiting nor reading). Checks: nothing logged as malformed; the
# service, once its grace after the channel's end has passed, logs
# NAME.front_killed naming the pid and kills it (NAME.front_exited ...
# signal=9); a successor started (FRONT: its pid). Without the grace (the
# service waiting for the exit for good) no successor comes. Returns 1 at
# the first check that fails.
channel_closed() {
	local name=$1 comm=$2 p
	p=$(child_of_daemon "$comm")
	[ -n "$p" ] || { fail "no $comm under the daemon"; return 1; }
	stopped() { grep -q "event=$name.test_bad_frame pid=$p kind=close" "$LOG" && grep -q '^State:.*stopped' "/proc/$p/status"; }
	/bin/kill -s USR2 -q 3 "$p" && poll_until 120 stopped && ok ||
		{ fail "$comm ($p) did not shut its channel and stop: $(grep "$name.test_bad_frame" "$LOG" | tail -n 1)"; return 1; }
	killed() { grep -q "event=$name.front_killed pid=$p why=" "$LOG" && grep -q "event=$name.front_exited pid=$p signal=9 " "$LOG"; }
	poll_until 120 killed && ok ||
		{ fail "$comm ($p) kept after its channel ended: $(grep -E "$name\.front_(killed|exited)" "$LOG" | tail -n 2)"; return 1; }
	grep -q "event=$name.front_malformed pid=$p " "$LOG" && fail "a shut channel logged as a malformed frame" || ok
	successor() {
		FRONT=$(child_of_daemon "$comm")
		[ -n "$FRONT" ] && [ "$FRONT" != "$p" ] && grep -q "event=$name.front_spawned pid=$FRONT\$" "$LOG"
	}
	poll_until 300 successor && ok || { fail "no $comm after its channel ended: $(grep "$name.front_" "$LOG" | tail -n 3)"; return 1; }
}
