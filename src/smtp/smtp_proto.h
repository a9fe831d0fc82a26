/* The SMTP command language of the fax-by-email listener (RFC 5321 subset,
 * and LMTP's LHLO, RFC 2033):
 * command lines, reverse and forward paths with their parameters, and the
 * +E164@domain recipients. Pure functions on (pointer, length), no I/O:
 * fuzzed by fuzz/smtp/fuzz_smtp_cmd.c. */
#ifndef FV_SMTP_PROTO_H
#define FV_SMTP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define SMTP_CMD_MAX 512     /* a command line with its CRLF (RFC 5321 4.5.3.1.4) */
#define SMTP_ADDR_MAX 254    /* a mailbox */
#define SMTP_NUMBER_MAX 16   /* "+" and at most 15 digits (E.164) */
#define SMTP_BOUNCE_ID_MAX 40 /* the message id of a bounce address */

enum smtp_verb {
	SMTP_UNKNOWN, SMTP_HELO, SMTP_EHLO, SMTP_MAIL, SMTP_RCPT, SMTP_DATA, SMTP_RSET,
	SMTP_NOOP, SMTP_QUIT, SMTP_VRFY, SMTP_HELP,
	SMTP_LHLO /* LMTP's greeting (RFC 2033) */
};

typedef struct smtp_cmd {
	enum smtp_verb verb;
	const char *arg; /* after the verb and its blanks, borrowed from the line */
	size_t arglen;   /* trailing blanks removed */
} smtp_cmd_t;

/* Reads one command line (without its CRLF). Verbs are matched without
 * case. 0 with c filled (SMTP_UNKNOWN for a verb we do not know), or -1
 * when the line holds a NUL or another control character. */
int smtp_cmd_parse(const char *line, size_t len, smtp_cmd_t *c);

/* Reads the argument of MAIL ("FROM:<path> [SIZE=n] [BODY=…]") or RCPT
 * ("TO:<path>"): prefix is "FROM:" or "TO:" (matched without case). The
 * mailbox goes into addr (lower-cased, NUL-terminated; "" for the null
 * reverse path <>); *size gets SIZE= (0 when absent; only with FROM:).
 * 0; -1 syntax error (501); -2 an unknown parameter (555). */
int smtp_path_parse(const char *arg, size_t len, const char *prefix, char addr[SMTP_ADDR_MAX + 1],
	uint64_t *size);

/* A recipient of the fax domain: "+E164@domain" (the domain compared
 * without case), its number into number. 0; 1 "fax@domain", the Subject
 * form (number ""; the numbers are read from the Subject, see
 * smtp_subject_numbers); -1 another domain; -2 our domain but the local
 * part is neither "fax" nor + and 8 to 15 digits. */
int smtp_rcpt_number(const char *addr, const char *domain, char number[SMTP_NUMBER_MAX + 1]);

/* A bounce address of the fax domain: "bounce+ID@domain" (the domain
 * compared without case), ID being 1 to SMTP_BOUNCE_ID_MAX of [a-z0-9_]
 * (an outbox message id, "mail_…"; addresses come lower-cased from
 * smtp_path_parse) into id. 0, or -1 (not one). */
int smtp_rcpt_bounce(const char *addr, const char *domain, char id[SMTP_BOUNCE_ID_MAX + 1]);

/* The fax numbers of a Subject (the Subject form, mail to fax@domain):
 * every blank-, comma- or semicolon-separated word that is "+" and 8 to 15
 * digits (the first not 0), in order, duplicates dropped, at most max into
 * out. The count found. */
int smtp_subject_numbers(const char *subject, char out[][SMTP_NUMBER_MAX + 1], int max);

#endif
