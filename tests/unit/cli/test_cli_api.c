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
#include <jansson.h>

#include "buf.h"
#include "cli.h"
#include "xalloc.h"

#define MAX_EXCHANGES 4

/* The tables below leave trailing fields (extra headers, standard input)
 * out where a case does not need them: they are zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

struct reply {
	int status;
	const char *body; /* NULL: no body (204) */
	const char *content_type;
	const char *headers; /* extra header lines, each ending in \r\n, or NULL */
	size_t len;          /* body length when it holds NUL bytes; 0: strlen */
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
		char head[1024];
		size_t blen = r->len ? r->len : r->body ? strlen(r->body) : 0;
		int hn = snprintf(head, sizeof head,
			"HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			"X-Request-Id: req_fake%zu\r\n%sConnection: close\r\n\r\n",
			r->status, r->content_type ? r->content_type : "application/json", blen, i,
			r->headers ? r->headers : "");
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

/* The locale the client runs in (LC_ALL, LC_MESSAGES or LANG). */
static const char *run_lang = "en_US.UTF-8";

/* Runs the client with argv (NUL-separated words in a string list). */
static int run(const char *const *words, const char *token, char **out, char **err)
{
	char *argv[64];
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
	struct cli_env env = { .token = token, .home = "/nonexistent-faxvault-home", .lang = run_lang };
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

static const char SECURITY_DOC[] = "{\"password_policy\":{\"min_length\":12,\"max_length\":128,"
	"\"check_common\":true,\"history\":0,\"max_age_days\":0,\"lockout_threshold\":10,"
	"\"lockout_minutes\":15,\"composition\":{\"require_upper\":false,\"require_lower\":false,"
	"\"require_digit\":false,\"require_symbol\":false}},\"mfa\":{\"required_for\":\"admins\"},"
	"\"session\":{\"idle_timeout_minutes\":30,\"max_lifetime_hours\":12},\"ip_allowlist\":[],"
	"\"rate_limit\":{\"requests_per_minute\":600,\"burst\":120},\"contacts_review_months\":12,"
	"\"updated_at\":null}";
static const char POSTURE_DOC[] = "{\"account_id\":\"acc_1\",\"items\":["
	"{\"id\":\"C01\",\"status\":\"pass\",\"title\":\"Contacts à jour\",\"detail\":\"Prochaine révision le 2027-01-01.\"},"
	"{\"id\":\"C07\",\"status\":\"fail\",\"title\":\"Second facteur\",\"detail\":\"1 admin sans second facteur.\"},"
	"{\"id\":\"C09\",\"status\":\"not_applicable\",\"title\":\"Durées conservation\",\"detail\":\"Pas encore disponible.\"}]}";
static const char MFA_BEGIN[] = "{\"secret\":\"JBSWY3DPEHPK3PXP\",\"otpauth_uri\":"
	"\"otpauth://totp/faxvault:a%40b.example?secret=JBSWY3DPEHPK3PXP&issuer=faxvault\","
	"\"qr_png\":\"/v1/me/mfa/totp/qr.png\"}";
static const char MFA_CONFIRM[] = "{\"recovery_codes\":[\"aaaa-bbbb\",\"cccc-dddd\"],"
	"\"note\":\"Each works once.\"}";
static const char TERMS_DOC[] = "{\"version\":\"2026-11\",\"text\":\"Conditions, ligne 1\\nligne \\u001b 2\","
	"\"text_en\":\"Terms, line 1\\r\\nline 2\",\"text_fr\":\"Conditions, ligne 1\\nligne \\u001b 2\","
	"\"published_at\":\"2026-11-01T00:00:00Z\",\"accepted\":false}";

/* The fax service (issue 4). */
static const char FAX_PARTIAL[] = "{\"id\":\"fax_1\",\"direction\":\"outbound\",\"status\":\"partial\","
	"\"from\":\"+33100000001\",\"to\":\"+33100000002\",\"page_count\":3,\"pages_confirmed\":2,"
	"\"pages\":[{\"page\":1,\"status\":\"confirmed\"},{\"page\":2,\"status\":\"confirmed\"},"
	"{\"page\":3,\"status\":\"failed\"}],\"estimated_cost\":30,\"cost\":20,\"currency\":\"EUR\","
	"\"attempts\":[{\"attempt\":1,\"started_at\":\"t\",\"duration_ms\":61000,\"pages_sent\":3,"
	"\"pages_confirmed\":2,\"transport\":\"t38\",\"bit_rate\":14400,\"ecm\":true,\"result\":\"partial\"}]}";
static const char ME_ACC1[] = "{\"id\":\"usr_1\",\"kind\":\"account\",\"account_id\":\"acc_1\"}";
#define NUMBER "{\"number\":\"+33100000001\",\"country\":\"FR\",\"trunk\":\"loopback\"," \
	"\"status\":\"assigned\",\"route_to\":\"shared\",\"assigned_at\":\"t\"}"
static const char CDR_CSV[] = "started_at,fax_id,direction,from,to,result,cost\r\n"
	"2026-11-23T10:00:00Z,fax_1,outbound,+33100000001,+33100000002,ok,30\r\n";

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
	const char *stdin_text; /* standard input, or NULL to leave it alone */
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
		{ { "GET", "/v1/accounts/acc_9", "Accept-Language: en", NULL, NULL } }, NULL,
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
	{ "audit verify prints what was not ruled out", W("audit", "verify"), "tok1",
		{ { 200, "{\"ok\":true,\"events\":12,\"first_broken\":null,\"not_ruled_out\":[{\"code\":"
			"\"no-checkpoint\",\"detail\":\"cannot rule out deletion of the newest events\"}]}", NULL } },
		1, 0, { { "GET", "/v1/provider/audit/verify", NULL, NULL, NULL } },
		"cannot rule out deletion of the newest events", NULL },
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
	/* ---- security controls (issue 5) ---- */
	{ "security show: two columns, words for empty values", W("security", "show", "--account", "acc_1"),
		"tok1", { { 200, SECURITY_DOC, NULL } }, 1, 0,
		{ { "GET", "/v1/accounts/acc_1/security", "Authorization: Bearer tok1", NULL, NULL } },
		"Second factor required for:        admins\n", NULL },
	{ "security show: empty allow-list said in words", W("security", "show", "--account", "acc_1"),
		"tok1", { { 200, SECURITY_DOC, NULL } }, 1, 0,
		{ { "GET", "/v1/accounts/acc_1/security", NULL, NULL, NULL } },
		"IP allow-list:                     any address (empty list)\n", NULL },
	{ "security show --json is the raw document", W("security", "show", "--account", "acc_1", "--json"),
		"tok1", { { 200, SECURITY_DOC, NULL } }, 1, 0,
		{ { "GET", "/v1/accounts/acc_1/security", NULL, NULL, NULL } },
		"\"ip_allowlist\": []", NULL },
	{ "security set builds a nested partial PATCH",
		W("security", "set", "--account", "acc_1", "--min-length", "14", "--history", "5",
			"--no-require-upper", "--require-digit", "--mfa", "admins", "--idle-timeout", "15",
			"--allow", "10.0.0.0/8", "--allow", "2001:db8::/32,192.0.2.1/32", "--rate-limit", "100",
			"--contacts-review-months", "6"), "tok1",
		{ { 200, SECURITY_DOC, NULL } }, 1, 0,
		{ { "PATCH", "/v1/accounts/acc_1/security", "Content-Type: application/json", NULL,
			"{\"password_policy\":{\"min_length\":14,\"history\":5,\"composition\":"
			"{\"require_upper\":false,\"require_digit\":true}},\"session\":{\"idle_timeout_minutes\":15},"
			"\"rate_limit\":{\"requests_per_minute\":100},\"contacts_review_months\":6,"
			"\"mfa\":{\"required_for\":\"admins\"},"
			"\"ip_allowlist\":[\"10.0.0.0/8\",\"2001:db8::/32\",\"192.0.2.1/32\"]}" } },
		"Security settings updated.\nPassword minimum length:", NULL },
	{ "security set --clear-allowlist sends an empty list",
		W("security", "set", "--account", "acc_1", "--clear-allowlist", "--json"), "tok1",
		{ { 200, SECURITY_DOC, NULL } }, 1, 0,
		{ { "PATCH", "/v1/accounts/acc_1/security", NULL, NULL, "{\"ip_allowlist\":[]}" } },
		"\"min_length\": 12", NULL },
	{ "security set: the other flags and limits",
		W("security", "set", "--account", "acc_1", "--max-length", "128", "--no-check-common",
			"--max-age-days", "0", "--lockout-threshold", "5", "--lockout-minutes", "30",
			"--require-upper", "--require-lower", "--no-require-symbol", "--max-lifetime", "8",
			"--burst", "20"), "tok1",
		{ { 200, SECURITY_DOC, NULL } }, 1, 0,
		{ { "PATCH", "/v1/accounts/acc_1/security", NULL, NULL,
			"{\"password_policy\":{\"max_length\":128,\"max_age_days\":0,\"lockout_threshold\":5,"
			"\"lockout_minutes\":30,\"check_common\":false,\"composition\":{\"require_upper\":true,"
			"\"require_lower\":true,\"require_symbol\":false}},\"session\":{\"max_lifetime_hours\":8},"
			"\"rate_limit\":{\"burst\":20}}" } }, NULL, NULL },
	{ "security set: 422 names the field, exit 6",
		W("security", "set", "--account", "acc_1", "--min-length", "8"), "tok1",
		{ { 422, "{\"type\":\"urn:faxvault:problem:validation-failed\",\"title\":\"The request is not valid\","
			"\"detail\":\"password_policy.min_length must be at least 12\",\"field\":\"password_policy.min_length\"}",
			"application/problem+json" } }, 1, CLI_EXIT_INVALID,
		{ { "PATCH", "/v1/accounts/acc_1/security", NULL, NULL, "{\"password_policy\":{\"min_length\":8}}" } },
		NULL, "password_policy.min_length must be at least 12" },
	{ "security set --json-patch -: the document as it is, updated_at dropped",
		W("security", "set", "--account", "acc_1", "--json-patch", "-"), "tok1",
		{ { 200, SECURITY_DOC, NULL } }, 1, 0,
		{ { "PATCH", "/v1/accounts/acc_1/security", NULL, NULL,
			"{\"session\":{\"idle_timeout_minutes\":10},\"ip_allowlist\":[\"::1/128\"]}" } },
		"Security settings updated.", NULL,
		"{\"session\":{\"idle_timeout_minutes\":10},\"updated_at\":\"2026-01-01T00:00:00Z\","
		"\"ip_allowlist\":[\"::1/128\"]}" },
	{ "security set --json-patch that is not an object: no request",
		W("security", "set", "--account", "acc_1", "--json-patch", "-"), "tok1",
		{ { 200, SECURITY_DOC, NULL } }, 1, CLI_EXIT_USAGE, { { NULL, NULL, NULL, NULL, NULL } },
		NULL, "must hold a JSON object", "[1,2]" },
	{ "security set --json-patch that is not JSON: no request",
		W("security", "set", "--account", "acc_1", "--json-patch", "-"), "tok1",
		{ { 200, SECURITY_DOC, NULL } }, 1, CLI_EXIT_USAGE, { { NULL, NULL, NULL, NULL, NULL } },
		NULL, "is not JSON", "{nope" },
	{ "posture: a marker per status, summary, exit 0 despite a failure",
		W("--lang", "fr", "posture", "--account", "acc_1"), "tok1", { { 200, POSTURE_DOC, NULL } }, 1, 0,
		{ { "GET", "/v1/accounts/acc_1/posture", "Accept-Language: fr", NULL, NULL } },
		"ID   STATUS  TITLE                DETAIL\n"
		"C01  [ok]    Contacts à jour      Prochaine révision le 2027-01-01.\n"
		"C07  [FAIL]  Second facteur       1 admin sans second facteur.\n"
		"C09  [n/a]   Durées conservation  Pas encore disponible.\n"
		"\nRéussis : 1 ; échoués : 1 ; sans objet : 1.\n", NULL },
	{ "posture --strict: exit 1 when a check fails",
		W("posture", "--account", "acc_1", "--strict"), "tok1", { { 200, POSTURE_DOC, NULL } }, 1,
		CLI_EXIT_ERROR, { { "GET", "/v1/accounts/acc_1/posture", NULL, NULL, NULL } },
		"[FAIL]", "1 posture check failed" },
	{ "posture --strict --json: all pass, exit 0",
		W("posture", "--account", "acc_1", "--strict", "--json"), "tok1",
		{ { 200, "{\"account_id\":\"acc_1\",\"items\":[{\"id\":\"C01\",\"status\":\"pass\","
			"\"title\":\"t\",\"detail\":\"d\"}]}", NULL } }, 1, 0,
		{ { "GET", "/v1/accounts/acc_1/posture", NULL, NULL, NULL } }, "\"status\": \"pass\"", NULL },
	{ "posture without items", W("posture", "--account", "acc_1"), "tok1",
		{ { 200, "{\"account_id\":\"acc_1\"}", NULL } }, 1, CLI_EXIT_SERVER,
		{ { "GET", "/v1/accounts/acc_1/posture", NULL, NULL, NULL } }, NULL, "no \"items\"" },
	{ "mfa enrol without a terminal only begins",
		W("mfa", "enrol"), "tok1",
		{ { 201, MFA_BEGIN, NULL } }, 1, 0,
		{ { "POST", "/v1/me/mfa/totp", "Content-Length: 0", NULL, "" } },
		"    Secret:  JBSWY3DPEHPK3PXP\n    URI:     otpauth://totp/faxvault:a%40b.example?secret=JBSWY3DPEHPK3PXP&issuer=faxvault\n",
		NULL, "" },
	{ "mfa enrol --no-confirm --json prints the begin answer",
		W("mfa", "enrol", "--no-confirm", "--json"), "tok1",
		{ { 201, MFA_BEGIN, NULL } }, 1, 0, { { "POST", "/v1/me/mfa/totp", NULL, NULL, "" } },
		"\"secret\": \"JBSWY3DPEHPK3PXP\"", NULL },
	{ "mfa confirm: spaces dropped, recovery codes printed once",
		W("mfa", "confirm", "--code", "123 456"), "tok1",
		{ { 200, MFA_CONFIRM, NULL } }, 1, 0,
		{ { "POST", "/v1/me/mfa/totp/confirm", NULL, NULL, "{\"code\":\"123456\"}" } },
		"store them safely):\n\n    aaaa-bbbb\n    cccc-dddd\n\nEach works once.\n", NULL },
	{ "mfa confirm: a wrong code is invalid input",
		W("mfa", "confirm", "--code", "000000"), "tok1",
		{ { 422, "{\"type\":\"urn:faxvault:problem:invalid-mfa-code\",\"title\":\"The second-factor code is wrong\"}",
			"application/problem+json" } }, 1, CLI_EXIT_INVALID,
		{ { "POST", "/v1/me/mfa/totp/confirm", NULL, NULL, "{\"code\":\"000000\"}" } },
		NULL, "The second-factor code is wrong" },
	{ "mfa confirm: not a code, no request", W("mfa", "confirm", "--code", "12ab"), "tok1",
		{ { 200, "{}", NULL } }, 1, CLI_EXIT_USAGE, { { NULL, NULL, NULL, NULL, NULL } },
		NULL, "6 digits" },
	{ "mfa disable: DELETE with a JSON body", W("mfa", "disable", "--code", "654321"), "tok1",
		{ { 204, NULL, NULL } }, 1, 0,
		{ { "DELETE", "/v1/me/mfa/totp", "Content-Type: application/json", NULL, "{\"code\":\"654321\"}" } },
		"Second factor removed", NULL },
	{ "mfa status", W("mfa", "status"), "tok1",
		{ { 200, "{\"id\":\"usr_1\",\"mfa\":{\"totp\":true}}", NULL } }, 1, 0,
		{ { "GET", "/v1/me", NULL, NULL, NULL } }, "Second factor: enrolled", NULL },
	{ "whoami shows the second factor and pending steps", W("whoami"), "tok1",
		{ { 200, "{\"id\":\"usr_1\",\"mfa\":{\"totp\":false},\"pending\":[\"accept_terms\",\"enrol_mfa\"]}",
			NULL } }, 1, 0, { { "GET", "/v1/me", NULL, NULL, NULL } },
		"MFA (TOTP):   no\nPending:      accept_terms,enrol_mfa\n", NULL },
	{ "terms show: token sent when there is one, lines kept", W("terms", "show"), "tok1",
		{ { 200, TERMS_DOC, NULL } }, 1, 0,
		{ { "GET", "/v1/terms/current", "Authorization: Bearer tok1", NULL, NULL } },
		"Terms of service, version 2026-11 (published 2026-11-01T00:00:00Z)\n"
		"You have not accepted this version. Accept it with 'faxvault terms accept'.\n\n"
		"Conditions, ligne 1\nligne ? 2\n", NULL },
	{ "terms show --lang en without a session: no token needed", W("terms", "show", "--lang", "en"), NULL,
		{ { 200, TERMS_DOC, NULL } }, 1, 0,
		{ { "GET", "/v1/terms/current", NULL, "Authorization", NULL } }, "\nTerms, line 1\nline 2\n", NULL },
	{ "terms show --lang de", W("terms", "show", "--lang", "de"), NULL,
		{ { 200, TERMS_DOC, NULL } }, 1, CLI_EXIT_USAGE, { { NULL, NULL, NULL, NULL, NULL } }, NULL, "en or fr" },
	{ "terms accept without a version accepts the current one", W("terms", "accept"), "tok1",
		{ { 200, TERMS_DOC, NULL }, { 200, "{\"version\":\"2026-11\",\"accepted_at\":\"2026-11-23T10:00:00Z\","
			"\"source\":\"127.0.0.1\"}", NULL } }, 2, 0,
		{ { "GET", "/v1/terms/current", NULL, NULL, NULL },
		  { "POST", "/v1/me/terms/accept", "Authorization: Bearer tok1", NULL, "{\"version\":\"2026-11\"}" } },
		"Accepted the terms of service, version 2026-11, at 2026-11-23T10:00:00Z.", NULL },
	{ "terms accept VERSION: one request", W("terms", "accept", "2026-10", "--json"), "tok1",
		{ { 422, "{\"title\":\"The request is not valid\",\"detail\":\"only the current version can be accepted\"}",
			NULL } }, 1, CLI_EXIT_INVALID,
		{ { "POST", "/v1/me/terms/accept", NULL, NULL, "{\"version\":\"2026-10\"}" } },
		NULL, "only the current version" },
	{ "terms pending", W("terms", "pending", "--account", "acc_1"), "tok1",
		{ { 200, "{\"version\":\"2026-11\",\"items\":[{\"id\":\"usr_2\",\"email\":\"u@a.example\","
			"\"name\":\"U\",\"role\":\"user\"}],\"next_cursor\":null}", NULL } }, 1, 0,
		{ { "GET", "/v1/accounts/acc_1/terms/pending", NULL, NULL, NULL } },
		"ID     EMAIL        NAME  ROLE\nusr_2  u@a.example  U     user\n", NULL },
	{ "contacts confirm", W("contacts", "confirm", "--account", "acc_1"), "tok1",
		{ { 200, "{\"confirmed_at\":\"2026-11-23T10:00:00Z\",\"next_review_due\":\"2027-11-18T10:00:00Z\"}",
			NULL } }, 1, 0,
		{ { "POST", "/v1/accounts/acc_1/contacts/confirm", "Content-Length: 0", NULL, "" } },
		"Next review due:  2027-11-18T10:00:00Z\n", NULL },
	{ "contacts confirm by someone else than the owner",
		W("contacts", "confirm", "--account", "acc_1"), "tok1",
		{ { 403, "{\"type\":\"urn:faxvault:problem:owner-only\",\"title\":\"Only the owner\"}", NULL } }, 1,
		CLI_EXIT_FORBIDDEN, { { "POST", "/v1/accounts/acc_1/contacts/confirm", NULL, NULL, "" } },
		NULL, "Only the owner" },
	{ "users unlock", W("users", "unlock", "--account", "acc_1", "usr_2"), "tok1",
		{ { 200, "{\"id\":\"usr_2\",\"email\":\"u@a.example\",\"status\":\"active\"}", NULL } }, 1, 0,
		{ { "POST", "/v1/accounts/acc_1/users/usr_2/unlock", NULL, NULL, "" } },
		"User unlocked", NULL },
	{ "sessions list --account: every member's sessions",
		W("sessions", "list", "--account", "acc_1"), "tok1",
		{ { 200, "{\"items\":[{\"id\":\"ses_1\",\"user_id\":\"usr_1\",\"email\":\"a@b.example\","
			"\"source\":\"127.0.0.1\",\"created_at\":\"c\",\"last_seen_at\":\"l\",\"expires_at\":\"e\"}],"
			"\"next_cursor\":null}", NULL } }, 1, 0,
		{ { "GET", "/v1/accounts/acc_1/sessions", NULL, NULL, NULL } },
		"ID     USER   EMAIL        SOURCE     CREATED  LAST SEEN  EXPIRES\n"
		"ses_1  usr_1  a@b.example  127.0.0.1  c        l          e\n", NULL },
	{ "sessions list without --account: your own", W("sessions", "list"), "tok1",
		{ { 200, "{\"items\":[],\"next_cursor\":null}", NULL } }, 1, 0,
		{ { "GET", "/v1/me/sessions", NULL, NULL, NULL } }, "ID  CREATED  LAST SEEN", NULL },
	{ "sessions revoke --account", W("sessions", "revoke", "--account", "acc_1", "ses_9"), "tok1",
		{ { 204, NULL, NULL } }, 1, 0,
		{ { "DELETE", "/v1/accounts/acc_1/sessions/ses_9", NULL, NULL, "" } }, "Session revoked.", NULL },
	{ "sessions revoke: your own", W("sessions", "revoke", "ses_9"), "tok1",
		{ { 204, NULL, NULL } }, 1, 0,
		{ { "DELETE", "/v1/me/sessions/ses_9", NULL, NULL, "" } }, "Session revoked.", NULL },
	{ "password change: two lines of standard input", W("password", "change", "--password-stdin"), "tok1",
		{ { 204, NULL, NULL } }, 1, 0,
		{ { "POST", "/v1/me/password", "Authorization: Bearer tok1", NULL,
			"{\"current_password\":\"old pass 1\",\"new_password\":\"new-pass-2026\"}" } },
		"Password changed.", NULL, "old pass 1\nnew-pass-2026\n" },
	{ "password change: the policy refuses", W("password", "change", "--password-stdin"), "tok1",
		{ { 422, "{\"type\":\"urn:faxvault:problem:weak-password\",\"title\":\"The password does not meet the policy\","
			"\"detail\":\"too short\"}", NULL } }, 1, CLI_EXIT_INVALID,
		{ { "POST", "/v1/me/password", NULL, NULL, NULL } }, NULL, "too short", "old pass 1\nshort\n" },
	{ "password change: one line only", W("password", "change", "--password-stdin"), "tok1",
		{ { 204, NULL, NULL } }, 1, CLI_EXIT_USAGE, { { NULL, NULL, NULL, NULL, NULL } },
		NULL, "expected the password", "only-one\n" },
	{ "password change: the same password", W("password", "change", "--password-stdin"), "tok1",
		{ { 204, NULL, NULL } }, 1, CLI_EXIT_USAGE, { { NULL, NULL, NULL, NULL, NULL } },
		NULL, "is the current one", "same\nsame\n" },
	{ "password reset request: public, 202", W("password", "reset", "request", "--email", "a@b.example"),
		"tok1", { { 202, "{\"status\":\"accepted\"}", NULL } }, 1, 0,
		{ { "POST", "/v1/password-resets", NULL, "Authorization", "{\"email\":\"a@b.example\"}" } },
		"Reset requested.", NULL },
	{ "password reset complete: the token in the body, never in the URL",
		W("password", "reset", "complete", "fvr_a/b", "--password-stdin"), "tok1",
		{ { 204, NULL, NULL } }, 1, 0,
		{ { "POST", "/v1/password-resets/complete", NULL, "Authorization",
			"{\"token\":\"fvr_a/b\",\"password\":\"brand-new-2026\"}" } },
		"Password reset", NULL, "brand-new-2026\n" },
	{ "password reset complete: an unknown token",
		W("password", "reset", "complete", "fvr_x", "--password-stdin"), NULL,
		{ { 410, "{\"title\":\"The token is unknown, used or expired\"}", NULL } }, 1, CLI_EXIT_NOTFOUND,
		{ { "POST", "/v1/password-resets/complete", NULL, NULL, NULL } }, NULL, "unknown, used or expired",
		"brand-new-2026\n" },
	{ "429: Retry-After printed", W("whoami"), "tok1",
		{ { 429, "{\"type\":\"urn:faxvault:problem:rate-limited\",\"title\":\"Too many requests: slow down\"}",
			"application/problem+json", "Retry-After: 7\r\nRateLimit-Limit: 60\r\nRateLimit-Remaining: 0\r\n"
			"RateLimit-Reset: 7\r\n" } }, 1, CLI_EXIT_RATELIMIT,
		{ { "GET", "/v1/me", NULL, NULL, NULL } }, NULL, "rate limited, retry in 7 s\n" },
	{ "429: RateLimit-Reset when Retry-After is missing", W("users", "list", "--account", "acc_1"), "tok1",
		{ { 429, "{\"title\":\"Too many requests\"}", NULL, "ratelimit-reset:  12 \r\n" } }, 1, CLI_EXIT_RATELIMIT,
		{ { "GET", "/v1/accounts/acc_1/users", NULL, NULL, NULL } }, NULL, "rate limited, retry in 12 s\n" },
	{ "429 without headers", W("whoami"), "tok1",
		{ { 429, "{\"title\":\"Too many requests\"}", NULL, "Retry-After: Wed, 21 Oct 2026 07:28:00 GMT\r\n" } },
		1, CLI_EXIT_RATELIMIT, { { "GET", "/v1/me", NULL, NULL, NULL } }, NULL, "rate limited, retry later\n" },
	{ "403 terms not accepted: names the command", W("users", "list", "--account", "acc_1"), "tok1",
		{ { 403, "{\"type\":\"urn:faxvault:problem:terms-not-accepted\",\"title\":\"You must accept the current terms\"}",
			NULL } }, 1, CLI_EXIT_FORBIDDEN, { { "GET", "/v1/accounts/acc_1/users", NULL, NULL, NULL } },
		NULL, "hint: accept the terms of service first: read them with 'faxvault terms show', then run 'faxvault terms accept'" },
	{ "403 second factor required: names the command", W("accounts", "list"), "tok1",
		{ { 403, "{\"type\":\"urn:faxvault:problem:mfa-enrolment-required\",\"title\":\"Enrol\"}", NULL } }, 1,
		CLI_EXIT_FORBIDDEN, { { "GET", "/v1/accounts", NULL, NULL, NULL } }, NULL, "run 'faxvault mfa enrol'" },
	{ "403 password expired: names the command", W("accounts", "list"), "tok1",
		{ { 403, "{\"type\":\"urn:faxvault:problem:password-expired\",\"title\":\"Expired\"}", NULL } }, 1,
		CLI_EXIT_FORBIDDEN, { { "GET", "/v1/accounts", NULL, NULL, NULL } }, NULL,
		"run 'faxvault password change'" },
	{ "a server-sent escape cannot reach the terminal", W("accounts", "show", "acc_1"), "tok1",
		{ { 200, "{\"id\":\"acc_1\",\"name\":\"\\u001b]0;pwned\\u0007Acme\"}", NULL } }, 1, 0,
		{ { "GET", "/v1/accounts/acc_1", NULL, NULL, NULL } }, "?]0;pwned?Acme", NULL },	/* ---- the fax service (issue 4) ---- */
	{ "fax status: details and the attempts table", W("fax", "status", "fax_1"), "tok1",
		{ { 200, FAX_PARTIAL, NULL } }, 1, 0,
		{ { "GET", "/v1/faxes/fax_1", "Authorization: Bearer tok1", NULL, NULL } },
		"Page status:      1-2 confirmed, 3 failed\n", NULL },
	{ "fax status --json is the server's document", W("fax", "status", "fax_1", "--json"), "tok1",
		{ { 200, FAX_PARTIAL, NULL } }, 1, 0, { { "GET", "/v1/faxes/fax_1", NULL, NULL, NULL } },
		"\"pages_confirmed\": 2", NULL },
	{ "fax list: direction and status in the query, pages confirmed/total",
		W("fax", "list", "--inbound", "--status", "delivered"), "tok1",
		{ { 200, "{\"items\":[{\"id\":\"fax_9\",\"direction\":\"inbound\",\"from\":\"+33100000001\","
			"\"to\":\"+33100000002\",\"page_count\":3,\"pages_confirmed\":3,\"status\":\"delivered\","
			"\"created_at\":\"t\"}],\"next_cursor\":null}", NULL } }, 1, 0,
		{ { "GET", "/v1/faxes?direction=inbound&status=delivered", NULL, NULL, NULL } },
		"fax_9  inbound    +33100000001  +33100000002  3/3    delivered  t\n", NULL },
	{ "fax cancel: empty POST", W("fax", "cancel", "fax_1"), "tok1",
		{ { 200, "{\"id\":\"fax_1\",\"status\":\"cancelled\",\"to\":\"+33100000002\",\"page_count\":1}",
			NULL } }, 1, 0,
		{ { "POST", "/v1/faxes/fax_1/cancel", "Content-Length: 0", NULL, "" } },
		"Fax cancelled.\nID:      fax_1\nStatus:  cancelled\n", NULL },
	{ "fax cancel of a delivered fax: 409, exit 6", W("fax", "cancel", "fax_1"), "tok1",
		{ { 409, "{\"type\":\"urn:faxvault:problem:conflict\",\"title\":\"Conflict\","
			"\"detail\":\"the fax is already delivered\"}", "application/problem+json" } }, 1,
		CLI_EXIT_INVALID, { { "POST", "/v1/faxes/fax_1/cancel", NULL, NULL, "" } }, NULL,
		"the fax is already delivered" },
	{ "fax resend: only the pages that failed", W("fax", "resend", "fax_1"), "tok1",
		{ { 202, FAX_PARTIAL, NULL } }, 1, 0,
		{ { "POST", "/v1/faxes/fax_1/resend", "Content-Type: application/json", NULL,
			"{\"pages\":\"failed\"}" } }, "Fax queued again.\nID     TO", NULL },
	{ "fax resend --all-pages", W("fax", "resend", "fax_1", "--all-pages", "--json"), "tok1",
		{ { 202, FAX_PARTIAL, NULL } }, 1, 0,
		{ { "POST", "/v1/faxes/fax_1/resend", NULL, NULL, "{\"pages\":\"all\"}" } },
		"\"id\": \"fax_1\"", NULL },
	{ "numbers request: the account from /v1/me", W("numbers", "request", "--country", "FR",
			"--route-to", "shared", "--idempotency-key", "n-1"), "tok1",
		{ { 200, ME_ACC1, NULL }, { 201, NUMBER, NULL } }, 2, 0,
		{ { "GET", "/v1/me", NULL, NULL, NULL },
		  { "POST", "/v1/accounts/acc_1/numbers", "Idempotency-Key: n-1", NULL,
			"{\"country\":\"FR\",\"route_to\":\"shared\"}" } },
		"Number assigned.\nNumber:    +33100000001\n", NULL },
	{ "numbers request for another account: no /v1/me", W("numbers", "request", "--account", "acc_2",
			"--country", "FR", "--area-code", "1"), "tok1",
		{ { 201, NUMBER, NULL } }, 1, 0,
		{ { "POST", "/v1/accounts/acc_2/numbers", NULL, NULL, "{\"country\":\"FR\",\"area_code\":\"1\"}" } },
		"Route to:  shared", NULL },
	{ "numbers request: inventory exhausted, exit 6", W("numbers", "request", "--account", "acc_1",
			"--country", "FR"), "tok1",
		{ { 409, "{\"type\":\"urn:faxvault:problem:numbers-exhausted\",\"title\":\"No number is available "
			"for this request\"}", "application/problem+json" } }, 1, CLI_EXIT_INVALID,
		{ { "POST", "/v1/accounts/acc_1/numbers", NULL, NULL, NULL } }, NULL, "No number is available" },
	{ "numbers list without an account of one's own", W("numbers", "list"), "tok1",
		{ { 200, "{\"id\":\"stf_1\",\"kind\":\"provider\",\"account_id\":null}", NULL } }, 1,
		CLI_EXIT_USAGE, { { "GET", "/v1/me", NULL, NULL, NULL } }, NULL, "give --account" },
	{ "numbers list", W("numbers", "list", "--account", "acc_1"), "tok1",
		{ { 200, "{\"items\":[" NUMBER "],\"next_cursor\":null}", NULL } }, 1, 0,
		{ { "GET", "/v1/accounts/acc_1/numbers", NULL, NULL, NULL } },
		"+33100000001  FR       loopback  assigned  shared    t\n", NULL },
	{ "numbers route: + encoded in the path", W("numbers", "route", "--account", "acc_1",
			"+33100000001", "--to", "usr_2"), "tok1",
		{ { 200, NUMBER, NULL } }, 1, 0,
		{ { "PATCH", "/v1/accounts/acc_1/numbers/%2B33100000001", NULL, NULL, "{\"route_to\":\"usr_2\"}" } },
		"Number routed.", NULL },
	{ "numbers release: DELETE, 204", W("numbers", "release", "--account", "acc_1", "+33100000001"),
		"tok1", { { 204, NULL, NULL } }, 1, 0,
		{ { "DELETE", "/v1/accounts/acc_1/numbers/%2B33100000001", NULL, NULL, "" } },
		"Number released", NULL },
	{ "numbers import: trunk and numbers", W("numbers", "import", "--trunk", "loopback",
			"+33100000001", "+33100000002"), "tok1",
		{ { 201, "{\"trunk\":\"loopback\",\"imported\":1,\"skipped\":[{\"number\":\"+33100000002\","
			"\"reason\":\"duplicate\"}]}", NULL } }, 1, 0,
		{ { "POST", "/v1/provider/numbers", NULL, NULL,
			"{\"trunk\":\"loopback\",\"numbers\":[\"+33100000001\",\"+33100000002\"]}" } },
		"Imported 1 number.\nSkipped +33100000002 (duplicate).\n", NULL },
	{ "numbers import --file -", W("numbers", "import", "--trunk", "loopback", "--file", "-"), "tok1",
		{ { 201, "{\"trunk\":\"loopback\",\"imported\":3,\"skipped\":[]}", NULL } }, 1, 0,
		{ { "POST", "/v1/provider/numbers", NULL, NULL,
			"{\"trunk\":\"loopback\",\"numbers\":[\"+33100000001\",\"+33100000002\",\"+33100000003\"]}" } },
		"Imported 3 numbers.", NULL, "# ours\n+33100000001\n+33100000002, +33100000003\n" },
	{ "numbers inventory", W("numbers", "inventory"), "tok1",
		{ { 200, "{\"items\":[{\"number\":\"+33100000001\",\"trunk_id\":\"loopback\",\"status\":"
			"\"quarantined\",\"account_id\":null,\"quarantine_until\":\"2027-01-01T00:00:00Z\"}],"
			"\"next_cursor\":null}", NULL } }, 1, 0,
		{ { "GET", "/v1/provider/numbers", NULL, NULL, NULL } },
		"+33100000001  loopback  quarantined  -        -         2027-01-01T00:00:00Z\n", NULL },
	{ "cdrs: filters, durations, amounts with currency", W("cdrs", "--account", "acc_1",
			"--since", "2026-11-01T00:00:00Z", "--direction", "outbound", "--result", "ok"), "tok1",
		{ { 200, "{\"items\":[{\"started_at\":\"t\",\"fax_id\":\"fax_1\",\"direction\":\"outbound\","
			"\"from\":\"+33100000001\",\"to\":\"+33100000002\",\"duration_ms\":65000,\"pages_sent\":3,"
			"\"pages_confirmed\":3,\"transport\":\"t38\",\"result\":\"ok\",\"cost\":30,"
			"\"currency\":\"EUR\"}],\"next_cursor\":null}", NULL } }, 1, 0,
		{ { "GET", "/v1/accounts/acc_1/cdrs?since=2026-11-01T00%3A00%3A00Z&direction=outbound&result=ok",
			NULL, NULL, NULL } },
		"t        fax_1  outbound   +33100000001  +33100000002  1m05s     3/3    t38        ok      0.30 EUR\n",
		NULL },
	{ "cdrs --csv: Accept text/csv, written as received", W("cdrs", "--csv"), "tok1",
		{ { 200, ME_ACC1, NULL }, { 200, CDR_CSV, "text/csv" } }, 2, 0,
		{ { "GET", "/v1/me", NULL, NULL, NULL },
		  { "GET", "/v1/accounts/acc_1/cdrs", "Accept: text/csv, application/problem+json", NULL, NULL } },
		CDR_CSV, NULL },
	{ "cdrs --csv without billing.read: 403, exit 4", W("cdrs", "--csv", "--account", "acc_1"), "tok1",
		{ { 403, "{\"title\":\"Forbidden\",\"detail\":\"billing.read is required\"}",
			"application/problem+json" } }, 1, CLI_EXIT_FORBIDDEN,
		{ { "GET", "/v1/accounts/acc_1/cdrs", NULL, NULL, NULL } }, NULL, "billing.read is required" },
	{ "webhooks create: url and events, the secret once", W("webhooks", "create", "--account", "acc_1",
			"https://hooks.example/fax", "--event", "fax.delivered,fax.failed", "--event", "fax.received",
			"--description", "EHR"),
		"tok1", { { 201, "{\"id\":\"wh_1\",\"url\":\"https://hooks.example/fax\",\"secret\":\"whsec_S\"}",
			NULL } }, 1, 0,
		{ { "POST", "/v1/accounts/acc_1/webhooks", NULL, NULL,
			"{\"url\":\"https://hooks.example/fax\",\"events\":[\"fax.delivered\",\"fax.failed\","
			"\"fax.received\"],\"description\":\"EHR\"}" } },
		"shown only now: verify each request's webhook-signature header with it.\n"
		"ID:              wh_1\n", NULL },
	{ "webhooks list", W("webhooks", "list", "--account", "acc_1"), "tok1",
		{ { 200, "{\"items\":[{\"id\":\"wh_1\",\"url\":\"https://hooks.example/fax\",\"events\":"
			"[\"fax.delivered\",\"fax.failed\"],\"status\":\"active\",\"created_at\":\"t\"}],"
			"\"next_cursor\":null}", NULL } }, 1, 0,
		{ { "GET", "/v1/accounts/acc_1/webhooks", NULL, NULL, NULL } },
		"wh_1  https://hooks.example/fax  fax.delivered,fax.failed  active  t\n", NULL },
	{ "webhooks deliveries", W("webhooks", "deliveries", "--account", "acc_1", "wh_1", "--limit", "5"),
		"tok1", { { 200, "{\"items\":[{\"id\":\"whd_1\",\"event_id\":\"msg_1\",\"type\":\"fax.delivered\","
			"\"status\":\"failed\",\"attempts\":3,\"last_status_code\":500,\"last_error\":\"boom\","
			"\"next_attempt_at\":null,\"created_at\":\"t\"}],\"next_cursor\":null}", NULL } }, 1, 0,
		{ { "GET", "/v1/accounts/acc_1/webhooks/wh_1/deliveries?limit=5", NULL, NULL, NULL } },
		"whd_1  msg_1  fax.delivered  failed  3         500   boom   -             t\n", NULL },
	{ "webhooks test", W("webhooks", "test", "--account", "acc_1", "wh_1"), "tok1",
		{ { 202, "{\"event_id\":\"msg_2\",\"delivery_id\":\"whd_2\",\"status\":\"pending\"}", NULL } }, 1, 0,
		{ { "POST", "/v1/accounts/acc_1/webhooks/wh_1/test", NULL, NULL, "" } },
		"Test event queued (see 'faxvault webhooks deliveries').\nEvent:     msg_2\n", NULL },
	{ "webhooks delete", W("webhooks", "delete", "--account", "acc_1", "wh_1"), "tok1",
		{ { 204, NULL, NULL } }, 1, 0,
		{ { "DELETE", "/v1/accounts/acc_1/webhooks/wh_1", NULL, NULL, "" } }, "Webhook deleted.", NULL },
	{ "idp add oidc: the secret from stdin, the role map", W("idp", "add", "--account", "acc_1",
			"--type", "oidc", "--issuer", "https://idp.example/realms/m", "--client-id", "fv",
			"--client-secret-stdin", "--provisioning", "jit", "--role-claim", "groups",
			"--role-map", "fax-admins=admin", "--role-map", "a=b=billing"), "tok1",
		{ { 201, "{\"id\":\"idp_1\",\"type\":\"oidc\",\"client_secret_set\":true}", NULL } },
		1, 0,
		{ { "POST", "/v1/accounts/acc_1/identity-providers", NULL, NULL,
			"{\"type\":\"oidc\",\"provisioning\":\"jit\",\"role_claim\":\"groups\","
			"\"role_map\":{\"fax-admins\":\"admin\",\"a=b\":\"billing\"},"
			"\"issuer\":\"https://idp.example/realms/m\",\"client_id\":\"fv\","
			"\"client_secret\":\"s3cret value\"}" } },
		"ID:                idp_1\n", NULL, "s3cret value\n" },
	{ "idp add saml: the issuer is OIDC's", W("idp", "add", "--account", "acc_1", "--type", "saml",
			"--issuer", "https://x.example"), "tok1", { { 0 } }, 0, CLI_EXIT_USAGE, { { 0 } }, NULL,
		"--issuer is not for --type saml" },
	{ "scim-token create: the token once", W("scim-token", "create", "--account", "acc_1", "--name",
			"Okta"), "tok1",
		{ { 201, "{\"id\":\"sct_1\",\"name\":\"Okta\",\"token\":\"fvc_T\"}", NULL } }, 1, 0,
		{ { "POST", "/v1/accounts/acc_1/scim-tokens", NULL, NULL, "{\"name\":\"Okta\"}" } },
		"Created SCIM token sct_1 (Okta).\nToken, shown only now (store it in the identity "
		"provider; it cannot be shown again):\n\n    fvc_T\n", NULL },
	{ "sso-domain verify: the DNS check's refusal", W("sso-domain", "verify", "--account", "acc_1",
			"sdm_1"), "tok1",
		{ { 422, "{\"title\":\"Validation failed\",\"detail\":\"the TXT record was not found "
			"(txt_not_found): publish it and try again\"}", "application/problem+json" } }, 1,
		CLI_EXIT_INVALID,
		{ { "POST", "/v1/accounts/acc_1/sso-domains/sdm_1/verify", NULL, NULL, "" } }, NULL,
		"txt_not_found" },
	{ "sso-domain add: the record to publish", W("sso-domain", "add", "--account", "acc_1",
			"clinic.example"), "tok1",
		{ { 201, "{\"id\":\"sdm_1\",\"domain\":\"clinic.example\",\"status\":\"pending\","
			"\"dns\":{\"type\":\"TXT\",\"name\":\"_faxvault-challenge.clinic.example\","
			"\"value\":\"faxvault-domain-verification=T\"}}", NULL } }, 1, 0,
		{ { "POST", "/v1/accounts/acc_1/sso-domains", NULL, NULL, "{\"domain\":\"clinic.example\"}" } },
		"TXT value:   faxvault-domain-verification=T\n", NULL },
	{ "trunks create: settings and the password from stdin", W("trunks", "create", "--id", "carrier",
			"--name", "Carrier", "--peer", "192.0.2.7:5060", "--username", "fv", "--password-stdin", "--transport",
			"g711_only", "--max-calls", "4", "--prefix", "+33,+32"), "tok1",
		{ { 201, "{\"id\":\"carrier\",\"name\":\"Carrier\",\"peer\":\"192.0.2.7:5060\",\"status\":\"active\","
			"\"has_password\":true}",
			NULL } }, 1, 0,
		{ { "POST", "/v1/provider/trunks", NULL, NULL,
			"{\"id\":\"carrier\",\"name\":\"Carrier\",\"peer\":\"192.0.2.7:5060\",\"username\":\"fv\","
			"\"transport\":\"g711_only\",\"max_calls\":4,\"prefixes\":[\"+33\",\"+32\"],"
			"\"password\":\"s3cret\"}" } },
		"Password stored:  yes\n", NULL, "s3cret\n" },
	{ "trunks update", W("trunks", "update", "loopback", "--max-calls", "8", "--status", "disabled"),
		"tok1", { { 200, "{\"id\":\"loopback\",\"max_calls\":8,\"status\":\"disabled\"}", NULL } }, 1, 0,
		{ { "PATCH", "/v1/provider/trunks/loopback", NULL, NULL,
			"{\"max_calls\":8,\"status\":\"disabled\"}" } }, "Trunk updated.", NULL },
	{ "trunks update: SIP over TLS, the transports DNS may choose, registration, sources",
		W("trunks", "update", "carrier", "--sip-transport", "tls", "--sip-transports", "tcp", "--register", "yes",
			"--inbound-cidr", "198.51.100.0/24,203.0.113.9/32"),
		"tok1", { { 200, "{\"id\":\"carrier\",\"sip_transport\":\"tls\",\"sip_transports\":[\"tcp\"],"
			"\"register\":true,\"registration\":\"none\"}", NULL } }, 1, 0,
		{ { "PATCH", "/v1/provider/trunks/carrier", NULL, NULL,
			"{\"sip_transport\":\"tls\",\"sip_transports\":[\"tcp\"],\"register\":true,"
			"\"inbound_cidrs\":[\"198.51.100.0/24\",\"203.0.113.9/32\"]}" } },
		"SIP transport:    tls\n", NULL },
	{ "trunks update: the client certificate removed", W("trunks", "update", "carrier", "--no-tls-cert"),
		"tok1", { { 200, "{\"id\":\"carrier\",\"tls_cert\":null,\"has_tls_key\":false}", NULL } }, 1, 0,
		{ { "PATCH", "/v1/provider/trunks/carrier", NULL, NULL, "{\"tls_cert\":null,\"tls_key\":null}" } },
		"TLS client cert:  no\n", NULL },
	{ "trunks list and show", W("trunks", "show", "loopback"), "tok1",
		{ { 200, "{\"id\":\"loopback\",\"name\":\"Loopback\",\"transport\":\"t38_first\",\"prefixes\":[]}",
			NULL } }, 1, 0, { { "GET", "/v1/provider/trunks/loopback", NULL, NULL, NULL } },
		"Transport:        t38_first\n", NULL },
	{ "trunks list", W("trunks", "list"), "tok1",
		{ { 200, "{\"items\":[{\"id\":\"loopback\",\"name\":\"Loopback\",\"peer\":null,\"transport\":"
			"\"t38_first\",\"max_calls\":10,\"prefixes\":[],\"status\":\"active\"}],\"next_cursor\":null}",
			NULL } }, 1, 0, { { "GET", "/v1/provider/trunks", NULL, NULL, NULL } },
		"loopback  Loopback  -     t38_first  10         -         active\n", NULL },
};

