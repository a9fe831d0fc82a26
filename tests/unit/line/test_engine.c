/* The long-lived engine (line_engine_*): calls added to its media loops
 * while it runs and removed when they end, each sender blocked on its own
 * call with its pages given to it in its own thread; one call stopped
 * alone; calls it cannot carry run apart; a real receiver (line_receive)
 * on loopback takes the faxes. Listeners on the engine: two of them and
 * calls out at once on one user agent (no thread of their own), and SIP
 * over TLS both ways on it (a test CA made by openssl). A digest challenge
 * answered with the HA1 for its realm alone (no password), another
 * realm's not answered and named in the result. Symmetric media toward a
 * caller whose SDP gives an address its media does not come from. */
#include <dirent.h>
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

#include "digest.h"
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

/* Three calls at once on an engine of two loops (packed on one), then one
 * more once they are gone. */
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
	/* The calls were packed on the first loop (call_pick_loop): the
	 * second one never ticked. */
	line_loop_stats_t ls[2];
	assert_int_equal(line_engine_loop_stats(e, ls, 2), 2);
	assert_true(ls[0].ticks > 0);
	assert_int_equal(ls[1].ticks, 0);
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

/* Threads of this process now. */
static int threads(void)
{
	DIR *d = opendir("/proc/self/task");
	assert_non_null(d);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* A listener on the engine, run by a thread of the test. */
struct listener {
	line_engine_t *e;
	line_cfg_t cfg;
	atomic_int stop;
	int port, rc;
	atomic_int calls, ok;
	int wrong_thread;
	pthread_t th;
	char sub[96];
};

static void on_lrx(void *ud, const fax_result_t *r)
{
	struct listener *l = ud;
	if (!pthread_equal(pthread_self(), l->th))
		l->wrong_thread++;
	if (r->ok && r->pages_received == 2)
		atomic_fetch_add(&l->ok, 1);
	atomic_fetch_add(&l->calls, 1);
}

static void *listener_main(void *arg)
{
	struct listener *l = arg;
	l->rc = line_engine_receive(l->e, &l->cfg, on_lrx, l);
	return NULL;
}

static int next_symmetric; /* the next listener's symmetric_media */

static void listener_start_cfg(struct listener *l, line_engine_t *e, const char *name,
			       int (*accept_ex)(void *, line_invite_t *, char *, size_t, void **))
{
	memset(l, 0, sizeof *l);
	l->e = e;
	snprintf(l->sub, sizeof l->sub, "%s/%s", dir, name);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "mkdir -p %s", l->sub);
	assert_int_equal(system(cmd), 0);
	line_cfg_defaults(&l->cfg);
	l->cfg.listen = "127.0.0.1:0";
	l->cfg.out_dir = l->sub;
	l->cfg.clock_speed = SPEED;
	l->cfg.media_priority = 0;
	l->cfg.stop = &l->stop;
	l->cfg.bound_port = &l->port;
	l->cfg.accept_ex = accept_ex;
	l->cfg.symmetric_media = next_symmetric;
	assert_int_equal(pthread_create(&l->th, NULL, listener_main, l), 0);
	while (!__atomic_load_n(&l->port, __ATOMIC_ACQUIRE))
		usleep(1000);
}

static void listener_start(struct listener *l, line_engine_t *e, const char *name)
{
	listener_start_cfg(l, e, name, NULL);
}

static void listener_stop(struct listener *l)
{
	atomic_store(&l->stop, 1);
	pthread_join(l->th, NULL);
	assert_int_equal(l->rc, 0);
	assert_int_equal(l->wrong_thread, 0);
}

/* Two listeners on the engine and calls out at once: one user agent,
 * no thread per listener or call; every fax arrives. */
