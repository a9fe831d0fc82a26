/* Trunk health (see trunk_health.h). */
#include "trunk_tls.h"
#include "trunk_health.h"

#include "siptrans.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keepalive.h"
#include "linecall.h"
#include "log.h"
#include "numbers/numbers.h"
#include "poller.h"
#include "timeutil.h"
#include "trunk_targets.h"
#include "xalloc.h"

#define HEALTH_TRUNKS_MAX KEEPALIVE_PEERS_MAX

struct trunk_seen {
	char id[64];
	int up;       /* 1 up, 0 down, -1 not known yet */
	int misses;   /* rounds in a row without an answer */
	int round;    /* the last round that probed it */
};

struct trunk_health {
	store_t *st;
	linecall_t *line;
	const fax_env_t *env;
	poller_t *poller;
	pthread_mutex_t mu;
	struct trunk_seen seen[HEALTH_TRUNKS_MAX];
	int nseen;
	int round;
	sipconn_tls_t tls;
};

/* The entry of trunk id (a new one when absent and there is room), or NULL.
 * Called with h->mu held. */
static struct trunk_seen *seen_of(trunk_health_t *h, const char *id)
{
	for (int i = 0; i < h->nseen; i++)
		if (strcmp(h->seen[i].id, id) == 0)
			return &h->seen[i];
	if (h->nseen == HEALTH_TRUNKS_MAX)
		return NULL;
	struct trunk_seen *e = &h->seen[h->nseen++];
	snprintf(e->id, sizeof e->id, "%s", id);
	e->up = -1;
	e->misses = 0;
	return e;
}

