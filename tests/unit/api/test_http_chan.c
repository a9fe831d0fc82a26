/* Unit tests of the HTTP front end's channel to the service: the table of
 * requests in flight (src/api/http_chan.c: ids, answers late or twice or
 * unknown, the cap, the close, the deadline) and the messages' ids (src/api/http_wire.c:
 * a request's id goes and its answer's comes back in the IPC header, id 0
 * refused by the encoder and the decoder alike), over a real SEQPACKET
 * socketpair; and what the service's reader does with malformed frames
 * from the front end (test_malformed_frames). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>

#include "../common/wire_frames.h"

#include "http_chan.h"
#include "http_wire.h"
#include "timeutil.h"
#include "xalloc.h"

static void test_ids(void **state)
{
	(void)state;
	http_chan_t *c = http_chan_new(4);
	int a, b;
	uint64_t ia, ib, ia2;
	assert_int_equal(http_chan_add(c, &a, &ia), 0);
	assert_int_equal(http_chan_add(c, &b, &ib), 0);
	assert_true(ia != 0 && ib != 0 && ia != ib);
	assert_int_equal(http_chan_inflight(c), 2);
	/* Answers in any order. */
	assert_ptr_equal(http_chan_take(c, ib), &b);
	/* A repeat, an id never given, 0: nothing. */
	assert_null(http_chan_take(c, ib));
	assert_null(http_chan_take(c, ia + 1));
	assert_null(http_chan_take(c, ~ia));
	assert_null(http_chan_take(c, 0));
	assert_int_equal(http_chan_inflight(c), 1);
	assert_ptr_equal(http_chan_take(c, ia), &a);
	/* A slot used again gets another id: the late answer of the first
	 * request finds nothing, not the new one. */
	assert_int_equal(http_chan_add(c, &b, &ia2), 0);
	assert_true(ia2 != ia && ia2 != ib);
	assert_null(http_chan_take(c, ia));
	assert_null(http_chan_take(c, ib));
	assert_ptr_equal(http_chan_take(c, ia2), &b);
	assert_int_equal(http_chan_inflight(c), 0);
	http_chan_free(c);
	assert_null(http_chan_new(0));
	assert_null(http_chan_new(HTTP_CHAN_CAP_MAX + 1));
	http_chan_free(NULL);
}

static void test_cap(void **state)
{
	(void)state;
	enum { CAP = 3 };
	http_chan_t *c = http_chan_new(CAP);
	int r[CAP + 1];
	uint64_t id[CAP + 1];
	for (int i = 0; i < CAP; i++)
		assert_int_equal(http_chan_add(c, &r[i], &id[i]), 0);
	/* Full: refused (the front end answers 503), until one is answered. */
	errno = 0;
	assert_int_equal(http_chan_add(c, &r[CAP], &id[CAP]), -1);
	assert_int_equal(errno, EBUSY);
	assert_ptr_equal(http_chan_take(c, id[1]), &r[1]);
	assert_int_equal(http_chan_add(c, &r[CAP], &id[CAP]), 0);
	assert_int_equal(http_chan_inflight(c), CAP);
	for (int i = 0; i <= CAP; i++)
		if (i != 1)
			assert_ptr_equal(http_chan_take(c, id[i]), &r[i]);
	http_chan_free(c);
}

struct seen {
	int n;
	void *req[8];
};

static void collect(void *req, void *arg)
{
	struct seen *s = arg;
	s->req[s->n++] = req;
}

