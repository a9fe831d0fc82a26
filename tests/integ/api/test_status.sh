#!/usr/bin/env bash
# The status board (P13): the public page, JSON and Atom feed without
# credentials; operators' incidents with their timeline, component states and
# maintenance windows driven by the test clock; who may change it; the audit
# trail of every operator action.
. "$(dirname "$0")/lib.sh"
OPENAPI="$(dirname "$0")/../../../docs/openapi.json"
start_daemon

OP=$(operator_token)
# later: moves the test clock MINUTES on; sessions idle that long have ended,
# so the operator and the security staff member sign in again.
later() {
	advance_clock "$1"
	OP=$(operator_token)
	[ -n "${SEC:-}" ] && SEC=$(login sec@provider.example basalt-meadow-5678)
	return 0
}

# python3 checks of a saved answer: status.json against its OpenAPI schema,
# the Atom feed against RFC 4287's required elements and the W3C feed
# validator's main rules (self link, unique ids, updated); and the feed
# against a RELAX NG grammar of RFC 4287 with xmllint.
check_board_schema() { # FILE
	python3 - "$OPENAPI" "$1" <<'EOF'
import json, re, sys
import jsonschema
doc = json.load(open(sys.argv[1]))
board = json.load(open(sys.argv[2]))
schema = {"$ref": "#/components/schemas/StatusBoard", "components": doc["components"]}
jsonschema.Draft202012Validator(schema).validate(board)
rfc3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
times = [board["updated_at"]]
for i in board["incidents"] + board["maintenance"]:
    times += [i["created_at"], i["updated_at"]] + [u["created_at"] for u in i["updates"]]
    times += [t for t in (i["starts_at"], i["ends_at"], i["closed_at"]) if t]
bad = [t for t in times if not rfc3339.match(t)]
assert not bad, "not RFC 3339: %r" % bad
EOF
}

# The feed against a RELAX NG grammar of RFC 4287 (tests/data/status/atom.rng).
ATOM_RNG="$(dirname "$0")/../../data/status/atom.rng"
check_atom_rng() { # FILE
	xmllint --noout --relaxng "$ATOM_RNG" "$1" 2>"$TMP/rng.err"
}

check_atom() { # FILE ENTRIES
	python3 - "$1" "$2" <<'EOF'
import re, sys
import xml.etree.ElementTree as ET
A = "{http://www.w3.org/2005/Atom}"
feed = ET.parse(sys.argv[1]).getroot()
assert feed.tag == A + "feed", feed.tag
rfc3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
uri = re.compile(r"^(urn:[a-z0-9][a-z0-9-]{0,31}:\S+|tag:\S+)$")
def one(el, name):
    found = el.findall(A + name)
    assert len(found) == 1, "%s: %d <%s>" % (el.tag, len(found), name)
    return found[0]
# RFC 4287 4.1.1: exactly one id, title, updated; an author unless every entry has one.
assert uri.match(one(feed, "id").text), one(feed, "id").text
assert one(feed, "title").text
assert rfc3339.match(one(feed, "updated").text)
assert one(feed, "author").find(A + "name").text
entries = feed.findall(A + "entry")
assert len(entries) == int(sys.argv[2]), "%d entries" % len(entries)
ids = set()
for e in entries:
    i = one(e, "id").text
    assert uri.match(i) and i not in ids, i
    ids.add(i)
    assert one(e, "title").text
    assert rfc3339.match(one(e, "updated").text)
    # 4.1.2: content, or a link rel=alternate.
    assert e.find(A + "content") is not None or any(
        l.get("rel", "alternate") == "alternate" for l in e.findall(A + "link"))
# The W3C feed validator's main rules beyond the grammar: one self link to
# the feed itself, with its type; the feed's updated not older than any
# entry's; no two entries with the same id (above).
from datetime import datetime
def t(x):
    return datetime.fromisoformat(x.replace("Z", "+00:00"))
selfs = [l for l in feed.findall(A + "link") if l.get("rel") == "self"]
assert len(selfs) == 1, "%d self links" % len(selfs)
assert selfs[0].get("href", "").endswith("/status.atom") and selfs[0].get("type") == "application/atom+xml", selfs[0].attrib
fu = t(one(feed, "updated").text)
for e in entries:
    assert t(one(e, "updated").text) <= fu, "an entry updated after its feed"
EOF
}

