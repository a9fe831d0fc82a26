/* A poller thread (see poller.h). */
#include "poller.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xalloc.h"

struct poller {
	int poll_ms;
	poller_pass_fn pass;
	void *arg;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, woken;
};

static void *run(void *a)
{
	poller_t *p = a;
	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		pthread_mutex_unlock(&p->mu);
		int n = p->pass(p, p->arg);
		pthread_mutex_lock(&p->mu);
		if (n > 0 || p->stop)
			continue; /* more may be due at once */
		if (!p->woken) {
			struct timespec t;
			clock_gettime(CLOCK_MONOTONIC, &t);
			t.tv_nsec += (long)p->poll_ms * 1000000L;
			t.tv_sec += t.tv_nsec / 1000000000L;
			t.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&p->cv, &p->mu, &t);
		}
		p->woken = false;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

poller_t *poller_start(const char *name, int poll_ms, poller_pass_fn pass, void *arg, char *err,
	size_t errlen)
{
	poller_t *p = xcalloc(1, sizeof *p);
	p->poll_ms = poll_ms > 0 ? poll_ms : 1000;
	p->pass = pass;
	p->arg = arg;
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	int rc = pthread_create(&p->thread, NULL, run, p);
	if (rc != 0) {
		snprintf(err, errlen, "%s thread: %s", name, strerror(rc));
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	return p;
}

void poller_wake(poller_t *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->woken = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

bool poller_stopping(poller_t *p)
{
	pthread_mutex_lock(&p->mu);
	bool stop = p->stop;
	pthread_mutex_unlock(&p->mu);
	return stop;
}

void poller_stop(poller_t *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
