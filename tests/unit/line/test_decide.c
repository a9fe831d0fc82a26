/* The decision on a new INVITE runs off the engine's SIP thread: while a
 * listener's accept_ex is held (the test's callback waits for the test),
 * the engine answers 100 to that INVITE and to its retransmissions,
 * answers OPTIONS, and decides and answers a second INVITE; a CANCEL gets
 * 200 and the held INVITE 487, the acceptance that comes after it is
 * reported as a failed call (its call_ud released once); a decision late
 * past decide_ms gets 503 with Retry-After; an accepted call is answered
 * 200 once its decision is in; a listener stopping waits for the
 * decisions of its INVITEs. Raw SIP over UDP from the test; only the
 * order of events is asserted, never a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "line.h"
#include "sipmsg.h"

#define DEADLINE_MS 60000 /* per response: generous, the machine is loaded */

/* The test's decisions: a number starting "hold" waits until the test
 * releases it, with the status the test gives. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int entered[4], released[4], release_status[4];
static int decisions_at_once, decisions_max;
static int ud_marks[4];
static char dir[64];

static int accept_ex(void *ud, line_invite_t *inv, char *tiff_path, size_t pathlen, void **call_ud)
{
	(void)ud;
	pthread_mutex_lock(&mu);
	decisions_at_once++;
	if (decisions_at_once > decisions_max)
		decisions_max = decisions_at_once;
	int st = 0, k = -1;
	if (strncmp(inv->called, "hold", 4) == 0 && inv->called[4] >= '0' && inv->called[4] <= '3') {
		k = inv->called[4] - '0';
		entered[k]++;
		pthread_cond_broadcast(&cv);
		while (!released[k])
			pthread_cond_wait(&cv, &mu);
		st = release_status[k];
	} else if (strcmp(inv->called, "404") == 0) {
		st = 404;
	} else {
		k = 3; /* "ok": accepted at once */
	}
	decisions_at_once--;
	pthread_mutex_unlock(&mu);
	if (st == 0) {
		snprintf(tiff_path, pathlen, "%s/rx-%d.tif", dir, k);
		*call_ud = &ud_marks[k];
	}
	return st;
}

