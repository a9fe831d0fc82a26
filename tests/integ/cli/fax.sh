#!/usr/bin/env bash
# The fax service with the `faxvault` CLI against the real faxvaultd (fax
# service on, loopback trunk on a free port): the operator imports numbers
# on the loopback trunk and looks at trunks and inventory; an account with
# an owner, an admin and a user; the admin requests a number routed to the
# user; the user sends a text file (queued, at least one page, its
# estimated cost), lists it, reads its status, downloads its PDF and a page
# preview, sends it to its own number with --wait (delivered over real SIP,
# exit 0, back in its inbox), resends it, schedules one and cancels it; the
# owner exports the CDRs as CSV and manages a webhook; the admin routes and
# releases the number. Each person has a config file.
#
# Usage: fax.sh FAXVAULT FAXVAULTD
FV=${1:?path of faxvault}
FAXVAULTD=${2:?path of faxvaultd}
command -v jq >/dev/null || { echo "fax.sh: jq is required" >&2; exit 1; }
. "$(dirname "$0")/../api/lib.sh"

STEP_SECONDS=180
. "$(dirname "$0")/lib_cli.sh"

start_daemon --set testing.media_clock_speed=5 --set fax.poll_ms=100 \
	--set webhooks.allow_cidrs=127.0.0.1/32
export FAXVAULT_URL=$BASE

# ---- the operator: numbers on the loopback trunk ---------------------------

IN=$(jq -r .password "$TMP/boot.json") as op 0 "operator logs in" \
	login --email op@example.com --password-stdin || stop
as op 0 "trunks list" trunks list && has "loopback" "the built-in trunk is listed"
as op 0 "trunks show loopback" trunks show loopback && has "Built in:" "trunk details"
as op 0 "import two numbers" numbers import --trunk loopback +15555550101 +15555550102 || stop
has "Imported 2 numbers." "import count"
printf '# again\n+15555550101\n' >"$TMP/numbers.txt"
as op 0 "import from a file" numbers import --trunk loopback --file "$TMP/numbers.txt"
has "Skipped +15555550101 (duplicate)." "a number already there is skipped"
as op 2 "a number that is not E.164" numbers import --trunk loopback 5550101
as op 0 "inventory" numbers inventory && has "+15555550102" "inventory lists the numbers"
# A price per page, so that costs show with their currency (no CLI command
# sets the rate table).
req PUT /v1/provider/rates "$(operator_token)" '{"currency":"EUR","rates":[{"prefix":"+1555","price_per_page":5}]}'
expect_status 200 "rate table"

# ---- an account with an owner, an admin and a user -------------------------

as op 0 "create an account" accounts create --json --name "Fax Clinic" \
	--owner-email owner@clinic.example --owner-name "Olive Owner" || stop
acc=$(field .id)
IN="olive-orchard-lantern-2026" as anon 0 "owner accepts" \
	invitations accept "$(field .owner_invitation.token)" --password-stdin || stop
IN="olive-orchard-lantern-2026" as owner 0 "owner logs in" \
	login --email owner@clinic.example --password-stdin || stop
as owner 0 "invite an admin" users create --account "$acc" --email admin@clinic.example \
	--name "Ada Admin" --role admin --json || stop
IN="ada-granite-harbour-2026" as anon 0 "admin accepts" \
	invitations accept "$(field .invitation.token)" --password-stdin || stop
as owner 0 "invite a user" users create --account "$acc" --email user@clinic.example \
	--name "Ulysses User" --role user --json || stop
user_id=$(field .id)
IN="ulysses-meadow-violin-2026" as anon 0 "user accepts" \
	invitations accept "$(field .invitation.token)" --password-stdin || stop
IN="ada-granite-harbour-2026" as admin 0 "admin logs in" \
	login --email admin@clinic.example --password-stdin || stop
IN="ulysses-meadow-violin-2026" as user 0 "user logs in" \
	login --email user@clinic.example --password-stdin || stop

# ---- numbers: the admin requests one for the user --------------------------

as admin 0 "request a number (account from /v1/me)" numbers request --country US \
	--area-code 555 --route-to "$user_id" --json || stop
num=$(field .number)
if [ "$(field .route_to)" = "$user_id" ] && [ "${num#+1555}" != "$num" ]; then ok; else
	fail "the number is +1555… and routes to the user: $(cat "$OUT")"; fi
as admin 0 "numbers list" numbers list && has "$num" "the number is listed"
as user 4 "a user cannot request numbers" numbers request --country US

# ---- faxes: the user sends a text file -------------------------------------

