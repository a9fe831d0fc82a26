/* Unit tests of the faxes area on a real SQLite store and a real vault in a
 * temporary directory: documents (round trip, shredding once committed, orphan sweep, work
 * directories), submission fields, the runner's claim / page confirmation /
 * finish (delivered, partial then the rest, retries running out, cancel),
 * crash recovery (no fax lost, confirmed pages kept, never all pages sent
 * again once confirmed), the render job of the queue, inbound faxes, and CSV
 * quoting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../common/test_db.h"
#include "fax/fax.h"
#include "queue.h"
#include "sec.h"
#include "store.h"
#include "store_fax.h"
#include "store_jobs.h"
#include "store_numbers.h"
#include "timeutil.h"
#include "vault.h"
#include "xalloc.h"

#define TO "+33100000002"
#define PRICE 12

struct fx {
	char dir[128], db[512], docs[200], work[200];
	store_t *st;
	vault_key_t *master;
	fax_env_t env;
	char ids[16][32]; /* the outbound faxes made, in order: what claim() looks at */
	int nids;
};

static void rm_tree(const char *dir)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fail_msg("cannot remove %s", dir);
}

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static int64_t num(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/fv-unit-fax-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->docs, sizeof f->docs, "%s/docs", f->dir);
	snprintf(f->work, sizeof f->work, "%s/work", f->dir);
	mkdir(f->docs, 0700);
	mkdir(f->work, 0700);
	char key[256];
	test_db_new(f->db, sizeof f->db);
	f->st = test_db_open(f->db);
	snprintf(key, sizeof key, "%s/master.key", f->dir);
	if (!f->st || vault_master_load(key, 1, &f->master) != VAULT_OK)
		return -1;
	f->env = (fax_env_t) { .master = f->master, .doc_dir = f->docs, .work_dir = f->work,
		.max_pages = 50, .render_timeout_ms = 30000, .loopback_sip = "127.0.0.1:5099",
		.webhook_allow = "", .number_quarantine_days = 30, .currency = "EUR" };
	store_tx_t *tx = store_begin(f->st, true);
	json_t *a = json_pack("{s:s, s:s, s:s, s:I, s:I}", "id", "acc_a", "name", "A", "status",
		"active", "created_at", (json_int_t)1, "updated_at", (json_int_t)1);
	int rc = store_account_insert(tx, a);
	json_decref(a);
	json_t *n = json_pack("{s:s, s:s, s:s, s:s, s:I}", "number", TO, "trunk_id", "loopback",
		"country", "FR", "status", "available", "created_at", (json_int_t)1);
	rc |= store_number_insert(tx, n);
	json_decref(n);
	json_t *rates = json_pack("[{s:s, s:i}, {s:s, s:i}]", "prefix", "+33", "price_per_page", PRICE,
		"prefix", "+1", "price_per_page", 5);
	rc |= store_rates_replace(tx, rates, "EUR");
	json_decref(rates);
	if (rc != STORE_OK || store_commit(tx) != STORE_OK)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	/* The fax paths' statements were prepared once each: none that SQLite
	 * had to prepare again at a new binding (a job's kind bound against
	 * the partial indexes on jobs.kind did, at every run). */
	uint64_t again = store_stmt_reprepares(f->st);
	if (again != 0)
		fprintf(stderr, "statements prepared again by SQLite: %llu\n", (unsigned long long)again);
	store_close(f->st);
	test_db_remove(f->db);
	vault_key_free(f->master);
	rm_tree(f->dir);
	free(f);
	return again == 0 ? 0 : -1;
}

/* An outbound fax claim() looks at, after those made before. */
static void track(struct fx *f, const char *id)
{
	assert_true(f->nids < (int)(sizeof f->ids / sizeof f->ids[0]));
	snprintf(f->ids[f->nids++], sizeof f->ids[0], "%s", id);
}

/* A queued outbound fax of `pages` pages to TO, due now. */
static void make_fax(struct fx *f, const char *id, int pages, int retries)
{
	track(f, id);
	store_tx_t *tx = store_begin(f->st, true);
	char doc[DOC_ID_MAX];
	assert_int_equal(doc_put_tx(tx, &f->env, "acc_a", "fax", "II*\0tiff", 8, pages, doc), 0);
	json_t *fx = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:I, s:I,"
			       " s:I, s:i, s:i, s:s}",
		"id", id, "account_id", "acc_a", "user_id", "usr_u", "direction", "outbound", "status",
		"queued", "from_number", "", "to_number", TO, "doc_id", doc, "page_count", pages,
		"retries", retries, "retry_delay_seconds", 300, "next_attempt_at", (json_int_t)0,
		"created_at", (json_int_t)1, "updated_at", (json_int_t)1, "next_ecm", 1,
		"next_max_rate", 14400, "currency", "EUR");
	assert_int_equal(store_fax_insert(tx, fx), STORE_OK);
	json_decref(fx);
	assert_int_equal(store_fax_pages_init(tx, id, pages, "queued"), STORE_OK);
	assert_int_equal(store_commit(tx), STORE_OK);
}

static json_t *get_fax(struct fx *f, const char *id)
{
	store_tx_t *tx = store_begin(f->st, false);
	json_t *r = store_fax_get(tx, "acc_a", id);
	store_rollback(tx);
	assert_non_null(r);
	return r;
}

static json_t *attempts(struct fx *f, const char *id)
{
	store_tx_t *tx = store_begin(f->st, false);
	json_t *r = store_attempts_of(tx, id);
	store_rollback(tx);
	return r;
}

static int confirmed_pages(struct fx *f, const char *id)
{
	store_tx_t *tx = store_begin(f->st, false);
	int n = store_fax_pages_count(tx, id, "confirmed");
	store_rollback(tx);
	return n;
}

static void result_ok(fax_result_t *r, int pages)
{
	fax_result_init(r, 1);
	r->answered = 1;
	r->t30_heard = r->t30_done = 1;
	r->ok = 1;
	snprintf(r->transport, sizeof r->transport, "t38");
	r->bit_rate = 14400;
	r->ecm = 1;
	r->pages_sent = r->pages_confirmed = pages;
	snprintf(r->remote_ident, sizeof r->remote_ident, "+33 1 00 00 00 02");
	r->duration_ms = 20000;
}

static void result_fail(fax_result_t *r, const char *fc, const char *reason, int confirmed)
{
	fax_result_init(r, 1);
	r->ok = 0;
	snprintf(r->fail_class, sizeof r->fail_class, "%s", fc);
	snprintf(r->reason, sizeof r->reason, "%s", reason);
	r->pages_sent = r->pages_confirmed = confirmed;
	r->answered = confirmed > 0;
}

/* As the service's send jobs do, one fax per job: each outbound fax made
 * (in the order made) claimed by node when due, up to max. How many. */
static int claim_by(struct fx *f, const char *node, int64_t now, fax_job_t *jobs, int max)
{
	int n = 0;
	for (int i = 0; i < f->nids && n < max; i++) {
		int64_t again;
		int rc = dom_fax_claim_one(f->st, &f->env, node, f->ids[i], now, 500, &jobs[n], &again);
		assert_true(rc >= 0);
		n += rc;
	}
	return n;
}

static int claim(struct fx *f, int64_t now, fax_job_t *jobs, int max)
{
	return claim_by(f, "node-1", now, jobs, max);
}

/* Holds job's attempt as the renewer of its running call does. */
static int hold(struct fx *f, const fax_job_t *job, int64_t now)
{
	store_tx_t *tx = store_begin(f->st, true);
	assert_non_null(tx);
	int rc = dom_fax_attempt_hold(tx, &f->env, job, now);
	assert_int_equal(store_commit(tx), STORE_OK);
	return rc;
}