static void wait_entered(int k)
{
	pthread_mutex_lock(&mu);
	while (!entered[k])
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

static void release(int k, int status)
{
	pthread_mutex_lock(&mu);
	released[k] = 1;
	release_status[k] = status;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static int entered_count(int k)
{
	pthread_mutex_lock(&mu);
	int n = entered[k];
	pthread_mutex_unlock(&mu);
	return n;
}

/* A listener on the engine, run by a thread of the test; its results. */
struct listener {
	line_engine_t *e;
	line_cfg_t cfg;
	atomic_int stop;
	int port, rc;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	fax_result_t res[8];
	int nres;
};

static void on_result(void *ud, const fax_result_t *r)
{
	struct listener *l = ud;
	pthread_mutex_lock(&l->mu);
	if (l->nres < 8)
		l->res[l->nres++] = *r;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

static void *listener_main(void *arg)
{
	struct listener *l = arg;
	l->rc = line_engine_receive(l->e, &l->cfg, on_result, l);
	return NULL;
}

static void listener_start(struct listener *l, line_engine_t *e, int decide_ms)
{
	memset(l, 0, sizeof *l);
	l->e = e;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	line_cfg_defaults(&l->cfg);
	l->cfg.listen = "127.0.0.1:0";
	l->cfg.media_priority = 0;
	l->cfg.stop = &l->stop;
	l->cfg.bound_port = &l->port;
	l->cfg.accept_ex = accept_ex;
	l->cfg.decide_ms = decide_ms;
	assert_int_equal(pthread_create(&l->th, NULL, listener_main, l), 0);
	while (!__atomic_load_n(&l->port, __ATOMIC_ACQUIRE))
		usleep(1000);
}

/* Waits for the listener's n-th result (an event). */
static const fax_result_t *result(struct listener *l, int n)
{
	pthread_mutex_lock(&l->mu);
	while (l->nres < n)
		pthread_cond_wait(&l->cv, &l->mu);
	pthread_mutex_unlock(&l->mu);
	return &l->res[n - 1];
}

static int udp_socket(int *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t al = sizeof a;
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

struct peer {
	int fd, port;
	int media_fd, media_port;
	int to;                   /* the listener's port */
};

static void send_req(struct peer *p, const char *method, const char *cid, const char *number, int cseq,
		     const char *branch, const char *to_tag, int with_sdp)
{
	char sdp[512] = "", msg[2048];
	if (with_sdp)
		snprintf(sdp, sizeof sdp,
			 "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
			 "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
			 p->media_port);
	char tt[64] = "";
	if (to_tag)
		snprintf(tt, sizeof tt, ";tag=%s", to_tag);
	int n = snprintf(msg, sizeof msg,
			 "%s sip:%s@127.0.0.1:%d SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s\r\n"
			 "Max-Forwards: 70\r\n"
			 "From: <sip:5550100@127.0.0.1>;tag=f%s\r\n"
			 "To: <sip:%s@127.0.0.1>%s\r\n"
			 "Call-ID: %s\r\n"
			 "CSeq: %d %s\r\n"
			 "Contact: <sip:5550100@127.0.0.1:%d>\r\n"
			 "%s"
			 "Content-Length: %zu\r\n\r\n%s",
			 method, number, p->to, p->port, branch, cid, number, tt, cid, cseq, method, p->port,
			 with_sdp ? "Content-Type: application/sdp\r\n" : "", strlen(sdp), sdp);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				.sin_port = htons((uint16_t)p->to)};
	assert_int_equal(sendto(p->fd, msg, (size_t)n, 0, (struct sockaddr *)&a, sizeof a), n);
}

static int str_is(sip_str_t s, const char *z)
{
	return s.n == strlen(z) && memcmp(s.p, z, s.n) == 0;
}

/* The next response to (cid, method): its status (1xx skipped when final
 * is set); its To tag into tag when non-NULL, Retry-After into *retry. */
static int next_resp(struct peer *p, const char *cid, const char *method, int final, char *tag, int *retry)
{
	for (;;) {
		struct pollfd pf = {.fd = p->fd, .events = POLLIN};
		assert_int_equal(poll(&pf, 1, DEADLINE_MS), 1);
		static uint8_t buf[SIP_MSG_MAX + 1];
		ssize_t n = recv(p->fd, buf, sizeof buf - 1, 0);
		assert_true(n > 0);
		sip_msg_t m;
		assert_int_equal(sip_msg_parse(buf, (size_t)n, &m), 0);
		assert_false(m.is_request);
		const sip_str_t *c = sip_msg_header(&m, "Call-ID");
		uint32_t num;
		sip_str_t meth;
		assert_int_equal(sip_cseq(&m, &num, &meth), 0);
		if (!c || !str_is(*c, cid) || !str_is(meth, method) || (final && m.status < 200))
			continue;
		if (tag) {
			sip_str_t t = {"", 0};
			sip_param(*sip_msg_header(&m, "To"), "tag", &t);
			snprintf(tag, 64, "%.*s", (int)t.n, t.p);
		}
		if (retry) {
			const sip_str_t *ra = sip_msg_header(&m, "Retry-After");
			*retry = ra ? atoi(ra->p) : -1;
		}
		return m.status;
	}
}

static void peer_open(struct peer *p, int to)
{
	memset(p, 0, sizeof *p);
	p->fd = udp_socket(&p->port);
	p->media_fd = udp_socket(&p->media_port);
	p->to = to;
}

static void peer_close(struct peer *p)
{
	close(p->fd);
	close(p->media_fd);
}

static void test_decision_off_sip_thread(void **state)
{
	(void)state;
	line_engine_cfg_t ec = {.media_loops = 1, .media_priority = 0, .clock_speed = 1.0};
	char err[160] = "";
	line_engine_t *e = line_engine_new(&ec, err, sizeof err);
	assert_non_null(e);
	struct listener l, late;
	listener_start(&l, e, 0);
	listener_start(&late, e, 100);
	struct peer p;
	peer_open(&p, l.port);

	/* A: held. 100 at once; its decision runs. */
	send_req(&p, "INVITE", "call-a", "hold0", 1, "a1", NULL, 1);
	assert_int_equal(next_resp(&p, "call-a", "INVITE", 0, NULL, NULL), 100);
	wait_entered(0);
	/* While A's decision is held: OPTIONS answered ... */
	send_req(&p, "OPTIONS", "opt-1", "hold0", 1, "o1", NULL, 0);
	assert_int_equal(next_resp(&p, "opt-1", "OPTIONS", 1, NULL, NULL), 200);
	/* ... a second INVITE decided and refused ... */
	send_req(&p, "INVITE", "call-b", "404", 1, "b1", NULL, 1);
	assert_int_equal(next_resp(&p, "call-b", "INVITE", 0, NULL, NULL), 100);
	assert_int_equal(next_resp(&p, "call-b", "INVITE", 1, NULL, NULL), 404);
	/* ... and its next INVITE (same Call-ID and tag, CSeq 2, as after a
	 * 401) decided afresh, accepted and answered: the call runs, then
	 * ends by our BYE. */
	char tag[64];
	send_req(&p, "INVITE", "call-b", "ok", 2, "d1", NULL, 1);
	assert_int_equal(next_resp(&p, "call-b", "INVITE", 1, tag, NULL), 200);
	send_req(&p, "ACK", "call-b", "ok", 2, "d2", tag, 0);
	send_req(&p, "BYE", "call-b", "ok", 3, "d3", tag, 0);
	assert_int_equal(next_resp(&p, "call-b", "BYE", 1, NULL, NULL), 200);
	const fax_result_t *r = result(&l, 1);
	assert_ptr_equal(r->call_ud, &ud_marks[3]);
	assert_true(r->answered);
	/* ... and A's retransmission gets 100 again, not a second decision. */
	send_req(&p, "INVITE", "call-a", "hold0", 1, "a1", NULL, 1);
	assert_int_equal(next_resp(&p, "call-a", "INVITE", 0, NULL, NULL), 100);
	assert_int_equal(entered_count(0), 1);
	/* A is cancelled: 200 to the CANCEL, 487 to the INVITE. */
	send_req(&p, "CANCEL", "call-a", "hold0", 1, "a1", NULL, 0);
	assert_int_equal(next_resp(&p, "call-a", "CANCEL", 1, NULL, NULL), 200);
	assert_int_equal(next_resp(&p, "call-a", "INVITE", 1, NULL, NULL), 487);
	/* Its acceptance after that is dropped: reported failed, call_ud once. */
	release(0, 0);
	r = result(&l, 2);
	assert_ptr_equal(r->call_ud, &ud_marks[0]);
	assert_false(r->answered);
	assert_int_equal(r->sip_status, 487);
	assert_string_equal(r->fail_class, "no_answer");

	/* C, on a listener that waits 100 ms for a decision: held past it,
	 * 503 with Retry-After; its retransmission gets that 503 again. */
	struct peer q;
	peer_open(&q, late.port);
	send_req(&q, "INVITE", "call-c", "hold1", 1, "c1", NULL, 1);
	assert_int_equal(next_resp(&q, "call-c", "INVITE", 0, NULL, NULL), 100);
	int retry = -1;
	assert_int_equal(next_resp(&q, "call-c", "INVITE", 1, NULL, &retry), 503);
	assert_true(retry > 0);
	send_req(&q, "INVITE", "call-c", "hold1", 1, "c1", NULL, 1);
	assert_int_equal(next_resp(&q, "call-c", "INVITE", 1, NULL, NULL), 503);
	release(1, 0);
	r = result(&late, 1);
	assert_ptr_equal(r->call_ud, &ud_marks[1]);
	assert_false(r->answered);
	assert_int_equal(r->sip_status, 503);

	/* E: held while its listener stops. The stop is seen once a new
	 * INVITE gets 503 at once; E's acceptance after that gets 503 and is
	 * reported failed; the listener ends only then. */
	send_req(&p, "INVITE", "call-e", "hold2", 1, "e1", NULL, 1);
	assert_int_equal(next_resp(&p, "call-e", "INVITE", 0, NULL, NULL), 100);
	wait_entered(2);
	atomic_store(&l.stop, 1);
	for (int i = 0;; i++) {
		char cid[32];
		snprintf(cid, sizeof cid, "probe-%d", i);
		send_req(&p, "INVITE", cid, "404", 1, cid, NULL, 1);
		if (next_resp(&p, cid, "INVITE", 1, NULL, NULL) == 503)
			break;
	}
	release(2, 0);
	assert_int_equal(next_resp(&p, "call-e", "INVITE", 1, NULL, NULL), 503);
	r = result(&l, 3);
	assert_ptr_equal(r->call_ud, &ud_marks[2]);
	assert_false(r->answered);
	pthread_join(l.th, NULL);
	assert_int_equal(l.rc, 0);
	assert_int_equal(l.nres, 3);
	atomic_store(&late.stop, 1);
	pthread_join(late.th, NULL);
	assert_int_equal(late.nres, 1);
	/* two decisions ran at once (A held while B and D were decided) */
	assert_true(decisions_max >= 2);
	line_engine_free(e);
	peer_close(&p);
	peer_close(&q);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/fv-decide-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decision_off_sip_thread),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
