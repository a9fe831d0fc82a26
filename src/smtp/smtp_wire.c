/* The SMTP front end's messages (see smtp_wire.h). */
#include "smtp_wire.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "xalloc.h"

#define BODY_MAX (1u << 20) /* smtp_mime keeps at most this much text */

/* Printable ASCII only (addresses, HELO, names, types, reply texts). */
static int ascii_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* No control character (UTF-8 above 0x7f is the MIME side's business). */
static int no_controls(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 0;
	return 1;
}

/* "+" then 8 to 15 digits, as smtp_rcpt_number makes them. */
static int e164(const char *s)
{
	size_t n = strlen(s);
	if (n < 9 || n > 16 || s[0] != '+')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

void smtp_wire_mail_encode(struct ipc_out *o, const smtp_envelope_t *env, size_t raw_len,
	const smtp_mail_t *m)
{
	ipc_out_init(o, SMTPF_MAIL, 0);
	ipc_put_str(o, env->session_id);
	ipc_put_str(o, env->peer);
	ipc_put_str(o, env->helo);
	ipc_put_str(o, env->mail_from);
	ipc_put_u32(o, (uint32_t)env->nrcpt);
	for (int i = 0; i < env->nrcpt; i++)
		ipc_put_str(o, env->rcpt[i]);
	ipc_put_u64(o, raw_len);
	ipc_put_str(o, m->from);
	ipc_put_u8(o, m->subject != NULL);
	ipc_put_str(o, m->subject);
	ipc_put_u8(o, m->body != NULL);
	ipc_put_u64(o, m->body ? strlen(m->body) : 0);
	ipc_put_u32(o, (uint32_t)m->nparts);
	for (int i = 0; i < m->nparts; i++) {
		ipc_put_u64(o, m->parts[i].len);
		ipc_put_str(o, m->parts[i].filename);
		ipc_put_str(o, m->parts[i].type);
	}
}

int smtp_wire_mail_decode(const struct ipc_msg *msg, smtp_wire_mail_t *w)
{
	memset(w, 0, sizeof *w);
	if (msg->type != SMTPF_MAIL)
		return -1;
	struct ipc_reader r;
	ipc_reader_init(&r, msg);
	uint32_t nrcpt = 0, nparts = 0;
	uint8_t has_subject = 0, has_body = 0;
	ipc_get_str(&r, w->session_id, sizeof w->session_id, sizeof w->session_id - 1);
	ipc_get_str(&r, w->peer, sizeof w->peer, sizeof w->peer - 1);
	ipc_get_str(&r, w->helo, sizeof w->helo, sizeof w->helo - 1);
	ipc_get_str(&r, w->mail_from, sizeof w->mail_from, SMTP_ADDR_MAX);
	if (ipc_get_u32(&r, &nrcpt) != 0 || nrcpt == 0 || nrcpt > SMTP_RCPTS_MAX)
		return -1;
	for (uint32_t i = 0; i < nrcpt; i++)
		if (ipc_get_str(&r, w->env.rcpt[i], sizeof w->env.rcpt[i], SMTP_NUMBER_MAX) != 0 ||
		    !e164(w->env.rcpt[i]))
			return -1;
	w->env.nrcpt = (int)nrcpt;
	ipc_get_u64(&r, &w->raw_len);
	ipc_get_str(&r, w->from, sizeof w->from, SMTP_ADDR_MAX);
	ipc_get_u8(&r, &has_subject);
	ipc_get_str(&r, w->subject, sizeof w->subject, SMTP_SUBJECT_MAX);
	ipc_get_u8(&r, &has_body);
	ipc_get_u64(&r, &w->body_len);
	if (ipc_get_u32(&r, &nparts) != 0 || nparts > SMTP_PARTS_MAX)
		return -1;
	for (uint32_t i = 0; i < nparts; i++) {
		ipc_get_u64(&r, &w->parts[i].len);
		ipc_get_str(&r, w->parts[i].filename, sizeof w->parts[i].filename,
			sizeof w->parts[i].filename - 1);
		ipc_get_str(&r, w->parts[i].type, sizeof w->parts[i].type,
			sizeof w->parts[i].type - 1);
		if (!ascii_printable(w->parts[i].filename) || strchr(w->parts[i].filename, '/') ||
		    !ascii_printable(w->parts[i].type))
			return -1;
	}
	w->nparts = (int)nparts;
	if (ipc_reader_end(&r) != 0 || has_subject > 1 || has_body > 1 ||
	    (!has_subject && w->subject[0]) || (!has_body && w->body_len) ||
	    w->body_len > BODY_MAX || !ascii_printable(w->session_id) ||
	    !ascii_printable(w->peer) || !ascii_printable(w->helo) ||
	    !ascii_printable(w->mail_from) || !ascii_printable(w->from) || !w->from[0] ||
	    !no_controls(w->subject))
		return -1;
	w->has_subject = has_subject;
	w->has_body = has_body;
	w->env.session_id = w->session_id;
	w->env.peer = w->peer;
	w->env.helo = w->helo;
	w->env.mail_from = w->mail_from;
	return 0;
}

int smtp_wire_parts_write(int fd, const smtp_mail_t *m)
{
	if (m->body && *m->body && fd_write_all(fd, m->body, strlen(m->body)) != 0)
		return -1;
	for (int i = 0; i < m->nparts; i++)
		if (m->parts[i].len && fd_write_all(fd, m->parts[i].data, m->parts[i].len) != 0)
			return -1;
	return 0;
}

/* The memfd's bytes when its size is exactly want (and at most max). */
static uint8_t *read_exact(int fd, uint64_t want, size_t max)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size < 0 || (uint64_t)st.st_size != want || want > max)
		return NULL;
	uint8_t *p = xmalloc(want + 1);
	size_t got = 0;
	while (got < want) {
		ssize_t n = pread(fd, p + got, want - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(p);
			return NULL;
		}
		got += (size_t)n;
	}
	p[want] = 0;
	return p;
}

