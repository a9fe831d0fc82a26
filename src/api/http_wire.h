/* The messages between the HTTP front end (`faxvaultd --role http`, which
 * runs libmicrohttpd on the listening sockets) and the service, which runs
 * the pipeline (api.h). src/ipc framing; docs/architecture.md ("Processes")
 * has the catalogue.
 *
 *   front end                                      service
 *   HTTPF_REQUEST id [listener, flags, receive ---->  decode, read the
 *     time, body length, method, path, client         body, api_serve
 *     address, headers, query arguments]
 *     fd: the body (a memfd) when there is one
 *   <---- HTTPF_ANSWER id [status, headers, body inline or in a memfd]
 *
 * Both go on the one channel between the two processes (the front end's
 * SEQPACKET socket to the service, for its whole life): each request
 * carries an id (the IPC header's, never 0) and its answer the same id, so
 * that requests and answers of many connections share the channel and
 * answers come back in any order. The front end keeps the requests in
 * flight in a table (http_chan.h) that matches each answer to its
 * suspended connection; an answer whose id is not in flight (unknown, or
 * answered already) is dropped and logged. At most HTTPF_INFLIGHT_MAX
 * requests are in flight on a channel: beyond, the front end answers 503
 * itself at once (nothing queues in the front end); the service, which
 * queues at most that many, drops a front end that passes it. A service
 * that goes away closes the channel: the front end answers every request
 * in flight 503 and ends (the successor starts another). The service
 * trusts nothing the front end sends: every field is bounded and checked
 * by http_wire_request_decode, and the body's memfd must be as long as
 * declared and within the route's ceiling (http_wire_body_read). The front
 * end checks what it sends with the same rules (http_wire_request_encode
 * refuses what the decoder would), so that no client can make it send a
 * message the service refuses (which kills it).
 * Ownership: decoded strings point into the message (borrowed). */
#ifndef FV_HTTP_WIRE_H
#define FV_HTTP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_io.h"
#include "ipc.h"

enum http_wire_type {
	HTTPF_REQUEST = 0x301,
	HTTPF_ANSWER,
};

#define HTTPF_METHOD_MAX 32
#define HTTPF_PEER_MAX 45        /* INET6_ADDRSTRLEN - 1 */
#define HTTPF_NAME_MAX 256       /* a header's name */
#define HTTPF_HEADERS_MAX 256    /* headers of a request */
#define HTTPF_ARGS_MAX 512       /* query arguments of a request */
#define HTTPF_ANSWER_HEADERS_MAX 64
#define HTTPF_INLINE_MAX (48u * 1024u) /* a longer answer body goes in a memfd */
#define HTTPF_RECV_NS_MAX (24LL * 3600 * 1000000000LL)
/* Requests handed over on one channel and not yet answered, at most. */
#define HTTPF_INFLIGHT_MAX 512

/* Request flags. */
#define HTTPF_TOO_LARGE 1u
#define HTTPF_REFUSED_EARLY 2u

/* A decoded HTTPF_REQUEST (some 80 KiB: allocate it): in's strings point
 * into strings[], headers[] and args[]; in.body is NULL (the body is in
 * the memfd, the message's second fd). */
typedef struct http_wire_req {
	http_in_t in;
	uint64_t body_len;
	http_kv_t headers[HTTPF_HEADERS_MAX];
	http_kv_t args[HTTPF_ARGS_MAX];
	char method[HTTPF_METHOD_MAX + 1];
	char peer[HTTPF_PEER_MAX + 1];
	/* The path, names and values, each NUL-terminated. */
	char strings[IPC_PAYLOAD_MAX + 2 * (HTTPF_HEADERS_MAX + HTTPF_ARGS_MAX) + 8];
	size_t used;
} http_wire_req_t;

/* Whether a header's name is one the service takes: 1 to HTTPF_NAME_MAX
 * token characters (RFC 9110). */
bool http_wire_name_ok(const char *s);
/* A header's value: no CR, LF or other control character but tab. */
bool http_wire_value_ok(const char *s);

/* Builds HTTPF_REQUEST id into o from in (its body not included: the
 * caller attaches the body's memfd when in->len > 0). 0, or -1 when in
 * breaks a rule the decoder checks (id 0, a header's name or value, too
 * many headers or arguments: the caller answers 400 itself) or does not
 * fit one message (then errno is EMSGSIZE). */
int http_wire_request_encode(struct ipc_out *o, uint64_t id, const http_in_t *in);
/* Pure: decodes an HTTPF_REQUEST's payload into *out (its fds are not
 * looked at; its id is msg->id). 0, or -1 when the id is 0 or a field is
 * missing, overlong, trailing or out of its rules (a method not a token, a
 * client address not numeric, a header name not a token, a control
 * character in a value, too many headers or arguments, a NUL anywhere). A
 * fuzz target (fuzz/api/fuzz_http_wire.c). */
int http_wire_request_decode(const struct ipc_msg *msg, http_wire_req_t *out);
/* What the service takes off its front end's channel (src/daemon/
 * http_front.c): a message that http_wire_request_decode accepts and that
 * carries exactly one fd (the body's memfd) when its body is not empty,
 * none when it is. 0, or -1 (the message's fds are the caller's to close,
 * with ipc_msg_free, either way). */
int http_wire_request_check(const struct ipc_msg *msg, http_wire_req_t *out);
/* Reads the body of w from its memfd (borrowed): the memfd must hold
 * exactly w->body_len bytes, at most max. *body (the caller frees it) is
 * NULL for an empty body. 0, or -1 (nothing to free). */
int http_wire_body_read(const http_wire_req_t *w, int fd, size_t max, uint8_t **body);

/* Builds HTTPF_ANSWER id (the request's) into o: the body inline when it
 * is short, else in a memfd made here (*body_fd, to attach and close after
 * sending; -1 when inline). 0, or -1 with errno. */
int http_wire_answer_encode(struct ipc_out *o, uint64_t id, const http_out_t *a, int *body_fd);
/* Pure: decodes an HTTPF_ANSWER into *a (owned: http_out_free), the body
 * inline; *in_fd set when the body is in the message's memfd (a->len
 * bytes, which the caller takes); its request's id is msg->id. 0, or -1
 * (a status out of 100-599, a header that breaks the rules, trailing
 * bytes). A fuzz target too. */
int http_wire_answer_decode(const struct ipc_msg *msg, http_out_t *a, bool *in_fd);

#endif
