/* The routes of the faxes area (see routes.c for the conventions). */
#include "router.h"

const struct route routes_faxes[] = {
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
