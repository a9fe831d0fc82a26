/* Logo images: the type and size read from the header (see logo.h). */
#include "tenancy.h"

#include <stdint.h>
#include <string.h>

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static int dims_ok(uint32_t w, uint32_t h)
{
	return w >= 1 && h >= 1 && w <= LOGO_DIM_MAX && h <= LOGO_DIM_MAX;
}

static const char *png(const unsigned char *p, size_t n, int *w, int *h)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	/* signature, IHDR's length (13) and type, width, height */
	if (n < 8 + 8 + 13 + 4 || memcmp(p, sig, 8) != 0 || be32(p + 8) != 13 ||
	    memcmp(p + 12, "IHDR", 4) != 0)
		return NULL;
	uint32_t pw = be32(p + 16), ph = be32(p + 20);
	if (!dims_ok(pw, ph))
		return NULL;
	*w = (int)pw;
	*h = (int)ph;
	return "image/png";
}

/* Start-of-frame markers: C0-CF but DHT (C4), JPG (C8) and DAC (CC). */
static int is_sof(unsigned m)
{
	return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

static const char *jpeg(const unsigned char *p, size_t n, int *w, int *h)
{
	if (n < 4 || p[0] != 0xff || p[1] != 0xd8)
		return NULL;
	size_t i = 2;
	while (i + 1 < n) {
		if (p[i] != 0xff)
			return NULL;
		while (i + 1 < n && p[i + 1] == 0xff) /* fill bytes */
			i++;
		if (i + 1 >= n)
			return NULL;
		unsigned m = p[i + 1];
		i += 2;
		if (m == 0x01 || (m >= 0xd0 && m <= 0xd7)) /* no length */
			continue;
		if (m == 0xd8 || m == 0xd9 || m == 0xda || m == 0x00)
			return NULL; /* image data or its end before any frame */
		if (i + 2 > n)
			return NULL;
		unsigned len = be16(p + i);
		if (len < 2 || len > n - i)
			return NULL;
		if (is_sof(m)) {
			/* length, precision, height, width */
			if (len < 7)
				return NULL;
			unsigned ph = be16(p + i + 3), pw = be16(p + i + 5);
			if (!dims_ok(pw, ph))
				return NULL;
			*w = (int)pw;
			*h = (int)ph;
			return "image/jpeg";
		}
		i += len;
	}
	return NULL;
}

const char *logo_sniff(const unsigned char *p, size_t n, int *w, int *h)
{
	*w = *h = 0;
	if (!p)
		return NULL;
	const char *t = png(p, n, w, h);
	return t ? t : jpeg(p, n, w, h);
}
