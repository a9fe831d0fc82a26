/* The service's side of the HTTP front end (see http_front.h). */
#include "http_front.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "child.h"
#include "http_io.h"
#include "http_wire.h"
#include "ipc.h"
#include "liveness.h"
#include "log.h"
#include "metrics.h"
#include "supv.h"
#include "timeutil.h"
#include "xalloc.h"

/* One front end's channel, for its life (child.h): a copy of the socket,
 * which the jobs still being answered keep open (the monitor closes its
 * own when serve returns, and starts the next front end at once). */
struct chan {
	int sock;
	pid_t pid;
	_Atomic int refs;
	bool stray; /* testing.http_stray_answers */
	http_front_t *f;
};

#define JOB_SPARES 8

struct job {
	struct job *next;
	struct chan *ch;
	int64_t queued_ns; /* when it was read off the channel (time_mono_ns) */
	struct ipc_msg msg;
	http_wire_req_t w;
};

struct http_front {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* a job queued, or the stop */
	int listen_fd, metrics_fd, counter_fd;
	metrics_front_t *counters;
	api_t *api;
	const api_config_t *ac;
	/* The workers (http.threads) and their queue. */
	pthread_t *pool;
	int npool;
	struct job *head, *tail;
	int queued;
	struct job *spare; /* jobs' memory kept for reuse (job_get), nspare of them */
	int nspare;
	bool stopping;
	bool test_stray;
	child_t *child;
	/* Answers waiting for their audit event's commit, to be sent by the
	 * thread that writes it (answer_later): the stop waits for them. */
	_Atomic int later;
};

static void chan_unref(struct chan *ch)
{
	if (atomic_fetch_sub(&ch->refs, 1) == 1) {
		close(ch->sock);
		free(ch);
	}
}

/* Sends the answer of request id on the channel (one datagram: workers
 * send at once). */
static void send_answer(struct chan *ch, uint64_t id, const http_out_t *out)
{
	/* On the worker's stack: allocated and freed for each answer, its 64
	 * KiB took glibc's slow path (a few per cent of the service's CPU for
	 * GET /v1/me in bench/api). */
	struct ipc_out o;
	int body_fd = -1;
	int rc = http_wire_answer_encode(&o, id, out, &body_fd);
	if (rc == 0 && body_fd >= 0)
		ipc_put_fd(&o, body_fd);
	if (rc == 0)
		rc = ipc_send(ch->sock, &o);
	if (rc != 0)
		log_event(LOG_WARN, "http.answer", "err=\"%s\"", strerror(errno));
	/* testing.http_stray_answers: the same answer again (its id answered
	 * already), then with an id the front end never gave. */
	if (rc == 0 && ch->stray) {
		rc = ipc_send(ch->sock, &o);
		memcpy(o.buf + 8, &(uint64_t){ ~id }, sizeof id);
		if (rc == 0)
			ipc_send(ch->sock, &o);
	}
	if (body_fd >= 0)
		close(body_fd);
}

/* A job's memory (some 80 KiB with its decoded request): a spare one
 * when there is one, else a new one; given back after, up to JOB_SPARES
 * kept, rather than allocated and freed for each request. */
static struct job *job_get(http_front_t *f)
{
	pthread_mutex_lock(&f->mu);
	struct job *j = f->spare;
	if (j) {
		f->spare = j->next;
		f->nspare--;
	}
	pthread_mutex_unlock(&f->mu);
	return j ? j : xmalloc(sizeof *j);
}

static void job_put(http_front_t *f, struct job *j)
{
	pthread_mutex_lock(&f->mu);
	if (f->nspare < JOB_SPARES) {
		j->next = f->spare;
		f->spare = j;
		f->nspare++;
		j = NULL;
	}
	pthread_mutex_unlock(&f->mu);
	free(j);
}

/* The answer of a request whose audit event was being committed, sent by
 * the thread that wrote it, once it is (api_serve_then). */
static void answer_later(void *arg, uint64_t id, http_out_t *out)
{
	struct chan *ch = arg;
	http_front_t *f = ch->f;
	send_answer(ch, id, out);
	http_out_free(out);
	chan_unref(ch);
	atomic_fetch_sub(&f->later, 1);
}

