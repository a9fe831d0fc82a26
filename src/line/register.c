/* REGISTER toward a registrar (see register.h). */
#include "register.h"

#include "sipconn.h"
#include "siptrans.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "sipmsg.h"
#include "timeutil.h"

#define REG_T1_MS 500
#define REG_T2_MS 4000
#define REG_EXPIRES_MAX 86400

static void reg_hex(char *out, size_t nbytes)
{
	uint8_t b[16];
	if (nbytes > sizeof b)
		nbytes = sizeof b;
	if (getrandom(b, nbytes, 0) != (ssize_t)nbytes)
		for (size_t i = 0; i < nbytes; i++)
			b[i] = (uint8_t)(time_mono_ns() >> (8 * (i % 8)));
	for (size_t i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* A decimal number of seconds in s: 0..REG_EXPIRES_MAX, else -1. */
static int reg_seconds(sip_str_t s)
{
	if (s.n == 0 || s.n > 10)
		return -1;
	long v = 0;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -1;
		v = v * 10 + (s.p[i] - '0');
	}
	return v > REG_EXPIRES_MAX ? REG_EXPIRES_MAX : (int)v;
}

/* Whether the URI of a Contact value names host:port contact. */
static int reg_contact_is(sip_str_t hv, const char *contact)
{
	sip_str_t uri = sip_addr_uri(hv), user, host;
	uint16_t port;
	if (!contact || sip_uri_parse(uri, &user, &host, &port) != 0)
		return 0;
	char want[300];
	int n = snprintf(want, sizeof want, "%.*s:%u", (int)host.n, host.p, port);
	return n > 0 && strcmp(want, contact) == 0;
}

int register_parse_response(const uint8_t *data, size_t len, const char *contact,
	register_answer_t *a)
{
	memset(a, 0, sizeof *a);
	a->expires = -1;
	sip_msg_t m;
	if (sip_msg_parse(data, len, &m) != 0 || m.is_request)
		return -1;
	const sip_str_t *cid = sip_msg_header(&m, "Call-ID");
	sip_str_t method;
	if (!cid || cid->n == 0 || cid->n >= sizeof a->call_id ||
	    sip_cseq(&m, &a->cseq, &method) != 0 || !sip_str_eq(method, "REGISTER"))
		return -1;
	memcpy(a->call_id, cid->p, cid->n);
	a->call_id[cid->n] = '\0';
	a->status = m.status;
	if (m.status >= 200 && m.status < 300) {
		const sip_str_t *ex = sip_msg_header(&m, "Expires");
		if (ex)
			a->expires = reg_seconds(*ex);
		/* The Contact naming our binding (a registrar lists them all). */
		for (size_t i = 0; i < m.nhdrs; i++) {
			const sip_hdr_t *h = &m.hdrs[i];
			if (!(sip_str_eq(h->name, "Contact") || sip_str_eq(h->name, "m")))
				continue;
			sip_str_t v;
			if (reg_contact_is(h->value, contact) && sip_param(h->value, "expires", &v) == 0) {
				int e = reg_seconds(v);
				if (e >= 0)
					a->expires = e;
			}
		}
	} else if (m.status == 401 || m.status == 407) {
		const sip_str_t *ch = sip_msg_header(&m, m.status == 401 ? "WWW-Authenticate" :
			"Proxy-Authenticate");
		a->proxy = m.status == 407;
		a->has_challenge = ch && digest_parse(*ch, &a->chal) == 0;
	}
	return 0;
}

/* A connected UDP socket toward hostport; our own "IP:PORT" into me. */
static int reg_socket(const char *hostport, char *me, size_t cap)
{
	const char *colon = strrchr(hostport, ':');
	char host[256];
	if (!colon || colon == hostport)
		return -1;
	size_t n = (size_t)(colon - hostport);
	const char *h = hostport;
	if (h[0] == '[' && n >= 3 && h[n - 1] == ']') {
		h++;
		n -= 2;
	}
	if (n >= sizeof host)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV }, *ai = NULL;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai)
		return -1;
	int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char ip[INET6_ADDRSTRLEN] = "";
	if (fd >= 0 && getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
			snprintf(me, cap, "[%s]:%u", ip, ntohs(s6->sin6_port));
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
			snprintf(me, cap, "%s:%u", ip, ntohs(s4->sin_port));
		}
	}
	return fd;
}

