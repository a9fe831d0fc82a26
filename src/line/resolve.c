/* RFC 3263 resolution of a trunk's peer (see resolve.h). */
#include "resolve.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "timeutil.h"

#define DNS_ANSWER_MAX 8192
#define CACHE_SLOTS 64

const char *resolve_transport_name(int transport)
{
	return transport == RESOLVE_TLS ? "tls" : transport == RESOLVE_TCP ? "tcp" : "udp";
}

static int valid_hostname(const char *h, size_t n)
{
	if (n == 0 || n > 253)
		return 0;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		char c = h[i];
		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_'))
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

int resolve_peer_split(const char *peer, char *host, size_t hostcap, int *port, int *literal)
{
	*port = 0;
	*literal = 0;
	if (!peer || !*peer || hostcap < 2)
		return -1;
	const char *h = peer, *end;
	size_t n;
	if (peer[0] == '[') {
		const char *rb = strchr(peer, ']');
		if (!rb || rb[1] != ':')
			return -1;
		h = peer + 1;
		n = (size_t)(rb - h);
		end = rb + 1;
	} else {
		const char *colon = strchr(peer, ':');
		if (colon && strchr(colon + 1, ':'))
			return -1; /* an IPv6 literal without brackets, or garbage */
		end = colon ? colon : peer + strlen(peer);
		n = (size_t)(end - h);
	}
	if (n == 0 || n >= hostcap)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	if (*end == ':') {
		const char *p = end + 1;
		long v = 0;
		if (!*p || strlen(p) > 5)
			return -1;
		for (; *p; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			v = v * 10 + (*p - '0');
		}
		if (v < 1 || v > 65535)
			return -1;
		*port = (int)v;
	}
	unsigned char a[16];
	if (peer[0] == '[') {
		if (inet_pton(AF_INET6, host, a) != 1)
			return -1;
		*literal = 6;
		return 0;
	}
	if (inet_pton(AF_INET, host, a) == 1) {
		if (!*port)
			return -1; /* a literal address needs its port, as before */
		*literal = 4;
		return 0;
	}
	/* digits and dots only, but not an address: not a name either */
	if (strspn(host, "0123456789.") == n)
		return -1;
	return valid_hostname(host, n) ? 0 : -1;
}

/* ---- answers (pure) ---- */

static int u16at(const unsigned char *p)
{
	return (p[0] << 8) | p[1];
}

/* A <character-string> at p (limit end) into out (cap bytes, truncated);
 * the byte after it, or NULL when it overruns. */
static const unsigned char *charstr(const unsigned char *p, const unsigned char *end, char *out, size_t cap)
{
	if (p >= end)
		return NULL;
	size_t n = *p++;
	if (n > (size_t)(end - p))
		return NULL;
	size_t k = n < cap - 1 ? n : cap - 1;
	memcpy(out, p, k);
	out[k] = '\0';
	for (size_t i = 0; i < k; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e)
			out[i] = '?';
	return p + n;
}

/* Walks the answer section of msg; calls each for every record of type. */
static int each_answer(const uint8_t *msg, size_t len, int type,
	int (*each)(ns_msg *m, ns_rr *rr, void *ud), void *ud)
{
	ns_msg m;
	if (len > DNS_ANSWER_MAX * 8 || ns_initparse(msg, (int)len, &m) != 0)
		return -1;
	int count = ns_msg_count(m, ns_s_an);
	for (int i = 0; i < count; i++) {
		ns_rr rr;
		if (ns_parserr(&m, ns_s_an, i, &rr) != 0)
			return -1;
		if ((int)ns_rr_type(rr) == type && ns_rr_class(rr) == ns_c_in)
			each(&m, &rr, ud);
	}
	return 0;
}

struct collect {
	void *out;
	int n, max;
};

static int name_ok(const char *s)
{
	return valid_hostname(s, strlen(s)) || strcmp(s, ".") == 0 || *s == '\0';
}

static int srv_one(ns_msg *m, ns_rr *rr, void *ud)
{
	struct collect *c = ud;
	const unsigned char *p = ns_rr_rdata(*rr);
	int rl = ns_rr_rdlen(*rr);
	if (c->n >= c->max || rl < 7)
		return 0;
	resolve_srv_t *s = (resolve_srv_t *)c->out + c->n;
	s->priority = u16at(p);
	s->weight = u16at(p + 2);
	s->port = u16at(p + 4);
	s->ttl = ns_rr_ttl(*rr);
	if (dn_expand(ns_msg_base(*m), ns_msg_end(*m), p + 6, s->target, sizeof s->target) != rl - 6 ||
	    !name_ok(s->target))
		return 0;
	c->n++;
	return 0;
}

static int naptr_one(ns_msg *m, ns_rr *rr, void *ud)
{
	struct collect *c = ud;
	const unsigned char *p = ns_rr_rdata(*rr), *end = p + ns_rr_rdlen(*rr);
	if (c->n >= c->max || end - p < 8)
		return 0;
	resolve_naptr_t *r = (resolve_naptr_t *)c->out + c->n;
	char regexp[256];
	r->order = u16at(p);
	r->pref = u16at(p + 2);
	r->ttl = ns_rr_ttl(*rr);
	p += 4;
	if (!(p = charstr(p, end, r->flags, sizeof r->flags)) || !(p = charstr(p, end, r->service, sizeof r->service)) ||
	    !(p = charstr(p, end, regexp, sizeof regexp)) || p >= end)
		return 0;
	if (dn_expand(ns_msg_base(*m), ns_msg_end(*m), p, r->replacement, sizeof r->replacement) != (int)(end - p) ||
	    !name_ok(r->replacement))
		return 0;
	c->n++;
	return 0;
}

int resolve_parse_srv(const uint8_t *msg, size_t len, resolve_srv_t *out, int max)
{
	struct collect c = { out, 0, max };
	return each_answer(msg, len, ns_t_srv, srv_one, &c) == 0 ? c.n : -1;
}

int resolve_parse_naptr(const uint8_t *msg, size_t len, resolve_naptr_t *out, int max)
{
	struct collect c = { out, 0, max };
	return each_answer(msg, len, ns_t_naptr, naptr_one, &c) == 0 ? c.n : -1;
}

int resolve_naptr_transport(const char *service)
{
	if (strcasecmp(service, "SIP+D2U") == 0)
		return RESOLVE_UDP;
	if (strcasecmp(service, "SIP+D2T") == 0)
		return RESOLVE_TCP;
	if (strcasecmp(service, "SIPS+D2T") == 0)
		return RESOLVE_TLS;
	return 0;
}

static uint32_t default_rnd(void *ud)
{
	(void)ud;
	return ((uint32_t)random() << 16) ^ (uint32_t)random();
}

static int by_priority(const void *a, const void *b)
{
	const resolve_srv_t *x = a, *y = b;
	return x->priority - y->priority;
}

void resolve_srv_order(resolve_srv_t *s, int n, uint32_t (*rnd)(void *ud), void *ud)
{
	if (!rnd)
		rnd = default_rnd;
	qsort(s, (size_t)n, sizeof *s, by_priority);
	for (int lo = 0; lo < n;) {
		int hi = lo;
		while (hi < n && s[hi].priority == s[lo].priority)
			hi++;
		/* zero weights first: they then take part in the running sum
		 * with nothing, picked only when the draw is 0 */
		for (int i = lo, z = lo; i < hi; i++)
			if (s[i].weight == 0) {
				resolve_srv_t t = s[z];
				s[z++] = s[i];
				s[i] = t;
			}
		for (int at = lo; at < hi; at++) {
			uint32_t sum = 0;
			for (int i = at; i < hi; i++)
				sum += (uint32_t)s[i].weight;
			uint32_t draw = sum ? rnd(ud) % (sum + 1) : 0, run = 0;
			int pick = at;
			for (int i = at; i < hi; i++) {
				run += (uint32_t)s[i].weight;
				if (run >= draw) {
					pick = i;
					break;
				}
			}
			resolve_srv_t t = s[at];
			s[at] = s[pick];
			s[pick] = t;
		}
		lo = hi;
	}
}

/* ---- lookups (DNS traffic) ---- */

/* res_nquery of name/type into ans. Length, or RESOLVE_ERR_NXDOMAIN (no
 * such name), 0 (the name exists, no record of type), RESOLVE_ERR_DNS. */
static int query(const char *name, int type, unsigned char *ans, int cap)
{
	struct __res_state rs;
	memset(&rs, 0, sizeof rs);
	if (res_ninit(&rs) != 0)
		return RESOLVE_ERR_DNS;
	rs.retrans = 2;
	rs.retry = 2;
	int n = res_nquery(&rs, name, ns_c_in, type, ans, cap);
	int rc = n;
	if (n < 0)
		rc = rs.res_h_errno == HOST_NOT_FOUND ? RESOLVE_ERR_NXDOMAIN
			: rs.res_h_errno == NO_DATA ? 0 : RESOLVE_ERR_DNS;
	else if (n > cap)
		rc = cap;
	res_nclose(&rs);
	return rc;
}

static void min_ttl(resolve_answer_t *a, uint32_t ttl)
{
	if (ttl > 86400)
		ttl = 86400;
	if (a->ttl < 0 || (int)ttl < a->ttl)
		a->ttl = (int)ttl;
}

/* Appends the addresses of host:port (families in the mask). 0 when some
 * were added, else RESOLVE_ERR_NXDOMAIN / RESOLVE_ERR_NOTARGET /
 * RESOLVE_ERR_DNS. */
static int add_addresses(resolve_answer_t *a, const char *host, int port, int transport, int families,
	const resolve_srv_t *srv)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM }, *ai = NULL;
	int g = getaddrinfo(host, NULL, &hints, &ai);
	if (g != 0)
		return g == EAI_NONAME || g == EAI_NODATA || g == EAI_ADDRFAMILY ? RESOLVE_ERR_NXDOMAIN
		     : RESOLVE_ERR_DNS;
	int added = 0;
	for (struct addrinfo *p = ai; p && a->n < RESOLVE_TARGETS_MAX; p = p->ai_next) {
		int fam = p->ai_family == AF_INET6 ? 6 : p->ai_family == AF_INET ? 4 : 0;
		if (!fam || !(families & (fam == 6 ? RESOLVE_V6 : RESOLVE_V4)))
			continue;
		resolve_target_t *t = &a->t[a->n];
		memset(t, 0, sizeof *t);
		const void *src = fam == 6 ? (const void *)&((struct sockaddr_in6 *)p->ai_addr)->sin6_addr
					   : (const void *)&((struct sockaddr_in *)p->ai_addr)->sin_addr;
		if (!inet_ntop(fam == 6 ? AF_INET6 : AF_INET, src, t->addr, sizeof t->addr))
			continue;
		int dup = 0;
		for (int i = 0; i < a->n; i++)
			if (a->t[i].port == port && a->t[i].transport == transport && strcmp(a->t[i].addr, t->addr) == 0)
				dup = 1;
		if (dup)
			continue;
		snprintf(t->host, sizeof t->host, "%s", host);
		t->port = port;
		t->family = fam;
		t->transport = transport;
		if (srv) {
			t->priority = srv->priority;
			t->weight = srv->weight;
		}
		a->n++;
		added++;
	}
	freeaddrinfo(ai);
	min_ttl(a, RESOLVE_ADDR_TTL);
	return added ? 0 : RESOLVE_ERR_NOTARGET;
}

