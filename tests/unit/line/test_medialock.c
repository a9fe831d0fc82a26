/* The locks a media loop shares with the SIP thread (a call's, a loop's
 * list) inherit priority: while a loop under SCHED_RR waits for one that a
 * thread of normal priority holds, that holder runs at the loop's priority
 * (docs/line.md, "Where a late media loop waits"). The test holds the
 * engine's own locks (ua_init with a media thread, call_new) in a thread of
 * normal priority, lets a SCHED_RR thread block on each, and reads the
 * holder's priority from /proc once the waiter sleeps: boosted to real
 * time (negative) with inheritance, 20 (nice 0) without. Only the order of
 * events is used, never a time. Skipped where SCHED_RR is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ua_int.h"

static pthread_mutex_t *target;
static atomic_int waiter_tid, waiter_at_lock, waiter_done;

static int tid(void)
{
	return (int)syscall(SYS_gettid);
}

/* Field 3 (state) or 18 (priority) of /proc/self/task/TID/stat. */
static long task_stat(int t, int field, char *state)
{
	char p[64], buf[1024];
	snprintf(p, sizeof p, "/proc/self/task/%d/stat", t);
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *s = strrchr(buf, ')'); /* after the command name, which may hold spaces */
	assert_non_null(s);
	s += 2;
	if (state)
		*state = *s;
	long v = 0;
	for (int k = 3; k <= field && s; k++) {
		if (k == field)
			sscanf(s, "%ld", &v);
		s = strchr(s, ' ');
		if (s)
			s++;
	}
	return v;
}

static void *waiter(void *arg)
{
	(void)arg;
	atomic_store(&waiter_tid, tid());
	atomic_store(&waiter_at_lock, 1);
	pthread_mutex_lock(target);
	pthread_mutex_unlock(target);
	atomic_store(&waiter_done, 1);
	return NULL;
}

/* Holds m at normal priority while a SCHED_RR thread at 10 waits for it:
 * the holder's priority seen then (20 for nice 0, below 0 when boosted to
 * real time); -1000 when SCHED_RR is refused here. */
static long holder_priority_while_waited(pthread_mutex_t *m)
{
	struct sched_param other = {0};
	assert_int_equal(pthread_setschedparam(pthread_self(), SCHED_OTHER, &other), 0);
	target = m;
	atomic_store(&waiter_tid, 0);
	atomic_store(&waiter_at_lock, 0);
	atomic_store(&waiter_done, 0);
	assert_int_equal(pthread_mutex_lock(m), 0);
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&at, SCHED_RR);
	struct sched_param rr = {.sched_priority = 10};
	pthread_attr_setschedparam(&at, &rr);
	pthread_t th;
	int rc = pthread_create(&th, &at, waiter, NULL);
	pthread_attr_destroy(&at);
	if (rc == EPERM) {
		pthread_mutex_unlock(m);
		return -1000;
	}
	assert_int_equal(rc, 0);
	/* The waiter asleep after it reached the lock: asleep on the lock. */
	while (!atomic_load(&waiter_at_lock))
		sched_yield();
	for (;;) {
		char st = 0;
		task_stat(atomic_load(&waiter_tid), 3, &st);
		if (st == 'S' || st == 'D')
			break;
		sched_yield();
	}
	long prio = task_stat(tid(), 18, NULL);
	assert_int_equal(atomic_load(&waiter_done), 0);
	pthread_mutex_unlock(m);
	pthread_join(th, NULL);
	assert_int_equal(atomic_load(&waiter_done), 1);
	/* Let go, the holder is back at its own priority. */
	assert_int_equal(task_stat(tid(), 18, NULL), 20);
	return prio;
}

static void test_engine_locks_inherit(void **state)
{
	(void)state;
	static atomic_int stop;
	line_cfg_t cfg;
	line_cfg_defaults(&cfg);
	cfg.media_threads = 1;
	cfg.stop = &stop; /* no signal handlers installed */
	static ua_t ua;
	assert_int_equal(ua_init(&ua, &cfg), 0);
	assert_int_equal(ua.nworkers, 1);
	call_t *c = call_new(&ua, 1);
	assert_non_null(c);
	long p = holder_priority_while_waited(&c->lock);
	if (p == -1000) {
		call_free(c);
		ua_fini(&ua);
		skip();
	}
	assert_true(p < 0); /* the call's lock */
	assert_true(holder_priority_while_waited(&ua.workers[0].lock) < 0); /* the loop's list */
	call_free(c);
	ua_fini(&ua);
}

/* The check itself can fail: a plain mutex leaves the holder at 20. */
static void test_plain_mutex_does_not(void **state)
{
	(void)state;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	long p = holder_priority_while_waited(&m);
	if (p == -1000)
		skip();
	assert_int_equal(p, 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine_locks_inherit),
		cmocka_unit_test(test_plain_mutex_does_not),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
