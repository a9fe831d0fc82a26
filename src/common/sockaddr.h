/* Listen addresses of the daemon's listeners (http.listen, mail.smtp_listen):
 * "A.B.C.D:PORT" or "[v6]:PORT". Pure. */
#ifndef FV_SOCKADDR_H
#define FV_SOCKADDR_H

#include <sys/socket.h>

/* Fills ss and len from s (port 0: any free port). 0, or -1 when s is not
 * one of the two forms. */
int sockaddr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len);

#endif