static void test_docs(void **state)
{
	struct fx *f = *state;
	store_tx_t *tx = store_begin(f->st, true);
	char id[DOC_ID_MAX], out[600];
	const char text[] = "a document that is never stored in clear";
	assert_int_equal(doc_put_tx(tx, &f->env, "acc_a", "original", text, sizeof text - 1, -1, id), 0);
	assert_int_equal(strncmp(id, "doc_", 4), 0);
	/* The blob does not hold the text. */
	char *blob = vault_blob_path(f->docs, id);
	FILE *b = fopen(blob, "rb");
	assert_non_null(b);
	char raw[4096];
	size_t n = fread(raw, 1, sizeof raw, b);
	fclose(b);
	assert_null(memmem(raw, n, "never stored", 12));
	char wd[512];
	assert_int_equal(dom_workdir_new(&f->env, wd, sizeof wd), 0);
	struct stat sb;
	assert_int_equal(stat(wd, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	snprintf(out, sizeof out, "%s/plain", wd);
	assert_int_equal(doc_get_file_tx(tx, &f->env, "acc_a", id, out), 0);
	FILE *p = fopen(out, "rb");
	n = fread(raw, 1, sizeof raw, p);
	fclose(p);
	assert_int_equal(n, sizeof text - 1);
	assert_memory_equal(raw, text, n);
	/* Another account's id does not open it. */
	assert_int_equal(doc_get_file_tx(tx, &f->env, "acc_b", id, out), -1);
	dom_workdir_wipe(wd);
	assert_int_equal(stat(wd, &sb), -1);
	/* Shredding removes the row and, once committed, the blob. */
	assert_int_equal(doc_shred_tx(tx, &f->env, "acc_a", id), 0);
	assert_int_equal(store_commit(tx), STORE_OK);
	assert_int_equal(stat(blob, &sb), -1);
	free(blob);
	/* A blob without a row is an orphan; a work directory left is swept. */
	tx = store_begin(f->st, true);
	assert_int_equal(doc_put_tx(tx, &f->env, "acc_a", "original", "x", 1, -1, id), 0);
	store_rollback(tx); /* the row is gone, the blob stays */
	/* Younger than the age asked: left (on a shared directory, another
	 * node's row may be about to commit); older: removed. */
	assert_int_equal(dom_docs_sweep_orphans(f->st, &f->env, 3600), 0);
	char *orphan = xasprintf("%s/%s%s", f->env.doc_dir, id, VAULT_BLOB_SUFFIX);
	struct timespec old[2] = { { .tv_sec = time(NULL) - 3700 }, { .tv_sec = time(NULL) - 3700 } };
	assert_int_equal(utimensat(AT_FDCWD, orphan, old, 0), 0);
	free(orphan);
	assert_int_equal(dom_docs_sweep_orphans(f->st, &f->env, 3600), 1);
	assert_int_equal(doc_put_tx(tx = store_begin(f->st, true), &f->env, "acc_a", "original", "x", 1, -1, id), 0);
	store_rollback(tx);
	assert_int_equal(dom_docs_sweep_orphans(f->st, &f->env, 0), 1);
	assert_int_equal(dom_workdir_new(&f->env, wd, sizeof wd), 0);
	assert_int_equal(dom_workdir_sweep(&f->env), 1);
	assert_int_equal(stat(wd, &sb), -1);
}

/* What an after-commit hook registered before a shred sees: it runs once
 * the transaction has committed, before the shred's own removal. */
struct between {
	struct fx *f;
	const char *blob; /* the shredded document's file */
	const char *doc;
	int ran, file_there, row_there;
};

static void look_between(void *arg)
{
	struct between *b = arg;
	struct stat sb;
	b->ran++;
	b->file_there = stat(b->blob, &sb) == 0;
	store_tx_t *tx = store_begin(b->f->st, false);
	json_t *row = store_doc_get(tx, "acc_a", b->doc);
	b->row_there = row != NULL;
	json_decref(row);
	store_rollback(tx);
}

static int freed_args;
static void count_free(void *arg)
{
	(void)arg;
	freed_args++;
}

static bool doc_row(struct fx *f, const char *id)
{
	store_tx_t *tx = store_begin(f->st, false);
	json_t *row = store_doc_get(tx, "acc_a", id);
	store_rollback(tx);
	json_decref(row);
	return row != NULL;
}

/* A shred's file goes only once its transaction has committed: a rollback
 * (or a crash before the commit) keeps the row and the file; a commit
 * removes the row, then the file, before store_commit returns; a crash
 * between the two leaves a file without a row, which the orphan sweep
 * removes. Many documents shredded in one transaction all go. */
static void test_shred_after_commit(void **state)
{
	struct fx *f = *state;
	char id[DOC_ID_MAX];
	store_tx_t *tx = store_begin(f->st, true);
	assert_int_equal(doc_put_tx(tx, &f->env, "acc_a", "original", "keep me", 7, -1, id), 0);
	assert_int_equal(store_commit(tx), STORE_OK);
	char *blob = vault_blob_path(f->docs, id);
	struct stat sb;
	/* Rolled back: both stay, and the document still reads. */
	tx = store_begin(f->st, true);
	assert_int_equal(doc_shred_tx(tx, &f->env, "acc_a", id), 0);
	assert_int_equal(stat(blob, &sb), 0); /* not before the commit */
	store_rollback(tx);
	assert_int_equal(stat(blob, &sb), 0);
	assert_true(doc_row(f, id));
	char wd[512], out[600], raw[16];
	assert_int_equal(dom_workdir_new(&f->env, wd, sizeof wd), 0);
	snprintf(out, sizeof out, "%s/plain", wd);
	tx = store_begin(f->st, false);
	assert_int_equal(doc_get_file_tx(tx, &f->env, "acc_a", id, out), 0);
	store_rollback(tx);
	FILE *p = fopen(out, "rb");
	assert_non_null(p);
	assert_int_equal(fread(raw, 1, sizeof raw, p), 7);
	fclose(p);
	assert_memory_equal(raw, "keep me", 7);
	dom_workdir_wipe(wd);
	/* Committed: between the commit and the removal the row is gone and
	 * the file still there; once store_commit has returned, both. */
	struct between b = { .f = f, .blob = blob, .doc = id };
	tx = store_begin(f->st, true);
	store_tx_after_commit(tx, look_between, &b);
	assert_int_equal(doc_shred_tx(tx, &f->env, "acc_a", id), 0);
	assert_int_equal(stat(blob, &sb), 0);
	assert_int_equal(store_commit(tx), STORE_OK);
	assert_int_equal(b.ran, 1);
	assert_true(b.file_there);
	assert_false(b.row_there);
	assert_int_equal(stat(blob, &sb), -1);
	assert_false(doc_row(f, id));
	free(blob);
	/* Ten in one transaction (more than STORE_AFTER_MAX): all gone. */
	char ids[10][DOC_ID_MAX];
	tx = store_begin(f->st, true);
	for (int i = 0; i < 10; i++)
		assert_int_equal(doc_put_tx(tx, &f->env, "acc_a", "original", "x", 1, -1, ids[i]), 0);
	assert_int_equal(store_commit(tx), STORE_OK);
	tx = store_begin(f->st, true);
	for (int i = 0; i < 10; i++)
		assert_int_equal(doc_shred_tx(tx, &f->env, "acc_a", ids[i]), 0);
	assert_int_equal(store_commit(tx), STORE_OK);
	for (int i = 0; i < 10; i++) {
		blob = vault_blob_path(f->docs, ids[i]);
		assert_int_equal(stat(blob, &sb), -1);
		free(blob);
	}
	/* A crash between the commit and the removal: the row deleted and
	 * committed, the file left. The orphan sweep removes it. */
	tx = store_begin(f->st, true);
	assert_int_equal(doc_put_tx(tx, &f->env, "acc_a", "original", "x", 1, -1, id), 0);
	assert_int_equal(store_commit(tx), STORE_OK);
	tx = store_begin(f->st, true);
	assert_int_equal(store_doc_delete(tx, "acc_a", id), STORE_OK);
	assert_int_equal(store_commit(tx), STORE_OK);
	blob = vault_blob_path(f->docs, id);
	assert_int_equal(stat(blob, &sb), 0);
	assert_int_equal(dom_docs_sweep_orphans(f->st, &f->env, 0), 1);
	assert_int_equal(stat(blob, &sb), -1);
	free(blob);
	/* An owned arg is released after a rollback (fn not run) and after a
	 * commit (fn run first). */
	freed_args = 0;
	int token;
	tx = store_begin(f->st, true);
	assert_int_equal(store_tx_after_commit_owned(tx, look_between, &token, count_free), 0);
	assert_ptr_equal(store_tx_after_arg(tx, look_between), &token);
	store_rollback(tx);
	assert_int_equal(freed_args, 1);
	b = (struct between) { .f = f, .blob = "/nonexistent", .doc = "doc_none" };
	tx = store_begin(f->st, true);
	assert_int_equal(store_tx_after_commit_owned(tx, look_between, &b, count_free), 0);
	assert_int_equal(store_commit(tx), STORE_OK);
	assert_int_equal(b.ran, 1);
	assert_int_equal(freed_args, 2);
}

/* Deleting a fax (DELETE /v1/faxes/{id}, the retention sweep) shreds its
 * document once the deletion commits; rolled back, the fax and its
 * document are whole. */
static void test_fax_delete_after_commit(void **state)
{
	struct fx *f = *state;
	make_fax(f, "fax_d", 1, 0);
	json_t *fx = get_fax(f, "fax_d");
	char doc[DOC_ID_MAX];
	snprintf(doc, sizeof doc, "%s", str(fx, "doc_id"));
	char *blob = vault_blob_path(f->docs, doc);
	struct stat sb;
	audit_ctx_t who = { .actor = "system:test", .source = "" };
	store_tx_t *tx = store_begin(f->st, true);
	assert_int_equal(fax_destroy_tx(tx, &f->env, &who, fx, "fax.delete", NULL, time_now_ms()), 0);
	assert_int_equal(stat(blob, &sb), 0);
	store_rollback(tx);
	assert_int_equal(stat(blob, &sb), 0);
	assert_true(doc_row(f, doc));
	struct between b = { .f = f, .blob = blob, .doc = doc };
	tx = store_begin(f->st, true);
	store_tx_after_commit(tx, look_between, &b);
	assert_int_equal(fax_destroy_tx(tx, &f->env, &who, fx, "fax.delete", NULL, time_now_ms()), 0);
	assert_int_equal(store_commit(tx), STORE_OK);
	assert_int_equal(b.ran, 1);
	assert_true(b.file_there);
	assert_false(b.row_there);
	assert_int_equal(stat(blob, &sb), -1);
	json_decref(fx);
	free(blob);
}

static void test_opts(void **state)
{
	(void)state;
	fax_opts_t o;
	dom_err_t e = { 0 };
	json_t *fields = json_pack("{s:[s, s], s:[s], s:[s], s:[s]}", "to", "+33 1 00 00 00 02, +12125550100",
		"+33100000002", "send_at", "2026-12-01T09:00:00Z", "retries", "5", "resolution",
		"standard");
	assert_int_equal(fax_opts_parse(fields, &o, &e), 0);
	assert_int_equal(o.nto, 2); /* the repeated number counted once */
	assert_string_equal(o.to[0], "+33100000002");
	assert_string_equal(o.to[1], "+12125550100");
	assert_int_equal(o.retries, 5);
	assert_int_equal(o.retry_delay_seconds, 300);
	assert_int_equal(o.fine, 0);
	assert_true(o.send_at > 0);
	json_decref(fields);
	static const struct { const char *json, *kind, *field; } bad[] = {
		{ "{\"to\":[\"12345\"]}", "destination-not-allowed", "to" },
		{ "{}", "validation-failed", "to" },
		{ "{\"to\":[\"+33100000002\"],\"retries\":[\"11\"]}", "validation-failed", "retries" },
		{ "{\"to\":[\"+33100000002\"],\"retries\":[\"1\",\"2\"]}", "validation-failed", "retries" },
		{ "{\"to\":[\"+33100000002\"],\"retry_delay_seconds\":[\"29\"]}", "validation-failed",
			"retry_delay_seconds" },
		{ "{\"to\":[\"+33100000002\"],\"send_at\":[\"tomorrow\"]}", "validation-failed", "send_at" },
		{ "{\"to\":[\"+33100000002\"],\"resolution\":[\"superfine\"]}", "validation-failed",
			"resolution" },
		{ "{\"to\":[\"+33100000002\"],\"colour\":[\"red\"]}", "validation-failed", "colour" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *j = json_loads(bad[i].json, 0, NULL);
		memset(&e, 0, sizeof e);
		assert_int_equal(fax_opts_parse(j, &o, &e), -1);
		assert_string_equal(e.kind, bad[i].kind);
		assert_string_equal(e.field, bad[i].field);
		json_decref(j);
	}
}

static void test_claim_delivered(void **state)
{
	struct fx *f = *state;
	make_fax(f, "fax_d", 3, 3);
	fax_job_t jobs[4];
	assert_int_equal(claim(f, time_now_ms(), jobs, 4), 1);
	assert_string_equal(jobs[0].fax_id, "fax_d");
	assert_int_equal(jobs[0].first_page, 1);
	assert_int_equal(jobs[0].page_count, 3);
	assert_int_equal(jobs[0].attempt, 1);
	assert_int_equal(jobs[0].max_rate, 14400);
	assert_int_equal(jobs[0].t38, 1);
	assert_string_equal(str(jobs[0].trunk, "id"), "loopback");
	/* The runner decrypts the whole document for the call. */
	char tif[300];
	snprintf(tif, sizeof tif, "%s/job.tif", f->work);
	assert_int_equal(dom_fax_job_tiff(f->st, &f->env, &jobs[0], tif), 0);
	FILE *t = fopen(tif, "rb");
	char head[16];
	assert_int_equal(fread(head, 1, sizeof head, t), 8);
	fclose(t);
	assert_memory_equal(head, "II*\0tiff", 8);
	unlink(tif);
	json_t *fx = get_fax(f, "fax_d");
	assert_string_equal(str(fx, "status"), "sending");
	json_decref(fx);
	/* Claimed once only. */
	fax_job_t more[4];
	assert_int_equal(claim(f, time_now_ms(), more, 4), 0);
	for (int p = 1; p <= 3; p++)
		assert_int_equal(dom_fax_page_confirmed(f->st, &jobs[0], p), 0);
	fax_result_t r;
	result_ok(&r, 3);
	assert_int_equal(dom_fax_finish(f->st, &f->env, &jobs[0], &r), 0);
	fax_job_clear(&jobs[0]);
	fx = get_fax(f, "fax_d");
	assert_string_equal(str(fx, "status"), "delivered");
	assert_int_equal(num(fx, "pages_confirmed"), 3);
	assert_int_equal(num(fx, "cost"), 3 * PRICE);
	assert_true(num(fx, "completed_at") > 0);
	json_decref(fx);
	json_t *at = attempts(f, "fax_d");
	assert_int_equal(json_array_size(at), 1);
	const json_t *a = json_array_get(at, 0);
	assert_string_equal(str(a, "result"), "ok");
	assert_string_equal(str(a, "transport"), "t38");
	assert_int_equal(num(a, "pages_confirmed"), 3);
	assert_int_equal(num(a, "cost"), 3 * PRICE);
	assert_string_equal(str(a, "node"), "node-1");
	json_decref(at);
}

static void test_partial_then_rest(void **state)
{
	struct fx *f = *state;
	make_fax(f, "fax_p", 3, 3);
	fax_job_t j[2];
	int64_t now = time_now_ms();
	assert_int_equal(claim(f, now, j, 2), 1);
	assert_int_equal(dom_fax_page_confirmed(f->st, &j[0], 1), 0);
	assert_int_equal(dom_fax_page_confirmed(f->st, &j[0], 2), 0);
	fax_result_t r;
	result_fail(&r, "partial", "the call dropped after page 2", 2);
	assert_int_equal(dom_fax_finish(f->st, &f->env, &j[0], &r), 0);
	fax_job_clear(&j[0]);
	json_t *fx = get_fax(f, "fax_p");
	assert_string_equal(str(fx, "status"), "queued");
	assert_int_equal(num(fx, "pages_confirmed"), 2);
	assert_true(num(fx, "next_attempt_at") > now);
	int64_t due = num(fx, "next_attempt_at");
	json_decref(fx);
	/* Not before its time; then only page 3. */
	assert_int_equal(claim(f, due - 1, j, 2), 0);
	assert_int_equal(claim(f, due, j, 2), 1);
	assert_int_equal(j[0].first_page, 3);
	assert_int_equal(j[0].attempt, 2);
	result_ok(&r, 1);
	r.npages = 1; /* the engine numbers pages in the whole document */
	r.pages[0].page = 3;
	snprintf(r.pages[0].result, sizeof r.pages[0].result, "MCF");
	assert_int_equal(dom_fax_finish(f->st, &f->env, &j[0], &r), 0);
	fax_job_clear(&j[0]);
	fx = get_fax(f, "fax_p");
	assert_string_equal(str(fx, "status"), "delivered");
	assert_int_equal(num(fx, "pages_confirmed"), 3);
	assert_int_equal(num(fx, "cost"), 3 * PRICE);
	json_decref(fx);
	json_t *at = attempts(f, "fax_p");
	assert_int_equal(json_array_size(at), 2);
	assert_string_equal(str(json_array_get(at, 0), "result"), "partial");
	assert_int_equal(num(json_array_get(at, 1), "first_page"), 3);
	json_decref(at);
}

static void test_retries_run_out(void **state)
{
	struct fx *f = *state;
	make_fax(f, "fax_b", 1, 1);
	fax_job_t j[1];
	fax_result_t r;
	int64_t now = time_now_ms();
	for (int attempt = 1; attempt <= 2; attempt++) {
		assert_int_equal(claim(f, now, j, 1), 1);
		assert_int_equal(j[0].attempt, attempt);
		result_fail(&r, "busy", "the line was busy", 0);
		assert_int_equal(dom_fax_finish(f->st, &f->env, &j[0], &r), 0);
		fax_job_clear(&j[0]);
		json_t *fx = get_fax(f, "fax_b");
		now = num(fx, "next_attempt_at");
		if (attempt == 1)
			assert_string_equal(str(fx, "status"), "queued");
		json_decref(fx);
	}
	json_t *fx = get_fax(f, "fax_b");
	assert_string_equal(str(fx, "status"), "failed");
	assert_string_equal(str(fx, "failure_class"), "busy");
	assert_non_null(strstr(str(fx, "failure_reason"), "busy"));
	assert_int_equal(num(fx, "cost"), 0);
	json_decref(fx);
	assert_int_equal(claim(f, now + 86400000LL, j, 1), 0);
	/* t30_error, then a lower speed */
	make_fax(f, "fax_t", 1, 3);
	assert_int_equal(claim(f, time_now_ms(), j, 1), 1);
	result_fail(&r, "t30_error", "the receiver did not train", 0);
	assert_int_equal(dom_fax_finish(f->st, &f->env, &j[0], &r), 0);
	fax_job_clear(&j[0]);
	fx = get_fax(f, "fax_t");
	int64_t due = num(fx, "next_attempt_at");
	json_decref(fx);
	assert_int_equal(claim(f, due, j, 1), 1);
	assert_int_equal(j[0].max_rate, 9600);
	assert_int_equal(j[0].ecm, 1);
	/* not a fax: failed at once */
	result_fail(&r, "not_a_fax", "a person answered, not a fax machine", 0);
	assert_int_equal(dom_fax_finish(f->st, &f->env, &j[0], &r), 0);
	fax_job_clear(&j[0]);
	fx = get_fax(f, "fax_t");
	assert_string_equal(str(fx, "status"), "failed");
	assert_string_equal(str(fx, "failure_class"), "not_a_fax");
	json_decref(fx);
}

static void test_crash_recovery(void **state)
{
	struct fx *f = *state;
	make_fax(f, "fax_c", 3, 3);
	fax_job_t j[1];
	assert_int_equal(claim(f, time_now_ms(), j, 1), 1);
	assert_int_equal(dom_fax_page_confirmed(f->st, &j[0], 1), 0);
	fax_job_clear(&j[0]);
	/* The daemon dies here; at the next start: */
	assert_int_equal(dom_fax_recover(f->st, &f->env, "node-1", time_now_ms(), 0), 1);
	json_t *fx = get_fax(f, "fax_c");
	assert_string_equal(str(fx, "status"), "queued");
	assert_int_equal(num(fx, "attempts_made"), 0); /* our crash, not the line's */
	json_decref(fx);
	json_t *at = attempts(f, "fax_c");
	assert_string_equal(str(json_array_get(at, 0), "result"), "interrupted");
	assert_int_equal(num(json_array_get(at, 0), "pages_confirmed"), 1);
	json_decref(at);
	assert_int_equal(confirmed_pages(f, "fax_c"), 1);
	/* Sent again from page 2 only. */
	assert_int_equal(claim(f, time_now_ms(), j, 1), 1);
	assert_int_equal(j[0].first_page, 2);
	assert_int_equal(j[0].attempt, 2);
	assert_int_equal(dom_fax_page_confirmed(f->st, &j[0], 2), 0);
	assert_int_equal(dom_fax_page_confirmed(f->st, &j[0], 3), 0);
	fax_job_clear(&j[0]);
	/* Dies after the last page was confirmed, before the call was closed:
	 * the fax is delivered, never sent again. */
	assert_int_equal(dom_fax_recover(f->st, &f->env, "node-1", time_now_ms(), 0), 1);
	fx = get_fax(f, "fax_c");
	assert_string_equal(str(fx, "status"), "delivered");
	assert_int_equal(num(fx, "cost"), 3 * PRICE);
	json_decref(fx);
	/* Its second attempt carried the last pages: "ok", priced for the
	 * two it confirmed, as a call that ended normally. */
	at = attempts(f, "fax_c");
	assert_int_equal(json_array_size(at), 2);
	assert_string_equal(str(json_array_get(at, 1), "result"), "ok");
	assert_int_equal(num(json_array_get(at, 1), "pages_confirmed"), 2);
	assert_int_equal(num(json_array_get(at, 1), "cost"), 2 * PRICE);
	json_t *fc = json_object_get(json_array_get(at, 1), "failure_class");
	assert_true(!fc || json_is_null(fc));
	json_decref(at);
	assert_int_equal(claim(f, time_now_ms() + 86400000LL, j, 1), 0);
	/* Another node's attempt is left alone until it is stale. */
	make_fax(f, "fax_o", 1, 3);
	assert_int_equal(claim_by(f, "node-2", time_now_ms(), j, 1), 1);
	fax_job_clear(&j[0]);
	assert_int_equal(dom_fax_recover(f->st, &f->env, "node-1", time_now_ms(), 3600000), 0);
	fx = get_fax(f, "fax_o");
	assert_string_equal(str(fx, "status"), "sending");
	json_decref(fx);
	assert_int_equal(dom_fax_recover(f->st, &f->env, "node-1", time_now_ms() + 7200000, 3600000), 1);
	fx = get_fax(f, "fax_o");
	assert_string_equal(str(fx, "status"), "queued");
	json_decref(fx);
}

/* Sends on the job queue: a fax without a send job gets one from the
 * safety net (once); its run claims it when due and not before; another
 * node's run waits for the attempt's lease, then takes it over from the
 * first unconfirmed page; a retry scheduled names the next attempt's time;
 * a final fax ends its job. */
static int send_jobs_of(struct fx *f, const char *id)
{
	store_tx_t *tx = store_begin(f->st, false);
	json_t *j = store_job_by_ref(tx, FAX_SEND_JOB, id);
	store_rollback(tx);
	int n = j && strcmp(str(j, "state"), "queued") == 0;
	json_decref(j);
	return n;
}

static void test_send_claim_one(void **state)
{
	struct fx *f = *state;
	f->env.lease_ms = 10000;
	make_fax(f, "fax_s", 3, 3);
	assert_int_equal(send_jobs_of(f, "fax_s"), 0);
	assert_int_equal(dom_fax_send_jobs(f->st, 10), 1);
	assert_int_equal(dom_fax_send_jobs(f->st, 10), 0);
	assert_int_equal(send_jobs_of(f, "fax_s"), 1);
	fax_job_t j[1], k[1];
	int64_t t0 = time_now_ms(), again = 0;
	assert_int_equal(dom_fax_claim_one(f->st, &f->env, "node-1", "fax_s", t0, 500, j, &again), 1);
	assert_int_equal(j[0].first_page, 1);
	assert_int_equal(dom_fax_page_confirmed(f->st, &j[0], 1), 0);
	/* node-2's run waits for the attempt's lease, pushed on while the
	 * call runs; node-1 then died. */
	assert_int_equal(dom_fax_claim_one(f->st, &f->env, "node-2", "fax_s", t0 + 5000, 500, k, &again), 0);
	assert_int_equal(again, t0 + 10001);
	store_tx_t *tx = store_begin(f->st, true);
	assert_int_equal(dom_fax_attempt_hold(tx, &f->env, &j[0], t0 + 8000), STORE_OK);
	assert_int_equal(store_commit(tx), STORE_OK);
	assert_int_equal(dom_fax_claim_one(f->st, &f->env, "node-2", "fax_s", t0 + 12000, 500, k, &again), 0);
	assert_int_equal(again, t0 + 18001);
	assert_int_equal(dom_fax_claim_one(f->st, &f->env, "node-2", "fax_s", t0 + 18002, 500, k, &again), 1);
	assert_int_equal(k[0].first_page, 2);
	assert_int_equal(k[0].attempt, 2);
	json_t *at = attempts(f, "fax_s");
	assert_string_equal(str(json_array_get(at, 0), "result"), "interrupted");
	json_decref(at);
	fax_job_clear(&j[0]);
	/* Busy: a retry 300 s on, which the job's next run waits for. */
	fax_result_t r;
	result_fail(&r, "busy", "busy", 0);
	assert_int_equal(dom_fax_finish(f->st, &f->env, &k[0], &r), 0);
	fax_job_clear(&k[0]);
	int64_t next = 0;
	assert_int_equal(dom_fax_send_next(f->st, "fax_s", &next), 0);
	assert_true(next >= t0 + 300000);
	assert_int_equal(dom_fax_claim_one(f->st, &f->env, "node-2", "fax_s", next - 1, 500, k, &again), 0);
	assert_int_equal(again, next);
	assert_int_equal(dom_fax_claim_one(f->st, &f->env, "node-2", "fax_s", next, 500, k, &again), 1);
	result_ok(&r, 2);
	assert_int_equal(dom_fax_finish(f->st, &f->env, &k[0], &r), 0);
	fax_job_clear(&k[0]);
	assert_int_equal(dom_fax_send_next(f->st, "fax_s", &next), 0);
	assert_int_equal(next, -1);
	assert_int_equal(dom_fax_claim_one(f->st, &f->env, "node-2", "fax_s", next, 500, k, &again), 0);
	assert_int_equal(again, -1);
	json_t *fx = get_fax(f, "fax_s");
	assert_string_equal(str(fx, "status"), "delivered");
	json_decref(fx);
}

/* Several nodes on one database: node-1 claims a fax and dies after its
 * first page; its lease keeps the job while it is renewed; once it has
 * passed, node-2 takes the job over and sends only the pages left. node-1,
 * had it only stalled, finds its call taken over and leaves the fax alone. */
static void test_lease_take_over(void **state)
{
	struct fx *f = *state;
	f->env.lease_ms = 10000;
	make_fax(f, "fax_l", 3, 3);
	fax_job_t j[1], k[1];
	int64_t t0 = time_now_ms();
	assert_int_equal(claim(f, t0, j, 1), 1);
	assert_int_equal(dom_fax_page_confirmed(f->st, &j[0], 1), 0);
	/* Within the lease: nobody takes it, not even when node-1 renewed late. */
	assert_int_equal(dom_fax_take_over(f->st, &f->env, "node-2", t0 + 9000), 0);
	assert_int_equal(hold(f, &j[0], t0 + 9000), STORE_OK);
	assert_int_equal(dom_fax_take_over(f->st, &f->env, "node-2", t0 + 15000), 0);
	/* Its own node never takes its attempts over (it renews them). */
	assert_int_equal(dom_fax_take_over(f->st, &f->env, "node-1", t0 + 60000), 0);
	json_t *fx = get_fax(f, "fax_l");
	assert_string_equal(str(fx, "status"), "sending");
	json_decref(fx);
	/* The renewed lease has passed: node-2 takes the job over. */
	assert_int_equal(dom_fax_take_over(f->st, &f->env, "node-2", t0 + 19001), 1);
	fx = get_fax(f, "fax_l");
	assert_string_equal(str(fx, "status"), "queued");
	assert_int_equal(num(fx, "attempts_made"), 0);
	json_decref(fx);
	/* Its call, still held by node-1, is not its own any more. */
	assert_int_equal(hold(f, &j[0], t0 + 19002), STORE_NOTFOUND);
	assert_int_equal(claim_by(f, "node-2", t0 + 19002, k, 1), 1);
	assert_int_equal(k[0].first_page, 2);
	assert_int_equal(k[0].attempt, 2);
	/* node-1 was alive after all: its call's end changes nothing. */
	fax_result_t r;
	result_ok(&r, 3);
	assert_int_equal(dom_fax_finish(f->st, &f->env, &j[0], &r), 0);
	fx = get_fax(f, "fax_l");
	assert_string_equal(str(fx, "status"), "sending");
	json_decref(fx);
	fax_job_clear(&j[0]);
	assert_int_equal(dom_fax_page_confirmed(f->st, &k[0], 2), 0);
	assert_int_equal(dom_fax_page_confirmed(f->st, &k[0], 3), 0);
	result_ok(&r, 2);
	assert_int_equal(dom_fax_finish(f->st, &f->env, &k[0], &r), 0);
	fax_job_clear(&k[0]);
	fx = get_fax(f, "fax_l");
	assert_string_equal(str(fx, "status"), "delivered");
	assert_int_equal(num(fx, "pages_confirmed"), 3);
	json_decref(fx);
	json_t *at = attempts(f, "fax_l");
	assert_int_equal(json_array_size(at), 2);
	assert_string_equal(str(json_array_get(at, 0), "result"), "interrupted");
	assert_string_equal(str(json_array_get(at, 0), "node"), "node-1");
	assert_int_equal(num(json_array_get(at, 0), "pages_confirmed"), 1);
	assert_string_equal(str(json_array_get(at, 1), "result"), "ok");
	assert_string_equal(str(json_array_get(at, 1), "node"), "node-2");
	assert_int_equal(num(json_array_get(at, 1), "first_page"), 2);
	json_decref(at);
	assert_int_equal(confirmed_pages(f, "fax_l"), 3);
}

/* A call's end recorded late (the store refused it while no primary
 * answered, then took it): the CDR carries the call's own end time, and
 * the fax goes on as if it had been recorded at once. */
static void test_finish_late(void **state)
{
	struct fx *f = *state;
	make_fax(f, "fax_e", 2, 3);
	fax_job_t j[1];
	int64_t t0 = time_now_ms();
	assert_int_equal(claim(f, t0, j, 1), 1);
	assert_int_equal(dom_fax_page_confirmed(f->st, &j[0], 1), 0);
	fax_result_t r;
	result_ok(&r, 2);
	r.duration_ms = 0;
	int64_t ended = j[0].started_at + 1234;
	assert_int_equal(dom_fax_finish_at(f->st, &f->env, &j[0], &r, ended), 0);
	fax_job_clear(&j[0]);
	json_t *at = attempts(f, "fax_e");
	assert_int_equal(json_array_size(at), 1);
	assert_string_equal(str(json_array_get(at, 0), "result"), "ok");
	assert_int_equal(num(json_array_get(at, 0), "ended_at"), ended);
	assert_int_equal(num(json_array_get(at, 0), "duration_ms"), 1234);
	json_decref(at);
	json_t *fx = get_fax(f, "fax_e");
	assert_string_equal(str(fx, "status"), "delivered");
	json_decref(fx);
	assert_int_equal(confirmed_pages(f, "fax_e"), 2);
}

static void test_claim_limits(void **state)
{
	struct fx *f = *state;
	char id[32];
	for (int i = 0; i < FAX_ACCOUNT_MAX_CALLS + 2; i++) {
		snprintf(id, sizeof id, "fax_l%d", i);
		make_fax(f, id, 1, 3);
	}
	/* One account holds at most FAX_ACCOUNT_MAX_CALLS calls at once. */
	fax_job_t j[FAX_ACCOUNT_MAX_CALLS + 2];
	assert_int_equal(claim(f, time_now_ms(), j, FAX_ACCOUNT_MAX_CALLS + 2), FAX_ACCOUNT_MAX_CALLS);
	fax_job_t more[2];
	assert_int_equal(claim(f, time_now_ms(), more, 2), 0);
	/* One ends: one more may start. */
	fax_result_t r;
	result_ok(&r, 1);
	assert_int_equal(dom_fax_finish(f->st, &f->env, &j[0], &r), 0);
	assert_int_equal(claim(f, time_now_ms(), more, 2), 1);
	fax_job_clear(&more[0]);
	for (int i = 0; i < FAX_ACCOUNT_MAX_CALLS; i++)
		fax_job_clear(&j[i]);
	/* A destination no trunk reaches any more fails at the claim. */
	store_tx_t *tx = store_begin(f->st, true);
	json_t *fx = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:I, s:I, s:s}", "id", "fax_nr",
		"account_id", "acc_b", "direction", "outbound", "status", "queued", "to_number",
		"+4930123456", "doc_id", "doc_x", "page_count", 1, "next_attempt_at", (json_int_t)0,
		"created_at", (json_int_t)1, "updated_at", (json_int_t)1, "currency", "EUR");
	json_t *acc = json_pack("{s:s, s:s, s:s, s:I, s:I}", "id", "acc_b", "name", "B", "status",
		"active", "created_at", (json_int_t)1, "updated_at", (json_int_t)1);
	assert_int_equal(store_account_insert(tx, acc), STORE_OK);
	assert_int_equal(store_fax_insert(tx, fx), STORE_OK);
	assert_int_equal(store_fax_pages_init(tx, "fax_nr", 1, "queued"), STORE_OK);
	json_decref(fx);
	json_decref(acc);
	assert_int_equal(store_commit(tx), STORE_OK);
	track(f, "fax_nr");
	assert_int_equal(claim(f, time_now_ms(), more, 2), 0);
	tx = store_begin(f->st, false);
	fx = store_fax_get(tx, "acc_b", "fax_nr");
	store_rollback(tx);
	assert_string_equal(str(fx, "status"), "failed");
	assert_string_equal(str(fx, "failure_class"), "no_route");
	json_decref(fx);
}

/* A submission accepted (originals stored, faxes in rendering) when the
 * daemon died, before its rendering ended. */
static void make_submission(struct fx *f, const char *sub, const char *fax, const char *content)
{
	track(f, fax);
	store_tx_t *tx = store_begin(f->st, true);
	char doc[DOC_ID_MAX];
	assert_int_equal(doc_put_tx(tx, &f->env, "acc_a", "original", content, strlen(content), -1,
		doc), 0);
	char orig[100];
	snprintf(orig, sizeof orig, "[\"%s\"]", doc);
	json_t *row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "id", sub, "account_id", "acc_a",
		"user_id", "usr_u", "originals", orig, "options",
		"{\"to\":[\"" TO "\"],\"from\":\"\",\"lang\":\"fr\",\"fine\":true}",
		"created_at", (json_int_t)1);
	assert_int_equal(store_submission_insert(tx, row), STORE_OK);
	json_decref(row);
	json_t *fx = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "id", fax,
		"account_id", "acc_a", "user_id", "usr_u", "direction", "outbound", "status", "rendering",
		"to_number", TO, "submission_id", sub, "created_at", (json_int_t)1, "updated_at",
		(json_int_t)1, "currency", "EUR");
	assert_int_equal(store_fax_insert(tx, fx), STORE_OK);
	json_decref(fx);
	assert_int_equal(store_commit(tx), STORE_OK);
}

