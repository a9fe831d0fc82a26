/* The mail sender: the handler of the queue's jobs of kind MAIL_JOB
 * (mailq.h enqueues one per message of the outbox, in the transaction of
 * its cause); it renders each message (mail_msg.h) and hands it to the
 * relay, mail.relay:
 * an smtp:// or smtps:// URL (libcurl; STARTTLS when the relay offers it;
 * user:password@ in the URL for AUTH) or "sendmail" (the local sendmail
 * program, `sendmail -i -f FROM -- TO`). A 2xx answer marks the message
 * sent; a permanent refusal (5xx) or MAIL_MAX_ATTEMPTS tries mark it failed;
 * anything else is tried again on the schedule of mail_backoff_ms(). Every
 * attempt is logged (mail.attempt) and recorded on the outbox row, which is
 * the delivery log; the token of a message is erased from its row once the
 * message is sent or given up.
 *
 * With cfg.bounce_domain, each message leaves with the envelope sender
 * bounce+ID@bounce_domain (its outbox id), so that a delivery status
 * notification names the message it is about (the SMTP listener takes it,
 * see dom_mail_bounce); the From: header stays mail.from.
 *
 * Any node sharing the database may run a message's job: the queue leases
 * it to one node at a time (queue.h), and the attempt is recorded in a
 * transaction that still holds that lease. Ownership: st, env and the
 * strings of cfg are borrowed and must outlive the queue. */
#ifndef FV_MAIL_SENDER_H
#define FV_MAIL_SENDER_H

#include <stddef.h>
#include <stdint.h>

#include "fax/fax.h"
#include "mail_msg.h"
#include "notify/notify.h"
#include "queue.h"
#include "store.h"

typedef struct mail_sender_config {
	const char *relay;   /* mail.relay (non-empty) */
	mail_site_t site;    /* mail.from and the sign-in address */
	int timeout_ms;      /* one delivery, connection included */
	const char *bounce_domain; /* mail.domain when a listener takes bounces: each message's
				      envelope sender is bounce+ID@bounce_domain (VERP); NULL:
				      mail.from */
} mail_sender_config_t;

typedef struct mail_sender mail_sender_t;

/* Delay before attempt number attempts + 1, after attempts failed ones:
 * one minute, doubling, at most six hours. */
int64_t mail_backoff_ms(int attempts);
/* Whether relay is a value mail.relay accepts (smtp://, smtps://, sendmail). */
int mail_relay_valid(const char *relay);

/* Registers the kind MAIL_JOB on q (before queue_start). NULL with a
 * reason in err. */
mail_sender_t *mail_sender_register(queue_t *q, const mail_sender_config_t *cfg,
	store_t *st, const fax_env_t *env, char *err, size_t errlen);
/* Frees s, once q is stopped. NULL is a no-op. */
void mail_sender_free(mail_sender_t *s);

/* Counters since start, for /metrics: messages sent, failed for good, and
 * attempts that will be retried. */
void mail_sender_counts(uint64_t *sent, uint64_t *failed, uint64_t *deferred);

#endif
