/* SIP over TCP and TLS for the line engine (see siptrans.h). */
#include "siptrans.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "log.h"
#include "sipaddr.h"
#include "sipmsg.h"
#include "sipstream.h"
#include "timeutil.h"
#include "xalloc.h"

#define RBUF (2 * SIP_MSG_MAX)
#define WQ_MAX (256 * 1024)        /* bytes waiting in one connection */
#define CONNECT_MS 10000           /* connect and TLS handshake, at most */
#define IDLE_MS (10 * 60 * 1000)   /* a connection nobody used this long is closed */

enum conn_state { C_CONNECTING, C_HANDSHAKE, C_UP };

typedef struct conn {
	int fd;
	int state;
	int accepted;             /* it came to our listener */
	struct sockaddr_storage peer;
	uint16_t lport;           /* our end's port */
	SSL *ssl;
	uint8_t rbuf[RBUF];
	size_t rlen;
	int more;                 /* a read stopped before EAGAIN (buffer full) */
	buf_t wq;                 /* bytes not yet written */
	int64_t started_ms, used_ms;
	int eof;                  /* the peer closed its side: what is buffered is still read */
	int want_write;           /* the TLS handshake waits for the socket to take bytes */
	int dead;
	char fail[200];           /* a connection we opened failed before it was up: why,
				     for on_fail (called from siptrans_recv, outside any lock
				     of the caller's) */
} conn_t;

struct siptrans {
	siptrans_cfg_t cfg;
	int ep;
	int lfd;                  /* listener, -1 without */
	struct sockaddr_storage bound;
	SSL_CTX *cctx, *sctx;     /* TLS client and server contexts */
	conn_t *conns[SIPTRANS_CONNS_MAX];
	int n;
	int next;                 /* round robin over connections for fairness */
};

static int64_t mono_ms(void)
{
	return time_mono_ns() / 1000000;
}

static const char *addr_str(const struct sockaddr_storage *a, char out[SIPADDR_STR_MAX])
{
	return sipaddr_str(a, out, SIPADDR_STR_MAX);
}

static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	return sipaddr_eq(a, b);
}

const char *siptrans_via_name(int proto)
{
	return proto == SIPTRANS_TLS ? "TLS" : proto == SIPTRANS_TCP ? "TCP" : "UDP";
}

int siptrans_proto_parse(const char *s)
{
	if (!s)
		return -1;
	if (strcmp(s, "udp") == 0)
		return SIPTRANS_UDP;
	if (strcmp(s, "tcp") == 0)
		return SIPTRANS_TCP;
	if (strcmp(s, "tls") == 0)
		return SIPTRANS_TLS;
	return -1;
}

/* The first OpenSSL error as text ("" when none), the queue cleared. */
static void ssl_why(char *out, size_t n)
{
	unsigned long e = ERR_get_error();
	if (e)
		ERR_error_string_n(e, out, n);
	else
		snprintf(out, n, "-");
	ERR_clear_error();
}

static void ep_set(siptrans_t *t, conn_t *c, int add)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	if (c->state == C_CONNECTING || (c->state == C_UP && c->wq.len) || (c->state == C_HANDSHAKE && c->want_write))
		ev.events |= EPOLLOUT;
	epoll_ctl(t->ep, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c->fd, &ev);
}

static void conn_kill(siptrans_t *t, conn_t *c, const char *event, const char *why)
{
	if (c->dead)
		return;
	char a[SIPADDR_STR_MAX];
	log_event(LOG_INFO, event, "call=- peer=%s transport=%s accepted=%d why=%s", addr_str(&c->peer, a),
		  siptrans_via_name(t->cfg.proto), c->accepted, why);
	c->dead = 1;
	/* Only a connection that never carried anything is a failure to
	 * reach the peer: the calls waiting on it can end now. */
	if (!c->accepted && c->state != C_UP)
		snprintf(c->fail, sizeof c->fail, "%s", why);
}

