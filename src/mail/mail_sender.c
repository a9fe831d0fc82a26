/* The mail sender thread (see mail_sender.h). */
#include "mail_sender.h"

#include <curl/curl.h>
#include <sodium.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fax/fax.h"
#include "billing/billing.h"
#include "log.h"
#include "notify/notify.h"
#include "queue.h"
#include "identity/identity.h"
#include "store_mail.h"
#include "timeutil.h"
#include "xalloc.h"

#define REPLY_MAX 200

extern char **environ;

struct mail_sender {
	mail_sender_config_t cfg;
	store_t *st;
	const fax_env_t *env;
};

static atomic_uint_fast64_t n_sent, n_failed, n_deferred;

void mail_sender_counts(uint64_t *sent, uint64_t *failed, uint64_t *deferred)
{
	*sent = atomic_load(&n_sent);
	*failed = atomic_load(&n_failed);
	*deferred = atomic_load(&n_deferred);
}

int64_t mail_backoff_ms(int attempts)
{
	int64_t d = 60000;
	for (int i = 1; i < attempts && d < 6 * 3600000LL; i++)
		d *= 2;
	return d < 6 * 3600000LL ? d : 6 * 3600000LL;
}

int mail_relay_valid(const char *relay)
{
	return strcmp(relay, "sendmail") == 0 || strncmp(relay, "smtp://", 7) == 0 ||
		strncmp(relay, "smtps://", 8) == 0;
}

/* What one attempt came to: the SMTP code (0: none) and the reply or error,
 * printable ASCII only. */
struct outcome {
	long code;
	bool permanent;
	char reply[REPLY_MAX];
};

struct upload {
	const char *p;
	size_t left;
};

static size_t feed(char *dst, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t take = size * n < u->left ? size * n : u->left;
	memcpy(dst, u->p, take);
	u->p += take;
	u->left -= take;
	return take;
}

static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = ' ';
}

/* The envelope sender of message id: bounce+ID@domain (VERP) or mail.from. */
static void envelope_from(const mail_sender_t *s, const char *id, char *out, size_t n)
{
	if (s->cfg.bounce_domain && *s->cfg.bounce_domain)
		snprintf(out, n, "bounce+%s@%s", id, s->cfg.bounce_domain);
	else
		snprintf(out, n, "%s", s->cfg.site.from);
}

static void send_smtp(mail_sender_t *s, const char *sender, const char *to, const char *msg,
	size_t len, struct outcome *o)
{
	CURL *h = curl_easy_init();
	if (!h) {
		snprintf(o->reply, sizeof o->reply, "no SMTP client");
		return;
	}
	char from[336], rcpt[336]; /* "<" address ">": the envelope sender is at most 319 bytes */
	snprintf(from, sizeof from, "<%s>", sender);
	snprintf(rcpt, sizeof rcpt, "<%s>", to);
	struct curl_slist *rl = curl_slist_append(NULL, rcpt);
	struct upload u = { msg, len };
	char ebuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(h, CURLOPT_URL, s->cfg.relay);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rl);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, feed);
	curl_easy_setopt(h, CURLOPT_READDATA, &u);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)s->cfg.timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)s->cfg.timeout_ms);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	CURLcode rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &o->code);
	if (rc == CURLE_OK) {
		snprintf(o->reply, sizeof o->reply, "%ld accepted", o->code ? o->code : 250);
		if (!o->code)
			o->code = 250;
	} else {
		snprintf(o->reply, sizeof o->reply, "%.180s", *ebuf ? ebuf : curl_easy_strerror(rc));
		o->permanent = o->code >= 500 && o->code < 600;
		if (o->code >= 200 && o->code < 300)
			o->code = 0; /* the session failed after a good answer */
	}
	printable(o->reply);
	curl_slist_free_all(rl);
	curl_easy_cleanup(h);
}

/* Milliseconds left until deadline (time_mono_ns), at least 0. */
static int ms_left(int64_t deadline)
{
	int64_t left = (deadline - time_mono_ns()) / 1000000;
	return left <= 0 ? 0 : left > 1000 ? 1000 : (int)left;
}

/* Waits for child pid until deadline (time_mono_ns): its status in *st, or
 * -1 once the deadline has passed (the child is left running). */