/* One request: its body read, answered by the pipeline, the answer sent
 * (or left to be sent once its audit event is committed); j freed. */
static void run_job(http_front_t *f, struct job *j)
{
	http_in_t *in = &j->w.in;
	bool upload = false;
	in->ceiling = api_body_ceiling(f->ac, in->method, in->url, &upload);
	uint8_t *body = NULL;
	if (j->w.body_len && http_wire_body_read(&j->w, j->msg.fds[0], in->ceiling, &body) != 0) {
		/* More than the route takes, or not what was declared: the
		 * client gets 503 from the front end, which is killed. */
		log_event(LOG_ERROR, "http.front_malformed", "pid=%d why=\"body size\"", (int)j->ch->pid);
		ipc_proc_kill(j->ch->pid, SIGKILL);
	} else {
		in->body = body;
		in->len = (size_t)j->w.body_len;
		http_out_t out;
		/* The answer waiting for its audit event keeps the channel. */
		atomic_fetch_add(&j->ch->refs, 1);
		atomic_fetch_add(&f->later, 1);
		if (api_serve_then(f->api, in, &out, answer_later, j->ch, j->msg.id) == 0) {
			atomic_fetch_sub(&f->later, 1);
			atomic_fetch_sub(&j->ch->refs, 1);
			send_answer(j->ch, j->msg.id, &out);
			http_out_free(&out);
		}
	}
	free(body);
	chan_unref(j->ch);
	ipc_msg_free(&j->msg);
	job_put(f, j);
}

/* A worker: the queue's jobs, in order, until the stop has emptied it. */
static void *worker_main(void *arg)
{
	http_front_t *f = arg;
	for (;;) {
		pthread_mutex_lock(&f->mu);
		while (!f->head && !f->stopping)
			pthread_cond_wait(&f->cv, &f->mu);
		struct job *j = f->head;
		if (j) {
			f->head = j->next;
			if (!f->head)
				f->tail = NULL;
			f->queued--;
		}
		pthread_mutex_unlock(&f->mu);
		if (!j)
			return NULL;
		metrics_service_queue(time_mono_ns() - j->queued_ns);
		/* Watched while it runs (liveness.h: a stuck worker). */
		liveness_busy("http");
		liveness_test_hold();
		run_job(f, j);
		liveness_idle();
	}
}

/* A liveness probe, answered on the reading thread: it needs no worker,
 * so it is answered while every worker is busy. */
static bool is_health_probe(const http_in_t *in)
{
	return in->listener == HTTP_LISTENER_API && strcmp(in->url, "/healthz") == 0 &&
		(strcmp(in->method, "GET") == 0 || strcmp(in->method, "HEAD") == 0) && !in->refused_early;
}

/* Takes the front end's requests until it closes its socket or sends one
 * that does not decode, or more than it may have in flight (then it is
 * killed: it may be someone else's now). */
static void serve(void *arg, int sock, pid_t pid)
{
	http_front_t *f = arg;
	struct chan *ch = xcalloc(1, sizeof *ch);
	ch->sock = fcntl(sock, F_DUPFD_CLOEXEC, 0);
	ch->pid = pid;
	ch->stray = f->test_stray;
	ch->f = f;
	atomic_init(&ch->refs, 1);
	if (ch->sock < 0) {
		log_event(LOG_ERROR, "http.front_failed", "pid=%d err=\"%s\"", (int)pid, strerror(errno));
		ipc_proc_kill(pid, SIGKILL);
		free(ch);
		return;
	}
	for (;;) {
		struct job *j = job_get(f);
		j->ch = ch;
		int rc = ipc_recv(sock, &j->msg);
		j->queued_ns = time_mono_ns();
		const char *why = rc == 0 ? "message" : NULL;
		if (rc == 0 && http_wire_request_decode(&j->msg, &j->w) == 0 &&
		    j->msg.nfds == (j->w.body_len ? 1u : 0u)) {
			atomic_fetch_add(&ch->refs, 1);
			if (is_health_probe(&j->w.in)) {
				run_job(f, j);
				continue;
			}
			j->next = NULL;
			pthread_mutex_lock(&f->mu);
			/* The front end has at most HTTPF_INFLIGHT_MAX in flight. */
			bool room = f->queued < HTTPF_INFLIGHT_MAX;
			if (room) {
				if (f->tail)
					f->tail->next = j;
				else
					f->head = j;
				f->tail = j;
				f->queued++;
				pthread_cond_signal(&f->cv);
			}
			pthread_mutex_unlock(&f->mu);
			if (room)
				continue;
			atomic_fetch_sub(&ch->refs, 1);
			why = "over its requests in flight";
		}
		if (rc != 1) {
			log_event(LOG_ERROR, "http.front_malformed", "pid=%d type=%u why=\"%s\"", (int)pid,
				(unsigned)j->msg.type, why ? why : "datagram");
			ipc_proc_kill(pid, SIGKILL);
		}
		ipc_msg_free(&j->msg);
		job_put(f, j);
		chan_unref(ch);
		return;
	}
}

