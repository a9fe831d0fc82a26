/* Unit tests of faxvaultd's spawner channel (src/daemon/spawner.c,
 * spawner_wire.c; docs/architecture.md "Processes"): the supervisor asks
 * the spawner to start a role (SPAWNER_START), the spawner answers
 * (SPAWNER_STARTED). Here, over real SOCK_SEQPACKET pairs:
 * - the spawner's check of a request (spawner_start_decode), frame by
 *   frame between two good ones: the five roles taken with the
 *   descriptors each may have, anything else refused (another role, a
 *   role too long or with a NUL, the service with a descriptor, four
 *   descriptors, bytes left over, another type), every descriptor of a
 *   refused frame closed in the receiver;
 * - the supervisor's check of an answer (spawner_started_decode), the
 *   same way, and spawner_start against a stand-in spawner (a thread)
 *   answering each bad answer: EPIPE, the descriptor that came with it
 *   closed;
 * - the real spawner (spawner_fork), which executes this program as the
 *   role asked for (main's child mode below): a role started with its
 *   descriptor as fd 4 and the child's socket as fd 3, the child reaped
 *   here (it is our child: CLONE_PARENT); a request it refuses answered
 *   EINVAL, its descriptor closed in the spawner (/proc/PID/fd), the
 *   spawner serving the next one; an empty datagram or one of another
 *   IPC version ends it with status 1, the supervisor's close with 0. */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "ipc.h"
#include "role.h"
#include "spawner.h"
#include "supv.h"
#include "../common/wire_frames.h"

static struct ipc_out out; /* 64 KiB: kept off the stack */
static char *self_argv[] = { (char *)"test_spawner", NULL };
static const int no_listen[SERVICE_LISTEN_N] = { -1, -1, -1, -1, -1 };

#define open_fds wf_open_fds

