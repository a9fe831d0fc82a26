/* The job queue (src/queue) on a real store: SQLite, or PostgreSQL with
 * FV_TEST_PG (test_queue_pg). Times move with the test clock
 * (time_set_offset_ms): nothing sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/test_db.h"
#include "queue.h"
#include "store_jobs.h"
#include "sweep.h"
#include "timeutil.h"

struct fix {
	char where[512];
	store_t *st;
};

/* What the test handler saw and should answer. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int runs, failed_calls;
static int last_attempt;
static char last_progress[128], failed_why[128];
static enum queue_outcome answer;
static bool record_progress;

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof *f);
	test_db_new(f->where, sizeof f->where);
	f->st = test_db_open(f->where);
	assert_non_null(f->st);
	runs = failed_calls = last_attempt = 0;
	last_progress[0] = failed_why[0] = '\0';
	answer = QUEUE_DONE;
	record_progress = false;
	time_set_offset_ms(0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	store_close(f->st);
	test_db_remove(f->where);
	free(f);
	time_set_offset_ms(0);
	return 0;
}

static enum queue_outcome run(const queue_job_t *job, void *arg, char *why, size_t whylen)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	runs++;
	last_attempt = job->attempt;
	char *p = job->progress ? json_dumps(job->progress, JSON_COMPACT) : NULL;
	snprintf(last_progress, sizeof last_progress, "%s", p ? p : "");
	free(p);
	enum queue_outcome o = answer;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	if (record_progress) {
		store_tx_t *tx = store_begin(job->st, true);
		json_t *pr = json_pack("{s:i}", "done", job->attempt);
		assert_int_equal(queue_job_hold(tx, job), STORE_OK);
		assert_int_equal(queue_job_progress(tx, job, pr), STORE_OK);
		json_decref(pr);
		assert_int_equal(store_commit(tx), STORE_OK);
	}
	if (o != QUEUE_DONE)
		snprintf(why, whylen, "the line was busy");
	return o;
}

static int failed(store_tx_t *tx, const queue_job_t *job, void *arg, const char *why)
{
	(void)tx;
	(void)job;
	(void)arg;
	failed_calls++;
	snprintf(failed_why, sizeof failed_why, "%s", why);
	return 0;
}

static queue_t *new_queue(store_t *st, const char *node, int64_t fallback_ms)
{
	queue_config_t cfg = { .node = node, .workers = 1, .fallback_ms = fallback_ms };
	queue_t *q = queue_new(st, &cfg);
	queue_kind_t k = { .kind = "test", .run = run, .failed = failed, .lease_ms = 60000,
		.backoff_ms = 10000 };
	assert_int_equal(queue_register(q, &k), 0);
	assert_int_equal(queue_register(q, &k), -1); /* a kind once */
	return q;
}

static json_t *job(store_t *st, const char *id)
{
	store_tx_t *tx = store_begin(st, false);
	json_t *j = store_job_get(tx, NULL, id);
	store_rollback(tx);
	return j;
}

static const char *state_of(json_t *j)
{
	return json_string_value(json_object_get(j, "state"));
}

static void enqueue(store_t *st, int max_attempts, char id[QUEUE_ID_MAX])
{
	store_tx_t *tx = store_begin(st, true);
	json_t *p = json_pack("{s:s}", "what", "page 1");
	assert_int_equal(queue_enqueue(tx, "test", "acc_1", "ref_1", p, max_attempts, 0, id), 0);
	json_decref(p);
	assert_int_equal(store_commit(tx), STORE_OK);
}

/* A purge's record: how many jobs it deleted into *arg, or refused
 * (*arg < 0). */
static int purged(store_tx_t *tx, int n, int64_t before, void *arg)
{
	(void)tx;
	(void)before;
	int *seen = arg;
	if (*seen < 0)
		return -1;
	*seen = n;
	return 0;
}

/* A job exists if and only if the transaction that enqueued it commits. */
static void test_enqueue_in_transaction(void **state)
{
	struct fix *f = *state;
	char id[QUEUE_ID_MAX];
	store_tx_t *tx = store_begin(f->st, true);
	assert_int_equal(queue_enqueue(tx, "test", NULL, NULL, NULL, 0, 0, id), 0);
	store_rollback(tx);
	json_t *j = job(f->st, id);
	assert_null(j);
	queue_t *q = new_queue(f->st, "a", 0);
	assert_int_equal(queue_run_once(q), 0);
	enqueue(f->st, 0, id);
	j = job(f->st, id);
	assert_string_equal(state_of(j), "queued");
	json_decref(j);
	assert_int_equal(queue_run_once(q), 1);
	assert_int_equal(runs, 1);
	assert_int_equal(last_attempt, 1);
	j = job(f->st, id);
	assert_string_equal(state_of(j), "done");
	assert_true(json_is_integer(json_object_get(j, "finished_at")));
	json_decref(j);
	assert_int_equal(queue_run_once(q), 0);
	/* Its view, scoped by account. */
	tx = store_begin(f->st, false);
	json_t *v = queue_job_view(tx, NULL, id), *none = queue_job_view(tx, "acc_2", id);
	store_rollback(tx);
	assert_string_equal(json_string_value(json_object_get(v, "state")), "done");
	assert_null(none);
	json_decref(v);
	tx = store_begin(f->st, false);
	json_t *byref = store_job_by_ref(tx, "test", "ref_1");
	store_rollback(tx);
	assert_string_equal(json_string_value(json_object_get(byref, "id")), id);
	json_decref(byref);
	queue_stop(q);
}

