/* The fax service (see faxsvc.h and docs/fax-service.md).
 *
 * Threads: outbound calls are jobs of the queue (kind FAX_SEND_JOB, one per
 * fax: faxsvc_sends), run by `workers` threads of the queue's own for the
 * kind, one call each at a time; one renewer that holds the leases of the
 * calls running here and ends those cancelled or stopped; one receiver per
 * trunk with a listener (the loopback trunk). The periodic sweeps and the
 * webhooks are jobs of the queue too (sweep.h, webhook_sender.h). Every
 * piece of state a call needs lives in its struct job; the threads share
 * only the table of running calls, under one mutex. */
#include "faxsvc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <tiffio.h>
#include <unistd.h>

#include "fax/fax.h"
#include "carrier.h"
#include "cidr.h"
#include "tenancy/tenancy.h"
#include "access/access.h"
#include "operations/operations.h"
#include "notify/notify.h"
#include "billing/billing.h"
#include "line.h"
#include "linecall.h"
#include "log.h"
#include "numbers/numbers.h"
#include "queue.h"
#include "records/records.h"
#include "sipauth.h"
#include "sweep.h"
#include "sipconn.h"
#include "sip_wire.h"
#include "fdio.h"
#include "siptrans.h"
#include "identity/identity.h"
#include "timeutil.h"
#include "trunk_tls.h"
#include "trunk_health.h"
#include "trunk_inbound.h"
#include "trunk_targets.h"
#include "trunk_register.h"
#include "xalloc.h"

#define FAXSVC_WORKERS_MAX 256
#define CARRIER_LISTEN_MAX 8
#define CARRIER_BUSY_MAX 256   /* trunks / accounts with carrier calls up at once */
#define CARRIER_RETRY_AFTER_S 30

/* A carrier-facing listener (fax.sip_listen): its own engine. */
struct carrier_rx {
	faxsvc_t *s;
	pthread_t th;
	int started;
	char listen[96];       /* "IP:PORT" as configured */
	int transport;         /* SIPTRANS_UDP, _TCP or _TLS */
	atomic_int state;      /* 0 starting, -1 failed */
	int port;              /* bound port (release store by the engine) */
};

/* Carrier calls up, by trunk or by account id. */
struct busy {
	char id[64];
	int n;
};

/* Call outcomes on /metrics: "ok" and the failure classes of result.h. */
static const char *const class_names[] = { "ok", "busy", "no_answer", "rejected", "network",
	"not_a_fax", "t30_error", "partial", "dns", "other" };
#define CLASS_N (sizeof class_names / sizeof class_names[0])

static size_t class_index(const fax_result_t *r)
{
	if (r->ok)
		return 0;
	for (size_t i = 1; i < CLASS_N - 1; i++)
		if (strcmp(r->fail_class, class_names[i]) == 0)
			return i;
	return CLASS_N - 1;
}

enum { REF_SOURCE, REF_NUMBER, REF_TRUNK_MAX, REF_ACCOUNT_MAX, REF_STOPPING, REF_CREDENTIALS, REF_CERT, REF_N };
static const char *const refusal_names[REF_N] = { "unknown_source", "unknown_number",
	"trunk_max_calls", "account_max_calls", "stopping", "bad_credentials", "certificate_name" };
#define RX_ROUTE_FILE "inbound.json"
/* A received fax the database did not take before the service stopped:
 * its call's result beside its pages and route, in a directory of the work
 * directory renamed from job-* (which the start's sweep wipes) to rx-*
 * (which it leaves), for the next start to file (recover_inbound). */
#define RX_RESULT_FILE "result.bin"
/* The fax id the first try chose, so that the start's filing of a fax whose
 * commit was applied with its answer lost finds it stored. */
#define RX_ID_FILE "fax.id"
#define RX_SPOOL_PREFIX "rx-"
/* Received calls' work directories kept, emptied, for the next calls: a
 * call then creates no directory and no file (the file system's inode
 * creation was a tenth of the service's CPU in bench/fax-e2e). */
#define RX_SLOTS_MAX 64
/* A received call in one file: its TIFF, named job-XXXXXX.rx in the work
 * directory, with its route in this extended attribute. Only when the
 * database does not take the fax at once does it become a directory as
 * above (rx_one_to_dir); the start turns such a file left by a crash
 * into one too before it files them (recover_inbound). */
#define RX_ONE_SUFFIX ".rx"
#define RX_ROUTE_XATTR "user.faxvault.route"
#define RX_ROUTE_MAX 4096
/* The longest wait between two tries to store a received fax. */
#define INBOUND_RETRY_MAX_MS 5000
/* An attempt of another node older than this is taken as dead (the longest
 * call plus a margin) by the recovery at start. */
#define STALE_MARGIN_MS (10 * 60 * 1000)
/* Blobs without a row and writers' temporary files in the document
 * directory are removed once they are this old (at start and hourly by the
 * retention sweep's leader): a blob is on disk a moment before the row
 * naming it commits, and on a directory several nodes share another node
 * may be writing one now. */
#define ORPHAN_MIN_AGE_S 3600

struct job {
	fax_job_t fj;
	const queue_job_t *qj; /* the send job running the call (borrowed for the run) */
	atomic_int stop;       /* set on cancellation or stop: ends the call */
	atomic_int halted;     /* set on the stop of the queue or the service */
};

struct rx_call {
	json_t *route;         /* dom_number_inbound() answer, owned */
	char trunk_id[64];     /* carrier calls: the trunk and account they count against */
	char account_id[64];
	char dir[512];         /* private work directory of the call ("": one file) */
	char tiff[600];        /* its TIFF: dir/rx.tif, or the one file */
};

struct faxsvc {
	faxsvc_config_t cfg;
	const fax_env_t *env;
	store_t *st;
	linecall_t *line;             /* where the calls run (cfg.line, or in this process) */
	int own_line;
	atomic_int stopping;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *running[FAXSVC_WORKERS_MAX]; /* the calls of the send jobs running here */
	int nworkers;                 /* the send kind's threads (fax.workers) */
	pthread_t renewer;
	int have_renewer;

	/* the loopback trunk's receiver */
	pthread_t receiver;
	int have_receiver;
	atomic_int rx_stop;
	atomic_int rx_state;          /* 0 starting, 1 listening, -1 failed */
	int rx_port;

	/* the carrier-facing listeners */
	struct carrier_rx carriers[CARRIER_LISTEN_MAX];
	int ncarriers;
	atomic_int carrier_stop;
	pthread_mutex_t cmu;          /* the busy tables */
	struct busy trunk_busy[CARRIER_BUSY_MAX], acct_busy[CARRIER_BUSY_MAX];
	atomic_ullong refused[REF_N];
	atomic_ullong carrier_accepted;
	atomic_ullong challenged;     /* 401s sent */
	/* calls ended, by direction (0 out, 1 in) and class; pages confirmed / received */
	atomic_ullong calls_ended[2][CLASS_N];
	atomic_ullong pages[2];

	trunk_health_t *health;       /* the trunks' OPTIONS keep-alive */
	trunk_register_t *reg;        /* the trunks' registrations */
	atomic_ullong failovers;      /* outbound calls moved on to another trunk */
	atomic_ullong target_failovers; /* ... to another target of the same trunk (SRV, addresses) */
	/* The periodic sweeps (jobs of the queue: faxsvc_sweeps); a pass runs
	 * on one thread at a time, on whichever node claimed its job. */
	struct sweeps *sweeps;        /* their passes on /metrics */
	int64_t next_orphans_ms;      /* when the orphan blobs' sweep next runs here */
	int64_t billing_month;        /* the month whose invoice run is done here (0: none yet) */

	/* Work directories of received calls that ended, kept for the next
	 * (rx_slot_take, rx_slot_give): each holds the route file of its last
	 * call and an empty rx.tif, which the start's recovery passes over and
	 * its sweep wipes. */
	pthread_mutex_t rxmu;
	char rx_free[RX_SLOTS_MAX][512];
	int rx_nfree;
};

/* fax.sip_public_address, NULL when unset. */
static const char *public_address(const faxsvc_t *s)
{
	return s->cfg.sip_public_address && *s->cfg.sip_public_address ? s->cfg.sip_public_address : NULL;
}

/* Whether a is an IPv4 or IPv6 address (unbracketed) or a DNS name. */
static int public_address_valid(const char *a)
{
	unsigned char b[16];
	if (inet_pton(AF_INET, a, b) == 1 || inet_pton(AF_INET6, a, b) == 1)
		return 1;
	size_t n = strlen(a);
	if (n == 0 || n > 63 || a[0] == '-' || a[0] == '.' || a[n - 1] == '-' || a[n - 1] == '.' || strstr(a, ".."))
		return 0;
	return strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == n;
}

/* ---- outbound ---- */

struct page_ctx {
	faxsvc_t *s;
	struct job *j;
};

static void page_done(void *ud, int page, int ok)
{
	struct page_ctx *pc = ud;
	if (ok && dom_fax_page_confirmed(pc->s->st, &pc->j->fj, page) != 0)
		log_event(LOG_ERROR, "fax.page_record_failed", "fax=%s page=%d", pc->j->fj.fax_id, page);
}

