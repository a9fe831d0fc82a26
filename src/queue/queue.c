/* The job queue (see queue.h). */
#include "queue.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "liveness.h"
#include "log.h"
#include "sec.h"
#include "store_jobs.h"
#include "timeutil.h"
#include "xalloc.h"

#define WHY_MAX 300
/* The listener's connection lost: tried again after this long. */
#define LISTEN_RETRY_MS 5000

/* A worker thread: of the shared pool (kind -1), or of a kind's own. */
struct worker {
	struct queue *q;
	int kind;
	pthread_t th;
};

/* What a recurring run asked (queue_job_again). */
struct queue_again {
	bool set;
	int64_t at;
	char *progress;
	bool ended; /* queue_job_done_tx committed: the run's end writes nothing */
};

struct queue {
	store_t *st;
	char base[80];  /* the node's name (cfg->node) */
	char node[96];  /* base-PID: this process's name in leases */
	int nworkers;
	int64_t fallback_ms;
	int64_t lease_ms;
	queue_kind_t kinds[QUEUE_KINDS_MAX];
	int nkinds;
	atomic_uint next_kind; /* round robin over kinds */
	struct worker *workers;
	int started;
	pthread_t listener;
	bool listening;
	int stop_pipe[2];
	pthread_mutex_t mu;
	/* Under mu: a condition by pool (a kind's own workers at its index,
	 * the shared pool at QUEUE_KINDS_MAX), signalled to wake one worker of
	 * that pool; stop_cv for the waits that end only when the queue stops
	 * (end_run's retries). One condition for all was broadcast at every
	 * claim and enqueue, and woke every idle worker of every pool to find
	 * nothing to do (with fax.workers = 20, about twenty futex wake-ups a
	 * claim: bench/fax-e2e's futex calls per fax). */
	pthread_cond_t cv[QUEUE_KINDS_MAX + 1];
	pthread_cond_t stop_cv;
	bool stop;
	/* Under mu, by pool (a kind's own workers at its index, the shared
	 * pool at QUEUE_KINDS_MAX): wakes bumped by every wake of the queue
	 * and by a claim of the pool's looker; looking set while one of the
	 * pool's workers looks for a job. One worker of a pool looks at a
	 * time, and each claim hands the look on to the next: an enqueue
	 * costs a claim or two, not one write transaction per idle worker. */
	uint64_t wakes[QUEUE_KINDS_MAX + 1];
	bool looking[QUEUE_KINDS_MAX + 1];
	int waiting;     /* under mu: workers in pool_wait */
	uint64_t woken;  /* under mu: pool_waits ended by a wake */
	struct queue *next; /* the queues of this process */
};

/* The queues of this process, which a commit that enqueued wakes. */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static queue_t *g_queues;

/* Runs of this process by outcome, for /metrics. */
static atomic_uint_fast64_t n_done, n_retried, n_failed, n_yielded;
/* Leases of earlier processes of this node released at start. */
static atomic_uint_fast64_t n_reclaimed;

/* Under q->mu: one worker of pool slot p looks (the one looking already
 * looks again, seeing wakes moved; else a waiting one is woken and takes
 * the look; else a busy one looks when its run ends). */
static void wake_pool(queue_t *q, int p)
{
	q->wakes[p]++;
	pthread_cond_signal(&q->cv[p]);
}

static void wake(queue_t *q)
{
	pthread_mutex_lock(&q->mu);
	for (int i = 0; i <= QUEUE_KINDS_MAX; i++)
		wake_pool(q, i);
	pthread_mutex_unlock(&q->mu);
}

/* The names of the kinds enqueued in this process, kept for the wakes
 * after commit (a caller's string may be gone by then); never freed. */
#define WAKE_KINDS_MAX 32
static char wake_kinds[WAKE_KINDS_MAX][48];
static int n_wake_kinds;

/* kind's name in wake_kinds, or NULL (full, or too long): wake every pool. */
static void *wake_kind(const char *kind)
{
	void *k = NULL;
	pthread_mutex_lock(&g_mu);
	for (int i = 0; i < n_wake_kinds && !k; i++)
		if (strcmp(wake_kinds[i], kind) == 0)
			k = wake_kinds[i];
	if (!k && n_wake_kinds < WAKE_KINDS_MAX && strlen(kind) < sizeof wake_kinds[0]) {
		snprintf(wake_kinds[n_wake_kinds], sizeof wake_kinds[0], "%s", kind);
		k = wake_kinds[n_wake_kinds++];
	}
	pthread_mutex_unlock(&g_mu);
	return k;
}

/* After the commit of a transaction that enqueued a job of kind (NULL:
 * any): the pool of each queue of this process that runs that kind looks,
 * not every pool (other nodes hear the NOTIFY, which wakes them all). */
