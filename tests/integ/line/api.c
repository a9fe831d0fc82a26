/* Integration test of the line engine's API for the fax service, over real
 * sockets on 127.0.0.1 (the receiver binds port 0 and reports it through
 * bound_port), with the media clock sped up:
 *   line_integ_api TIFFTOOL SCENARIO [SPEED]
 * Scenarios:
 *   accept   the receiver's accept callback refuses number 100 with 404
 *            (the sender's class: rejected, sip_status 404) and answers 200
 *            into the path it chose; page callbacks count 3 pages on both
 *            sides; call_ud, to_user and from_user reach the result; the
 *            receiver ends by its stop flag
 *   range    pages 2..3 of a 3-page document: 2 pages arrive, numbered 2
 *            and 3 on the sender's side; a range outside the document is a
 *            local error
 *   stop     the sender's stop flag ends its call in the middle of page 2:
 *            class partial (or network), the receiver reports the call too
 *   stop-rx  the receiver's stop flag ends a call in the middle: the
 *            receiver returns, the sender ends partial (or network)
 *   threads  4 threads call line_send at once (each its own engine)
 * Exit 0 when every check holds, 1 otherwise. No timing is asserted: the
 * waits below only order events. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#include <unistd.h>

#include "line.h"

#define RX_MAX 16

typedef struct rx {
	line_cfg_t cfg;
	atomic_int stop;
	int port;
	char dir[256];
	pthread_t th;
	int rc;
	pthread_mutex_t lock;
	fax_result_t res[RX_MAX];
	int nres;
	atomic_int pages_ok;     /* on_page with ok = 1 */
	atomic_int accepts;
	atomic_int refusals;
	int tag;                 /* what call_ud points to */
} rx_t;

static int failures;

#define CHECK(cond, ...)                                                         \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                            \
			fputc('\n', stderr);                                     \
			failures++;                                              \
		}                                                                \
	} while (0)

static void msleep(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* ---------- the receiver ---------- */

static int rx_accept(void *ud, const char *to_user, const char *from_user, char *path, size_t pathlen,
		     void **call_ud)
{
	rx_t *rx = ud;
	if (strcmp(to_user, "100") == 0) {
		atomic_fetch_add(&rx->refusals, 1);
		return 404;
	}
	if (strcmp(from_user, "faxvault") != 0)
		return 403;
	int n = atomic_fetch_add(&rx->accepts, 1);
	snprintf(path, pathlen, "%s/in-%s-%d.tif", rx->dir, to_user, n);
	*call_ud = &rx->tag;
	return 0;
}

static void rx_page(void *ud, int page, int ok)
{
	rx_t *rx = ud;
	(void)page;
	if (ok)
		atomic_fetch_add(&rx->pages_ok, 1);
}

static void rx_result(void *ud, const fax_result_t *r)
{
	rx_t *rx = ud;
	pthread_mutex_lock(&rx->lock);
	if (rx->nres < RX_MAX)
		rx->res[rx->nres++] = *r;
	pthread_mutex_unlock(&rx->lock);
}

static void *rx_main(void *arg)
{
	rx_t *rx = arg;
	rx->rc = line_receive(&rx->cfg, rx_result, rx);
	return NULL;
}

static int rx_results(rx_t *rx)
{
	pthread_mutex_lock(&rx->lock);
	int n = rx->nres;
	pthread_mutex_unlock(&rx->lock);
	return n;
}

/* Waits (bounded) until the receiver reported n results. */
static void rx_wait_results(rx_t *rx, int n)
{
	for (int i = 0; i < 5000 && rx_results(rx) < n; i++)
		msleep(2);
}

/* Waits (bounded) until *v reaches n, then lets about 2 s of call time
 * pass: the moment to stop a call in the middle of the next page. */
static void wait_then_mid_page(atomic_int *v, int n, double speed)
{
	for (int i = 0; i < 60000 && atomic_load(v) < n; i++)
		msleep(2);
	msleep((int)(2000 / speed));
}

/* A call ended by a stop flag in the middle: not done, partial or network. */
static void check_cut(const fax_result_t *r, const char *who)
{
	CHECK(!r->ok, "%s: a stopped call is not done", who);
	CHECK(strcmp(r->fail_class, "partial") == 0 || strcmp(r->fail_class, "network") == 0, "%s: class %s", who,
	      r->fail_class);
}

static void rx_start(rx_t *rx, double speed, int t38, int media_threads)
{
	memset(rx, 0, sizeof *rx);
	pthread_mutex_init(&rx->lock, NULL);
	snprintf(rx->dir, sizeof rx->dir, "/tmp/line-api-XXXXXX");
	if (!mkdtemp(rx->dir)) {
		perror("mkdtemp");
		exit(1);
	}
	line_cfg_defaults(&rx->cfg);
	rx->cfg.listen = "127.0.0.1:0";
	rx->cfg.clock_speed = speed;
	rx->cfg.t38 = t38;
	rx->cfg.media_threads = media_threads;
	rx->cfg.stop = &rx->stop;
	rx->cfg.bound_port = &rx->port;
	rx->cfg.accept = rx_accept;
	rx->cfg.accept_ud = rx;
	rx->cfg.on_page = rx_page;
	rx->cfg.page_ud = rx;
	if (pthread_create(&rx->th, NULL, rx_main, rx) != 0)
		exit(1);
	/* The engine stores the port once bound, before any call. */
	for (int i = 0; i < 5000 && __atomic_load_n(&rx->port, __ATOMIC_ACQUIRE) == 0; i++)
		msleep(2);
	if (__atomic_load_n(&rx->port, __ATOMIC_ACQUIRE) == 0) {
		fprintf(stderr, "FAIL: the receiver never bound its port\n");
		exit(1);
	}
}

/* Stops the receiver by its flag and waits for line_receive to return. */
static void rx_stop(rx_t *rx)
{
	atomic_store(&rx->stop, 1);
	pthread_join(rx->th, NULL);
	CHECK(rx->rc == 0, "line_receive returned %d", rx->rc);
}

static void rx_cleanup(rx_t *rx)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", rx->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", rx->dir);
	pthread_mutex_destroy(&rx->lock);
}

