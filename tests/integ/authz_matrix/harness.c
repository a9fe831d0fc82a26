/* Starting the real daemon and talking HTTP to it (see harness.h). */
#include "harness.h"

#include <curl/curl.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_TIMEOUT_MS 30000
#define STOP_TIMEOUT_MS 10000

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void rm_tree(const char *dir)
{
	if (dir[0])
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Runs argv with stdout into out (up to n-1 bytes); the exit status or -1. */
static int run_capture(char *const argv[], char *out, size_t n)
{
	int fd[2];
	if (pipe(fd) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fd[1]);
	size_t len = 0;
	ssize_t r;
	while ((r = read(fd[0], out + len, n - 1 - len)) > 0 && len + (size_t)r < n - 1)
		len += (size_t)r;
	if (r > 0)
		len += (size_t)r;
	out[len] = '\0';
	/* The rest is read and dropped: a child whose output is cut short
	 * would fail on its next write (EPIPE) and look absent. */
	char rest[4096];
	while (r > 0 && (r = read(fd[0], rest, sizeof rest)) > 0)
		;
	close(fd[0]);
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The port from the daemon's "daemon.started ... port=N" log line, or 0. */
static int port_from_log(const char *log)
{
	FILE *f = fopen(log, "r");
	if (!f)
		return 0;
	char line[1024];
	int port = 0;
	while (!port && fgets(line, sizeof line, f)) {
		const char *p = strstr(line, "event=daemon.started");
		p = p ? strstr(p, " port=") : NULL;
		if (p)
			port = (int)strtol(p + 6, NULL, 10);
	}
	fclose(f);
	return port;
}

static int bootstrap(fvd_t *d, const char *bin, const char *data)
{
	snprintf(d->op_email, sizeof d->op_email, "operator@example.com");
	char *argv[] = { (char *)bin, "--data-dir", (char *)data, "--set", "auth.argon2_memory_kib=8192",
		"--set", "auth.argon2_ops=1", "bootstrap", "--operator", d->op_email, "--json", NULL };
	char out[1024];
	int rc = run_capture(argv, out, sizeof out);
	json_t *j = rc == 0 ? json_loads(out, 0, NULL) : NULL;
	const char *pw = json_string_value(json_object_get(j, "password"));
	if (!pw) {
		fprintf(stderr, "harness: bootstrap failed (exit %d): %s\n", rc, out);
		json_decref(j);
		return -1;
	}
	snprintf(d->op_password, sizeof d->op_password, "%s", pw);
	json_decref(j);
	return 0;
}

/* 1 when the daemon knows the rate-limit settings (they came with the
 * security controls): the tests lift them, as they send hundreds of requests
 * a second from one address. */
static int has_rate_limits(const char *bin)
{
	char *argv[] = { (char *)bin, "--set", "ratelimit.requests_per_minute=1000000",
		"--print-config-reference", NULL };
	char out[1 << 16];
	return run_capture(argv, out, sizeof out) == 0;
}

int fvd_start(fvd_t *d, const char *bin)
{
	memset(d, 0, sizeof *d);
	const char *tmp = getenv("TMPDIR");
	snprintf(d->dir, sizeof d->dir, "%s/fv-integ.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(d->dir)) {
		fprintf(stderr, "harness: mkdtemp: %s\n", strerror(errno));
		d->dir[0] = '\0';
		return -1;
	}
	char data[300], log[300], logset[320], clockset[330];
	snprintf(data, sizeof data, "%s/data", d->dir);
	snprintf(clockset, sizeof clockset, "testing.clock_file=%s/clock", d->dir);
	if (fvd_advance_clock(d, 0) != 0)
		goto fail;
	snprintf(log, sizeof log, "%s/faxvaultd.log", d->dir);
	snprintf(logset, sizeof logset, "log.file=%s", log);
	if (bootstrap(d, bin, data) != 0)
		goto fail;
	bool lift = has_rate_limits(bin);
	d->pid = fork();
	if (d->pid < 0)
		goto fail;
	if (d->pid == 0) {
		char *argv[] = { (char *)bin, "--data-dir", data, "--http", "127.0.0.1:0", "--set",
			"auth.argon2_memory_kib=8192", "--set", "auth.argon2_ops=1", "--set", logset,
			"--set", "shutdown.drain_seconds=1", "--set", "fax.loopback_sip=127.0.0.1:0", "--set",
			clockset, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
		static char *const limits[] = { "--set", "ratelimit.requests_per_minute=1000000", "--set",
			"ratelimit.burst=1000000", "--set", "ratelimit.login_per_minute=100000", "--set",
			"ratelimit.login_burst=100000" };
		for (size_t i = 0; lift && i < sizeof limits / sizeof limits[0]; i++)
			argv[17 + i] = limits[i];
		execv(bin, argv);
		_exit(127);
	}
	for (int waited = 0; waited < START_TIMEOUT_MS; waited += 20) {
		int st;
		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			fprintf(stderr, "harness: faxvaultd exited at start; see its log:\n");
			d->pid = 0;
			goto fail_log;
		}
		if ((d->port = port_from_log(log)) > 0)
			return 0;
		sleep_ms(20);
	}
	fprintf(stderr, "harness: faxvaultd did not start within %d ms\n", START_TIMEOUT_MS);
fail_log: {
	FILE *f = fopen(log, "r");
	char line[512];
	while (f && fgets(line, sizeof line, f))
		fputs(line, stderr);
	if (f)
		fclose(f);
}
fail:
	fvd_stop(d);
	return -1;
}

/* The clock file holds the offset from real time in milliseconds. */
int fvd_advance_clock(fvd_t *d, int minutes)
{
	char path[300];
	snprintf(path, sizeof path, "%s/clock", d->dir);
	long long ms = 0;
	FILE *f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lld", &ms) != 1)
			ms = 0;
		fclose(f);
	}
	ms += (long long)minutes * 60000;
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "harness: %s: %s\n", path, strerror(errno));
		return -1;
	}
	int rc = fprintf(f, "%lld\n", ms) > 0 ? 0 : -1;
	return fclose(f) == 0 ? rc : -1;
}

