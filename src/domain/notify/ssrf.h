/* Where a webhook may be sent: URL parsing and the address checks that keep
 * webhooks away from the service's own network (loopback, private, link-
 * local, ...) unless the operator allow-lists a range. Everything here is
 * pure except ssrf_resolve(), which asks the resolver. */
#ifndef FV_SSRF_H
#define FV_SSRF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"

#define SSRF_URL_MAX 2048
#define SSRF_HOST_MAX 253
/* Allow-list entries read from webhooks.allow_cidrs. */
#define SSRF_ALLOW_MAX 32
/* Addresses of one host that are checked (all must pass). */
#define SSRF_ADDRS_MAX 16

typedef struct ssrf_url {
	bool https;                     /* false: http */
	char host[SSRF_HOST_MAX + 1];   /* lower case; an IPv6 literal without brackets */
	bool literal;                   /* the host is an IP address */
	int port;                       /* explicit, or 443 / 80 */
} ssrf_url_t;

/* Parses an absolute http(s) URL of len bytes (no NUL needed): printable
 * ASCII only, no user-info, no fragment, a DNS name or IP literal host, an
 * optional port 1..65535. 0, or -1 with a static reason in *why. */
int ssrf_url_parse(const char *s, size_t len, ssrf_url_t *out, const char **why);

/* Whether an address (family 4 or 6, as cidr_addr_parse gives it) is a
 * public unicast one. Refused: 0.0.0.0/8, 10/8, 100.64/10, 127/8,
 * 169.254/16, 172.16/12, 192.0.0/24, 192.0.2/24, 192.168/16, 198.18/15,
 * 198.51.100/24, 203.0.113/24, 224/4, 240/4; ::, ::1, ::/96, fe80::/10,
 * fec0::/10, fc00::/7, ff00::/8, 2001:db8::/32, 2001::/32 (Teredo), and
 * the IPv4 embedded in ::ffff:0:0/96, 64:ff9b::/96 and 2002::/16 judged as
 * IPv4. *why names the range refused. */
bool ssrf_addr_public(int family, const uint8_t addr[16], const char **why);

/* Parses a comma-separated CIDR list ("" or NULL: empty) into out (at most
 * max). The count, or -1 with *why. */
int ssrf_allow_parse(const char *list, cidr_t *out, int max, const char **why);
/* Whether addr is inside one of the n networks of allow (mapped IPv6 counts as IPv4). */
bool ssrf_allowed(int family, const uint8_t addr[16], const cidr_t *allow, int n);

/* The decision for one URL whose host resolved to n addresses: 0 when every
 * address is public or allow-listed, and for http:// when every one is
 * allow-listed; -1 with *why otherwise (also when n is 0). Pure. */
int ssrf_check(const ssrf_url_t *u, int n, const int *families, const uint8_t (*addrs)[16],
	const cidr_t *allow, int nallow, const char **why);

/* Resolves u's host (getaddrinfo) and applies ssrf_check with the allow
 * list text. 0 with the first address as text in addr (>= 46 bytes), to pin
 * the connection to; -1 with *why (a static string). */
int ssrf_resolve(const ssrf_url_t *u, const char *allow_list, char *addr, size_t addrlen,
	const char **why);

#endif