/* The SRV records of name, ordered, their targets' addresses appended. 0
 * when some target was added; RESOLVE_ERR_NXDOMAIN or 0-records: 1 (try
 * something else); other errors as they are. */
static int add_srv(resolve_answer_t *a, const char *name, int transport, int families, unsigned char *buf)
{
	int len = query(name, ns_t_srv, buf, DNS_ANSWER_MAX);
	if (len == RESOLVE_ERR_NXDOMAIN || len == 0)
		return 1;
	if (len < 0)
		return len;
	resolve_srv_t srv[RESOLVE_RECORDS_MAX];
	int n = resolve_parse_srv(buf, (size_t)len, srv, RESOLVE_RECORDS_MAX);
	if (n < 0)
		return RESOLVE_ERR_DNS;
	/* a single "." target: the service is decidedly not there (RFC 2782) */
	if (n == 0 || (n == 1 && (strcmp(srv[0].target, ".") == 0 || !srv[0].target[0])))
		return 1;
	resolve_srv_order(srv, n, NULL, NULL);
	int before = a->n;
	for (int i = 0; i < n; i++) {
		min_ttl(a, srv[i].ttl);
		if (srv[i].port > 0)
			add_addresses(a, srv[i].target, srv[i].port, transport, families, &srv[i]);
	}
	return a->n > before ? 0 : 1;
}

