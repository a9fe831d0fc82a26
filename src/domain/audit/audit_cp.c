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

/* Bumped if the signed text ever changes; verifiers read the version: 1
 * for the closed global chain, 2 for a chain (it names the chain). */
#define CP_VERSION 1
#define CP_VERSION_CHAIN 2
#define CP_LINE_MAX 1024

int audit_checkpoint_message(const audit_checkpoint_t *cp, char *out, size_t len)
{
	int n = cp->chain[0]
		? snprintf(out, len, "faxvault audit checkpoint %d\nchain=%s\nseq=%lld\nprev_seq=%lld\n"
			"mac=%s\ntime=%s\n", CP_VERSION_CHAIN, cp->chain, (long long)cp->seq,
			(long long)cp->prev_seq, cp->mac, cp->time)
		: snprintf(out, len, "faxvault audit checkpoint %d\nseq=%lld\nprev_seq=%lld\nmac=%s\n"
			"time=%s\n", CP_VERSION, (long long)cp->seq, (long long)cp->prev_seq, cp->mac,
			cp->time);
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
	json_t *o = json_pack("{s:i}", "v", cp->chain[0] ? CP_VERSION_CHAIN : CP_VERSION);
	if (cp->chain[0])
		json_object_set_new(o, "chain", json_string(cp->chain));
	json_object_set_new(o, "seq", json_integer(cp->seq));
	json_object_set_new(o, "prev_seq", json_integer(cp->prev_seq));
	json_object_set_new(o, "mac", json_string(cp->mac));
	json_object_set_new(o, "time", json_string(cp->time));
	json_object_set_new(o, "signature", json_string(cp->signature));
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

/* A chain id: 1 to AUDIT_CHAIN_MAX - 1 letters, digits and "_-.:". */
static bool is_chain_id(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n >= AUDIT_CHAIN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("_-.:", s[i])))
			return false;
	return true;
}

/* o's members into cp; chain: the chain's id ("" for the closed global
 * chain, already checked). */
static int fill(const json_t *o, const char *chain, audit_checkpoint_t *cp, const char **why)
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
		snprintf(cp->chain, sizeof cp->chain, "%s", chain);
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
	else if (json_integer_value(json_object_get(o, "v")) == CP_VERSION) {
		if (json_object_get(o, "chain"))
			*why = "a checkpoint of version 1 names no chain";
		else
			rc = fill(o, "", out, why);
	} else if (json_integer_value(json_object_get(o, "v")) == CP_VERSION_CHAIN) {
		const char *chain = json_string_value(json_object_get(o, "chain"));
		if (!is_chain_id(chain))
			*why = "chain must be a chain id (letters, digits, \"_-.:\")";
		else
			rc = fill(o, chain, out, why);
	} else
		*why = "unknown checkpoint version (v)";
	json_decref(o);
	return rc;
}

json_t *audit_checkpoint_json(const audit_checkpoint_t *cp)
{
	char m[CP_LINE_MAX];
	if (audit_checkpoint_message(cp, m, sizeof m) < 0)
		m[0] = '\0';
	return json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s}", "chain", cp->chain, "seq",
		(json_int_t)cp->seq, "prev_seq", (json_int_t)cp->prev_seq, "mac", cp->mac, "time",
		cp->time, "signature", cp->signature, "message", m);
}

int audit_checkpoint_from_row(const json_t *row, audit_checkpoint_t *cp)
{
	const char *why;
	const char *chain = json_string_value(json_object_get(row, "chain_id"));
	if (!chain || (*chain && !is_chain_id(chain))) {
		memset(cp, 0, sizeof *cp);
		return -1;
	}
	return fill(row, chain, cp, &why);
}

/* ---- publication ---- */

/* A checkpoint of chain head h {chain_id, chain_seq, hash}, if it moved
 * since the chain's newest checkpoint: 0 with *cp made and stored, 1 when it
 * did not move, -1 when the chain no longer holds that checkpoint's head
 * (logged) or the store failed. */