static void test_recover_rendering(void **state)
{
	struct fx *f = *state;
	make_submission(f, "sub_ok", "fax_r", "Bonjour,\nune lettre.\n");
	make_submission(f, "sub_bad", "fax_k", "%PDF-1.4\n1 0 obj << /Pages 9 0 R >> endobj\n");
	assert_int_equal(dom_fax_recover(f->st, &f->env, "node-1", time_now_ms(), 0), 2);
	json_t *fx = get_fax(f, "fax_r");
	assert_string_equal(str(fx, "status"), "queued");
	assert_int_equal(num(fx, "page_count"), 1);
	assert_int_equal(num(fx, "estimated_cost"), PRICE);
	assert_true(strncmp(str(fx, "doc_id"), "doc_", 4) == 0);
	json_decref(fx);
	fx = get_fax(f, "fax_k");
	assert_string_equal(str(fx, "status"), "failed");
	assert_string_equal(str(fx, "failure_class"), "document");
	assert_true(strlen(str(fx, "failure_reason")) > 10);
	json_decref(fx);
	store_tx_t *tx = store_begin(f->st, false);
	json_t *subs = store_submissions_all(tx);
	assert_int_equal(json_array_size(subs), 0);
	json_decref(subs);
	store_rollback(tx);
	/* The originals are gone: only the rendered document is left. */
	assert_int_equal(dom_docs_sweep_orphans(f->st, &f->env, 0), 0);
	fax_job_t j[1];
	assert_int_equal(claim(f, time_now_ms(), j, 1), 1);
	assert_string_equal(j[0].fax_id, "fax_r");
	fax_job_clear(&j[0]);
}

