/* Fax by e-mail's delivery reports: a fax submitted by e-mail is marked
 * (faxreport_mark, in the submission's transaction); when it ends, the
 * transaction that ends it takes the mark and queues one report mail to the
 * member who sent it (faxreport_queue): delivered, with the pages and the
 * time, or not delivered, with the reason in the member's language (English
 * or French). Mark, end and mail commit together: one report per fax, even
 * when the service dies between the end of the fax and the mail. */
#ifndef FV_DOMAIN_FAXREPORT_H
#define FV_DOMAIN_FAXREPORT_H

#include <jansson.h>

#include "faxenv.h"
#include "store.h"

/* Marks fax_id (submitted by e-mail) for a report. 0, or -1 on error. */
int faxreport_mark(store_tx_t *tx, const char *fax_id, int64_t now_ms);

/* In the transaction that ended fax (its record after the end: status
 * delivered, partial or failed, failure_class, pages_confirmed,
 * completed_at; borrowed): when it is marked, takes the mark and queues the
 * report to its member, if still active and mail is on (env->mail_on). 0
 * when queued or nothing is to be queued, -1 when the store or the outbox
 * failed (the caller fails the transaction). */
int faxreport_queue(store_tx_t *tx, const fax_env_t *env, const json_t *fax);

/* Forgets the mark of fax_id (cancelled by a person: no report). 0, or -1
 * on error. */
int faxreport_forget(store_tx_t *tx, const char *fax_id);

/* Why a fax of failure class fclass (NULL or unknown: a generic reason)
 * did not go through, for a person in lang ("fr", else English). Static
 * storage. */
const char *faxreport_reason(const char *fclass, const char *lang);

#endif
