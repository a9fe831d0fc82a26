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
#include <sys/socket.h>
#include <time.h>
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
 * which the jobs still being answered, and the workers reading it, keep
 * open (the monitor closes its own when serve returns, and starts the next
 * front end at once). */
struct chan {
	int sock;
	pid_t pid;
	unsigned gen; /* which of the front ends served (1, 2, ...) */
	_Atomic int refs;
	bool stray; /* testing.http_stray_answers */
	bool ended; /* (f->mu) read no more: closed, or its front end killed */
	http_front_t *f;
};

#define JOB_SPARES 8

struct job {
	struct job *next;
	struct chan *ch;
	int64_t read_ns; /* when it was read off the channel (time_mono_ns) */
	struct ipc_msg msg;
	http_wire_req_t w;
};

/* Who reads the channel: the workers themselves, each that is free
 * blocking in recvmsg on it (the kernel wakes one of them per message, and
 * no other thread). The monitor thread (serve) looks every MONITOR_TICK_MS
 * while requests come (every MONITOR_IDLE_MS after a look that saw none
 * started): when every worker has been busy since its last look without
 * starting a request (stuck, or held), it reads the channel itself, answers /healthz
 * and queues the rest for the first worker that is done, so that a
 * liveness probe is answered and the front end is not left blocked
 * sending while every worker is stuck. A worker that is done takes the
 * queue's jobs first; it waits on cv, not in recvmsg, while the monitor
 * reads, and the monitor gives the channel back to the workers after the
 * next message once one waits or one started a request. */
#define MONITOR_TICK_MS 20
#define MONITOR_IDLE_MS 250