/* One call of job j over its current trunk: the result into res. */
static int dial(faxsvc_t *s, struct job *j, int tiff_fd, fax_result_t *res)
{
	fax_job_t *fj = &j->fj;
	const char *peer = json_string_value(json_object_get(fj->trunk, "peer"));
	const char *trunk_id = json_string_value(json_object_get(fj->trunk, "id")) ?: "-";

	line_cfg_t lc;
	line_cfg_defaults(&lc);
	lc.t38 = fj->t38;
	lc.ecm = fj->ecm;
	lc.max_rate = fj->max_rate;
	lc.ident = fj->from[0] ? fj->from : NULL;
	lc.from_user = fj->from[0] ? fj->from : "faxvault";
	lc.user = json_string_value(json_object_get(fj->trunk, "username"));
	lc.password = json_string_value(json_object_get(fj->trunk, "password"));
	if (lc.user && !*lc.user)
		lc.user = lc.password = NULL;
	lc.clock_speed = s->cfg.clock_speed > 1 ? s->cfg.clock_speed : 1.0;
	if (s->cfg.ring_ms > 0)
		lc.ring_ms = s->cfg.ring_ms;
	if (s->cfg.max_call_ms > 0)
		lc.max_call_ms = s->cfg.max_call_ms;
	lc.media_threads = 0;
	lc.media_priority = s->cfg.media_priority;
	lc.first_page = fj->first_page;
	/* SIP over TCP or TLS when the target says so (below; its peer's
	 * certificate checked against fax.sip_tls_ca, ours presented when
	 * configured). */
	lc.tls_ca = s->cfg.sip_tls_ca && *s->cfg.sip_tls_ca ? s->cfg.sip_tls_ca : NULL;
	/* The certificate must name the peer as the trunk gives it (its host
	 * name, not the address it resolved to; RFC 5922 §4). */
	char tls_host[256] = "";
	if (peer && peer[0] != '[') {
		const char *c = strchr(peer, ':');
		snprintf(tls_host, sizeof tls_host, "%.*s", c ? (int)(c - peer) : (int)strlen(peer), peer);
	}
	lc.tls_name = tls_host[0] ? tls_host : NULL;
	/* ... or the name the trunk requires of its carrier (tls_peer_name) */
	const char *pname = json_string_value(json_object_get(fj->trunk, "tls_peer_name"));
	if (pname && *pname)
		lc.tls_name = pname;
	if (s->cfg.sip_tls_cert && *s->cfg.sip_tls_cert) {
		lc.tls_cert = s->cfg.sip_tls_cert;
		lc.tls_key = s->cfg.sip_tls_key;
	}
	/* behind NAT: our public address toward carriers (not the loopback trunk) */
	if (strcmp(trunk_id, "loopback") != 0) {
		lc.public_address = public_address(s);
		lc.symmetric_media = 1; /* a carrier's media from behind its NAT */
	}
	struct page_ctx pc = { s, j };
	lc.on_page = page_done;
	lc.page_ud = &pc;
	lc.stop = &j->stop;

	/* The peer's targets (RFC 3263): the next one when a target does not
	 * answer or cannot take the call and no page went. */
	resolve_answer_t ra;
	char why[160];
	if (trunk_targets_resolve(s->st, trunk_id, peer ? peer : "", fj->trunk, &ra, why, sizeof why) != 0) {
		fax_result_init(res, 1);
		res->network_error = 1;
		fax_result_classify(res);
		snprintf(res->fail_class, sizeof res->fail_class, "dns");
		snprintf(res->reason, sizeof res->reason, "%.*s", (int)sizeof res->reason - 1, why);
		log_event(LOG_WARN, "fax.call_unresolved", "fax=%s trunk=%s reason=\"%s\"", fj->fax_id, trunk_id, why);
		return -1;
	}
	/* The trunk's own client certificate, when it has one, in place of
	 * fax.sip_tls_cert (trunk_tls.h). */
	trunk_tls_t tt;
	if (trunk_tls_open(fj->trunk, &tt) == 1) {
		lc.tls_cert = tt.cert;
		lc.tls_key = tt.key;
	}
	int rc = 0;
	for (int i = 0; i < ra.n; i++) {
		char hp[80], target[300];
		trunk_target_hostport(&ra.t[i], hp, sizeof hp);
		snprintf(target, sizeof target, "sip:%s@%s", fj->to, hp);
		log_event(LOG_INFO, "fax.call_start",
			"fax=%s attempt=%d to=%s trunk=%s target=%s first_page=%d ecm=%d rate=%d t38=%d remembered=%d",
			fj->fax_id, fj->attempt, fj->to, trunk_id, hp, fj->first_page, fj->ecm, fj->max_rate, fj->t38,
			fj->remembered);
		lc.invite_timeout_ms = i + 1 < ra.n ? TRUNK_TARGET_TIMEOUT_MS : 0;
		lc.sip_transport = trunk_target_siptrans(&ra.t[i]); /* NAPTR/SRV may choose another */
		rc = linecall_send(s->line, &lc, target, tiff_fd, res);
		if (rc != 0) {
			if (!res->fail_class[0]) {
				res->network_error = 1;
				fax_result_classify(res);
			}
			break; /* a local error: no other target would do better */
		}
		if (strcmp(res->fail_class, "interrupted") == 0)
			break; /* the engine's process died: the call is tried again as it was */
		int dead = dom_fax_failover_wanted(res);
		trunk_targets_mark(s->st, trunk_id, &ra.t[i], !dead);
		if (!dead || i + 1 == ra.n || atomic_load(&j->halted) || atomic_load(&j->stop))
			break;
		char next[80];
		trunk_target_hostport(&ra.t[i + 1], next, sizeof next);
		log_event(LOG_WARN, "fax.target_failover", "fax=%s trunk=%s target=%s next=%s sip_status=%d class=%s",
			fj->fax_id, trunk_id, hp, next, res->sip_status, res->fail_class);
		atomic_fetch_add(&s->target_failovers, 1);
		fax_result_init(res, 1);
	}
	trunk_tls_close(&tt);
	return rc;
}

/* The longest wait between two tries to record a call's end. */
#define FINISH_RETRY_MAX_MS 5000

/* A call's end recorded: its CDR, pages and retry (dom_fax_finish at the
 * call's end, ended_at), or, cut by the engine's death, its attempt
 * interrupted (dom_fax_interrupted). While the store refuses it (no
 * PostgreSQL primary answers) it is tried again, from a quarter of a second
 * to every FINISH_RETRY_MAX_MS, the result kept here: the call keeps its
 * worker slot, so its attempt's and its send job's leases are still
 * renewed. Stopped by the stop of the service or the queue: the attempt
 * stays in progress, recovered at the next start (or taken over by its
 * fax's send job once its lease passes). */
static void record_end(faxsvc_t *s, struct job *j, const fax_result_t *res, int interrupted,
	int64_t ended_at)
{
	fax_job_t *fj = &j->fj;
	int wait_ms = 250;
	for (int tries = 1;; tries++) {
		int rc = interrupted ? (dom_fax_interrupted(s->st, s->env, fj) < 0 ? -1 : 0)
				     : dom_fax_finish_at(s->st, s->env, fj, res, ended_at);
		if (rc == 0) {
			if (tries > 1)
				log_event(LOG_INFO, "fax.finish_recorded", "fax=%s attempt=%d tries=%d",
					fj->fax_id, fj->attempt, tries);
			return;
		}
		bool stop = atomic_load(&s->stopping) || atomic_load(&j->halted);
		log_event(LOG_ERROR, "fax.finish_failed", "fax=%s attempt=%d tries=%d retry_ms=%d",
			fj->fax_id, fj->attempt, tries, stop ? -1 : wait_ms);
		if (stop)
			return;
		struct timespec ts;
		time_deadline_in(wait_ms, &ts);
		pthread_mutex_lock(&s->mu);
		while (!atomic_load(&s->stopping) && !atomic_load(&j->halted) &&
		       pthread_cond_timedwait(&s->cv, &s->mu, &ts) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&s->mu);
		wait_ms = wait_ms * 2 > FINISH_RETRY_MAX_MS ? FINISH_RETRY_MAX_MS : wait_ms * 2;
	}
}

static void run_job(faxsvc_t *s, struct job *j)
{
	fax_job_t *fj = &j->fj;
	fax_result_t res;
	fax_result_init(&res, 1);
	/* The document, decrypted into a memfd: no work directory and no
	 * file (each new inode costs the file system more than the copy), and
	 * no plaintext on disk. The engine reads it through the descriptor
	 * (the SIP front end gets it passed). */
	int tiff_fd = memfd_create("fax-tx", MFD_CLOEXEC);
	store_tx_t *rtx = tiff_fd >= 0 ? store_begin(s->st, false) : NULL;
	int grc = rtx ? doc_get_fd_tx(rtx, s->env, fj->account_id, fj->doc_id, tiff_fd) : -1;
	if (rtx)
		store_rollback(rtx);
	if (grc == 0 && lseek(tiff_fd, 0, SEEK_SET) != 0)
		grc = -1;
	if (grc != 0) {
		log_event(LOG_ERROR, "fax.document_unreadable", "fax=%s doc=%s", fj->fax_id, fj->doc_id);
		if (tiff_fd >= 0)
			close(tiff_fd);
		fax_result_init(&res, 1);
		res.network_error = 1;
		fax_result_classify(&res);
		snprintf(res.reason, sizeof res.reason, "the fax document could not be read");
		record_end(s, j, &res, 0, time_now_ms());
		return;
	}
	for (;;) {
		dial(s, j, tiff_fd, &res);
		/* Nobody there, or the carrier cannot take it: the next trunk whose
		 * prefixes match, at once, as the same try. */
		if (atomic_load(&j->halted) || atomic_load(&j->stop) ||
		    strcmp(res.fail_class, "interrupted") == 0 || !dom_fax_failover_wanted(&res) ||
		    !json_array_size(fj->alternates))
			break;
		if (dom_fax_failover(s->st, s->env, fj, &res) != 0)
			break;
		atomic_fetch_add(&s->failovers, 1);
		atomic_fetch_add(&s->calls_ended[0][class_index(&res)], 1);
		fax_result_init(&res, 1);
	}
	close(tiff_fd);
	if (strcmp(res.fail_class, "interrupted") == 0 && !dom_fax_cancelled(s->st, fj->fax_id)) {
		/* The SIP front end died during the call: the attempt is
		 * interrupted and the fax queued again at once from its first
		 * unconfirmed page, as after a crash of the service. */
		log_event(LOG_WARN, "fax.call_interrupted", "fax=%s attempt=%d pages_confirmed=%d reason=engine",
			fj->fax_id, fj->attempt, res.pages_confirmed);
		record_end(s, j, &res, 1, time_now_ms());
		return;
	}
	if (atomic_load(&j->halted) && !dom_fax_cancelled(s->st, fj->fax_id)) {
		/* Ended by the stop: the attempt stays in progress and is recovered
		 * (as interrupted, confirmed pages kept) at the next start. */
		log_event(LOG_INFO, "fax.call_interrupted", "fax=%s attempt=%d pages_confirmed=%d",
			fj->fax_id, fj->attempt, res.pages_confirmed);
		return;
	}
	atomic_fetch_add(&s->calls_ended[0][class_index(&res)], 1);
	if (res.pages_confirmed > 0)
		atomic_fetch_add(&s->pages[0], (unsigned long long)res.pages_confirmed);
	log_event(LOG_INFO, "fax.call_end", "fax=%s attempt=%d ok=%d class=%s pages=%d/%d transport=%s",
		fj->fax_id, fj->attempt, res.ok, res.fail_class[0] ? res.fail_class : "-",
		res.pages_confirmed, res.pages_total, res.transport[0] ? res.transport : "-");
	record_end(s, j, &res, 0, time_now_ms());
}

/* The wait before a fax that found no trunk under its max_calls, or its
 * account at its call limit, is looked at again (fax.poll_ms). */
static int64_t busy_ms(const faxsvc_t *s)
{
	return s->cfg.poll_ms > 0 ? s->cfg.poll_ms : 500;
}

/* The fax of a send job claimed in the transaction that claims the job
 * (queue_kind_t.claim): one commit for both, which the call follows. */
struct send_claim {
	int n;         /* as dom_fax_claim_tx */
	int64_t again;
	fax_job_t fj;
};

static int send_claim(store_tx_t *tx, const queue_job_t *qj, void *arg, void **claimed)
{
	faxsvc_t *s = arg;
	const char *fax_id = json_string_value(json_object_get(qj->payload, "fax"));
	/* Nothing claimed for a run that will not call. */
	if (!fax_id || atomic_load(&s->stopping) || queue_job_stopping(qj))
		return 0;
	struct send_claim *c = xcalloc(1, sizeof *c);
	c->n = dom_fax_claim_tx(tx, s->env, s->cfg.node_id, fax_id, time_now_ms(), busy_ms(s),
		&c->fj, &c->again);
	if (c->n < 0) {
		free(c);
		return -1;
	}
	*claimed = c;
	return 0;
}

static void send_unclaim(void *claimed, void *arg)
{
	(void)arg;
	struct send_claim *c = claimed;
	if (c->n > 0)
		fax_job_clear(&c->fj);
	free(c);
}

/* A send job (FAX_SEND_JOB): the fax of its payload claimed when due (with
 * the job, send_claim, or here), its call run here, then the job queued
 * again at the fax's next attempt while the fax is not final. A stop of
 * the queue or the service ends the call: its attempt stays in progress
 * (recovered as interrupted at the next start, or taken over by another
 * node once its lease passes) and the job yields. */
