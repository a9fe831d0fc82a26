/* The media spawner (line_media_spawner_start): a process that set up the
 * spawner while it could set SCHED_RR, then gave up root and its
 * RLIMIT_RTPRIO (as the SIP front end does, as root without
 * CAP_SYS_RESOURCE), still gets its media threads under SCHED_RR when it
 * starts them through the spawner (media_thread_create, which the engine
 * uses for its media loops), and is refused SCHED_RR in a thread it starts
 * itself. Root only (it becomes nobody, for good: a test binary of its own);
 * skipped elsewhere, or where SCHED_RR is refused to root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ua_int.h"

static void *try_rr(void *arg)
{
	int *out = arg;
	int old;
	struct sched_param sp;
	out[0] = media_priority_enter(10, &old, &sp);
	struct sched_param now;
	pthread_getschedparam(pthread_self(), &out[1], &now);
	out[2] = now.sched_priority;
	return NULL;
}

static void test_spawned_media_keep_rr(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	struct sched_param rr = {.sched_priority = 10}, other = {0};
	if (pthread_setschedparam(pthread_self(), SCHED_RR, &rr) != 0)
		skip();
	assert_int_equal(line_media_spawner_start(), 0);
	assert_int_equal(pthread_setschedparam(pthread_self(), SCHED_OTHER, &other), 0);
	/* No right to SCHED_RR any more, in any thread of the process. */
	struct rlimit none = {0, 0};
	assert_int_equal(setrlimit(RLIMIT_RTPRIO, &none), 0);
	assert_int_equal(setgid(65534), 0);
	assert_int_equal(setuid(65534), 0);
	assert_int_not_equal(setuid(0), 0);

	int own[3] = {0}, spawned[3] = {0};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, try_rr, own), 0);
	pthread_join(th, NULL);
	assert_int_equal(own[0], -1); /* refused: the check can fail */
	assert_int_equal(own[1], SCHED_OTHER);

	assert_int_equal(media_thread_create(&th, try_rr, spawned), 0);
	pthread_join(th, NULL);
	assert_int_equal(spawned[0], 0);
	assert_int_equal(spawned[1], SCHED_RR);
	assert_int_equal(spawned[2], 10);
	/* and again: one request after another */
	assert_int_equal(media_thread_create(&th, try_rr, spawned), 0);
	pthread_join(th, NULL);
	assert_int_equal(spawned[1], SCHED_RR);
}

/* A thread not under SCHED_RR starts no spawner. */
static void test_needs_rr(void **state)
{
	(void)state;
	struct sched_param other = {0};
	pthread_setschedparam(pthread_self(), SCHED_OTHER, &other);
	assert_int_equal(line_media_spawner_start(), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_needs_rr),
		cmocka_unit_test(test_spawned_media_keep_rr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