/* A failing run comes back after the backoff (10 s, then 20 s), then the
 * job fails for good at max_attempts and the failed hook records it. */
static void test_retry_backoff_then_failed(void **state)
{
	struct fix *f = *state;
	char id[QUEUE_ID_MAX];
	queue_t *q = new_queue(f->st, "a", 0);
	enqueue(f->st, 3, id);
	answer = QUEUE_RETRY;
	assert_int_equal(queue_run_once(q), 1);
	json_t *j = job(f->st, id);
	assert_string_equal(state_of(j), "queued");
	assert_string_equal(json_string_value(json_object_get(j, "last_error")), "the line was busy");
	json_decref(j);
	assert_int_equal(queue_run_once(q), 0); /* not before its time */
	time_set_offset_ms(9000);
	assert_int_equal(queue_run_once(q), 0);
	time_set_offset_ms(10500);
	assert_int_equal(queue_run_once(q), 1);
	assert_int_equal(last_attempt, 2);
	time_set_offset_ms(10500 + 19000);
	assert_int_equal(queue_run_once(q), 0); /* doubled: 20 s */
	time_set_offset_ms(10500 + 21000);
	assert_int_equal(queue_run_once(q), 1);
	assert_int_equal(last_attempt, 3);
	j = job(f->st, id);
	assert_string_equal(state_of(j), "failed");
	assert_int_equal(json_integer_value(json_object_get(j, "attempts")), 3);
	json_decref(j);
	assert_int_equal(failed_calls, 1);
	assert_string_equal(failed_why, "the line was busy");
	time_set_offset_ms(86400000);
	assert_int_equal(queue_run_once(q), 0);
	queue_stop(q);
}

/* A node that dies holding a job: its lease passes and another node takes
 * the job over, with the progress the first run committed; the dead node's
 * late end is refused (fenced). */
static void test_lease_takeover_resumes(void **state)
{
	struct fix *f = *state;
	char id[QUEUE_ID_MAX];
	enqueue(f->st, 0, id);
	/* Node "dead" claims it and records progress, then is killed. */
	store_tx_t *tx = store_begin(f->st, true);
	json_t *row = store_job_claim(tx, "test", time_now_ms(), "dead-1", 60000);
	assert_non_null(row);
	assert_int_equal(store_job_progress(tx, id, "dead-1", 1, "{\"docs\":7}", time_now_ms()),
		STORE_OK);
	json_decref(row);
	assert_int_equal(store_commit(tx), STORE_OK);
	queue_t *q = new_queue(f->st, "b", 0);
	assert_int_equal(queue_run_once(q), 0); /* its lease holds */
	time_set_offset_ms(61000);
	assert_int_equal(queue_run_once(q), 1);
	assert_int_equal(last_attempt, 2);
	assert_string_equal(last_progress, "{\"docs\":7}");
	json_t *j = job(f->st, id);
	assert_string_equal(state_of(j), "done");
	json_decref(j);
	tx = store_begin(f->st, true);
	assert_int_equal(store_job_end(tx, id, "dead-1", 1, "failed", 0, "late", false,
			 time_now_ms()),
		STORE_NOTFOUND);
	store_rollback(tx);
	queue_stop(q);
}

/* Runs that record progress: the next run sees it; a job whose runs keep
 * dying (leases passing) is given up after max_attempts. */
static void test_progress_and_poison(void **state)
{
	struct fix *f = *state;
	char id[QUEUE_ID_MAX];
	queue_t *q = new_queue(f->st, "a", 0);
	enqueue(f->st, 2, id);
	record_progress = true;
	answer = QUEUE_YIELD; /* a stop: again at once, the attempt not counted */
	assert_int_equal(queue_run_once(q), 1);
	answer = QUEUE_DONE;
	assert_int_equal(queue_run_once(q), 1);
	assert_int_equal(last_attempt, 1);
	assert_string_equal(last_progress, "{\"done\":1}");
	json_t *j = job(f->st, id);
	assert_string_equal(state_of(j), "done");
	json_decref(j);
	/* Poison: claimed twice by nodes that die. */
	enqueue(f->st, 2, id);
	for (int i = 0; i < 2; i++) {
		store_tx_t *tx = store_begin(f->st, true);
		json_t *row = store_job_claim(tx, "test", time_now_ms(), "dead", 1000);
		assert_non_null(row);
		json_decref(row);
		assert_int_equal(store_commit(tx), STORE_OK);
		time_set_offset_ms(2000 * (i + 1));
	}
	int before = runs;
	assert_int_equal(queue_run_once(q), 1);
	assert_int_equal(runs, before); /* not run a third time */
	j = job(f->st, id);
	assert_string_equal(state_of(j), "failed");
	json_decref(j);
	assert_non_null(strstr(failed_why, "given up after 2 attempts"));
	/* The series of /metrics. */
	buf_t b;
	buf_init(&b, 1024);
	queue_metrics(&b, f->st);
	assert_non_null(strstr(b.data, "faxvault_queue_jobs{kind=\"test\",state=\"done\"} 1\n"));
	assert_non_null(strstr(b.data, "faxvault_queue_jobs{kind=\"test\",state=\"failed\"} 1\n"));
	buf_free(&b);
	queue_stop(q);
}

