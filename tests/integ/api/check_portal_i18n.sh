#!/bin/bash
# Every message key of the portal exists in every language's catalogue, with
# a non-empty text and the same {placeholders}; and every key the scripts
# use (t("...")) is in the catalogues. Prints "N passed, N failed".
set -u
DIR="${1:-$(dirname "$0")/../../../portal}"
FAILS=0
CHECKS=0
ok() { CHECKS=$((CHECKS + 1)); }
fail() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "FAIL: $*"; }

langs=()
for f in "$DIR"/i18n/*.json; do
	langs+=("$(basename "$f" .json)")
	jq -e 'type == "object" and all(.[]; type == "string" and length > 0)' "$f" >/dev/null &&
		ok || fail "$f is not an object of non-empty strings"
done
[ "${#langs[@]}" -ge 2 ] && ok || fail "fewer than two catalogues in $DIR/i18n"
placeholders() { # placeholders LANG: "key {a}{b}" lines
	jq -r 'to_entries[] | "\(.key) \([.value | scan("\\{[a-zA-Z_]+\\}")] | sort | join(""))"' \
		"$DIR/i18n/$1.json" | sort
}
ref=${langs[0]}
for l in "${langs[@]:1}"; do
	missing=$(comm -23 <(jq -r 'keys[]' "$DIR/i18n/$ref.json" | sort) <(jq -r 'keys[]' "$DIR/i18n/$l.json" | sort))
	extra=$(comm -13 <(jq -r 'keys[]' "$DIR/i18n/$ref.json" | sort) <(jq -r 'keys[]' "$DIR/i18n/$l.json" | sort))
	[ -z "$missing" ] && ok || fail "keys of $ref missing in $l: $missing"
	[ -z "$extra" ] && ok || fail "keys of $l missing in $ref: $extra"
	diffs=$(comm -3 <(placeholders "$ref") <(placeholders "$l") | cut -f1-2 | awk '{print $1}' | sort -u)
	[ -z "$diffs" ] && ok || fail "placeholders differ between $ref and $l: $diffs"
done
used=$(grep -rhoE '\bt\("[a-z0-9_.-]+"' "$DIR" --include='*.js' | sed 's/^t("//; s/"$//' | sort -u)
# One jq for every key (one a key took minutes on a loaded machine): the
# keys the catalogue lacks.
absent=$(printf '%s\n' $used | jq -R . | jq -rs --slurpfile c "$DIR/i18n/$ref.json" '.[] | . as $k | select(($c[0] | has($k)) | not)')
for k in $used; do
	case " $(echo $absent) " in
	*" $k "*) fail "key $k used but not in the catalogues" ;;
	*) ok ;;
	esac
done
echo "$((CHECKS - FAILS)) passed, $FAILS failed"
[ "$FAILS" -eq 0 ]
