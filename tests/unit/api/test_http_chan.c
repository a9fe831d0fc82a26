/* Unit tests of the HTTP front end's channel to the service: the table of
 * requests in flight (src/api/http_chan.c: ids, answers late or twice or
 * unknown, the cap, the close, the deadline) and the messages' ids (src/api/http_wire.c:
 * a request's id goes and its answer's comes back in the IPC header, id 0
 * refused by the encoder and the decoder alike), over a real SEQPACKET
 * socketpair. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_close),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_wire_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
