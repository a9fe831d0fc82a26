/* Signed checkpoints of the audit chain's head (see audit.h): what a
 * checkpoint says and signs, its line in the checkpoint file, and its
 * publication (database, file, log). */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "timeutil.h"
#include "xalloc.h"

/* Bumped if the signed text ever changes; verifiers read the version. */
#define CP_VERSION 1
#define CP_LINE_MAX 1024

int audit_checkpoint_message(const audit_checkpoint_t *cp, char *out, size_t len)
{
	int n = snprintf(out, len, "faxvault audit checkpoint %d\nseq=%lld\nprev_seq=%lld\nmac=%s\ntime=%s\n",
		CP_VERSION, (long long)cp->seq, (long long)cp->prev_seq, cp->mac, cp->time);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

void audit_checkpoint_sign(const audit_keys_t *k, audit_checkpoint_t *cp)
{
	char m[CP_LINE_MAX];
	int n = audit_checkpoint_message(cp, m, sizeof m);
	uint8_t sig[crypto_sign_BYTES];
	audit_keys_sign(k, (const uint8_t *)m, n < 0 ? 0 : (size_t)n, sig);
	sodium_bin2hex(cp->signature, sizeof cp->signature, sig, sizeof sig);
}

int audit_checkpoint_signed_by(const uint8_t pk[32], const audit_checkpoint_t *cp)
{
	char m[CP_LINE_MAX];
	uint8_t sig[crypto_sign_BYTES];
	size_t got = 0;
	int n = audit_checkpoint_message(cp, m, sizeof m);
	if (n < 0 || strlen(cp->signature) != 2 * sizeof sig ||
	    sodium_hex2bin(sig, sizeof sig, cp->signature, strlen(cp->signature), NULL, &got, NULL) != 0 ||
	    got != sizeof sig)
		return 0;
	return crypto_sign_verify_detached(sig, (const uint8_t *)m, (size_t)n, pk) == 0;
}

char *audit_checkpoint_line(const audit_checkpoint_t *cp)
{
	json_t *o = json_pack("{s:i, s:I, s:I, s:s, s:s, s:s}", "v", CP_VERSION, "seq",
		(json_int_t)cp->seq, "prev_seq", (json_int_t)cp->prev_seq, "mac", cp->mac, "time",
		cp->time, "signature", cp->signature);
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

/* Lower-case hex of exactly n digits. */
static bool is_hex(const char *s, size_t n)
{
	if (!s || strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static int fill(const json_t *o, audit_checkpoint_t *cp, const char **why)
{
	const json_t *seq = json_object_get(o, "seq"), *prev = json_object_get(o, "prev_seq");
	const char *mac = json_string_value(json_object_get(o, "mac"));
	const char *t = json_string_value(json_object_get(o, "time"));
	const char *sig = json_string_value(json_object_get(o, "signature"));
	int64_t ms;
	memset(cp, 0, sizeof *cp);
	if (!json_is_integer(seq) || json_integer_value(seq) < 1)
		*why = "seq must be a positive integer";
	else if (!json_is_integer(prev) || json_integer_value(prev) < 0 ||
		 json_integer_value(prev) >= json_integer_value(seq))
		*why = "prev_seq must be an integer from 0 to seq - 1";
	else if (!is_hex(mac, 64))
		*why = "mac must be 64 lower-case hex digits";
	else if (!t || strlen(t) >= sizeof cp->time || time_parse_rfc3339(t, &ms) != 0)
		*why = "time must be an RFC 3339 time";
	else if (!is_hex(sig, 128))
		*why = "signature must be 128 lower-case hex digits";
	else {
		cp->seq = json_integer_value(seq);
		cp->prev_seq = json_integer_value(prev);
		memcpy(cp->mac, mac, 65);
		snprintf(cp->time, sizeof cp->time, "%s", t);
		memcpy(cp->signature, sig, 129);
		return 0;
	}
	return -1;
}

int audit_checkpoint_parse(const char *line, size_t len, audit_checkpoint_t *out, const char **why)
{
	static const char *ignore;
	if (!why)
		why = &ignore;
	memset(out, 0, sizeof *out);
	if (len > CP_LINE_MAX) {
		*why = "line too long";
		return -1;
	}
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	int rc = -1;
	if (!json_is_object(o))
		*why = "not a JSON object";
	else if (json_integer_value(json_object_get(o, "v")) != CP_VERSION)
		*why = "unknown checkpoint version (v)";
	else
		rc = fill(o, out, why);
	json_decref(o);
	return rc;
}

json_t *audit_checkpoint_json(const audit_checkpoint_t *cp)
{
	char m[CP_LINE_MAX];
	if (audit_checkpoint_message(cp, m, sizeof m) < 0)
		m[0] = '\0';
	return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s}", "seq", (json_int_t)cp->seq, "prev_seq",
		(json_int_t)cp->prev_seq, "mac", cp->mac, "time", cp->time, "signature", cp->signature,
		"message", m);
}

int audit_checkpoint_from_row(const json_t *row, audit_checkpoint_t *cp)
{
	const char *why;
	return fill(row, cp, &why);
}

/* ---- publication ---- */

int audit_checkpoint_make(store_tx_t *tx, int64_t now, audit_checkpoint_t *cp)
{
	memset(cp, 0, sizeof *cp);
	const audit_keys_t *k = audit_keys();
	if (!k)
		return -1;
	int64_t seq;
	char head[AUDIT_HASH_HEX];
	if (store_audit_head(tx, &seq, head, NULL) != STORE_OK)
		return -1;
	json_t *last = store_audit_checkpoint_last(tx);
	audit_checkpoint_t prev = { 0 };
	if (last && audit_checkpoint_from_row(last, &prev) != 0) {
		json_decref(last);
		return -1;
	}
	json_decref(last);
	if (seq == 0)
		return 1;
	if (prev.seq == seq && strcmp(prev.mac, head) == 0) {
		*cp = prev;
		return 1;
	}
	char then[AUDIT_HASH_HEX] = "";
	if (prev.seq && prev.seq < seq && store_audit_hash_at(tx, prev.seq, then) == STORE_ERROR)
		return -1;
	if (prev.seq >= seq || (prev.seq && strcmp(then, prev.mac) != 0)) {
		/* Signing now would vouch for a chain that lost or changed what
		 * an earlier checkpoint vouched for. */
		log_event(LOG_ERROR, "audit.checkpoint_refused", "head_seq=%lld checkpoint_seq=%lld err=\"the "
			"chain no longer holds the head of the newest checkpoint: events were removed or "
			"rewritten; run faxvaultd audit-verify\"", (long long)seq, (long long)prev.seq);
		return -1;
	}
	cp->seq = seq;
	cp->prev_seq = prev.seq;
	memcpy(cp->mac, head, sizeof cp->mac);
	time_format_rfc3339(now, cp->time, sizeof cp->time);
	audit_checkpoint_sign(k, cp);
	json_t *row = json_pack("{s:I, s:I, s:s, s:s, s:s, s:I}", "seq", (json_int_t)cp->seq, "prev_seq",
		(json_int_t)cp->prev_seq, "mac", cp->mac, "time", cp->time, "signature", cp->signature,
		"created_at", (json_int_t)now);
	int rc = store_audit_checkpoint_insert(tx, row);
	json_decref(row);
	return rc == STORE_OK ? 0 : -1;
}

int audit_checkpoint_announce(const audit_checkpoint_t *cp, const char *file)
{
	log_event(LOG_INFO, "audit.checkpoint", "seq=%lld prev_seq=%lld mac=%s time=%s signature=%s",
		(long long)cp->seq, (long long)cp->prev_seq, cp->mac, cp->time, cp->signature);
	if (!file || !*file)
		return 0;
	char *line = audit_checkpoint_line(cp);
	int fd = line ? open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600) : -1;
	int rc = fd >= 0 && fd_write_all(fd, line, strlen(line)) == 0 && fd_write_all(fd, "\n", 1) == 0 &&
		fsync(fd) == 0 ? 0 : -1;
	if (rc != 0) {
		char q[300];
		log_event(LOG_ERROR, "audit.checkpoint_file", "file=%s seq=%lld err=\"%s\"",
			log_quote(file, q, sizeof q), (long long)cp->seq, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	free(line);
	return rc;
}

int audit_checkpoint_publish(store_t *st, const char *file, audit_checkpoint_t *cp)
{
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	int rc = audit_checkpoint_make(tx, time_now_ms(), cp);
	if (rc != 0) {
		store_rollback(tx);
		return rc;
	}
	if (store_commit(tx) != STORE_OK)
		return -1;
	audit_checkpoint_announce(cp, file);
	return 0;
}