static enum queue_outcome send_run(const queue_job_t *qj, void *arg, char *why, size_t whylen)
{
	faxsvc_t *s = arg;
	struct send_claim *c = qj->claimed;
	const char *fax_id = json_string_value(json_object_get(qj->payload, "fax"));
	if (!fax_id) {
		if (c)
			send_unclaim(c, s);
		snprintf(why, whylen, "the job names no fax");
		return QUEUE_FAIL;
	}
	if (c && c->n > 0)
		dom_fax_log_claimed(&c->fj);
	if (atomic_load(&s->stopping) || queue_job_stopping(qj)) {
		/* A fax claimed with the job keeps its attempt in progress, as a
		 * call the stop ended. */
		if (c)
			send_unclaim(c, s);
		return QUEUE_YIELD;
	}
	struct job *j = xcalloc(1, sizeof *j);
	j->qj = qj;
	int64_t again;
	int n;
	if (c) {
		n = c->n;
		again = c->again;
		j->fj = c->fj;
		free(c);
	} else {
		n = dom_fax_claim_one(s->st, s->env, s->cfg.node_id, fax_id, time_now_ms(), busy_ms(s),
			&j->fj, &again);
	}
	if (n <= 0) {
		free(j);
		if (n < 0) {
			snprintf(why, whylen, "the fax could not be claimed");
			return QUEUE_RETRY;
		}
		if (again >= 0)
			queue_job_again(qj, again, NULL);
		return QUEUE_DONE;
	}
	j->fj.send_job = qj;
	pthread_mutex_lock(&s->mu);
	int slot = -1;
	for (int i = 0; i < s->nworkers && slot < 0; i++)
		if (!s->running[i])
			slot = i;
	if (slot >= 0)
		s->running[slot] = j;
	pthread_mutex_unlock(&s->mu);
	run_job(s, j);
	pthread_mutex_lock(&s->mu);
	if (slot >= 0)
		s->running[slot] = NULL;
	pthread_mutex_unlock(&s->mu);
	bool halted = atomic_load(&j->halted);
	fax_job_clear(&j->fj);
	free(j);
	if (halted)
		return QUEUE_YIELD;
	if (dom_fax_send_next(s->st, fax_id, &again) != 0) {
		/* The database away (its end may not be recorded either): the job
		 * comes back after a backoff and takes the attempt over once its
		 * lease has passed. */
		snprintf(why, whylen, "the fax's state could not be read");
		return QUEUE_RETRY;
	}
	if (again >= 0)
		queue_job_again(qj, again, NULL);
	return QUEUE_DONE;
}

/* Every fax.poll_ms: the cancellations of the calls running here end them,
 * and so does the stop of the queue; every quarter of the lease, the leases
 * of their attempts and of their send jobs are pushed on. */
static void *renewer_main(void *arg)
{
	faxsvc_t *s = arg;
	int64_t last_lease = 0, lease = fax_env_lease_ms(s->env);
	int64_t every = busy_ms(s) < lease / 4 ? busy_ms(s) : lease / 4;
	pthread_mutex_lock(&s->mu);
	while (!atomic_load(&s->stopping)) {
		char ids[FAXSVC_WORKERS_MAX][64];
		struct job *jobs[FAXSVC_WORKERS_MAX];
		int nrun = 0, stopped = 0;
		for (int i = 0; i < s->nworkers; i++) {
			struct job *j = s->running[i];
			if (!j)
				continue;
			if (queue_job_stopping(j->qj)) {
				atomic_store(&j->halted, 1);
				stopped += !atomic_exchange(&j->stop, 1);
			}
			jobs[nrun] = j;
			snprintf(ids[nrun], sizeof ids[nrun], "%s", j->fj.fax_id);
			nrun++;
		}
		/* Leases (several nodes on one database): the attempts' and the
		 * jobs', under the mutex (a job's record lives while it runs). */
		int64_t now = time_now_ms();
		if (nrun > 0 && (now - last_lease >= lease / 4 || now < last_lease)) {
			/* Only the calls running here: an attempt whose end could not
			 * be recorded lets its lease pass (its job takes it over). */
			store_tx_t *tx = store_begin(s->st, true);
			for (int i = 0; tx && i < s->nworkers; i++)
				if (s->running[i] &&
				    (queue_job_hold(tx, s->running[i]->qj) == STORE_ERROR ||
				     dom_fax_attempt_hold(tx, s->env, &s->running[i]->fj, now) == STORE_ERROR)) {
					store_rollback(tx);
					tx = NULL;
				}
			if (!tx || store_commit(tx) != STORE_OK)
				log_event(LOG_ERROR, "fax.lease_renew_failed", "node=%s", s->cfg.node_id);
			else
				last_lease = now;
		}
		pthread_mutex_unlock(&s->mu);
		int cancelled[FAXSVC_WORKERS_MAX] = { 0 };
		if (nrun > 0 && dom_fax_cancelled_n(s->st, (const char (*)[64])ids, nrun, cancelled) < 0)
			nrun = 0;
		pthread_mutex_lock(&s->mu);
		for (int i = 0; i < nrun; i++)
			if (cancelled[i])
				/* Still the same call in a slot? Then end it. */
				for (int k = 0; k < s->nworkers; k++)
					if (s->running[k] == jobs[i] && !atomic_exchange(&jobs[i]->stop, 1))
						stopped++;
		/* The calls waiting in the SIP front end see their flags now. */
		if (stopped > 0)
			linecall_wake(s->line);
		if (atomic_load(&s->stopping))
			break;
		struct timespec ts;
		time_deadline_in(every, &ts);
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	}
	/* The service stops: the calls still up end (recovered at start). */
	for (int i = 0; i < s->nworkers; i++)
		if (s->running[i]) {
			atomic_store(&s->running[i]->halted, 1);
			atomic_store(&s->running[i]->stop, 1);
		}
	linecall_wake(s->line);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int faxsvc_sends(faxsvc_t *s, queue_t *q)
{
	if (!s)
		return 0;
	queue_kind_t k = { .kind = FAX_SEND_JOB, .run = send_run, .arg = s,
		.lease_ms = fax_env_lease_ms(s->env), .backoff_ms = 1000, .workers = s->nworkers,
		.claim = send_claim, .unclaim = send_unclaim };
	return queue_register(q, &k);
}

/* The safety net of the sends, every minute on one node: attempts of dead
 * nodes whose lease passed are taken over, and faxes queued or sending
 * without a send job (queued before sends were jobs) get one. */
#define SENDS_EVERY_MS 60000
#define SENDS_BATCH 500

static int64_t sends_pass(void *arg, const queue_job_t *job, int64_t now)
{
	(void)job;
	faxsvc_t *s = arg;
	if (dom_fax_take_over(s->st, s->env, s->cfg.node_id, now) < 0)
		log_event(LOG_ERROR, "fax.take_over_failed", "node=%s", s->cfg.node_id);
	int n = dom_fax_send_jobs(s->st, SENDS_BATCH);
	return n >= SENDS_BATCH ? 0 : SENDS_EVERY_MS;
}

/* ---- inbound (the loopback trunk's receiver) ---- */

static int rx_prepare(faxsvc_t *s, json_t *route, const char *to_user, const char *from_user,
	int *tiff_fd, void **call_ud, struct rx_call **out);
static int rx_write_file(const char *dir, const char *name, const void *buf, size_t len, bool durable);
static void carrier_release(faxsvc_t *s, const char *trunk_id, const char *account_id);
static int wait_bound(int *port, atomic_int *state);

static int rx_accept(void *ud, linecall_invite_t *ci, int *tiff_fd, void **call_ud)
{
	faxsvc_t *s = ud;
	const char *to_user = ci->inv.ruri_user, *from_user = ci->inv.from_user;
	if (atomic_load(&s->stopping))
		return 503;
	store_tx_t *tx = store_begin(s->st, false);
	if (!tx)
		return 503;
	json_t *route = dom_number_inbound(tx, to_user);
	store_rollback(tx);
	if (!route) {
		log_event(LOG_INFO, "fax.inbound_refused", "to=%s from=%s status=404", to_user,
			from_user ? from_user : "-");
		return 404;
	}
	return rx_prepare(s, route, to_user, from_user, tiff_fd, call_ud, NULL);
}

/* The one file of a call (rx_call.tiff, job-XXXXXX.rx in the work
 * directory) with the route rj as its extended attribute: the descriptor,
 * or -1 when the file system takes no such attribute (the call then has a
 * directory). One inode, where a directory, its route file and its TIFF
 * were three. */
static int rx_one_new(faxsvc_t *s, struct rx_call *rc, const char *rj)
{
	if (!rj || strlen(rj) > RX_ROUTE_MAX || !s->env->work_dir)
		return -1;
	mkdir(s->env->work_dir, 0700);
	int n = snprintf(rc->tiff, sizeof rc->tiff, "%s/job-XXXXXX" RX_ONE_SUFFIX, s->env->work_dir);
	if (n < 0 || (size_t)n >= sizeof rc->tiff)
		return -1;
	int fd = mkostemps(rc->tiff, (int)strlen(RX_ONE_SUFFIX), O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fsetxattr(fd, RX_ROUTE_XATTR, rj, strlen(rj), 0) != 0) {
		close(fd);
		unlink(rc->tiff);
		return -1;
	}
	return fd;
}

/* The one file at path (job-XXXXXX.rx) turned into the directory form:
 * job-XXXXXX/ holding it as rx.tif and route (rj; NULL: the file's
 * attribute, an empty route file when it cannot be read). The directory's
 * path into dir, the TIFF's into tiff (either may be NULL). 0, or -1 (the
 * file left as it was). */
static int rx_one_to_dir(const char *path, const char *rj, char *dir, size_t dircap, char *tiff,
	size_t tiffcap)
{
	size_t len = strlen(path), sl = strlen(RX_ONE_SUFFIX);
	char d[500], t[520], attr[RX_ROUTE_MAX + 1];
	if (len <= sl || len - sl >= sizeof d)
		return -1;
	memcpy(d, path, len - sl);
	d[len - sl] = '\0';
	size_t rl = 0;
	if (!rj) {
		ssize_t got = getxattr(path, RX_ROUTE_XATTR, attr, RX_ROUTE_MAX);
		rl = got > 0 ? (size_t)got : 0;
		attr[rl] = '\0';
		rj = attr;
	} else {
		rl = strlen(rj);
	}
	snprintf(t, sizeof t, "%s/rx.tif", d);
	if (mkdir(d, 0700) != 0)
		return -1;
	if (rename(path, t) != 0) {
		rmdir(d);
		return -1;
	}
	if (rx_write_file(d, RX_ROUTE_FILE, rj, rl, false) != 0)
		log_event(LOG_ERROR, "fax.inbound_keep_failed", "dir=%s what=route", d);
	if (dir)
		snprintf(dir, dircap, "%s", d);
	if (tiff)
		snprintf(tiff, tiffcap, "%s", t);
	return 0;
}

/* A kept work directory of an ended call into dir: 1, or 0 when none is
 * kept. */
static int rx_slot_take(faxsvc_t *s, char *dir, size_t cap)
{
	pthread_mutex_lock(&s->rxmu);
	int got = s->rx_nfree > 0;
	if (got)
		snprintf(dir, cap, "%s", s->rx_free[--s->rx_nfree]);
	pthread_mutex_unlock(&s->rxmu);
	return got;
}

/* The work directory of a call whose fax is stored, holding only its route
 * file and its TIFF, kept for the next call once its TIFF is emptied (a
 * directory with a route and no page is no fax to the start's recovery),
 * else wiped. */
static void rx_slot_give(faxsvc_t *s, const char *dir, const char *tiff)
{
	int kept = 0;
	if (truncate(tiff, 0) == 0) {
		pthread_mutex_lock(&s->rxmu);
		if (!atomic_load(&s->stopping) && s->rx_nfree < RX_SLOTS_MAX) {
			snprintf(s->rx_free[s->rx_nfree++], sizeof s->rx_free[0], "%s", dir);
			kept = 1;
		}
		pthread_mutex_unlock(&s->rxmu);
	}
	if (!kept)
		dom_workdir_wipe(dir);
}

/* An accepted call's work directory (a kept one, else a new one), route
 * file, TIFF file (opened into *tiff_fd for the engine) and rx_call (route
 * is consumed). 0, or 503 when the directory or the file cannot be made. */
static int rx_prepare(faxsvc_t *s, json_t *route, const char *to_user, const char *from_user,
	int *tiff_fd, void **call_ud, struct rx_call **out)
{
	struct rx_call *rc = xcalloc(1, sizeof *rc);
	rc->route = route;
	/* The route goes with the pages, so that a crash while they are stored
	 * loses neither (recover_inbound at the next start). */
	char *rj = json_dumps(route, JSON_COMPACT);
	int one = rx_slot_take(s, rc->dir, sizeof rc->dir) ? -1 : rx_one_new(s, rc, rj);
	if (one >= 0) {
		free(rj);
		*tiff_fd = one;
		goto accepted;
	}
	if (!rc->dir[0] && dom_workdir_new(s->env, rc->dir, sizeof rc->dir) != 0) {
		free(rj);
		json_decref(route);
		free(rc);
		return 503;
	}
	/* The TIFF first: emptied (a kept directory's is empty already), so
	 * that while the route below is rewritten in place the directory holds
	 * no page another call's route could be read with. */
	snprintf(rc->tiff, sizeof rc->tiff, "%s/rx.tif", rc->dir);
	int fd = open(rc->tiff, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(rj);
		dom_workdir_wipe(rc->dir);
		json_decref(route);
		free(rc);
		return 503;
	}
	*tiff_fd = fd;
	/* Written in place, no new file: a crash while it is written leaves
	 * no page with it, which the recovery passes over. */
	char rpath[1200];
	snprintf(rpath, sizeof rpath, "%s/" RX_ROUTE_FILE, rc->dir);
	int rfd = rj ? open(rpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
	if (rfd < 0 || fd_write_all(rfd, rj, strlen(rj)) != 0)
		log_event(LOG_ERROR, "fax.inbound_keep_failed", "dir=%s what=route", rc->dir);
	if (rfd >= 0)
		close(rfd);
	free(rj);
accepted:
	*call_ud = rc;
	if (out)
		*out = rc;
	log_event(LOG_INFO, "fax.inbound_accepted", "to=%s from=%s account=%s trunk=%s", to_user,
		from_user ? from_user : "-", json_string_value(json_object_get(route, "account_id")),
		json_string_value(json_object_get(route, "trunk_id")) ?: "-");
	return 0;
}

/* fsync of the file or directory at path (best effort). */
static void rx_sync_path(const char *path, int flags)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | flags);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* len bytes of buf as dir/name, whole or not at all: written to a
 * temporary file renamed over name, so that a crash while writing leaves
 * the former file or none. durable: the file and then dir fsync'd before
 * the answer. 0, or -1. */
static int rx_write_file(const char *dir, const char *name, const void *buf, size_t len, bool durable)
{
	char path[1200], tmp[1210];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc = fd >= 0 && fd_write_all(fd, buf, len) == 0 && (!durable || fsync(fd) == 0) ? 0 : -1;
	if (fd >= 0)
		close(fd);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc != 0) {
		unlink(tmp);
		return -1;
	}
	if (durable)
		rx_sync_path(dir, O_DIRECTORY);
	return 0;
}

