/* Where a trunk's peer is: RFC 3263 resolution of "HOST", "HOST:PORT",
 * "IP:PORT" or "[IPv6]:PORT" into an ordered list of targets (address,
 * port, transport) to try one after the other.
 *
 * - A literal address is one target, over the caller's primary transport.
 * - "HOST:PORT" (RFC 3263 §4.2: a port was given): the host's A/AAAA
 *   addresses, over the primary transport.
 * - "HOST" alone: its NAPTR records (services SIP+D2U for UDP, SIP+D2T for
 *   TCP, SIPS+D2T for TLS; SCTP's SIP+D2S is left out) in order and
 *   preference, each followed to its SRV records, the targets of every
 *   usable record one after the other (so a caller goes on to the next
 *   transport when all targets of one failed); without a usable NAPTR, the
 *   SRV names _sips._tcp, _sip._tcp and _sip._udp of the host, in that
 *   order, all of them; without any SRV, the host's A/AAAA on 5060 (5061
 *   for TLS) over the primary transport. SRV targets are
 *   ordered by priority and, within one priority, by the weighted random
 *   draw of RFC 2782; each target gives its addresses in getaddrinfo's
 *   order.
 * Only the transports the caller can dial are taken (a mask), and the
 * transport NAPTR or SRV chose is said in each target.
 *
 * The lookups block (DNS over the system resolver, res_nquery and
 * getaddrinfo): call them from a worker thread, never from an engine's SIP
 * or media thread. resolve_cached keeps answers for their TTL. The DNS
 * answer parsers are pure and fuzzed (line_fuzz_resolve). */
#ifndef FV_LINE_RESOLVE_H
#define FV_LINE_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#define RESOLVE_TARGETS_MAX 16
#define RESOLVE_RECORDS_MAX 32
#define RESOLVE_NAME_MAX 256
#define RESOLVE_ADDR_TTL 60     /* seconds an A/AAAA answer is kept (getaddrinfo gives no TTL) */
#define RESOLVE_NEG_TTL 10      /* seconds a failed lookup is kept */

/* Transports, as a mask of what the caller can dial. */
#define RESOLVE_UDP 1
#define RESOLVE_TCP 2
#define RESOLVE_TLS 4
/* Address families the caller can reach, as a mask. */
#define RESOLVE_V4 1
#define RESOLVE_V6 2

/* Failures of resolve_lookup / resolve_cached. */
#define RESOLVE_ERR_SYNTAX -1   /* the peer is not one of the forms above */
#define RESOLVE_ERR_NXDOMAIN -2 /* the name does not exist (or has no address) */
#define RESOLVE_ERR_NOTARGET -3 /* it exists, but no target we can dial */
#define RESOLVE_ERR_DNS -4      /* the DNS did not answer or answered garbage */
/* The process that resolves was not there (a resolve_lookup_fn's answer):
 * resolve_cached gives RESOLVE_ERR_DNS and keeps nothing. */
#define RESOLVE_ERR_AGAIN -5

typedef struct resolve_target {
	char host[RESOLVE_NAME_MAX]; /* the name the address came from ("" for a literal) */
	char addr[48];               /* numeric IPv4 or IPv6, without brackets */
	int port;
	int family;                  /* 4 or 6 */
	int transport;               /* RESOLVE_UDP, _TCP or _TLS */
	int priority, weight;        /* of its SRV record (0, 0 without one) */
} resolve_target_t;

typedef struct resolve_answer {
	resolve_target_t t[RESOLVE_TARGETS_MAX];
	int n;
	int ttl;        /* seconds the answer may be kept: the smallest TTL seen */
	char how[8];    /* "literal", "a", "srv" or "naptr" */
} resolve_answer_t;

