/* The line engine's SIP plumbing (see ua.c): small helpers, addresses and
 * sockets, sending a message over UDP or TCP/TLS, and building our requests
 * (Via, Contact, dialog headers) with the one client transaction a call
 * has at a time (timers A/E, B/F) and our SDP. */
#include "ua_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "numparse.h"
#include "sipbuild.h"
#include "timeutil.h"

/* Keeps the printable ASCII of a peer-supplied user part (for result
 * fields and the accept callback). */
void copy_user(char *dst, size_t cap, const char *p, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k < cap - 1; i++)
		if (p[i] > 0x20 && p[i] < 0x7f)
			dst[k++] = p[i];
	dst[k] = '\0';
}

int64_t now_ms(void)
{
	return time_mono_ns() / 1000000;
}

void rand_hex(char *out, size_t nbytes)
{
	uint8_t b[32];
	if (nbytes > sizeof b)
		nbytes = sizeof b;
	if (getrandom(b, nbytes, 0) != (ssize_t)nbytes)
		for (size_t i = 0; i < nbytes; i++)
			b[i] = (uint8_t)(time_mono_ns() >> (i % 8));
	for (size_t i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

uint32_t rand32(void)
{
	uint32_t v = 0;
	if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
		v = (uint32_t)time_mono_ns();
	return v;
}

/* Milliseconds of call time per media tick, to turn ms settings into ticks. */
int64_t ms_to_ticks(int64_t ms)
{
	return ms / 20;
}

const char *qs(const char *s, char *tmp, size_t n)
{
	return log_quote(s, tmp, n);
}


int parse_hostport(const char *s, struct sockaddr_storage *sa)
{
	return sipaddr_parse(s, sa, 1);
}

int udp_bind(const struct sockaddr_storage *sa)
{
	int fd = socket(sa->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int buf = 1 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
	if (bind(fd, (const struct sockaddr *)sa, sipaddr_len(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

const char *adv_host(const call_t *c, char out[SIPADDR_STR_MAX], int sdp)
{
	const char *pub = c->cfg ? c->cfg->public_address : NULL;
	int v6 = strchr(c->local_ip, ':') != NULL;
	const char *h = c->local_ip;
	if (pub && *pub && strlen(pub) < SIPADDR_STR_MAX - 2) {
		unsigned char a[16];
		int pv6 = inet_pton(AF_INET6, pub, a) == 1, pv4 = inet_pton(AF_INET, pub, a) == 1;
		if ((!pv6 && !pv4) || pv6 == v6)
			h = pub;
	}
	if (sdp)
		snprintf(out, SIPADDR_STR_MAX, "%s", h);
	else
		sipaddr_host(h, out, SIPADDR_STR_MAX);
	return out;
}

/* The local address the kernel would use toward peer. */
void local_ip_toward(const struct sockaddr_storage *peer, const struct sockaddr_storage *bound, char out[64])
{
	if (!sipaddr_is_any(bound)) {
		sipaddr_ip(bound, out, 64);
		return;
	}
	snprintf(out, 64, peer->ss_family == AF_INET6 ? "::1" : "127.0.0.1");
	int fd = socket(peer->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	struct sockaddr_storage me;
	socklen_t ml = sizeof me;
	if (connect(fd, (const struct sockaddr *)peer, sipaddr_len(peer)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&me, &ml) == 0)
		sipaddr_ip(&me, out, 64);
	close(fd);
}

/* One SIP message to a peer, over UDP or the peer's TCP/TLS connection. */
int ua_xmit(ua_ep_t *ep, const struct sockaddr_storage *to, const void *data, size_t n)
{
	if (ep->tr)
		return siptrans_send(ep->tr, to, data, n);
	return sendto(ep->fd, data, n, 0, (const struct sockaddr *)to, sipaddr_len(to)) < 0 ? -1 : 0;
}

void sip_send(ua_ep_t *ep, const struct sockaddr_storage *to, const buf_t *b, const char *call_id)
{
	if (!b->data || b->len == 0)
		return;
	if (ua_xmit(ep, to, b->data, b->len) < 0)
		log_event(LOG_WARN, "sip_send_failed", "call=%s errno=%d", call_id, errno);
}

/* The port our Via and Contact name (see siptrans_contact_port). */
unsigned sip_port(const call_t *c)
{
	if (c->ep->tr)
		return siptrans_contact_port(c->ep->tr, &c->peer);
	return sipaddr_port(&c->ep->bound);
}

const char *via_proto(const ua_ep_t *ep)
{
	return siptrans_via_name(ep->proto);
}



void copy_str(char *dst, size_t cap, sip_str_t s)
{
	size_t n = s.n < cap - 1 ? s.n : cap - 1;
	memcpy(dst, s.p, n);
	dst[n] = '\0';
}

void contact_of(const call_t *c, char *out, size_t n)
{
	int t = c->ep->proto;
	/* sips: toward a sips: target (RFC 3261 §8.1.1.8), else the transport
	 * as a parameter (RFC 3261 §19.1.1). */
	int sips = t == SIPTRANS_TLS && strncasecmp(c->remote_target, "sips:", 5) == 0;
	char host[SIPADDR_STR_MAX];
	snprintf(out, n, "<%s:%s@%s:%u%s>", sips ? "sips" : "sip", c->cfg->from_user,
		 adv_host(c, host, 0), sip_port(c),
		 sips || !t ? "" : t == SIPTRANS_TLS ? ";transport=tls" : ";transport=tcp");
}

/* Our from/to header values for in-dialog requests. */
static void dialog_headers(const call_t *c, buf_t *b)
{
	if (c->outbound) {
		buf_printf(b, "From: <%s>;tag=%s\r\n", c->local_uri, c->ltag);
		if (c->rtag[0])
			buf_printf(b, "To: <%s>;tag=%s\r\n", c->remote_uri, c->rtag);
		else
			buf_printf(b, "To: <%s>\r\n", c->remote_uri);
	} else {
		buf_printf(b, "From: <%s>;tag=%s\r\n", c->local_uri, c->ltag);
		buf_printf(b, "To: <%s>;tag=%s\r\n", c->remote_uri, c->rtag);
	}
}

void build_request(call_t *c, buf_t *b, const char *method, const char *ruri, uint32_t cseq,
		   const char *branch, const char *extra, const char *body)
{
	char contact[256];
	contact_of(c, contact, sizeof contact);
	buf_reset(b);
	buf_printf(b, "%s %s SIP/2.0\r\n", method, ruri);
	char host[SIPADDR_STR_MAX];
	buf_printf(b, "Via: SIP/2.0/%s %s:%u;branch=%s;rport\r\n", via_proto(c->ep),
		   adv_host(c, host, 0), sip_port(c),
		   branch);
	buf_puts(b, "Max-Forwards: 70\r\n");
	dialog_headers(c, b);
	if (c->route[0] && strcmp(method, "CANCEL") != 0)
		buf_printf(b, "Route: %s\r\n", c->route);
	buf_printf(b, "Call-ID: %s\r\nCSeq: %u %s\r\n", c->call_id, cseq, method);
	if (strcmp(method, "ACK") != 0 && strcmp(method, "CANCEL") != 0)
		buf_printf(b, "Contact: %s\r\n" ALLOW_HDR "Supported: timer\r\n", contact);
	buf_puts(b, "User-Agent: faxvault/" FV_VERSION "\r\n");
	if (extra)
		buf_puts(b, extra);
	if (body)
		buf_printf(b, "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), body);
	else
		buf_puts(b, "Content-Length: 0\r\n\r\n");
}

void new_branch(char out[48])
{
	char h[33];
	rand_hex(h, 12);
	snprintf(out, 48, "z9hG4bK%s", h);
}

/* Starts our client transaction: sends now, retransmits on timer A/E. */
void ctx_start(call_t *c, const char *method, const char *ruri, uint32_t cseq, const char *extra,
	       const char *body)
{
	ctxn_t *t = &c->ctx;
	t->active = 1;
	snprintf(t->method, sizeof t->method, "%s", method);
	t->cseq = cseq;
	new_branch(t->branch);
	build_request(c, &t->msg, method, ruri, cseq, t->branch, extra, body);
	t->interval_ms = SIP_T1_MS;
	int64_t now = now_ms();
	t->next_ms = now + t->interval_ms;
	/* a first INVITE that nothing at all answers: timer B, or sooner when
	 * the caller has another target to try (invite_timeout_ms) */
	int quick = c->state == CS_INVITING && c->cfg->invite_timeout_ms > 0 &&
		    c->cfg->invite_timeout_ms < SIP_TXN_MS;
	t->deadline_ms = now + (quick ? c->cfg->invite_timeout_ms : SIP_TXN_MS);
	sip_send(c->ep, &c->peer, &t->msg, c->call_id);
	log_event(LOG_INFO, "sip_request_sent", "call=%s method=%s cseq=%u", c->call_id, method, cseq);
}

void make_sdp(call_t *c, buf_t *out, int use_t38, const sdp_t *like)
{
	char addr[SIPADDR_STR_MAX];
	sdp_local_t l = {
		.addr = adv_host(c, addr, 1),
		.port = c->mport,
		.sess_id = c->sess_id,
		.sess_ver = c->sess_ver,
		.use_t38 = use_t38,
		.pt = like ? c->pt : -1,
		.t38_max_rate = c->cfg->max_rate > 9600 ? 14400 : 9600,
		.t38_redundancy = 1,
	};
	buf_reset(out);
	if (sdp_build(out, &l, like) != 0) {
		buf_reset(out);
		l.pt = c->pt >= 0 ? c->pt : 0;
		sdp_build(out, &l, NULL);
	}
}
