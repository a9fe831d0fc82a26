/* Which trunk a carrier's INVITE came through, when it came by source
 * address (inbound_auth source or source_and_digest): among the active
 * trunks whose inbound_cidrs hold the source and whose tls_peer_name (if
 * any) the carrier's certificate shows, the one its credentials, its
 * called number or its Request-URI/To host name (docs/fax-service.md,
 * "Which trunk a call came through"). Pure: the caller reads the store. */
#ifndef FV_FAXSVC_TRUNK_INBOUND_H
#define FV_FAXSVC_TRUNK_INBOUND_H

#include <jansson.h>

/* What an INVITE shows of the trunk it came through. */
typedef struct trunk_inbound_call {
	const char *src_ip;      /* the source address */
	const char *peer_names;  /* names of the carrier's verified certificate
				    (line_invite_t.peer_names), "" or NULL: none */
	const char *auth_user;   /* the username of its Authorization, NULL: none */
	const char *ruri_host;   /* the host of its Request-URI, NULL: unknown */
	const char *to_host;     /* the host of its To, NULL: unknown */
	/* Whether the number the call is to, read as trunk t reads it, is one
	 * of t's numbers (NULL: not asked). */
	int (*number_on)(void *ud, const json_t *t);
	void *ud;
} trunk_inbound_call_t;

enum { TRUNK_PICK_NONE = 1, TRUNK_PICK_NAME = 2 };

/* The trunk of trunks (dom_trunks_inbound's, by creation; borrowed) the
 * call came through, or NULL with *why TRUNK_PICK_NONE (no trunk known by
 * source holds its address) or TRUNK_PICK_NAME (some do, but each requires
 * a name its certificate does not show). When several fit: the
 * source_and_digest trunk whose username its Authorization names, else the
 * trunk its called number belongs to, else the trunk whose peer's host is
 * the Request-URI's or To's host, else the first. */
const json_t *trunk_inbound_pick(const json_t *trunks, const trunk_inbound_call_t *c, int *why);

/* Whether trunk t takes a call whose carrier's certificate showed names
 * (space-separated): it requires no tls_peer_name, or names hold it. */
int trunk_inbound_cert_ok(const json_t *t, const char *names);

/* Whether names (space-separated DNS names and addresses of a certificate)
 * hold name: a DNS name equal to it (case aside) or a wildcard "*.rest"
 * that covers its first label (RFC 6125 §6.4.3, whole label only), or an
 * address equal to it. */
int trunk_names_hold(const char *names, const char *name);

#endif
