# poll_until SECONDS COMMAND...: runs COMMAND every tenth of a second until it
# succeeds (status 0) or SECONDS of wall-clock time have passed (status 1).
# Tests wait for events with this and a deadline far above need (the suite
# must pass on a machine whose cores are all busy: `make check-load`), never
# with a fixed number of short sleeps.
poll_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

# free_port [N]: the first of N consecutive loopback ports that no socket
# uses (TCP or UDP, any state), chosen below the kernel's ephemeral range so
# that no outgoing connection takes one before the peer binds it. A random
# port inside that range (32768-60999 by default) was sometimes taken, and
# the peer could not start. Another test may still pick the same port a
# moment later: start the peer, then wait_bound, and start it again on a new
# port when it died.
free_port() {
	local n=${1:-1} lo=20000 hi p i used
	hi=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
	[ "$hi" -gt $((lo + 1000)) ] || { lo=1100; hi=20000; }
	for _ in $(seq 1 500); do
		p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo - n)))
		used=0
		for ((i = p; i < p + n; i++)); do
			if ss -Htuan "sport = :$i" | grep -q .; then used=1; break; fi
		done
		[ "$used" = 0 ] && { echo "$p"; return 0; }
	done
	return 1
}

# wait_bound SECONDS PID SPEC...: until every SPEC (tcp:PORT listening,
# udp:PORT bound) is held by PID or one of its children (status 0), or PID
# has exited or SECONDS have passed (status 1).
wait_bound() {
	local deadline=$((SECONDS + $1)) pid=$2 s port users p ok
	shift 2
	while kill -0 "$pid" 2>/dev/null; do
		ok=1
		for s in "$@"; do
			port=${s#*:}
			case $s in
			tcp:*) users=$(ss -Hltnp "sport = :$port") ;;
			udp:*) users=$(ss -Hlunp "sport = :$port") ;;
			*) return 1 ;;
			esac
			ok=0
			for p in $(printf '%s' "$users" | grep -o 'pid=[0-9]*' | cut -d= -f2); do
				if [ "$p" = "$pid" ] || [ "$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ')" = "$pid" ]; then
					ok=1
					break
				fi
			done
			[ "$ok" = 1 ] || break
		done
		[ "$ok" = 1 ] && return 0
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.1
	done
	return 1
}