static int make_one(store_tx_t *tx, const audit_keys_t *k, const json_t *h, int64_t now,
	audit_checkpoint_t *cp)
{
	const char *chain = json_string_value(json_object_get(h, "chain_id"));
	const char *head = json_string_value(json_object_get(h, "hash"));
	int64_t seq = json_integer_value(json_object_get(h, "chain_seq"));
	memset(cp, 0, sizeof *cp);
	if (!chain || !head || seq == 0)
		return 1;
	json_t *last = store_audit_checkpoint_last(tx, chain);
	audit_checkpoint_t prev = { 0 };
	if (last && audit_checkpoint_from_row(last, &prev) != 0) {
		json_decref(last);
		return -1;
	}
	json_decref(last);
	if (prev.seq == seq && strcmp(prev.mac, head) == 0)
		return 1;
	char then[AUDIT_HASH_HEX] = "";
	if (prev.seq && prev.seq < seq && store_audit_hash_at(tx, chain, prev.seq, then) == STORE_ERROR)
		return -1;
	if (prev.seq >= seq || (prev.seq && strcmp(then, prev.mac) != 0)) {
		/* Signing now would vouch for a chain that lost or changed what
		 * an earlier checkpoint vouched for. */
		char q[AUDIT_CHAIN_MAX + 8];
		log_event(LOG_ERROR, "audit.checkpoint_refused", "chain=%s head_seq=%lld "
			"checkpoint_seq=%lld err=\"the chain no longer holds the head of its newest "
			"checkpoint: events were removed or rewritten; run faxvaultd audit-verify\"",
			log_quote(*chain ? chain : "-", q, sizeof q), (long long)seq, (long long)prev.seq);
		return -1;
	}
	snprintf(cp->chain, sizeof cp->chain, "%s", chain);
	cp->seq = seq;
	cp->prev_seq = prev.seq;
	snprintf(cp->mac, sizeof cp->mac, "%s", head);
	time_format_rfc3339(now, cp->time, sizeof cp->time);
	audit_checkpoint_sign(k, cp);
	json_t *row = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:I}", "chain_id", cp->chain, "seq",
		(json_int_t)cp->seq, "prev_seq", (json_int_t)cp->prev_seq, "mac", cp->mac, "time",
		cp->time, "signature", cp->signature, "created_at", (json_int_t)now);
	int rc = store_audit_checkpoint_insert(tx, row);
	json_decref(row);
	return rc == STORE_OK ? 0 : -1;
}

int audit_checkpoint_make(store_tx_t *tx, int64_t now, audit_checkpoint_t **cps, size_t *n)
{
	*cps = NULL;
	*n = 0;
	const audit_keys_t *k = audit_keys();
	if (!k)
		return -1;
	json_t *heads = store_audit_heads(tx);
	if (!heads)
		return -1;
	audit_checkpoint_t *v = xcalloc(json_array_size(heads) + 1, sizeof *v);
	size_t i, made = 0;
	json_t *h;
	int rc = 0;
	json_array_foreach(heads, i, h) {
		int one = make_one(tx, k, h, now, &v[made]);
		if (one < 0) {
			rc = -1;
			break;
		}
		if (one == 0)
			made++;
	}
	json_decref(heads);
	if (rc != 0 || made == 0) {
		free(v);
		return rc != 0 ? -1 : 1;
	}
	*cps = v;
	*n = made;
	return 0;
}

int audit_checkpoint_announce(const audit_checkpoint_t *cp, const char *file)
{
	log_event(LOG_INFO, "audit.checkpoint", "chain=%s seq=%lld prev_seq=%lld mac=%s time=%s "
		"signature=%s", cp->chain[0] ? cp->chain : "-", (long long)cp->seq,
		(long long)cp->prev_seq, cp->mac, cp->time, cp->signature);
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

int audit_checkpoint_publish(store_t *st, const char *file, size_t *n)
{
	*n = 0;
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	audit_checkpoint_t *cps;
	int rc = audit_checkpoint_make(tx, time_now_ms(), &cps, n);
	if (rc != 0) {
		store_rollback(tx);
		return rc;
	}
	if (store_commit(tx) != STORE_OK) {
		free(cps);
		*n = 0;
		return -1;
	}
	for (size_t i = 0; i < *n; i++)
		audit_checkpoint_announce(&cps[i], file);
	free(cps);
	return 0;
}