static void conn_free(siptrans_t *t, conn_t *c)
{
	epoll_ctl(t->ep, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->ssl)
		SSL_free(c->ssl);
	close(c->fd);
	buf_free(&c->wq);
	free(c);
}

static void reap(siptrans_t *t)
{
	int64_t now = mono_ms();
	for (int i = 0; i < t->n;) {
		conn_t *c = t->conns[i];
		if (!c->dead && c->state != C_UP && now - c->started_ms > CONNECT_MS)
			conn_kill(t, c, "sip_conn_failed", "timeout");
		if (!c->dead && c->state == C_UP && !c->wq.len && now - c->used_ms > IDLE_MS)
			conn_kill(t, c, "sip_conn_closed", "idle");
		if (c->dead) {
			if (c->fail[0] && t->cfg.on_fail)
				t->cfg.on_fail(t->cfg.ud, &c->peer, c->fail);
			conn_free(t, c);
			t->conns[i] = t->conns[--t->n];
			continue;
		}
		i++;
	}
}

static conn_t *conn_new(siptrans_t *t, int fd, const struct sockaddr_storage *peer, int accepted)
{
	if (t->n >= SIPTRANS_CONNS_MAX) {
		close(fd);
		log_event(LOG_WARN, "sip_conn_refused", "call=- why=too_many conns=%d", t->n);
		return NULL;
	}
	conn_t *c = xcalloc(1, sizeof *c);
	c->fd = fd;
	c->peer = *peer;
	c->accepted = accepted;
	c->started_ms = c->used_ms = mono_ms();
	buf_init(&c->wq, WQ_MAX);
	struct sockaddr_storage me;
	socklen_t ml = sizeof me;
	if (getsockname(fd, (struct sockaddr *)&me, &ml) == 0)
		c->lport = sipaddr_port(&me);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	t->conns[t->n++] = c;
	return c;
}

/* The TLS side of a new connection. -1 when OpenSSL refuses. */
static int conn_tls(siptrans_t *t, conn_t *c)
{
	c->ssl = SSL_new(c->accepted ? t->sctx : t->cctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
		return -1;
	if (c->accepted) {
		SSL_set_accept_state(c->ssl);
		return 0;
	}
	SSL_set_connect_state(c->ssl);
	const char *name = t->cfg.peer_name;
	struct sockaddr_storage probe;
	if (name && *name && sipaddr_from_ip(&probe, name, 0) != 0) {
		SSL_set_tlsext_host_name(c->ssl, name);
		if (SSL_set1_host(c->ssl, name) != 1)
			return -1;
	} else {
		char ip[INET6_ADDRSTRLEN];
		/* the address the name gives (brackets aside), else the peer's */
		sipaddr_ip(name && *name ? &probe : &c->peer, ip, sizeof ip);
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), ip) != 1)
			return -1;
	}
	return 0;
}