/* Waits until runs reaches n, 60 s at most: 0 when it did. */
static int wait_runs(int n)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += 60;
	pthread_mutex_lock(&mu);
	int rc = 0;
	while (runs < n && rc == 0)
		rc = pthread_cond_timedwait(&cv, &mu, &t);
	int got = runs;
	pthread_mutex_unlock(&mu);
	return got >= n ? 0 : -1;
}

/* The workers sleep until notified: their safety-net timer is an hour, so
 * only the wake-up of the commit can have started the run. On PostgreSQL a
 * job written by another node (another store, no call into this process's
 * queue) wakes them by NOTIFY. */
static void test_woken_by_notification(void **state)
{
	struct fix *f = *state;
	queue_t *q = new_queue(f->st, "a", 3600000);
	char err[256];
	assert_int_equal(queue_start(q, err, sizeof err), 0);
	char id[QUEUE_ID_MAX];
	enqueue(f->st, 0, id);
	assert_int_equal(wait_runs(1), 0);
	if (test_db_pg()) {
		/* A job another node writes, told by NOTIFY only. */
		store_t *other = test_db_open(f->where);
		assert_non_null(other);
		store_tx_t *tx = store_begin(other, true);
		json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:I, s:I}", "id", "job_other", "kind", "test",
			"payload", "{}", "max_attempts", 1, "run_after", (json_int_t)time_now_ms(),
			"created_at", (json_int_t)time_now_ms());
		assert_int_equal(store_job_insert(tx, j), STORE_OK);
		json_decref(j);
		assert_int_equal(store_notify(tx, QUEUE_CHANNEL), STORE_OK);
		assert_int_equal(store_commit(tx), STORE_OK);
		assert_int_equal(wait_runs(2), 0);
		store_close(other);
	}
	queue_stop(q);
	json_t *j = job(f->st, id);
	assert_string_equal(state_of(j), "done");
	json_decref(j);
}

/* A kind's own schedule: 3 s after the first failure, 7 s after the second. */
static int64_t own_backoff(int attempt)
{
	return attempt == 1 ? 3000 : attempt == 2 ? 7000 : -1;
}

/* Operators: a kind's own retry schedule; a failed job listed with its
 * reason, queued again by queue_retry for one more attempt (a job not
 * failed is refused); depth by kind and state; finished jobs purged once
 * past their retention, queued ones never. */
static void test_operator_retry_purge(void **state)
{
	struct fix *f = *state;
	queue_config_t cfg = { .node = "a", .workers = 1 };
	queue_t *q = queue_new(f->st, &cfg);
	queue_kind_t k = { .kind = "test", .run = run, .failed = failed, .lease_ms = 60000,
		.backoff = own_backoff };
	assert_int_equal(queue_register(q, &k), 0);
	char id[QUEUE_ID_MAX], id2[QUEUE_ID_MAX];
	enqueue(f->st, 2, id);
	answer = QUEUE_RETRY;
	assert_int_equal(queue_run_once(q), 1);
	time_set_offset_ms(2900);
	assert_int_equal(queue_run_once(q), 0); /* its own 3 s, not 10 s */
	time_set_offset_ms(3100);
	assert_int_equal(queue_run_once(q), 1);
	assert_int_equal(last_attempt, 2);
	assert_int_equal(failed_calls, 1);
	enqueue(f->st, 1, id2);
	answer = QUEUE_DONE;
	assert_int_equal(queue_run_once(q), 1);
	store_tx_t *tx = store_begin(f->st, false);
	json_t *o = queue_overview(tx, 10);
	store_rollback(tx);
	assert_non_null(o);
	json_t *k0 = json_array_get(json_object_get(o, "kinds"), 0);
	assert_string_equal(json_string_value(json_object_get(k0, "kind")), "test");
	assert_int_equal(json_integer_value(json_object_get(k0, "failed")), 1);
	assert_int_equal(json_integer_value(json_object_get(k0, "done")), 1);
	assert_int_equal(json_integer_value(json_object_get(k0, "queued")), 0);
	json_t *f0 = json_array_get(json_object_get(o, "failed"), 0);
	assert_int_equal(json_array_size(json_object_get(o, "failed")), 1);
	assert_string_equal(json_string_value(json_object_get(f0, "id")), id);
	assert_string_equal(json_string_value(json_object_get(f0, "last_error")), "the line was busy");
	assert_string_equal(json_string_value(json_object_get(f0, "account_id")), "acc_1");
	assert_true(json_is_string(json_object_get(f0, "finished_at")));
	json_decref(o);
	/* Retried: one more attempt, at once; the done job cannot be. */
	tx = store_begin(f->st, true);
	assert_int_equal(queue_retry(tx, id2), STORE_NOTFOUND);
	assert_int_equal(queue_retry(tx, "job_none"), STORE_NOTFOUND);
	assert_int_equal(queue_retry(tx, id), STORE_OK);
	assert_int_equal(store_commit(tx), STORE_OK);
	json_t *j = job(f->st, id);
	assert_string_equal(state_of(j), "queued");
	assert_int_equal(json_integer_value(json_object_get(j, "max_attempts")), 3);
	json_decref(j);
	assert_int_equal(queue_run_once(q), 1);
	assert_int_equal(last_attempt, 3);
	j = job(f->st, id);
	assert_string_equal(state_of(j), "done");
	json_decref(j);
	/* Purged once past their retention (a day here), not before; a queued
	 * job stays whatever its age. */
	char id3[QUEUE_ID_MAX];
	enqueue(f->st, 1, id3);
	int64_t now = time_now_ms();
	int seen = 0;
	assert_int_equal(queue_purge(f->st, now - 86400000, 100, purged, &seen), 0);
	assert_int_equal(seen, 0); /* nothing purged: nothing recorded */
	time_set_offset_ms(3100 + 2 * 86400000LL);
	/* A record that cannot be written: nothing is deleted. */
	seen = -1;
	assert_int_equal(queue_purge(f->st, time_now_ms() - 86400000, 100, purged, &seen), -1);
	j = job(f->st, id);
	assert_non_null(j);
	json_decref(j);
	seen = 0;
	assert_int_equal(queue_purge(f->st, time_now_ms() - 86400000, 100, purged, &seen), 2);
	assert_int_equal(seen, 2); /* recorded with its count */
	assert_null(job(f->st, id));
	assert_null(job(f->st, id2));
	j = job(f->st, id3);
	assert_non_null(j);
	json_decref(j);
	queue_stop(q);
}