/* The fax id the first try chose, kept durably in dir beside the result:
 * the start files the fax with it (recover_inbound). 0, or -1. */
static int rx_write_id(const char *dir, const char *id)
{
	int rc = rx_write_file(dir, RX_ID_FILE, id, strlen(id), true);
	if (rc != 0)
		log_event(LOG_ERROR, "fax.inbound_keep_failed", "dir=%s what=id fax=%s", dir, id);
	return rc;
}

/* The fax id kept in dir by rx_write_id into id: 1, 0 when there is none,
 * -1 when the file is there but does not hold an id. */
static int rx_kept_id(const char *dir, char id[64])
{
	char path[1200];
	snprintf(path, sizeof path, "%s/" RX_ID_FILE, dir);
	id[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	char b[64];
	ssize_t n = read(fd, b, sizeof b);
	close(fd);
	if (n < 5 || n >= (ssize_t)sizeof b || memcmp(b, "fax_", 4) != 0)
		return -1;
	for (ssize_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)b[i]) && b[i] != '_' && b[i] != '-')
			return -1;
	memcpy(id, b, (size_t)n);
	id[n] = '\0';
	return 1;
}

/* The call's result r written durably beside its pages in dir (its route
 * file fsync'd too), for the next start to file the fax as its call ended.
 * 0, or -1. */
static int rx_write_result(const char *dir, const fax_result_t *r)
{
	struct ipc_out *o = xmalloc(sizeof *o);
	sip_wire_result_encode(o, 0, r);
	/* the payload's length, as ipc_send would set it */
	uint64_t plen = o->len - IPC_HDR_LEN;
	for (int i = 0; i < 4; i++)
		o->buf[4 + i] = (uint8_t)(plen >> (8 * i));
	char rpath[1200];
	snprintf(rpath, sizeof rpath, "%s/" RX_ROUTE_FILE, dir);
	rx_sync_path(rpath, 0);
	int rc = o->failed ? -1 : rx_write_file(dir, RX_RESULT_FILE, o->buf, o->len, true);
	free(o);
	return rc;
}

/* Keeps the received fax in dir (a job-* work directory holding its
 * result) for the next start: renamed to rx-*, its new path into kept.
 * 0, or -1. */
static int rx_keep(const char *dir, char *kept, size_t cap)
{
	const char *base = strrchr(dir, '/');
	if (!base || strncmp(base + 1, "job-", 4) != 0)
		return -1;
	int n = snprintf(kept, cap, "%.*s/" RX_SPOOL_PREFIX "%s", (int)(base - dir), dir, base + 5);
	if (n < 0 || (size_t)n >= cap || rename(dir, kept) != 0)
		return -1;
	char parent[1200];
	snprintf(parent, sizeof parent, "%.*s", (int)(base - dir), dir);
	int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd >= 0) {
		fsync(pfd);
		close(pfd);
	}
	return 0;
}

/* The result kept in dir by rx_write_result into *r: 0, 1 when there is
 * none, -1 when the file is there but unreadable (cut or damaged). */
