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

/* An answer made here: a problem (the service is unreachable, or the
 * request cannot be handed over). */
static void problem_answer(const http_in_t *in, const char *kind, const char *detail,
	http_out_t *out)
{
	char rid[HTTP_REQUEST_ID_MAX + 8];
	http_request_id(http_in_header(in, "X-Request-Id"), rid, sizeof rid);
	const char *lang = http_pick_lang(http_in_header(in, "Accept-Language"));
	json_t *j = problem_json(kind, detail, NULL, rid, lang ? lang : "en");
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

/* httpd_serve_fn of the front end: the request to the service, its answer
 * back. */
static void forward(void *arg, const http_in_t *in, http_out_t *out)
{
	(void)arg;
	memset(out, 0, sizeof *out);
	struct ipc_out *o = xmalloc(sizeof *o);
	if (http_wire_request_encode(o, in) != 0) {
		/* What the service would refuse is answered here. */
		free(o);
		problem_answer(in, "invalid-parameter", I18N("a header's name or value is not valid, or "
			"the request has too many headers or query arguments"), out);
		return;
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
	} else if (await_answer(sv[0], out) == 0) {
		return;
	}
	problem_answer(in, "unavailable", I18N("the service is not reachable; try again"), out);
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
	log_reopen();
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
	if (role_front_confine(cfg, extra, sizeof extra / sizeof extra[0], why, sizeof why) != 0) {
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
		.ceiling = ceiling,
		.slow_client = metrics_slow_client,
	};
	httpd_t *h = httpd_start(&hc, why, sizeof why);
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
	httpd_stop(h, (int)cfg->drain_seconds * 1000);
	log_event(LOG_INFO, "http.front_stopped", "pid=%d", (int)getpid());
	/* Nothing to unwind that the exit does not: and under the filter, the
	 * sanitizers' exit-time leak check (it traces the process) would be
	 * killed. */
	_exit(0);
}
