/* Registration of trunks with their carriers (see trunk_register.h). */
#include "trunk_tls.h"
#include "trunk_register.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "numbers/numbers.h"
#include "poller.h"
#include "linecall.h"
#include "register.h"
#include "trunk_targets.h"
#include "siptrans.h"
#include "timeutil.h"
#include "xalloc.h"

#define REG_TRUNKS_MAX 64
#define REG_POLL_MS 1000
#define REG_EXPIRES_S 600         /* asked of the registrar */
#define REG_TIMEOUT_MS 8000       /* one registration, the digest round included */
#define REG_BACKOFF_MIN_MS 5000
#define REG_BACKOFF_MAX_MS 300000
#define REG_REFRESH_MIN_MS 5000
#define REG_UNREG_TIMEOUT_MS 2000 /* one un-REGISTER, at a change or at stop */

struct reg_entry {
	char id[64];
	uint64_t sig;             /* of peer, credentials, transport, certificate and peer name:
				     a change starts over */
	char call_id[REGISTER_CALL_ID_MAX];
	uint32_t cseq;
	int64_t due_ms;           /* monotonic */
	int64_t backoff_ms;
	int state;                /* 1 registered, 0 failed, -1 not yet */
	int seen;
	/* The binding as last granted, kept while registered so that it can be
	 * removed (Expires: 0) when the trunk stops registering, its registrar
	 * or credentials change, or the service stops. Wiped when dropped. */
	char peer[256], user[128], password[256], contact[96], tls_name[256];
	int transport;            /* SIPTRANS_*: the trunk's sip_transport */
	json_t *own_tls;          /* the trunk's own client certificate (tls_cert, tls_key), presented
				     again by the removal; NULL: none. Owned by the entry. */
	/* The realm the registrar challenged us with: from then on the SIP
	 * front end is given the HA1 for it, not the password. */
	char realm[DIGEST_FIELD_MAX];
};

struct trunk_register {
	store_t *st;
	const fax_env_t *env;
	linecall_t *line;
	trunk_contact_fn contact;
	void *ud;
	sipconn_tls_t tls;
	poller_t *poller;
	pthread_mutex_t mu;       /* entries, for the metrics */
	struct reg_entry e[REG_TRUNKS_MAX];
	int n;
};

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ULL;
	return (h ^ 0xff) * 1099511628211ULL;
}

static int64_t mono_ms(void)
{
	return time_mono_ns() / 1000000;
}

/* One registration of e's trunk through r->line (where the engine runs),
 * with the HA1 for e->realm in place of the password once the realm is
 * known; when the registrar named another realm, once more at once with
 * the HA1 for that one. As linecall_register. */
static int reg_run(const trunk_register_t *r, struct reg_entry *e, linecall_reg_t *q, const char *password,
	int timeout_ms)
{
	char ha1[DIGEST_HEX_MAX] = "";
	int rc = -1;
	/* the registrar's targets: resolved here, the front end is given addresses */
	if (linecall_reg_resolve(q) != 0)
		return -1;
	for (int round = 0; round < 2; round++) {
		if (e->realm[0] && password && q->b.user) {
			digest_ha1(DIGEST_MD5, q->b.user, e->realm, password, ha1);
			q->b.ha1_realm = e->realm;
			q->b.ha1_md5 = ha1;
			q->b.password = NULL;
		} else {
			q->b.ha1_realm = q->b.ha1_md5 = NULL;
			q->b.password = password;
		}
		rc = linecall_register(r->line, q, timeout_ms);
		int again = (rc == 401 || rc == 407) && q->b.realm[0] && strcmp(q->b.realm, e->realm) != 0;
		if (q->b.realm[0])
			snprintf(e->realm, sizeof e->realm, "%s", q->b.realm);
		if (!again)
			break;
	}
	explicit_bzero(ha1, sizeof ha1);
	q->b.password = NULL;
	q->b.ha1_md5 = NULL;
	return rc;
}

/* Removes e's binding at its registrar (REGISTER with Expires: 0, RFC 3261
 * §10.2.2) when it holds one, and forgets the credentials kept for it. A
 * registrar that does not answer lets the binding expire on its own. */
static void reg_remove(const trunk_register_t *r, struct reg_entry *e)
{
	if (e->state == 1 && e->peer[0]) {
		/* the trunk's own client certificate, as when it registered */
		trunk_tls_t tt;
		int own = e->own_tls && trunk_tls_open(e->own_tls, &tt) == 1;
		linecall_reg_t q = { .trunk_id = e->id, .b = { .registrar = e->peer, .user = e->user,
			.contact = e->contact, .expires = 0, .cseq = e->cseq, .transport = e->transport,
			.tls_ca = r->tls.ca, .tls_cert = own ? tt.cert : r->tls.cert, .tls_key = own ? tt.key : r->tls.key,
			.tls_name = e->tls_name } };
		snprintf(q.b.call_id, sizeof q.b.call_id, "%s", e->call_id);
		int rc = reg_run(r, e, &q, e->password, REG_UNREG_TIMEOUT_MS);
		if (own)
			trunk_tls_close(&tt);
		e->cseq = q.b.cseq;
		log_event(rc == 0 ? LOG_INFO : LOG_WARN, rc == 0 ? "fax.trunk_unregistered" : "fax.trunk_unregister_failed",
			"trunk=%s sip_status=%d client_cert=%s", e->id, q.status, own ? "trunk" : q.b.tls_cert ? "node" : "none");
	}
	explicit_bzero(e->password, sizeof e->password);
	e->peer[0] = e->user[0] = e->contact[0] = e->tls_name[0] = '\0';
	json_decref(e->own_tls);
	e->own_tls = NULL;
	e->state = -1;
}

