#!/bin/bash
# The portal's browser session (docs/portal.md): POST /v1/sessions with
# "cookie": true sets an HttpOnly, SameSite=Strict cookie (Secure behind
# https) instead of returning the token, and gives a CSRF token; the API
# takes the cookie as an alternative to Bearer; a change made with the cookie
# without the right X-CSRF-Token is refused 403 csrf (and audited); GET
# /v1/me gives the CSRF token again; sign-out and an expired session clear
# the cookie; the idle timeout holds for the cookie; a stale cookie does not
# stop a new sign-in; the token never reaches the log.
. "$(dirname "$0")/lib.sh"
start_daemon
OPW=$(jq -r .password "$TMP/boot.json")

header() { # header NAME: its value in the last answer
	grep -i "^$1:" "$HEADERS" | head -n 1 | cut -d: -f2- | sed 's/^ *//; s/\r$//'
}

req POST /v1/sessions "" "{\"email\":\"op@example.com\",\"password\":\"$OPW\",\"cookie\":true}"
expect_status 201 "sign-in asking for the cookie"
SC=$(header Set-Cookie)
TOK=$(printf '%s' "$SC" | sed -n 's/^fv_session=\(fvs_[A-Za-z0-9_-]*\);.*/\1/p')
[ -n "$TOK" ] && ok || fail "no fv_session cookie: [$SC]"
for attr in "; Path=/" "; HttpOnly" "; SameSite=Strict"; do
	case "$SC" in *"$attr"*) ok ;; *) fail "the cookie lacks $attr: [$SC]" ;; esac
done
case "$SC" in *Secure*|*Max-Age*|*Expires*) fail "plain http: no Secure, and a cookie of the browser's session: [$SC]" ;; *) ok ;; esac
expect_jq 'has("token") | not' "the token is not in the answer's body"
expect_jq '.csrf_token | test("^fvc_[0-9a-f]{64}$")' "the answer gives a CSRF token"
CSRF=$(jqr .csrf_token)
JAR=(-H "Cookie: fv_session=$TOK")

req GET /v1/me "" "" "${JAR[@]}"
expect_status 200 "GET /v1/me with the cookie"
expect_jq ".email == \"op@example.com\" and .csrf_token == \"$CSRF\"" "GET /v1/me names the person and gives the CSRF token again"
req GET /v1/accounts "" "" "${JAR[@]}"
expect_status 200 "a read with the cookie needs no CSRF token"

# Changes: refused without the CSRF token, with another session's, or a
# wrong one; done with the right one.
req PATCH /v1/me "" '{"name":"Cookie Operator"}' "${JAR[@]}"
expect_problem 403 csrf "a change with the cookie and no X-CSRF-Token"
req PATCH /v1/me "" '{"name":"Cookie Operator"}' "${JAR[@]}" -H "X-CSRF-Token: fvc_$(printf '0%.0s' $(seq 64))"
expect_problem 403 csrf "a change with a wrong X-CSRF-Token"
req POST /v1/sessions "" "{\"email\":\"op@example.com\",\"password\":\"$OPW\",\"cookie\":true}"
OTHER_CSRF=$(jqr .csrf_token)
OTHER_TOK=$(header Set-Cookie | sed -n 's/^fv_session=\([^;]*\);.*/\1/p')
[ "$OTHER_CSRF" != "$CSRF" ] && [ "$OTHER_TOK" != "$TOK" ] && ok || fail "two sessions share a token or a CSRF token"
req PATCH /v1/me "" '{"name":"Cookie Operator"}' "${JAR[@]}" -H "X-CSRF-Token: $OTHER_CSRF"
expect_problem 403 csrf "a change with another session's CSRF token"
req GET /v1/me "" "" "${JAR[@]}"
expect_jq '.name != "Cookie Operator"' "the refused changes changed nothing"
req PATCH /v1/me "" '{"name":"Cookie Operator"}' "${JAR[@]}" -H "X-CSRF-Token: $CSRF"
expect_status 200 "a change with the cookie and its CSRF token"
expect_jq '.name == "Cookie Operator"' "the change is made"
req PATCH /v1/me "" '{"name":"Cookie Operator"}' "${JAR[@]}" -H "X-CSRF-Token: $CSRF" -H "Accept-Language: fr"
expect_status 200 "(same, in French)"
req DELETE /v1/sessions/current "" "" "${JAR[@]}" -H "Accept-Language: fr"
expect_problem 403 csrf "sign-out with the cookie needs the CSRF token too"
expect_jq '.detail | test("jeton CSRF")' "the refusal in French"