static int run_stdin(const char *const *words, const char *token, const char *text, char **out,
	char **err);

static void test_api_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		server_start_port(0, cases[i].replies, cases[i].nreplies);
		char *out, *err;
		int rc = cases[i].stdin_text
			? run_stdin(cases[i].argv, cases[i].token, cases[i].stdin_text, &out, &err)
			: run(cases[i].argv, cases[i].token, &out, &err);
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

/* invitations accept: the token and the password in the body, no
 * Authorization even when a token is configured. */
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
	assert_string_equal(srv.seen[0].target, "/v1/invitations/accept");
	assert_null(strcasestr(srv.seen[0].headers, "authorization"));
	assert_string_equal(srv.seen[0].body, "{\"token\":\"fvi_x/y\",\"password\":\"pw-123456\"}");
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

/* A temporary directory for files; removed with rmdir_all(). */
static char *tmpdir_make(void)
{
	char *dir = xstrdup("/tmp/fv-cli-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return dir;
}

static void rmdir_all(char *dir)
{
	char *rm = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(rm), 0);
	free(rm);
	free(dir);
}

static size_t file_read(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n;
}

/* login with a second factor: --totp and --recovery-code go in the body;
 * without a code and without a terminal, mfa-required says which option to
 * add and nothing is stored. */