static int tiff_pages(const char *path)
{
	TIFF *t = TIFFOpen(path, "r");
	if (!t)
		return -1;
	int n = TIFFNumberOfDirectories(t);
	TIFFClose(t);
	return n;
}

/* ---------- the sender ---------- */

typedef struct tx {
	line_cfg_t cfg;
	char target[128];
	const char *doc;
	atomic_int stop;
	atomic_int pages_ok;
	atomic_int pages_bad;
	int page_seen[8];        /* written by the engine's media thread, read after line_send */
	int rc;
	fax_result_t res;
	pthread_t th;
} tx_t;

static void tx_page(void *ud, int page, int ok)
{
	tx_t *tx = ud;
	if (ok) {
		atomic_fetch_add(&tx->pages_ok, 1);
		if (page >= 0 && page < 8)
			tx->page_seen[page] = 1;
	} else {
		atomic_fetch_add(&tx->pages_bad, 1);
	}
}

static void tx_init(tx_t *tx, const rx_t *rx, const char *number, const char *doc, double speed, int t38)
{
	memset(tx, 0, sizeof *tx);
	line_cfg_defaults(&tx->cfg);
	tx->cfg.clock_speed = speed;
	tx->cfg.t38 = t38;
	tx->cfg.stop = &tx->stop;
	tx->cfg.on_page = tx_page;
	tx->cfg.page_ud = tx;
	snprintf(tx->target, sizeof tx->target, "sip:%s@127.0.0.1:%d", number, rx->port);
	tx->doc = doc;
}

static void *tx_main(void *arg)
{
	tx_t *tx = arg;
	tx->rc = line_send(&tx->cfg, tx->target, tx->doc, &tx->res);
	return NULL;
}

static void tx_run(tx_t *tx)
{
	tx_main(tx);
}

/* ---------- scenarios ---------- */