/* Splits peer into its host (brackets of an IPv6 literal removed, at most
 * hostcap - 1 bytes) and port (0 when absent). *literal: 4 or 6 for an IP
 * address, 0 for a name. 0, or -1 when peer is none of "HOST",
 * "HOST:PORT", "IP:PORT", "[IPv6]:PORT" (a host name is letters, digits,
 * '-', '_' and '.', labels of 1..63 bytes, at most 253 bytes; ports
 * 1..65535; an IPv6 literal needs brackets and a port). Pure. */
int resolve_peer_split(const char *peer, char *host, size_t hostcap, int *port, int *literal);

/* An SRV record (RFC 2782) or a NAPTR record (RFC 3403), from an answer. */
typedef struct resolve_srv {
	int priority, weight, port;
	uint32_t ttl;
	char target[RESOLVE_NAME_MAX];
} resolve_srv_t;

typedef struct resolve_naptr {
	int order, pref;
	uint32_t ttl;
	char flags[16];
	char service[32];
	char replacement[RESOLVE_NAME_MAX];
} resolve_naptr_t;

/* The SRV (resp. NAPTR) records in the answer section of the DNS message
 * msg[0..len) into out[0..max). Their count, or -1 when the message is
 * malformed. Records of other types are skipped, and so are records that
 * are malformed themselves. Pure (no DNS traffic). */
int resolve_parse_srv(const uint8_t *msg, size_t len, resolve_srv_t *out, int max);
int resolve_parse_naptr(const uint8_t *msg, size_t len, resolve_naptr_t *out, int max);

/* The transport a NAPTR service names (RESOLVE_UDP, _TCP, _TLS), 0 for
 * others (SCTP, unknown). Case-insensitive. */
int resolve_naptr_transport(const char *service);

/* Orders s[0..n) as RFC 2782 says: by priority, and within one priority by
 * repeated weighted draws (weight 0 records first in the running sum, so
 * they are picked rarely). rnd returns a uniform 32-bit number (NULL:
 * random()). In place. */
void resolve_srv_order(resolve_srv_t *s, int n, uint32_t (*rnd)(void *ud), void *ud);

/* Resolves peer into a (transports, families: masks of what may be
 * dialled). 0 with a->n >= 1, or one of RESOLVE_ERR_* with a person-
 * readable reason in err (no secret, the peer's name only). Blocks. */
int resolve_lookup(const char *peer, int transports, int families, resolve_answer_t *a, char *err,
	size_t errlen);

/* resolve_lookup with the transport of a literal, HOST:PORT or A/AAAA-only
 * peer named (primary: RESOLVE_UDP, _TCP or _TLS, always allowed).
 * resolve_lookup takes the first of UDP, TCP, TLS in transports. */
int resolve_lookup_via(const char *peer, int primary, int transports, int families, resolve_answer_t *a, char *err,
	size_t errlen);

/* resolve_lookup through a process-wide cache (thread-safe): an answer is
 * kept for its TTL, a failure for RESOLVE_NEG_TTL seconds, by the service
 * clock (time_now_ms). */
int resolve_cached(const char *peer, int transports, int families, resolve_answer_t *a, char *err,
	size_t errlen);
int resolve_cached_via(const char *peer, int primary, int transports, int families, resolve_answer_t *a, char *err,
	size_t errlen);
/* Who answers resolve_cached when its cache has nothing: fn (a process
 * that parses the DNS answers elsewhere, e.g. the SIP front end), or NULL
 * for resolve_lookup_via in this process. Literal addresses and peers that
 * do not parse are answered here (no DNS). Process-wide; set it before the
 * first lookup and clear it (NULL) before ud goes. */
typedef int resolve_lookup_fn(void *ud, const char *peer, int primary, int transports, int families,
	resolve_answer_t *a, char *err, size_t errlen);
void resolve_set_lookup(resolve_lookup_fn *fn, void *ud);

/* Empties the cache (tests, or after a configuration change). */
void resolve_cache_flush(void);

/* "udp", "tcp" or "tls". */
const char *resolve_transport_name(int transport);

#endif