/* The registrar's host (without port) for the AOR. */
static void reg_domain(const char *registrar, char *out, size_t cap)
{
	const char *colon = strrchr(registrar, ':');
	size_t n = colon && colon != registrar ? (size_t)(colon - registrar) : strlen(registrar);
	snprintf(out, cap, "%.*s", (int)n, registrar);
}

/* Builds the REGISTER into out (with credentials when auth is not NULL). */
static int reg_build(buf_t *out, const register_binding_t *b, const char *me, const char *domain,
	const char *tag, const char *auth, int proxy)
{
	char branch[25];
	reg_hex(branch, 12);
	buf_reset(out);
	const char *tp = b->transport == SIPTRANS_TLS ? ";transport=tls" : b->transport == SIPTRANS_TCP ? ";transport=tcp" : "";
	int bad = buf_printf(out,
		"REGISTER sip:%s SIP/2.0\r\n"
		"Via: SIP/2.0/%s %s;branch=z9hG4bK%s;rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:%s@%s>;tag=%s\r\n"
		"To: <sip:%s@%s>\r\n"
		"Call-ID: %s\r\n"
		"CSeq: %u REGISTER\r\n"
		"Contact: <sip:%s@%s%s>\r\n"
		"Expires: %d\r\n"
		"User-Agent: faxvault\r\n",
		domain, siptrans_via_name(b->transport), me, branch, b->user, domain, tag, b->user, domain, b->call_id,
		b->cseq, b->user, b->contact && *b->contact ? b->contact : me, tp, b->expires);
	if (auth)
		bad |= buf_printf(out, "%s: %s\r\n", proxy ? "Proxy-Authorization" : "Authorization", auth);
	bad |= buf_puts(out, "Content-Length: 0\r\n\r\n");
	return bad ? -1 : 0;
}

/* The same over a connection (TCP, TLS): sent once, no retransmission
 * (RFC 3261 §17.1.2.1: timer E is for unreliable transports). */
static int reg_transact_conn(sipconn_t *c, const buf_t *out, const register_binding_t *b, int64_t end,
	register_answer_t *a)
{
	if (sipconn_send(c, out->data, out->len, end) != 0)
		return -1;
	uint8_t in[SIP_MSG_MAX];
	for (;;) {
		int got = sipconn_recv(c, in, sizeof in, end);
		if (got <= 0)
			return -1;
		if (register_parse_response(in, (size_t)got, b->contact, a) == 0 && a->status >= 200 &&
		    a->cseq == b->cseq && strcmp(a->call_id, b->call_id) == 0)
			return 0;
	}
}

/* Sends out on fd until a final answer to CSeq b->cseq comes or the
 * deadline (monotonic ms) passes. 0 with *a, or -1. */
static int reg_transact(int fd, const buf_t *out, const register_binding_t *b, int64_t end,
	register_answer_t *a)
{
	int64_t next = 0, iv = REG_T1_MS;
	uint8_t in[SIP_MSG_MAX];
	for (;;) {
		int64_t now = time_mono_ns() / 1000000;
		if (now >= end)
			return -1;
		if (now >= next) {
			if (send(fd, out->data, out->len, MSG_NOSIGNAL) < 0 && errno == ECONNREFUSED)
				return -1;
			next = now + iv;
			iv = iv * 2 < REG_T2_MS ? iv * 2 : REG_T2_MS;
		}
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int64_t wait = (next < end ? next : end) - now;
		if (poll(&pf, 1, (int)(wait > 0 ? wait : 0)) < 0 && errno != EINTR)
			return -1;
		if (!(pf.revents & (POLLIN | POLLERR)))
			continue;
		for (;;) {
			ssize_t got = recv(fd, in, sizeof in, 0);
			if (got < 0) {
				if (errno == ECONNREFUSED)
					return -1;
				break;
			}
			if (register_parse_response(in, (size_t)got, b->contact, a) == 0 && a->status >= 200 &&
			    a->cseq == b->cseq && strcmp(a->call_id, b->call_id) == 0)
				return 0;
		}
	}
}

