/* Group commit of the small writes of read transactions (see store.h): a
 * queue per store, written by one of the waiting callers at a time, many
 * writes to a transaction; or, once a caller has gone on without waiting
 * (store_detach_next), by the store's group writer thread. */
#include "store.h"
#include "store_int.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "xalloc.h"

struct store_gitem {
	struct store_gitem *next;  /* in the store's queue, then in its group */
	struct store_gitem *tnext; /* among its transaction's */
	store_group_fn fn;
	void *arg;
	void (*free_arg)(void *);
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
	pthread_mutex_unlock(&g_lock);
	hold_wait(st->g_hold, n);

	/* Whether this group fails for the database's unavailability: told
	 * to each of its waiters (sq_group_wait); the writer's own flag is
	 * restored after. */
	bool seen = store_unavailable_seen();
	store_unavailable_clear();
	store_tx_t *tx = store_begin(st, true);
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

/* The group writer: every group from its start on, until store_close
 * when nothing is left queued. */
static void *group_writer(void *arg)
{
	store_t *st = arg;
	pthread_mutex_lock(&g_lock);
	for (;;) {
		if (st->g_head && !st->g_writing) {
			st->g_writing = true;
			write_group(st);
			st->g_writing = false;
		} else if (st->g_ready) {
			ready_run(st);
		} else if (st->g_stop && !st->g_head && !st->g_writing) {
			break;
		} else {
			pthread_cond_wait(&st->g_cv, &g_lock);
		}
	}
	pthread_mutex_unlock(&g_lock);
	return NULL;
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
	if (p->left == 0) {
		/* Written already: the caller's sq_group_wait answers at once. */
		pthread_mutex_unlock(&g_lock);
		free(p);
		return false;
	}
	if (!st->g_thread_on) {
		pthread_cond_init(&st->g_cv, NULL);
		if (pthread_create(&st->g_thread, NULL, group_writer, st) != 0) {
			/* No writer of its own: the caller waits, as before. */
			pthread_cond_destroy(&st->g_cv);
			for (struct store_gitem *it = list; it; it = it->tnext)
				it->pend = NULL;
			pthread_mutex_unlock(&g_lock);
			free(p);
			log_event(LOG_ERROR, "store.group_writer", "err=\"no thread\"");
			return false;
		}
		st->g_thread_on = true;
	}
	pthread_cond_signal(&st->g_cv);
	pthread_mutex_unlock(&g_lock);
	t_detached = p;
	return true;
}

int store_pending_then(store_pending_t *p, store_pending_fn fn, void *arg, int *rc,
	bool *unavailable)
{
	pthread_mutex_lock(&g_lock);
	bool later = p->left > 0;
	if (later) {
		p->fn = fn;
		p->arg = arg;
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

/* With no group being written: wakes the first waiting caller of what is
 * left in the queue, who writes the next group (or the group writer, once
 * there is one). A write whose caller is not waiting yet (its read
 * transaction goes on) is written by whoever comes first. Called with
 * g_lock held. */
static void hand_over(store_t *st)
{
	if (st->g_thread_on) {
		pthread_cond_signal(&st->g_cv);
		return;
	}
	for (struct store_gitem *it = st->g_head; it; it = it->next)
		if (it->waiter) {
			pthread_cond_signal(it->waiter);
			return;
		}
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
			if (st->g_writing || st->g_thread_on) {
				/* The group writer, when there is one, writes it. */
				if (st->g_thread_on && !st->g_writing)
					pthread_cond_signal(&st->g_cv);
				it->waiter = &t_cond;
				pthread_cond_wait(&t_cond, &g_lock);
				it->waiter = NULL;
				continue;
			}
			/* The writer, until this item is written. */
			st->g_writing = true;
			while (!it->done)
				write_group(st);
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

void sq_group_close(store_t *st)
{
	pthread_mutex_lock(&g_lock);
	bool on = st->g_thread_on;
	if (on) {
		st->g_stop = true;
		pthread_cond_signal(&st->g_cv);
	}
	pthread_mutex_unlock(&g_lock);
	if (on) {
		pthread_join(st->g_thread, NULL);
		pthread_cond_destroy(&st->g_cv);
		st->g_thread_on = false;
	}
	free(st->g_hold);
	st->g_hold = NULL;
}