struct http_front {
	pthread_mutex_t mu;
	pthread_cond_t cv;     /* workers: a job queued, the channel theirs again, or the stop */
	pthread_cond_t mon_cv; /* the monitor (CLOCK_MONOTONIC): the channel ended */
	int listen_fd, metrics_fd, counter_fd;
	metrics_front_t *counters;
	api_t *api;
	const api_config_t *ac;
	/* The workers (http.threads) and the queue the monitor fills. */
	pthread_t *pool;
	int npool;
	struct job *head, *tail;
	int queued;
	struct job *spare; /* jobs' memory kept for reuse (job_put), nspare of them */
	int nspare;
	struct chan *ch; /* the front end's channel being served, NULL between front ends */
	int readers;     /* workers in (or going into) recvmsg on ch */
	int waiting;     /* workers waiting on cv */
	uint64_t started; /* requests the workers started, so far */
	unsigned gen;    /* channels served so far (struct chan's gen) */
	int nworkers;    /* workers started so far: each one's number */
	bool reading;    /* the monitor reads ch: no worker does */
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

/* ch is read no more: its reading side shut, so that every worker
 * blocked in recvmsg on it sees the end at once (ipc_recv's 1), and the
 * front end's next send fails, rather than each worker reading one more
 * request to drop before it does. Answers still go out. */
static void chan_shut(struct chan *ch)
{
	shutdown(ch->sock, SHUT_RD);
}

/* The front end misbehaved (why): logged, killed (it may be someone
 * else's now) and its channel shut. */
static void chan_refuse(struct chan *ch, unsigned type, const char *why)
{
	log_event(LOG_ERROR, "http.front_malformed", "pid=%d type=%u why=\"%s\"", (int)ch->pid, type, why);
	ipc_proc_kill(ch->pid, SIGKILL);
	chan_shut(ch);
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

/* A spare job's memory, or NULL (f->mu held). */
static struct job *job_spare(http_front_t *f)
{
	struct job *j = f->spare;
	if (j) {
		f->spare = j->next;
		f->nspare--;
	}
	return j;
}

/* A job's memory (some 80 KiB with its decoded request) given back: up
 * to JOB_SPARES kept for the next reads (chan_read), rather than
 * allocated and freed for each request. */
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
 * (or left to be sent once its audit event is committed); j freed. Whether
 * its body was refused (and the front end with it). */
static bool run_job(http_front_t *f, struct job *j)
{
	http_in_t *in = &j->w.in;
	bool upload = false;
	/* The route's ceiling, for a body or a refusal of one: a request
	 * without (most) is not matched against the routes for it, only once
	 * by its pipeline. */
	if (j->w.body_len || in->too_large || in->refused_early)
		in->ceiling = api_body_ceiling(f->ac, in->method, in->url, &upload);
	uint8_t *body = NULL;
	bool refused = false;
	if (j->w.body_len && http_wire_body_read(&j->w, j->msg.fds[0], in->ceiling, &body) != 0) {
		/* More than the route takes, or not what was declared: the
		 * client gets 503 from the front end, which is killed. */
		chan_refuse(j->ch, j->msg.type, "body size");
		refused = true;
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
	return refused;
}

/* A liveness probe: it needs no worker, so the monitor answers it while
 * every worker is busy (a worker that reads one answers it too). */
static bool is_health_probe(const http_in_t *in)
{
	return in->listener == HTTP_LISTENER_API && strcmp(in->url, "/healthz") == 0 &&
		(strcmp(in->method, "GET") == 0 || strcmp(in->method, "HEAD") == 0) && !in->refused_early;
}

/* What ipc_recv gave (rc) on ch into j: 0 for a request that decodes (j
 * ready to run, j->ch set), else -1: the channel ends (shut), closed by
 * the front end, or the front end killed for a message that does not
 * decode. Called without f->mu. */
static int take(struct chan *ch, struct job *j, int rc)
{
	j->ch = ch;
	j->read_ns = time_mono_ns();
	if (rc == 0 && http_wire_request_check(&j->msg, &j->w) == 0)
		return 0;
	if (rc == 1)
		chan_shut(ch);
	else
		chan_refuse(ch, j->msg.type, rc == 0 ? "message" : "datagram");
	return -1;
}

/* The next message off ch, into a job of its own (*jp): take's answer.
 * Called with f->mu held, which it releases. */
static int chan_read(http_front_t *f, struct chan *ch, struct job **jp)
{
	struct job *j = job_spare(f);
	pthread_mutex_unlock(&f->mu);
	if (!j)
		j = xmalloc(sizeof *j);
	*jp = j;
	return take(ch, j, ipc_recv(ch->sock, &j->msg));
}

/* A job read but not run, given back (f->mu held, released meanwhile). */
static void job_drop(http_front_t *f, struct job *j)
{
	pthread_mutex_unlock(&f->mu);
	ipc_msg_free(&j->msg);
	job_put(f, j);
	pthread_mutex_lock(&f->mu);
}

/* ch is read no more (f->mu held): the monitor, which serves it, ends. */
static void chan_end(http_front_t *f, struct chan *ch)
{
	if (!ch->ended) {
		ch->ended = true;
		pthread_cond_signal(&f->mon_cv);
	}
}

/* A request in a worker: a probe answered, anything else watched while it
 * runs (liveness.h: a stuck worker) and its wait counted: from its sending
 * (the kernel's stamp on the datagram) to now, the front end's hand-over,
 * a worker's wake-up and any time queued behind busy workers included. */
static bool work(http_front_t *f, struct job *j)
{
	if (is_health_probe(&j->w.in))
		return run_job(f, j);
	int64_t wait = time_mono_ns() - j->read_ns;
	if (j->msg.sent_ns > 0) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		wait = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec - j->msg.sent_ns;
	}
	metrics_service_queue(wait > 0 ? wait : 0);
	liveness_busy("http");
	liveness_test_hold();
	bool refused = run_job(f, j);
	liveness_idle();
	return refused;
}

/* Worker me saw the end of a channel (its front end's pid, its gen; how:
 * its read ended, it refused a request's body, or it found the channel
 * ended): logged once per worker and channel (debug), so that a test sees
 * every worker leave a channel that ended while its front end still runs
 * (chan_shut). gen. */
static unsigned worker_saw_end(pid_t pid, unsigned gen, int me, const char *how)
{
	log_event(LOG_DEBUG, "http.worker_end", "pid=%d worker=%d how=%s", (int)pid, me, how);
	return gen;
}

/* Worker me runs j (f->mu held, released meanwhile): its own refusal of
 * j's body is its sight of the channel's end (*seen_end). */
static void work_locked(http_front_t *f, struct job *j, int me, unsigned *seen_end)
{
	pid_t pid = j->ch->pid;
	unsigned gen = j->ch->gen;
	f->started++;
	pthread_mutex_unlock(&f->mu);
	bool refused = work(f, j);
	pthread_mutex_lock(&f->mu);
	if (refused && *seen_end != gen)
		*seen_end = worker_saw_end(pid, gen, me, "refused");
}

/* A worker: the queue's jobs first, else the next request off the channel
 * (while the monitor does not read it), until the stop. */
static void *worker_main(void *arg)
{
	http_front_t *f = arg;
	pthread_mutex_lock(&f->mu);
	int me = f->nworkers++;
	unsigned seen_end = 0; /* the last channel whose end this worker saw */
	for (;;) {
		struct job *j = f->head;
		if (j) {
			f->head = j->next;
			if (!f->head)
				f->tail = NULL;
			f->queued--;
			work_locked(f, j, me, &seen_end);
			continue;
		}
		if (f->stopping)
			break;
		struct chan *ch = f->ch;
		if (ch && ch->ended && seen_end != ch->gen)
			seen_end = worker_saw_end(ch->pid, ch->gen, me, "ended");
		if (!ch || ch->ended || f->reading) {
			f->waiting++;
			pthread_cond_wait(&f->cv, &f->mu);
			f->waiting--;
			continue;
		}
		f->readers++;
		atomic_fetch_add(&ch->refs, 1); /* the job's, when one comes */
		int rc = chan_read(f, ch, &j);
		pthread_mutex_lock(&f->mu);
		f->readers--;
		if (rc != 0 || ch->ended) {
			/* A request read after the channel ended is dropped, as
			 * the monitor would not have read it. */
			chan_end(f, ch);
			if (seen_end != ch->gen)
				seen_end = worker_saw_end(ch->pid, ch->gen, me, rc != 0 ? "read" : "ended");
			job_drop(f, j);
			chan_unref(ch);
			continue;
		}
		work_locked(f, j, me, &seen_end);
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

/* Serves the front end's channel until it closes its socket or sends one
 * message that does not decode, or more than it may have in flight (then
 * it is killed: it may be someone else's now): the workers read it, and
 * this thread while every worker is busy (see struct http_front). */
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
	/* Each request's wait counted from its sending (work). */
	if (ipc_stamp_on(ch->sock) != 0)
		log_event(LOG_WARN, "http.front_stamp", "err=\"%s\"", strerror(errno));
	pthread_mutex_lock(&f->mu);
	ch->gen = ++f->gen;
	f->ch = ch;
	f->reading = false;
	pthread_cond_broadcast(&f->cv);
	uint64_t seen = f->started;
	for (;;) {
		if (ch->ended)
			break;
		if (f->reading && (f->waiting > 0 || f->started != seen)) {
			/* A worker is free, or one started a request (from the
			 * queue): the channel is the workers' again. */
			f->reading = false;
			pthread_cond_broadcast(&f->cv);
		}
		if (!f->reading && (f->readers > 0 || f->waiting > 0 || f->started != seen)) {
			/* The next look: soon while requests come, later when
			 * none came since the last one. */
			long ms = f->started != seen ? MONITOR_TICK_MS : MONITOR_IDLE_MS;
			seen = f->started;
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += ms / 1000;
			ts.tv_nsec += (ms % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&f->mon_cv, &f->mu, &ts);
			continue;
		}
		/* Every worker busy since the last look, none started a request. */
		f->reading = true;
		struct job *j;
		int rc = chan_read(f, ch, &j);
		if (rc == 0 && is_health_probe(&j->w.in)) {
			atomic_fetch_add(&ch->refs, 1);
			run_job(f, j);
			pthread_mutex_lock(&f->mu);
			continue;
		}
		pthread_mutex_lock(&f->mu);
		/* The front end has at most HTTPF_INFLIGHT_MAX in flight. */
		if (rc == 0 && f->queued >= HTTPF_INFLIGHT_MAX) {
			chan_refuse(ch, j->msg.type, "over its requests in flight");
			rc = -1;
		}
		if (rc != 0) {
			chan_end(f, ch);
			job_drop(f, j);
			continue;
		}
		atomic_fetch_add(&ch->refs, 1);
		j->next = NULL;
		if (f->tail)
			f->tail->next = j;
		else
			f->head = j;
		f->tail = j;
		f->queued++;
		pthread_cond_signal(&f->cv);
	}
	/* Between front ends: the workers wait for the next channel (those
	 * still in recvmsg on this one see its end). */
	f->ch = NULL;
	f->reading = false;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	chan_unref(ch);
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
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->mon_cv, &ca);
	pthread_condattr_destroy(&ca);
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
	pthread_cond_destroy(&f->mon_cv);
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
