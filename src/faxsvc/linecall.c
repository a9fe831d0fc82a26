/* The fax service's calls behind one interface (see linecall.h), and the
 * implementation that runs the engine in this process. */
#include "linecall.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "resolve.h"
#include "siptrans.h"
#include "trunk_targets.h"
#include "xalloc.h"

struct linecall {
	const struct linecall_ops *ops;
	void *impl;
};

linecall_t *linecall_new(const struct linecall_ops *ops, void *impl)
{
	linecall_t *lc = xcalloc(1, sizeof *lc);
	lc->ops = ops;
	lc->impl = impl;
	return lc;
}

void linecall_free(linecall_t *lc)
{
	if (!lc)
		return;
	if (lc->ops->free)
		lc->ops->free(lc->impl);
	free(lc);
}

int linecall_send(linecall_t *lc, const line_cfg_t *cfg, const char *target, int tiff_fd,
	fax_result_t *res)
{
	return lc->ops->send(lc->impl, cfg, target, tiff_fd, res);
}

void linecall_wake(linecall_t *lc)
{
	if (lc && lc->ops->wake)
		lc->ops->wake(lc->impl);
}

int linecall_receive(linecall_t *lc, const linecall_listener_t *l)
{
	return lc->ops->receive(lc->impl, l);
}

int linecall_register(linecall_t *lc, linecall_reg_t *r, int timeout_ms)
{
	return lc->ops->reg ? lc->ops->reg(lc->impl, r, timeout_ms) : LINECALL_UNAVAILABLE;
}

int linecall_loop_stats(linecall_t *lc, line_loop_stats_t *out, int max)
{
	return lc->ops->loops ? lc->ops->loops(lc->impl, out, max) : 0;
}

int linecall_probe(linecall_t *lc, linecall_probe_set_t *sets, size_t nsets, int timeout_ms)
{
	if (!lc->ops->probe) {
		for (size_t i = 0; i < nsets; i++)
			for (size_t k = 0; k < sets[i].n; k++)
				sets[i].p[k].status = -1;
		return LINECALL_UNAVAILABLE;
	}
	return lc->ops->probe(lc->impl, sets, nsets, timeout_ms);
}

int linecall_resolve(linecall_t *lc, const char *peer, int primary, int transports, int families,
	resolve_answer_t *a, char *err, size_t errlen)
{
	if (lc->ops->resolve)
		return lc->ops->resolve(lc->impl, peer, primary, transports, families, a, err, errlen);
	return resolve_lookup_via(peer, primary, transports, families, a, err, errlen);
}

sipauth_verdict_t linecall_invite_verify(linecall_invite_t *ci, const char *user, const char *ha1_md5,
	const char *ha1_sha256, int64_t now)
{
	if (ci->auth != LINECALL_AUTH_CREDENTIALS || !ci->verify)
		return SIPAUTH_BAD;
	return ci->verify(ci, user, ha1_md5, ha1_sha256, now);
}

int linecall_invite_challenge(linecall_invite_t *ci, int stale, int64_t now)
{
	return ci->challenge ? ci->challenge(ci, stale, now) : -1;
}

int linecall_cred_parse(const line_invite_t *inv, linecall_cred_t *c)
{
	memset(c, 0, sizeof *c);
	char hv[LINE_INVITE_HEADER_MAX], cid[256] = "", cseq[64] = "";
	if (line_invite_header(inv, "Authorization", hv, sizeof hv) != 0)
		return LINECALL_AUTH_NONE;
	if (digest_parse_credentials((sip_str_t){ hv, strlen(hv) }, &c->cr) != 0 ||
	    line_invite_ruri(inv, c->ruri, sizeof c->ruri) != 0)
		return LINECALL_AUTH_UNPARSEABLE;
	line_invite_header(inv, "Call-ID", cid, sizeof cid);
	line_invite_header(inv, "CSeq", cseq, sizeof cseq);
	snprintf(c->req, sizeof c->req, "%s %s", cid, cseq);
	snprintf(c->src, sizeof c->src, "%s", inv->src_ip);
	return LINECALL_AUTH_CREDENTIALS;
}

