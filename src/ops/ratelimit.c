/* In-memory token buckets (see ratelimit.h): an open-addressing table of
 * fixed size; when full, the stalest bucket is reused. */
#include "ratelimit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "store_rate.h"

#define RL_SLOTS 8192
#define RL_KEY_MAX 80

struct bucket {
	char key[RL_KEY_MAX];
	double tokens;
	int64_t at; /* last refill, ms */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct bucket table[RL_SLOTS];
/* The store whose buckets every node shares (ratelimit_share), or NULL. */
static _Atomic(store_t *) shared;
static atomic_bool shared_failing;

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct bucket *find(const char *key, int burst, int64_t now)
{
	size_t start = hash(key) % RL_SLOTS, stalest = start;
	for (size_t n = 0; n < 64; n++) {
		struct bucket *b = &table[(start + n) % RL_SLOTS];
		if (strcmp(b->key, key) == 0)
			return b;
		if (!b->key[0]) {
			stalest = (start + n) % RL_SLOTS;
			break;
		}
		if (b->at < table[stalest].at)
			stalest = (start + n) % RL_SLOTS;
	}
	struct bucket *b = &table[stalest];
	strncpy(b->key, key, RL_KEY_MAX - 1);
	b->key[RL_KEY_MAX - 1] = '\0';
	b->tokens = burst;
	b->at = now;
	return b;
}

void ratelimit_share(store_t *st)
{
	atomic_store(&shared, st && store_rate_shared(st) ? st : NULL);
}

/* r from a bucket's tokens left after this request. */
static void result_of(double tokens, bool allowed, int rpm, int burst, double rate, rl_result_t *r)
{
	r->limit = rpm;
	r->allowed = allowed;
	r->remaining = tokens > 0 ? (int)tokens : 0;
	r->reset_s = (int)((burst - tokens) / rate / 1000.0 + 0.999);
	r->retry_after = allowed ? 0 : (int)((1.0 - tokens) / rate / 1000.0 + 0.999);
	if (!allowed && r->retry_after < 1)
		r->retry_after = 1;
}

void ratelimit_take(const char *key, int rpm, int burst, int64_t now, rl_result_t *r)
{
	double rate = rpm / 60000.0; /* tokens per ms */
	store_t *st = atomic_load(&shared);
	if (st) {
		double tokens;
		bool allowed;
		if (store_rate_take(st, key, rpm, burst, now, &tokens, &allowed) == STORE_OK) {
			if (atomic_exchange(&shared_failing, false))
				log_event(LOG_INFO, "http.rate_limit_shared", "ok=1");
			result_of(tokens, allowed, rpm, burst, rate, r);
			return;
		}
		/* The database does not answer: this node's own buckets meanwhile
		 * (the request itself will most likely fail on its store). */
		if (!atomic_exchange(&shared_failing, true))
			log_event(LOG_WARN, "http.rate_limit_local", "err=\"the shared buckets cannot be "
				"reached: this node's own buckets are used until they can\"");
	}
	pthread_mutex_lock(&lock);
	struct bucket *b = find(key, burst, now);
	if (now > b->at) {
		b->tokens += (double)(now - b->at) * rate;
		if (b->tokens > burst)
			b->tokens = burst;
		b->at = now;
	}
	bool allowed = b->tokens >= 1.0;
	if (allowed)
		b->tokens -= 1.0;
	result_of(b->tokens, allowed, rpm, burst, rate, r);
	pthread_mutex_unlock(&lock);
}

void ratelimit_reset(void)
{
	pthread_mutex_lock(&lock);
	memset(table, 0, sizeof table);
	pthread_mutex_unlock(&lock);
}