/* Registers trunk t (as dom_trunks_register answers it) when due. */
static void reg_one(trunk_register_t *r, struct reg_entry *e, const json_t *t, json_t *states)
{
	const char *id = json_string_value(json_object_get(t, "id"));
	/* Over the trunk's transport, with the Contact of our listener of that
	 * transport and of the registrar's family (the carrier's calls come
	 * back there), chosen per target. */
	int transport = siptrans_proto_parse(json_string_value(json_object_get(t, "sip_transport")));
	if (transport < 0)
		transport = SIPTRANS_UDP;
	linecall_reg_t q = { .trunk_id = id, .b = { .registrar = json_string_value(json_object_get(t, "peer")),
		.user = json_string_value(json_object_get(t, "username")),
		.expires = REG_EXPIRES_S, .cseq = e->cseq, .transport = transport,
		.tls_ca = r->tls.ca, .tls_cert = r->tls.cert, .tls_key = r->tls.key,
		.tls_name = json_string_value(json_object_get(t, "tls_peer_name")) } };
	for (int fam = 0; fam < 2; fam++)
		if (!r->contact || r->contact(r->ud, transport, fam ? 6 : 4, q.contact[fam], sizeof q.contact[fam]) != 0)
			q.contact[fam][0] = '\0';
	/* the trunk's own client certificate, when it has one */
	trunk_tls_t tt;
	int own = trunk_tls_open(t, &tt) == 1;
	if (own) {
		q.b.tls_cert = tt.cert;
		q.b.tls_key = tt.key;
	}
	snprintf(q.b.call_id, sizeof q.b.call_id, "%s", e->call_id);
	const char *password = json_string_value(json_object_get(t, "password"));
	int rc = reg_run(r, e, &q, password, REG_TIMEOUT_MS);
	if (own)
		trunk_tls_close(&tt);
	int64_t now = mono_ms();
	if (rc == LINECALL_UNAVAILABLE) {
		/* The SIP front end is being restarted: nothing was sent, the
		 * state stands; again at the next pass. */
		e->due_ms = now + REG_POLL_MS;
		return;
	}
	pthread_mutex_lock(&r->mu);
	snprintf(e->call_id, sizeof e->call_id, "%s", q.b.call_id);
	e->cseq = q.b.cseq;
	int was = e->state;
	if (rc == 0) {
		e->state = 1;
		snprintf(e->peer, sizeof e->peer, "%s", q.b.registrar ? q.b.registrar : "");
		snprintf(e->user, sizeof e->user, "%s", q.b.user ? q.b.user : "");
		snprintf(e->password, sizeof e->password, "%s", password ? password : "");
		snprintf(e->contact, sizeof e->contact, "%s", q.contact_used);
		snprintf(e->tls_name, sizeof e->tls_name, "%s", q.b.tls_name ? q.b.tls_name : "");
		e->transport = transport;
		json_decref(e->own_tls);
		e->own_tls = own ? json_pack("{s:O, s:O, s:O}", "id", json_object_get(t, "id"), "tls_cert",
			json_object_get(t, "tls_cert"), "tls_key", json_object_get(t, "tls_key")) : NULL;
		e->backoff_ms = 0;
		int64_t refresh = (int64_t)q.granted * 750;
		e->due_ms = now + (refresh > REG_REFRESH_MIN_MS ? refresh : REG_REFRESH_MIN_MS);
	} else {
		e->state = 0;
		e->backoff_ms = e->backoff_ms ? e->backoff_ms * 2 : REG_BACKOFF_MIN_MS;
		if (e->backoff_ms > REG_BACKOFF_MAX_MS)
			e->backoff_ms = REG_BACKOFF_MAX_MS;
		e->due_ms = now + e->backoff_ms;
	}
	pthread_mutex_unlock(&r->mu);
	if (was != e->state || rc != 0)
		log_event(rc == 0 ? LOG_INFO : LOG_WARN, rc == 0 ? "fax.trunk_registered" : "fax.trunk_register_failed",
			"trunk=%s sip_status=%d expires=%d retry_in_ms=%lld transport=%s why=\"%s\"", id, q.status, q.granted,
			(long long)(rc == 0 ? 0 : e->backoff_ms), siptrans_via_name(transport), q.b.why[0] ? q.b.why : "-");
	json_object_set_new(states, id, json_string(rc == 0 ? "registered" : "failed"));
}