static void wake_local(void *kind)
{
	pthread_mutex_lock(&g_mu);
	for (queue_t *q = g_queues; q; q = q->next) {
		int i = 0;
		while (kind && i < q->nkinds && strcmp(q->kinds[i].kind, kind) != 0)
			i++;
		if (!kind) {
			wake(q);
		} else if (i < q->nkinds) {
			int p = q->kinds[i].workers > 0 ? i : QUEUE_KINDS_MAX;
			pthread_mutex_lock(&q->mu);
			wake_pool(q, p);
			pthread_mutex_unlock(&q->mu);
		}
	}
	pthread_mutex_unlock(&g_mu);
}

int queue_enqueue_once(store_tx_t *tx, const char *kind, const char *account_id,
	const char *ref, const json_t *payload, int64_t run_after)
{
	int64_t now = time_now_ms();
	char *jid = sec_new_id("job");
	char *ps = payload ? json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:I}", "id", jid, "kind", kind, "ref",
		ref, "payload", ps ? ps : "{}", "max_attempts", QUEUE_ATTEMPTS_DEFAULT, "run_after",
		(json_int_t)(run_after > 0 ? run_after : now), "created_at", (json_int_t)now);
	free(ps);
	if (account_id)
		json_object_set_new(j, "account_id", json_string(account_id));
	int rc = j ? store_job_insert_once(tx, j) : -1;
	json_decref(j);
	if (rc == 1 && store_notify(tx, QUEUE_CHANNEL) != STORE_OK)
		rc = -1;
	if (rc == 1) {
		store_tx_after_commit(tx, wake_local, wake_kind(kind));
		log_event(LOG_INFO, "queue.enqueued", "job=%s kind=%s ref=%s", jid, kind, ref);
	} else if (rc < 0) {
		log_event(LOG_ERROR, "queue.enqueue", "kind=%s ref=%s err=store", kind, ref);
	}
	free(jid);
	return rc;
}

int queue_enqueue(store_tx_t *tx, const char *kind, const char *account_id, const char *ref,
	const json_t *payload, int max_attempts, int64_t run_after, char id[QUEUE_ID_MAX])
{
	int64_t now = time_now_ms();
	char *jid = sec_new_id("job");
	char *ps = payload ? json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:I, s:I}", "id", jid, "kind", kind, "payload",
		ps ? ps : "{}", "max_attempts", max_attempts > 0 ? max_attempts : QUEUE_ATTEMPTS_DEFAULT,
		"run_after", (json_int_t)(run_after > 0 ? run_after : now), "created_at",
		(json_int_t)now);
	free(ps);
	if (account_id)
		json_object_set_new(j, "account_id", json_string(account_id));
	if (ref)
		json_object_set_new(j, "ref", json_string(ref));
	int rc = j && store_job_insert(tx, j) == STORE_OK && store_notify(tx, QUEUE_CHANNEL) ==
		STORE_OK ? 0 : -1;
	json_decref(j);
	if (rc == 0) {
		store_tx_after_commit(tx, wake_local, wake_kind(kind));
		if (id)
			snprintf(id, QUEUE_ID_MAX, "%s", jid);
		log_event(LOG_INFO, "queue.enqueued", "job=%s kind=%s", jid, kind);
	} else {
		log_event(LOG_ERROR, "queue.enqueue", "kind=%s err=store", kind);
	}
	free(jid);
	return rc;
}

queue_t *queue_new(store_t *st, const queue_config_t *cfg)
{
	queue_t *q = xcalloc(1, sizeof *q);
	q->st = st;
	snprintf(q->base, sizeof q->base, "%s", cfg && cfg->node ? cfg->node : "node");
	snprintf(q->node, sizeof q->node, "%s-%ld", q->base, (long)getpid());
	q->nworkers = cfg && cfg->workers > 0 ? cfg->workers : 2;
	if (q->nworkers > QUEUE_WORKERS_MAX)
		q->nworkers = QUEUE_WORKERS_MAX;
	q->fallback_ms = cfg && cfg->fallback_ms > 0 ? cfg->fallback_ms : QUEUE_FALLBACK_DEFAULT_MS;
	q->lease_ms = cfg && cfg->lease_ms > 0 ? cfg->lease_ms : QUEUE_LEASE_DEFAULT_MS;
	q->stop_pipe[0] = q->stop_pipe[1] = -1;
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	for (int i = 0; i <= QUEUE_KINDS_MAX; i++)
		pthread_cond_init(&q->cv[i], &ca);
	pthread_cond_init(&q->stop_cv, &ca);
	pthread_condattr_destroy(&ca);
	return q;
}

