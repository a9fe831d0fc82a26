/* A call that cannot get the descriptors or the thread it needs fails; the
 * process goes on and the next call works once they are free again (no
 * fatal() at run time in the line library). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <unistd.h>
#include <fcntl.h>
#include <string.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <tiffio.h>

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

/* A one-page fax TIFF (1728 pixels wide, blank) at path. */
static void write_page(const char *path)
{
	TIFF *t = TIFFOpen(path, "w");
	assert_non_null(t);
	TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 1728);
	TIFFSetField(t, TIFFTAG_IMAGELENGTH, 64);
	TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
	TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
	TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
	TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
	TIFFSetField(t, TIFFTAG_FILLORDER, FILLORDER_LSB2MSB);
	TIFFSetField(t, TIFFTAG_XRESOLUTION, 204.0);
	TIFFSetField(t, TIFFTAG_YRESOLUTION, 98.0);
	TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
	TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 64);
	uint8_t row[1728 / 8];
	memset(row, 0, sizeof row);
	for (uint32_t y = 0; y < 64; y++)
		assert_int_equal(TIFFWriteScanline(t, row, y, 0), 1);
	TIFFClose(t);
}

struct seen {
	int n, ok;
	char fail_class[32];
};

static void on_result(void *ud, const fax_result_t *r)
{
	struct seen *s = ud;
	s->n++;
	s->ok = r->ok;
	snprintf(s->fail_class, sizeof s->fail_class, "%s", r->fail_class);
}

static void test_out_of_threads(void **state)
{
	(void)state;
	char dir[] = "/tmp/fv-nothreads-XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/page.tif", dir);
	write_page(path);
	line_cfg_t cfg;
	line_cfg_defaults(&cfg);
	cfg.media_threads = 2;
	/* Every new thread asks for a stack larger than the machine: creating
	 * one fails, as it does when a process reaches its thread limit. */
	pthread_attr_t old, huge;
	assert_int_equal(pthread_getattr_default_np(&old), 0);
	assert_int_equal(pthread_attr_init(&huge), 0);
	assert_int_equal(pthread_attr_setstacksize(&huge, (size_t)1 << 46), 0);
	assert_int_equal(pthread_setattr_default_np(&huge), 0);
	struct seen seen = {0};
	char err[200] = "";
	int rc = line_send_many(&cfg, "sip:1@127.0.0.1:9", path, 2, on_result, &seen, err, sizeof err);
	assert_int_equal(pthread_setattr_default_np(&old), 0);
	pthread_attr_destroy(&huge);
	pthread_attr_destroy(&old);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "thread"));
	/* Both calls placed were reported, failed, as a network failure that is
	 * tried again; the process is still here. */
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.ok, 0);
	assert_string_equal(seen.fail_class, "network");
	/* Threads are back: the engine runs its loop again (the call to the
	 * discard port is cut short by a stop flag already set). */
	atomic_int stop = 1;
	cfg.stop = &stop;
	memset(&seen, 0, sizeof seen);
	err[0] = '\0';
	rc = line_send_many(&cfg, "sip:1@127.0.0.1:9", path, 1, on_result, &seen, err, sizeof err);
	assert_int_equal(rc, 0);
	assert_int_equal(seen.n, 1);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out_of_descriptors),
		cmocka_unit_test(test_out_of_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
