/* The client against a scripted HTTP server on loopback: what each command
 * sends (method, path, query, headers, JSON body) and what it makes of each
 * answer (tables, JSON, problems, exit codes, pagination). Table-driven;
 * the server answers one scripted response per connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "cli.h"
#include "xalloc.h"

#define MAX_EXCHANGES 4

struct reply {
	int status;
	const char *body; /* NULL: no body (204) */
	const char *content_type;
};

struct seen {
	char method[16];
	char target[512];
	char headers[4096];
	char body[4096];
};

/* The fake server: answers replies[i] to the i-th connection and records
 * what it got. */
static struct {
	int fd;
	int port;
	const struct reply *replies;
	size_t nreplies;
	struct seen seen[MAX_EXCHANGES];
	size_t nseen;
	pthread_t thread;
} srv;

static void record(int c, struct seen *s)
{
	char buf[16384];
	size_t n = 0;
	char *end = NULL;
	while (n < sizeof buf - 1) {
		ssize_t r = read(c, buf + n, sizeof buf - 1 - n);
		if (r <= 0)
			return;
		n += (size_t)r;
		buf[n] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
	}
	if (!end)
		return;
	size_t hlen = (size_t)(end - buf) + 4;
	size_t clen = 0;
	const char *cl = strcasestr(buf, "\r\ncontent-length:");
	if (cl && cl < end)
		clen = strtoul(cl + 17, NULL, 10);
	while (n < hlen + clen && n < sizeof buf - 1) {
		ssize_t r = read(c, buf + n, sizeof buf - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	sscanf(buf, "%15s %511s", s->method, s->target);
	snprintf(s->headers, sizeof s->headers, "%.*s", (int)hlen, buf);
	snprintf(s->body, sizeof s->body, "%s", buf + hlen);
}

static void *serve(void *arg)
{
	(void)arg;
	for (size_t i = 0; i < srv.nreplies; i++) {
		int c = accept(srv.fd, NULL, NULL);
		if (c < 0)
			break;
		if (srv.nseen < MAX_EXCHANGES)
			record(c, &srv.seen[srv.nseen++]);
		const struct reply *r = &srv.replies[i];
		char head[512];
		size_t blen = r->body ? strlen(r->body) : 0;
		int hn = snprintf(head, sizeof head,
			"HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			"X-Request-Id: req_fake%zu\r\nConnection: close\r\n\r\n",
			r->status, r->content_type ? r->content_type : "application/json", blen, i);
		if (write(c, head, (size_t)hn) < 0 || (blen && write(c, r->body, blen) < 0))
			perror("fake server write");
		close(c);
	}
	return NULL;
}

static void server_start_port(int port, const struct reply *replies, size_t n)
{
	memset(srv.seen, 0, sizeof srv.seen);
	srv.nseen = 0;
	srv.replies = replies;
	srv.nreplies = n;
	srv.fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(srv.fd >= 0);
	int one = 1;
	setsockopt(srv.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(srv.fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(srv.fd, 8), 0);
	socklen_t len = sizeof a;
	assert_int_equal(getsockname(srv.fd, (struct sockaddr *)&a, &len), 0);
	srv.port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&srv.thread, NULL, serve, NULL), 0);
}

static void server_stop(void)
{
	/* Unblock accept() if the client made fewer requests than scripted. */
	shutdown(srv.fd, SHUT_RDWR);
	pthread_join(srv.thread, NULL);
	close(srv.fd);
}

/* Runs the client with argv (NUL-separated words in a string list). */
static int run(const char *const *words, const char *token, char **out, char **err)
{
	char *argv[32];
	int argc = 0;
	char *url = xasprintf("http://127.0.0.1:%d", srv.port);
	argv[argc++] = "faxvault";
	argv[argc++] = "--url";
	argv[argc++] = url;
	for (size_t i = 0; words[i]; i++)
		argv[argc++] = (char *)words[i];
	argv[argc] = NULL;
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	FILE *fo = open_memstream(&obuf, &olen);
	FILE *fe = open_memstream(&ebuf, &elen);
	struct cli_env env = { .token = token, .home = "/nonexistent-faxvault-home", .lang = "fr_FR.UTF-8" };
	int rc = cli_run(argc, argv, &env, fo, fe);
	fclose(fo);
	fclose(fe);
	free(url);
	*out = obuf;
	*err = ebuf;
	return rc;
}

#define W(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const char PAGE1[] = "{\"items\":[{\"id\":\"acc_1\",\"name\":\"One\",\"status\":\"active\","
	"\"owner_id\":\"usr_1\"}],\"next_cursor\":\"c2\"}";
static const char PAGE2[] = "{\"items\":[{\"id\":\"acc_2\",\"name\":\"Two\",\"status\":\"suspended\","
	"\"owner\":{\"email\":\"o@two.example\"}}],\"next_cursor\":null}";
static const char PROBLEM404[] = "{\"type\":\"urn:faxvault:problem:not-found\",\"title\":\"Not found\","
	"\"status\":404,\"detail\":\"no such account\",\"request_id\":\"req_p\"}";

struct want_req {
	const char *method, *target;
	const char *hdr;    /* header line that must be present (case-sensitive), or NULL */
	const char *nohdr;  /* text that must not be in the headers, or NULL */
	const char *body;   /* exact JSON body, or NULL for "don't care" */
};

static const struct {
	const char *name;
	const char *const *argv;
	const char *token;
	struct reply replies[MAX_EXCHANGES];
	size_t nreplies;
	int rc;
	struct want_req req[MAX_EXCHANGES];
	const char *out; /* substring of stdout, or NULL */
	const char *err; /* substring of stderr, or NULL */
} cases[] = {
	{ "list: table, fallback owner column, cursor note",
		W("accounts", "list", "--limit", "1"), "tok1",
		{ { 200, PAGE1, NULL } }, 1, 0,
		{ { "GET", "/v1/accounts?limit=1", "Authorization: Bearer tok1", NULL, NULL } },
		"acc_1  One   active  -        usr_1", "--cursor c2" },
	{ "list --all follows cursors, --json merges pages",
		W("accounts", "list", "--all", "--json"), "tok1",
		{ { 200, PAGE1, NULL }, { 200, PAGE2, NULL } }, 2, 0,
		{ { "GET", "/v1/accounts", NULL, NULL, NULL }, { "GET", "/v1/accounts?cursor=c2", NULL, NULL, NULL } },
		"\"next_cursor\": null", NULL },
	{ "list --all stops on a repeated cursor",
		W("accounts", "list", "--all", "--cursor", "c2"), "tok1",
		{ { 200, PAGE1, NULL } }, 1, CLI_EXIT_SERVER,
		{ { "GET", "/v1/accounts?cursor=c2", NULL, NULL, NULL } },
		NULL, "same cursor twice" },
	{ "list answer without items",
		W("accounts", "list"), "tok1",
		{ { 200, "{\"data\":[]}", NULL } }, 1, CLI_EXIT_SERVER,
		{ { "GET", "/v1/accounts", NULL, NULL, NULL } }, NULL, "no \"items\"" },
	{ "404 problem: message, request id, exit 5, language asked",
		W("accounts", "show", "acc_9"), "tok1",
		{ { 404, PROBLEM404, "application/problem+json" } }, 1, CLI_EXIT_NOTFOUND,
		{ { "GET", "/v1/accounts/acc_9", "Accept-Language: fr", NULL, NULL } }, NULL,
		"error: Not found: no such account (urn:faxvault:problem:not-found)\nrequest id: req_p\n" },
	{ "ids are one path segment", W("users", "show", "--account", "a/b", "../x"), "tok1",
		{ { 404, PROBLEM404, NULL } }, 1, CLI_EXIT_NOTFOUND,
		{ { "GET", "/v1/accounts/a%2Fb/users/..%2Fx", NULL, NULL, NULL } }, NULL, NULL },
	{ "500 without JSON", W("whoami"), "tok1",
		{ { 500, "boom", "text/plain" } }, 1, CLI_EXIT_SERVER,
		{ { "GET", "/v1/me", NULL, NULL, NULL } }, NULL, "error: HTTP 500: boom\nrequest id: req_fake0" },
	{ "429 rate limited", W("whoami"), "tok1",
		{ { 429, "{\"title\":\"Slow down\"}", NULL } }, 1, CLI_EXIT_RATELIMIT,
		{ { "GET", "/v1/me", NULL, NULL, NULL } }, NULL, "Slow down" },
	{ "401 with a token from the environment", W("whoami"), "tok1",
		{ { 401, "{\"title\":\"Authentication is required\"}", NULL } }, 1, CLI_EXIT_UNAUTH,
		{ { "GET", "/v1/me", NULL, NULL, NULL } }, NULL, "Authentication is required" },
	{ "200 that is not JSON", W("whoami"), "tok1",
		{ { 200, "<html>", "text/html" } }, 1, CLI_EXIT_SERVER,
		{ { "GET", "/v1/me", NULL, NULL, NULL } }, NULL, "not JSON" },
	{ "whoami key/value block", W("whoami"), "tok1",
		{ { 200, "{\"id\":\"usr_1\",\"email\":\"a@b.example\",\"kind\":\"account\","
			"\"permissions\":[\"fax.send\",\"data.read\"]}", NULL } }, 1, 0,
		{ { "GET", "/v1/me", NULL, NULL, NULL } }, "Permissions:  fax.send,data.read\n", NULL },
	{ "accounts create body and invitations",
		W("accounts", "create", "--name", "Acme", "--owner-email", "o@a.example", "--owner-name",
			"Olive", "--billing", "b@a.example:Bill", "--billing", "c@a.example",
			"--idempotency-key", "k-1"), "tok1",
		{ { 201, "{\"id\":\"acc_1\",\"name\":\"Acme\",\"owner_invitation\":{\"token\":\"fvi_O\","
			"\"expires_at\":\"2030-01-01T00:00:00Z\"},\"billing_invitations\":[{\"email\":\"b@a.example\","
			"\"token\":\"fvi_B\",\"expires_at\":\"2030-01-01T00:00:00Z\"}]}", NULL } }, 1, 0,
		{ { "POST", "/v1/accounts", "Idempotency-Key: k-1", NULL,
			"{\"name\":\"Acme\",\"owner\":{\"email\":\"o@a.example\",\"name\":\"Olive\"},"
			"\"billing_contacts\":[{\"email\":\"b@a.example\",\"name\":\"Bill\"},{\"email\":\"c@a.example\"}]}" } },
		"Invitation for b@a.example (billing), expires 2030-01-01T00:00:00Z, shown once:\n  fvi_B\n", NULL },
	{ "users create custom role body",
		W("users", "create", "--account", "acc_1", "--email", "u@a.example", "--name", "U",
			"--role", "custom", "--permission", "fax.send", "--permission", "data.read,billing.read"), "tok1",
		{ { 201, "{\"id\":\"usr_2\",\"invitation\":{\"token\":\"fvi_U\"}}", NULL } }, 1, 0,
		{ { "POST", "/v1/accounts/acc_1/users", "Content-Type: application/json", NULL,
			"{\"email\":\"u@a.example\",\"name\":\"U\",\"role\":\"custom\","
			"\"permissions\":[\"fax.send\",\"data.read\",\"billing.read\"]}" } },
		"fvi_U", NULL },
	{ "api key secret printed once", W("api-keys", "create", "--account", "acc_1", "--name", "ci",
			"--permission", "fax.send", "--expires-at", "2030-01-01T00:00:00Z"), "tok1",
		{ { 201, "{\"id\":\"key_1\",\"secret\":\"fvk_SECRET\"}", NULL } }, 1, 0,
		{ { "POST", "/v1/accounts/acc_1/api-keys", NULL, NULL,
			"{\"name\":\"ci\",\"permissions\":[\"fax.send\"],\"expires_at\":\"2030-01-01T00:00:00Z\"}" } },
		"\n    fvk_SECRET\n", NULL },
	{ "revoke: 204, DELETE, no body", W("api-keys", "revoke", "--account", "acc_1", "key_1"), "tok1",
		{ { 204, NULL, NULL } }, 1, 0,
		{ { "DELETE", "/v1/accounts/acc_1/api-keys/key_1", NULL, "Content-Type", "" } },
		"API key revoked.", NULL },
	{ "suspend: empty POST without a form content type", W("accounts", "suspend", "acc_1", "--json"), "tok1",
		{ { 200, "{\"id\":\"acc_1\",\"status\":\"suspended\"}", NULL } }, 1, 0,
		{ { "POST", "/v1/accounts/acc_1/suspend", "Content-Length: 0", "x-www-form-urlencoded", "" } },
		"\"status\": \"suspended\"", NULL },
	{ "audit list filters in the query", W("audit", "list", "--account", "acc_1", "--since",
			"2026-01-01T00:00:00Z", "--action", "user.create", "--actor", "usr 1"), "tok1",
		{ { 200, "{\"items\":[{\"seq\":7,\"time\":\"t\",\"actor\":{\"id\":\"usr_1\",\"on_behalf_of\":null},"
			"\"action\":\"user.create\",\"target\":\"usr_2\",\"outcome\":\"success\",\"source\":\"127.0.0.1\"}],"
			"\"next_cursor\":null}", NULL } }, 1, 0,
		{ { "GET", "/v1/accounts/acc_1/audit-events?since=2026-01-01T00%3A00%3A00Z&actor=usr%201&action=user.create",
			NULL, NULL, NULL } },
		"7    t     usr_1  -             user.create  usr_2   success  127.0.0.1\n", NULL },
	{ "audit list without account: provider-wide", W("audit", "list"), "tok1",
		{ { 200, "{\"items\":[],\"next_cursor\":null}", NULL } }, 1, 0,
		{ { "GET", "/v1/provider/audit-events", NULL, NULL, NULL } }, "SEQ  TIME", NULL },
	{ "audit verify intact", W("audit", "verify"), "tok1",
		{ { 200, "{\"ok\":true,\"events\":12,\"first_broken\":null}", NULL } }, 1, 0,
		{ { "GET", "/v1/provider/audit/verify", NULL, NULL, NULL } }, "intact: 12 events", NULL },
	{ "audit verify broken exits 1", W("audit", "verify"), "tok1",
		{ { 200, "{\"ok\":false,\"events\":12,\"first_broken\":{\"seq\":5,\"id\":\"evt_5\"}}", NULL } }, 1,
		CLI_EXIT_ERROR, { { "GET", "/v1/provider/audit/verify", NULL, NULL, NULL } }, NULL,
		"first broken event seq 5 (evt_5)" },
	{ "permissions list --role filters", W("permissions", "list", "--role", "billing"), "tok1",
		{ { 200, "{\"items\":[{\"name\":\"fax.send\",\"scope\":\"account\",\"description\":\"Send\"},"
			"{\"name\":\"billing.read\",\"scope\":\"account\",\"description\":\"Bills\"}],"
			"\"roles\":{\"billing\":[\"billing.read\"]}}", NULL } }, 1, 0,
		{ { "GET", "/v1/permissions", NULL, NULL, NULL } },
		"NAME          SCOPE    DESCRIPTION\nbilling.read  account  Bills\n", NULL },
	{ "logout with an environment token keeps no file", W("logout"), "tok1",
		{ { 204, NULL, NULL } }, 1, 0,
		{ { "DELETE", "/v1/sessions/current", "Authorization: Bearer tok1", NULL, "" } }, "Logged out.", NULL },
	{ "a server-sent escape cannot reach the terminal", W("accounts", "show", "acc_1"), "tok1",
		{ { 200, "{\"id\":\"acc_1\",\"name\":\"\\u001b]0;pwned\\u0007Acme\"}", NULL } }, 1, 0,
		{ { "GET", "/v1/accounts/acc_1", NULL, NULL, NULL } }, "?]0;pwned?Acme", NULL },
};

static void test_api_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		server_start_port(0, cases[i].replies, cases[i].nreplies);
		char *out, *err;
		int rc = run(cases[i].argv, cases[i].token, &out, &err);
		server_stop();
		if (rc != cases[i].rc)
			fail_msg("%s: rc %d want %d\nstdout: %s\nstderr: %s", cases[i].name, rc, cases[i].rc, out, err);
		if (cases[i].out && !strstr(out, cases[i].out))
			fail_msg("%s: stdout lacks '%s':\n%s", cases[i].name, cases[i].out, out);
		if (cases[i].err && !strstr(err, cases[i].err))
			fail_msg("%s: stderr lacks '%s':\n%s", cases[i].name, cases[i].err, err);
		if (strstr(out, "tok1") || strstr(err, "tok1"))
			fail_msg("%s: the session token was printed", cases[i].name);
		size_t nwant = 0;
		while (nwant < MAX_EXCHANGES && cases[i].req[nwant].method)
			nwant++;
		if (srv.nseen != nwant)
			fail_msg("%s: %zu requests, want %zu", cases[i].name, srv.nseen, nwant);
		for (size_t k = 0; k < nwant; k++) {
			const struct want_req *w = &cases[i].req[k];
			const struct seen *s = &srv.seen[k];
			if (strcmp(s->method, w->method) != 0 || strcmp(s->target, w->target) != 0)
				fail_msg("%s: request %zu is %s %s, want %s %s", cases[i].name, k, s->method,
					s->target, w->method, w->target);
			if (w->hdr && !strstr(s->headers, w->hdr))
				fail_msg("%s: no '%s' in\n%s", cases[i].name, w->hdr, s->headers);
			if (w->nohdr && strstr(s->headers, w->nohdr))
				fail_msg("%s: '%s' should not be in\n%s", cases[i].name, w->nohdr, s->headers);
			if (w->body && strcmp(s->body, w->body) != 0)
				fail_msg("%s: body '%s' want '%s'", cases[i].name, s->body, w->body);
		}
		free(out);
		free(err);
	}
}

