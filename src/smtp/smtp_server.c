/* The SMTP listener and its sessions (see smtp_server.h). */
#include "smtp_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "buf.h"
#include "i18n.h"
#include "log.h"
#include "sec.h"
#include "sockaddr.h"
#include "xalloc.h"

/* sessions, accepted, refused, busy: here, or in memory shared with the
 * service (smtp_server_counters_share). */
static _Atomic uint64_t counts_local[SMTP_COUNTERS];
static _Atomic uint64_t *counts = counts_local;
#define n_sessions counts[0]
#define n_accepted counts[1]
#define n_refused counts[2]
#define n_busy counts[3]

void smtp_server_counters_share(void *area)
{
	counts = area ? area : counts_local;
}

void smtp_server_counts(uint64_t *sessions, uint64_t *accepted, uint64_t *refused, uint64_t *busy)
{
	*sessions = n_sessions;
	*accepted = n_accepted;
	*refused = n_refused;
	*busy = n_busy;
}

struct smtp_server {
	smtp_server_config_t cfg;
	int fd, port;
	int stop_pipe[2];
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t idle;
	int live;              /* sessions running */
	int fds[1024];         /* their sockets, to cut them at stop (-1: free) */
};

struct session {
	smtp_server_t *srv;
	int fd, slot;
	char id[40], peer[64], helo[256];
	char in[SMTP_DATA_LINE_MAX + 2];
	size_t start, end;     /* unread bytes of in */
	int errors;
};

/* ---- replies ---- */

/* Appends c to out (at *o, n bytes) if it fits with the NUL. */
static void put(char *out, size_t n, size_t *o, const char *c)
{
	size_t l = strlen(c);
	if (*o + l < n) {
		memcpy(out + *o, c, l);
		*o += l;
	}
}

void smtp_ascii_fold(const char *in, char *out, size_t n)
{
	/* Two-byte Latin-1 letters (U+00C0 to U+00FF) by their base letter. */
	static const char latin[65] =
		"AAAAAAACEEEEIIII" "DNOOOOOxOUUUUYTs" "aaaaaaaceeeeiiii" "dnooooo/ouuuuyty";
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;
	while (*p && o + 1 < n) {
		char one[2] = { 0, 0 };
		if (*p >= 0x20 && *p < 0x7f) {
			one[0] = (char)*p++;
			put(out, n, &o, one);
			continue;
		}
		if (*p < 0x80) { /* a control character */
			p++;
			continue;
		}
		/* Sequences: U+00A0 (NBSP), U+202F (narrow NBSP) as a blank, but
		 * none inside « »; « » “ ” as "; ’ as '; € as EUR. */
		bool nbsp = (p[0] == 0xc2 && p[1] == 0xa0) ||
			(p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0xaf);
		if (nbsp) {
			p += p[0] == 0xc2 ? 2 : 3;
			bool before_close = p[0] == 0xc2 && p[1] == 0xbb;
			bool after_open = o > 0 && out[o - 1] == '"' && (o < 2 || out[o - 2] == ' ' ||
				out[o - 2] == '(');
			if (!before_close && !after_open)
				put(out, n, &o, " ");
			continue;
		}
		if (p[0] == 0xc2 && (p[1] == 0xab || p[1] == 0xbb)) {
			put(out, n, &o, "\"");
			p += 2;
		} else if (p[0] == 0xc3 && p[1] >= 0x80 && p[1] <= 0xbf) {
			one[0] = latin[p[1] - 0x80];
			put(out, n, &o, one);
			p += 2;
		} else if (p[0] == 0xc5 && (p[1] == 0x92 || p[1] == 0x93)) {
			put(out, n, &o, p[1] == 0x92 ? "OE" : "oe");
			p += 2;
		} else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0x9c || p[2] == 0x9d)) {
			put(out, n, &o, "\"");
			p += 3;
		} else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0x98 || p[2] == 0x99)) {
			put(out, n, &o, "'");
			p += 3;
		} else if (p[0] == 0xe2 && p[1] == 0x82 && p[2] == 0xac) {
			put(out, n, &o, "EUR");
			p += 3;
		} else {
			/* Anything else: the whole sequence left out. */
			p++;
			while ((*p & 0xc0) == 0x80)
				p++;
		}
	}
	out[o] = '\0';
}