/* A job due later runs as soon as the test clock reaches it: the clock's
 * move wakes the workers (whose timer is an hour). */
static void test_woken_by_clock(void **state)
{
	struct fix *f = *state;
	queue_t *q = new_queue(f->st, "a", 3600000);
	char err[256];
	assert_int_equal(queue_start(q, err, sizeof err), 0);
	store_tx_t *tx = store_begin(f->st, true);
	json_t *p = json_object();
	assert_int_equal(queue_enqueue(tx, "test", NULL, NULL, p, 1, time_now_ms() + 3600000, NULL),
		0);
	json_decref(p);
	assert_int_equal(store_commit(tx), STORE_OK);
	pthread_mutex_lock(&mu);
	assert_int_equal(runs, 0);
	pthread_mutex_unlock(&mu);
	time_set_offset_ms(3600000 + 1000);
	assert_int_equal(wait_runs(1), 0);
	queue_stop(q);
}

/* Claims the next due job for lease owner owner (a lease of a minute): its id. */
static void claim_as(store_t *st, const char *owner, char id[QUEUE_ID_MAX])
{
	store_tx_t *tx = store_begin(st, true);
	json_t *row = store_job_claim(tx, "test", time_now_ms(), owner, 60000);
	assert_non_null(row);
	snprintf(id, QUEUE_ID_MAX, "%s", json_string_value(json_object_get(row, "id")));
	json_decref(row);
	assert_int_equal(store_commit(tx), STORE_OK);
}

/* A restart after a crash: the leases earlier processes of node "a" hold
 * (a process that is gone, or one with this very process id, as a
 * restarted container gets) are released at start and their jobs run at
 * once, the test clock not moved; the leases of node "b", of a node named
 * "a-x", and of a process of "a" still alive are kept until they pass. */
/* Waits until pid is a zombie (its /proc state Z): 0, or -1 after 60 s. */
static int poll_until_zombie(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	for (int i = 0; i < 6000; i++) {
		char buf[512] = "";
		FILE *fp = fopen(path, "r");
		if (fp) {
			size_t n = fread(buf, 1, sizeof buf - 1, fp);
			buf[n] = '\0';
			fclose(fp);
		}
		const char *rp = strrchr(buf, ')');
		if (rp && rp[1] == ' ' && rp[2] == 'Z')
			return 0;
		usleep(10000);
	}
	return -1;
}

