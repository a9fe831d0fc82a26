/* Fax by e-mail (issue 13, C10): each account's sender checks, the
 * settings API, and the pure rules the SMTP ingress applies to a mail before
 * it becomes a fax. See docs/mail.md ("Fax by e-mail").
 *
 * Operations follow the conventions of domain.h: they run in c->tx and
 * return 0 with *out set (new reference), or -1 with e filled in. The
 * account record is the one the router loaded (borrowed). */
#ifndef FV_DOMAIN_FAXMAIL_H
#define FV_DOMAIN_FAXMAIL_H

#include <jansson.h>
#include <stdbool.h>

#include "domain.h"
#include "fax.h"
#include "sec.h"

#define FAXMAIL_SENDERS_MAX 100 /* entries of allowed_senders */
#define FAXMAIL_SERVERS_MAX 100 /* entries of allowed_servers */

/* Reads a PUT body {enabled, allowed_senders, allowed_servers, spf, dkim}
 * (a missing key takes its default: false, [], [], "ignore", "ignore").
 * Senders are lower-cased addresses or "@domain"; servers are CIDRs in
 * canonical form. 0 with *norm (new object with those five keys; the
 * caller frees), or -1 with e (validation-failed naming the field). Pure. */
int faxmail_settings_parse(const json_t *body, json_t **norm, dom_err_t *e);

/* Whether addr (an address, compared without case) is on senders (a JSON
 * array of addresses and "@domain" entries). An empty list allows every
 * address (the member check still applies). Pure. */
bool faxmail_sender_allowed(const json_t *senders, const char *addr);
/* Whether the address text ip is inside one of servers (CIDR texts). An
 * empty list allows every server. Pure. */
bool faxmail_server_allowed(const json_t *servers, const char *ip);

/* The account's settings in the API form (new reference): defaults when it
 * has none. */
json_t *faxmail_settings_of(store_tx_t *tx, const char *account_id);

/* GET /v1/accounts/{id}/fax-by-email: {account_id, enabled, allowed_senders,
 * allowed_servers, spf, dkim, updated_at}; the read is audited. */
