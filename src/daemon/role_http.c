/* The HTTP front end (see role.h and http_wire.h): libmicrohttpd on the
 * listening sockets the service bound, unprivileged and under its own
 * seccomp filter; each request is handed to the service, which runs the
 * pipeline and sends back the answer. */
#include "role.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "api.h"
#include "fdio.h"
#include "http_chan.h"
#include "http_wire.h"
#include "i18n.h"
#include "httpd.h"
#include "ipc.h"
#include "log.h"
#include "metrics.h"
#include "problem.h"
#include "redact.h"
#include "timeutil.h"
#include "xalloc.h"

static api_config_t ceilings; /* max_body and max_upload, for api_body_ceiling */

/* What an answer made here needs of its request: its X-Request-Id as sent
 * (when it can be one: else "", and an id is made only if an answer is
 * made here, which is rare) and its language. */
struct origin {
	char rid[HTTP_REQUEST_ID_MAX + 1];
	const char *lang;
};

static void origin_of(const http_in_t *in, struct origin *o)
{
	const char *h = http_in_header(in, "X-Request-Id");
	o->rid[0] = '\0';
	if (h && strlen(h) <= HTTP_REQUEST_ID_MAX)
		snprintf(o->rid, sizeof o->rid, "%s", h);
	o->lang = http_pick_lang(http_in_header(in, "Accept-Language"));
	if (!o->lang)
		o->lang = "en";
}

/* An answer made here: a problem (the service is unreachable, or the
 * request cannot be handed over). */
static void problem_answer(const struct origin *from, const char *kind, const char *detail,
	http_out_t *out)
{
	char rid[HTTP_REQUEST_ID_MAX + 8];
	http_request_id(from->rid[0] ? from->rid : NULL, rid, sizeof rid);
	json_t *j = problem_json(kind, detail, NULL, rid, from->lang);
	char *body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	http_out_free(out);
	out->status = problem_lookup(kind)->status;
	out->body = (uint8_t *)body;
	out->len = body ? strlen(body) : 0;
	http_out_add(out, "Content-Type", "application/problem+json");
	http_out_add(out, "X-Request-Id", rid);
	http_out_add(out, "Cache-Control", "no-store");
	http_out_add(out, "X-Content-Type-Options", "nosniff");
	if (out->status == 503)
		http_out_add(out, "Retry-After", "1");
	else if (out->status == 504)
		http_out_add(out, "Retry-After", "5");
}

/* ---- the channel to the service: requests out, answers back ---- */

/* A request handed over, its answer not yet back: a submitted one (p), or
 * forward's, which waits for it (p NULL: mu, cv, done and out). target:
 * its method and path, credentials redacted, for the log of a timeout. */
struct waiting {
	httpd_pending_t *p;
	struct origin from;
	char target[200];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	http_out_t out;
};

/* The channel's socket is nonblocking here: the listener's threads take
 * the answers between their rounds (answers_take), and one that finds the
 * channel full while sending takes the answers that come meanwhile
 * (chan_send), so that no thread that must read answers waits for the
 * service, which may itself be waiting for its answers to be read. */
static struct {
	http_chan_t *chan; /* the requests in flight (http_chan.h) */
	int gone;          /* an eventfd: the channel closed (the service went away) */
	pthread_mutex_t end_mu;
	bool ended;        /* (end_mu) the channel's end seen, its requests answered */
} answers = { .gone = -1, .end_mu = PTHREAD_MUTEX_INITIALIZER };

static bool answers_take(void *arg);

/* Sends o on the channel, waiting while it is full (taking the answers
 * that come meanwhile): 0, or -1 with errno. */
static int chan_send(struct ipc_out *o)
{
	for (;;) {
		if (ipc_send(HTTP_FRONT_SOCK_FD, o) == 0)
			return 0;
		if (errno != EAGAIN)
			return -1;
		struct pollfd pf = { .fd = HTTP_FRONT_SOCK_FD, .events = POLLIN | POLLOUT };
		if (poll(&pf, 1, -1) < 0 && errno != EINTR)
			return -1;
		if ((pf.revents & POLLIN) && !answers_take(NULL)) {
			errno = EPIPE;
			return -1;
		}
	}
}

