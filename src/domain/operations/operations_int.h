/* What the status board's files share (private to src/domain/status*.c). */

#ifndef FV_DOMAIN_OPERATIONS_INT_H
#define FV_DOMAIN_OPERATIONS_INT_H

#include <stdbool.h>

/* Every component {id, name (in c->lang), state}: the state an operator
 * pinned, else the automatic one, else operational; not yet raised by
 * incidents or windows. New reference. */
json_t *status_component_list(dom_ctx_t *c);
/* The component of list with that id (borrowed), or NULL. */
json_t *status_component_find(json_t *list, const char *id);
/* Whether state is one of the five states. */
bool status_state_known(const char *state);
/* The English or French label of key in table "state" or "status" (key
 * itself when unknown). Static. */
const char *status_label(bool fr, const char *table, const char *key);
/* Records a change of component's state in its history: source automatic,
 * pin or unpin; reason for operators (English). STORE_OK or an error. */
int status_history_add(dom_ctx_t *c, const char *component, const char *source,
	const char *state, const char *reason, int64_t now);

#endif
