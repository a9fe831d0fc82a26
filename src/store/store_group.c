/* Group commit of the small writes of read transactions (see store.h): a
 * queue per store, written by one of the waiting callers at a time, many
 * writes to a transaction; the writes of callers that went on without
 * waiting (store_detach_next) by the writer that finds them queued, who
 * runs their ends (the answers) once they are committed. */
#include "store.h"
#include "store_int.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "timeutil.h"
#include "xalloc.h"

/* A caller that can go on (store_detach_next) does so behind a group
 * being written when at most GO_ON_QUEUED writes are queued behind that
 * group, its own included: the writer writes them next, in one small
 * group, and sends their answers, while this caller takes its next
 * request (bench/api: groups of 1.5 to 1.7 writes instead of 1.1, four to
 * six system calls fewer a read). Behind a longer queue it waits as
 * before, unless the group being written has taken longer than
 * DETACH_AFTER_NS (a log restart holding the writers' lock, its file
 * syncs): a batch behind another writer's answers made the paced tail
 * slower ("going on always", docs/benchmarks.md). GO_ON_QUEUED 0 brings
 * back nearly the rule before, going on only behind a slow group. */
#define GO_ON_QUEUED 2
#define DETACH_AFTER_NS (1000 * 1000)

struct store_gitem {
	struct store_gitem *next;  /* in the store's queue, then in its group */
	struct store_gitem *tnext; /* among its transaction's */
	store_group_fn fn;
	void *arg;
	void (*free_arg)(void *);
	char *chain; /* the audit chain it writes alone (store_tx_defer_chain), or NULL */
	bool done; /* set, under g_lock, once its group ended */
	bool unavailable; /* its group failed for store_unavailable_seen */
	int rc;
	/* The condition of the thread waiting for it (sq_group_wait), or
	 * NULL: only that thread is woken when it is written, or when it is
	 * the first waited-for write left and no one writes. */
	pthread_cond_t *waiter;
	/* The detached commit it belongs to (store_detached), or NULL. */
	struct store_pending *pend;
};

/* A detached commit: its transaction's writes, ended when the last is. */
struct store_pending {
	struct store_pending *next; /* in the store's g_ready */
	store_t *st;
	struct store_gitem *list;   /* linked by tnext; released with it */
	int left;                   /* writes not yet written */
	int rc;
	bool unavailable;
	store_pending_fn fn;        /* NULL until store_pending_then */
	void *arg;
};

/* One lock for every store: a process has one or two stores. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

/* Each waiting thread's own condition, made at its first wait. */
static _Thread_local pthread_cond_t t_cond;
static _Thread_local bool t_cond_made;

/* store_detach_next, and the commit it detached (store_detached). */
static _Thread_local bool t_detach;
static _Thread_local struct store_pending *t_detached;

/* Releases a list of writes (linked by tnext) once written. */
static void items_free(struct store_gitem *list)
{
	for (struct store_gitem *it = list, *next; it; it = next) {
		next = it->tnext;
		if (it->free_arg)
			it->free_arg(it->arg);
		free(it->chain);
		free(it);
	}
}

/* Tests only (store_group_test_hold): waits while the file exists. */
static void hold_wait(const char *path, int n)
{
	if (!path || access(path, F_OK) != 0)
		return;
	log_event(LOG_INFO, "store.group_held", "writes=%d", n);
	for (int i = 0; i < 12000 && access(path, F_OK) == 0; i++)
		usleep(50 * 1000);
}

void store_tx_defer(store_tx_t *tx, store_group_fn fn, void *arg, void (*free_arg)(void *))
{
	store_tx_defer_chain(tx, NULL, fn, arg, free_arg);
}

