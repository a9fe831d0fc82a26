/* The SIP front end's messages (see sip_wire.h). */
#include "sip_wire.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "linecall.h"
#include "siptrans.h"

static const struct {
	const char *full, *compact;
} compact_forms[] = {
	{ "Via", "v" }, { "From", "f" }, { "To", "t" }, { "Call-ID", "i" },
	{ "Contact", "m" }, { "Content-Length", "l" }, { "Content-Type", "c" },
	{ "Supported", "k" }, { "Subject", "s" }, { "Session-Expires", "x" },
};

const char *sip_wire_full_name(const char *name)
{
	for (size_t k = 0; k < sizeof compact_forms / sizeof compact_forms[0]; k++)
		if (strcasecmp(name, compact_forms[k].compact) == 0)
			return compact_forms[k].full;
	return name;
}

/* Printable ASCII (and tabs when tab). */
static int printable(const char *s, int tab)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && !(tab && *s == '\t')) || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* A header's name: RFC 3261 token characters. */
static int token(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			    strchr("-.!%*_+`'~", c)))
			return 0;
	}
	return 1;
}

/* A printable string field of at most max bytes into out[cap]. */
static int get_text(struct ipc_reader *r, char *out, size_t cap, size_t max, int tab)
{
	if (ipc_get_str(r, out, cap, max) != 0)
		return -1;
	if (!printable(out, tab)) {
		r->failed = 1;
		return -1;
	}
	return 0;
}

static int get_int(struct ipc_reader *r, int *v, int64_t lo, int64_t hi)
{
	int64_t x;
	if (ipc_get_i64(r, &x) != 0)
		return -1;
	if (x < lo || x > hi) {
		r->failed = 1;
		return -1;
	}
	*v = (int)x;
	return 0;
}

static void put_int(struct ipc_out *o, int v)
{
	ipc_put_i64(o, v);
}

/* A clock speed in millionths (1.0 .. 1000.0). */
static void put_speed(struct ipc_out *o, double v)
{
	ipc_put_u64(o, (uint64_t)llround((v >= 1 && v <= 1000 ? v : 1.0) * 1e6));
}

static int get_speed(struct ipc_reader *r, double *v)
{
	uint64_t x;
	if (ipc_get_u64(r, &x) != 0)
		return -1;
	if (x < 1000000u || x > 1000000000u) {
		r->failed = 1;
		return -1;
	}
	*v = (double)x / 1e6;
	return 0;
}

#define INT_MAXV 2147483647

void sip_wire_listen_encode(struct ipc_out *o, const sip_wire_listen_t *l)
{
	ipc_out_init(o, SIPF_LISTEN, l->id);
	ipc_put_u32(o, l->id);
	ipc_put_u8(o, (uint8_t)(l->screened != 0));
	ipc_put_str(o, l->listen);
	put_int(o, l->transport);
	put_int(o, l->t38);
	put_int(o, l->ecm);
	put_int(o, l->max_call_ms);
	put_int(o, l->media_threads);
	put_int(o, l->media_priority);
	put_int(o, l->rx_durable);
	put_int(o, l->ident_called);
	put_speed(o, l->clock_speed);
	ipc_put_str(o, l->tls_cert);
	ipc_put_str(o, l->tls_key);
	put_int(o, l->tls_verify_client);
	ipc_put_str(o, l->public_address);
}

int sip_wire_listen_decode(const struct ipc_msg *m, sip_wire_listen_t *l)
{
	memset(l, 0, sizeof *l);
	if (m->type != SIPF_LISTEN)
		return -1;
	struct ipc_reader r;
	ipc_reader_init(&r, m);
	uint8_t scr = 0;
	ipc_get_u32(&r, &l->id);
	ipc_get_u8(&r, &scr);
	l->screened = scr;
	get_text(&r, l->listen, sizeof l->listen, sizeof l->listen - 1, 0);
	get_int(&r, &l->transport, 0, 2);
	get_int(&r, &l->t38, 0, 2);
	get_int(&r, &l->ecm, 0, 1);
	get_int(&r, &l->max_call_ms, 0, INT_MAXV);
	get_int(&r, &l->media_threads, 0, 64);
	get_int(&r, &l->media_priority, 0, 99);
	get_int(&r, &l->rx_durable, 0, 1);
	get_int(&r, &l->ident_called, 0, 1);
	get_speed(&r, &l->clock_speed);
	get_text(&r, l->tls_cert, sizeof l->tls_cert, SIPF_PATH_MAX, 0);
	get_text(&r, l->tls_key, sizeof l->tls_key, SIPF_PATH_MAX, 0);
	get_int(&r, &l->tls_verify_client, 0, 2);
	get_text(&r, l->public_address, sizeof l->public_address, sizeof l->public_address - 1, 0);
	return scr > 1 || l->id >= SIPF_LISTENERS_MAX ? -1 : ipc_reader_end(&r);
}

void sip_wire_listening_encode(struct ipc_out *o, uint32_t id, int port)
{
	ipc_out_init(o, SIPF_LISTENING, id);
	ipc_put_u32(o, id);
	ipc_put_u32(o, port > 0 && port < 65536 ? (uint32_t)port : 0);
}

