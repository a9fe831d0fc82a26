/* Unit tests of RTP, the jitter buffer, UDPTL and the redundancy sequencer
 * (started where a learnt source's probation began),
 * and of the G.711 tables against spandsp's reference conversions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES 0
#include <spandsp.h>

#include "g711tab.h"
#include "rtp.h"
#include "udptl.h"

static void t_rtp_roundtrip(void **state)
{
	(void)state;
	uint8_t pl[160], pkt[RTP_PKT_MAX];
	memset(pl, 0x55, sizeof pl);
	rtp_pkt_t p = {.pt = 8, .marker = 1, .seq = 65535, .ts = 0xdeadbeef, .ssrc = 7, .payload = pl, .plen = 160};
	size_t n = rtp_build(pkt, sizeof pkt, &p);
	assert_int_equal(n, 172);
	rtp_pkt_t q;
	assert_int_equal(rtp_parse(pkt, n, &q), 0);
	assert_int_equal(q.pt, 8);
	assert_int_equal(q.marker, 1);
	assert_int_equal(q.seq, 65535);
	assert_int_equal(q.ts, 0xdeadbeef);
	assert_int_equal(q.plen, 160);
	assert_int_equal(rtp_build(pkt, 100, &p), 0);
}

static void t_rtp_bad(void **state)
{
	(void)state;
	uint8_t p[64] = {0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
	rtp_pkt_t q;
	assert_int_equal(rtp_parse(p, 11, &q), -1);         /* short */
	p[0] = 0x40;
	assert_int_equal(rtp_parse(p, 20, &q), -1);         /* version 1 */
	p[0] = 0x8f;                                        /* 15 CSRCs > length */
	assert_int_equal(rtp_parse(p, 20, &q), -1);
	p[0] = 0x90;                                        /* extension longer than packet */
	p[12] = 0; p[13] = 0; p[14] = 0xff; p[15] = 0xff;
	assert_int_equal(rtp_parse(p, 20, &q), -1);
	p[0] = 0xa0;                                        /* padding larger than payload */
	p[19] = 200;
	assert_int_equal(rtp_parse(p, 20, &q), -1);
	p[0] = 0xa0;
	p[19] = 8;                                          /* padding eats the whole payload: ok */
	assert_int_equal(rtp_parse(p, 20, &q), 0);
	assert_int_equal(q.plen, 0);
	p[0] = 0x80;
	p[1] = 72;                                          /* RTCP range */
	assert_int_equal(rtp_parse(p, 20, &q), -1);
}

static void t_jb(void **state)
{
	(void)state;
	rtp_jb_t *jb = test_malloc(sizeof *jb);
	rtp_jb_init(jb);
	uint8_t f[160], out[RTP_FRAME_MAX];
	size_t n;
	assert_int_equal(rtp_jb_get(jb, out, &n), -1);
	memset(f, 1, sizeof f);
	rtp_jb_put(jb, 100, f, 160);
	assert_int_equal(rtp_jb_get(jb, out, &n), 1);
	assert_int_equal(n, 160);
	/* out of order: 102 before 101 */
	f[0] = 2;
	rtp_jb_put(jb, 102, f, 160);
	assert_int_equal(rtp_jb_get(jb, out, &n), -1); /* wait for 101 */
	f[0] = 1;
	rtp_jb_put(jb, 101, f, 160);
	assert_int_equal(rtp_jb_get(jb, out, &n), 1);
	assert_int_equal(out[0], 1);
	assert_int_equal(rtp_jb_get(jb, out, &n), 1);
	assert_int_equal(out[0], 2);
	/* late and duplicate */
	rtp_jb_put(jb, 101, f, 160);
	assert_int_equal(jb->late, 1);
	/* a lost frame (103) is declared after RTP_JB_REORDER later ones */
	for (uint16_t s = 104; s < 104 + RTP_JB_REORDER; s++)
		rtp_jb_put(jb, s, f, 160);
	assert_int_equal(rtp_jb_get(jb, out, &n), 0);
	assert_int_equal(rtp_jb_get(jb, out, &n), 1);
	/* wrap-around */
	rtp_jb_init(jb);
	rtp_jb_put(jb, 65535, f, 160);
	rtp_jb_put(jb, 0, f, 160);
	assert_int_equal(rtp_jb_get(jb, out, &n), 1);
	assert_int_equal(rtp_jb_get(jb, out, &n), 1);
	/* a jump far ahead restarts the buffer */
	rtp_jb_put(jb, 5000, f, 160);
	assert_int_equal(rtp_jb_get(jb, out, &n), 1);
	test_free(jb);
}

typedef struct got {
	uint16_t seq[32];
	uint8_t first[32];
	int n;
} got_t;

static void deliver(void *ud, const uint8_t *ifp, size_t n, uint16_t seq)
{
	got_t *g = ud;
	(void)n;
	g->seq[g->n] = seq;
	g->first[g->n] = ifp[0];
	g->n++;
}