printf 'Dear colleague,\n\nthe results you asked for.\n' >"$TMP/letter.txt"
as user 0 "fax send" fax send "$TMP/letter.txt" --to "$num" --header "Fax Clinic" --json || stop
fax=$(field '.items[0].id')
[ "$(field '.items[0].status')" = rendering ] && ok || fail "fax send: accepted, rendering: $(cat "$OUT")"
# The render job counts the pages after the answer (docs/fax-service.md).
rendered() {
	timeout "$STEP_SECONDS" "$FV" --config "$TMP/user.conf" fax status "$fax" --json </dev/null >"$OUT" 2>"$ERR" &&
		[ "$(field .status)" != rendering ]
}
poll_until 300 rendered
# Queued once rendered (the fax service may already be dialling it).
if [[ "$(field .status)" =~ ^(queued|sending|delivered)$ ]] && [ "$(field .page_count)" -ge 1 ]; then ok; else
	fail "fax send: a queued fax with pages: $(cat "$OUT")"; fi
as user 0 "fax send (table)" fax send "$TMP/letter.txt" --to "$num" --idempotency-key fax-sh-1
has "1 fax accepted:" "the table says how many"
grep -qE '^ID +TO +PAGES +STATUS +EST\. COST$' "$OUT" && ok || fail "fax send table header: $(cat "$OUT")"
grep -qE '^fax_[a-z0-9]+ +\+1555[0-9]+ +1 +rendering +0\.05 EUR$' "$OUT" && ok ||
	fail "fax send table row with the estimated cost: $(cat "$OUT")"
as user 2 "a destination that is not E.164" fax send "$TMP/letter.txt" --to 0155
as user 0 "fax list --outbound" fax list --outbound && has "$fax" "the fax is listed"
as user 0 "fax status" fax status "$fax" && has "Status:" "status details"
has "$num" "status shows the destination"
as user 0 "fax download" fax download "$fax" --output "$TMP/fax.pdf"
if head -c 4 "$TMP/fax.pdf" | grep -q '%PDF' && [ "$(stat -c %a "$TMP/fax.pdf")" = 600 ]; then ok; else
	fail "fax download: a PDF with mode 0600"; fi
as user 1 "download refuses to overwrite" fax download "$fax" --output "$TMP/fax.pdf"
as user 0 "download --force" fax download "$fax" --output "$TMP/fax.pdf" --force
as user 0 "fax preview" fax preview "$fax" --page 1 --output "$TMP/p1.png"
if head -c 4 "$TMP/p1.png" | grep -q 'PNG'; then ok; else fail "fax preview: a PNG"; fi
as user 5 "fax status of an unknown fax" fax status fax_doesnotexist0000000

# --wait: to the user's own number over the loopback trunk (real SIP on
# 127.0.0.1); it comes back in the user's inbox.
as user 0 "fax send --wait (delivered)" fax send "$TMP/letter.txt" --to "$num" --wait --json || stop
sent=$(field '.items[0].id')
[ "$(field '.items[0].status')" = delivered ] && [ "$(field '.items[0].pages_confirmed')" -ge 1 ] && ok ||
	fail "--wait ends with the fax delivered: $(cat "$OUT")"
grep -q "$sent: delivered" "$ERR" && ok || fail "--wait notes the changes of status: $(cat "$ERR")"
as user 0 "fax status of the delivered fax" fax status "$sent" && has "Attempts:" "attempts table"
grep -qE '^1 +[0-9TZ:.-]+ +[0-9]+s +1/1 +t38 ' "$OUT" && ok || fail "the attempt: 1 page over T.38: $(cat "$OUT")"
has "Cost:             0.05 EUR" "the cost with its currency"
as user 6 "resend of a fax whose pages all went through" fax resend "$sent"
as user 0 "resend --all-pages" fax resend "$sent" --all-pages && has "Fax queued again." "resent"
as user 0 "the inbox" fax list --inbound && has "inbound" "the fax came back to the user's number"

# A scheduled fax, cancelled before it goes.
as user 0 "schedule a fax" fax send "$TMP/letter.txt" --to "$num" \
	--send-at "$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)" --json || stop