static void test_listeners_and_calls_out(void **state)
{
	(void)state;
	int t0 = threads();
	line_engine_t *e = engine(2);
	struct listener a, b;
	listener_start(&a, e, "a");
	listener_start(&b, e, "b");
	assert_int_equal(line_engine_listeners(e), 2);
	/* The engine's SIP thread and two media loops, the test's two
	 * listener threads: the listeners brought no thread of their own
	 * (line_receive runs a SIP thread and a media loop each). */
	int idle = threads();
	print_message("threads: %d before, %d with the engine and two listeners\n", t0, idle);
	assert_int_equal(idle - t0, 3 + 2);
	int before = atomic_load(&rx_ok);
	/* Two calls to each listener and one to the receiver outside, all at
	 * once through the same engine: inbound and outbound on its loops. */
	struct sender s[5];
	for (int i = 0; i < 5; i++) {
		sender_init(&s[i], e, "5550110");
		if (i < 4)
			snprintf(s[i].target, sizeof s[i].target, "sip:555011%d@127.0.0.1:%d", i, i % 2 ? b.port : a.port);
		assert_int_equal(pthread_create(&s[i].self, NULL, sender_main, &s[i]), 0);
	}
	int peak = 0;
	while (atomic_load(&a.calls) + atomic_load(&b.calls) < 4 || atomic_load(&rx_ok) < before + 1) {
		int n = threads();
		peak = n > peak ? n : peak;
		usleep(2000);
	}
	for (int i = 0; i < 5; i++) {
		pthread_join(s[i].self, NULL);
		assert_int_equal(s[i].rc, 0);
		assert_true(s[i].res.ok);
		assert_int_equal(s[i].pages_seen, 2);
	}
	/* while the calls ran: the five senders' threads, nothing else */
	print_message("threads: at most %d with five calls\n", peak);
	assert_true(peak <= idle + 5);
	assert_int_equal(atomic_load(&a.ok), 2);
	assert_int_equal(atomic_load(&b.ok), 2);
	int active;
	long started;
	line_engine_counts(e, &active, &started);
	assert_int_equal(started, 5);
	/* one listener stops; the other still answers */
	listener_stop(&a);
	assert_int_equal(line_engine_listeners(e), 1);
	struct sender t;
	sender_init(&t, e, "5550119");
	snprintf(t.target, sizeof t.target, "sip:5550119@127.0.0.1:%d", b.port);
	sender_main(&t);
	assert_true(t.res.ok);
	while (atomic_load(&b.calls) < 3)
		usleep(1000);
	assert_int_equal(atomic_load(&b.ok), 3);
	listener_stop(&b);
	assert_int_equal(line_engine_listeners(e), 0);
	line_engine_free(e);
	assert_int_equal(threads(), t0);
}

/* SIP over TLS both ways on one engine: a TLS listener on it (the test
 * CA's certificate for "localhost") and calls out over TLS to it by name,
 * sharing one transport; a call trusting another CA fails alone. */
static void test_tls_on_engine(void **state)
{
	(void)state;
	char cmd[1024];
	snprintf(cmd, sizeof cmd,
		 "cd %s && ossl() { openssl \"$@\" >/dev/null 2>&1; } && "
		 "ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem "
		 "-days 2 -subj /CN=fv-test-ca && "
		 "ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -out other.pem "
		 "-days 2 -subj /CN=other-ca && "
		 "ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.csr "
		 "-subj /CN=localhost && printf 'subjectAltName=DNS:localhost\\n' >ext && "
		 "ossl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile ext "
		 "&& test -s srv.pem",
		 dir);
	assert_int_equal(system(cmd), 0);
	char ca[96], other[96], cert[96], key[96];
	snprintf(ca, sizeof ca, "%s/ca.pem", dir);
	snprintf(other, sizeof other, "%s/other.pem", dir);
	snprintf(cert, sizeof cert, "%s/srv.pem", dir);
	snprintf(key, sizeof key, "%s/srv.key", dir);
	line_engine_t *e = engine(1);
	struct listener l;
	memset(&l, 0, sizeof l);
	l.e = e;
	snprintf(l.sub, sizeof l.sub, "%s", dir);
	line_cfg_defaults(&l.cfg);
	l.cfg.listen = "127.0.0.1:0";
	l.cfg.out_dir = dir;
	l.cfg.clock_speed = SPEED;
	l.cfg.media_priority = 0;
	l.cfg.stop = &l.stop;
	l.cfg.bound_port = &l.port;
	l.cfg.sip_transport = 2; /* TLS */
	l.cfg.tls_cert = cert;
	l.cfg.tls_key = key;
	assert_int_equal(pthread_create(&l.th, NULL, listener_main, &l), 0);
	while (!__atomic_load_n(&l.port, __ATOMIC_ACQUIRE))
		usleep(1000);
	int t0 = threads();
	struct sender s[3];
	for (int i = 0; i < 3; i++) {
		sender_init(&s[i], e, "5550120");
		snprintf(s[i].target, sizeof s[i].target, "sip:555012%d@localhost:%d", i, l.port);
		s[i].cfg.sip_transport = 2;
		s[i].cfg.tls_ca = i == 2 ? other : ca;
		assert_int_equal(pthread_create(&s[i].self, NULL, sender_main, &s[i]), 0);
	}
	for (int i = 0; i < 3; i++)
		pthread_join(s[i].self, NULL);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(s[i].rc, 0);
		assert_true(s[i].res.ok);
		assert_int_equal(s[i].pages_seen, 2);
	}
	/* the wrong CA: refused by the certificate check, on the engine too */
	assert_false(s[2].res.ok);
	assert_string_equal(s[2].res.fail_class, "network");
	int active;
	long started;
	line_engine_counts(e, &active, &started);
	assert_int_equal(started, 3);
	/* no engine of their own was started for them */
	assert_int_equal(threads(), t0);
	while (atomic_load(&l.calls) < 2)
		usleep(1000);
	assert_int_equal(atomic_load(&l.ok), 2);
	listener_stop(&l);
	line_engine_free(e);
}

/* A carrier that authenticates INVITEs by digest (realm "carrier.test",
 * user "trunk", password known to the test only): no Authorization gets
 * 401 and a challenge; an answer is checked with the password. */
#define AUTH_REALM "carrier.test"
static atomic_int auth_answers;

