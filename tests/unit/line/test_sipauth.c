/* Unit tests of digest authentication from the server's side: the
 * credentials parser, the RFC 2617 / 7616 vectors, and the verifier's
 * stateless nonces and nonce-count window (sipauth.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "digest.h"
#include "sec.h"
#include "sipauth.h"

#define RURI "sip:+14155550100@192.0.2.1:5060"
#define SRC "198.51.100.7"
#define NOW 1800000000

static sip_str_t S(const char *s)
{
	return (sip_str_t){s, strlen(s)};
}

/* RFC 7616 §3.9.1: the same request answered with MD5 and with SHA-256. */
static void t_rfc7616_vectors(void **state)
{
	(void)state;
#define FMT                                                                                         \
	"Digest username=\"Mufasa\", realm=\"http-auth@example.org\", uri=\"/dir/index.html\", "         \
	"algorithm=%s, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", nc=00000001, "             \
	"cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, response=\"%s\", "          \
	"opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
	static const struct {
		const char *alg, *resp;
		digest_alg_t a;
	} v[] = {
		{"MD5", "8ca523f5e9506fed4657c9700eebdbec", DIGEST_MD5},
		{"SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", DIGEST_SHA256},
	};
	for (size_t i = 0; i < 2; i++) {
		char h[1024];
		snprintf(h, sizeof h, FMT, v[i].alg, v[i].resp);
		digest_cred_t c;
		assert_int_equal(digest_parse_credentials(S(h), &c), 0);
		assert_string_equal(c.username, "Mufasa");
		assert_string_equal(c.uri, "/dir/index.html");
		assert_int_equal(c.alg, v[i].a);
		assert_int_equal(c.nc, 1);
		assert_true(c.qop_auth);
		char out[DIGEST_HEX_MAX];
		digest_compute(c.alg, "Mufasa", c.realm, "Circle of Life", "GET", c.uri, c.nonce, c.cnonce, c.nc, out);
		assert_string_equal(out, v[i].resp);
	}
}

/* RFC 2617 §3.5, and RFC 2069 (no qop) computed both ways. */
static void t_rfc2617_vector(void **state)
{
	(void)state;
	const char *h = "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
			"nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", qop=auth, "
			"nc=00000001, cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\", "
			"opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
	digest_cred_t c;
	assert_int_equal(digest_parse_credentials(S(h), &c), 0);
	assert_int_equal(c.alg, DIGEST_MD5);
	assert_string_equal(c.opaque, "5ccc069c403ebaf9f0171e9517f40e41");
	char out[DIGEST_HEX_MAX];
	digest_compute(DIGEST_MD5, "Mufasa", c.realm, "Circle Of Life", "GET", c.uri, c.nonce, c.cnonce, c.nc, out);
	assert_string_equal(out, c.response);
	/* Without qop the client's own answer and the server's agree. */
	digest_chal_t ch = {0};
	snprintf(ch.realm, sizeof ch.realm, "r");
	snprintf(ch.nonce, sizeof ch.nonce, "n");
	char r1[33];
	digest_response(&ch, "u", "p", "INVITE", "sip:x", "cn", 1, r1);
	digest_compute(DIGEST_MD5, "u", "r", "p", "INVITE", "sip:x", "n", NULL, 0, out);
	assert_string_equal(r1, out);
}

static void t_credentials_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"Basic dXNlcjpwYXNz",
		"Digest",
		"Digest realm=\"r\", nonce=\"n\", uri=\"u\", response=\"00000000000000000000000000000000\"", /* no username */
		"Digest username=\"\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"00000000000000000000000000000000\"",
		"Digest username=\"a\", realm=\"r\", uri=\"u\", response=\"00000000000000000000000000000000\"", /* no nonce */
		"Digest username=\"a\", realm=\"r\", nonce=\"n\", response=\"00000000000000000000000000000000\"", /* no uri */
		"Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\"",                                     /* no response */
		"Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"0000\"",                  /* short */
		"Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"zz000000000000000000000000000000\"",
		"Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"00000000000000000000000000000000\", algorithm=SHA-512",
		"Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"00000000000000000000000000000000\", algorithm=SHA-256",
		"Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"00000000000000000000000000000000\", qop=auth-int, nc=00000001, cnonce=\"c\"",
		"Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"00000000000000000000000000000000\", qop=auth, cnonce=\"c\"",
		"Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"00000000000000000000000000000000\", qop=auth, nc=00000001",
		"Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"00000000000000000000000000000000\", qop=auth, nc=1, cnonce=\"c\"",
		"Digest username=\"a\\\"b\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"00000000000000000000000000000000\"",
	};
	digest_cred_t c;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (digest_parse_credentials(S(bad[i]), &c) != -1)
			fail_msg("accepted: %s", bad[i]);
	}
	/* A username longer than the field. */
	char big[600];
	memset(big, 'a', sizeof big);
	memcpy(big, "Digest username=\"", 17);
	snprintf(big + 300, sizeof big - 300, "\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"00000000000000000000000000000000\"");
	assert_int_equal(digest_parse_credentials(S(big), &c), -1);
}

