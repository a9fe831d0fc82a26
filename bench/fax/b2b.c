/* Baseline for bench/fax: a spandsp sender and receiver back to back in
 * memory, no network, no SIP, no RTP/UDPTL. Same pages, same T.30 settings
 * as faxvault-fax. Prints one line: mode pages call_seconds cpu_seconds
 * sender_cpu_seconds receiver_cpu_seconds (the split by side is measured for
 * G.711 only, where the sides do not call into each other; "-" for T.38).
 * Usage: fax_b2b g711|t38 IN.tif OUT.tif */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tiffio.h>

static double thread_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES 0
#include <spandsp.h>

static int done[2];
static t38_terminal_state_t *t38s[2];
static int seq[2];

static void phase_e(t30_state_t *s, void *ud, int code)
{
	(void)s;
	(void)code;
	done[(int)(long)ud] = 1;
}

static void setup(t30_state_t *t, int side, const char *in, const char *out)
{
	t30_set_tx_ident(t, "bench");
	t30_set_ecm_capability(t, 1);
	t30_set_supported_compressions(t, T30_SUPPORT_T4_1D_COMPRESSION | T30_SUPPORT_T4_2D_COMPRESSION |
					      T30_SUPPORT_T6_COMPRESSION);
	t30_set_supported_modems(t, T30_SUPPORT_V27TER | T30_SUPPORT_V29 | T30_SUPPORT_V17);
	t30_set_supported_resolutions(t, T30_SUPPORT_STANDARD_RESOLUTION | T30_SUPPORT_FINE_RESOLUTION);
	t30_set_supported_image_sizes(t, T30_SUPPORT_US_LETTER_LENGTH | T30_SUPPORT_UNLIMITED_LENGTH |
					     T30_SUPPORT_215MM_WIDTH);
	t30_set_phase_e_handler(t, phase_e, (void *)(long)side);
	if (side == 0)
		t30_set_tx_file(t, in, -1, -1);
	else
		t30_set_rx_file(t, out, -1);
}

static int tx_packet(t38_core_state_t *s, void *ud, const uint8_t *buf, int len, int count)
{
	(void)s;
	(void)count;
	int to = 1 - (int)(long)ud;
	t38_core_rx_ifp_packet(t38_terminal_get_t38_core_state(t38s[to]), buf, len, (uint16_t)seq[to]++);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	int t38 = strcmp(argv[1], "t38") == 0;
	long samples = 0;
	double side_cpu[2] = {0, 0};
	clock_t c0 = clock();
	int pages = 0;
	if (!t38) {
		fax_state_t *f[2] = {fax_init(NULL, 1), fax_init(NULL, 0)};
		for (int i = 0; i < 2; i++) {
			fax_set_transmit_on_idle(f[i], 1);
			setup(fax_get_t30_state(f[i]), i, argv[2], argv[3]);
		}
		int16_t a[160], b[160];
		while (!(done[0] && done[1]) && samples < 8000L * 600) {
			/* Each side's work timed apart: its tx, its G.711 coding, its rx. */
			double t0 = thread_cpu();
			int na = fax_tx(f[0], a, 160);
			if (na < 160)
				memset(a + na, 0, (size_t)(160 - na) * 2);
			/* Through G.711 both ways, as on a real call. */
			for (int i = 0; i < 160; i++)
				a[i] = ulaw_to_linear(linear_to_ulaw(a[i]));
			double t1 = thread_cpu();
			int nb = fax_tx(f[1], b, 160);
			if (nb < 160)
				memset(b + nb, 0, (size_t)(160 - nb) * 2);
			for (int i = 0; i < 160; i++)
				b[i] = ulaw_to_linear(linear_to_ulaw(b[i]));
			fax_rx(f[1], a, 160);
			double t2 = thread_cpu();
			fax_rx(f[0], b, 160);
			double t3 = thread_cpu();
			side_cpu[0] += (t1 - t0) + (t3 - t2);
			side_cpu[1] += t2 - t1;
			samples += 160;
		}
		t30_stats_t st;
		t30_get_transfer_statistics(fax_get_t30_state(f[0]), &st);
		pages = st.pages_tx;
		fax_free(f[0]);
		fax_free(f[1]);
	} else {
		for (int i = 0; i < 2; i++) {
			t38s[i] = t38_terminal_init(NULL, i == 0, tx_packet, (void *)(long)i);
			t38_set_t38_version(t38_terminal_get_t38_core_state(t38s[i]), 0);
			t38_set_fastest_image_data_rate(t38_terminal_get_t38_core_state(t38s[i]), 14400);
			t38_terminal_set_config(t38s[i], 0);
			setup(t38_terminal_get_t30_state(t38s[i]), i, argv[2], argv[3]);
		}
		while (!(done[0] && done[1]) && samples < 8000L * 600) {
			t38_terminal_send_timeout(t38s[0], 160);
			t38_terminal_send_timeout(t38s[1], 160);
			samples += 160;
		}
		t30_stats_t st;
		t30_get_transfer_statistics(t38_terminal_get_t30_state(t38s[0]), &st);
		pages = st.pages_tx;
		t38_terminal_free(t38s[0]);
		t38_terminal_free(t38s[1]);
	}
	double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
	if (t38)
		printf("t38 %d %.2f %.4f - -\n", pages, samples / 8000.0, cpu);
	else
		printf("g711 %d %.2f %.4f %.4f %.4f\n", pages, samples / 8000.0, cpu, side_cpu[0], side_cpu[1]);
	return done[0] && done[1] ? 0 : 1;
}