void store_tx_defer_chain(store_tx_t *tx, const char *chain, store_group_fn fn, void *arg,
	void (*free_arg)(void *))
{
	if (tx->write) {
		/* A write transaction writes itself. */
		if (fn(tx, arg) != 0)
			log_event(LOG_ERROR, "store.deferred_failed", "in=write");
		if (free_arg)
			free_arg(arg);
		return;
	}
	struct store_gitem *it = xcalloc(1, sizeof *it);
	it->fn = fn;
	it->arg = arg;
	it->free_arg = free_arg;
	it->chain = chain ? xstrdup(chain) : NULL;
	store_t *st = tx->st;
	pthread_mutex_lock(&g_lock);
	if (st->g_tail)
		st->g_tail->next = it;
	else
		st->g_head = it;
	st->g_tail = it;
	st->g_queued++;
	pthread_mutex_unlock(&g_lock);
	it->tnext = tx->deferred;
	tx->deferred = it;
}

static int chain_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Tries of a group of chains without the write lock before it takes it. */
#define CHAIN_TRIES 3

/* The transaction of a group (batch, n writes). On PostgreSQL, when every
 * write names its audit chain (store_tx_defer_chain), it takes no write
 * lock: it takes one chain's lock at BEGIN (the groups of that chain queue
 * there in turn, as on the write lock), then the other chains' locks and
 * the heads of all (sq_audit_lock_heads): the first chain's head waited
 * for, holding no head, the rest taken only if free. So it never waits
 * holding a head, nor for a chain's lock while holding another than the
 * first one, and no deadlock can form, with other groups or with a write
 * transaction (which takes the write lock, then the heads it needs in its
 * own order, and no chain's lock). One held by another writer: tried again
 * with that chain first, CHAIN_TRIES times. A group of one chain needs no
 * step of its own (its first write's head is its next lock). A head not
 * made yet, or a try too many: the write lock, as any other group's. */
static store_tx_t *group_begin(store_t *st, struct store_gitem *batch, int n)
{
	if (!st->be->begin_chains)
		return store_begin(st, true);
	const char **chains = xcalloc((size_t)n, sizeof *chains);
	int nc = 0;
	for (struct store_gitem *it = batch; it; it = it->next) {
		if (!it->chain) {
			free(chains);
			return store_begin(st, true);
		}
		chains[nc++] = it->chain;
	}
	qsort(chains, (size_t)nc, sizeof *chains, chain_cmp);
	int m = 0;
	for (int i = 0; i < nc; i++)
		if (m == 0 || strcmp(chains[m - 1], chains[i]) != 0)
			chains[m++] = chains[i];
	store_tx_t *tx = NULL;
	int first = 0;
	/* One write transaction for the group, however many tries it takes:
	 * the tries after the first (and the write lock after them) are
	 * retries (store_write_retries). */
	atomic_fetch_add(&st->write_txs, 1);
	for (int t = 0; t < CHAIN_TRIES && !tx; t++) {
		if (t)
			atomic_fetch_add(&st->write_retries, 1);
		tx = st->be->begin_chains(st, chains[first]);
		if (!tx)
			break;
		int busy = 0, rc = m > 1 ? sq_audit_lock_heads(tx, chains, m, first, &busy) : 0;
		if (rc == 0)
			break;
		store_rollback(tx);
		tx = NULL;
		if (rc != 1)
			break;
		first = busy;
	}
	free(chains);
	/* The database unreachable (by the deadline): the group fails now,
	 * not after a second wait for the write lock's BEGIN. */
	if (!tx && store_unavailable_seen())
		return NULL;
	if (tx)
		return tx;
	atomic_fetch_add(&st->write_retries, 1);
	return st->be->begin(st, true);
}

/* Writes the first group of st's queue in one transaction. Called with
 * g_lock held and st->g_writing set; returns with g_lock held, the
 * group's items marked done, their waiters woken and the detached commits
 * it ended, once given their end (store_pending_then), in st->g_ready. */
