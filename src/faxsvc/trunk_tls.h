/* A trunk's own client certificate (tls_cert, tls_key of the trunk as
 * dom_trunk_for answers it), for the engine and sipconn, which take TLS
 * files by name: the PEM texts written into two memfds named by their
 * /proc/self/fd links, closed (and so gone) after the call, the
 * registration or the probe. The key never touches a disk. The SIP front
 * end is passed the descriptors themselves (sip_front.c). */
#ifndef FV_FAXSVC_TRUNK_TLS_H
#define FV_FAXSVC_TRUNK_TLS_H

#include <jansson.h>

typedef struct trunk_tls {
	int cert_fd, key_fd;        /* -1: none */
	char cert[32], key[32];     /* "/proc/self/fd/N" */
} trunk_tls_t;

/* 1 with t filled when trunk has a client certificate, 0 when it has none
 * (t empty), -1 when the memfds could not be made (logged; t empty). */
int trunk_tls_open(const json_t *trunk, trunk_tls_t *t);
/* Closes t's memfds (an empty t: nothing). */
void trunk_tls_close(trunk_tls_t *t);

#endif
