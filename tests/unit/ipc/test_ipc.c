/* Unit tests of src/ipc: fields round-trip, descriptors pass, and every
 * malformed message is refused (short, trailing, oversized, wrong version,
 * too many descriptors, an empty datagram) without leaking a descriptor,
 * and the end (a close, a shutdown) told from an empty datagram; a
 * stamped socket's messages carry their sending time, descriptors too; the supervisor's
 * SUPV_KILL and the service's way of stopping a child through it; the
 * heartbeat and the stall (SUPV_HEARTBEAT, SUPV_STALLED) the service's
 * monitor sends as its threads are idle or stuck. */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "ipc.h"
#include "liveness.h"
#include "supv.h"
#include "../common/wire_frames.h"

static struct ipc_out out; /* 64 KiB: kept off the stack */

#define open_fds wf_open_fds

static void test_fields_roundtrip(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(ipc_socketpair(sv), 0);
	ipc_out_init(&out, 7, 0x1122334455667788ull);
	ipc_put_u8(&out, 0xab);
	ipc_put_u32(&out, 0xdeadbeef);
	ipc_put_u64(&out, UINT64_MAX - 1);
	ipc_put_i64(&out, -42);
	ipc_put_bytes(&out, "\0\1\2", 3);
	ipc_put_str(&out, "acct-1");
	ipc_put_str(&out, NULL);
	assert_int_equal(ipc_send(sv[0], &out), 0);

	struct ipc_msg m;
	assert_int_equal(ipc_recv(sv[1], &m), 0);
	assert_int_equal(m.type, 7);
	assert_true(m.id == 0x1122334455667788ull);
	assert_int_equal(m.nfds, 0);
	struct ipc_reader r;
	ipc_reader_init(&r, &m);
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;
	int64_t i64;
	const uint8_t *p;
	size_t n;
	char s[16];
	assert_int_equal(ipc_get_u8(&r, &u8), 0);
	assert_int_equal(u8, 0xab);
	assert_int_equal(ipc_get_u32(&r, &u32), 0);
	assert_true(u32 == 0xdeadbeef);
	assert_int_equal(ipc_get_u64(&r, &u64), 0);
	assert_true(u64 == UINT64_MAX - 1);
	assert_int_equal(ipc_get_i64(&r, &i64), 0);
	assert_true(i64 == -42);
	assert_int_equal(ipc_get_bytes(&r, &p, &n, 16), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(p, "\0\1\2", 3);
	assert_int_equal(ipc_reader_end(&r), -1); /* fields left */
	assert_int_equal(ipc_get_str(&r, s, sizeof s, sizeof s - 1), 0);
	assert_string_equal(s, "acct-1");
	assert_int_equal(ipc_get_str(&r, s, sizeof s, sizeof s - 1), 0);
	assert_string_equal(s, "");
	assert_int_equal(ipc_reader_end(&r), 0);
	/* Reading past the end fails and stays failed. */
	assert_int_equal(ipc_get_u8(&r, &u8), -1);
	assert_int_equal(ipc_reader_end(&r), -1);
	ipc_msg_free(&m);
	ipc_msg_free(NULL);
	close(sv[0]);
	close(sv[1]);
}

static void test_strict_fields(void **state)
{
	(void)state;
	struct ipc_reader r;
	char s[8];
	const uint8_t *p;
	size_t n;
	/* A length that runs past the payload. */
	static const uint8_t past[] = {9, 0, 0, 0, 'a', 'b'};
	ipc_reader_init_bytes(&r, past, sizeof past);
	assert_int_equal(ipc_get_bytes(&r, &p, &n, 64), -1);
	/* A string longer than its bound, and one with a NUL inside. */
	static const uint8_t longs[] = {8, 0, 0, 0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'};
	ipc_reader_init_bytes(&r, longs, sizeof longs);
	assert_int_equal(ipc_get_str(&r, s, sizeof s, sizeof s - 1), -1);
	static const uint8_t nul[] = {3, 0, 0, 0, 'a', 0, 'b'};
	ipc_reader_init_bytes(&r, nul, sizeof nul);
	assert_int_equal(ipc_get_str(&r, s, sizeof s, sizeof s - 1), -1);
	/* A fixed field of the wrong size. */
	uint8_t key[4];
	static const uint8_t three[] = {3, 0, 0, 0, 1, 2, 3};
	ipc_reader_init_bytes(&r, three, sizeof three);
	assert_int_equal(ipc_get_fixed(&r, key, sizeof key), -1);
	/* Trailing bytes. */
	static const uint8_t trail[] = {1, 0, 0, 0, 0xff};
	uint32_t u32;
	ipc_reader_init_bytes(&r, trail, sizeof trail);
	assert_int_equal(ipc_get_u32(&r, &u32), 0);
	assert_int_equal(ipc_reader_end(&r), -1);
}

static void test_fd_passing(void **state)
{
	(void)state;
	int sv[2], pp[2];
	assert_int_equal(ipc_socketpair(sv), 0);
	assert_int_equal(pipe(pp), 0);
	ipc_out_init(&out, 1, 2);
	ipc_put_fd(&out, pp[0]);
	ipc_put_str(&out, "pipe");
	assert_int_equal(ipc_send(sv[0], &out), 0);
	close(pp[0]);
	struct ipc_msg m;
	assert_int_equal(ipc_recv(sv[1], &m), 0);
	assert_int_equal(m.nfds, 1);
	int fd = ipc_msg_take_fd(&m, 0);
	assert_true(fd >= 0);
	assert_int_equal(ipc_msg_take_fd(&m, 0), -1);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(write(pp[1], "hi", 2), 2);
	char b[2];
	assert_int_equal(read(fd, b, 2), 2);
	assert_memory_equal(b, "hi", 2);
	close(fd);
	close(pp[1]);
	ipc_msg_free(&m);

	/* An fd left in the message is closed by ipc_msg_free. */
	int before = open_fds();
	assert_int_equal(pipe(pp), 0);
	ipc_out_init(&out, 1, 3);
	ipc_put_fd(&out, pp[0]);
	ipc_put_fd(&out, pp[1]);
	assert_int_equal(ipc_send(sv[0], &out), 0);
	close(pp[0]);
	close(pp[1]);
	assert_int_equal(ipc_recv(sv[1], &m), 0);
	assert_int_equal(m.nfds, 2);
	ipc_msg_free(&m);
	assert_int_equal(open_fds(), before);

	/* More than IPC_FDS_MAX, or a bad fd, is refused at the sender. */
	ipc_out_init(&out, 1, 4);
	for (int i = 0; i <= IPC_FDS_MAX; i++)
		ipc_put_fd(&out, sv[0]);
	assert_int_equal(ipc_send(sv[0], &out), -1);
	assert_int_equal(errno, EMSGSIZE);
	ipc_out_init(&out, 1, 4);
	ipc_put_fd(&out, -1);
	assert_int_equal(ipc_send(sv[0], &out), -1);
	close(sv[0]);
	close(sv[1]);
}

/* Raw datagrams a broken or hostile peer could send. */
static void test_malformed_datagrams(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(ipc_socketpair(sv), 0);
	struct ipc_msg m;
	static const uint8_t badver[16] = {2, 0};
	static const uint8_t shorthdr[8] = {1, 0};
	static const uint8_t badlen[18] = {1, 0, 0, 0, 3, 0, 0, 0};
	const struct { const uint8_t *p; size_t n; } cases[] = {
		{badver, sizeof badver}, {shorthdr, sizeof shorthdr}, {badlen, sizeof badlen},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(send(sv[0], cases[i].p, cases[i].n, 0), (ssize_t)cases[i].n);
		assert_int_equal(ipc_recv(sv[1], &m), -1);
		assert_int_equal(errno, EBADMSG);
		ipc_msg_free(&m);
	}
	/* Larger than the ceiling: refused at the sender, and at the receiver
	 * when sent raw. */
	ipc_out_init(&out, 1, 1);
	static uint8_t big[IPC_PAYLOAD_MAX + IPC_HDR_LEN + 8];
	ipc_put_bytes(&out, big, IPC_PAYLOAD_MAX);
	assert_int_equal(ipc_send(sv[0], &out), -1);
	assert_int_equal(errno, EMSGSIZE);
	big[0] = 1;
	big[4] = 8;
	big[6] = 1; /* length 0x10008 */
	int sz = 1 << 20;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	if (send(sv[0], big, sizeof big, 0) == (ssize_t)sizeof big) {
		assert_int_equal(ipc_recv(sv[1], &m), -1);
		assert_int_equal(errno, EBADMSG);
		ipc_msg_free(&m);
	}
	/* A malformed datagram's descriptors are closed, not leaked. */
	int before = open_fds();
	int pp[2];
	assert_int_equal(pipe(pp), 0);
	char ctl[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = (void *)badver, .iov_len = sizeof badver};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof ctl};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &pp[0], sizeof(int));
	assert_int_equal(sendmsg(sv[0], &mh, 0), (ssize_t)sizeof badver);
	close(pp[0]);
	close(pp[1]);
	assert_int_equal(ipc_recv(sv[1], &m), -1);
	assert_int_equal(errno, EBADMSG);
	ipc_msg_free(&m);
	assert_int_equal(open_fds(), before);

	/* The peer closing reads as 1. */
	close(sv[0]);
	assert_int_equal(ipc_recv(sv[1], &m), 1);
	ipc_msg_free(&m);
	close(sv[1]);
}