static void test_restart_reclaims_own_leases(void **state)
{
	struct fix *f = *state;
	pid_t dead = fork();
	assert_true(dead >= 0);
	if (dead == 0)
		_exit(0);
	assert_int_equal(waitpid(dead, NULL, 0), dead);
	/* A zombie: dead, not reaped yet (kill(pid, 0) still succeeds). */
	pid_t zombie = fork();
	assert_true(zombie >= 0);
	if (zombie == 0)
		_exit(0);
	assert_int_equal(poll_until_zombie(zombie), 0);
	char owners[6][64];
	snprintf(owners[0], sizeof owners[0], "a-%ld", (long)dead);
	snprintf(owners[1], sizeof owners[1], "a-%ld", (long)getpid());
	snprintf(owners[2], sizeof owners[2], "a-%ld", (long)zombie);
	snprintf(owners[3], sizeof owners[3], "b-%ld", (long)dead);
	snprintf(owners[4], sizeof owners[4], "a-x-%ld", (long)dead);
	snprintf(owners[5], sizeof owners[5], "a-1"); /* init: alive */
	char ids[6][QUEUE_ID_MAX];
	for (int i = 0; i < 6; i++) {
		enqueue(f->st, 0, ids[i]);
		claim_as(f->st, owners[i], ids[i]);
	}
	queue_t *q = new_queue(f->st, "a", 3600000);
	assert_int_equal(queue_run_once(q), 0); /* every lease holds */
	char err[256];
	assert_int_equal(queue_start(q, err, sizeof err), 0);
	assert_int_equal(wait_runs(3), 0);
	queue_stop(q); /* the runs ended */
	assert_int_equal(waitpid(zombie, NULL, 0), zombie);
	assert_int_equal(runs, 3);
	assert_int_equal(last_attempt, 2); /* the dead run's attempt counts */
	for (int i = 0; i < 6; i++) {
		json_t *j = job(f->st, ids[i]);
		assert_string_equal(state_of(j), i < 3 ? "done" : "running");
		if (i >= 3)
			assert_string_equal(json_string_value(json_object_get(j, "lease_node")),
				owners[i]);
		json_decref(j);
	}
	buf_t b;
	buf_init(&b, 1024);
	queue_metrics(&b, f->st);
	assert_non_null(strstr(b.data, "\nfaxvault_queue_leases_reclaimed_total 3\n"));
	buf_free(&b);
}

/* One process, two runs of one job: the first run's lease is taken as
 * passed (it ran longer than its lease without holding it, or the clock
 * stepped forward) and another worker of the same process claims the job
 * again. The lease names the same node for both, so only the attempt
 * number tells them apart: the first run can no longer hold the lease,
 * record progress or end the job; the second can. */
static void test_stale_run_of_same_process_fenced(void **state)
{
	struct fix *f = *state;
	char id[QUEUE_ID_MAX];
	enqueue(f->st, 0, id);
	claim_as(f->st, "a-1", id);
	time_set_offset_ms(61000); /* the first run's lease has passed */
	char id2[QUEUE_ID_MAX];
	claim_as(f->st, "a-1", id2);
	assert_string_equal(id2, id);
	store_tx_t *tx = store_begin(f->st, true);
	int64_t now = time_now_ms();
	assert_int_equal(store_job_hold(tx, id, "a-1", 1, now + 60000), STORE_NOTFOUND);
	assert_int_equal(store_job_progress(tx, id, "a-1", 1, "{\"docs\":8}", now),
		STORE_NOTFOUND);
	assert_int_equal(store_job_end(tx, id, "a-1", 1, "done", now, NULL, false, now),
		STORE_NOTFOUND);
	assert_int_equal(store_job_progress(tx, id, "a-1", 2, "{\"docs\":9}", now), STORE_OK);
	assert_int_equal(store_job_end(tx, id, "a-1", 2, "done", now, NULL, false, now),
		STORE_OK);
	assert_int_equal(store_commit(tx), STORE_OK);
	json_t *j = job(f->st, id);
	assert_string_equal(state_of(j), "done");
	assert_string_equal(json_string_value(json_object_get(j, "progress")), "{\"docs\":9}");
	assert_int_equal(json_integer_value(json_object_get(j, "attempts")), 2);
	json_decref(j);
}

/* A process that runs no workers (queue.workers=0) still ends its dead
 * predecessors' leases (queue_reclaim, without queue_start): any node
 * claims their jobs at once; another node's stay. */
static void test_reclaim_without_workers(void **state)
{
	struct fix *f = *state;
	pid_t dead = fork();
	assert_true(dead >= 0);
	if (dead == 0)
		_exit(0);
	assert_int_equal(waitpid(dead, NULL, 0), dead);
	char owners[3][64], ids[3][QUEUE_ID_MAX];
	snprintf(owners[0], sizeof owners[0], "a-%ld", (long)dead);
	snprintf(owners[1], sizeof owners[1], "a-%ld", (long)dead);
	snprintf(owners[2], sizeof owners[2], "b-%ld", (long)dead);
	for (int i = 0; i < 3; i++) {
		enqueue(f->st, 0, ids[i]);
		claim_as(f->st, owners[i], ids[i]);
	}
	queue_t *other = new_queue(f->st, "c", 3600000);
	assert_int_equal(queue_run_once(other), 0); /* every lease holds */
	queue_config_t cfg = { .node = "a", .workers = 0 };
	queue_t *idle = queue_new(f->st, &cfg);
	assert_int_equal(queue_reclaim(idle), 2);
	assert_int_equal(queue_reclaim(idle), 0);
	assert_int_equal(queue_run_once(other), 1);
	assert_int_equal(queue_run_once(other), 1);
	assert_int_equal(queue_run_once(other), 0);
	json_t *j = job(f->st, ids[2]);
	assert_string_equal(state_of(j), "running");
	json_decref(j);
	queue_stop(idle);
	queue_stop(other);
}

/* A kind with threads of its own (queue_kind_t.workers = 2): at most two of
 * its jobs run at once, and while both block, the shared worker still runs
 * a job of another kind. */
