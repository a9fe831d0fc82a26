/* Prometheus counters and a latency histogram (see metrics.h). */
#include "metrics.h"

#include <jansson.h>
#include <malloc.h>
#if defined(__SANITIZE_ADDRESS__)
/* The sanitizer runtime's count (its header is not always installed). */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <string.h>

#include "fax/fax.h"
#include "mail_sender.h"
#include "smtp_auth.h"
#include "smtp_ingress.h"
#include "smtp_server.h"
#include "sec.h"

#define METRICS_SERIES_MAX 512

static const double bounds[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5 };
#define NB (sizeof bounds / sizeof bounds[0])
_Static_assert(NB == METRICS_BUCKETS, "METRICS_BUCKETS is the number of bounds");

struct series {
	const char *route; /* static strings of the route table */
	char method[8];
	int status;
	uint64_t count;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct series series[METRICS_SERIES_MAX];
static int nseries;
static uint64_t hist[NB + 1];
static double hist_sum;
static uint64_t auth_failures;
static uint64_t http_answers, http_5xx; /* every request answered, and those with 5xx */
static uint64_t slow_clients;
static uint64_t rate_limited[2]; /* [announced] */
/* The service's queue: how long requests waited for a worker. */
static uint64_t queue_hist[NB + 1], queue_sum_ns;

void metrics_init(void)
{
	pthread_mutex_lock(&lock);
	nseries = 0;
	memset(hist, 0, sizeof hist);
	hist_sum = 0;
	auth_failures = slow_clients = 0;
	rate_limited[0] = rate_limited[1] = 0;
	memset(queue_hist, 0, sizeof queue_hist);
	queue_sum_ns = 0;
	pthread_mutex_unlock(&lock);
}

/* The histogram's bucket of a duration: the first bound it does not
 * pass, NB past the last. */
static size_t bucket_of(int64_t ns)
{
	double s = (double)ns / 1e9;
	size_t b = 0;
	while (b < NB && s > bounds[b])
		b++;
	return b;
}

void metrics_request(const char *route, const char *method, int status, int64_t ns)
{
	double s = (double)ns / 1e9;
	pthread_mutex_lock(&lock);
	int i;
	for (i = 0; i < nseries; i++)
		if (series[i].route == route && series[i].status == status &&
		    strcmp(series[i].method, method) == 0)
			break;
	if (i == nseries && nseries < METRICS_SERIES_MAX) {
		series[i].route = route;
		strncpy(series[i].method, method, sizeof series[i].method - 1);
		series[i].status = status;
		series[i].count = 0;
		nseries++;
	}
	if (i < nseries)
		series[i].count++;
	http_answers++;
	if (status >= 500 && status <= 599)
		http_5xx++;
	hist[bucket_of(ns)]++;
	hist_sum += s;
	pthread_mutex_unlock(&lock);
}

void metrics_http_totals(int64_t *answers, int64_t *errors)
{
	pthread_mutex_lock(&lock);
	*answers = (int64_t)http_answers;
	*errors = (int64_t)http_5xx;
	pthread_mutex_unlock(&lock);
}

void metrics_auth_failure(void)
{
	pthread_mutex_lock(&lock);
	auth_failures++;
	pthread_mutex_unlock(&lock);
}

/* The front end's counters in memory shared with the HTTP front end,
 * which counts them, or NULL. */
static metrics_front_t *front_shared;

void metrics_front_share(metrics_front_t *shared)
{
	pthread_mutex_lock(&lock);
	front_shared = shared;
	pthread_mutex_unlock(&lock);
}

void metrics_slow_client(void)
{
	pthread_mutex_lock(&lock);
	if (front_shared)
		__atomic_add_fetch(&front_shared->slow_clients, 1, __ATOMIC_RELAXED);
	else
		slow_clients++;
	pthread_mutex_unlock(&lock);
}

void metrics_front_whole(int64_t ns)
{
	pthread_mutex_lock(&lock);
	metrics_front_t *f = front_shared;
	pthread_mutex_unlock(&lock);
	if (!f)
		return;
	__atomic_add_fetch(&f->whole[bucket_of(ns)], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&f->whole_sum_ns, (uint64_t)(ns > 0 ? ns : 0), __ATOMIC_RELAXED);
}

void metrics_service_queue(int64_t ns)
{
	pthread_mutex_lock(&lock);
	queue_hist[bucket_of(ns)]++;
	queue_sum_ns += (uint64_t)(ns > 0 ? ns : 0);
	pthread_mutex_unlock(&lock);
}

void metrics_rate_limited(bool announced)
{
	pthread_mutex_lock(&lock);
	rate_limited[announced ? 1 : 0]++;
	pthread_mutex_unlock(&lock);
}

static const libvers_t *libs;
static metrics_extra_fn *extra_fn;
static void *extra_ud;

void metrics_set_extra(metrics_extra_fn *fn, void *ud)
{
	pthread_mutex_lock(&lock);
	extra_fn = fn;
	extra_ud = ud;
	pthread_mutex_unlock(&lock);
}

void metrics_set_libs(const libvers_t *l)
{
	libs = l;
}

/* The heap in use, beside the resident size: what grows when memory is
 * kept, not the pages the allocator keeps for reuse. glibc's allocator
 * counts small blocks and mapped large ones; under AddressSanitizer, which
 * replaces it, the sanitizer's own count. */
static size_t heap_in_use(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return __sanitizer_get_current_allocated_bytes();
#else
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
#endif
}

/* A histogram in the exposition: its cumulative buckets from the counts
 * by bucket n[0..NB], its sum (seconds) and count. */
static void hist_render(buf_t *o, const char *name, const char *help, const uint64_t *n,
	double sum)
{
	buf_printf(o, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	uint64_t cum = 0;
	for (size_t b = 0; b < NB; b++) {
		cum += n[b];
		buf_printf(o, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[b], (unsigned long long)cum);
	}
	cum += n[NB];
	buf_printf(o, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name,
		(unsigned long long)cum, name, sum, name, (unsigned long long)cum);
}

void metrics_render(buf_t *o, int64_t db_ns, int64_t in_flight)
{
	buf_printf(o, "# HELP faxvault_process_heap_bytes Heap memory in use by the service.\n"
		"# TYPE faxvault_process_heap_bytes gauge\n"
		"faxvault_process_heap_bytes %zu\n", heap_in_use());
	pthread_mutex_lock(&lock);
	buf_puts(o, "# HELP faxvault_http_requests_total HTTP requests by route, method and status.\n"
		    "# TYPE faxvault_http_requests_total counter\n");
	for (int i = 0; i < nseries; i++)
		buf_printf(o, "faxvault_http_requests_total{route=\"%s\",method=\"%s\",status=\"%d\"} %llu\n",
			series[i].route, series[i].method, series[i].status,
			(unsigned long long)series[i].count);
	hist_render(o, "faxvault_http_request_duration_seconds", "HTTP request latency: the front "
		"end's receiving and the service's handling (not the wait for a worker, nor the way back).",
		hist, hist_sum);
	hist_render(o, "faxvault_http_service_queue_seconds", "Time HTTP requests waited for a "
		"service worker (http.threads), from the front end's sending.", queue_hist, (double)queue_sum_ns / 1e9);
	if (front_shared) {
		uint64_t whole[NB + 1];
		for (size_t b = 0; b <= NB; b++)
			whole[b] = __atomic_load_n(&front_shared->whole[b], __ATOMIC_RELAXED);
		hist_render(o, "faxvault_http_request_whole_seconds", "HTTP requests' whole way in "
			"faxvault: from the front end's receipt of the request to the answer handed back to "
			"its HTTP server (the service's queue and the way back included).", whole,
			(double)__atomic_load_n(&front_shared->whole_sum_ns, __ATOMIC_RELAXED) / 1e9);
	}
	buf_printf(o, "# HELP faxvault_auth_failures_total Failed authentications (bad or expired credentials, failed logins).\n"
		      "# TYPE faxvault_auth_failures_total counter\n"
		      "faxvault_auth_failures_total %llu\n", (unsigned long long)auth_failures);
	buf_printf(o, "# HELP faxvault_http_slow_clients_total Connections closed because a request's headers and body took longer than their deadline.\n"
		      "# TYPE faxvault_http_slow_clients_total counter\n"
		      "faxvault_http_slow_clients_total %llu\n", (unsigned long long)(slow_clients +
			      (front_shared ? __atomic_load_n(&front_shared->slow_clients, __ATOMIC_RELAXED) : 0)));
	buf_printf(o, "# HELP faxvault_rate_limited_total Requests refused by a rate limit (429); announced: from the source networks of an approved penetration test.\n"
		      "# TYPE faxvault_rate_limited_total counter\n"
		      "faxvault_rate_limited_total{announced=\"false\"} %llu\n"
		      "faxvault_rate_limited_total{announced=\"true\"} %llu\n",
		(unsigned long long)rate_limited[0], (unsigned long long)rate_limited[1]);
	pthread_mutex_unlock(&lock);
	buf_printf(o, "# HELP faxvault_password_hashes_total Argon2id password hashes computed (logins, new passwords).\n"
		      "# TYPE faxvault_password_hashes_total counter\n"
		      "faxvault_password_hashes_total %llu\n", (unsigned long long)sec_pwhash_count());
	uint64_t m_sent, m_failed, m_deferred;
	mail_sender_counts(&m_sent, &m_failed, &m_deferred);
	buf_printf(o, "# HELP faxvault_mail_messages_total Outbound mail attempts by outcome (sent, failed for good, deferred to a retry).\n"
		      "# TYPE faxvault_mail_messages_total counter\n"
		      "faxvault_mail_messages_total{outcome=\"sent\"} %llu\n"
		      "faxvault_mail_messages_total{outcome=\"failed\"} %llu\n"
		      "faxvault_mail_messages_total{outcome=\"deferred\"} %llu\n",
		(unsigned long long)m_sent, (unsigned long long)m_failed,
		(unsigned long long)m_deferred);
	uint64_t b[SMTP_BOUNCE_OUTCOMES];
	smtp_ingress_bounce_counts(b);
	buf_printf(o, "# HELP faxvault_mail_bounces_total Mails to a bounce address (bounce+ID@mail.domain) by outcome (failed: a hard bounce recorded; delayed: recorded; unknown: no such message, dropped; ignored: not a DSN, or nothing to record).\n"
		      "# TYPE faxvault_mail_bounces_total counter\n"
		      "faxvault_mail_bounces_total{outcome=\"failed\"} %llu\n"
		      "faxvault_mail_bounces_total{outcome=\"delayed\"} %llu\n"
		      "faxvault_mail_bounces_total{outcome=\"unknown\"} %llu\n"
		      "faxvault_mail_bounces_total{outcome=\"ignored\"} %llu\n",
		(unsigned long long)b[0], (unsigned long long)b[1], (unsigned long long)b[2],
		(unsigned long long)b[3]);
	uint64_t s_sessions, s_accepted, s_refused, s_busy;
	smtp_server_counts(&s_sessions, &s_accepted, &s_refused, &s_busy);
	buf_printf(o, "# HELP faxvault_smtp_sessions_total Fax-by-email SMTP sessions, and connections turned away (too many sessions).\n"
		      "# TYPE faxvault_smtp_sessions_total counter\n"
		      "faxvault_smtp_sessions_total{outcome=\"served\"} %llu\n"
		      "faxvault_smtp_sessions_total{outcome=\"busy\"} %llu\n"
		      "# HELP faxvault_smtp_mails_total Fax-by-email mails by outcome (accepted: faxed; refused: at RCPT or after DATA).\n"
		      "# TYPE faxvault_smtp_mails_total counter\n"
		      "faxvault_smtp_mails_total{outcome=\"accepted\"} %llu\n"
		      "faxvault_smtp_mails_total{outcome=\"refused\"} %llu\n",
		(unsigned long long)s_sessions, (unsigned long long)s_busy,
		(unsigned long long)s_accepted, (unsigned long long)s_refused);
	buf_printf(o, "# HELP faxvault_smtp_sender_limited_total Fax-by-email mails answered 450 because their sender was over mail.sender_max_per_hour.\n"
		      "# TYPE faxvault_smtp_sender_limited_total counter\n"
		      "faxvault_smtp_sender_limited_total %llu\n",
		(unsigned long long)faxmail_rate_limited_count());
	buf_printf(o, "# HELP faxvault_smtp_sender_page_quota_total Fax-by-email mails refused because their sender had reached mail.sender_max_pages_per_day.\n"
		      "# TYPE faxvault_smtp_sender_page_quota_total counter\n"
		      "faxvault_smtp_sender_page_quota_total %llu\n",
		(unsigned long long)faxmail_page_quota_count());
	uint64_t a_spf[SMTP_SPF_N], a_dkim[SMTP_DKIM_N];
	smtp_auth_counts(a_spf, a_dkim);
	buf_printf(o, "# HELP faxvault_smtp_spf_total SPF results of fax-by-email mails (none also for a loopback relay, not evaluated).\n"
		      "# TYPE faxvault_smtp_spf_total counter\n");
	for (int i = 0; i < SMTP_SPF_N; i++)
		buf_printf(o, "faxvault_smtp_spf_total{result=\"%s\"} %llu\n",
			smtp_spf_name((enum smtp_spf)i), (unsigned long long)a_spf[i]);
	buf_printf(o, "# HELP faxvault_smtp_dkim_total DKIM results of fax-by-email mails (pass: a valid signature aligned with From).\n"
		      "# TYPE faxvault_smtp_dkim_total counter\n");
	for (int i = 0; i < SMTP_DKIM_N; i++)
		buf_printf(o, "faxvault_smtp_dkim_total{result=\"%s\"} %llu\n",
			smtp_dkim_name((enum smtp_dkim)i), (unsigned long long)a_dkim[i]);
	buf_printf(o, "# HELP faxvault_db_seconds_total Time spent in the database.\n"
		      "# TYPE faxvault_db_seconds_total counter\n"
		      "faxvault_db_seconds_total %.6f\n", (double)db_ns / 1e9);
	buf_printf(o, "# HELP faxvault_build_info The version of faxvault and of the libraries it runs on.\n"
		      "# TYPE faxvault_build_info gauge\n"
		      "faxvault_build_info{version=\"%s\",sqlite=\"%s\",microhttpd=\"%s\",jansson=\"%s\","
		      "sodium=\"%s\"", FV_VERSION, sqlite3_libversion(), MHD_get_version(),
		jansson_version_str(), sodium_version_string());
	for (size_t i = 0; libs && i < libs->n; i++) {
		const char *n = libs->v[i].name;
		if (strcmp(n, "sqlite") != 0 && strcmp(n, "microhttpd") != 0 && strcmp(n, "jansson") != 0 &&
		    strcmp(n, "sodium") != 0)
			buf_printf(o, ",%s=\"%s\"", n, libs->v[i].version);
	}
	buf_printf(o, "} 1\n");
	pthread_mutex_lock(&lock);
	metrics_extra_fn *fn = extra_fn;
	void *fud = extra_ud;
	pthread_mutex_unlock(&lock);
	if (fn)
		fn(o, fud);
	buf_printf(o, "# HELP faxvault_http_requests_in_flight Requests being served.\n"
		      "# TYPE faxvault_http_requests_in_flight gauge\n"
		      "faxvault_http_requests_in_flight %lld\n", (long long)in_flight);
}
