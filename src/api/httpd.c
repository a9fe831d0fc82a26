/* The HTTP listeners: libmicrohttpd in front of a serve callback (see
 * httpd.h). */
#include "httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "numparse.h"
#include "sockaddr.h"
#include "timeutil.h"
#include "xalloc.h"

/* The memory of an API connection (libmicrohttpd's pool): it holds a
 * request's headers (up to a little less than HTTPD_CONN_MEMORY of them)
 * and the read buffer. libmicrohttpd zeroes the whole pool after every
 * request of a kept-alive connection, so its size is paid per request: at
 * 64 KiB that memset was a tenth of the front end's CPU per GET /v1/me. */
#define HTTPD_CONN_MEMORY (32 * 1024)

/* How often the reaper looks for connections past their deadline. */
#define REAP_EVERY_MS 250

/* A connection, from accept to close, as the deadline reaper sees it. */
struct conn_track {
	struct conn_track *prev, *next;
	int fd;
	int64_t since_ns;  /* when the request being received began; 0: none is */
	int64_t limit_ns;  /* how long its headers and body may take */
	bool between;      /* kept alive between two requests */
	bool cut;
	char peer[INET6_ADDRSTRLEN + 1];
};

/* One thread of the API listener: its own libmicrohttpd daemon (external
 * epoll, on its copy of the listening socket), run by a loop that waits on
 * the daemon's epoll, the watched descriptor and the stop (ep). */
struct loop {
	httpd_t *h;
	struct MHD_Daemon *d;
	int ep;
	pthread_t thread;
	bool started;
	/* Its connections whose answers another thread gave (httpd_complete),
	 * to be resumed by this one: libmicrohttpd resumes a connection only
	 * at the start of a round, and a resume from another thread that
	 * falls between that start and the round's reading of its eventfd is
	 * lost (the request waits for the connection's next event). resume_fd
	 * (an eventfd) wakes the loop. */
	pthread_mutex_t mu;
	struct httpd_pending *resume;
	int resume_fd;
};

/* What woke a loop (epoll_event.data.u32). */
enum { WAKE_MHD, WAKE_WATCH, WAKE_STOP, WAKE_RESUME };

/* The loop of the thread running, NULL in any other thread. */
static _Thread_local struct loop *this_loop;

struct httpd {
	struct MHD_Daemon *md;
	struct loop *loops;
	int nloops;
	int stop_fd; /* an eventfd, written once at the stop: every loop ends */
	httpd_config_t cfg;
	int port, metrics_port;
	_Atomic int64_t inflight;
	/* Connections, for the reaper thread that closes those whose request
	 * takes longer than its deadline (slow clients). */
	pthread_mutex_t conn_mu;
	pthread_cond_t conn_cv;
	struct conn_track *conns;
	pthread_t reaper;
	bool reaper_started, stopping, drained;
};

/* Per-request state, from the first callback to the completion callback;
 * a submitted request's httpd_pending_t. */
struct httpd_pending {
	buf_t body;
	bool too_large;
	bool answered; /* refused from its Content-Length, before the body */
	size_t ceiling; /* the largest body of the route */
	int64_t t0;
	/* A submitted request: its answer, once httpd_complete gave it. */
	pthread_mutex_t mu;
	struct MHD_Connection *conn;
	bool suspended, done, queued;
	http_out_t out;
	struct loop *loop;              /* the loop whose connection it is */
	struct httpd_pending *next_resume; /* in loop->resume */
};

/* The headers or the query's arguments of a request, in their order. */
struct kvs {
	http_kv_t *v;
	size_t n, cap;
};

static enum MHD_Result collect_kv(void *cls, enum MHD_ValueKind kind, const char *key,
	const char *value)
{
	(void)kind;
	struct kvs *k = cls;
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 16;
		k->v = xrealloc(k->v, k->cap * sizeof *k->v);
	}
	k->v[k->n++] = (http_kv_t){ key, value ? value : "" };
	return MHD_YES;
}

static void peer_address(struct MHD_Connection *conn, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, n, "unknown");
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)n);
}