int sip_wire_listening_decode(const struct ipc_msg *m, uint32_t *id, int *port)
{
	if (m->type != SIPF_LISTENING)
		return -1;
	struct ipc_reader r;
	ipc_reader_init(&r, m);
	uint32_t p = 0;
	ipc_get_u32(&r, id);
	ipc_get_u32(&r, &p);
	if (ipc_reader_end(&r) != 0 || *id >= SIPF_LISTENERS_MAX || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

void sip_wire_unlisten_encode(struct ipc_out *o, uint32_t id)
{
	ipc_out_init(o, SIPF_UNLISTEN, id);
	ipc_put_u32(o, id);
}

int sip_wire_unlisten_decode(const struct ipc_msg *m, uint32_t *id)
{
	if (m->type != SIPF_UNLISTEN)
		return -1;
	struct ipc_reader r;
	ipc_reader_init(&r, m);
	ipc_get_u32(&r, id);
	return ipc_reader_end(&r) != 0 || *id >= SIPF_LISTENERS_MAX ? -1 : 0;
}

int sip_wire_invite_encode(struct ipc_out *o, const sip_wire_invite_t *w)
{
	const line_invite_t *v = &w->inv;
	if (w->nheaders > SIPF_HEADERS_MAX || w->listener >= SIPF_LISTENERS_MAX || w->auth < 0 ||
	    w->auth > LINECALL_AUTH_CREDENTIALS || strlen(w->auth_user) >= sizeof w->auth_user || !printable(w->auth_user, 0) ||
	    (w->auth != LINECALL_AUTH_CREDENTIALS && w->auth_user[0]))
		return -1;
	const char *strs[] = { v->src_ip, v->ruri_user, v->to_user, v->from_user, v->pai_user };
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		if (strlen(strs[i]) > 63 || !printable(strs[i], 0))
			return -1;
	if (!printable(w->ruri, 1) || !printable(v->peer_names, 0))
		return -1;
	for (size_t i = 0; i < w->nheaders; i++)
		if (!token(w->headers[i].name) || strlen(w->headers[i].name) > SIPF_NAME_MAX ||
		    !printable(w->headers[i].value, 1) || !printable(w->headers[i].user, 0))
			return -1;
	ipc_out_init(o, SIPF_INVITE, w->listener);
	ipc_put_u32(o, w->listener);
	ipc_put_str(o, v->src_ip);
	ipc_put_u32(o, (uint32_t)v->src_port);
	ipc_put_str(o, v->ruri_user);
	ipc_put_str(o, v->to_user);
	ipc_put_str(o, v->from_user);
	ipc_put_str(o, v->pai_user);
	ipc_put_str(o, w->ruri);
	ipc_put_u32(o, (uint32_t)w->nheaders);
	for (size_t i = 0; i < w->nheaders; i++) {
		ipc_put_str(o, w->headers[i].name);
		ipc_put_str(o, w->headers[i].value);
		ipc_put_str(o, w->headers[i].user);
	}
	ipc_put_u8(o, (uint8_t)w->auth);
	ipc_put_str(o, w->auth_user);
	ipc_put_str(o, v->peer_names);
	return o->failed ? -1 : 0;
}

int sip_wire_invite_decode(const struct ipc_msg *m, sip_wire_invite_t *w)
{
	memset(w, 0, sizeof *w);
	if (m->type != SIPF_INVITE)
		return -1;
	struct ipc_reader r;
	ipc_reader_init(&r, m);
	line_invite_t *v = &w->inv;
	uint32_t port = 0, n = 0;
	ipc_get_u32(&r, &w->listener);
	get_text(&r, v->src_ip, sizeof v->src_ip, sizeof v->src_ip - 1, 0);
	ipc_get_u32(&r, &port);
	get_text(&r, v->ruri_user, sizeof v->ruri_user, 63, 0);
	get_text(&r, v->to_user, sizeof v->to_user, 63, 0);
	get_text(&r, v->from_user, sizeof v->from_user, 63, 0);
	get_text(&r, v->pai_user, sizeof v->pai_user, 63, 0);
	get_text(&r, w->ruri, sizeof w->ruri, SIPF_VALUE_MAX, 1);
	if (ipc_get_u32(&r, &n) != 0 || n > SIPF_HEADERS_MAX)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		struct sip_wire_header *h = &w->headers[i];
		get_text(&r, h->name, sizeof h->name, SIPF_NAME_MAX, 0);
		get_text(&r, h->value, sizeof h->value, SIPF_VALUE_MAX, 1);
		get_text(&r, h->user, sizeof h->user, sizeof h->user - 1, 0);
		if (r.failed || !token(h->name))
			return -1;
	}
	w->nheaders = n;
	uint8_t auth = 0;
	ipc_get_u8(&r, &auth);
	get_text(&r, w->auth_user, sizeof w->auth_user, sizeof w->auth_user - 1, 0);
	w->auth = auth;
	get_text(&r, v->peer_names, sizeof v->peer_names, sizeof v->peer_names - 1, 0);
	unsigned char a[16];
	if (auth > LINECALL_AUTH_CREDENTIALS || (auth != LINECALL_AUTH_CREDENTIALS && w->auth_user[0]))
		return -1;
	/* the Authorization never comes as a header */
	for (uint32_t i = 0; i < n; i++)
		if (strcasecmp(w->headers[i].name, "Authorization") == 0 ||
		    strcasecmp(w->headers[i].name, "Proxy-Authorization") == 0)
			return -1;
	if (ipc_reader_end(&r) != 0 || w->listener >= SIPF_LISTENERS_MAX || port > 65535 ||
	    (inet_pton(AF_INET, v->src_ip, a) != 1 && inet_pton(AF_INET6, v->src_ip, a) != 1))
		return -1;
	v->src_port = (int)port;
	memcpy(v->called, v->ruri_user, sizeof v->called);
	memcpy(v->caller, v->from_user, sizeof v->caller);
	return 0;
}

int sip_wire_invite_header(const void *wv, int kind, const char *name, char *out, size_t cap)
{
	const sip_wire_invite_t *w = wv;
	const char *val = NULL;
	if (kind == LINECALL_HDR_RURI) {
		val = w->ruri;
	} else {
		const char *full = sip_wire_full_name(name);
		for (size_t i = 0; i < w->nheaders && !val; i++)
			if (strcasecmp(w->headers[i].name, full) == 0)
				val = kind == LINECALL_HDR_USER ? w->headers[i].user : w->headers[i].value;
	}
	if (!val || (kind != LINECALL_HDR_VALUE && !*val) || strlen(val) >= cap)
		return -1;
	snprintf(out, cap, "%s", val);
	return 0;
}

void sip_wire_answer_encode(struct ipc_out *o, const sip_wire_answer_t *a)
{
	ipc_out_init(o, SIPF_ANSWER, 0);
	put_int(o, a->status);
	ipc_put_str(o, a->called);
	ipc_put_str(o, a->caller);
	put_int(o, a->retry_after);
	put_int(o, a->challenge);
	ipc_put_i64(o, a->now);
}

int sip_wire_answer_decode(const struct ipc_msg *m, sip_wire_answer_t *a)
{
	memset(a, 0, sizeof *a);
	if (m->type != SIPF_ANSWER)
		return -1;
	struct ipc_reader r;
	ipc_reader_init(&r, m);
	get_int(&r, &a->status, 0, 699);
	get_text(&r, a->called, sizeof a->called, 63, 0);
	get_text(&r, a->caller, sizeof a->caller, 63, 0);
	get_int(&r, &a->retry_after, 0, 86400);
	get_int(&r, &a->challenge, 0, 2);
	ipc_get_i64(&r, &a->now);
	if (ipc_reader_end(&r) != 0 || a->now < 0 || (a->challenge && a->status != 401))
		return -1;
	return 0;
}

/* An optional text: a flag, then the text. */
static void put_opt(struct ipc_out *o, const char *s)
{
	ipc_put_u8(o, s != NULL);
	ipc_put_str(o, s ? s : "");
}

static int get_opt(struct ipc_reader *r, int *has, char *out, size_t cap, size_t max)
{
	uint8_t f = 0;
	if (ipc_get_u8(r, &f) != 0 || f > 1) {
		r->failed = 1;
		return -1;
	}
	*has = f;
	return get_text(r, out, cap, max, 0);
}

static int fits(const char *s, size_t max);
static int hexn(const char *s, size_t n);

int sip_wire_send_encode(struct ipc_out *o, const line_cfg_t *c, const char *target)
{
	const char *texts[] = { target, c->ident, c->header, c->user, c->password, c->from_user, c->tls_name };
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		if (texts[i] && strlen(texts[i]) > SIPF_TEXT_MAX)
			return -1;
	/* The HA1 for the realm the caller knows; the trunk's password only
	 * when it knows none (the first call to a trunk), never both. */
	int ha1 = c->user && c->ha1_realm && c->ha1_md5;
	int pw = c->user && c->password && !ha1;
	if (ha1 && (!fits(c->ha1_realm, DIGEST_FIELD_MAX - 1) || !hexn(c->ha1_md5, 32)))
		return -1;
	if (c->public_address && strlen(c->public_address) > 63)
		return -1;
	ipc_out_init(o, SIPF_SEND, 0);
	put_int(o, c->t38);
	put_int(o, c->ecm);
	put_int(o, c->max_rate);
	put_int(o, c->ring_ms);
	put_int(o, c->invite_timeout_ms);
	put_int(o, c->max_call_ms);
	put_int(o, c->media_priority);
	put_int(o, c->first_page);
	put_int(o, c->last_page);
	put_int(o, c->sip_transport);
	put_speed(o, c->clock_speed);
	ipc_put_str(o, target);
	put_opt(o, c->ident);
	put_opt(o, c->header);
	put_opt(o, c->user);
	put_opt(o, pw ? c->password : NULL);
	put_opt(o, ha1 ? c->ha1_realm : NULL);
	ipc_put_str(o, ha1 ? c->ha1_md5 : "");
	ipc_put_str(o, c->from_user);
	put_opt(o, c->tls_ca);
	put_opt(o, c->tls_cert);
	ipc_put_str(o, c->tls_cert ? c->tls_key : "");
	put_opt(o, c->tls_name);
	put_opt(o, c->public_address);
	put_int(o, c->symmetric_media != 0);
	return o->failed ? -1 : 0;
}

int sip_wire_send_decode(const struct ipc_msg *m, sip_wire_send_t *s)
{
	memset(s, 0, sizeof *s);
	if (m->type != SIPF_SEND)
		return -1;
	struct ipc_reader r;
	ipc_reader_init(&r, m);
	get_int(&r, &s->t38, 0, 2);
	get_int(&r, &s->ecm, 0, 1);
	get_int(&r, &s->max_rate, 2400, 14400);
	get_int(&r, &s->ring_ms, 0, INT_MAXV);
	get_int(&r, &s->invite_timeout_ms, 0, INT_MAXV);
	get_int(&r, &s->max_call_ms, 0, INT_MAXV);
	get_int(&r, &s->media_priority, 0, 99);
	get_int(&r, &s->first_page, 0, INT_MAXV);
	get_int(&r, &s->last_page, 0, INT_MAXV);
	get_int(&r, &s->sip_transport, 0, 2);
	get_speed(&r, &s->clock_speed);
	get_text(&r, s->target, sizeof s->target, SIPF_TEXT_MAX, 0);
	get_opt(&r, &s->has_ident, s->ident, sizeof s->ident, SIPF_TEXT_MAX);
	get_opt(&r, &s->has_header, s->header, sizeof s->header, SIPF_TEXT_MAX);
	get_opt(&r, &s->has_user, s->user, sizeof s->user, SIPF_TEXT_MAX);
	get_opt(&r, &s->has_password, s->password, sizeof s->password, SIPF_TEXT_MAX);
	get_opt(&r, &s->has_ha1, s->ha1_realm, sizeof s->ha1_realm, sizeof s->ha1_realm - 1);
	get_text(&r, s->ha1_md5, sizeof s->ha1_md5, sizeof s->ha1_md5 - 1, 0);
	get_text(&r, s->from_user, sizeof s->from_user, SIPF_TEXT_MAX, 0);
	get_opt(&r, &s->has_tls_ca, s->tls_ca, sizeof s->tls_ca, SIPF_PATH_MAX);
	get_opt(&r, &s->has_tls_cert, s->tls_cert, sizeof s->tls_cert, SIPF_PATH_MAX);
	get_text(&r, s->tls_key, sizeof s->tls_key, SIPF_PATH_MAX, 0);
	get_opt(&r, &s->has_tls_name, s->tls_name, sizeof s->tls_name, SIPF_TEXT_MAX);
	get_opt(&r, &s->has_public_address, s->public_address, sizeof s->public_address, sizeof s->public_address - 1);
	get_int(&r, &s->symmetric_media, 0, 1);
	if (ipc_reader_end(&r) != 0)
		return -1;
	if (s->has_ha1 ? !s->has_user || !hexn(s->ha1_md5, 32) : s->ha1_md5[0] != '\0')
		return -1;
	if (s->has_password && (!s->has_user || s->has_ha1))
		return -1;
	return 0;
}

void sip_wire_send_cfg(const sip_wire_send_t *s, line_cfg_t *c)
{
	line_cfg_defaults(c);
	c->t38 = s->t38;
	c->ecm = s->ecm;
	c->max_rate = s->max_rate;
	c->ring_ms = s->ring_ms;
	c->invite_timeout_ms = s->invite_timeout_ms;
	c->max_call_ms = s->max_call_ms;
	c->media_threads = 0;
	c->media_priority = s->media_priority;
	c->first_page = s->first_page;
	c->last_page = s->last_page;
	c->sip_transport = s->sip_transport;
	c->clock_speed = s->clock_speed;
	c->ident = s->has_ident ? s->ident : NULL;
	c->header = s->has_header ? s->header : NULL;
	c->user = s->has_user ? s->user : NULL;
	c->password = s->has_password ? s->password : NULL;
	c->ha1_realm = s->has_ha1 ? s->ha1_realm : NULL;
	c->ha1_md5 = s->has_ha1 ? s->ha1_md5 : NULL;
	c->from_user = s->from_user;
	c->tls_ca = s->has_tls_ca ? s->tls_ca : NULL;
	c->tls_cert = s->has_tls_cert ? s->tls_cert : NULL;
	c->tls_key = s->has_tls_cert ? s->tls_key : NULL;
	c->tls_name = s->has_tls_name ? s->tls_name : NULL;
	c->public_address = s->has_public_address ? s->public_address : NULL;
	c->symmetric_media = s->symmetric_media;
}

void sip_wire_page_encode(struct ipc_out *o, int page, int ok)
{
	ipc_out_init(o, SIPF_PAGE, 0);
	put_int(o, page);
	ipc_put_u8(o, ok ? 1 : 0);
}

int sip_wire_page_decode(const struct ipc_msg *m, int *page, int *ok)
{
	if (m->type != SIPF_PAGE)
		return -1;
	struct ipc_reader r;
	ipc_reader_init(&r, m);
	uint8_t k = 0;
	get_int(&r, page, 1, 1000000);
	ipc_get_u8(&r, &k);
	if (ipc_reader_end(&r) != 0 || k > 1)
		return -1;
	*ok = k;
	return 0;
}

/* fax_result_t's fields in one order, for both directions: ints, texts
 * (with the buffer they fill), counters. */
#define R_INTS(X) X(outbound, 0, 1) X(sip_status, 0, 699) X(answered, 0, 1) X(network_error, 0, 1) \
	X(remote_hangup, 0, 1) X(t38_refused, 0, 1) X(t38_switches, 0, 1000000) X(t30_heard, 0, 1) \
	X(t30_done, 0, 1) X(t30_code, -1000, 1000) X(bit_rate, 0, 1000000) X(ecm, 0, 1) \
	X(pages_total, 0, 1000000) X(pages_sent, 0, 1000000) X(pages_confirmed, 0, 1000000) \
	X(pages_received, 0, 1000000) X(first_page, 0, 1000000) X(ok, 0, 1)
#define R_TEXTS(X) X(call_id) X(transport) X(codec) X(t30_text) X(remote_ident) X(local_ident) X(file) \
	X(to_user) X(from_user) X(link_error) X(fail_class) X(reason) X(auth_realm)
#define R_COUNTERS(X) X(bad_packets) X(lost_frames) X(late_frames) X(ifp_recovered) X(ifp_lost) \
	X(packets_sent) X(packets_received) X(foreign_packets)

void sip_wire_result_encode(struct ipc_out *o, int rc, const fax_result_t *r)
{
	ipc_out_init(o, SIPF_RESULT, 0);
	put_int(o, rc == 0 ? 0 : -1);
#define PUT_I(f, lo, hi) put_int(o, r->f < (lo) ? (lo) : r->f > (hi) ? (hi) : r->f);
#define PUT_T(f) ipc_put_str(o, printable(r->f, 0) ? r->f : "");
#define PUT_C(f) ipc_put_u32(o, r->f);
	R_INTS(PUT_I)
	R_TEXTS(PUT_T)
	R_COUNTERS(PUT_C)
	ipc_put_i64(o, r->start_ms);
	ipc_put_i64(o, r->duration_ms);
	int n = r->npages < 0 ? 0 : r->npages > FAX_PAGES_MAX ? FAX_PAGES_MAX : r->npages;
	ipc_put_u32(o, (uint32_t)n);
	for (int i = 0; i < n; i++) {
		put_int(o, r->pages[i].page);
		ipc_put_str(o, printable(r->pages[i].result, 0) ? r->pages[i].result : "");
		put_int(o, r->pages[i].bad_rows);
	}
}

int sip_wire_result_decode(const struct ipc_msg *m, int *rc, fax_result_t *r)
{
	memset(r, 0, sizeof *r);
	if (m->type != SIPF_RESULT)
		return -1;
	struct ipc_reader rd;
	ipc_reader_init(&rd, m);
	get_int(&rd, rc, -1, 0);
#define GET_I(f, lo, hi) get_int(&rd, &r->f, lo, hi);
#define GET_T(f) get_text(&rd, r->f, sizeof r->f, sizeof r->f - 1, 0);
#define GET_C(f) ipc_get_u32(&rd, &r->f);
	R_INTS(GET_I)
	R_TEXTS(GET_T)
	R_COUNTERS(GET_C)
	ipc_get_i64(&rd, &r->start_ms);
	ipc_get_i64(&rd, &r->duration_ms);
	uint32_t n = 0;
	if (ipc_get_u32(&rd, &n) != 0 || n > FAX_PAGES_MAX)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		get_int(&rd, &r->pages[i].page, 0, 1000000);
		get_text(&rd, r->pages[i].result, sizeof r->pages[i].result, sizeof r->pages[i].result - 1, 0);
		get_int(&rd, &r->pages[i].bad_rows, 0, 1000000);
	}
	r->npages = (int)n;
	if (ipc_reader_end(&rd) != 0 || r->start_ms < 0 || r->duration_ms < 0)
		return -1;
	/* The class names a class: lower-case letters, digits and '_' only
	 * ("t30_error" has digits: refusing it took a call that failed in
	 * T.30 for a malformed message, and the front end was killed with
	 * every call it carried). */
	for (const char *p = r->fail_class; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return -1;
	return 0;
}

/* ---- registrations, keep-alives, inbound digest ---- */

/* A text of at most max bytes that must be printable; NULL as "". */
static int fits(const char *s, size_t max)
{
	return !s || (strlen(s) <= max && printable(s, 0));
}

/* Hex digits only, exactly n of them (n 0: any number, none allowed). */
static int hexn(const char *s, size_t n)
{
	size_t k = strspn(s, "0123456789abcdef");
	return s[k] == '\0' && (n == 0 || k == n);
}

/* A Call-ID we made (register.c): empty or hex. */
static int call_id_ok(const char *s)
{
	return strlen(s) < REGISTER_CALL_ID_MAX && hexn(s, 0);
}

int sip_wire_reg_encode(struct ipc_out *o, const linecall_reg_t *r, int timeout_ms)
{
	const register_binding_t *b = &r->b;
	int has_ha1 = b->ha1_md5 && b->ha1_realm;
	if (!fits(r->trunk_id, 63) || !b->registrar || !fits(b->registrar, SIPF_TEXT_MAX) || !b->user ||
	    !fits(b->user, DIGEST_FIELD_MAX - 1) || !fits(b->password, SIPF_TEXT_MAX) ||
	    (has_ha1 && (!fits(b->ha1_realm, DIGEST_FIELD_MAX - 1) || !hexn(b->ha1_md5, 32))) ||
	    !fits(r->contact[0], 95) || !fits(r->contact[1], 95) || !fits(b->contact, 95) ||
	    !fits(b->tls_ca, SIPF_PATH_MAX) || !fits(b->tls_cert, SIPF_PATH_MAX) || !fits(b->tls_key, SIPF_PATH_MAX) ||
	    !fits(b->tls_name, SIPF_TEXT_MAX) || !call_id_ok(b->call_id) || b->expires < 0 || b->expires > 86400 || b->transport < 0 || b->transport > 2 ||
	    r->ntargets < 1 || r->ntargets > LINECALL_REG_TARGETS)
		return -1;
	for (int i = 0; i < r->ntargets; i++)
		if (!fits(r->targets[i], sizeof r->targets[i] - 1) || (r->target_family[i] != 4 && r->target_family[i] != 6))
			return -1;
	ipc_out_init(o, SIPF_REGISTER, 0);
	ipc_put_str(o, r->trunk_id);
	ipc_put_str(o, b->registrar);
	ipc_put_str(o, b->user);
	put_opt(o, b->password);
	put_opt(o, has_ha1 ? b->ha1_realm : NULL);
	ipc_put_str(o, has_ha1 ? b->ha1_md5 : "");
	/* the Contacts: both "" keeps b->contact (a removal) */
	int pick = r->contact[0][0] || r->contact[1][0];
	ipc_put_str(o, pick ? r->contact[0] : b->contact ? b->contact : "");
	ipc_put_str(o, pick ? r->contact[1] : b->contact ? b->contact : "");
	put_int(o, b->expires);
	put_int(o, b->transport);
	put_int(o, timeout_ms);
	put_opt(o, b->tls_ca);
	put_opt(o, b->tls_cert);
	ipc_put_str(o, b->tls_cert ? b->tls_key : "");
	put_opt(o, b->tls_name && *b->tls_name ? b->tls_name : NULL);
	ipc_put_str(o, b->call_id);
	ipc_put_u32(o, b->cseq);
	ipc_put_u32(o, (uint32_t)r->ntargets);
	for (int i = 0; i < r->ntargets; i++) {
		ipc_put_str(o, r->targets[i]);
		ipc_put_u8(o, (uint8_t)r->target_family[i]);
	}
	return o->failed ? -1 : 0;
}

int sip_wire_reg_decode(const struct ipc_msg *m, sip_wire_reg_t *w)
{
	memset(w, 0, sizeof *w);
	if (m->type != SIPF_REGISTER)
		return -1;
	struct ipc_reader r;
	ipc_reader_init(&r, m);
	get_text(&r, w->trunk_id, sizeof w->trunk_id, sizeof w->trunk_id - 1, 0);
	get_text(&r, w->registrar, sizeof w->registrar, SIPF_TEXT_MAX, 0);
	get_text(&r, w->user, sizeof w->user, sizeof w->user - 1, 0);
	get_opt(&r, &w->has_password, w->password, sizeof w->password, SIPF_TEXT_MAX);
	get_opt(&r, &w->has_ha1, w->ha1_realm, sizeof w->ha1_realm, sizeof w->ha1_realm - 1);
	get_text(&r, w->ha1_md5, sizeof w->ha1_md5, 32, 0);
	get_text(&r, w->contact[0], sizeof w->contact[0], sizeof w->contact[0] - 1, 0);
	get_text(&r, w->contact[1], sizeof w->contact[1], sizeof w->contact[1] - 1, 0);
	get_int(&r, &w->expires, 0, 86400);
	get_int(&r, &w->transport, 0, 2);
	get_int(&r, &w->timeout_ms, 1, 600000);
	get_opt(&r, &w->has_ca, w->ca, sizeof w->ca, SIPF_PATH_MAX);
	get_opt(&r, &w->has_cert, w->cert, sizeof w->cert, SIPF_PATH_MAX);
	get_text(&r, w->key, sizeof w->key, SIPF_PATH_MAX, 0);
	get_opt(&r, &w->has_tls_name, w->tls_name, sizeof w->tls_name, SIPF_TEXT_MAX);
	get_text(&r, w->call_id, sizeof w->call_id, sizeof w->call_id - 1, 0);
	ipc_get_u32(&r, &w->cseq);
	uint32_t nt = 0;
	if (ipc_get_u32(&r, &nt) != 0 || nt < 1 || nt > LINECALL_REG_TARGETS)
		return -1;
	for (uint32_t i = 0; i < nt; i++) {
		uint8_t fam = 0;
		get_text(&r, w->targets[i], sizeof w->targets[i], sizeof w->targets[i] - 1, 0);
		ipc_get_u8(&r, &fam);
		if (r.failed || !w->targets[i][0] || (fam != 4 && fam != 6))
			return -1;
		w->target_family[i] = fam;
	}
	w->ntargets = (int)nt;
	if (ipc_reader_end(&r) != 0 || !w->registrar[0] || !w->user[0] || !call_id_ok(w->call_id) ||
	    (w->has_ha1 ? !hexn(w->ha1_md5, 32) : w->ha1_md5[0] != '\0'))
		return -1;
	return 0;
}

void sip_wire_reg_binding(const sip_wire_reg_t *w, linecall_reg_t *r)
{
	memset(r, 0, sizeof *r);
	r->trunk_id = w->trunk_id;
	r->b.registrar = w->registrar;
	r->b.user = w->user;
	r->b.password = w->has_password ? w->password : NULL;
	r->b.ha1_realm = w->has_ha1 ? w->ha1_realm : NULL;
	r->b.ha1_md5 = w->has_ha1 ? w->ha1_md5 : NULL;
	r->b.expires = w->expires;
	r->b.transport = w->transport;
	r->b.tls_ca = w->has_ca ? w->ca : NULL;
	r->b.tls_cert = w->has_cert ? w->cert : NULL;
	r->b.tls_key = w->has_cert ? w->key : NULL;
	r->b.tls_name = w->has_tls_name ? w->tls_name : NULL;
	snprintf(r->b.call_id, sizeof r->b.call_id, "%s", w->call_id);
	r->b.cseq = w->cseq;
	memcpy(r->targets, w->targets, sizeof r->targets);
	memcpy(r->target_family, w->target_family, sizeof r->target_family);
	r->ntargets = w->ntargets;
	/* the same Contact for both families: the binding's own (a removal) */
	if (strcmp(w->contact[0], w->contact[1]) == 0)
		r->b.contact = w->contact[0];
	else
		memcpy(r->contact, w->contact, sizeof r->contact);
}

void sip_wire_registered_encode(struct ipc_out *o, int rc, const linecall_reg_t *r)
{
	ipc_out_init(o, SIPF_REGISTERED, 0);
	put_int(o, rc < -1 ? -1 : rc > 699 ? -1 : rc);
	put_int(o, r->status >= 0 && r->status <= 699 ? r->status : 0);
	put_int(o, r->granted >= 0 && r->granted <= 86400 ? r->granted : 0);
	ipc_put_str(o, call_id_ok(r->b.call_id) ? r->b.call_id : "");
	ipc_put_u32(o, r->b.cseq);
	ipc_put_str(o, printable(r->b.realm, 0) ? r->b.realm : "");
	ipc_put_str(o, printable(r->b.why, 0) ? r->b.why : "");
	ipc_put_str(o, printable(r->contact_used, 0) ? r->contact_used : "");
}

int sip_wire_registered_decode(const struct ipc_msg *m, int *rc, linecall_reg_t *r)
{
	if (m->type != SIPF_REGISTERED)
		return -1;
	struct ipc_reader rd;
	ipc_reader_init(&rd, m);
	char call_id[REGISTER_CALL_ID_MAX], realm[DIGEST_FIELD_MAX], why[sizeof r->b.why], contact[96];
	int code = 0, status = 0, granted = 0;
	uint32_t cseq = 0;
	get_int(&rd, &code, -1, 699);
	get_int(&rd, &status, 0, 699);
	get_int(&rd, &granted, 0, 86400);
	get_text(&rd, call_id, sizeof call_id, sizeof call_id - 1, 0);
	ipc_get_u32(&rd, &cseq);
	get_text(&rd, realm, sizeof realm, sizeof realm - 1, 0);
	get_text(&rd, why, sizeof why, sizeof why - 1, 0);
	get_text(&rd, contact, sizeof contact, sizeof contact - 1, 0);
	if (ipc_reader_end(&rd) != 0 || !call_id_ok(call_id) || strpbrk(realm, "\"\\"))
		return -1;
	*rc = code;
	r->status = status;
	r->granted = granted;
	r->b.cseq = cseq;
	memcpy(r->b.call_id, call_id, sizeof call_id);
	memcpy(r->b.realm, realm, sizeof realm);
	memcpy(r->b.why, why, sizeof why);
	memcpy(r->contact_used, contact, sizeof contact);
	return 0;
}

int sip_wire_probe_encode(struct ipc_out *o, const linecall_probe_set_t *set, int timeout_ms)
{
	if (set->n == 0 || set->n > KEEPALIVE_PEERS_MAX)
		return -1;
	const sipconn_tls_t *t = set->p[0].tls;
	if (t && (!fits(t->ca, SIPF_PATH_MAX) || !fits(t->cert, SIPF_PATH_MAX) || !fits(t->key, SIPF_PATH_MAX) ||
		    !fits(t->name, SIPF_TEXT_MAX)))
		return -1;
	for (size_t i = 0; i < set->n; i++)
		if (!set->p[i].peer || !fits(set->p[i].peer, 95) || set->p[i].transport < 0 || set->p[i].transport > 2)
			return -1;
	ipc_out_init(o, SIPF_PROBE, 0);
	put_int(o, timeout_ms);
	put_opt(o, t ? t->ca : NULL);
	put_opt(o, t ? t->cert : NULL);
	ipc_put_str(o, t && t->cert ? t->key : "");
	put_opt(o, t ? t->name : NULL);
	ipc_put_u32(o, (uint32_t)set->n);
	for (size_t i = 0; i < set->n; i++) {
		ipc_put_str(o, set->p[i].peer);
		put_int(o, set->p[i].transport);
	}
	return o->failed ? -1 : 0;
}

int sip_wire_probe_decode(const struct ipc_msg *m, sip_wire_probe_t *w)
{
	memset(w, 0, sizeof *w);
	if (m->type != SIPF_PROBE)
		return -1;
	struct ipc_reader r;
	ipc_reader_init(&r, m);
	get_int(&r, &w->timeout_ms, 1, 600000);
	get_opt(&r, &w->has_ca, w->ca, sizeof w->ca, SIPF_PATH_MAX);
	get_opt(&r, &w->has_cert, w->cert, sizeof w->cert, SIPF_PATH_MAX);
	get_text(&r, w->key, sizeof w->key, SIPF_PATH_MAX, 0);
	get_opt(&r, &w->has_name, w->name, sizeof w->name, SIPF_TEXT_MAX);
	uint32_t n = 0;
	if (ipc_get_u32(&r, &n) != 0 || n == 0 || n > KEEPALIVE_PEERS_MAX)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		get_text(&r, w->p[i].peer, sizeof w->p[i].peer, sizeof w->p[i].peer - 1, 0);
		get_int(&r, &w->p[i].transport, 0, 2);
		if (r.failed || !w->p[i].peer[0])
			return -1;
	}
	w->n = n;
	return ipc_reader_end(&r);
}