sipauth_verdict_t linecall_cred_verify(sipauth_t *a, const linecall_cred_t *c, const char *user,
	const char *ha1_md5, const char *ha1_sha256, int64_t now)
{
	return sipauth_verify_ha1(a, &c->cr, user, ha1_md5, ha1_sha256, "INVITE", c->ruri, c->src, now, c->req);
}

int linecall_reg_resolve(linecall_reg_t *r)
{
	register_binding_t *b = &r->b;
	resolve_answer_t ra;
	char why[160];
	r->ntargets = 0;
	/* over the trunk's sip_transport only: the Contact names our listener
	 * of that transport (a "HOST" alone by its NAPTR/SRV of that transport) */
	int tr = b->transport == SIPTRANS_TLS ? RESOLVE_TLS : b->transport == SIPTRANS_TCP ? RESOLVE_TCP : RESOLVE_UDP;
	if (!b->registrar ||
	    resolve_cached_via(b->registrar, tr, tr, TRUNK_TARGET_FAMILIES, &ra, why, sizeof why) != 0) {
		log_event(LOG_WARN, "fax.trunk_register_unresolved", "trunk=%s reason=\"%s\"",
			r->trunk_id ? r->trunk_id : "-", b->registrar ? why : "no registrar");
		return -1;
	}
	for (int i = 0; i < ra.n && r->ntargets < LINECALL_REG_TARGETS; i++) {
		snprintf(r->targets[r->ntargets], sizeof r->targets[r->ntargets], ra.t[i].family == 6 ? "[%s]:%d" : "%s:%d",
			ra.t[i].addr, ra.t[i].port);
		r->target_family[r->ntargets++] = ra.t[i].family == 6 ? 6 : 4;
	}
	return r->ntargets > 0 ? 0 : -1;
}

int linecall_reg_run(linecall_reg_t *r, int timeout_ms)
{
	register_binding_t *b = &r->b;
	r->granted = r->status = 0;
	b->why[0] = b->realm[0] = '\0';
	int pick = r->contact[0][0] || r->contact[1][0];
	int rc = -1;
	for (int i = 0; i < r->ntargets && i < LINECALL_REG_TARGETS && rc == -1; i++) {
		b->send_to = r->targets[i];
		if (pick) {
			snprintf(r->contact_used, sizeof r->contact_used, "%s", r->contact[r->target_family[i] == 6]);
			b->contact = r->contact_used;
		}
		rc = register_run(b, timeout_ms, &r->granted, &r->status);
		b->send_to = NULL;
	}
	if (!pick)
		snprintf(r->contact_used, sizeof r->contact_used, "%s", b->contact ? b->contact : "");
	return rc;
}

int linecall_invite_header(const linecall_invite_t *ci, const char *name, char *out, size_t cap)
{
	if (ci->wire)
		return ci->wire_header(ci->wire, LINECALL_HDR_VALUE, name, out, cap);
	return line_invite_header(&ci->inv, name, out, cap);
}

int linecall_invite_ruri(const linecall_invite_t *ci, char *out, size_t cap)
{
	if (ci->wire)
		return ci->wire_header(ci->wire, LINECALL_HDR_RURI, NULL, out, cap);
	return line_invite_ruri(&ci->inv, out, cap);
}

int linecall_invite_header_user(const linecall_invite_t *ci, const char *name, char *out, size_t cap)
{
	if (ci->wire)
		return ci->wire_header(ci->wire, LINECALL_HDR_USER, name, out, cap);
	return line_invite_header_user(&ci->inv, name, out, cap);
}

/* ---- in this process ---- */

/* The engine names files: a descriptor is read and written through its
 * /proc/self/fd link. */
static void fd_path(int fd, char *out, size_t cap)
{
	snprintf(out, cap, "/proc/self/fd/%d", fd);
}

/* The node's long-lived engine, started by its first call or listener
 * (its clock speed and media priority are the service's: the same for
 * every call and listener). */
struct linecall_engines {
	pthread_mutex_t mu;
	int loops;                 /* media loops; < 0: none (an engine per call and listener) */
	line_engine_t *e;
	int failed;                /* could not start: calls and listeners run apart */
};