/* The render job: a submission enqueued with its job is the queue's, not
 * the recovery's at a start; one run each renders and settles it (queued
 * with its pages, or failed with the renderer's reason, holding none), and
 * nothing is left to run or render again. */
static void test_render_job(void **state)
{
	struct fx *f = *state;
	make_submission(f, "sub_j", "fax_j", "Bonjour,\nune lettre.\n");
	make_submission(f, "sub_b", "fax_b", "%PDF-1.4\n1 0 obj << /Pages 9 0 R >> endobj\n");
	store_tx_t *tx = store_begin(f->st, true);
	assert_int_equal(fax_render_enqueue(tx, "acc_a", "sub_j", "127.0.0.1", "req_1"), 0);
	assert_int_equal(fax_render_enqueue(tx, "acc_a", "sub_b", "127.0.0.1", "req_2"), 0);
	assert_int_equal(store_commit(tx), STORE_OK);
	assert_int_equal(dom_fax_recover(f->st, &f->env, "node-1", time_now_ms(), 0), 0);
	json_t *fx = get_fax(f, "fax_j");
	assert_string_equal(str(fx, "status"), "rendering");
	json_decref(fx);
	dom_config_t cfg = { .fax = &f->env };
	queue_config_t qc = { .node = "node-1" };
	queue_t *q = queue_new(f->st, &qc);
	assert_int_equal(fax_render_register(q, &cfg), 0);
	assert_int_equal(queue_run_once(q), 1);
	assert_int_equal(queue_run_once(q), 1);
	assert_int_equal(queue_run_once(q), 0);
	queue_stop(q);
	fx = get_fax(f, "fax_j");
	assert_string_equal(str(fx, "status"), "queued");
	assert_int_equal(num(fx, "page_count"), 1);
	assert_int_equal(num(fx, "estimated_cost"), PRICE);
	json_decref(fx);
	fx = get_fax(f, "fax_b");
	assert_string_equal(str(fx, "status"), "failed");
	assert_string_equal(str(fx, "failure_class"), "document");
	assert_true(strlen(str(fx, "failure_reason")) > 10);
	assert_int_equal(num(fx, "page_count"), 0);
	json_decref(fx);
	tx = store_begin(f->st, false);
	json_t *subs = store_submissions_all(tx);
	assert_int_equal(json_array_size(subs), 0);
	json_decref(subs);
	store_rollback(tx);
	assert_int_equal(dom_fax_recover(f->st, &f->env, "node-1", time_now_ms(), 0), 0);
	assert_int_equal(dom_docs_sweep_orphans(f->st, &f->env, 0), 0);
}