int dom_faxmail_get(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
/* PUT /v1/accounts/{id}/fax-by-email: replaces the settings; audited
 * (fax_by_email.update with before and after). */
int dom_faxmail_update(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);

/* ---- the SMTP ingress (no request context) ---- */

#define FAXMAIL_FILES_MAX 20 /* attachments of one mail */

/* One mail the listener took, as parsed (all borrowed). */
typedef struct faxmail_msg {
	const char *session_id; /* the SMTP session, for the audit log */
	const char *peer;       /* address of the server that handed the mail over */
	const char *from;       /* the From: address, lower-cased */
	const char *to[FAX_TO_MAX]; /* E.164 numbers from the recipients */
	int nto;
	const char *subject;    /* decoded UTF-8, or NULL: the cover page's subject */
	const char *body;       /* text part as UTF-8, or NULL: the cover page's text */
	fax_file_t files[FAXMAIL_FILES_MAX]; /* attachments in order */
	int nfiles;
	/* Sender authentication (smtp_auth.h): result names, NULL meaning
	 * "none"; the domains they are about. */
	const char *spf;         /* "pass", "fail", "softfail", "neutral", "none", "temperror", "permerror" */
	const char *spf_domain;  /* MAIL FROM's domain (HELO for <>) */
	bool spf_aligned;        /* spf_domain is aligned with From's domain */
	const char *dkim;        /* "pass" (valid and aligned), "misaligned", "fail", "none", "temperror", "permerror" */
	const char *dkim_domain; /* d= of the deciding signature */
	/* SHA-256 (hex) of the envelope and the raw message (faxmail_digest), or
	 * NULL: a mail with the digest of one accepted in the last
	 * FAXMAIL_SEEN_DAYS is answered as that one, without a second fax. */
	const char *digest;
} faxmail_msg_t;

/* How long an accepted mail's digest is kept: longer than an MTA keeps a
 * message in its queue (Postfix: 5 days). */
#define FAXMAIL_SEEN_DAYS 7

/* The digest of a mail (hex into out): envelope sender, each recipient, and
 * the SHA-256 of the raw message, separated by NULs. */
void faxmail_digest(const char *mail_from, const char *const *rcpt, int nrcpt, const void *raw,
	size_t len, char out[SEC_SHA256_HEX]);

/* Fax by e-mail, in the three steps below (an ingress runs them as the
 * operation runner's steps): they decide whether m becomes a fax and
 * submit it as POST /v1/faxes does
 * (dom_fax_submit: scanning, rendering, billing and quotas), in
 * transactions of its own on st, as the member whose address is m->from.
 * First the per-sender limit: more than cfg->mail_sender_per_hour mails
 * from m->from (any sender, member or not) in this clock hour of the
 * daemon's clock, counted in the store, are refused (kind "rate-limited",
 * the same for everyone).
 * The sender checks, in order: From is an active member of an active
 * account with fax.send, fax by e-mail is enabled there, From is on
 * allowed_senders, the peer is inside allowed_servers; with spf "require"
 * m->spf is "pass" and m->spf_aligned; with dkim "require" m->dkim is
 * "pass". Then the per-sender page quota: a sender whose faxes by e-mail
 * of this UTC day already carry cfg->mail_sender_pages_per_day pages
 * (once rendered, per recipient) is refused (kind "quota-exceeded").
 * Without attachments the body is the document, else it is the cover
 * page.
 *
 * In all: 0 with *out ({items: [fax…]}, caller frees); or -1 with e: kind
 * "mail-refused" for a sender check (the detail says which; the caller
 * must not repeat it to the client, which could then learn which
 * addresses exist), else the kind dom_fax_submit gave. Every refusal that
 * names an account is audited on it (fax_by_email.refused, by
 * system:smtp, with the reason and the SPF and DKIM results); a mail that
 * names none is not. An accepted mail is audited on its account
 * (fax_by_email.accepted, by system:smtp, with the results and the fax
 * ids) in the submission's transaction.
 * A mail whose m->digest matches one accepted in the last FAXMAIL_SEEN_DAYS
 * (an MTA handing it over again because it never read the reply) returns 0
 * with *out {items: [{id}], duplicate: true} (the first fax it made) before
 * any other check or count, and is audited as fax_by_email.duplicate on the
 * fax's account: the same mail never makes a second fax.
 *
 * The three steps (src/smtp/smtp_ingress.c runs them as op_limit_by,
 * op_gate_by and op_call):
 *   dom_faxmail_limit  the same mail again: 1 with *out its first answer
 *                      (nothing else runs); the sender over
 *                      mail.sender_per_hour: -1 "rate-limited"; else 0;
 *   dom_faxmail_gate   the sender's checks ("mail-refused") and its page
 *                      quota ("quota-exceeded"): 0 with *s (its write
 *                      transaction, the member the address names, the
 *                      account), to be given to dom_faxmail_send;
 *   dom_faxmail_send   the submission as that member, in s's transaction
 *                      (ended either way). */
typedef struct faxmail_sender {
	store_tx_t *tx;
	principal_t who;
	char acc[ID_MAX];
	char skey[SEC_SHA256_HEX];
	int64_t day, now_ms;
} faxmail_sender_t;
int dom_faxmail_limit(store_t *st, const dom_config_t *cfg, const faxmail_msg_t *m, json_t **out,
	dom_err_t *e);
int dom_faxmail_gate(store_t *st, const dom_config_t *cfg, const faxmail_msg_t *m,
	faxmail_sender_t *s, dom_err_t *e);
int dom_faxmail_send(store_t *st, const dom_config_t *cfg, const faxmail_msg_t *m,
	faxmail_sender_t *s, json_t **out, dom_err_t *e);

/* Mails refused since start because their sender was over
 * cfg->mail_sender_per_hour (dom_faxmail_limit: kind "rate-limited", with
 * retry_after_s; audited once per sender and hour as fax_by_email.refused,
 * reason sender_rate_limited, when the address names a member). */
uint64_t faxmail_rate_limited_count(void);

/* Mails refused since start because their sender had reached
 * cfg->mail_sender_pages_per_day pages faxed by e-mail that UTC day
 * (dom_faxmail_gate: kind "quota-exceeded", with retry_after_s the
 * seconds to the next day; audited each time as fax_by_email.refused,
 * reason sender_page_quota). Only a sender the checks let through is
 * counted against it. */
uint64_t faxmail_page_quota_count(void);

#endif
