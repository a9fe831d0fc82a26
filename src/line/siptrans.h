/* SIP over TCP and TLS (RFC 3261 §18) for the line engine's user agent:
 * one listener (optional), connections reused per peer address, messages
 * cut from each connection's byte stream by Content-Length (sipstream.h),
 * TLS through OpenSSL with the peer's certificate verified by default
 * (against the system's store or a CA file; the name checked and sent as
 * SNI is the one the engine dials, else the peer's address), and an
 * optional client certificate. Addresses are IPv4 or IPv6 (sipaddr.h).
 *
 * Non-blocking throughout: connects and TLS handshakes progress inside
 * siptrans_recv() and siptrans_send(), on the engine's SIP thread, never
 * waiting. A connection that sends bytes no SIP message starts with, a
 * header block without Content-Length or a message over SIP_MSG_MAX is
 * closed (logged as sip_stream_bad); the other connections go on. One
 * transport belongs to one thread; no global state. */
#ifndef FV_LINE_SIPTRANS_H
#define FV_LINE_SIPTRANS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum { SIPTRANS_UDP = 0, SIPTRANS_TCP = 1, SIPTRANS_TLS = 2 };

#define SIPTRANS_CONNS_MAX 256

typedef struct siptrans siptrans_t;

typedef struct siptrans_cfg {
	int proto;              /* SIPTRANS_TCP or SIPTRANS_TLS */
	const char *tls_ca;     /* PEM file of the CAs that sign peers' certificates; NULL: the system's store */
	const char *tls_cert;   /* PEM: our certificate (chain). A TLS listener needs it; a client
				   presents it when set (client certificate) */
	const char *tls_key;    /* PEM: its private key */
	int verify_client;      /* a listener: 0 no client certificate asked, 1 asked and verified
				   against tls_ca when given, 2 required */
	const char *peer_name;  /* DNS name (or address) checked in the certificate of every peer we connect to, and
				   sent as SNI; NULL: the peer's IP address is checked */
	/* A connection we opened failed before it could carry anything
	 * (refused, reset, TLS handshake or certificate refused); why is for
	 * people and logs. Called on the thread of siptrans_send/recv. */
	void (*on_fail)(void *ud, const struct sockaddr_storage *peer, const char *why);
	void *ud;
	int listen_fd;          /* > 0: a TCP socket already bound and listening at the listener's
				   address, used instead of binding one (taken over: closed by
				   siptrans_close) */
} siptrans_cfg_t;

/* Opens a transport; with at non-NULL, also a listener bound there
 * (a TLS listener needs tls_cert and tls_key). NULL with err set when a
 * file cannot be read, a key does not match or the bind fails. */
siptrans_t *siptrans_open(const siptrans_cfg_t *cfg, const struct sockaddr_storage *at, char *err, size_t errlen);

/* A descriptor that polls readable when siptrans_recv() has work. */
int siptrans_fd(const siptrans_t *t);

/* The listener's address (port 0 without listener). */
void siptrans_bound(const siptrans_t *t, struct sockaddr_storage *out);

/* The port our Via and Contact give toward peer: the listener's, else the
 * local port of the connection to peer (opened now when there is none,
 * so the peer reuses it for requests to us: RFC 5923's idea without the
 * alias parameter). 0 when no connection can be made. */
uint16_t siptrans_contact_port(siptrans_t *t, const struct sockaddr_storage *peer);

/* The subjectAltName DNS names and IP addresses of the certificate the
 * peer at src presented on the TLS connection it opened to our listener,
 * when that certificate verified (verify_client), space-separated into out
 * (whole names only, at most cap - 1 bytes); "" otherwise. */
void siptrans_peer_names(const siptrans_t *t, const struct sockaddr_storage *src, char *out, size_t cap);

/* Sends a message to peer over its connection, opening one when needed
 * (bytes wait in the connection until it is up). A request or response to
 * a peer that has no connection of its own goes over a connection it
 * opened to us from the same address, if any. 0, or -1 when no connection
 * can be had (on_fail is then not called). */
int siptrans_send(siptrans_t *t, const struct sockaddr_storage *peer, const void *data, size_t n);

/* Does the pending I/O, then hands out the next complete message (its
 * length; 0 when none) with the address it came from. */
size_t siptrans_recv(siptrans_t *t, uint8_t *out, size_t cap, struct sockaddr_storage *src);

void siptrans_close(siptrans_t *t);

/* "UDP", "TCP", "TLS" (for Via). */
const char *siptrans_via_name(int proto);
/* "udp", "tcp", "tls" -> SIPTRANS_*, -1 for anything else. */
int siptrans_proto_parse(const char *s);

#endif
