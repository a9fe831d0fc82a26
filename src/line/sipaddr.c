/* Addresses of the line engine, IPv4 and IPv6 (see sipaddr.h). */
#include "sipaddr.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "numparse.h"

socklen_t sipaddr_len(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return sizeof(struct sockaddr_in);
	if (a->ss_family == AF_INET6)
		return sizeof(struct sockaddr_in6);
	return 0;
}

int sipaddr_same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr,
			      sizeof(struct in6_addr)) == 0;
	return 0;
}

int sipaddr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	return sipaddr_same_host(a, b) && sipaddr_port(a) == sipaddr_port(b);
}

uint16_t sipaddr_port(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)a)->sin_port);
	if (a->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
	return 0;
}

void sipaddr_set_port(struct sockaddr_storage *a, uint16_t port)
{
	if (a->ss_family == AF_INET)
		((struct sockaddr_in *)a)->sin_port = htons(port);
	else if (a->ss_family == AF_INET6)
		((struct sockaddr_in6 *)a)->sin6_port = htons(port);
}

int sipaddr_is_any(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr == htonl(INADDR_ANY);
	if (a->ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)a)->sin6_addr);
	return 0;
}

int sipaddr_from_ip(struct sockaddr_storage *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof *a);
	char tmp[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(ip);
	if (n >= 2 && ip[0] == '[' && ip[n - 1] == ']') {
		if (n - 2 >= sizeof tmp)
			return -1;
		memcpy(tmp, ip + 1, n - 2);
		tmp[n - 2] = '\0';
		ip = tmp;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)a;
		if (inet_pton(AF_INET6, ip, &s6->sin6_addr) != 1)
			return -1;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		return 0;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)a;
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		return 0;
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)a;
	memset(a, 0, sizeof *a);
	if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		return 0;
	}
	memset(a, 0, sizeof *a);
	return -1;
}

int sipaddr_parse(const char *hostport, struct sockaddr_storage *a, int resolve)
{
	memset(a, 0, sizeof *a);
	const char *colon = strrchr(hostport, ':');
	if (!colon)
		return -1;
	char host[256];
	size_t hn = (size_t)(colon - hostport);
	if (hn == 0 || hn >= sizeof host)
		return -1;
	memcpy(host, hostport, hn);
	host[hn] = '\0';
	int64_t port;
	if (parse_i64z(colon + 1, 0, 65535, &port) != 0)
		return -1;
	if (host[0] == '[')
		return host[hn - 1] == ']' ? sipaddr_from_ip(a, host, (uint16_t)port) : -1;
	if (strchr(host, ':'))
		return -1; /* an IPv6 address needs its brackets here */
	if (sipaddr_from_ip(a, host, (uint16_t)port) == 0)
		return 0;
	if (!resolve)
		return -1;
	for (int fam = 0; fam < 2; fam++) {
		struct addrinfo hints = {.ai_family = fam ? AF_INET6 : AF_INET, .ai_socktype = SOCK_DGRAM}, *ai = NULL;
		if (getaddrinfo(host, NULL, &hints, &ai) != 0 || !ai)
			continue;
		memcpy(a, ai->ai_addr, ai->ai_addrlen <= sizeof *a ? ai->ai_addrlen : sizeof *a);
		freeaddrinfo(ai);
		sipaddr_set_port(a, (uint16_t)port);
		return 0;
	}
	memset(a, 0, sizeof *a);
	return -1;
}

const char *sipaddr_ip(const struct sockaddr_storage *a, char *out, size_t n)
{
	const void *src = a->ss_family == AF_INET    ? (const void *)&((const struct sockaddr_in *)a)->sin_addr
			  : a->ss_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)a)->sin6_addr
						     : NULL;
	if (!src || !inet_ntop(a->ss_family, src, out, (socklen_t)n))
		snprintf(out, n, "?");
	return out;
}

const char *sipaddr_host(const char *ip, char *out, size_t n)
{
	snprintf(out, n, strchr(ip, ':') && ip[0] != '[' ? "[%s]" : "%s", ip);
	return out;
}

const char *sipaddr_str(const struct sockaddr_storage *a, char *out, size_t n)
{
	char ip[INET6_ADDRSTRLEN];
	sipaddr_ip(a, ip, sizeof ip);
	snprintf(out, n, a->ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, sipaddr_port(a));
	return out;
}