void smtp_reply_pair(smtp_reply_t *r, int code, const char *status, const char *en,
	const char *fr)
{
	r->code = code;
	char fold[sizeof r->text];
	size_t o = 0;
	put(r->text, sizeof r->text, &o, status);
	put(r->text, sizeof r->text, &o, " ");
	smtp_ascii_fold(en, fold, sizeof fold);
	put(r->text, sizeof r->text, &o, fold);
	r->text[o] = '\0';
	if (fr && strcmp(fr, en) != 0 && o + 4 < sizeof r->text) {
		/* Cut the French rather than lose the English. */
		put(r->text, sizeof r->text, &o, " / ");
		smtp_ascii_fold(fr, r->text + o, sizeof r->text - o);
	}
}

void smtp_reply_tr(smtp_reply_t *r, int code, const char *status, const char *en)
{
	smtp_reply_pair(r, code, status, en, i18n_fr(en));
}

/* ---- I/O ---- */

static int reply(struct session *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int reply(struct session *s, int code, const char *fmt, ...)
{
	char line[512];
	int n = snprintf(line, sizeof line, "%d ", code);
	va_list ap;
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof line - (size_t)n - 2, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 3)
		n = (int)sizeof line - 3;
	line[n++] = '\r';
	line[n++] = '\n';
	return send_all(s->fd, line, (size_t)n);
}

enum { LINE_OK = 1, LINE_EOF = 0, LINE_LONG = -1 };

/* Reads one line (through LF; CR LF or bare LF) of at most max bytes
 * without its end. LINE_OK with *line (in s->in, valid until the next
 * read) and *len; LINE_LONG when it was longer (it is read and dropped);
 * LINE_EOF when the peer closed, went quiet past the timeout, or failed. */
