/* Helpers of the tests that send malformed frames on a real SOCK_SEQPACKET
 * pair and check what the receiver does with them (test_http_chan,
 * test_smtp_wire, test_ipc, test_spawner): raw datagrams with fds
 * attached, whether an fd number is closed in the receiver, and how many
 * are open. Header-only: include it once, in the
 * test's file, after cmocka.h. */
#ifndef FV_TESTS_WIRE_FRAMES_H
#define FV_TESTS_WIRE_FRAMES_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc.h"

/* The fd number the receiver's next received fd takes (the lowest free;
 * nothing else may open fds in the test meanwhile). */
static inline int wf_next_fd(void)
{
	int fd = dup(0);
	assert_true(fd >= 0);
	close(fd);
	return fd;
}

/* How many of fds 0-1023 this process has open. */
static inline int wf_open_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return n;
}

static inline bool wf_closed(int fd)
{
	errno = 0;
	return fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

/* Sends n bytes as one datagram with nfds (at most 8) fds, borrowed. */
static inline void wf_send(int s, const void *p, size_t n, const int *fds, size_t nfds)
{
	struct iovec iov = { .iov_base = (void *)p, .iov_len = n };
	union {
		char space[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	assert_true(nfds <= 8);
	if (nfds) {
		memset(&ctl, 0, sizeof ctl);
		mh.msg_control = ctl.space;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	assert_int_equal(sendmsg(s, &mh, 0), (ssize_t)n);
}

/* Writes v little-endian in n bytes at p (an IPC header's fields). */
static inline void wf_put_le(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* What the service's read of one frame gave: a message (then checked by
 * the protocol's rule: WF_OK or WF_REFUSED), the peer's close (ipc_recv
 * 1), or a datagram ipc_recv refused (EBADMSG: an empty one too). */
enum { WF_OK, WF_CLOSED, WF_BADMSG, WF_REFUSED };

/* ipc_recv into *m: 0 for a message (the caller checks and frees it),
 * else WF_CLOSED or WF_BADMSG (m freed). */
static inline int wf_recv(int s, struct ipc_msg *m)
{
	int rc = ipc_recv(s, m);
	if (rc == 0)
		return 0;
	if (rc != 1)
		assert_int_equal(errno, EBADMSG);
	ipc_msg_free(m);
	return rc == 1 ? WF_CLOSED : WF_BADMSG;
}

/* A SEQPACKET pair whose first end may send a datagram over the IPC limit
 * (to see the receiver refuse it). */
static inline void wf_pair(int sv[2])
{
	assert_int_equal(ipc_socketpair(sv), 0);
	int big = 4 * (IPC_HDR_LEN + IPC_PAYLOAD_MAX);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big), 0);
}

#endif
