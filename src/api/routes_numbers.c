/* The routes of the numbers area (see routes.c for the conventions). */
#include "router.h"

const struct route routes_numbers[] = {
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