void sip_wire_probed_encode(struct ipc_out *o, const keepalive_probe_t *p, size_t n)
{
	ipc_out_init(o, SIPF_PROBED, 0);
	ipc_put_u32(o, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		put_int(o, p[i].status < -1 || p[i].status > 699 ? -1 : p[i].status);
}

int sip_wire_probed_decode(const struct ipc_msg *m, linecall_probe_set_t *set)
{
	if (m->type != SIPF_PROBED)
		return -1;
	struct ipc_reader r;
	ipc_reader_init(&r, m);
	uint32_t n = 0;
	int st[KEEPALIVE_PEERS_MAX];
	if (ipc_get_u32(&r, &n) != 0 || n != set->n || n > KEEPALIVE_PEERS_MAX)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		get_int(&r, &st[i], -1, 699);
	if (ipc_reader_end(&r) != 0)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		set->p[i].status = st[i];
	return 0;
}

void sip_wire_loops_encode(struct ipc_out *o, const line_loop_stats_t *l, int n)
{
	ipc_out_init(o, SIPF_LOOPS_STATS, 0);
	if (n < 0 || n > LINE_LOOPS_MAX)
		n = 0;
	ipc_put_u32(o, (uint32_t)n);
	for (int i = 0; i < n; i++) {
		ipc_put_i64(o, l[i].ticks);
		ipc_put_i64(o, l[i].late_ticks);
		ipc_put_i64(o, l[i].max_late_us);
	}
}

int sip_wire_loops_decode(const struct ipc_msg *m, line_loop_stats_t *out)
{
	if (m->type != SIPF_LOOPS_STATS)
		return -1;
	struct ipc_reader r;
	ipc_reader_init(&r, m);
	uint32_t n = 0;
	if (ipc_get_u32(&r, &n) != 0 || n > LINE_LOOPS_MAX)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		int64_t t = -1, lt = -1, ml = -1;
		if (ipc_get_i64(&r, &t) != 0 || ipc_get_i64(&r, &lt) != 0 || ipc_get_i64(&r, &ml) != 0 || t < 0 ||
		    lt < 0 || lt > t || ml < 0)
			return -1;
		out[i] = (line_loop_stats_t){ .ticks = t, .late_ticks = lt, .max_late_us = ml };
	}
	return ipc_reader_end(&r) != 0 ? -1 : (int)n;
}

