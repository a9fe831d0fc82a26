/* The long-lived engine (line_engine_*): calls added to its media loops
 * while it runs and removed when they end, each sender blocked on its own
 * call with its pages given to it in its own thread; one call stopped
 * alone; calls it cannot carry run apart; a real receiver (line_receive)
 * on loopback takes the faxes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <tiffio.h>
#include <unistd.h>

#include "line.h"

#define SPEED 5.0

static char dir[64], page[96];
static int rx_port;
static atomic_int rx_stop, rx_calls, rx_ok;
static pthread_t rx_th;
static line_cfg_t rx_cfg;

static void write_doc(const char *path, int pages)
{
	TIFF *t = TIFFOpen(path, "w");
	assert_non_null(t);
	for (int p = 0; p < pages; p++) {
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
		TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
		TIFFSetField(t, TIFFTAG_PAGENUMBER, p, pages);
		uint8_t row[1728 / 8];
		for (uint32_t y = 0; y < 64; y++) {
			memset(row, (y + (uint32_t)p) % 8 == 0 ? 0xff : 0, sizeof row);
			assert_int_equal(TIFFWriteScanline(t, row, y, 0), 1);
		}
		assert_int_equal(TIFFWriteDirectory(t), 1);
	}
	TIFFClose(t);
}

static void on_rx(void *ud, const fax_result_t *r)
{
	(void)ud;
	atomic_fetch_add(&rx_calls, 1);
	if (r->ok)
		atomic_fetch_add(&rx_ok, 1);
}

static void *rx_main(void *arg)
{
	(void)arg;
	line_receive(&rx_cfg, on_rx, NULL);
	return NULL;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/fv-engine-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(page, sizeof page, "%s/doc.tif", dir);
	write_doc(page, 2);
	line_cfg_defaults(&rx_cfg);
	rx_cfg.listen = "127.0.0.1:0";
	rx_cfg.out_dir = dir;
	rx_cfg.clock_speed = SPEED;
	rx_cfg.media_priority = 0;
	rx_cfg.stop = &rx_stop;
	rx_cfg.bound_port = &rx_port;
	assert_int_equal(pthread_create(&rx_th, NULL, rx_main, NULL), 0);
	/* Waits for the receiver's port (an event, not a time). */
	while (!__atomic_load_n(&rx_port, __ATOMIC_ACQUIRE))
		usleep(1000);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	atomic_store(&rx_stop, 1);
	pthread_join(rx_th, NULL);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

struct sender {
	line_engine_t *e;
	line_cfg_t cfg;
	char target[64];
	fax_result_t res;
	int rc;
	pthread_t self;
	int pages_seen, wrong_thread;
	atomic_int stop;
};

static void on_page(void *ud, int page_no, int ok)
{
	struct sender *s = ud;
	(void)page_no;
	if (ok)
		s->pages_seen++;
	if (!pthread_equal(pthread_self(), s->self))
		s->wrong_thread++;
}

static void sender_init(struct sender *s, line_engine_t *e, const char *number)
{
	memset(s, 0, sizeof *s);
	s->e = e;
	line_cfg_defaults(&s->cfg);
	s->cfg.clock_speed = SPEED;
	s->cfg.media_priority = 0;
	s->cfg.media_threads = 0;
	s->cfg.on_page = on_page;
	s->cfg.page_ud = s;
	s->cfg.stop = &s->stop;
	snprintf(s->target, sizeof s->target, "sip:%s@127.0.0.1:%d", number, rx_port);
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	s->self = pthread_self();
	s->rc = line_engine_send(s->e, &s->cfg, s->target, page, &s->res);
	return NULL;
}

static line_engine_t *engine(int loops)
{
	line_engine_cfg_t ec = {.media_loops = loops, .media_priority = 0, .clock_speed = SPEED};
	char err[160] = "";
	line_engine_t *e = line_engine_new(&ec, err, sizeof err);
	assert_non_null(e);
	return e;
}

/* Voluntary context switches of every thread of this process. */
static long switches(void)
{
	long sum = 0;
	char cmd[96];
	snprintf(cmd, sizeof cmd, "cat /proc/%d/task/*/status 2>/dev/null", (int)getpid());
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char line[256];
	long v;
	while (fgets(line, sizeof line, p))
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1)
			sum += v;
	pclose(p);
	return sum;
}