static conn_t *conn_open(siptrans_t *t, const struct sockaddr_storage *peer)
{
	int fd = socket(peer->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	if (connect(fd, (const struct sockaddr *)peer, sipaddr_len(peer)) != 0 && errno != EINPROGRESS) {
		char a[SIPADDR_STR_MAX];
		log_event(LOG_WARN, "sip_conn_failed", "call=- peer=%s transport=%s why=connect errno=%d",
			  addr_str(peer, a), siptrans_via_name(t->cfg.proto), errno);
		close(fd);
		return NULL;
	}
	conn_t *c = conn_new(t, fd, peer, 0);
	if (!c)
		return NULL;
	c->state = C_CONNECTING;
	if (t->cfg.proto == SIPTRANS_TLS && conn_tls(t, c) != 0) {
		c->dead = 1;
		return NULL;
	}
	ep_set(t, c, 1);
	return c;
}

/* Writes what waits; 0, or -1 when the connection broke. */
static int conn_flush(siptrans_t *t, conn_t *c)
{
	size_t off = 0;
	while (off < c->wq.len) {
		ssize_t w;
		if (c->ssl) {
			size_t done = 0;
			ERR_clear_error();
			int r = SSL_write_ex(c->ssl, c->wq.data + off, c->wq.len - off, &done);
			if (r != 1) {
				int e = SSL_get_error(c->ssl, r);
				if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
					break;
				char why[160];
				ssl_why(why, sizeof why);
				conn_kill(t, c, "sip_conn_closed", why);
				return -1;
			}
			w = (ssize_t)done;
		} else {
			w = send(c->fd, c->wq.data + off, c->wq.len - off, MSG_NOSIGNAL);
			if (w < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
					break;
				conn_kill(t, c, "sip_conn_closed", "write");
				return -1;
			}
		}
		off += (size_t)w;
	}
	if (off) {
		memmove(c->wq.data, c->wq.data + off, c->wq.len - off);
		c->wq.len -= off;
		c->wq.data[c->wq.len] = '\0';
	}
	ep_set(t, c, 0);
	return 0;
}

static void conn_handshake(siptrans_t *t, conn_t *c)
{
	ERR_clear_error();
	int r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		c->state = C_UP;
		char a[SIPADDR_STR_MAX];
		log_event(LOG_INFO, "sip_tls_up", "call=- peer=%s accepted=%d version=%s", addr_str(&c->peer, a),
			  c->accepted, SSL_get_version(c->ssl));
		conn_flush(t, c);
		return;
	}
	int e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		c->want_write = e == SSL_ERROR_WANT_WRITE;
		ep_set(t, c, 0);
		return;
	}
	char why[200];
	long v = SSL_get_verify_result(c->ssl);
	if (v != X509_V_OK)
		snprintf(why, sizeof why, "tls: certificate refused (%s)", X509_verify_cert_error_string(v));
	else {
		char s[160];
		ssl_why(s, sizeof s);
		snprintf(why, sizeof why, "tls: handshake failed (%s)", s);
	}
	ERR_clear_error();
	conn_kill(t, c, "sip_conn_failed", why);
}

static void conn_connected(siptrans_t *t, conn_t *c)
{
	int err = 0;
	socklen_t el = sizeof err;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err) {
		char why[64];
		snprintf(why, sizeof why, "connect: %s", strerror(err));
		conn_kill(t, c, "sip_conn_failed", why);
		return;
	}
	if (c->ssl) {
		c->state = C_HANDSHAKE;
		conn_handshake(t, c);
	} else {
		c->state = C_UP;
		conn_flush(t, c);
	}
}

/* Reads what the connection has, up to a full buffer. */
static void conn_read(siptrans_t *t, conn_t *c)
{
	c->more = 0;
	while (c->rlen < RBUF && !c->eof) {
		ssize_t n;
		if (c->ssl) {
			size_t got = 0;
			ERR_clear_error();
			int r = SSL_read_ex(c->ssl, c->rbuf + c->rlen, RBUF - c->rlen, &got);
			if (r != 1) {
				int e = SSL_get_error(c->ssl, r);
				if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
					return;
				if (e == SSL_ERROR_ZERO_RETURN)
					c->eof = 1;
				else
					conn_kill(t, c, "sip_conn_closed", "tls_read");
				return;
			}
			n = (ssize_t)got;
		} else {
			n = recv(c->fd, c->rbuf + c->rlen, RBUF - c->rlen, 0);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
					return;
				conn_kill(t, c, "sip_conn_closed", "read");
				return;
			}
			if (n == 0) {
				c->eof = 1;
				return;
			}
		}
		c->rlen += (size_t)n;
		c->used_ms = mono_ms();
	}
	c->more = 1;
}