void sip_wire_auth_encode(struct ipc_out *o, const sip_wire_auth_t *a)
{
	ipc_out_init(o, SIPF_AUTH_CHECK, 0);
	ipc_put_str(o, a->user);
	ipc_put_str(o, a->ha1_md5);
	ipc_put_str(o, a->ha1_sha256);
	ipc_put_i64(o, a->now);
}

int sip_wire_auth_decode(const struct ipc_msg *m, sip_wire_auth_t *a)
{
	memset(a, 0, sizeof *a);
	if (m->type != SIPF_AUTH_CHECK)
		return -1;
	struct ipc_reader r;
	ipc_reader_init(&r, m);
	get_text(&r, a->user, sizeof a->user, sizeof a->user - 1, 0);
	get_text(&r, a->ha1_md5, sizeof a->ha1_md5, 32, 0);
	get_text(&r, a->ha1_sha256, sizeof a->ha1_sha256, 64, 0);
	ipc_get_i64(&r, &a->now);
	if (ipc_reader_end(&r) != 0 || !a->user[0] || !hexn(a->ha1_md5, 32) || !hexn(a->ha1_sha256, 64) || a->now < 0)
		return -1;
	return 0;
}

void sip_wire_verdict_encode(struct ipc_out *o, sipauth_verdict_t v)
{
	ipc_out_init(o, SIPF_AUTH_VERDICT, 0);
	put_int(o, (int)v);
}