int queue_register(queue_t *q, const queue_kind_t *kind)
{
	if (q->nkinds == QUEUE_KINDS_MAX || q->started)
		return -1;
	for (int i = 0; i < q->nkinds; i++)
		if (strcmp(q->kinds[i].kind, kind->kind) == 0)
			return -1;
	queue_kind_t *k = &q->kinds[q->nkinds++];
	*k = *kind;
	if (k->lease_ms <= 0)
		k->lease_ms = q->lease_ms;
	if (k->backoff_ms <= 0)
		k->backoff_ms = QUEUE_BACKOFF_DEFAULT_MS;
	if (k->workers > QUEUE_KIND_WORKERS_MAX)
		k->workers = QUEUE_KIND_WORKERS_MAX;
	if (k->workers < 0)
		k->workers = 0;
	return 0;
}

const char *queue_node(const queue_t *q)
{
	return q->node;
}

static const queue_kind_t *kind_of(const queue_t *q, const char *kind)
{
	for (int i = 0; i < q->nkinds; i++)
		if (strcmp(q->kinds[i].kind, kind) == 0)
			return &q->kinds[i];
	return NULL;
}

static int64_t backoff(const queue_kind_t *k, int attempt)
{
	int64_t d = k->backoff ? k->backoff(attempt) : -1;
	if (d >= 0)
		return d;
	d = k->backoff_ms;
	for (int i = 1; i < attempt && d < QUEUE_BACKOFF_MAX_MS; i++)
		d *= 2;
	return d < QUEUE_BACKOFF_MAX_MS ? d : QUEUE_BACKOFF_MAX_MS;
}

int queue_job_hold(store_tx_t *tx, const queue_job_t *job)
{
	const queue_kind_t *k = kind_of(job->q, job->kind);
	liveness_touch(); /* a step of a long run: progress */
	return store_job_hold(tx, job->id, job->q->node, job->attempt, time_now_ms() +
		(k ? k->lease_ms : job->q->lease_ms));
}

int queue_job_progress(store_tx_t *tx, const queue_job_t *job, const json_t *progress)
{
	char *s = json_dumps(progress, JSON_COMPACT | JSON_SORT_KEYS);
	liveness_touch(); /* a step of a long run: progress */
	int rc = s ? store_job_progress(tx, job->id, job->q->node, job->attempt, s,
		time_now_ms()) : STORE_ERROR;
	free(s);
	return rc;
}

static void mark_ended(void *arg)
{
	((struct queue_again *)arg)->ended = true;
}

int queue_job_done_tx(store_tx_t *tx, const queue_job_t *job)
{
	if (!job->again || !job->q)
		return STORE_OK; /* a run outside the queue's workers: nothing to end */
	int64_t now = time_now_ms();
	int rc = store_job_end(tx, job->id, job->q->node, job->attempt, "done", now, NULL, false, now);
	if (rc == STORE_OK)
		store_tx_after_commit(tx, mark_ended, job->again);
	return rc;
}

void queue_job_again(const queue_job_t *job, int64_t at, const json_t *progress)
{
	if (!job->again)
		return;
	job->again->set = true;
	job->again->at = at;
	free(job->again->progress);
	job->again->progress = progress ? json_dumps(progress, JSON_COMPACT | JSON_SORT_KEYS)
		: NULL;
}

bool queue_job_stopping(const queue_job_t *job)
{
	pthread_mutex_lock(&job->q->mu);
	bool s = job->q->stop;
	pthread_mutex_unlock(&job->q->mu);
	return s;
}

/* The monotonic time ms from now into t (the clock of q->cv and stop_cv). */
static void mono_deadline(int64_t ms, struct timespec *t)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_sec += (time_t)(ms / 1000);
	t->tv_nsec += (long)(ms % 1000) * 1000000L;
	t->tv_sec += t->tv_nsec / 1000000000L;
	t->tv_nsec %= 1000000000L;
}

/* Waits ms (monotonic) unless the queue stops: whether it stops. */
static bool pause_unless_stopped(queue_t *q, int64_t ms)
{
	struct timespec t;
	mono_deadline(ms, &t);
	pthread_mutex_lock(&q->mu);
	while (!q->stop && pthread_cond_timedwait(&q->stop_cv, &q->mu, &t) != ETIMEDOUT)
		;
	bool stop = q->stop;
	pthread_mutex_unlock(&q->mu);
	return stop;
}

/* Ends the run: the job's new state in a transaction of its own, with the
 * kind's failed() hook when it is given up. The database away a moment
 * (a failover): tried again every END_RETRY_MS for as long as a lease
 * lasts, so that the job does not wait for its lease to pass (a lease
 * lost meanwhile: another run took it, and this one writes nothing). */