static void write_group(store_t *st)
{
	struct store_gitem *batch = st->g_head, *last = batch;
	int n = 1;
	while (last->next && n < STORE_GROUP_MAX) {
		last = last->next;
		n++;
	}
	st->g_head = last->next;
	if (!st->g_head)
		st->g_tail = NULL;
	last->next = NULL;
	st->g_queued -= n;
	st->g_write_t0 = time_mono_ns();
	pthread_mutex_unlock(&g_lock);
	hold_wait(st->g_hold, n);

	/* Whether this group fails for the database's unavailability: told
	 * to each of its waiters (sq_group_wait); the writer's own flag is
	 * restored after. */
	bool seen = store_unavailable_seen();
	store_unavailable_clear();
	store_tx_t *tx = group_begin(st, batch, n);
	for (struct store_gitem *it = batch; it; it = it->next) {
		it->rc = tx ? it->fn(tx, it->arg) : -1;
		/* A write the database refused for being unreachable or
		 * read-only (a demoted primary) fails its caller "unavailable"
		 * even when the group commits the others. */
		it->unavailable = it->rc != 0 && store_unavailable_seen();
	}
	bool ok = tx && store_commit(tx) == STORE_OK;
	bool unavailable = !ok && (!tx || store_unavailable_seen());
	store_unavailable_clear();
	if (seen)
		sq_note_unavailable();
	if (!ok)
		log_event(LOG_ERROR, "store.group_failed", "writes=%d", n);

	pthread_mutex_lock(&g_lock);
	st->g_groups++;
	st->g_writes += (uint64_t)n;
	for (struct store_gitem *it = batch, *next; it; it = next) {
		next = it->next;
		if (!ok)
			it->rc = -1;
		it->unavailable = it->unavailable || unavailable;
		it->done = true;
		if (it->waiter)
			pthread_cond_signal(it->waiter);
		struct store_pending *p = it->pend;
		if (!p)
			continue;
		if (it->rc != 0)
			p->rc = -1;
		p->unavailable = p->unavailable || it->unavailable;
		if (--p->left == 0 && p->fn) {
			p->next = NULL;
			if (st->g_ready_tail)
				st->g_ready_tail->next = p;
			else
				st->g_ready = p;
			st->g_ready_tail = p;
		}
	}
}

/* Runs the ends of the detached commits written (st->g_ready), in order,
 * outside the lock. Called and returns with g_lock held. */
static void ready_run(store_t *st)
{
	while (st->g_ready) {
		struct store_pending *p = st->g_ready;
		st->g_ready = st->g_ready_tail = NULL;
		pthread_mutex_unlock(&g_lock);
		for (struct store_pending *next; p; p = next) {
			next = p->next;
			p->fn(p->arg, p->rc, p->unavailable);
			items_free(p->list);
			free(p);
		}
		pthread_mutex_lock(&g_lock);
	}
}

/* With no group being written: wakes the first waiting caller of what is
 * left in the queue, who writes the next group. A write whose caller is
 * not waiting yet (its read transaction goes on) is written by whoever
 * comes first; one whose caller went on (store_detached), by the writer
 * that found it queued. Called with g_lock held. */
static void hand_over(store_t *st)
{
	for (struct store_gitem *it = st->g_head; it; it = it->next)
		if (it->waiter) {
			pthread_cond_signal(it->waiter);
			return;
		}
}

/* Whether a write of a caller that went on (store_detached) is queued. */
static bool detached_queued(const store_t *st)
{
	for (const struct store_gitem *it = st->g_head; it; it = it->next)
		if (it->pend)
			return true;
	return false;
}

/* The writer, once its own writes are written: the answers of the groups
 * written, then the writes of the callers that went on meanwhile (they
 * wait for no one else to write them), a group at a time, each group's
 * answers sent as soon as it is committed. Called and returns with
 * g_lock held and st->g_writing set. */
static void write_detached(store_t *st)
{
	ready_run(st);
	while (detached_queued(st)) {
		write_group(st);
		ready_run(st);
	}
}

void store_detach_next(void)
{
	t_detach = true;
	t_detached = NULL;
}

store_pending_t *store_detached(void)
{
	struct store_pending *p = t_detached;
	t_detach = false;
	t_detached = NULL;
	return p;
}