/* Three calls at once on two loops, then one more once they are gone. */
static void test_calls_added_and_removed(void **state)
{
	(void)state;
	line_engine_t *e = engine(2);
	int before = atomic_load(&rx_ok);
	struct sender s[3];
	for (int i = 0; i < 3; i++) {
		sender_init(&s[i], e, "5550100");
		assert_int_equal(pthread_create(&s[i].self, NULL, sender_main, &s[i]), 0);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(s[i].self, NULL);
		assert_int_equal(s[i].rc, 0);
		assert_true(s[i].res.ok);
		assert_int_equal(s[i].res.pages_confirmed, 2);
		assert_int_equal(s[i].pages_seen, 2);
		assert_int_equal(s[i].wrong_thread, 0);
	}
	int active;
	long started;
	line_engine_counts(e, &active, &started);
	assert_int_equal(active, 0);
	assert_int_equal(started, 3);
	/* The loops are still running: a fourth call, from page 2 only. */
	struct sender t;
	sender_init(&t, e, "5550101");
	t.cfg.first_page = 2;
	sender_main(&t);
	assert_int_equal(t.rc, 0);
	assert_true(t.res.ok);
	assert_int_equal(t.res.pages_total, 1);
	assert_int_equal(t.res.first_page, 2);
	assert_int_equal(t.pages_seen, 1);
	line_engine_counts(e, &active, &started);
	assert_int_equal(started, 4);
	/* The receiver took four faxes. */
	while (atomic_load(&rx_ok) < before + 4)
		usleep(1000);
	/* Idle, the engine's two loops and the receiver's sleep until a call
	 * comes: ticking (4 ms at this clock) they would switch about 750
	 * times a second; asleep, their 50 ms checks and the SIP loops' about
	 * 100. (Under load a ticking loop switches less, never more: this can
	 * only miss the fault, not invent it.) The lingering calls are gone
	 * first (4 s). */
	usleep(4500 * 1000);
	long s0 = switches();
	usleep(1000 * 1000);
	long idle = switches() - s0;
	print_message("idle: %ld voluntary switches in 1 s\n", idle);
	assert_true(idle < 400);
	line_engine_free(e);
}

/* A call's own stop ends it; the other call on the engine goes on. */
static void test_one_call_stopped(void **state)
{
	(void)state;
	line_engine_t *e = engine(1);
	struct sender a, b;
	sender_init(&a, e, "5550102");
	sender_init(&b, e, "5550103");
	/* a rings a port where nothing answers: its stop ends it. */
	snprintf(a.target, sizeof a.target, "sip:1@127.0.0.1:9");
	atomic_store(&a.stop, 1);
	assert_int_equal(pthread_create(&a.self, NULL, sender_main, &a), 0);
	assert_int_equal(pthread_create(&b.self, NULL, sender_main, &b), 0);
	pthread_join(a.self, NULL);
	pthread_join(b.self, NULL);
	assert_int_equal(a.rc, 0);
	assert_false(a.res.ok);
	assert_string_equal(a.res.fail_class, "no_answer");
	assert_true(b.res.ok);
	assert_int_equal(b.pages_seen, 2);
	line_engine_free(e);
}

/* Calls the engine cannot carry run apart (and still run), and local
 * errors are reported before dialling. */
static void test_apart_and_refused(void **state)
{
	(void)state;
	line_engine_t *e = engine(1);
	struct sender s;
	sender_init(&s, e, "5550104");
	s.cfg.clock_speed = SPEED * 2; /* not the engine's clock: its own engine */
	sender_main(&s);
	assert_int_equal(s.rc, 0);
	assert_true(s.res.ok);
	int active;
	long started;
	line_engine_counts(e, &active, &started);
	assert_int_equal(started, 0);
	sender_init(&s, e, "5550105");
	s.cfg.first_page = 3;
	sender_main(&s);
	assert_int_equal(s.rc, -1);
	assert_string_equal(s.res.fail_class, "rejected");
	assert_non_null(strstr(s.res.reason, "page range"));
	line_engine_free(e);
	/* No engine: the call runs apart. */
	sender_init(&s, NULL, "5550106");
	sender_main(&s);
	assert_true(s.res.ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calls_added_and_removed),
		cmocka_unit_test(test_one_call_stopped),
		cmocka_unit_test(test_apart_and_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
