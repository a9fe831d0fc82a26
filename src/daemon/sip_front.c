/* The service's side of the SIP front end (see sip_front.h). */
#include "sip_front.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>

#include "child.h"
#include "digest.h"
#include "fdio.h"
#include "ipc.h"
#include "log.h"
#include "sip_wire.h"
#include "sipaddr.h"
#include "supv.h"
#include "timeutil.h"
#include "xalloc.h"

/* How long a send waits for a front end being (re)started. */
#define FRONT_WAIT_MS 60000
/* A send waiting for its call looks at its stop flag at least this often
 * (the service wakes it when it sets the flag: linecall_wake). */
#define FRONT_STOP_LOOK_MS 5000
/* How long a stopped listener waits for its calls' results. */
#define DRAIN_MS 60000
/* Trunks whose digest realm is remembered (sends). */
#define REALMS_MAX 64

struct listener {
	int used;
	const linecall_listener_t *l;
	sip_wire_listen_t w;
	int fd;          /* its UDP socket bound by the service, or -1 */
	int calls;       /* INVITEs being decided or calls up */
};

/* A send waiting for its call's messages (front_send_once), or a listener
 * for its stop (front_receive): its eventfd, written by front_wake once the
 * service may have set its stop flag. */
struct send_waiter {
	int efd;
	struct send_waiter *next;
};

struct sip_front {
	pthread_mutex_t mu;
	pthread_cond_t cv;     /* the front end up or down, a call ended */
	int sock;              /* to the front end, -1 while down */
	unsigned gen;          /* front ends served so far (serve) */
	int stopping;
	uid_t uid;             /* the front end's user (fchown), -1: ours */
	gid_t gid;
	struct listener ls[SIPF_LISTENERS_MAX];
	int threads;           /* INVITE threads */
	child_t *child;
	linecall_t *line;
	/* The digest realm each trunk's INVITEs met (by username and the
	 * target's host and port): a send gives the front end the HA1 for it,
	 * never the password. Under mu; the oldest forgotten when full. */
	struct {
		char key[2 * SIPF_TEXT_MAX + 2];
		char realm[DIGEST_FIELD_MAX];
	} realms[REALMS_MAX];
	int nrealms, next_realm;
	struct send_waiter *waiters; /* under mu */
};

/* w (its eventfd made here, -1 if none could be) among those front_wake
 * writes to, until waiter_remove. */
static void waiter_add(sip_front_t *f, struct send_waiter *w)
{
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	w->next = NULL;
	if (w->efd < 0)
		return;
	pthread_mutex_lock(&f->mu);
	w->next = f->waiters;
	f->waiters = w;
	pthread_mutex_unlock(&f->mu);
}