static void test_login_mfa(void **state)
{
	(void)state;
	char *dir = tmpdir_make();
	char *cfg = xasprintf("%s/config", dir);
	char *out, *err;
	static const struct reply ok[1] = {
		{ 201, "{\"token\":\"fvs_T\",\"session_id\":\"ses_1\",\"expires_at\":\"2030-01-01T00:00:00Z\"}", NULL },
	};
	server_start_port(0, ok, 1);
	int rc = run_stdin(W("login", "--email", "a@b.example", "--password-stdin", "--totp", "123 456",
		"--config", cfg), NULL, "pw-123456789\n", &out, &err);
	server_stop();
	if (rc != 0)
		fail_msg("rc %d: %s", rc, err);
	assert_string_equal(srv.seen[0].body,
		"{\"email\":\"a@b.example\",\"password\":\"pw-123456789\",\"totp\":\"123456\"}");
	free(out);
	free(err);

	static const struct reply rec[1] = {
		{ 201, "{\"token\":\"fvs_R\",\"expires_at\":\"2030-01-01T00:00:00Z\",\"recovery_codes_left\":2}", NULL },
	};
	server_start_port(0, rec, 1);
	rc = run_stdin(W("login", "--email", "a@b.example", "--password-stdin", "--recovery-code",
		"abcd-efgh", "--config", cfg), NULL, "pw-123456789\n", &out, &err);
	server_stop();
	assert_int_equal(rc, 0);
	assert_string_equal(srv.seen[0].body,
		"{\"email\":\"a@b.example\",\"password\":\"pw-123456789\",\"recovery_code\":\"abcd-efgh\"}");
	assert_non_null(strstr(err, "recovery code used; 2 left"));
	assert_non_null(strstr(err, "faxvault mfa enrol"));
	free(out);
	free(err);

	/* mfa-required without a terminal: exit 3, the hint, no token stored. */
	char *cfg2 = xasprintf("%s/config2", dir);
	static const struct reply need[1] = {
		{ 401, "{\"type\":\"urn:faxvault:problem:mfa-required\",\"title\":\"A second-factor code is required\","
			"\"field\":\"totp\"}", "application/problem+json" },
	};
	server_start_port(0, need, 1);
	rc = run_stdin(W("login", "--email", "a@b.example", "--password-stdin", "--config", cfg2), NULL,
		"pw-123456789\n", &out, &err);
	server_stop();
	assert_int_equal(rc, CLI_EXIT_UNAUTH);
	assert_int_equal(srv.nseen, 1);
	assert_non_null(strstr(err, "A second-factor code is required"));
	assert_non_null(strstr(err, "add --totp CODE (or --recovery-code CODE)"));
	struct stat st;
	assert_int_not_equal(stat(cfg2, &st), 0);
	free(out);
	free(err);

	/* Both codes: a usage error before any request. */
	server_start_port(0, need, 1);
	rc = run_stdin(W("login", "--email", "a@b.example", "--password-stdin", "--totp", "123456",
		"--recovery-code", "x", "--config", cfg2), NULL, "pw\n", &out, &err);
	server_stop();
	assert_int_equal(rc, CLI_EXIT_USAGE);
	assert_int_equal(srv.nseen, 0);
	free(out);
	free(err);
	free(cfg);
	free(cfg2);
	rmdir_all(dir);
}