static void test_empty_payload(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(ipc_socketpair(sv), 0);
	ipc_out_init(&out, 0xffff, 0);
	assert_int_equal(ipc_send(sv[0], &out), 0);
	struct ipc_msg m;
	assert_int_equal(ipc_recv(sv[1], &m), 0);
	assert_int_equal(m.type, 0xffff);
	assert_int_equal(m.len, 0);
	assert_null(m.data);
	struct ipc_reader r;
	ipc_reader_init(&r, &m);
	assert_int_equal(ipc_reader_end(&r), 0);
	ipc_msg_free(&m);
	close(sv[0]);
	close(sv[1]);
}

/* An empty datagram is malformed while its sender is there (it read as
 * the end before, and the HTTP channel's other readers went on blocking);
 * the end itself, a shutdown on either side or a close, still reads as 1,
 * and a shutdown of the reading side wakes every thread blocked in
 * ipc_recv (what the service's HTTP channel does when it ends). */
static void *recv_one(void *arg)
{
	struct ipc_msg m;
	intptr_t rc = ipc_recv(*(int *)arg, &m);
	ipc_msg_free(&m);
	return (void *)rc;
}

static void test_empty_datagram(void **state)
{
	(void)state;
	int sv[2];
	struct ipc_msg m;
	assert_int_equal(ipc_socketpair(sv), 0);
	assert_int_equal(send(sv[0], "", 0, 0), 0);
	ipc_out_init(&out, 7, 42);
	ipc_put_str(&out, "after");
	assert_int_equal(ipc_send(sv[0], &out), 0);
	assert_int_equal(ipc_recv(sv[1], &m), -1);
	assert_int_equal(errno, EBADMSG);
	ipc_msg_free(&m);
	assert_int_equal(ipc_recv(sv[1], &m), 0);
	assert_int_equal(m.type, 7);
	assert_int_equal(m.id, 42);
	ipc_msg_free(&m);
	/* Two empty ones in a row: each refused, neither read as the end. */
	assert_int_equal(send(sv[0], "", 0, 0), 0);
	assert_int_equal(send(sv[0], "", 0, 0), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(ipc_recv(sv[1], &m), -1);
		assert_int_equal(errno, EBADMSG);
		ipc_msg_free(&m);
	}

	/* This side's reading shut: every reader, blocked or not, gets 1. */
	pthread_t th[3];
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&th[i], NULL, recv_one, &sv[1]), 0);
	assert_int_equal(shutdown(sv[1], SHUT_RD), 0);
	for (int i = 0; i < 3; i++) {
		void *rc;
		assert_int_equal(pthread_join(th[i], &rc), 0);
		assert_int_equal((intptr_t)rc, 1);
	}
	/* And the sender's next message is refused. */
	assert_int_equal(ipc_send(sv[0], &out), -1);
	assert_int_equal(errno, EPIPE);
	close(sv[0]);
	close(sv[1]);

	/* The peer's writing side shut, after a message: the message, then 1. */
	assert_int_equal(ipc_socketpair(sv), 0);
	assert_int_equal(ipc_send(sv[0], &out), 0);
	assert_int_equal(shutdown(sv[0], SHUT_WR), 0);
	assert_int_equal(ipc_recv(sv[1], &m), 0);
	ipc_msg_free(&m);
	assert_int_equal(ipc_recv(sv[1], &m), 1);
	ipc_msg_free(&m);
	close(sv[0]);
	close(sv[1]);
}

