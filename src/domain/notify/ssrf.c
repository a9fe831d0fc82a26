/* Webhook URL parsing and address checks (see ssrf.h). */
#include "notify.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "i18n.h"

static bool lower_eq(const char *s, size_t n, const char *word)
{
	if (strlen(word) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch != word[i])
			return false;
	}
	return true;
}

int ssrf_url_parse(const char *s, size_t len, ssrf_url_t *out, const char **why)
{
	memset(out, 0, sizeof *out);
	if (len == 0 || len > SSRF_URL_MAX) {
		*why = I18N("the URL is empty or longer than 2048 characters");
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f) {
			*why = I18N("the URL must be printable ASCII without spaces");
			return -1;
		}
	if (memchr(s, '#', len)) {
		*why = I18N("the URL must not have a fragment");
		return -1;
	}
	const char *sep = NULL;
	for (size_t i = 0; i + 2 < len; i++)
		if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/') {
			sep = s + i;
			break;
		}
	if (!sep) {
		*why = I18N("the URL must start with https://");
		return -1;
	}
	size_t sl = (size_t)(sep - s);
	if (lower_eq(s, sl, "https"))
		out->https = true;
	else if (!lower_eq(s, sl, "http")) {
		*why = I18N("the URL must start with https://");
		return -1;
	}
	const char *a = sep + 3, *end = s + len, *ae = a;
	while (ae < end && *ae != '/' && *ae != '?')
		ae++;
	if (memchr(a, '@', (size_t)(ae - a))) {
		*why = I18N("the URL must not carry a user name or password");
		return -1;
	}
	const char *h = a, *he, *port = NULL;
	if (h < ae && *h == '[') {
		he = memchr(h, ']', (size_t)(ae - h));
		if (!he) {
			*why = I18N("the IPv6 address of the URL is not closed by ]");
			return -1;
		}
		h++;
		if (he + 1 < ae) {
			if (he[1] != ':') {
				*why = I18N("unexpected characters after the IPv6 address");
				return -1;
			}
			port = he + 2;
		}
		out->literal = true;
	} else {
		he = h;
		while (he < ae && *he != ':')
			he++;
		if (he < ae)
			port = he + 1;
	}
	size_t hl = (size_t)(he - h);
	if (hl == 0 || hl > SSRF_HOST_MAX) {
		*why = I18N("the URL has no host, or one longer than 253 characters");
		return -1;
	}
	for (size_t i = 0; i < hl; i++) {
		char ch = h[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
			(out->literal && ch == ':');
		if (!ok) {
			*why = I18N("the host of the URL has characters a host name cannot have");
			return -1;
		}
		out->host[i] = ch;
	}
	out->host[hl] = '\0';
	uint8_t tmp[16];
	if (out->literal) {
		if (inet_pton(AF_INET6, out->host, tmp) != 1) {
			*why = I18N("the IPv6 address of the URL is not valid");
			return -1;
		}
	} else if (inet_pton(AF_INET, out->host, tmp) == 1) {
		out->literal = true;
	} else if (out->host[0] == '.' || out->host[0] == '-' || strstr(out->host, "..")) {
		*why = I18N("the host of the URL is not a valid name");
		return -1;
	}
	out->port = out->https ? 443 : 80;
	if (port) {
		if (port == ae) {
			*why = I18N("the port of the URL is empty");
			return -1;
		}
		long p = 0;
		for (const char *q = port; q < ae; q++) {
			if (*q < '0' || *q > '9' || p > 65535) {
				*why = I18N("the port of the URL must be a number from 1 to 65535");
				return -1;
			}
			p = p * 10 + (*q - '0');
		}
		if (p < 1 || p > 65535) {
			*why = I18N("the port of the URL must be a number from 1 to 65535");
			return -1;
		}
		out->port = (int)p;
	}
	return 0;
}

/* A refused range: the network and what it is, for the reason given. */
struct range {
	cidr_t net;
	const char *name;
};

static const struct range v4_refused[] = {
	{ { 4, { 0 }, 8 }, "0.0.0.0/8 (this network)" },
	{ { 4, { 10 }, 8 }, "10.0.0.0/8 (private)" },
	{ { 4, { 100, 64 }, 10 }, "100.64.0.0/10 (carrier-grade NAT)" },
	{ { 4, { 127 }, 8 }, "127.0.0.0/8 (loopback)" },
	{ { 4, { 169, 254 }, 16 }, "169.254.0.0/16 (link-local)" },
	{ { 4, { 172, 16 }, 12 }, "172.16.0.0/12 (private)" },
	{ { 4, { 192, 0, 0 }, 24 }, "192.0.0.0/24 (protocol assignments)" },
	{ { 4, { 192, 0, 2 }, 24 }, "192.0.2.0/24 (documentation)" },
	{ { 4, { 192, 168 }, 16 }, "192.168.0.0/16 (private)" },
	{ { 4, { 198, 18 }, 15 }, "198.18.0.0/15 (benchmarking)" },
	{ { 4, { 198, 51, 100 }, 24 }, "198.51.100.0/24 (documentation)" },
	{ { 4, { 203, 0, 113 }, 24 }, "203.0.113.0/24 (documentation)" },
	{ { 4, { 224 }, 4 }, "224.0.0.0/4 (multicast)" },
	{ { 4, { 240 }, 4 }, "240.0.0.0/4 (reserved, broadcast)" },
};

