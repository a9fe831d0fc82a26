/* OPTIONS keep-alive (see keepalive.h). One connected UDP socket per peer:
 * the kernel then reports ICMP port unreachable as ECONNREFUSED, so a peer
 * whose host is up but whose SIP service is gone is seen at once. */
#include "keepalive.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "sipmsg.h"
#include "siptrans.h"
#include <stdlib.h>
#include "timeutil.h"

#define KA_T1_MS 500
#define KA_T2_MS 4000

struct ka_peer {
	int fd;
	char call_id[48];
	char branch[40];
	char req[1024];
	size_t req_len;
};

static void ka_rand_hex(char *out, size_t nbytes)
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

/* "HOST:PORT" / "[V6]:PORT" into host and port. 0 / -1. */
static int ka_split(const char *peer, char *host, size_t cap, char *port, size_t pcap)
{
	const char *colon = strrchr(peer, ':');
	if (!colon || colon == peer || !colon[1] || strlen(colon + 1) >= pcap)
		return -1;
	const char *h = peer;
	size_t n = (size_t)(colon - peer);
	if (h[0] == '[') {
		if (n < 3 || h[n - 1] != ']')
			return -1;
		h++;
		n -= 2;
	}
	if (n >= cap)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	snprintf(port, pcap, "%s", colon + 1);
	return 0;
}

/* The OPTIONS for peer from our end lip:lport into k (fd -1). */
static int ka_request(struct ka_peer *k, const char *peer, const char *from_user, const char *lip, int lport,
	int v6, int transport);

/* A connected UDP socket toward peer, and the request to send on it. */
static int ka_open(struct ka_peer *k, const char *peer, const char *from_user)
{
	char host[256], port[8];
	if (ka_split(peer, host, sizeof host, port, sizeof port) != 0)
		return -1;
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV }, *ai = NULL;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
		return -1;
	int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	struct sockaddr_storage me;
	socklen_t ml = sizeof me;
	char lip[INET6_ADDRSTRLEN] = "";
	int lport = 0;
	memset(&me, 0, sizeof me);
	if (getsockname(fd, (struct sockaddr *)&me, &ml) == 0) {
		if (me.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&me;
			inet_ntop(AF_INET6, &s6->sin6_addr, lip, sizeof lip);
			lport = ntohs(s6->sin6_port);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&me;
			inet_ntop(AF_INET, &s4->sin_addr, lip, sizeof lip);
			lport = ntohs(s4->sin_port);
		}
	}
	if (ka_request(k, peer, from_user, lip, lport, me.ss_family == AF_INET6, SIPTRANS_UDP) != 0) {
		close(fd);
		return -1;
	}
	k->fd = fd;
	return 0;
}

static int ka_request(struct ka_peer *k, const char *peer, const char *from_user, const char *lip, int lport,
	int v6, int transport)
{
	char tag[17];
	ka_rand_hex(k->call_id, 16);
	ka_rand_hex(k->branch, 12);
	ka_rand_hex(tag, 8);
	int n = snprintf(k->req, sizeof k->req,
		"OPTIONS sip:%s SIP/2.0\r\n"
		"Via: SIP/2.0/%s %s%s%s:%d;branch=z9hG4bK%s;rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:%s@%s%s%s>;tag=%s\r\n"
		"To: <sip:%s>\r\n"
		"Call-ID: %s\r\n"
		"CSeq: 1 OPTIONS\r\n"
		"Accept: application/sdp\r\n"
		"User-Agent: faxvault\r\n"
		"Content-Length: 0\r\n\r\n",
		peer, siptrans_via_name(transport), v6 ? "[" : "", lip, v6 ? "]" : "", lport, k->branch, from_user, v6 ? "[" : "", lip,
		v6 ? "]" : "", tag, peer, k->call_id);
	if (n <= 0 || (size_t)n >= sizeof k->req)
		return -1;
	k->req_len = (size_t)n;
	return 0;
}

static int ka_answer(const struct ka_peer *k, const uint8_t *d, size_t len);

/* One probe over TCP or TLS: connect (and handshake), OPTIONS, its final
 * answer. The status as keepalive_probe_t says. */