/* The render job needs no work directory (the originals and the rendered
 * document go through memfds) and ends in the transaction that queues its
 * fax: a claim and that one, two write transactions a run. */
static void test_render_job_no_files(void **state)
{
	struct fx *f = *state;
	make_submission(f, "sub_m", "fax_m", "Bonjour,\nune lettre.\n");
	store_tx_t *tx = store_begin(f->st, true);
	assert_int_equal(fax_render_enqueue(tx, "acc_a", "sub_m", "127.0.0.1", "req_1"), 0);
	assert_int_equal(store_commit(tx), STORE_OK);
	/* A work directory that cannot be made (under a plain file). */
	char file[600], work[700];
	snprintf(file, sizeof file, "%s/plain", f->dir);
	int fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(work, sizeof work, "%s/work", file);
	f->env.work_dir = work;
	dom_config_t cfg = { .fax = &f->env };
	queue_config_t qc = { .node = "node-1" };
	queue_t *q = queue_new(f->st, &qc);
	assert_int_equal(fax_render_register(q, &cfg), 0);
	uint64_t w0 = store_write_txs(f->st);
	assert_int_equal(queue_run_once(q), 1);
	assert_int_equal(store_write_txs(f->st) - w0, 2);
	assert_int_equal(queue_run_once(q), 0);
	queue_stop(q);
	json_t *fx = get_fax(f, "fax_m");
	assert_string_equal(str(fx, "status"), "queued");
	assert_int_equal(num(fx, "page_count"), 1);
	json_decref(fx);
	tx = store_begin(f->st, false);
	json_t *job = store_job_by_ref(tx, FAX_RENDER_JOB, "sub_m");
	store_rollback(tx);
	assert_non_null(job);
	assert_string_equal(str(job, "state"), "done");
	json_decref(job);
}