int sip_wire_verdict_decode(const struct ipc_msg *m, sipauth_verdict_t *v)
{
	if (m->type != SIPF_AUTH_VERDICT)
		return -1;
	struct ipc_reader r;
	ipc_reader_init(&r, m);
	int x = 0;
	get_int(&r, &x, SIPAUTH_OK, SIPAUTH_REPLAY);
	if (ipc_reader_end(&r) != 0)
		return -1;
	*v = (sipauth_verdict_t)x;
	return 0;
}

/* ---- a trunk peer's resolution ---- */

static int masks_ok(int primary, int transports, int families)
{
	return (primary == RESOLVE_UDP || primary == RESOLVE_TCP || primary == RESOLVE_TLS) && transports >= 1 &&
	       transports <= (RESOLVE_UDP | RESOLVE_TCP | RESOLVE_TLS) && families >= 1 &&
	       families <= (RESOLVE_V4 | RESOLVE_V6);
}

int sip_wire_resolve_encode(struct ipc_out *o, const char *peer, int primary, int transports, int families)
{
	char host[RESOLVE_NAME_MAX];
	int port, literal;
	if (!peer || strlen(peer) > SIPF_TEXT_MAX || resolve_peer_split(peer, host, sizeof host, &port, &literal) != 0 ||
	    literal || !masks_ok(primary, transports, families))
		return -1;
	ipc_out_init(o, SIPF_RESOLVE, 0);
	ipc_put_u8(o, SIPF_RESOLVE_VERSION);
	ipc_put_str(o, peer);
	put_int(o, primary);
	put_int(o, transports);
	put_int(o, families);
	return o->failed ? -1 : 0;
}