# --- the board without credentials, nothing to report
req GET /status.json
expect_status 200 "status.json needs no credential"
expect_jq '.overall == "operational" and .incidents == [] and .maintenance == []' "all operational at first"
expect_jq '[.components[].id] == ["api","portal","sending","receiving","mail","trunk:loopback"]' \
	"components: the services and one per trunk"
if check_board_schema "$TMP/body"; then ok; else fail "status.json matches its OpenAPI schema"; fi

req GET /status
expect_status 200 "the status page needs no credential"
if grep -qi '^content-type: text/html' "$HEADERS"; then ok; else fail "the page is HTML"; fi
if grep -qi "^content-security-policy: default-src 'self'; script-src 'self'" "$HEADERS"; then ok; else
	fail "the page carries the portal's Content-Security-Policy"; fi
if grep -qi '<script' "$TMP/body"; then fail "the page has no script"; else ok; fi
if grep -q '<html lang="en">' "$TMP/body" && grep -q 'Service status' "$TMP/body"; then ok; else
	fail "English page by default"; fi
req GET /status "" "" -H 'Accept-Language: fr-FR,fr;q=0.9'
if grep -q '<html lang="fr">' "$TMP/body" && grep -q 'État du service' "$TMP/body" &&
	grep -q 'Opérationnel' "$TMP/body"; then ok; else fail "French page for Accept-Language fr"; fi

req GET /status.atom
expect_status 200 "the Atom feed needs no credential"
if grep -qi '^content-type: application/atom+xml' "$HEADERS"; then ok; else fail "Atom content type"; fi
if check_atom "$TMP/body" 0; then ok; else fail "the empty feed is valid Atom"; fi
if check_atom_rng "$TMP/body"; then ok; else fail "the empty feed against the Atom grammar: $(cat "$TMP/rng.err")"; fi
# The grammar bites: the same feed without its <updated> is refused.
sed '0,/<updated>/{/<updated>/d}' "$TMP/body" >"$TMP/broken.atom"
if check_atom_rng "$TMP/broken.atom"; then fail "a feed without <updated> passed the grammar"; else ok; fi
# The validator's rules bite too: the same feed without its self link is refused.
sed '/rel="self"/d' "$TMP/body" >"$TMP/noself.atom"
if check_atom "$TMP/noself.atom" 0 2>/dev/null; then fail "a feed without its self link passed"; else ok; fi

# --- who may change it
req POST /v1/accounts "$OP" '{"name":"Status Co","owner":{"email":"owner@status.example","name":"Owner"}}'
expect_status 201 "an account"
ACC=$(jqr .id)
accept "$(jqr .owner_invitation.token)" "granite-harbour-1234"
OWNER=$(login owner@status.example granite-harbour-1234)
INC='{"title_en":"Sending delayed","title_fr":"Envoi retardé","impact":"major_outage","components":["sending"],"message_en":"We are looking into it.","message_fr":"Nous analysons le problème."}'
req POST /v1/provider/incidents "$OWNER" "$INC"
expect_problem 403 forbidden "an account owner cannot open incidents"
req POST /v1/provider/incidents "" "$INC"
expect_problem 401 unauthenticated "nor can an anonymous caller"
req POST /v1/provider/staff "$OP" '{"email":"sec@provider.example","name":"Sec","role":"security"}'
expect_status 201 "security staff"
accept "$(jqr .invitation.token)" "basalt-meadow-5678"
SEC=$(login sec@provider.example basalt-meadow-5678)
req PUT /v1/provider/status/components/api "$SEC" '{"state":"degraded"}'
expect_problem 403 forbidden "security staff do not hold provider.status.manage"

# --- an incident and its timeline
req POST /v1/provider/incidents "$OP" "${INC/\"sending\"/\"nowhere\"}"
expect_problem 422 validation-failed "an unknown component is refused"
req POST /v1/provider/incidents "$OP" '{"title_en":"x","title_fr":"x","components":["api"],"message_en":"x","message_fr":"x","starts_at":"2030-01-01T00:00:00Z"}'
expect_problem 422 validation-failed "only maintenance windows have times"
req POST /v1/provider/incidents "$OP" "$INC"
expect_status 201 "an operator opens an incident"
INC_ID=$(jqr .id)
expect_jq '.kind == "incident" and .status == "investigating" and .closed_at == null and (.updates | length) == 1' \
	"the incident with its first update"