/* Queues an answer (out is released). */
static enum MHD_Result queue_out(struct MHD_Connection *conn, http_out_t *out)
{
	struct MHD_Response *resp;
	if (out->has_fd) {
		resp = MHD_create_response_from_fd(out->len, out->body_fd);
		if (resp)
			out->has_fd = false; /* MHD closes it */
	} else {
		resp = MHD_create_response_from_buffer(out->len, out->body,
			out->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
		if (resp)
			out->body = NULL;
	}
	if (!resp) {
		http_out_free(out);
		return MHD_NO;
	}
	for (size_t i = 0; i < out->nheaders; i++)
		MHD_add_response_header(resp, out->headers[i].name, out->headers[i].value);
	enum MHD_Result rc = MHD_queue_response(conn, (unsigned)out->status, resp);
	MHD_destroy_response(resp);
	http_out_free(out);
	return rc;
}

/* Queues the answer of an API request (rq->out, or out), counting its
 * whole way from its headers' arrival. */
static enum MHD_Result queue_answer(httpd_t *h, struct MHD_Connection *conn,
	const struct httpd_pending *rq, http_out_t *out)
{
	enum MHD_Result rc = queue_out(conn, out);
	if (h->cfg.answered)
		h->cfg.answered(time_mono_ns() - rq->t0);
	return rc;
}

/* Has the request served (at once, or later when submitted) and queues its
 * answer. */
static enum MHD_Result serve(httpd_t *h, struct MHD_Connection *conn, const char *url,
	const char *method, struct httpd_pending *rq, int listener)
{
	char peer[INET6_ADDRSTRLEN + 1];
	peer_address(conn, peer, sizeof peer);
	struct kvs hdr = { 0 }, args = { 0 };
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_kv, &hdr);
	if (listener == HTTP_LISTENER_API)
		MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_kv, &args);
	http_in_t in = { .method = method, .url = url, .peer = peer, .headers = hdr.v,
		.nheaders = hdr.n, .args = args.v, .nargs = args.n, .listener = listener };
	if (rq) {
		in.body = (const uint8_t *)rq->body.data;
		in.len = rq->body.data ? rq->body.len : 0;
		in.ceiling = rq->ceiling;
		in.too_large = rq->too_large;
		in.refused_early = rq->answered;
		in.recv_ns = time_mono_ns() - rq->t0;
	}
	if (rq && h->cfg.submit) {
		rq->conn = conn;
		h->cfg.submit(h->cfg.arg, &in, rq);
		free(hdr.v);
		free(args.v);
		/* Answered already, or to be resumed by httpd_complete. */
		pthread_mutex_lock(&rq->mu);
		if (rq->done) {
			rq->queued = true;
			pthread_mutex_unlock(&rq->mu);
			return queue_answer(h, conn, rq, &rq->out);
		}
		rq->suspended = true;
		MHD_suspend_connection(conn);
		pthread_mutex_unlock(&rq->mu);
		return MHD_YES;
	}
	http_out_t out;
	memset(&out, 0, sizeof out);
	h->cfg.serve(h->cfg.arg, &in, &out);
	free(hdr.v);
	free(args.v);
	return rq ? queue_answer(h, conn, rq, &out) : queue_out(conn, &out);
}

void httpd_complete(httpd_pending_t *p, http_out_t *out)
{
	pthread_mutex_lock(&p->mu);
	p->out = *out;
	memset(out, 0, sizeof *out);
	p->done = true;
	bool resume = p->suspended;
	struct loop *l = p->loop;
	p->suspended = false;
	/* MHD calls on_access again, which queues the answer: resumed here
	 * on the connection's own thread, else by it (struct loop). p lives
	 * until its connection is resumed. */
	if (resume && l == this_loop)
		MHD_resume_connection(p->conn);
	pthread_mutex_unlock(&p->mu);
	if (!resume || l == this_loop)
		return;
	pthread_mutex_lock(&l->mu);
	p->next_resume = l->resume;
	l->resume = p;
	pthread_mutex_unlock(&l->mu);
	uint64_t one = 1;
	if (write(l->resume_fd, &one, sizeof one) != sizeof one)
		log_event(LOG_WARN, "http.server", "msg=\"resume: %s\"", strerror(errno));
}

