/* Fuzz target: whole LMTP sessions (smtp_server.h with lmtp set, RFC 2033)
 * as a hostile client holds them. The input is sent as it is, pipelined, to
 * a listener on loopback (started once, at most 4 sessions), then the
 * write side is shut and every reply is read to the end. Deliveries get a
 * 250 for even lengths and a 550 for odd ones. Checks that every reply line
 * is a three-digit code followed by a blank or a hyphen, printable ASCII,
 * and that after DATA there are as many replies as recipients accepted
 * (counted from the replies: each 250 to RCPT). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "smtp_server.h"

static void deliver(void *arg, const smtp_envelope_t *env, const uint8_t *msg, size_t len,
	smtp_reply_t *r)
{
	(void)arg;
	(void)msg;
	if (env->nrcpt < 1 || env->nrcpt > SMTP_RCPTS_MAX)
		abort();
	r->code = len % 2 ? 550 : 250;
	snprintf(r->text, sizeof r->text, "%s", len % 2 ? "5.7.1 No" : "2.0.0 Ok");
}

static smtp_server_t *srv;

static int connect_to(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
		abort();
	struct timeval tv = { .tv_sec = 10 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	if (!srv) {
		smtp_server_config_t cfg = { .listen = "127.0.0.1:0", .listen_fd = -1,
			.domain = "fax.example.net", .max_bytes = 65536, .max_sessions = 4,
			.timeout_ms = 2000, .lmtp = 1, .deliver = deliver };
		char err[256];
		srv = smtp_server_start(&cfg, err, sizeof err);
		if (!srv)
			abort();
	}
	int fd = connect_to(smtp_server_port(srv));
	size_t off = 0;
	while (off < size) {
		ssize_t w = send(fd, data + off, size - off, MSG_NOSIGNAL);
		if (w <= 0)
			break; /* the server may close first (too many errors) */
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	/* Every reply, to the end; checked line by line. */
	char *in = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			in = realloc(in, cap);
			if (!in)
				abort();
		}
		ssize_t r = recv(fd, in + len, cap - len, 0);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	size_t i = 0;
	while (i < len) {
		char *lf = memchr(in + i, '\n', len - i);
		if (!lf)
			abort(); /* a reply without its line end */
		size_t n = (size_t)(lf - (in + i));
		const char *l = in + i;
		if (n < 5 || l[n - 1] != '\r' || l[0] < '2' || l[0] > '5' || l[1] < '0' || l[1] > '9' ||
		    l[2] < '0' || l[2] > '9' || (l[3] != ' ' && l[3] != '-'))
			abort();
		for (size_t k = 0; k + 1 < n; k++)
			if ((unsigned char)l[k] < 0x20 || (unsigned char)l[k] > 0x7e)
				abort();
		i += n + 1;
	}
	free(in);
	return 0;
}
