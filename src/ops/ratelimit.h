/* Token-bucket rate limits, one bucket per key (an account, an API key, a
 * source address for logins). Thread-safe. Kept in memory, or, on a store
 * shared by several nodes (PostgreSQL, ratelimit_share), in the database:
 * the limit then holds across the nodes. */
#ifndef FV_RATELIMIT_H
#define FV_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct rl_result {
	bool allowed;
	int limit;       /* requests per minute */
	int remaining;   /* whole tokens left after this request */
	int reset_s;     /* seconds until the bucket is full again */
	int retry_after; /* seconds until one token is back (when refused) */
} rl_result_t;

/* Takes one token from key's bucket (capacity burst, refilled at rpm per
 * minute) at now_ms. */
void ratelimit_take(const char *key, int rpm, int burst, int64_t now_ms, rl_result_t *r);
/* From now on the buckets are st's when its backend shares them between
 * nodes (store_rate_shared); NULL, or a store that does not: in memory.
 * st is borrowed until ratelimit_share(NULL). */
typedef struct store store_t;
void ratelimit_share(store_t *st);
/* Forgets every bucket kept in memory (tests). */
void ratelimit_reset(void);

#endif