/* Resumes the connections of l whose answers other threads gave. */
static void loop_resume(struct loop *l)
{
	uint64_t n;
	if (read(l->resume_fd, &n, sizeof n) != sizeof n)
		return;
	pthread_mutex_lock(&l->mu);
	struct httpd_pending *p = l->resume;
	l->resume = NULL;
	pthread_mutex_unlock(&l->mu);
	while (p) {
		struct httpd_pending *next = p->next_resume;
		MHD_resume_connection(p->conn);
		p = next;
	}
}

/* ---- deadlines of connections (slow clients) ---- */

static int64_t deadline_ns(int seconds)
{
	return (int64_t)(seconds > 0 ? seconds : 60) * 1000000000;
}

/* The tracking record of conn's connection, or NULL. */
static struct conn_track *track_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
		MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* Sets the receiving phase of conn's connection: since 0 stops its clock
 * (the request is complete and being answered), -1 keeps it; limit 0 keeps
 * the deadline. */
static void conn_phase(httpd_t *h, struct MHD_Connection *conn, int64_t since_ns, int64_t limit_ns)
{
	struct conn_track *t = track_of(conn);
	if (!t)
		return;
	pthread_mutex_lock(&h->conn_mu);
	if (since_ns >= 0)
		t->since_ns = since_ns;
	if (limit_ns)
		t->limit_ns = limit_ns;
	t->between = false;
	pthread_mutex_unlock(&h->conn_mu);
}

/* A request has ended and the connection stays open for the next one: the
 * idle timeout governs the wait, so the deadline (which a client that keeps
 * the connection busy a byte at a time would still meet) is set above it
 * until the next request line arrives (on_request_line). */
static void conn_between(httpd_t *h, struct MHD_Connection *conn)
{
	conn_phase(h, conn, time_mono_ns(), deadline_ns(h->cfg.request_deadline) +
		deadline_ns(h->cfg.connection_timeout));
	struct conn_track *t = track_of(conn);
	if (t) {
		pthread_mutex_lock(&h->conn_mu);
		t->between = true;
		pthread_mutex_unlock(&h->conn_mu);
	}
}

/* The request line of a request arrived (MHD_OPTION_URI_LOG_CALLBACK; the
 * URI is not kept: it may carry a credential). On a kept-alive connection
 * the request's own deadline starts now. Returns the request's initial
 * context: none. */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)uri;
	httpd_t *h = cls;
	struct conn_track *t = track_of(conn);
	if (!t)
		return NULL;
	pthread_mutex_lock(&h->conn_mu);
	if (t->between) {
		t->since_ns = time_mono_ns();
		t->limit_ns = deadline_ns(h->cfg.request_deadline);
		t->between = false;
	}
	pthread_mutex_unlock(&h->conn_mu);
	return NULL;
}

/* Connection opened or closed: MHD calls CLOSED before it closes the
 * socket, so a tracked fd is always the connection's own. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
	enum MHD_ConnectionNotificationCode code)
{
	httpd_t *h = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
			MHD_CONNECTION_INFO_CONNECTION_FD);
		if (!ci)
			return;
		struct conn_track *t = xcalloc(1, sizeof *t);
		t->fd = ci->connect_fd;
		t->since_ns = time_mono_ns();
		t->limit_ns = deadline_ns(h->cfg.request_deadline);
		peer_address(conn, t->peer, sizeof t->peer);
		pthread_mutex_lock(&h->conn_mu);
		t->next = h->conns;
		if (h->conns)
			h->conns->prev = t;
		h->conns = t;
		pthread_mutex_unlock(&h->conn_mu);
		*socket_context = t;
		return;
	}
	struct conn_track *t = *socket_context;
	if (!t)
		return;
	pthread_mutex_lock(&h->conn_mu);
	if (t->prev)
		t->prev->next = t->next;
	else
		h->conns = t->next;
	if (t->next)
		t->next->prev = t->prev;
	pthread_mutex_unlock(&h->conn_mu);
	free(t);
	*socket_context = NULL;
}

/* Closes (shuts down: MHD then sees the end and cleans up) every connection
 * whose request has taken longer than its deadline: a client that trickles
 * its headers or body a byte at a time would otherwise hold a connection
 * as long as it likes, the idle timeout never firing. */
