/* Registration of the trunks whose carrier wants it (a trunk's `register`,
 * with its username and password): a poller thread keeps one REGISTER
 * binding per such trunk (src/line/register.c, digest with qop=auth),
 * refreshed at three quarters of the time the registrar granted, retried
 * after a failure with a backoff doubling from 5 s to 5 minutes. The
 * binding's Contact is this node's first carrier listener (fax.sip_listen),
 * where the carrier then sends the calls for the trunk's numbers. Each
 * change of state is written to the trunk's row (registration: registered
 * or failed) and logged; /metrics shows faxvault_trunk_registered{trunk}.
 * A binding is removed at its registrar (REGISTER with Expires: 0) when
 * its trunk stops registering (disabled, deleted, `register` off; its row
 * then says none), when its registrar or credentials change (with the old
 * ones), and when the thread stops: the carrier stops routing calls to a
 * node that no longer takes them at once, not when the binding expires.
 *
 * Ownership: st and env are borrowed and must outlive the thread. */
#ifndef FV_FAXSVC_TRUNK_REGISTER_H
#define FV_FAXSVC_TRUNK_REGISTER_H

#include <stddef.h>

#include "buf.h"
#include "sipconn.h"
#include "fax/fax.h"
#include "linecall.h"
#include "store.h"

typedef struct trunk_register trunk_register_t;

/* Where calls for us go over transport (SIPTRANS_*) from a registrar of
 * address family (4 or 6): "IP:PORT" into out, 0; -1 when there is none. */
typedef int (*trunk_contact_fn)(void *ud, int transport, int family, char *out, size_t cap);

/* Starts the thread. line (borrowed): where the REGISTERs are sent and
 * their answers parsed (the SIP front end, or this process); it is told
 * per trunk when to register and with what, and answers the outcome. tls
 * (copied; its strings must outlive r): the CA file and client
 * certificate of registrations over TLS (a trunk's own certificate, when
 * it has one, in its place, for the removal too). NULL with a reason in
 * err. */
trunk_register_t *trunk_register_start(store_t *st, const fax_env_t *env, linecall_t *line,
	trunk_contact_fn contact, void *ud, const sipconn_tls_t *tls, char *err, size_t errlen);
/* Stops the thread (a registration in flight ends first), removes the
 * bindings it held (up to 2 s each for a registrar that does not answer)
 * and frees r. NULL: no-op. */
void trunk_register_stop(trunk_register_t *r);
/* Appends faxvault_trunk_registered{trunk} (1 registered, 0 failed). r may
 * be NULL: the HELP and TYPE lines only. */
void trunk_register_metrics(trunk_register_t *r, buf_t *out);

#endif