/* Runs the client with text as its standard input (fd 0). */
static int run_stdin(const char *const *words, const char *token, const char *text, char **out,
	char **err)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], text, strlen(text)), (ssize_t)strlen(text));
	close(p[1]);
	int saved = dup(STDIN_FILENO);
	dup2(p[0], STDIN_FILENO);
	close(p[0]);
	int rc = run(words, token, out, err);
	dup2(saved, STDIN_FILENO);
	close(saved);
	return rc;
}

/* invitations accept: the password in the body, no Authorization even when
 * a token is configured. */
static void test_accept(void **state)
{
	(void)state;
	static const struct reply ok[1] = { { 200, "{\"user_id\":\"usr_1\",\"email\":\"a@b.example\"}", NULL } };
	server_start_port(0, ok, 1);
	char *out, *err;
	int rc = run_stdin(W("invitations", "accept", "fvi_x/y", "--password-stdin"), "tok1",
		"pw-123456\nignored\n", &out, &err);
	server_stop();
	if (rc != 0)
		fail_msg("rc %d: %s", rc, err);
	assert_int_equal(srv.nseen, 1);
	assert_string_equal(srv.seen[0].method, "POST");
	assert_string_equal(srv.seen[0].target, "/v1/invitations/fvi_x%2Fy/accept");
	assert_null(strcasestr(srv.seen[0].headers, "authorization"));
	assert_string_equal(srv.seen[0].body, "{\"password\":\"pw-123456\"}");
	assert_non_null(strstr(out, "a@b.example"));
	free(out);
	free(err);

	/* An empty first line is refused before any request. */
	server_start_port(0, ok, 1);
	rc = run_stdin(W("invitations", "accept", "fvi_x", "--password-stdin"), NULL, "\n", &out, &err);
	server_stop();
	assert_int_equal(rc, CLI_EXIT_USAGE);
	assert_int_equal(srv.nseen, 0);
	free(out);
	free(err);
}

