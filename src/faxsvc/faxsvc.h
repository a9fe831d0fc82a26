/* The fax service inside faxvaultd: the job runner (claims due faxes,
 * dials them over their trunk, applies the retry policy), the receivers of
 * the trunks (inbound faxes to the routed inboxes), recovery after a crash,
 * and the sweeps. See docs/fax-service.md.
 *
 * Ownership: the store, the configuration and the fax environment are
 * borrowed and must outlive the service. */
#ifndef FV_FAXSVC_H
#define FV_FAXSVC_H

#include "buf.h"
#include "domain.h"
#include "linecall.h"
#include "store.h"

typedef struct faxsvc_config {
	const dom_config_t *dom;   /* dom->fax is the fax environment (required) */
	const char *node_id;       /* names this node's attempts ("node-1") */
	int workers;               /* outbound calls at once on this node */
	int poll_ms;               /* how often due jobs are looked for */
	double clock_speed;        /* tests only: media clock speed-up (1.0: real time) */
	int ring_ms;               /* give up on an unanswered call after this */
	int max_call_ms;           /* hard cap on one call */
	int media_priority;        /* SCHED_RR priority of call media, 0: normal (fax.media_priority) */
	int media_loops;           /* the node's media loops (fax.media_loops: 0 one per core, -1 none) */
	int test_store_delay_ms;   /* tests only: pause before storing an inbound fax */
	int test_decide_delay_ms;  /* tests only: pause in the decision on a carrier's INVITE */
	int test_inbound_store_fail;  /* tests only: stores of a received fax refused */
	int test_inbound_commit_lost; /* tests only: stores committed but answered failed */
	const char *loopback_listen; /* "IP:PORT" of the loopback trunk's receiver; "" or
					NULL: none. Port 0: any free port */
	int loopback_fd;           /* > 0: a UDP socket already bound to loopback_listen,
				      taken over by the receiver (closed by it) */
	char *loopback_bound;      /* receives the bound "IP:PORT" (the caller's buffer,
				      which dom->fax->loopback_sip points to) */
	size_t loopback_bound_len;
	const char *sip_listen;    /* carrier-facing listeners: "udp:IP:PORT[,tls:IP:PORT...]"
				      (udp, tcp or tls); "" or NULL: none (fax.sip_listen) */
	const char *sip_tls_cert;  /* PEM: the TLS listeners' certificate, also presented as
				      client certificate to trunks over TLS (fax.sip_tls_cert) */
	const char *sip_tls_key;   /* its key (fax.sip_tls_key) */
	const char *sip_tls_ca;    /* PEM: CAs trusted for trunks' certificates; "" or NULL:
				      the system's store (fax.sip_tls_ca) */
	int sip_tls_verify_client; /* LINE_TLS_CLIENT_*: the tls: listeners ask carriers for a
				      certificate of sip_tls_ca (fax.sip_tls_verify_client) */
	const char *sip_public_address; /* NAT: the address carriers reach us at (an IP or a
				      DNS name; "" or NULL: the local one; fax.sip_public_address) */
	int trunk_keepalive_ms;    /* OPTIONS to every active trunk this often; 0: none
				      (fax.trunk_keepalive_seconds) */
	int64_t retention_sweep_ms; /* how often due faxes are deleted (retention.sweep_minutes) */
	linecall_t *line;          /* where the calls run (borrowed, e.g. the SIP front end's);
				      NULL: the engine in this process */
} faxsvc_config_t;

typedef struct faxsvc faxsvc_t;

/* Recovers what a crash left (interrupted attempts, faxes left rendering,
 * work directories, orphan blobs), then starts the threads. NULL with a
 * reason in err. */
faxsvc_t *faxsvc_start(const faxsvc_config_t *cfg, store_t *st, char *err, size_t errlen);
/* Stops taking jobs, ends calls in flight (they are recorded as
 * interrupted and retried at the next start), joins the threads. */
void faxsvc_stop(faxsvc_t *s);

/* Adds the service's periodic sweeps to sw (sweep.h): the status board's
 * pass ("status"), the retention sweep with consents, incidents, contacts
 * reviews, closures, fraud and purges ("retention"), the billing pass
 * ("billing"), the sign-in domains' re-check ("ssodom") and the sends'
 * safety net ("sends": attempts of dead nodes taken over, faxes without a
 * send job given one); their passes
 * are counted on /metrics. Before sweeps_register; the queue is stopped
 * before s. 0, or -1. */
struct sweeps;
int faxsvc_sweeps(faxsvc_t *s, struct sweeps *sw);
/* Registers the send jobs' handler (FAX_SEND_JOB) on q, run by fax.workers
 * threads of its own: at most that many calls at once on this node, none
 * holding up the other kinds. Before queue_start; the queue is stopped
 * before s (its stop ends the calls in flight: their attempts are
 * recovered as interrupted at the next start). s NULL: nothing. 0, or -1. */
struct queue;
int faxsvc_sends(faxsvc_t *s, struct queue *q);

/* The local "IP:PORT" of carrier listener i (0-based) into out, once bound;
 * -1 when there is no such listener. */
int faxsvc_carrier_bound(faxsvc_t *s, int i, char *out, size_t cap);

/* Appends the fax service's Prometheus series to out (thread-safe; s may be
 * NULL: nothing). The signature of metrics_extra_fn. */
void faxsvc_metrics(buf_t *out, void *s);
/* Inbound calls in progress at the carrier listener: {trunk_id: n} and
 * {account_id: n} (new references). s may be NULL: both empty. The shape
 * of dom_inbound_calls_fn (src/domain/numbers/requests.h). */
void faxsvc_inbound_calls(void *s, json_t **by_trunk, json_t **by_account);

#endif