static int ka_stream(const keepalive_probe_t *p, const char *from_user, int timeout_ms)
{
	int64_t end = time_mono_ns() / 1000000 + (timeout_ms > 0 ? timeout_ms : 1);
	char me[80] = "", why[160];
	sipconn_t *c = sipconn_open(p->transport, p->peer, p->tls, end, me, sizeof me, why, sizeof why);
	if (!c)
		return -1;
	struct ka_peer k = { .fd = -1 };
	char lip[INET6_ADDRSTRLEN + 2] = "";
	const char *colon = strrchr(me, ':');
	int v6 = me[0] == '[';
	snprintf(lip, sizeof lip, "%.*s", colon ? (int)(colon - me) - 2 * v6 : 0, me + v6);
	int st = 0;
	if (ka_request(&k, p->peer, from_user, lip, colon ? atoi(colon + 1) : 0, v6, p->transport) != 0 ||
	    sipconn_send(c, k.req, k.req_len, end) != 0)
		st = -1;
	uint8_t buf[SIP_MSG_MAX];
	while (st == 0) {
		int got = sipconn_recv(c, buf, sizeof buf, end);
		if (got <= 0) {
			st = got < 0 ? -1 : 0;
			break;
		}
		st = ka_answer(&k, buf, (size_t)got);
	}
	sipconn_close(c);
	return st;
}

/* A datagram on k's socket: the final status answering our OPTIONS, 0 for
 * anything else (a provisional, another transaction, junk). */
static int ka_answer(const struct ka_peer *k, const uint8_t *d, size_t len)
{
	sip_msg_t m;
	if (sip_msg_parse(d, len, &m) != 0 || m.is_request || m.status < 200)
		return 0;
	const sip_str_t *cid = sip_msg_header(&m, "Call-ID");
	uint32_t num;
	sip_str_t method;
	if (!cid || !sip_str_eq(*cid, k->call_id) || sip_cseq(&m, &num, &method) != 0 || num != 1 ||
	    !sip_str_eq(method, "OPTIONS"))
		return 0;
	return m.status;
}

int keepalive_status_up(int status)
{
	return status >= 200 && status != 503 && status != 408;
}

int keepalive_probe(keepalive_probe_t *p, size_t n, const char *from_user, int timeout_ms)
{
	struct ka_peer k[KEEPALIVE_PEERS_MAX];
	struct pollfd pf[KEEPALIVE_PEERS_MAX];
	size_t open = 0, i;
	if (!from_user || !*from_user)
		from_user = "faxvault";
	for (i = 0; i < n; i++)
		p[i].status = -1;
	if (n > KEEPALIVE_PEERS_MAX)
		n = KEEPALIVE_PEERS_MAX;
	for (i = 0; i < n; i++) {
		k[i].fd = -1;
		if (p[i].peer && !p[i].transport && ka_open(&k[i], p[i].peer, from_user) == 0) {
			p[i].status = 0;
			open++;
		}
	}
	int64_t start = time_mono_ns() / 1000000, next_tx = start, interval = KA_T1_MS;
	int64_t end = start + (timeout_ms > 0 ? timeout_ms : 1);
	size_t waiting = open;
	while (waiting > 0) {
		int64_t now = time_mono_ns() / 1000000;
		if (now >= end)
			break;
		if (now >= next_tx) {
			for (i = 0; i < n; i++)
				if (k[i].fd >= 0 && p[i].status == 0 &&
				    send(k[i].fd, k[i].req, k[i].req_len, MSG_NOSIGNAL) < 0 &&
				    errno == ECONNREFUSED) {
					p[i].status = -1;
					waiting--;
				}
			next_tx = now + interval;
			interval = interval * 2 < KA_T2_MS ? interval * 2 : KA_T2_MS;
		}
		nfds_t np = 0;
		size_t who[KEEPALIVE_PEERS_MAX];
		for (i = 0; i < n; i++)
			if (k[i].fd >= 0 && p[i].status == 0) {
				pf[np] = (struct pollfd){ .fd = k[i].fd, .events = POLLIN };
				who[np++] = i;
			}
		if (np == 0)
			break;
		int64_t wait = (next_tx < end ? next_tx : end) - now;
		int r = poll(pf, np, (int)(wait > 0 ? wait : 0));
		if (r < 0 && errno != EINTR)
			break;
		for (nfds_t j = 0; r > 0 && j < np; j++) {
			if (!(pf[j].revents & (POLLIN | POLLERR)))
				continue;
			size_t x = who[j];
			uint8_t buf[SIP_MSG_MAX];
			for (;;) {
				ssize_t got = recv(k[x].fd, buf, sizeof buf, 0);
				if (got < 0) {
					if (errno == ECONNREFUSED) {
						p[x].status = -1;
						waiting--;
					}
					break;
				}
				int st = ka_answer(&k[x], buf, (size_t)got);
				if (st > 0) {
					p[x].status = st;
					waiting--;
					break;
				}
			}
		}
	}
	for (i = 0; i < n; i++)
		if (k[i].fd >= 0)
			close(k[i].fd);
	for (i = 0; i < n; i++)
		if (p[i].peer && p[i].transport) {
			p[i].status = ka_stream(&p[i], from_user, timeout_ms);
			open++;
		}
	return open > 0 || n == 0 ? 0 : -1;
}
