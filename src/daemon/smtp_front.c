/* The service's side of the SMTP front end (see smtp_front.h). */
#include "smtp_front.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "child.h"
#include "ipc.h"
#include "log.h"
#include "role.h"
#include "smtp_wire.h"
#include "supv.h"
#include "xalloc.h"

struct smtp_front {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* a worker's end wakes the stop */
	int listen_fd, lmtp_fd, counters_fd;
	size_t max;
	smtp_ingress_t *in;
	int workers;   /* mails being decided */
	child_t *child;
};

struct job {
	smtp_front_t *f;
	struct ipc_msg msg;
	smtp_wire_mail_t w;
	smtp_wire_bounce_t b; /* for SMTPF_BOUNCE */
};

/* One mail: read, decided, answered on its own socket. */
static void *worker_main(void *arg)
{
	struct job *j = arg;
	smtp_front_t *f = j->f;
	smtp_reply_t r = { 451, "4.3.0 Temporary failure, try again later" };
	uint8_t *raw = NULL;
	smtp_mail_t mail;
	if (j->msg.type == SMTPF_BOUNCE) {
		smtp_ingress_bounce(f->in, j->b.session_id, j->b.peer, j->b.mail_id,
			j->b.is_dsn ? &j->b.dsn : NULL, &r);
	} else if (smtp_wire_mail_read(&j->w, j->msg.fds[1], j->msg.fds[2], f->max, &raw, &mail) == 0) {
		smtp_ingress_submit(f->in, &j->w.env, &mail, raw, j->w.raw_len, &r);
		smtp_mail_free(&mail);
		free(raw);
	} else {
		log_event(LOG_WARN, "smtp.front_refused", "session=%s why=\"sizes do not match\"",
			j->w.session_id);
	}
	struct ipc_out *o = xmalloc(sizeof *o);
	smtp_wire_verdict_encode(o, &r);
	if (ipc_send(j->msg.fds[0], o) != 0)
		log_event(LOG_WARN, "smtp.verdict", "session=%s err=\"%s\"", j->w.session_id,
			strerror(errno));
	free(o);
	ipc_msg_free(&j->msg);
	free(j);
	pthread_mutex_lock(&f->mu);
	f->workers--;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

/* Takes the front end's messages until it closes its socket or sends one
 * that does not decode (then it is killed: it may be someone else's now). */
static void serve(void *arg, int sock, pid_t pid)
{
	smtp_front_t *f = arg;
	for (;;) {
		struct job *j = xcalloc(1, sizeof *j);
		j->f = f;
		int rc = ipc_recv(sock, &j->msg);
		if (rc == 0 && smtp_wire_check(&j->msg, &j->w, &j->b) == 0) {
			pthread_attr_t at;
			pthread_attr_init(&at);
			pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
			pthread_t th;
			pthread_mutex_lock(&f->mu);
			f->workers++;
			pthread_mutex_unlock(&f->mu);
			if (pthread_create(&th, &at, worker_main, j) != 0) {
				pthread_mutex_lock(&f->mu);
				f->workers--;
				pthread_mutex_unlock(&f->mu);
				ipc_msg_free(&j->msg); /* the session sees its socket close: 451 */
				free(j);
			}
			pthread_attr_destroy(&at);
			continue;
		}
		if (rc != 1) {
			log_event(LOG_ERROR, "smtp.front_malformed", "pid=%d type=%u why=\"%s\"", (int)pid,
				(unsigned)j->msg.type, rc == 0 ? "message" : "datagram");
			ipc_proc_kill(pid, SIGKILL);
		}
		ipc_msg_free(&j->msg);
		free(j);
		return;
	}
}

smtp_front_t *smtp_front_start(const char *exe, char *const argv[], int listen_fd, int lmtp_fd,
	size_t max, smtp_ingress_t *in, char *err, size_t errlen)
{
	int cfd = memfd_create("smtp-counters", MFD_CLOEXEC);
	void *counters = MAP_FAILED;
	size_t clen = SMTP_COUNTERS * sizeof(uint64_t);
	if (cfd < 0 || ftruncate(cfd, (off_t)clen) != 0 ||
	    (counters = mmap(NULL, clen, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0)) == MAP_FAILED) {
		snprintf(err, errlen, "SMTP front end: counters: %s", strerror(errno));
		if (cfd >= 0)
			close(cfd);
		return NULL;
	}
	/* /metrics reads what the front end counts. */
	smtp_server_counters_share(counters);
	smtp_front_t *f = xcalloc(1, sizeof *f);
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	f->listen_fd = listen_fd;
	f->lmtp_fd = lmtp_fd;
	f->counters_fd = cfd;
	f->max = max;
	f->in = in;
	/* A listener not configured: the counters' memfd in its place. */
	child_spec_t cs = { .name = "smtp.front", .exe = exe, .argv = argv,
		.fds = { listen_fd >= 0 ? listen_fd : cfd, cfd, lmtp_fd >= 0 ? lmtp_fd : cfd },
		.nfds = 3, .serve = serve, .arg = f };
	f->child = child_start(&cs, err, errlen);
	if (!f->child) {
		smtp_front_stop(f);
		return NULL;
	}
	return f;
}

void smtp_front_stop(smtp_front_t *f)
{
	if (!f)
		return;
	child_stop(f->child);
	pthread_mutex_lock(&f->mu);
	while (f->workers > 0)
		pthread_cond_wait(&f->cv, &f->mu);
	pthread_mutex_unlock(&f->mu);
	/* The counters stay mapped: /metrics may still read them. */
	close(f->counters_fd);
	if (f->listen_fd >= 0)
		close(f->listen_fd);
	if (f->lmtp_fd >= 0)
		close(f->lmtp_fd);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	free(f);
}

pid_t smtp_front_pid(smtp_front_t *f)
{
	return child_pid(f->child);
}

unsigned smtp_front_restarts(smtp_front_t *f)
{
	return child_restarts(f->child);
}