/* How many descriptors process pid holds (its /proc/PID/fd). */
static int fds_of(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	assert_non_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Sends o with nfds fresh descriptors (pipes' ends, closed here after;
 * close-on-exec, as every descriptor of faxvaultd's is). */
static void send_with_fds(int s, struct ipc_out *o, int nfds)
{
	int p[2][2], np = (nfds + 1) / 2;
	for (int i = 0; i < np; i++)
		assert_int_equal(pipe2(p[i], O_CLOEXEC), 0);
	for (int i = 0; i < nfds; i++)
		ipc_put_fd(o, p[i / 2][i % 2]);
	assert_int_equal(ipc_send(s, o), 0);
	for (int i = 0; i < np; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
}

/* One SPAWNER_START frame of the table. */
struct start_case {
	const char *what;
	uint16_t type;
	const char *role;
	size_t role_len;
	int nfds;
	int trailing;
	int ok;
};

static void test_start_checks(void **state)
{
	(void)state;
	static const struct start_case cases[] = {
		{ "the service", SPAWNER_START, "service", 7, 0, 0, 1 },
		{ "the key holder, three fds", SPAWNER_START, "vault", 5, 3, 0, 1 },
		{ "http, one fd", SPAWNER_START, "http", 4, 1, 0, 1 },
		{ "smtp, three fds", SPAWNER_START, "smtp", 4, 3, 0, 1 },
		{ "sip", SPAWNER_START, "sip", 3, 0, 0, 1 },
		{ "the service with a fd", SPAWNER_START, "service", 7, 1, 0, 0 },
		{ "http with four fds", SPAWNER_START, "http", 4, 4, 0, 0 },
		{ "another role", SPAWNER_START, "root", 4, 0, 0, 0 },
		{ "a role in capitals", SPAWNER_START, "HTTP", 4, 0, 0, 0 },
		{ "an empty role", SPAWNER_START, "", 0, 0, 0, 0 },
		{ "a role with a NUL", SPAWNER_START, "http\0x", 6, 0, 0, 0 },
		{ "a role too long", SPAWNER_START, "httphttphttphttp", 16, 0, 0, 0 },
		{ "a byte left over", SPAWNER_START, "http", 4, 0, 1, 0 },
		{ "another type", SPAWNER_STARTED, "http", 4, 0, 0, 0 },
	};
	int sv[2];
	assert_int_equal(ipc_socketpair(sv), 0);
	int before = open_fds();
	char role[SUPV_ROLE_MAX + 1];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct start_case *c = &cases[i];
		ipc_out_init(&out, c->type, 100 + i);
		ipc_put_bytes(&out, c->role, c->role_len);
		if (c->trailing)
			ipc_put_u8(&out, 0);
		send_with_fds(sv[0], &out, c->nfds);
		/* And a good one after it. */
		spawner_start_encode(&out, 900 + i, "sip");
		assert_int_equal(ipc_send(sv[0], &out), 0);
		struct ipc_msg m;
		assert_int_equal(ipc_recv(sv[1], &m), 0);
		int rc = spawner_start_decode(&m, role);
		if (rc != (c->ok ? 0 : -1))
			fail_msg("%s: decoded %d", c->what, rc);
		if (c->ok)
			assert_memory_equal(role, c->role, c->role_len + 1);
		ipc_msg_free(&m);
		assert_int_equal(open_fds(), before);
		assert_int_equal(ipc_recv(sv[1], &m), 0);
		assert_int_equal(m.id, 900 + i);
		assert_int_equal(spawner_start_decode(&m, role), 0);
		assert_string_equal(role, "sip");
		ipc_msg_free(&m);
	}
	close(sv[0]);
	close(sv[1]);
}

/* One SPAWNER_STARTED frame of the table: the answer to id 7. */
struct started_case {
	const char *what;
	uint16_t type;
	uint64_t id;
	uint32_t status, pid;
	int nfds;
	int trailing, short_;
	int ok;
};

static const struct started_case started_cases[] = {
	{ "started", SPAWNER_STARTED, 7, 0, 4242, 1, 0, 0, 1 },
	{ "refused", SPAWNER_STARTED, 7, EINVAL, 0, 0, 0, 0, 1 },
	{ "another request's", SPAWNER_STARTED, 8, 0, 4242, 1, 0, 0, 0 },
	{ "another type", SPAWNER_START, 7, 0, 4242, 1, 0, 0, 0 },
	{ "started without its socket", SPAWNER_STARTED, 7, 0, 4242, 0, 0, 0, 0 },
	{ "started with two fds", SPAWNER_STARTED, 7, 0, 4242, 2, 0, 0, 0 },
	{ "started, pid 0", SPAWNER_STARTED, 7, 0, 0, 1, 0, 0, 0 },
	{ "started, pid past INT32_MAX", SPAWNER_STARTED, 7, 0, 0x80000000u, 1, 0, 0, 0 },
	{ "refused with a fd", SPAWNER_STARTED, 7, EINVAL, 0, 1, 0, 0, 0 },
	{ "refused with a pid", SPAWNER_STARTED, 7, EINVAL, 4242, 0, 0, 0, 0 },
	{ "a byte left over", SPAWNER_STARTED, 7, 0, 4242, 1, 1, 0, 0 },
	{ "cut short", SPAWNER_STARTED, 7, 0, 4242, 1, 0, 1, 0 },
};

/* The frame of case c, answering request id, into o. */
static void started_frame(struct ipc_out *o, const struct started_case *c, uint64_t id)
{
	ipc_out_init(o, c->type, id);
	ipc_put_u32(o, c->status);
	if (!c->short_)
		ipc_put_u32(o, c->pid);
	if (c->trailing)
		ipc_put_u8(o, 0);
}

/* A stand-in spawner: reads one request and answers it with the frame of
 * case c (its id the request's, unless the case is another request's
 * answer). */
struct standin {
	int sock;
	const struct started_case *c;
};

static void *standin_main(void *arg)
{
	struct standin *s = arg;
	struct ipc_msg m;
	if (ipc_recv(s->sock, &m) != 0)
		return NULL;
	static struct ipc_out o;
	started_frame(&o, s->c, s->c->id == 7 ? m.id : m.id + 1);
	ipc_msg_free(&m);
	send_with_fds(s->sock, &o, s->c->nfds);
	return NULL;
}

static void test_started_checks(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(ipc_socketpair(sv), 0);
	int before = open_fds();
	for (size_t i = 0; i < sizeof started_cases / sizeof started_cases[0]; i++) {
		const struct started_case *c = &started_cases[i];
		started_frame(&out, c, c->id);
		send_with_fds(sv[0], &out, c->nfds);
		spawner_started_encode(&out, 9, 0, 77);
		send_with_fds(sv[0], &out, 1);
		struct ipc_msg m;
		uint32_t st = 0xffff, pid = 0xffff;
		assert_int_equal(ipc_recv(sv[1], &m), 0);
		int rc = spawner_started_decode(&m, 7, &st, &pid);
		if (rc != (c->ok ? 0 : -1))
			fail_msg("%s: decoded %d", c->what, rc);
		if (c->ok) {
			assert_int_equal(st, c->status);
			assert_int_equal(pid, c->pid);
		}
		ipc_msg_free(&m);
		assert_int_equal(open_fds(), before);
		assert_int_equal(ipc_recv(sv[1], &m), 0);
		assert_int_equal(spawner_started_decode(&m, 9, &st, &pid), 0);
		assert_int_equal(pid, 77);
		ipc_msg_free(&m);

		/* spawner_start, answered so by a stand-in spawner. */
		struct standin sp = { .sock = sv[1], .c = c };
		pthread_t th;
		assert_int_equal(pthread_create(&th, NULL, standin_main, &sp), 0);
		pid_t child = 0;
		int ctl = -1;
		rc = spawner_start(sv[0], "http", NULL, 0, &child, &ctl);
		assert_int_equal(pthread_join(th, NULL), 0);
		int want = !c->ok ? EPIPE : (int)c->status;
		if (rc != want)
			fail_msg("%s: spawner_start gave %d, want %d", c->what, rc, want);
		if (rc == 0) {
			assert_int_equal(child, (pid_t)c->pid);
			assert_true(ctl >= 0);
			close(ctl);
		}
		assert_int_equal(open_fds(), before);
	}
	close(sv[0]);
	close(sv[1]);
}

/* Raw bytes as one datagram. */
static void send_raw(int s, const void *p, size_t n)
{
	assert_int_equal(send(s, p, n, 0), (ssize_t)n);
}

static int exit_status(pid_t pid)
{
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_spawner_process(void **state)
{
	(void)state;
	int sock = -1;
	pid_t sp = spawner_fork(self_argv, no_listen, &sock);
	assert_true(sp > 0);

	/* A role started: fd 3 its socket, fd 4 the pipe given. */
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = 0;
	int ctl = -1;
	assert_int_equal(spawner_start(sock, "http", &p[1], 1, &pid, &ctl), 0);
	close(p[1]);
	char buf[128] = { 0 };
	assert_true(recv(ctl, buf, sizeof buf - 1, 0) > 0);
	assert_string_equal(buf, "faxvaultd: http|http");
	memset(buf, 0, sizeof buf);
	assert_int_equal(read(p[0], buf, sizeof buf), 5);
	assert_string_equal(buf, "hello");
	close(p[0]);
	close(ctl);
	assert_int_equal(exit_status(pid), 0);

	/* Refused: EINVAL, the descriptor that came closed in the spawner,
	 * which serves the next request. */
	int held = fds_of(sp);
	assert_int_equal(spawner_start(sock, "root", NULL, 0, &pid, &ctl), EINVAL);
	int one[1];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	one[0] = p[1];
	assert_int_equal(spawner_start(sock, "service", one, 1, &pid, &ctl), EINVAL);
	close(p[1]);
	/* The pipe's writing end closed everywhere, the spawner's copy too
	 * (freed just after its answer): its reader sees the end. */
	assert_int_equal(read(p[0], buf, sizeof buf), 0);
	close(p[0]);
	assert_int_equal(fds_of(sp), held);
	ipc_out_init(&out, SPAWNER_START, 55);
	ipc_put_str(&out, "sip");
	ipc_put_u8(&out, 0); /* a byte left over */
	assert_int_equal(ipc_send(sock, &out), 0);
	struct ipc_msg m;
	uint32_t st = 0, spid = 1;
	assert_int_equal(ipc_recv(sock, &m), 0);
	assert_int_equal(spawner_started_decode(&m, 55, &st, &spid), 0);
	assert_int_equal(st, EINVAL);
	ipc_msg_free(&m);
	assert_int_equal(spawner_start(sock, "sip", NULL, 0, &pid, &ctl), 0);
	memset(buf, 0, sizeof buf);
	assert_true(recv(ctl, buf, sizeof buf - 1, 0) > 0);
	assert_string_equal(buf, "faxvaultd: sip|sip");
	close(ctl);
	assert_int_equal(exit_status(pid), 0);

	/* An empty datagram: a protocol error, status 1 (it read as the
	 * close, status 0, before ipc_recv told them apart). */
	send_raw(sock, "", 0);
	assert_int_equal(exit_status(sp), 1);
	close(sock);

	/* Another IPC version: status 1. */
	sp = spawner_fork(self_argv, no_listen, &sock);
	assert_true(sp > 0);
	static const uint8_t v2[IPC_HDR_LEN] = { 2 };
	send_raw(sock, v2, sizeof v2);
	assert_int_equal(exit_status(sp), 1);
	close(sock);

	/* The supervisor's close: status 0. */
	sp = spawner_fork(self_argv, no_listen, &sock);
	assert_true(sp > 0);
	close(sock);
	assert_int_equal(exit_status(sp), 0);
}

/* The spawner executes this program as "TITLE --role ROLE": it reports
 * "TITLE|ROLE" on its fd 3 (the socket the spawner made) and, as http,
 * writes "hello" on fd 4 (the test gives it a pipe there). */
static int child_main(int argc, char **argv)
{
	char buf[128];
	snprintf(buf, sizeof buf, "%s|%s", argv[0], argc > 2 ? argv[2] : "");
	if (send(3, buf, strlen(buf), 0) < 0)
		return 1;
	if (strcmp(argv[2], "http") == 0 && write(4, "hello", 5) != 5)
		return 1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "--role") == 0)
		return child_main(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_checks),
		cmocka_unit_test(test_started_checks),
		cmocka_unit_test(test_spawner_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
