#!/usr/bin/env bash
# The header line (47 USC 227(d)) end to end, over real SIP on the loopback
# trunk: a fax of a blank page arrives with a header line, dark pixels in the
# top 3 % of every page and nothing below; so does every page of a fax with
# a cover page, in French. The sender name is the account's setting
# (fax_header); the received copy is what was sent, pixel for pixel; the
# received fax is `received`; its downloads carry Content-Disposition. The
# provider's currency here is CHF (fax.currency): accounts without their own,
# and their sent and received faxes, are in CHF.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
fax_setup --set fax.currency=CHF
BAND="python3 $(dirname "$0")/png_band.py"

# A blank A4 page as a PDF (Ghostscript) and as a PNG (8-bit grey, white;
# written with the standard library).
printf '%%!PS\nshowpage\n' >"$TMP/blank.ps"
gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pdfwrite -sPAPERSIZE=a4 -o "$TMP/blank.pdf" "$TMP/blank.ps" >/dev/null
python3 - "$TMP/blank.png" <<'EOF'
import struct, sys, zlib
w, h = 827, 1169  # A4 at 100 dpi
def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
raw = b"".join(b"\0" + b"\xff" * w for _ in range(h))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
EOF

# --- the provider's currency
req GET "/v1/accounts/$ACC_A" "$OWNER_A"
expect_jq '.currency == "CHF" and .fax_header == null' "an account without its own currency has the provider's"

# --- the sender name: A's setting
req PATCH "/v1/accounts/$ACC_A" "$OWNER_A" '{"fax_header":"Alpha Clinic \u2014 Front desk"}'
expect_status 200 "A sets the sender name of its header line"

# check_pages TOKEN FAX_ID BLANK_FROM: every page has dark pixels in its top
# 3 %; pages from BLANK_FROM on have none below 10 % (blank pages: the
# header is all there is).
check_pages() {
	local tok=$1 id=$2 blank_from=$3 n top rest
	req GET "/v1/faxes/$id" "$tok"
	local pages
	pages=$(jqr .page_count)
	[ "${pages:-0}" -ge 1 ] && ok || fail "fax $id has no pages"
	for n in $(seq 1 "${pages:-0}"); do
		req GET "/v1/faxes/$id/pages/$n.png" "$tok"
		cp "$TMP/body" "$TMP/$id-$n.png"
		top=$($BAND "$TMP/$id-$n.png" 0 3)
		[ "${top:-0}" -gt 100 ] && ok || fail "fax $id page $n: $top dark pixels in the top 3 % (want a header line)"
		if [ "$n" -ge "$blank_from" ]; then
			rest=$($BAND "$TMP/$id-$n.png" 10 100)
			[ "${rest:-1}" = 0 ] && ok || fail "fax $id page $n: $rest dark pixels below the top 10 % of a blank page"
		fi
	done
	PAGES=$pages
}

# same_pages SENT_TOKEN SENT_ID RECV_TOKEN RECV_ID N: the pages arrived as sent.
same_pages() {
	local n
	for n in $(seq 1 "$5"); do
		req GET "/v1/faxes/$2/pages/$n.png" "$1"
		cp "$TMP/body" "$TMP/sent-$n.png"
		req GET "/v1/faxes/$4/pages/$n.png" "$3"
		cmp -s "$TMP/sent-$n.png" "$TMP/body" && ok || fail "page $n of $4 differs from what $2 sent"
	done
}

# --- a blank PNG, no header text given: one page, the header line on it
send_fax "$USER_A" "$NUM_B" "$TMP/blank.png"
expect_status 202 "a blank page (PNG), no header text given"
OUT1=$FAX
expect_jq '.items[0].header_text == "Alpha Clinic \u2014 Front desk" and .items[0].currency == "CHF"' "the account's sender name, the provider's currency"
wait_fax "$USER_A" "$OUT1"
expect_jq '.status == "delivered" and .page_count == 1' "the blank page is delivered, one page"
wait_inbound "$USER_B" 1
IN1=$(jqr '.items[0].id')
expect_jq '.items[0].status == "received" and .items[0].direction == "inbound" and .items[0].currency == "CHF"' "B's copy is received, in the provider's currency"
check_pages "$USER_A" "$OUT1" 1
check_pages "$USER_B" "$IN1" 1
same_pages "$USER_A" "$OUT1" "$USER_B" "$IN1" 1

# --- a blank PDF with a cover page, in French: two pages, each with the line
send_fax "$USER_A" "$NUM_B" "$TMP/blank.pdf" -F "cover_subject=Essai" -H "Accept-Language: fr"
expect_status 202 "a blank page (PDF) with a cover page, in French"
OUT2=$FAX
wait_fax "$USER_A" "$OUT2"
expect_jq '.page_count == 2' "the cover page counts"
expect_jq '.status == "delivered"' "delivered"
wait_inbound "$USER_B" 2
IN2=$(jqr '.items[0].id')
check_pages "$USER_B" "$IN2" 2
[ "$PAGES" = 2 ] && ok || fail "B received $PAGES pages, want 2"
same_pages "$USER_A" "$OUT2" "$USER_B" "$IN2" 2

# --- received faxes: status filter, downloads with Content-Disposition
req GET "/v1/faxes?direction=inbound&status=received" "$USER_B"
expect_jq "[.items[].id] | index(\"$IN1\") != null and index(\"$IN2\") != null" "listed by status received"
req GET "/v1/faxes?direction=inbound&status=delivered" "$USER_B"
expect_jq '.items == []' "no inbound fax is delivered"
req GET "/v1/faxes/$IN1/document" "$USER_B"
expect_status 200 "B downloads the PDF"
grep -qi "^content-disposition: attachment; filename=\"$IN1.pdf\"; filename\*=UTF-8''$IN1.pdf" "$HEADERS" && ok ||
	fail "PDF Content-Disposition: $(grep -i disposition "$HEADERS")"
req GET "/v1/faxes/$IN1/pages/1.png" "$USER_B"
grep -qi "^content-disposition: attachment; filename=\"$IN1-page-1.png\"" "$HEADERS" && ok ||
	fail "PNG Content-Disposition: $(grep -i disposition "$HEADERS")"

stop_daemon || fail "daemon did not stop cleanly"
finish
