#!/usr/bin/env bash
# One fax in real time (media clock 1×) through the whole service: A's
# user sends a 1-page text document to B's number on the loopback trunk.
. "$(dirname "$0")/../api/lib.sh"
FAX_SPEED=1
. "$(dirname "$0")/lib_fax.sh"
fax_setup
printf 'Réunion de service\nMeeting notes, page one.\n' >"$TMP/note.txt"
send_fax "$USER_A" "$NUM_B" "$TMP/note.txt" -F "cover_subject=Réunion" -F "cover_text=Voir la note jointe."
expect_status 202 "a text fax with a cover page"
wait_fax "$USER_A" "$FAX" 300
expect_jq '.page_count == 2' "cover page + 1 page"
expect_jq '.status == "delivered" and .pages_confirmed == 2' "delivered in real time"
wait_inbound "$USER_B" 1
expect_jq '.items[0].page_count == 2 and .items[0].status == "received"' "received in real time"
stop_daemon || fail "daemon did not stop cleanly"
finish
