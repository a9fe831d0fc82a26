/* Thread-safe localtime() and gmtime() for the whole process.
 *
 * spandsp 0.0.6 calls localtime() and gmtime() (one static buffer shared by
 * every thread) when it stamps a page (TIFF DateTime, page header). With
 * media threads, two calls ending a page at the same moment would write that
 * buffer together (ThreadSanitizer shows it). These definitions take
 * precedence over the C library's for every module of the program
 * (including libspandsp) and keep the standard contract, with one buffer per
 * thread instead of one per process. line_tsafe_init() sets the time zone
 * once, before any thread starts (glibc initialises it lazily otherwise). */
#include <time.h>

#include "tsafe.h"

static __thread struct tm local_tm, utc_tm;

struct tm *localtime(const time_t *t)
{
	return localtime_r(t, &local_tm);
}

struct tm *gmtime(const time_t *t)
{
	return gmtime_r(t, &utc_tm);
}

void line_tsafe_init(void)
{
	tzset();
	time_t now = time(NULL);
	struct tm tmp;
	localtime_r(&now, &tmp);
}