/* A peer that closed with datagrams unread (a front end killed before it
 * read the service's last request): recvmsg's ECONNRESET, which comes
 * before what the peer sent and is still queued, is no error (the service
 * logged it as a malformed datagram): that message is read, then the end
 * (1), and the end stays the end. */
static void test_peer_gone_unread(void **state)
{
	(void)state;
	int sv[2];
	struct ipc_msg m;
	assert_int_equal(ipc_socketpair(sv), 0);
	ipc_out_init(&out, 7, 42);
	ipc_put_str(&out, "last");
	assert_int_equal(ipc_send(sv[1], &out), 0);
	assert_int_equal(ipc_send(sv[0], &out), 0);
	close(sv[1]); /* its message from sv[0] unread */
	assert_int_equal(ipc_recv(sv[0], &m), 0);
	assert_int_equal(m.id, 42);
	ipc_msg_free(&m);
	for (int i = 0; i < 2; i++) {
		errno = 0;
		assert_int_equal(ipc_recv(sv[0], &m), 1);
		ipc_msg_free(&m);
	}
	close(sv[0]);
}

/* SUPV_KILL: only a pid in range and SIGTERM or SIGKILL; under a
 * supervisor ipc_proc_kill sends it rather than kill(2) (the pid here is
 * no process of ours: were it signalled, kill would fail unseen, but the
 * message is what the supervisor, the child's parent, gets). */
