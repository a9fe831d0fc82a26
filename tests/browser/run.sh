#!/bin/bash
# CTest browser_portal (run.sh), browser_admin (run.sh admin),
# browser_account (run.sh account), browser_requests (run.sh requests),
# browser_sso (run.sh sso), browser_portal2 (run.sh portal2),
# browser_roles (run.sh roles) and browser_sso_real (run.sh sso_real, with
# SimpleSAMLphp started here: tests/integ/api/lib_ssp.sh):
# starts faxvaultd (tests/integ/api/lib.sh) and runs NAME.test.mjs in
# Debian's Chromium (CLOCK names the daemon's test clock file). Skipped (status 77) when Chromium or
# the npm packages (scripts/install-npm, run by make check) are missing.
# SCREENSHOT_DIR=DIR saves pictures of the main pages there (docs/portal/).
HERE=$(cd "$(dirname "$0")" && pwd)
if [ ! -x /usr/bin/chromium ] || [ ! -d "$HERE/node_modules/playwright-core" ] || [ ! -d "$HERE/node_modules/axe-core" ] || ! command -v node >/dev/null; then
	echo "browser tests skipped: run scripts/install-deps and scripts/install-npm"
	exit 77
fi
TEST=${1:-portal}
. "$HERE/../integ/api/lib.sh"
if [ "$TEST" = sso_real ]; then
	. "$HERE/../integ/api/lib_ssp.sh"
	ssp_start
	trap 'kill $SSP_PID 2>/dev/null; cleanup' EXIT
	export SSP
fi
if [ "$TEST" = admin ] || [ "$TEST" = sso ] || [ "$TEST" = sso_real ]; then
	# Single sign-on comes back to the browser at sso.public_url: a port
	# known before the start. Webhooks and the identity provider run on
	# loopback (the test starts them).
	P=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	# The single sign-on test makes many calls without a session from one
	# address (discover, start, callback, /v1/me): more than the default
	# limit of such calls a minute.
	extra=()
	[ "$TEST" != admin ] && extra=(--set ratelimit.login_per_minute=1000)
	start_daemon --http "127.0.0.1:$P" --set sso.public_url="http://127.0.0.1:$P" \
		--set sso.allow_cidrs=127.0.0.0/8 --set webhooks.allow_cidrs=127.0.0.1/32 "${extra[@]}"
elif [ "$TEST" = portal2 ]; then
	# The fax service is off: submitted faxes stay queued (the outbox's
	# search needs many, none of them sent).
	start_daemon --set fax.enabled=0
elif [ "$TEST" = requests ]; then
	# The fraud detection's periodic pass every minute of the test clock,
	# watching one prefix the test sends to; its windows are UTC days, so
	# the clock starts after the next midnight (lib.sh).
	clock_start_day
	start_daemon --set retention.sweep_minutes=1 --set fraud.risky_prefixes=+1555555099
else
	# Faxes go over the loopback trunk with the media clock sped up (as in
	# tests/integ/faxsvc). The account test invoices the month of a fax it
	# sends: its clock starts on the first of the next month (lib.sh), so
	# that the fax and the month it names are the same at a month's end.
	[ "$TEST" = account ] && clock_start_month
	start_daemon --set testing.media_clock_speed=5 --set fax.poll_ms=100
fi
# The test's output is passed on as it comes (a test stopped by CTest's
# timeout still shows its steps), and kept for its count of checks.
BASE="$BASE" CLOCK="$CLOCK" OP_EMAIL=op@example.com OP_PASSWORD="$(jq -r .password "$TMP/boot.json")" \
	node "$HERE/$TEST.test.mjs" 2>&1 | tee "$TMP/browser.out"
rc=${PIPESTATUS[0]}
p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$TMP/browser.out" | tail -n 1)
if [ -n "$p" ]; then
	CHECKS=$((CHECKS + ${p% *})); FAILS=$((FAILS + ${p#* }))
	CHECKS=$((CHECKS + ${p#* }))
fi
[ "$rc" -eq 0 ] && ok || fail "the browser tests exited with status $rc"
finish