static int rx_kept_result(const char *dir, fax_result_t *r)
{
	char path[1200];
	snprintf(path, sizeof path, "%s/" RX_RESULT_FILE, dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	uint8_t *buf = xmalloc(IPC_HDR_LEN + IPC_PAYLOAD_MAX);
	ssize_t n = read(fd, buf, IPC_HDR_LEN + IPC_PAYLOAD_MAX);
	close(fd);
	struct ipc_msg m;
	int code = 0, rc = n > 0 && ipc_msg_decode(buf, (size_t)n, &m) == 0 ? 0 : -1;
	free(buf);
	if (rc == 0) {
		rc = sip_wire_result_decode(&m, &code, r);
		ipc_msg_free(&m);
	}
	return rc;
}

static void rx_result(void *ud, const fax_result_t *r)
{
	faxsvc_t *s = ud;
	struct rx_call *rc = r->call_ud;
	if (!rc)
		return;
	atomic_fetch_add(&s->calls_ended[1][class_index(r)], 1);
	if (r->pages_received > 0)
		atomic_fetch_add(&s->pages[1], (unsigned long long)r->pages_received);
	/* The call is over: it no longer counts against its trunk. */
	if (rc->trunk_id[0])
		carrier_release(s, rc->trunk_id, rc->account_id);
	struct stat sb;
	const char *tiff = stat(rc->tiff, &sb) == 0 && sb.st_size > 0 ? rc->tiff : NULL;
	if (s->cfg.test_store_delay_ms > 0) {
		log_event(LOG_INFO, "fax.inbound_storing", "to=%s pages=%d delay_ms=%d", r->to_user,
			r->pages_received, s->cfg.test_store_delay_ms);
		usleep((useconds_t)s->cfg.test_store_delay_ms * 1000);
	}
	/* While the store refuses it (no PostgreSQL primary answers), tried
	 * again from a quarter of a second to every INBOUND_RETRY_MAX_MS, the
	 * pages and the route kept in the call's work directory; a stop of
	 * the service before then keeps them there for the next start. */
	int wait_ms = 250, tries = 1;
	bool wipe = true, kept_result = false;
	/* One id for every try: a try after a commit whose answer was lost
	 * finds the fax stored instead of filing it twice. Kept beside the
	 * result (saved), the start's filing uses it too. */
	char id[64] = "", saved[64] = "";
	for (;; tries++) {
		if (dom_fax_inbound(s->st, s->env, rc->route, tiff, r, id) == 0) {
			log_event(LOG_INFO, "fax.inbound_stored", "fax=%s to=%s pages=%d ok=%d", id, r->to_user,
				r->pages_received, r->ok);
			if (tries > 1)
				log_event(LOG_INFO, "fax.inbound_recorded", "fax=%s to=%s tries=%d", id,
					r->to_user, tries);
			break;
		}
		bool stop = atomic_load(&s->stopping);
		log_event(LOG_ERROR, "fax.inbound_store_failed", "to=%s pages=%d tries=%d retry_ms=%d",
			r->to_user, r->pages_received, tries, stop ? -1 : wait_ms);
		/* The result beside the pages: a crash during the retries files
		 * the fax at the next start as its call ended. A call in one file
		 * gets its directory first. */
		if (tries == 1 && !rc->dir[0]) {
			char *rj = json_dumps(rc->route, JSON_COMPACT);
			if (rx_one_to_dir(rc->tiff, rj ? rj : "", rc->dir, sizeof rc->dir, rc->tiff,
				    sizeof rc->tiff) != 0)
				log_event(LOG_ERROR, "fax.inbound_keep_failed", "file=%s what=directory", rc->tiff);
			free(rj);
		}
		if (tries == 1 && rc->dir[0])
			kept_result = rx_write_result(rc->dir, r) == 0;
		if (id[0] && strcmp(id, saved) != 0 && rc->dir[0] && rx_write_id(rc->dir, id) == 0)
			snprintf(saved, sizeof saved, "%s", id);
		if (stop) {
			/* Kept as rx-* (which the start's sweep of job-* leaves), or,
			 * without its result, filed at the next start as cut short
			 * (the start files job-* before it sweeps them). */
			char kept[1200] = "";
			int k = kept_result ? rx_keep(rc->dir, kept, sizeof kept) : -1;
			wipe = false;
			log_event(LOG_WARN, "fax.inbound_kept", "to=%s pages=%d dir=%s result=%s fax=%s",
				r->to_user, r->pages_received, k == 0 ? kept : rc->dir,
				kept_result ? "kept" : "lost", saved[0] ? saved : "-");
			break;
		}
		struct timespec ts;
		time_deadline_in(wait_ms, &ts);
		pthread_mutex_lock(&s->mu);
		while (!atomic_load(&s->stopping) && pthread_cond_timedwait(&s->cv, &s->mu, &ts) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&s->mu);
		wait_ms = wait_ms * 2 > INBOUND_RETRY_MAX_MS ? INBOUND_RETRY_MAX_MS : wait_ms * 2;
	}
	/* Stored at the first try: the directory holds its route and TIFF
	 * alone (a retry may have left the result and the id beside them). */
	if (wipe && !rc->dir[0])
		unlink(rc->tiff); /* a call in one file */
	else if (wipe && tries == 1)
		rx_slot_give(s, rc->dir, rc->tiff);
	else if (wipe)
		dom_workdir_wipe(rc->dir);
	json_decref(rc->route);
	free(rc);
}

/* The engine settings every receiving listener shares: T.38 and ECM on,
 * the service's clock and call ceiling, durable pages, the called number
 * identified. The caller sets where it listens and who accepts. */
static void rx_line_cfg(const faxsvc_t *s, line_cfg_t *lc, const char *listen, int *bound_port)
{
	line_cfg_defaults(lc);
	lc->listen = listen;
	lc->t38 = 1;
	lc->ecm = 1;
	lc->clock_speed = s->cfg.clock_speed > 1 ? s->cfg.clock_speed : 1.0;
	if (s->cfg.max_call_ms > 0)
		lc->max_call_ms = s->cfg.max_call_ms;
	lc->media_threads = 1;
	lc->media_priority = s->cfg.media_priority;
	lc->calls = 0;
	lc->bound_port = bound_port;
	lc->rx_durable = 1;
	lc->ident_called = 1;
}

static void *receiver_main(void *arg)
{
	faxsvc_t *s = arg;
	line_cfg_t lc;
	rx_line_cfg(s, &lc, s->cfg.loopback_listen, &s->rx_port);
	lc.listen_fd = s->cfg.loopback_fd;
	lc.stop = &s->rx_stop;
	linecall_listener_t l = { .cfg = &lc, .screened = 0, .accept = rx_accept, .accept_ud = s,
		.result = rx_result, .result_ud = s };
	int rc = linecall_receive(s->line, &l);
	if (rc != 0) {
		log_event(LOG_ERROR, "fax.receiver_failed", "listen=%s", s->cfg.loopback_listen);
		atomic_store(&s->rx_state, -1);
	}
	return NULL;
}

static int start_receiver(faxsvc_t *s, char *err, size_t errlen)
{
	if (pthread_create(&s->receiver, NULL, receiver_main, s) != 0) {
		snprintf(err, errlen, "cannot start the loopback receiver");
		return -1;
	}
	s->have_receiver = 1;
	/* Wait until the socket is bound (its port goes into the trunk's peer). */
	int port = wait_bound(&s->rx_port, &s->rx_state);
	if (port <= 0) {
		snprintf(err, errlen, "cannot listen for the loopback trunk on %s", s->cfg.loopback_listen);
		return -1;
	}
	char host[64];
	const char *colon = strrchr(s->cfg.loopback_listen, ':');
	size_t hl = colon ? (size_t)(colon - s->cfg.loopback_listen) : strlen(s->cfg.loopback_listen);
	if (hl >= sizeof host)
		hl = sizeof host - 1;
	memcpy(host, s->cfg.loopback_listen, hl);
	host[hl] = '\0';
	if (s->cfg.loopback_bound)
		snprintf(s->cfg.loopback_bound, s->cfg.loopback_bound_len, "%s:%d", host, port);
	log_event(LOG_INFO, "fax.loopback_listening", "sip=%s:%d", host, port);
	return 0;
}

/* ---- inbound from carriers (fax.sip_listen) ---- */

/* Slot of id in table (created when add), or NULL. Under s->cmu. */
static struct busy *busy_slot(struct busy *table, const char *id, int add)
{
	struct busy *free_slot = NULL;
	for (int i = 0; i < CARRIER_BUSY_MAX; i++) {
		if (table[i].n > 0 && strcmp(table[i].id, id) == 0)
			return &table[i];
		if (table[i].n == 0 && !free_slot)
			free_slot = &table[i];
	}
	if (!add || !free_slot)
		return NULL;
	snprintf(free_slot->id, sizeof free_slot->id, "%s", id);
	return free_slot;
}

/* Takes a call on trunk and account when both are under their limits:
 * 0, or the REF_ reason. */
static int carrier_take(faxsvc_t *s, const char *trunk_id, int trunk_max, const char *account_id,
	int acct_max)
{
	int rc = 0;
	pthread_mutex_lock(&s->cmu);
	struct busy *t = busy_slot(s->trunk_busy, trunk_id, 0);
	struct busy *a = busy_slot(s->acct_busy, account_id, 0);
	if (t && t->n >= trunk_max)
		rc = REF_TRUNK_MAX;
	else if (a && a->n >= acct_max)
		rc = REF_ACCOUNT_MAX;
	else if (!(t = t ? t : busy_slot(s->trunk_busy, trunk_id, 1)) ||
		 !(a = a ? a : busy_slot(s->acct_busy, account_id, 1))) {
		if (t && t->n == 0)
			t->id[0] = '\0';
		rc = REF_TRUNK_MAX; /* the tables are full: more calls than any limit allows */
	} else {
		t->n++;
		a->n++;
	}
	pthread_mutex_unlock(&s->cmu);
	return rc;
}

static void carrier_release(faxsvc_t *s, const char *trunk_id, const char *account_id)
{
	pthread_mutex_lock(&s->cmu);
	struct busy *t = busy_slot(s->trunk_busy, trunk_id, 0);
	struct busy *a = busy_slot(s->acct_busy, account_id, 0);
	if (t)
		t->n--;
	if (a)
		a->n--;
	pthread_mutex_unlock(&s->cmu);
}

void faxsvc_inbound_calls(void *arg, json_t **by_trunk, json_t **by_account)
{
	faxsvc_t *s = arg;
	*by_trunk = json_object();
	*by_account = json_object();
	if (!s)
		return;
	pthread_mutex_lock(&s->cmu);
	for (int i = 0; i < CARRIER_BUSY_MAX; i++) {
		if (s->trunk_busy[i].n > 0)
			json_object_set_new(*by_trunk, s->trunk_busy[i].id, json_integer(s->trunk_busy[i].n));
		if (s->acct_busy[i].n > 0)
			json_object_set_new(*by_account, s->acct_busy[i].id, json_integer(s->acct_busy[i].n));
	}
	pthread_mutex_unlock(&s->cmu);
}

static int trunk_auth_is(const json_t *t, const char *mode)
{
	const char *a = json_string_value(json_object_get(t, "inbound_auth"));
	return strcmp(a ? a : "source", mode) == 0;
}

/* The trunk with inbound_auth digest (any source) whose username is user,
 * or, with user NULL, the first such trunk; NULL when none. */
static const json_t *trunk_by_user(const json_t *trunks, const char *user)
{
	size_t i;
	const json_t *t;
	json_array_foreach(trunks, i, t) {
		const char *u = json_string_value(json_object_get(t, "username"));
		if (trunk_auth_is(t, "digest") && (!user || (u && *u && strcmp(u, user) == 0)))
			return t;
	}
	return NULL;
}

/* raw by the trunk's rewrite rules into out: 0 / -1. */
static int trunk_normalize(const json_t *t, const char *raw, char *out, size_t cap)
{
	carrier_rewrite_t rules[32];
	size_t n = 0, i;
	const json_t *r;
	json_array_foreach(json_object_get(t, "inbound_rewrite"), i, r) {
		if (n == sizeof rules / sizeof rules[0])
			break;
		rules[n].match = json_string_value(json_object_get(r, "match")) ?: "";
		rules[n].replace = json_string_value(json_object_get(r, "replace")) ?: "";
		n++;
	}
	return carrier_number_normalize(raw, rules, n, out, cap);
}

static int carrier_refuse(faxsvc_t *s, int why, int status, const line_invite_t *inv,
	const char *trunk_id, const char *number)
{
	atomic_fetch_add(&s->refused[why], 1);
	log_event(LOG_INFO, "fax.inbound_refused", "status=%d reason=%s src=%s trunk=%s to=%s", status,
		refusal_names[why], inv->src_ip, trunk_id ? trunk_id : "-", number && *number ? number : "-");
	return status;
}

/* 401 with a digest challenge (stale: the answer was right but its nonce too old). */
static int carrier_challenge(faxsvc_t *s, linecall_invite_t *ci, const char *trunk_id, int stale)
{
	if (linecall_invite_challenge(ci, stale, time_now_ms() / 1000) != 0)
		return 500;
	atomic_fetch_add(&s->challenged, 1);
	log_event(LOG_INFO, "fax.inbound_challenged", "src=%s trunk=%s stale=%d", ci->inv.src_ip,
		trunk_id ? trunk_id : "-", stale);
	return 401;
}

/* Digest authentication of an INVITE when its trunk wants it: t is the
 * trunk its source address named (source_and_digest), or NULL when only a
 * digest trunk may take it. The credentials are parsed and checked where
 * the engine runs (the SIP front end): this side finds the trunk by their
 * username and gives the HA1s of its password for our realm, and learns
 * the verdict. 0 with *out the trunk (borrowed from trunks), or the SIP
 * status to refuse with (401 challenge, 403). Under tx. */
static int carrier_authenticate(faxsvc_t *s, store_tx_t *tx, const json_t *trunks, const json_t *t,
	linecall_invite_t *ci, const json_t **out)
{
	line_invite_t *inv = &ci->inv;
	const char *tid = t ? json_string_value(json_object_get(t, "id")) : NULL;
	if (ci->auth == LINECALL_AUTH_NONE)
		return carrier_challenge(s, ci, tid, 0);
	if (ci->auth != LINECALL_AUTH_CREDENTIALS) {
		log_event(LOG_INFO, "fax.inbound_auth_failed", "src=%s trunk=%s verdict=unparseable", inv->src_ip,
			tid ? tid : "-");
		return carrier_refuse(s, REF_CREDENTIALS, 403, inv, tid, NULL);
	}
	if (!t)
		t = trunk_by_user(trunks, ci->auth_user);
	tid = t ? json_string_value(json_object_get(t, "id")) : NULL;
	const char *user = t ? json_string_value(json_object_get(t, "username")) : NULL;
	char *pw = t && user && *user ? dom_trunk_inbound_password(tx, s->env, tid) : NULL;
	sipauth_verdict_t v = SIPAUTH_BAD;
	if (pw) {
		char md5[DIGEST_HEX_MAX], sha[DIGEST_HEX_MAX];
		digest_ha1(DIGEST_MD5, user, LINECALL_AUTH_REALM, pw, md5);
		digest_ha1(DIGEST_SHA256, user, LINECALL_AUTH_REALM, pw, sha);
		vault_secret_free(pw);
		v = linecall_invite_verify(ci, user, md5, sha, time_now_ms() / 1000);
		explicit_bzero(md5, sizeof md5);
		explicit_bzero(sha, sizeof sha);
	}
	if (v == SIPAUTH_STALE)
		return carrier_challenge(s, ci, tid, 1);
	if (v != SIPAUTH_OK) {
		log_event(LOG_INFO, "fax.inbound_auth_failed", "src=%s trunk=%s verdict=%s", inv->src_ip,
			tid ? tid : "-", t ? sipauth_verdict_name(v) : "unknown_user");
		return carrier_refuse(s, REF_CREDENTIALS, 403, inv, tid, NULL);
	}
	*out = t;
	return 0;
}

/* The called number of ci as trunk t reads it (called_number, then its
 * rewrite rules) into number: 0, or -1 when it is not E.164. */
static int trunk_called(const json_t *t, linecall_invite_t *ci, char *number, size_t cap)
{
	const line_invite_t *inv = &ci->inv;
	const char *from = json_string_value(json_object_get(t, "called_number")) ?: "request_uri";
	char raw[64] = "";
	if (strcmp(from, "to") == 0)
		snprintf(raw, sizeof raw, "%s", inv->to_user);
	else if (strncmp(from, "header:", 7) == 0)
		linecall_invite_header_user(ci, from + 7, raw, sizeof raw);
	else
		snprintf(raw, sizeof raw, "%s", inv->ruri_user);
	return trunk_normalize(t, raw, number, cap);
}

struct number_q {
	store_tx_t *tx;
	linecall_invite_t *ci;
};

/* trunk_inbound_call_t.number_on: the called number is one of t's. */
static int number_on_trunk(void *ud, const json_t *t)
{
	struct number_q *q = ud;
	char number[CARRIER_NUMBER_MAX + 1];
	json_t *route = trunk_called(t, q->ci, number, sizeof number) == 0 ? dom_number_inbound(q->tx, number) : NULL;
	const char *tid = json_string_value(json_object_get(route, "trunk_id"));
	int on = tid && strcmp(tid, json_string_value(json_object_get(t, "id")) ?: "") == 0;
	json_decref(route);
	return on;
}

/* The host of a SIP URI (brackets of an IPv6 reference removed) into out;
 * "" when it does not parse. */
static void uri_host(const char *uri, char *out, size_t cap)
{
	sip_str_t u, h;
	uint16_t port;
	out[0] = '\0';
	if (sip_uri_parse(sip_addr_uri((sip_str_t){uri, strlen(uri)}), &u, &h, &port) != 0)
		return;
	if (h.n >= 2 && h.p[0] == '[') {
		h.p++;
		h.n -= 2;
	}
	if (h.n < cap)
		snprintf(out, cap, "%.*s", (int)h.n, h.p);
}

/* The trunk ci came through among those that know it by its source
 * (trunk_inbound.h), or NULL with *why. Under tx. */
static const json_t *carrier_trunk(store_tx_t *tx, const json_t *trunks, linecall_invite_t *ci, int *why)
{
	char hv[LINE_INVITE_HEADER_MAX], ruri[LINE_INVITE_HEADER_MAX], rhost[256] = "", thost[256] = "";
	/* the username its Authorization gives (parsed where the engine runs) */
	const char *user = ci->auth == LINECALL_AUTH_CREDENTIALS ? ci->auth_user : NULL;
	if (linecall_invite_ruri(ci, ruri, sizeof ruri) == 0)
		uri_host(ruri, rhost, sizeof rhost);
	if (linecall_invite_header(ci, "To", hv, sizeof hv) == 0)
		uri_host(hv, thost, sizeof thost);
	struct number_q q = { tx, ci };
	trunk_inbound_call_t c = { .src_ip = ci->inv.src_ip, .peer_names = ci->inv.peer_names,
		.auth_user = user, .ruri_host = rhost, .to_host = thost, .number_on = number_on_trunk, .ud = &q };
	return trunk_inbound_pick(trunks, &c, why);
}

static int carrier_accept(void *ud, linecall_invite_t *ci, int *tiff_fd, void **call_ud)
{
	line_invite_t *inv = &ci->inv;
	struct carrier_rx *cr = ud;
	faxsvc_t *s = cr->s;
	if (s->cfg.test_decide_delay_ms > 0)
		usleep((useconds_t)s->cfg.test_decide_delay_ms * 1000);
	if (atomic_load(&s->stopping)) {
		inv->retry_after = CARRIER_RETRY_AFTER_S;
		return carrier_refuse(s, REF_STOPPING, 503, inv, NULL, NULL);
	}
	store_tx_t *tx = store_begin(s->st, false);
	if (!tx)
		return 503;
	json_t *trunks = dom_trunks_inbound(tx);
	int picked = TRUNK_PICK_NONE;
	const json_t *t = trunks ? carrier_trunk(tx, trunks, ci, &picked) : NULL;
	if (!t && (picked == TRUNK_PICK_NAME || !(trunks && trunk_by_user(trunks, NULL)))) {
		store_rollback(tx);
		json_decref(trunks);
		return carrier_refuse(s, picked == TRUNK_PICK_NAME ? REF_CERT : REF_SOURCE, 403, inv, NULL, NULL);
	}
	/* A trunk that authenticates its INVITEs by digest (beside or instead
	 * of its source addresses): challenge, then check the answer. */
	if (!t || trunk_auth_is(t, "source_and_digest")) {
		int st = carrier_authenticate(s, tx, trunks, t, ci, &t);
		if (st == 0 && !trunk_inbound_cert_ok(t, inv->peer_names))
			st = carrier_refuse(s, REF_CERT, 403, inv, json_string_value(json_object_get(t, "id")), NULL);
		if (st != 0) {
			store_rollback(tx);
			json_decref(trunks);
			return st;
		}
	}
	char trunk_id[64];
	snprintf(trunk_id, sizeof trunk_id, "%s", json_string_value(json_object_get(t, "id")));
	char number[CARRIER_NUMBER_MAX + 1] = "", caller[CARRIER_NUMBER_MAX + 1] = "";
	json_t *route = trunk_called(t, ci, number, sizeof number) == 0 ? dom_number_inbound(tx, number) : NULL;
	store_rollback(tx);
	/* The caller: the identity the trunk asserts, else From, in E.164 when
	 * the rules make it so (kept as sent otherwise). */
	const char *who = inv->pai_user[0] ? inv->pai_user : inv->from_user;
	if (trunk_normalize(t, who, caller, sizeof caller) == 0)
		snprintf(inv->caller, sizeof inv->caller, "%s", caller);
	else
		snprintf(inv->caller, sizeof inv->caller, "%s", who);
	int trunk_max = (int)json_integer_value(json_object_get(t, "max_calls"));
	json_decref(trunks);
	if (!route)
		return carrier_refuse(s, REF_NUMBER, 404, inv, trunk_id, number);
	char account_id[64];
	snprintf(account_id, sizeof account_id, "%s", json_string_value(json_object_get(route, "account_id")));
	int acct_max = s->env->account_max_calls > 0 ? s->env->account_max_calls : FAX_ACCOUNT_MAX_CALLS;
	int why = carrier_take(s, trunk_id, trunk_max > 0 ? trunk_max : 1, account_id, acct_max);
	if (why) {
		json_decref(route);
		inv->retry_after = CARRIER_RETRY_AFTER_S;
		if (why == REF_ACCOUNT_MAX &&
		    dom_fax_inbound_refused(s->st, account_id, number, trunk_id, 503, refusal_names[why]) != 0)
			log_event(LOG_ERROR, "fax.inbound_refusal_audit_failed", "account=%s", account_id);
		return carrier_refuse(s, why, 503, inv, trunk_id, number);
	}
	/* The trunk that brought the call is the one its CDR names. */
	json_object_set_new(route, "trunk_id", json_string(trunk_id));
	snprintf(inv->called, sizeof inv->called, "%s", number);
	struct rx_call *rc = NULL;
	int st = rx_prepare(s, route, number, inv->caller, tiff_fd, call_ud, &rc);
	if (st != 0) {
		carrier_release(s, trunk_id, account_id);
		return st;
	}
	snprintf(rc->trunk_id, sizeof rc->trunk_id, "%s", trunk_id);
	snprintf(rc->account_id, sizeof rc->account_id, "%s", account_id);
	atomic_fetch_add(&s->carrier_accepted, 1);
	return 0;
}

static void *carrier_main(void *arg)
{
	struct carrier_rx *cr = arg;
	faxsvc_t *s = cr->s;
	line_cfg_t lc;
	rx_line_cfg(s, &lc, cr->listen, &cr->port);
	lc.sip_transport = cr->transport;
	lc.tls_cert = s->cfg.sip_tls_cert;
	lc.tls_key = s->cfg.sip_tls_key;
	/* fax.sip_tls_verify_client: carriers asked for a certificate of
	 * fax.sip_tls_ca on the tls: listeners */
	if (cr->transport == SIPTRANS_TLS) {
		lc.tls_verify_client = s->cfg.sip_tls_verify_client;
		lc.tls_ca = s->cfg.sip_tls_ca && *s->cfg.sip_tls_ca ? s->cfg.sip_tls_ca : NULL;
	}
	lc.public_address = public_address(s);
	lc.symmetric_media = 1;
	lc.stop = &s->carrier_stop;
	linecall_listener_t l = { .cfg = &lc, .screened = 1, .accept = carrier_accept, .accept_ud = cr,
		.result = rx_result, .result_ud = s };
	if (linecall_receive(s->line, &l) != 0) {
		log_event(LOG_ERROR, "fax.carrier_listener_failed", "listen=%s", cr->listen);
		atomic_store(&cr->state, -1);
	}
	return NULL;
}

/* Waits until the engine bound its socket: the port, or 0 when it failed. */
static int wait_bound(int *port, atomic_int *state)
{
	for (int i = 0; i < 3000; i++) { /* 30 s: the SIP front end may be starting */
		if (atomic_load(state) < 0)
			break;
		if (__atomic_load_n(port, __ATOMIC_ACQUIRE) > 0)
			break;
		usleep(10000);
	}
	return __atomic_load_n(port, __ATOMIC_ACQUIRE);
}

/* Starts one engine per entry of fax.sip_listen. */
static int start_carriers(faxsvc_t *s, char *err, size_t errlen)
{
	const char *p = s->cfg.sip_listen;
	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char item[96];
		if (n >= sizeof item) {
			snprintf(err, errlen, "fax.sip_listen: an entry is too long");
			return -1;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		p = end ? end + 1 : p + n;
		if (!item[0])
			continue;
		char proto[4] = "";
		memcpy(proto, item, item[0] && item[1] && item[2] ? 3 : 0);
		int transport = item[3] == ':' ? siptrans_proto_parse(proto) : -1;
		if (transport < 0 || !strchr(item + 4, ':')) {
			snprintf(err, errlen, "fax.sip_listen: \"%s\" is not udp:IP:PORT, tcp:IP:PORT or tls:IP:PORT", item);
			return -1;
		}
		if (transport == SIPTRANS_TLS &&
		    !(s->cfg.sip_tls_cert && *s->cfg.sip_tls_cert && s->cfg.sip_tls_key && *s->cfg.sip_tls_key)) {
			snprintf(err, errlen, "fax.sip_listen: %s needs fax.sip_tls_cert and fax.sip_tls_key", item);
			return -1;
		}
		if (s->ncarriers == CARRIER_LISTEN_MAX) {
			snprintf(err, errlen, "fax.sip_listen: at most %d listeners", CARRIER_LISTEN_MAX);
			return -1;
		}
		struct carrier_rx *cr = &s->carriers[s->ncarriers];
		cr->s = s;
		cr->transport = transport;
		snprintf(cr->listen, sizeof cr->listen, "%s", item + 4);
		if (pthread_create(&cr->th, NULL, carrier_main, cr) != 0) {
			snprintf(err, errlen, "cannot start the carrier listener %s", item);
			return -1;
		}
		cr->started = 1;
		s->ncarriers++;
		int port = wait_bound(&cr->port, &cr->state);
		if (port <= 0) {
			snprintf(err, errlen, "cannot listen for carriers on %s", item);
			return -1;
		}
		char bound[96];
		faxsvc_carrier_bound(s, s->ncarriers - 1, bound, sizeof bound);
		log_event(LOG_INFO, "fax.carrier_listening", "sip=%s:%s", proto, bound);
	}
	return 0;
}

int faxsvc_carrier_bound(faxsvc_t *s, int i, char *out, size_t cap)
{
	if (!s || i < 0 || i >= s->ncarriers)
		return -1;
	const struct carrier_rx *cr = &s->carriers[i];
	const char *colon = strrchr(cr->listen, ':');
	int hl = colon ? (int)(colon - cr->listen) : (int)strlen(cr->listen);
	snprintf(out, cap, "%.*s:%d", hl, cr->listen, __atomic_load_n(&cr->port, __ATOMIC_ACQUIRE));
	return 0;
}

void faxsvc_metrics(buf_t *o, void *ud)
{
	faxsvc_t *s = ud;
	if (!s)
		return;
	/* Each takes the writers' lock and, committed, writes the log: the
	 * service's cost per fax in bench/fax-e2e counts them. */
	buf_printf(o, "# HELP faxvault_store_write_transactions_total Write transactions begun on this process's store.\n"
		      "# TYPE faxvault_store_write_transactions_total counter\n"
		      "faxvault_store_write_transactions_total %llu\n",
		(unsigned long long)store_write_txs(s->st));
	unsigned long long clean, infected, errors, open;
	dom_av_counts(&clean, &infected, &errors, &open);
	buf_printf(o, "# HELP faxvault_av_scans_total Uploads scanned by clamd, by result (error: no verdict).\n"
		      "# TYPE faxvault_av_scans_total counter\n"
		      "faxvault_av_scans_total{result=\"clean\"} %llu\n"
		      "faxvault_av_scans_total{result=\"infected\"} %llu\n"
		      "faxvault_av_scans_total{result=\"error\"} %llu\n"
		      "# HELP faxvault_av_unscanned_total Uploads accepted unscanned while clamd was unreachable (av.fail_open).\n"
		      "# TYPE faxvault_av_unscanned_total counter\n"
		      "faxvault_av_unscanned_total %llu\n", clean, infected, errors, open);
	/* The provider's choice (av.clamd, av.fail_open), for alerting. */
	bool av_on = s->env && s->env->clamd && *s->env->clamd;
	buf_printf(o, "# HELP faxvault_av_enabled Uploads are scanned by clamd (av.clamd is set).\n"
		      "# TYPE faxvault_av_enabled gauge\n"
		      "faxvault_av_enabled %d\n"
		      "# HELP faxvault_av_fail_open 1: uploads are accepted unscanned while clamd is unreachable (av.fail_open); 0: refused (fail closed).\n"
		      "# TYPE faxvault_av_fail_open gauge\n"
		      "faxvault_av_fail_open %d\n", av_on ? 1 : 0,
		av_on && s->env->av_fail_open ? 1 : 0);
	buf_puts(o, "# HELP faxvault_fax_inbound_refused_total INVITEs refused on the carrier listeners, by reason.\n"
		    "# TYPE faxvault_fax_inbound_refused_total counter\n");
	for (int i = 0; i < REF_N; i++)
		buf_printf(o, "faxvault_fax_inbound_refused_total{reason=\"%s\"} %llu\n", refusal_names[i],
			(unsigned long long)atomic_load(&s->refused[i]));
	buf_printf(o, "# HELP faxvault_fax_inbound_challenged_total INVITEs answered 401 with a digest challenge on the carrier listeners.\n"
		      "# TYPE faxvault_fax_inbound_challenged_total counter\n"
		      "faxvault_fax_inbound_challenged_total %llu\n",
		(unsigned long long)atomic_load(&s->challenged));
	buf_printf(o, "# HELP faxvault_fax_inbound_accepted_total INVITEs answered on the carrier listeners.\n"
		      "# TYPE faxvault_fax_inbound_accepted_total counter\n"
		      "faxvault_fax_inbound_accepted_total %llu\n",
		(unsigned long long)atomic_load(&s->carrier_accepted));
	buf_puts(o, "# HELP faxvault_fax_calls_total Fax calls ended on this node, by direction and class (ok, or the failure class).\n"
		    "# TYPE faxvault_fax_calls_total counter\n");
	for (int d = 0; d < 2; d++)
		for (size_t k = 0; k < CLASS_N; k++)
			buf_printf(o, "faxvault_fax_calls_total{direction=\"%s\",class=\"%s\"} %llu\n",
				d ? "inbound" : "outbound", class_names[k],
				(unsigned long long)atomic_load(&s->calls_ended[d][k]));
	buf_printf(o, "# HELP faxvault_fax_pages_total Pages confirmed to us (sent) and received, on this node.\n"
		      "# TYPE faxvault_fax_pages_total counter\n"
		      "faxvault_fax_pages_total{direction=\"sent\"} %llu\n"
		      "faxvault_fax_pages_total{direction=\"received\"} %llu\n",
		(unsigned long long)atomic_load(&s->pages[0]), (unsigned long long)atomic_load(&s->pages[1]));
	/* The node's media loops (the engine in the SIP front end or here):
	 * ticks run with calls, late ones, the worst delay. */
	line_loop_stats_t ls[LINE_LOOPS_MAX];
	int nl = s->line ? linecall_loop_stats(s->line, ls, LINE_LOOPS_MAX) : 0;
	if (nl > 0) {
		buf_puts(o, "# HELP faxvault_media_ticks_total Media clock ticks (20 ms) the node's media loops ran with calls, by loop.\n"
			    "# TYPE faxvault_media_ticks_total counter\n");
		for (int i = 0; i < nl; i++)
			buf_printf(o, "faxvault_media_ticks_total{loop=\"%d\"} %lld\n", i, ls[i].ticks);
		buf_puts(o, "# HELP faxvault_media_late_ticks_total Media ticks served more than one tick after their deadline (media packets left late), by loop.\n"
			    "# TYPE faxvault_media_late_ticks_total counter\n");
		for (int i = 0; i < nl; i++)
			buf_printf(o, "faxvault_media_late_ticks_total{loop=\"%d\"} %lld\n", i, ls[i].late_ticks);
		buf_puts(o, "# HELP faxvault_media_tick_delay_max_seconds The worst delay of a media tick since the engine started, by loop.\n"
			    "# TYPE faxvault_media_tick_delay_max_seconds gauge\n");
		for (int i = 0; i < nl; i++)
			buf_printf(o, "faxvault_media_tick_delay_max_seconds{loop=\"%d\"} %.6f\n", i,
				(double)ls[i].max_late_us / 1e6);
	}
	int qr, qq, qs;
	if (dom_fax_queue_depth(s->st, &qr, &qq, &qs) == 0)
		buf_printf(o, "# HELP faxvault_fax_queue Outbound faxes not final (every node's), by status.\n"
			      "# TYPE faxvault_fax_queue gauge\n"
			      "faxvault_fax_queue{status=\"rendering\"} %d\n"
			      "faxvault_fax_queue{status=\"queued\"} %d\n"
			      "faxvault_fax_queue{status=\"sending\"} %d\n", qr, qq, qs);
	buf_printf(o, "# HELP faxvault_fax_failovers_total Outbound calls that failed on a trunk and went on at once to the next one.\n"
		      "# TYPE faxvault_fax_failovers_total counter\n"
		      "faxvault_fax_failovers_total %llu\n",
		(unsigned long long)atomic_load(&s->failovers));
	buf_printf(o, "# HELP faxvault_fax_target_failovers_total Outbound calls that failed on one target of a trunk's peer (an SRV target or address) and went on at once to its next one.\n"
		      "# TYPE faxvault_fax_target_failovers_total counter\n"
		      "faxvault_fax_target_failovers_total %llu\n",
		(unsigned long long)atomic_load(&s->target_failovers));
	sweeps_metrics(o, s->sweeps);
	trunk_health_metrics(s->health, o);
	trunk_register_metrics(s->reg, o);
	buf_puts(o, "# HELP faxvault_fax_calls_up Fax calls in progress on this node, by trunk and direction.\n"
		    "# TYPE faxvault_fax_calls_up gauge\n");
	pthread_mutex_lock(&s->cmu);
	for (int i = 0; i < CARRIER_BUSY_MAX; i++)
		if (s->trunk_busy[i].n > 0)
			buf_printf(o, "faxvault_fax_calls_up{trunk=\"%s\",direction=\"inbound\"} %d\n",
				s->trunk_busy[i].id, s->trunk_busy[i].n);
	pthread_mutex_unlock(&s->cmu);
	/* Outbound: the running jobs, by trunk id (ids are [a-z0-9_-]). */
	char ids[FAXSVC_WORKERS_MAX][64];
	int counts[FAXSVC_WORKERS_MAX], nids = 0;
	pthread_mutex_lock(&s->mu);
	for (int i = 0; i < s->nworkers; i++) {
		if (!s->running[i])
			continue;
		const char *id = json_string_value(json_object_get(s->running[i]->fj.trunk, "id")) ?: "-";
		int k = 0;
		while (k < nids && strcmp(ids[k], id) != 0)
			k++;
		if (k == nids) {
			snprintf(ids[nids], sizeof ids[nids], "%s", id);
			counts[nids++] = 0;
		}
		counts[k]++;
	}
	pthread_mutex_unlock(&s->mu);
	for (int k = 0; k < nids; k++)
		buf_printf(o, "faxvault_fax_calls_up{trunk=\"%s\",direction=\"outbound\"} %d\n", ids[k], counts[k]);
}

/* A kept directory whose route file cannot be read: logged and kept (as
 * rx-*, which the start's sweep leaves) for an operator, never wiped. */
static void rx_unreadable(const char *dir, const char *name, const char *what)
{
	char kept[1200] = "";
	if (strncmp(name, "job-", 4) != 0 || rx_keep(dir, kept, sizeof kept) != 0)
		kept[0] = '\0';
	log_event(LOG_ERROR, "fax.inbound_unreadable", "dir=%s what=%s action=kept",
		kept[0] ? kept : dir, what);
}

/* Faxes received before a crash or a stop but not yet stored: every work
 * directory that holds a route and a TIFF becomes an inbound fax, as its
 * call ended when its result was kept (rx_keep), otherwise with the pages
 * that arrived, marked as cut short; with the fax id its first try chose
 * when one was kept (a fax already stored is then not filed again). Runs
 * before the work directories are wiped; one the database does not take
 * now is kept for the next start, one whose route cannot be read is logged
 * and kept. */
static int recover_inbound(faxsvc_t *s)
{
	/* Calls in one file (job-XXXXXX.rx) first become directories, filed
	 * below as any other. */
	DIR *d = opendir(s->env->work_dir);
	if (!d)
		return 0;
	struct dirent *de;
	char (*ones)[300] = NULL;
	size_t nones = 0, cap = 0;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name), sl = strlen(RX_ONE_SUFFIX);
		if (strncmp(de->d_name, "job-", 4) != 0 || len <= sl || len >= sizeof ones[0] ||
		    strcmp(de->d_name + len - sl, RX_ONE_SUFFIX) != 0)
			continue;
		if (nones == cap) {
			cap = cap ? 2 * cap : 16;
			ones = xrealloc(ones, cap * sizeof *ones);
		}
		snprintf(ones[nones++], sizeof ones[0], "%s", de->d_name);
	}
	closedir(d);
	for (size_t i = 0; i < nones; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", s->env->work_dir, ones[i]);
		if (rx_one_to_dir(path, NULL, NULL, 0, NULL, 0) != 0)
			log_event(LOG_ERROR, "fax.inbound_keep_failed", "file=%s what=directory", path);
	}
	free(ones);
	d = opendir(s->env->work_dir);
	if (!d)
		return 0;
	int n = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char dir[1024], rpath[1100], tpath[1100];
		snprintf(dir, sizeof dir, "%s/%s", s->env->work_dir, de->d_name);
		snprintf(rpath, sizeof rpath, "%s/" RX_ROUTE_FILE, dir);
		snprintf(tpath, sizeof tpath, "%s/rx.tif", dir);
		json_error_t je;
		json_t *route = json_load_file(rpath, 0, &je);
		int pages = 0;
		TIFFSetErrorHandler(NULL);
		TIFFSetWarningHandler(NULL);
		TIFF *t = route || access(rpath, F_OK) == 0 ? TIFFOpen(tpath, "r") : NULL;
		if (t) {
			pages = TIFFNumberOfDirectories(t);
			TIFFClose(t);
		}
		fax_result_t r;
		int kr = route || access(rpath, F_OK) == 0 ? rx_kept_result(dir, &r) : 1;
		if (!route) {
			/* Unreadable with pages or a result: kept for an operator.
			 * Without either (a crash while a call's route was written
			 * over a kept directory's), there is nothing to lose. */
			if (access(rpath, F_OK) == 0 && (pages > 0 || kr != 1 ||
							    strncmp(de->d_name, "job-", 4) != 0))
				rx_unreadable(dir, de->d_name, "route");
			continue;
		}
		bool ended = kr == 0;
		if (kr < 0)
			log_event(LOG_ERROR, "fax.inbound_unreadable", "dir=%s what=result action=cut_short", dir);
		if (ended) {
			/* the pages on disk are what the call received */
			r.pages_received = pages;
		} else {
			fax_result_init(&r, 0);
			r.answered = 1;
			r.t30_heard = 1;
			r.pages_received = pages;
			r.network_error = 1;
			fax_result_classify(&r);
			snprintf(r.reason, sizeof r.reason,
				"the service stopped while this fax was arriving; the pages received are kept");
			snprintf(r.to_user, sizeof r.to_user, "%s",
				json_string_value(json_object_get(route, "number")) ?: "");
		}
		/* the id of the first try, when one was kept */
		char id[64];
		int ki = rx_kept_id(dir, id);
		if (ki < 0)
			log_event(LOG_ERROR, "fax.inbound_unreadable", "dir=%s what=id action=new_id", dir);
		if (pages > 0 || ended) {
			if (dom_fax_inbound(s->st, s->env, route, pages > 0 ? tpath : NULL, &r, id) == 0) {
				n++;
				log_event(LOG_INFO, "fax.inbound_recovered", "fax=%s pages=%d result=%s", id, pages,
					ended ? "kept" : "cut_short");
				dom_workdir_wipe(dir);
			} else {
				char kept[1200] = "";
				if (id[0] && ki != 1)
					rx_write_id(dir, id);
				if (strncmp(de->d_name, "job-", 4) != 0 ||
				    (!ended && rx_write_result(dir, &r) != 0) || rx_keep(dir, kept, sizeof kept) != 0)
					kept[0] = '\0';
				log_event(LOG_ERROR, "fax.inbound_store_failed", "to=%s pages=%d dir=%s", r.to_user,
					pages, kept[0] ? kept : dir);
			}
		}
		json_decref(route);
	}
	closedir(d);
	return n;
}