static int by_order(const void *x, const void *y)
{
	const resolve_naptr_t *a = x, *b = y;
	return a->order != b->order ? a->order - b->order : a->pref - b->pref;
}

/* rc, with err set to "HOST: why". */
static int fail(int rc, char *err, size_t errlen, const char *host, const char *why)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", host, why);
	return rc;
}

/* The transport of a literal or HOST:PORT peer when the caller named none:
 * the first of UDP, TCP, TLS in the mask. */
static int primary_of(int transports)
{
	return transports & RESOLVE_UDP ? RESOLVE_UDP : transports & RESOLVE_TCP ? RESOLVE_TCP : RESOLVE_TLS;
}

int resolve_lookup(const char *peer, int transports, int families, resolve_answer_t *a, char *err, size_t errlen)
{
	return resolve_lookup_via(peer, primary_of(transports), transports, families, a, err, errlen);
}

int resolve_lookup_via(const char *peer, int primary, int transports, int families, resolve_answer_t *a, char *err,
	size_t errlen)
{
	memset(a, 0, sizeof *a);
	a->ttl = -1;
	if (err && errlen)
		err[0] = '\0';
	char host[RESOLVE_NAME_MAX];
	int port, literal;
	if (resolve_peer_split(peer, host, sizeof host, &port, &literal) != 0)
		return fail(RESOLVE_ERR_SYNTAX, err, errlen, "the peer", "not HOST, HOST:PORT, IP:PORT or [IPv6]:PORT");
	if (!(transports & (RESOLVE_UDP | RESOLVE_TCP | RESOLVE_TLS)))
		transports = RESOLVE_UDP;
	if (primary != RESOLVE_UDP && primary != RESOLVE_TCP && primary != RESOLVE_TLS)
		primary = primary_of(transports);
	transports |= primary;
	if (literal) {
		if (!(families & (literal == 6 ? RESOLVE_V6 : RESOLVE_V4)))
			return fail(RESOLVE_ERR_NOTARGET, err, errlen, host, "this address family cannot be dialled");
		resolve_target_t *t = &a->t[0];
		unsigned char bin[16];
		if (inet_pton(literal == 6 ? AF_INET6 : AF_INET, host, bin) != 1 ||
		    !inet_ntop(literal == 6 ? AF_INET6 : AF_INET, bin, t->addr, sizeof t->addr))
			return fail(RESOLVE_ERR_SYNTAX, err, errlen, "the peer", "not an address");
		t->port = port;
		t->family = literal;
		t->transport = primary;
		a->n = 1;
		a->ttl = 86400;
		snprintf(a->how, sizeof a->how, "literal");
		return 0;
	}
	if (port) {
		int rc = add_addresses(a, host, port, primary, families, NULL);
		snprintf(a->how, sizeof a->how, "a");
		if (rc == RESOLVE_ERR_NXDOMAIN)
			return fail(rc, err, errlen, host, "no such host name (NXDOMAIN)");
		if (rc == RESOLVE_ERR_NOTARGET)
			return fail(rc, err, errlen, host, "no address that can be dialled");
		if (rc != 0)
			return fail(rc, err, errlen, host, "the DNS did not answer");
		return 0;
	}

	unsigned char *buf = malloc(DNS_ANSWER_MAX);
	if (!buf)
		return fail(RESOLVE_ERR_DNS, err, errlen, host, "out of memory");
	int dns_down = 0, nx_naptr = 0;
	/* 1. NAPTR */
	int len = query(host, ns_t_naptr, buf, DNS_ANSWER_MAX);
	if (len == RESOLVE_ERR_DNS)
		dns_down = 1;
	else if (len == RESOLVE_ERR_NXDOMAIN)
		nx_naptr = 1;
	if (len > 0) {
		resolve_naptr_t nr[RESOLVE_RECORDS_MAX];
		int n = resolve_parse_naptr(buf, (size_t)len, nr, RESOLVE_RECORDS_MAX);
		if (n > 0) {
			qsort(nr, (size_t)n, sizeof nr[0], by_order);
			/* every usable record in turn, so that a call goes on to
			 * the next transport when all targets of one fail */
			for (int i = 0; i < n && a->n < RESOLVE_TARGETS_MAX; i++) {
				int tr = resolve_naptr_transport(nr[i].service);
				if (!tr || !(transports & tr) || strcasecmp(nr[i].flags, "s") != 0)
					continue;
				min_ttl(a, nr[i].ttl);
				int rc = add_srv(a, nr[i].replacement, tr, families, buf);
				if (rc < 0 && rc != RESOLVE_ERR_NXDOMAIN)
					dns_down = 1;
			}
			if (a->n) {
				free(buf);
				snprintf(a->how, sizeof a->how, "naptr");
				return 0;
			}
			a->ttl = -1;
		}
	}
	/* 2. SRV of each transport we can dial, the most secure first, all of
	 * them (the next transport's targets after the first one's) */
	static const struct {
		const char *prefix;
		int tr;
	} srvs[] = { { "_sips._tcp.", RESOLVE_TLS }, { "_sip._tcp.", RESOLVE_TCP }, { "_sip._udp.", RESOLVE_UDP } };
	for (size_t i = 0; i < sizeof srvs / sizeof srvs[0] && a->n < RESOLVE_TARGETS_MAX; i++) {
		if (!(transports & srvs[i].tr))
			continue;
		char name[RESOLVE_NAME_MAX + 16];
		snprintf(name, sizeof name, "%s%s", srvs[i].prefix, host);
		int rc = add_srv(a, name, srvs[i].tr, families, buf);
		if (rc < 0)
			dns_down = 1;
	}
	free(buf);
	if (a->n) {
		snprintf(a->how, sizeof a->how, "srv");
		return 0;
	}
	/* 3. the host's own addresses, on the transport's default port */
	a->ttl = -1;
	int rc = add_addresses(a, host, primary == RESOLVE_TLS ? 5061 : 5060, primary, families, NULL);
	snprintf(a->how, sizeof a->how, "a");
	if (rc == 0)
		return 0;
	if (rc == RESOLVE_ERR_NXDOMAIN && nx_naptr)
		return fail(rc, err, errlen, host, "no such host name (NXDOMAIN)");
	if (rc == RESOLVE_ERR_NXDOMAIN && !dns_down)
		return fail(rc, err, errlen, host, "no NAPTR, SRV or address record");
	if (rc == RESOLVE_ERR_NOTARGET)
		return fail(rc, err, errlen, host, "no target that can be dialled");
	return fail(RESOLVE_ERR_DNS, err, errlen, host, "the DNS did not answer");
}