#define END_RETRY_MS 1000
static void end_run(queue_t *q, const queue_kind_t *k, const queue_job_t *job,
	enum queue_outcome o, const char *why)
{
	int64_t now = time_now_ms();
	/* Ended done already, in the run's own last transaction
	 * (queue_job_done_tx): nothing is written here. */
	bool ended = job->again && job->again->ended;
	if (ended)
		o = QUEUE_DONE;
	bool give_up = o == QUEUE_FAIL || (o == QUEUE_RETRY && job->attempt >= job->max_attempts);
	const char *state = o == QUEUE_DONE ? "done" : give_up ? "failed" : "queued";
	int64_t at = o == QUEUE_RETRY && !give_up ? now + backoff(k, job->attempt) : now;
	bool again = !ended && o == QUEUE_DONE && job->again && job->again->set;
	if (again)
		state = "queued";
	int64_t until = time_mono_ns() / 1000000 + k->lease_ms;
	int sr = STORE_OK;
	for (int tries = 1; !ended; tries++) {
		store_tx_t *tx = store_begin(q->st, true);
		int rc = tx ? 0 : -1;
		if (rc == 0 && give_up && k->failed && k->failed(tx, job, k->arg, why) != 0)
			rc = -1;
		sr = rc != 0 ? STORE_ERROR : again ? store_job_again(tx, job->id, q->node,
			job->attempt, job->again->at, job->again->progress, now) :
			store_job_end(tx, job->id, q->node, job->attempt, state, at,
			o == QUEUE_DONE ? NULL : why, o == QUEUE_YIELD, now);
		if (sr != STORE_OK && tx)
			store_rollback(tx);
		else if (tx && store_commit(tx) != STORE_OK)
			sr = STORE_ERROR;
		if (sr != STORE_ERROR || time_mono_ns() / 1000000 >= until)
			break;
		log_event(LOG_WARN, "queue.end", "job=%s kind=%s err=store try=%d", job->id,
			job->kind, tries);
		if (pause_unless_stopped(q, END_RETRY_MS))
			break;
	}
	if (sr != STORE_OK) {
		/* The lease passes and the job runs again. */
		log_event(LOG_ERROR, "queue.end", "job=%s kind=%s err=%s", job->id, job->kind,
			sr == STORE_NOTFOUND ? "lease_lost" : "store");
		return;
	}
	atomic_fetch_add(o == QUEUE_DONE ? &n_done : give_up ? &n_failed : o == QUEUE_YIELD
		? &n_yielded : &n_retried, 1);
	log_event(o == QUEUE_DONE || o == QUEUE_YIELD ? LOG_INFO : LOG_WARN, "queue.ran",
		"job=%s kind=%s attempt=%d state=%s why=\"%s\"", job->id, job->kind, job->attempt,
		state, o == QUEUE_DONE ? "" : why);
}

/* A claimed job as its run sees it (the strings borrowed from its row). */
struct run {
	queue_job_t job;
	struct queue_again again;
	json_t *payload, *progress;
};

static void run_prepare(queue_t *q, const queue_kind_t *k, json_t *row, struct run *r)
{
	memset(r, 0, sizeof *r);
	r->payload = json_loads(json_string_value(json_object_get(row, "payload")), 0, NULL);
	const char *ps = json_string_value(json_object_get(row, "progress"));
	r->progress = ps ? json_loads(ps, 0, NULL) : NULL;
	const char *acc = json_string_value(json_object_get(row, "account_id"));
	r->job = (queue_job_t){
		.q = q,
		.st = q->st,
		.id = json_string_value(json_object_get(row, "id")),
		.kind = k->kind,
		.account_id = acc ? acc : "",
		.payload = r->payload ? r->payload : json_object(),
		.progress = r->progress,
		.attempt = (int)json_integer_value(json_object_get(row, "attempts")),
		.max_attempts = (int)json_integer_value(json_object_get(row, "max_attempts")),
		.again = &r->again,
	};
}

/* Whether the run of r is called (else it fails at once). */
static bool run_runs(const struct run *r)
{
	return json_is_object(r->job.payload) && r->job.attempt <= r->job.max_attempts;
}

static void run_free(struct run *r)
{
	free(r->again.progress);
	json_decref(r->payload ? r->payload : (json_t *)r->job.payload);
	json_decref(r->progress);
}

static void run_job(queue_t *q, const queue_kind_t *k, struct run *r)
{
	queue_job_t *job = &r->job;
	char why[WHY_MAX] = "";
	enum queue_outcome o;
	if (!json_is_object(job->payload)) {
		snprintf(why, sizeof why, "the payload is not a JSON object");
		o = QUEUE_FAIL;
	} else if (job->attempt > job->max_attempts) {
		/* Its runs died with their node (the lease passed) too often. */
		snprintf(why, sizeof why, "given up after %d attempts (the lease passed)",
			job->max_attempts);
		o = QUEUE_FAIL;
	} else {
		o = k->run(job, k->arg, why, sizeof why);
		if (o != QUEUE_DONE && !why[0])
			snprintf(why, sizeof why, "failed");
	}
	end_run(q, k, job, o, why);
	run_free(r);
}

/* Whether a worker of pool (-1 shared, -2 any: tests) runs kind i. */
static bool pool_runs(const queue_t *q, int pool, int i)
{
	return pool == -2 || (pool == -1 ? q->kinds[i].workers == 0 : pool == i);
}

