/* A call that cannot get the descriptors it needs fails; the process goes
 * on and the next call works once descriptors are free again (no fatal()
 * at run time in the line library). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <unistd.h>
#include <fcntl.h>
#include <string.h>
#include <cmocka.h>

#include "line.h"

static void test_out_of_descriptors(void **state)
{
	(void)state;
	line_cfg_t cfg;
	line_cfg_defaults(&cfg);
	char err[200] = "";
	struct rlimit old, tight;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	/* Use up every descriptor below a low ceiling. */
	int held[64], nheld = 0;
	tight = old;
	tight.rlim_cur = 16;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &tight), 0);
	int fd;
	while (nheld < 64 && (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		held[nheld++] = fd;
	int rc = line_send_many(&cfg, "sip:1@127.0.0.1:9", "/nonexistent.tif", 1, NULL, NULL, err,
		sizeof err);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "descriptors"));
	for (int i = 0; i < nheld; i++)
		close(held[i]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	/* Descriptors are back: the next call gets past its event loop (and
	 * fails later, on the missing document). */
	err[0] = '\0';
	rc = line_send_many(&cfg, "sip:1@127.0.0.1:9", "/nonexistent.tif", 1, NULL, NULL, err,
		sizeof err);
	assert_int_equal(rc, -1);
	assert_null(strstr(err, "descriptors"));
	assert_true(err[0] != '\0');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out_of_descriptors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
