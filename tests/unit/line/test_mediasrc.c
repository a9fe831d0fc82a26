/* Unit tests of the source check of a call's media (mediasrc.h): each case
 * a sequence of datagrams (from which address, with which sequence number,
 * the lock quiet or not) and what each must get. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mediasrc.h"
#include "sipaddr.h"

/* The addresses of the cases: the SDP's, the peer's NAT (the SDP's IP
 * with another port, and another IP), strangers. */
enum { SDP, NAT_PORT, NAT_IP, EVIL, EVIL2, EVIL3, EVIL4, EVIL5, NADDR };
static const char *const ip[NADDR] = {"192.0.2.10", "192.0.2.10", "198.51.100.7", "203.0.113.66",
				      "203.0.113.66", "203.0.113.67", "203.0.113.68", "203.0.113.69"};
static const uint16_t port[NADDR] = {4000, 40001, 4000, 5000, 5001, 5000, 5000, 5000};

enum { BAD = -1 }; /* a datagram that is not well-formed media (PROBE, then rejected) */

typedef struct step {
	int from;
	int seq;      /* BAD: not well-formed */
	int quiet;
	int want;     /* MEDIASRC_TAKE, _LOCKED, _DROP; PROBE: on probation, dropped; LEARNT: learnt now */
} step_t;
enum { PROBE = 100, LEARNT };

typedef struct scase {
	const char *name;
	step_t steps[24];
	int nsteps;
	unsigned foreign; /* counted at the end */
	int locked_to;    /* -1: nothing locked */
} scase_t;

#define S(...) {__VA_ARGS__}, sizeof((step_t[]){__VA_ARGS__}) / sizeof(step_t)

static const scase_t cases[] = {
    {"the SDP's address: taken at once and for good",
     S({SDP, 7, 0, MEDIASRC_LOCKED}, {SDP, 8, 0, MEDIASRC_TAKE}, {EVIL, 9, 0, MEDIASRC_DROP},
       {EVIL, 10, 1, MEDIASRC_DROP}, {EVIL, 11, 1, MEDIASRC_DROP}, {EVIL, 12, 1, MEDIASRC_DROP},
       {SDP, BAD, 0, MEDIASRC_TAKE}),
     4, SDP},
    {"a NAT peer (another port) learnt after three packets in a row",
     S({NAT_PORT, 100, 0, PROBE}, {NAT_PORT, 101, 0, PROBE}, {NAT_PORT, 102, 0, LEARNT},
       {NAT_PORT, 103, 0, MEDIASRC_TAKE}, {NAT_PORT, BAD, 0, MEDIASRC_TAKE}, {EVIL, 1, 0, MEDIASRC_DROP}),
     3, NAT_PORT},
    {"a forged sequence 0, again and again, is never learnt; the NAT peer is, between them",
     S({EVIL, 0, 0, PROBE}, {EVIL, 0, 0, PROBE}, {NAT_IP, 0, 0, PROBE}, {EVIL, 0, 0, PROBE},
       {EVIL, 0, 0, PROBE}, {NAT_IP, 1, 0, PROBE}, {EVIL, 0, 0, PROBE}, {NAT_IP, 2, 0, LEARNT},
       {EVIL, 0, 0, MEDIASRC_DROP}, {EVIL, 1, 0, MEDIASRC_DROP}, {NAT_IP, 3, 0, MEDIASRC_TAKE}),
     9, NAT_IP},
    {"a learnt lock holds while its source sends; it moves only once quiet, by learning again",
     S({NAT_IP, 10, 0, PROBE}, {NAT_IP, 11, 0, PROBE}, {NAT_IP, 12, 0, LEARNT}, {EVIL, 1, 0, MEDIASRC_DROP},
       {EVIL, 2, 0, MEDIASRC_DROP}, {EVIL, 3, 0, MEDIASRC_DROP}, {EVIL, 4, 0, MEDIASRC_DROP},
       {NAT_IP, 13, 0, MEDIASRC_TAKE}, {NAT_PORT, 14, 1, PROBE}, {NAT_PORT, 15, 1, PROBE},
       {NAT_PORT, 16, 1, LEARNT}, {NAT_IP, 17, 0, MEDIASRC_DROP}),
     9, NAT_PORT},
    {"a learnt lock gives way to the SDP's address at once, which then never moves",
     S({NAT_IP, 1, 0, PROBE}, {NAT_IP, 2, 0, PROBE}, {NAT_IP, 3, 0, LEARNT}, {SDP, 4, 0, MEDIASRC_LOCKED},
       {NAT_IP, 5, 1, MEDIASRC_DROP}, {EVIL, 6, 1, MEDIASRC_DROP}, {EVIL, 7, 1, MEDIASRC_DROP},
       {EVIL, 8, 1, MEDIASRC_DROP}),
     6, SDP},
    {"a gap or a repeat starts the count again; numbers wrap",
     S({NAT_IP, 65534, 0, PROBE}, {NAT_IP, 65535, 0, PROBE}, {NAT_IP, 1, 0, PROBE}, {NAT_IP, 1, 0, PROBE},
       {NAT_IP, 2, 0, PROBE}, {NAT_IP, 65535, 0, PROBE}, {NAT_IP, 0, 0, PROBE}, {NAT_IP, 1, 0, LEARNT}),
     7, NAT_IP},
    {"what is not well-formed media is never learnt and resets nothing",
     S({NAT_IP, 1, 0, PROBE}, {EVIL, BAD, 0, PROBE}, {NAT_IP, BAD, 0, PROBE}, {NAT_IP, 2, 0, PROBE},
       {EVIL, BAD, 0, PROBE}, {NAT_IP, 3, 0, LEARNT}),
     5, NAT_IP},
    {"strangers from many sources take the oldest slots, not the peer's latest",
     S({NAT_IP, 1, 0, PROBE}, {EVIL, 9, 0, PROBE}, {EVIL2, 9, 0, PROBE}, {EVIL3, 9, 0, PROBE},
       {NAT_IP, 2, 0, PROBE}, {EVIL4, 9, 0, PROBE}, {EVIL5, 9, 0, PROBE}, {NAT_IP, 3, 0, LEARNT}),
     7, NAT_IP},
    {"nothing learnt from strangers that never send in order", S({EVIL, 5, 0, PROBE}, {EVIL2, 6, 0, PROBE},
       {EVIL, 7, 0, PROBE}, {EVIL2, 5, 0, PROBE}), 4, -1},
};

