/* The engine loop's pass over the INVITE decisions reads the decisions'
 * wake-up (an eventfd) whenever its poll found it readable, even when no
 * INVITE waits any more. A decision that came in while the loop was taking
 * it left its wake-up unread once the last INVITE was answered and freed;
 * the loop then skipped the pass (no INVITE waiting), the descriptor stayed
 * readable and its poll returned at once, over and over: the SIP front end
 * spinning a core. The state that race leaves is built here directly (no
 * INVITE waiting, one wake-up unread) and one pass is run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ua_int.h"

static int readable(int fd)
{
	struct pollfd pf = {.fd = fd, .events = POLLIN};
	return poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN);
}

static void test_unread_wake_is_drained(void **state)
{
	(void)state;
	ua_t *ua = calloc(1, sizeof *ua);
	assert_non_null(ua);
	pthread_mutex_init(&ua->pend_mu, NULL);
	pthread_cond_init(&ua->pend_cv, NULL);
	ua->dfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(ua->dfd >= 0);
	/* nothing to read: the pass neither blocks nor changes anything */
	pend_pass(ua, readable(ua->dfd), 0);
	assert_int_equal(ua->npend, 0);
	/* the late wake-up of a decision already taken and freed */
	uint64_t one = 1;
	assert_int_equal(write(ua->dfd, &one, sizeof one), (ssize_t)sizeof one);
	assert_int_equal(ua->npend, 0);
	assert_true(readable(ua->dfd));
	pend_pass(ua, readable(ua->dfd), 0);
	assert_false(readable(ua->dfd)); /* read: the next poll waits */
	assert_int_equal(ua->npend, 0);
	close(ua->dfd);
	pthread_cond_destroy(&ua->pend_cv);
	pthread_mutex_destroy(&ua->pend_mu);
	free(ua);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unread_wake_is_drained),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
