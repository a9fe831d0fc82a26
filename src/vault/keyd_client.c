/* The service's side of keyd.h: starts the key holder from a fresh image,
 * asks it for what needs a key, and starts it again when it dies. */
#include "keyd.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "keyd_int.h"
#include "log.h"
#include "supv.h"
#include "timeutil.h"
#include "xalloc.h"

#define KEYD_START_TIMEOUT_MS 30000
#define KEYD_BACKOFF_MIN_MS 1000
#define KEYD_BACKOFF_MAX_MS 30000
/* A holder that ran this long before dying starts again at once. */
#define KEYD_STABLE_MS 60000

struct keyd_client {
	pthread_mutex_t mu; /* one request at a time; guards sock, pid, stopping */
	pthread_cond_t cv;  /* wakes the monitor's backoff wait at stop */
	int sock;           /* -1 while the holder is down */
	pid_t pid;          /* 0 while the holder is down */
	int stopping;
	unsigned restarts;
	_Atomic uint64_t next_id;
	char *exe;
	char **argv;
	pthread_t monitor;
};

/* Starts one holder and waits for its READY. The pid, with *sock, or -1
 * with err. */
static pid_t spawn_holder(const char *exe, char *const argv[], int *sock, uint8_t chain[32],
	uint8_t seed[32], char *err, size_t errlen)
{
	int sv[2] = { -1, -1 };
	pid_t pid = -1;
	/* Through faxvaultd's supervisor when there is one (supv.h). */
	int rc = ipc_proc_spawn(exe, argv, NULL, 0, &sv[0], &pid);
	if (rc != 0) {
		snprintf(err, errlen, "key holder: cannot start %s: %s", exe, strerror(rc));
		return -1;
	}
	struct pollfd p = { .fd = sv[0], .events = POLLIN };
	struct ipc_msg m;
	int pr;
	while ((pr = poll(&p, 1, KEYD_START_TIMEOUT_MS)) < 0 && errno == EINTR)
		;
	rc = pr == 1 ? ipc_recv(sv[0], &m) : -1;
	if (pr != 1)
		memset(&m, 0, sizeof m);
	struct ipc_reader r;
	ipc_reader_init(&r, &m);
	char fp[VAULT_FINGERPRINT_LEN], why[256];
	if (rc == 0 && m.type == KEYD_READY && m.nfds == 0 &&
	    ipc_get_str(&r, fp, sizeof fp, sizeof fp - 1) == 0 && ipc_get_fixed(&r, chain, 32) == 0 &&
	    ipc_get_fixed(&r, seed, 32) == 0 && ipc_reader_end(&r) == 0) {
		ipc_msg_free(&m);
		*sock = sv[0];
		log_event(LOG_INFO, "keyd.started", "pid=%d fingerprint=%s", (int)pid, fp);
		return pid;
	}
	if (rc == 0 && m.type == KEYD_START_FAILED && ipc_get_str(&r, why, sizeof why, sizeof why - 1) == 0)
		snprintf(err, errlen, "%s", why);
	else
		snprintf(err, errlen, "key holder: no answer at start");
	ipc_msg_free(&m);
	close(sv[0]);
	ipc_proc_kill(pid, SIGKILL);
	int st;
	ipc_proc_wait(pid, &st);
	return -1;
}

/* Waits ms or until stop; returns c->stopping. Called with c->mu held. */
static int wait_backoff(keyd_client_t *c, unsigned ms)
{
	struct timespec ts;
	time_deadline_in(ms, &ts);
	while (!c->stopping && pthread_cond_timedwait(&c->cv, &c->mu, &ts) == 0)
		;
	return c->stopping;
}