static void waiter_remove(sip_front_t *f, struct send_waiter *w)
{
	if (w->efd < 0)
		return;
	pthread_mutex_lock(&f->mu);
	for (struct send_waiter **p = &f->waiters; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	pthread_mutex_unlock(&f->mu);
	close(w->efd);
}


/* Sends o on the socket to the front end: 0, or -1 when it is down. */
static int front_send(sip_front_t *f, struct ipc_out *o)
{
	pthread_mutex_lock(&f->mu);
	int rc = f->sock >= 0 ? ipc_send(f->sock, o) : -1;
	pthread_mutex_unlock(&f->mu);
	return rc;
}

/* Under f->mu. */
static void send_listen(sip_front_t *f, struct listener *x)
{
	struct ipc_out *o = xmalloc(sizeof *o);
	sip_wire_listen_encode(o, &x->w);
	if (x->fd >= 0)
		ipc_put_fd(o, x->fd);
	if (f->sock >= 0 && ipc_send(f->sock, o) != 0)
		log_event(LOG_WARN, "sip.front_listen", "listen=%s err=\"%s\"", x->w.listen, strerror(errno));
	free(o);
}

/* The pages in a TIFF file (on fd, borrowed), 0 when none or unreadable. */
static int tiff_pages(int fd)
{
	int d = dup(fd);
	if (d < 0)
		return 0;
	lseek(d, 0, SEEK_SET);
	TIFF *t = TIFFFdOpen(d, "rx.tif", "r");
	if (!t) {
		close(d);
		return 0;
	}
	int n = TIFFNumberOfDirectories(t);
	TIFFClose(t);
	return n;
}

/* The front end sent what the service refuses: a datagram ipc_recv
 * refused (rc -1), or a message that is not what was expected there (rc
 * 0, m). Logged and the front end killed (pid, or 0 for the current one:
 * it may be someone else's now), which ends its channel and its calls. */
static void front_refused(sip_front_t *f, pid_t pid, int rc, const struct ipc_msg *m)
{
	if (pid <= 0)
		pid = child_pid(f->child);
	log_event(LOG_ERROR, "sip.front_malformed", "pid=%d type=%u why=\"%s\"", (int)pid,
		(unsigned)(rc == 0 ? m->type : 0), rc == 0 ? "message" : "datagram");
	if (pid > 0)
		ipc_proc_kill(pid, SIGKILL);
}

struct invite_job {
	sip_front_t *f;
	int sock;                /* the call socket */
	sip_wire_invite_t w;
	int challenge;           /* the answer asks the front end for a challenge: 1 new, 2 stale */
	int64_t now;             /* ... made at this time (the service's clock, seconds) */
};

/* How long the front end may take to check an INVITE's credentials. */
#define VERDICT_MS 10000

/* The INVITE's credentials checked by the front end, which parsed them:
 * it is given the HA1s, it answers the verdict. */
static sipauth_verdict_t invite_verify(linecall_invite_t *ci, const char *user, const char *ha1_md5,
	const char *ha1_sha256, int64_t now)
{
	struct invite_job *j = ci->impl;
	sip_wire_auth_t a = { .now = now };
	if (!user || strlen(user) >= sizeof a.user || !ha1_md5 || strlen(ha1_md5) != 32 || !ha1_sha256 ||
	    strlen(ha1_sha256) != 64)
		return SIPAUTH_BAD;
	snprintf(a.user, sizeof a.user, "%s", user);
	memcpy(a.ha1_md5, ha1_md5, sizeof a.ha1_md5);
	memcpy(a.ha1_sha256, ha1_sha256, sizeof a.ha1_sha256);
	struct ipc_out *o = xmalloc(sizeof *o);
	sip_wire_auth_encode(o, &a);
	int sent = ipc_send(j->sock, o) == 0;
	explicit_bzero(o, sizeof *o);
	explicit_bzero(&a, sizeof a);
	free(o);
	sipauth_verdict_t v = SIPAUTH_BAD;
	struct pollfd pf = { .fd = j->sock, .events = POLLIN };
	int n = 0;
	if (sent)
		do
			n = poll(&pf, 1, VERDICT_MS);
		while (n < 0 && errno == EINTR);
	if (n == 1) {
		struct ipc_msg m;
		int rc = ipc_recv(j->sock, &m);
		if (rc == -1 || (rc == 0 && (m.nfds != 0 || sip_wire_verdict_decode(&m, &v) != 0))) {
			front_refused(j->f, 0, rc, &m);
			v = SIPAUTH_BAD;
		}
		ipc_msg_free(&m);
	}
	return v;
}

static int invite_challenge(linecall_invite_t *ci, int stale, int64_t now)
{
	struct invite_job *j = ci->impl;
	j->challenge = stale ? 2 : 1;
	j->now = now > 0 ? now : 0;
	return 0;
}

/* The call's TIFF file (in the service's 0700 spool), which the front end
 * opens by its /proc/self/fd name, opened to its user (share) or no longer
 * (!share): given to it under root; as the service user (role.h), which
 * cannot give a file away, open to other users while the call lasts. */
static int share_file(const sip_front_t *f, int fd, int share)
{
	if (geteuid() == 0)
		return share ? fchown(fd, f->uid, f->gid) : 0;
	return fchmod(fd, share ? 0606 : 0600);
}

/* One INVITE: decided, answered, then its result waited for. */
static void *invite_main(void *arg)
{
	struct invite_job *j = arg;
	sip_front_t *f = j->f;
	struct listener *x = &f->ls[j->w.listener];
	pthread_mutex_lock(&f->mu);
	const linecall_listener_t *l = x->used ? x->l : NULL;
	if (l)
		x->calls++;
	pthread_mutex_unlock(&f->mu);
	linecall_invite_t ci;
	memset(&ci, 0, sizeof ci);
	ci.inv = j->w.inv;
	ci.wire = &j->w;
	ci.wire_header = sip_wire_invite_header;
	ci.auth = j->w.auth;
	memcpy(ci.auth_user, j->w.auth_user, sizeof ci.auth_user);
	ci.verify = invite_verify;
	ci.challenge = invite_challenge;
	ci.impl = j;
	int fd = -1, st = 503;
	void *ud = NULL;
	if (l)
		st = l->accept(l->accept_ud, &ci, &fd, &ud);
	if (st == 0 && f->uid != (uid_t)-1 && share_file(f, fd, 1) != 0)
		log_event(LOG_WARN, "sip.front_chown", "err=\"%s\"", strerror(errno));
	sip_wire_answer_t a = { .status = st, .retry_after = ci.inv.retry_after,
		.challenge = st == 401 ? j->challenge : 0, .now = j->now };
	memcpy(a.called, ci.inv.called, sizeof a.called);
	memcpy(a.caller, ci.inv.caller, sizeof a.caller);
	a.called[sizeof a.called - 1] = a.caller[sizeof a.caller - 1] = '\0';
	struct ipc_out *o = xmalloc(sizeof *o);
	sip_wire_answer_encode(o, &a);
	if (st == 0)
		ipc_put_fd(o, fd);
	ipc_send(j->sock, o);
	free(o);
	if (st == 0) {
		/* The result, or the front end gone: the pages on disk are kept. */
		fax_result_t *r = xmalloc(sizeof *r);
		struct ipc_msg m;
		int rc = 0, rr = ipc_recv(j->sock, &m);
		int got = rr == 0 && m.nfds == 0 && sip_wire_result_decode(&m, &rc, r) == 0;
		if (!got && rr != 1)
			front_refused(f, 0, rr, &m);
		ipc_msg_free(&m);
		if (!got) {
			fax_result_init(r, 0);
			r->answered = 1;
			r->t30_heard = 1;
			r->network_error = 1;
			r->pages_received = tiff_pages(fd);
			fax_result_classify(r);
			snprintf(r->reason, sizeof r->reason,
				"the SIP front end stopped while this fax was arriving; the pages received are kept");
			snprintf(r->to_user, sizeof r->to_user, "%s", a.called);
			snprintf(r->from_user, sizeof r->from_user, "%s", a.caller);
			log_event(LOG_WARN, "sip.front_call_lost", "to=%s pages=%d", a.called, r->pages_received);
		}
		if (f->uid != (uid_t)-1)
			share_file(f, fd, 0);
		close(fd);
		r->outbound = 0;
		r->call_ud = ud;
		l->result(l->result_ud, r);
		free(r);
	}
	close(j->sock);
	free(j);
	pthread_mutex_lock(&f->mu);
	if (l)
		x->calls--;
	f->threads--;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

/* Takes the front end's messages until it closes its socket or sends one
 * that does not decode (then it is killed). */
static void serve(void *arg, int sock, pid_t pid)
{
	sip_front_t *f = arg;
	pthread_mutex_lock(&f->mu);
	f->sock = sock;
	f->gen++;
	for (int i = 0; i < SIPF_LISTENERS_MAX; i++)
		if (f->ls[i].used)
			send_listen(f, &f->ls[i]);
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	for (;;) {
		struct ipc_msg m;
		int rc = ipc_recv(sock, &m);
		uint32_t id;
		int port;
		if (rc == 0 && m.nfds == 0 && sip_wire_listening_decode(&m, &id, &port) == 0) {
			pthread_mutex_lock(&f->mu);
			struct listener *x = &f->ls[id];
			if (x->used && port > 0 && x->l->cfg->bound_port)
				__atomic_store_n(x->l->cfg->bound_port, port, __ATOMIC_RELEASE);
			pthread_mutex_unlock(&f->mu);
			if (port == 0)
				log_event(LOG_ERROR, "sip.front_listen_failed", "listener=%u", id);
			ipc_msg_free(&m);
			continue;
		}
		struct invite_job *j = NULL;
		if (rc == 0 && m.nfds == 1) {
			j = xcalloc(1, sizeof *j);
			if (sip_wire_invite_decode(&m, &j->w) != 0) {
				free(j);
				j = NULL;
			}
		}
		if (j) {
			j->f = f;
			j->sock = ipc_msg_take_fd(&m, 0);
			ipc_msg_free(&m);
			pthread_attr_t at;
			pthread_attr_init(&at);
			pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
			pthread_t th;
			pthread_mutex_lock(&f->mu);
			f->threads++;
			pthread_mutex_unlock(&f->mu);
			if (pthread_create(&th, &at, invite_main, j) != 0) {
				pthread_mutex_lock(&f->mu);
				f->threads--;
				pthread_mutex_unlock(&f->mu);
				close(j->sock); /* the front end refuses the call */
				free(j);
			}
			pthread_attr_destroy(&at);
			continue;
		}
		if (rc != 1)
			front_refused(f, pid, rc, &m);
		ipc_msg_free(&m);
		break;
	}
	pthread_mutex_lock(&f->mu);
	f->sock = -1;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

/* A listener's socket bound here, as the engine would bind it (a UDP
 * socket with a large receive buffer; TCP, for TCP and TLS, listening), so
 * that a restarted front end serves the same socket and needs no right to
 * bind it: the socket, or -1 (errno set). */
static int bind_listener(const char *addr, int transport)
{
	struct sockaddr_storage sa;
	if (!addr || sipaddr_parse(addr, &sa, 1) != 0) {
		errno = EINVAL;
		return -1;
	}
	int fd = socket(sa.ss_family, (transport ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1, buf = 1 << 20;
	if (transport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	else
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
	if (bind(fd, (const struct sockaddr *)&sa, sipaddr_len(&sa)) != 0 ||
	    (transport && listen(fd, 128) != 0)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* ---- linecall_t ---- */

/* A copy of the document in a memfd (the front end's user may not open
 * the service's file): the memfd, or -1. */
static int tiff_memfd(int tiff_fd)
{
	int m = memfd_create("sip-tx", MFD_CLOEXEC);
	if (m < 0)
		return -1;
	uint8_t buf[65536];
	off_t off = 0;
	for (;;) {
		ssize_t n = pread(tiff_fd, buf, sizeof buf, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && fd_write_all(m, buf, (size_t)n) != 0)) {
			close(m);
			return -1;
		}
		if (n == 0)
			return m;
		off += n;
	}
}

/* Whether a front end is up, waiting until *until for one being
 * (re)started, or the stop (f->mu held). */
static bool front_wait_up(sip_front_t *f, const line_cfg_t *cfg, const struct timespec *until)
{
	while (f->sock < 0 && !f->stopping && !(cfg->stop && atomic_load(cfg->stop)))
		if (pthread_cond_timedwait(&f->cv, &f->mu, until) == ETIMEDOUT)
			break;
	return f->sock >= 0;
}

/* Whether front end gen has gone (its channel's end seen by serve: the
 * socket -1, or already the next's), waiting until *until or the stop
 * (f->mu held). */
static bool front_gone(sip_front_t *f, const line_cfg_t *cfg, unsigned gen,
	const struct timespec *until)
{
	while (f->gen == gen && f->sock >= 0 && !f->stopping && !(cfg->stop && atomic_load(cfg->stop)))
		if (pthread_cond_timedwait(&f->cv, &f->mu, until) == ETIMEDOUT)
			break;
	return f->gen != gen || f->sock < 0;
}

/* A call handed to the front end (o on its channel), waiting until
 * *until for one being (re)started: 0 (*gen_out: which front end took
 * it), or -1 when none took it. One that died before serve saw its
 * channel's end refuses it (EPIPE): its successor is waited for, within
 * the same time. Such a send ended as a failed attempt ("could not be
 * handed"), tried again only after the fax's retry delay (300 s by
 * default). */
static int front_hand_over(sip_front_t *f, const line_cfg_t *cfg, struct ipc_out *o,
	const struct timespec *until, unsigned *gen_out)
{
	int rc = -1;
	pthread_mutex_lock(&f->mu);
	while (front_wait_up(f, cfg, until)) {
		if (ipc_send(f->sock, o) == 0) {
			*gen_out = f->gen;
			rc = 0;
			break;
		}
		if (errno != EPIPE && errno != ECONNRESET && errno != ECONNREFUSED && errno != ENOTCONN)
			break;
		log_event(LOG_WARN, "sip.front_handover", "err=\"%s\" wait=successor", strerror(errno));
		/* Its end, seen by serve (the socket -1, or already the next). */
		unsigned gen = f->gen;
		if (!front_gone(f, cfg, gen, until))
			break;
	}
	pthread_mutex_unlock(&f->mu);
	return rc;
}

/* Waits (FRONT_WAIT_MS at most, or the stop) until the front end gen has
 * gone: its channel's end seen by serve. A call's socket of a front end
 * killed mid-call can close before its channel: a retry made at once was
 * handed to the dying front end and lost with it (cut again, the service
 * reading ECONNRESET on the channel), or refused with EPIPE once the
 * channel had closed but before serve saw it (a failed attempt, retried
 * 300 s later): test_sip_front.sh under load, both seen. */
static void front_wait_gone(sip_front_t *f, const line_cfg_t *cfg, unsigned gen)
{
	struct timespec until;
	time_deadline_in(FRONT_WAIT_MS, &until);
	pthread_mutex_lock(&f->mu);
	front_gone(f, cfg, gen, &until);
	pthread_mutex_unlock(&f->mu);
}

static void local_failure(fax_result_t *res, const char *why)
{
	fax_result_init(res, 1);
	res->network_error = 1;
	fax_result_classify(res);
	snprintf(res->reason, sizeof res->reason, "%s", why);
}

static int front_send_once(sip_front_t *f, const line_cfg_t *cfg, const char *target, int tiff_fd,
	fax_result_t *res)
{
	/* A front end being restarted: wait for it (not for ever). */
	struct timespec until;
	time_deadline_in(FRONT_WAIT_MS, &until);
	pthread_mutex_lock(&f->mu);
	bool up = front_wait_up(f, cfg, &until);
	pthread_mutex_unlock(&f->mu);
	if (!up) {
		local_failure(res, "the SIP front end is not running");
		return -1;
	}
	int doc = tiff_memfd(tiff_fd), sv[2] = { -1, -1 };
	/* A trunk's own client certificate is a memfd of this process
	 * (trunk_tls.h): its descriptors go along, its names mean nothing
	 * there. */
	int own = cfg->tls_cert && strncmp(cfg->tls_cert, "/proc/self/fd/", 14) == 0 && cfg->tls_key;
	int cert = own ? open(cfg->tls_cert, O_RDONLY | O_CLOEXEC) : -1;
	int key = own ? open(cfg->tls_key, O_RDONLY | O_CLOEXEC) : -1;
	struct ipc_out *o = xmalloc(sizeof *o);
	int rc = -1;
	unsigned gen = 0;
	if (doc >= 0 && (!own || (cert >= 0 && key >= 0)) && ipc_socketpair(sv) == 0 &&
	    sip_wire_send_encode(o, cfg, target) == 0) {
		ipc_put_fd(o, sv[1]);
		ipc_put_fd(o, doc);
		if (own) {
			ipc_put_fd(o, cert);
			ipc_put_fd(o, key);
		}
		rc = front_hand_over(f, cfg, o, &until, &gen);
	}
	free(o);
	if (cert >= 0)
		close(cert);
	if (key >= 0)
		close(key);
	if (doc >= 0)
		close(doc);
	if (sv[1] >= 0)
		close(sv[1]);
	if (rc != 0) {
		if (sv[0] >= 0)
			close(sv[0]);
		local_failure(res, "the call could not be handed to the SIP front end");
		return -1;
	}
	/* Pages as they are confirmed, then the result; a stop is passed on,
	 * seen when the service wakes this send (front_wake). */
	struct send_waiter w;
	waiter_add(f, &w);
	int stop_sent = 0, confirmed = 0, done = 0, ret = 0;
	while (!done) {
		if (cfg->stop && atomic_load(cfg->stop) && !stop_sent) {
			struct ipc_out s;
			ipc_out_init(&s, SIPF_STOP, 0);
			ipc_send(sv[0], &s);
			stop_sent = 1;
		}
		/* Woken by the front end's messages, and by the service once it
		 * set a stop flag (a cancel, seen by the service's renewer each
		 * fax.poll_ms, or the service stopping: linecall_wake). The timeout
		 * only bounds how late a stop set without a wake is passed on. It
		 * was the only way a stop was seen: at 250 ms, the 20 calls' wake-ups
		 * were about a twentieth of the service's CPU in bench/fax-e2e, at
		 * 50 ms a twelfth. */
		struct pollfd pf[2] = { { .fd = sv[0], .events = POLLIN }, { .fd = w.efd, .events = POLLIN } };
		int n = poll(pf, w.efd >= 0 ? 2 : 1, w.efd >= 0 ? FRONT_STOP_LOOK_MS : 250);
		if (n > 0 && w.efd >= 0 && (pf[1].revents & POLLIN)) {
			eventfd_t v;
			(void)eventfd_read(w.efd, &v);
		}
		if (n == 0 || (n < 0 && errno == EINTR) || (n > 0 && pf[0].revents == 0))
			continue;
		struct ipc_msg m;
		int page, ok, r = n > 0 ? ipc_recv(sv[0], &m) : -1;
		if (r == 0 && m.nfds == 0 && sip_wire_page_decode(&m, &page, &ok) == 0) {
			if (ok)
				confirmed++;
			if (cfg->on_page)
				cfg->on_page(cfg->page_ud, page, ok);
		} else if (r == 0 && m.nfds == 0 && sip_wire_result_decode(&m, &ret, res) == 0) {
			done = 1;
		} else {
			/* Not a page nor a result: the front end is killed. */
			if (r != 1)
				front_refused(f, 0, r, &m);
			/* The front end died during the call: interrupted, retried
			 * from the first page it did not confirm, by its successor
			 * (its channel's end waited for: the retry handed to the
			 * dying one was lost too, or refused). */
			front_wait_gone(f, cfg, gen);
			fax_result_init(res, 1);
			res->network_error = 1;
			res->pages_confirmed = confirmed;
			fax_result_classify(res);
			snprintf(res->fail_class, sizeof res->fail_class, "interrupted");
			snprintf(res->reason, sizeof res->reason, "the SIP front end stopped during the call");
			log_event(LOG_WARN, "sip.front_call_lost", "target=%s pages_confirmed=%d", target, confirmed);
			ret = 0;
			done = 1;
		}
		if (r >= 0)
			ipc_msg_free(&m);
	}
	waiter_remove(f, &w);
	close(sv[0]);
	res->call_ud = NULL;
	return ret;
}

/* linecall_wake: every send waiting, and every listener, looks at its
 * stop flag. */
static void front_wake(void *impl)
{
	sip_front_t *f = impl;
	pthread_mutex_lock(&f->mu);
	for (struct send_waiter *w = f->waiters; w; w = w->next)
		(void)eventfd_write(w->efd, 1);
	pthread_mutex_unlock(&f->mu);
}

/* The realms' key of a send: its username and the target's host part. */
static void realm_key(const line_cfg_t *cfg, const char *target, char *key, size_t cap)
{
	const char *at = strrchr(target, '@');
	snprintf(key, cap, "%s %s", cfg->user, at ? at + 1 : target);
}

static void realm_get(sip_front_t *f, const char *key, char *realm, size_t cap)
{
	realm[0] = '\0';
	pthread_mutex_lock(&f->mu);
	for (int i = 0; i < f->nrealms; i++)
		if (strcmp(f->realms[i].key, key) == 0)
			snprintf(realm, cap, "%s", f->realms[i].realm);
	pthread_mutex_unlock(&f->mu);
}

static void realm_put(sip_front_t *f, const char *key, const char *realm)
{
	pthread_mutex_lock(&f->mu);
	int i = 0;
	while (i < f->nrealms && strcmp(f->realms[i].key, key) != 0)
		i++;
	if (i == f->nrealms) {
		if (f->nrealms < REALMS_MAX)
			f->nrealms++;
		else
			i = f->next_realm++ % REALMS_MAX;
	}
	snprintf(f->realms[i].key, sizeof f->realms[i].key, "%s", key);
	snprintf(f->realms[i].realm, sizeof f->realms[i].realm, "%s", realm);
	pthread_mutex_unlock(&f->mu);
}

/* A send through the front end. The front end gets the HA1 (MD5) for the
 * realm this trunk's INVITEs met before, not the password; the password
 * only for a trunk whose realm this service has not met yet (its first
 * call since the service started). The realm a call met is remembered;
 * when a call with the HA1 meets another realm (the carrier changed it),
 * it ends on that 401/407 and is placed again at once with the HA1 for
 * the new one. */
static int front_send_call(void *impl, const line_cfg_t *cfg, const char *target, int tiff_fd,
	fax_result_t *res)
{
	sip_front_t *f = impl;
	if (!cfg->user || !cfg->password)
		return front_send_once(f, cfg, target, tiff_fd, res);
	line_cfg_t lc = *cfg;
	char key[sizeof f->realms[0].key], realm[DIGEST_FIELD_MAX], ha1[DIGEST_HEX_MAX] = "";
	realm_key(cfg, target, key, sizeof key);
	realm_get(f, key, realm, sizeof realm);
	int rc = -1;
	for (int round = 0; round < 2; round++) {
		if (realm[0]) {
			digest_ha1(DIGEST_MD5, cfg->user, realm, cfg->password, ha1);
			lc.password = NULL;
			lc.ha1_realm = realm;
			lc.ha1_md5 = ha1;
		}
		rc = front_send_once(f, &lc, target, tiff_fd, res);
		int known = realm[0] != '\0', again = 0;
		if (res->auth_realm[0] && strcmp(res->auth_realm, realm) != 0) {
			log_event(LOG_INFO, "sip.front_realm", "target=%s realm_known=%d", target, known);
			snprintf(realm, sizeof realm, "%s", res->auth_realm);
			realm_put(f, key, realm);
			/* the HA1 of the old realm could not answer: at once with the new one */
			again = known && rc == 0 && (res->sip_status == 401 || res->sip_status == 407) &&
				res->pages_confirmed == 0;
		}
		if (!again)
			break;
	}
	explicit_bzero(ha1, sizeof ha1);
	return rc;
}

static int front_receive(void *impl, const linecall_listener_t *l)
{
	sip_front_t *f = impl;
	const line_cfg_t *c = l->cfg;
	pthread_mutex_lock(&f->mu);
	int id = -1;
	for (int i = 0; i < SIPF_LISTENERS_MAX && id < 0; i++)
		if (!f->ls[i].used)
			id = i;
	if (id < 0) {
		pthread_mutex_unlock(&f->mu);
		if (c->listen_fd > 0)
			close(c->listen_fd);
		return -1;
	}
	/* The carrier listeners (fax.sip_listen) are bound here; the
	 * loopback trunk's socket was bound at start. */
	int fd = c->listen_fd > 0 ? c->listen_fd : bind_listener(c->listen, c->sip_transport);
	if (fd < 0) {
		pthread_mutex_unlock(&f->mu);
		log_event(LOG_ERROR, "sip.front_bind_failed", "listen=%s err=\"%s\"",
			c->listen ? c->listen : "-", strerror(errno));
		return -1;
	}
	struct listener *x = &f->ls[id];
	memset(x, 0, sizeof *x);
	x->used = 1;
	x->l = l;
	x->fd = fd;
	sip_wire_listen_t *w = &x->w;
	w->id = (uint32_t)id;
	w->screened = l->screened;
	snprintf(w->listen, sizeof w->listen, "%s", c->listen ? c->listen : "");
	w->transport = c->sip_transport;
	w->t38 = c->t38;
	w->ecm = c->ecm;
	w->max_call_ms = c->max_call_ms;
	w->media_threads = c->media_threads;
	w->media_priority = c->media_priority;
	w->rx_durable = c->rx_durable;
	w->ident_called = c->ident_called;
	w->clock_speed = c->clock_speed;
	snprintf(w->tls_cert, sizeof w->tls_cert, "%s", c->tls_cert ? c->tls_cert : "");
	snprintf(w->tls_key, sizeof w->tls_key, "%s", c->tls_key ? c->tls_key : "");
	w->tls_verify_client = c->tls_verify_client;
	snprintf(w->public_address, sizeof w->public_address, "%s", c->public_address ? c->public_address : "");
	/* Bound here: its port is known now. */
	if (c->bound_port) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		if (getsockname(x->fd, (struct sockaddr *)&ss, &sl) == 0 &&
		    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6))
			__atomic_store_n(c->bound_port, (int)ntohs(ss.ss_family == AF_INET
				? ((struct sockaddr_in *)&ss)->sin_port : ((struct sockaddr_in6 *)&ss)->sin6_port),
				__ATOMIC_RELEASE);
	}
	send_listen(f, x);
	pthread_mutex_unlock(&f->mu);
	/* Until the stop; then the front end ends the calls, whose results
	 * come before the listener goes. The service wakes it when it sets
	 * the flag (linecall_wake); the timeout only bounds a stop set without
	 * a wake. It looked every 50 ms: 20 wake-ups a second of the service
	 * for each listener, idle or not. */
	struct send_waiter stopw;
	waiter_add(f, &stopw);
	while (!(c->stop && atomic_load(c->stop))) {
		if (stopw.efd < 0) {
			usleep(50000);
			continue;
		}
		struct pollfd pf = { .fd = stopw.efd, .events = POLLIN };
		if (poll(&pf, 1, FRONT_STOP_LOOK_MS) > 0 && (pf.revents & POLLIN)) {
			eventfd_t v;
			(void)eventfd_read(stopw.efd, &v);
		}
	}
	waiter_remove(f, &stopw);
	struct ipc_out o;
	sip_wire_unlisten_encode(&o, (uint32_t)id);
	front_send(f, &o);
	struct timespec until;
	time_deadline_in(DRAIN_MS, &until);
	pthread_mutex_lock(&f->mu);
	while (x->calls > 0 && pthread_cond_timedwait(&f->cv, &f->mu, &until) != ETIMEDOUT)
		;
	if (x->calls > 0)
		log_event(LOG_WARN, "sip.front_drain", "listener=%d calls=%d", id, x->calls);
	x->used = 0;
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	pthread_mutex_unlock(&f->mu);
	return 0;
}

/* ---- registrations and keep-alives ---- */

/* How long a registration or a probe waits for a front end being
 * (re)started before it is given up (nothing done: LINECALL_UNAVAILABLE). */
#define RPC_WAIT_MS 5000

/* Whether the front end is up (waiting up to RPC_WAIT_MS for it). */
static int front_up(sip_front_t *f)
{
	struct timespec until;
	time_deadline_in(RPC_WAIT_MS, &until);
	pthread_mutex_lock(&f->mu);
	while (f->sock < 0 && !f->stopping)
		if (pthread_cond_timedwait(&f->cv, &f->mu, &until) == ETIMEDOUT)
			break;
	int up = f->sock >= 0;
	pthread_mutex_unlock(&f->mu);
	return up;
}

/* The front end's answer on call socket sock within ms: 0 with *m, 1 when
 * it closed or did not answer in time, -1 when the answer does not decode
 * (the front end killed then). */
static int rpc_answer(sip_front_t *f, int sock, int ms, struct ipc_msg *m,
	int (*ok)(const struct ipc_msg *m, void *arg), void *arg)
{
	struct pollfd pf = { .fd = sock, .events = POLLIN };
	int n;
	do
		n = poll(&pf, 1, ms);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		return 1;
	int rc = ipc_recv(sock, m);
	if (rc == 1)
		return 1;
	if (rc == 0 && m->nfds == 0 && ok(m, arg) == 0)
		return 0;
	front_refused(f, 0, rc, m);
	ipc_msg_free(m);
	return -1;
}

/* A request o to the front end on a call socket of its own (its fds: the
 * call socket, then cert and key when this process's own memfd names are
 * in cert): the call socket, or -1. */
static int rpc_send(sip_front_t *f, struct ipc_out *o, const char *cert, const char *key)
{
	int own = cert && strncmp(cert, "/proc/self/fd/", 14) == 0 && key;
	int cfd = own ? open(cert, O_RDONLY | O_CLOEXEC) : -1;
	int kfd = own ? open(key, O_RDONLY | O_CLOEXEC) : -1;
	int sv[2] = { -1, -1 }, rc = -1;
	if ((!own || (cfd >= 0 && kfd >= 0)) && ipc_socketpair(sv) == 0) {
		ipc_put_fd(o, sv[1]);
		if (own) {
			ipc_put_fd(o, cfd);
			ipc_put_fd(o, kfd);
		}
		rc = front_send(f, o);
	}
	if (cfd >= 0)
		close(cfd);
	if (kfd >= 0)
		close(kfd);
	if (sv[1] >= 0)
		close(sv[1]);
	if (rc != 0 && sv[0] >= 0) {
		close(sv[0]);
		sv[0] = -1;
	}
	return sv[0];
}

struct reg_ans {
	int rc;
	linecall_reg_t *r;
};

static int reg_ok(const struct ipc_msg *m, void *arg)
{
	struct reg_ans *a = arg;
	return sip_wire_registered_decode(m, &a->rc, a->r);
}

static int front_reg(void *impl, linecall_reg_t *r, int timeout_ms)
{
	sip_front_t *f = impl;
	if (!front_up(f))
		return LINECALL_UNAVAILABLE;
	struct ipc_out *o = xmalloc(sizeof *o);
	int sock = -1;
	if (sip_wire_reg_encode(o, r, timeout_ms) == 0)
		sock = rpc_send(f, o, r->b.tls_cert, r->b.tls_key);
	else
		log_event(LOG_WARN, "sip.front_register", "trunk=%s err=\"a field does not fit the message\"",
			r->trunk_id ? r->trunk_id : "-");
	/* it carried the password or the HA1 */
	explicit_bzero(o, sizeof *o);
	free(o);
	if (sock < 0)
		return LINECALL_UNAVAILABLE;
	/* the registration's own deadline for a few of the registrar's
	 * targets in turn, and time for their resolution */
	struct ipc_msg m;
	struct reg_ans a = { -1, r };
	int got = rpc_answer(f, sock, timeout_ms * 4 + 10000, &m, reg_ok, &a);
	close(sock);
	if (got != 0)
		return LINECALL_UNAVAILABLE;
	ipc_msg_free(&m);
	return a.rc;
}

static int probed_ok(const struct ipc_msg *m, void *arg)
{
	return sip_wire_probed_decode(m, arg);
}

static int front_probe(void *impl, linecall_probe_set_t *sets, size_t nsets, int timeout_ms)
{
	sip_front_t *f = impl;
	for (size_t i = 0; i < nsets; i++)
		for (size_t k = 0; k < sets[i].n; k++)
			sets[i].p[k].status = -1;
	if (!front_up(f))
		return LINECALL_UNAVAILABLE;
	/* one request per trunk, all at once; then their answers */
	int socks[KEEPALIVE_PEERS_MAX];
	struct ipc_out *o = xmalloc(sizeof *o);
	int lost = 0;
	for (size_t i = 0; i < nsets && i < KEEPALIVE_PEERS_MAX; i++) {
		const sipconn_tls_t *t = sets[i].n ? sets[i].p[0].tls : NULL;
		socks[i] = sip_wire_probe_encode(o, &sets[i], timeout_ms) == 0 ?
			rpc_send(f, o, t ? t->cert : NULL, t ? t->key : NULL) : -1;
		lost |= socks[i] < 0;
	}
	free(o);
	/* TCP and TLS targets are probed one after another: each within the timeout */
	for (size_t i = 0; i < nsets && i < KEEPALIVE_PEERS_MAX; i++) {
		if (socks[i] < 0)
			continue;
		struct ipc_msg m;
		int got = rpc_answer(f, socks[i], timeout_ms * (int)(sets[i].n + 1) + 10000, &m, probed_ok, &sets[i]);
		if (got == 0)
			ipc_msg_free(&m);
		else
			lost = 1;
		close(socks[i]);
	}
	/* a front end gone during the round: nothing learnt */
	return lost ? LINECALL_UNAVAILABLE : 0;
}

static int loops_ok(const struct ipc_msg *m, void *arg)
{
	return sip_wire_loops_decode(m, arg) < 0 ? -1 : 0;
}

/* The front end's media loops' figures (for /metrics): asked on a call
 * socket of its own, answered at once; 0 loops when it is not up. */
static int front_loops(void *impl, line_loop_stats_t *out, int max)
{
	sip_front_t *f = impl;
	pthread_mutex_lock(&f->mu);
	int up = f->sock >= 0;
	pthread_mutex_unlock(&f->mu);
	if (!up)
		return 0;
	struct ipc_out o;
	ipc_out_init(&o, SIPF_LOOPS, 0);
	int sock = rpc_send(f, &o, NULL, NULL);
	if (sock < 0)
		return 0;
	line_loop_stats_t l[LINE_LOOPS_MAX];
	struct ipc_msg m;
	int n = 0;
	if (rpc_answer(f, sock, 2000, &m, loops_ok, l) == 0) {
		n = sip_wire_loops_decode(&m, l);
		ipc_msg_free(&m);
	}
	close(sock);
	n = n < 0 ? 0 : n > max ? max : n;
	memcpy(out, l, (size_t)n * sizeof *out);
	return n;
}

/* How long a lookup may take in the front end: NAPTR, three SRV names
 * and their targets' A/AAAA, each retried by the resolver (res_nquery 2 s
 * x 2, getaddrinfo resolv.conf's timeout and attempts). */
#define RESOLVE_WAIT_MS 90000

struct resolve_ans {
	const sip_wire_resolve_t *q;
	int rc;
	resolve_answer_t *a;
	char *err;
	size_t errlen;
};

static int resolved_ok(const struct ipc_msg *m, void *arg)
{
	struct resolve_ans *r = arg;
	return sip_wire_resolved_decode(m, r->q, &r->rc, r->a, r->err, r->errlen);
}

static int front_resolve(void *impl, const char *peer, int primary, int transports, int families,
	resolve_answer_t *a, char *err, size_t errlen)
{
	sip_front_t *f = impl;
	sip_wire_resolve_t q = { .primary = primary, .transports = transports, .families = families };
	snprintf(q.peer, sizeof q.peer, "%s", peer);
	if (!front_up(f)) {
		snprintf(err, errlen, "%.100s: the SIP front end is not running", peer);
		return RESOLVE_ERR_AGAIN;
	}
	struct ipc_out *o = xmalloc(sizeof *o);
	int sock = -1;
	if (sip_wire_resolve_encode(o, peer, primary, transports, families) == 0)
		sock = rpc_send(f, o, NULL, NULL);
	else
		snprintf(err, errlen, "the peer: not a name to resolve");
	free(o);
	if (sock < 0)
		return RESOLVE_ERR_AGAIN;
	struct ipc_msg m;
	struct resolve_ans r = { &q, RESOLVE_ERR_DNS, a, err, errlen };
	int got = rpc_answer(f, sock, RESOLVE_WAIT_MS, &m, resolved_ok, &r);
	close(sock);
	if (got != 0) {
		snprintf(err, errlen, "%.100s: the SIP front end did not answer", peer);
		return RESOLVE_ERR_AGAIN;
	}
	ipc_msg_free(&m);
	return r.rc;
}

static const struct linecall_ops front_ops = { .send = front_send_call, .wake = front_wake,
	.receive = front_receive, .reg = front_reg, .probe = front_probe, .loops = front_loops,
	.resolve = front_resolve };

sip_front_t *sip_front_start(const char *exe, char *const argv[], const char *user, char *err,
	size_t errlen)
{
	sip_front_t *f = xcalloc(1, sizeof *f);
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	f->sock = -1;
	f->uid = (uid_t)-1;
	f->gid = (gid_t)-1;
	for (int i = 0; i < SIPF_LISTENERS_MAX; i++)
		f->ls[i].fd = -1;
	struct passwd *pw = user ? getpwnam(user) : NULL;
	if (pw) {
		f->uid = pw->pw_uid;
		f->gid = pw->pw_gid;
	}
	f->line = linecall_new(&front_ops, f);
	child_spec_t cs = { .name = "sip.front", .exe = exe, .argv = argv, .nfds = 0, .serve = serve,
		.arg = f };
	f->child = child_start(&cs, err, errlen);
	if (!f->child) {
		sip_front_stop(f);
		return NULL;
	}
	return f;
}

linecall_t *sip_front_line(sip_front_t *f)
{
	return f->line;
}

void sip_front_stop(sip_front_t *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->stopping = 1;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	child_stop(f->child);
	pthread_mutex_lock(&f->mu);
	while (f->threads > 0)
		pthread_cond_wait(&f->cv, &f->mu);
	pthread_mutex_unlock(&f->mu);
	linecall_free(f->line); /* the ops have no free: f is freed here */
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	free(f);
}

pid_t sip_front_pid(sip_front_t *f)
{
	return child_pid(f->child);
}

unsigned sip_front_restarts(sip_front_t *f)
{
	return child_restarts(f->child);
}
