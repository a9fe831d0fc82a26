/* Which trunk a carrier's INVITE came through (see trunk_inbound.h). */
#include "trunk_inbound.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "cidr.h"
#include "resolve.h"

#define PICK_MAX 64 /* trunks sharing one source, at most */

/* The binary form of an IPv4 or IPv6 address text into a (16 bytes): its
 * length (4 or 16), or 0 for a name. */
static int addr_of(const char *s, size_t n, unsigned char a[16])
{
	char buf[64];
	if (n >= sizeof buf)
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, a) == 1)
		return 4;
	return inet_pton(AF_INET6, buf, a) == 1 ? 16 : 0;
}

/* Whether one certificate name (n bytes) holds name. */
static int name_holds(const char *cn, size_t n, const char *name)
{
	unsigned char a[16], b[16];
	int al = addr_of(name, strlen(name), a);
	if (al)
		return addr_of(cn, n, b) == al && memcmp(a, b, (size_t)al) == 0;
	size_t len = strlen(name);
	if (n == len && strncasecmp(cn, name, n) == 0)
		return 1;
	/* "*.carrier.example" covers "sip.carrier.example", not
	 * "carrier.example" nor "a.sip.carrier.example" */
	const char *dot = strchr(name, '.');
	return n > 2 && cn[0] == '*' && cn[1] == '.' && dot && dot != name && strlen(dot + 1) == n - 2 &&
	       strncasecmp(cn + 2, dot + 1, n - 2) == 0 && strchr(dot + 1, '.');
}

int trunk_names_hold(const char *names, const char *name)
{
	if (!names || !name || !*name)
		return 0;
	const char *p = names;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n && name_holds(p, n, name))
			return 1;
		p += n;
	}
	return 0;
}

int trunk_inbound_cert_ok(const json_t *t, const char *names)
{
	const char *want = json_string_value(json_object_get(t, "tls_peer_name"));
	return !want || !*want || trunk_names_hold(names, want);
}

static int auth_is(const json_t *t, const char *mode)
{
	const char *a = json_string_value(json_object_get(t, "inbound_auth"));
	return strcmp(a ? a : "source", mode) == 0;
}

static int source_holds(const json_t *t, const char *ip)
{
	size_t k;
	const json_t *c;
	json_array_foreach(json_object_get(t, "inbound_cidrs"), k, c) {
		cidr_t net;
		const char *why;
		if (json_is_string(c) && cidr_parse(json_string_value(c), &net, &why) == 0 &&
		    cidr_contains_text(&net, ip))
			return 1;
	}
	return 0;
}

/* Whether the host of trunk t's peer is host (names case aside,
 * addresses by value). */
static int peer_host_is(const json_t *t, const char *host)
{
	const char *peer = json_string_value(json_object_get(t, "peer"));
	char h[RESOLVE_NAME_MAX];
	int port = 0, literal = 0;
	if (!peer || !host || !*host || resolve_peer_split(peer, h, sizeof h, &port, &literal) != 0)
		return 0;
	unsigned char a[16], b[16];
	int al = addr_of(h, strlen(h), a);
	if (al)
		return addr_of(host, strlen(host), b) == al && memcmp(a, b, (size_t)al) == 0;
	return strcasecmp(h, host) == 0;
}

const json_t *trunk_inbound_pick(const json_t *trunks, const trunk_inbound_call_t *c, int *why)
{
	const json_t *cand[PICK_MAX];
	size_t n = 0, i;
	int named_out = 0;
	const json_t *t;
	json_array_foreach(trunks, i, t) {
		if (auth_is(t, "digest") || !source_holds(t, c->src_ip))
			continue;
		if (!trunk_inbound_cert_ok(t, c->peer_names)) {
			named_out = 1;
			continue;
		}
		if (n < PICK_MAX)
			cand[n++] = t;
	}
	if (n == 0) {
		*why = named_out ? TRUNK_PICK_NAME : TRUNK_PICK_NONE;
		return NULL;
	}
	*why = 0;
	if (n == 1)
		return cand[0];
	/* 1. the credentials it gives (checked next, by carrier_authenticate) */
	for (i = 0; c->auth_user && *c->auth_user && i < n; i++) {
		const char *u = json_string_value(json_object_get(cand[i], "username"));
		if (auth_is(cand[i], "source_and_digest") && u && strcmp(u, c->auth_user) == 0)
			return cand[i];
	}
	/* 2. the trunk its called number is on */
	for (i = 0; c->number_on && i < n; i++)
		if (c->number_on(c->ud, cand[i]))
			return cand[i];
	/* 3. the trunk whose peer it names */
	for (i = 0; i < n; i++)
		if (peer_host_is(cand[i], c->ruri_host) || peer_host_is(cand[i], c->to_host))
			return cand[i];
	return cand[0];
}