static struct waiting *waiting_new(const http_in_t *in, httpd_pending_t *p)
{
	struct waiting *w = xcalloc(1, sizeof *w);
	origin_of(in, &w->from);
	int n = snprintf(w->target, sizeof w->target, "%s ", in->method);
	if (n > 0 && (size_t)n < sizeof w->target)
		redact_target(in->url, NULL, w->target + n, sizeof w->target - (size_t)n);
	w->p = p;
	if (!p) {
		pthread_mutex_init(&w->mu, NULL);
		pthread_cond_init(&w->cv, NULL);
	}
	return w;
}

/* Gives w its answer (out's contents are taken): a submitted request's is
 * queued and w freed; forward's is handed to it. */
static void waiting_end(struct waiting *w, http_out_t *out)
{
	if (w->p) {
		httpd_complete(w->p, out);
		free(w);
		return;
	}
	pthread_mutex_lock(&w->mu);
	w->out = *out;
	memset(out, 0, sizeof *out);
	w->done = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Ends w with a 503: the service went away, or never got it. */
static void waiting_unavailable(void *req, void *arg)
{
	(void)arg;
	struct waiting *w = req;
	http_out_t out;
	memset(&out, 0, sizeof out);
	problem_answer(&w->from, "unavailable", I18N("the service is not reachable; try again"), &out);
	waiting_end(w, &out);
}

/* Ends w with a 504: the service's answer did not come within
 * http.service_timeout_seconds (http_chan_expire). The service goes on
 * with the request (what it commits stays); its answer, when it comes, is
 * dropped as late. */
static void waiting_expired(void *req, uint64_t id, void *arg)
{
	struct waiting *w = req;
	log_event(LOG_WARN, "http.service_timeout", "id=%llu target=\"%s\" after_s=%d",
		(unsigned long long)id, w->target, *(const int *)arg);
	http_out_t out;
	memset(&out, 0, sizeof out);
	problem_answer(&w->from, "service-timeout", I18N("the service did not answer in time; it may "
		"still complete the request: repeat it with the same Idempotency-Key, or check its "
		"effect before repeating it"), &out);
	waiting_end(w, &out);
}

/* Hands in to the service on the channel; its answer, or one made here
 * when it cannot be handed over, ends w (waiting_end), possibly before
 * this returns. */
static void hand_over(const http_in_t *in, struct waiting *w)
{
	http_out_t out;
	memset(&out, 0, sizeof out);
	uint64_t id;
	if (http_chan_add(answers.chan, w, &id) != 0) {
		if (errno != EBUSY) {
			waiting_unavailable(w, NULL);
			return;
		}
		/* Back-pressure: as many requests in the service as the channel
		 * takes. Refused at once, nothing held here. */
		log_event(LOG_WARN, "http.front_busy", "in_flight=%u", http_chan_inflight(answers.chan));
		problem_answer(&w->from, "unavailable", I18N("the service has too many requests in hand; "
			"try again"), &out);
		waiting_end(w, &out);
		return;
	}
	/* On the listener thread's stack: allocated and freed for each
	 * request, its 64 KiB took glibc's slow path. */
	struct ipc_out ob, *o = &ob;
	int rc = http_wire_request_encode(o, id, in), body = -1;
	bool invalid = rc != 0;
	if (rc == 0 && in->len) {
		body = memfd_create("http-body", MFD_CLOEXEC);
		rc = body >= 0 && fd_write_all(body, in->body, in->len) == 0 ? 0 : -1;
		if (rc == 0)
			ipc_put_fd(o, body);
	}
	/* One datagram per message: the listener threads send at once. */
	if (rc == 0)
		rc = chan_send(o);
	int err = errno;
	if (body >= 0)
		close(body);
	/* Not sent: answered here, unless the channel's close answered it. */
	if (rc == 0 || http_chan_take(answers.chan, id) != w)
		return;
	if (invalid) {
		/* What the service would refuse is answered here. */
		problem_answer(&w->from, "invalid-parameter", I18N("a header's name or value is not "
			"valid, or the request has too many headers or query arguments"), &out);
		waiting_end(w, &out);
		return;
	}
	log_event(LOG_WARN, "http.handover", "err=\"%s\"", strerror(err));
	waiting_unavailable(w, NULL);
}

/* httpd_serve_fn of the front end (the metrics listener): the request to
 * the service, its answer back. */
static void forward(void *arg, const http_in_t *in, http_out_t *out)
{
	(void)arg;
	struct waiting *w = waiting_new(in, NULL);
	hand_over(in, w);
	pthread_mutex_lock(&w->mu);
	while (!w->done)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	*out = w->out;
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}

/* httpd_submit_fn of the front end (the API listener): the request to the
 * service; its answer taken by answers_main. */
static void submit(void *arg, const http_in_t *in, httpd_pending_t *p)
{
	(void)arg;
	hand_over(in, waiting_new(in, p));
}

/* An answer as it came into *out: 0, or -1 when it does not decode or its
 * memfd is missing or extra. */
static int answer_of(struct ipc_msg *m, http_out_t *out)
{
	bool in_fd = false;
	if (http_wire_answer_decode(m, out, &in_fd) != 0)
		return -1;
	if (m->nfds != (in_fd ? 1u : 0u)) {
		http_out_free(out);
		return -1;
	}
	if (in_fd) {
		out->has_fd = true;
		out->body_fd = ipc_msg_take_fd(m, 0);
	}
	return 0;
}

/* The channel's end (the service went away, or the stop shut its reading
 * side), seen by whichever thread saw it first: every request in flight is
 * answered 503, and so is each new one at once; the main loop is told. */
static void chan_ended(void)
{
	pthread_mutex_lock(&answers.end_mu);
	if (!answers.ended) {
		answers.ended = true;
		http_chan_close(answers.chan, waiting_unavailable, NULL);
		uint64_t one = 1;
		if (write(answers.gone, &one, sizeof one) != sizeof one)
			log_event(LOG_WARN, "http.front_gone", "err=\"%s\"", strerror(errno));
	}
	pthread_mutex_unlock(&answers.end_mu);
}

/* Gives the answer m to its request (m is released). */
static void answer_one(struct ipc_msg *m)
{
	errno = ENOENT;
	struct waiting *w = m->type == HTTPF_ANSWER ? http_chan_take(answers.chan, m->id) : NULL;
	if (!w && errno == ETIMEDOUT) {
		/* Answered 504 at its deadline: dropped, its place freed. */
		log_event(LOG_INFO, "http.answer_late", "id=%llu", (unsigned long long)m->id);
		ipc_msg_free(m);
		return;
	}
	if (!w) {
		/* An id not in flight: never given, or its request answered
		 * already (a repeat). Dropped. */
		log_event(LOG_WARN, "http.answer_stray", "id=%llu type=%u",
			(unsigned long long)m->id, (unsigned)m->type);
		ipc_msg_free(m);
		return;
	}
	http_out_t out;
	memset(&out, 0, sizeof out);
	if (answer_of(m, &out) != 0) {
		log_event(LOG_WARN, "http.answer_malformed", "id=%llu", (unsigned long long)m->id);
		problem_answer(&w->from, "unavailable", I18N("the service is not reachable; try again"),
			&out);
	}
	ipc_msg_free(m);
	waiting_end(w, &out);
}

/* At most this many answers taken per call: then the listener's thread
 * sends them before it takes more. */
#define TAKE_MAX 64

/* The listener's watch (httpd.h), also called by chan_send: takes the
 * answers queued on the channel (without waiting) and gives each to its
 * request. false at the channel's end (chan_ended). */
static bool answers_take(void *arg)
{
	(void)arg;
	for (int i = 0; i < TAKE_MAX; i++) {
		struct ipc_msg m;
		int rc = ipc_recv(HTTP_FRONT_SOCK_FD, &m);
		if (rc == 0) {
			answer_one(&m);
			continue;
		}
		ipc_msg_free(&m);
		if (rc < 0 && errno == EAGAIN)
			return true;
		if (rc < 0 && errno == EBADMSG) {
			log_event(LOG_WARN, "http.answer_malformed", "why=datagram");
			continue;
		}
		chan_ended();
		return false;
	}
	return true;
}

static int answers_start(unsigned cap, int timeout_s)
{
	answers.chan = http_chan_new(cap);
	if (answers.chan)
		http_chan_set_timeout(answers.chan, (int64_t)timeout_s * 1000000000LL);
	answers.gone = eventfd(0, EFD_CLOEXEC);
	int fl = fcntl(HTTP_FRONT_SOCK_FD, F_GETFL);
	if (!answers.chan || answers.gone < 0 || fl < 0 ||
	    fcntl(HTTP_FRONT_SOCK_FD, F_SETFL, fl | O_NONBLOCK) != 0)
		return -1;
	return 0;
}

/* The channel's reading side shut (the listener's threads see its end):
 * every request still waiting is answered 503. */
static void answers_stop(void)
{
	shutdown(HTTP_FRONT_SOCK_FD, SHUT_RD);
	chan_ended();
}

/* testing.front_bad_frames: the kinds of this front end (role.h), each a
 * request that decodes but that the service refuses; the others
 * role_front_bad_frame's. Its ids are none of the table's (its answers,
 * if any came, would be dropped as stray). */
static void bad_frame(int kind)
{
	if (kind != ROLE_BAD_BODY_SIZE && kind != ROLE_BAD_INFLIGHT) {
		role_front_bad_frame("http", HTTP_FRONT_SOCK_FD, kind);
		return;
	}
	log_event(LOG_WARN, "http.test_bad_frame", "pid=%d kind=%s", (int)getpid(),
		role_bad_frame_name(kind));
	static const uint8_t json[] = "{\"name\":\"Bad frame\"}";
	http_in_t in = { .method = "GET", .url = "/v1/me", .peer = "127.0.0.1",
		.listener = HTTP_LISTENER_API };
	if (kind == ROLE_BAD_BODY_SIZE) {
		/* Declares twice the body its memfd holds. */
		in.method = "POST";
		in.url = "/v1/accounts";
		in.body = json;
		in.len = 2 * (sizeof json - 1);
	}
	struct ipc_out *o = xmalloc(sizeof *o);
	/* Until the service refuses one (its channel shut: the send fails);
	 * at most eight times what it takes in flight. */
	unsigned n = kind == ROLE_BAD_BODY_SIZE ? 1 : 8 * HTTPF_INFLIGHT_MAX, sent = 0;
	int rc = 0;
	for (unsigned i = 0; i < n && rc == 0; i++) {
		rc = http_wire_request_encode(o, (UINT64_C(1) << 62) + i, &in);
		int body = -1;
		if (rc == 0 && in.body) {
			body = memfd_create("http-body", MFD_CLOEXEC);
			rc = body >= 0 && fd_write_all(body, json, sizeof json - 1) == 0 ? 0 : -1;
			if (rc == 0)
				ipc_put_fd(o, body);
		}
		if (rc == 0)
			rc = chan_send(o);
		if (body >= 0)
			close(body);
		sent += rc == 0;
	}
	free(o);
	log_event(LOG_WARN, "http.test_bad_frame", "pid=%d sent=%u err=\"%s\"", (int)getpid(), sent,
		rc == 0 ? "-" : strerror(errno));
}

static size_t ceiling(void *arg, const char *method, const char *url, bool *upload)
{
	(void)arg;
	return api_body_ceiling(&ceilings, method, url, upload);
}

int role_http_main(const config_t *cfg)
{
	role_set_name("fv-http");
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() == 1)
		return 1;
	/* The socket to the service, the listening sockets, the counter; the
	 * log is opened again (before the identity changes). */
	close_range(HTTP_FRONT_COUNTERS_FD + 1, ~0U, 0);
	bool metrics_listener = *cfg->metrics_listen;
	if (!metrics_listener)
		close(HTTP_FRONT_METRICS_FD);
	role_log_open(cfg, 1);
	signal(SIGPIPE, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (cfg->test_http_seccomp_probe)
		sigaddset(&set, SIGUSR1);
	if (cfg->test_front_bad_frames)
		sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	void *counters = mmap(NULL, sizeof(metrics_front_t), PROT_READ | PROT_WRITE, MAP_SHARED,
		HTTP_FRONT_COUNTERS_FD, 0);
	close(HTTP_FRONT_COUNTERS_FD);
	if (sfd < 0 || counters == MAP_FAILED) {
		log_event(LOG_ERROR, "http.front_failed", "err=\"%s\"", strerror(errno));
		return 1;
	}
	metrics_front_share(counters);
	ceilings.max_body = (size_t)cfg->http_max_body;
	ceilings.max_upload = (size_t)cfg->fax_max_upload;
	/* Besides the front ends' list: libmicrohttpd's epoll, and sendfile
	 * for answers in a memfd. */
	static const int extra[] = { SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl),
		SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(sendfile) };
	char why[300];
	if (role_front_confine_as(cfg, cfg->http_user, extra, sizeof extra / sizeof extra[0], why,
		    sizeof why) != 0) {
		log_event(LOG_ERROR, "http.front_failed", "err=\"%s\"", why);
		return 1;
	}
	httpd_config_t hc = {
		.listen = cfg->http_listen,
		.listen_fd = HTTP_FRONT_LISTEN_FD,
		.metrics_listen = cfg->metrics_listen,
		.metrics_listen_fd = metrics_listener ? HTTP_FRONT_METRICS_FD : -1,
		.threads = (int)cfg->http_threads,
		.connection_timeout = (int)cfg->http_timeout,
		.request_deadline = (int)cfg->http_request_deadline,
		.upload_deadline = (int)cfg->http_upload_deadline,
		.serve = forward,
		.submit = submit,
		.ceiling = ceiling,
		.slow_client = metrics_slow_client,
		.answered = metrics_front_whole,
		.watch_fd = HTTP_FRONT_SOCK_FD,
		.watch = answers_take,
	};
	unsigned cap = cfg->test_http_inflight_max > 0 ? (unsigned)cfg->test_http_inflight_max
		: HTTPF_INFLIGHT_MAX;
	int timeout_s = (int)cfg->http_service_timeout;
	httpd_t *h = answers_start(cap, timeout_s) == 0 ? httpd_start(&hc, why, sizeof why) : NULL;
	if (!h) {
		log_event(LOG_ERROR, "http.front_failed", "err=\"%s\"", why);
		return 1;
	}
	log_event(LOG_INFO, "http.front_started", "pid=%d uid=%d port=%d", (int)getpid(),
		(int)getuid(), httpd_port(h));
	/* Until a signal, or the service closes the channel; meanwhile the
	 * requests past their deadline are answered 504 (looked for at least
	 * once a second: one added while this waits is not seen at once). */
	for (;;) {
		http_chan_expire(answers.chan, time_mono_ns(), waiting_expired, &timeout_s);
		int64_t next = http_chan_next_deadline(answers.chan), ms = 1000;
		if (next) {
			ms = (next - time_mono_ns()) / 1000000 + 1;
			ms = ms < 1 ? 1 : ms > 1000 ? 1000 : ms;
		}
		struct pollfd pf[2] = { { .fd = sfd, .events = POLLIN },
			{ .fd = answers.gone, .events = POLLIN } };
		if (poll(pf, 2, (int)ms) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents)
			break;
		struct signalfd_siginfo si;
		if (!(pf[0].revents & POLLIN) || read(sfd, &si, sizeof si) != sizeof si)
			continue;
		if (si.ssi_signo == SIGUSR1) {
			/* testing.http_seccomp_probe: a call the filter forbids. */
			log_event(LOG_WARN, "http.seccomp_probe", "call=execve");
			char *const av[] = { (char *)"true", NULL };
			syscall(SYS_execve, "/bin/true", av, av + 1);
			continue;
		}
		if (si.ssi_signo == SIGUSR2) {
			/* testing.front_bad_frames. */
			bad_frame(si.ssi_int);
			continue;
		}
		if (si.ssi_signo != SIGHUP)
			break;
	}
	/* The requests in flight get their answers (up to the drain); those
	 * still waiting then get a 503; then the listeners stop. */
	httpd_drain(h, (int)cfg->drain_seconds * 1000);
	answers_stop();
	httpd_stop(h, 0);
	log_event(LOG_INFO, "http.front_stopped", "pid=%d", (int)getpid());
	/* Nothing to unwind that the exit does not: and under the filter, the
	 * sanitizers' exit-time leak check (it traces the process) would be
	 * killed. */
	_exit(0);
}