static void test_close(void **state)
{
	(void)state;
	http_chan_t *c = http_chan_new(8);
	int r[3];
	uint64_t id[3];
	for (int i = 0; i < 3; i++)
		assert_int_equal(http_chan_add(c, &r[i], &id[i]), 0);
	assert_ptr_equal(http_chan_take(c, id[0]), &r[0]);
	struct seen s = { 0 };
	http_chan_close(c, collect, &s);
	/* Every request in flight handed back once (the front end answers
	 * them 503); their answers, if any come, find nothing. */
	assert_int_equal(s.n, 2);
	assert_true((s.req[0] == &r[1] && s.req[1] == &r[2]) ||
		(s.req[0] == &r[2] && s.req[1] == &r[1]));
	assert_null(http_chan_take(c, id[1]));
	assert_null(http_chan_take(c, id[2]));
	uint64_t x;
	errno = 0;
	assert_int_equal(http_chan_add(c, &r[0], &x), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(http_chan_inflight(c), 0);
	http_chan_free(c);
}

struct expired {
	int n;
	void *req[8];
	uint64_t id[8];
};

static void on_expired(void *req, uint64_t id, void *arg)
{
	struct expired *e = arg;
	e->req[e->n] = req;
	e->id[e->n++] = id;
}

/* The deadline: a request not answered in time is handed back once (the
 * front end answers 504), oldest first; its place stays taken until its
 * late answer (ETIMEDOUT, then the place is free) or the close (not handed
 * back twice). The clock is the caller's: the table never waits. */
static void test_deadline(void **state)
{
	(void)state;
	enum { CAP = 3 };
	const int64_t T = 1000LL * 1000000000LL; /* far beyond this test's run */
	http_chan_t *c = http_chan_new(CAP);
	struct expired e = { 0 };
	int r[4];
	uint64_t id[4];
	/* No timeout set: nothing ever expires. */
	assert_int_equal(http_chan_add(c, &r[0], &id[0]), 0);
	assert_int_equal(http_chan_next_deadline(c), 0);
	assert_int_equal(http_chan_expire(c, INT64_MAX, on_expired, &e), 0);
	http_chan_set_timeout(c, T);
	int64_t t0 = time_mono_ns();
	assert_int_equal(http_chan_add(c, &r[1], &id[1]), 0);
	assert_int_equal(http_chan_add(c, &r[2], &id[2]), 0);
	int64_t next = http_chan_next_deadline(c);
	assert_true(next >= t0 + T && next <= time_mono_ns() + T);
	/* Not yet due. */
	assert_int_equal(http_chan_expire(c, time_mono_ns(), on_expired, &e), 0);
	/* The second answered in time: only the first expires. */
	assert_ptr_equal(http_chan_take(c, id[2]), &r[2]);
	assert_int_equal(http_chan_expire(c, next, on_expired, &e), 1);
	assert_int_equal(e.n, 1);
	assert_ptr_equal(e.req[0], &r[1]);
	assert_int_equal(e.id[0], id[1]);
	assert_int_equal(http_chan_next_deadline(c), 0);
	/* Once only. */
	assert_int_equal(http_chan_expire(c, INT64_MAX, on_expired, &e), 0);
	/* Its place stays taken: with r[0] and r[1] in the service, one more
	 * fills the table. */
	assert_int_equal(http_chan_inflight(c), 2);
	assert_int_equal(http_chan_add(c, &r[2], &id[2]), 0);
	errno = 0;
	assert_int_equal(http_chan_add(c, &r[3], &id[3]), -1);
	assert_int_equal(errno, EBUSY);
	/* The late answer finds nothing, says it was late, frees the place. */
	errno = 0;
	assert_null(http_chan_take(c, id[1]));
	assert_int_equal(errno, ETIMEDOUT);
	errno = 0;
	assert_null(http_chan_take(c, id[1]));
	assert_int_equal(errno, ENOENT);
	assert_int_equal(http_chan_add(c, &r[3], &id[3]), 0);
	/* The close hands back the others, not an expired one again. */
	assert_int_equal(http_chan_expire(c, INT64_MAX, on_expired, &e), 2);
	assert_int_equal(e.n, 3);
	assert_ptr_equal(e.req[1], &r[2]);
	assert_ptr_equal(e.req[2], &r[3]);
	assert_ptr_equal(http_chan_take(c, id[3]), NULL);
	struct seen s = { 0 };
	http_chan_close(c, collect, &s);
	assert_int_equal(s.n, 1);
	assert_ptr_equal(s.req[0], &r[0]);
	assert_int_equal(http_chan_inflight(c), 0);
	http_chan_free(c);
}

static void test_wire_ids(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(ipc_socketpair(sv), 0);
	http_kv_t h[] = { { "Accept", "application/json" } };
	http_in_t in = { .method = "GET", .url = "/v1/me", .peer = "127.0.0.1", .headers = h,
		.nheaders = 1, .listener = HTTP_LISTENER_API };
	struct ipc_out *o = xmalloc(sizeof *o);
	/* Id 0 is refused by the encoder, as by the decoder. */
	assert_int_equal(http_wire_request_encode(o, 0, &in), -1);
	uint64_t id = (7ull << 16) | 3;
	assert_int_equal(http_wire_request_encode(o, id, &in), 0);
	assert_int_equal(ipc_send(sv[0], o), 0);
	struct ipc_msg m;
	assert_int_equal(ipc_recv(sv[1], &m), 0);
	assert_int_equal(m.id, id);
	http_wire_req_t *w = xmalloc(sizeof *w);
	assert_int_equal(http_wire_request_decode(&m, w), 0);
	assert_string_equal(w->in.url, "/v1/me");
	m.id = 0;
	assert_int_equal(http_wire_request_decode(&m, w), -1);
	ipc_msg_free(&m);
	/* The answer carries the request's id back. */
	http_out_t a = { .status = 200 };
	http_out_add(&a, "Content-Type", "application/json");
	a.body = (uint8_t *)xstrdup("{}");
	a.len = 2;
	int fd;
	assert_int_equal(http_wire_answer_encode(o, id, &a, &fd), 0);
	assert_int_equal(fd, -1);
	assert_int_equal(ipc_send(sv[1], o), 0);
	assert_int_equal(ipc_recv(sv[0], &m), 0);
	assert_int_equal(m.id, id);
	http_out_t b;
	bool in_fd;
	assert_int_equal(http_wire_answer_decode(&m, &b, &in_fd), 0);
	assert_false(in_fd);
	assert_int_equal(b.status, 200);
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.body, "{}", 2);
	http_out_free(&b);
	ipc_msg_free(&m);
	http_out_free(&a);
	free(w);
	free(o);
	close(sv[0]);
	close(sv[1]);
}