static const char PNG[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR-fake";

/* mfa enrol --qr: begins, fetches the PNG (asking for image/png), writes
 * it with mode 0600, then (no terminal) tells how to confirm. A QR answer
 * that is not a PNG is refused and nothing is written. */
static void test_mfa_qr(void **state)
{
	(void)state;
	char *dir = tmpdir_make();
	char *png = xasprintf("%s/qr.png", dir);
	/* An existing file with a loose mode is tightened. */
	FILE *f = fopen(png, "w");
	fputs("old", f);
	fclose(f);
	assert_int_equal(chmod(png, 0644), 0);
	const struct reply two[2] = {
		{ 201, MFA_BEGIN, NULL },
		{ 200, PNG, "image/png", NULL, sizeof PNG - 1 },
	};
	server_start_port(0, two, 2);
	char *out, *err;
	int rc = run_stdin(W("mfa", "enrol", "--qr", png), "tok1", "", &out, &err);
	server_stop();
	if (rc != 0)
		fail_msg("rc %d: %s", rc, err);
	assert_int_equal(srv.nseen, 2);
	assert_string_equal(srv.seen[0].method, "POST");
	assert_string_equal(srv.seen[0].target, "/v1/me/mfa/totp");
	assert_string_equal(srv.seen[1].method, "GET");
	assert_string_equal(srv.seen[1].target, "/v1/me/mfa/totp/qr.png");
	assert_non_null(strstr(srv.seen[1].headers, "Accept: image/png, application/problem+json"));
	char buf[256];
	assert_int_equal(file_read(png, buf, sizeof buf), sizeof PNG - 1);
	assert_memory_equal(buf, PNG, sizeof PNG - 1);
	struct stat st;
	assert_int_equal(stat(png, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_non_null(strstr(out, "QR code written to"));
	assert_non_null(strstr(out, "faxvault mfa confirm --code CODE"));
	free(out);
	free(err);

	/* mfa qr --output with an answer that is not a PNG. */
	char *bad = xasprintf("%s/bad.png", dir);
	static const struct reply html[1] = { { 200, "<html>", "text/html" } };
	server_start_port(0, html, 1);
	rc = run(W("mfa", "qr", "--output", bad), "tok1", &out, &err);
	server_stop();
	assert_int_equal(rc, CLI_EXIT_SERVER);
	assert_non_null(strstr(err, "not a PNG"));
	assert_int_not_equal(stat(bad, &st), 0);
	free(out);
	free(err);

	/* No enrolment in progress: the 404 problem, exit 5. */
	static const struct reply none[1] = { { 404, "{\"title\":\"Not found\",\"detail\":\"no enrolment in progress\"}",
		"application/problem+json" } };
	server_start_port(0, none, 1);
	rc = run(W("mfa", "qr", "--output", bad), "tok1", &out, &err);
	server_stop();
	assert_int_equal(rc, CLI_EXIT_NOTFOUND);
	assert_non_null(strstr(err, "no enrolment in progress"));
	free(out);
	free(err);
	free(bad);
	free(png);
	rmdir_all(dir);
}

/* terms publish: both texts read from files (one may be standard input),
 * sent with the version. */
static void test_terms_publish(void **state)
{
	(void)state;
	char *dir = tmpdir_make();
	char *en = xasprintf("%s/en.txt", dir);
	FILE *f = fopen(en, "w");
	fputs("Terms \"v3\"\nline 2\n", f);
	fclose(f);
	static const struct reply ok[1] = {
		{ 201, "{\"version\":\"v3\",\"published_at\":\"2026-11-23T10:00:00Z\"}", NULL },
	};
	server_start_port(0, ok, 1);
	char *out, *err;
	int rc = run_stdin(W("terms", "publish", "v3", "--en", en, "--fr", "-",
		"--idempotency-key", "pub-1"), "tok1", "Conditions v3\n", &out, &err);
	server_stop();
	if (rc != 0)
		fail_msg("rc %d: %s", rc, err);
	assert_string_equal(srv.seen[0].method, "POST");
	assert_string_equal(srv.seen[0].target, "/v1/provider/terms");
	assert_non_null(strstr(srv.seen[0].headers, "Idempotency-Key: pub-1"));
	assert_string_equal(srv.seen[0].body, "{\"version\":\"v3\",\"text_en\":\"Terms \\\"v3\\\"\\nline 2\\n\","
		"\"text_fr\":\"Conditions v3\\n\"}");
	assert_non_null(strstr(out, "Terms published"));
	free(out);
	free(err);

	/* A missing file, an empty file, both on standard input: no request. */
	char *empty = xasprintf("%s/empty.txt", dir);
	f = fopen(empty, "w");
	fclose(f);
	char *missing = xasprintf("%s/missing.txt", dir);
	const struct {
		const char *const *argv;
		int rc;
		const char *err;
	} bad[] = {
		{ W("terms", "publish", "v4", "--en", missing, "--fr", en), CLI_EXIT_ERROR, "cannot open" },
		{ W("terms", "publish", "v4", "--en", en, "--fr", empty), CLI_EXIT_USAGE, "is empty" },
		{ W("terms", "publish", "v4", "--en", "-", "--fr", "-"), CLI_EXIT_USAGE, "only one of" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		server_start_port(0, ok, 1);
		rc = run_stdin(bad[i].argv, "tok1", "x\n", &out, &err);
		server_stop();
		if (rc != bad[i].rc || !strstr(err, bad[i].err))
			fail_msg("bad case %zu: rc %d, err %s", i, rc, err);
		assert_int_equal(srv.nseen, 0);
		free(out);
		free(err);
	}
	free(empty);
	free(missing);
	free(en);
	rmdir_all(dir);
}

/* fax send: a multipart/form-data body with the file streamed and one
 * "to" field per recipient; --wait follows each fax to its final status;
 * fax download / preview and cdrs --csv --output write files (mode 0600)
 * and never replace one without --force. */
/* Runs words with the token "tok1" against a server answering replies. */
static int exchange(const struct reply *replies, size_t n, const char *const *words, char **out,
	char **err)
{
	server_start_port(0, replies, n);
	int rc = run(words, "tok1", out, err);
	server_stop();
	return rc;
}

static void test_fax_files(void **state)
{
	(void)state;
	char *dir = tmpdir_make();
	char *doc = xasprintf("%s/letter.txt", dir);
	FILE *f = fopen(doc, "w");
	fputs("Dear colleague,\nthe results.\n", f);
	fclose(f);
	static const char QUEUED2[] = "{\"items\":[{\"id\":\"fax_1\",\"to\":\"+33100000002\","
		"\"page_count\":1,\"status\":\"queued\",\"estimated_cost\":10,\"currency\":\"EUR\"},"
		"{\"id\":\"fax_2\",\"to\":\"+33100000003\",\"page_count\":1,\"status\":\"queued\","
		"\"estimated_cost\":10,\"currency\":\"EUR\"}]}";
	static const struct reply sent[1] = { { 202, QUEUED2, NULL } };
	server_start_port(0, sent, 1);
	char *out, *err;
	int rc = run(W("fax", "send", doc, "--to", "+33100000002,+33100000003", "--cover-subject",
		"Résultats", "--header", "Clinique", "--retries", "3", "--fine", "--idempotency-key", "k-9"),
		"tok1", &out, &err);
	server_stop();
	if (rc != 0)
		fail_msg("rc %d: %s", rc, err);
	const struct seen *s = &srv.seen[0];
	assert_string_equal(s->method, "POST");
	assert_string_equal(s->target, "/v1/faxes");
	assert_non_null(strstr(s->headers, "Content-Type: multipart/form-data; boundary="));
	assert_non_null(strstr(s->headers, "Idempotency-Key: k-9"));
	/* One string per part (the file part built in two literals would read
	 * to clang as a forgotten comma). */
	static const char file_part[] = "name=\"file\"; filename=\"letter.txt\"\r\n"
		"Content-Type: text/plain\r\n\r\nDear colleague,\nthe results.\n\r\n";
	static const char *const parts[] = {
		file_part,
		"name=\"to\"\r\n\r\n+33100000002\r\n", "name=\"to\"\r\n\r\n+33100000003\r\n",
		"name=\"cover_subject\"\r\n\r\nRésultats\r\n", "name=\"header_text\"\r\n\r\nClinique\r\n",
		"name=\"retries\"\r\n\r\n3\r\n", "name=\"resolution\"\r\n\r\nfine\r\n",
	};
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		if (!strstr(s->body, parts[i]))
			fail_msg("no part '%s' in\n%s", parts[i], s->body);
	assert_null(strstr(s->body, "name=\"send_at\""));
	assert_non_null(strstr(out, "2 faxes accepted:\nID     TO            PAGES  STATUS  EST. COST\n"
		"fax_1  +33100000002  1      queued  0.10 EUR\n"));
	free(out);
	free(err);

	/* --wait: polls until final; exit 0 only when delivered. */
	static const char QUEUED1[] = "{\"items\":[{\"id\":\"fax_1\",\"to\":\"+33100000002\","
		"\"page_count\":2,\"status\":\"queued\"}]}";
	static const struct reply delivered[2] = {
		{ 202, QUEUED1, NULL },
		{ 200, "{\"id\":\"fax_1\",\"to\":\"+33100000002\",\"page_count\":2,\"pages_confirmed\":2,"
			"\"status\":\"delivered\",\"cost\":20,\"currency\":\"EUR\"}", NULL },
	};
	rc = exchange(delivered, 2, W("fax", "send", doc, "--to", "+33100000002", "--wait"), &out, &err);
	if (rc != 0)
		fail_msg("rc %d: %s", rc, err);
	assert_int_equal(srv.nseen, 2);
	assert_string_equal(srv.seen[1].method, "GET");
	assert_string_equal(srv.seen[1].target, "/v1/faxes/fax_1");
	assert_non_null(strstr(err, "fax_1: delivered (2/2 pages confirmed)"));
	assert_non_null(strstr(out, "Final:\nID     TO            PAGES  STATUS     COST      FAILURE\n"
		"fax_1  +33100000002  2/2    delivered  0.20 EUR  -\n"));
	free(out);
	free(err);

	static const struct reply failed[2] = {
		{ 202, QUEUED1, NULL },
		{ 200, "{\"id\":\"fax_1\",\"status\":\"failed\",\"failure_class\":\"not_a_fax\","
			"\"failure_reason\":\"a voice answered\"}", NULL },
	};
	rc = exchange(failed, 2, W("fax", "send", doc, "--to", "+33100000002", "--wait", "--json"), &out, &err);
	assert_int_equal(rc, CLI_EXIT_ERROR);
	assert_non_null(strstr(err, "not every fax was delivered"));
	assert_non_null(strstr(out, "\"failure_reason\": \"a voice answered\""));
	free(out);
	free(err);

	/* A document the server cannot render: its problem, exit 6. */
	static const struct reply unrenderable[1] = { { 422, "{\"type\":\"urn:faxvault:problem:"
		"document-unrenderable\",\"title\":\"The document cannot be converted to fax pages\","
		"\"detail\":\"letter.txt: not a PDF\"}", "application/problem+json" } };
	rc = exchange(unrenderable, 1, W("fax", "send", doc, "--to", "+33100000002"), &out, &err);
	assert_int_equal(rc, CLI_EXIT_INVALID);
	assert_non_null(strstr(err, "cannot be converted to fax pages: letter.txt: not a PDF"));
	free(out);
	free(err);

	/* download: PDF checked, written 0600, kept without --force. */
	static const char PDF[] = "%PDF-1.4\n%fake\n";
	char *pdf = xasprintf("%s/fax.pdf", dir);
	static const struct reply doc_ok[1] = { { 200, PDF, "application/pdf" } };
	rc = exchange(doc_ok, 1, W("fax", "download", "fax_1", "--output", pdf), &out, &err);
	if (rc != 0)
		fail_msg("rc %d: %s", rc, err);
	assert_string_equal(srv.seen[0].target, "/v1/faxes/fax_1/document");
	assert_non_null(strstr(srv.seen[0].headers, "Accept: application/pdf, application/problem+json"));
	char buf[256];
	assert_int_equal(file_read(pdf, buf, sizeof buf), sizeof PDF - 1);
	assert_memory_equal(buf, PDF, sizeof PDF - 1);
	struct stat st;
	assert_int_equal(stat(pdf, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(out);
	free(err);

	rc = exchange(doc_ok, 1, W("fax", "download", "fax_1", "--output", pdf), &out, &err);
	assert_int_equal(rc, CLI_EXIT_ERROR);
	assert_int_equal(srv.nseen, 0); /* refused before reading (an audited read) */
	assert_non_null(strstr(err, "add --force"));
	free(out);
	free(err);

	/* The default name, ID.pdf in the current directory; --force replaces. */
	char cwd[4096];
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(dir), 0);
	rc = exchange(doc_ok, 1, W("fax", "download", "fax_1"), &out, &err);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "Wrote fax_1.pdf"));
	free(out);
	free(err);
	rc = exchange(doc_ok, 1, W("fax", "download", "fax_1", "--force"), &out, &err);
	assert_int_equal(rc, 0);
	free(out);
	free(err);
	unlink("fax_1.pdf");
	assert_int_equal(chdir(cwd), 0);

	/* Not a PDF: exit 7, no file. */
	char *bad = xasprintf("%s/bad.pdf", dir);
	static const struct reply html[1] = { { 200, "<html>", "text/html" } };
	rc = exchange(html, 1, W("fax", "download", "fax_1", "--output", bad), &out, &err);
	assert_int_equal(rc, CLI_EXIT_SERVER);
	assert_non_null(strstr(err, "not a PDF document"));
	assert_int_not_equal(stat(bad, &st), 0);
	free(out);
	free(err);

	/* preview: the page in the path, a PNG checked. */
	char *png = xasprintf("%s/p2.png", dir);
	static const struct reply png_ok[1] = { { 200, PNG, "image/png", NULL, sizeof PNG - 1 } };
	rc = exchange(png_ok, 1, W("fax", "preview", "fax_1", "--page", "2", "--output", png), &out, &err);
	if (rc != 0)
		fail_msg("rc %d: %s", rc, err);
	assert_string_equal(srv.seen[0].target, "/v1/faxes/fax_1/pages/2.png");
	assert_non_null(strstr(srv.seen[0].headers, "Accept: image/png, application/problem+json"));
	assert_int_equal(file_read(png, buf, sizeof buf), sizeof PNG - 1);
	free(out);
	free(err);

	/* cdrs --csv --output: the CSV as received, in a file. */
	char *csv = xasprintf("%s/cdrs.csv", dir);
	static const struct reply csv_ok[1] = { { 200, CDR_CSV, "text/csv" } };
	rc = exchange(csv_ok, 1, W("cdrs", "--account", "acc_1", "--csv", "--output", csv), &out, &err);
	if (rc != 0)
		fail_msg("rc %d: %s", rc, err);
	assert_int_equal(file_read(csv, buf, sizeof buf), sizeof CDR_CSV - 1);
	assert_memory_equal(buf, CDR_CSV, sizeof CDR_CSV - 1);
	assert_non_null(strstr(out, "Wrote "));
	assert_null(strstr(out, "fax_id"));
	free(out);
	free(err);

	unlink(pdf);
	unlink(png);
	unlink(csv);
	unlink(doc);
	free(pdf);
	free(png);
	free(csv);
	free(bad);
	free(doc);
	rmdir_all(dir);
}

/* Messages in French: from the locale, or --lang (which wins over it);
 * the same language is asked of the server. */
static void test_french(void **state)
{
	(void)state;
	static const char prob_fr[] = "{\"type\":\"urn:faxvault:problem:not-found\","
		"\"title\":\"La ressource n'existe pas\",\"status\":404,"
		"\"detail\":\"ce compte n'existe pas\",\"request_id\":\"req_f\"}";
	static const struct reply nf[1] = { { 404, prob_fr, "application/problem+json" } };
	char *out, *err;
	run_lang = "fr_FR.UTF-8";

	/* The server's problem inside the client's French frame. */
	server_start_port(0, nf, 1);
	int rc = run(W("accounts", "show", "acc_9"), "tok1", &out, &err);
	server_stop();
	assert_int_equal(rc, CLI_EXIT_NOTFOUND);
	assert_non_null(strstr(srv.seen[0].headers, "Accept-Language: fr"));
	assert_string_equal(err, "erreur : La ressource n'existe pas : ce compte n'existe pas "
		"(urn:faxvault:problem:not-found)\nidentifiant de la requête : req_f\n");
	free(out);
	free(err);

	/* The client's own errors, usage line included. */
	server_start_port(0, NULL, 0);
	rc = run(W("accounts", "list", "--limit", "0"), "tok1", &out, &err);
	server_stop();
	assert_int_equal(rc, CLI_EXIT_USAGE);
	assert_non_null(strstr(err, "erreur : --limit attend un nombre de 1 à 1000\n"));
	assert_non_null(strstr(err, "Lancez 'faxvault accounts list --help' pour l'aide."));
	free(out);
	free(err);

	/* A parse error, with --json: JSON, the detail in French. */
	server_start_port(0, NULL, 0);
	rc = run(W("--json", "accounts", "list", "--bogus"), "tok1", &out, &err);
	server_stop();
	assert_int_equal(rc, CLI_EXIT_USAGE);
	json_t *j = json_loads(err, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "detail")), "option inconnue '--bogus'");
	json_decref(j);
	free(out);
	free(err);

	/* --lang en wins over a French locale, for messages and the server. */
	server_start_port(0, nf, 1);
	rc = run(W("--lang", "en", "accounts", "show", "acc_9"), "tok1", &out, &err);
	server_stop();
	assert_non_null(strstr(srv.seen[0].headers, "Accept-Language: en"));
	assert_non_null(strstr(err, "error: La ressource"));
	assert_non_null(strstr(err, "request id: req_f"));
	free(out);
	free(err);

	/* --lang fr in an English locale; a wrong --lang is a usage error. */
	run_lang = "C";
	server_start_port(0, NULL, 0);
	rc = run(W("--lang", "fr", "accounts", "list", "--limit", "0"), "tok1", &out, &err);
	server_stop();
	assert_non_null(strstr(err, "erreur : --limit attend"));
	free(out);
	free(err);
	server_start_port(0, NULL, 0);
	rc = run(W("--lang", "de", "whoami"), "tok1", &out, &err);
	server_stop();
	assert_int_equal(rc, CLI_EXIT_USAGE);
	assert_non_null(strstr(err, "error: --lang wants en or fr"));
	free(out);
	free(err);
	run_lang = "en_US.UTF-8";
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_table),
		cmocka_unit_test(test_no_token_no_request),
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_login),
		cmocka_unit_test(test_login_mfa),
		cmocka_unit_test(test_mfa_qr),
		cmocka_unit_test(test_terms_publish),
		cmocka_unit_test(test_fax_files),
		cmocka_unit_test(test_french),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
