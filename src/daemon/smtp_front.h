/* The service's side of the SMTP front end (`faxvaultd --role smtp`, see
 * role.h and smtp_wire.h): starts it from a fresh image with the listening
 * socket bound at start, takes each mail it hands over, has the ingress
 * decide and submit it (smtp_ingress_submit, in a thread per mail) and
 * sends back the verdict. Restarts the front end when it dies, after 1 s
 * doubling to 30 s (back to 1 s after a minute of life). A front end that
 * sends a malformed message is killed (and restarted). Ownership: in, argv
 * and exe are borrowed for smtp_front_start's call (argv copied); in must
 * outlive the front. */
#ifndef FV_SMTP_FRONT_H
#define FV_SMTP_FRONT_H

#include <stddef.h>
#include <sys/types.h>

#include "smtp_ingress.h"

typedef struct smtp_front smtp_front_t;

/* Starts the front end serving listen_fd (SMTP) and lmtp_fd (LMTP), either
 * -1 when not configured (taken: closed at stop). max: the largest mail
 * (mail.smtp_max_bytes). NULL with err when it cannot be started at all. */
smtp_front_t *smtp_front_start(const char *exe, char *const argv[], int listen_fd, int lmtp_fd,
	size_t max, smtp_ingress_t *in, char *err, size_t errlen);
/* Stops it: SIGTERM, waits for it to end its sessions (their mails still
 * get their verdicts), then for the verdicts in flight; frees f. NULL is a
 * no-op. */
void smtp_front_stop(smtp_front_t *f);
/* The front end's pid (0 while it is down) and its restarts so far. */
pid_t smtp_front_pid(smtp_front_t *f);
unsigned smtp_front_restarts(smtp_front_t *f);

#endif
