/* Messages between faxvault's processes: see ipc.h for the wire format. */
#include "ipc.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "xalloc.h"

int ipc_socketpair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
}

static void le_put(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t le_get(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void ipc_out_init(struct ipc_out *o, uint16_t type, uint64_t id)
{
	le_put(o->buf, IPC_VERSION, 2);
	le_put(o->buf + 2, type, 2);
	le_put(o->buf + 4, 0, 4);
	le_put(o->buf + 8, id, 8);
	o->len = IPC_HDR_LEN;
	o->nfds = 0;
	o->failed = 0;
}

static uint8_t *out_room(struct ipc_out *o, size_t n)
{
	if (o->failed || n > sizeof o->buf - o->len) {
		o->failed = 1;
		return NULL;
	}
	uint8_t *p = o->buf + o->len;
	o->len += n;
	return p;
}

static void put_le(struct ipc_out *o, uint64_t v, size_t n)
{
	uint8_t *p = out_room(o, n);
	if (p)
		le_put(p, v, n);
}

void ipc_put_u8(struct ipc_out *o, uint8_t v) { put_le(o, v, 1); }
void ipc_put_u32(struct ipc_out *o, uint32_t v) { put_le(o, v, 4); }
void ipc_put_u64(struct ipc_out *o, uint64_t v) { put_le(o, v, 8); }
void ipc_put_i64(struct ipc_out *o, int64_t v) { put_le(o, (uint64_t)v, 8); }

void ipc_put_bytes(struct ipc_out *o, const void *p, size_t n)
{
	if (n > IPC_FIELD_MAX) {
		o->failed = 1;
		return;
	}
	put_le(o, n, 4);
	uint8_t *d = out_room(o, n);
	if (d && n)
		memcpy(d, p, n);
}

void ipc_put_str(struct ipc_out *o, const char *s)
{
	ipc_put_bytes(o, s ? s : "", s ? strlen(s) : 0);
}

void ipc_put_fd(struct ipc_out *o, int fd)
{
	if (fd < 0 || o->nfds >= IPC_FDS_MAX) {
		o->failed = 1;
		return;
	}
	o->fds[o->nfds++] = fd;
}

int ipc_send(int sock, struct ipc_out *o)
{
	if (o->failed) {
		errno = EMSGSIZE;
		return -1;
	}
	le_put(o->buf + 4, o->len - IPC_HDR_LEN, 4);
	struct iovec iov = {.iov_base = o->buf, .iov_len = o->len};
	union {
		char space[CMSG_SPACE(sizeof(int) * IPC_FDS_MAX)];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (o->nfds) {
		memset(&ctl, 0, sizeof ctl);
		mh.msg_control = ctl.space;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * o->nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * o->nfds);
		memcpy(CMSG_DATA(c), o->fds, sizeof(int) * o->nfds);
	}
	for (;;) {
		ssize_t r = sendmsg(sock, &mh, MSG_NOSIGNAL);
		if (r >= 0)
			return (size_t)r == o->len ? 0 : (errno = EMSGSIZE, -1);
		if (errno != EINTR)
			return -1;
	}
}

static void msg_clear(struct ipc_msg *m)
{
	memset(m, 0, sizeof *m);
	for (size_t i = 0; i < IPC_FDS_MAX; i++)
		m->fds[i] = -1;
}

int ipc_msg_decode(const uint8_t *p, size_t n, struct ipc_msg *m)
{
	msg_clear(m);
	if (n < IPC_HDR_LEN || le_get(p, 2) != IPC_VERSION)
		return -1;
	uint64_t len = le_get(p + 4, 4);
	if (len > IPC_PAYLOAD_MAX || len != n - IPC_HDR_LEN)
		return -1;
	m->type = (uint16_t)le_get(p + 2, 2);
	m->id = le_get(p + 8, 8);
	m->len = (size_t)len;
	if (m->len) {
		m->data = xmalloc(m->len);
		memcpy(m->data, p + IPC_HDR_LEN, m->len);
	}
	return 0;
}

/* One byte more than the largest message, so that an oversized datagram
 * shows as MSG_TRUNC rather than passing as a whole one. */
#define RECV_CAP (IPC_HDR_LEN + IPC_PAYLOAD_MAX + 1)

/* Each thread's datagram buffer, made at its first receive and kept until
 * it ends: allocated and freed per message, its 64 KiB took glibc's slow
 * path (bench/api's profile of the service). */
static pthread_key_t recv_key;
static pthread_once_t recv_once = PTHREAD_ONCE_INIT;

static void recv_key_make(void)
{
	if (pthread_key_create(&recv_key, free) != 0)
		abort();
}

static uint8_t *recv_buf(void)
{
	pthread_once(&recv_once, recv_key_make);
	uint8_t *b = pthread_getspecific(recv_key);
	if (!b) {
		b = xmalloc(RECV_CAP);
		if (pthread_setspecific(recv_key, b) != 0)
			abort();
	}
	return b;
}

int ipc_stamp_on(int sock)
{
	int one = 1;
	return setsockopt(sock, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
}

/* Whether sock's reading side is shut (its peer gone, or shut here). */
static int read_shut(int sock)
{
	struct pollfd pf = { .fd = sock, .events = POLLRDHUP };
	int n;
	do
		n = poll(&pf, 1, 0);
	while (n < 0 && errno == EINTR);
	/* Unanswerable (n < 0): taken for the end, as before. */
	return n < 0 || (n == 1 && (pf.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)));
}

int ipc_recv(int sock, struct ipc_msg *m)
{
	msg_clear(m);
	uint8_t *b = recv_buf();
	/* Room for the fds and, on a stamped socket, the kernel's stamp. */
	union {
		char space[CMSG_SPACE(sizeof(int) * IPC_FDS_MAX) + CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = b, .iov_len = RECV_CAP};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.space, .msg_controllen = sizeof ctl.space};
	ssize_t r;
	/* A peer that closed with datagrams of ours unread leaves ECONNRESET,
	 * once, before what it sent that is still queued: read on (then the
	 * end, 1). Taken for an error, it was logged as a malformed datagram:
	 * a SIP front end killed with the next call's request unread in its
	 * channel. */
	do
		r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (r < 0 && (errno == EINTR || errno == ECONNRESET));
	if (r < 0)
		return -1;
	/* Collect every fd that came, so none leaks whatever happens next. */
	int got[IPC_FDS_MAX * 2];
	size_t ngot = 0, over = 0;
	int64_t sent_ns = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(c), sizeof ts);
			sent_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
			continue;
		}
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
			if (ngot < sizeof got / sizeof got[0])
				got[ngot++] = fd;
			else {
				close(fd);
				over = 1;
			}
		}
	}
	/* recvmsg gives 0 both for the end and for an empty datagram, which
	 * no sender of ours makes: the end only once the socket's reading side
	 * is shut (the peer closed or shut its writing side, or this side shut
	 * its reading), which poll tells as POLLRDHUP. An empty datagram while
	 * the peer is still there is malformed: read as the end, it left the
	 * HTTP channel's other readers blocked, and the sender unpunished. */
	if (r == 0 && ngot == 0 && read_shut(sock))
		return 1;
	int bad = over || ngot > IPC_FDS_MAX || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
		  ipc_msg_decode(b, (size_t)r, m) != 0;
	if (bad) {
		for (size_t i = 0; i < ngot; i++)
			close(got[i]);
		ipc_msg_free(m);
		errno = EBADMSG;
		return -1;
	}
	memcpy(m->fds, got, ngot * sizeof(int));
	m->nfds = ngot;
	m->sent_ns = sent_ns;
	return 0;
}