static void accept_all(siptrans_t *t)
{
	for (int k = 0; k < 64; k++) {
		struct sockaddr_storage src;
		socklen_t sl = sizeof src;
		int fd = accept4(t->lfd, (struct sockaddr *)&src, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		conn_t *c = conn_new(t, fd, &src, 1);
		if (!c)
			continue;
		char a[SIPADDR_STR_MAX];
		log_event(LOG_INFO, "sip_conn_accepted", "call=- peer=%s transport=%s", addr_str(&src, a),
			  siptrans_via_name(t->cfg.proto));
		if (t->cfg.proto == SIPTRANS_TLS) {
			c->state = C_HANDSHAKE;
			if (conn_tls(t, c) != 0) {
				conn_kill(t, c, "sip_conn_closed", "tls_setup");
				continue;
			}
		} else {
			c->state = C_UP;
		}
		ep_set(t, c, 1);
	}
}

static void conn_event(siptrans_t *t, conn_t *c, uint32_t ev)
{
	if (c->dead)
		return;
	if (c->state == C_CONNECTING) {
		if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			conn_connected(t, c);
		return;
	}
	if (c->state == C_HANDSHAKE) {
		conn_handshake(t, c);
		if (c->state != C_UP)
			return;
	}
	if (ev & EPOLLOUT)
		conn_flush(t, c);
	if (!c->dead && (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		conn_read(t, c);
}

/* The next complete message of c into out; 0 when none (c may die). */
static size_t conn_cut(siptrans_t *t, conn_t *c, uint8_t *out, size_t cap, struct sockaddr_storage *src)
{
	for (;;) {
		size_t skip = 0, len = 0;
		int pings = 0;
		sipstream_why_t why;
		int r = sipstream_next(c->rbuf, c->rlen, SIP_MSG_MAX, &skip, &len, &pings, &why);
		if (pings && c->state == C_UP) {
			/* RFC 5626 §3.5.1: a double CRLF ping gets a CRLF pong. */
			if (buf_append(&c->wq, "\r\n", 2) == 0)
				conn_flush(t, c);
		}
		if (r == SIPSTREAM_BAD) {
			char a[SIPADDR_STR_MAX];
			log_event(LOG_WARN, "sip_stream_bad", "call=- peer=%s transport=%s why=%s",
				  addr_str(&c->peer, a), siptrans_via_name(t->cfg.proto), sipstream_why_name(why));
			conn_kill(t, c, "sip_conn_closed", sipstream_why_name(why));
			return 0;
		}
		if (r == SIPSTREAM_MORE) {
			memmove(c->rbuf, c->rbuf + skip, c->rlen - skip);
			c->rlen -= skip;
			if (c->more && !c->dead) {
				conn_read(t, c);
				if (c->rlen > 0 && !c->dead)
					continue;
			}
			return 0;
		}
		size_t n = len < cap ? len : cap;
		memcpy(out, c->rbuf + skip, n);
		*src = c->peer;
		memmove(c->rbuf, c->rbuf + skip + len, c->rlen - skip - len);
		c->rlen -= skip + len;
		if (c->more && !c->dead)
			conn_read(t, c); /* room again: TLS may hold decrypted bytes no poll announces */
		return n;
	}
}

size_t siptrans_recv(siptrans_t *t, uint8_t *out, size_t cap, struct sockaddr_storage *src)
{
	reap(t);
	struct epoll_event evs[64];
	int ne = epoll_wait(t->ep, evs, 64, 0);
	for (int i = 0; i < ne; i++) {
		if (evs[i].data.ptr == NULL)
			accept_all(t);
		else
			conn_event(t, (conn_t *)evs[i].data.ptr, evs[i].events);
	}
	for (int k = 0; k < t->n; k++) {
		int i = (t->next + k) % t->n;
		conn_t *c = t->conns[i];
		if (c->dead || c->state != C_UP || (!c->rlen && !c->eof))
			continue;
		size_t n = c->rlen ? conn_cut(t, c, out, cap, src) : 0;
		if (n) {
			t->next = (i + 1) % t->n;
			return n;
		}
		if (c->eof)
			conn_kill(t, c, "sip_conn_closed", "closed");
	}
	return 0;
}

static conn_t *conn_find(siptrans_t *t, const struct sockaddr_storage *peer)
{
	for (int i = 0; i < t->n; i++)
		if (!t->conns[i]->dead && same_addr(&t->conns[i]->peer, peer))
			return t->conns[i];
	/* A peer that connected to us from another port (a proxy sends from an
	 * ephemeral port and names its listening one): its connection. */
	for (int i = 0; i < t->n; i++)
		if (!t->conns[i]->dead && t->conns[i]->accepted && t->conns[i]->state == C_UP &&
		    sipaddr_same_host(&t->conns[i]->peer, peer))
			return t->conns[i];
	return NULL;
}

int siptrans_send(siptrans_t *t, const struct sockaddr_storage *peer, const void *data, size_t n)
{
	conn_t *c = conn_find(t, peer);
	if (!c)
		c = conn_open(t, peer);
	if (!c)
		return -1;
	if (buf_append(&c->wq, data, n) != 0) {
		conn_kill(t, c, "sip_conn_closed", "backlog");
		return -1;
	}
	c->used_ms = mono_ms();
	if (c->state == C_UP)
		return conn_flush(t, c);
	return 0;
}

/* Appends one name to out (space-separated) when it fits whole and is
 * plain printable text without spaces. */
static void names_add(char *out, size_t cap, const unsigned char *p, int n)
{
	size_t len = strlen(out);
	if (n <= 0 || len + (len ? 1 : 0) + (size_t)n + 1 > cap)
		return;
	for (int i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] > '~')
			return;
	if (len)
		out[len++] = ' ';
	memcpy(out + len, p, (size_t)n);
	out[len + (size_t)n] = '\0';
}

void siptrans_peer_names(const siptrans_t *t, const struct sockaddr_storage *src, char *out, size_t cap)
{
	if (!cap)
		return;
	out[0] = '\0';
	const conn_t *c = NULL;
	for (int i = 0; i < t->n && !c; i++)
		if (!t->conns[i]->dead && t->conns[i]->accepted && t->conns[i]->ssl &&
		    same_addr(&t->conns[i]->peer, src))
			c = t->conns[i];
	if (!c || SSL_get_verify_result(c->ssl) != X509_V_OK)
		return;
	X509 *x = SSL_get1_peer_certificate(c->ssl);
	GENERAL_NAMES *gens = x ? X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL) : NULL;
	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS) {
			names_add(out, cap, ASN1_STRING_get0_data(g->d.dNSName), ASN1_STRING_length(g->d.dNSName));
		} else if (g->type == GEN_IPADD) {
			int n = ASN1_STRING_length(g->d.iPAddress);
			char ip[INET6_ADDRSTRLEN] = "";
			if ((n == 4 || n == 16) &&
			    inet_ntop(n == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(g->d.iPAddress), ip, sizeof ip))
				names_add(out, cap, (const unsigned char *)ip, (int)strlen(ip));
		}
	}
	GENERAL_NAMES_free(gens);
	X509_free(x);
}

