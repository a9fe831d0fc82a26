/* The HTTP front end (see role.h and http_wire.h): libmicrohttpd on the
 * listening sockets the service bound, unprivileged and under its own
 * seccomp filter; each request is handed to the service, which runs the
 * pipeline and sends back the answer. */
#include "role.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "api.h"
#include "fdio.h"
#include "http_wire.h"
#include "i18n.h"
#include "httpd.h"
#include "ipc.h"
#include "log.h"
#include "metrics.h"
#include "problem.h"
#include "xalloc.h"

static pthread_mutex_t send_mu = PTHREAD_MUTEX_INITIALIZER;
static api_config_t ceilings; /* max_body and max_upload, for api_body_ceiling */

/* What an answer made here needs of its request. */
struct origin {
	char rid[HTTP_REQUEST_ID_MAX + 8];
	const char *lang;
};

static void origin_of(const http_in_t *in, struct origin *o)
{
	http_request_id(http_in_header(in, "X-Request-Id"), o->rid, sizeof o->rid);
	o->lang = http_pick_lang(http_in_header(in, "Accept-Language"));
	if (!o->lang)
		o->lang = "en";
}

/* An answer made here: a problem (the service is unreachable, or the
 * request cannot be handed over). */
static void problem_answer(const struct origin *from, const char *kind, const char *detail,
	http_out_t *out)
{
	const char *rid = from->rid;
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
}

/* Waits for the service's answer on sock (closed here) into *out; 0, or
 * -1 when the socket closed or the answer does not decode. */
static int await_answer(int sock, http_out_t *out)
{
	if (sock < 0)
		return -1;
	struct pollfd pf = { .fd = sock, .events = POLLIN };
	int n;
	do
		n = poll(&pf, 1, -1);
	while (n < 0 && errno == EINTR);
	struct ipc_msg m;
	memset(&m, 0, sizeof m);
	int rc = -1;
	bool in_fd = false;
	if (n == 1 && ipc_recv(sock, &m) == 0 && http_wire_answer_decode(&m, out, &in_fd) == 0) {
		rc = 0;
		if (in_fd) {
			int fd = m.nfds == 1 ? ipc_msg_take_fd(&m, 0) : -1;
			if (fd < 0) {
				http_out_free(out);
				rc = -1;
			} else {
				out->has_fd = true;
				out->body_fd = fd;
			}
		} else if (m.nfds != 0) {
			http_out_free(out);
			rc = -1;
		}
	}
	ipc_msg_free(&m);
	close(sock);
	return rc;
}

/* Hands the request to the service: the socket its answer will come on,
 * or -1 with *out answered here. */
static int hand_over(const http_in_t *in, const struct origin *from, http_out_t *out)
{
	memset(out, 0, sizeof *out);
	struct ipc_out *o = xmalloc(sizeof *o);
	if (http_wire_request_encode(o, in) != 0) {
		/* What the service would refuse is answered here. */
		free(o);
		problem_answer(from, "invalid-parameter", I18N("a header's name or value is not valid, "
			"or the request has too many headers or query arguments"), out);
		return -1;
	}
	int sv[2] = { -1, -1 }, body = -1, rc = -1;
	if (ipc_socketpair(sv) == 0 &&
	    (!in->len || ((body = memfd_create("http-body", MFD_CLOEXEC)) >= 0 &&
		    fd_write_all(body, in->body, in->len) == 0))) {
		ipc_put_fd(o, sv[1]);
		if (in->len)
			ipc_put_fd(o, body);
		pthread_mutex_lock(&send_mu);
		rc = ipc_send(HTTP_FRONT_SOCK_FD, o);
		pthread_mutex_unlock(&send_mu);
	}
	int err = errno;
	free(o);
	if (body >= 0)
		close(body);
	if (sv[1] >= 0)
		close(sv[1]);
	if (rc != 0) {
		log_event(LOG_WARN, "http.handover", "err=\"%s\"", strerror(err));
		if (sv[0] >= 0)
			close(sv[0]);
		problem_answer(from, "unavailable", I18N("the service is not reachable; try again"), out);
		return -1;
	}
	return sv[0];
}

/* httpd_serve_fn of the front end (the metrics listener): the request to
 * the service, its answer back. */
static void forward(void *arg, const http_in_t *in, http_out_t *out)
{
	(void)arg;
	struct origin from;
	origin_of(in, &from);
	int sock = hand_over(in, &from, out);
	if (sock >= 0 && await_answer(sock, out) != 0)
		problem_answer(&from, "unavailable", I18N("the service is not reachable; try again"), out);
}

/* ---- the API listener's requests: answers waited for by one thread ---- */

/* A request handed over, its answer not yet back. */
struct waiting {
	struct waiting *prev, *next;
	int sock;
	httpd_pending_t *p;
	struct origin from;
};

