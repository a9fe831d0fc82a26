/* Per-destination memory (see faxdest.h). */
#include "fax.h"

#include <string.h>

#include "dom_util.h"
#include "store_faxdest.h"

static const char *trunk_of(const fax_job_t *j)
{
	const char *id = j->trunk ? json_string_value(json_object_get(j->trunk, "id")) : NULL;
	return id && *id ? id : NULL;
}

int dom_faxdest_choose(store_tx_t *tx, fax_job_t *j, int64_t now)
{
	const char *trunk = trunk_of(j);
	if (j->attempt != 1 || !trunk || !j->to[0])
		return 0;
	json_t *row = store_faxdest_get(tx, trunk, j->to);
	if (!row)
		return 0;
	if ((int64_t)json_integer_value(json_object_get(row, "updated_at")) >= now - FAXDEST_KEEP_MS) {
		const char *transport = json_string_value(json_object_get(row, "transport"));
		int rate = (int)json_integer_value(json_object_get(row, "bit_rate"));
		if (j->t38 == 1 && transport && strcmp(transport, "g711") == 0)
			j->t38 = 0;
		j->ecm = json_integer_value(json_object_get(row, "ecm")) != 0;
		if (rate > 0 && rate < 14400)
			j->max_rate = 9600;
		j->remembered = 1;
	}
	json_decref(row);
	return 0;
}

int dom_faxdest_learn(store_tx_t *tx, const fax_job_t *j, const fax_result_t *r, int64_t now)
{
	const char *trunk = trunk_of(j);
	if (!trunk || !j->to[0])
		return 0;
	if (r->pages_confirmed > 0 && (strcmp(r->transport, "t38") == 0 || strcmp(r->transport, "g711") == 0))
		return store_faxdest_put(tx, trunk, j->to, r->transport, r->ecm, r->bit_rate, now,
			       now - FAXDEST_KEEP_MS) == STORE_OK ? 0 : -1;
	if (r->t30_heard && r->pages_confirmed == 0)
		return store_faxdest_forget(tx, trunk, j->to) == STORE_OK ? 0 : -1;
	return 0;
}
