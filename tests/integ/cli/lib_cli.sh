# Shared helpers of the CLI integration tests (sourced after ../api/lib.sh):
# a private HOME, and `as PERSON WANT DESCRIPTION ARGS...` to run faxvault
# ($FV) with PERSON's configuration and check its exit status.
export HOME=$TMP/home LC_ALL=C LANG=C
unset FAXVAULT_URL FAXVAULT_TOKEN XDG_CONFIG_HOME
mkdir -p "$HOME"
OUT=$TMP/out
ERR=$TMP/err
STEP_SECONDS=${STEP_SECONDS:-120}

# as PERSON WANT DESCRIPTION ARGS...: runs `faxvault --config PERSON.conf
# ARGS` (standard input from $IN when set); output in $OUT and $ERR.
as() {
	local who=$1 want=$2 desc=$3 rc
	shift 3
	if [ -n "${IN+x}" ]; then
		printf '%s\n' "$IN" | timeout "$STEP_SECONDS" "$FV" --config "$TMP/$who.conf" "$@" >"$OUT" 2>"$ERR"
	else
		timeout "$STEP_SECONDS" "$FV" --config "$TMP/$who.conf" "$@" </dev/null >"$OUT" 2>"$ERR"
	fi
	rc=$?
	if [ "$rc" = "$want" ]; then
		ok
		return 0
	fi
	fail "$desc: exit $rc, want $want: faxvault $*"
	sed 's/^/  out| /' "$OUT" | head -20
	sed 's/^/  err| /' "$ERR" | head -20
	return 1
}
has() { if grep -qF -- "$1" "$OUT"; then ok; else fail "$2: no '$1' in: $(head -c 300 "$OUT")"; fi; }
field() { jq -r "$1" "$OUT" 2>/dev/null; }
stop() {
	echo "$(basename "$0"): stopping: later steps depend on the last one"
	finish
	exit 1
}

