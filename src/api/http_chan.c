/* The HTTP front end's requests in flight (see http_chan.h). An id is a
 * slot's index in its low 16 bits and, above, the table's count of adds
 * (from 1): a slot reused holds another id, so a stale one finds nothing.
 * The entries with a deadline not yet passed are also on a list in the
 * order of their adds, which is the order of their deadlines (one
 * timeout for all): the expiry looks at its head only. */
#include "http_chan.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "timeutil.h"
#include "xalloc.h"

#define SLOT_BITS 16
#define SLOT_MASK ((1u << SLOT_BITS) - 1)
#define NONE UINT_MAX

struct slot {
	uint64_t id;  /* 0: free */
	void *req;    /* NULL once expired */
	int64_t deadline; /* 0: none, or expired */
	unsigned prev, next; /* on the deadline list (NONE: an end) */
};

struct http_chan {
	pthread_mutex_t mu;
	unsigned cap, used;
	struct slot *slots;
	unsigned *free;  /* the free slots' indexes, a stack of cap - used */
	uint64_t adds;
	int64_t timeout_ns;
	unsigned head, tail; /* the deadline list, oldest first */
	bool closed;
};

http_chan_t *http_chan_new(unsigned cap)
{
	if (cap == 0 || cap > HTTP_CHAN_CAP_MAX)
		return NULL;
	http_chan_t *c = xcalloc(1, sizeof *c);
	pthread_mutex_init(&c->mu, NULL);
	c->cap = cap;
	c->slots = xcalloc(cap, sizeof *c->slots);
	c->free = xcalloc(cap, sizeof *c->free);
	c->head = c->tail = NONE;
	/* Popped from the end: slot 0 first. */
	for (unsigned i = 0; i < cap; i++)
		c->free[i] = cap - 1 - i;
	return c;
}

void http_chan_free(http_chan_t *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->mu);
	free(c->slots);
	free(c->free);
	free(c);
}

int http_chan_add(http_chan_t *c, void *req, uint64_t *id)
{
	pthread_mutex_lock(&c->mu);
	int err = c->closed ? EPIPE : c->used == c->cap ? EBUSY : 0;
	if (!err) {
		unsigned i = c->free[c->cap - 1 - c->used];
		c->used++;
		c->slots[i].id = (++c->adds << SLOT_BITS) | i;
		c->slots[i].req = req;
		if (c->timeout_ns > 0) {
			c->slots[i].deadline = time_mono_ns() + c->timeout_ns;
			c->slots[i].prev = c->tail;
			c->slots[i].next = NONE;
			if (c->tail != NONE)
				c->slots[c->tail].next = i;
			else
				c->head = i;
			c->tail = i;
		}
		*id = c->slots[i].id;
	}
	pthread_mutex_unlock(&c->mu);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/* Takes slot i off the deadline list, if it is on it (c->mu held). */
static void slot_unlink(http_chan_t *c, unsigned i)
{
	struct slot *s = &c->slots[i];
	if (!s->deadline)
		return;
	if (s->prev != NONE)
		c->slots[s->prev].next = s->next;
	else
		c->head = s->next;
	if (s->next != NONE)
		c->slots[s->next].prev = s->prev;
	else
		c->tail = s->prev;
	s->deadline = 0;
}

/* Frees slot i (c->mu held). */
static void slot_release(http_chan_t *c, unsigned i)
{
	slot_unlink(c, i);
	c->slots[i] = (struct slot){ 0 };
	c->used--;
	c->free[c->cap - 1 - c->used] = i;
}

void *http_chan_take(http_chan_t *c, uint64_t id)
{
	unsigned i = (unsigned)(id & SLOT_MASK);
	void *req = NULL;
	int err = ENOENT;
	pthread_mutex_lock(&c->mu);
	if (id != 0 && i < c->cap && c->slots[i].id == id) {
		req = c->slots[i].req;
		if (!req)
			err = ETIMEDOUT;
		slot_release(c, i);
	}
	pthread_mutex_unlock(&c->mu);
	if (!req)
		errno = err;
	return req;
}

void http_chan_set_timeout(http_chan_t *c, int64_t timeout_ns)
{
	pthread_mutex_lock(&c->mu);
	c->timeout_ns = timeout_ns > 0 ? timeout_ns : 0;
	pthread_mutex_unlock(&c->mu);
}

unsigned http_chan_expire(http_chan_t *c, int64_t now_ns,
	void (*fn)(void *req, uint64_t id, void *arg), void *arg)
{
	struct slot *due = NULL;
	unsigned n = 0;
	pthread_mutex_lock(&c->mu);
	while (c->head != NONE && c->slots[c->head].deadline <= now_ns) {
		unsigned i = c->head;
		if (!due)
			due = xcalloc(c->used, sizeof *due);
		due[n++] = c->slots[i];
		slot_unlink(c, i);
		c->slots[i].req = NULL;
	}
	pthread_mutex_unlock(&c->mu);
	for (unsigned k = 0; k < n; k++)
		fn(due[k].req, due[k].id, arg);
	free(due);
	return n;
}

int64_t http_chan_next_deadline(http_chan_t *c)
{
	pthread_mutex_lock(&c->mu);
	int64_t d = c->head != NONE ? c->slots[c->head].deadline : 0;
	pthread_mutex_unlock(&c->mu);
	return d;
}

void http_chan_close(http_chan_t *c, void (*fn)(void *req, void *arg), void *arg)
{
	pthread_mutex_lock(&c->mu);
	c->closed = true;
	void **left = xcalloc(c->used ? c->used : 1, sizeof *left);
	size_t n = 0;
	for (unsigned i = 0; i < c->cap && c->used; i++)
		if (c->slots[i].id) {
			/* An expired entry was answered already. */
			if (c->slots[i].req)
				left[n++] = c->slots[i].req;
			slot_release(c, i);
		}
	pthread_mutex_unlock(&c->mu);
	for (size_t k = 0; k < n; k++)
		fn(left[k], arg);
	free(left);
}

unsigned http_chan_inflight(http_chan_t *c)
{
	pthread_mutex_lock(&c->mu);
	unsigned n = c->used;
	pthread_mutex_unlock(&c->mu);
	return n;
}
