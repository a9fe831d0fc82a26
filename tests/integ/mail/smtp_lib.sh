# Helpers of the fax-by-email tests, sourced after lib.sh and lib_fax.sh.

# expect_reply REGEX DESCRIPTION: the last reply of the swaks conversation
# in SW (before QUIT) starts with REGEX ("550", "550 5.7.23").
expect_reply() {
	local got
	got=$(printf '%s\n' "$SW" | grep -E '^<[-~*]{1,2} +[0-9]{3}' | grep -v ' 221 ' | tail -n 1)
	if printf '%s' "$got" | grep -qE "^<[-~*]{1,2} +$1"; then ok; else
		fail "$2: want $1, got '$got'"; fi
}
# outbound_a: how many outbound faxes account A has.
outbound_a() { req GET "/v1/faxes?direction=outbound" "$ADMIN_A"; jqr '.items | length'; }
# child_pid COMM: the pid of the daemon's child process named COMM (fv-smtp).
child_pid() { ps -o pid=,comm= --ppid "$DAEMON_PID" | awk -v c="$1" '$2 == c { print $1 }'; }
