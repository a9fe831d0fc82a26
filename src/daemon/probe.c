/* A port already taken is found before the data directory is touched: a
 * daemon that cannot serve must not migrate a database or create a key. */
#include "probe.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* libmicrohttpd's own listen() backlog when it binds itself. */
#define LISTEN_BACKLOG SOMAXCONN

/* Binds addr; keep: return the socket in *fd (listening when TCP) instead
 * of closing it. */
static int bind_addr(const char *addr, int socktype, bool keep, int *fd_out, char *err, size_t errlen)
{
	if (fd_out)
		*fd_out = -1;
	if (!addr || !*addr)
		return 0;
	char host[128], port[16];
	const char *colon = strrchr(addr, ':');
	if (!colon || (size_t)(colon - addr) >= sizeof host || strlen(colon + 1) >= sizeof port) {
		snprintf(err, errlen, "cannot listen on %s: not ADDR:PORT", addr);
		return -1;
	}
	const char *h = addr;
	size_t hl = (size_t)(colon - addr);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, sizeof port, "%s", colon + 1);
	if (!keep && strcmp(port, "0") == 0)
		return 0;
	struct addrinfo hints = { .ai_socktype = socktype, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	int g = getaddrinfo(host, port, &hints, &ai);
	if (g != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", addr, gai_strerror(g));
		return -1;
	}
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
	int one = 1, rc = -1;
	/* TCP as the listener does (a port in TIME_WAIT is free); UDP without,
	 * or a socket of another process sharing the port would not be seen. */
	if (fd >= 0 && (socktype != SOCK_STREAM ||
			   setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0) &&
	    (ai->ai_family != AF_INET6 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) == 0) &&
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
	    (!keep || socktype != SOCK_STREAM || listen(fd, LISTEN_BACKLOG) == 0))
		rc = 0;
	if (rc != 0)
		snprintf(err, errlen, "cannot listen on %s: %s", addr, strerror(errno));
	if (fd >= 0 && (rc != 0 || !keep))
		close(fd);
	else if (fd_out)
		*fd_out = fd;
	freeaddrinfo(ai);
	return rc;
}

int probe_bind(const char *addr, int socktype, char *err, size_t errlen)
{
	return bind_addr(addr, socktype, false, NULL, err, errlen);
}

int probe_listen(const char *addr, int socktype, int *fd, char *err, size_t errlen)
{
	return bind_addr(addr, socktype, true, fd, err, errlen);
}
