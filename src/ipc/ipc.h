/* Messages between faxvault's processes (imsg-style).
 *
 * One message is one datagram on a SOCK_SEQPACKET socketpair: a fixed
 * 16-byte header followed by at most IPC_PAYLOAD_MAX bytes of payload, with
 * up to IPC_FDS_MAX file descriptors passed alongside (SCM_RIGHTS).
 *
 *   offset size  field
 *   0      2     version  (IPC_VERSION; anything else is refused)
 *   2      2     type     (meaning chosen by the protocol built on this)
 *   4      4     length   (payload bytes; must equal what follows)
 *   8      8     id       (request id; a reply carries its request's id)
 *
 * Integers are little-endian. Payload fields are written and read in order
 * with the ipc_put_* / ipc_get_* helpers: fixed-size integers, and byte
 * strings as a 32-bit length followed by the bytes. A reader that runs past
 * the end, or a message with bytes left over once its fields are read, is
 * malformed (ipc_reader_end), and the receiver drops the peer: as in
 * OpenSMTPD's mproc, a short message or trailing bytes are a protocol error,
 * never guessed at.
 *
 * Thread safety: the functions keep no state (but ipc_recv's buffer, one
 * per thread, kept from one message to the next); a socket may be written by
 * several threads only if the caller serialises the writes of one message
 * (each message is one sendmsg(), so datagrams never interleave). */
#ifndef FV_IPC_H
#define FV_IPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IPC_VERSION 1
#define IPC_HDR_LEN 16
#define IPC_PAYLOAD_MAX (64u * 1024u)
#define IPC_FDS_MAX 4
/* Longest byte string one field may carry (the rest of the payload bounds it
 * too). */
#define IPC_FIELD_MAX IPC_PAYLOAD_MAX

/* A received message. Owns its payload and its file descriptors:
 * ipc_msg_free() releases the payload and closes every fd still in fds[]
 * (take one with ipc_msg_take_fd to keep it). */
struct ipc_msg {
	uint16_t type;
	uint64_t id;
	uint8_t *data;     /* payload, len bytes (NULL when len is 0) */
	size_t len;
	int fds[IPC_FDS_MAX];
	size_t nfds;
	/* When the sender sent it (CLOCK_REALTIME, ns): the kernel's stamp,
	 * given when the receiving socket has SO_TIMESTAMPNS on (ipc_stamp_on),
	 * else 0. For measuring a message's wait before it is read. */
	int64_t sent_ns;
};

/* A message being built. ipc_out_init gives it a header; the put helpers
 * append fields; a field that would pass IPC_PAYLOAD_MAX marks the message
 * failed (ipc_send then refuses it with EMSGSIZE). fds are borrowed: the
 * caller keeps and closes them after ipc_send. */
struct ipc_out {
	uint8_t buf[IPC_HDR_LEN + IPC_PAYLOAD_MAX];
	size_t len;        /* header + payload so far */
	int fds[IPC_FDS_MAX];
	size_t nfds;
	int failed;
};

/* Reads fields of a payload in order. Borrowed view of the message. */
struct ipc_reader {
	const uint8_t *p;
	size_t left;
	int failed;
};

/* A connected pair of SOCK_SEQPACKET sockets, both close-on-exec.
 * 0, or -1 with errno. */
int ipc_socketpair(int sv[2]);

void ipc_out_init(struct ipc_out *o, uint16_t type, uint64_t id);
void ipc_put_u8(struct ipc_out *o, uint8_t v);
void ipc_put_u32(struct ipc_out *o, uint32_t v);
void ipc_put_u64(struct ipc_out *o, uint64_t v);
void ipc_put_i64(struct ipc_out *o, int64_t v);
/* A byte string: 32-bit length, then the bytes. */
void ipc_put_bytes(struct ipc_out *o, const void *p, size_t n);
/* A NUL-terminated string as a byte string (without the NUL); NULL is sent
 * as an empty string. */
void ipc_put_str(struct ipc_out *o, const char *s);
/* Attaches fd (borrowed) to the message; more than IPC_FDS_MAX or a
 * negative fd marks the message failed. */
void ipc_put_fd(struct ipc_out *o, int fd);

/* Sends the message as one datagram, retrying on EINTR. 0, or -1 with errno
 * (EMSGSIZE for a failed message). */
int ipc_send(int sock, struct ipc_out *o);

/* Has the kernel stamp each datagram sock receives with its sending
 * time (SO_TIMESTAMPNS): ipc_recv then fills m->sent_ns. 0, or -1 with
 * errno. */
int ipc_stamp_on(int sock);

/* Receives one message into *m (initialised by this call; release with
 * ipc_msg_free, also after an error). Returns 0 for a message, 1 at the
 * end (the peer closed, also with datagrams unread, or shut its writing
 * side, or this side shut its reading: shutdown(sock, SHUT_RD) wakes every
 * thread blocked here with 1), -1 with errno on error: EBADMSG for a malformed datagram (bad
 * header, length mismatch, truncated payload or control data, too many
 * fds, or empty while the peer is still there); any fds that came with a
 * refused datagram are closed. */
int ipc_recv(int sock, struct ipc_msg *m);

/* Parses a datagram's bytes (header and payload) into *m, copying the
 * payload; m->fds is left empty. 0, or -1 (malformed). This is the decoder
 * ipc_recv uses; it is exposed for the fuzz target. */
int ipc_msg_decode(const uint8_t *p, size_t n, struct ipc_msg *m);

/* Removes fds[i] from the message and returns it (the caller owns it), or
 * -1 when there is no such fd. */
int ipc_msg_take_fd(struct ipc_msg *m, size_t i);
/* Releases the payload and closes the fds left; the message is empty after.
 * NULL is a no-op. */
void ipc_msg_free(struct ipc_msg *m);

void ipc_reader_init(struct ipc_reader *r, const struct ipc_msg *m);
void ipc_reader_init_bytes(struct ipc_reader *r, const void *p, size_t n);
/* Each returns 0, or -1 (and marks the reader failed) when the payload ends
 * before the field does; once failed, every later get fails too. */
int ipc_get_u8(struct ipc_reader *r, uint8_t *v);
int ipc_get_u32(struct ipc_reader *r, uint32_t *v);
int ipc_get_u64(struct ipc_reader *r, uint64_t *v);
int ipc_get_i64(struct ipc_reader *r, int64_t *v);
/* A byte string of at most max bytes: *p points into the message (borrowed,
 * valid while the message lives), *n its length. Longer is a failure. */
int ipc_get_bytes(struct ipc_reader *r, const uint8_t **p, size_t *n, size_t max);
/* A byte string of exactly n bytes copied into out. */
int ipc_get_fixed(struct ipc_reader *r, void *out, size_t n);
/* A string of at most max bytes without NUL inside, copied NUL-terminated
 * into out (cap bytes, cap > max). */
int ipc_get_str(struct ipc_reader *r, char *out, size_t cap, size_t max);
/* 0 when every field was read and nothing is left over; -1 otherwise. */
int ipc_reader_end(const struct ipc_reader *r);

/* Children: the first fd a spawned process receives, and how many. */
#define IPC_SPAWN_FD0 3
#define IPC_SPAWN_FDS_MAX 8
/* Starts exe (posix_spawn, a fresh image; argv[0] is its title) with the
 * environment, fds[i] (borrowed) as its fd IPC_SPAWN_FD0 + i and no other
 * descriptor but 0-2 (the caller's are close-on-exec), signals at their
 * defaults and none blocked. 0 with *pid, or an errno value. */
int ipc_spawn(const char *exe, char *const argv[], const int fds[], size_t nfds, pid_t *pid);

#endif
