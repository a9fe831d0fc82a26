/* Rate-limit buckets kept in the store, shared by every node of a
 * multi-node installation (PostgreSQL); see ratelimit.h. */
#ifndef FV_STORE_RATE_H
#define FV_STORE_RATE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct store store_t;

/* Whether the rate limits' buckets are kept in the database, shared by
 * every node (PostgreSQL), rather than in each process (SQLite). */
bool store_rate_shared(store_t *st);
/* Takes one token from key's bucket (capacity burst, refilled at rpm per
 * minute) at now_ms, in one statement outside any transaction (the
 * writers' lock is not taken). *tokens gets the tokens left after it,
 * *allowed whether one was taken. STORE_OK, STORE_ERROR (logged), or
 * STORE_NOTFOUND when the backend keeps no buckets (SQLite). */
int store_rate_take(store_t *st, const char *key, int rpm, int burst, int64_t now_ms, double *tokens,
	bool *allowed);

#endif
