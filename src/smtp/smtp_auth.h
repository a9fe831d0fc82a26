/* Fax by e-mail's sender authentication (issue 13, C10): the SPF verdict
 * (RFC 7208, libspf2) on the client's address, HELO and MAIL FROM, and DKIM
 * verification (RFC 6376, OpenDKIM's library) of the raw message with
 * relaxed alignment of the signing domain (d=) to the From: domain. DNS goes
 * through the system resolver. The SMTP reply for a refused mail is derived
 * from these results alone (smtp_auth_reply), never from whether the sender
 * is a member, so that a reply tells a stranger nothing about which
 * addresses exist. See docs/mail.md ("The sender checks").
 *
 * Thread-safe: each call has its own libspf2 server and DKIM handle (the
 * OpenDKIM library handle is shared, made once). No allocation is returned
 * to the caller. */
#ifndef FV_SMTP_AUTH_H
#define FV_SMTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum smtp_spf {
	SMTP_SPF_NONE,      /* no SPF record, or not evaluated (a loopback client) */
	SMTP_SPF_NEUTRAL,
	SMTP_SPF_PASS,
	SMTP_SPF_FAIL,
	SMTP_SPF_SOFTFAIL,
	SMTP_SPF_TEMPERROR, /* DNS failed for now: the sender should try again */
	SMTP_SPF_PERMERROR, /* a broken record */
	SMTP_SPF_N
};

enum smtp_dkim {
	SMTP_DKIM_NONE,       /* no DKIM-Signature header */
	SMTP_DKIM_PASS,       /* a valid signature whose d= is aligned with From */
	SMTP_DKIM_MISALIGNED, /* valid signatures, none of the From domain */
	SMTP_DKIM_FAIL,       /* a signature that does not verify (body or headers changed) */
	SMTP_DKIM_TEMPERROR,  /* the key could not be fetched for now */
	SMTP_DKIM_PERMERROR,  /* a broken signature or key, or no key published */
	SMTP_DKIM_N
};

#define SMTP_AUTH_DOMAIN_MAX 253

typedef struct smtp_auth {
	enum smtp_spf spf;
	bool spf_aligned;  /* the domain SPF checked is aligned with From's */
	char spf_domain[SMTP_AUTH_DOMAIN_MAX + 1]; /* MAIL FROM's domain, or HELO for <> */
	enum smtp_dkim dkim;
	char dkim_domain[SMTP_AUTH_DOMAIN_MAX + 1]; /* d= of the deciding signature, or "" */
} smtp_auth_t;

/* The result's name as RFC 7208 / RFC 8601 spell it ("pass", "temperror"…;
 * "misaligned" for DKIM). Static strings. */
const char *smtp_spf_name(enum smtp_spf r);
const char *smtp_dkim_name(enum smtp_dkim r);

/* Relaxed alignment (as DMARC's, without the public suffix list): a and b
 * are equal, or one is a subdomain of the other and the shorter has at
 * least two labels. Case-insensitive; a trailing dot is ignored. Pure. */
bool smtp_auth_aligned(const char *a, const char *b);

/* The domain of an address ("user@Example.net" -> "Example.net"), or ""
 * without one. Returns a pointer into addr. Pure. */
const char *smtp_auth_domain_of(const char *addr);

/* SPF for the client ip (text), helo and mail_from ("" for the null
 * sender: postmaster@helo is checked). A loopback client is not evaluated
 * (SMTP_SPF_NONE): it is a local relay, whose address says nothing of the
 * sender. Sets a->spf, a->spf_domain and a->spf_aligned against
 * from_domain. Counted for /metrics. */
void smtp_auth_spf(const char *ip, const char *helo, const char *mail_from,
	const char *from_domain, smtp_auth_t *a);

/* DKIM over the raw message msg (headers and body as received): sets
 * a->dkim and a->dkim_domain. Counted for /metrics. */
void smtp_auth_dkim(const uint8_t *msg, size_t len, const char *from_domain, smtp_auth_t *a);

/* The reply to a mail the sender checks refused, from a's results only:
 * SPF or DKIM temperror 451 4.4.3; SPF fail 550 5.7.23; a DKIM signature
 * that fails or is broken 550 5.7.20; valid signatures none of them
 * aligned 550 5.7.22; else 550 5.7.1. status and text are static. Pure. */
void smtp_auth_reply(const smtp_auth_t *a, int *code, const char **status, const char **text);

/* Counters since start, for /metrics: results of each kind. */
void smtp_auth_counts(uint64_t spf[SMTP_SPF_N], uint64_t dkim[SMTP_DKIM_N]);

/* For tests and fuzzing only: DKIM keys are read from path (lines
 * "SELECTOR._domainkey.DOMAIN KEY-RECORD", OpenDKIM's file query method)
 * instead of DNS. Call before the first smtp_auth_dkim. */
void smtp_auth_test_dkim_keyfile(const char *path);

#endif
