/* Outbound messages: the templates of every notice, in English and French,
 * each as a multipart/alternative message (text and HTML) built with GMime.
 * Every string that comes from a person (a name, an address) reaches a
 * header only through GMime's encoders (RFC 2047 words, quoted display
 * names) and the HTML part only escaped; tokens reach only the bodies.
 *
 * mail_msg_init() once before any other call (it initialises GMime). */
#ifndef FV_MAIL_MSG_H
#define FV_MAIL_MSG_H

#include <jansson.h>
#include <stddef.h>

/* What the service says about itself in every message. Borrowed. */
typedef struct mail_site {
	const char *from;    /* mail.from: the envelope and From: address */
	const char *web_url; /* where people sign in, named in the bodies */
} mail_site_t;

/* A file sent with a message (a received fax as a PDF). Borrowed. */
typedef struct mail_attachment {
	const unsigned char *data;
	size_t len;
	const char *filename; /* ASCII, e.g. "fax_….pdf" */
	const char *type;     /* "image/png" (inline), or NULL: application/pdf */
} mail_attachment_t;

void mail_msg_init(void);

/* Whether kind has a template. */
int mail_msg_known(const char *kind);

/* The message of kind (mailq.h kinds) in lang ("en" or "fr"; anything else
 * is English) to address to, with params (borrowed: name, expires_at) and
 * token (NULL: none), its Message-ID built from id and the domain of
 * site->from, and att (NULL: none) as an application/pdf attachment, or an
 * inline image/png, after the text and HTML parts (multipart/mixed). A new string with CRLF line
 * ends (free()) and its length in *len; NULL with a reason in err. */
char *mail_msg_build(const char *kind, const char *lang, const char *id, const char *to,
	const json_t *params, const char *token, const mail_site_t *site,
	const mail_attachment_t *att, size_t *len, char *err, size_t errlen);

#endif