static void *reaper_main(void *arg)
{
	httpd_t *h = arg;
	pthread_mutex_lock(&h->conn_mu);
	while (!h->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += REAP_EVERY_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->conn_cv, &h->conn_mu, &ts);
		int64_t now = time_mono_ns();
		for (struct conn_track *t = h->conns; t; t = t->next) {
			if (t->cut || !t->since_ns || now - t->since_ns <= t->limit_ns)
				continue;
			t->cut = true;
			shutdown(t->fd, SHUT_RDWR);
			if (h->cfg.slow_client)
				h->cfg.slow_client();
			log_event(LOG_WARN, "http.slow_client", "peer=%s limit_s=%lld", t->peer,
				(long long)(t->limit_ns / 1000000000));
		}
	}
	pthread_mutex_unlock(&h->conn_mu);
	return NULL;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
	const char *method, const char *version, const char *upload, size_t *upload_size,
	void **con_cls)
{
	(void)version;
	httpd_t *h = cls;
	struct httpd_pending *rq = *con_cls;
	if (!rq) {
		rq = xcalloc(1, sizeof *rq);
		pthread_mutex_init(&rq->mu, NULL);
		rq->loop = this_loop;
		/* Upload routes (fax documents) have their own, larger ceiling and
		 * deadline. A request that announces no body (neither length nor
		 * chunks: most) has none to come, and is not matched against the
		 * routes for them (its ceiling 0: a byte of body is too much). */
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		bool upload_route = false;
		size_t ceiling = 0;
		if (cl || MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding"))
			ceiling = h->cfg.ceiling(h->cfg.arg, method, url, &upload_route);
		if (upload_route && h->cfg.upload_deadline > h->cfg.request_deadline)
			conn_phase(h, conn, -1, deadline_ns(h->cfg.upload_deadline));
		buf_init(&rq->body, ceiling);
		rq->ceiling = ceiling;
		rq->t0 = time_mono_ns();
		uint64_t len;
		if (cl && (parse_u64(cl, strlen(cl), UINT64_MAX, &len) != 0 || len > ceiling))
			rq->too_large = true;
		*con_cls = rq;
		atomic_fetch_add(&h->inflight, 1);
		if (!rq->too_large)
			return MHD_YES;
		/* Refused at once, from the declared length: not a byte of the
		 * body is read (no 100 Continue is sent), and the connection is
		 * closed after the answer. */
		rq->answered = true;
		conn_phase(h, conn, 0, 0);
		return serve(h, conn, url, method, rq, HTTP_LISTENER_API);
	}
	/* A submitted request resumed with its answer. */
	pthread_mutex_lock(&rq->mu);
	bool ready = rq->done && !rq->queued;
	if (ready)
		rq->queued = true;
	pthread_mutex_unlock(&rq->mu);
	if (ready)
		return queue_answer(h, conn, rq, &rq->out);
	if (rq->answered) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!rq->too_large && buf_append(&rq->body, upload, *upload_size) != 0) {
			rq->too_large = true;
			buf_free(&rq->body);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	conn_phase(h, conn, 0, 0);
	return serve(h, conn, url, method, rq, HTTP_LISTENER_API);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	enum MHD_RequestTerminationCode toe)
{
	(void)toe;
	httpd_t *h = cls;
	conn_between(h, conn);
	struct httpd_pending *rq = *con_cls;
	if (!rq)
		return;
	buf_free(&rq->body);
	http_out_free(&rq->out);
	pthread_mutex_destroy(&rq->mu);
	free(rq);
	*con_cls = NULL;
	atomic_fetch_sub(&h->inflight, 1);
}

__attribute__((format(printf, 2, 0)))
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[300], q[400];
	vsnprintf(msg, sizeof msg, fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_event(LOG_WARN, "http.server", "msg=%s", log_quote(msg, q, sizeof q));
}

/* The metrics listener: the request once its body (ignored) has arrived. */
static enum MHD_Result on_metrics_access(void *cls, struct MHD_Connection *conn, const char *url,
	const char *method, const char *version, const char *upload, size_t *upload_size,
	void **con_cls)
{
	(void)version;
	(void)upload;
	httpd_t *h = cls;
	if (!*con_cls) {
		*con_cls = h; /* the headers: wait for the end of any body */
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	return serve(h, conn, url, method, NULL, HTTP_LISTENER_METRICS);
}

/* Ends the loops' threads (those started) and stops their daemons. */
static void loops_stop(httpd_t *h)
{
	uint64_t one = 1;
	if (h->stop_fd >= 0 && write(h->stop_fd, &one, sizeof one) != sizeof one)
		log_event(LOG_WARN, "http.server", "msg=\"loops' stop: %s\"", strerror(errno));
	for (int i = 0; i < h->nloops; i++)
		if (h->loops[i].started) {
			pthread_join(h->loops[i].thread, NULL);
			h->loops[i].started = false;
		}
	for (int i = 0; i < h->nloops; i++) {
		if (h->loops[i].d)
			MHD_stop_daemon(h->loops[i].d);
		if (h->loops[i].ep >= 0)
			close(h->loops[i].ep);
		if (h->loops[i].resume_fd >= 0)
			close(h->loops[i].resume_fd);
		pthread_mutex_destroy(&h->loops[i].mu);
	}
	h->nloops = 0;
}

static void httpd_free(httpd_t *h)
{
	loops_stop(h);
	free(h->loops);
	if (h->stop_fd >= 0)
		close(h->stop_fd);
	pthread_cond_destroy(&h->conn_cv);
	pthread_mutex_destroy(&h->conn_mu);
	free(h);
}

/* Stops the reaper; before MHD_stop_daemon, whose CLOSED notifications
 * empty the list. */
static void reaper_stop(httpd_t *h)
{
	if (!h->reaper_started)
		return;
	pthread_mutex_lock(&h->conn_mu);
	h->stopping = true;
	pthread_cond_broadcast(&h->conn_cv);
	pthread_mutex_unlock(&h->conn_mu);
	pthread_join(h->reaper, NULL);
	h->reaper_started = false;
}

/* The option that gives a daemon its socket: the one handed over (fd > 0)
 * or the address to bind. */
static struct MHD_OptionItem listen_option(int fd, struct sockaddr_storage *ss)
{
	if (fd > 0)
		return (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, fd, NULL };
	return (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, ss };
}

static void close_handed(const httpd_config_t *cfg)
{
	if (cfg->listen_fd > 0)
		close(cfg->listen_fd);
	if (cfg->metrics_listen_fd > 0)
		close(cfg->metrics_listen_fd);
}

/* A loop: waits for its daemon's events, the watched descriptor and the
 * stop; answers taken from the watched descriptor first, so that the
 * round of libmicrohttpd right after sends them. */
static void *loop_main(void *arg)
{
	struct loop *l = arg;
	httpd_t *h = l->h;
	this_loop = l;
	for (;;) {
		MHD_UNSIGNED_LONG_LONG to;
		int ms = -1;
		if (MHD_get_timeout(l->d, &to) == MHD_YES)
			ms = to > INT_MAX ? INT_MAX : (int)to;
		struct epoll_event ev[4];
		int n = epoll_wait(l->ep, ev, 4, ms);
		if (n < 0 && errno != EINTR) {
			log_event(LOG_ERROR, "http.server", "msg=\"epoll_wait: %s\"", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			if (ev[i].data.u32 == WAKE_STOP)
				return NULL;
			if (ev[i].data.u32 == WAKE_WATCH && !h->cfg.watch(h->cfg.arg))
				epoll_ctl(l->ep, EPOLL_CTL_DEL, h->cfg.watch_fd, NULL);
			if (ev[i].data.u32 == WAKE_RESUME)
				loop_resume(l);
		}
		MHD_run(l->d);
	}
	return NULL;
}

/* Adds fd to ep, what it wakes for in data. */
static int watch_add(int ep, int fd, uint32_t events, uint32_t what)
{
	struct epoll_event ev = { .events = events, .data.u32 = what };
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* Starts the API listener's loops (h->cfg.threads of them), the first on
 * lopt's socket, the others on copies of it: 0, or -1 with err (the
 * started ones left for httpd_free). */
static int loops_start(httpd_t *h, unsigned flags, struct MHD_OptionItem *lopt, char *err,
	size_t errlen)
{
	const httpd_config_t *cfg = &h->cfg;
	int n = cfg->threads > 0 ? cfg->threads : 1;
	h->loops = xcalloc((size_t)n, sizeof *h->loops);
	h->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (h->stop_fd < 0) {
		snprintf(err, errlen, "cannot make the listener's stop: %s", strerror(errno));
		return -1;
	}
	/* libmicrohttpd's pool shares these among its threads: here each
	 * daemon has its part. */
	unsigned limit = (1000u + (unsigned)n - 1) / (unsigned)n;
	unsigned per_ip = (256u + (unsigned)n - 1) / (unsigned)n;
	int lfd = -1;
	for (int i = 0; i < n; i++) {
		struct loop *l = &h->loops[i];
		l->h = h;
		l->ep = -1;
		pthread_mutex_init(&l->mu, NULL);
		l->resume_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		h->nloops = i + 1;
		if (i > 0) {
			lfd = fcntl(lfd, F_DUPFD_CLOEXEC, 0);
			if (lfd < 0) {
				snprintf(err, errlen, "cannot copy the listening socket: %s", strerror(errno));
				return -1;
			}
			lopt[0] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, lfd, NULL };
		}
		l->d = MHD_start_daemon(flags, 0, NULL, NULL, on_access, h,
			MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
			MHD_OPTION_ARRAY, lopt,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->connection_timeout,
			MHD_OPTION_CONNECTION_LIMIT, limit,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTPD_CONN_MEMORY,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
			MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
			MHD_OPTION_URI_LOG_CALLBACK, on_request_line, h,
			MHD_OPTION_END);
		if (!l->d) {
			snprintf(err, errlen, "cannot listen on %s (address in use or not permitted?)",
				cfg->listen);
			/* A copy MHD did not take stays ours to close; the
			 * first's socket is the caller's. */
			if (i > 0)
				close(lfd);
			return -1;
		}
		const union MHD_DaemonInfo *di = MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_LISTEN_FD);
		const union MHD_DaemonInfo *ei = MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_EPOLL_FD);
		if (i == 0)
			lfd = di ? di->listen_fd : -1;
		l->ep = epoll_create1(EPOLL_CLOEXEC);
		if (lfd < 0 || !ei || l->ep < 0 || l->resume_fd < 0 ||
		    watch_add(l->ep, ei->epoll_fd, EPOLLIN, WAKE_MHD) != 0 ||
		    watch_add(l->ep, l->resume_fd, EPOLLIN, WAKE_RESUME) != 0 ||
		    watch_add(l->ep, h->stop_fd, EPOLLIN, WAKE_STOP) != 0 ||
		    (cfg->watch && watch_add(l->ep, cfg->watch_fd, EPOLLIN | EPOLLEXCLUSIVE,
			    WAKE_WATCH) != 0)) {
			snprintf(err, errlen, "cannot set up the listener's loop: %s", strerror(errno));
			return -1;
		}
	}
	for (int i = 0; i < n; i++) {
		if (pthread_create(&h->loops[i].thread, NULL, loop_main, &h->loops[i]) != 0) {
			snprintf(err, errlen, "cannot start the listener's threads");
			return -1;
		}
		h->loops[i].started = true;
	}
	return 0;
}