static int read_line(struct session *s, const char **line, size_t *len, size_t max)
{
	bool dropping = false;
	for (;;) {
		char *lf = memchr(s->in + s->start, '\n', s->end - s->start);
		if (lf) {
			size_t n = (size_t)(lf - (s->in + s->start));
			*line = s->in + s->start;
			s->start += n + 1;
			if (n > 0 && (*line)[n - 1] == '\r')
				n--;
			if (dropping || n > max)
				return LINE_LONG;
			*len = n;
			return LINE_OK;
		}
		if (s->end - s->start > max + 1) {
			dropping = true; /* no end in sight: keep the last byte (a CR) only */
			s->start = s->end - 1;
		}
		if (s->start > 0) {
			memmove(s->in, s->in + s->start, s->end - s->start);
			s->end -= s->start;
			s->start = 0;
		}
		ssize_t r = recv(s->fd, s->in + s->end, sizeof s->in - s->end, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return LINE_EOF;
		s->end += (size_t)r;
	}
}

/* ---- one transaction ---- */

struct txn {
	char mail_from[SMTP_ADDR_MAX + 1];
	bool has_from;
	smtp_envelope_t env;
};

/* Reads the message after DATA's 354 up to the lone dot: *msg holds it
 * (dot-unstuffed, CRLF line ends) unless it passed max (then *too_big) or
 * held a line too long (*long_line). 0, or -1 when the session ended. */
static int read_data(struct session *s, buf_t *msg, bool *too_big, bool *long_line)
{
	*too_big = *long_line = false;
	for (;;) {
		const char *l;
		size_t n = 0;
		int rc = read_line(s, &l, &n, SMTP_DATA_LINE_MAX);
		if (rc == LINE_EOF)
			return -1;
		if (rc == LINE_LONG) {
			*long_line = true;
			continue;
		}
		if (n == 1 && l[0] == '.')
			return 0;
		if (n > 0 && l[0] == '.') {
			l++;
			n--;
		}
		if (!*too_big && !*long_line &&
		    (buf_append(msg, l, n) != 0 || buf_append(msg, "\r\n", 2) != 0))
			*too_big = true;
	}
}

static void do_data(struct session *s, struct txn *t)
{
	smtp_server_t *srv = s->srv;
	buf_t msg;
	buf_init(&msg, srv->cfg.max_bytes);
	if (reply(s, 354, "End data with <CR><LF>.<CR><LF>") != 0) {
		buf_free(&msg);
		return;
	}
	bool too_big, long_line;
	if (read_data(s, &msg, &too_big, &long_line) != 0) {
		buf_free(&msg);
		s->errors = SMTP_ERRORS_MAX; /* gone */
		return;
	}
	smtp_reply_t r = { 0 };
	if (too_big) {
		i18n_msg_t m;
		i18n_msg_set(&m, "Message larger than %zu bytes", srv->cfg.max_bytes);
		smtp_reply_pair(&r, 552, "5.3.4", m.en, m.fr);
	} else if (long_line) {
		r.code = 500;
		snprintf(r.text, sizeof r.text, "5.5.2 Line longer than %d bytes",
			SMTP_DATA_LINE_MAX);
	} else {
		t->env.session_id = s->id;
		t->env.peer = s->peer;
		t->env.helo = s->helo;
		t->env.mail_from = t->mail_from;
		srv->cfg.deliver(srv->cfg.arg, &t->env, (const uint8_t *)msg.data, msg.len, &r);
	}
	/* Fax-by-email mails; bounces are counted by the service
	 * (faxvault_mail_bounces_total). */
	if (t->env.bounce_id[0])
		;
	else if (r.code >= 200 && r.code < 300)
		n_accepted++;
	else
		n_refused++;
	log_event(r.code < 300 ? LOG_INFO : LOG_WARN, "smtp.mail", "session=%s peer=%s bytes=%zu "
		"rcpts=%d code=%d lmtp=%d", s->id, s->peer, msg.len, t->env.nrcpt, r.code,
		srv->cfg.lmtp);
	buf_free(&msg);
	/* LMTP: one reply per recipient accepted at RCPT (RFC 2033 4.2). */
	for (int i = 0; i < (srv->cfg.lmtp && t->env.nrcpt ? t->env.nrcpt : 1); i++)
		if (reply(s, r.code, "%s", r.text) != 0)
			break;
}

static void do_mail(struct session *s, struct txn *t, const smtp_cmd_t *c)
{
	if (!s->helo[0]) {
		reply(s, 503, "5.5.1 Say EHLO first");
		return;
	}
	if (t->has_from) {
		reply(s, 503, "5.5.1 Nested MAIL command");
		return;
	}
	uint64_t size;
	int rc = smtp_path_parse(c->arg, c->arglen, "FROM:", t->mail_from, &size);
	if (rc == -2) {
		reply(s, 555, "5.5.4 Unsupported parameter");
		return;
	}
	if (rc != 0) {
		s->errors++;
		reply(s, 501, "5.5.2 Syntax: MAIL FROM:<address>");
		return;
	}
	if (size > s->srv->cfg.max_bytes) {
		i18n_msg_t m;
		smtp_reply_t r;
		i18n_msg_set(&m, "Message larger than %zu bytes", s->srv->cfg.max_bytes);
		smtp_reply_pair(&r, 552, "5.3.4", m.en, m.fr);
		reply(s, r.code, "%s", r.text);
		return;
	}
	t->has_from = true;
	reply(s, 250, "2.1.0 Ok");
}

static void do_rcpt(struct session *s, struct txn *t, const smtp_cmd_t *c)
{
	if (!t->has_from) {
		reply(s, 503, "5.5.1 Need MAIL first");
		return;
	}
	char addr[SMTP_ADDR_MAX + 1], num[SMTP_NUMBER_MAX + 1];
	uint64_t size;
	if (smtp_path_parse(c->arg, c->arglen, "TO:", addr, &size) != 0 || !addr[0]) {
		s->errors++;
		reply(s, 501, "5.5.2 Syntax: RCPT TO:<address>");
		return;
	}
	char bid[SMTP_BOUNCE_ID_MAX + 1];
	if (smtp_rcpt_bounce(addr, s->srv->cfg.domain, bid) == 0) {
		/* A bounce comes alone: one DSN about one message. */
		if (t->env.nrcpt || t->env.bounce_id[0]) {
			reply(s, 452, "4.5.3 A bounce address takes a mail of its own");
			return;
		}
		snprintf(t->env.bounce_id, sizeof t->env.bounce_id, "%s", bid);
		reply(s, 250, "2.1.5 Ok");
		return;
	}
	if (t->env.bounce_id[0]) {
		reply(s, 452, "4.5.3 A bounce address takes a mail of its own");
		return;
	}
	int rc = smtp_rcpt_number(addr, s->srv->cfg.domain, num);
	if (rc == -1 || rc == -2) {
		n_refused++;
		i18n_msg_t m;
		smtp_reply_t r;
		if (rc == -1)
			i18n_msg_set(&m, "Relaying denied: this server takes mail for %s only",
				s->srv->cfg.domain);
		else
			i18n_msg_set(&m, "Write the fax number in E.164 form: +15551234567@%s",
				s->srv->cfg.domain);
		smtp_reply_pair(&r, rc == -1 ? 550 : 553, rc == -1 ? "5.7.1" : "5.1.3", m.en, m.fr);
		reply(s, r.code, "%s", r.text);
		return;
	}
	if (rc == 1) /* fax@domain: the numbers come from the Subject */
		num[0] = '\0';
	if (t->env.nrcpt == SMTP_RCPTS_MAX) {
		reply(s, 452, "4.5.3 Too many recipients");
		return;
	}
	snprintf(t->env.rcpt[t->env.nrcpt++], SMTP_NUMBER_MAX + 1, "%s", num);
	reply(s, 250, "2.1.5 Ok");
}

/* ---- a session ---- */

static void session_run(struct session *s)
{
	smtp_server_t *srv = s->srv;
	const char *host = srv->cfg.hostname ? srv->cfg.hostname : srv->cfg.domain;
	bool lmtp = srv->cfg.lmtp;
	if (reply(s, 220, "%s %s faxvault", host, lmtp ? "LMTP" : "ESMTP") != 0)
		return;
	struct txn t;
	memset(&t, 0, sizeof t);
	while (s->errors < SMTP_ERRORS_MAX) {
		const char *l;
		size_t n = 0;
		int rc = read_line(s, &l, &n, SMTP_CMD_MAX - 2);
		if (rc == LINE_EOF) {
			reply(s, 421, "4.4.2 %s Timeout or connection lost, closing", host);
			return;
		}
		smtp_cmd_t c;
		if (rc == LINE_LONG) {
			s->errors++;
			reply(s, 500, "5.5.2 Line too long");
			continue;
		}
		if (smtp_cmd_parse(l, n, &c) != 0) {
			s->errors++;
			reply(s, 500, "5.5.2 Syntax error");
			continue;
		}
		if (lmtp ? (c.verb == SMTP_EHLO || c.verb == SMTP_HELO) : c.verb == SMTP_LHLO) {
			/* RFC 2033 4.1: an LMTP server does not take HELO or EHLO. */
			s->errors++;
			reply(s, 500, lmtp ? "5.5.1 This is LMTP: say LHLO" : "5.5.1 This is SMTP: say EHLO");
			continue;
		}
		switch (c.verb) {
		case SMTP_EHLO:
		case SMTP_HELO:
		case SMTP_LHLO:
			if (c.arglen == 0 || c.arglen >= sizeof s->helo) {
				s->errors++;
				reply(s, 501, "5.5.4 Syntax: %s hostname", c.verb == SMTP_EHLO ? "EHLO" :
					c.verb == SMTP_LHLO ? "LHLO" : "HELO");
				break;
			}
			memcpy(s->helo, c.arg, c.arglen);
			s->helo[c.arglen] = '\0';
			memset(&t, 0, sizeof t);
			if (c.verb == SMTP_HELO) {
				reply(s, 250, "%s", host);
			} else {
				char msg[512];
				/* LMTP requires PIPELINING (RFC 2033 4.1): commands
				 * read ahead stay buffered in the session. */
				snprintf(msg, sizeof msg, "250-%s\r\n250-SIZE %zu\r\n250-8BITMIME\r\n"
					"%s250 ENHANCEDSTATUSCODES\r\n", host, srv->cfg.max_bytes,
					lmtp ? "250-PIPELINING\r\n" : "");
				send_all(s->fd, msg, strlen(msg));
			}
			break;
		case SMTP_MAIL:
			do_mail(s, &t, &c);
			break;
		case SMTP_RCPT:
			do_rcpt(s, &t, &c);
			break;
		case SMTP_DATA:
			if (c.arglen) {
				reply(s, 501, "5.5.4 DATA takes no argument");
			} else if (!t.has_from || (t.env.nrcpt == 0 && !t.env.bounce_id[0])) {
				reply(s, 503, "5.5.1 Need MAIL and RCPT first");
			} else {
				do_data(s, &t);
				memset(&t, 0, sizeof t);
			}
			break;
		case SMTP_RSET:
			memset(&t, 0, sizeof t);
			reply(s, 250, "2.0.0 Ok");
			break;
		case SMTP_NOOP:
			reply(s, 250, "2.0.0 Ok");
			break;
		case SMTP_VRFY:
			/* Says nothing of which addresses exist. */
			reply(s, 252, "2.5.2 Cannot VRFY; send the mail and see");
			break;
		case SMTP_HELP:
			reply(s, 214, "2.0.0 Send mail to +E164@%s with the documents attached",
				srv->cfg.domain);
			break;
		case SMTP_QUIT:
			reply(s, 221, "2.0.0 Bye");
			return;
		case SMTP_UNKNOWN:
			s->errors++;
			reply(s, 502, "5.5.1 Command not implemented");
			break;
		}
	}
	reply(s, 421, "4.7.0 Too many errors, closing");
}

static void *session_main(void *p)
{
	struct session *s = p;
	smtp_server_t *srv = s->srv;
	log_event(LOG_INFO, "smtp.session", "session=%s peer=%s", s->id, s->peer);
	session_run(s);
	close(s->fd);
	pthread_mutex_lock(&srv->mu);
	srv->fds[s->slot] = -1;
	if (--srv->live == 0)
		pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->mu);
	free(s);
	return NULL;
}

