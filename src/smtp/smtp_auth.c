/* SPF and DKIM for fax by e-mail (see smtp_auth.h). */
#include "smtp_auth.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>

/* libspf2's headers need these first. */
#include <spf2/spf.h>
#include <opendkim/dkim.h>

#include "i18n.h"
#include "log.h"

static atomic_uint_fast64_t n_spf[SMTP_SPF_N], n_dkim[SMTP_DKIM_N];

static const char *const spf_names[SMTP_SPF_N] = { "none", "neutral", "pass", "fail", "softfail",
	"temperror", "permerror" };
static const char *const dkim_names[SMTP_DKIM_N] = { "none", "pass", "misaligned", "fail",
	"temperror", "permerror" };

const char *smtp_spf_name(enum smtp_spf r)
{
	return (unsigned)r < SMTP_SPF_N ? spf_names[r] : "none";
}

const char *smtp_dkim_name(enum smtp_dkim r)
{
	return (unsigned)r < SMTP_DKIM_N ? dkim_names[r] : "none";
}

const char *smtp_auth_domain_of(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	return at ? at + 1 : "";
}

/* Length of d without one trailing dot. */
static size_t dom_len(const char *d)
{
	size_t n = strlen(d);
	return n > 0 && d[n - 1] == '.' ? n - 1 : n;
}

static bool has_two_labels(const char *d, size_t n)
{
	const char *dot = memchr(d, '.', n);
	return dot && dot > d && dot < d + n - 1;
}

bool smtp_auth_aligned(const char *a, const char *b)
{
	if (!a || !b)
		return false;
	size_t na = dom_len(a), nb = dom_len(b);
	if (na == 0 || nb == 0)
		return false;
	if (na == nb)
		return strncasecmp(a, b, na) == 0;
	/* long is a subdomain of short: it ends with "." + short. */
	const char *lng = na > nb ? a : b, *shrt = na > nb ? b : a;
	size_t nl = na > nb ? na : nb, ns = na > nb ? nb : na;
	return lng[nl - ns - 1] == '.' && strncasecmp(lng + nl - ns, shrt, ns) == 0 &&
		has_two_labels(shrt, ns);
}

/* ---- SPF ---- */

static void spf_quiet(const char *file, int line, const char *msg)
{
	(void)file;
	(void)line;
	log_event(LOG_DEBUG, "smtp.spf.lib", "msg=%s", msg);
}

static pthread_once_t spf_once = PTHREAD_ONCE_INIT;

static void spf_setup(void)
{
	/* libspf2 prints its warnings on stderr by default. */
	SPF_warning_handler = spf_quiet;
	SPF_info_handler = spf_quiet;
	SPF_debug_handler = spf_quiet;
}

static void set_domain(char out[SMTP_AUTH_DOMAIN_MAX + 1], const char *d)
{
	snprintf(out, SMTP_AUTH_DOMAIN_MAX + 1, "%s", d ? d : "");
}

static enum smtp_spf spf_of(SPF_result_t r)
{
	switch (r) {
	case SPF_RESULT_PASS: return SMTP_SPF_PASS;
	case SPF_RESULT_FAIL: return SMTP_SPF_FAIL;
	case SPF_RESULT_SOFTFAIL: return SMTP_SPF_SOFTFAIL;
	case SPF_RESULT_NEUTRAL: return SMTP_SPF_NEUTRAL;
	case SPF_RESULT_NONE: return SMTP_SPF_NONE;
	case SPF_RESULT_PERMERROR: return SMTP_SPF_PERMERROR;
	default: return SMTP_SPF_TEMPERROR;
	}
}

static bool ip_is_loopback(const char *ip)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, ip, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, ip, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return false;
}