int sip_wire_resolve_decode(const struct ipc_msg *m, sip_wire_resolve_t *q)
{
	memset(q, 0, sizeof *q);
	if (m->type != SIPF_RESOLVE)
		return -1;
	struct ipc_reader r;
	ipc_reader_init(&r, m);
	uint8_t v = 0;
	char host[RESOLVE_NAME_MAX];
	int port, literal;
	ipc_get_u8(&r, &v);
	get_text(&r, q->peer, sizeof q->peer, SIPF_TEXT_MAX, 0);
	get_int(&r, &q->primary, 0, 7);
	get_int(&r, &q->transports, 0, 7);
	get_int(&r, &q->families, 0, 3);
	if (ipc_reader_end(&r) != 0 || v != SIPF_RESOLVE_VERSION || !masks_ok(q->primary, q->transports, q->families) ||
	    resolve_peer_split(q->peer, host, sizeof host, &port, &literal) != 0 || literal)
		return -1;
	return 0;
}

void sip_wire_resolved_encode(struct ipc_out *o, int rc, const resolve_answer_t *a, const char *err)
{
	int n = rc == 0 && a->n > 0 ? (a->n < RESOLVE_TARGETS_MAX ? a->n : RESOLVE_TARGETS_MAX) : 0;
	ipc_out_init(o, SIPF_RESOLVED, 0);
	ipc_put_u8(o, SIPF_RESOLVE_VERSION);
	put_int(o, rc == 0 && n == 0 ? RESOLVE_ERR_NOTARGET : rc > 0 || rc < RESOLVE_ERR_DNS ? RESOLVE_ERR_DNS : rc);
	ipc_put_str(o, err && fits(err, 159) && !strpbrk(err, "\"\\") ? err : "");
	ipc_put_str(o, fits(a->how, sizeof a->how - 1) ? a->how : "");
	put_int(o, a->ttl < -1 ? -1 : a->ttl > 86400 ? 86400 : a->ttl);
	ipc_put_u32(o, (uint32_t)n);
	for (int i = 0; i < n; i++) {
		const resolve_target_t *t = &a->t[i];
		ipc_put_str(o, t->host);
		ipc_put_str(o, t->addr);
		put_int(o, t->port);
		put_int(o, t->family);
		put_int(o, t->transport);
		put_int(o, t->priority);
		put_int(o, t->weight);
	}
}