static int scen_accept(const char *doc, double speed)
{
	rx_t rx;
	rx_start(&rx, speed, 1, 1);
	tx_t no, yes;
	tx_init(&no, &rx, "100", doc, speed, 1);
	tx_run(&no);
	CHECK(no.rc == 0, "line_send to 100: %d (%s)", no.rc, no.res.reason);
	CHECK(!no.res.ok, "a refused call is not ok");
	CHECK(no.res.sip_status == 404, "sip_status %d", no.res.sip_status);
	CHECK(strcmp(no.res.fail_class, "rejected") == 0, "class %s", no.res.fail_class);
	CHECK(strcmp(no.res.to_user, "100") == 0, "to_user %s", no.res.to_user);
	CHECK(atomic_load(&rx.refusals) == 1, "refusals %d", atomic_load(&rx.refusals));

	tx_init(&yes, &rx, "200", doc, speed, 1);
	tx_run(&yes);
	CHECK(yes.rc == 0 && yes.res.ok, "send to 200: rc %d ok %d class %s reason %s", yes.rc, yes.res.ok,
	      yes.res.fail_class, yes.res.reason);
	CHECK(yes.res.pages_confirmed == 3, "pages_confirmed %d", yes.res.pages_confirmed);
	CHECK(atomic_load(&yes.pages_ok) == 3, "sender page callbacks %d", atomic_load(&yes.pages_ok));
	CHECK(yes.page_seen[1] && yes.page_seen[2] && yes.page_seen[3], "sender pages 1..3 reported");
	CHECK(strcmp(yes.res.to_user, "200") == 0 && strcmp(yes.res.from_user, "faxvault") == 0, "users %s %s",
	      yes.res.to_user, yes.res.from_user);
	CHECK(yes.res.first_page == 1, "first_page %d", yes.res.first_page);
	/* The receiver reports its call once BYE went through; then its flag. */
	rx_wait_results(&rx, 1);
	rx_stop(&rx);
	CHECK(rx.nres == 1, "receiver results %d", rx.nres);
	if (rx.nres >= 1) {
		fax_result_t *r = &rx.res[0];
		CHECK(r->ok && r->pages_received == 3, "receiver ok %d pages %d class %s", r->ok, r->pages_received,
		      r->fail_class);
		CHECK(r->call_ud == &rx.tag, "call_ud %p", r->call_ud);
		CHECK(strcmp(r->to_user, "200") == 0 && strcmp(r->from_user, "faxvault") == 0, "users %s %s",
		      r->to_user, r->from_user);
		char want[300];
		snprintf(want, sizeof want, "%s/in-200-0.tif", rx.dir);
		CHECK(strcmp(r->file, want) == 0, "file %s", r->file);
		CHECK(tiff_pages(want) == 3, "received TIFF pages %d", tiff_pages(want));
	}
	CHECK(atomic_load(&rx.pages_ok) == 3, "receiver page callbacks %d", atomic_load(&rx.pages_ok));
	rx_cleanup(&rx);
	return 0;
}

static int scen_range(const char *doc, double speed)
{
	rx_t rx;
	rx_start(&rx, speed, 0, 1);
	tx_t bad;
	tx_init(&bad, &rx, "200", doc, speed, 0);
	bad.cfg.first_page = 4;
	tx_run(&bad);
	CHECK(bad.rc == -1, "a range past the end is a local error (rc %d)", bad.rc);
	tx_init(&bad, &rx, "200", doc, speed, 0);
	bad.cfg.first_page = 3;
	bad.cfg.last_page = 2;
	tx_run(&bad);
	CHECK(bad.rc == -1, "an empty range is a local error (rc %d)", bad.rc);

	tx_t tx;
	tx_init(&tx, &rx, "200", doc, speed, 0);
	tx.cfg.first_page = 2;
	tx.cfg.last_page = 3;
	tx_run(&tx);
	CHECK(tx.rc == 0 && tx.res.ok, "send pages 2..3: rc %d ok %d class %s reason %s", tx.rc, tx.res.ok,
	      tx.res.fail_class, tx.res.reason);
	CHECK(tx.res.pages_total == 2 && tx.res.pages_confirmed == 2, "pages_total %d confirmed %d",
	      tx.res.pages_total, tx.res.pages_confirmed);
	CHECK(tx.res.first_page == 2, "first_page %d", tx.res.first_page);
	CHECK(!tx.page_seen[1] && tx.page_seen[2] && tx.page_seen[3], "pages reported as 2 and 3");
	CHECK(tx.res.npages == 2 && tx.res.pages[0].page == 2 && tx.res.pages[1].page == 3, "result pages");
	rx_wait_results(&rx, 1);
	rx_stop(&rx);
	CHECK(rx.nres == 1 && rx.res[0].pages_received == 2, "receiver got %d pages",
	      rx.nres ? rx.res[0].pages_received : -1);
	if (rx.nres)
		CHECK(tiff_pages(rx.res[0].file) == 2, "received TIFF pages %d", tiff_pages(rx.res[0].file));
	rx_cleanup(&rx);
	return 0;
}

/* A stop flag in the middle of page 2: the sender's (it ends its call,
 * line_send returns) or the receiver's (it ends the call, line_receive
 * returns). Either way both sides report the call, cut. */