void smtp_auth_spf(const char *ip, const char *helo, const char *mail_from,
	const char *from_domain, smtp_auth_t *a)
{
	pthread_once(&spf_once, spf_setup);
	a->spf = SMTP_SPF_NONE;
	set_domain(a->spf_domain, mail_from && *mail_from ? smtp_auth_domain_of(mail_from) : helo);
	a->spf_aligned = smtp_auth_aligned(a->spf_domain, from_domain);
	if (!ip || ip_is_loopback(ip)) {
		/* libspf2 would say "pass" (localhost); the address of a local
		 * relay says nothing of who sent the mail. */
		atomic_fetch_add(&n_spf[a->spf], 1);
		return;
	}
	SPF_server_t *srv = SPF_server_new(SPF_DNS_RESOLV, 0);
	SPF_request_t *req = srv ? SPF_request_new(srv) : NULL;
	SPF_response_t *resp = NULL;
	if (!req) {
		a->spf = SMTP_SPF_TEMPERROR;
	} else {
		bool v6 = strchr(ip, ':') != NULL;
		/* An IPv4-mapped address is checked as IPv4. */
		const char *ip4 = strncasecmp(ip, "::ffff:", 7) == 0 && strchr(ip + 7, '.') ? ip + 7 :
			ip;
		SPF_errcode_t err = v6 && ip4 == ip ? SPF_request_set_ipv6_str(req, ip) :
			SPF_request_set_ipv4_str(req, ip4);
		if (err == SPF_E_SUCCESS && helo && *helo)
			err = SPF_request_set_helo_dom(req, helo);
		if (err == SPF_E_SUCCESS && mail_from && *mail_from &&
		    SPF_request_set_env_from(req, mail_from) != 0)
			err = SPF_E_INVALID_CHAR;
		if (err != SPF_E_SUCCESS) {
			/* A malformed HELO or MAIL FROM: no identity to check. */
			a->spf = SMTP_SPF_PERMERROR;
		} else {
			SPF_request_query_mailfrom(req, &resp);
			a->spf = resp ? spf_of(SPF_response_result(resp)) : SMTP_SPF_TEMPERROR;
			if (resp && SPF_response_reason(resp) == SPF_REASON_LOCALHOST)
				a->spf = SMTP_SPF_NONE;
		}
	}
	if (resp)
		SPF_response_free(resp);
	if (req)
		SPF_request_free(req);
	if (srv)
		SPF_server_free(srv);
	atomic_fetch_add(&n_spf[a->spf], 1);
}

/* ---- DKIM ---- */

static pthread_once_t dkim_once = PTHREAD_ONCE_INIT;
static DKIM_LIB *dkim_lib;
static char dkim_keyfile[512];

static void dkim_setup(void)
{
	dkim_lib = dkim_init(NULL, NULL);
	if (!dkim_lib)
		return;
	unsigned timeout = 10;
	dkim_options(dkim_lib, DKIM_OP_SETOPT, DKIM_OPTS_TIMEOUT, &timeout, sizeof timeout);
	if (dkim_keyfile[0]) {
		dkim_query_t q = DKIM_QUERY_FILE;
		dkim_options(dkim_lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD, &q, sizeof q);
		dkim_options(dkim_lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO, dkim_keyfile,
			strlen(dkim_keyfile));
	}
}

void smtp_auth_test_dkim_keyfile(const char *path)
{
	snprintf(dkim_keyfile, sizeof dkim_keyfile, "%s", path);
}

/* How good a signature's outcome is: the best one decides. */
static int dkim_rank(enum smtp_dkim r)
{
	static const int rank[SMTP_DKIM_N] = { [SMTP_DKIM_NONE] = 0, [SMTP_DKIM_PERMERROR] = 1,
		[SMTP_DKIM_FAIL] = 2, [SMTP_DKIM_TEMPERROR] = 3, [SMTP_DKIM_MISALIGNED] = 4,
		[SMTP_DKIM_PASS] = 5 };
	return rank[r];
}

static enum smtp_dkim dkim_sig_result(DKIM_SIGINFO *sig, const char *from_domain)
{
	if (DKIM_SIG_CHECK(sig)) {
		const char *d = (const char *)dkim_sig_getdomain(sig);
		return smtp_auth_aligned(d, from_domain) ? SMTP_DKIM_PASS : SMTP_DKIM_MISALIGNED;
	}
	switch (dkim_sig_geterror(sig)) {
	case DKIM_SIGERROR_KEYFAIL:
		return SMTP_DKIM_TEMPERROR;
	case DKIM_SIGERROR_BADSIG:
	case DKIM_SIGERROR_OK:
		return SMTP_DKIM_FAIL; /* a header or the body changed */
	default:
		return (dkim_sig_getflags(sig) & DKIM_SIGFLAG_PROCESSED) &&
			dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH ? SMTP_DKIM_FAIL :
			SMTP_DKIM_PERMERROR;
	}
}