line_engine_t *linecall_engine(struct linecall_engines *g, const line_cfg_t *cfg, const char *target)
{
	(void)target;
	if (!g || g->loops < 0)
		return NULL;
	pthread_mutex_lock(&g->mu);
	if (!g->e && !g->failed) {
		line_engine_cfg_t ec = { .media_loops = g->loops, .media_priority = cfg->media_priority,
			.clock_speed = cfg->clock_speed };
		char err[160];
		g->e = line_engine_new(&ec, err, sizeof err);
		if (!g->e) {
			g->failed = 1;
			log_event(LOG_ERROR, "fax.media_engine_failed", "err=\"%s\"", err);
		}
	}
	line_engine_t *e = g->e;
	pthread_mutex_unlock(&g->mu);
	return e;
}

struct linecall_engines *linecall_engines_new(int media_loops)
{
	struct linecall_engines *g = xcalloc(1, sizeof *g);
	pthread_mutex_init(&g->mu, NULL);
	g->loops = media_loops;
	if (media_loops == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		g->loops = n < 1 ? 1 : n > 64 ? 64 : (int)n;
	}
	return g;
}

void linecall_engines_free(struct linecall_engines *g)
{
	if (!g)
		return;
	line_engine_free(g->e);
	pthread_mutex_destroy(&g->mu);
	free(g);
}

/* The in-process implementation: the engines, and the verifier of
 * carriers' digest answers. */
struct inproc {
	struct linecall_engines *g;
	sipauth_t *auth;
};

/* A listener running in process, as its accept and result see it. */
struct inproc_rx {
	const linecall_listener_t *l;
	struct inproc *p;
};

/* An INVITE's credentials while the service decides. */
struct inproc_inv {
	sipauth_t *auth;
	linecall_cred_t cred;
};

static sipauth_verdict_t inproc_verify(linecall_invite_t *ci, const char *user, const char *ha1_md5,
	const char *ha1_sha256, int64_t now)
{
	struct inproc_inv *v = ci->impl;
	return linecall_cred_verify(v->auth, &v->cred, user, ha1_md5, ha1_sha256, now);
}

static int inproc_challenge(linecall_invite_t *ci, int stale, int64_t now)
{
	struct inproc_inv *v = ci->impl;
	return sipauth_challenge(v->auth, ci->inv.src_ip, now, stale, ci->inv.challenge, sizeof ci->inv.challenge);
}

static int inproc_send(void *impl, const line_cfg_t *cfg, const char *target, int tiff_fd,
	fax_result_t *res)
{
	struct inproc *p = impl;
	char path[64];
	fd_path(tiff_fd, path, sizeof path);
	return line_engine_send(linecall_engine(p->g, cfg, target), cfg, target, path, res);
}

static int inproc_reg(void *impl, linecall_reg_t *r, int timeout_ms)
{
	(void)impl;
	return linecall_reg_run(r, timeout_ms);
}

static int inproc_probe(void *impl, linecall_probe_set_t *sets, size_t nsets, int timeout_ms)
{
	(void)impl;
	keepalive_probe_t all[KEEPALIVE_PEERS_MAX];
	size_t n = 0;
	for (size_t i = 0; i < nsets; i++)
		for (size_t k = 0; k < sets[i].n && n < KEEPALIVE_PEERS_MAX; k++)
			all[n++] = sets[i].p[k];
	keepalive_probe(all, n, "faxvault", timeout_ms);
	n = 0;
	for (size_t i = 0; i < nsets; i++)
		for (size_t k = 0; k < sets[i].n; k++)
			sets[i].p[k].status = n < KEEPALIVE_PEERS_MAX ? all[n++].status : -1;
	return 0;
}

/* An accepted call: the service's call_ud and the TIFF's descriptor, kept
 * open until the result is reported. */
struct inproc_call {
	void *call_ud;
	int fd;
};

static int take(const struct inproc_rx *rx, linecall_invite_t *ci, char *tiff_path, size_t pathlen,
	void **call_ud)
{
	int fd = -1;
	void *ud = NULL;
	const linecall_listener_t *l = rx->l;
	int st = l->accept(l->accept_ud, ci, &fd, &ud);
	if (st != 0)
		return st;
	struct inproc_call *c = xcalloc(1, sizeof *c);
	c->call_ud = ud;
	c->fd = fd;
	fd_path(fd, tiff_path, pathlen);
	*call_ud = c;
	return 0;
}