static void addr(int i, struct sockaddr_storage *sa)
{
	assert_int_equal(sipaddr_from_ip(sa, ip[i], port[i]), 0);
}

static void run(const scase_t *k, media_src_t *s)
{
	for (int i = 0; i < k->nsteps; i++) {
		const step_t *st = &k->steps[i];
		struct sockaddr_storage src;
		addr(st->from, &src);
		int got = media_src_check(s, &src, st->quiet);
		if (got == MEDIASRC_PROBE) {
			uint16_t first = 0;
			if (st->seq == BAD) {
				media_src_reject(s);
				got = PROBE;
			} else {
				got = media_src_probe(s, &src, (uint16_t)st->seq, &first) ? LEARNT : PROBE;
				if (got == LEARNT)
					assert_int_equal(first, (uint16_t)(st->seq - (MEDIASRC_PROBATION - 1)));
			}
		}
		if (got != st->want)
			fail_msg("%s: step %d: got %d, want %d", k->name, i, got, st->want);
	}
}

static void t_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const scase_t *k = &cases[i];
		media_src_t s;
		memset(&s, 0, sizeof s);
		struct sockaddr_storage sdp;
		addr(SDP, &sdp);
		media_src_reset(&s, &sdp);
		run(k, &s);
		if (s.foreign != k->foreign)
			fail_msg("%s: foreign %u, want %u", k->name, s.foreign, k->foreign);
		assert_int_equal(s.locked, k->locked_to >= 0);
		if (k->locked_to >= 0) {
			struct sockaddr_storage want;
			addr(k->locked_to, &want);
			if (!sipaddr_eq(&s.lock, &want))
				fail_msg("%s: locked to the wrong source", k->name);
		}
	}
}

/* A new SDP with the same address keeps the lock (a refresh, the switch
 * to T.38 on the same port); another address starts afresh; the count of
 * dropped datagrams is the call's and stays. */
static void t_reset(void **state)
{
	(void)state;
	media_src_t s;
	memset(&s, 0, sizeof s);
	struct sockaddr_storage sdp, nat, evil, other;
	addr(SDP, &sdp);
	addr(NAT_IP, &nat);
	addr(EVIL, &evil);
	assert_int_equal(sipaddr_from_ip(&other, "192.0.2.11", 4002), 0);
	/* nothing named yet: every source on probation */
	assert_int_equal(media_src_check(&s, &sdp, 0), MEDIASRC_PROBE);
	media_src_reject(&s);
	media_src_reset(&s, &sdp);
	uint16_t first;
	for (uint16_t q = 1; q <= MEDIASRC_PROBATION; q++) {
		assert_int_equal(media_src_check(&s, &nat, 0), MEDIASRC_PROBE);
		assert_int_equal(media_src_probe(&s, &nat, q, &first), q == MEDIASRC_PROBATION);
	}
	assert_int_equal(first, 1);
	assert_int_equal(media_src_check(&s, &evil, 0), MEDIASRC_DROP);
	media_src_reset(&s, &sdp);
	assert_true(s.locked);
	assert_int_equal(media_src_check(&s, &nat, 0), MEDIASRC_TAKE);
	assert_int_equal(media_src_check(&s, &evil, 0), MEDIASRC_DROP);
	media_src_reset(&s, &other);
	assert_false(s.locked);
	assert_int_equal(s.foreign, 5);
	assert_int_equal(media_src_check(&s, &nat, 0), MEDIASRC_PROBE);
	assert_int_equal(media_src_check(&s, &other, 0), MEDIASRC_LOCKED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_cases),
	    cmocka_unit_test(t_reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