/* What a client answers to challenge chal, parsed as the server reads it. */
static void answer(const char *chal, const char *user, const char *pw, const char *uri, unsigned nc,
	digest_cred_t *cr)
{
	digest_chal_t ch;
	assert_int_equal(digest_parse(S(chal), &ch), 0);
	assert_true(ch.qop_auth);
	buf_t b;
	buf_init(&b, 2048);
	assert_int_equal(digest_answer(&b, &ch, user, pw, "INVITE", uri, "cafe0123", nc), 0);
	assert_int_equal(digest_parse_credentials(S(b.data), cr), 0);
	buf_free(&b);
}

static void t_verify(void **state)
{
	(void)state;
	sipauth_t *a = sipauth_new("faxvault", 30);
	assert_non_null(a);
	char chal[SIPAUTH_CHALLENGE_MAX];
	assert_int_equal(sipauth_challenge(a, SRC, NOW, 0, chal, sizeof chal), 0);
	assert_non_null(strstr(chal, "realm=\"faxvault\""));
	assert_non_null(strstr(chal, "qop=\"auth\""));
	assert_null(strstr(chal, "stale"));
	digest_cred_t cr;
	answer(chal, "acct42", "s3cret", RURI, 1, &cr);
	assert_int_equal(sipauth_verify(a, &cr, "acct42", "s3cret", "INVITE", RURI, SRC, NOW + 1, "c1 1"), SIPAUTH_OK);
	/* The same request again (a UDP retransmission): still good. */
	assert_int_equal(sipauth_verify(a, &cr, "acct42", "s3cret", "INVITE", RURI, SRC, NOW + 1, "c1 1"), SIPAUTH_OK);
	/* Replayed for another request with the same nc: refused. */
	assert_int_equal(sipauth_verify(a, &cr, "acct42", "s3cret", "INVITE", RURI, SRC, NOW + 2, "c2 1"), SIPAUTH_REPLAY);
	/* A higher nc with the same nonce: good, then the lower one is a replay. */
	digest_cred_t cr2;
	answer(chal, "acct42", "s3cret", RURI, 2, &cr2);
	assert_int_equal(sipauth_verify(a, &cr2, "acct42", "s3cret", "INVITE", RURI, SRC, NOW + 2, "c3 1"), SIPAUTH_OK);
	assert_int_equal(sipauth_verify(a, &cr, "acct42", "s3cret", "INVITE", RURI, SRC, NOW + 2, "c1 1"), SIPAUTH_REPLAY);

	/* Wrong password, user, uri, source, realm: bad. */
	assert_int_equal(sipauth_challenge(a, SRC, NOW, 0, chal, sizeof chal), 0);
	answer(chal, "acct42", "wrong", RURI, 1, &cr);
	assert_int_equal(sipauth_verify(a, &cr, "acct42", "s3cret", "INVITE", RURI, SRC, NOW, "c4 1"), SIPAUTH_BAD);
	answer(chal, "other", "s3cret", RURI, 1, &cr);
	assert_int_equal(sipauth_verify(a, &cr, "acct42", "s3cret", "INVITE", RURI, SRC, NOW, "c4 1"), SIPAUTH_BAD);
	answer(chal, "acct42", "s3cret", "sip:+14155550199@192.0.2.1:5060", 1, &cr);
	assert_int_equal(sipauth_verify(a, &cr, "acct42", "s3cret", "INVITE", RURI, SRC, NOW, "c4 1"), SIPAUTH_BAD);
	answer(chal, "acct42", "s3cret", RURI, 1, &cr);
	assert_int_equal(sipauth_verify(a, &cr, "acct42", "s3cret", "INVITE", RURI, "198.51.100.8", NOW, "c4 1"), SIPAUTH_BAD);
	assert_int_equal(sipauth_verify(a, &cr, "acct42", "s3cret", "BYE", RURI, SRC, NOW, "c4 1"), SIPAUTH_BAD);
	/* A nonce of another process (another key): bad. */
	sipauth_t *b = sipauth_new("faxvault", 30);
	assert_int_equal(sipauth_verify(b, &cr, "acct42", "s3cret", "INVITE", RURI, SRC, NOW, "c4 1"), SIPAUTH_BAD);
	sipauth_free(b);
	/* A forged nonce: one digit of the MAC changed, the response recomputed. */
	digest_cred_t f = cr;
	f.nonce[strlen(f.nonce) - 1] = f.nonce[strlen(f.nonce) - 1] == '0' ? '1' : '0';
	digest_compute(DIGEST_MD5, "acct42", "faxvault", "s3cret", "INVITE", RURI, f.nonce, f.cnonce, f.nc, f.response);
	assert_int_equal(sipauth_verify(a, &f, "acct42", "s3cret", "INVITE", RURI, SRC, NOW, "c4 1"), SIPAUTH_BAD);
	/* Too old: stale, and the challenge says so. */
	assert_int_equal(sipauth_verify(a, &cr, "acct42", "s3cret", "INVITE", RURI, SRC, NOW + 31, "c4 1"), SIPAUTH_STALE);
	assert_int_equal(sipauth_challenge(a, SRC, NOW + 31, 1, chal, sizeof chal), 0);
	assert_non_null(strstr(chal, "stale=true"));
	/* From the future (beyond the slack): stale. */
	assert_int_equal(sipauth_verify(a, &cr, "acct42", "s3cret", "INVITE", RURI, SRC, NOW - 10, "c4 1"), SIPAUTH_STALE);
	/* A SHA-256 answer to our nonce is checked too. */
	digest_cred_t s = cr;
	s.alg = DIGEST_SHA256;
	digest_compute(DIGEST_SHA256, "acct42", "faxvault", "s3cret", "INVITE", RURI, s.nonce, s.cnonce, 1, s.response);
	assert_int_equal(sipauth_verify(a, &s, "acct42", "s3cret", "INVITE", RURI, SRC, NOW, "c5 1"), SIPAUTH_OK);
	/* Upper-case hex in the response is the same response. */
	answer(chal, "acct42", "s3cret", RURI, 1, &cr);
	for (char *p = cr.response; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 32);
	assert_int_equal(sipauth_verify(a, &cr, "acct42", "s3cret", "INVITE", RURI, SRC, NOW + 31, "c6 1"), SIPAUTH_OK);
	assert_string_equal(sipauth_verdict_name(SIPAUTH_REPLAY), "replay");
	sipauth_free(a);
	sipauth_free(NULL);
	assert_null(sipauth_new("a\"b", 0));
}

