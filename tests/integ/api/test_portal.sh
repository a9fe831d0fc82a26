#!/bin/bash
# The web portal's files at /: the contract of GET / (text/html, a
# Content-Security-Policy without 'unsafe-inline' in script-src, <html lang>
# per Accept-Language), the security headers, the types of the assets, and
# refusals (other methods, path traversal, hidden and unknown files,
# directories, symbolic links, a portal directory set by configuration).
. "$(dirname "$0")/lib.sh"
start_daemon

header() { # header NAME: its value in the last answer
	grep -i "^$1:" "$HEADERS" | head -n 1 | cut -d: -f2- | sed 's/^ *//; s/\r$//'
}

req GET / ""
expect_status 200 "GET /"
case "$(header Content-Type)" in text/html*) ok ;; *) fail "GET / type: $(header Content-Type)" ;; esac
CSP=$(header Content-Security-Policy)
SCRIPT_SRC=$(printf '%s' "$CSP" | tr ';' '\n' | grep -E '^ *script-src ' || true)
[ -n "$SCRIPT_SRC" ] && ok || fail "no script-src in the CSP: [$CSP]"
case "$SCRIPT_SRC" in *unsafe-inline*|*unsafe-eval*) fail "script-src allows inline: $SCRIPT_SRC" ;; *) ok ;; esac
for d in "default-src 'self'" "frame-ancestors 'none'" "object-src 'none'" "base-uri 'none'"; do
	case "$CSP" in *"$d"*) ok ;; *) fail "CSP lacks $d: [$CSP]" ;; esac
done
[ "$(header X-Content-Type-Options)" = nosniff ] && ok || fail "X-Content-Type-Options"
[ "$(header Referrer-Policy)" = no-referrer ] && ok || fail "Referrer-Policy: $(header Referrer-Policy)"
[ "$(header Cache-Control)" = no-cache ] && ok || fail "Cache-Control: $(header Cache-Control)"
grep -q '<html lang="en"' "$TMP/body" && ok || fail "GET / without Accept-Language is not lang=en"
# No inline script: every <script> names a file of the portal.
if grep -Eo '<script[^>]*>' "$TMP/body" | grep -vq 'src="/'; then fail "an inline script in index.html"; else ok; fi

req GET / "" "" -H "Accept-Language: fr-CA,fr;q=0.9,en;q=0.5"
grep -q '<html lang="fr"' "$TMP/body" && ok || fail "Accept-Language fr does not give lang=fr"
req GET / "" "" -H "Accept-Language: en-GB,fr;q=0.5"
grep -q '<html lang="en"' "$TMP/body" && ok || fail "Accept-Language en-GB does not give lang=en"
req GET / "" "" -H "Accept-Language: de-DE"
grep -q '<html lang="en"' "$TMP/body" && ok || fail "an unknown language does not fall back to en"

# The assets, with their types.
for p in "/app.js text/javascript" "/js/api.js text/javascript" "/style.css text/css" \
	"/i18n/en.json application/json" "/i18n/fr.json application/json" "/index.html text/html"; do
	set -- $p
	req GET "$1" ""
	expect_status 200 "GET $1"
	case "$(header Content-Type)" in "$2"*) ok ;; *) fail "$1 type: $(header Content-Type)" ;; esac
done
req HEAD / "" "" -I
expect_status 200 "HEAD /"

# Refusals: the same not-found problem as any unknown path.
for p in /nothing.html /i18n /i18n/ /js/ /../README.md /%2e%2e/README.md /js/../app.js /.hidden.js \
	/README.md //app.js /app.js/ /i18n/en.json.bak; do
	req GET "$p" "" "" --path-as-is
	expect_problem 404 not-found "GET $p"
done
req POST / "" '{}'
expect_problem 404 not-found "POST /"
req PUT /app.js "" '{}'
expect_problem 404 not-found "PUT /app.js"
# The API is unchanged underneath.
req GET /v1/nothing ""
expect_problem 404 not-found "an unknown /v1 path"
req GET /healthz ""
expect_status 200 "/healthz"

# A portal directory given by configuration; a symbolic link in it is not
# followed (the last component), and a directory is not listed.
stop_daemon
P="$TMP/portal"
mkdir -p "$P/sub"
printf '<!doctype html>\n<html lang="en"><title>custom</title></html>\n' > "$P/index.html"
echo 'secret' > "$TMP/outside.txt"
ln -s "$TMP/outside.txt" "$P/link.css"
echo 'body{}' > "$P/sub/a.css"
launch_daemon --set http.portal_dir="$P"
grep -q "event=daemon.portal .*dir=$P" "$LOG" && ok || fail "the configured portal directory is not logged"
req GET / "" "" -H "Accept-Language: fr"
grep -q '<title>custom</title>' "$TMP/body" && grep -q 'lang="fr"' "$TMP/body" && ok || fail "configured portal not served: $BODY"
req GET /sub/a.css ""
expect_status 200 "a file in a subdirectory"
req GET /link.css ""
expect_problem 404 not-found "a symbolic link"
req GET /sub ""
expect_problem 404 not-found "a directory"
req GET /app.js ""
expect_problem 404 not-found "a file of the default portal, not in the configured one"
# No request of the portal's logged with anything but its path.
grep -q 'route=/portal' "$LOG" && ok || fail "portal requests are not logged with route=/portal"
finish