void smtp_auth_dkim(const uint8_t *msg, size_t len, const char *from_domain, smtp_auth_t *a)
{
	pthread_once(&dkim_once, dkim_setup);
	a->dkim = SMTP_DKIM_NONE;
	a->dkim_domain[0] = '\0';
	DKIM_STAT st = DKIM_STAT_INTERNAL;
	DKIM *d = dkim_lib ? dkim_verify(dkim_lib, (const unsigned char *)"fax-by-email", NULL,
		&st) : NULL;
	if (!d) {
		a->dkim = SMTP_DKIM_TEMPERROR;
		atomic_fetch_add(&n_dkim[a->dkim], 1);
		return;
	}
	/* dkim_chunk takes a non-const buffer but does not write to it. */
	st = dkim_chunk(d, (u_char *)(uintptr_t)msg, len);
	/* Without a signature, the header block's end already says NOSIG. */
	if (st == DKIM_STAT_OK)
		st = dkim_chunk(d, NULL, 0);
	if (st == DKIM_STAT_OK)
		st = dkim_eom(d, NULL);
	DKIM_SIGINFO **sigs = NULL;
	int nsigs = 0;
	if (st != DKIM_STAT_NOSIG && dkim_getsiglist(d, &sigs, &nsigs) == DKIM_STAT_OK) {
		for (int i = 0; i < nsigs; i++) {
			enum smtp_dkim r = dkim_sig_result(sigs[i], from_domain);
			if (i == 0 || dkim_rank(r) > dkim_rank(a->dkim)) {
				a->dkim = r;
				set_domain(a->dkim_domain, (const char *)dkim_sig_getdomain(sigs[i]));
			}
		}
		if (nsigs == 0 && st != DKIM_STAT_OK)
			a->dkim = SMTP_DKIM_PERMERROR;
	} else if (st != DKIM_STAT_NOSIG && st != DKIM_STAT_OK) {
		/* A signature header too broken to be listed. */
		a->dkim = SMTP_DKIM_PERMERROR;
	}
	dkim_free(d);
	atomic_fetch_add(&n_dkim[a->dkim], 1);
}

void smtp_auth_reply(const smtp_auth_t *a, int *code, const char **status, const char **text)
{
	if (a->spf == SMTP_SPF_TEMPERROR || a->dkim == SMTP_DKIM_TEMPERROR) {
		*code = 451;
		*status = "4.4.3";
		*text = I18N("The sender could not be checked for now (DNS); try again later");
	} else if (a->spf == SMTP_SPF_FAIL) {
		*code = 550;
		*status = "5.7.23";
		*text = I18N("SPF validation failed: this sender may not send faxes by e-mail "
			"from this server");
	} else if (a->dkim == SMTP_DKIM_FAIL || a->dkim == SMTP_DKIM_PERMERROR) {
		*code = 550;
		*status = "5.7.20";
		*text = I18N("No passing DKIM signature: this sender may not send faxes by e-mail "
			"from this server");
	} else if (a->dkim == SMTP_DKIM_MISALIGNED) {
		*code = 550;
		*status = "5.7.22";
		*text = I18N("No valid DKIM signature of the From domain: this sender may not "
			"send faxes by e-mail from this server");
	} else {
		*code = 550;
		*status = "5.7.1";
		*text = I18N("This sender may not send faxes by e-mail from this server");
	}
}

void smtp_auth_counts(uint64_t spf[SMTP_SPF_N], uint64_t dkim[SMTP_DKIM_N])
{
	for (int i = 0; i < SMTP_SPF_N; i++)
		spf[i] = atomic_load(&n_spf[i]);
	for (int i = 0; i < SMTP_DKIM_N; i++)
		dkim[i] = atomic_load(&n_dkim[i]);
}