/* ---- start and stop ---- */

/* ---- the periodic sweeps (jobs of the queue: sweep.h) ---- */

#define RETENTION_BATCH 100
#define RETENTION_EVERY_MS 3600000
#define STATUS_EVERY_MS 30000

/* The status board's automatic component states, every
 * status.check_seconds. */
static int64_t status_pass(void *arg, const queue_job_t *job, int64_t now)
{
	(void)job;
	faxsvc_t *s = arg;
	dom_status_pass(s->st, s->cfg.dom, now);
	return s->cfg.dom->status_check_ms > 0 ? s->cfg.dom->status_check_ms : STATUS_EVERY_MS;
}

/* The retention sweep, every retention.sweep_minutes of the service's clock
 * (the test clock moves it), with what else ends by the clock. */
static int64_t retention_pass(void *arg, const queue_job_t *job, int64_t now)
{
	(void)job;
	faxsvc_t *s = arg;
	int n = dom_retention_sweep(s->st, s->env, now, RETENTION_BATCH);
	if (now >= s->next_orphans_ms) {
		dom_docs_sweep_orphans(s->st, s->env, ORPHAN_MIN_AGE_S);
		s->next_orphans_ms = now + ORPHAN_MIN_AGE_S * 1000LL;
	}
	/* Consents that ended by the clock since the last pass: audited as
	 * consent.expire and the owner told, once each. */
	int k = dom_consent_sweep(s->st, s->cfg.dom, now, RETENTION_BATCH);
	if (k > n)
		n = k;
	/* Security incidents' regulatory clocks that run down: alerted once. */
	dom_incident_sweep(s->st, s->cfg.dom, now, RETENTION_BATCH);
	dom_contacts_review_sweep(s->st, s->cfg.dom, now, RETENTION_BATCH);
	/* Closed accounts whose grace period has ended: destroyed. */
	k = dom_closure_sweep(s->st, s->cfg.dom, now, RETENTION_BATCH);
	if (k > n)
		n = k;
	/* Automatic fraud detection over the traffic of the last hour (fraud.h). */
	dom_fraud_pass(s->st, s->cfg.dom, now);
	/* Finished jobs of the queue past their retention (queue.retention_days). */
	if (s->cfg.dom->queue_retention_ms > 0) {
		k = queue_purge(s->st, now - s->cfg.dom->queue_retention_ms, RETENTION_BATCH,
			dom_jobs_purged, NULL);
		if (k > n)
			n = k;
	}
	/* Idempotency-Key answers past api.idempotency_hours. */
	k = dom_idem_purge(s->st, s->cfg.dom, now, RETENTION_BATCH);
	if (k > n)
		n = k;
	/* A full batch: go on at once; otherwise wait for the next turn. */
	if (n >= RETENTION_BATCH)
		return 0;
	return s->cfg.retention_sweep_ms > 0 ? s->cfg.retention_sweep_ms : RETENTION_EVERY_MS;
}