/* A send job's run as the service's (faxsvc.c send_run): the fax claimed,
 * its call's end recorded with the job named; the job ends in the
 * transaction that makes the fax final, not in one of its own. */
static fax_job_t send_claimed;
static enum queue_outcome send_like_service(const queue_job_t *job, void *arg, char *why,
	size_t whylen)
{
	(void)why;
	(void)whylen;
	struct fx *f = arg;
	int64_t again;
	fax_job_t *j = &send_claimed;
	if (dom_fax_claim_one(f->st, &f->env, "node-1", str(job->payload, "fax"), time_now_ms(), 500,
		    j, &again) != 1)
		return QUEUE_RETRY;
	j->send_job = job;
	fax_result_t r;
	result_ok(&r, j->page_count);
	int rc = dom_fax_finish(f->st, &f->env, j, &r);
	fax_job_clear(j);
	return rc == 0 ? QUEUE_DONE : QUEUE_RETRY;
}

static void test_send_job_ends_with_fax(void **state)
{
	struct fx *f = *state;
	make_fax(f, "fax_e", 1, 3);
	assert_int_equal(dom_fax_send_jobs(f->st, 10), 1);
	queue_config_t qc = { .node = "node-1" };
	queue_t *q = queue_new(f->st, &qc);
	queue_kind_t k = { .kind = FAX_SEND_JOB, .run = send_like_service, .arg = f };
	assert_int_equal(queue_register(q, &k), 0);
	uint64_t w0 = store_write_txs(f->st);
	assert_int_equal(queue_run_once(q), 1);
	/* the job's claim, the fax's claim, the call's end: no fourth */
	assert_int_equal(store_write_txs(f->st) - w0, 3);
	assert_int_equal(queue_run_once(q), 0);
	queue_stop(q);
	json_t *fx = get_fax(f, "fax_e");
	assert_string_equal(str(fx, "status"), "delivered");
	json_decref(fx);
	store_tx_t *tx = store_begin(f->st, false);
	json_t *job = store_job_by_ref(tx, FAX_SEND_JOB, "fax_e");
	store_rollback(tx);
	assert_non_null(job);
	assert_string_equal(str(job, "state"), "done");
	json_decref(job);
}

