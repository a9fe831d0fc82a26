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

int linecall_receive(linecall_t *lc, const linecall_listener_t *l)
{
	return lc->ops->receive(lc->impl, l);
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

/* The node's long-lived engines, one per address family, started with
 * the first call of that family (its clock speed and media priority are
 * the service's: the same for every call). */
struct linecall_engines {
	pthread_mutex_t mu;
	int loops;                 /* media loops per engine; < 0: none (an engine per call) */
	line_engine_t *e[2];       /* IPv4, IPv6 */
	int failed[2];             /* could not start: calls run apart */
};

line_engine_t *linecall_engine(struct linecall_engines *g, const line_cfg_t *cfg, const char *target)
{
	if (!g || g->loops < 0)
		return NULL;
	int v6 = strchr(target, '[') != NULL;
	pthread_mutex_lock(&g->mu);
	if (!g->e[v6] && !g->failed[v6]) {
		line_engine_cfg_t ec = { .media_loops = g->loops, .media_priority = cfg->media_priority,
			.clock_speed = cfg->clock_speed, .family = v6 ? AF_INET6 : AF_INET };
		char err[160];
		g->e[v6] = line_engine_new(&ec, err, sizeof err);
		if (!g->e[v6]) {
			g->failed[v6] = 1;
			log_event(LOG_ERROR, "fax.media_engine_failed", "family=%s err=\"%s\"", v6 ? "ipv6" : "ipv4", err);
		}
	}
	line_engine_t *e = g->e[v6];
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
	line_engine_free(g->e[0]);
	line_engine_free(g->e[1]);
	pthread_mutex_destroy(&g->mu);
	free(g);
}

static int inproc_send(void *impl, const line_cfg_t *cfg, const char *target, int tiff_fd,
	fax_result_t *res)
{
	char path[64];
	fd_path(tiff_fd, path, sizeof path);
	return line_engine_send(linecall_engine(impl, cfg, target), cfg, target, path, res);
}

/* An accepted call: the service's call_ud and the TIFF's descriptor, kept
 * open until the result is reported. */
struct inproc_call {
	void *call_ud;
	int fd;
};

static int take(const linecall_listener_t *l, linecall_invite_t *ci, char *tiff_path, size_t pathlen,
	void **call_ud)
{
	int fd = -1;
	void *ud = NULL;
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
	linecall_invite_t ci;
	memset(&ci, 0, sizeof ci);
	ci.inv = *inv;
	int st = take(ud, &ci, tiff_path, pathlen, call_ud);
	/* The answer's fields go back to the engine. */
	memcpy(inv->called, ci.inv.called, sizeof inv->called);
	memcpy(inv->caller, ci.inv.caller, sizeof inv->caller);
	inv->retry_after = ci.inv.retry_after;
	memcpy(inv->challenge, ci.inv.challenge, sizeof inv->challenge);
	return st;
}

static void inproc_result(void *ud, const fax_result_t *r)
{
	const linecall_listener_t *l = ud;
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
	(void)impl;
	line_cfg_t lc = *l->cfg;
	lc.accept = l->screened ? NULL : inproc_accept;
	lc.accept_ex = l->screened ? inproc_accept_ex : NULL;
	lc.accept_ud = (void *)l;
	return line_receive(&lc, inproc_result, (void *)l);
}

static void inproc_free(void *impl)
{
	linecall_engines_free(impl);
}

static const struct linecall_ops inproc_ops = { .send = inproc_send, .receive = inproc_receive,
	.free = inproc_free };

linecall_t *linecall_inproc(int media_loops)
{
	return linecall_new(&inproc_ops, linecall_engines_new(media_loops));
}
