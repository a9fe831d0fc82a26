/* A media loop's shared UDP socket: one local port for every call of the
 * loop, each datagram handed to its call by the address it came from.
 *
 * With a socket per call, a tick costs a sendto and a recvmmsg per call;
 * with one socket per loop it costs one sendmmsg and a few recvmmsg for
 * all of them, and the kernel's paths stay warm (bench/fax measures it).
 * The price: a call is found by its peer's media address, so the peer must
 * send from the address it announced in SDP (symmetric RTP, RFC 4961, as
 * SIP trunks behind NAT do); a datagram from any other address is dropped
 * and counted. Each call still has its own peer address, SSRC and
 * sequence numbers.
 *
 * The table is not locked: its owner (a media loop) serializes access.
 * Addresses are IPv4 or IPv6 (an IPv4 one is kept as its IPv4-mapped IPv6
 * form, so a peer seen either way is one key); the socket has the family
 * of the address it is opened on. */
#ifndef FV_LINE_MEDIAMUX_H
#define FV_LINE_MEDIAMUX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define MEDIAMUX_SLOTS 4096 /* open addressing; at most half used (LINE_CALLS_MAX) */

typedef struct mediamux_slot {
	uint8_t ip[16]; /* IPv6, or IPv4-mapped IPv6 */
	uint16_t port;  /* network order; 0: empty */
	uint8_t dead;  /* removed (a tombstone: lookups go on past it) */
	void *owner;
} mediamux_slot_t;

#define MEDIAMUX_RX_BATCH 64  /* datagrams read per recvmmsg */
#define MEDIAMUX_RX_MAX 2048   /* bytes kept of a datagram */

typedef struct mediamux {
	int fd;
	uint16_t port;              /* local port, host order */
	size_t used;                /* live entries */
	size_t dead;                /* tombstones */
	mediamux_slot_t slot[MEDIAMUX_SLOTS];
	/* the loop's receive buffers, for its recvmmsg */
	uint8_t rx[MEDIAMUX_RX_BATCH][MEDIAMUX_RX_MAX];
	struct sockaddr_storage rx_from[MEDIAMUX_RX_BATCH];
} mediamux_t;

/* Opens the socket on bind_addr's IP, on any free port, with receive and
 * send buffers sized for a tick of 2,048 calls. Returns a mux the caller
 * frees with mediamux_close, or NULL (errno set). */
mediamux_t *mediamux_open(const struct sockaddr_storage *bind_addr);
void mediamux_close(mediamux_t *mx);

/* Datagrams from peer go to owner from now on. 0; -1 when peer belongs to
 * another owner (two calls cannot share a peer address) or the table is
 * full. */
int mediamux_set(mediamux_t *mx, const struct sockaddr_storage *peer, void *owner);
/* Forgets peer if owner has it; anything else is left alone. */
void mediamux_del(mediamux_t *mx, const struct sockaddr_storage *peer, void *owner);
/* The owner of datagrams from src, or NULL. */
void *mediamux_find(const mediamux_t *mx, const struct sockaddr_storage *src);

#endif
