/* Group commit of the small writes of read transactions (see store.h): a
 * queue per store, written by one of the waiting callers at a time, many
 * writes to a transaction. */
#include "store.h"
#include "store_int.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

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
};

/* One lock for every store: a process has one or two stores. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

/* Each waiting thread's own condition, made at its first wait. */
static _Thread_local pthread_cond_t t_cond;
static _Thread_local bool t_cond_made;

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
 * group's items marked done and their waiters woken. */
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
	}
}

/* With no group being written: wakes the first waiting caller of what is
 * left in the queue, who writes the next group. A write whose caller is
 * not waiting yet (its read transaction goes on) is written by whoever
 * comes first. Called with g_lock held. */
static void hand_over(store_t *st)
{
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
			if (st->g_writing) {
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
	for (struct store_gitem *it = list, *next; it; it = next) {
		next = it->tnext;
		if (it->free_arg)
			it->free_arg(it->arg);
		free(it);
	}
	return rc;
}

void store_group_stats(store_t *st, store_group_stats_t *out)
{
	pthread_mutex_lock(&g_lock);
	*out = (store_group_stats_t){ .groups = st->g_groups, .writes = st->g_writes,
		.queued = st->g_queued, .writing = st->g_writing };
	pthread_mutex_unlock(&g_lock);
}