/* ipc_proc_wait_for without a supervisor: -1 while the child runs (a
 * child that never exits by itself), then its status once it has ended,
 * killed or exited. The bounds are caps, never waited out on success. */
static void test_proc_wait_for(void **state)
{
	(void)state;
	assert_false(ipc_proc_supervised());
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(120); /* gone by itself if a check fails and nobody kills it */
		for (;;)
			pause();
	}
	int st = 0;
	assert_int_equal(ipc_proc_wait_for(pid, &st, 50), -1);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(ipc_proc_wait_for(pid, &st, 600000), 0);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(3);
	assert_int_equal(ipc_proc_wait_for(pid, &st, 600000), 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 3);
}

static void test_supv_kill(void **state)
{
	(void)state;
	struct ipc_msg m;
	uint32_t pid, sig;
	int sv[2];
	assert_int_equal(ipc_socketpair(sv), 0);
	const uint32_t bad[][2] = { { 0, SIGKILL }, { 0x80000000u, SIGTERM }, { 42, SIGSTOP }, { 42, 0 } };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		supv_kill_encode(&out, bad[i][0], bad[i][1]);
		assert_int_equal(ipc_send(sv[0], &out), 0);
		assert_int_equal(ipc_recv(sv[1], &m), 0);
		assert_int_equal(supv_kill_decode(&m, &pid, &sig), -1);
		ipc_msg_free(&m);
	}
	/* A trailing byte, a descriptor: refused. */
	supv_kill_encode(&out, 42, SIGTERM);
	ipc_put_u8(&out, 0);
	assert_int_equal(ipc_send(sv[0], &out), 0);
	assert_int_equal(ipc_recv(sv[1], &m), 0);
	assert_int_equal(supv_kill_decode(&m, &pid, &sig), -1);
	ipc_msg_free(&m);
	supv_kill_encode(&out, 42, SIGTERM);
	ipc_put_fd(&out, sv[0]);
	assert_int_equal(ipc_send(sv[0], &out), 0);
	assert_int_equal(ipc_recv(sv[1], &m), 0);
	assert_int_equal(supv_kill_decode(&m, &pid, &sig), -1);
	ipc_msg_free(&m);
	/* The service's side, supervised: the stop goes to the parent. */
	assert_int_equal(ipc_proc_use_supervisor(sv[0]), 0);
	assert_true(ipc_proc_supervised());
	ipc_proc_kill(2147483000, SIGKILL);
	assert_int_equal(ipc_recv(sv[1], &m), 0);
	assert_int_equal(supv_kill_decode(&m, &pid, &sig), 0);
	assert_int_equal(pid, 2147483000u);
	assert_int_equal(sig, SIGKILL);
	ipc_msg_free(&m);
	ipc_proc_kill(2147483001, SIGTERM);
	assert_int_equal(ipc_recv(sv[1], &m), 0);
	assert_int_equal(supv_kill_decode(&m, &pid, &sig), 0);
	assert_int_equal(pid, 2147483001u);
	assert_int_equal(sig, SIGTERM);
	ipc_msg_free(&m);
	/* The monitor (ipc_proc_watch): heartbeats while no marked thread
	 * is busy past the limit, the stall (role, ms) while one is, and
	 * heartbeats again once it is idle. Waited for as they come. */
	char role[SUPV_ROLE_MAX + 1];
	assert_int_equal(ipc_proc_watch(200), 0);
	assert_int_equal(ipc_recv(sv[1], &m), 0);
	assert_int_equal(supv_heartbeat_decode(&m), 0);
	ipc_msg_free(&m);
	liveness_busy("http");
	for (;;) {
		assert_int_equal(ipc_recv(sv[1], &m), 0);
		int stalled = supv_stalled_decode(&m, role, &sig) == 0;
		if (!stalled)
			assert_int_equal(supv_heartbeat_decode(&m), 0);
		ipc_msg_free(&m);
		if (stalled)
			break;
	}
	assert_string_equal(role, "http");
	assert_true(sig >= 200);
	liveness_idle();
	for (;;) {
		assert_int_equal(ipc_recv(sv[1], &m), 0);
		int beat = supv_heartbeat_decode(&m) == 0;
		if (!beat)
			assert_int_equal(supv_stalled_decode(&m, role, &sig), 0);
		ipc_msg_free(&m);
		if (beat)
			break;
	}
	/* The supervisor gone: its reader thread ends, nothing more sent. */
	close(sv[1]);
}

