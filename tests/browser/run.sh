#!/bin/bash
# CTest browser_portal: starts faxvaultd (tests/integ/api/lib.sh) and runs
# portal.test.mjs in Debian's Chromium. Skipped (status 77) when Chromium or
# the npm packages (scripts/install-npm, run by make check) are missing.
# SCREENSHOT_DIR=DIR saves pictures of the main pages there (docs/portal/).
HERE=$(cd "$(dirname "$0")" && pwd)
if [ ! -x /usr/bin/chromium ] || [ ! -d "$HERE/node_modules/playwright-core" ] || [ ! -d "$HERE/node_modules/axe-core" ] || ! command -v node >/dev/null; then
	echo "browser tests skipped: run scripts/install-deps and scripts/install-npm"
	exit 77
fi
. "$HERE/../integ/api/lib.sh"
# Faxes go over the loopback trunk with the media clock sped up (as in
# tests/integ/faxsvc).
start_daemon --set testing.media_clock_speed=5 --set fax.poll_ms=100
out=$(BASE="$BASE" OP_EMAIL=op@example.com OP_PASSWORD="$(jq -r .password "$TMP/boot.json")" \
	node "$HERE/portal.test.mjs" 2>&1)
rc=$?
printf '%s\n' "$out" | grep -v ' passed, .* failed$'
p=$(printf '%s\n' "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' | tail -n 1)
if [ -n "$p" ]; then
	CHECKS=$((CHECKS + ${p% *})); FAILS=$((FAILS + ${p#* }))
	CHECKS=$((CHECKS + ${p#* }))
fi
[ "$rc" -eq 0 ] && ok || fail "the browser tests exited with status $rc"
finish
