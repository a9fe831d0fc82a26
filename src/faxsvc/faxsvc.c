/* The fax service (see faxsvc.h). */
#include "faxsvc.h"

#include <stdio.h>
#include <stdlib.h>

#include "xalloc.h"

struct faxsvc {
	faxsvc_config_t cfg;
	store_t *st;
};

faxsvc_t *faxsvc_start(const faxsvc_config_t *cfg, store_t *st, char *err, size_t errlen)
{
	if (!cfg->dom || !cfg->dom->fax) {
		snprintf(err, errlen, "the fax service needs its environment");
		return NULL;
	}
	faxsvc_t *s = xcalloc(1, sizeof *s);
	s->cfg = *cfg;
	s->st = st;
	return s;
}

void faxsvc_stop(faxsvc_t *s)
{
	free(s);
}