http_front_t *http_front_start(const char *exe, char *const argv[], int listen_fd, int metrics_fd,
	api_t *api, const api_config_t *ac, bool test_stray, char *err, size_t errlen)
{
	int cfd = memfd_create("http-counters", MFD_CLOEXEC);
	void *counters = MAP_FAILED;
	if (cfd < 0 || ftruncate(cfd, (off_t)sizeof(metrics_front_t)) != 0 ||
	    (counters = mmap(NULL, sizeof(metrics_front_t), PROT_READ | PROT_WRITE, MAP_SHARED, cfd,
		    0)) == MAP_FAILED) {
		snprintf(err, errlen, "HTTP front end: counters: %s", strerror(errno));
		if (cfd >= 0)
			close(cfd);
		close(listen_fd);
		if (metrics_fd >= 0)
			close(metrics_fd);
		return NULL;
	}
	/* /metrics reads what the front end counts. */
	metrics_front_share(counters);
	http_front_t *f = xcalloc(1, sizeof *f);
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	f->listen_fd = listen_fd;
	f->metrics_fd = metrics_fd;
	f->counter_fd = cfd;
	f->counters = counters;
	f->api = api;
	f->ac = ac;
	f->test_stray = test_stray;
	f->npool = ac->threads > 0 ? ac->threads : 1;
	f->pool = xcalloc((size_t)f->npool, sizeof *f->pool);
	for (int i = 0; i < f->npool; i++)
		if (pthread_create(&f->pool[i], NULL, worker_main, f) != 0) {
			snprintf(err, errlen, "HTTP front end: workers: %s", strerror(errno));
			f->npool = i;
			http_front_stop(f);
			return NULL;
		}
	/* No metrics listener: the counter's memfd in its place. */
	child_spec_t cs = { .name = "http.front", .exe = exe, .argv = argv,
		.fds = { listen_fd, metrics_fd >= 0 ? metrics_fd : cfd, cfd }, .nfds = 3,
		.serve = serve, .arg = f };
	f->child = child_start(&cs, err, errlen);
	if (!f->child) {
		http_front_stop(f);
		return NULL;
	}
	return f;
}

void http_front_stop(http_front_t *f)
{
	if (!f)
		return;
	child_stop(f->child);
	/* The workers end the jobs queued (their answers may no longer reach
	 * anyone), then stop. */
	pthread_mutex_lock(&f->mu);
	f->stopping = true;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	for (int i = 0; i < f->npool; i++)
		pthread_join(f->pool[i], NULL);
	/* And the answers still to be sent once their events are written. */
	while (atomic_load(&f->later) > 0)
		usleep(1000);
	free(f->pool);
	while (f->spare) {
		struct job *j = f->spare;
		f->spare = j->next;
		free(j);
	}
	/* The counter stays mapped: /metrics may still read it. */
	close(f->counter_fd);
	close(f->listen_fd);
	if (f->metrics_fd >= 0)
		close(f->metrics_fd);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	free(f);
}

pid_t http_front_pid(http_front_t *f)
{
	return child_pid(f->child);
}

unsigned http_front_restarts(http_front_t *f)
{
	return child_restarts(f->child);
}