int fvd_stop(fvd_t *d)
{
	int rc = 0;
	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		int st = 0, waited = 0;
		while (waitpid(d->pid, &st, WNOHANG) == 0 && waited < STOP_TIMEOUT_MS) {
			sleep_ms(20);
			waited += 20;
		}
		if (waited >= STOP_TIMEOUT_MS) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, &st, 0);
			rc = -1;
		} else {
			rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
		d->pid = 0;
	}
	rm_tree(d->dir);
	d->dir[0] = '\0';
	return rc;
}

/* ---- HTTP ---- */

struct sink {
	char *p;
	size_t len;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;
	char *np = realloc(s->p, s->len + n + 1);
	if (!np)
		return 0;
	s->p = np;
	memcpy(s->p + s->len, ptr, n);
	s->len += n;
	s->p[s->len] = '\0';
	return n;
}

static CURL *curl_handle(void)
{
	static CURL *h;
	if (!h) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		h = curl_easy_init();
	}
	return h;
}

void http_cleanup(void)
{
	CURL *h = curl_handle();
	curl_easy_cleanup(h);
	curl_global_cleanup();
}

int http_call(const fvd_t *d, const char *method, const char *path, const char *token,
	const char *body, const char *extra_header, http_resp_t *resp)
{
	memset(resp, 0, sizeof *resp);
	CURL *h = curl_handle();
	if (!h)
		return -1;
	curl_easy_reset(h);
	char url[1024], auth[512];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", d->port, path);
	struct curl_slist *hdr = NULL;
	if (token) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
		hdr = curl_slist_append(hdr, auth);
	}
	/* A Content-Type in extra_header (a multipart upload) replaces JSON's. */
	if (body && !(extra_header && strncasecmp(extra_header, "Content-Type:", 13) == 0))
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
	if (extra_header)
		hdr = curl_slist_append(hdr, extra_header);
	hdr = curl_slist_append(hdr, "Expect:");
	struct sink s = { NULL, 0 };
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	CURLcode rc = curl_easy_perform(h);
	curl_slist_free_all(hdr);
	if (rc != CURLE_OK) {
		fprintf(stderr, "harness: %s %s: %s\n", method, path, curl_easy_strerror(rc));
		free(s.p);
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	char *ct = NULL;
	curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
	snprintf(resp->ctype, sizeof resp->ctype, "%s", ct ? ct : "");
	resp->body = s.p ? s.p : calloc(1, 1);
	resp->len = s.len;
	return resp->body ? 0 : -1;
}

void http_resp_free(http_resp_t *r)
{
	free(r->body);
	r->body = NULL;
}

json_t *http_json(const http_resp_t *r)
{
	return r->body && r->len ? json_loadb(r->body, r->len, 0, NULL) : NULL;
}

json_t *http_jcall(const fvd_t *d, const char *method, const char *path, const char *token,
	const json_t *body, long *status)
{
	char *b = body ? json_dumps(body, JSON_COMPACT) : NULL;
	http_resp_t r;
	json_t *out = NULL;
	*status = 0;
	if (http_call(d, method, path, token, b, NULL, &r) == 0) {
		*status = r.status;
		out = http_json(&r);
		http_resp_free(&r);
	}
	free(b);
	return out;
}