int ipc_msg_take_fd(struct ipc_msg *m, size_t i)
{
	if (i >= m->nfds || m->fds[i] < 0)
		return -1;
	int fd = m->fds[i];
	m->fds[i] = -1;
	return fd;
}

void ipc_msg_free(struct ipc_msg *m)
{
	if (!m)
		return;
	free(m->data);
	for (size_t i = 0; i < m->nfds; i++)
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	msg_clear(m);
}

void ipc_reader_init_bytes(struct ipc_reader *r, const void *p, size_t n)
{
	r->p = p;
	r->left = n;
	r->failed = 0;
}

void ipc_reader_init(struct ipc_reader *r, const struct ipc_msg *m)
{
	ipc_reader_init_bytes(r, m->data, m->len);
}

static const uint8_t *take(struct ipc_reader *r, size_t n)
{
	if (r->failed || n > r->left) {
		r->failed = 1;
		return NULL;
	}
	const uint8_t *p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

static int get_le(struct ipc_reader *r, uint64_t *v, size_t n)
{
	const uint8_t *p = take(r, n);
	if (!p)
		return -1;
	*v = le_get(p, n);
	return 0;
}

int ipc_get_u8(struct ipc_reader *r, uint8_t *v)
{
	uint64_t x;
	if (get_le(r, &x, 1))
		return -1;
	*v = (uint8_t)x;
	return 0;
}

int ipc_get_u32(struct ipc_reader *r, uint32_t *v)
{
	uint64_t x;
	if (get_le(r, &x, 4))
		return -1;
	*v = (uint32_t)x;
	return 0;
}

int ipc_get_u64(struct ipc_reader *r, uint64_t *v) { return get_le(r, v, 8); }

int ipc_get_i64(struct ipc_reader *r, int64_t *v)
{
	uint64_t x;
	if (get_le(r, &x, 8))
		return -1;
	*v = (int64_t)x;
	return 0;
}

int ipc_get_bytes(struct ipc_reader *r, const uint8_t **p, size_t *n, size_t max)
{
	uint32_t len;
	if (ipc_get_u32(r, &len))
		return -1;
	if (len > max) {
		r->failed = 1;
		return -1;
	}
	const uint8_t *d = take(r, len);
	if (!d)
		return -1;
	*p = d;
	*n = len;
	return 0;
}

int ipc_get_fixed(struct ipc_reader *r, void *out, size_t n)
{
	const uint8_t *p;
	size_t len;
	if (ipc_get_bytes(r, &p, &len, n))
		return -1;
	if (len != n) {
		r->failed = 1;
		return -1;
	}
	if (n)
		memcpy(out, p, n);
	return 0;
}

int ipc_get_str(struct ipc_reader *r, char *out, size_t cap, size_t max)
{
	const uint8_t *p;
	size_t len;
	if (cap == 0 || max >= cap) {
		r->failed = 1;
		return -1;
	}
	if (ipc_get_bytes(r, &p, &len, max))
		return -1;
	if (len && memchr(p, '\0', len)) {
		r->failed = 1;
		return -1;
	}
	if (len)
		memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

int ipc_reader_end(const struct ipc_reader *r)
{
	return r->failed || r->left ? -1 : 0;
}