/* The stall's role goes into the supervisor's log: letters only, one at
 * least, no descriptor, no trailing byte. */
static void test_supv_stalled_strict(void **state)
{
	(void)state;
	struct ipc_msg m;
	char role[SUPV_ROLE_MAX + 1];
	uint32_t ms;
	int sv[2];
	assert_int_equal(ipc_socketpair(sv), 0);
	const char *bad[] = { "", "ht tp", "http\n", "HTTP", "role=x", "abcdefghijklmnop" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		supv_stalled_encode(&out, bad[i], 5);
		assert_int_equal(ipc_send(sv[0], &out), 0);
		assert_int_equal(ipc_recv(sv[1], &m), 0);
		assert_int_equal(supv_stalled_decode(&m, role, &ms), -1);
		ipc_msg_free(&m);
	}
	supv_stalled_encode(&out, "queue", 5);
	ipc_put_u8(&out, 0);
	assert_int_equal(ipc_send(sv[0], &out), 0);
	assert_int_equal(ipc_recv(sv[1], &m), 0);
	assert_int_equal(supv_stalled_decode(&m, role, &ms), -1);
	ipc_msg_free(&m);
	supv_heartbeat_encode(&out);
	ipc_put_u8(&out, 0);
	assert_int_equal(ipc_send(sv[0], &out), 0);
	assert_int_equal(ipc_recv(sv[1], &m), 0);
	assert_int_equal(supv_heartbeat_decode(&m), -1);
	ipc_msg_free(&m);
	supv_stalled_encode(&out, "queue", 123456);
	assert_int_equal(ipc_send(sv[0], &out), 0);
	assert_int_equal(ipc_recv(sv[1], &m), 0);
	assert_int_equal(supv_stalled_decode(&m, role, &ms), 0);
	assert_string_equal(role, "queue");
	assert_int_equal(ms, 123456);
	ipc_msg_free(&m);
	close(sv[0]);
	close(sv[1]);
}

