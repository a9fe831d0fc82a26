/* One blocking SIP connection over TCP or TLS, for the fax service's own
 * threads (REGISTER, OPTIONS keep-alive), never an engine's SIP or media
 * thread: connect and handshake, send a message, read the next one (cut
 * by sipstream.c), each within a deadline. TLS verifies the peer's
 * certificate (a CA file, else the system's store) for the peer's host
 * name (SNI too) or its literal address; a client certificate is
 * presented when given. No global state. */
#ifndef FV_LINE_SIPCONN_H
#define FV_LINE_SIPCONN_H

#include <stddef.h>
#include <stdint.h>

typedef struct sipconn sipconn_t;

typedef struct sipconn_tls {
	const char *ca;     /* PEM file; NULL: the system's store */
	const char *cert;   /* PEM client certificate (chain), NULL: none */
	const char *key;
	const char *name;   /* the name the peer's certificate must hold (and SNI); NULL: the host
			       of the hostport dialled */
} sipconn_tls_t;

/* Connects to hostport ("HOST:PORT", "[IPv6]:PORT") over proto
 * (SIPTRANS_TCP or SIPTRANS_TLS; tls may be NULL for TCP) before end_ms
 * (monotonic). Our end's "IP:PORT" into me. NULL with why set ("connect:
 * ...", "tls: certificate refused (...)"). */
sipconn_t *sipconn_open(int proto, const char *hostport, const sipconn_tls_t *tls, int64_t end_ms, char *me,
			size_t mecap, char *why, size_t whylen);

/* 0, or -1 when the connection broke or the deadline passed. */
int sipconn_send(sipconn_t *c, const void *data, size_t n, int64_t end_ms);

/* The next message into out (its length), 0 when the deadline passed,
 * -1 when the connection broke or its stream is malformed. */
int sipconn_recv(sipconn_t *c, uint8_t *out, size_t cap, int64_t end_ms);

void sipconn_close(sipconn_t *c);

#endif