static int slow_running, slow_max, slow_done;
static bool slow_release;

static enum queue_outcome slow_run(const queue_job_t *job, void *arg, char *why, size_t whylen)
{
	(void)job;
	(void)arg;
	(void)why;
	(void)whylen;
	pthread_mutex_lock(&mu);
	slow_running++;
	if (slow_running > slow_max)
		slow_max = slow_running;
	pthread_cond_broadcast(&cv);
	while (!slow_release)
		pthread_cond_wait(&cv, &mu);
	slow_running--;
	slow_done++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	return QUEUE_DONE;
}

/* Waits (60 s at most) until *v reaches n under mu: 0 when it did. */
static int wait_count(const int *v, int n)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += 60;
	pthread_mutex_lock(&mu);
	int rc = 0;
	while (*v < n && rc == 0)
		rc = pthread_cond_timedwait(&cv, &mu, &t);
	int got = *v;
	pthread_mutex_unlock(&mu);
	return got >= n ? 0 : -1;
}

static void test_kind_workers(void **state)
{
	struct fix *f = *state;
	slow_running = slow_max = slow_done = 0;
	slow_release = false;
	queue_t *q = new_queue(f->st, "a", 3600000);
	queue_kind_t k = { .kind = "slow", .run = slow_run, .lease_ms = 60000, .workers = 2 };
	assert_int_equal(queue_register(q, &k), 0);
	store_tx_t *tx = store_begin(f->st, true);
	json_t *p = json_object();
	for (int i = 0; i < 3; i++)
		assert_int_equal(queue_enqueue(tx, "slow", NULL, NULL, p, 1, 0, NULL), 0);
	json_decref(p);
	assert_int_equal(store_commit(tx), STORE_OK);
	char err[256];
	assert_int_equal(queue_start(q, err, sizeof err), 0);
	assert_int_equal(wait_count(&slow_running, 2), 0);
	/* Both of the kind's threads are busy: the shared worker runs the
	 * other kind's job. */
	char id[QUEUE_ID_MAX];
	enqueue(f->st, 0, id);
	assert_int_equal(wait_runs(1), 0);
	pthread_mutex_lock(&mu);
	assert_int_equal(slow_running, 2);
	assert_int_equal(slow_done, 0);
	slow_release = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	assert_int_equal(wait_count(&slow_done, 3), 0);
	queue_stop(q);
	assert_int_equal(slow_max, 2);
	json_t *j = job(f->st, id);
	assert_string_equal(state_of(j), "done");
	json_decref(j);
}

/* Until n workers of q wait for a job (60 s at most): 0, or -1. */
static int wait_waiting(queue_t *q, int n)
{
	for (int i = 0; i < 60000; i++) {
		int w;
		uint64_t woken;
		queue_wait_stats(q, &w, &woken);
		if (w >= n)
			return 0;
		struct timespec d = { 0, 1000000 };
		nanosleep(&d, NULL);
	}
	return -1;
}

/* A job enqueued wakes one worker of the pool that runs its kind: not the
 * idle threads of another kind's pool, nor every worker of its own (one
 * condition for the whole queue, broadcast, woke every waiting worker at
 * each enqueue and each claim). */
static void test_enqueue_wakes_one_worker(void **state)
{
	struct fix *f = *state;
	queue_t *q = new_queue(f->st, "a", 3600000);
	queue_kind_t k = { .kind = "slow", .run = slow_run, .lease_ms = 60000, .workers = 8 };
	assert_int_equal(queue_register(q, &k), 0);
	char err[256];
	assert_int_equal(queue_start(q, err, sizeof err), 0);
	assert_int_equal(wait_waiting(q, 9), 0); /* the shared worker and the slow kind's 8 */
	int w;
	uint64_t woken0, woken1;
	queue_wait_stats(q, &w, &woken0);
	char id[QUEUE_ID_MAX];
	enqueue(f->st, 0, id);
	assert_int_equal(wait_runs(1), 0);
	assert_int_equal(wait_waiting(q, 9), 0);
	queue_wait_stats(q, &w, &woken1);
	/* The shared worker, woken by the commit; on PostgreSQL the NOTIFY,
	 * heard by the listener at any time, wakes one worker of each pool as
	 * well (the shared one again, one of the slow kind's). The slow kind's
	 * other threads slept (broadcast: all 9, then 8 more at the claim). */
	assert_true(woken1 - woken0 >= 1);
	assert_true(woken1 - woken0 <= (test_db_pg() ? 4u : 2u));
	queue_stop(q);
	json_t *j = job(f->st, id);
	assert_string_equal(state_of(j), "done");
	json_decref(j);
}

/* The periodic sweeps (sweep.h) on two nodes of one database: each node
 * enqueues the sweep's job at its start, and one job exists; a pass queues
 * the same job again at now + the delay it returned, with its attempts
 * from 0; the next pass runs on whichever node claims it once due, never
 * before. */
static int tick_passes[2];

static int64_t tick_pass(void *arg, const queue_job_t *job, int64_t now)
{
	(void)job;
	(void)now;
	int *n = arg;
	(*n)++;
	return 60000;
}