/* The slot of pool in wakes and looking. */
static int pool_slot(int pool)
{
	return pool < 0 ? QUEUE_KINDS_MAX : pool;
}

/* Runs at most one due job of the kinds of pool: as queue_run_once. A
 * worker's run (pool >= -1) hands the look on to the next worker of its
 * pool once its claim has committed, before the job runs. When none ran
 * (0), *idle (when not NULL) is how long the worker may wait: until the
 * next job of its kinds is due, at most fallback_ms, at least 1 ms. */
static int run_once(queue_t *q, int pool, int64_t *idle)
{
	unsigned start = atomic_fetch_add(&q->next_kind, 1);
	/* First, in one read transaction, when each kind has a job to claim:
	 * a claim is a write transaction (the writers' lock, then a rollback
	 * when it finds nothing), and most looks find nothing for most kinds
	 * (in bench/fax-e2e, 85 % of the claims were empty). The same read
	 * tells an idle worker how long to wait. A job enqueued after this
	 * read wakes the queue again once it is committed. */
	bool due[QUEUE_KINDS_MAX] = { false };
	int ndue = 0;
	store_tx_t *rtx = store_begin(q->st, false);
	if (!rtx)
		return -1;
	int64_t now = time_now_ms(), wait = q->fallback_ms;
	const char *kinds[QUEUE_KINDS_MAX];
	int64_t next[QUEUE_KINDS_MAX];
	int idx[QUEUE_KINDS_MAX], nk = 0;
	for (int i = 0; i < q->nkinds; i++)
		if (pool_runs(q, pool, i)) {
			idx[nk] = i;
			kinds[nk++] = q->kinds[i].kind;
		}
	/* Unknown (an error): the claims look for themselves. */
	bool known = store_job_next_due_n(rtx, kinds, nk, next) == 0;
	store_rollback(rtx);
	for (int j = 0; j < nk; j++) {
		due[idx[j]] = !known || next[j] <= now;
		ndue += due[idx[j]];
		if (known && next[j] != INT64_MAX && next[j] - now < wait)
			wait = next[j] - now;
	}
	if (idle)
		*idle = wait < 1 ? 1 : wait;
	for (int i = 0; i < q->nkinds && ndue > 0; i++) {
		int ki = (int)((start + (unsigned)i) % (unsigned)q->nkinds);
		if (!pool_runs(q, pool, ki) || !due[ki])
			continue;
		const queue_kind_t *k = &q->kinds[ki];
		store_tx_t *tx = store_begin(q->st, true);
		if (!tx)
			return -1;
		json_t *row = store_job_claim(tx, k->kind, time_now_ms(), q->node, k->lease_ms);
		if (!row) {
			store_rollback(tx);
			continue;
		}
		struct run r;
		run_prepare(q, k, row, &r);
		/* The kind's own claim in the same transaction. */
		void *claimed = NULL;
		if (k->claim && run_runs(&r) && k->claim(tx, &r.job, k->arg, &claimed) != 0) {
			/* It failed: the job is claimed alone, its run claims. */
			store_rollback(tx);
			run_free(&r);
			json_decref(row);
			claimed = NULL;
			if (!(tx = store_begin(q->st, true)))
				return -1;
			row = store_job_claim(tx, k->kind, time_now_ms(), q->node, k->lease_ms);
			if (!row) {
				store_rollback(tx);
				continue;
			}
			run_prepare(q, k, row, &r);
		}
		if (store_commit(tx) != STORE_OK) {
			if (claimed && k->unclaim)
				k->unclaim(claimed, k->arg);
			run_free(&r);
			json_decref(row);
			return -1;
		}
		r.job.claimed = claimed;
		if (pool >= -1) {
			int p = pool_slot(pool);
			pthread_mutex_lock(&q->mu);
			q->looking[p] = false;
			wake_pool(q, p);
			pthread_mutex_unlock(&q->mu);
		}
		/* A kind with threads of its own runs long (a fax call, capped by
		 * fax.max_call_minutes): its run is not watched. */
		if (k->workers > 0)
			liveness_idle();
		run_job(q, k, &r);
		json_decref(row);
		return 1;
	}
	return 0;
}

int queue_run_once(queue_t *q)
{
	return run_once(q, -2, NULL);
}

/* Under q->mu: waits until the queue stops, pool slot p is woken (its
 * wakes no longer seen) or t passes. */
static void pool_wait(queue_t *q, int p, uint64_t seen, const struct timespec *t)
{
	q->waiting++;
	while (!q->stop && q->wakes[p] == seen) {
		if (pthread_cond_timedwait(&q->cv[p], &q->mu, t) == ETIMEDOUT)
			break;
		q->woken++;
	}
	q->waiting--;
}

void queue_wait_stats(queue_t *q, int *waiting, uint64_t *woken)
{
	pthread_mutex_lock(&q->mu);
	*waiting = q->waiting;
	*woken = q->woken;
	pthread_mutex_unlock(&q->mu);
}