static void test_cancel_during_call(void **state)
{
	struct fx *f = *state;
	make_fax(f, "fax_x", 2, 3);
	fax_job_t j[1];
	assert_int_equal(claim(f, time_now_ms(), j, 1), 1);
	assert_int_equal(dom_fax_cancelled(f->st, "fax_x"), 0);
	store_tx_t *tx = store_begin(f->st, true);
	json_t *upd = json_pack("{s:s}", "status", "cancelled");
	assert_int_equal(store_fax_update_if(tx, "fax_x", "sending", upd), STORE_OK);
	json_decref(upd);
	assert_int_equal(store_commit(tx), STORE_OK);
	assert_int_equal(dom_fax_cancelled(f->st, "fax_x"), 1);
	/* The dispatcher's check of all its calls in one transaction: an
	 * unknown fax is not cancelled. */
	const char ids[3][64] = { "fax_none", "fax_x", "fax_none2" };
	int c[3] = { 7, 7, 7 };
	assert_int_equal(dom_fax_cancelled_n(f->st, ids, 3, c), 0);
	assert_int_equal(c[0], 0);
	assert_int_equal(c[1], 1);
	assert_int_equal(c[2], 0);
	/* More calls than one query's ids (STORE_FAX_CANCELLED_CHUNK): the
	 * cancelled one found in the second query, at its place. */
	char many[STORE_FAX_CANCELLED_CHUNK + 3][64];
	int cm[STORE_FAX_CANCELLED_CHUNK + 3];
	for (int i = 0; i < STORE_FAX_CANCELLED_CHUNK + 3; i++) {
		snprintf(many[i], sizeof many[i], "fax_none%d", i);
		cm[i] = 7;
	}
	snprintf(many[STORE_FAX_CANCELLED_CHUNK + 1], sizeof many[0], "fax_x");
	assert_int_equal(dom_fax_cancelled_n(f->st, (const char (*)[64])many,
		STORE_FAX_CANCELLED_CHUNK + 3, cm), 0);
	for (int i = 0; i < STORE_FAX_CANCELLED_CHUNK + 3; i++)
		assert_int_equal(cm[i], i == STORE_FAX_CANCELLED_CHUNK + 1);
	fax_result_t r;
	result_fail(&r, "network", "the call was ended", 1);
	assert_int_equal(dom_fax_finish(f->st, &f->env, &j[0], &r), 0);
	fax_job_clear(&j[0]);
	json_t *fx = get_fax(f, "fax_x");
	assert_string_equal(str(fx, "status"), "cancelled");
	assert_int_equal(num(fx, "pages_confirmed"), 1);
	assert_int_equal(num(fx, "cost"), PRICE);
	json_decref(fx);
}