static void peer_text(const struct sockaddr_storage *ss, char *out, size_t n)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, out, (socklen_t)n);
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &a->sin_addr, out, (socklen_t)n);
	}
}

static void accept_one(smtp_server_t *srv)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	int fd = accept4(srv->fd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct timeval tv = { .tv_sec = srv->cfg.timeout_ms / 1000,
		.tv_usec = (srv->cfg.timeout_ms % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	pthread_mutex_lock(&srv->mu);
	int slot = -1;
	if (srv->live < srv->cfg.max_sessions)
		for (int i = 0; i < (int)(sizeof srv->fds / sizeof srv->fds[0]) && slot < 0; i++)
			if (srv->fds[i] < 0)
				slot = i;
	if (slot < 0) {
		pthread_mutex_unlock(&srv->mu);
		n_busy++;
		static const char busy[] = "421 4.3.2 Too many sessions, try again later\r\n";
		send_all(fd, busy, sizeof busy - 1);
		close(fd);
		return;
	}
	srv->fds[slot] = fd;
	srv->live++;
	pthread_mutex_unlock(&srv->mu);
	struct session *s = xcalloc(1, sizeof *s);
	s->srv = srv;
	s->fd = fd;
	s->slot = slot;
	char *id = sec_new_id("smtp");
	snprintf(s->id, sizeof s->id, "%s", id);
	free(id);
	peer_text(&ss, s->peer, sizeof s->peer);
	n_sessions++;
	pthread_t th;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&th, &at, session_main, s);
	pthread_attr_destroy(&at);
	if (rc != 0) {
		log_event(LOG_ERROR, "smtp.session", "session=%s err=\"no thread\"", s->id);
		close(fd);
		pthread_mutex_lock(&srv->mu);
		srv->fds[slot] = -1;
		srv->live--;
		pthread_mutex_unlock(&srv->mu);
		free(s);
	}
}

static void *accept_main(void *p)
{
	smtp_server_t *srv = p;
	for (;;) {
		struct pollfd pf[2] = { { .fd = srv->fd, .events = POLLIN },
			{ .fd = srv->stop_pipe[0], .events = POLLIN } };
		int rc = poll(pf, 2, -1);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0 || pf[1].revents)
			break;
		if (pf[0].revents & POLLIN)
			accept_one(srv);
	}
	return NULL;
}