later=$(field '.items[0].id')
as user 0 "fax cancel" fax cancel "$later" && has "cancelled" "the fax is cancelled"
as user 6 "a cancelled fax cannot be cancelled again" fax cancel "$later"
as user 0 "fax list --status cancelled" fax list --status cancelled --json
[ "$(field "[.items[] | select(.id == \"$later\")] | length")" = 1 ] && ok ||
	fail "the cancelled fax is listed by status: $(cat "$OUT")"

# ---- CDRs ------------------------------------------------------------------

as owner 0 "cdrs --csv" cdrs --csv
head -n 1 "$OUT" | grep -q '^id,fax_id,account_id,user_id,attempt,direction,from,to' && ok ||
	fail "cdrs --csv prints the header line: $(head -c 300 "$OUT")"
as owner 0 "cdrs --csv --output" cdrs --csv --output "$TMP/cdrs.csv"
if grep -q fax_id "$OUT"; then fail "cdrs --output also wrote the CSV to standard output"; else ok; fi
head -n 1 "$TMP/cdrs.csv" | grep -q '^id,fax_id' && ok || fail "cdrs.csv holds the CSV"
[ "$(grep -c "$sent" "$TMP/cdrs.csv")" -ge 1 ] && ok || fail "the CSV holds the delivered fax's call"
as owner 0 "cdrs (table)" cdrs --direction outbound
grep -qE '^STARTED +FAX +DIRECTION' "$OUT" && ok || fail "cdrs table header: $(cat "$OUT")"
grep -qE " $sent +outbound .* 1/1 +t38 +ok +5$" "$OUT" && ok || fail "the CDR of the delivered fax: $(cat "$OUT")"
as user 4 "a user cannot read CDRs" cdrs --csv

# ---- billing ---------------------------------------------------------------

# Every fax sent above has ended (its calls all in the CDRs) before the
# balance is compared with them.
outbound_settled() {
	"$FV" --config "$TMP/user.conf" fax list --outbound --json 2>/dev/null | jq -e \
		'[.items[] | select(.status | IN("delivered", "partial", "failed", "cancelled") | not)] | length == 0' \
		>/dev/null
}
poll_until 300 outbound_settled && ok || fail "the faxes sent above did not end"
as owner 0 "cdrs --json" cdrs --all --json
cdr_total=$(field '[.items[].cost] | add')
as owner 0 "billing balance" billing balance --json
[ "$(field .balance_minor)" = "-$cdr_total" ] && [ "$cdr_total" -gt 0 ] && ok ||
	fail "a postpaid balance is minus the CDR costs ($cdr_total): $(cat "$OUT")"
as op 0 "billing set-plan" billing set-plan "$acc" --kind prepaid --low-balance 20 && has "prepaid" "plan set"
as op 0 "billing credit" billing credit "$acc" --amount 1000 --reason "bank transfer 42" --json
[ "$(field .balance_minor)" = "$((1000 - cdr_total))" ] && ok || fail "top-up: $(cat "$OUT")"
as op 2 "billing credit --kind" billing credit "$acc" --amount 5 --reason x --kind gift
as owner 4 "the owner cannot top up" billing credit "$acc" --amount 5 --reason x
as owner 0 "billing ledger" billing ledger
grep -qE '^WHEN +ID +KIND +AMOUNT' "$OUT" && has "bank transfer 42" "ledger table" ||
	fail "ledger table: $(cat "$OUT")"
has "charge" "the ledger lists the charges"
as user 4 "a user cannot read the balance" billing balance

# ---- webhooks --------------------------------------------------------------

as owner 0 "webhooks create" webhooks create http://127.0.0.1:9/hook --event fax.delivered,fax.failed \
	--json || stop
hook=$(field .id)
case "$(field .secret)" in whsec_*) ok ;; *) fail "the signing secret is shown once" ;; esac
as owner 0 "webhooks list" webhooks list && has "$hook" "the webhook is listed"
if grep -q whsec_ "$OUT"; then fail "the list shows no secret"; else ok; fi
as owner 0 "webhooks test" webhooks test "$hook" && has "Test event queued" "test event"
as owner 0 "webhooks deliveries" webhooks deliveries "$hook" --json
[ "$(field '.items | length')" -ge 1 ] && ok || fail "the test event is in the delivery log"
as owner 6 "an unknown event" webhooks create http://127.0.0.1:9/hook --event fax.exploded
as owner 0 "webhooks delete" webhooks delete "$hook" && has "Webhook deleted." "deleted"
as owner 5 "deleted means gone" webhooks deliveries "$hook"

# ---- the admin routes and releases the number ------------------------------

as admin 0 "numbers route to the shared inbox" numbers route "$num" --to shared --json
[ "$(field .route_to)" = shared ] && ok || fail "routed to shared: $(cat "$OUT")"
as admin 0 "numbers release" numbers release "$num" && has "Number released" "released"
as admin 0 "numbers list after release" numbers list --json
[ "$(field '.items | length')" = 0 ] && ok || fail "no number left: $(cat "$OUT")"
as op 0 "inventory after release" numbers inventory --json
[ "$(field "[.items[] | select(.number == \"$num\")][0].status")" = quarantined ] && ok ||
	fail "the released number is in quarantine: $(cat "$OUT")"

stop_daemon || fail "the daemon did not stop cleanly (exit status, or a leak under ASan)"
finish
