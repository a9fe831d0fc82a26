/* The periodic sweeps on the job queue (see sweep.h). */
#include "sweep.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "timeutil.h"
#include "xalloc.h"

struct sweep {
	const char *name;
	sweep_pass_fn pass;
	void *arg;
	int64_t first_ms;
	atomic_ullong passes;
};

struct sweeps {
	struct sweep s[SWEEPS_MAX];
	int n;
};

sweeps_t *sweeps_new(void)
{
	return xcalloc(1, sizeof(sweeps_t));
}

static struct sweep *find(const sweeps_t *sw, const char *name)
{
	for (int i = 0; sw && name && i < sw->n; i++)
		if (strcmp(sw->s[i].name, name) == 0)
			return (struct sweep *)&sw->s[i];
	return NULL;
}

int sweeps_add(sweeps_t *sw, const char *name, sweep_pass_fn pass, void *arg, int64_t first_ms)
{
	if (sw->n == SWEEPS_MAX || find(sw, name))
		return -1;
	struct sweep *s = &sw->s[sw->n++];
	s->name = name;
	s->pass = pass;
	s->arg = arg;
	s->first_ms = first_ms > 0 ? first_ms : 0;
	atomic_init(&s->passes, 0);
	return 0;
}

static enum queue_outcome run(const queue_job_t *job, void *arg, char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	sweeps_t *sw = arg;
	const char *name = json_string_value(json_object_get(job->payload, "sweep"));
	struct sweep *s = find(sw, name);
	int64_t now = time_now_ms();
	const char *node = queue_node(job->q);
	if (!s) {
		/* Another version's sweep: back for a node that knows it. */
		log_event(LOG_WARN, "sweep.unknown", "sweep=%s node=%s", name ? name : "-", node);
		queue_job_again(job, now + SWEEP_UNKNOWN_MS, job->progress);
		return QUEUE_DONE;
	}
	const char *last = json_string_value(json_object_get(job->progress, "node"));
	if (!last || strcmp(last, node) != 0)
		log_event(LOG_INFO, "sweep.taken", "sweep=%s node=%s from=%s", s->name, node,
			last ? last : "-");
	int64_t next = s->pass(s->arg, job, now);
	atomic_fetch_add(&s->passes, 1);
	json_t *pr = json_pack("{s:s}", "node", node);
	queue_job_again(job, now + (next > 0 ? next : 0), pr);
	json_decref(pr);
	return QUEUE_DONE;
}

int sweeps_register(sweeps_t *sw, queue_t *q, store_t *st, char *err, size_t errlen)
{
	queue_kind_t k = { .kind = SWEEP_KIND, .run = run, .arg = sw, .lease_ms = SWEEP_LEASE_MS,
		.workers = SWEEP_WORKERS };
	if (queue_register(q, &k) != 0) {
		snprintf(err, errlen, "the queue takes no more kinds");
		return -1;
	}
	store_tx_t *tx = store_begin(st, true);
	int rc = tx ? 0 : -1;
	int64_t now = time_now_ms();
	for (int i = 0; rc == 0 && i < sw->n; i++) {
		json_t *p = json_pack("{s:s}", "sweep", sw->s[i].name);
		if (queue_enqueue_once(tx, SWEEP_KIND, NULL, sw->s[i].name, p, now + sw->s[i].first_ms) < 0)
			rc = -1;
		json_decref(p);
	}
	if (tx && (rc != 0 || store_commit(tx) != STORE_OK)) {
		if (rc == 0)
			rc = -1;
		else
			store_rollback(tx);
	}
	if (rc != 0) {
		snprintf(err, errlen, "the sweeps' jobs could not be enqueued");
		return -1;
	}
	return 0;
}

unsigned long long sweeps_passes(const sweeps_t *sw, const char *name)
{
	const struct sweep *s = find(sw, name);
	return s ? atomic_load(&s->passes) : 0;
}

void sweeps_metrics(buf_t *out, const sweeps_t *sw)
{
	if (!sw)
		return;
	buf_puts(out, "# HELP faxvault_sweep_passes_total Passes of each periodic sweep run on this node"
		      " (each pass runs on one node: the one that claimed the sweep's job).\n"
		      "# TYPE faxvault_sweep_passes_total counter\n");
	for (int i = 0; i < sw->n; i++)
		buf_printf(out, "faxvault_sweep_passes_total{sweep=\"%s\"} %llu\n", sw->s[i].name,
			(unsigned long long)atomic_load(&sw->s[i].passes));
}

void sweeps_free(sweeps_t *sw)
{
	free(sw);
}
