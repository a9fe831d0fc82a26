/* The HTTP front end's requests in flight on its channel to the service
 * (http_wire.h): each request handed over takes an entry and an id, which
 * its answer carries back; the answer takes the entry out again. An id is
 * never given twice in a table's life (a counter is part of it), so an
 * answer that comes late or twice, or with an id never given, finds
 * nothing rather than another request. At most cap entries: the front end
 * answers a request beyond them itself (back-pressure, nothing queued).
 * Closing the table (the service went away, or the stop) hands back every
 * entry, and no entry is taken after.
 * A deadline (http_chan_set_timeout): an entry not answered within it is
 * handed back by http_chan_expire (the front end answers 504) but keeps
 * its place until its answer comes late (http_chan_take: NULL, errno
 * ETIMEDOUT) or the table closes, since the service still has the request
 * in hand and counts it: the cap stays what the service holds.
 * Thread-safe. Ownership: the entries' pointers are the caller's; the
 * table only keeps them. */
#ifndef FV_HTTP_CHAN_H
#define FV_HTTP_CHAN_H

#include <stdint.h>

typedef struct http_chan http_chan_t;

/* A table of at most cap entries (1 to HTTP_CHAN_CAP_MAX). */
#define HTTP_CHAN_CAP_MAX 65536u
http_chan_t *http_chan_new(unsigned cap);
/* Frees c (its entries are not looked at). NULL is a no-op. */
void http_chan_free(http_chan_t *c);
/* Adds req (not NULL): 0 with its id (never 0) in *id, or -1 with errno
 * EBUSY (cap entries in flight) or EPIPE (the table is closed). */
int http_chan_add(http_chan_t *c, void *req, uint64_t *id);
/* Takes id's entry out: its req, or NULL when id is not in flight, with
 * errno ETIMEDOUT when its deadline had passed (handed back by
 * http_chan_expire: its place is freed now), else ENOENT (never given,
 * taken already, or handed back by the close). */
void *http_chan_take(http_chan_t *c, uint64_t id);
/* Entries added from now on must be answered within timeout_ns of their
 * add (CLOCK_MONOTONIC); 0 (the default): no deadline. */
void http_chan_set_timeout(http_chan_t *c, int64_t timeout_ns);
/* Hands each entry whose deadline is at or before now_ns (CLOCK_MONOTONIC)
 * to fn with its id (outside the table's lock, oldest first), at most
 * once; their places stay taken (see above). Returns how many. */
unsigned http_chan_expire(http_chan_t *c, int64_t now_ns,
	void (*fn)(void *req, uint64_t id, void *arg), void *arg);
/* The earliest deadline of the entries not yet expired, or 0 when none. */
int64_t http_chan_next_deadline(http_chan_t *c);
/* Closes c: every entry is taken out and given to fn (outside the table's
 * lock, in no particular order); http_chan_add fails from now on. */
void http_chan_close(http_chan_t *c, void (*fn)(void *req, void *arg), void *arg);
/* The entries in flight (the expired ones not yet answered included). */
unsigned http_chan_inflight(http_chan_t *c);

#endif