httpd_t *httpd_start(const httpd_config_t *cfg, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	if (sockaddr_parse(cfg->listen, &ss, &sl) != 0) {
		snprintf(err, errlen, "listen address \"%s\" is not ADDR:PORT", cfg->listen);
		close_handed(cfg);
		return NULL;
	}
	struct sockaddr_storage mss;
	socklen_t msl;
	bool metrics_listener = cfg->metrics_listen && *cfg->metrics_listen;
	if (metrics_listener && sockaddr_parse(cfg->metrics_listen, &mss, &msl) != 0) {
		snprintf(err, errlen, "metrics.listen \"%s\" is not ADDR:PORT", cfg->metrics_listen);
		close_handed(cfg);
		return NULL;
	}
	int metrics_fd = metrics_listener ? cfg->metrics_listen_fd : -1;
	if (!metrics_listener && cfg->metrics_listen_fd > 0)
		close(cfg->metrics_listen_fd);
	httpd_t *h = xcalloc(1, sizeof *h);
	h->cfg = *cfg;
	pthread_mutex_init(&h->conn_mu, NULL);
	pthread_cond_init(&h->conn_cv, NULL);
	h->stop_fd = -1;
	/* No polling thread of libmicrohttpd's: the loops run the daemons. */
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (cfg->submit)
		flags |= MHD_ALLOW_SUSPEND_RESUME;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	struct MHD_OptionItem lopt[] = { listen_option(cfg->listen_fd, &ss),
		{ MHD_OPTION_END, 0, NULL } };
	if (loops_start(h, flags, lopt, err, errlen) != 0) {
		/* A handed socket the first daemon did not take stays ours. */
		if (cfg->listen_fd > 0 && !h->loops[0].d)
			close(cfg->listen_fd);
		if (metrics_fd > 0)
			close(metrics_fd);
		httpd_free(h);
		return NULL;
	}
	if (pthread_create(&h->reaper, NULL, reaper_main, h) != 0) {
		snprintf(err, errlen, "cannot start the connection reaper");
		if (metrics_fd > 0)
			close(metrics_fd);
		httpd_free(h);
		return NULL;
	}
	h->reaper_started = true;
	if (metrics_listener) {
		unsigned mflags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			MHD_USE_ERROR_LOG | (mss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
		struct MHD_OptionItem mopt[] = { listen_option(metrics_fd, &mss),
			{ MHD_OPTION_END, 0, NULL } };
		h->md = MHD_start_daemon(mflags, 0, NULL, NULL, on_metrics_access, h,
			MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
			MHD_OPTION_ARRAY, mopt,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->connection_timeout,
			MHD_OPTION_CONNECTION_LIMIT, 16u,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
			MHD_OPTION_END);
		if (!h->md) {
			snprintf(err, errlen, "cannot listen on metrics.listen %s (address in use or not permitted?)",
				cfg->metrics_listen);
			if (metrics_fd > 0)
				close(metrics_fd);
			reaper_stop(h);
			httpd_free(h);
			return NULL;
		}
		const union MHD_DaemonInfo *mdi = MHD_get_daemon_info(h->md, MHD_DAEMON_INFO_BIND_PORT);
		h->metrics_port = mdi ? mdi->port : 0;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->loops[0].d,
		MHD_DAEMON_INFO_BIND_PORT);
	h->port = di ? di->port : 0;
	return h;
}

int httpd_port(const httpd_t *h)
{
	return h->port;
}

int httpd_metrics_port(const httpd_t *h)
{
	return h->metrics_port;
}

void httpd_drain(httpd_t *h, int timeout_ms)
{
	if (h->drained)
		return;
	h->drained = true;
	for (int i = 0; i < h->nloops; i++) {
		MHD_socket s = MHD_quiesce_daemon(h->loops[i].d);
		if (s != MHD_INVALID_SOCKET)
			close(s);
	}
	for (int waited = 0; atomic_load(&h->inflight) > 0 && waited < timeout_ms; waited += 10)
		usleep(10000);
}

void httpd_stop(httpd_t *h, int timeout_ms)
{
	if (!h)
		return;
	httpd_drain(h, timeout_ms);
	reaper_stop(h);
	if (h->md)
		MHD_stop_daemon(h->md);
	httpd_free(h);
}
