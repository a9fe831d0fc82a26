/* A media loop's shared UDP socket and its peer table (see mediamux.h). */
#include "mediamux.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xalloc.h"

#define MASK (MEDIAMUX_SLOTS - 1)
#define SOCK_BUF (8 << 20)

_Static_assert((MEDIAMUX_SLOTS & MASK) == 0, "MEDIAMUX_SLOTS is a power of two");

static size_t hash(uint32_t ip, uint16_t port)
{
	uint64_t k = ((uint64_t)ip << 16) ^ port;
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

mediamux_t *mediamux_open(const struct sockaddr_in *bind_addr)
{
	mediamux_t *mx = xcalloc(1, sizeof *mx);
	mx->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = bind_addr->sin_addr};
	socklen_t sl = sizeof sa;
	if (mx->fd < 0 || bind(mx->fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    getsockname(mx->fd, (struct sockaddr *)&sa, &sl) != 0) {
		int e = errno;
		if (mx->fd >= 0)
			close(mx->fd);
		free(mx);
		errno = e;
		return NULL;
	}
	size_buffers(mx->fd);
	mx->port = ntohs(sa.sin_port);
	return mx;
}

void mediamux_close(mediamux_t *mx)
{
	if (!mx)
		return;
	close(mx->fd);
	free(mx);
}

static mediamux_slot_t *lookup(const mediamux_t *mx, uint32_t ip, uint16_t port)
{
	size_t i = hash(ip, port);
	for (size_t n = 0; n < MEDIAMUX_SLOTS; n++, i = (i + 1) & MASK) {
		const mediamux_slot_t *s = &mx->slot[i];
		if (!s->port && !s->dead)
			return NULL;
		if (!s->dead && s->ip == ip && s->port == port)
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

int mediamux_set(mediamux_t *mx, const struct sockaddr_in *peer, void *owner)
{
	uint32_t ip = peer->sin_addr.s_addr;
	uint16_t port = peer->sin_port;
	if (!port || !owner)
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
	mx->slot[i] = (mediamux_slot_t){.ip = ip, .port = port, .owner = owner};
	mx->used++;
	return 0;
}

void mediamux_del(mediamux_t *mx, const struct sockaddr_in *peer, void *owner)
{
	mediamux_slot_t *s = lookup(mx, peer->sin_addr.s_addr, peer->sin_port);
	if (!s || s->owner != owner)
		return;
	s->dead = 1;
	s->owner = NULL;
	mx->used--;
	mx->dead++;
}

void *mediamux_find(const mediamux_t *mx, const struct sockaddr_in *src)
{
	const mediamux_slot_t *s = lookup(mx, src->sin_addr.s_addr, src->sin_port);
	return s ? s->owner : NULL;
}