/* "" or letters, digits, '-', '_' and '.' (the names the resolver gives). */
static int host_chars(const char *s)
{
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == strlen(s);
}

/* addr: an address of family (4, 6) written as inet_ntop writes it. */
static int canonical_addr(const char *addr, int family)
{
	unsigned char bin[16];
	char back[48];
	int af = family == 6 ? AF_INET6 : AF_INET;
	return inet_pton(af, addr, bin) == 1 && inet_ntop(af, bin, back, sizeof back) && strcmp(back, addr) == 0;
}

int sip_wire_resolved_decode(const struct ipc_msg *m, const sip_wire_resolve_t *q, int *rc, resolve_answer_t *a,
	char *err, size_t errlen)
{
	memset(a, 0, sizeof *a);
	if (m->type != SIPF_RESOLVED)
		return -1;
	struct ipc_reader r;
	ipc_reader_init(&r, m);
	uint8_t v = 0;
	int code = 0;
	uint32_t n = 0;
	char why[160];
	ipc_get_u8(&r, &v);
	get_int(&r, &code, RESOLVE_ERR_DNS, 0);
	get_text(&r, why, sizeof why, sizeof why - 1, 0);
	get_text(&r, a->how, sizeof a->how, sizeof a->how - 1, 0);
	get_int(&r, &a->ttl, -1, 86400);
	if (ipc_get_u32(&r, &n) != 0 || v != SIPF_RESOLVE_VERSION || n > RESOLVE_TARGETS_MAX || (code == 0) != (n > 0) ||
	    strpbrk(why, "\"\\"))
		return -1;
	int may = q->transports | q->primary;
	for (uint32_t i = 0; i < n; i++) {
		resolve_target_t *t = &a->t[i];
		get_text(&r, t->host, sizeof t->host, sizeof t->host - 1, 0);
		get_text(&r, t->addr, sizeof t->addr, sizeof t->addr - 1, 0);
		get_int(&r, &t->port, 1, 65535);
		get_int(&r, &t->family, 4, 6);
		get_int(&r, &t->transport, RESOLVE_UDP, RESOLVE_TLS);
		get_int(&r, &t->priority, 0, 65535);
		get_int(&r, &t->weight, 0, 65535);
		if (r.failed || (t->family != 4 && t->family != 6) ||
		    !(q->families & (t->family == 6 ? RESOLVE_V6 : RESOLVE_V4)) ||
		    (t->transport != RESOLVE_UDP && t->transport != RESOLVE_TCP && t->transport != RESOLVE_TLS) ||
		    !(may & t->transport) || !host_chars(t->host) || !canonical_addr(t->addr, t->family))
			return -1;
	}
	if (ipc_reader_end(&r) != 0 || !(strcmp(a->how, "") == 0 || strcmp(a->how, "literal") == 0 ||
		    strcmp(a->how, "a") == 0 || strcmp(a->how, "srv") == 0 || strcmp(a->how, "naptr") == 0))
		return -1;
	a->n = (int)n;
	*rc = code;
	if (err && errlen)
		snprintf(err, errlen, "%s", why);
	return 0;
}
