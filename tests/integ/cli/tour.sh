#!/usr/bin/env bash
# The README tour, driven with the `faxvault` CLI against a real faxvaultd
# on a loopback port with a temporary data directory: log in as the
# bootstrap operator, create an account, accept the owner invitation, log
# in as owner, add an admin and a user, create and use an API key, read the
# audit log; plus exit codes, --json, config file modes and the token-URL
# binding along the way; then the security controls (terms, policy, second
# factor, posture, lockout, sessions, passwords).
#
# Usage: tour.sh FAXVAULT FAXVAULTD
set -uo pipefail
FV=${1:?path of faxvault}
FVD=${2:?path of faxvaultd}
command -v jq >/dev/null || { echo "tour.sh: jq is required" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fv-cli-tour.XXXXXX")
daemon_pid=""
rl_pid=""
stop_pid() {
	if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
		kill -TERM "$1" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
	fi
}
cleanup() {
	stop_pid "$daemon_pid"
	stop_pid "$rl_pid"
	rm -rf "$tmp"
}
trap cleanup EXIT

# A clean client environment: config under $tmp only, English messages.
export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/config LC_ALL=C LANG=C
unset FAXVAULT_URL FAXVAULT_TOKEN
mkdir -p "$HOME"
cfg=$XDG_CONFIG_HOME/faxvault/config

failures=0
steps=0
OUT=$tmp/out
ERR=$tmp/err

show_last() {
	echo "  --- stdout"; sed 's/^/  | /' "$OUT" | head -40
	echo "  --- stderr"; sed 's/^/  | /' "$ERR" | head -40
}

# expect RC DESCRIPTION -- COMMAND...: runs COMMAND (stdin from $STDIN when
# set), keeps stdout/stderr in $OUT/$ERR, records a failure if rc differs.
expect() {
	local want=$1 desc=$2
	shift 3
	steps=$((steps + 1))
	if [ -n "${STDIN+x}" ]; then
		printf '%s\n' "$STDIN" | "$@" >"$OUT" 2>"$ERR"
	else
		"$@" </dev/null >"$OUT" 2>"$ERR"
	fi
	local rc=$?
	if [ "$rc" != "$want" ]; then
		failures=$((failures + 1))
		echo "FAIL: $desc: exit $rc, want $want: $*"
		show_last
		return 1
	fi
	echo "ok: $desc"
	return 0
}

# must DESCRIPTION -- COMMAND...: like expect 0, but the tour cannot go on
# without it.
must() {
	if ! expect 0 "$@"; then
		echo "tour.sh: stopping: later steps depend on this one"
		summary
		exit 1
	fi
}

# check DESCRIPTION CONDITION...: a condition on the last output.
check() {
	local desc=$1
	shift
	steps=$((steps + 1))
	if "$@"; then
		echo "ok: $desc"
	else
		failures=$((failures + 1))
		echo "FAIL: $desc"
		show_last
	fi
}

out_has() { grep -qF -- "$1" "$OUT"; }
err_has() { grep -qF -- "$1" "$ERR"; }
jout() { jq -r "$1" "$OUT"; }

summary() {
	echo "tour.sh: $steps steps, $failures failed"
	if [ "$failures" -ne 0 ]; then
		echo "--- daemon log (last 60 lines)"
		tail -n 60 "$tmp/daemon.log" 2>/dev/null
	fi
}

# ---- the daemon -----------------------------------------------------------

data=$tmp/data
mkdir -p "$data"
must "bootstrap the first operator" -- "$FVD" --data-dir "$data" bootstrap --operator op@example.com --json
op_pw=$(jout .password)
check "bootstrap prints email and password" test "$(jout .email)" = op@example.com -a -n "$op_pw" -a "$op_pw" != null

# The daemon rate-limits API calls and logins: lift the limits so the tour
# never waits (a daemon without rate limits does not know these settings).
daemon_flags=()
if "$FVD" --set ratelimit.requests_per_minute=1000000 --print-config-reference >/dev/null 2>&1; then
	daemon_flags=(--set ratelimit.requests_per_minute=1000000 --set ratelimit.burst=1000000
		--set ratelimit.login_per_minute=100000 --set ratelimit.login_burst=100000)
fi
# The loopback trunk's SIP listener on a free port (tests run in parallel).
if "$FVD" --set fax.loopback_sip=127.0.0.1:0 --print-config-reference >/dev/null 2>&1; then
	daemon_flags+=(--set fax.loopback_sip=127.0.0.1:0)
fi

start_daemon() {
	local tries=0
	while [ $tries -lt 8 ]; do
		tries=$((tries + 1))
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		"$FVD" --data-dir "$data" --http "127.0.0.1:$port" ${daemon_flags[@]+"${daemon_flags[@]}"} >"$tmp/daemon.log" 2>&1 &
		daemon_pid=$!
		for _ in $(seq 3000); do
			if ! kill -0 "$daemon_pid" 2>/dev/null; then
				wait "$daemon_pid" 2>/dev/null
				daemon_pid=""
				break # port taken or start failure: try another port
			fi
			if "$FV" --url "http://127.0.0.1:$port" health >/dev/null 2>&1; then
				return 0
			fi
			sleep 0.1
		done
		if [ -n "$daemon_pid" ]; then
			echo "tour.sh: faxvaultd on port $port does not answer /healthz" >&2
			return 1
		fi
	done
	return 1
}
if ! start_daemon; then
	echo "tour.sh: cannot start faxvaultd"; tail -n 40 "$tmp/daemon.log"; exit 1
fi
URL=http://127.0.0.1:$port
export FAXVAULT_URL=$URL
echo "faxvaultd pid $daemon_pid on $URL${daemon_flags[*]+ (rate limits lifted)}"

# ---- exit codes that need no session -------------------------------------

expect 0 "health" -- "$FV" health
expect 2 "unknown command is a usage error" -- "$FV" frobnicate
expect 2 "missing --account is a usage error" -- "$FV" users list
expect 3 "no session: not authenticated" -- "$FV" whoami
check "no session: says how to log in" err_has "faxvault login"
expect 7 "nothing listening: network error" -- "$FV" --url http://127.0.0.1:1 health
expect 0 "every level has --help" -- "$FV" partners staff create --help

# ---- operator logs in ------------------------------------------------------

STDIN="wrong password" expect 3 "login with a wrong password" -- "$FV" login --email op@example.com --password-stdin
check "a failed login writes no config" test ! -e "$cfg"
STDIN=$op_pw must "login as operator" -- "$FV" login --email op@example.com --password-stdin
check "config file has mode 0600" test "$(stat -c %a "$cfg")" = 600
check "config directory has mode 0700" test "$(stat -c %a "$(dirname "$cfg")")" = 700
op_token=$(sed -n 's/^token = //p' "$cfg")
check "config file holds url and token" test -n "$op_token" -a "$(sed -n 's/^url = //p' "$cfg")" = "$URL"
check "login does not print the token" bash -c '! grep -qF -- "$0" "$1" "$2"' "$op_token" "$OUT" "$ERR"

expect 0 "whoami --json" -- "$FV" whoami --json
check "operator is provider staff" test "$(jout .kind)" = provider
expect 0 "whoami" -- "$FV" whoami
check "whoami shows the e-mail" out_has "op@example.com"
expect 3 "stored token is not sent to another URL" -- "$FV" --url "http://localhost:$port" whoami
check "…and says why" err_has "stored session is for"

expect 0 "permissions list" -- "$FV" permissions list
check "permission table lists users.manage" out_has "users.manage"
expect 0 "permissions roles" -- "$FV" permissions roles
check "roles include admin" out_has "admin"
expect 0 "permissions list --role admin" -- "$FV" permissions list --role admin
check "admin holds users.manage" out_has "users.manage"
expect 6 "permissions list --role nosuch" -- "$FV" permissions list --role nosuchrole

# ---- an account ------------------------------------------------------------

must "create an account" -- "$FV" accounts create --json --name "Acme Fax" \
	--owner-email owner@acme.example --owner-name "Olive Owner" --billing "bill@acme.example:Bill Payer"
acc=$(jout .id)
owner_inv=$(jout .owner_invitation.token)
check "account id and owner invitation" test -n "$acc" -a "$acc" != null -a -n "$owner_inv" -a "$owner_inv" != null
check "billing invitation listed" test "$(jout '.billing_invitations | length')" = 1

expect 0 "create with an Idempotency-Key" -- "$FV" accounts create --json --name "Once Only" \
	--owner-email once@once.example --owner-name Once --idempotency-key tour-once-1
once_id=$(jout .id)
expect 0 "the same key again" -- "$FV" accounts create --json --name "Once Only" \
	--owner-email once@once.example --owner-name Once --idempotency-key tour-once-1
check "…answers the first account, no second one" test "$(jout .id)" = "$once_id"

expect 0 "accounts list" -- "$FV" accounts list
check "accounts table has a header" out_has "ID"
check "accounts table lists Acme" out_has "Acme Fax"
expect 0 "accounts list --json --all --limit 1" -- "$FV" accounts list --json --all --limit 1
check "--all gathers every page" test "$(jout '.items | length')" -ge 1
expect 0 "accounts show" -- "$FV" accounts show "$acc"
check "show names the owner" out_has "owner@acme.example"
expect 5 "unknown account is not found" -- "$FV" accounts show acc_doesnotexist0000000
# With --json an error is JSON too: the server's problem, with the exit code.
# Under a French locale the client and the server both speak French.
expect 5 "unknown account under LC_ALL=fr_FR.UTF-8" -- env LC_ALL=fr_FR.UTF-8 "$FV" accounts show acc_doesnotexist0000000
check "the server's detail in French, in the client's French frame" err_has "erreur : La ressource n'existe pas : ce compte n'existe pas"
expect 2 "a usage error under LANG=fr_FR.UTF-8" -- env -u LC_ALL LANG=fr_FR.UTF-8 "$FV" accounts list --limit 0
check "the client's own message in French" err_has "--limit attend un nombre de 1 à 1000"
expect 5 "--json: not found" -- "$FV" --json accounts show acc_doesnotexist0000000
check "--json: the problem as JSON on standard error" jq -e '.type == "urn:faxvault:problem:not-found" and .status == 404 and .exit_code == 5' "$ERR"
expect 2 "--json: a usage error" -- "$FV" --json accounts show
check "--json: a usage error as JSON" jq -e '.type == "urn:faxvault:cli:usage" and .exit_code == 2 and (.detail | length) > 0' "$ERR"
expect 6 "invalid e-mail is invalid input" -- "$FV" accounts create --name Bad --owner-email not-an-email --owner-name X
check "problem printed as error: title: detail (type)" grep -qE '^error: .+\(urn:faxvault:problem:[a-z-]+\)$' "$ERR"
expect 0 "accounts update" -- "$FV" accounts update "$acc" --regulatory-profile none
expect 0 "accounts suspend" -- "$FV" accounts suspend "$acc" --json
check "status suspended" test "$(jout .status)" = suspended
expect 0 "accounts reactivate" -- "$FV" accounts reactivate "$acc" --json
check "status active" test "$(jout .status)" = active

# ---- the owner accepts and logs in -----------------------------------------

OWNER_PW="olive-orchard-lantern-2026"
STDIN=$OWNER_PW must "owner accepts the invitation" -- "$FV" invitations accept "$owner_inv" --password-stdin
STDIN=$OWNER_PW expect 5 "an invitation works once" -- "$FV" invitations accept "$owner_inv" --password-stdin
STDIN=$OWNER_PW expect 5 "unknown invitation" -- "$FV" invitations accept fvi_nosuchinvitation --password-stdin

must "operator logs out" -- "$FV" logout
check "logout forgets the token" bash -c '! grep -q "^token" "$0"' "$cfg"
expect 3 "the old operator token is dead" -- env FAXVAULT_TOKEN="$op_token" "$FV" whoami

STDIN=$OWNER_PW must "login as owner" -- "$FV" login --email owner@acme.example --password-stdin
expect 0 "owner whoami" -- "$FV" whoami --json
check "owner of the account" test "$(jout .account_id)" = "$acc" -a "$(jout .role)" = owner
expect 4 "owner cannot suspend its account" -- "$FV" accounts suspend "$acc"

# ---- an admin and a user ---------------------------------------------------

must "invite an admin" -- "$FV" users create --account "$acc" --email admin@acme.example \
	--name "Ada Admin" --role admin --json
admin_id=$(jout .id)
admin_inv=$(jout .invitation.token)
must "invite a user" -- "$FV" users create --account "$acc" --email user@acme.example \
	--name "Ulysses User" --role user --json
user_id=$(jout .id)
user_inv=$(jout .invitation.token)
expect 0 "invite a custom-role member" -- "$FV" users create --account "$acc" --email fax@acme.example \
	--name "Fax Clerk" --role custom --permission fax.send,fax.read.own
check "human create output shows the invitation once" out_has "shown once"
expect 6 "the same e-mail twice is a conflict" -- "$FV" users create --account "$acc" \
	--email admin@acme.example --name Again --role user
STDIN="ada-granite-harbour-2026" expect 0 "admin accepts" -- "$FV" invitations accept "$admin_inv" --password-stdin
STDIN="ulysses-meadow-violin-2026" expect 0 "user accepts" -- "$FV" invitations accept "$user_inv" --password-stdin

expect 0 "users list" -- "$FV" users list --account "$acc"
check "users table header" grep -qE '^ID +EMAIL +NAME +ROLE +STATUS' "$OUT"
check "users table lists the admin" out_has "admin@acme.example"
check "users table lists the user" out_has "user@acme.example"
expect 0 "users show" -- "$FV" users show --account "$acc" "$admin_id" --json
check "admin is active" test "$(jout .role)" = admin -a "$(jout .status)" = active
expect 0 "users update" -- "$FV" users update --account "$acc" "$user_id" --name "Ulysses U."
expect 5 "users show unknown" -- "$FV" users show --account "$acc" usr_doesnotexist00000000

# ---- an API key ------------------------------------------------------------

must "create an API key" -- "$FV" api-keys create --account "$acc" --name ci --permission fax.send --json
key_id=$(jout .id)
key_secret=$(jout .secret)
check "the secret is returned" test -n "$key_secret" -a "$key_secret" != null
expect 0 "api-keys list" -- "$FV" api-keys list --account "$acc"
check "list shows the key" out_has "ci"
check "list never shows the secret" bash -c '! grep -qF -- "$0" "$1"' "$key_secret" "$OUT"
expect 0 "the key authenticates" -- env FAXVAULT_TOKEN="$key_secret" "$FV" whoami
expect 4 "the key holds only fax.send" -- env FAXVAULT_TOKEN="$key_secret" "$FV" users list --account "$acc"
expect 6 "an unknown permission is invalid input" -- "$FV" api-keys create --account "$acc" \
	--name bogus --permission no.such.permission
expect 0 "revoke the key" -- "$FV" api-keys revoke --account "$acc" "$key_id"
expect 3 "a revoked key is dead" -- env FAXVAULT_TOKEN="$key_secret" "$FV" whoami

# ---- the audit log ---------------------------------------------------------

expect 0 "audit list" -- "$FV" audit list --account "$acc"
check "audit table header" grep -qE '^SEQ +TIME +ACTOR' "$OUT"
expect 0 "audit list --json" -- "$FV" audit list --account "$acc" --json
check "audit has events" test "$(jout '.items | length')" -gt 0
check "events carry hashes" test "$(jout '.items[0].hash')" != null
expect 0 "audit list --since --all" -- "$FV" audit list --account "$acc" --since 2000-01-01T00:00:00Z --all --limit 2 --json
check "--all follows cursors" test "$(jout '.items | length')" -gt 2

expect 0 "audit list --action user.create" -- "$FV" audit list --account "$acc" --action user.create --json
check "only user.create events, at least three" test \
	"$(jout '[.items[] | select(.action != "user.create")] | length')" = 0 -a "$(jout '.items | length')" -ge 3

# ---- sessions, deprovisioning, ownership -----------------------------------

STDIN=$OWNER_PW must "owner logs in a second time (other config)" -- \
	"$FV" --config "$tmp/owner2.conf" login --email owner@acme.example --password-stdin
expect 0 "sessions list" -- "$FV" sessions list --json
check "one session is current" test "$(jout '[.items[] | select(.current == true)] | length')" = 1
other_session=$(jout '[.items[] | select(.current == false)][0].id')
check "the second session is listed" test -n "$other_session" -a "$other_session" != null
expect 0 "sessions list (table)" -- "$FV" sessions list
check "sessions table header" grep -qE '^ID +CREATED +LAST SEEN +EXPIRES +CURRENT' "$OUT"
expect 0 "revoke the second session" -- "$FV" sessions revoke "$other_session"
expect 3 "the revoked session is dead" -- "$FV" --config "$tmp/owner2.conf" whoami
check "…with a hint to log in again" err_has "faxvault login"
expect 0 "deprovision the user" -- "$FV" users delete --account "$acc" "$user_id"
expect 0 "deprovisioned user shows" -- "$FV" users show --account "$acc" "$user_id" --json
check "status deprovisioned" test "$(jout .status)" = deprovisioned
STDIN="ulysses-meadow-violin-2026" expect 3 "a deprovisioned user cannot log in" -- \
	"$FV" --config "$tmp/user.conf" login --email user@acme.example --password-stdin
expect 0 "transfer ownership to the admin" -- "$FV" accounts transfer-owner "$acc" --to "$admin_id"
expect 0 "account shows the new owner" -- "$FV" accounts show "$acc" --json
check "admin is the owner" test "$(jout .owner.id)" = "$admin_id"
must "owner logs out" -- "$FV" logout

# ---- provider staff, partners, audit verify --------------------------------

STDIN=$op_pw must "operator logs in again" -- "$FV" login --email op@example.com --password-stdin
must "invite a security officer" -- "$FV" staff create --email sec@example.com --name "Sam Sec" --role security --json
sec_inv=$(jout .invitation.token)
expect 0 "staff list" -- "$FV" staff list
check "staff lists the officer" out_has "sec@example.com"
expect 0 "partners create" -- "$FV" partners create --name "Reseller One" --json
partner=$(jout .id)
expect 0 "partners list" -- "$FV" partners list
check "partners lists it" out_has "Reseller One"
expect 0 "partner staff create" -- "$FV" partners staff create --partner "$partner" --email p@reseller.example --name "Pat Partner"
expect 0 "partner staff list" -- "$FV" partners staff list --partner "$partner"
check "partner staff lists Pat" out_has "p@reseller.example"
STDIN="sam-security-passphrase-2026" expect 0 "security officer accepts" -- "$FV" invitations accept "$sec_inv" --password-stdin
STDIN="sam-security-passphrase-2026" expect 0 "security officer logs in (own config)" -- \
	"$FV" --config "$tmp/sec.conf" login --email sec@example.com --password-stdin
expect 0 "audit verify" -- "$FV" --config "$tmp/sec.conf" audit verify
check "the chain is intact" out_has "intact"
expect 0 "audit verify --json" -- "$FV" --config "$tmp/sec.conf" audit verify --json
check "ok is true" test "$(jout .ok)" = true
expect 0 "security reads the account's audit log" -- "$FV" --config "$tmp/sec.conf" audit list --account "$acc"
expect 0 "sessions list as operator" -- "$FV" sessions list
must "operator logs out at the end" -- "$FV" logout

# ---- security controls (issue 5) -------------------------------------------
# The operator publishes terms of service, which then gate every member of
# an account (provider staff are not gated); a fresh account's owner
# tightens the policy, enrols a second factor (codes from oathtool, an
# independent TOTP implementation; skipped without it), checks the posture,
# and meets lockout, unlock, account sessions and password changes.

SOFIA_PW="correct-horse-battery-staple-26"
MO_PW="member-passphrase-2026-xyz"
STDIN=$op_pw must "operator logs in for the terms" -- "$FV" login --email op@example.com --password-stdin
must "an account for the security controls" -- "$FV" accounts create --json --name "Secure Fax" \
	--owner-email sofia@secure.example --owner-name "Sofia Owner"
sacc=$(jout .id)
STDIN=$SOFIA_PW must "its owner accepts" -- "$FV" invitations accept "$(jout .owner_invitation.token)" --password-stdin
expect 5 "no terms published yet" -- "$FV" terms show
printf 'Terms of the tour.\nSecond line.\n' >"$tmp/terms_en.txt"
printf 'Conditions de la visite.\nDeuxième ligne.\n' >"$tmp/terms_fr.txt"
expect 0 "terms publish" -- "$FV" terms publish tour-1 --en "$tmp/terms_en.txt" --fr "$tmp/terms_fr.txt"
expect 0 "terms show needs no login" -- "$FV" --config "$tmp/nobody.conf" terms show
check "the English text, lines kept" out_has "Second line."
expect 0 "terms show --lang fr, logged in" -- "$FV" terms show --lang fr
check "the French text" out_has "Deuxième ligne."
check "…and not accepted yet, said in French too" out_has "Vous n'avez pas accepté cette version."
expect 0 "terms accept (the current version)" -- "$FV" terms accept
check "accepted tour-1" out_has "version tour-1"
expect 0 "the operator goes on" -- "$FV" accounts list
must "operator logs out" -- "$FV" logout

STDIN=$SOFIA_PW must "the owner logs in" -- "$FV" login --email sofia@secure.example --password-stdin
expect 4 "gated by the terms" -- "$FV" security show --account "$sacc"
check "…with the command to run" err_has "faxvault terms accept"
expect 0 "terms accept tour-1" -- "$FV" terms accept tour-1
must "invite a member" -- "$FV" users create --account "$sacc" --email mo@secure.example --name Mo \
	--role user --json
mo=$(jout .id)
STDIN=$MO_PW must "the member accepts" -- "$FV" invitations accept "$(jout .invitation.token)" --password-stdin
expect 0 "terms pending" -- "$FV" terms pending --account "$sacc" --json
check "the owner is no longer pending" test "$(jout '[.items[] | select(.email == "sofia@secure.example")] | length')" = 0
check "…the member still is" test "$(jout '[.items[] | select(.email == "mo@secure.example")] | length')" = 1

expect 0 "security show" -- "$FV" security show --account "$sacc"
check "NIST defaults: minimum length 12" grep -qE '^Password minimum length: +12$' "$OUT"
check "empty allow-list said in words" out_has "any address"
expect 0 "security set" -- "$FV" security set --account "$sacc" --min-length 14 --history 3 \
	--idle-timeout 20 --allow 127.0.0.1/32 --allow ::1/128 --json
check "min length 14, history 3, idle 20" test "$(jout '[.password_policy.min_length, .password_policy.history, .session.idle_timeout_minutes] | join(",")')" = 14,3,20
check "two networks allowed" test "$(jout '.ip_allowlist | length')" = 2
expect 6 "a minimum below the provider's floor" -- "$FV" security set --account "$sacc" --min-length 8
check "…names the field" err_has "password_policy.min_length"
expect 6 "an invalid CIDR" -- "$FV" security set --account "$sacc" --allow 10.0.0.300/8
expect 2 "contradictory flags" -- "$FV" security set --account "$sacc" --require-digit --no-require-digit
expect 0 "security set --clear-allowlist" -- "$FV" security set --account "$sacc" --clear-allowlist --json
check "allow-list empty" test "$(jout '.ip_allowlist | length')" = 0
expect 0 "security set --shared-inbox-safebox" -- "$FV" security set --account "$sacc" --shared-inbox-safebox --json
check "the shared inbox's faxes as SafeBoxes" test "$(jout .shared_inbox_safebox)" = true
expect 0 "security show, with it" -- "$FV" security show --account "$sacc"
check "…in the listing" grep -qE '^Shared inbox faxes as SafeBoxes: +yes$' "$OUT"
expect 0 "security set --no-shared-inbox-safebox" -- "$FV" security set --account "$sacc" --no-shared-inbox-safebox --json
check "…and off again" test "$(jout .shared_inbox_safebox)" = false
expect 2 "contradictory shared inbox flags" -- "$FV" security set --account "$sacc" --shared-inbox-safebox --no-shared-inbox-safebox
"$FV" security show --account "$sacc" --json >"$tmp/security.json" 2>/dev/null
jq '.contacts_review_months = 6' "$tmp/security.json" >"$tmp/security2.json"
expect 0 "security set --json-patch (a saved document, edited)" -- \
	"$FV" security set --account "$sacc" --json-patch "$tmp/security2.json" --json
check "contacts review 6 months" test "$(jout .contacts_review_months)" = 6

expect 0 "posture" -- "$FV" posture --account "$sacc"
check "posture lists C08" grep -qE '^C08 ' "$OUT"
check "the owner has no second factor yet: C07 fails" grep -qE '^C07 +\[FAIL\]' "$OUT"
expect 1 "posture --strict fails" -- "$FV" posture --account "$sacc" --strict
expect 0 "posture in French" -- env LC_ALL=fr_FR.UTF-8 "$FV" posture --account "$sacc" --json
check "French titles" test "$(jout '.items[] | select(.id == "C02") | .title')" = "Le compte a un propriétaire actif"
expect 0 "contacts confirm (owner)" -- "$FV" contacts confirm --account "$sacc"
check "next review named" out_has "Next review due:"

if command -v oathtool >/dev/null; then
	expect 0 "mfa status: none" -- "$FV" mfa status
	check "says none" out_has "none"
	must "mfa enrol --no-confirm" -- "$FV" mfa enrol --no-confirm --json
	secret=$(jout .secret)
	check "secret and otpauth URI" test -n "$secret" -a "$(jout .otpauth_uri | cut -c1-15)" = "otpauth://totp/"
	expect 0 "mfa qr" -- "$FV" mfa qr --output "$tmp/qr.png"
	check "the QR code is a PNG with mode 0600" bash -c 'head -c 4 "$0" | grep -q PNG && test "$(stat -c %a "$0")" = 600' "$tmp/qr.png"
	expect 6 "a wrong code" -- "$FV" mfa confirm --code 000000
	must "mfa confirm with oathtool's code" -- "$FV" mfa confirm --code "$(oathtool --totp -b "$secret")" --json
	recovery=$(jout '.recovery_codes[0]')
	check "ten recovery codes" test "$(jout '.recovery_codes | length')" = 10
	must "logout" -- "$FV" logout
	STDIN=$SOFIA_PW expect 3 "login without a code" -- "$FV" login --email sofia@secure.example --password-stdin
	check "…says to add --totp" err_has "--totp CODE"
	# The code of the confirmation was used: take the next time step.
	STDIN=$SOFIA_PW must "login with --totp" -- "$FV" login --email sofia@secure.example --password-stdin \
		--totp "$(oathtool --totp -b "$secret" -N 'now + 30 seconds')"
	expect 0 "whoami shows the second factor" -- "$FV" whoami --json
	check "mfa.totp true" test "$(jout .mfa.totp)" = true
	STDIN=$SOFIA_PW expect 0 "login with a recovery code" -- "$FV" --config "$tmp/owner-rc.conf" login \
		--email sofia@secure.example --password-stdin --recovery-code "$recovery"
	check "nine left" err_has "9 left"
	STDIN=$SOFIA_PW expect 3 "a recovery code works once" -- "$FV" --config "$tmp/owner-rc.conf" login \
		--email sofia@secure.example --password-stdin --recovery-code "$recovery"
	expect 0 "admins must have a second factor" -- "$FV" security set --account "$sacc" --mfa admins
	expect 0 "posture: C07 passes now" -- "$FV" posture --account "$sacc"
	check "C07 ok" grep -qE '^C07 +\[ok\]' "$OUT"
	expect 0 "the recovery-code session's id" -- "$FV" --config "$tmp/owner-rc.conf" whoami --json
	rc_session=$(jout .credential.id)
	expect 0 "sessions list --account" -- "$FV" sessions list --account "$sacc" --json
	check "lists the recovery-code session" test "$(jout "[.items[] | select(.id == \"$rc_session\")] | length")" = 1
	expect 0 "sessions revoke --account" -- "$FV" sessions revoke --account "$sacc" "$rc_session"
	expect 3 "the revoked session is dead" -- "$FV" --config "$tmp/owner-rc.conf" whoami
else
	echo "skip: second-factor steps (oathtool not installed)"
fi

# Lockout and unlock of the member.
for i in $(seq 10); do
	printf 'wrong-%s\n' "$i" | "$FV" --config "$tmp/mo.conf" login --email mo@secure.example \
		--password-stdin >/dev/null 2>&1
done
STDIN=$MO_PW expect 3 "locked out after ten failures (same answer as a wrong password)" -- \
	"$FV" --config "$tmp/mo.conf" login --email mo@secure.example --password-stdin
expect 0 "users unlock" -- "$FV" users unlock --account "$sacc" "$mo"
check "says unlocked" out_has "User unlocked"
STDIN=$MO_PW must "login after the unlock" -- "$FV" --config "$tmp/mo.conf" login \
	--email mo@secure.example --password-stdin
expect 0 "whoami is open to a gated person" -- "$FV" --config "$tmp/mo.conf" whoami
check "…and names the pending step" grep -qE '^Pending: +accept_terms$' "$OUT"
expect 4 "gated: terms first" -- "$FV" --config "$tmp/mo.conf" sessions list
check "…with the command to run" err_has "faxvault terms accept"
expect 0 "terms accept" -- "$FV" --config "$tmp/mo.conf" terms accept
STDIN=$(printf '%s\n%s' "$MO_PW" short) expect 6 "a password below the policy" -- \
	"$FV" --config "$tmp/mo.conf" password change --password-stdin
STDIN=$(printf '%s\n%s' "$MO_PW" "member-second-passphrase-2026") expect 0 "password change" -- \
	"$FV" --config "$tmp/mo.conf" password change --password-stdin
expect 0 "password reset request (no login)" -- "$FV" --config "$tmp/nobody.conf" password reset request \
	--email mo@secure.example
expect 5 "a reset with an unknown token" -- bash -c 'printf "%s\n" "a-long-enough-passphrase-2026" |
	"$0" --config "$1" password reset complete fvr_nosuchtoken --password-stdin' "$FV" "$tmp/nobody.conf"
must "owner logs out at the end" -- "$FV" logout

# ---- rate limits -----------------------------------------------------------
# A second daemon whose limit for callers without a credential is one
# request per minute: the next call answers 429, and the client says how long
# to wait (exit 8).
if [ ${#daemon_flags[@]} -gt 0 ]; then
	mkdir -p "$tmp/rl-data"
	for _ in $(seq 8); do
		rl_port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		"$FVD" --data-dir "$tmp/rl-data" --http "127.0.0.1:$rl_port" --set ratelimit.login_per_minute=1 \
			--set ratelimit.login_burst=1 --set fax.loopback_sip=127.0.0.1:0 >"$tmp/rl.log" 2>&1 &
		rl_pid=$!
		for _ in $(seq 6000); do
			kill -0 "$rl_pid" 2>/dev/null || break
			grep -q "event=daemon.started" "$tmp/rl.log" 2>/dev/null && break
			sleep 0.05
		done
		kill -0 "$rl_pid" 2>/dev/null && break
		wait "$rl_pid" 2>/dev/null
		rl_pid=""
	done
	# The first call may go to the readiness probe's budget: call until refused.
	got=""
	for _ in $(seq 3); do
		"$FV" --url "http://127.0.0.1:$rl_port" terms show </dev/null >"$OUT" 2>"$ERR"
		if [ $? = 8 ]; then got=8; break; fi
	done
	steps=$((steps + 1))
	if [ "$got" = 8 ]; then echo "ok: a throttled caller gets exit 8"; else
		failures=$((failures + 1)); echo "FAIL: a throttled caller gets exit 8"; show_last; fi
	check "…and the wait in seconds" grep -qE '^rate limited, retry in [0-9]+ s$' "$ERR"
	stop_pid "$rl_pid"
	rl_pid=""
fi

summary
[ "$failures" -eq 0 ]
