/* The library the fax engine decodes what a far end sends with. */
#include <spandsp/version.h>

#include "line.h"

void line_lib_versions(libvers_t *l)
{
#ifndef FV_SPANDSP_VERSION
#define FV_SPANDSP_VERSION "?"
#endif
	libver_add(l, "spandsp", "T.30 and T.38 from the far end (built against)", "%s (%s)",
		FV_SPANDSP_VERSION, SPANDSP_RELEASE_DATETIME_STRING);
}
