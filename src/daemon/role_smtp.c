/* The SMTP front end (see role.h and smtp_wire.h): SMTP sessions and the
 * MIME parse of strangers' mail, unprivileged and under its own seccomp
 * filter; the service decides and submits. */
#include "role.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdio.h"
#include "ipc.h"
#include "log.h"
#include "smtp_dsn.h"
#include "smtp_ingress.h"
#include "smtp_mime.h"
#include "smtp_server.h"
#include "smtp_wire.h"
#include "xalloc.h"

/* How long a session waits for the service's verdict on one mail. */
#define VERDICT_TIMEOUT_MS (10 * 60 * 1000)

static pthread_mutex_t send_mu = PTHREAD_MUTEX_INITIALIZER;

static void unavailable(smtp_reply_t *r)
{
	r->code = 451;
	snprintf(r->text, sizeof r->text, "4.3.0 Temporary failure, try again later");
}

/* Waits for the service's verdict on sock (closed here) into *r. */
static void await_verdict(int sock, const char *session_id, smtp_reply_t *r)
{
	struct pollfd pf = { .fd = sock, .events = POLLIN };
	int n;
	do
		n = poll(&pf, 1, VERDICT_TIMEOUT_MS);
	while (n < 0 && errno == EINTR);
	struct ipc_msg m;
	memset(&m, 0, sizeof m);
	if (n == 1 && ipc_recv(sock, &m) == 0 && smtp_wire_verdict_decode(&m, r) != 0)
		unavailable(r);
	else if (n != 1)
		log_event(LOG_WARN, "smtp.handover", "session=%s err=\"no verdict\"", session_id);
	ipc_msg_free(&m);
	close(sock);
}

/* Hands one parsed mail to the service and waits for its verdict on a
 * socket of this mail's own. */
static void ask_service(const smtp_envelope_t *env, const uint8_t *msg, size_t len,
	const smtp_mail_t *mail, smtp_reply_t *r)
{
	unavailable(r);
	int raw = memfd_create("smtp-raw", MFD_CLOEXEC), parts = memfd_create("smtp-parts",
								    MFD_CLOEXEC);
	int sv[2] = { -1, -1 };
	struct ipc_out *o = xmalloc(sizeof *o);
	int rc = -1;
	if (raw >= 0 && parts >= 0 && (len == 0 || fd_write_all(raw, msg, len) == 0) &&
	    smtp_wire_parts_write(parts, mail) == 0 && ipc_socketpair(sv) == 0) {
		smtp_wire_mail_encode(o, env, len, mail);
		ipc_put_fd(o, sv[1]);
		ipc_put_fd(o, raw);
		ipc_put_fd(o, parts);
		pthread_mutex_lock(&send_mu);
		rc = ipc_send(SMTP_FRONT_SOCK_FD, o);
		pthread_mutex_unlock(&send_mu);
	}
	free(o);
	if (sv[1] >= 0)
		close(sv[1]);
	if (raw >= 0)
		close(raw);
	if (parts >= 0)
		close(parts);
	if (rc != 0) {
		log_event(LOG_WARN, "smtp.handover", "session=%s err=\"%s\"", env->session_id,
			strerror(errno));
		if (sv[0] >= 0)
			close(sv[0]);
		return;
	}
	await_verdict(sv[0], env->session_id, r);
}

/* A mail to a bounce address: its DSN read here, the fields handed to the
 * service (which records them, or drops a bounce for an unknown id), and
 * its verdict waited for. */
static void ask_service_bounce(const smtp_envelope_t *env, const uint8_t *msg, size_t len,
	smtp_reply_t *r)
{
	smtp_dsn_t dsn;
	int is_dsn = smtp_ingress_bounce_read(msg, len, &dsn, r);
	if (is_dsn < 0)
		return;
	unavailable(r);
	int sv[2] = { -1, -1 };
	if (ipc_socketpair(sv) != 0)
		return;
	struct ipc_out *o = xmalloc(sizeof *o);
	smtp_wire_bounce_encode(o, env->session_id, env->peer, env->bounce_id,
		is_dsn ? &dsn : NULL);
	ipc_put_fd(o, sv[1]);
	pthread_mutex_lock(&send_mu);
	int rc = ipc_send(SMTP_FRONT_SOCK_FD, o);
	pthread_mutex_unlock(&send_mu);
	free(o);
	close(sv[1]);
	if (rc != 0) {
		log_event(LOG_WARN, "smtp.handover", "session=%s err=\"%s\"", env->session_id,
			strerror(errno));
		close(sv[0]);
		return;
	}
	await_verdict(sv[0], env->session_id, r);
}

/* smtp_deliver_fn of the front end: the MIME parse here, the rest there. */
static void front_deliver(void *arg, const smtp_envelope_t *env, const uint8_t *msg, size_t len,
	smtp_reply_t *r)
{
	(void)arg;
	if (env->bounce_id[0]) {
		ask_service_bounce(env, msg, len, r);
		return;
	}
	smtp_mail_t mail;
	enum smtp_mime_fail f = smtp_mime_parse(msg, len, &mail);
	if (f != SMTP_MIME_OK) {
		log_event(LOG_INFO, "smtp.refused", "session=%s peer=%s why=mime_%d", env->session_id,
			env->peer, (int)f);
		smtp_ingress_mime_refusal(f, r);
		return;
	}
	/* The Subject form (fax@domain): the numbers from the Subject, here. */
	smtp_envelope_t to;
	if (smtp_ingress_subject_rcpts(env, mail.subject, &to, r) == 0)
		ask_service(&to, msg, len, &mail, r);
	smtp_mail_free(&mail);
}

