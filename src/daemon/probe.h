/* Checks, before anything is written, that the daemon's listening
 * addresses can be bound. */
#ifndef FV_PROBE_H
#define FV_PROBE_H

#include <stddef.h>

/* Binds addr ("A.B.C.D:PORT" or "[v6]:PORT"; SOCK_STREAM or SOCK_DGRAM)
 * (TCP with SO_REUSEADDR, as the listener does), then releases it. 0 when it
 * can be bound (or port is 0, or addr is empty); -1 with a message naming
 * the address in err ("cannot listen on 127.0.0.1:8080: Address already in
 * use"). */
int probe_bind(const char *addr, int socktype, char *err, size_t errlen);

/* Binds addr as probe_bind does and keeps the socket: a TCP one listening
 * (backlog as libmicrohttpd's), a UDP one bound. *fd is the socket (owned by
 * the caller, close-on-exec), or -1 when addr is empty. Port 0 binds a port
 * the kernel picks. 0, or -1 with a message naming the address in err. */
int probe_listen(const char *addr, int socktype, int *fd, char *err, size_t errlen);

#endif