static int inproc_accept(void *ud, const char *to_user, const char *from_user, char *tiff_path,
	size_t pathlen, void **call_ud)
{
	linecall_invite_t ci;
	memset(&ci, 0, sizeof ci);
	snprintf(ci.inv.ruri_user, sizeof ci.inv.ruri_user, "%s", to_user);
	snprintf(ci.inv.from_user, sizeof ci.inv.from_user, "%s", from_user ? from_user : "");
	memcpy(ci.inv.called, ci.inv.ruri_user, sizeof ci.inv.called);
	memcpy(ci.inv.caller, ci.inv.from_user, sizeof ci.inv.caller);
	return take(ud, &ci, tiff_path, pathlen, call_ud);
}

static int inproc_accept_ex(void *ud, line_invite_t *inv, char *tiff_path, size_t pathlen,
	void **call_ud)
{
	const struct inproc_rx *rx = ud;
	linecall_invite_t ci;
	memset(&ci, 0, sizeof ci);
	ci.inv = *inv;
	struct inproc_inv *v = xcalloc(1, sizeof *v);
	v->auth = rx->p->auth;
	ci.auth = linecall_cred_parse(inv, &v->cred);
	if (ci.auth == LINECALL_AUTH_CREDENTIALS)
		snprintf(ci.auth_user, sizeof ci.auth_user, "%s", v->cred.cr.username);
	ci.verify = inproc_verify;
	ci.challenge = inproc_challenge;
	ci.impl = v;
	int st = take(rx, &ci, tiff_path, pathlen, call_ud);
	explicit_bzero(v, sizeof *v);
	free(v);
	/* The answer's fields go back to the engine. */
	memcpy(inv->called, ci.inv.called, sizeof inv->called);
	memcpy(inv->caller, ci.inv.caller, sizeof inv->caller);
	inv->retry_after = ci.inv.retry_after;
	memcpy(inv->challenge, ci.inv.challenge, sizeof inv->challenge);
	return st;
}

static void inproc_result(void *ud, const fax_result_t *r)
{
	const linecall_listener_t *l = ((const struct inproc_rx *)ud)->l;
	struct inproc_call *c = r->call_ud;
	if (!c) {
		l->result(l->result_ud, r);
		return;
	}
	fax_result_t *copy = xmalloc(sizeof *copy);
	*copy = *r;
	copy->call_ud = c->call_ud;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	l->result(l->result_ud, copy);
	free(copy);
}

static int inproc_receive(void *impl, const linecall_listener_t *l)
{
	struct inproc_rx rx = { l, impl };
	struct inproc *p = impl;
	line_cfg_t lc = *l->cfg;
	lc.accept = l->screened ? NULL : inproc_accept;
	lc.accept_ex = l->screened ? inproc_accept_ex : NULL;
	lc.accept_ud = &rx;
	return line_engine_receive(linecall_engine(p->g, &lc, lc.listen), &lc, inproc_result, &rx);
}

static void inproc_free(void *impl)
{
	struct inproc *p = impl;
	linecall_engines_free(p->g);
	sipauth_free(p->auth);
	free(p);
}

/* The node's engine's loops (in process or in the SIP front end). */
int linecall_engines_loop_stats(struct linecall_engines *g, line_loop_stats_t *out, int max)
{
	pthread_mutex_lock(&g->mu);
	line_engine_t *e = g->e;
	pthread_mutex_unlock(&g->mu);
	return e ? line_engine_loop_stats(e, out, max) : 0;
}

static int inproc_loops(void *impl, line_loop_stats_t *out, int max)
{
	return linecall_engines_loop_stats(((struct inproc *)impl)->g, out, max);
}

static const struct linecall_ops inproc_ops = { .send = inproc_send, .receive = inproc_receive,
	.free = inproc_free, .reg = inproc_reg, .probe = inproc_probe, .loops = inproc_loops };

linecall_t *linecall_inproc(int media_loops)
{
	struct inproc *p = xcalloc(1, sizeof *p);
	p->g = linecall_engines_new(media_loops);
	p->auth = sipauth_new(LINECALL_AUTH_REALM, SIPAUTH_TTL_S);
	return linecall_new(&inproc_ops, p);
}
