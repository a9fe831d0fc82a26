/* clamd's INSTREAM protocol (see clamd.h). */
#include "clamd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* clamd's default StreamMaxLength is 25 MB in chunks; ours are 64 KiB. */
#define CHUNK 65536

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_addr(const char *addr, char *err, size_t errlen)
{
	const char *path = strncmp(addr, "unix:", 5) == 0 ? addr + 5 : addr[0] == '/' ? addr : NULL;
	if (path) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		if (strlen(path) >= sizeof sa.sun_path) {
			snprintf(err, errlen, "socket path too long");
			return -1;
		}
		memcpy(sa.sun_path, path, strlen(path) + 1);
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
			snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		return fd;
	}
	if (strncmp(addr, "tcp:", 4) != 0) {
		snprintf(err, errlen, "not unix:PATH or tcp:HOST:PORT");
		return -1;
	}
	char host[256];
	const char *hp = addr + 4, *colon = strrchr(hp, ':');
	if (!colon || (size_t)(colon - hp) >= sizeof host || colon == hp) {
		snprintf(err, errlen, "not tcp:HOST:PORT");
		return -1;
	}
	memcpy(host, hp, (size_t)(colon - hp));
	host[colon - hp] = '\0';
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	int g = getaddrinfo(host, colon + 1, &hints, &ai);
	if (g != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(g));
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		snprintf(err, errlen, "cannot connect to %s: %s", addr + 4, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* Waits until fd is ready for events or the deadline: 0, or -1. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - mono_ms();
		if (left <= 0)
			return -1;
		struct pollfd p = { .fd = fd, .events = events };
		int r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static int send_all(int fd, const void *p, size_t n, int64_t deadline)
{
	const uint8_t *b = p;
	while (n) {
		if (wait_fd(fd, POLLOUT, deadline) != 0)
			return -1;
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

enum clamd_verdict clamd_reply_parse(const char *reply, size_t n, char name[CLAMD_NAME_MAX],
	char *err, size_t errlen)
{
	name[0] = '\0';
	char line[256];
	size_t k = 0;
	while (k < n && k < sizeof line - 1 && reply[k] != '\0' && reply[k] != '\n') {
		line[k] = reply[k];
		k++;
	}
	line[k] = '\0';
	/* "stream: " then the verdict; older clamd versions may omit "stream". */
	const char *v = strncmp(line, "stream: ", 8) == 0 ? line + 8 : line;
	size_t vl = strlen(v);
	if (strcmp(v, "OK") == 0)
		return CLAMD_CLEAN;
	if (vl > 6 && strcmp(v + vl - 6, " FOUND") == 0) {
		size_t nl = vl - 6;
		if (nl >= CLAMD_NAME_MAX)
			nl = CLAMD_NAME_MAX - 1;
		for (size_t i = 0; i < nl; i++)
			name[i] = (v[i] >= 0x20 && v[i] < 0x7f) ? v[i] : '?';
		name[nl] = '\0';
		return CLAMD_INFECTED;
	}
	/* ERROR or anything else: keep it short and printable for the log. */
	size_t el = strlen(line) < 80 ? strlen(line) : 80;
	char safe[81];
	for (size_t i = 0; i < el; i++)
		safe[i] = (line[i] >= 0x20 && line[i] < 0x7f) ? line[i] : '?';
	safe[el] = '\0';
	snprintf(err, errlen, "scanner answered \"%s\"", safe);
	return CLAMD_ERROR;
}

enum clamd_verdict clamd_scan(const char *addr, const void *data, size_t len, int timeout_ms,
	char name[CLAMD_NAME_MAX], char *err, size_t errlen)
{
	name[0] = '\0';
	int64_t deadline = mono_ms() + (timeout_ms > 0 ? timeout_ms : 30000);
	int fd = connect_addr(addr, err, errlen);
	if (fd < 0)
		return CLAMD_ERROR;
	enum clamd_verdict v = CLAMD_ERROR;
	int ok = send_all(fd, "zINSTREAM", 10, deadline) == 0;
	const uint8_t *b = data;
	for (size_t off = 0; ok && off < len; off += CHUNK) {
		size_t n = len - off < CHUNK ? len - off : CHUNK;
		uint32_t be = htonl((uint32_t)n);
		ok = send_all(fd, &be, 4, deadline) == 0 && send_all(fd, b + off, n, deadline) == 0;
	}
	uint32_t end = 0;
	if (ok)
		ok = send_all(fd, &end, 4, deadline) == 0;
	char reply[512];
	size_t got = 0;
	/* The reply ends with NUL (z-command); clamd closes after it. A reply
	 * may also come early (size limit exceeded). */
	while (got < sizeof reply - 1 && (!got || !memchr(reply, '\0', got))) {
		if (wait_fd(fd, POLLIN, deadline) != 0)
			break;
		ssize_t r = recv(fd, reply + got, sizeof reply - 1 - got, MSG_DONTWAIT);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got)
		v = clamd_reply_parse(reply, got, name, err, errlen);
	else
		snprintf(err, errlen, ok ? "no answer from the scanner in time" :
			"the scanner stopped reading");
	return v;
}