req GET /status.json
expect_jq '.overall == "major_outage" and (.components[] | select(.id == "sending") | .state) == "major_outage"' \
	"the incident's impact reaches its component"
expect_jq '(.components[] | select(.id == "receiving") | .state) == "operational"' "other components stay operational"
expect_jq ".incidents[0].id == \"$INC_ID\" and .incidents[0].title == \"Sending delayed\" and .incidents[0].active" \
	"the incident on the board, in English"
if check_board_schema "$TMP/body"; then ok; else fail "status.json with an incident matches its schema"; fi
req GET /status.json "" "" -H 'Accept-Language: fr'
expect_jq '.incidents[0].title == "Envoi retardé" and .incidents[0].updates[0].message == "Nous analysons le problème."' \
	"the incident in French"

later 30
req POST "/v1/provider/incidents/$INC_ID/updates" "$OP" '{"status":"identified","message_en":"A carrier <fault> & more.","message_fr":"Une <panne> & plus."}'
expect_jq '.status == "identified" and (.updates | length) == 2' "an update joins the timeline"
req GET /status
if grep -q 'A carrier &lt;fault&gt; &amp; more.' "$TMP/body"; then ok; else fail "the page escapes an update's text"; fi
req GET /status.atom
if check_atom "$TMP/body" 1; then ok; else fail "the feed holds the incident as one valid entry"; fi
if check_atom_rng "$TMP/body"; then ok; else fail "the feed with an entry against the Atom grammar: $(cat "$TMP/rng.err")"; fi
if grep -q 'A carrier &lt;fault&gt; &amp; more.' "$TMP/body"; then ok; else fail "the feed carries the timeline"; fi

later 30
req POST "/v1/provider/incidents/$INC_ID/updates" "$OP" '{"status":"resolved","message_en":"Fixed.","message_fr":"Corrigé."}'
expect_jq '.status == "resolved" and .closed_at != null' "resolving closes the incident"
req POST "/v1/provider/incidents/$INC_ID/updates" "$OP" '{"status":"monitoring","message_en":"x","message_fr":"x"}'
expect_problem 409 invalid-state "a closed incident takes no more updates"
req GET /status.json
expect_jq '.overall == "operational" and .incidents[0].active == false and .incidents[0].status == "resolved"' \
	"resolved: operational again, the incident still shown"
later $((8 * 24 * 60))
req GET /status.json
expect_jq '.incidents == []' "a week later the closed incident leaves the board"
req GET "/v1/provider/incidents/$INC_ID" "$OP"
expect_jq '(.updates | map(.status)) == ["investigating","identified","resolved"]' "operators keep the whole timeline"
req GET /v1/provider/incidents/inc_nothere "$OP"
expect_problem 404 not-found "unknown incident"

# --- a maintenance window, by the test clock
START=$(date -u -d "@$(( $(clock_seconds) + 3600 ))" +%Y-%m-%dT%H:%M:%SZ)
END=$(date -u -d "@$(( $(clock_seconds) + 7200 ))" +%Y-%m-%dT%H:%M:%SZ)
req POST /v1/provider/incidents "$OP" "{\"kind\":\"maintenance\",\"title_en\":\"Database upgrade\",\"title_fr\":\"Mise à jour de la base\",\"components\":[\"receiving\",\"trunk:loopback\"],\"message_en\":\"Receiving pauses.\",\"message_fr\":\"La réception s'interrompt.\",\"starts_at\":\"$START\",\"ends_at\":\"$END\"}"
expect_status 201 "an operator schedules a maintenance window"
MNT=$(jqr .id)
expect_jq '.kind == "maintenance" and .impact == "maintenance" and .status == "scheduled"' "the window"
req GET /status.json
expect_jq ".maintenance[0].id == \"$MNT\" and .maintenance[0].active == false and (.components[] | select(.id == \"receiving\") | .state) == \"operational\"" \
	"before the window: announced, components operational"
later 90
req GET /status.json
expect_jq '.maintenance[0].active and (.components[] | select(.id == "receiving") | .state) == "maintenance" and (.components[] | select(.id == "trunk:loopback") | .state) == "maintenance" and .overall == "maintenance"' \
	"inside the window: its components under maintenance"
req GET /status "" "" -H 'Accept-Language: fr'
if grep -q 'Mise à jour de la base' "$TMP/body" && grep -q 'En maintenance' "$TMP/body"; then ok; else
	fail "the French page shows the window"; fi
