/* One blocking SIP connection over TCP or TLS (see sipconn.h). */
#include "sipconn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "sipmsg.h"
#include "sipstream.h"
#include "siptrans.h"
#include "timeutil.h"
#include "xalloc.h"

struct sipconn {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	uint8_t rbuf[2 * SIP_MSG_MAX];
	size_t rlen;
};

static int64_t mono_ms(void)
{
	return time_mono_ns() / 1000000;
}

/* Waits for fd to be ready for ev until end_ms: 1 ready, 0 not in time. */
static int wait_fd(int fd, short ev, int64_t end_ms)
{
	for (;;) {
		int64_t left = end_ms - mono_ms();
		if (left <= 0)
			return 0;
		struct pollfd pf = {.fd = fd, .events = ev};
		int r = poll(&pf, 1, (int)left);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return 0;
	}
}

/* Waits as OpenSSL asks after a call that returned r. 1 to retry, 0 not. */
static int ssl_wait(sipconn_t *c, int r, int64_t end_ms)
{
	int e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ)
		return wait_fd(c->fd, POLLIN, end_ms);
	if (e == SSL_ERROR_WANT_WRITE)
		return wait_fd(c->fd, POLLOUT, end_ms);
	return 0;
}

static int tls_setup(sipconn_t *c, const char *host, const sipconn_tls_t *tls, int64_t end_ms, char *why,
		     size_t whylen)
{
	char err[160];
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx)
		goto fail;
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	if ((tls && tls->ca && *tls->ca ? SSL_CTX_load_verify_locations(c->ctx, tls->ca, NULL)
					: SSL_CTX_set_default_verify_paths(c->ctx)) != 1)
		goto fail;
	if (tls && tls->cert && *tls->cert &&
	    (SSL_CTX_use_certificate_chain_file(c->ctx, tls->cert) != 1 ||
	     SSL_CTX_use_PrivateKey_file(c->ctx, tls->key ? tls->key : "", SSL_FILETYPE_PEM) != 1))
		goto fail;
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
		goto fail;
	if (tls && tls->name && *tls->name)
		host = tls->name;
	struct in6_addr probe;
	if (inet_pton(AF_INET, host, &probe) == 1 || inet_pton(AF_INET6, host, &probe) == 1) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host) != 1)
			goto fail;
	} else {
		SSL_set_tlsext_host_name(c->ssl, host);
		if (SSL_set1_host(c->ssl, host) != 1)
			goto fail;
	}
	for (;;) {
		ERR_clear_error();
		int r = SSL_connect(c->ssl);
		if (r == 1)
			return 0;
		if (ssl_wait(c, r, end_ms))
			continue;
		long v = SSL_get_verify_result(c->ssl);
		if (v != X509_V_OK) {
			snprintf(why, whylen, "tls: certificate refused (%s)", X509_verify_cert_error_string(v));
			ERR_clear_error();
			return -1;
		}
		break;
	}
fail:;
	unsigned long e = ERR_get_error();
	if (e)
		ERR_error_string_n(e, err, sizeof err);
	else
		snprintf(err, sizeof err, "timeout or closed");
	ERR_clear_error();
	snprintf(why, whylen, "tls: handshake failed (%s)", err);
	return -1;
}

sipconn_t *sipconn_open(int proto, const char *hostport, const sipconn_tls_t *tls, int64_t end_ms, char *me,
			size_t mecap, char *why, size_t whylen)
{
	snprintf(why, whylen, "-");
	const char *colon = strrchr(hostport ? hostport : "", ':');
	char host[256];
	if (!colon || colon == hostport) {
		snprintf(why, whylen, "bad peer");
		return NULL;
	}
	size_t n = (size_t)(colon - hostport);
	const char *h = hostport;
	if (h[0] == '[' && n >= 3 && h[n - 1] == ']') {
		h++;
		n -= 2;
	}
	if (n >= sizeof host) {
		snprintf(why, whylen, "bad peer");
		return NULL;
	}
	memcpy(host, h, n);
	host[n] = '\0';
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *ai = NULL;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai) {
		snprintf(why, whylen, "cannot resolve %s", host);
		return NULL;
	}
	sipconn_t *c = xcalloc(1, sizeof *c);
	c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int ok = c->fd >= 0;
	if (ok && connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		ok = errno == EINPROGRESS && wait_fd(c->fd, POLLOUT, end_ms);
		int err = ok ? 0 : ETIMEDOUT;
		socklen_t el = sizeof err;
		if (ok && (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err))
			ok = 0;
		if (!ok)
			snprintf(why, whylen, "connect: %s", strerror(err ? err : errno));
	}
	freeaddrinfo(ai);
	if (!ok) {
		sipconn_close(c);
		return NULL;
	}
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char ip[INET6_ADDRSTRLEN] = "";
	if (getsockname(c->fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
			snprintf(me, mecap, "[%s]:%u", ip, ntohs(s6->sin6_port));
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
			snprintf(me, mecap, "%s:%u", ip, ntohs(s4->sin_port));
		}
	}
	if (proto == SIPTRANS_TLS && tls_setup(c, host, tls, end_ms, why, whylen) != 0) {
		sipconn_close(c);
		return NULL;
	}
	return c;
}

int sipconn_send(sipconn_t *c, const void *data, size_t n, int64_t end_ms)
{
	const uint8_t *p = data;
	while (n > 0) {
		if (c->ssl) {
			size_t w = 0;
			ERR_clear_error();
			int r = SSL_write_ex(c->ssl, p, n, &w);
			if (r != 1) {
				if (ssl_wait(c, r, end_ms))
					continue;
				return -1;
			}
			p += w;
			n -= w;
			continue;
		}
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if ((errno == EAGAIN || errno == EINTR) && wait_fd(c->fd, POLLOUT, end_ms))
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int sipconn_recv(sipconn_t *c, uint8_t *out, size_t cap, int64_t end_ms)
{
	for (;;) {
		size_t skip = 0, len = 0;
		int r = sipstream_next(c->rbuf, c->rlen, SIP_MSG_MAX, &skip, &len, NULL, NULL);
		if (r == SIPSTREAM_BAD)
			return -1;
		if (r == SIPSTREAM_MSG) {
			size_t n = len < cap ? len : cap;
			memcpy(out, c->rbuf + skip, n);
			memmove(c->rbuf, c->rbuf + skip + len, c->rlen - skip - len);
			c->rlen -= skip + len;
			return (int)n;
		}
		memmove(c->rbuf, c->rbuf + skip, c->rlen - skip);
		c->rlen -= skip;
		if (c->rlen == sizeof c->rbuf)
			return -1;
		ssize_t got;
		if (c->ssl) {
			size_t g = 0;
			ERR_clear_error();
			int rr = SSL_read_ex(c->ssl, c->rbuf + c->rlen, sizeof c->rbuf - c->rlen, &g);
			if (rr != 1) {
				if (ssl_wait(c, rr, end_ms))
					continue;
				return mono_ms() >= end_ms ? 0 : -1;
			}
			got = (ssize_t)g;
		} else {
			got = recv(c->fd, c->rbuf + c->rlen, sizeof c->rbuf - c->rlen, 0);
			if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
				if (!wait_fd(c->fd, POLLIN, end_ms))
					return 0;
				continue;
			}
			if (got <= 0)
				return -1;
		}
		c->rlen += (size_t)got;
	}
}

void sipconn_close(sipconn_t *c)
{
	if (!c)
		return;
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}
