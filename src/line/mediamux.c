/* A media loop's shared UDP socket and its peer table (see mediamux.h). */
#include "mediamux.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sipaddr.h"
#include "xalloc.h"

#define MASK (MEDIAMUX_SLOTS - 1)
#define SOCK_BUF (8 << 20)

_Static_assert((MEDIAMUX_SLOTS & MASK) == 0, "MEDIAMUX_SLOTS is a power of two");

/* The table's key of an address: 16 bytes of IPv6 (IPv4 mapped) and the
 * port in network order; -1 for another family. */
static int key_of(const struct sockaddr_storage *a, uint8_t ip[16], uint16_t *port)
{
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)a;
		memcpy(ip, &s6->sin6_addr, 16);
		*port = s6->sin6_port;
		return 0;
	}
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)a;
		memset(ip, 0, 10);
		ip[10] = ip[11] = 0xff;
		memcpy(ip + 12, &s4->sin_addr, 4);
		*port = s4->sin_port;
		return 0;
	}
	return -1;
}

static size_t hash(const uint8_t ip[16], uint16_t port)
{
	uint64_t hi, lo;
	memcpy(&hi, ip, 8);
	memcpy(&lo, ip + 8, 8);
	uint64_t k = (hi * 0x9e3779b97f4a7c15ULL) ^ lo ^ ((uint64_t)port << 48);
	k *= 0x9e3779b97f4a7c15ULL;
	return (size_t)(k >> 40) & MASK;
}

/* Bigger buffers than net.core.[rw]mem_max allows need privilege; ask for
 * them when we have it, and take what the limit gives otherwise. */
static void size_buffers(int fd)
{
	int want = SOCK_BUF;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof want) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof want) != 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof want);
}

mediamux_t *mediamux_open(const struct sockaddr_storage *bind_addr)
{
	mediamux_t *mx = xcalloc(1, sizeof *mx);
	mx->fd = socket(bind_addr->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_storage sa = *bind_addr;
	sipaddr_set_port(&sa, 0);
	socklen_t sl = sizeof sa;
	if (mx->fd < 0 || bind(mx->fd, (struct sockaddr *)&sa, sipaddr_len(&sa)) != 0 ||
	    getsockname(mx->fd, (struct sockaddr *)&sa, &sl) != 0) {
		int e = errno;
		if (mx->fd >= 0)
			close(mx->fd);
		free(mx);
		errno = e;
		return NULL;
	}
	size_buffers(mx->fd);
	mx->port = sipaddr_port(&sa);
	return mx;
}

void mediamux_close(mediamux_t *mx)
{
	if (!mx)
		return;
	close(mx->fd);
	free(mx);
}

static mediamux_slot_t *lookup(const mediamux_t *mx, const uint8_t ip[16], uint16_t port)
{
	size_t i = hash(ip, port);
	for (size_t n = 0; n < MEDIAMUX_SLOTS; n++, i = (i + 1) & MASK) {
		const mediamux_slot_t *s = &mx->slot[i];
		if (!s->port && !s->dead)
			return NULL;
		if (!s->dead && s->port == port && memcmp(s->ip, ip, 16) == 0)
			return (mediamux_slot_t *)s;
	}
	return NULL;
}

/* Rebuilds the table without its tombstones. */
static void rehash(mediamux_t *mx)
{
	mediamux_slot_t *old = xmalloc(sizeof mx->slot);
	memcpy(old, mx->slot, sizeof mx->slot);
	memset(mx->slot, 0, sizeof mx->slot);
	mx->used = mx->dead = 0;
	for (size_t k = 0; k < MEDIAMUX_SLOTS; k++) {
		if (!old[k].port || old[k].dead)
			continue;
		size_t i = hash(old[k].ip, old[k].port);
		while (mx->slot[i].port)
			i = (i + 1) & MASK;
		mx->slot[i] = old[k];
		mx->used++;
	}
	free(old);
}

int mediamux_set(mediamux_t *mx, const struct sockaddr_storage *peer, void *owner)
{
	uint8_t ip[16];
	uint16_t port;
	if (key_of(peer, ip, &port) != 0 || !port || !owner)
		return -1;
	mediamux_slot_t *s = lookup(mx, ip, port);
	if (s)
		return s->owner == owner ? 0 : -1;
	if (mx->used >= MEDIAMUX_SLOTS / 2)
		return -1;
	if (mx->used + mx->dead >= MEDIAMUX_SLOTS * 3 / 4)
		rehash(mx);
	size_t i = hash(ip, port);
	while (mx->slot[i].port && !mx->slot[i].dead)
		i = (i + 1) & MASK;
	if (mx->slot[i].dead)
		mx->dead--;
	mx->slot[i] = (mediamux_slot_t){.port = port, .owner = owner};
	memcpy(mx->slot[i].ip, ip, 16);
	mx->used++;
	return 0;
}

void mediamux_del(mediamux_t *mx, const struct sockaddr_storage *peer, void *owner)
{
	uint8_t ip[16];
	uint16_t port;
	mediamux_slot_t *s = key_of(peer, ip, &port) == 0 ? lookup(mx, ip, port) : NULL;
	if (!s || s->owner != owner)
		return;
	s->dead = 1;
	s->owner = NULL;
	mx->used--;
	mx->dead++;
}

void *mediamux_find(const mediamux_t *mx, const struct sockaddr_storage *src)
{
	uint8_t ip[16];
	uint16_t port;
	const mediamux_slot_t *s = key_of(src, ip, &port) == 0 ? lookup(mx, ip, port) : NULL;
	return s ? s->owner : NULL;
}