static struct {
	pthread_mutex_t mu;
	struct waiting *list;
	int ep;         /* epoll of the answer sockets, and of wake */
	int wake;       /* an eventfd: the stop */
	bool closed;    /* stopped: requests are answered 503 at once */
	pthread_t thread;
} answers = { .mu = PTHREAD_MUTEX_INITIALIZER, .ep = -1, .wake = -1 };

static void waiting_unlink(struct waiting *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		answers.list = w->next;
	if (w->next)
		w->next->prev = w->prev;
}

/* Gives w its answer (or a 503 when its socket closed) and frees it. */
static void waiting_end(struct waiting *w)
{
	http_out_t out;
	memset(&out, 0, sizeof out);
	if (await_answer(w->sock, &out) != 0)
		problem_answer(&w->from, "unavailable", I18N("the service is not reachable; try again"),
			&out);
	httpd_complete(w->p, &out);
	free(w);
}

/* httpd_submit_fn of the front end: the request to the service; its
 * answer taken by answers_main. */
static void submit(void *arg, const http_in_t *in, httpd_pending_t *p)
{
	(void)arg;
	struct waiting *w = xcalloc(1, sizeof *w);
	origin_of(in, &w->from);
	http_out_t out;
	w->sock = hand_over(in, &w->from, &out);
	if (w->sock < 0) {
		httpd_complete(p, &out);
		free(w);
		return;
	}
	w->p = p;
	pthread_mutex_lock(&answers.mu);
	int rc = -1;
	if (!answers.closed) {
		w->next = answers.list;
		if (answers.list)
			answers.list->prev = w;
		answers.list = w;
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = w };
		rc = epoll_ctl(answers.ep, EPOLL_CTL_ADD, w->sock, &ev);
		if (rc != 0)
			waiting_unlink(w);
	}
	pthread_mutex_unlock(&answers.mu);
	if (rc != 0) {
		close(w->sock);
		w->sock = -1;
		waiting_end(w);
	}
}

/* Takes each answer as it comes, until the stop; then every request still
 * waiting is answered 503. */
static void *answers_main(void *arg)
{
	(void)arg;
	struct epoll_event ev[32];
	for (bool stop = false; !stop;) {
		int n = epoll_wait(answers.ep, ev, 32, -1);
		for (int i = 0; i < n; i++) {
			struct waiting *w = ev[i].data.ptr;
			if (!w) {
				stop = true;
				continue;
			}
			pthread_mutex_lock(&answers.mu);
			epoll_ctl(answers.ep, EPOLL_CTL_DEL, w->sock, NULL);
			waiting_unlink(w);
			pthread_mutex_unlock(&answers.mu);
			waiting_end(w);
		}
		if (n < 0 && errno != EINTR)
			break;
	}
	pthread_mutex_lock(&answers.mu);
	struct waiting *left = answers.list;
	answers.list = NULL;
	answers.closed = true;
	pthread_mutex_unlock(&answers.mu);
	while (left) {
		struct waiting *next = left->next;
		close(left->sock);
		left->sock = -1;
		waiting_end(left);
		left = next;
	}
	return NULL;
}

static int answers_start(void)
{
	answers.ep = epoll_create1(EPOLL_CLOEXEC);
	answers.wake = eventfd(0, EFD_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	if (answers.ep < 0 || answers.wake < 0 ||
	    epoll_ctl(answers.ep, EPOLL_CTL_ADD, answers.wake, &ev) != 0 ||
	    pthread_create(&answers.thread, NULL, answers_main, NULL) != 0)
		return -1;
	return 0;
}

/* Ends the waits: every request still waiting is answered 503. */
static void answers_stop(void)
{
	uint64_t one = 1;
	if (write(answers.wake, &one, sizeof one) == sizeof one)
		pthread_join(answers.thread, NULL);
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
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	void *counter = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED,
		HTTP_FRONT_COUNTERS_FD, 0);
	close(HTTP_FRONT_COUNTERS_FD);
	if (sfd < 0 || counter == MAP_FAILED) {
		log_event(LOG_ERROR, "http.front_failed", "err=\"%s\"", strerror(errno));
		return 1;
	}
	metrics_slow_clients_share(counter);
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
	};
	httpd_t *h = answers_start() == 0 ? httpd_start(&hc, why, sizeof why) : NULL;
	if (!h) {
		log_event(LOG_ERROR, "http.front_failed", "err=\"%s\"", why);
		return 1;
	}
	log_event(LOG_INFO, "http.front_started", "pid=%d uid=%d port=%d", (int)getpid(),
		(int)getuid(), httpd_port(h));
	/* Until a signal, or the service closes its socket. */
	for (;;) {
		struct pollfd pf[2] = { { .fd = sfd, .events = POLLIN },
			{ .fd = HTTP_FRONT_SOCK_FD, .events = POLLIN } };
		if (poll(pf, 2, -1) < 0) {
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
