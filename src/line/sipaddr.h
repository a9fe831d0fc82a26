/* Addresses of the line engine: IPv4 and IPv6 alike, kept in a struct
 * sockaddr_storage (sockets, peers, media), parsed from "IP:PORT",
 * "[IPv6]:PORT" or "HOST:PORT", and written the way SIP wants them:
 * a bracketed IPv6 reference in a URI, Via or Contact (RFC 3261 §25.1,
 * RFC 5118), the bare address in SDP (c=IN IP6) and in received=.
 * Pure but for sipaddr_parse's name lookup. */
#ifndef FV_LINE_SIPADDR_H
#define FV_LINE_SIPADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SIPADDR_STR_MAX 64 /* "[" IPv6 "]:" port, NUL: 1 + 45 + 2 + 5 + 1 */

/* The length to hand to bind, connect or sendto for a's family (0 for a
 * family that is neither AF_INET nor AF_INET6). */
socklen_t sipaddr_len(const struct sockaddr_storage *a);

/* Same family, address and port. */
int sipaddr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
/* Same family and address (any port). */
int sipaddr_same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

/* The port in host order (0 for an unknown family) / set it. */
uint16_t sipaddr_port(const struct sockaddr_storage *a);
void sipaddr_set_port(struct sockaddr_storage *a, uint16_t port);

/* The wildcard address (0.0.0.0 or ::). */
int sipaddr_is_any(const struct sockaddr_storage *a);

/* a from a literal address, IPv4 or IPv6 (with or without brackets), and
 * port. 0, or -1 when ip is neither (a zeroed). */
int sipaddr_from_ip(struct sockaddr_storage *a, const char *ip, uint16_t port);

/* a from "IP:PORT", "[IPv6]:PORT" or, with resolve, "NAME:PORT" (its
 * first IPv4 address, else its first IPv6 one, through getaddrinfo). An
 * IPv6 address without brackets is refused: its last colon would be taken
 * for the port's. 0, or -1. */
int sipaddr_parse(const char *hostport, struct sockaddr_storage *a, int resolve);

/* The address alone as text, no brackets ("::1", "127.0.0.1"); "?" for
 * an unknown family. Returns out. */
const char *sipaddr_ip(const struct sockaddr_storage *a, char *out, size_t n);

/* ip as a SIP host: "[::1]" for an IPv6 address, ip itself otherwise.
 * Returns out. */
const char *sipaddr_host(const char *ip, char *out, size_t n);

/* "IP:PORT" or "[IPv6]:PORT" (logs, hostports). Returns out. */
const char *sipaddr_str(const struct sockaddr_storage *a, char *out, size_t n);

#endif
