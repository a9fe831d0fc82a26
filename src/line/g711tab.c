/* G.711 by table (see g711tab.h). */
#include "g711tab.h"

#include <pthread.h>

#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES 0
#include <spandsp.h>

static uint8_t enc[2][65536];
static int16_t dec[2][256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void build(void)
{
	for (int v = 0; v < 65536; v++) {
		int16_t s = (int16_t)(v - 32768);
		enc[0][(uint16_t)s] = linear_to_ulaw(s);
		enc[1][(uint16_t)s] = linear_to_alaw(s);
	}
	for (int c = 0; c < 256; c++) {
		dec[0][c] = ulaw_to_linear((uint8_t)c);
		dec[1][c] = alaw_to_linear((uint8_t)c);
	}
}

void g711tab_init(void)
{
	pthread_once(&once, build);
}

void g711tab_encode(uint8_t *out, const int16_t *in, size_t n, int alaw)
{
	const uint8_t *t = enc[alaw ? 1 : 0];
	for (size_t i = 0; i < n; i++)
		out[i] = t[(uint16_t)in[i]];
}

void g711tab_decode(int16_t *out, const uint8_t *in, size_t n, int alaw)
{
	const int16_t *t = dec[alaw ? 1 : 0];
	for (size_t i = 0; i < n; i++)
		out[i] = t[in[i]];
}
