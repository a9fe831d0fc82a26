#!/bin/bash
# The partner's logo (issue 14): a partner admin uploads a PNG or JPEG of at
# most 256 KiB; its type is read from its header (not from the name or the
# declared type); it is served from faxvault's own origin to the partner's
# staff and customers (GET /v1/me/white-label/logo) with its type and
# X-Content-Type-Options: nosniff, named in white_label.logo of GET /v1/me;
# refusals (another type, a GIF named .png, an HTML page declared image/png,
# too large, too wide, a truncated header, a second part), who may upload
# (another partner's staff 404, support staff 403, a customer 403), removal,
# audit events; on the real faxvaultd.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon
PW="vitrail ogive rosace 1163"

python3 - "$TMP" <<'PY'
import struct, sys, zlib
d = sys.argv[1]
def chunk(t, b):
    return struct.pack('>I', len(b)) + t + b + struct.pack('>I', zlib.crc32(t + b))
def png(w, h):
    raw = b''.join(b'\x00' + b'\x20\x40\xa0' * w for _ in range(h))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
open(d + '/logo.png', 'wb').write(png(120, 40))
open(d + '/wide.png', 'wb').write(png(5000, 1))
open(d + '/cut.png', 'wb').write(png(120, 40)[:20])
# a JPEG header: SOI, APP0 (JFIF), SOF0 of 64x32, SOS, EOI
jpg = (b'\xff\xd8\xff\xe0' + struct.pack('>H', 16) + b'JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00'
       + b'\xff\xc0' + struct.pack('>HBHHB', 11, 8, 32, 64, 1) + b'\x01\x11\x00'
       + b'\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00' + b'\x00' * 64 + b'\xff\xd9')
open(d + '/logo.jpg', 'wb').write(jpg)
open(d + '/anim.png', 'wb').write(b'GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;')
open(d + '/page.png', 'wb').write(b'<html><script>alert(1)</script></html>')
# more than 256 KiB: a valid header, then padding in an ancillary chunk
big = png(10, 10)
open(d + '/big.png', 'wb').write(big[:-12] + chunk(b'tEXt', b'x' * (270 * 1024)) + big[-12:])
PY

logo_put() { # logo_put TOKEN PARTNER [curl -F args...]
	local tok=$1 prt=$2
	shift 2
	req PUT "/v1/partners/$prt/white-label/logo" "$tok" "" "$@"
}

OP=$(operator_token)
req POST /v1/partners "$OP" '{"name":"Vitrail SA"}'
PRT=$(jqr .id)
req PATCH "/v1/partners/$PRT" "$OP" '{"max_accounts":2}'
req POST /v1/partners "$OP" '{"name":"Autre SA"}'
PRT2=$(jqr .id)
req POST "/v1/partners/$PRT/staff" "$OP" '{"email":"pa@vitrail.example","name":"Pia Admin"}'
accept "$(jqr .invitation.token)" "$PW"
PA=$(login pa@vitrail.example "$PW")
req POST "/v1/partners/$PRT2/staff" "$OP" '{"email":"pa@autre.example","name":"Autre Admin"}'
accept "$(jqr .invitation.token)" "$PW"
PA2=$(login pa@autre.example "$PW")
req POST "/v1/partners/$PRT/staff" "$PA" '{"email":"sup@vitrail.example","name":"Sam Support","role":"partner_support"}'
expect_status 201 "a support member of the partner"
accept "$(jqr .invitation.token)" "$PW"
PSUP=$(login sup@vitrail.example "$PW")
req POST /v1/accounts "$PA" '{"name":"Client SARL","owner":{"email":"owner@client.example","name":"Cleo"}}'
expect_status 201 "a customer account of the partner"
ACC=$(jqr .id)
accept "$(jqr .owner_invitation.token)" "$PW"
OWN=$(login owner@client.example "$PW")
new_account "$OP" "Direct SA" owner@direct.example "$PW"
DIRECT=$NEW_OWNER
req PATCH "/v1/partners/$PRT/white-label" "$PA" '{"display_name":"Vitrail Fax"}'
expect_status 200 "the white label's name"

# ---- no logo yet ----
req GET /v1/me "$OWN"
expect_jq '.white_label.display_name == "Vitrail Fax" and .white_label.logo == null' "no logo yet"
req GET /v1/me/white-label/logo "$OWN"
expect_problem 404 not-found "no logo to serve"