int register_run(register_binding_t *b, int timeout_ms, int *granted, int *status_out)
{
	char me[80] = "", domain[256], tag[17];
	*granted = 0;
	if (status_out)
		*status_out = 0;
	b->why[0] = '\0';
	b->realm[0] = '\0';
	if (!b->registrar || !b->user || !*b->user)
		return -1;
	int64_t end = time_mono_ns() / 1000000 + (timeout_ms > 0 ? timeout_ms : 1);
	sipconn_t *conn = NULL;
	int fd = -1;
	if (b->transport) {
		/* to the target resolved (send_to), the certificate checked for
		 * the registrar's name */
		char name[256];
		reg_domain(b->registrar, name, sizeof name);
		sipconn_tls_t tls = {.ca = b->tls_ca, .cert = b->tls_cert, .key = b->tls_key,
			.name = b->tls_name && *b->tls_name ? b->tls_name : name[0] == '[' ? NULL : name};
		conn = sipconn_open(b->transport, b->send_to && *b->send_to ? b->send_to : b->registrar, &tls, end, me,
			sizeof me, b->why, sizeof b->why);
		if (!conn)
			return -1;
	} else {
		fd = reg_socket(b->send_to && *b->send_to ? b->send_to : b->registrar, me, sizeof me);
		if (fd < 0 || !me[0]) {
			if (fd >= 0)
				close(fd);
			return -1;
		}
	}
	if (!b->call_id[0]) {
		char r[33];
		reg_hex(r, 16);
		snprintf(b->call_id, sizeof b->call_id, "%s", r);
	}
	reg_domain(b->registrar, domain, sizeof domain);
	reg_hex(tag, 8);
	buf_t out, auth;
	buf_init(&out, SIP_MSG_MAX);
	buf_init(&auth, 2048);
	register_answer_t a;
	int rc = -1;
	b->cseq++;
	if (reg_build(&out, b, me, domain, tag, NULL, 0) == 0 &&
	    (conn ? reg_transact_conn(conn, &out, b, end, &a) : reg_transact(fd, &out, b, end, &a)) == 0) {
		if ((a.status == 401 || a.status == 407) && a.has_challenge)
			snprintf(b->realm, sizeof b->realm, "%s", a.chal.realm);
		/* the HA1 when it was made for the realm challenging us, else the password */
		int use_ha1 = b->ha1_md5 && strlen(b->ha1_md5) == 32 && b->ha1_realm &&
			strcmp(b->ha1_realm, a.chal.realm) == 0;
		if ((a.status == 401 || a.status == 407) && a.has_challenge && (use_ha1 || b->password)) {
			char cnonce[17], uri[300];
			reg_hex(cnonce, 8);
			snprintf(uri, sizeof uri, "sip:%s", domain);
			b->cseq++;
			if ((use_ha1 ? digest_answer_ha1(&auth, &a.chal, b->user, b->ha1_md5, "REGISTER", uri, cnonce, 1)
				     : digest_answer(&auth, &a.chal, b->user, b->password, "REGISTER", uri, cnonce, 1)) != 0 ||
			    reg_build(&out, b, me, domain, tag, auth.data, a.proxy) != 0 ||
			    (conn ? reg_transact_conn(conn, &out, b, end, &a) : reg_transact(fd, &out, b, end, &a)) != 0)
				a.status = -1;
		}
		if (a.status >= 200 && a.status < 300) {
			*granted = a.expires >= 0 ? a.expires : b->expires;
			rc = 0;
		} else {
			rc = a.status;
		}
		if (status_out)
			*status_out = a.status;
	}
	buf_free(&out);
	buf_free(&auth);
	if (fd >= 0)
		close(fd);
	sipconn_close(conn);
	return rc;
}
