#!/usr/bin/env bash
# The status board with the `faxvault` CLI against the real faxvaultd (P13):
# anyone reads the board without logging in; an operator opens an incident,
# lists it, sees it on the board, and resolves it; an account owner may not
# open one; a maintenance window without its times is a usage error; French
# output with --lang fr.
#
# Usage: status.sh FAXVAULT FAXVAULTD
FV=${1:?path of faxvault}
FAXVAULTD=${2:?path of faxvaultd}
command -v jq >/dev/null || { echo "status.sh: jq is required" >&2; exit 1; }
. "$(dirname "$0")/../api/lib.sh"

. "$(dirname "$0")/lib_cli.sh"

start_daemon
export FAXVAULT_URL=$BASE
OP=$(operator_token)
new_account "$OP" "Status Clinic" owner@status-cli.example "lantern-harbour-kite-11"
IN=$(jq -r .password "$TMP/boot.json") as op 0 "the operator logs in" login --email op@example.com --password-stdin || stop
IN=lantern-harbour-kite-11 as owner 0 "the owner logs in" login --email owner@status-cli.example --password-stdin || stop

as nobody 0 "the board without logging in" status show || stop
has "Overall: operational" "all operational"
has "sending" "the components are listed"
as owner 4 "an account owner cannot open an incident" status open --title-en x --title-fr x \
	--message-en x --message-fr x --component sending
as op 2 "a window needs its times" status open --maintenance --title-en x --title-fr x \
	--message-en x --message-fr x --component sending
as op 0 "the operator opens an incident" status open --title-en "Sending delayed" \
	--title-fr "Envoi retardé" --message-en "We are looking into it." \
	--message-fr "Nous analysons le problème." --component sending,mail --impact major_outage --json || stop
INC=$(field .id)
[ "$(field '.status + " " + .impact + " " + (.components | join(","))')" = "investigating major_outage sending,mail" ] && ok ||
	fail "the incident as opened: $(head -c 300 "$OUT")"
as nobody 0 "the board shows it" status show || stop
has "Overall: major_outage" "the worst state overall"
has "Sending delayed" "the incident's title"
as nobody 0 "the board in French" --lang fr status show || stop
has "Envoi retardé" "the French title"
has "État général" "French labels"
as op 0 "the operator lists incidents" status incidents || stop
has "$INC" "the incident in the list"
as op 6 "an unknown status" status update "$INC" --status done --message-en x --message-fr x
as op 0 "the operator resolves it" status update "$INC" --status resolved \
	--message-en "Fixed." --message-fr "Corrigé." --json || stop
[ "$(field .status)" = resolved ] && [ "$(field .closed_at)" != null ] && ok || fail "resolved and closed: $(head -c 300 "$OUT")"
as nobody 0 "the board after" status show --json || stop
[ "$(field .overall)" = operational ] && ok || fail "operational again: $(field .overall)"

finish