int smtp_wire_mail_read(const smtp_wire_mail_t *w, int raw_fd, int parts_fd, size_t max,
	uint8_t **raw, smtp_mail_t *mail)
{
	memset(mail, 0, sizeof *mail);
	*raw = NULL;
	uint64_t total = w->body_len;
	for (int i = 0; i < w->nparts; i++) {
		if (w->parts[i].len > max)
			return -1;
		total += w->parts[i].len;
	}
	uint8_t *parts = read_exact(parts_fd, total, max);
	if (!parts)
		return -1;
	if (memchr(parts, 0, w->body_len) || !(*raw = read_exact(raw_fd, w->raw_len, max))) {
		free(parts);
		return -1;
	}
	snprintf(mail->from, sizeof mail->from, "%s", w->from);
	if (w->has_subject)
		mail->subject = xstrdup(w->subject);
	if (w->has_body)
		mail->body = xstrndup((const char *)parts, w->body_len);
	size_t off = w->body_len;
	for (int i = 0; i < w->nparts; i++) {
		smtp_part_t *p = &mail->parts[i];
		p->len = w->parts[i].len;
		p->data = xmalloc(p->len ? p->len : 1);
		memcpy(p->data, parts + off, p->len);
		off += p->len;
		snprintf(p->filename, sizeof p->filename, "%s", w->parts[i].filename);
		snprintf(p->type, sizeof p->type, "%s", w->parts[i].type);
	}
	mail->nparts = w->nparts;
	free(parts);
	return 0;
}