static int wait_until(pid_t pid, int64_t deadline, int *st)
{
	/* Short sleeps, growing to 20 ms: a sendmail usually ends at once. */
	for (long nap = 1;; nap = nap < 20 ? nap * 2 : 20) {
		pid_t r = waitpid(pid, st, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return 0; /* not our child any more: nothing to wait for */
		if (time_mono_ns() >= deadline)
			return -1;
		struct timespec ts = { 0, nap * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* The local sendmail program: `sendmail -i -f FROM -- TO`, the message on
 * its standard input. Exit 0 is accepted; EX_NOUSER, EX_DATAERR and the
 * like (64..69 except EX_UNAVAILABLE and EX_TEMPFAIL) are permanent. A
 * program that has not taken the message and exited within timeout_ms
 * (mail.timeout_seconds, as an SMTP relay has) is killed and the attempt
 * deferred: a hung sendmail would otherwise hold a queue worker for ever,
 * and past the job's lease the message would be handed over again. */
static void send_sendmail(const char *sender, const char *to, const char *msg, size_t len,
	int timeout_ms, struct outcome *o)
{
	/* Close-on-exec: another thread's sendmail, started meanwhile, must not
	 * inherit this pipe's write end (this one's would then never see its
	 * end of input, nor that one, which holds ours: both hang). The dup2
	 * onto 0 gives the child its own end without the flag. */
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(o->reply, sizeof o->reply, "pipe: %s", strerror(errno));
		return;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	char *argv[] = { "sendmail", "-i", "-f", (char *)sender, "--", (char *)to, NULL };
	pid_t pid;
	int64_t deadline = time_mono_ns() + (int64_t)timeout_ms * 1000000;
	int rc = posix_spawnp(&pid, "sendmail", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[0]);
	if (rc != 0) {
		close(fds[1]);
		snprintf(o->reply, sizeof o->reply, "sendmail: %s", strerror(rc));
		return;
	}
	/* The message, without blocking past the deadline on a full pipe. */
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	size_t off = 0;
	bool late = false;
	while (off < len && !late) {
		ssize_t w = write(fds[1], msg + off, len - off);
		if (w > 0) {
			off += (size_t)w;
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else if (w < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fds[1], .events = POLLOUT };
			int left = ms_left(deadline);
			if (left == 0)
				late = true;
			else
				poll(&p, 1, left);
		} else {
			break; /* the program closed its input (EPIPE): its exit says why */
		}
	}
	close(fds[1]);
	int st = 0;
	if (late || wait_until(pid, deadline, &st) != 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		snprintf(o->reply, sizeof o->reply, "sendmail: no answer within %d s, stopped",
			(timeout_ms + 999) / 1000);
		return;
	}
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	if (off == len && code == 0) {
		o->code = 250;
		snprintf(o->reply, sizeof o->reply, "sendmail accepted");
		return;
	}
	o->permanent = code >= 64 && code <= 78 && code != 69 && code != 75;
	snprintf(o->reply, sizeof o->reply, "sendmail exit %d", code);
}

/* Records the outcome of attempt number job->attempt of row, in a
 * transaction that holds the job's lease (a node that lost it records
 * nothing). Whether the message is given up. */
static bool record(mail_sender_t *s, const queue_job_t *job, const json_t *row,
	const struct outcome *o)
{
	int attempts = job->attempt;
	int64_t now = time_now_ms();
	bool ok = o->code >= 200 && o->code < 300;
	bool give_up = !ok && (o->permanent || attempts >= job->max_attempts);
	const char *status = ok ? "sent" : give_up ? "failed" : "pending";
	json_t *f = json_pack("{s:s, s:i, s:s, s:I, s:I}", "status", status, "attempts", attempts,
		"last_reply", o->reply, "next_attempt_at",
		(json_int_t)(ok || give_up ? now : now + mail_backoff_ms(attempts)), "sent_at",
		(json_int_t)(ok ? now : 0));
	const char *id = json_string_value(json_object_get(row, "id"));
	store_tx_t *tx = store_begin(s->st, true);
	int rc = tx ? queue_job_hold(tx, job) : STORE_ERROR;
	if (rc == STORE_OK)
		rc = store_mail_record(tx, id, f);
	if (tx && rc == STORE_OK)
		rc = store_commit(tx);
	else if (tx)
		store_rollback(tx);
	json_decref(f);
	atomic_fetch_add(ok ? &n_sent : give_up ? &n_failed : &n_deferred, 1);
	char q[REPLY_MAX + 16];
	log_event(ok ? LOG_INFO : LOG_WARN, "mail.attempt",
		"mail=%s kind=%s attempt=%d status=%s code=%ld reply=%s job=%s%s", id,
		json_string_value(json_object_get(row, "kind")), attempts, status, o->code,
		log_quote(o->reply, q, sizeof q), job->id, rc == STORE_OK ? "" : " recorded=no");
	return give_up;
}

static bool deliver(mail_sender_t *s, const queue_job_t *job, const json_t *row,
	struct outcome *op)
{
	struct outcome o;
	memset(&o, 0, sizeof o);
	const char *id = json_string_value(json_object_get(row, "id"));
	const char *to = json_string_value(json_object_get(row, "to_addr"));
	const char *sealed = json_string_value(json_object_get(row, "secret"));
	json_t *params = json_loads(json_string_value(json_object_get(row, "params")), 0, NULL);
	char *token = NULL;
	if (sealed && *sealed) {
		token = secret_open_row(s->env, NULL, NULL, "mail", id, sealed);
		if (!token) {
			snprintf(o.reply, sizeof o.reply, "the token does not open");
			o.permanent = true;
		}
	}
	size_t len = 0;
	char *msg = NULL;
	const char *kind = json_string_value(json_object_get(row, "kind"));
	/* Fax to e-mail: the PDF is made now, from the fax as it is (a fax
	 * deleted since is not sent); "link" and "safebox" modes have their own
	 * templates, without the fax. */
	unsigned char *pdf = NULL;
	size_t pdflen = 0;
	char fname[96] = "";
	mail_attachment_t att = { 0 };
	if (!o.permanent && kind && strcmp(kind, "fax_received") == 0) {
		const char *mode = json_string_value(json_object_get(params, "mode"));
		const char *fax_id = json_string_value(json_object_get(params, "fax_id"));
		if (mode && strcmp(mode, "link") == 0) {
			kind = "fax_received_link";
		} else if (mode && strcmp(mode, "safebox") == 0) {
			kind = "fax_received_safebox";
		} else {
			int rc = fax_pdf_for_mail(s->st, s->env,
				json_string_value(json_object_get(params, "account_id")), fax_id, id, to,
				&pdf, &pdflen);
			if (rc == 1) {
				snprintf(o.reply, sizeof o.reply, "the fax was deleted before it was mailed");
				o.permanent = true;
			} else if (rc != 0) {
				snprintf(o.reply, sizeof o.reply, "the fax could not be read");
			} else {
				snprintf(fname, sizeof fname, "%s.pdf", fax_id ? fax_id : "fax");
				att = (mail_attachment_t){ pdf, pdflen, fname, NULL };
			}
		}
	}
	/* An invoice: its PDF is made now, in the invoice's language. */
	bool invoice = kind && strcmp(kind, "invoice_issued") == 0;
	if (!o.permanent && invoice) {
		const char *inv_id = json_string_value(json_object_get(params, "invoice_id"));
		int rc = inv_id ? invoice_pdf_for_mail(s->st, json_string_value(json_object_get(params,
			"account_id")), inv_id, &pdf, &pdflen) : 1;
		if (rc == 1) {
			snprintf(o.reply, sizeof o.reply, "the invoice does not exist");
			o.permanent = true;
		} else if (rc != 0) {
			snprintf(o.reply, sizeof o.reply, "the invoice could not be read");
		} else {
			snprintf(fname, sizeof fname, "invoice-%lld.pdf", (long long)json_integer_value(
				json_object_get(params, "number")));
			att = (mail_attachment_t){ pdf, pdflen, fname, NULL };
		}
	}
	/* A fax-by-email delivery report: its first page as a thumbnail, drawn
	 * now by the renderer helper. Without it (a fax that never had a
	 * document, one deleted since, a failure) the report goes alone. */
	if (!o.permanent && kind && strncmp(kind, "fax_report_", 11) == 0) {
		const char *fax_id = json_string_value(json_object_get(params, "fax_id"));
		int rc = fax_thumb_for_mail(s->st, s->env,
			json_string_value(json_object_get(params, "account_id")), fax_id, id, to, &pdf,
			&pdflen);
		if (rc == 0) {
			snprintf(fname, sizeof fname, "%s-page1.png", fax_id ? fax_id : "fax");
			att = (mail_attachment_t){ pdf, pdflen, fname, "image/png" };
		} else {
			log_event(LOG_INFO, "mail.thumbnail", "mail=%s fax=%s made=no", id,
				fax_id ? fax_id : "-");
		}
	}
	bool ready = !o.permanent && (!kind || (strcmp(kind, "fax_received") != 0 && !invoice) ||
		pdf);
	if (ready) {
		char err[128];
		msg = mail_msg_build(kind, json_string_value(json_object_get(row, "lang")), id, to, params,
			token, &s->cfg.site, pdf ? &att : NULL, &len, err, sizeof err);
		if (!msg) {
			snprintf(o.reply, sizeof o.reply, "%s", err);
			o.permanent = true;
		}
	}
	vault_secret_free(token);
	json_decref(params);
	if (pdf) {
		sodium_memzero(pdf, pdflen);
		free(pdf);
	}
	if (msg) {
		char sender[320];
		envelope_from(s, id, sender, sizeof sender);
		if (strcmp(s->cfg.relay, "sendmail") == 0)
			send_sendmail(sender, to, msg, len, s->cfg.timeout_ms, &o);
		else
			send_smtp(s, sender, to, msg, len, &o);
		sodium_memzero(msg, len);
		free(msg);
	}
	*op = o;
	return record(s, job, row, &o);
}

/* One run of a message's job: one attempt, recorded on the outbox row
 * (the delivery log), retried by the queue on the schedule of
 * mail_backoff_ms(). */
static enum queue_outcome run(const queue_job_t *job, void *arg, char *why, size_t whylen)
{
	mail_sender_t *s = arg;
	const char *id = json_string_value(json_object_get(job->payload, "mail_id"));
	if (!id) {
		snprintf(why, whylen, "the job names no message");
		return QUEUE_FAIL;
	}
	store_tx_t *tx = store_begin(s->st, false);
	json_t *row = tx ? store_mail_load(tx, id) : NULL;
	if (tx)
		store_rollback(tx);
	if (!row) {
		snprintf(why, whylen, "the message could not be read");
		return QUEUE_RETRY;
	}
	const char *st = json_string_value(json_object_get(row, "status"));
	if (!st || strcmp(st, "sent") == 0) { /* sent already */
		json_decref(row);
		return QUEUE_DONE;
	}
	struct outcome o;
	bool give_up = deliver(s, job, row, &o);
	json_decref(row);
	if (o.code >= 200 && o.code < 300)
		return QUEUE_DONE;
	snprintf(why, whylen, "%s", o.reply[0] ? o.reply : "not sent");
	return give_up ? QUEUE_FAIL : QUEUE_RETRY;
}

mail_sender_t *mail_sender_register(queue_t *q, const mail_sender_config_t *cfg,
	store_t *st, const fax_env_t *env, char *err, size_t errlen)
{
	if (!mail_relay_valid(cfg->relay)) {
		snprintf(err, errlen, "mail.relay must be smtp://HOST:PORT, smtps://HOST:PORT or sendmail");
		return NULL;
	}
	if (!cfg->site.from || !strchr(cfg->site.from, '@') || strpbrk(cfg->site.from, "<>\r\n \t")) {
		snprintf(err, errlen, "mail.from must be an address (user@domain)");
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "libcurl could not be initialised");
		return NULL;
	}
	mail_msg_init();
	mail_sender_t *s = xcalloc(1, sizeof *s);
	s->cfg = *cfg;
	if (s->cfg.timeout_ms <= 0)
		s->cfg.timeout_ms = 30000;
	s->st = st;
	s->env = env;
	/* The lease outlives the longest attempt, so a live sender keeps it. */
	queue_kind_t k = { .kind = MAIL_JOB, .run = run, .arg = s,
		.lease_ms = (int64_t)s->cfg.timeout_ms * 2 + 60000, .backoff = mail_backoff_ms };
	if (queue_register(q, &k) != 0) {
		snprintf(err, errlen, "the queue takes no more kinds");
		free(s);
		return NULL;
	}
	log_event(LOG_INFO, "mail.sender_started", "node=%s from=%s bounces=%s", queue_node(q),
		s->cfg.site.from, s->cfg.bounce_domain && *s->cfg.bounce_domain ?
		s->cfg.bounce_domain : "-");
	return s;
}

void mail_sender_free(mail_sender_t *s)
{
	free(s);
}