# ---- refusals: the type is read from the image ----
logo_put "$PA" "$PRT" -F "logo=@$TMP/anim.png;type=image/png"
expect_problem 415 document-unsupported "a GIF named .png"
expect_jq '.field == "logo"' "names the logo"
logo_put "$PA" "$PRT" -F "logo=@$TMP/page.png;type=image/png"
expect_problem 415 document-unsupported "an HTML page declared image/png"
logo_put "$PA" "$PRT" -F "logo=@$TMP/cut.png;type=image/png"
expect_problem 415 document-unsupported "a header cut short"
logo_put "$PA" "$PRT" -F "logo=@$TMP/wide.png;type=image/png"
expect_problem 415 document-unsupported "5000 pixels wide"
logo_put "$PA" "$PRT" -F "logo=@$TMP/big.png;type=image/png"
expect_problem 413 payload-too-large "more than 256 KiB"
logo_put "$PA" "$PRT" -F "logo=@$TMP/big.png;type=image/png" -H "Accept-Language: fr"
expect_jq '.detail | test("256 Kio")' "the limit in French"
logo_put "$PA" "$PRT" -F "logo=@$TMP/logo.png" -F "logo=@$TMP/logo.jpg"
expect_problem 422 validation-failed "two logos"
logo_put "$PA" "$PRT"
expect_problem 415 unsupported-media-type "no form at all"
logo_put "$PA" "$PRT" -F "other=x"
expect_problem 422 validation-failed "another part"

# ---- who may upload ----
logo_put "$PA2" "$PRT" -F "logo=@$TMP/logo.png"
expect_problem 404 not-found "another partner's admin"
logo_put "$PSUP" "$PRT" -F "logo=@$TMP/logo.png"
expect_problem 403 forbidden "the partner's support staff"
logo_put "$OWN" "$PRT" -F "logo=@$TMP/logo.png"
expect_problem 403 forbidden "a customer's owner"
logo_put "" "$PRT" -F "logo=@$TMP/logo.png"
expect_problem 401 unauthenticated "anonymous"

# ---- a PNG, served from faxvault's origin ----
logo_put "$PA" "$PRT" -F "logo=@$TMP/logo.png;type=application/octet-stream"
expect_status 200 "a PNG uploaded (the declared type does not matter)"
expect_jq '.white_label.logo | startswith("/v1/me/white-label/logo?v=")' "the partner's white label names the same-origin address"
req GET /v1/me "$OWN"
LOGO=$(jqr .white_label.logo)
expect_jq '.white_label.logo | startswith("/v1/me/white-label/logo")' "the customer's /v1/me names it"
curl -s -D "$TMP/lh" -o "$TMP/got.png" -H "Authorization: Bearer $OWN" "$BASE$LOGO"
if cmp -s "$TMP/got.png" "$TMP/logo.png"; then ok; else fail "the customer gets the same bytes"; fi
if grep -qi '^content-type: image/png' "$TMP/lh"; then ok; else fail "served as image/png: $(cat "$TMP/lh")"; fi
if grep -qi '^x-content-type-options: nosniff' "$TMP/lh"; then ok; else fail "with nosniff"; fi
curl -s -o "$TMP/got2.png" -w '%{http_code}' -H "Authorization: Bearer $PSUP" "$BASE/v1/me/white-label/logo" >"$TMP/code"
if [ "$(cat "$TMP/code")" = 200 ] && cmp -s "$TMP/got2.png" "$TMP/logo.png"; then ok; else fail "the partner's staff get it too"; fi
req GET /v1/me/white-label/logo "$DIRECT"
expect_problem 404 not-found "a customer of no partner has none"
req GET /v1/me/white-label/logo ""
expect_problem 401 unauthenticated "not without a session"

# ---- a JPEG replaces it ----
logo_put "$OP" "$PRT" -F "logo=@$TMP/logo.jpg"
expect_status 200 "an operator uploads a JPEG"
curl -s -D "$TMP/lh" -o "$TMP/got.jpg" -H "Authorization: Bearer $OWN" "$BASE/v1/me/white-label/logo"
if cmp -s "$TMP/got.jpg" "$TMP/logo.jpg" && grep -qi '^content-type: image/jpeg' "$TMP/lh"; then ok; else fail "the JPEG replaces the PNG"; fi

# ---- audit and removal ----
AUD=$(db_query "SELECT detail FROM audit_events WHERE action='partner.white_label.logo.update' ORDER BY seq")
if [ "$(printf '%s\n' "$AUD" | wc -l)" = 2 ] && printf '%s' "$AUD" | head -1 | grep -q '"width":120' && printf '%s' "$AUD" | head -1 | grep -q 'image/png' && printf '%s' "$AUD" | tail -1 | grep -q 'image/jpeg'; then ok; else fail "each upload audited with its type and size: $AUD"; fi
req DELETE "/v1/partners/$PRT2/white-label/logo" "$PA"
expect_problem 404 not-found "another partner's logo"
req DELETE "/v1/partners/$PRT/white-label/logo" "$PA"
expect_status 204 "the partner admin removes the logo"
req GET /v1/me "$OWN"
expect_jq '.white_label.logo == null' "gone from the white label"
req GET /v1/me/white-label/logo "$OWN"
expect_problem 404 not-found "no longer served"
req DELETE "/v1/partners/$PRT/white-label/logo" "$PA"
expect_problem 404 not-found "nothing left to remove"
if [ "$(db_query "SELECT count(*) FROM audit_events WHERE action='partner.white_label.logo.delete'")" = 1 ]; then ok; else fail "the removal audited"; fi

finish