static int reg_pass(poller_t *p, void *arg)
{
	trunk_register_t *r = arg;
	store_tx_t *tx = store_begin(r->st, false);
	json_t *trunks = tx ? dom_trunks_register(tx, r->env) : NULL;
	if (tx)
		store_rollback(tx);
	if (!trunks)
		return 0;
	json_t *states = json_object();
	for (int i = 0; i < r->n; i++)
		r->e[i].seen = 0;
	size_t i;
	json_t *t;
	json_array_foreach(trunks, i, t) {
		if (poller_stopping(p))
			break;
		const char *id = json_string_value(json_object_get(t, "id"));
		uint64_t sig = fnv(fnv(fnv(fnv(1469598103934665603ULL, json_string_value(json_object_get(t, "peer"))),
			json_string_value(json_object_get(t, "username"))),
			json_string_value(json_object_get(t, "password"))),
			json_string_value(json_object_get(t, "sip_transport"))) ^
			fnv(fnv(1469598103934665603ULL, json_string_value(json_object_get(t, "tls_cert"))),
				json_string_value(json_object_get(t, "tls_peer_name")));
		struct reg_entry *e = NULL;
		pthread_mutex_lock(&r->mu);
		for (int k = 0; k < r->n && !e; k++)
			if (strcmp(r->e[k].id, id) == 0)
				e = &r->e[k];
		if (!e && r->n < REG_TRUNKS_MAX) {
			e = &r->e[r->n++];
			memset(e, 0, sizeof *e);
			snprintf(e->id, sizeof e->id, "%s", id);
			e->state = -1;
			e->sig = sig;
		}
		struct reg_entry old = { 0 };
		int drop_old = 0;
		if (e && e->sig != sig) {
			/* New credentials or registrar: the old binding is removed with
			 * the old ones, and a new binding made at once. */
			old = *e;
			drop_old = old.state == 1;
			e->own_tls = NULL; /* old's now */
			explicit_bzero(e->password, sizeof e->password);
			e->state = -1;
			e->sig = sig;
			e->call_id[0] = '\0';
			e->cseq = 0;
			e->due_ms = 0;
			e->backoff_ms = 0;
		}
		if (e)
			e->seen = 1;
		int due = e && mono_ms() >= e->due_ms;
		pthread_mutex_unlock(&r->mu);
		if (drop_old)
			reg_remove(r, &old);
		json_decref(old.own_tls);
		explicit_bzero(&old, sizeof old);
		if (due)
			reg_one(r, e, t, states);
	}
	/* Trunks that stopped registering (disabled, deleted, `register` off)
	 * leave the table, their bindings removed at the registrar. */
	for (;;) {
		struct reg_entry gone;
		int found = 0;
		pthread_mutex_lock(&r->mu);
		for (int k = 0; k < r->n && !found; k++)
			if (!r->e[k].seen) {
				gone = r->e[k];
				explicit_bzero(&r->e[k], sizeof r->e[k]);
				r->e[k] = r->e[--r->n];
				found = 1;
			}
		pthread_mutex_unlock(&r->mu);
		if (!found)
			break;
		if (gone.state == 1) {
			reg_remove(r, &gone);
			json_object_set_new(states, gone.id, json_string("none"));
		}
		json_decref(gone.own_tls);
		explicit_bzero(&gone, sizeof gone);
	}
	if (json_object_size(states) && dom_trunk_states_record(r->st, "registration", states, time_now_ms()) < 0)
		log_event(LOG_ERROR, "fax.trunk_status_failed", "what=registration");
	json_decref(states);
	json_decref(trunks);
	return 0;
}

trunk_register_t *trunk_register_start(store_t *st, const fax_env_t *env, linecall_t *line,
	trunk_contact_fn contact, void *ud, const sipconn_tls_t *tls, char *err, size_t errlen)
{
	trunk_register_t *r = xcalloc(1, sizeof *r);
	r->st = st;
	r->line = line;
	r->env = env;
	r->contact = contact;
	r->ud = ud;
	if (tls)
		r->tls = *tls;
	pthread_mutex_init(&r->mu, NULL);
	r->poller = poller_start("trunk-register", REG_POLL_MS, reg_pass, r, err, errlen);
	if (!r->poller) {
		pthread_mutex_destroy(&r->mu);
		free(r);
		return NULL;
	}
	return r;
}

void trunk_register_stop(trunk_register_t *r)
{
	if (!r)
		return;
	poller_stop(r->poller);
	/* The thread has ended: its bindings are removed from here. */
	for (int i = 0; i < r->n; i++) {
		reg_remove(r, &r->e[i]);
		json_decref(r->e[i].own_tls);
	}
	explicit_bzero(r->e, sizeof r->e);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

void trunk_register_metrics(trunk_register_t *r, buf_t *out)
{
	buf_puts(out, "# HELP faxvault_trunk_registered Whether the trunk's registration with its carrier holds (1 registered, 0 failed), as this node sees it.\n"
		      "# TYPE faxvault_trunk_registered gauge\n");
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	for (int i = 0; i < r->n; i++)
		if (r->e[i].state >= 0)
			buf_printf(out, "faxvault_trunk_registered{trunk=\"%s\"} %d\n", r->e[i].id, r->e[i].state);
	pthread_mutex_unlock(&r->mu);
}