static int scen_stop(const char *doc, double speed, int stop_receiver)
{
	rx_t rx;
	rx_start(&rx, speed, stop_receiver, 1);
	tx_t tx;
	tx_init(&tx, &rx, "200", doc, speed, stop_receiver);
	pthread_create(&tx.th, NULL, tx_main, &tx);
	wait_then_mid_page(stop_receiver ? &rx.pages_ok : &tx.pages_ok, 1, speed);
	if (stop_receiver) {
		rx_stop(&rx);
		pthread_join(tx.th, NULL);
	} else {
		atomic_store(&tx.stop, 1);
		pthread_join(tx.th, NULL);
		rx_wait_results(&rx, 1);
		rx_stop(&rx);
	}
	CHECK(tx.rc == 0, "line_send rc %d", tx.rc);
	check_cut(&tx.res, "sender");
	CHECK(tx.res.pages_confirmed < 3, "pages_confirmed %d", tx.res.pages_confirmed);
	CHECK(rx.nres == 1, "receiver results %d", rx.nres);
	if (rx.nres) {
		CHECK(rx.res[0].call_ud == &rx.tag, "receiver call_ud");
		CHECK(!rx.res[0].ok && rx.res[0].pages_received >= 1, "receiver ok %d pages %d", rx.res[0].ok,
		      rx.res[0].pages_received);
	}
	rx_cleanup(&rx);
	return 0;
}

/* Four engines in four threads at once, toward one receiver. */
static int scen_threads(const char *doc, double speed)
{
	rx_t rx;
	rx_start(&rx, speed, 1, 2);
	tx_t tx[4];
	static const char *const numbers[4] = {"201", "202", "203", "204"};
	for (int i = 0; i < 4; i++) {
		tx_init(&tx[i], &rx, numbers[i], doc, speed, i % 2);
		pthread_create(&tx[i].th, NULL, tx_main, &tx[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(tx[i].th, NULL);
		CHECK(tx[i].rc == 0 && tx[i].res.ok, "sender %d: rc %d ok %d class %s reason %s", i, tx[i].rc,
		      tx[i].res.ok, tx[i].res.fail_class, tx[i].res.reason);
		CHECK(atomic_load(&tx[i].pages_ok) == 3, "sender %d page callbacks %d", i,
		      atomic_load(&tx[i].pages_ok));
	}
	rx_wait_results(&rx, 4);
	rx_stop(&rx);
	CHECK(rx.nres == 4, "receiver results %d", rx.nres);
	for (int i = 0; i < rx.nres; i++)
		CHECK(rx.res[i].ok && rx.res[i].pages_received == 3, "receiver call %d ok %d pages %d", i,
		      rx.res[i].ok, rx.res[i].pages_received);
	CHECK(atomic_load(&rx.pages_ok) == 12, "receiver page callbacks %d", atomic_load(&rx.pages_ok));
	rx_cleanup(&rx);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: line_integ_api TIFFTOOL accept|range|stop|stop-rx|threads [SPEED]\n");
		return 2;
	}
	double speed = argc > 3 ? atof(argv[3]) : 5.0;
	/* The engines must not need a signal handler: block them as the daemon does. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	char dir[] = "/tmp/line-api-doc-XXXXXX";
	if (!mkdtemp(dir))
		return 2;
	char doc[300], cmd[700];
	snprintf(doc, sizeof doc, "%s/doc.tif", dir);
	snprintf(cmd, sizeof cmd, "'%s' mk '%s' 3", argv[1], doc);
	if (system(cmd) != 0) {
		fprintf(stderr, "cannot make the test document\n");
		return 2;
	}
	const char *scen = argv[2];
	if (strcmp(scen, "accept") == 0)
		scen_accept(doc, speed);
	else if (strcmp(scen, "range") == 0)
		scen_range(doc, speed);
	else if (strcmp(scen, "stop") == 0)
		scen_stop(doc, speed, 0);
	else if (strcmp(scen, "stop-rx") == 0)
		scen_stop(doc, speed, 1);
	else if (strcmp(scen, "threads") == 0)
		scen_threads(doc, speed);
	else
		return 2;
	/* No signal handler was installed by the engines. */
	struct sigaction sa;
	sigaction(SIGTERM, NULL, &sa);
	CHECK(sa.sa_handler == SIG_DFL, "the engine installed a SIGTERM handler");
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	if (failures) {
		fprintf(stderr, "%s: %d check(s) failed\n", scen, failures);
		return 1;
	}
	printf("%s: ok\n", scen);
	return 0;
}