void smtp_wire_bounce_encode(struct ipc_out *o, const char *session_id, const char *peer,
	const char *mail_id, const smtp_dsn_t *dsn)
{
	ipc_out_init(o, SMTPF_BOUNCE, 0);
	ipc_put_str(o, session_id);
	ipc_put_str(o, peer);
	ipc_put_str(o, mail_id);
	ipc_put_u8(o, dsn != NULL);
	ipc_put_str(o, dsn ? dsn->action : "");
	ipc_put_str(o, dsn ? dsn->status : "");
	ipc_put_str(o, dsn ? dsn->diagnostic : "");
}

int smtp_wire_check(const struct ipc_msg *msg, smtp_wire_mail_t *w, smtp_wire_bounce_t *b)
{
	if (msg->type == SMTPF_BOUNCE)
		return msg->nfds == 1 && smtp_wire_bounce_decode(msg, b) == 0 ? 0 : -1;
	return msg->nfds == 3 && smtp_wire_mail_decode(msg, w) == 0 ? 0 : -1;
}

int smtp_wire_bounce_decode(const struct ipc_msg *msg, smtp_wire_bounce_t *w)
{
	memset(w, 0, sizeof *w);
	if (msg->type != SMTPF_BOUNCE)
		return -1;
	struct ipc_reader r;
	ipc_reader_init(&r, msg);
	uint8_t is_dsn = 0;
	ipc_get_str(&r, w->session_id, sizeof w->session_id, sizeof w->session_id - 1);
	ipc_get_str(&r, w->peer, sizeof w->peer, sizeof w->peer - 1);
	ipc_get_str(&r, w->mail_id, sizeof w->mail_id, SMTP_BOUNCE_ID_MAX);
	ipc_get_u8(&r, &is_dsn);
	ipc_get_str(&r, w->dsn.action, sizeof w->dsn.action, sizeof w->dsn.action - 1);
	ipc_get_str(&r, w->dsn.status, sizeof w->dsn.status, SMTP_DSN_STATUS_MAX);
	ipc_get_str(&r, w->dsn.diagnostic, sizeof w->dsn.diagnostic, SMTP_DSN_DIAG_MAX);
	static const char *const actions[] = { "failed", "delayed", "delivered", "relayed",
		"expanded", NULL };
	bool action_ok = false;
	for (int i = 0; actions[i]; i++)
		action_ok = action_ok || strcmp(w->dsn.action, actions[i]) == 0;
	bool id_ok = w->mail_id[0] != '\0';
	for (const char *p = w->mail_id; *p; p++)
		id_ok = id_ok && ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_');
	if (ipc_reader_end(&r) != 0 || is_dsn > 1 || !id_ok || !ascii_printable(w->session_id) ||
	    !ascii_printable(w->peer) || !ascii_printable(w->dsn.diagnostic) ||
	    (is_dsn && (!action_ok || !smtp_dsn_status_valid(w->dsn.status))) ||
	    (!is_dsn && (w->dsn.action[0] || w->dsn.status[0] || w->dsn.diagnostic[0]))) {
		memset(w, 0, sizeof *w);
		return -1;
	}
	w->is_dsn = is_dsn;
	return 0;
}

void smtp_wire_verdict_encode(struct ipc_out *o, const smtp_reply_t *r)
{
	ipc_out_init(o, SMTPF_VERDICT, 0);
	ipc_put_u32(o, (uint32_t)r->code);
	ipc_put_str(o, r->text);
}

int smtp_wire_verdict_decode(const struct ipc_msg *msg, smtp_reply_t *r)
{
	memset(r, 0, sizeof *r);
	uint32_t code = 0;
	struct ipc_reader rd;
	ipc_reader_init(&rd, msg);
	if (msg->type != SMTPF_VERDICT || ipc_get_u32(&rd, &code) != 0 ||
	    ipc_get_str(&rd, r->text, sizeof r->text, sizeof r->text - 1) != 0 ||
	    ipc_reader_end(&rd) != 0 || code < 200 || code > 599 || !ascii_printable(r->text)) {
		memset(r, 0, sizeof *r);
		return -1;
	}
	r->code = (int)code;
	return 0;
}
