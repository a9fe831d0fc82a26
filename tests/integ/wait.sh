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
