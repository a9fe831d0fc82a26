/* The SIP front end (see role.h and sip_wire.h): the line engine (SIP,
 * SDP, RTP, UDPTL, T.30) unprivileged and under its own seccomp filter;
 * the service decides on every INVITE and owns the documents. */
#include "role.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/x509.h>
#include <poll.h>
#include <pthread.h>
#include <resolv.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdio.h"
#include "ipc.h"
#include "line.h"
#include "linecall.h"
#include "log.h"
#include "sip_wire.h"
#include "keepalive.h"
#include "sipauth.h"
#include "sipmsg.h"
#include "xalloc.h"

/* How long an INVITE waits for the service's decision (on a thread of
 * its own: the engine's SIP thread goes on meanwhile), and the
 * Retry-After of the 503 it gets when none came. */
#define ANSWER_TIMEOUT_MS 10000
#define NO_ANSWER_RETRY_S 5

static pthread_mutex_t send_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int threads;          /* listeners and sends running */
static atomic_int stopping;
/* Readable once the front end stops (written once, never read): every
 * send's watcher sees it in the same poll as its call socket. */
static int stop_efd = -1;
/* testing.front_bad_frames' kinds of this front end (role.h): armed by
 * SIGUSR2, taken by the next page report of a call out (ROLE_BAD_PAGE),
 * the next result of a call in (ROLE_BAD_RESULT), the next verdict on an
 * INVITE's credentials (ROLE_BAD_VERDICT) or the next answer to a request
 * on a socket of its own (ROLE_BAD_RPC: rpc_reply), which sends a bad
 * message on that socket in its place. */
static atomic_int bad_page, bad_result, bad_verdict, bad_rpc;
/* The carriers' digest answers (nonces, the nc window): checked here, with
 * the HA1s the service gives for the trunk their username names. */
static sipauth_t *auth;

/* The TLS files, read before the change of identity into memfds that the
 * engine opens by their /proc/self/fd names. */
static struct {
	const char *path;
	char proc[64];
} tls_files[4]; /* fax.sip_tls_cert, _key, _ca, the system's CA bundle */

/* The system's CA bundle (used when fax.sip_tls_ca is empty), read into a
 * memfd before the root changes: its /proc/self/fd name, or "". */
static char system_ca[64];

static const char *tls_path(const char *p)
{
	for (size_t i = 0; p && *p && i < sizeof tls_files / sizeof tls_files[0]; i++)
		if (tls_files[i].path && tls_files[i].proc[0] && strcmp(tls_files[i].path, p) == 0)
			return tls_files[i].proc;
	return p;
}

static void tls_load(int i, const char *path)
{
	tls_files[i].path = path;
	if (!path || !*path)
		return;
	int in = open(path, O_RDONLY | O_CLOEXEC), m = memfd_create("sip-tls", MFD_CLOEXEC);
	uint8_t buf[16384];
	ssize_t n;
	int ok = in >= 0 && m >= 0;
	while (ok && (n = read(in, buf, sizeof buf)) > 0)
		ok = fd_write_all(m, buf, (size_t)n) == 0;
	if (in >= 0)
		close(in);
	if (ok)
		snprintf(tls_files[i].proc, sizeof tls_files[i].proc, "/proc/self/fd/%d", m);
	else if (m >= 0)
		close(m);
}

/* Under root (the root is about to change): the system's CA bundle, as
 * OpenSSL finds it (SSL_CERT_FILE, else its default file). */
static void system_ca_load(void)
{
	const char *env = getenv(X509_get_default_cert_file_env());
	const char *path = env && *env ? env : X509_get_default_cert_file();
	if (geteuid() != 0 || !path)
		return;
	tls_load(3, path);
	snprintf(system_ca, sizeof system_ca, "%s", tls_files[3].proc);
}

static int to_service(struct ipc_out *o)
{
	pthread_mutex_lock(&send_mu);
	int rc = ipc_send(SIP_FRONT_SOCK_FD, o);
	pthread_mutex_unlock(&send_mu);
	return rc;
}

