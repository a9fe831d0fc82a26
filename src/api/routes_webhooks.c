/* The routes of the webhooks area (see routes.c for the conventions). */
#include "router.h"

const struct route routes_webhooks[] = {
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