/* ---- cache ---- */

struct cache_slot {
	char peer[300];
	int primary, transports, families;
	int64_t expires_ms;
	int rc;
	char err[160];
	resolve_answer_t a;
};

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cache_slot cache[CACHE_SLOTS];
static resolve_lookup_fn *lookup_fn; /* under cache_mu */
static void *lookup_ud;

void resolve_set_lookup(resolve_lookup_fn *fn, void *ud)
{
	pthread_mutex_lock(&cache_mu);
	lookup_fn = fn;
	lookup_ud = ud;
	pthread_mutex_unlock(&cache_mu);
}

/* A lookup by lookup_fn when one is set and peer is a name; else here. */
static int lookup_any(const char *peer, int primary, int transports, int families, resolve_answer_t *a, char *err,
	size_t errlen)
{
	pthread_mutex_lock(&cache_mu);
	resolve_lookup_fn *fn = lookup_fn;
	void *ud = lookup_ud;
	pthread_mutex_unlock(&cache_mu);
	char host[RESOLVE_NAME_MAX];
	int port, literal;
	if (!fn || resolve_peer_split(peer, host, sizeof host, &port, &literal) != 0 || literal)
		return resolve_lookup_via(peer, primary, transports, families, a, err, errlen);
	memset(a, 0, sizeof *a);
	a->ttl = -1;
	int rc = fn(ud, peer, primary, transports, families, a, err, errlen);
	if (rc == RESOLVE_ERR_AGAIN)
		memset(a, 0, sizeof *a);
	return rc;
}

