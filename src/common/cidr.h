/* IPv4 and IPv6 networks in CIDR notation: the accounts' IP allow-lists, the
 * webhook SSRF guard and the trunks' inbound source lists. Pure. */
#ifndef FV_CIDR_H
#define FV_CIDR_H

#include <stdbool.h>
#include <stdint.h>

typedef struct cidr {
	int family;        /* 4 or 6 */
	uint8_t addr[16];  /* network address, host bits cleared */
	int prefix;        /* 0..32 or 0..128 */
} cidr_t;

/* Parses "A.B.C.D/N", "v6/N", or a bare address (a /32 or /128). Host bits
 * set beyond the prefix are refused, so what is stored is what is meant.
 * 0, or -1 with a static reason in *why. */
int cidr_parse(const char *s, cidr_t *out, const char **why);
/* Parses an address (IPv4, IPv6, or IPv4-mapped IPv6 which counts as IPv4). */
int cidr_addr_parse(const char *s, int *family, uint8_t addr[16]);
/* Whether addr (as given by cidr_addr_parse) is inside net. */
bool cidr_contains(const cidr_t *net, int family, const uint8_t addr[16]);
/* Whether the address text ip is inside net; false when ip is not an
 * address (an IPv4-mapped IPv6 address counts as IPv4). */
bool cidr_contains_text(const cidr_t *net, const char *ip);
/* Canonical text of net into out (>= 50 bytes). */
void cidr_format(const cidr_t *net, char *out, unsigned outlen);

#endif