static void thread_done(void)
{
	pthread_mutex_lock(&mu);
	threads--;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

/* The node's long-lived engine: every listener and every send is added
 * to it. */
static struct linecall_engines *engines;

/* ---- listeners ---- */

struct lst {
	int used;
	sip_wire_listen_t w;
	int fd;
	atomic_int stop;
	int port;
	atomic_int state; /* 0 starting, 1 ended */
};
static struct lst lsts[SIPF_LISTENERS_MAX];

/* An accepted call: its socket to the service and its TIFF file. */
struct rx_call {
	int sock, fd;
};

/* A username the service may be told: printable ASCII (the parser
 * already refused quotes and backslashes). */
static int printable_user(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* The service's check of an INVITE's credentials (cred, parsed here). */
static sipauth_verdict_t w_auth_check(const linecall_cred_t *cred, const sip_wire_auth_t *ck)
{
	sipauth_verdict_t v = strcmp(ck->user, cred->cr.username) != 0 ? SIPAUTH_BAD :
		linecall_cred_verify(auth, cred, ck->user, ck->ha1_md5, ck->ha1_sha256, ck->now);
	log_event(LOG_INFO, "sip.front_auth_checked", "src=%s verdict=%s", cred->src, sipauth_verdict_name(v));
	return v;
}

/* Puts the INVITE to the service and waits for its answer. */
static int decide(struct lst *x, line_invite_t *inv, char *tiff_path, size_t pathlen, void **call_ud)
{
	sip_wire_invite_t *w = xcalloc(1, sizeof *w);
	w->listener = x->w.id;
	w->inv = *inv;
	w->inv.msg = NULL;
	const sip_msg_t *m = inv->msg;
	/* The Authorization is parsed here and never passed on: the service
	 * learns only whether it is there and its username, and asks for its
	 * check (SIPF_AUTH_CHECK). */
	linecall_cred_t *cred = xcalloc(1, sizeof *cred);
	w->auth = m ? linecall_cred_parse(inv, cred) : LINECALL_AUTH_NONE;
	if (w->auth == LINECALL_AUTH_CREDENTIALS && !printable_user(cred->cr.username))
		w->auth = LINECALL_AUTH_UNPARSEABLE;
	if (w->auth == LINECALL_AUTH_CREDENTIALS)
		snprintf(w->auth_user, sizeof w->auth_user, "%s", cred->cr.username);
	if (m) {
		line_invite_ruri(inv, w->ruri, sizeof w->ruri);
		for (size_t i = 0; i < m->nhdrs && w->nheaders < SIPF_HEADERS_MAX; i++) {
			char name[SIPF_NAME_MAX + 1];
			if (m->hdrs[i].name.n == 0 || m->hdrs[i].name.n > SIPF_NAME_MAX)
				continue;
			memcpy(name, m->hdrs[i].name.p, m->hdrs[i].name.n);
			name[m->hdrs[i].name.n] = '\0';
			const char *full = sip_wire_full_name(name);
			if (strcasecmp(full, "Authorization") == 0 || strcasecmp(full, "Proxy-Authorization") == 0)
				continue;
			int seen = 0;
			for (size_t k = 0; k < w->nheaders && !seen; k++)
				seen = strcasecmp(w->headers[k].name, full) == 0;
			struct sip_wire_header *h = &w->headers[w->nheaders];
			if (seen || line_invite_header(inv, full, h->value, sizeof h->value) != 0)
				continue;
			snprintf(h->name, sizeof h->name, "%s", full);
			if (line_invite_header_user(inv, full, h->user, sizeof h->user) != 0)
				h->user[0] = '\0';
			w->nheaders++;
		}
	}
	struct ipc_out *o = xmalloc(sizeof *o);
	int sv[2] = { -1, -1 }, st = 503;
	if (sip_wire_invite_encode(o, w) != 0) {
		st = 500;
	} else if (ipc_socketpair(sv) == 0) {
		ipc_put_fd(o, sv[1]);
		if (to_service(o) != 0) {
			close(sv[0]);
			sv[0] = -1;
		}
		close(sv[1]);
	}
	free(o);
	free(w);
	if (sv[0] < 0) {
		explicit_bzero(cred, sizeof *cred);
		free(cred);
		return st;
	}
	struct pollfd pf = { .fd = sv[0], .events = POLLIN };
	struct ipc_msg am;
	sip_wire_answer_t a;
	int n, ok = 0;
	/* the service's checks of the credentials, then its answer */
	for (;;) {
		do
			n = poll(&pf, 1, ANSWER_TIMEOUT_MS);
		while (n < 0 && errno == EINTR);
		if (n != 1)
			break;
		if (ipc_recv(sv[0], &am) != 0) {
			ipc_msg_free(&am);
			break;
		}
		sip_wire_auth_t ck;
		if (am.nfds == 0 && sip_wire_auth_decode(&am, &ck) == 0) {
			sipauth_verdict_t v = w_auth_check(cred, &ck);
			explicit_bzero(&ck, sizeof ck);
			ipc_msg_free(&am);
			struct ipc_out vo;
			sip_wire_verdict_encode(&vo, v);
			if (atomic_exchange(&bad_verdict, 0)) {
				role_front_bad_message("sip", sv[0], ROLE_BAD_VERDICT, "invite");
				continue;
			}
			if (ipc_send(sv[0], &vo) != 0)
				break;
			continue;
		}
		ok = sip_wire_answer_decode(&am, &a) == 0 && am.nfds == (a.status == 0 ? 1u : 0u);
		if (!ok)
			ipc_msg_free(&am);
		break;
	}
	explicit_bzero(cred, sizeof *cred);
	free(cred);
	if (!ok) {
		log_event(LOG_WARN, "sip.front_no_answer", "listener=%u", x->w.id);
		close(sv[0]);
		inv->retry_after = NO_ANSWER_RETRY_S;
		return 503;
	}
	if (a.status == 401 && a.challenge &&
	    sipauth_challenge(auth, inv->src_ip, a.now, a.challenge == 2, inv->challenge, sizeof inv->challenge) != 0)
		a.status = 500;
	inv->retry_after = a.retry_after;
	if (a.status != 0) {
		ipc_msg_free(&am);
		close(sv[0]);
		return a.status;
	}
	snprintf(inv->called, sizeof inv->called, "%s", a.called);
	snprintf(inv->caller, sizeof inv->caller, "%s", a.caller);
	struct rx_call *c = xcalloc(1, sizeof *c);
	c->sock = sv[0];
	c->fd = ipc_msg_take_fd(&am, 0);
	ipc_msg_free(&am);
	snprintf(tiff_path, pathlen, "/proc/self/fd/%d", c->fd);
	*call_ud = c;
	return 0;
}

static int accept_plain(void *ud, const char *to_user, const char *from_user, char *tiff_path, size_t pathlen,
	void **call_ud)
{
	line_invite_t inv;
	memset(&inv, 0, sizeof inv);
	snprintf(inv.src_ip, sizeof inv.src_ip, "127.0.0.1");
	snprintf(inv.ruri_user, sizeof inv.ruri_user, "%s", to_user);
	snprintf(inv.from_user, sizeof inv.from_user, "%s", from_user ? from_user : "");
	return decide(ud, &inv, tiff_path, pathlen, call_ud);
}

static int accept_ex(void *ud, line_invite_t *inv, char *tiff_path, size_t pathlen, void **call_ud)
{
	return decide(ud, inv, tiff_path, pathlen, call_ud);
}

static void rx_result(void *ud, const fax_result_t *r)
{
	(void)ud;
	struct rx_call *c = r->call_ud;
	if (!c)
		return;
	struct ipc_out *o = xmalloc(sizeof *o);
	sip_wire_result_encode(o, 0, r);
	if (atomic_exchange(&bad_result, 0))
		role_front_bad_message("sip", c->sock, ROLE_BAD_RESULT, "call_in");
	else if (ipc_send(c->sock, o) != 0)
		log_event(LOG_WARN, "sip.front_result", "err=\"%s\"", strerror(errno));
	free(o);
	close(c->sock);
	close(c->fd);
	free(c);
}

static void *listener_main(void *arg)
{
	struct lst *x = arg;
	line_cfg_t lc;
	line_cfg_defaults(&lc);
	lc.listen = x->w.listen;
	lc.listen_fd = x->fd;
	lc.sip_transport = x->w.transport;
	lc.t38 = x->w.t38;
	lc.ecm = x->w.ecm;
	lc.max_call_ms = x->w.max_call_ms > 0 ? x->w.max_call_ms : lc.max_call_ms;
	lc.media_threads = x->w.media_threads;
	lc.media_priority = x->w.media_priority;
	lc.rx_durable = x->w.rx_durable;
	lc.ident_called = x->w.ident_called;
	lc.clock_speed = x->w.clock_speed;
	lc.calls = 0;
	lc.tls_cert = x->w.tls_cert[0] ? tls_path(x->w.tls_cert) : NULL;
	lc.tls_key = x->w.tls_key[0] ? tls_path(x->w.tls_key) : NULL;
	/* clients' certificates verified against fax.sip_tls_ca (read at start) */
	lc.tls_verify_client = x->w.tls_verify_client;
	lc.public_address = x->w.public_address[0] ? x->w.public_address : NULL;
	lc.symmetric_media = x->w.screened; /* carriers' listeners: media from behind their NAT */
	if (lc.tls_verify_client)
		lc.tls_ca = tls_files[2].proc[0] ? tls_files[2].proc : system_ca[0] ? system_ca : NULL;
	lc.bound_port = &x->port;
	lc.stop = &x->stop;
	if (x->w.screened)
		lc.accept_ex = accept_ex;
	else
		lc.accept = accept_plain;
	lc.accept_ud = x;
	if (line_engine_receive(linecall_engine(engines, &lc, lc.listen), &lc, rx_result, x) != 0)
		log_event(LOG_ERROR, "sip.front_listen_failed", "listen=%s", x->w.listen);
	atomic_store(&x->state, 1);
	thread_done();
	return NULL;
}

/* Tells the service the listener's port once bound (0: it failed). */
static void *bound_main(void *arg)
{
	struct lst *x = arg;
	int port = 0;
	for (int i = 0; i < 6000 && !port && !atomic_load(&x->state) && !atomic_load(&stopping); i++) {
		port = __atomic_load_n(&x->port, __ATOMIC_ACQUIRE);
		if (!port)
			usleep(10000);
	}
	struct ipc_out o;
	sip_wire_listening_encode(&o, x->w.id, port);
	to_service(&o);
	thread_done();
	return NULL;
}

static int spawn(void *(*fn)(void *), void *arg)
{
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_t th;
	pthread_mutex_lock(&mu);
	threads++;
	pthread_mutex_unlock(&mu);
	int rc = pthread_create(&th, &at, fn, arg);
	pthread_attr_destroy(&at);
	if (rc != 0)
		thread_done();
	return rc;
}

static void listen_start(struct ipc_msg *m)
{
	sip_wire_listen_t w;
	if (sip_wire_listen_decode(m, &w) != 0 || m->nfds > 1 || lsts[w.id].used) {
		log_event(LOG_ERROR, "sip.front_bad_listen", "type=%u", (unsigned)m->type);
		return;
	}
	struct lst *x = &lsts[w.id];
	memset(x, 0, sizeof *x);
	x->used = 1;
	x->w = w;
	x->fd = m->nfds == 1 ? ipc_msg_take_fd(m, 0) : 0;
	if (spawn(listener_main, x) != 0 || spawn(bound_main, x) != 0)
		log_event(LOG_ERROR, "sip.front_listen_failed", "listen=%s err=\"no thread\"", w.listen);
}

/* ---- sends ---- */

struct tx_call {
	int sock, doc;
	int cert, key;            /* the trunk's own client certificate and key (memfds), -1: none */
	int wake;                 /* eventfd: the call is done (its watcher wakes) */
	sip_wire_send_t w;
	atomic_int stop, done;
};

static void tx_page(void *ud, int page, int ok)
{
	struct tx_call *c = ud;
	if (atomic_exchange(&bad_page, 0)) {
		role_front_bad_message("sip", c->sock, ROLE_BAD_PAGE, "call_out");
		return;
	}
	struct ipc_out o;
	sip_wire_page_encode(&o, page, ok);
	ipc_send(c->sock, &o);
}

/* Watches the call socket: SIPF_STOP, or the service gone, ends the call;
 * so does the front end stopping. It sleeps until one of them or the
 * call's end (c->wake, written by tx_main once it is done with c) comes:
 * no wake-ups while the call runs. Then closes the call's descriptors
 * and frees it. */
static void *tx_watch(void *arg)
{
	struct tx_call *c = arg;
	int gone = 0;
	for (;;) {
		if (c->wake < 0 && atomic_load(&c->done))
			break;
		if (atomic_load(&stopping))
			atomic_store(&c->stop, 1);
		struct pollfd pf[3] = { { .fd = c->wake, .events = POLLIN },
			{ .fd = atomic_load(&c->stop) ? -1 : stop_efd, .events = POLLIN },
			{ .fd = gone ? -1 : c->sock, .events = POLLIN } };
		/* a timeout only when an eventfd could not be made */
		int n = poll(pf, 3, c->wake >= 0 && stop_efd >= 0 ? -1 : 50);
		if (n > 0 && pf[0].revents)
			break;
		if (n <= 0 || !pf[2].revents)
			continue;
		struct ipc_msg m;
		int rc = ipc_recv(c->sock, &m);
		if (rc != 0 || m.type == SIPF_STOP)
			atomic_store(&c->stop, 1);
		gone = rc != 0;
		ipc_msg_free(&m);
	}
	close(c->sock);
	close(c->doc);
	if (c->wake >= 0)
		close(c->wake);
	explicit_bzero(&c->w, sizeof c->w); /* the trunk's HA1 */
	free(c);
	thread_done();
	return NULL;
}

static void *tx_main(void *arg)
{
	struct tx_call *c = arg;
	line_cfg_t lc;
	sip_wire_send_cfg(&c->w, &lc);
	lc.tls_ca = lc.tls_ca ? tls_path(lc.tls_ca) : system_ca[0] ? system_ca : NULL;
	lc.tls_cert = tls_path(lc.tls_cert);
	lc.tls_key = tls_path(lc.tls_key);
	/* a trunk's own certificate comes as descriptors, in place of ours */
	char cert_path[64], key_path[64];
	if (c->cert >= 0) {
		snprintf(cert_path, sizeof cert_path, "/proc/self/fd/%d", c->cert);
		snprintf(key_path, sizeof key_path, "/proc/self/fd/%d", c->key);
		lc.tls_cert = cert_path;
		lc.tls_key = key_path;
	}
	lc.on_page = tx_page;
	lc.page_ud = c;
	lc.stop = &c->stop;
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", c->doc);
	fax_result_t *r = xmalloc(sizeof *r);
	int watched = spawn(tx_watch, c) == 0, rc = -1;
	if (!watched) {
		fax_result_init(r, 1);
		r->network_error = 1;
		fax_result_classify(r);
	} else {
		rc = line_engine_send(linecall_engine(engines, &lc, c->w.target), &lc, c->w.target, path, r);
	}
	if (c->cert >= 0) {
		close(c->cert);
		close(c->key);
		c->cert = c->key = -1;
	}
	struct ipc_out *o = xmalloc(sizeof *o);
	sip_wire_result_encode(o, rc, r);
	ipc_send(c->sock, o);
	free(o);
	free(r);
	if (watched) {
		/* the watcher frees c: c is not touched after this */
		if (c->wake < 0 || eventfd_write(c->wake, 1) != 0)
			atomic_store(&c->done, 1);
	} else {
		close(c->sock);
		close(c->doc);
		if (c->wake >= 0)
			close(c->wake);
		free(c);
	}
	thread_done();
	return NULL;
}

static void send_start(struct ipc_msg *m)
{
	struct tx_call *c = xcalloc(1, sizeof *c);
	/* fds: the call socket, the document, and the trunk's own client
	 * certificate and key when it has them */
	if ((m->nfds != 2 && m->nfds != 4) || sip_wire_send_decode(m, &c->w) != 0) {
		log_event(LOG_ERROR, "sip.front_bad_send", "type=%u", (unsigned)m->type);
		free(c);
		return;
	}
	/* what the service gave for digest: the HA1 once it knows the realm */
	log_event(LOG_INFO, "sip.front_send", "credentials=%s",
		c->w.has_ha1 ? "ha1" : c->w.has_password ? "password" : "none");
	c->sock = ipc_msg_take_fd(m, 0);
	c->doc = ipc_msg_take_fd(m, 1);
	c->cert = m->nfds == 4 ? ipc_msg_take_fd(m, 2) : -1;
	c->key = m->nfds == 4 ? ipc_msg_take_fd(m, 3) : -1;
	c->wake = eventfd(0, EFD_CLOEXEC);
	if (spawn(tx_main, c) != 0) {
		close(c->sock);
		close(c->doc);
		if (c->wake >= 0)
			close(c->wake);
		if (c->cert >= 0) {
			close(c->cert);
			close(c->key);
		}
		free(c);
	}
}

/* ---- registrations and keep-alives ---- */

/* The answer o to a request of the service on its socket sock (what: the
 * request's kind, for testing.front_bad_frames' log). */
static void rpc_reply(int sock, struct ipc_out *o, const char *what)
{
	if (atomic_exchange(&bad_rpc, 0))
		role_front_bad_message("sip", sock, ROLE_BAD_RPC, what);
	else
		ipc_send(sock, o);
}

/* A request of the service on a call socket of its own, with the trunk's
 * own client certificate and key when it has one. */
struct rpc {
	int sock, cert, key;
	struct ipc_msg m;
};

static void rpc_free(struct rpc *c)
{
	close(c->sock);
	if (c->cert >= 0)
		close(c->cert);
	if (c->key >= 0)
		close(c->key);
	if (c->m.data)
		explicit_bzero(c->m.data, c->m.len); /* a password or an HA1 */
	ipc_msg_free(&c->m);
	explicit_bzero(c, sizeof *c);
	free(c);
}

static void *reg_main(void *arg)
{
	struct rpc *c = arg;
	sip_wire_reg_t *w = xmalloc(sizeof *w);
	linecall_reg_t *r = xmalloc(sizeof *r);
	if (sip_wire_reg_decode(&c->m, w) == 0) {
		sip_wire_reg_binding(w, r);
		char cert[64], key[64];
		r->b.tls_ca = r->b.tls_ca ? tls_path(r->b.tls_ca) : system_ca[0] ? system_ca : NULL;
		r->b.tls_cert = tls_path(r->b.tls_cert);
		r->b.tls_key = tls_path(r->b.tls_key);
		if (c->cert >= 0) {
			snprintf(cert, sizeof cert, "/proc/self/fd/%d", c->cert);
			snprintf(key, sizeof key, "/proc/self/fd/%d", c->key);
			r->b.tls_cert = cert;
			r->b.tls_key = key;
		}
		int rc = linecall_reg_run(r, w->timeout_ms);
		struct ipc_out *o = xmalloc(sizeof *o);
		sip_wire_registered_encode(o, rc, r);
		rpc_reply(c->sock, o, "register");
		free(o);
	} else {
		log_event(LOG_ERROR, "sip.front_bad_register", "type=%u", (unsigned)c->m.type);
	}
	explicit_bzero(w, sizeof *w);
	explicit_bzero(r, sizeof *r);
	free(w);
	free(r);
	rpc_free(c);
	thread_done();
	return NULL;
}

static void *probe_main(void *arg)
{
	struct rpc *c = arg;
	sip_wire_probe_t *w = xmalloc(sizeof *w);
	if (sip_wire_probe_decode(&c->m, w) == 0) {
		char cert[64], key[64];
		sipconn_tls_t tls = { .ca = w->has_ca ? tls_path(w->ca) : system_ca[0] ? system_ca : NULL,
			.cert = w->has_cert ? tls_path(w->cert) : NULL, .key = w->has_cert ? tls_path(w->key) : NULL,
			.name = w->has_name ? w->name : NULL };
		if (c->cert >= 0) {
			snprintf(cert, sizeof cert, "/proc/self/fd/%d", c->cert);
			snprintf(key, sizeof key, "/proc/self/fd/%d", c->key);
			tls.cert = cert;
			tls.key = key;
		}
		keepalive_probe_t p[KEEPALIVE_PEERS_MAX];
		memset(p, 0, sizeof p);
		for (size_t i = 0; i < w->n; i++)
			p[i] = (keepalive_probe_t){ .peer = w->p[i].peer, .transport = w->p[i].transport, .tls = &tls };
		keepalive_probe(p, w->n, "faxvault", w->timeout_ms);
		struct ipc_out *o = xmalloc(sizeof *o);
		sip_wire_probed_encode(o, p, w->n);
		rpc_reply(c->sock, o, "probe");
		free(o);
	} else {
		log_event(LOG_ERROR, "sip.front_bad_probe", "type=%u", (unsigned)c->m.type);
	}
	free(w);
	rpc_free(c);
	thread_done();
	return NULL;
}

/* SIPF_LOOPS: the engine's media loops' figures on the call socket (fd 0),
 * answered at once. */
static void loops_answer(struct ipc_msg *m)
{
	if (m->nfds != 1) {
		log_event(LOG_ERROR, "sip.front_bad_message", "type=%u fds=%zu", (unsigned)m->type, m->nfds);
		return;
	}
	int sock = ipc_msg_take_fd(m, 0);
	line_loop_stats_t l[LINE_LOOPS_MAX];
	int n = linecall_engines_loop_stats(engines, l, LINE_LOOPS_MAX);
	struct ipc_out *o = xmalloc(sizeof *o);
	sip_wire_loops_encode(o, l, n);
	rpc_reply(sock, o, "loops");
	free(o);
	close(sock);
}

/* A trunk peer's lookup (SIPF_RESOLVE): the DNS answers parsed here. */
static void *resolve_main(void *arg)
{
	struct rpc *c = arg;
	sip_wire_resolve_t q;
	if (sip_wire_resolve_decode(&c->m, &q) == 0) {
		resolve_answer_t *a = xmalloc(sizeof *a);
		char err[160];
		int rc = resolve_lookup_via(q.peer, q.primary, q.transports, q.families, a, err, sizeof err);
		struct ipc_out *o = xmalloc(sizeof *o);
		sip_wire_resolved_encode(o, rc, a, err);
		rpc_reply(c->sock, o, "resolve");
		free(o);
		free(a);
	} else {
		log_event(LOG_ERROR, "sip.front_bad_resolve", "type=%u", (unsigned)c->m.type);
	}
	rpc_free(c);
	thread_done();
	return NULL;
}

/* SIPF_REGISTER, SIPF_PROBE, SIPF_RESOLVE: fds the call socket [, cert, key]; run in a
 * thread of their own (they block for seconds). m is taken. */
static void rpc_start(struct ipc_msg *m, void *(*fn)(void *))
{
	if (m->nfds != 1 && m->nfds != 3) {
		log_event(LOG_ERROR, "sip.front_bad_message", "type=%u fds=%zu", (unsigned)m->type, m->nfds);
		return;
	}
	struct rpc *c = xcalloc(1, sizeof *c);
	c->sock = ipc_msg_take_fd(m, 0);
	c->cert = m->nfds == 3 ? ipc_msg_take_fd(m, 1) : -1;
	c->key = m->nfds == 3 ? ipc_msg_take_fd(m, 2) : -1;
	c->m = *m;
	memset(m, 0, sizeof *m); /* the payload is c's now */
	for (size_t i = 0; i < IPC_FDS_MAX; i++)
		m->fds[i] = -1;
	if (spawn(fn, c) != 0)
		rpc_free(c);
}

/* The resolver of the trunks' peers (SIPF_RESOLVE) ready before the root
 * changes: resolv.conf read, and the NSS modules of nsswitch.conf's hosts
 * line loaded (glibc opens them at the first lookup, and the root of its
 * own holds only /etc's resolver files: resolv.conf, hosts,
 * nsswitch.conf, host.conf, gai.conf). "localhost" comes from the hosts
 * file: no DNS query at start. */
static void resolver_ready(void)
{
	res_init();
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM }, *ai = NULL;
	if (getaddrinfo("localhost", NULL, &hints, &ai) == 0)
		freeaddrinfo(ai);
}

int role_sip_main(const config_t *cfg)
{
	role_set_name("fv-sip");
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() == 1)
		return 1;
	close_range(SIP_FRONT_SOCK_FD + 1, ~0U, 0);
	role_log_open(cfg, 1);
	signal(SIGPIPE, SIG_IGN);
	/* It stays dumpable (its /proc/self/fd links): no core file. */
	struct rlimit nocore = { 0, 0 };
	setrlimit(RLIMIT_CORE, &nocore);
	/* The media's real-time priority (fax.media_priority) stays allowed
	 * once it is no longer root: SCHED_RR up to that priority, no more. */
	int rr_inherit = 0;
	if (cfg->fax_media_priority > 0) {
		struct rlimit rt = { (rlim_t)cfg->fax_media_priority, (rlim_t)cfg->fax_media_priority };
		if (geteuid() == 0 && setrlimit(RLIMIT_RTPRIO, &rt) != 0) {
			log_event(LOG_WARN, "sip.front_rtprio", "err=\"%s\"", strerror(errno));
			/* Root that may not raise the limit (no CAP_SYS_RESOURCE, as
			 * in a container) may still set SCHED_RR (CAP_SYS_NICE):
			 * this thread takes it until the media spawner, started
			 * from it once confined, has inherited it
			 * (line_media_spawner_start); nothing else starts in
			 * between. */
			struct sched_param sp = { .sched_priority = (int)cfg->fax_media_priority };
			rr_inherit = pthread_setschedparam(pthread_self(), SCHED_RR, &sp) == 0;
		}
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (cfg->test_sip_seccomp_probe)
		sigaddset(&set, SIGUSR1);
	if (cfg->test_front_bad_frames)
		sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		log_event(LOG_ERROR, "sip.front_failed", "err=\"%s\"", strerror(errno));
		return 1;
	}
	tls_load(0, cfg->fax_sip_tls_cert);
	tls_load(1, cfg->fax_sip_tls_key);
	tls_load(2, cfg->fax_sip_tls_ca);
	system_ca_load();
	resolver_ready();
	/* Besides the front ends' list: its own sockets (media, calls out,
	 * the TCP and TLS listeners), the /proc/self/fd links of the files it
	 * was passed, epoll, batched datagrams, the media's priority. */
	static const int extra[] = { SCMP_SYS(openat), SCMP_SYS(access), SCMP_SYS(faccessat),
		SCMP_SYS(faccessat2), SCMP_SYS(unlink), SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl),
		SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(sendmmsg), SCMP_SYS(recvmmsg),
		SCMP_SYS(sched_setscheduler), SCMP_SYS(sched_getscheduler), SCMP_SYS(sched_setparam),
		SCMP_SYS(sched_getparam), SCMP_SYS(socket), SCMP_SYS(bind), SCMP_SYS(connect),
		SCMP_SYS(listen), SCMP_SYS(dup), SCMP_SYS(fsync), SCMP_SYS(fdatasync), SCMP_SYS(uname),
		SCMP_SYS(ioctl), SCMP_SYS(statx) };
	static const int unkill[] = { SCMP_SYS(socket), SCMP_SYS(bind), SCMP_SYS(connect),
		SCMP_SYS(listen) };
	char why[300];
	if (role_front_confine_net(cfg, cfg->sip_user, extra, sizeof extra / sizeof extra[0], unkill,
		    sizeof unkill / sizeof unkill[0], why, sizeof why) != 0) {
		log_event(LOG_ERROR, "sip.front_failed", "err=\"%s\"", why);
		return 1;
	}
	if (rr_inherit) {
		if (line_media_spawner_start() != 0)
			log_event(LOG_WARN, "sip.front_media_spawner", "err=\"no thread\"");
		struct sched_param sp = { .sched_priority = 0 };
		pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
	}
	stop_efd = eventfd(0, EFD_CLOEXEC);
	engines = linecall_engines_new((int)cfg->fax_media_loops);
	auth = sipauth_new(LINECALL_AUTH_REALM, SIPAUTH_TTL_S);
	log_event(LOG_INFO, "sip.front_started", "pid=%d uid=%d", (int)getpid(), (int)getuid());
	for (;;) {
		struct pollfd pf[2] = { { .fd = sfd, .events = POLLIN },
			{ .fd = SIP_FRONT_SOCK_FD, .events = POLLIN } };
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents) {
			struct ipc_msg m;
			int rc = ipc_recv(SIP_FRONT_SOCK_FD, &m);
			if (rc != 0)
				break; /* the service is gone */
			uint32_t id;
			if (m.type == SIPF_LISTEN)
				listen_start(&m);
			else if (m.type == SIPF_SEND)
				send_start(&m);
			else if (m.type == SIPF_REGISTER)
				rpc_start(&m, reg_main);
			else if (m.type == SIPF_PROBE)
				rpc_start(&m, probe_main);
			else if (m.type == SIPF_LOOPS)
				loops_answer(&m);
			else if (m.type == SIPF_RESOLVE && m.nfds == 1)
				rpc_start(&m, resolve_main);
			else if (sip_wire_unlisten_decode(&m, &id) == 0 && lsts[id].used)
				atomic_store(&lsts[id].stop, 1);
			else
				log_event(LOG_ERROR, "sip.front_bad_message", "type=%u", (unsigned)m.type);
			ipc_msg_free(&m);
			continue;
		}
		struct signalfd_siginfo si;
		if (!(pf[0].revents & POLLIN) || read(sfd, &si, sizeof si) != sizeof si)
			continue;
		if (si.ssi_signo == SIGUSR1) {
			/* testing.sip_seccomp_probe: a call the filter forbids. */
			log_event(LOG_WARN, "sip.seccomp_probe", "call=execve");
			char *const av[] = { (char *)"true", NULL };
			syscall(SYS_execve, "/bin/true", av, av + 1);
			continue;
		}
		if (si.ssi_signo == SIGUSR2) {
			/* testing.front_bad_frames: this front end's kinds armed for
			 * the next call, the others sent now. */
			atomic_int *arm = si.ssi_int == ROLE_BAD_PAGE ? &bad_page :
				si.ssi_int == ROLE_BAD_RESULT ? &bad_result :
				si.ssi_int == ROLE_BAD_VERDICT ? &bad_verdict :
				si.ssi_int == ROLE_BAD_RPC ? &bad_rpc : NULL;
			if (arm) {
				atomic_store(arm, 1);
				log_event(LOG_WARN, "sip.test_bad_frame", "pid=%d kind=%s armed=1", (int)getpid(),
					role_bad_frame_name(si.ssi_int));
			} else {
				role_front_bad_frame("sip", SIP_FRONT_SOCK_FD, si.ssi_int);
			}
			continue;
		}
		if (si.ssi_signo != SIGHUP)
			break;
	}
	/* The calls end (BYE or CANCEL), their results go to the service. */
	atomic_store(&stopping, 1);
	if (stop_efd >= 0 && eventfd_write(stop_efd, 1) != 0)
		log_event(LOG_WARN, "sip.front_wake", "err=\"%s\"", strerror(errno));
	for (int i = 0; i < SIPF_LISTENERS_MAX; i++)
		if (lsts[i].used)
			atomic_store(&lsts[i].stop, 1);
	pthread_mutex_lock(&mu);
	while (threads > 0)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	/* Every send has returned: the engines end (their loops' figures logged). */
	linecall_engines_free(engines);
	log_event(LOG_INFO, "sip.front_stopped", "pid=%d", (int)getpid());
	/* As the other front ends: no exit-time leak check under the filter. */
	_exit(0);
}