static void t_udptl_roundtrip(void **state)
{
	(void)state;
	udptl_tx_t *tx = test_malloc(sizeof *tx);
	udptl_tx_init(tx, 3);
	uint8_t pkts[6][UDPTL_PKT_MAX];
	int lens[6];
	for (int i = 0; i < 6; i++) {
		uint8_t ifp[200];
		memset(ifp, i + 10, sizeof ifp);
		lens[i] = udptl_encode(tx, ifp, (size_t)(i == 2 ? 200 : 5), pkts[i], sizeof pkts[i]);
		assert_true(lens[i] > 0);
	}
	udptl_pkt_t p;
	assert_int_equal(udptl_decode(pkts[3], (size_t)lens[3], &p), 0);
	assert_int_equal(p.seq, 3);
	assert_int_equal(p.nsec, 3);
	assert_int_equal(p.sec[0].n, 200); /* seq 2, long form length */
	assert_int_equal(p.sec[0].p[0], 12);
	/* sequencer: 0 arrives, 1-2 lost, 3 recovers them, 3 again is stale, 5 after 4 lost */
	udptl_rx_t rx;
	udptl_rx_init(&rx);
	got_t g = {0};
	assert_int_equal(udptl_decode(pkts[0], (size_t)lens[0], &p), 0);
	udptl_rx_packet(&rx, &p, deliver, &g);
	assert_int_equal(udptl_decode(pkts[3], (size_t)lens[3], &p), 0);
	udptl_rx_packet(&rx, &p, deliver, &g);
	udptl_rx_packet(&rx, &p, deliver, &g);
	assert_int_equal(udptl_decode(pkts[5], (size_t)lens[5], &p), 0);
	udptl_rx_packet(&rx, &p, deliver, &g);
	assert_int_equal(g.n, 6);
	uint16_t want[] = {0, 1, 2, 3, 4, 5};
	for (int i = 0; i < 6; i++) {
		assert_int_equal(g.seq[i], want[i]);
		assert_int_equal(g.first[i], want[i] + 10);
	}
	assert_int_equal(rx.recovered, 3);
	assert_int_equal(rx.stale, 1);
	/* an older packet arriving late is dropped */
	assert_int_equal(udptl_decode(pkts[1], (size_t)lens[1], &p), 0);
	assert_int_equal(udptl_rx_packet(&rx, &p, deliver, &g), 0);
	/* A source learnt after its probation (mediasrc.h): the sequencer
	 * starts at the first packet of it, 3, and packet 5 brings 3 and 4
	 * back from its redundancy; a started sequencer ignores a new start. */
	udptl_rx_init(&rx);
	udptl_rx_start(&rx, 3);
	udptl_rx_start(&rx, 5);
	memset(&g, 0, sizeof g);
	assert_int_equal(udptl_decode(pkts[5], (size_t)lens[5], &p), 0);
	assert_int_equal(udptl_rx_packet(&rx, &p, deliver, &g), 3);
	assert_int_equal(g.seq[0], 3);
	assert_int_equal(g.first[0], 13);
	assert_int_equal(g.seq[2], 5);
	assert_int_equal(rx.recovered, 2);
	assert_int_equal(rx.lost, 0);
	udptl_rx_start(&rx, 0);
	assert_int_equal(udptl_decode(pkts[4], (size_t)lens[4], &p), 0);
	assert_int_equal(udptl_rx_packet(&rx, &p, deliver, &g), 0); /* still after 5: stale */
	test_free(tx);
}

static void t_udptl_bad(void **state)
{
	(void)state;
	static const struct {
		uint8_t b[16];
		size_t n;
	} bad[] = {
		{{0, 1, 5, 1, 2}, 5},                    /* primary longer than packet */
		{{0, 1, 0, 0, 0}, 5},                    /* empty primary */
		{{0, 1, 1, 9, 0x40, 0}, 6},              /* bad choice */
		{{0, 1, 1, 9, 0, 2, 1, 7}, 8},           /* 2 secondaries, 1 present */
		{{0, 1, 1, 9, 0, 0, 0xff}, 7},           /* trailing bytes */
		{{0, 1, 0xc1, 9, 0, 0}, 6},              /* fragmented length */
		{{0, 1, 1, 9}, 4},                       /* no error-recovery */
		{{0, 1, 1, 9, 0x80, 0, 0}, 7},           /* FEC with empty npackets */
	};
	udptl_pkt_t p;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(udptl_decode(bad[i].b, bad[i].n, &p), -1);
	uint8_t ok[] = {0, 1, 1, 9, 0x80, 1, 3, 1, 2, 0xaa, 0xbb};
	assert_int_equal(udptl_decode(ok, sizeof ok, &p), 0);
	assert_int_equal(p.fec, 1);
	uint8_t none[] = {0xff, 0xff, 2, 9, 9, 0, 0};
	assert_int_equal(udptl_decode(none, sizeof none, &p), 0);
	assert_int_equal(p.seq, 65535);
	assert_int_equal(p.nsec, 0);
}

/* Every sample value and every code, both laws: the same as spandsp. */
static void t_g711_tables(void **state)
{
	(void)state;
	g711tab_init();
	static int16_t x[65536];
	static uint8_t u[65536], a[65536];
	for (int v = 0; v < 65536; v++)
		x[v] = (int16_t)(v - 32768);
	g711tab_encode(u, x, 65536, 0);
	g711tab_encode(a, x, 65536, 1);
	for (int v = 0; v < 65536; v++) {
		assert_int_equal(u[v], linear_to_ulaw(x[v]));
		assert_int_equal(a[v], linear_to_alaw(x[v]));
	}
	uint8_t code[256];
	int16_t du[256], da[256];
	for (int c = 0; c < 256; c++)
		code[c] = (uint8_t)c;
	g711tab_decode(du, code, 256, 0);
	g711tab_decode(da, code, 256, 1);
	for (int c = 0; c < 256; c++) {
		assert_int_equal(du[c], ulaw_to_linear(code[c]));
		assert_int_equal(da[c], alaw_to_linear(code[c]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_rtp_roundtrip),   cmocka_unit_test(t_rtp_bad), cmocka_unit_test(t_jb),
		cmocka_unit_test(t_udptl_roundtrip), cmocka_unit_test(t_udptl_bad), cmocka_unit_test(t_g711_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