static void *worker(void *arg)
{
	struct worker *w = arg;
	queue_t *q = w->q;
	int p = pool_slot(w->kind);
	pthread_mutex_lock(&q->mu);
	while (!q->stop) {
		uint64_t seen = q->wakes[p];
		struct timespec t;
		if (q->looking[p]) {
			/* Another worker of the pool looks: it wakes the next one
			 * when it claims. */
			mono_deadline(q->fallback_ms, &t);
			pool_wait(q, p, seen, &t);
			continue;
		}
		q->looking[p] = true;
		pthread_mutex_unlock(&q->mu);
		/* Watched while it claims and runs (liveness.h: a stuck worker). */
		liveness_busy("queue");
		int64_t idle = q->fallback_ms;
		int n = run_once(q, w->kind, &idle);
		liveness_idle();
		int64_t wait = n == 0 ? idle : n < 0 ? 1000 : 0;
		pthread_mutex_lock(&q->mu);
		if (n > 0)
			continue; /* the look went on at the claim */
		q->looking[p] = false;
		if (q->stop || q->wakes[p] != seen)
			continue;
		mono_deadline(wait, &t);
		pool_wait(q, p, seen, &t);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* PostgreSQL: NOTIFY of any node wakes this queue's workers. */
static void *listener(void *arg)
{
	queue_t *q = arg;
	store_listener_t *l = NULL;
	for (;;) {
		pthread_mutex_lock(&q->mu);
		bool stop = q->stop;
		pthread_mutex_unlock(&q->mu);
		if (stop)
			break;
		if (!l) {
			char err[256];
			l = store_listen(q->st, QUEUE_CHANNEL, err, sizeof err);
			if (!l) {
				log_event(LOG_WARN, "queue.listen", "err=\"%s\"", err);
				struct pollfd pf = { .fd = q->stop_pipe[0], .events = POLLIN };
				poll(&pf, 1, LISTEN_RETRY_MS);
				continue;
			}
			wake(q); /* what was sent while no one listened */
		}
		int n = store_listen_wait(l, q->stop_pipe[0], (int)q->fallback_ms);
		if (n > 0)
			wake(q);
		else if (n < 0) {
			store_listen_close(l);
			l = NULL;
		}
	}
	store_listen_close(l);
	return NULL;
}

/* The test clock moved (timeutil.h): what became due runs now. */
static void clock_shifted(void)
{
	wake_local(NULL);
}

/* Whether no live process has pid: none at all, or a zombie (dead, not yet
 * reaped: a service killed with its supervisor stays one until init reaps
 * it, and kill(pid, 0) still succeeds on it). */
static bool pid_gone(pid_t pid)
{
	if (kill(pid, 0) != 0)
		return errno == ESRCH;
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *rp = strrchr(buf, ')');
	return rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X');
}

/* Whether lease owner owner names an earlier process of this node: owner
 * is "base-PID" (PID digits only, so that a node named "base-x" is another
 * node), with no process PID on this host, or PID this very process's
 * (a restart that got the same PID, as in a container) while no queue of
 * this process runs under that name. Under g_mu. */
static bool earlier_self(const queue_t *q, const char *owner)
{
	size_t n = strlen(q->base);
	if (strncmp(owner, q->base, n) != 0 || owner[n] != '-' || !owner[n + 1] ||
	    strlen(owner + n + 1) > 9)
		return false;
	for (const char *p = owner + n + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	long pid = atol(owner + n + 1);
	if (pid <= 0)
		return false;
	if (pid == (long)getpid()) {
		for (const queue_t *o = g_queues; o; o = o->next)
			if (o != q && strcmp(o->node, owner) == 0)
				return false;
		return true;
	}
	return pid_gone((pid_t)pid);
}

int queue_reclaim(queue_t *q)
{
	int64_t now = time_now_ms();
	store_tx_t *tx = store_begin(q->st, true);
	json_t *rows = tx ? store_job_lease_nodes(tx, now) : NULL;
	int total = rows ? 0 : -1;
	size_t i;
	json_t *r;
	pthread_mutex_lock(&g_mu);
	json_array_foreach(rows, i, r) {
		const char *owner = json_string_value(json_object_get(r, "lease_node"));
		if (!owner || !earlier_self(q, owner))
			continue;
		int n = store_job_release(tx, owner, now);
		if (n < 0) {
			total = -1;
			break;
		}
		total += n;
	}
	pthread_mutex_unlock(&g_mu);
	json_decref(rows);
	if (tx && (total < 0 || store_commit(tx) != STORE_OK)) {
		if (total >= 0)
			total = -1;
		else
			store_rollback(tx);
	}
	if (total < 0) {
		/* Their leases pass as they would have. */
		log_event(LOG_WARN, "queue.leases_reclaimed", "node=%s err=store", q->node);
		return -1;
	}
	if (total > 0) {
		atomic_fetch_add(&n_reclaimed, (uint_fast64_t)total);
		log_event(LOG_INFO, "queue.leases_reclaimed", "node=%s n=%d", q->node, total);
	}
	return total;
}

int queue_start(queue_t *q, char *err, size_t errlen)
{
	time_on_shift(clock_shifted);
	queue_reclaim(q);
	if (pipe2(q->stop_pipe, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "queue: pipe: %s", strerror(errno));
		return -1;
	}
	pthread_mutex_lock(&g_mu);
	q->next = g_queues;
	g_queues = q;
	pthread_mutex_unlock(&g_mu);
	/* The shared pool, then each kind's own. */
	int total = q->nworkers;
	for (int i = 0; i < q->nkinds; i++)
		total += q->kinds[i].workers;
	q->workers = xcalloc((size_t)total, sizeof *q->workers);
	for (int i = 0; i < total; i++) {
		struct worker *w = &q->workers[i];
		w->q = q;
		w->kind = -1;
		for (int k = 0, first = q->nworkers; k < q->nkinds; first += q->kinds[k].workers, k++)
			if (i >= first && i < first + q->kinds[k].workers)
				w->kind = k;
		int rc = pthread_create(&w->th, NULL, worker, w);
		if (rc != 0) {
			snprintf(err, errlen, "queue worker thread: %s", strerror(rc));
			return -1; /* queue_stop joins those started */
		}
		q->started++;
	}
	char lerr[256];
	store_listener_t *probe = store_listen(q->st, QUEUE_CHANNEL, lerr, sizeof lerr);
	bool pg = probe || lerr[0];
	store_listen_close(probe);
	if (pg) {
		int rc = pthread_create(&q->listener, NULL, listener, q);
		if (rc != 0) {
			snprintf(err, errlen, "queue listener thread: %s", strerror(rc));
			return -1;
		}
		q->listening = true;
	}
	log_event(LOG_INFO, "queue.started", "node=%s workers=%d own_workers=%d kinds=%d listen=%s"
		" fallback_ms=%lld", q->node, q->nworkers, total - q->nworkers, q->nkinds,
		pg ? "postgresql" : "local", (long long)q->fallback_ms);
	return 0;
}

void queue_stop(queue_t *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	for (int i = 0; i <= QUEUE_KINDS_MAX; i++)
		pthread_cond_broadcast(&q->cv[i]);
	pthread_cond_broadcast(&q->stop_cv);
	pthread_mutex_unlock(&q->mu);
	if (q->stop_pipe[1] >= 0 && write(q->stop_pipe[1], "x", 1) < 0)
		log_event(LOG_WARN, "queue.stop", "err=\"%s\"", strerror(errno));
	for (int i = 0; i < q->started; i++)
		pthread_join(q->workers[i].th, NULL);
	free(q->workers);
	if (q->listening)
		pthread_join(q->listener, NULL);
	pthread_mutex_lock(&g_mu);
	for (queue_t **p = &g_queues; *p; p = &(*p)->next)
		if (*p == q) {
			*p = q->next;
			break;
		}
	pthread_mutex_unlock(&g_mu);
	for (int i = 0; i < 2; i++)
		if (q->stop_pipe[i] >= 0)
			close(q->stop_pipe[i]);
	for (int i = 0; i <= QUEUE_KINDS_MAX; i++)
		pthread_cond_destroy(&q->cv[i]);
	pthread_cond_destroy(&q->stop_cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

static json_t *time_or_null(const json_t *v)
{
	if (!json_is_integer(v))
		return json_null();
	char b[40];
	return json_string(time_format_rfc3339((int64_t)json_integer_value(v), b, sizeof b));
}

json_t *queue_job_view(store_tx_t *tx, const char *account_id, const char *id)
{
	json_t *r = store_job_get(tx, account_id, id);
	if (!r)
		return NULL;
	const char *ps = json_string_value(json_object_get(r, "progress"));
	json_t *progress = ps ? json_loads(ps, 0, NULL) : NULL;
	const char *le = json_string_value(json_object_get(r, "last_error"));
	json_t *v = json_pack("{s:O, s:O, s:O, s:O, s:O, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
		json_object_get(r, "id"), "kind", json_object_get(r, "kind"), "state",
		json_object_get(r, "state"), "attempts", json_object_get(r, "attempts"),
		"max_attempts", json_object_get(r, "max_attempts"), "run_after",
		time_or_null(json_object_get(r, "run_after")), "last_error",
		le ? json_string(le) : json_null(), "progress", progress ? progress : json_null(),
		"created_at", time_or_null(json_object_get(r, "created_at")), "updated_at",
		time_or_null(json_object_get(r, "updated_at")), "finished_at",
		time_or_null(json_object_get(r, "finished_at")));
	json_decref(r);
	return v;
}

int queue_purge(store_t *st, int64_t before, int limit, queue_purged_fn purged, void *arg)
{
	store_tx_t *tx = store_begin(st, true);
	int n = tx ? store_job_purge(tx, before, limit) : -1;
	if (n > 0 && purged && purged(tx, n, before, arg) != 0)
		n = -1;
	if (tx && (n < 0 || store_commit(tx) != STORE_OK)) {
		if (n < 0)
			store_rollback(tx);
		n = -1;
	}
	if (n != 0)
		log_event(n < 0 ? LOG_ERROR : LOG_INFO, "queue.purged", "jobs=%d before=%lld", n,
			(long long)before);
	return n;
}

int queue_retry(store_tx_t *tx, const char *id)
{
	int rc = store_job_retry(tx, id, time_now_ms());
	if (rc == STORE_OK && store_notify(tx, QUEUE_CHANNEL) != STORE_OK)
		rc = STORE_ERROR;
	if (rc == STORE_OK) {
		store_tx_after_commit(tx, wake_local, NULL);
		log_event(LOG_INFO, "queue.retried", "job=%s", id);
	}
	return rc;
}

json_t *queue_overview(store_tx_t *tx, int limit)
{
	json_t *counts = store_job_counts(tx);
	json_t *failed = counts ? store_job_failed(tx, limit) : NULL;
	if (!failed) {
		json_decref(counts);
		return NULL;
	}
	json_t *kinds = json_array(), *by = json_object();
	size_t i;
	json_t *r;
	json_array_foreach(counts, i, r) {
		const char *kind = json_string_value(json_object_get(r, "kind"));
		json_t *k = json_object_get(by, kind);
		if (!k) {
			k = json_pack("{s:s, s:i, s:i, s:i, s:i}", "kind", kind, "queued", 0, "running", 0,
				"done", 0, "failed", 0);
			json_object_set_new(by, kind, k);
			json_array_append(kinds, k);
		}
		json_object_set(k, json_string_value(json_object_get(r, "state")),
			json_object_get(r, "n"));
	}
	json_decref(by);
	json_decref(counts);
	json_t *list = json_array();
	json_array_foreach(failed, i, r) {
		const char *acc = json_string_value(json_object_get(r, "account_id"));
		const char *ref = json_string_value(json_object_get(r, "ref"));
		const char *le = json_string_value(json_object_get(r, "last_error"));
		json_array_append_new(list, json_pack("{s:O, s:O, s:o, s:o, s:O, s:O, s:o, s:o, s:o}",
			"id", json_object_get(r, "id"), "kind", json_object_get(r, "kind"), "account_id",
			acc ? json_string(acc) : json_null(), "ref", ref ? json_string(ref) : json_null(),
			"attempts", json_object_get(r, "attempts"), "max_attempts",
			json_object_get(r, "max_attempts"), "last_error",
			le ? json_string(le) : json_null(), "created_at",
			time_or_null(json_object_get(r, "created_at")), "finished_at",
			time_or_null(json_object_get(r, "finished_at"))));
	}
	json_decref(failed);
	return json_pack("{s:o, s:o}", "kinds", kinds, "failed", list);
}

void queue_metrics(buf_t *out, store_t *st)
{
	buf_puts(out, "# HELP faxvault_queue_jobs Jobs of the queue by kind and state (every node's).\n"
		      "# TYPE faxvault_queue_jobs gauge\n");
	store_tx_t *tx = store_begin(st, false);
	json_t *rows = tx ? store_job_counts(tx) : NULL;
	if (tx)
		store_rollback(tx);
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		buf_printf(out, "faxvault_queue_jobs{kind=\"%s\",state=\"%s\"} %lld\n",
			json_string_value(json_object_get(r, "kind")),
			json_string_value(json_object_get(r, "state")),
			(long long)json_integer_value(json_object_get(r, "n")));
	json_decref(rows);
	buf_printf(out, "# HELP faxvault_queue_runs_total Job runs of this process by outcome.\n"
		      "# TYPE faxvault_queue_runs_total counter\n"
		      "faxvault_queue_runs_total{outcome=\"done\"} %llu\n"
		      "faxvault_queue_runs_total{outcome=\"retried\"} %llu\n"
		      "faxvault_queue_runs_total{outcome=\"failed\"} %llu\n"
		      "faxvault_queue_runs_total{outcome=\"yielded\"} %llu\n"
		      "# HELP faxvault_queue_leases_reclaimed_total Leases of earlier processes of this"
		      " node released at the start of this process.\n"
		      "# TYPE faxvault_queue_leases_reclaimed_total counter\n"
		      "faxvault_queue_leases_reclaimed_total %llu\n",
		(unsigned long long)atomic_load(&n_done), (unsigned long long)atomic_load(&n_retried),
		(unsigned long long)atomic_load(&n_failed), (unsigned long long)atomic_load(&n_yielded),
		(unsigned long long)atomic_load(&n_reclaimed));
}