smtp_server_t *smtp_server_start(const smtp_server_config_t *cfg, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	if (sockaddr_parse(cfg->listen, &ss, &sl) != 0) {
		snprintf(err, errlen, "mail.%s_listen \"%s\" is not ADDR:PORT",
			cfg->lmtp ? "lmtp" : "smtp", cfg->listen);
		return NULL;
	}
	int fd = cfg->listen_fd;
	int one = 1;
	if (fd < 0)
		fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || (fd != cfg->listen_fd &&
			      (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
				      bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 64) != 0))) {
		snprintf(err, errlen, "cannot listen on %s: %s", cfg->listen, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	smtp_server_t *srv = xcalloc(1, sizeof *srv);
	srv->cfg = *cfg;
	if (srv->cfg.max_sessions > (int)(sizeof srv->fds / sizeof srv->fds[0]))
		srv->cfg.max_sessions = (int)(sizeof srv->fds / sizeof srv->fds[0]);
	srv->fd = fd;
	for (size_t i = 0; i < sizeof srv->fds / sizeof srv->fds[0]; i++)
		srv->fds[i] = -1;
	struct sockaddr_storage bound;
	socklen_t bl = sizeof bound;
	getsockname(fd, (struct sockaddr *)&bound, &bl);
	srv->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
						      : ((struct sockaddr_in *)&bound)->sin_port);
	pthread_mutex_init(&srv->mu, NULL);
	pthread_cond_init(&srv->idle, NULL);
	if (pipe2(srv->stop_pipe, O_CLOEXEC) != 0 ||
	    pthread_create(&srv->thread, NULL, accept_main, srv) != 0) {
		snprintf(err, errlen, "cannot start the SMTP listener: %s", strerror(errno));
		close(fd);
		free(srv);
		return NULL;
	}
	log_event(LOG_INFO, cfg->lmtp ? "lmtp.listening" : "smtp.listening", "listen=%s port=%d "
		"domain=%s max_bytes=%zu max_sessions=%d", cfg->listen, srv->port, cfg->domain,
		cfg->max_bytes, srv->cfg.max_sessions);
	return srv;
}

int smtp_server_port(const smtp_server_t *s)
{
	return s->port;
}

void smtp_server_stop(smtp_server_t *s)
{
	if (!s)
		return;
	char b = 1;
	if (write(s->stop_pipe[1], &b, 1) != 1)
		log_event(LOG_WARN, "smtp.stop", "err=\"%s\"", strerror(errno));
	pthread_join(s->thread, NULL);
	close(s->fd);
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < sizeof s->fds / sizeof s->fds[0]; i++)
		if (s->fds[i] >= 0)
			shutdown(s->fds[i], SHUT_RDWR);
	while (s->live > 0)
		pthread_cond_wait(&s->idle, &s->mu);
	pthread_mutex_unlock(&s->mu);
	close(s->stop_pipe[0]);
	close(s->stop_pipe[1]);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->idle);
	free(s);
}