static int sweep_jobs(store_t *st, const char *state)
{
	store_tx_t *tx = store_begin(st, false);
	json_t *rows = store_job_counts(tx);
	store_rollback(tx);
	int n = 0;
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		if (strcmp(json_string_value(json_object_get(r, "kind")), SWEEP_KIND) == 0 &&
		    (!state || strcmp(json_string_value(json_object_get(r, "state")), state) == 0))
			n += (int)json_integer_value(json_object_get(r, "n"));
	json_decref(rows);
	return n;
}

static void test_sweeps_one_job_again(void **state)
{
	struct fix *f = *state;
	tick_passes[0] = tick_passes[1] = 0;
	queue_config_t ca = { .node = "a", .workers = 1 }, cb = { .node = "b", .workers = 1 };
	queue_t *qa = queue_new(f->st, &ca), *qb = queue_new(f->st, &cb);
	sweeps_t *sa = sweeps_new(), *sb = sweeps_new();
	assert_int_equal(sweeps_add(sa, "tick", tick_pass, &tick_passes[0], 0), 0);
	assert_int_equal(sweeps_add(sa, "tick", tick_pass, &tick_passes[0], 0), -1); /* once */
	assert_int_equal(sweeps_add(sb, "tick", tick_pass, &tick_passes[1], 0), 0);
	char err[256];
	assert_int_equal(sweeps_register(sa, qa, f->st, err, sizeof err), 0);
	assert_int_equal(sweeps_register(sb, qb, f->st, err, sizeof err), 0);
	assert_int_equal(sweep_jobs(f->st, NULL), 1);
	/* Enqueued directly a second time: refused by the unique index. */
	store_tx_t *tx = store_begin(f->st, true);
	json_t *p = json_pack("{s:s}", "sweep", "tick");
	assert_int_equal(queue_enqueue_once(tx, SWEEP_KIND, NULL, "tick", p, 0), 0);
	json_decref(p);
	assert_int_equal(store_commit(tx), STORE_OK);
	/* Node a runs the pass; the job is queued again a minute on. */
	assert_int_equal(queue_run_once(qa), 1);
	assert_int_equal(tick_passes[0], 1);
	assert_int_equal(queue_run_once(qb), 0);
	assert_int_equal(sweep_jobs(f->st, NULL), 1);
	assert_int_equal(sweep_jobs(f->st, "queued"), 1);
	tx = store_begin(f->st, false);
	json_t *j = store_job_by_ref(tx, SWEEP_KIND, "tick");
	store_rollback(tx);
	assert_int_equal(json_integer_value(json_object_get(j, "attempts")), 0);
	assert_true(json_integer_value(json_object_get(j, "run_after")) >= time_now_ms() + 59000);
	json_t *pr = json_loads(json_string_value(json_object_get(j, "progress")), 0, NULL);
	assert_string_equal(json_string_value(json_object_get(pr, "node")), queue_node(qa));
	json_decref(pr);
	json_decref(j);
	/* A node starting again does not add one. */
	sweeps_t *again = sweeps_new();
	assert_int_equal(sweeps_add(again, "tick", tick_pass, &tick_passes[0], 0), 0);
	queue_config_t cc = { .node = "c", .workers = 1 };
	queue_t *qc = queue_new(f->st, &cc);
	assert_int_equal(sweeps_register(again, qc, f->st, err, sizeof err), 0);
	assert_int_equal(sweep_jobs(f->st, NULL), 1);
	queue_stop(qc);
	sweeps_free(again);
	/* Due a minute later: node b runs the next pass. */
	time_set_offset_ms(61000);
	assert_int_equal(queue_run_once(qb), 1);
	assert_int_equal(queue_run_once(qa), 0);
	assert_int_equal(tick_passes[0], 1);
	assert_int_equal(tick_passes[1], 1);
	assert_int_equal(sweep_jobs(f->st, "queued"), 1);
	assert_int_equal(sweeps_passes(sb, "tick"), 1);
	buf_t b;
	buf_init(&b, 512);
	sweeps_metrics(&b, sa);
	assert_non_null(strstr(b.data, "faxvault_sweep_passes_total{sweep=\"tick\"} 1\n"));
	buf_free(&b);
	queue_stop(qa);
	queue_stop(qb);
	sweeps_free(sa);
	sweeps_free(sb);
}

/* A look for work takes the writers' lock only for a kind that has a job
 * to claim: which kinds do is read first. With four kinds and nothing due,
 * a run writes nothing (it made four empty claims, each a write
 * transaction, before); with one job of the last kind due, it writes its
 * claim and its end only. */