later 60
req GET /status.json
expect_jq '.maintenance[0].active == false and (.components[] | select(.id == "receiving") | .state) == "operational"' \
	"after the window: operational again"
req POST "/v1/provider/incidents/$MNT/updates" "$OP" '{"status":"resolved","message_en":"x","message_fr":"x"}'
expect_problem 422 validation-failed "a window is completed, not resolved"
req POST "/v1/provider/incidents/$MNT/updates" "$OP" '{"status":"completed","message_en":"Done.","message_fr":"Terminé."}'
expect_jq '.status == "completed" and .closed_at != null' "the window completed"

# --- component states set by hand
req PUT /v1/provider/status/components/trunk:loopback "$OP" '{"state":"partial_outage"}'
expect_jq '.id == "trunk:loopback" and .state == "partial_outage"' "an operator sets a trunk's state"
req PUT /v1/provider/status/components/nowhere "$OP" '{"state":"degraded"}'
expect_problem 404 not-found "unknown component"
req PUT /v1/provider/status/components/api "$OP" '{"state":"broken"}'
expect_problem 422 validation-failed "unknown state"
req GET /status.json
expect_jq '.overall == "partial_outage" and (.components[] | select(.id == "trunk:loopback") | .state) == "partial_outage"' \
	"the state set by hand is on the board"
req PUT /v1/provider/status/components/trunk:loopback "$OP" '{"pinned":false}'
expect_jq '.state == "operational" and .pinned == false' "the pin released: the automatic state again"
req GET /v1/provider/incidents "$OP"
expect_jq "[.items[].id] == [\"$MNT\", \"$INC_ID\"]" "operators list incidents and windows, newest first"

# --- mail subscriptions and security contacts (the mails: tests/integ/mail/test_mail_status.sh)
OWNER=$(login owner@status.example granite-harbour-1234)
req POST "/v1/accounts/$ACC/status-subscriptions" "$OWNER" '{"email":"noc@status.example","components":["sending","receiving"],"lang":"fr"}'
expect_status 201 "the owner subscribes an address"
SUB=$(jqr .id)
expect_jq '.components == ["sending","receiving"] and .lang == "fr" and (has("token") | not)' "no token in the answer"
req POST "/v1/accounts/$ACC/status-subscriptions" "$OWNER" '{"email":"x@status.example","components":["sending","sending"]}'
expect_problem 422 validation-failed "a component named twice"
req POST "/v1/accounts/$ACC/status-subscriptions" "$OWNER" '{"email":"x@status.example","components":["api"],"lang":"de"}'
expect_problem 422 validation-failed "en or fr"
req GET "/v1/accounts/$ACC/status-subscriptions" "$OP"
expect_problem 403 forbidden "an operator does not see an account's subscriptions"
req POST /v1/status-subscriptions/unsubscribe "" '{"token":"fvu_made-up"}'
expect_problem 404 not-found "a made-up token unsubscribes nothing"
req DELETE "/v1/accounts/$ACC/status-subscriptions/$SUB" "$OWNER"
expect_status 204 "the owner removes it"
req GET "/v1/accounts/$ACC/status-subscriptions" "$OWNER"
expect_jq '.items == []' "none left"
req POST "/v1/accounts/$ACC/security-contacts" "$OWNER" '{"name":"CISO","email":"ciso@status.example","lang":"en"}'
expect_status 201 "a security contact"
expect_jq '.phone == null and .lang == "en"' "no phone"
req POST "/v1/accounts/$ACC/security-contacts" "$OWNER" '{"name":"X","email":"x@status.example","lang":"es"}'
expect_problem 422 validation-failed "a contact's language is en or fr"
req GET "/v1/accounts/$ACC/audit-events?action=security_contact.create" "$OWNER"
expect_jq '(.items | length) == 1' "audited in the account's log"

# --- every operator action audited
req GET "/v1/provider/audit-events?action=status.incident.create" "$SEC"
expect_jq "[.items[].target] | sort == ([\"$INC_ID\", \"$MNT\"] | sort)" "incident creations audited"
req GET "/v1/provider/audit-events?action=status.incident.update" "$SEC"
expect_jq '[.items[].detail.status] | sort == ["completed","identified","resolved"]' "timeline updates audited"
req GET "/v1/provider/audit-events?action=status.component.set" "$SEC"
expect_jq '[.items[] | .target] == ["trunk:loopback","trunk:loopback"]' "component states audited"

finish
