#!/usr/bin/env bash
# The README's tour, run from the README's own text so that the two cannot
# drift apart. Every fenced block preceded by `<!-- readme-test: NAME -->`
# is taken as it is written:
#   daemon  the `make run` block: started here through scripts/run-daemon,
#           the script `make run` itself ends with (the build is the test's);
#   tour    every other block, concatenated in order and run by one bash,
#           as a reader pasting them into one terminal would.
# Substitutions, and only these, make it runnable beside other tests: the
# HTTP address 127.0.0.1:8080 and the engine's 127.0.0.1:5090 become free
# ports, ./var a temporary data directory, and the build/ paths the test's
# build tree. The daemon reads one extra configuration file
# (FAXVAULT_CONFIG) that moves its loopback SIP listener to a free port and
# runs the fax media clock five times faster than real time.
# The operator's one-time password printed by the daemon block is typed at
# the tour's prompt (its standard input).
#
# Usage: FAXVAULTD=.../faxvaultd test_readme.sh
set -uo pipefail
: "${FAXVAULTD:?FAXVAULTD: path of faxvaultd}"
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../.." && pwd)
build=$(cd "$(dirname "$FAXVAULTD")/../.." && pwd)
readme=$src/README.md

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fv-readme.XXXXXX")
daemon_pid=""
fails=0
checks=0
cleanup() {
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -TERM "$daemon_pid"
		wait "$daemon_pid" 2>/dev/null
	fi
	if [ "$fails" -ne 0 ] || [ -n "${README_TEST_SHOW-}" ]; then
		echo "---- daemon output (last 40 lines)"; tail -n 40 "$tmp/daemon.out" 2>/dev/null
		echo "---- tour output (last 80 lines)"; tail -n 80 "$tmp/tour.out" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
ok() { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }
check() { # check DESCRIPTION COMMAND...
	local d=$1; shift
	if "$@"; then ok; else fail "$d"; fi
}

# extract NAME: the blocks marked NAME, in order.
extract() {
	awk -v want="$1" '
		/^<!-- readme-test: [a-z]+ -->$/ { split($0, w, " "); armed = (w[3] == want); next }
		armed && /^```/ && !inblock { inblock = 1; next }
		inblock && /^```/ { inblock = 0; armed = 0; print ""; next }
		inblock { print }
	' "$readme"
}

# free_port (wait.sh): ports below the kernel's ephemeral range, where a
# port the kernel chose for us and then let go could be taken again by any
# outgoing connection before the daemon binds it.
. "$here/../wait.sh"
http_port=$(free_port)
sip_port=$(free_port)

substitute() {
	sed -e "s#127\.0\.0\.1:8080#127.0.0.1:$http_port#g" \
	    -e "s#127\.0\.0\.1:5090#127.0.0.1:$sip_port#g" \
	    -e "s#\\\$PWD/build/#$build/#g" \
	    -e "s#\(^\|[[:space:]]\)build/src/#\1$build/src/#g" \
	    -e "s#\./var#$tmp/var#g"
}

daemon_block=$(extract daemon | sed 's/#.*//' | tr -s ' \n' ' ' | sed 's/^ *//; s/ *$//')
check "the daemon block is exactly 'make run' (got '$daemon_block')" [ "$daemon_block" = "make run" ]
extract tour > "$tmp/tour.raw"
check "the README has tour blocks" [ -s "$tmp/tour.raw" ]
substitute < "$tmp/tour.raw" > "$tmp/tour.sh"

cat > "$tmp/test.conf" <<CONF
fax.loopback_sip = 127.0.0.1:0
testing.media_clock_speed = 5
CONF

# The daemon block, as `make run` runs it after building.
mkdir -p "$tmp/home"
(cd "$tmp" && FAXVAULT_CONFIG="$tmp/test.conf" exec "$src/scripts/run-daemon" "$build" "$tmp/var" "127.0.0.1:$http_port") \
	> "$tmp/daemon.out" 2>&1 &
daemon_pid=$!
ready=0
for _ in $(seq 600); do
	if curl -sf "http://127.0.0.1:$http_port/readyz" >/dev/null 2>&1; then ready=1; break; fi
	kill -0 "$daemon_pid" 2>/dev/null || break
	sleep 0.5
done
check "the daemon answers /readyz" [ "$ready" = 1 ]
[ "$ready" = 1 ] || exit 1
password=$(sed -n 's/^  password: \(.*\)$/\1/p' "$tmp/daemon.out" | head -n 1)
check "make run printed the operator's one-time password" [ -n "$password" ]

# The tour, in one shell, in an empty folder standing for the repository's,
# with a clean client configuration. Afterwards, its variables are checked.
cat > "$tmp/checks.sh" <<'CHECKS'
printf 'ACC=%s\nOWNER=%s\nFAX=%s\nSTATUS=%s\nTO=%s\nACC2=%s\nTO2=%s\n' \
	"${ACC-}" "${OWNER-}" "${FAX-}" "${STATUS-}" "${TO-}" "${ACC2-}" "${TO2-}" > vars.out
CHECKS
(
	cd "$tmp" || exit 1
	export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/home/.config LC_ALL=C.UTF-8
	unset FAXVAULT_URL FAXVAULT_TOKEN FAXVAULT_CONFIG
	printf '%s\n' "$password" | bash -e -o pipefail -c "source ./tour.sh; source ./checks.sh"
) > "$tmp/tour.out" 2>&1
rc=$?
check "every tour block ran without error (exit status $rc)" [ "$rc" = 0 ]

val() { sed -n "s/^$1=//p" "$tmp/vars.out" 2>/dev/null; }
check "the account was created" grep -q '^acc_' <<<"$(val ACC)"
owner=$(val OWNER)
check "the owner logged in with the accepted invitation" [ -n "$owner" ] && [ "$owner" != null ]
check "the fax was delivered (status $(val STATUS))" [ "$(val STATUS)" = delivered ]
base="http://127.0.0.1:$http_port"
inbound=$(curl -s "$base/v1/faxes?direction=inbound" -H "Authorization: Bearer $owner" | jq '[.items[] | select(.to == "'"$(val TO)"'")] | length')
check "the received copy is in the inbox (found $inbound)" [ "${inbound:-0}" -ge 1 ]
check "audit-verify reported an intact chain" grep -q 'audit chain intact' "$tmp/tour.out"
check "audit-verify checked the checkpoints the operator asked for (one per chain)" grep -Eq 'checkpoints checked: [2-9][0-9]*;' "$tmp/tour.out"
check "the second account exists" grep -q '^acc_' <<<"$(val ACC2)"
check "the CLI sent its fax with --wait" grep -q "$(val TO2)" "$tmp/tour.out"
check "the engine tool received pages" test -n "$(ls -A "$tmp/rx" 2>/dev/null)"
check "no block printed a problem of type internal" bash -c "! grep -q 'urn:faxvault:problem:internal' '$tmp/tour.out'"
check "no login answered null" bash -c "! grep -q 'Bearer null' '$tmp/tour.sh'"

echo "$((checks - fails)) passed, $fails failed"
[ "$fails" = 0 ]