/* ---- malformed frames from the front end, as the service reads them ----
 * The front end parses the internet's input and may be taken over: the
 * service reads its channel with ipc_recv, then http_wire_request_check
 * (src/daemon/http_front.c, take()). What the service does with a frame
 * refused there, by design (http_front.c, docs/architecture.md
 * "Processes"): it logs http.front_malformed, kills the front end
 * (SIGKILL: the process may be someone else's now) and ends the channel;
 * the requests it had read before are run and answered as usual, and the
 * successor front end gets a new channel. The refused frame's fds are
 * closed (ipc_recv closes those of a datagram it refuses, ipc_msg_free
 * those of a message the check refuses); an empty datagram is refused
 * as one (ipc_recv's 1 is only the end: the front end closed). Here: each kind of bad frame between two good ones on
 * one real socketpair, the receiver's answer to each, its fds closed in
 * the receiver (fcntl), and the good frames on each side of it still read
 * whole (the datagrams keep their bounds). */

/* A well-formed request for url into o (body_len bytes declared, the
 * body's fd not attached). */
static void good_request(struct ipc_out *o, uint64_t id, const char *url, size_t body_len)
{
	static uint8_t body[8];
	http_kv_t h[] = { { "Accept", "application/json" } };
	http_in_t in = { .method = body_len ? "POST" : "GET", .url = url, .peer = "192.0.2.7",
		.headers = h, .nheaders = 1, .listener = HTTP_LISTENER_API,
		.body = body_len ? body : NULL, .len = body_len };
	assert_int_equal(http_wire_request_encode(o, id, &in), 0);
}