static void test_idle_look_writes_nothing(void **state)
{
	struct fix *f = *state;
	queue_config_t cfg = { .node = "n1", .workers = 1, .fallback_ms = 60000 };
	queue_t *q = queue_new(f->st, &cfg);
	static const char *const kinds[] = { "alpha", "beta", "gamma", "test" };
	for (int i = 0; i < 4; i++) {
		queue_kind_t k = { .kind = kinds[i], .run = run, .failed = failed, .lease_ms = 60000,
			.backoff_ms = 10000 };
		assert_int_equal(queue_register(q, &k), 0);
	}
	uint64_t w0 = store_write_txs(f->st);
	for (int i = 0; i < 4; i++)
		assert_int_equal(queue_run_once(q), 0);
	assert_int_equal(store_write_txs(f->st) - w0, 0);
	char id[QUEUE_ID_MAX];
	enqueue(f->st, 3, id);
	w0 = store_write_txs(f->st);
	assert_int_equal(queue_run_once(q), 1);
	assert_int_equal(runs, 1);
	assert_int_equal(store_write_txs(f->st) - w0, 2);
	json_t *j = job(f->st, id);
	assert_string_equal(state_of(j), "done");
	json_decref(j);
	/* A job due by its lease passed (its run died) is seen as well. */
	enqueue(f->st, 3, id);
	store_tx_t *tx = store_begin(f->st, true);
	json_t *row = store_job_claim(tx, "test", time_now_ms(), "n-dead", 1000);
	assert_non_null(row);
	json_decref(row);
	assert_int_equal(store_commit(tx), STORE_OK);
	assert_int_equal(queue_run_once(q), 0); /* its lease holds */
	time_set_offset_ms(2000);
	assert_int_equal(queue_run_once(q), 1);
	assert_int_equal(runs, 2);
	j = job(f->st, id);
	assert_string_equal(state_of(j), "done");
	json_decref(j);
	queue_stop(q);
}

/* A kind's own claim in the claim's transaction (queue_kind_t.claim): what
 * it writes commits with the claim, before the run, which finds what it
 * claimed; a claim that fails is rolled back whole, the job is claimed
 * alone and its run finds nothing claimed. */
static int claim_mode; /* 0: claims, 1: writes then fails */
static int claim_token, claim_calls, unclaim_calls;
static void *run_claimed;
static char run_saw_progress[128];

static int claim_hook(store_tx_t *tx, const queue_job_t *job, void *arg, void **claimed)
{
	(void)arg;
	claim_calls++;
	json_t *pr = json_pack("{s:s}", "claimed", "with the job");
	assert_int_equal(queue_job_progress(tx, job, pr), STORE_OK);
	json_decref(pr);
	if (claim_mode == 1)
		return -1;
	*claimed = &claim_token;
	return 0;
}

static void unclaim_hook(void *claimed, void *arg)
{
	(void)claimed;
	(void)arg;
	unclaim_calls++;
}

static enum queue_outcome run_claim(const queue_job_t *qj, void *arg, char *why, size_t whylen)
{
	(void)arg;
	(void)why;
	(void)whylen;
	runs++;
	run_claimed = qj->claimed;
	/* What is committed when the run starts. */
	json_t *j = job(qj->st, qj->id);
	const char *p = json_string_value(json_object_get(j, "progress"));
	snprintf(run_saw_progress, sizeof run_saw_progress, "%s", p ? p : "");
	json_decref(j);
	return QUEUE_DONE;
}

static void test_claim_hook(void **state)
{
	struct fix *f = *state;
	queue_config_t cfg = { .node = "n1", .workers = 1, .fallback_ms = 60000 };
	queue_t *q = queue_new(f->st, &cfg);
	queue_kind_t k = { .kind = "test", .run = run_claim, .lease_ms = 60000,
		.backoff_ms = 10000, .claim = claim_hook, .unclaim = unclaim_hook };
	assert_int_equal(queue_register(q, &k), 0);
	claim_mode = 0;
	claim_calls = unclaim_calls = 0;
	char id[QUEUE_ID_MAX];
	enqueue(f->st, 3, id);
	uint64_t w0 = store_write_txs(f->st);
	assert_int_equal(queue_run_once(q), 1);
	assert_int_equal(runs, 1);
	assert_int_equal(claim_calls, 1);
	assert_ptr_equal(run_claimed, &claim_token);
	assert_non_null(strstr(run_saw_progress, "with the job"));
	/* The claim and the end: the hook's write took no commit of its own. */
	assert_int_equal(store_write_txs(f->st) - w0, 2);
	json_t *j = job(f->st, id);
	assert_string_equal(state_of(j), "done");
	json_decref(j);
	/* A failing claim: rolled back, the job claimed and run without it. */
	claim_mode = 1;
	enqueue(f->st, 3, id);
	assert_int_equal(queue_run_once(q), 1);
	assert_int_equal(runs, 2);
	assert_int_equal(claim_calls, 2);
	assert_null(run_claimed);
	assert_string_equal(run_saw_progress, "");
	assert_int_equal(unclaim_calls, 0);
	j = job(f->st, id);
	assert_string_equal(state_of(j), "done");
	json_decref(j);
	queue_stop(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_enqueue_in_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_backoff_then_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease_takeover_resumes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_progress_and_poison, setup, teardown),
		cmocka_unit_test_setup_teardown(test_woken_by_notification, setup, teardown),
		cmocka_unit_test_setup_teardown(test_operator_retry_purge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_woken_by_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_reclaims_own_leases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_run_of_same_process_fenced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_without_workers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kind_workers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enqueue_wakes_one_worker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweeps_one_job_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_look_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_hook, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