static int health_pass(poller_t *p, void *arg)
{
	(void)p;
	trunk_health_t *h = arg;
	store_tx_t *tx = store_begin(h->st, false);
	json_t *trunks = tx ? dom_trunks_probe(tx, h->env) : NULL;
	if (tx)
		store_rollback(tx);
	if (!trunks)
		return 0;
	/* every target of every trunk's peer (RFC 3263), at most
	 * HEALTH_TRUNKS_MAX probes in all; a trunk whose peer does not resolve
	 * is refused outright (-1), like an ICMP unreachable */
	keepalive_probe_t probes[HEALTH_TRUNKS_MAX] = { 0 };
	size_t n = json_array_size(trunks);
	if (n > HEALTH_TRUNKS_MAX)
		n = HEALTH_TRUNKS_MAX;
	struct {
		resolve_answer_t a;
		int first, n;      /* its probes */
		int status;        /* the trunk's answer, as keepalive_probe_t.status */
	} *tp = xcalloc(n ? n : 1, sizeof *tp);
	char hostports[HEALTH_TRUNKS_MAX][80];
	/* over TCP/TLS (the trunk's sip_transport): the certificate must
	 * name the peer as the trunk gives it, not the address it resolved to */
	char names[HEALTH_TRUNKS_MAX][256];
	sipconn_tls_t tlss[HEALTH_TRUNKS_MAX];
	trunk_tls_t own[HEALTH_TRUNKS_MAX]; /* each trunk's own client certificate */
	size_t np = 0;
	for (size_t i = 0; i < n; i++) {
		const json_t *t = json_array_get(trunks, i);
		int has_own = trunk_tls_open(t, &own[i]) == 1;
		const char *id = json_string_value(json_object_get(t, "id")) ?: "";
		const char *peer = json_string_value(json_object_get(t, "peer")) ?: "";
		char why[160];
		tp[i].first = (int)np;
		if (trunk_targets_resolve(h->st, id, peer, t, &tp[i].a, why, sizeof why) != 0)
			continue;
		for (int k = 0; k < tp[i].a.n && np < HEALTH_TRUNKS_MAX; k++, np++) {
			trunk_target_hostport(&tp[i].a.t[k], hostports[np], sizeof hostports[np]);
			probes[np].peer = hostports[np];
			probes[np].transport = trunk_target_siptrans(&tp[i].a.t[k]);
			const char *c = peer[0] == '[' ? NULL : strchr(peer, ':');
			snprintf(names[np], sizeof names[np], "%.*s", peer[0] == '[' ? 0 : c ? (int)(c - peer) : (int)strlen(peer), peer);
			tlss[np] = h->tls;
			tlss[np].name = names[np][0] ? names[np] : NULL;
			const char *pname = json_string_value(json_object_get(t, "tls_peer_name"));
			if (pname && *pname) /* the name the trunk requires of its carrier */
				tlss[np].name = pname;
			if (has_own) {
				tlss[np].cert = own[i].cert;
				tlss[np].key = own[i].key;
			}
			probes[np].tls = &tlss[np];
			tp[i].n++;
		}
	}
	/* sent, and their answers parsed, where the engine runs: one set per
	 * trunk (its own client certificate goes with it) */
	linecall_probe_set_t sets[HEALTH_TRUNKS_MAX];
	size_t nsets = 0;
	for (size_t i = 0; i < n; i++)
		if (tp[i].n > 0)
			sets[nsets++] = (linecall_probe_set_t){ &probes[tp[i].first], (size_t)tp[i].n };
	int rc = linecall_probe(h->line, sets, nsets, TRUNK_HEALTH_PROBE_MS);
	for (size_t i = 0; i < n; i++)
		trunk_tls_close(&own[i]);
	if (rc == LINECALL_UNAVAILABLE) {
		/* The SIP front end is being restarted: no round, nothing learnt. */
		json_decref(trunks);
		free(tp);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		/* the trunk answers when one of its targets does; else with a
		 * target's refusal (503, 408), else silent (0) when one was
		 * silent, else refused (-1: all unreachable, or no target) */
		const char *id = json_string_value(json_object_get(json_array_get(trunks, i), "id")) ?: "";
		int up = 0, refusal = 0, silent = 0;
		for (int k = 0; k < tp[i].n; k++) {
			int st = probes[tp[i].first + k].status;
			if (keepalive_status_up(st) && !up)
				up = st;
			else if (st > 0 && !refusal)
				refusal = st;
			else if (st == 0)
				silent = 1;
			if (st != 0)
				trunk_targets_mark(h->st, id, &tp[i].a.t[k], keepalive_status_up(st));
		}
		tp[i].status = up ? up : refusal ? refusal : silent ? 0 : -1;
	}
	json_t *links = json_object();
	pthread_mutex_lock(&h->mu);
	h->round++;
	for (size_t i = 0; i < n; i++) {
		const json_t *t = json_array_get(trunks, i);
		const char *id = json_string_value(json_object_get(t, "id"));
		struct trunk_seen *e = id ? seen_of(h, id) : NULL;
		if (!e)
			continue;
		e->round = h->round;
		int status = tp[i].status;
		int answered = keepalive_status_up(status);
		if (answered) {
			e->misses = 0;
			e->up = 1;
		} else if (status == -1 || ++e->misses >= TRUNK_HEALTH_MISSES) {
			/* Refused outright, or silent for several rounds. */
			e->up = 0;
		}
		const char *was = json_string_value(json_object_get(t, "link_status"));
		const char *now = e->up == 1 ? "up" : e->up == 0 ? "down" : NULL;
		if (now) {
			json_object_set_new(links, id, json_string(now));
			if (!was || strcmp(was, now) != 0)
				log_event(e->up ? LOG_INFO : LOG_WARN, e->up ? "fax.trunk_up" : "fax.trunk_down",
					"trunk=%s sip_status=%d", id, status);
		}
	}
	/* Trunks no longer probed (disabled, removed) leave the metrics. */
	for (int i = 0; i < h->nseen;)
		if (h->seen[i].round != h->round)
			h->seen[i] = h->seen[--h->nseen];
		else
			i++;
	pthread_mutex_unlock(&h->mu);
	if (dom_trunk_links_record(h->st, links, time_now_ms()) < 0)
		log_event(LOG_ERROR, "fax.trunk_status_failed", "trunks=%zu", n);
	json_decref(links);
	json_decref(trunks);
	free(tp);
	return 0;
}

trunk_health_t *trunk_health_start(store_t *st, const fax_env_t *env, linecall_t *line, int interval_ms,
	const sipconn_tls_t *tls, char *err, size_t errlen)
{
	trunk_health_t *h = xcalloc(1, sizeof *h);
	h->line = line;
	if (tls)
		h->tls = *tls;
	h->st = st;
	h->env = env;
	pthread_mutex_init(&h->mu, NULL);
	h->poller = poller_start("trunk-keepalive", interval_ms, health_pass, h, err, errlen);
	if (!h->poller) {
		pthread_mutex_destroy(&h->mu);
		free(h);
		return NULL;
	}
	return h;
}

void trunk_health_stop(trunk_health_t *h)
{
	if (!h)
		return;
	poller_stop(h->poller);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

void trunk_health_metrics(trunk_health_t *h, buf_t *out)
{
	buf_puts(out, "# HELP faxvault_trunk_up Whether the trunk's peer answers the OPTIONS keep-alive, as this node sees it (1 up, 0 down).\n"
		      "# TYPE faxvault_trunk_up gauge\n");
	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	for (int i = 0; i < h->nseen; i++)
		if (h->seen[i].up >= 0)
			buf_printf(out, "faxvault_trunk_up{trunk=\"%s\"} %d\n", h->seen[i].id, h->seen[i].up);
	pthread_mutex_unlock(&h->mu);
}
