/* CIDR parsing and matching (see cidr.h). */
#include "cidr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "numparse.h"

int cidr_addr_parse(const char *s, int *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = 4;
		return 0;
	}
	uint8_t a6[16];
	if (inet_pton(AF_INET6, s, a6) != 1)
		return -1;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (memcmp(a6, mapped, 12) == 0) {
		memcpy(addr, a6 + 12, 4);
		*family = 4;
		return 0;
	}
	memcpy(addr, a6, 16);
	*family = 6;
	return 0;
}

int cidr_parse(const char *s, cidr_t *out, const char **why)
{
	char buf[64];
	size_t n = strlen(s);
	if (n == 0 || n >= sizeof buf) {
		*why = I18N("not an address or network");
		return -1;
	}
	memcpy(buf, s, n + 1);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	int family;
	if (cidr_addr_parse(buf, &family, out->addr) != 0 || (strchr(buf, ':') && family == 4)) {
		*why = I18N("not an IPv4 or IPv6 address");
		return -1;
	}
	int max = family == 4 ? 32 : 128;
	int64_t prefix = max;
	if (slash && parse_i64z(slash + 1, 0, max, &prefix) != 0) {
		*why = family == 4 ? "the prefix length must be 0 to 32" : "the prefix length must be 0 to 128";
		return -1;
	}
	out->family = family;
	out->prefix = (int)prefix;
	for (int bit = (int)prefix; bit < max; bit++)
		if (out->addr[bit / 8] & (0x80 >> (bit % 8))) {
			*why = I18N("host bits are set beyond the prefix (use the network address)");
			return -1;
		}
	return 0;
}

bool cidr_contains(const cidr_t *net, int family, const uint8_t addr[16])
{
	if (net->family != family)
		return false;
	int full = net->prefix / 8, rest = net->prefix % 8;
	if (memcmp(net->addr, addr, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (net->addr[full] & mask) == (addr[full] & mask);
}

bool cidr_contains_text(const cidr_t *net, const char *ip)
{
	int family;
	uint8_t addr[16];
	return ip && cidr_addr_parse(ip, &family, addr) == 0 && cidr_contains(net, family, addr);
}

void cidr_format(const cidr_t *net, char *out, unsigned outlen)
{
	char a[INET6_ADDRSTRLEN];
	inet_ntop(net->family == 4 ? AF_INET : AF_INET6, net->addr, a, sizeof a);
	snprintf(out, outlen, "%s/%d", a, net->prefix);
}