int resolve_cached(const char *peer, int transports, int families, resolve_answer_t *a, char *err, size_t errlen)
{
	return resolve_cached_via(peer, primary_of(transports), transports, families, a, err, errlen);
}

int resolve_cached_via(const char *peer, int primary, int transports, int families, resolve_answer_t *a, char *err,
	size_t errlen)
{
	int64_t now = time_now_ms();
	pthread_mutex_lock(&cache_mu);
	for (int i = 0; i < CACHE_SLOTS; i++) {
		struct cache_slot *c = &cache[i];
		if (c->expires_ms > now && c->primary == primary && c->transports == transports &&
		    c->families == families && strcmp(c->peer, peer) == 0) {
			*a = c->a;
			int rc = c->rc;
			if (err && errlen)
				snprintf(err, errlen, "%s", c->err);
			pthread_mutex_unlock(&cache_mu);
			return rc;
		}
	}
	pthread_mutex_unlock(&cache_mu);

	char why[160];
	why[0] = '\0';
	int rc = lookup_any(peer, primary, transports, families, a, why, sizeof why);
	if (rc == RESOLVE_ERR_AGAIN) {
		if (err && errlen)
			snprintf(err, errlen, "%s", why[0] ? why : "the resolver is not running");
		return RESOLVE_ERR_DNS; /* kept for no time */
	}
	if (err && errlen)
		snprintf(err, errlen, "%s", why);
	if (rc == RESOLVE_ERR_SYNTAX || strlen(peer) >= sizeof cache[0].peer)
		return rc;
	int ttl = rc == 0 ? (a->ttl < 0 ? RESOLVE_ADDR_TTL : a->ttl) : RESOLVE_NEG_TTL;
	if (ttl <= 0)
		return rc;
	pthread_mutex_lock(&cache_mu);
	struct cache_slot *victim = &cache[0];
	for (int i = 0; i < CACHE_SLOTS; i++) {
		struct cache_slot *c = &cache[i];
		if (c->primary == primary && c->transports == transports && c->families == families &&
		    strcmp(c->peer, peer) == 0) {
			victim = c;
			break;
		}
		if (c->expires_ms < victim->expires_ms)
			victim = c;
	}
	snprintf(victim->peer, sizeof victim->peer, "%s", peer);
	victim->primary = primary;
	victim->transports = transports;
	victim->families = families;
	victim->expires_ms = now + (int64_t)ttl * 1000;
	victim->rc = rc;
	snprintf(victim->err, sizeof victim->err, "%s", why);
	victim->a = *a;
	pthread_mutex_unlock(&cache_mu);
	return rc;
}

void resolve_cache_flush(void)
{
	pthread_mutex_lock(&cache_mu);
	memset(cache, 0, sizeof cache);
	pthread_mutex_unlock(&cache_mu);
}