/* The billing pass, every minute of the service's clock: the invoice run
 * once the month has ended, then reminders, overdue invoices and holds. */
#define BILLING_EVERY_MS 60000

static int64_t billing_pass(void *arg, const queue_job_t *job, int64_t now)
{
	(void)job;
	faxsvc_t *s = arg;
	invoice_pass(s->st, s->cfg.dom, now, &s->billing_month);
	return BILLING_EVERY_MS;
}

/* The re-check of verified sign-in domains (sso.h), every minute of the
 * service's clock; each domain is looked up every sso.domain_recheck_hours. */
#define SSODOM_EVERY_MS 60000
#define SSODOM_BATCH 50

static int64_t ssodom_pass(void *arg, const queue_job_t *job, int64_t now)
{
	faxsvc_t *s = arg;
	if (queue_job_stopping(job))
		return 0;
	int n = dom_ssodom_recheck_pass(s->st, s->cfg.dom, now, SSODOM_BATCH);
	/* A full batch: go on at once; otherwise wait for the next turn. */
	return n >= SSODOM_BATCH ? 0 : SSODOM_EVERY_MS;
}

int faxsvc_sweeps(faxsvc_t *s, struct sweeps *sw)
{
	if (!s)
		return 0;
	s->sweeps = sw;
	return sweeps_add(sw, "status", status_pass, s, 0) != 0 ||
	       sweeps_add(sw, "retention", retention_pass, s, 0) != 0 ||
	       sweeps_add(sw, "billing", billing_pass, s, 0) != 0 ||
	       sweeps_add(sw, "ssodom", ssodom_pass, s, 0) != 0 ||
	       sweeps_add(sw, "sends", sends_pass, s, 0) != 0 ? -1 : 0;
}

