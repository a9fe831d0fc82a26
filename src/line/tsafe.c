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
#include <pthread.h>
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

static void tz_init(void)
{
	tzset();
	time_t now = time(NULL);
	struct tm tmp;
	localtime_r(&now, &tmp);
}

/* Once per process: engines start in several threads at once (line_send
 * from the fax service's workers). */
void line_tsafe_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, tz_init);
}