/* A socket with the kernel's stamps on (ipc_stamp_on): each message
 * carries when it was sent, between the clock read before and after the
 * send, with IPC_FDS_MAX descriptors too (room for both); without, 0. */
static int64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void test_sent_stamp(void **state)
{
	(void)state;
	int sv[2], pp[2];
	assert_int_equal(ipc_socketpair(sv), 0);
	struct ipc_msg m;
	ipc_out_init(&out, 1, 1);
	ipc_put_str(&out, "unstamped");
	assert_int_equal(ipc_send(sv[0], &out), 0);
	assert_int_equal(ipc_recv(sv[1], &m), 0);
	assert_true(m.sent_ns == 0);
	ipc_msg_free(&m);

	assert_int_equal(ipc_stamp_on(sv[1]), 0);
	int64_t before = real_ns();
	assert_int_equal(ipc_send(sv[0], &out), 0);
	int64_t after = real_ns();
	assert_int_equal(ipc_recv(sv[1], &m), 0);
	assert_true(m.sent_ns >= before && m.sent_ns <= after);
	ipc_msg_free(&m);

	int before_fds = open_fds();
	assert_int_equal(pipe(pp), 0);
	ipc_out_init(&out, 1, 2);
	for (int i = 0; i < IPC_FDS_MAX; i++)
		ipc_put_fd(&out, pp[i % 2]);
	ipc_put_str(&out, "stamped, with descriptors");
	before = real_ns();
	assert_int_equal(ipc_send(sv[0], &out), 0);
	after = real_ns();
	close(pp[0]);
	close(pp[1]);
	assert_int_equal(ipc_recv(sv[1], &m), 0);
	assert_int_equal(m.nfds, IPC_FDS_MAX);
	assert_true(m.sent_ns >= before && m.sent_ns <= after);
	ipc_msg_free(&m);
	assert_int_equal(open_fds(), before_fds);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_roundtrip),
		cmocka_unit_test(test_strict_fields),
		cmocka_unit_test(test_fd_passing),
		cmocka_unit_test(test_malformed_datagrams),
		cmocka_unit_test(test_empty_payload),
		cmocka_unit_test(test_empty_datagram),
		cmocka_unit_test(test_peer_gone_unread),
		cmocka_unit_test(test_sent_stamp),
		cmocka_unit_test(test_supv_stalled_strict),
		/* Before test_supv_kill, which makes this process supervised. */
		cmocka_unit_test(test_proc_wait_for),
		cmocka_unit_test(test_supv_kill),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