uint16_t siptrans_contact_port(siptrans_t *t, const struct sockaddr_storage *peer)
{
	if (t->lfd >= 0)
		return sipaddr_port(&t->bound);
	conn_t *c = conn_find(t, peer);
	if (!c)
		c = conn_open(t, peer);
	return c ? c->lport : 0;
}

int siptrans_fd(const siptrans_t *t)
{
	return t->ep;
}

void siptrans_bound(const siptrans_t *t, struct sockaddr_storage *out)
{
	*out = t->bound;
}

static SSL_CTX *ctx_new(const siptrans_cfg_t *cfg, int server, char *err, size_t errlen)
{
	SSL_CTX *x = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!x) {
		snprintf(err, errlen, "no TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(x, TLS1_2_VERSION);
	SSL_CTX_set_mode(x, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	char why[160];
	if (cfg->tls_cert && *cfg->tls_cert) {
		if (SSL_CTX_use_certificate_chain_file(x, cfg->tls_cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(x, cfg->tls_key ? cfg->tls_key : "", SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(x) != 1) {
			ssl_why(why, sizeof why);
			snprintf(err, errlen, "TLS certificate or key not usable (%s)", why);
			SSL_CTX_free(x);
			return NULL;
		}
	} else if (server) {
		snprintf(err, errlen, "a TLS listener needs a certificate and a key");
		SSL_CTX_free(x);
		return NULL;
	}
	if (!server || cfg->verify_client) {
		/* a listener asking clients for a certificate: verified against
		 * tls_ca; required, a handshake without one fails */
		SSL_CTX_set_verify(x, SSL_VERIFY_PEER | (server && cfg->verify_client == 2 ?
			SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
		int ok = cfg->tls_ca && *cfg->tls_ca ? SSL_CTX_load_verify_locations(x, cfg->tls_ca, NULL)
						     : SSL_CTX_set_default_verify_paths(x);
		if (ok != 1) {
			ssl_why(why, sizeof why);
			snprintf(err, errlen, "TLS CA file not usable (%s)", why);
			SSL_CTX_free(x);
			return NULL;
		}
	}
	return x;
}

siptrans_t *siptrans_open(const siptrans_cfg_t *cfg, const struct sockaddr_storage *at, char *err, size_t errlen)
{
	siptrans_t *t = xcalloc(1, sizeof *t);
	t->cfg = *cfg;
	t->lfd = at && cfg->listen_fd > 0 ? cfg->listen_fd : -1; /* taken over, even on failure */
	t->ep = epoll_create1(EPOLL_CLOEXEC);
	if (t->ep < 0) {
		snprintf(err, errlen, "no epoll descriptor");
		siptrans_close(t);
		return NULL;
	}
	if (cfg->proto == SIPTRANS_TLS) {
		t->cctx = ctx_new(cfg, 0, err, errlen);
		if (!t->cctx || (at && !(t->sctx = ctx_new(cfg, 1, err, errlen)))) {
			siptrans_close(t);
			return NULL;
		}
	}
	if (at && t->lfd >= 0) {
		/* Bound and listening already (by a process that may bind). */
		int fl = fcntl(t->lfd, F_GETFL);
		if (fl < 0 || fcntl(t->lfd, F_SETFL, fl | O_NONBLOCK) != 0) {
			snprintf(err, errlen, "cannot use the listening socket (errno %d)", errno);
			siptrans_close(t);
			return NULL;
		}
	} else if (at) {
		t->lfd = socket(at->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		int one = 1;
		if (t->lfd >= 0)
			setsockopt(t->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (t->lfd < 0 || bind(t->lfd, (const struct sockaddr *)at, sipaddr_len(at)) != 0 ||
		    listen(t->lfd, 128) != 0) {
			snprintf(err, errlen, "cannot listen (errno %d)", errno);
			siptrans_close(t);
			return NULL;
		}
	}
	if (at) {
		socklen_t bl = sizeof t->bound;
		getsockname(t->lfd, (struct sockaddr *)&t->bound, &bl);
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
		epoll_ctl(t->ep, EPOLL_CTL_ADD, t->lfd, &ev);
	}
	return t;
}

void siptrans_close(siptrans_t *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->n; i++) {
		conn_t *c = t->conns[i];
		if (c->ssl && c->state == C_UP) {
			conn_flush(t, c);
			SSL_shutdown(c->ssl);
		}
		conn_free(t, c);
	}
	if (t->lfd >= 0)
		close(t->lfd);
	if (t->ep >= 0)
		close(t->ep);
	SSL_CTX_free(t->cctx);
	SSL_CTX_free(t->sctx);
	free(t);
}
