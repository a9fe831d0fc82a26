/* faxvaultd's audit keys and `audit-verify` (see audit_cmd.h). */
#include "audit_cmd.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numparse.h"
#include "xalloc.h"

audit_keys_t *audit_cmd_keys(const char *key_path, int create, char *why, size_t whylen)
{
	vault_key_t *master = NULL;
	vault_err_t ve = vault_master_load(key_path, create, &master);
	if (ve != VAULT_OK) {
		snprintf(why, whylen, "master key %s: %s", key_path, vault_strerror(ve));
		return NULL;
	}
	audit_keys_t *k = audit_keys_derive(master);
	vault_key_free(master);
	if (!k)
		snprintf(why, whylen, "the audit keys could not be derived");
	return k;
}

struct cps {
	audit_checkpoint_t *v;
	size_t n, cap;
};

static void cps_add(struct cps *c, const audit_checkpoint_t *cp)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->v = xrealloc(c->v, c->cap * sizeof *c->v);
	}
	c->v[c->n++] = *cp;
}

/* Reads a checkpoint file (one JSON line per checkpoint, blank lines
 * skipped). 0, or -1 after saying on stderr which line is wrong. */
static int read_checkpoints(const char *path, struct cps *out)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "faxvaultd audit-verify: %s: %s\n", path, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long no = 0;
	int rc = 0;
	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
		no++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (n == 0)
			continue;
		audit_checkpoint_t cp;
		const char *why;
		if (audit_checkpoint_parse(line, (size_t)n, &cp, &why) != 0) {
			fprintf(stderr, "faxvaultd audit-verify: %s:%ld: not a checkpoint: %s\n", path, no, why);
			rc = -1;
		} else {
			cps_add(out, &cp);
		}
	}
	free(line);
	fclose(f);
	return rc;
}

/* [CHAIN:]SEQ:HASH as an unsigned checkpoint (a head recorded from the
 * log, event=audit.head: chain=, seq=, hash=); without a chain, of the
 * closed global chain. */
static int parse_head(const char *v, audit_checkpoint_t *cp)
{
	memset(cp, 0, sizeof *cp);
	const char *last = strrchr(v, ':');
	if (!last || strlen(last + 1) != 64)
		return -1;
	const char *first = memchr(v, ':', (size_t)(last - v));
	const char *seq = first ? first + 1 : v;
	if (first && ((size_t)(first - v) >= sizeof cp->chain || first == v))
		return -1;
	if (first)
		snprintf(cp->chain, sizeof cp->chain, "%.*s", (int)(first - v), v);
	if (parse_i64(seq, (size_t)(last - seq), 1, INT64_MAX, &cp->seq) != 0)
		return -1;
	memcpy(cp->mac, last + 1, 65);
	snprintf(cp->time, sizeof cp->time, "the expected head");
	return 0;
}

static void print_text(const audit_report_t *r, int rc, const json_t *report)
{
	if (rc != 0) {
		printf("audit chain BROKEN at event seq=%lld id=%s", (long long)r->broken_seq,
			r->broken_id[0] ? r->broken_id : "-");
		if (r->broken_actor[0])
			printf(" by %s", r->broken_actor);
		printf(" in chain %s (chain_seq %lld): %s\n", r->broken_chain[0] ? r->broken_chain
			: "(closed global chain)", (long long)r->broken_chain_seq, r->reason);
		return;
	}
	printf("audit chain intact: %lld events in %lld chains; head %lld:%s",
		(long long)r->events, (long long)r->chains, (long long)r->head_seq, r->head_hash);
	if (r->head_actor[0])
		printf(" by %s", r->head_actor);
	putchar('\n');
	if (r->keyed_from)
		printf("keyed (HMAC-SHA-256) from event %lld%s\n", (long long)r->keyed_from,
			r->caveats & AUDIT_CAVEAT_NO_KEY ? " (keyed hashes not checked: no key)" : "");
	else if (r->events)
		printf("no keyed event: every event is plain SHA-256\n");
	if (r->redacted)
		printf("events erased for a person (personal fields rewritten, digest kept): %lld\n",
			(long long)r->redacted);
	if (r->checkpoints)
		printf("checkpoints checked: %lld; the newest: %s%sseq %lld, %s\n",
			(long long)r->checkpoints, r->newest.chain[0] ? "chain " : "", r->newest.chain[0]
			? r->newest.chain : "", (long long)r->newest.seq, r->newest.time);
	const json_t *nro = json_object_get(report, "not_ruled_out");
	size_t i;
	const json_t *c;
	json_array_foreach(nro, i, c)
		printf("%s\n", json_string_value(json_object_get(c, "detail")));
}

int audit_cmd_verify(store_t *st, const char *key_path, int argc, char **argv)
{
	bool json = false;
	struct cps cps = { 0 };
	int rc = 0;
	for (int k = 1; k < argc && rc == 0; k++) {
		audit_checkpoint_t head;
		if (strcmp(argv[k], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[k], "--checkpoint") == 0 && k + 1 < argc) {
			rc = read_checkpoints(argv[++k], &cps);
		} else if (strcmp(argv[k], "--expect-head") == 0 && k + 1 < argc) {
			if (parse_head(argv[++k], &head) != 0) {
				fputs("faxvaultd audit-verify: --expect-head takes [CHAIN:]SEQ:HASH (64 hex digits)\n", stderr);
				rc = -1;
			} else {
				cps_add(&cps, &head);
			}
		} else {
			fputs("usage: faxvaultd [--data-dir DIR] audit-verify [--json] [--checkpoint FILE]... "
			      "[--expect-head [CHAIN:]SEQ:HASH]\n", stderr);
			rc = -1;
		}
	}
	if (rc != 0) {
		free(cps.v);
		return 2;
	}
	char why[256] = "";
	audit_keys_t *keys = audit_cmd_keys(key_path, 0, why, sizeof why);
	audit_verify_opts_t o = { .keys = keys, .no_key_reason = why, .cps = cps.v, .ncps = cps.n };
	audit_report_t r;
	rc = audit_verify(st, &o, &r);
	audit_keys_free(keys);
	free(cps.v);
	if (rc < 0) {
		fputs("faxvaultd audit-verify: the audit log could not be read\n", stderr);
		return 2;
	}
	json_t *report = audit_report_json(&r, rc, "en");
	if (json) {
		char *s = json_dumps(report, JSON_COMPACT);
		printf("%s\n", s);
		free(s);
	} else {
		print_text(&r, rc, report);
	}
	json_decref(report);
	return rc == 0 ? 0 : 1;
}
