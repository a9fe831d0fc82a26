/* The service's side of the SIP front end (`faxvaultd --role sip`, see
 * role.h and sip_wire.h): starts it from a fresh image, supervises it
 * (restarted after 1 s doubling to 30 s, back to 1 s after a minute of
 * life) and is the fax service's linecall_t: each send and each listener
 * of faxsvc runs there, each INVITE is decided here. A front end that
 * sends a malformed message is killed (and restarted). Ownership: exe and
 * argv are borrowed for sip_front_start's call (argv copied). */
#ifndef FV_SIP_FRONT_H
#define FV_SIP_FRONT_H

#include <sys/types.h>

#include "linecall.h"

typedef struct sip_front sip_front_t;

/* Starts the front end; user: the user it becomes (daemon.sip_user, else
 * daemon.unprivileged_user), NULL when it keeps the service's (an inbound
 * call's TIFF file is given to that user when the service runs as root,
 * or opened to other users for the call when it runs as
 * daemon.service_user, so that the front end can write it). NULL with err
 * when it cannot be started. */
sip_front_t *sip_front_start(const char *exe, char *const argv[], const char *user, char *err,
	size_t errlen);
/* The calls' interface (borrowed: valid until sip_front_stop). */
linecall_t *sip_front_line(sip_front_t *f);
/* Stops it: SIGTERM (it ends its calls), waits for it, frees f. Call after
 * faxsvc_stop. NULL is a no-op. */
void sip_front_stop(sip_front_t *f);
pid_t sip_front_pid(sip_front_t *f);
unsigned sip_front_restarts(sip_front_t *f);

#endif