/* The window full of live nonces: the oldest is forgotten, and its nonce
 * (or any as old) is stale from then on, never new again. */
static void t_window_overflow(void **state)
{
	(void)state;
	sipauth_t *a = sipauth_new("faxvault", 3600);
	char chal[SIPAUTH_CHALLENGE_MAX];
	digest_cred_t first, cr;
	assert_int_equal(sipauth_challenge(a, SRC, NOW, 0, chal, sizeof chal), 0);
	answer(chal, "u", "p", RURI, 1, &first);
	assert_int_equal(sipauth_verify(a, &first, "u", "p", "INVITE", RURI, SRC, NOW, "r0"), SIPAUTH_OK);
	for (int i = 1; i <= SIPAUTH_WINDOW; i++) {
		assert_int_equal(sipauth_challenge(a, SRC, NOW + i, 0, chal, sizeof chal), 0);
		answer(chal, "u", "p", RURI, 1, &cr);
		char req[32];
		snprintf(req, sizeof req, "r%d", i);
		assert_int_equal(sipauth_verify(a, &cr, "u", "p", "INVITE", RURI, SRC, NOW + i, req), SIPAUTH_OK);
	}
	/* The first nonce was pushed out: its replay is stale, not new. */
	assert_int_equal(sipauth_verify(a, &first, "u", "p", "INVITE", RURI, SRC, NOW + SIPAUTH_WINDOW, "rx"),
		SIPAUTH_STALE);
	/* A fresh nonce still works. */
	assert_int_equal(sipauth_challenge(a, SRC, NOW + SIPAUTH_WINDOW + 1, 0, chal, sizeof chal), 0);
	answer(chal, "u", "p", RURI, 1, &cr);
	assert_int_equal(sipauth_verify(a, &cr, "u", "p", "INVITE", RURI, SRC, NOW + SIPAUTH_WINDOW + 1, "ry"), SIPAUTH_OK);
	sipauth_free(a);
}

int main(void)
{
	if (sec_init() != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_rfc7616_vectors),
		cmocka_unit_test(t_rfc2617_vector),
		cmocka_unit_test(t_credentials_bad),
		cmocka_unit_test(t_verify),
		cmocka_unit_test(t_window_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
