/* The MIME side of fax by e-mail: a received message, parsed with GMime,
 * as what a fax needs: the From: address, the subject, the text body and
 * the attachments. No I/O; fuzzed by fuzz/smtp/fuzz_smtp_mime.c.
 * smtp_mime_init() (g_mime_init) must run once before any parse. */
#ifndef FV_SMTP_MIME_H
#define FV_SMTP_MIME_H

#include <stddef.h>
#include <stdint.h>

#include "smtp_proto.h"

#define SMTP_PARTS_MAX 20        /* attachments of one mail */
#define SMTP_CONTAINERS_MAX 32   /* multiparts and embedded messages */
#define SMTP_SUBJECT_MAX 998     /* bytes of the decoded subject kept */

typedef struct smtp_part {
	unsigned char *data; /* decoded content (owned) */
	size_t len;
	char filename[128];  /* sanitised: printable, no path; "" when none */
	char type[64];       /* lower-cased type/subtype */
} smtp_part_t;

typedef struct smtp_mail {
	char from[SMTP_ADDR_MAX + 1]; /* the one From: mailbox, lower-cased */
	char *subject;                /* decoded, valid UTF-8 without control characters, or NULL */
	char *body;                   /* the first inline text/plain part as UTF-8, or NULL */
	smtp_part_t parts[SMTP_PARTS_MAX];
	int nparts;
} smtp_mail_t;

enum smtp_mime_fail {
	SMTP_MIME_OK,
	SMTP_MIME_MALFORMED,  /* GMime found no message */
	SMTP_MIME_NO_FROM,    /* no From:, several, or not a plain address */
	SMTP_MIME_TOO_DEEP,   /* more than SMTP_CONTAINERS_MAX multiparts or messages */
	SMTP_MIME_TOO_MANY,   /* more than SMTP_PARTS_MAX attachments */
};

void smtp_mime_init(void);
/* Loads the iconv modules of the character sets mail is commonly written
 * in (ISO 8859, Windows, KOI8, Unicode, CJK), kept loaded for the life of
 * the process, so that GMime converts them without reading a file: for a
 * process whose root is then emptied. The number of sets loaded. */
int smtp_mime_preload_charsets(void);
/* Parses msg (len bytes, headers and body as received). SMTP_MIME_OK with
 * *m filled (free with smtp_mail_free), else the failure and *m empty. */
enum smtp_mime_fail smtp_mime_parse(const uint8_t *msg, size_t len, smtp_mail_t *m);
/* How many multipart containers and embedded messages msg declares
 * (counted without parsing): a bound on GMime's depth, checked first. */
size_t smtp_mime_containers(const uint8_t *msg, size_t len);
/* GMime's reading of msg (len bytes; no bound checked: call
 * smtp_mime_containers first), or NULL; g_object_unref it. */
struct _GMimeMessage *smtp_mime_construct(const uint8_t *msg, size_t len);
/* Frees what m holds; m is left empty. */
void smtp_mail_free(smtp_mail_t *m);

#endif
