/* Token-bucket rate limits kept in memory, one bucket per key (an account,
 * an API key, a source address for logins). Thread-safe. Each node of a
 * multi-node installation enforces its own buckets. */
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
/* Forgets every bucket (tests). */
void ratelimit_reset(void);

#endif
