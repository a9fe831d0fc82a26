#!/usr/bin/env bash
# SafeBoxes with the `faxvault` CLI against the real faxvaultd (issue 16):
# a member creates a box for a guest and a colleague, lists and shows it,
# sends a file, the colleague downloads it (the same bytes, mode 0600, an
# existing file kept without --force), a member taking no part cannot see
# it, the owner closes it and nothing more can be sent.
#
# Usage: safebox.sh FAXVAULT FAXVAULTD
FV=${1:?path of faxvault}
FAXVAULTD=${2:?path of faxvaultd}
command -v jq >/dev/null || { echo "safebox.sh: jq is required" >&2; exit 1; }
. "$(dirname "$0")/../api/lib.sh"

. "$(dirname "$0")/lib_cli.sh"

start_daemon
export FAXVAULT_URL=$BASE
OP=$(operator_token)
new_account "$OP" "Box Clinic" owner@box.example "lantern-harbour-kite-11"
ACC=$NEW_ACC
new_member "$ACC" "$NEW_OWNER" user@box.example user "meadow-violin-bell-22"
new_member "$ACC" "$NEW_OWNER" colleague@box.example user "quartz-otter-fern-33"
new_member "$ACC" "$NEW_OWNER" other@box.example user "copper-kettle-moss-44"
for p in owner:lantern-harbour-kite-11 user:meadow-violin-bell-22 \
	colleague:quartz-otter-fern-33 other:copper-kettle-moss-44; do
	IN=${p#*:} as "${p%%:*}" 0 "${p%%:*} logs in" login --email "${p%%:*}@box.example" --password-stdin || stop
done

as user 2 "a box needs a participant" safebox create "Results"
as user 0 "create a box" safebox create "Lab results" --to guest@outside.example \
	--to colleague@box.example --message "Here they are." --json || stop
BOX=$(field .id)
[ "$(field .status)" = open ] && [ "${BOX#sbx_}" != "$BOX" ] && ok || fail "an open box: $(cat "$OUT")"
as user 0 "list" safebox list && has "$BOX" "the box is listed" && has "Lab results" "with its subject"
printf 'report line 1\nreport line 2\n' >"$TMP/report.txt"
as user 1 "a missing file" safebox send "$BOX" "$TMP/missing.txt"
as user 0 "send a file" safebox send "$BOX" "$TMP/report.txt" --type text/plain --json || stop
FILE=$(field .id)
[ -n "$FILE" ] && [ "$(field .size)" = 28 ] && ok || fail "the file as stored: $(cat "$OUT")"
as user 0 "show" safebox show "$BOX" && has "guest@outside.example" "participants shown" &&
	has "report.txt" "files shown"
as colleague 0 "the colleague lists it" safebox list && has "$BOX" "in the colleague's list"
as colleague 0 "the colleague downloads" safebox download "$BOX" "$FILE" --output "$TMP/got.txt"
cmp -s "$TMP/got.txt" "$TMP/report.txt" && [ "$(stat -c %a "$TMP/got.txt")" = 600 ] && ok ||
	fail "the download: the same bytes, mode 0600"
as colleague 1 "an existing file is kept" safebox download "$BOX" "$FILE" --output "$TMP/got.txt"
as colleague 0 "with --force" safebox download "$BOX" "$FILE" --output "$TMP/got.txt" --force
as other 5 "a member taking no part does not see it" safebox show "$BOX"
as user 0 "close" safebox close "$BOX" && has "closed" "the box is closed"
as user 6 "nothing more is sent to a closed box" safebox send "$BOX" "$TMP/report.txt"
finish