static int digest_accept(void *ud, line_invite_t *inv, char *tiff_path, size_t pathlen, void **call_ud)
{
	(void)ud;
	(void)tiff_path;
	(void)pathlen;
	(void)call_ud;
	char hv[LINE_INVITE_HEADER_MAX], ruri[LINE_INVITE_HEADER_MAX];
	if (line_invite_header(inv, "Authorization", hv, sizeof hv) != 0) {
		snprintf(inv->challenge, sizeof inv->challenge,
			 "Digest realm=\"" AUTH_REALM "\", nonce=\"n0nce42\", algorithm=MD5, qop=\"auth\"");
		return 401;
	}
	atomic_fetch_add(&auth_answers, 1);
	digest_cred_t cr;
	char want[DIGEST_HEX_MAX];
	if (digest_parse_credentials((sip_str_t){hv, strlen(hv)}, &cr) != 0 || line_invite_ruri(inv, ruri, sizeof ruri) != 0)
		return 403;
	digest_compute(DIGEST_MD5, "trunk", AUTH_REALM, "pa55-word", "INVITE", ruri, "n0nce42", cr.cnonce, cr.nc,
		       want);
	return strcmp(cr.username, "trunk") == 0 && strcmp(cr.realm, AUTH_REALM) == 0 &&
			       strcmp(cr.response, want) == 0
		       ? 0
		       : 403;
}

/* A call out answers a digest challenge with the HA1 for its realm, the
 * password absent; a challenge of another realm is not answered, and the
 * result names the realm met. */
static void test_digest_with_ha1(void **state)
{
	(void)state;
	line_engine_t *e = engine(1);
	struct listener l;
	listener_start_cfg(&l, e, "auth", digest_accept);
	char ha1[DIGEST_HEX_MAX];
	digest_ha1(DIGEST_MD5, "trunk", AUTH_REALM, "pa55-word", ha1);
	struct sender s;
	sender_init(&s, e, "5550130");
	snprintf(s.target, sizeof s.target, "sip:5550130@127.0.0.1:%d", l.port);
	s.cfg.user = "trunk";
	s.cfg.ha1_realm = AUTH_REALM;
	s.cfg.ha1_md5 = ha1;
	sender_main(&s);
	assert_int_equal(s.rc, 0);
	assert_true(s.res.ok);
	assert_int_equal(s.pages_seen, 2);
	assert_string_equal(s.res.auth_realm, AUTH_REALM);
	assert_int_equal(atomic_load(&auth_answers), 1);
	/* the HA1 of another realm: 401, not answered, the realm reported */
	sender_init(&s, e, "5550131");
	snprintf(s.target, sizeof s.target, "sip:5550131@127.0.0.1:%d", l.port);
	s.cfg.user = "trunk";
	s.cfg.ha1_realm = "elsewhere.test";
	s.cfg.ha1_md5 = ha1;
	sender_main(&s);
	assert_false(s.res.ok);
	assert_int_equal(s.res.sip_status, 401);
	assert_string_equal(s.res.auth_realm, AUTH_REALM);
	assert_int_equal(atomic_load(&auth_answers), 1);
	while (atomic_load(&l.calls) < 1)
		usleep(1000);
	assert_int_equal(atomic_load(&l.ok), 1);
	listener_stop(&l);
	line_engine_free(e);
}

/* Symmetric media (NAT): a caller whose SDP gives an address its media
 * never comes from (192.0.2.1, documentation space: it plays a private
 * address behind a NAT) sends from 127.0.0.1. A listener with
 * symmetric_media sends its media back where the caller's packets came
 * from and the fax goes through; one without sends it to the SDP's
 * address and the fax fails. */
static void test_symmetric_media(void **state)
{
	(void)state;
	line_engine_t *e = engine(1);
	for (int sym = 1; sym >= 0; sym--) {
		struct listener l;
		next_symmetric = sym;
		listener_start_cfg(&l, e, sym ? "sym" : "asym", NULL);
		next_symmetric = 0;
		struct sender s;
		sender_init(&s, e, "5550140");
		snprintf(s.target, sizeof s.target, "sip:5550140@127.0.0.1:%d", l.port);
		s.cfg.public_address = "192.0.2.1";
		s.cfg.t38 = 0; /* G.711 all along */
		sender_main(&s);
		assert_int_equal(s.rc, 0);
		if (sym) {
			assert_true(s.res.ok);
			assert_int_equal(s.pages_seen, 2);
		} else {
			assert_false(s.res.ok);
			assert_int_equal(s.pages_seen, 0);
		}
		while (atomic_load(&l.calls) < 1)
			usleep(1000);
		assert_int_equal(atomic_load(&l.ok), sym);
		listener_stop(&l);
	}
	line_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calls_added_and_removed),
		cmocka_unit_test(test_one_call_stopped),
		cmocka_unit_test(test_apart_and_refused),
		cmocka_unit_test(test_listeners_and_calls_out),
		cmocka_unit_test(test_tls_on_engine),
		cmocka_unit_test(test_digest_with_ha1),
		cmocka_unit_test(test_symmetric_media),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