/* Reaps the holder when it exits and starts another, with backoff. */
static void *monitor_main(void *arg)
{
	keyd_client_t *c = arg;
	unsigned backoff = KEYD_BACKOFF_MIN_MS;
	int64_t started = (time_mono_ns() / 1000000);
	pthread_mutex_lock(&c->mu);
	for (;;) {
		pid_t pid = c->pid;
		if (pid > 0) {
			pthread_mutex_unlock(&c->mu);
			int st = 0;
			ipc_proc_wait(pid, &st);
			pthread_mutex_lock(&c->mu);
			if (c->sock >= 0)
				close(c->sock);
			c->sock = -1;
			c->pid = 0;
			if (c->stopping)
				break;
			if ((time_mono_ns() / 1000000) - started > KEYD_STABLE_MS)
				backoff = KEYD_BACKOFF_MIN_MS;
			log_event(LOG_ERROR, "keyd.exited", "pid=%d %s=%d restart_in_ms=%u", (int)pid,
				WIFSIGNALED(st) ? "signal" : "status",
				WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), backoff);
		}
		if (wait_backoff(c, backoff))
			break;
		backoff = backoff * 2 > KEYD_BACKOFF_MAX_MS ? KEYD_BACKOFF_MAX_MS : backoff * 2;
		uint8_t chain[32], seed[32];
		char err[256];
		int sock = -1;
		pthread_mutex_unlock(&c->mu);
		pid = spawn_holder(c->exe, c->argv, &sock, chain, seed, err, sizeof err);
		explicit_bzero(chain, sizeof chain);
		explicit_bzero(seed, sizeof seed);
		pthread_mutex_lock(&c->mu);
		if (pid < 0) {
			log_event(LOG_ERROR, "keyd.restart_failed", "err=\"%s\" retry_in_ms=%u", err, backoff);
			continue;
		}
		c->sock = sock;
		c->pid = pid;
		c->restarts++;
		started = (time_mono_ns() / 1000000);
		if (c->stopping) {
			close(c->sock);
			c->sock = -1;
		}
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

keyd_client_t *keyd_client_start(const char *exe, char *const argv[], uint8_t audit_chain[32],
	uint8_t audit_seed[32], char *err, size_t errlen)
{
	int sock = -1;
	pid_t pid = spawn_holder(exe, argv, &sock, audit_chain, audit_seed, err, errlen);
	if (pid < 0)
		return NULL;
	keyd_client_t *c = xcalloc(1, sizeof *c);
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	c->sock = sock;
	c->pid = pid;
	c->exe = xstrdup(exe);
	size_t n = 0;
	while (argv[n])
		n++;
	c->argv = xcalloc(n + 1, sizeof *c->argv);
	for (size_t i = 0; i < n; i++)
		c->argv[i] = xstrdup(argv[i]);
	if (pthread_create(&c->monitor, NULL, monitor_main, c) != 0) {
		snprintf(err, errlen, "key holder: cannot start its monitor thread");
		c->stopping = 1;
		close(c->sock);
		int st;
		ipc_proc_wait(pid, &st);
		c->monitor = 0;
		keyd_client_stop(c);
		return NULL;
	}
	return c;
}

void keyd_client_stop(keyd_client_t *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->stopping = 1;
	/* The holder ends when its socket closes; the monitor reaps it. */
	if (c->sock >= 0)
		close(c->sock);
	c->sock = -1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	if (c->monitor)
		pthread_join(c->monitor, NULL);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	for (size_t i = 0; c->argv && c->argv[i]; i++)
		free(c->argv[i]);
	free(c->argv);
	free(c->exe);
	free(c);
}

pid_t keyd_client_pid(keyd_client_t *c)
{
	pthread_mutex_lock(&c->mu);
	pid_t p = c->pid;
	pthread_mutex_unlock(&c->mu);
	return p;
}

unsigned keyd_client_restarts(keyd_client_t *c)
{
	pthread_mutex_lock(&c->mu);
	unsigned n = c->restarts;
	pthread_mutex_unlock(&c->mu);
	return n;
}

/* Sends o and receives its reply into *reply (the caller frees it), whose
 * status is the return value. A holder that hangs or answers out of turn is
 * killed (the monitor starts another). */
static vault_err_t roundtrip(keyd_client_t *c, struct ipc_out *o, struct ipc_msg *reply,
	struct ipc_reader *r)
{
	memset(reply, 0, sizeof *reply);
	uint64_t id;
	memcpy(&id, o->buf + 8, sizeof id);
	pthread_mutex_lock(&c->mu);
	vault_err_t ve = VAULT_ERR_UNAVAILABLE;
	if (c->sock < 0 || ipc_send(c->sock, o) != 0)
		goto out;
	struct pollfd p = { .fd = c->sock, .events = POLLIN };
	int64_t deadline = (time_mono_ns() / 1000000) + KEYD_REPLY_TIMEOUT_MS;
	int pr;
	for (;;) {
		int64_t left = deadline - (time_mono_ns() / 1000000);
		pr = poll(&p, 1, left > 0 ? (int)left : 0);
		if (pr >= 0 || errno != EINTR)
			break;
	}
	int rc = pr == 1 ? ipc_recv(c->sock, reply) : -1;
	if (rc == 1)
		goto out; /* the holder died: the monitor restarts it */
	uint64_t got_id = reply->id;
	uint32_t status;
	if (rc != 0 || reply->type != KEYD_REPLY || got_id != le64toh(id) || reply->nfds) {
		log_event(LOG_ERROR, "keyd.bad_reply", "pid=%d err=\"%s\"", (int)c->pid,
			pr == 0 ? "timeout" : "malformed or out of turn");
		if (c->pid > 0)
			ipc_proc_kill(c->pid, SIGKILL);
		goto out;
	}
	ipc_reader_init(r, reply);
	if (ipc_get_u32(r, &status) == 0 && status <= VAULT_ERR_UNAVAILABLE)
		ve = (vault_err_t)status;
out:
	pthread_mutex_unlock(&c->mu);
	explicit_bzero(o->buf, o->len);
	free(o);
	return ve;
}

static struct ipc_out *new_request(keyd_client_t *c, enum keyd_type type)
{
	struct ipc_out *o = xmalloc(sizeof *o);
	ipc_out_init(o, (uint16_t)type, atomic_fetch_add(&c->next_id, 1) + 1);
	return o;
}

/* A document request's first fields. */
static struct ipc_out *doc_request(keyd_client_t *c, enum keyd_type type, const char *account,
	const uint8_t *wak, const char *doc)
{
	struct ipc_out *o = new_request(c, type);
	ipc_put_str(o, account);
	ipc_put_bytes(o, wak, VAULT_WRAPPED_LEN);
	ipc_put_str(o, doc);
	return o;
}

/* Sends o (taken over) and reads the wrapped key its reply carries, and
 * nothing after it, into out. */
static vault_err_t ask_wrapped(keyd_client_t *c, struct ipc_out *o, uint8_t *out)
{
	struct ipc_msg m;
	struct ipc_reader r;
	vault_err_t ve = roundtrip(c, o, &m, &r);
	if (ve == VAULT_OK && (ipc_get_fixed(&r, out, VAULT_WRAPPED_LEN) != 0 || ipc_reader_end(&r) != 0))
		ve = VAULT_ERR_UNAVAILABLE;
	ipc_msg_free(&m);
	return ve;
}

vault_err_t keyd_client_account_key(keyd_client_t *c, const char *account,
	uint8_t wak[VAULT_WRAPPED_LEN])
{
	struct ipc_out *o = new_request(c, KEYD_ACCOUNT_KEY);
	ipc_put_str(o, account);
	return ask_wrapped(c, o, wak);
}

vault_err_t keyd_client_doc_put(keyd_client_t *c, const char *account, const uint8_t *wak,
	const char *doc, int plain_fd, uint8_t wdk[VAULT_WRAPPED_LEN])
{
	struct ipc_out *o = doc_request(c, KEYD_DOC_PUT, account, wak, doc);
	ipc_put_fd(o, plain_fd);
	return ask_wrapped(c, o, wdk);
}

vault_err_t keyd_client_doc_get(keyd_client_t *c, const char *account, const uint8_t *wak,
	const char *doc, const uint8_t *wdk, int out_fd)
{
	struct ipc_out *o = doc_request(c, KEYD_DOC_GET, account, wak, doc);
	ipc_put_bytes(o, wdk, VAULT_WRAPPED_LEN);
	ipc_put_fd(o, out_fd);
	struct ipc_msg m;
	struct ipc_reader r;
	uint64_t size;
	vault_err_t ve = roundtrip(c, o, &m, &r);
	if (ve == VAULT_OK && (ipc_get_u64(&r, &size) != 0 || ipc_reader_end(&r) != 0))
		ve = VAULT_ERR_UNAVAILABLE;
	ipc_msg_free(&m);
	return ve;
}

vault_err_t keyd_client_secret(keyd_client_t *c, int seal, const char *account,
	const uint8_t *wak, const char *purpose, const char *owner, const char *text, char **out)
{
	size_t tl = strlen(text);
	if (tl > KEYD_TEXT_MAX)
		return VAULT_ERR_ARG;
	struct ipc_out *o = new_request(c, KEYD_SECRET);
	ipc_put_u8(o, seal ? 1 : 0);
	ipc_put_str(o, account ? account : "");
	ipc_put_bytes(o, wak, account ? VAULT_WRAPPED_LEN : 0);
	ipc_put_str(o, purpose);
	ipc_put_str(o, owner);
	ipc_put_bytes(o, text, tl);
	struct ipc_msg m;
	struct ipc_reader r;
	vault_err_t ve = roundtrip(c, o, &m, &r);
	const uint8_t *p;
	size_t n;
	if (ve == VAULT_OK) {
		if (ipc_get_bytes(&r, &p, &n, KEYD_TEXT_MAX) != 0 || ipc_reader_end(&r) != 0 ||
		    memchr(p, '\0', n)) {
			ve = VAULT_ERR_UNAVAILABLE;
		} else {
			*out = xmalloc(n + 1);
			memcpy(*out, p, n);
			(*out)[n] = '\0';
		}
	}
	if (m.data)
		explicit_bzero(m.data, m.len);
	ipc_msg_free(&m);
	return ve;
}