bool sq_group_detach(store_t *st, struct store_gitem *list)
{
	if (!t_detach)
		return false;
	t_detach = false;
	struct store_pending *p = xcalloc(1, sizeof *p);
	p->st = st;
	p->list = list;
	pthread_mutex_lock(&g_lock);
	for (struct store_gitem *it = list; it; it = it->tnext)
		if (!it->done) {
			it->pend = p;
			p->left++;
		} else {
			if (it->rc != 0)
				p->rc = -1;
			p->unavailable = p->unavailable || it->unavailable;
		}
	pthread_mutex_unlock(&g_lock);
	if (p->left == 0) {
		/* Written already: the caller's sq_group_wait answers at once. */
		free(p);
		return false;
	}
	t_detached = p;
	return true;
}

int store_pending_then(store_pending_t *p, store_pending_fn fn, void *arg, int *rc,
	bool *unavailable)
{
	store_t *st = p->st;
	pthread_mutex_lock(&g_lock);
	bool later = p->left > 0;
	int64_t after = st->g_detach_after_ns ? st->g_detach_after_ns : DETACH_AFTER_NS;
	if (later && st->g_writing && st->g_queued > GO_ON_QUEUED &&
	    time_mono_ns() - st->g_write_t0 < after) {
		/* A group being written, not for long, a queue behind it:
		 * waited for as before. */
		for (struct store_gitem *it = p->list; it; it = it->tnext)
			it->pend = NULL;
		pthread_mutex_unlock(&g_lock);
		*rc = sq_group_wait(st, p->list);
		*unavailable = store_unavailable_seen();
		free(p);
		return 0;
	}
	if (later) {
		p->fn = fn;
		p->arg = arg;
		if (!st->g_writing) {
			/* No one writes: this caller does, its own group first
			 * (its end runs then, in this thread), and what the
			 * callers that went on queued meanwhile. */
			st->g_writing = true;
			write_detached(st);
			st->g_writing = false;
			hand_over(st);
		}
	} else {
		*rc = p->rc;
		*unavailable = p->unavailable;
	}
	pthread_mutex_unlock(&g_lock);
	if (later)
		return 1;
	if (p->unavailable)
		sq_note_unavailable();
	items_free(p->list);
	free(p);
	return 0;
}

int sq_group_wait(store_t *st, struct store_gitem *list)
{
	int rc = 0;
	if (!t_cond_made) {
		pthread_cond_init(&t_cond, NULL);
		t_cond_made = true;
	}
	pthread_mutex_lock(&g_lock);
	for (struct store_gitem *it = list; it; it = it->tnext) {
		while (!it->done) {
			if (st->g_writing) {
				it->waiter = &t_cond;
				pthread_cond_wait(&t_cond, &g_lock);
				it->waiter = NULL;
				continue;
			}
			/* The writer, until this item is written, then of
			 * what callers that went on queued meanwhile. */
			st->g_writing = true;
			while (!it->done)
				write_group(st);
			write_detached(st);
			st->g_writing = false;
			/* Whoever waits for what is left takes over. */
			hand_over(st);
		}
		if (it->rc != 0)
			rc = -1;
		if (it->unavailable)
			sq_note_unavailable();
	}
	pthread_mutex_unlock(&g_lock);
	items_free(list);
	return rc;
}

void store_group_stats(store_t *st, store_group_stats_t *out)
{
	pthread_mutex_lock(&g_lock);
	*out = (store_group_stats_t){ .groups = st->g_groups, .writes = st->g_writes,
		.queued = st->g_queued, .writing = st->g_writing };
	pthread_mutex_unlock(&g_lock);
}

void store_group_test_hold(store_t *st, const char *path)
{
	free(st->g_hold);
	st->g_hold = path && *path ? xstrdup(path) : NULL;
}

void store_group_test_detach_after(store_t *st, int64_t ns)
{
	pthread_mutex_lock(&g_lock);
	st->g_detach_after_ns = ns;
	pthread_mutex_unlock(&g_lock);
}

void sq_group_close(store_t *st)
{
	free(st->g_hold);
	st->g_hold = NULL;
}