/* The service's read of one frame: ipc_recv, then the check; a refused
 * message freed as the service drops it (its fds closed). */
static int svc_read(int s, http_wire_req_t *w, char *url, size_t urlcap)
{
	struct ipc_msg m;
	int rc = wf_recv(s, &m);
	if (rc != 0)
		return rc;
	int r = http_wire_request_check(&m, w) == 0 ? WF_OK : WF_REFUSED;
	if (r == WF_OK)
		snprintf(url, urlcap, "%s", w->in.url);
	ipc_msg_free(&m);
	return r;
}

/* A good request before and after: both read whole. */
static void expect_good(int s, http_wire_req_t *w, const char *url)
{
	char got[64];
	assert_int_equal(svc_read(s, w, got, sizeof got), WF_OK);
	assert_string_equal(got, url);
}

static void test_malformed_frames(void **state)
{
	(void)state;
	int sv[2];
	wf_pair(sv);
	struct ipc_out *o = xmalloc(sizeof *o);
	http_wire_req_t *w = xmalloc(sizeof *w);
	uint8_t *raw = xcalloc(1, IPC_HDR_LEN + IPC_PAYLOAD_MAX + 1);
	char url[64];
	int memfd[5];
	for (int i = 0; i < 5; i++)
		assert_true((memfd[i] = memfd_create("wirebad", MFD_CLOEXEC)) >= 0);
	assert_int_equal(ftruncate(memfd[0], 5), 0);
	uint64_t id = 1 << 16;

	good_request(o, ++id, "/v1/first", 0);
	assert_int_equal(ipc_send(sv[0], o), 0);
	expect_good(sv[1], w, "/v1/first");

	/* Each case: the bad frame, then a good one. */
	struct {
		const char *what;
		int expect;
	} cases[] = {
		{ "truncated: fewer bytes than its header's length", WF_BADMSG },
		{ "a header that claims more than the frame holds, with an fd", WF_BADMSG },
		{ "a payload cut inside a field (length consistent)", WF_REFUSED },
		{ "bytes left over after the last field", WF_REFUSED },
		{ "over the size limit, with an fd", WF_BADMSG },
		{ "an unknown kind (type)", WF_REFUSED },
		{ "a version not IPC_VERSION", WF_BADMSG },
		{ "request id 0", WF_REFUSED },
		{ "an fd attached to a request without a body", WF_REFUSED },
		{ "a body declared, no fd", WF_REFUSED },
		{ "a body declared, two fds", WF_REFUSED },
		{ "more fds than IPC_FDS_MAX", WF_BADMSG },
		{ "a zero-length frame with an fd", WF_BADMSG },
		{ "a header alone, shorter than IPC_HDR_LEN", WF_BADMSG },
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		int fds[5] = { -1, -1, -1, -1, -1 };
		size_t nfds = 0;
		good_request(o, ++id, "/v1/bad", k == 9 || k == 10 ? 5 : 0);
		size_t n = o->len;
		memcpy(raw, o->buf, n);
		/* The payload's length, which ipc_send writes in the header. */
		wf_put_le(raw + 4, n - IPC_HDR_LEN, 4);
		switch (k) {
		case 0: n -= 5; break;
		case 1: wf_put_le(raw + 4, o->len - IPC_HDR_LEN + 100, 4); fds[0] = memfd[1]; nfds = 1; break;
		case 2: n -= 3; wf_put_le(raw + 4, n - IPC_HDR_LEN, 4); break;
		case 3: memset(raw + n, 'x', 4); n += 4; wf_put_le(raw + 4, n - IPC_HDR_LEN, 4); break;
		case 4:
			n = IPC_HDR_LEN + IPC_PAYLOAD_MAX + 1;
			wf_put_le(raw + 4, IPC_PAYLOAD_MAX + 1, 4);
			fds[0] = memfd[1];
			nfds = 1;
			break;
		case 5: wf_put_le(raw + 2, 0x3ff, 2); break;
		case 6: wf_put_le(raw, IPC_VERSION + 1, 2); break;
		case 7: wf_put_le(raw + 8, 0, 8); break;
		case 8: fds[0] = memfd[1]; nfds = 1; break;
		case 9: break;
		case 10: fds[0] = memfd[0]; fds[1] = memfd[1]; nfds = 2; break;
		case 11: memcpy(fds, memfd, sizeof fds); nfds = 5; break;
		case 12: n = 0; fds[0] = memfd[1]; nfds = 1; break;
		case 13: n = IPC_HDR_LEN - 1; break;
		}
		int first = wf_next_fd();
		wf_send(sv[0], raw, n, fds, nfds);
		print_message("%s\n", cases[k].what);
		assert_int_equal(svc_read(sv[1], w, url, sizeof url), cases[k].expect);
		/* Every fd the receiver got for it is closed there (the
		 * sender's own stay open: they are other numbers). */
		for (size_t i = 0; i < nfds; i++)
			assert_true(wf_closed(first + (int)i));
		assert_int_equal(wf_next_fd(), first);
		good_request(o, ++id, "/v1/after", 0);
		assert_int_equal(ipc_send(sv[0], o), 0);
		expect_good(sv[1], w, "/v1/after");
	}

	/* A request with its body's memfd is taken, and its body read. */
	good_request(o, ++id, "/v1/upload", 5);
	ipc_put_fd(o, memfd[0]);
	assert_int_equal(ipc_send(sv[0], o), 0);
	struct ipc_msg m;
	assert_int_equal(ipc_recv(sv[1], &m), 0);
	assert_int_equal(http_wire_request_check(&m, w), 0);
	uint8_t *body;
	assert_int_equal(http_wire_body_read(w, m.fds[0], 5, &body), 0);
	free(body);
	/* More than the route takes, or not what was declared: refused (the
	 * service kills the front end, run_job). */
	assert_int_equal(http_wire_body_read(w, m.fds[0], 4, &body), -1);
	w->body_len = 6;
	assert_int_equal(http_wire_body_read(w, m.fds[0], 6, &body), -1);
	ipc_msg_free(&m);

	/* A duplicated id: the service keeps no ids, so both are taken and
	 * answered with it; the front end's table gives the first answer to
	 * its request and drops the second (http.answer_stray). */
	http_chan_t *c = http_chan_new(4);
	int req;
	uint64_t cid;
	assert_int_equal(http_chan_add(c, &req, &cid), 0);
	for (int i = 0; i < 2; i++) {
		good_request(o, cid, "/v1/twice", 0);
		assert_int_equal(ipc_send(sv[0], o), 0);
		assert_int_equal(ipc_recv(sv[1], &m), 0);
		assert_int_equal(http_wire_request_check(&m, w), 0);
		assert_int_equal(m.id, cid);
		ipc_msg_free(&m);
	}
	assert_ptr_equal(http_chan_take(c, cid), &req);
	errno = 0;
	assert_null(http_chan_take(c, cid));
	assert_int_equal(errno, ENOENT);
	http_chan_free(c);

	/* A zero-length frame, while the front end is there, is refused
	 * (EBADMSG: recvmsg gives 0 for it as for the end, and ipc_recv tells
	 * them apart); the frame after it is still there to read. */
	wf_send(sv[0], raw, 0, NULL, 0);
	assert_int_equal(svc_read(sv[1], w, url, sizeof url), WF_BADMSG);
	good_request(o, ++id, "/v1/last", 0);
	assert_int_equal(ipc_send(sv[0], o), 0);
	expect_good(sv[1], w, "/v1/last");

	for (int i = 0; i < 5; i++) {
		assert_false(wf_closed(memfd[i]));
		close(memfd[i]);
	}
	free(raw);
	free(w);
	free(o);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_close),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_wire_ids),
		cmocka_unit_test(test_malformed_frames),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