/* login: e-mail and password in the body of POST /v1/sessions, no token
 * sent, the token stored (mode 0600) next to the URL and never printed. */
static void test_login(void **state)
{
	(void)state;
	char dir[] = "/tmp/fv-cli-login-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *cfg = xasprintf("%s/sub/config", dir);
	static const struct reply ok[1] = {
		{ 201, "{\"token\":\"fvs_NEWTOKEN\",\"expires_at\":\"2030-01-01T00:00:00Z\"}", NULL },
	};
	server_start_port(0, ok, 1);
	char *out, *err;
	int rc = run_stdin(W("login", "--email", "a@b.example", "--password-stdin", "--config", cfg),
		NULL, "s3cret pass\n", &out, &err);
	server_stop();
	if (rc != 0)
		fail_msg("rc %d: %s", rc, err);
	assert_string_equal(srv.seen[0].method, "POST");
	assert_string_equal(srv.seen[0].target, "/v1/sessions");
	assert_null(strcasestr(srv.seen[0].headers, "authorization"));
	assert_string_equal(srv.seen[0].body, "{\"email\":\"a@b.example\",\"password\":\"s3cret pass\"}");
	assert_null(strstr(out, "fvs_NEWTOKEN"));
	assert_null(strstr(err, "fvs_NEWTOKEN"));
	assert_null(strstr(out, "s3cret"));
	struct stat st;
	assert_int_equal(stat(cfg, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	FILE *f = fopen(cfg, "r");
	char text[1024] = "";
	size_t n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	fclose(f);
	char *want_url = xasprintf("url = http://127.0.0.1:%d\n", srv.port);
	assert_non_null(strstr(text, want_url));
	assert_non_null(strstr(text, "token = fvs_NEWTOKEN\n"));
	free(want_url);
	free(out);
	free(err);

	/* The stored token is used next time, and logout removes it. */
	/* Same port: a stored token only goes to the URL it came from. */
	static const struct reply bye[2] = { { 200, "{\"id\":\"usr_1\"}", NULL }, { 204, NULL, NULL } };
	server_start_port(srv.port, bye, 2);
	rc = run(W("--config", cfg, "whoami"), NULL, &out, &err);
	assert_int_equal(rc, 0);
	free(out);
	free(err);
	rc = run(W("--config", cfg, "logout"), NULL, &out, &err);
	server_stop();
	assert_int_equal(rc, 0);
	assert_non_null(strstr(srv.seen[0].headers, "Authorization: Bearer fvs_NEWTOKEN"));
	assert_string_equal(srv.seen[1].method, "DELETE");
	f = fopen(cfg, "r");
	n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	fclose(f);
	assert_null(strstr(text, "token"));
	assert_non_null(strstr(text, "url = "));
	free(out);
	free(err);

	char *rm = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(rm), 0);
	free(rm);
	free(cfg);
}

/* No request at all without a token. */
static void test_no_token_no_request(void **state)
{
	(void)state;
	static const struct reply none[1] = { { 200, "{}", NULL } };
	server_start_port(0, none, 1);
	char *out, *err;
	int rc = run(W("accounts", "list"), NULL, &out, &err);
	server_stop();
	assert_int_equal(rc, CLI_EXIT_UNAUTH);
	assert_int_equal(srv.nseen, 0);
	free(out);
	free(err);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_table),
		cmocka_unit_test(test_no_token_no_request),
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_login),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