static const struct range v6_refused[] = {
	{ { 6, { 0 }, 128 }, ":: (unspecified)" },
	{ { 6, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, 128 }, "::1 (loopback)" },
	{ { 6, { 0 }, 96 }, "::/96 (IPv4-compatible)" },
	{ { 6, { 0xfe, 0x80 }, 10 }, "fe80::/10 (link-local)" },
	{ { 6, { 0xfe, 0xc0 }, 10 }, "fec0::/10 (site-local)" },
	{ { 6, { 0xfc }, 7 }, "fc00::/7 (unique local)" },
	{ { 6, { 0xff }, 8 }, "ff00::/8 (multicast)" },
	{ { 6, { 0x20, 0x01, 0x0d, 0xb8 }, 32 }, "2001:db8::/32 (documentation)" },
	{ { 6, { 0x20, 0x01, 0, 0 }, 32 }, "2001::/32 (Teredo)" },
	{ { 6, { 0x01, 0, 0, 0, 0, 0, 0, 0 }, 64 }, "100::/64 (discard)" },
};

bool ssrf_addr_public(int family, const uint8_t addr[16], const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	uint8_t v4[16] = { 0 };
	if (family == 6) {
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		static const uint8_t nat64[12] = { 0, 0x64, 0xff, 0x9b };
		if (memcmp(addr, mapped, 12) == 0 || memcmp(addr, nat64, 12) == 0) {
			memcpy(v4, addr + 12, 4);
			return ssrf_addr_public(4, v4, why);
		}
		if (addr[0] == 0x20 && addr[1] == 0x02) {
			memcpy(v4, addr + 2, 4);
			return ssrf_addr_public(4, v4, why);
		}
		for (size_t i = 0; i < sizeof v6_refused / sizeof v6_refused[0]; i++)
			if (cidr_contains(&v6_refused[i].net, 6, addr)) {
				*why = v6_refused[i].name;
				return false;
			}
		return true;
	}
	if (family != 4) {
		*why = I18N("not an IP address");
		return false;
	}
	for (size_t i = 0; i < sizeof v4_refused / sizeof v4_refused[0]; i++)
		if (cidr_contains(&v4_refused[i].net, 4, addr)) {
			*why = v4_refused[i].name;
			return false;
		}
	return true;
}

int ssrf_allow_parse(const char *list, cidr_t *out, int max, const char **why)
{
	int n = 0;
	if (!list)
		return 0;
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *q = p;
		while (*q && *q != ',' && *q != ' ')
			q++;
		if (q == p)
			break;
		char item[64];
		if ((size_t)(q - p) >= sizeof item) {
			*why = I18N("an allow-list entry is too long");
			return -1;
		}
		if (n >= max) {
			*why = I18N("too many allow-list entries");
			return -1;
		}
		memcpy(item, p, (size_t)(q - p));
		item[q - p] = '\0';
		if (cidr_parse(item, &out[n], why) != 0)
			return -1;
		n++;
		p = q;
	}
	return n;
}

bool ssrf_allowed(int family, const uint8_t addr[16], const cidr_t *allow, int n)
{
	uint8_t a[16];
	memcpy(a, addr, 16);
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (family == 6 && memcmp(addr, mapped, 12) == 0) {
		memset(a, 0, 16);
		memcpy(a, addr + 12, 4);
		family = 4;
	}
	for (int i = 0; i < n; i++)
		if (cidr_contains(&allow[i], family, a))
			return true;
	return false;
}

int ssrf_check(const ssrf_url_t *u, int n, const int *families, const uint8_t (*addrs)[16],
	const cidr_t *allow, int nallow, const char **why)
{
	if (n <= 0) {
		*why = I18N("the host of the URL has no address");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		bool listed = ssrf_allowed(families[i], addrs[i], allow, nallow);
		if (listed)
			continue;
		if (!u->https) {
			*why = I18N("http:// is only for hosts the operator allow-lists: use https://");
			return -1;
		}
		const char *range;
		if (!ssrf_addr_public(families[i], addrs[i], &range)) {
			*why = I18N("the URL's host resolves to an address that is not public");
			return -1;
		}
	}
	return 0;
}

int ssrf_resolve(const ssrf_url_t *u, const char *allow_list, char *addr, size_t addrlen,
	const char **why)
{
	cidr_t allow[SSRF_ALLOW_MAX];
	int nallow = ssrf_allow_parse(allow_list, allow, SSRF_ALLOW_MAX, why);
	if (nallow < 0)
		return -1;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC };
	if (u->literal)
		hints.ai_flags = AI_NUMERICHOST;
	struct addrinfo *res = NULL;
	if (getaddrinfo(u->host, NULL, &hints, &res) != 0 || !res) {
		*why = I18N("the host of the URL could not be resolved");
		return -1;
	}
	int fams[SSRF_ADDRS_MAX], n = 0;
	uint8_t addrs[SSRF_ADDRS_MAX][16];
	for (struct addrinfo *ai = res; ai && n < SSRF_ADDRS_MAX; ai = ai->ai_next) {
		memset(addrs[n], 0, 16);
		if (ai->ai_family == AF_INET) {
			memcpy(addrs[n], &((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr, 4);
			fams[n++] = 4;
		} else if (ai->ai_family == AF_INET6) {
			memcpy(addrs[n], &((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr, 16);
			fams[n++] = 6;
		}
	}
	freeaddrinfo(res);
	if (ssrf_check(u, n, fams, (const uint8_t(*)[16])addrs, allow, nallow, why) != 0)
		return -1;
	if (!inet_ntop(fams[0] == 4 ? AF_INET : AF_INET6, addrs[0], addr, (socklen_t)addrlen)) {
		*why = I18N("the address of the URL's host could not be formatted");
		return -1;
	}
	return 0;
}