# Each refusal is audited.
OP=$(operator_token)
N=$(sqlite3 "$DATA/faxvault.db" "SELECT count(*) FROM audit_events WHERE action IN ('me.update', 'sessions.delete') AND outcome = 'denied' AND json_extract(detail, '$.problem') = 'csrf'")
[ "$N" = 4 ] && ok || fail "the CSRF refusals are audited: $N events, want 4"

# Bearer wins over the cookie, and needs no CSRF token.
req PATCH /v1/me "$OP" '{"name":"Operator"}' "${JAR[@]}"
expect_status 200 "Bearer with a cookie beside it: no CSRF token needed"

# Behind a proxy that says https, the cookie is Secure.
req POST /v1/sessions "" "{\"email\":\"op@example.com\",\"password\":\"$OPW\",\"cookie\":true}" -H "X-Forwarded-Proto: https"
case "$(header Set-Cookie)" in *"; Secure"*) ok ;; *) fail "no Secure behind https: $(header Set-Cookie)" ;; esac
req POST /v1/sessions "" "{\"email\":\"op@example.com\",\"password\":\"$OPW\",\"cookie\":\"yes\"}"
expect_problem 422 validation-failed "cookie must be a boolean"
req POST /v1/sessions "" "{\"email\":\"op@example.com\",\"password\":\"$OPW\",\"cookie\":false}"
expect_jq '.token | startswith("fvs_")' "cookie false: the token in the body as before"
[ -z "$(header Set-Cookie)" ] && ok || fail "cookie false sets a cookie"

# Sign-out clears the cookie; the cookie then opens nothing, and a request
# with it is told to forget it.
req DELETE /v1/sessions/current "" "" "${JAR[@]}" -H "X-CSRF-Token: $CSRF"
expect_status 204 "sign-out with the cookie"
case "$(header Set-Cookie)" in "fv_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict") ok ;;
	*) fail "sign-out does not clear the cookie: $(header Set-Cookie)" ;; esac
req GET /v1/me "" "" "${JAR[@]}"
expect_problem 401 unauthenticated "the cookie after sign-out"
case "$(header Set-Cookie)" in fv_session=\;*Max-Age=0*) ok ;; *) fail "a dead cookie is not cleared: $(header Set-Cookie)" ;; esac
# A stale cookie does not stand in the way of signing in again.
req POST /v1/sessions "" "{\"email\":\"op@example.com\",\"password\":\"$OPW\",\"cookie\":true}" "${JAR[@]}"
expect_status 201 "sign-in with a stale cookie"
T2=$(header Set-Cookie | sed -n 's/^fv_session=\([^;]*\);.*/\1/p')

# Idle timeout (auth.session_idle_minutes, 30 by default) holds for the cookie.
req GET /v1/me "" "" -H "Cookie: theme=dark; fv_session=$T2; other=1"
expect_status 200 "the cookie among others"
advance_clock 31
req GET /v1/me "" "" -H "Cookie: fv_session=$T2"
expect_problem 401 unauthenticated "the cookie after the idle timeout"
req GET /v1/me "" "" -H "Cookie: fv_session=not-a-token"
expect_problem 401 unauthenticated "a cookie that is not a token"

# The cookie's tokens never reach the log.
for t in "$TOK" "$OTHER_TOK" "$T2"; do
	grep -qF -- "$t" "$LOG" && fail "a session token from a cookie is in the log" || ok
done
grep -qF -- "$CSRF" "$LOG" && fail "a CSRF token is in the log" || ok
finish