int role_smtp_main(const config_t *cfg)
{
	role_set_name("fv-smtp");
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() == 1)
		return 1;
	/* The socket to the service, the listening socket, the counters; the
	 * log is opened again (before the identity changes). */
	close_range(SMTP_FRONT_LMTP_FD + 1, ~0U, 0);
	/* A listener not configured got the counters' memfd in its place. */
	if (!*cfg->mail_smtp_listen)
		close(SMTP_FRONT_LISTEN_FD);
	if (!*cfg->mail_lmtp_listen)
		close(SMTP_FRONT_LMTP_FD);
	role_log_open(cfg, 1);
	signal(SIGPIPE, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (cfg->test_smtp_seccomp_probe)
		sigaddset(&set, SIGUSR1);
	if (cfg->test_front_bad_frames)
		sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	void *counters = mmap(NULL, SMTP_COUNTERS * sizeof(uint64_t), PROT_READ | PROT_WRITE,
		MAP_SHARED, SMTP_FRONT_COUNTERS_FD, 0);
	close(SMTP_FRONT_COUNTERS_FD);
	char why[300];
	smtp_mime_init();
	/* Before the root is emptied: the charsets' iconv modules. */
	int charsets = smtp_mime_preload_charsets();
	if (sfd < 0 || counters == MAP_FAILED) {
		log_event(LOG_ERROR, "smtp.front_failed", "err=\"%s\"", strerror(errno));
		return 1;
	}
	smtp_server_counters_share(counters);
	/* The user, no_new_privs, the front ends' seccomp filter: sessions
	 * need threads, memory, the accepted sockets and the socket to the
	 * service, memfds, time and randomness. Opening files fails (EACCES);
	 * making sockets, connecting, executing, tracing or changing identity
	 * kills the process. */
	if (role_front_confine_as(cfg, cfg->smtp_user, NULL, 0, why, sizeof why) != 0) {
		log_event(LOG_ERROR, "smtp.front_failed", "err=\"%s\"", why);
		return 1;
	}
	smtp_server_config_t sc = {
		.listen = cfg->mail_smtp_listen,
		.listen_fd = SMTP_FRONT_LISTEN_FD,
		.domain = cfg->mail_domain,
		.max_bytes = (size_t)cfg->mail_smtp_max_bytes,
		.max_sessions = (int)cfg->mail_smtp_sessions,
		.timeout_ms = (int)cfg->mail_smtp_timeout * 1000,
		.deliver = front_deliver,
	};
	smtp_server_t *srv = NULL, *lmtp = NULL;
	if (*cfg->mail_smtp_listen && !(srv = smtp_server_start(&sc, why, sizeof why))) {
		log_event(LOG_ERROR, "smtp.front_failed", "err=\"%s\"", why);
		return 1;
	}
	/* LMTP (RFC 2033): the same sessions, checks and verdicts. */
	sc.listen = cfg->mail_lmtp_listen;
	sc.listen_fd = SMTP_FRONT_LMTP_FD;
	sc.lmtp = 1;
	if (*cfg->mail_lmtp_listen && !(lmtp = smtp_server_start(&sc, why, sizeof why))) {
		log_event(LOG_ERROR, "smtp.front_failed", "err=\"%s\"", why);
		smtp_server_stop(srv);
		return 1;
	}
	log_event(LOG_INFO, "smtp.front_started", "pid=%d uid=%d charsets=%d", (int)getpid(),
		(int)getuid(), charsets);
	/* Until a signal, or the service closes its socket. */
	for (;;) {
		struct pollfd pf[2] = { { .fd = sfd, .events = POLLIN },
			{ .fd = SMTP_FRONT_SOCK_FD, .events = POLLIN } };
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
			/* testing.smtp_seccomp_probe: a call the filter forbids. */
			log_event(LOG_WARN, "smtp.seccomp_probe", "call=execve");
			char *const av[] = { (char *)"true", NULL };
			syscall(SYS_execve, "/bin/true", av, av + 1);
			continue;
		}
		if (si.ssi_signo == SIGUSR2) {
			/* testing.front_bad_frames. */
			role_front_bad_frame("smtp", SMTP_FRONT_SOCK_FD, si.ssi_int);
			continue;
		}
		if (si.ssi_signo != SIGHUP)
			break;
	}
	smtp_server_stop(srv);
	smtp_server_stop(lmtp);
	log_event(LOG_INFO, "smtp.front_stopped", "pid=%d", (int)getpid());
	/* Nothing to unwind that the exit does not: and under the filter, the
	 * sanitizers' exit-time leak check (it traces the process) would be
	 * killed. */
	_exit(0);
}