/* The Contact of the trunks' registrations: the first carrier listener
 * of the trunk's transport and of the registrar's address family (4 or
 * 6; a registrar on [::1] cannot send to 127.0.0.1), else of its
 * transport, else of its family, else the first one. */
static int reg_contact(void *ud, int transport, int family, char *out, size_t cap)
{
	faxsvc_t *s = ud;
	int best = 0, score = -1;
	for (int i = 0; i < s->ncarriers; i++) {
		int fam = s->carriers[i].listen[0] == '[' ? 6 : 4;
		int sc = (s->carriers[i].transport == transport) * 2 + (fam == family);
		if (sc > score)
			best = i, score = sc;
	}
	int rc = faxsvc_carrier_bound(s, best, out, cap);
	/* behind NAT: the public address, with the listener's port (a name,
	 * or an address of the registrar's family) */
	const char *pub = public_address(s);
	const char *colon = rc == 0 ? strrchr(out, ':') : NULL;
	unsigned char a[16];
	int fits = inet_pton(AF_INET, pub ? pub : "", a) == 1 ? family == 4 :
		   inet_pton(AF_INET6, pub ? pub : "", a) == 1 ? family == 6 : 1;
	if (pub && colon && fits) {
		char port[8];
		snprintf(port, sizeof port, "%s", colon + 1);
		snprintf(out, cap, strchr(pub, ':') ? "[%s]:%s" : "%s:%s", pub, port);
	}
	return rc;
}

static int line_resolve(void *ud, const char *peer, int primary, int transports, int families,
	resolve_answer_t *a, char *err, size_t errlen)
{
	return linecall_resolve(ud, peer, primary, transports, families, a, err, errlen);
}

faxsvc_t *faxsvc_start(const faxsvc_config_t *cfg, store_t *st, char *err, size_t errlen)
{
	if (!cfg->dom || !cfg->dom->fax || !cfg->node_id) {
		snprintf(err, errlen, "the fax service needs its environment");
		return NULL;
	}
	faxsvc_t *s = xcalloc(1, sizeof *s);
	s->cfg = *cfg;
	s->env = cfg->dom->fax;
	s->st = st;
	s->line = cfg->line;
	if (!s->line) {
		s->line = linecall_inproc(cfg->media_loops);
		s->own_line = 1;
	}
	/* The trunks' peers are resolved where the engine runs: the DNS
	 * answers are parsed in the SIP front end, not here. */
	resolve_set_lookup(line_resolve, s->line);
	s->nworkers = cfg->workers < 1 ? 1 : cfg->workers > FAXSVC_WORKERS_MAX ? FAXSVC_WORKERS_MAX : cfg->workers;
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->cmu, NULL);
	pthread_mutex_init(&s->rxmu, NULL);
	pthread_cond_init(&s->cv, NULL);

	/* The trunks' state is recorded as this node's view. */
	dom_trunks_node(cfg->node_id);
	/* What a crash left behind. */
	dom_fax_inbound_test_hooks(cfg->test_inbound_store_fail, cfg->test_inbound_commit_lost);
	int rxrec = recover_inbound(s);
	dom_workdir_sweep(s->env);
	int swept = dom_docs_sweep_orphans(st, s->env, ORPHAN_MIN_AGE_S);
	int64_t stale = (int64_t)(cfg->max_call_ms > 0 ? cfg->max_call_ms : 3600000) + STALE_MARGIN_MS;
	int rec = dom_fax_recover(st, s->env, cfg->node_id, time_now_ms(), stale);
	log_event(LOG_INFO, "fax.recovered", "node=%s faxes=%d inbound=%d orphan_blobs=%d", cfg->node_id,
		rec, rxrec, swept);

	if (cfg->loopback_listen && *cfg->loopback_listen && start_receiver(s, err, errlen) != 0) {
		faxsvc_stop(s);
		return NULL;
	}
	if (public_address(s) && !public_address_valid(public_address(s))) {
		snprintf(err, errlen, "fax.sip_public_address must be an IP address or a DNS name");
		faxsvc_stop(s);
		return NULL;
	}
	if (start_carriers(s, err, errlen) != 0) {
		faxsvc_stop(s);
		return NULL;
	}
	sipconn_tls_t rtls = { .ca = cfg->sip_tls_ca && *cfg->sip_tls_ca ? cfg->sip_tls_ca : NULL,
		.cert = cfg->sip_tls_cert && *cfg->sip_tls_cert ? cfg->sip_tls_cert : NULL, .key = cfg->sip_tls_key };
	if (!(s->reg = trunk_register_start(st, s->env, s->line, reg_contact, s, &rtls, err, errlen))) {
		faxsvc_stop(s);
		return NULL;
	}
	if (cfg->trunk_keepalive_ms > 0 &&
	    !(s->health = trunk_health_start(st, s->env, s->line, cfg->trunk_keepalive_ms, &rtls, err, errlen))) {
		faxsvc_stop(s);
		return NULL;
	}
	/* Faxes queued without a send job (before sends were jobs) get one. */
	if (dom_fax_send_jobs(st, 1000000) < 0)
		log_event(LOG_ERROR, "fax.send_jobs_failed", "node=%s", cfg->node_id);
	if (pthread_create(&s->renewer, NULL, renewer_main, s) != 0) {
		snprintf(err, errlen, "cannot start the fax service's renewer");
		faxsvc_stop(s);
		return NULL;
	}
	s->have_renewer = 1;
	log_event(LOG_INFO, "fax.started", "node=%s workers=%d", cfg->node_id, s->nworkers);
	return s;
}

void faxsvc_stop(faxsvc_t *s)
{
	if (!s)
		return;
	atomic_store(&s->stopping, 1);
	trunk_health_stop(s->health);
	s->health = NULL;
	trunk_register_stop(s->reg);
	s->reg = NULL;
	/* This node no longer probes nor registers: its view leaves the
	 * trunks' state (the other nodes' decides it). */
	if (dom_trunk_node_forget(s->st, time_now_ms()) < 0)
		log_event(LOG_ERROR, "fax.trunk_status_failed", "what=node_forget");
	dom_trunks_node(NULL);
	pthread_mutex_lock(&s->mu);
	for (int i = 0; i < s->nworkers; i++)
		if (s->running[i]) {
			atomic_store(&s->running[i]->halted, 1);
			atomic_store(&s->running[i]->stop, 1);
		}
	linecall_wake(s->line);
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (s->have_renewer)
		pthread_join(s->renewer, NULL);
	/* The listeners in the SIP front end wait for a wake to look at their
	 * flags (linecall_wake). */
	if (s->have_receiver) {
		atomic_store(&s->rx_stop, 1);
		linecall_wake(s->line);
		pthread_join(s->receiver, NULL);
	}
	atomic_store(&s->carrier_stop, 1);
	linecall_wake(s->line);
	for (int i = 0; i < s->ncarriers; i++)
		if (s->carriers[i].started)
			pthread_join(s->carriers[i].th, NULL);
	/* The kept directories of ended calls go (the start would wipe them). */
	for (int i = 0; i < s->rx_nfree; i++)
		dom_workdir_wipe(s->rx_free[i]);
	s->rx_nfree = 0;
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->cmu);
	pthread_mutex_destroy(&s->rxmu);
	pthread_cond_destroy(&s->cv);
	resolve_set_lookup(NULL, NULL);
	if (s->own_line)
		linecall_free(s->line);
	free(s);
}