static void test_inbound(void **state)
{
	struct fx *f = *state;
	char path[300], id[64] = "";
	snprintf(path, sizeof path, "%s/in.tif", f->dir);
	FILE *t = fopen(path, "wb");
	fputs("II*\0received pages", t);
	fclose(t);
	json_t *route = json_pack("{s:s, s:s, s:s, s:s}", "number", TO, "account_id", "acc_a",
		"route_to", "usr_r", "trunk_id", "loopback");
	fax_result_t r;
	fax_result_init(&r, 0);
	r.ok = 1;
	r.answered = r.t30_heard = 1;
	r.pages_received = 2;
	r.npages = 2;
	r.pages[0].page = 1;
	snprintf(r.pages[0].result, sizeof r.pages[0].result, "OK");
	r.pages[1].page = 2;
	snprintf(r.pages[1].result, sizeof r.pages[1].result, "BAD");
	snprintf(r.from_user, sizeof r.from_user, "+12125550100");
	snprintf(r.transport, sizeof r.transport, "g711");
	assert_int_equal(dom_fax_inbound(f->st, &f->env, route, path, &r, id), 0);
	/* Tried again with its id (as after a commit whose answer was lost):
	 * found stored, not filed twice (one CDR below). */
	char again[64];
	snprintf(again, sizeof again, "%s", id);
	assert_int_equal(dom_fax_inbound(f->st, &f->env, route, path, &r, again), 0);
	assert_string_equal(again, id);
	json_decref(route);
	json_t *fx = get_fax(f, id);
	assert_string_equal(str(fx, "direction"), "inbound");
	assert_string_equal(str(fx, "status"), "received");
	assert_string_equal(str(fx, "user_id"), "usr_r");
	assert_string_equal(str(fx, "from_number"), "+12125550100");
	assert_int_equal(num(fx, "page_count"), 2);
	/* The stored document decrypts to what was received. */
	store_tx_t *tx = store_begin(f->st, false);
	char out[300];
	snprintf(out, sizeof out, "%s/out.tif", f->dir);
	assert_int_equal(doc_get_file_tx(tx, &f->env, "acc_a", str(fx, "doc_id"), out), 0);
	json_t *pages = store_fax_pages(tx, id);
	assert_string_equal(str(json_array_get(pages, 1), "status"), "bad");
	json_decref(pages);
	store_cdr_filter_t cf = { .account_id = "acc_a", .direction = "inbound" };
	store_page_t pg;
	assert_int_equal(store_cdr_list(tx, &cf, NULL, 0, &pg), STORE_OK);
	assert_int_equal(json_array_size(pg.items), 1);
	assert_string_equal(str(json_array_get(pg.items, 0), "result"), "ok");
	store_page_free(&pg);
	store_rollback(tx);
	json_decref(fx);
}

static void test_csv(void **state)
{
	(void)state;
	static const struct { const char *in, *out; } cases[] = {
		{ "plain", "plain" }, { "", "" }, { "a,b", "\"a,b\"" }, { "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ "two\nlines", "\"two\nlines\"" }, { "cr\r", "\"cr\r\"" }, { " lead", "\" lead\"" },
		{ "=cmd()", "\"=cmd()\"" }, { "+33100000002", "\"+33100000002\"" },
		{ "-1", "\"-1\"" }, { "@x", "\"@x\"" }, { "é,ü", "\"é,ü\"" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		buf_t b;
		buf_init(&b, 1024);
		assert_int_equal(csv_field(&b, cases[i].in), 0);
		assert_int_equal(b.len, strlen(cases[i].out));
		assert_memory_equal(b.data, cases[i].out, b.len);
		buf_free(&b);
	}
	json_t *items = json_pack("[{s:s, s:s, s:i, s:b, s:n}]", "id", "att_1", "remote_ident",
		"ACME, Inc.", "cost", 24, "ecm", 1, "answered_at");
	char *csv = cdr_csv(items);
	assert_non_null(csv);
	assert_int_equal(strncmp(csv, "id,fax_id,account_id,user_id,attempt,direction,from,to,", 36), 0);
	assert_non_null(strstr(csv, "\r\natt_1,"));
	assert_non_null(strstr(csv, ",\"ACME, Inc.\","));
	assert_non_null(strstr(csv, ",true,"));
	assert_non_null(strstr(csv, ",24\r\n"));
	free(csv);
	json_decref(items);
	items = json_array();
	csv = cdr_csv(items);
	assert_non_null(strstr(csv, "failure_class,cost\r\n"));
	free(csv);
	json_decref(items);
}

int main(void)
{
	sec_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_docs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shred_after_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fax_delete_after_commit, setup, teardown),
		cmocka_unit_test(test_opts),
		cmocka_unit_test_setup_teardown(test_claim_delivered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_then_rest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retries_run_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_recovery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease_take_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_claim_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_late, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover_rendering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_job, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_job_no_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_job_ends_with_fax, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_during_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inbound, setup, teardown),
		cmocka_unit_test(test_csv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
